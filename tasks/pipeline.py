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
from tasks.models import Asset, AssetKind, ContentSpec, Product, QCResult
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "stage_seconds": self.stage_seconds,
            "backends": self.backends,
            "regenerated": self.regenerated,
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
        from aigc_models.image import get_image_generator
        from aigc_models.text import get_text_generator
        from aigc_models.video import get_video_generator

        self.text = get_text_generator(settings.models)
        self.image = get_image_generator(settings.models)
        self.video = get_video_generator(settings.models) if settings.content.video_formats else None

    def describe(self) -> dict[str, str]:
        out = {"copy": self.text.describe(), "image": _describe(self.image)}
        if self.video is not None:
            out["video"] = _describe(self.video)
        return out


def _describe(gen: Any) -> str:
    model = getattr(gen, "model_id", None)
    return f"{gen.name} ({model})" if model else str(gen.name)


def check_assets(
    store: ArtifactStore, product: Product, assets: list[Asset], spec: ContentSpec
) -> list[Asset]:
    """Run the right checks on each asset and attach the findings."""
    from tasks import qc

    for a in assets:
        try:
            if a.kind == AssetKind.COPY:
                a.qc = qc.check_copy_asset(store.get_json(a.key), product, spec)
            elif a.kind == AssetKind.IMAGE:
                a.qc = qc.check_image(store.get_bytes(a.key), {**a.params, "format": a.content_type})
            elif a.kind == AssetKind.VIDEO:
                a.qc = qc.check_video(store.get_bytes(a.key), {**a.params, "format": a.content_type})
        except Exception as exc:  # a broken checker must not pass an asset silently
            a.qc = [QCResult(check="qc_error", severity="block", message=f"check failed: {exc}")]
    return assets


def blocking_feedback(assets: list[Asset]) -> str:
    msgs = sorted(
        {
            f"{f.message}" + (f" ({f.span})" if f.span else "")
            for a in assets
            for f in a.qc
            if f.severity == "block"
        }
    )
    return "Fix these problems of the previous attempt: " + "; ".join(msgs[:8])


def run_batch(
    products: list[Product],
    settings: Settings,
    store: ArtifactStore,
    *,
    run_id: str,
    feedback: dict[str, str] | None = None,
    generators: Generators | None = None,
    formats: list[str] | None = None,
) -> BatchOutcome:
    """Generate, check and regenerate-on-block one batch; write each product's ledger entry."""
    gens = generators or Generators(settings)
    out = BatchOutcome(backends=gens.describe())
    spec = settings.content
    fingerprint = generation_fingerprint(settings)
    feedback = dict(feedback or {})
    pending = {p.sku: p for p in products}
    records: dict[str, ProductRecord] = {}
    attempts: dict[str, int] = {}
    max_tries = (
        1 + settings.qc.max_regenerations if hasattr(settings, "qc") else 1 + settings.flow.max_regenerations
    )
    while pending:
        batch = list(pending.values())
        for p in batch:
            attempts[p.sku] = attempts.get(p.sku, 0) + 1
        assets_by_sku, failures = _generate(
            batch, settings, store, gens, feedback, formats, out.stage_seconds
        )
        regenerate: dict[str, Product] = {}
        for p in batch:
            assets = assets_by_sku.get(p.sku, [])
            if p.sku in failures and not assets:
                records[p.sku] = ProductRecord(
                    sku=p.sku,
                    content_hash=p.content_hash,
                    fingerprint=fingerprint,
                    status="failed",
                    verdict="block",
                    failures=[failures[p.sku]],
                    run_id=run_id,
                    attempts=attempts[p.sku],
                )
                continue
            _timed(
                out.stage_seconds, "checks", lambda p=p, assets=assets: check_assets(store, p, assets, spec)
            )
            findings = [f for a in assets for f in a.qc]
            v = verdict_of(findings)
            if v == "block" and attempts[p.sku] < max_tries and _should_regenerate(settings, findings):
                feedback[p.sku] = blocking_feedback(assets)
                regenerate[p.sku] = p
                out.regenerated += 1
                continue
            prev = read_record(store, p.sku)
            records[p.sku] = ProductRecord(
                sku=p.sku,
                content_hash=p.content_hash,
                fingerprint=fingerprint,
                status="qc_blocked" if v == "block" else "pending_review",
                verdict=v,
                assets=assets,
                failures=[failures[p.sku]] if p.sku in failures else [],
                run_id=run_id,
                rejection_reasons=prev.rejection_reasons if prev else [],
                attempts=attempts[p.sku],
            )
        pending = regenerate
    for rec in records.values():
        write_record(store, rec)
        out.records.append(
            {
                "sku": rec.sku,
                "status": rec.status,
                "verdict": rec.verdict,
                "failures": rec.failures,
                "assets": len(rec.assets),
                "attempts": rec.attempts,
            }
        )
    return out


def _should_regenerate(settings: Settings, findings: list[QCResult]) -> bool:
    try:
        from tasks.qc.policy import action_for
    except ImportError:
        return True
    qc_settings = getattr(settings, "qc", None)
    return any(action_for(f, qc_settings) == "regenerate" for f in findings if f.severity == "block")


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
    copy = _timed(
        stage_seconds,
        "copy",
        lambda: generate_copy(products, settings.content, gens.text, store, feedback=feedback or None),
    )
    headlines: dict[str, str] = {}
    for sku, items in copy.assets_by_sku().items():
        assets[sku].extend(items)
    headlines = copy.headlines()
    failures.update(copy.failure_reasons())
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
            headlines=headlines,
        ),
    )
    for sku, items in creatives.assets_by_sku().items():
        assets[sku].extend(items)
    for sku, reason in creatives.failure_reasons().items():
        failures[sku] = f"{failures[sku]}; {reason}" if sku in failures else reason
    return assets, failures
