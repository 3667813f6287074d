"""`make run`: infrastructure, simulators and the five services in the foreground until Ctrl-C.

`make stop` (``python -m lending_devstack.run --stop``) stops what a `make run` started and
nothing else: a server that was already running before `make run` is left alone. While a
`make run` is in the foreground, `make stop` asks it to stop (SIGTERM, as Ctrl-C would) and
waits: the foreground run then reports "stopped", not a service that "exited" under it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from lending_devstack.errors import DevstackError
from lending_devstack.procs import pid_alive, read_pid, wait_until
from lending_devstack.seed import seed_demo
from lending_devstack.services import ServiceProcess
from lending_devstack.settings import SERVICES, DevstackSettings
from lending_devstack.stack import Infra
from lending_devstack.supervise import Supervisor
from lending_simulators import SIMULATORS


def _state_file(s: DevstackSettings) -> Path:
    return s.run_dir / "make-run.json"


def _runner_pid_file(s: DevstackSettings) -> Path:
    return s.run_dir / "make-run.pid"


def _processes(settings: DevstackSettings) -> list[ServiceProcess]:
    simulators = [
        ServiceProcess(name, settings, simulator_port=port) for name, port in SIMULATORS.items()
    ]
    return simulators + [ServiceProcess(name, settings) for name in SERVICES]


# Which service setting names which simulator: the services find the simulators wherever
# this run put them (SIM_<NAME>_PORT), unless the environment already points them elsewhere.
ADAPTER_URLS = {"UNDERWRITING_BUREAU_URL": "credit_bureau",
                "LEDGER_PAYOUT_URL": "payout_provider",
                "COLLECTIONS_SMS_GATEWAY_URL": "sms_gateway"}


def _simulator_url(procs: list[ServiceProcess], name: str) -> str:
    return next(p.url for p in procs if p.simulator and p.name == name)


def _adapter_urls(procs: list[ServiceProcess]) -> dict[str, str]:
    return {setting: os.environ.get(setting) or _simulator_url(procs, simulator)
            for setting, simulator in ADAPTER_URLS.items()}


# The local stack is a development environment: its development keys are accepted
# (lending_platform.settings refuses them anywhere else) and intake may deliver webhooks to
# the receiver simulator on the loopback address. The environment may say otherwise.
DEV_ENV = {"LENDING_ENVIRONMENT": "development", "INTAKE_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}


def development_env() -> dict[str, str]:
    return {name: os.environ.get(name) or value for name, value in DEV_ENV.items()}


def stop(settings: DevstackSettings) -> None:
    for proc in reversed(_processes(settings)):
        proc.stop()
    state_path = _state_file(settings)
    started = json.loads(state_path.read_text()) if state_path.exists() else {}
    infra = Infra(settings)
    if started.get("kafka"):
        infra.kafka.stop()
    if started.get("postgres"):
        infra.postgres.stop()
    state_path.unlink(missing_ok=True)


def request_stop(settings: DevstackSettings, timeout: float = 180.0) -> None:
    """`make stop`: a foreground `make run` is asked to stop and stops its own children
    (so it never sees them vanish); whatever is left after it, or with no runner, is
    stopped here."""
    runner = read_pid(_runner_pid_file(settings))
    if runner is not None and runner != os.getpid() and _is_make_run(runner):
        os.kill(runner, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(runner) and time.monotonic() < deadline:
            time.sleep(0.1)
    stop(settings)
    _runner_pid_file(settings).unlink(missing_ok=True)


def _is_make_run(pid: int) -> bool:
    """The pid file may outlive a killed run and its pid be reused: signal only a runner."""
    try:
        return b"lending_devstack.run" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def run(settings: DevstackSettings, ready_timeout: float, quiet: bool = False) -> None:
    began = time.monotonic()
    say = (lambda line: None) if quiet else (lambda line: print(line, flush=True))
    say("starting PostgreSQL and Kafka ...")
    infra = Infra(settings)
    infra.kafka.say = None if quiet else say
    started_pg, started_kafka = infra.up()
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    _runner_pid_file(settings).write_text(str(os.getpid()))
    state = _state_file(settings)
    previous = json.loads(state.read_text()) if state.exists() else {}
    state.write_text(json.dumps({
        "postgres": started_pg or previous.get("postgres", False),
        "kafka": started_kafka or previous.get("kafka", False),
    }))
    procs = _processes(settings)
    os.environ.update(development_env())  # for the seed below, in this process
    env = {"KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap, **_adapter_urls(procs),
           **development_env()}
    say("starting the simulators and the five services ...")
    for proc in procs:
        proc.start(env)
    for proc in procs:
        wait_until(proc.ready, max(1.0, ready_timeout - (time.monotonic() - began)),
                   f"{proc.name} /readyz", proc.log)
    print(f"\nall ready in {time.monotonic() - began:.0f}s\n")
    for proc in procs:
        label = f"{proc.name} (simulator)" if proc.simulator else proc.name
        print(f"  {label:<28} {proc.url}/docs")
    for line in seed_demo(settings, receiver=_simulator_url(procs, "webhook_receiver")):
        print(f"  {line}")
    print(f"\n  postgres      {settings.pg_base_url}")
    print(f"  kafka         {settings.kafka_bootstrap}")
    print(f"  logs          {settings.logs}/")
    print("  try           .venv/bin/loanctl simulate --loans 300 --months 4 --html /tmp/book.html")
    print("\nPress Ctrl-C to stop everything.", flush=True)
    supervisor = Supervisor.for_stack(
        infra, procs, env, postgres=started_pg, kafka=started_kafka,
        say=lambda line: print(f"  {time.strftime('%H:%M:%S')} {line}", flush=True))
    while True:
        supervisor.tick()
        time.sleep(0.5)


def _shutdown(settings: DevstackSettings) -> None:
    # A second request (Ctrl-C, or `make stop` beside us) must not interrupt the stop itself.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        stop(settings)
    finally:
        _runner_pid_file(settings).unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stop", action="store_true", help="stop what `make run` started")
    parser.add_argument("--ready-timeout", type=float, default=120.0)
    parser.add_argument("--quiet", action="store_true",
                        help="no progress while starting (the first run's Kafka download)")
    args = parser.parse_args()
    settings = DevstackSettings()
    if args.stop:
        request_stop(settings)
        print("stopped")
        return

    def _terminate(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Both explicitly: a shell that starts `make run` in the background leaves SIGINT
    # ignored, and Python then never raises KeyboardInterrupt for Ctrl-C.
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        run(settings, args.ready_timeout, quiet=args.quiet)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
    except DevstackError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        _shutdown(settings)
        sys.exit(1)
    _shutdown(settings)
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
