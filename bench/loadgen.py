"""A small, fast HTTP/1.1 load generator for the benchmarks (keep-alive, asyncio streams).

httpx's pool costs more per request than the services under test at these rates, so it
would measure itself; this client writes pre-built requests on persistent connections and
reads just the status line, headers and body length.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

HeadersFor = Callable[[], dict[str, str]]


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def record(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def count(self, status: int) -> int:
        return self.statuses.get(status, 0)

    def percentile_ms(self, q: int) -> float:
        cuts = statistics.quantiles(self.latencies, n=100)
        return 1000 * cuts[q - 1]


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        assert self.reader is not None and self.writer is not None
        head = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                "Content-Type: application/json", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        chunked = False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value:
                chunked = True
        if chunked:
            while (size := int((await self.reader.readline()).strip(), 16)) > 0:
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        elif length:
            await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def closed_loop(host: str, port: int, path: str, body: dict, headers_for: HeadersFor,
                      seconds: float, concurrency: int) -> tuple[float, Outcome]:
    """`concurrency` clients each send the next request as soon as the last one answered."""
    payload = json.dumps(body).encode()
    outcome = Outcome()
    conns = [Connection(host, port) for _ in range(concurrency)]
    await asyncio.gather(*(c.open() for c in conns))
    stop = time.perf_counter() + seconds

    async def client(conn: Connection) -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            status = await conn.post(path, payload, headers_for())
            outcome.record(status, time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(client(c) for c in conns))
    elapsed = time.perf_counter() - began
    await asyncio.gather(*(c.close() for c in conns))
    return len(outcome.latencies) / elapsed, outcome


async def open_loop(host: str, port: int, path: str, body: dict, headers_for: HeadersFor,
                    rate: float, seconds: float, pool: int = 200) -> Outcome:
    """Requests arrive at a fixed rate whatever the answers' speed (no coordinated omission):
    latency counts from each request's scheduled start."""
    payload = json.dumps(body).encode()
    outcome = Outcome()
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(pool):
        conn = Connection(host, port)
        await conn.open()
        idle.put_nowait(conn)

    async def one(scheduled: float) -> None:
        conn = await idle.get()
        try:
            status = await conn.post(path, payload, headers_for())
        finally:
            idle.put_nowait(conn)
        outcome.record(status, time.perf_counter() - scheduled)

    began = time.perf_counter()
    tasks = []
    for i in range(int(rate * seconds)):
        scheduled = began + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        await idle.get_nowait().close()
    return outcome
