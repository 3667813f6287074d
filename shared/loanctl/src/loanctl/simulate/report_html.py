"""The report page of a simulation, for a risk manager: one self-contained HTML file with
inline SVG charts (no script, no network), readable printed or on screen."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from typing import Any

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
ROLL_ORDER = ("current", "dpd_1_30", "dpd_31_60", "dpd_61_90", "dpd_91_180", "dpd_181_plus",
              "closed", "written_off")

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2.2rem;
border-bottom:1px solid #d8dde6;padding-bottom:.3rem}
.muted{color:#5b6475}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));
gap:.8rem;margin:1rem 0}.card{border:1px solid #d8dde6;border-radius:6px;padding:.6rem .8rem}
.card b{display:block;font-size:1.35rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #e6e9ef;padding:.3rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f6f9;font-weight:600}
.ok{color:#1a7f37;font-weight:600}.bad{color:#c62828;font-weight:700}
svg{background:#fff;border:1px solid #e6e9ef;border-radius:6px}
.legend span{display:inline-block;margin-right:1rem}.legend i{display:inline-block;width:12px;
height:3px;margin-right:4px;vertical-align:middle}
"""


def render(report: dict[str, Any]) -> str:
    s, months = report["summary"], report["months"]
    bad = report["violations_total"] or report["findings"]
    verdict = (f'<span class="bad">{report["violations_total"]} invariant violations, '
               f'{len(report["findings"])} unexpected answers</span>' if bad
               else '<span class="ok">every invariant held on every day</span>')
    plan = report["plan"]
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<title>Loan book simulation</title>", f"<style>{STYLE}</style></head><body>",
        "<h1>Loan book simulation</h1>",
        f'<p class=muted>{report["first_day"]} to {report["last_day"]} (business dates) · '
        f'seed {plan["seed"]} · {plan["loans"]} loans planned over {plan["months"]} months · '
        f'products {", ".join(plan["products"])} · run in {report["seconds"]} s</p>',
        f"<p>{verdict}</p>",
        '<div class="grid">',
        _card("applications", s["applications"]), _card("loans disbursed", s["loans_disbursed"]),
        _card("payments", s["payments"]), _card("paid in", s["paid_in"]),
        _card("payoff quotes paid", s["payoff_quotes_paid"]),
        _card("PAR30 at the end", _pct(months[-1]["par30"]) if months else "–"),
        "</div>",
        "<h2>Outstanding principal and portfolio at risk, by month</h2>",
        _line_chart([("outstanding", [Decimal(m["outstanding"]) for m in months])],
                    [m["month"] for m in months], money=True),
        _line_chart([("PAR1", [Decimal(m["par1"]) for m in months]),
                     ("PAR30", [Decimal(m["par30"]) for m in months]),
                     ("PAR90", [Decimal(m["par90"]) for m in months])],
                    [m["month"] for m in months], percent=True),
        _month_table(months),
        "<h2>Vintage curves: cumulative default by months on book</h2>",
        '<p class=muted>Share of each monthly cohort (by disbursement month) that reached '
        "90 days past due or was written off, by months since disbursement.</p>",
        _vintage_chart(report["vintages"]),
        "<h2>Roll rates by balance, month end to month end</h2>",
        _roll_table(report["roll_rates"]),
        "<h2>Cash in and out, by month</h2>",
        _bar_chart(months),
        "<h2>Collections work</h2>", _counts_table(s["collections"], "action or outcome"),
        "<h2>Where the applications ended</h2>", _counts_table(s["by_stage"], "stage"),
        "<h2>Invariants checked after every day close</h2>", _invariants(report["invariants"]),
    ]
    if report["violations"] or report["findings"]:
        parts.append("<h2>What went wrong</h2><ul>")
        parts += [f"<li>{escape(v)}</li>" for v in report["findings"][:100]]
        parts += [f"<li>{escape(v)}</li>" for v in report["violations"][:100]]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _card(label: str, value: object) -> str:
    return (f"<div class=card><span class=muted>{escape(label)}</span>"
            f"<b>{escape(str(value))}</b></div>")


def _pct(value: object) -> str:
    return f"{Decimal(str(value)) * 100:.2f} %"


def _line_chart(series: Sequence[tuple[str, Sequence[Decimal]]], labels: Sequence[str], *,
                money: bool = False, percent: bool = False, width: int = 1000,
                height: int = 260) -> str:
    if not labels:
        return "<p class=muted>No month ended during the run.</p>"
    pad_l, pad_b, pad_t = 80, 30, 15
    top = max((v for _, values in series for v in values), default=Decimal(0))
    top = top or Decimal(1)
    step = (width - pad_l - 20) / max(len(labels) - 1, 1)

    def y(v: Decimal) -> float:
        return pad_t + (height - pad_b - pad_t) * (1 - float(v / top))

    svg = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img">']
    for k in range(5):
        value = top * k / 4
        text = _pct(value) if percent else f"{value:,.0f}"
        svg.append(f'<line x1={pad_l} x2={width - 10} y1={y(value):.1f} y2={y(value):.1f} '
                   f'stroke="#eef0f4"/><text x={pad_l - 6} y={y(value) + 4:.1f} '
                   f'text-anchor=end font-size=11 fill="#5b6475">{text}</text>')
    for i, label in enumerate(labels):
        svg.append(f'<text x={pad_l + i * step:.1f} y={height - 10} text-anchor=middle '
                   f'font-size=11 fill="#5b6475">{escape(label)}</text>')
    for n, (name, values) in enumerate(series):
        color = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{pad_l + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
        svg.append(f'<polyline fill=none stroke="{color}" stroke-width=2.5 points="{points}"/>')
        for i, v in enumerate(values):
            svg.append(f'<circle cx={pad_l + i * step:.1f} cy={y(v):.1f} r=3 fill="{color}">'
                       f'<title>{escape(name)} {labels[i]}: '
                       f'{_pct(v) if percent else f"{v:,.2f}"}</title></circle>')
    svg.append("</svg>")
    legend = "".join(f'<span><i style="background:{PALETTE[n % len(PALETTE)]}"></i>'
                     f'{escape(name)}</span>' for n, (name, _) in enumerate(series))
    kind = " (CNY)" if money else ""
    return "".join(svg) + f'<div class="legend muted">{legend}{kind}</div>'


def _vintage_chart(vintages: dict[str, list[str]]) -> str:
    if not vintages:
        return "<p class=muted>No loan was disbursed.</p>"
    longest = max(len(curve) for curve in vintages.values())
    labels = [f"M{m}" for m in range(1, longest + 1)]
    series = [(cohort, [Decimal(v) for v in curve] + [Decimal(curve[-1]) if curve else
                                                     Decimal(0)] * (longest - len(curve)))
              for cohort, curve in vintages.items()]
    rows = "".join(f"<tr><td>{escape(c)}</td>" + "".join(f"<td>{_pct(v)}</td>" for v in curve)
                   + "</tr>" for c, curve in vintages.items())
    head = "<tr><th>cohort</th>" + "".join(f"<th>{m}</th>" for m in labels) + "</tr>"
    return _line_chart(series, labels, percent=True) + f"<table>{head}{rows}</table>"


def _roll_table(rolls: dict[str, dict[str, str]]) -> str:
    if not rolls:
        return "<p class=muted>Needs two month ends.</p>"
    head = "<tr><th>from \\ to</th>" + "".join(f"<th>{b}</th>" for b in ROLL_ORDER) + "</tr>"
    rows = []
    for start in ROLL_ORDER:
        if start not in rolls:
            continue
        cells = []
        for end in ROLL_ORDER:
            v = Decimal(rolls[start].get(end, "0"))
            shade = int(255 - 120 * float(v))
            cells.append(f'<td style="background:rgb({shade},{shade + (255 - shade) // 3},255)">'
                         f"{_pct(v) if v else ''}</td>")
        rows.append(f"<tr><td>{start}</td>{''.join(cells)}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _bar_chart(months: list[dict[str, Any]], width: int = 1000, height: int = 240) -> str:
    if not months:
        return "<p class=muted>No month ended during the run.</p>"
    top = max(max(Decimal(m["cash_in"]), Decimal(m["disbursed"])) for m in months) or Decimal(1)
    pad_l, pad_b = 80, 30
    slot = (width - pad_l - 20) / len(months)
    bar = slot * 0.35
    svg = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img">']
    for i, m in enumerate(months):
        x = pad_l + i * slot
        for n, (key, color) in enumerate((("disbursed", PALETTE[1]), ("cash_in", PALETTE[2]))):
            v = Decimal(m[key])
            h = (height - pad_b - 10) * float(v / top)
            svg.append(f'<rect x={x + n * bar + 4:.1f} y={height - pad_b - h:.1f} width='
                       f'{bar:.1f} height={h:.1f} fill="{color}"><title>{key} {m["month"]}: '
                       f"{v:,.2f}</title></rect>")
        svg.append(f'<text x={x + bar:.1f} y={height - 10} text-anchor=middle font-size=11 '
                   f'fill="#5b6475">{m["month"]}</text>')
    svg.append(f'<text x={pad_l - 6} y=20 text-anchor=end font-size=11 fill="#5b6475">'
               f"{top:,.0f}</text></svg>")
    legend = (f'<div class="legend muted"><span><i style="background:{PALETTE[1]}"></i>'
              f'cash out (disbursed principal)</span><span><i style="background:{PALETTE[2]}">'
              "</i>cash in (payments)</span></div>")
    return "".join(svg) + legend


def _month_table(months: list[dict[str, Any]]) -> str:
    head = ("<tr><th>month end</th><th>loans</th><th>outstanding</th><th>PAR1</th>"
            "<th>PAR30</th><th>PAR90</th><th>disbursed</th><th>cash in</th>"
            "<th>written off</th></tr>")
    rows = "".join(
        f"<tr><td>{m['day']}</td><td>{m['loans']}</td><td>{Decimal(m['outstanding']):,.2f}</td>"
        f"<td>{_pct(m['par1'])}</td><td>{_pct(m['par30'])}</td><td>{_pct(m['par90'])}</td>"
        f"<td>{Decimal(m['disbursed']):,.2f}</td><td>{Decimal(m['cash_in']):,.2f}</td>"
        f"<td>{Decimal(m['written_off']):,.2f}</td></tr>" for m in months)
    return f"<table>{head}{rows}</table>"


def _counts_table(counts: dict[str, int], label: str) -> str:
    if not counts:
        return "<p class=muted>None.</p>"
    rows = "".join(f"<tr><td>{escape(k.replace('_', ' '))}</td><td>{v}</td></tr>"
                   for k, v in counts.items())
    return f"<table><tr><th>{label}</th><th>count</th></tr>{rows}</table>"


def _invariants(invariants: dict[str, dict[str, Any]]) -> str:
    rows = []
    for row in invariants.values():
        state = ('<span class=ok>held</span>' if not row["violations"]
                 else f'<span class=bad>{row["violations"]} violations</span>')
        rows.append(f"<tr><td>{escape(row['description'])}</td><td>{row['checked']}</td>"
                    f"<td>{state}</td></tr>")
    return ("<table><tr><th>invariant</th><th>times checked</th><th>result</th></tr>"
            + "".join(rows) + "</table>")
