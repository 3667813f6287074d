"""`loanctl ledger verify|rebuild` on a real ledger database: verify passes on consistent
books, names the first difference when a projection or the journal is wrong, and rebuild
restores the projections from the event store."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

import lending_ledger
from lending_ledger.domain.loan_account import LoanAccount
from lending_ledger.service_layer.ledger import LoanLedger
from lending_ledger.testing import future_terms
from lending_platform.database import create_engine, session_factory, upgrade_to_head_async
from loanctl.commands.ledger import app

pytestmark = pytest.mark.integration
MIGRATIONS = Path(lending_ledger.__file__).parent / "migrations"


async def seed(url: str, loans: int = 12) -> None:
    await upgrade_to_head_async(MIGRATIONS, url)
    engine = create_engine(url)
    ledger = LoanLedger(snapshot_every=5)
    terms = future_terms(term=6)

    def history(account: LoanAccount) -> None:
        account.book(terms=terms, decision_id="d", offer_id="o", applicant_id="a",
                     partner_id="p", booked_on=date(2031, 3, 3),
                     disbursement_method="bank_transfer", disbursement_account="acct")
        account.record_disbursement(disbursement_id=account.loan_id,
                                    value_date=date(2031, 3, 3), provider_reference="po")
        for n in range(4):
            account.accrue(date(2031, 3, 10) + timedelta(days=10 * n))
            account.receive_payment(payment_id=f"p{n}", amount=9_000 + n,
                                    value_date=date(2031, 3, 12) + timedelta(days=10 * n),
                                    received_at="2031-03-01T00:00:00Z", method="card")
        account.reverse_payment(payment_id="p1", reversal_id="r1", reason="bounced",
                                on=date(2031, 4, 20))

    async with session_factory(engine)() as session, session.begin():
        for n in range(loans):
            await ledger.execute(session, f"loan-{n:03d}", history, create=True)
    await engine.dispose()


async def execute(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


def test_verify_passes_names_a_tampered_projection_and_rebuild_repairs_it(database_url):
    asyncio.run(seed(database_url))
    cli = CliRunner()
    ok = cli.invoke(app, ["verify", "--database-url", database_url, "--quiet"])
    assert ok.exit_code == 0, ok.output
    assert "ok: 12 loan accounts" in ok.output

    asyncio.run(execute(database_url, "UPDATE loan_accounts SET view = jsonb_set(view, "
                        "'{balances,principal}', '\"1.00\"') WHERE loan_id = 'loan-007'"))
    bad = cli.invoke(app, ["verify", "--database-url", database_url, "--quiet"])
    assert bad.exit_code == 1
    assert "loan loan-007: balances is" in bad.output

    rebuilt = cli.invoke(app, ["rebuild", "--database-url", database_url])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "rebuilt 12 loan accounts" in rebuilt.output
    again = cli.invoke(app, ["verify", "--database-url", database_url, "--quiet"])
    assert again.exit_code == 0, again.output


def test_verify_names_an_unbalanced_entry_and_the_journal_refuses_edits(database_url):
    asyncio.run(seed(database_url, loans=2))
    asyncio.run(execute(database_url,
                        "WITH e AS (INSERT INTO journal_entries (loan_id, event_type, "
                        "business_date, currency) VALUES ('loan-000', 'Manual', "
                        "'2031-04-01', 'EUR') RETURNING entry_id) INSERT INTO journal_lines "
                        "SELECT entry_id, 1, '1000-settlement-cash', 500, 0 FROM e"))
    bad = CliRunner().invoke(app, ["verify", "--database-url", database_url, "--quiet"])
    assert bad.exit_code == 1
    assert "debits 500 != credits 0" in bad.output
    with pytest.raises(DBAPIError, match="append-only"):
        asyncio.run(execute(database_url, "UPDATE journal_lines SET debit = 0"))
    with pytest.raises(DBAPIError, match="append-only"):
        asyncio.run(execute(database_url, "DELETE FROM events"))


def test_verify_compares_the_trial_balance_totals_with_the_journal_and_rebuild_repairs_them(
        database_url):
    asyncio.run(seed(database_url, loans=3))
    cli = CliRunner()
    assert cli.invoke(app, ["verify", "--database-url", database_url, "--quiet"]).exit_code == 0
    # half of the totals folded, the rest still deltas: the sum is what counts
    asyncio.run(execute(database_url, "WITH moved AS (DELETE FROM trial_balance_deltas "
                        "WHERE delta_id % 2 = 0 RETURNING currency, account, debit, credit) "
                        "INSERT INTO trial_balance SELECT currency, account, sum(debit), "
                        "sum(credit) FROM moved GROUP BY 1, 2"))
    assert cli.invoke(app, ["verify", "--database-url", database_url, "--quiet"]).exit_code == 0
    asyncio.run(execute(database_url, "INSERT INTO trial_balance_deltas "
                        "(currency, account, debit, credit) "
                        "VALUES ('EUR', '1100-principal-receivable', 100, 0)"))
    bad = cli.invoke(app, ["verify", "--database-url", database_url, "--quiet"])
    assert bad.exit_code == 1
    assert "trial balance totals for account 1100-principal-receivable in EUR" in (
        bad.output)
    assert cli.invoke(app, ["rebuild", "--database-url", database_url]).exit_code == 0
    again = cli.invoke(app, ["verify", "--database-url", database_url, "--quiet"])
    assert again.exit_code == 0, again.output
