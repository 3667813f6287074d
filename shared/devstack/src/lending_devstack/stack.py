"""The infrastructure as one unit: PostgreSQL (with one database per service) and Kafka."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from lending_devstack.kafka import LocalKafka
from lending_devstack.postgres import LocalPostgres
from lending_devstack.settings import SERVICES, DevstackSettings
from lending_devstack.topics import ensure_topics


@dataclass
class InfraStatus:
    postgres: str
    kafka: str

    def lines(self) -> list[str]:
        return [f"postgres  {self.postgres}", f"kafka     {self.kafka}"]


class Infra:
    def __init__(self, settings: DevstackSettings | None = None) -> None:
        self.s = settings or DevstackSettings()
        self.postgres = LocalPostgres(self.s)
        self.kafka = LocalKafka(self.s)

    def up(self, databases: tuple[str, ...] = SERVICES) -> tuple[bool, bool]:
        """Starts what is not running; returns (started postgres, started kafka)."""
        pg_started = not self.postgres.running()
        self.postgres.start()
        kafka_started = not self.kafka.running()
        self.kafka.start()
        for name in databases:
            self.postgres.ensure_database(name)
        asyncio.run(ensure_topics(self.s.kafka_bootstrap, self.s.topic_partitions))
        return pg_started and not self.postgres.external, kafka_started and not self.kafka.external

    def down(self) -> None:
        self.kafka.stop()
        self.postgres.stop()

    def status(self) -> InfraStatus:
        def describe(external: bool, running: bool, where: str) -> str:
            if external:
                return f"external  {where}"
            return f"{'running' if running else 'stopped'}   {where}"

        return InfraStatus(
            postgres=describe(self.postgres.external, self.postgres.running(), self.s.pg_base_url),
            kafka=describe(self.kafka.external, self.kafka.running(), self.s.kafka_bootstrap),
        )
