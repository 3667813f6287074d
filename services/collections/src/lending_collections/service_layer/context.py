"""What the collections verbs need, wired once by bootstrap.py (tests pass their own clock)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_collections.domain.classification import ClassificationRules
from lending_collections.domain.early_warning import EarlyWarningRules
from lending_collections.domain.recovery import RecoveryPolicy
from lending_collections.domain.strategy import StrategyBook

SOURCE = "/lending/collections"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CollectionsPolicy:
    book: StrategyBook
    rules: ClassificationRules
    recovery: RecoveryPolicy
    warnings: EarlyWarningRules
    clock: Clock = utc_now
    batch_size: int = 2000


@dataclass
class CollectionsContext:
    sessions: async_sessionmaker[AsyncSession]
    policy: CollectionsPolicy
