"""Quality and compliance checks: text rules with context, catalog consistency, images, video.

Call these from the generation flows and the CLI; every function returns `QCResult`s (see
`tasks.models`) and `verdict(findings)` folds them into block / warn / pass. What a block leads to
(regenerate, review, drop) is `tasks.qc.policy.decide`.
"""

from __future__ import annotations

import re
from typing import Any

from tasks.models import ContentSpec, Product, QCResult
from tasks.qc import ad_law_en, ad_law_zh, claims, consistency, injection, marketplace, pii, policy
from tasks.qc.rules import TextContext, dedupe, verdict

__all__ = [
    "check_copy_asset",
    "check_copy_assets",
    "check_image",
    "check_text",
    "check_video",
    "verdict",
]

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_DEFAULT_QC: Any = None


def _default_qc() -> Any:
    global _DEFAULT_QC
    if _DEFAULT_QC is None:
        from tasks.settings import QCSettings

        _DEFAULT_QC = QCSettings()
    return _DEFAULT_QC


def check_text(
    text: str,
    lang: str,
    product: Product | None = None,
    *,
    spec: ContentSpec | None = None,
    field: str = "text",
    qc: Any = None,
) -> list[QCResult]:
    """Every text rule over one piece of copy; `qc` is `settings.qc` (defaults when omitted).

    `field` names where the text sits (`title`, `variants[0].headline` ...): title rules (promo
    phrases, !!!, capitals) only block in titles and headlines.
    """
    qc = qc or _default_qc()
    brand = product.brand if product is not None else None
    banned, allowed = policy.term_lists(spec, qc, brand)
    if brand:
        allowed.append(brand)
    ctx = TextContext(
        text=text,
        lang=lang,
        field=field,
        product=product,
        allowed_spans=policy.find_spans(text, allowed),
        extra_brands=tuple(qc.known_brands),
    )
    # Specific rules first: when a public ad-law list also carries a claims term (国家免检, 根治),
    # dedupe keeps the first of two equal findings, so the reviewer sees the specific reason.
    findings: list[QCResult] = claims.check(text, ctx)
    if lang == "zh" or _CJK.search(text):
        findings += ad_law_zh.check(text, ctx, qc.terms_file)
    if lang == "en" or _LATIN_WORD.search(text):
        findings += ad_law_en.check(text, ctx)
    for mod in (marketplace, injection, pii, consistency):
        findings += mod.check(text, ctx)
    findings += policy.check_banned(text, banned, ctx)
    return dedupe(findings)


_SKIP_KEYS = {
    "id",
    "sku",
    "key",
    "language",
    "lang",
    "channel",
    "kind",
    "content_type",
    "model_id",
    "prompt_version",
    "backend",
    "checksum",
    "created_at",
    "url",
    "image",
    "images",
    "seed",
    "params",
    "timings",
    "qc",
    "state",
    "product_hash",
    "fingerprint",
    "segment",
    "audience",
    "cta_url",
    "link",
    "format",
    "tone",
}


def iter_text_fields(payload: Any, path: str = "") -> list[tuple[str, str]]:
    """(field path, text) for every human-readable string in a copy asset, e.g. `variants[1].headline`."""
    out: list[tuple[str, str]] = []
    if isinstance(payload, dict):
        for k, v in payload.items():
            if str(k) in _SKIP_KEYS:
                continue
            out += iter_text_fields(v, f"{path}.{k}" if path else str(k))
    elif isinstance(payload, list):
        for i, v in enumerate(payload):
            out += iter_text_fields(v, f"{path}[{i}]")
    elif isinstance(payload, str) and payload.strip():
        out.append((path, payload))
    return out


def check_copy_asset(
    payload: dict[str, Any],
    product: Product | None,
    spec: ContentSpec | None = None,
    *,
    qc: Any = None,
    gx: bool = True,
) -> list[QCResult]:
    """Text rules on every field of one copy asset plus its great-expectations suite (one batch).

    GX's own result JSON is kept beside our findings as one `info` result (`gx.suite`), so it is
    stored with the asset's QC results without changing the verdict.
    """
    report = check_copy_assets([payload], [product], spec, qc=qc, gx=gx)
    findings = report.findings[0]
    for channel, result in report.gx_results.items():
        stats = result.get("statistics") or {}
        findings.append(
            QCResult(
                check="gx.suite",
                severity="info",
                message=f"great-expectations suite for {channel}: {stats.get('successful_expectations')}"
                f"/{stats.get('evaluated_expectations')} expectations met",
                evidence={"group": "gx", "channel": channel, "gx_result": result},
            )
        )
    return findings


def check_copy_assets(
    payloads: list[dict[str, Any]],
    products: list[Product | None],
    spec: ContentSpec | None = None,
    *,
    qc: Any = None,
    gx: bool = True,
):  # -> tasks.qc.gx_copy.CopyBatchReport
    """A batch of copy assets: text rules per field, then one GX suite run per channel for the batch.

    Returns a `CopyBatchReport` with `findings[i]` for `payloads[i]` and `gx_results` (GX's own
    result JSON, per channel), which callers store beside the QC results.
    """
    from tasks.qc.gx_copy import CopyBatchReport, run_copy_suites

    spec = spec or ContentSpec()
    all_findings: list[list[QCResult]] = []
    for payload, product in zip(payloads, products, strict=True):
        lang = str(payload.get("language") or payload.get("lang") or (product.language if product else "en"))
        found: list[QCResult] = []
        # Stored assets wrap the copy in `content` (plus a flattened `text` copy we must not check twice).
        content = payload["content"] if isinstance(payload.get("content"), dict) else payload
        for path, text in iter_text_fields(content):
            for f in check_text(text, lang, product, spec=spec, field=path, qc=qc):
                f.evidence["field"] = path
                found.append(f)
        all_findings.append(found)
    gx_results: dict[str, Any] = {}
    if gx:
        gx_findings, gx_results = run_copy_suites(payloads, spec)
        for i, extra in enumerate(gx_findings):
            all_findings[i].extend(extra)
    return CopyBatchReport(findings=all_findings, gx_results=gx_results)


def check_image(data: bytes, meta: dict[str, Any]) -> list[QCResult]:
    """Decodability, size, aspect, weight, blankness, safe zones, product pixels, safety verdict."""
    from tasks.qc import images

    return images.check_image(data, meta)


def check_video(data: bytes, meta: dict[str, Any]) -> list[QCResult]:
    """Decodability, duration, fps, resolution, codec, long black or frozen stretches."""
    from tasks.qc import video

    return video.check_video(data, meta)
