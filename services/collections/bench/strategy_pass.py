"""Times the day close's strategy pass over N open cases on a real PostgreSQL database.

    .venv/bin/python services/collections/bench/strategy_pass.py DATABASE_URL [N]

DATABASE_URL must be an empty, disposable database (postgresql+asyncpg://...). Seeds N loans
and open cases set-based, then runs one BusinessDayClosed worth of work (age, promises,
strategy pass) in one transaction, as the consumer does, and prints the timings.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, date, datetime

from sqlalchemy import text

from lending_collections.adapters.policy_files import load_classification, load_strategies
from lending_collections.config import PACKAGE
from lending_collections.service_layer import day_close
from lending_collections.service_layer.context import CollectionsPolicy
from lending_platform.database import create_engine, session_factory, upgrade_to_head_async

DAY = date(2025, 3, 1)


async def main(url: str, n: int) -> None:
    await upgrade_to_head_async(PACKAGE / "migrations", url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO loans (loan_id, partner_id, product_code, currency, principal,"
            " outstanding_principal, overdue, days_past_due, dpd_as_of, bucket, status)"
            " SELECT 'bench-' || g, 'p', 'personal-credit', 'EUR', 100000, 100000, 34002,"
            " 1 + g % 120, DATE '2025-02-28', 'dpd_1_30', 'active'"
            " FROM generate_series(1, :n) g"), {"n": n})
        await conn.execute(text(
            "INSERT INTO cases (case_id, loan_id, status, opened_on, days_past_due, bucket,"
            " stage, strategy_id) SELECT 'case-' || lpad(g::text, 9, '0'), 'bench-' || g,"
            " 'open', DATE '2025-02-01', 1 + g % 120, 'dpd_1_30', 'reminder', 'standard'"
            " FROM generate_series(1, :n) g"), {"n": n})
    policy = CollectionsPolicy(load_strategies(PACKAGE / "strategies.toml"),
                               load_classification(PACKAGE / "classification.toml"),
                               clock=lambda: datetime(2025, 3, 1, 12, tzinfo=UTC))
    async with sessions() as session, session.begin():
        t0 = time.perf_counter()
        aged = await day_close.age_delinquent_loans(session, policy, DAY)
        t1 = time.perf_counter()
        taken = await day_close.run_strategies(session, policy, DAY)
        t2 = time.perf_counter()
    print(f"{n} open cases: aged {aged} loans in {t1 - t0:.1f}s; "
          f"strategy pass took {taken} actions in {t2 - t1:.1f}s "
          f"({n / (t2 - t1):,.0f} cases/s)")
    async with sessions() as session, session.begin():
        t3 = time.perf_counter()
        again = await day_close.run_strategies(session, policy, DAY)
        print(f"the same day again: {again} actions in {time.perf_counter() - t3:.1f}s")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000))
