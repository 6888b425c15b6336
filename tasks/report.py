"""The run report: a short summary a merchant can act on, with charts, as HTML and markdown.

Charts are inline SVG drawn here (no plotting dependency, no JavaScript), so the report opens
anywhere, including from an S3 presigned URL.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from tasks.ledger import ProductRecord


class RunSummary(BaseModel):
    run_id: str
    day: str
    products: int = 0
    generated: int = 0
    skipped_unchanged: int = 0
    qc_blocked: int = 0
    pending_review: int = 0
    approved: int = 0
    rejected: int = 0
    published: int = 0
    failed: int = 0
    quarantined: int = 0
    regenerated: int = 0
    backends: dict[str, str] = Field(default_factory=dict)
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    findings_per_rule: dict[str, int] = Field(default_factory=dict)
    failures: dict[str, str] = Field(default_factory=dict)
    report: str | None = None
    review: str | None = None
    feeds: dict[str, str] = Field(default_factory=dict)


def findings_per_rule(records: list[ProductRecord]) -> dict[str, int]:
    c: Counter[str] = Counter()
    for r in records:
        for a in r.assets:
            for f in a.qc:
                if f.severity in ("block", "warn"):
                    c[f"{f.check} ({f.severity})"] += 1
    return dict(c.most_common())


def svg_bar_chart(title: str, data: dict[str, float], unit: str = "", width: int = 560) -> str:
    """A horizontal bar chart; labels and values are escaped."""
    if not data:
        return f"<figure><figcaption>{html.escape(title)}</figcaption><p>none</p></figure>"
    row_h, label_w = 24, 210
    h = row_h * len(data) + 10
    top = max(data.values()) or 1
    rows = []
    for i, (label, value) in enumerate(data.items()):
        y = 5 + i * row_h
        bar = max(1.0, (width - label_w - 70) * value / top)
        shown = f"{value:.2f}" if isinstance(value, float) and not float(value).is_integer() else f"{value:g}"
        rows.append(
            f"<text x='{label_w - 6}' y='{y + 16}' text-anchor='end' font-size='12'>"
            f"{html.escape(str(label)[:34])}</text>"
            f"<rect x='{label_w}' y='{y + 3}' width='{bar:.1f}' height='{row_h - 8}' fill='#2563eb'/>"
            f"<text x='{label_w + bar + 4:.1f}' y='{y + 16}' font-size='12'>{shown}{html.escape(unit)}</text>"
        )
    return (
        f"<figure><figcaption>{html.escape(title)}</figcaption>"
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{h}' role='img'>"
        + "".join(rows)
        + "</svg></figure>"
    )


def next_steps(s: RunSummary) -> list[str]:
    steps = []
    if s.pending_review:
        steps.append(f"{s.pending_review} product(s) wait for review: `aigc review show {s.run_id}`")
    if s.qc_blocked:
        steps.append(f"{s.qc_blocked} product(s) were blocked by checks: see the findings in the review page")
    if s.failed:
        steps.append(f"{s.failed} product(s) failed to generate: see 'Failures' below")
    if s.quarantined:
        steps.append(f"{s.quarantined} catalog row(s) were quarantined: fix them in the catalog and rerun")
    if not steps:
        steps.append("nothing to do: everything generated was published")
    return steps


def render_report_html(s: RunSummary, records: list[ProductRecord]) -> str:
    states = Counter(r.status for r in records)
    states["skipped (unchanged)"] = s.skipped_unchanged
    counts = [
        ("products", s.products),
        ("generated", s.generated),
        ("skipped unchanged", s.skipped_unchanged),
        ("QC blocked", s.qc_blocked),
        ("pending review", s.pending_review),
        ("approved", s.approved),
        ("published", s.published),
        ("failed", s.failed),
        ("quarantined", s.quarantined),
    ]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Run report {html.escape(s.run_id)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:900px}"
        "td{padding:2px 10px}figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}</style>",
        f"</head><body><h1>Run report {html.escape(s.run_id)}</h1><p>{html.escape(s.day)}</p>",
        "<h2>What to do next</h2><ul>",
        *[f"<li>{html.escape(x)}</li>" for x in next_steps(s)],
        "</ul><h2>Counts</h2><table>",
        *[f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in counts],
        "</table>",
        "<p>Backends: " + html.escape(", ".join(f"{k}={v}" for k, v in s.backends.items())) + "</p>",
        svg_bar_chart("Products per state", dict(states)),
        svg_bar_chart("Findings per rule", s.findings_per_rule),
        svg_bar_chart("Time per stage", {k: round(v, 2) for k, v in s.stage_seconds.items()}, " s"),
    ]
    if s.failures:
        parts.append("<h2>Failures</h2><ul>")
        parts += [f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in s.failures.items()]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render_markdown(s: RunSummary, links: dict[str, Any] | None = None) -> str:
    lines = [
        f"# Content run {s.run_id}",
        "",
        "| products | generated | skipped | QC blocked | pending review | approved | published | failed |",
        "|---|---|---|---|---|---|---|---|",
        f"| {s.products} | {s.generated} | {s.skipped_unchanged} | {s.qc_blocked} | {s.pending_review} "
        f"| {s.approved} | {s.published} | {s.failed} |",
        "",
        "**Next:** " + "; ".join(next_steps(s)),
    ]
    for name, url in (links or {}).items():
        lines.append(f"- [{name}]({url})")
    return "\n".join(lines)
