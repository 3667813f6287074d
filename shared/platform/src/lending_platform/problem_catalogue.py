"""The catalogue of problem types: every code a service or simulator answers with, what it
means and what the client should do. ``problems.toml`` beside this file is the one source;
``docs/problems.md`` is generated from it (``make openapi``) and every service serves each
entry at ``GET /problems/<code>`` (problem_pages.py).

A problem document's ``type`` is the relative reference ``/problems/<code>``: RFC 9457 allows
a URI reference resolved against the request URL, so it leads to the page of the service
that answered, behind whatever host the partner called. Kept free of FastAPI and database
imports: the simulators use it too.
"""

from __future__ import annotations

import html
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROBLEM_JSON = "application/problem+json"
PROBLEM_PATH = "/problems/"
_SOURCE = Path(__file__).with_name("problems.toml")
_CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class ProblemKind:
    code: str
    title: str
    status: tuple[int, ...]
    sent_by: str
    when: str
    action: str
    example_detail: str | None = None

    @property
    def type(self) -> str:
        return problem_type(self.code)


def problem_type(code: str) -> str:
    return PROBLEM_PATH + code


@cache
def catalogue() -> dict[str, ProblemKind]:
    """Every problem kind by code, in the catalogue's order."""
    with _SOURCE.open("rb") as f:
        raw = tomllib.load(f)["problems"]
    kinds = [ProblemKind(code=p["code"], title=p["title"], status=tuple(p["status"]),
                         sent_by=p["sent_by"], when=" ".join(p["when"].split()),
                         action=" ".join(p["action"].split()),
                         example_detail=p.get("example_detail")) for p in raw]
    by_code = {k.code: k for k in kinds}
    if len(by_code) != len(kinds):
        raise ValueError(f"{_SOURCE.name}: a problem code appears twice")
    return by_code


def _statuses(kind: ProblemKind) -> str:
    return ", ".join(str(s) for s in kind.status)


def render_markdown() -> str:
    """docs/problems.md: one section per code, its anchor the code itself."""
    lines = [
        "# Problem types",
        "",
        "<!-- Generated from shared/platform/src/lending_platform/problems.toml by "
        "`make openapi`; edit that file, not this one. -->",
        "",
        "Every error a service answers is an RFC 9457 problem document "
        f"(`{PROBLEM_JSON}`) whose `type` is `/problems/<code>`. It is a URI reference: "
        "resolved against the URL you called (for example "
        "`https://partners.lending.example.com/problems/validation-error`), it opens the "
        "section below on the service that answered. Compare problems by `type` (or by its "
        "last segment, the code), never by `title` or `detail`.",
        "",
        "```json",
        '{"type": "/problems/validation-error", "title": "Validation failed", "status": 422,',
        ' "detail": "The request is invalid: requested, applicant.email",',
        ' "instance": "/v1/applications",',
        ' "errors": [{"field": "requested", "message": "Value error, amount: \'6000.5\' has 1 '
        'decimal places but CNY amounts need exactly 2"},',
        '            {"field": "applicant.email", "message": "String should match pattern ..."}]}',
        "```",
        "",
        "| code | status | sent by |",
        "|---|---|---|",
    ]
    kinds = list(catalogue().values())
    lines += [f"| [{k.code}](#{k.code}) | {_statuses(k)} | {k.sent_by} |" for k in kinds]
    for k in kinds:
        lines += ["", f"## {k.code}", "",
                  f"**{k.title}** · status {_statuses(k)} · sent by {k.sent_by}", "",
                  f"**When:** {k.when}", "", f"**What to do:** {k.action}"]
    return "\n".join(lines) + "\n"


def _inline(text: str) -> str:
    return _CODE.sub(r"<code>\1</code>", html.escape(text, quote=False))


_STYLE = ("body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;"
          "padding:0 1rem;color:#1d2330}code{background:#eef1f5;padding:0 .25em;"
          "border-radius:3px}h1{font-size:1.5rem}h2{margin-top:2rem}.meta{color:#5a6270}"
          "table{border-collapse:collapse}td,th{padding:.2rem .8rem;text-align:left;"
          "border-bottom:1px solid #dde2e8}")


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>")


def _section(kind: ProblemKind, heading: str) -> str:
    return (f'<section id="{kind.code}"><{heading}><code>{kind.code}</code></{heading}>'
            f'<p class="meta">{html.escape(kind.title)} · status {_statuses(kind)} · '
            f"sent by {html.escape(kind.sent_by)}</p>"
            f"<p><strong>When:</strong> {_inline(kind.when)}</p>"
            f"<p><strong>What to do:</strong> {_inline(kind.action)}</p></section>")


def render_kind_html(kind: ProblemKind) -> str:
    return _page(f"{kind.code}: problem type", _section(kind, "h1") + (
        '<p><a href="/problems">Every problem type</a> · problem details follow '
        '<a href="https://www.rfc-editor.org/rfc/rfc9457">RFC 9457</a></p>'))


def render_index_html() -> str:
    rows = "".join(f'<tr><td><a href="/problems/{k.code}"><code>{k.code}</code></a></td>'
                   f"<td>{_statuses(k)}</td><td>{html.escape(k.title)}</td>"
                   f"<td>{html.escape(k.sent_by)}</td></tr>" for k in catalogue().values())
    return _page("Problem types", "<h1>Problem types</h1><p>Every error is an RFC 9457 "
                 "problem document whose <code>type</code> is one of these.</p>"
                 "<table><tr><th>code</th><th>status</th><th>title</th><th>sent by</th></tr>"
                 f"{rows}</table>")
