"""The human-review handoff: a self-contained contact sheet, a manifest, and the decisions ledger.

The contact sheet (`review/{run_id}/index.html`) is one HTML file with thumbnails inlined as data
URIs, so a reviewer can open it from S3, a laptop or an e-mail attachment. Every catalog and
generated string goes through `html.escape` before it is placed, QC findings are highlighted on
their spans, and catalog facts sit beside the copy so a claim can be checked at a glance.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from tasks.errors import UserInputError
from tasks.keys import review_key
from tasks.ledger import ProductRecord, write_record
from tasks.models import AssetKind, Product, QCResult, ReviewDecision
from tasks.storage import ArtifactStore, safe_segment


class Rejection(BaseModel):
    sku: str
    reason: str = Field(min_length=3, description="why; fed into the next generation")


class ReviewRequest(BaseModel):
    """The typed review input: the same shape from the Prefect UI form and from `aigc review`."""

    reviewer: str = Field(min_length=1)
    approve_all_passed: bool = False
    approve: list[str] = Field(default_factory=list)
    reject: list[Rejection] = Field(default_factory=list)


def decisions_from_request(req: ReviewRequest, records: Iterable[ProductRecord]) -> list[ReviewDecision]:
    """Turn a request into per-SKU decisions; unknown SKUs are refused by name, not ignored."""
    by_sku = {r.sku: r for r in records}
    unknown = [s for s in [*req.approve, *(r.sku for r in req.reject)] if s not in by_sku]
    if unknown:
        raise UserInputError(
            f"unknown SKU(s) {unknown} for this review; pick from {sorted(by_sku)[:20]} "
            "(`aigc review show RUN` lists them)"
        )
    both = set(req.approve) & {r.sku for r in req.reject}
    if both:
        raise UserInputError(f"SKU(s) {sorted(both)} are both approved and rejected; choose one")
    decisions: dict[str, ReviewDecision] = {}
    if req.approve_all_passed:
        for rec in by_sku.values():
            if rec.status == "pending_review" and rec.verdict != "block":
                decisions[rec.sku] = _decision(rec, "approve", req.reviewer, None)
    for sku in req.approve:
        decisions[sku] = _decision(by_sku[sku], "approve", req.reviewer, None)
    for rej in req.reject:
        decisions[rej.sku] = _decision(by_sku[rej.sku], "reject", req.reviewer, rej.reason)
    return list(decisions.values())


def _decision(rec: ProductRecord, what: str, reviewer: str, reason: str | None) -> ReviewDecision:
    return ReviewDecision(
        sku=rec.sku,
        asset_keys=[a.key for a in rec.assets],
        decision=what,  # type: ignore[arg-type]
        reviewer=reviewer,
        reason=reason,
    )


def apply_decisions(
    store: ArtifactStore, run_id: str, decisions: list[ReviewDecision], records: list[ProductRecord]
) -> list[ProductRecord]:
    """Store each decision under review/{run_id}/decisions/ and move the ledger entries on."""
    by_sku = {r.sku: r for r in records}
    changed = []
    for d in decisions:
        store.put_json(
            review_key(run_id, "decisions", f"{safe_segment(d.sku)}.json"), d.model_dump(mode="json")
        )
        rec = by_sku[d.sku]
        rec.decision = d
        if d.decision == "approve":
            rec.status = "approved"
        elif d.decision == "reject":
            rec.status = "rejected"
            if d.reason:
                rec.rejection_reasons = [*rec.rejection_reasons, d.reason][-5:]
        write_record(store, rec)
        changed.append(rec)
    return changed


# ----------------------------------------------------------------------------- contact sheet

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#111;background:#fafafa}
h1{font-size:22px} .meta{color:#555;font-size:13px}
.product{background:#fff;border:1px solid #ddd;border-radius:8px;margin:18px 0;padding:16px}
.product h2{font-size:17px;margin:0 0 6px} .grid{display:grid;grid-template-columns:280px 1fr;gap:16px}
.facts td{padding:2px 8px 2px 0;font-size:13px;vertical-align:top} .facts td:first-child{color:#666}
.thumbs img{max-width:160px;max-height:160px;margin:4px;border:1px solid #eee}
.copy dt{font-weight:600;font-size:13px;margin-top:6px} .copy dd{margin:2px 0 4px 0;font-size:14px}
mark.block{background:#fecaca} mark.warn{background:#fef08a}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;color:#fff}
.badge.pass{background:#16a34a}.badge.warn{background:#ca8a04}.badge.block{background:#dc2626}
.findings li{font-size:13px} .sev-block{color:#b91c1c} .sev-warn{color:#a16207}
"""


def _thumb_data_uri(data: bytes, size: int = 320) -> str | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.thumbnail((size, size))
            buf = io.BytesIO()
            im.convert("RGB").save(buf, "JPEG", quality=80)
    except Exception:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def highlight(text: str, findings: Iterable[QCResult]) -> str:
    """Escape `text` and wrap each finding's span in <mark>, with the finding as its tooltip."""
    spans = sorted(
        {(f.span, f.severity, f.message) for f in findings if f.span and f.span in text},
        key=lambda s: -len(s[0]),
    )
    out = html.escape(text)
    for span, sev, msg in spans:
        esc = html.escape(span)
        out = out.replace(esc, f'<mark class="{sev}" title="{html.escape(msg)}">{esc}</mark>')
    return out


def _flatten(obj: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(obj, str):
        return [(path, obj)]
    if isinstance(obj, dict):
        return [kv for k, v in obj.items() for kv in _flatten(v, f"{path}.{k}" if path else str(k))]
    if isinstance(obj, list):
        return [kv for i, v in enumerate(obj) for kv in _flatten(v, f"{path}[{i}]")]
    return []


_SKIP_FIELDS = ("backend", "model_id", "prompt_version", "sku", "language", "content_type", "key", "seed")


def render_contact_sheet(
    run_id: str,
    records: list[ProductRecord],
    products: dict[str, Product],
    store: ArtifactStore,
    *,
    title: str = "Review",
) -> str:
    counts = {"pass": 0, "warn": 0, "block": 0}
    for r in records:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)} {html.escape(run_id)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}: run {html.escape(run_id)}</h1>",
        f"<p class='meta'>{len(records)} products · {counts['pass']} passed · {counts['warn']} with "
        f"warnings · {counts['block']} blocked · made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC</p>",
    ]
    for rec in sorted(records, key=lambda r: ({"block": 0, "warn": 1, "pass": 2}[r.verdict], r.sku)):
        p = products.get(rec.sku)
        parts.append(f"<section class='product' id='{html.escape(safe_segment(rec.sku))}'>")
        parts.append(
            f"<h2>{html.escape(p.title if p else rec.sku)} "
            f"<span class='badge {rec.verdict}'>{rec.verdict}</span></h2>"
            f"<div class='meta'>SKU {html.escape(rec.sku)} · status {html.escape(rec.status)}</div>"
        )
        parts.append("<div class='grid'><div>")
        if p:
            parts.append("<table class='facts'>")
            facts = [
                ("brand", p.brand),
                ("category", " › ".join(p.category)),
                ("price", f"{p.price} {p.currency or ''}" if p.price is not None else None),
                ("sale price", f"{p.sale_price} {p.currency or ''}" if p.sale_price is not None else None),
                *p.attributes.items(),
            ]
            for k, v in facts:
                if v:
                    parts.append(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>")
            parts.append("</table>")
        parts.append("<div class='thumbs'>")
        for a in rec.assets:
            if a.kind == AssetKind.IMAGE:
                try:
                    uri = _thumb_data_uri(store.get_bytes(a.key))
                except FileNotFoundError:
                    uri = None
                if uri:
                    parts.append(
                        f"<img src='{uri}' alt='{html.escape(a.content_type)}' title='{html.escape(a.content_type)}'>"
                    )
            elif a.kind == AssetKind.VIDEO:
                parts.append(
                    f"<div class='meta'>video: {html.escape(a.content_type)} ({html.escape(a.key)})</div>"
                )
        parts.append("</div></div><div class='copy'>")
        for a in rec.assets:
            if a.kind != AssetKind.COPY:
                continue
            try:
                payload = store.get_json(a.key)
            except FileNotFoundError:
                continue
            # the file name carries type, language, channel and segment: ad_copy.en.meta.json
            label = a.key.rsplit("/", 1)[-1].removesuffix(".json")
            parts.append(f"<h3>{html.escape(label)}</h3><dl>")
            body = payload.get("content", payload) if isinstance(payload, dict) else payload
            for path, text in _flatten(body):
                if path.split(".")[-1] in _SKIP_FIELDS:
                    continue
                parts.append(f"<dt>{html.escape(path)}</dt><dd>{highlight(text, a.qc)}</dd>")
            parts.append("</dl>")
        findings = [(a, f) for a in rec.assets for f in a.qc if f.severity in ("block", "warn")]
        if findings or rec.failures:
            parts.append("<ul class='findings'>")
            for a, f in findings:
                span = f" “{html.escape(f.span)}”" if f.span else ""
                parts.append(
                    f"<li class='sev-{f.severity}'>[{html.escape(f.severity)}] {html.escape(a.content_type)}:"
                    f" {html.escape(f.check)}: {html.escape(f.message)}{span}</li>"
                )
            for fail in rec.failures:
                parts.append(f"<li class='sev-block'>[failed] {html.escape(fail)}</li>")
            parts.append("</ul>")
        parts.append("</div></div></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_review_package(
    store: ArtifactStore, run_id: str, records: list[ProductRecord], products: dict[str, Product]
) -> dict[str, str]:
    """review/{run_id}/index.html + manifest.json; returns their keys."""
    page = render_contact_sheet(run_id, records, products, store)
    index = review_key(run_id, "index.html")
    store.put_bytes(index, page.encode("utf-8"), content_type="text/html; charset=utf-8")
    manifest = review_key(run_id, "manifest.json")
    store.put_json(
        manifest,
        {
            "run_id": run_id,
            "products": [
                {
                    "sku": r.sku,
                    "status": r.status,
                    "verdict": r.verdict,
                    "assets": [a.key for a in r.assets],
                    "findings": [
                        {"asset": a.key, **f.model_dump(include={"check", "severity", "message", "span"})}
                        for a in r.assets
                        for f in a.qc
                        if f.severity != "info"
                    ],
                    "failures": r.failures,
                }
                for r in records
            ],
        },
    )
    return {"index": index, "manifest": manifest}


def read_manifest(store: ArtifactStore, run_id: str) -> dict[str, Any]:
    try:
        return store.get_json(review_key(run_id, "manifest.json"))
    except FileNotFoundError:
        raise UserInputError(
            f"no review package for run {run_id!r} in {store.uri}; `aigc review list` shows the runs"
        ) from None
