"""The statement as a printable HTML page: server-rendered, every value escaped, no script."""

from __future__ import annotations

from html import escape

from lending_servicing.entrypoints.schemas import StatementPublic

KIND_LABELS = {"disbursement": "Disbursement", "payment": "Payment received",
               "reversal": "Payment reversed", "restructure": "Restructured",
               "write_off": "Written off"}

STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; margin: 2rem; color: #111; }
h1 { font-size: 1.4rem; margin-bottom: 0.2rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.summary td { border: none; padding: 0.1rem 0.5rem; }
@media print { body { margin: 0; } a { color: inherit; text-decoration: none; } }
"""


def _label(kind: str) -> str:
    if kind.startswith("fee:"):
        return f"Fee charged ({kind[4:].replace('_', ' ')})"
    if kind.startswith("closed:"):
        return f"Loan closed ({kind[7:].replace('_', ' ')})"
    return KIND_LABELS.get(kind, kind)


def render_statement(st: StatementPublic) -> str:
    e = escape
    cur = e(st.currency)
    lines = "".join(
        f"<tr><td>{line.date}</td><td>{e(_label(line.kind))}</td><td>{e(line.reference)}</td>"
        f"<td class=n>{e(line.amount)}</td><td class=n>{e(line.principal)}</td>"
        f"<td class=n>{e(line.interest)}</td><td class=n>{e(line.fees)}</td>"
        f"<td class=n>{e(line.penalties)}</td>"
        f"<td class=n>{e(line.principal_balance_after or '')}</td></tr>"
        for line in st.lines) or "<tr><td colspan=9>No movements in this period.</td></tr>"
    dues = "".join(
        f"<tr><td>{i.number}</td><td>{i.due_date}</td><td class=n>{e(i.total)}</td>"
        f"<td class=n>{e(i.paid)}</td><td class=n>{e(i.unpaid)}</td>"
        f"<td>{e(i.status.replace('_', ' '))}</td></tr>"
        for i in st.installments_due) or "<tr><td colspan=6>Nothing fell due.</td></tr>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Statement {e(st.loan_id)} {st.period_from} to {st.period_to}</title>
<style>{STYLE}</style></head>
<body>
<h1>Loan statement</h1>
<table class="summary">
<tr><td>Loan</td><td>{e(st.loan_id)}</td></tr>
<tr><td>Period</td><td>{st.period_from} to {st.period_to}</td></tr>
<tr><td>Opening principal balance</td><td>{cur} {e(st.opening_principal_balance)}</td></tr>
<tr><td>Paid in period</td><td>{cur} {e(st.paid_in_period)}</td></tr>
<tr><td>Closing principal balance</td><td>{cur} {e(st.closing_principal_balance)}</td></tr>
<tr><td>Days past due</td><td>{st.days_past_due} ({e(st.bucket)})</td></tr>
<tr><td>Overdue</td><td>{cur} {e(st.overdue_amount)}</td></tr>
</table>
<h2>Movements</h2>
<table><thead><tr><th>Date</th><th>Description</th><th>Reference</th><th class=n>Amount</th>
<th class=n>Principal</th><th class=n>Interest</th><th class=n>Fees</th>
<th class=n>Penalties</th><th class=n>Principal after</th></tr></thead>
<tbody>{lines}</tbody></table>
<h2>Installments due in the period</h2>
<table><thead><tr><th>#</th><th>Due</th><th class=n>Due amount</th><th class=n>Paid</th>
<th class=n>Unpaid</th><th>Status</th></tr></thead>
<tbody>{dues}</tbody></table>
</body></html>
"""
