"""The day close as three set-based statements, each finding its rows through partial
indexes, changing them and writing their events to the outbox in the same statement. Each
runs over some slices of the book (``:parts``, see close_partitions.py) at a time.

No row travels to Python, so a million events cost one round trip per statement and no
client memory. The events are CloudEvents envelopes built by text concatenation in exactly
the shape ``lending_events.Envelope.to_bytes()`` writes (a test parses rows written here
with ``Envelope.from_bytes`` and ``parse_event``); concatenation, not
``jsonb_build_object``, because building, key-sorting and printing a jsonb value cost
~25 µs a row here, more than the update and the insert together. Amounts leave as decimal
strings with the currency's minor digits. The rules are those of ``domain/delinquency.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lending_events import topics
from lending_messaging.outbox import CONTENT_TYPE, INSERT_INTO_OUTBOX


def _amount(minor: str) -> str:
    """Non-negative minor units as a decimal string with the currency's minor digits, in
    integer arithmetic (numeric ``power``/``round`` cost several µs a row at this scale)."""
    scale = "CAST(CASE e.minor_digits WHEN 2 THEN 100 WHEN 3 THEN 1000 ELSE 10000 END AS bigint)"
    return (f"CASE e.minor_digits WHEN 0 THEN CAST(({minor}) AS text) ELSE "
            f"CAST(({minor}) / {scale} AS text) || '.' || "
            f"lpad(CAST(({minor}) % {scale} AS text), e.minor_digits, '0') END")


def _date(column: str) -> str:
    return f"CAST({column} AS text)"  # ISO: close_slices sets DateStyle for its transaction


def _event_id(what: str) -> str:
    """A UUID-formatted id, unique per close run, statement and row: the MD5 of the run's
    random id with the row's identity. ``gen_random_uuid()`` draws from the kernel's strong
    random source and costs ~6 µs a row here, a third of the whole statement at a million
    rows; MD5 costs ~0.5 µs."""
    return f"CAST(md5(CAST(:run_id AS text) || {what}) AS uuid)::text"


def _s(expr: str) -> str:
    """A JSON string of a value from a closed alphabet (dates, amounts, codes, ids)."""
    return f"'\"' || {expr} || '\"'"


def _n(expr: str) -> str:
    """A JSON number or boolean."""
    return f"CAST({expr} AS text)"


def _j(expr: str) -> str:
    """A JSON string of free text, escaped by PostgreSQL."""
    return f"CAST(to_json({expr}) AS text)"


def _object(fields: list[tuple[str, str]]) -> str:
    """A JSON object by text concatenation: each value is an SQL expression that renders
    JSON. Several times cheaper than json_build_object at a million rows."""
    parts = [f"'{'{' if n == 0 else ','}\"{name}\":' || {expr}"
             for n, (name, expr) in enumerate(fields)]
    return " || ".join(parts) + " || '}'"


def envelope_head(*, source: str, now: str, correlation_id: str, traceparent: str,
                  day: str) -> str:
    """The attributes every event of one close shares, as JSON members (no braces)."""
    return json.dumps({
        "specversion": "1.0", "source": source, "time": now,
        "datacontenttype": "application/json", "correlationid": correlation_id,
        "traceparent": traceparent, "businessdate": day, "schemaversion": 1,
    }, separators=(",", ":"))[1:-1]


def _payload(event_type: str, data: list[tuple[str, str]]) -> str:
    """The envelope of a row of alias ``e`` (which has event_id and loan_id) as bytea."""
    return (f"convert_to('{{' || CAST(:head AS text) || "
            f"',\"type\":\"{event_type}\",\"dataschema\":"
            f"\"urn:lending:events:schema:{event_type}.v1\",\"id\":\"' || e.event_id || "
            f"'\",\"subject\":' || {_j('e.loan_id')} || ',\"data\":' || "
            f"{_object(data)} || '}}', 'UTF8')")


_EVENT_TYPES = ("PaymentMissed", "DelinquencyChanged", "InstallmentDueSoon", "LoanMatured")


def _headers(event_type: str) -> str:
    """The Kafka headers (``outbox.wire_headers``): the event's id set into the close's
    constant headers of its type, a jsonb parameter (``header_params``). Building the
    object per row with ``jsonb_build_object`` cost ~1.8 µs a row, ``jsonb_set`` ~0.6."""
    return f"jsonb_set(CAST(:headers_{event_type} AS jsonb), '{{ce_id}}', to_jsonb(e.event_id))"


def header_params(traceparent: str) -> dict[str, str]:
    """The constant headers of each event type the close writes (``ce_id`` set per row)."""
    return {f"headers_{event_type}": json.dumps({
        "content-type": CONTENT_TYPE, "ce_id": "", "ce_type": event_type,
        "traceparent": traceparent}) for event_type in _EVENT_TYPES}


def _envelope(event_type: str, data: list[tuple[str, str]]) -> str:
    """The outbox insert of the rows of CTE ``events`` (which have event_id and loan_id)."""
    return (f"{INSERT_INTO_OUTBOX} SELECT '{topics.SERVICING}', e.loan_id, e.event_id, "
            f"'{event_type}', "
            f"{_payload(event_type, data)}, {_headers(event_type)} "
            f"FROM events e ORDER BY e.loan_id")


_PAYMENT_MISSED = [
    ("loan_id", _j("e.loan_id")), ("installment_number", _n("e.number")),
    ("due_date", _s(_date("e.due_date"))), ("as_of", _s("CAST(:day_text AS text)")),
    ("currency", _s("e.currency")), ("amount_due", _s(_amount("e.total"))),
    ("amount_paid", _s(_amount("e.total - e.unpaid"))),
    ("amount_overdue", _s(_amount("e.unpaid"))),
    ("days_past_due", _n("CAST(:day AS date) - e.effective_due"))]

_DELINQUENCY_CHANGED = [
    ("loan_id", _j("e.loan_id")), ("as_of", _s("CAST(:day_text AS text)")),
    ("previous_bucket", _j("e.previous")), ("bucket", _j("e.bucket")),
    ("days_past_due", _n("e.dpd")), ("currency", _s("e.currency")),
    ("overdue_amount", _s(_amount("e.overdue"))),
    ("outstanding_principal", _s(_amount("e.outstanding_principal"))),
    ("delinquent_since", f"CASE WHEN e.since IS NULL THEN 'null' "
                         f"ELSE {_s(_date('e.since'))} END")]

# Open installments of the slices that fell overdue since the last closed day (``:since``;
# date.min before the first close), through their partial index: an installment the close
# met before is not read again, whether it was reported or not.
_FELL_OVERDUE = ("{i}.state = 'open' AND {i}.close_partition = ANY(CAST(:parts AS smallint[])) "
                 "AND {i}.overdue_from > :since AND {i}.overdue_from <= :day")
# Loans the projection asked this close to look at in full (``close_review``).
_REVIEW = ("SELECT c.loan_id FROM loans AS c "
           "WHERE c.close_review AND c.close_partition = ANY(CAST(:parts AS smallint[]))")
# An installment the close reports missed: unpaid above tolerance (payments settle oldest
# first, so unpaid = min(total, cumulative - paid)) and not already reported (outside the
# loan's missed_from..missed_through, see orm.loans).
_TO_REPORT = ("LEAST(i.total, i.cumulative_due - l.paid_to_schedule) > i.tolerance "
              "AND i.number NOT BETWEEN COALESCE(l.missed_from, 1) "
              "AND COALESCE(l.missed_through, 0)")
_MISSED_COLUMNS = """i.loan_id, i.number, i.due_date, i.effective_due, i.total, i.cumulative_due,
         LEAST(i.total, i.cumulative_due - l.paid_to_schedule) AS unpaid,
         l.currency, l.minor_digits, l.bucket, l.delinquent_since, l.close_review AS review,
         l.outstanding_principal, l.paid_to_schedule, l.ctid AS loan_row"""

# Each statement reaches a slice's loans by primary key, ``loan_id = ANY(ARRAY(...))`` of
# the loans it found, not by a join the planner would answer with a scan of every loan:
# with sixteen slice transactions that was 3 scans of the whole loans table each, over
# half of a close of a million loans.
# 1. Installments that became missed, found (a) among those that fell overdue since the
#    last closed day and (b) among every open overdue one of the loans to review. The close
#    writes no installment: what it reported is the range missed_from..missed_through on
#    the loan row (migration 0007), which it updates anyway.
# 2. Loans whose bucket as of the day differs from the one last published, or whose
#    delinquency start (the oldest missed installment) moved: newly
#    delinquent ones (today's misses, per loan, folded into the one update of the loan
#    row), loans to review (a payment moved their oldest missed installment or cured them,
#    a restructure) and delinquent loans whose days past due cross a bucket's lower bound
#    today: their oldest missed installment (open) fell due on one of ``:crossing_days``,
#    found through ``installments_open_due``. The bucket by width_bucket over the bucket
#    table's lower bounds (passed as arrays: no join per loan). No index of loans names a
#    column this update writes (close_review only when it was set), so it is a heap-only
#    update (migration 0006).
# The loan update finds its rows by the tuple ids read with them (``loan_row``, a TID scan,
#    ~3% of the statement), not by a second primary-key lookup: nothing else writes a loan
#    of these slices meanwhile (the close holds their locks exclusively, every projection
#    write takes its slice's lock shared), so those ids are the rows' current versions.
# One statement: today's misses reach the loans through a CTE, and the events of both steps
#    go to the outbox in one insert, each loan's PaymentMissed (by installment) before its
#    DelinquencyChanged.
MISSED_AND_BUCKETS = text(f"""
WITH fell AS MATERIALIZED (
  SELECT o.loan_id, o.number, o.due_date, o.effective_due, o.total, o.cumulative_due,
         o.tolerance
    FROM installments AS o WHERE {_FELL_OVERDUE.format(i="o")}
), missed AS (
  SELECT {_MISSED_COLUMNS}
    FROM fell AS i JOIN loans AS l ON l.loan_id = i.loan_id
   WHERE l.status = 'active' AND NOT l.close_review
     AND l.loan_id = ANY(ARRAY(SELECT loan_id FROM fell)) AND {_TO_REPORT}
  UNION ALL
  SELECT {_MISSED_COLUMNS}
    FROM installments AS i JOIN loans AS l ON l.loan_id = i.loan_id
   WHERE i.loan_id = ANY(ARRAY({_REVIEW})) AND l.loan_id = ANY(ARRAY({_REVIEW}))
     AND l.close_review AND l.status = 'active'
     AND i.state = 'open' AND i.overdue_from <= :day AND {_TO_REPORT}
), per_loan AS MATERIALIZED (
  SELECT loan_id, min(effective_due) AS since, max(cumulative_due) AS cumulative,
         min(number) AS first, max(number) AS last,
         any_value(bucket) AS bucket, any_value(delinquent_since) AS delinquent_since,
         any_value(review) AS review,
         any_value(currency) AS currency, any_value(minor_digits) AS minor_digits,
         any_value(outstanding_principal) AS outstanding_principal,
         any_value(paid_to_schedule) AS paid_to_schedule, any_value(loan_row) AS loan_row
    FROM missed GROUP BY loan_id
), watched AS (
  SELECT l.loan_id, l.ctid AS loan_row, l.bucket AS previous, l.currency, l.minor_digits,
         l.outstanding_principal, l.paid_to_schedule,
         LEAST(l.delinquent_since, m.since) AS since, l.delinquent_since AS previous_since,
         GREATEST(l.missed_cumulative_due, m.cumulative) AS cumulative,
         LEAST(l.missed_from, m.first) AS first, GREATEST(l.missed_through, m.last) AS last,
         m.loan_id IS NOT NULL AS newly_missed, l.close_review AS review
    FROM loans AS l LEFT JOIN per_loan AS m ON m.loan_id = l.loan_id
   WHERE l.loan_id = ANY(ARRAY(
           SELECT x.loan_id FROM installments AS x
            WHERE x.state = 'open' AND x.close_partition = ANY(CAST(:parts AS smallint[]))
              AND x.effective_due = ANY(CAST(:crossing_days AS date[]))
           UNION {_REVIEW}
           UNION
           SELECT p.loan_id FROM per_loan AS p
            WHERE p.delinquent_since IS NOT NULL OR p.bucket <> 'current'))
     AND l.status = 'active'
     AND (l.delinquent_since IS NOT NULL OR l.bucket <> 'current' OR l.close_review
          OR m.loan_id IS NOT NULL)
  UNION ALL
  SELECT m.loan_id, m.loan_row, m.bucket, m.currency, m.minor_digits, m.outstanding_principal,
         m.paid_to_schedule, m.since, CAST(NULL AS date), m.cumulative, m.first, m.last, true,
         false
    FROM per_loan AS m
   WHERE m.delinquent_since IS NULL AND m.bucket = 'current' AND NOT m.review
), rated AS (
  SELECT w.*, COALESCE(CAST(:day AS date) - w.since, 0) AS dpd,
         CASE WHEN w.since IS NULL THEN 0
              ELSE GREATEST(w.cumulative - w.paid_to_schedule, 0) END AS overdue
    FROM watched AS w
), moved AS (
  SELECT r.*, (CAST(:codes AS text[]))[width_bucket(r.dpd, CAST(:lower_bounds AS int[]))]
              AS bucket
    FROM rated AS r
), changed AS (
  UPDATE loans AS l
     SET delinquent_since = m.since, missed_cumulative_due = m.cumulative,
         missed_from = m.first, missed_through = m.last, bucket = m.bucket,
         bucket_dpd = CASE WHEN m.bucket <> m.previous THEN m.dpd ELSE l.bucket_dpd END,
         bucket_as_of = CASE WHEN m.bucket <> m.previous THEN :day ELSE l.bucket_as_of END,
         close_review = false
    FROM moved AS m
   WHERE l.loan_id = m.loan_id AND (m.bucket <> m.previous OR m.newly_missed OR m.review)
     AND l.ctid = ANY(ARRAY(SELECT loan_row FROM moved
                             WHERE bucket <> previous OR newly_missed OR review))
  RETURNING m.*
), events AS (
  SELECT m.loan_id, 0 AS kind, m.number, m.currency, m.minor_digits, m.due_date,
         m.effective_due, m.total, m.unpaid, NULL AS previous, NULL AS bucket,
         NULL AS dpd, NULL AS overdue, NULL AS outstanding_principal, CAST(NULL AS date) AS since,
         {_event_id("'missed:' || m.loan_id || ':' || m.number")} AS event_id
    FROM missed AS m
  UNION ALL
  SELECT c.loan_id, 1, NULL, c.currency, c.minor_digits, NULL, NULL, NULL, NULL,
         c.previous, c.bucket, c.dpd, c.overdue, c.outstanding_principal, c.since,
         {_event_id("'bucket:' || c.loan_id")}
    FROM changed AS c
   WHERE c.bucket <> c.previous OR c.since IS DISTINCT FROM c.previous_since
  ORDER BY 1, 2, 3
), written AS (
  {INSERT_INTO_OUTBOX}
  SELECT '{topics.SERVICING}', e.loan_id, e.event_id, t.type,
         CASE e.kind WHEN 0 THEN {_payload("PaymentMissed", _PAYMENT_MISSED)}
                     ELSE {_payload("DelinquencyChanged", _DELINQUENCY_CHANGED)} END,
         CASE e.kind WHEN 0 THEN {_headers("PaymentMissed")}
                     ELSE {_headers("DelinquencyChanged")} END
    FROM events AS e,
         LATERAL (SELECT CASE e.kind WHEN 0 THEN 'PaymentMissed'
                                     ELSE 'DelinquencyChanged' END AS type) AS t
  RETURNING event_type
)
SELECT count(*) FILTER (WHERE event_type = 'PaymentMissed'),
       count(*) FILTER (WHERE event_type = 'DelinquencyChanged')
  FROM written
""")

BUCKET_BOUNDS = text("SELECT code, min_dpd FROM delinquency_buckets ORDER BY min_dpd")

_TO_REMIND = ("{i}.state = 'open' AND {i}.reminded_on IS NULL AND {i}.remind_from IS NOT NULL "
              "AND {i}.close_partition = ANY(CAST(:parts AS smallint[])) "
              "AND {i}.remind_from <= :day AND {i}.due_date > :day")

# 3. Reminders: open installments whose window (due date minus the frequency's reminder
#    days) has opened and that are not yet due, once each.
DUE_SOON = text(f"""
WITH due AS (
  UPDATE installments AS i SET reminded_on = :day
    FROM loans AS l
   WHERE {_TO_REMIND.format(i="i")}
     AND l.loan_id = i.loan_id AND l.status = 'active'
     AND l.loan_id = ANY(ARRAY(SELECT o.loan_id FROM installments AS o
                                WHERE {_TO_REMIND.format(i="o")}))
  RETURNING i.loan_id, i.number, i.due_date,
            LEAST(i.total, i.cumulative_due - l.paid_to_schedule) AS unpaid,
            l.currency, l.minor_digits
), events AS MATERIALIZED (
  SELECT d.*, {_event_id("d.loan_id || ':' || d.number")} AS event_id FROM due AS d
)
{_envelope("InstallmentDueSoon", [
    ("loan_id", _j("e.loan_id")), ("installment_number", _n("e.number")),
    ("due_date", _s(_date("e.due_date"))), ("currency", _s("e.currency")),
    ("amount_due", _s(_amount("e.unpaid"))),
    ("days_until_due", _n("e.due_date - CAST(:day AS date)"))])}
""")

# 4. Loans whose final due date has passed, once each.
MATURED = text(f"""
WITH matured AS (
  UPDATE loans AS l SET matured_on = :day
   WHERE l.status = 'active' AND l.matured_on IS NULL
     AND l.close_partition = ANY(CAST(:parts AS smallint[]))
     AND l.maturity_date < :day
  RETURNING l.loan_id, l.maturity_date, l.currency, l.minor_digits,
            l.outstanding_principal AS p, l.outstanding_interest AS i,
            l.outstanding_fees AS f, l.outstanding_penalties AS n,
            (l.paid_to_schedule >= l.schedule_total AND l.outstanding_principal
             + l.outstanding_interest + l.outstanding_fees + l.outstanding_penalties = 0)
            AS fully_repaid
), events AS MATERIALIZED (
  SELECT m.*, {_event_id("m.loan_id")} AS event_id FROM matured AS m
)
{_envelope("LoanMatured", [
    ("loan_id", _j("e.loan_id")), ("maturity_date", _s(_date("e.maturity_date"))),
    ("as_of", _s("CAST(:day_text AS text)")), ("currency", _s("e.currency")),
    ("outstanding", _object([
        ("principal", _s(_amount("e.p"))), ("interest", _s(_amount("e.i"))),
        ("fees", _s(_amount("e.f"))), ("penalties", _s(_amount("e.n"))),
        ("total", _s(_amount("e.p + e.i + e.f + e.n")))])),
    ("fully_repaid", _n("e.fully_repaid"))])}
""")


@dataclass(frozen=True)
class DayCloseCounts:
    payments_missed: int = 0
    delinquency_changes: int = 0
    reminders: int = 0
    matured: int = 0

    def __add__(self, other: DayCloseCounts) -> DayCloseCounts:
        return DayCloseCounts(self.payments_missed + other.payments_missed,
                              self.delinquency_changes + other.delinquency_changes,
                              self.reminders + other.reminders, self.matured + other.matured)

    def as_dict(self) -> dict[str, int]:
        return {"payments_missed": self.payments_missed,
                "delinquency_changes": self.delinquency_changes,
                "reminders": self.reminders, "matured": self.matured}


async def installments_estimate(session: AsyncSession) -> int:
    """The planner's row count of the installments table (0 before its first ANALYZE)."""
    return int(await session.scalar(text(
        "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'installments'::regclass"))
        or 0)


def crossing_days(day: date, previous: date | None, lower_bounds: list[int]) -> list[date]:
    """The dates on which a loan's oldest missed installment fell due if its days past due
    cross a bucket's lower bound b between the previous closed day and ``day``: those in
    (previous - b, day - b]. None for b <= 1: a loan reported missed by an earlier close
    was already at least 1 day past due then (grace + 1), and a loan missed today is rated
    anyway. None before the first close, which reports every miss anew."""
    if previous is None:
        return []
    span = (day - previous).days
    return [day - timedelta(days=b + k) for b in lower_bounds if b > 1 for k in range(span)]


# The slices this transaction closed are closed for the day (a projection write of one of
# their loans, waiting on the slice's lock, then rates it as of this day).
SLICES_CLOSED = text("""
INSERT INTO slice_closes (calendar_id, close_partition, business_date)
SELECT :calendar_id, p, :day FROM unnest(CAST(:parts AS smallint[])) AS p
ON CONFLICT (calendar_id, close_partition) DO UPDATE SET business_date = excluded.business_date
 WHERE slice_closes.business_date < excluded.business_date
""")


async def close_slices(session: AsyncSession, day: date, parts: list[int], *, run: str,
                       previous: date | None, source: str, now: datetime,
                       correlation_id: str, traceparent: str,
                       calendar_id: str = "main") -> DayCloseCounts:
    """Runs the three statements for ``day`` over slices ``parts`` in the caller's
    transaction. ``previous``: the last closed day before ``day`` (None before the first
    close); everything that fell overdue by then was met by its closes. ``run`` is unique
    per close run: with the row's identity it makes each event id."""
    params: dict[str, object] = {
        "day": day, "day_text": day.isoformat(), "parts": parts,
        "since": previous or date.min,
        **header_params(traceparent),
        "head": envelope_head(source=source, now=now.isoformat(),
                              correlation_id=correlation_id, traceparent=traceparent,
                              day=day.isoformat())}
    # Sorting a transaction's events by loan must not spill to disk; local to this transaction.
    await session.execute(text("SET LOCAL work_mem = '256MB'"))
    await session.execute(text("SET LOCAL DateStyle = 'ISO, YMD'"))
    # Both sides of every join are a slice's rows; the planner underestimates the loans
    # found by ``= ANY(ARRAY(...))`` and would nest loops over them (quadratic).
    await session.execute(text("SET LOCAL enable_nestloop = off"))
    bounds = (await session.execute(BUCKET_BOUNDS)).all()
    lower_bounds = [b.min_dpd for b in bounds]
    params.update(codes=[b.code for b in bounds], lower_bounds=lower_bounds,
                  crossing_days=crossing_days(day, previous, lower_bounds))
    missed, changed = (await session.execute(
        MISSED_AND_BUCKETS, {**params, "run_id": f"{run}:"})).one()
    counts = []
    for step, statement in (("due", DUE_SOON), ("matured", MATURED)):
        result = await session.execute(statement, {**params, "run_id": f"{run}:{step}:"})
        counts.append(int(result.rowcount))  # type: ignore[attr-defined]
    reminders, matured = counts
    await session.execute(SLICES_CLOSED, {"calendar_id": calendar_id, "parts": parts,
                                          "day": day})
    return DayCloseCounts(int(missed), int(changed), reminders, matured)
