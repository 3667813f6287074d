"""`python -m lending_intake` with INTAKE_WORKERS=2: migrated once, serving from both
processes, a partner's rate limit holds across them (not twice the limit), and /metrics,
whichever worker answers it, counts the requests of both."""

import asyncio
import os
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lending_intake.bootstrap import build_issuer
from lending_intake.config import Settings
from lending_intake.service_layer import credentials
from lending_platform.database import create_engine, session_factory

from .intake_helpers import application_body, free_port

pytestmark = pytest.mark.integration


async def _partner(database_url: str, rate: int) -> str:
    engine = create_engine(database_url, pool_size=1)
    try:
        issuer = build_issuer(Settings(database_url=database_url), session_factory(engine))
        made = await credentials.create_partner(issuer, "workers", rate_limit=rate)
        return made.api_key
    finally:
        await engine.dispose()


async def _burst(base: str, key: str, n: int) -> list[int]:
    async def one() -> int:  # a connection each, so the kernel spreads them over workers
        async with httpx.AsyncClient(base_url=base) as client:
            response = await client.post("/v1/applications", json=application_body(),
                                         headers={"Authorization": f"Bearer {key}",
                                                  "Idempotency-Key": uuid.uuid4().hex})
            return response.status_code
    return list(await asyncio.gather(*(one() for _ in range(n))))


def applications_counted(exposition: str) -> int:
    return int(sum(sample.value for family in text_string_to_metric_families(exposition)
                   for sample in family.samples
                   if sample.name == "http_requests_total"
                   and sample.labels.get("route") == "/applications"  # the router's own path
                   and sample.labels.get("method") == "POST"))


def test_two_worker_processes_share_the_port_the_rate_limit_and_the_metrics(
    database_factory, kafka_bootstrap
):
    url, port = database_factory(), free_port()
    env = {**os.environ, "INTAKE_DATABASE_URL": url, "INTAKE_PORT": str(port),
           "INTAKE_WORKERS": "2", "INTAKE_LOG_LEVEL": "WARNING",
           "INTAKE_CONSUMER_GROUP": f"test-workers-{uuid.uuid4().hex[:8]}",
           "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    proc = subprocess.Popen([sys.executable, "-m", "lending_intake"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a readiness wait, generous on a busy machine
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "intake did not become ready"
            time.sleep(0.2)
        workers = subprocess.run(["ps", "--ppid", str(proc.pid), "-o", "pid="],
                                 capture_output=True, text=True).stdout.split()
        assert len(workers) >= 2
        key = asyncio.run(_partner(url, rate=4))
        time.sleep(1.5)  # a full bucket
        started = time.monotonic()
        statuses = asyncio.run(_burst(base, key, 24))
        elapsed = time.monotonic() - started
        assert set(statuses) <= {202, 429}
        # 4 in the burst plus what refilled meanwhile: one shared bucket, never 2 x 4.
        assert 1 <= statuses.count(202) <= 4 + int(4 * elapsed) + 1 < 8 + int(4 * elapsed)
        for _ in range(6):  # new connections: the answers come from either worker
            assert applications_counted(httpx.get(f"{base}/metrics", timeout=5).text) == 24
    finally:
        proc.terminate()
        proc.wait(timeout=30)
