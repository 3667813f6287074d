"""`python -m lending_intake` with INTAKE_WORKERS=2: migrated once, serving from both
processes, and a partner's rate limit holds across them (not twice the limit)."""

import asyncio
import os
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from lending_intake.service_layer import credentials
from lending_platform.database import create_engine, session_factory

from .intake_helpers import application_body, free_port

pytestmark = pytest.mark.integration


async def _partner(database_url: str, rate: int) -> str:
    engine = create_engine(database_url, pool_size=1)
    try:
        made = await credentials.create_partner(session_factory(engine), "workers",
                                                rate_limit=rate)
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


def test_two_worker_processes_share_the_port_and_the_rate_limit(
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
    finally:
        proc.terminate()
        proc.wait(timeout=30)
