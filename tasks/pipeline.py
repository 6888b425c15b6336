"""One generation batch as a plain function: copy + creatives + checks, regenerate on block.

The daily flow (and, in deployment mode, each GPU worker) calls `run_batch` with the SKUs of one
batch and the key of the catalog snapshot; everything it makes goes to the store and the ledger,
and it returns only small per-product summaries. A product that fails is recorded with its reason
and the batch goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tasks.ledger import ProductRecord, read_record, write_record
from tasks.models import Asset, AssetKind, Product, QCResult
from tasks.settings import Settings
from tasks.storage import ArtifactStore

_RANK = {"pass": 0, "warn": 1, "block": 2}


@dataclass
class BatchOutcome:
    """What one batch reports upward: small, JSON-able, no images or tables."""

    records: list[dict[str, Any]] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    backends: dict[str, str] = field(default_factory=dict)
    regenerated: int = 0
    gx_keys: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "stage_seconds": self.stage_seconds,
            "backends": self.backends,
            "regenerated": self.regenerated,
            "gx_keys": self.gx_keys,
        }


def generation_fingerprint(settings: Settings) -> str:
    """Everything in settings that shapes the output; a change regenerates approved content too."""
    from tasks.models import content_hash

    m = settings.models
    return content_hash(
        {
            "content": settings.content.model_dump(mode="json"),
            "text": m.text_model,
            "image": m.image_model,
            "video": m.video_model,
            "seed": m.seed,
        }
    )[:16]


def verdict_of(findings: list[QCResult]) -> str:
    worst = "pass"
    for f in findings:
        sev = "pass" if f.severity == "info" else f.severity
        if _RANK[sev] > _RANK[worst]:
            worst = sev
    return worst


def _timed(stage_seconds: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    try:
        return fn()
    finally:
        stage_seconds[name] = stage_seconds.get(name, 0.0) + time.perf_counter() - t0


class Generators:
    """The backends for one process, chosen from settings once and reused for every batch."""

    def __init__(self, settings: Settings) -> None:
        from aigc_models.text import get_text_generator
        from tasks.creatives.backends import make_generators

        self.text = get_text_generator(settings.models)
        self.image, self.video = make_generators(settings, want_video=bool(settings.content.video_formats))

    def describe(self) -> dict[str, str]:
        out = {"copy": self.text.describe(), "image": _describe(self.image)}
        if self.video is not None:
            out["video"] = _describe(self.video)
        return out


def _describe(gen: Any) -> str:
    model = getattr(gen, "model_id", None)
    return f"{gen.name} ({model})" if model else str(gen.name)


def check_assets(
    store: ArtifactStore, batch: list[tuple[Product, list[Asset]]], settings: Settings
) -> dict[str, Any]:
    """Check every asset of a batch and attach the findings; returns GX's own result JSON.

    Copy goes through the text rules per field and one great-expectations suite run per channel
    for the whole batch (GX costs ~0.1-0.3 s a run, so never once per asset).
    """
    from tasks import qc

    copy_items: list[tuple[Asset, Product, dict[str, Any]]] = []
    for product, assets in batch:
        for a in assets:
            try:
                if a.kind == AssetKind.COPY:
                    copy_items.append((a, product, store.get_json(a.key)))
                elif a.kind == AssetKind.IMAGE:
                    a.qc = qc.check_image(store.get_bytes(a.key), {**a.params, "format": a.content_type})
                elif a.kind == AssetKind.VIDEO:
                    a.qc = qc.check_video(store.get_bytes(a.key), {**a.params, "format": a.content_type})
            except Exception as exc:  # a broken checker must not pass an asset silently
                a.qc = [QCResult(check="qc_error", severity="block", message=f"check failed: {exc}")]
    if not copy_items:
        return {}
    try:
        report = qc.check_copy_assets(
            [c[2] for c in copy_items], [c[1] for c in copy_items], settings.content, qc=settings.qc
        )
    except Exception as exc:
        for a, _, _ in copy_items:
            a.qc = [QCResult(check="qc_error", severity="block", message=f"check failed: {exc}")]
        return {}
    for (a, _, _), findings in zip(copy_items, report.findings, strict=True):
        a.qc = findings
    return report.gx_results


def run_batch(
    products: list[Product],
    settings: Settings,
    store: ArtifactStore,
    *,
    run_id: str,
    feedback: dict[str, str] | None = None,
    generators: Generators | None = None,
    formats: list[str] | None = None,
    day: str | None = None,
) -> BatchOutcome:
    """Generate, check and regenerate-on-block one batch; write each product's ledger entry."""
    gens = generators or Generators(settings)
    out = BatchOutcome(backends=gens.describe())
    fingerprint = generation_fingerprint(settings)
    feedback = dict(feedback or {})
    pending = {p.sku: p for p in products}
    records: dict[str, ProductRecord] = {}
    attempts: dict[str, int] = {}
    while pending:
        batch = list(pending.values())
        for p in batch:
            attempts[p.sku] = attempts.get(p.sku, 0) + 1
        assets_by_sku, failures = _generate(
            batch, settings, store, gens, feedback, formats, out.stage_seconds
        )
        checkable = [(p, assets_by_sku.get(p.sku, [])) for p in batch if assets_by_sku.get(p.sku)]
        gx = _timed(
            out.stage_seconds, "checks", lambda checkable=checkable: check_assets(store, checkable, settings)
        )
        if gx and day:
            out.gx_keys.append(_store_gx(store, day, run_id, gx))
        regenerate: dict[str, Product] = {}
        for p in batch:
            assets = assets_by_sku.get(p.sku, [])
            base = {
                "sku": p.sku,
                "content_hash": p.content_hash,
                "fingerprint": fingerprint,
                "run_id": run_id,
                "attempts": attempts[p.sku],
            }
            if p.sku in failures and not assets:
                records[p.sku] = ProductRecord(
                    **base, status="failed", verdict="block", failures=[failures[p.sku]]
                )
                continue
            outcome, kept, notes, fb = _apply_policy(assets, attempts[p.sku] - 1, settings)
            if outcome == "regenerate":
                feedback[p.sku] = fb
                regenerate[p.sku] = p
                out.regenerated += 1
                continue
            if p.sku in failures:
                notes.insert(0, failures[p.sku])
            v = verdict_of([f for a in kept for f in a.qc])
            prev = read_record(store, p.sku)
            records[p.sku] = ProductRecord(
                **base,
                status="qc_blocked" if v == "block" else "pending_review",
                verdict=v,
                assets=kept,
                failures=notes,
                rejection_reasons=prev.rejection_reasons if prev else [],
            )
        pending = regenerate
    for rec in records.values():
        write_record(store, rec)
        out.records.append(rec.summary())
    return out


def _store_gx(store: ArtifactStore, day: str, run_id: str, gx: dict[str, Any]) -> str:
    """Keep great-expectations' own validation results beside the run (runs/{day}/{run}/gx/...)."""
    from tasks.keys import run_key
    from tasks.models import content_hash

    key = run_key(day, run_id, f"gx/copy-{content_hash(gx)[:12]}.json")
    store.put_json(key, gx)
    return key


def _apply_policy(
    assets: list[Asset], attempt: int, settings: Settings
) -> tuple[str, list[Asset], list[str], str]:
    """Per asset: regenerate (the whole product, with the findings as feedback), drop, or review."""
    from tasks.qc.policy import decide

    kept: list[Asset] = []
    notes: list[str] = []
    feedback: list[str] = []
    regenerate = False
    for a in assets:
        d = decide(a.qc, attempt, settings.qc)
        if d.outcome == "regenerate":
            regenerate = True
            feedback.append(d.feedback)
        if d.outcome == "drop":
            msgs = "; ".join(f.message for f in a.qc if f.severity == "block")
            notes.append(f"dropped {a.content_type} ({a.language or a.kind}): {msgs}")
            continue
        kept.append(a)
    if regenerate:
        return "regenerate", assets, notes, "\n".join(dict.fromkeys(feedback))
    return "review", kept, notes, ""


def _generate(
    products: list[Product],
    settings: Settings,
    store: ArtifactStore,
    gens: Generators,
    feedback: dict[str, str],
    formats: list[str] | None,
    stage_seconds: dict[str, float],
) -> tuple[dict[str, list[Asset]], dict[str, str]]:
    """Copy first (its headlines feed the creatives), then images and clips."""
    from tasks.copy import generate_copy
    from tasks.creatives.generate import generate_creatives

    assets: dict[str, list[Asset]] = {p.sku: [] for p in products}
    failures: dict[str, str] = {}
    m = settings.models
    copy = _timed(
        stage_seconds,
        "copy",
        lambda: generate_copy(
            products,
            settings.content,
            gens.text,
            store,
            feedback=feedback or None,
            max_retries=m.max_retries,
            seed=m.seed,
            max_new_tokens=m.max_new_tokens,
        ),
    )
    for sku, items in copy.assets_by_sku().items():
        assets.setdefault(sku, []).extend(items)
    failures.update(copy.failure_reasons())
    cs = settings.creatives
    creatives = _timed(
        stage_seconds,
        "creatives",
        lambda: generate_creatives(
            products,
            settings.content,
            store,
            image_gen=gens.image,
            video_gen=gens.video,
            formats=formats,
            headlines=copy.headlines(),
            seed=m.seed,
            cta=cs.cta,
            cta_zh=cs.cta_zh,
            max_image_pixels=cs.max_image_pixels,
        ),
    )
    for pc in creatives.products:
        assets.setdefault(pc.sku, []).extend(pc.assets)
        for key in pc.skipped:  # made by an earlier run with the same inputs: reuse its Asset record
            assets[pc.sku].append(Asset.model_validate(store.get_json(key + ".json")))
        problems = [f"{f.format}: {f.error}" for f in pc.failures]
        if pc.image_error:
            problems.insert(0, f"product image: {pc.image_error}")
        if problems:
            reason = "; ".join(problems)
            failures[pc.sku] = f"{failures[pc.sku]}; {reason}" if pc.sku in failures else reason
    return assets, failures
