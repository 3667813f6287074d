"""The portfolio report as one self-contained HTML page: tables and inline SVG charts, no
script, no external asset (it can be mailed or archived as is)."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

_COLOURS = {"par1": "#f2b134", "par30": "#e0702e", "par90": "#b3261e"}
_BUCKET_COLOURS = ("#3a7d44", "#f2b134", "#e0902e", "#e0702e", "#c0392b", "#7b1e1e")
_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:right}th{background:#f4f4f4}td.k,th.k{text-align:left}h2{margin-top:1.6em}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}"""


def _pct(ratio: str) -> str:
    return f"{Decimal(ratio) * 100:.2f}%"


def _par_chart(rows: list[dict[str, Any]]) -> str:
    """Horizontal bars: PAR1, PAR30, PAR90 as a share of the segment's balance."""
    bar, gap, label_w, width = 10, 8, 220, 420
    height = len(rows) * (3 * bar + gap) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + width + 70}" '
             f'height="{height}" role="img" aria-label="PAR by segment">']
    for i, row in enumerate(rows):
        y = 5 + i * (3 * bar + gap)
        label = escape(f"{row['dimension']} {row['key']} ({row['currency']})")
        parts.append(f'<text x="0" y="{y + 2 * bar}" font-size="12">{label}</text>')
        for j, key in enumerate(("par1", "par30", "par90")):
            ratio = Decimal(row[f"{key}_ratio"])
            w = float(ratio) * width
            parts.append(f'<rect x="{label_w}" y="{y + j * bar}" width="{w:.1f}" '
                         f'height="{bar - 1}" fill="{_COLOURS[key]}"/>')
            parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + j * bar + bar - 2}" '
                         f'font-size="10">{_pct(row[f"{key}_ratio"])}</text>')
    parts.append("</svg>")
    legend = "".join(f'<span style="background:{c}"></span>{k.upper()}'
                     for k, c in _COLOURS.items())
    return f'<div class="legend">{legend}</div>' + "".join(parts)


def _bucket_chart(row: dict[str, Any]) -> str:
    """One stacked bar: the balance in each delinquency bucket."""
    width, total = 640, sum(Decimal(v) for v in row["buckets"].values())
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="44" '
             f'role="img" aria-label="balance by bucket">']
    x = 0.0
    for colour, (bucket, amount) in zip(_BUCKET_COLOURS, row["buckets"].items(), strict=False):
        w = float(Decimal(amount) / total) * width if total else 0.0
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="24" fill="{colour}">'
                     f'<title>{escape(bucket)}: {escape(amount)}</title></rect>')
        x += w
    parts.append("</svg>")
    legend = "".join(f'<span style="background:{c}"></span>{escape(b)} {escape(a)}'
                     for c, (b, a) in zip(_BUCKET_COLOURS, row["buckets"].items(),
                                          strict=False))
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def _roll_table(rolls: dict[str, dict[str, str]]) -> str:
    targets = sorted({t for row in rolls.values() for t in row})
    head = "".join(f"<th>{escape(t)}</th>" for t in targets)
    body = []
    for source, row in rolls.items():
        cells = []
        for t in targets:
            ratio = Decimal(row.get(t, "0"))
            shade = int(255 - float(ratio) * 155)
            cells.append(f'<td style="background:rgb(255,{shade},{shade})">'
                         f"{_pct(str(ratio))}</td>")
        body.append(f'<tr><th class="k">{escape(source)}</th>{"".join(cells)}</tr>')
    return (f'<table><tr><th class="k">from \\ to</th>{head}</tr>{"".join(body)}</table>'
            if rolls else "<p>No snapshot at the start of the period.</p>")


def render(report: dict[str, Any]) -> str:
    segments = report["segments"]
    columns = ("loans", "outstanding", "par1_ratio", "par30_ratio", "par90_ratio",
               "recoveries", "write_offs", "cure_rate")
    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in columns)
    rows = []
    for s in segments:
        cells = "".join(
            f"<td>{_pct(s[c]) if c.endswith(('ratio', 'rate')) else escape(str(s[c]))}</td>"
            for c in columns)
        rows.append(f'<tr><td class="k">{escape(s["dimension"])}</td>'
                    f'<td class="k">{escape(s["key"])}</td><td class="k">'
                    f'{escape(s["currency"])}</td>{cells}</tr>')
    totals = [s for s in segments if s["dimension"] == "total"]
    title = f"Portfolio as of {escape(report['as_of'])}"
    return "".join([
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>",
        f"<style>{_CSS}</style></head><body><h1>{title}</h1>",
        f"<p>Snapshot of the close of {escape(str(report['snapshot_date']))}; roll rates, "
        f"cures, recoveries and write-offs since {escape(str(report['period_start']))} "
        f"({report['period_days']} days).</p>",
        "<h2>Portfolio at risk</h2>", _par_chart(segments) if segments else "<p>No loans.</p>",
        f'<table><tr><th class="k">by</th><th class="k">segment</th><th class="k">currency'
        f"</th>{head}</tr>{''.join(rows)}</table>",
        *[f"<h2>Balance by bucket ({escape(t['currency'])})</h2>{_bucket_chart(t)}"
          f"<h2>Roll rates ({escape(t['currency'])}, share of loans)</h2>"
          f"{_roll_table(t['roll_rates'])}" for t in totals],
        "</body></html>"])
