"""Which products a run generates, which wait for review, and what gets published.

The ledger (tasks/ledger.py) is the memory between runs: unchanged products whose content is
approved, published or waiting for a decision are skipped without a model call or an upload;
rejected ones come back with the reviewer's reason as feedback for the next generation.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from tasks.ledger import ProductRecord, all_records, ledger_key, read_record
from tasks.models import Product
from tasks.settings import Settings
from tasks.storage import ArtifactStore


class Plan(BaseModel):
    generate: list[str] = Field(default_factory=list)
    feedback: dict[str, str] = Field(default_factory=dict)
    skipped_unchanged: int = 0
    deferred_by_limit: int = 0


def plan_generation(
    store: ArtifactStore, settings: Settings, *, day: str | None, limit: int | None, run_id: str
) -> Plan:
    from tasks.catalog import load_snapshot
    from tasks.pipeline import generation_fingerprint

    fingerprint = generation_fingerprint(settings)
    existing = set(store.list("state/products/"))
    plan = Plan()
    for p in load_snapshot(store, day):
        rec = read_record(store, p.sku) if ledger_key(p.sku) in existing else None
        if rec is not None and not rec.needs_generation(p.content_hash, fingerprint):
            plan.skipped_unchanged += 1
            continue
        if limit is not None and len(plan.generate) >= limit:
            plan.deferred_by_limit += 1
            continue
        plan.generate.append(p.sku)
        if rec is not None and rec.status == "rejected" and rec.rejection_reasons:
            plan.feedback[p.sku] = f"A reviewer rejected the previous version: {rec.rejection_reasons[-1]}"
    return plan


def review_set(store: ArtifactStore, day: str | None) -> tuple[list[ProductRecord], dict[str, Product]]:
    """Everything in the current catalog that waits for a human decision."""
    from tasks.catalog import load_snapshot

    products = {p.sku: p for p in load_snapshot(store, day)}
    records = [
        r for r in all_records(store) if r.sku in products and r.status in ("pending_review", "qc_blocked")
    ]
    return sorted(records, key=lambda r: r.sku), products


def load_recommendations(store: ArtifactStore, day: str | None) -> dict[str, list[str]]:
    """sku → recommended SKUs from the latest similar-products table, when one exists."""
    import io

    keys = sorted(k for k in store.list("recommendations/") if k.endswith("/similar.parquet"))
    if not keys:
        return {}
    import pandas as pd

    df = pd.read_parquet(io.BytesIO(store.get_bytes(keys[-1])))
    if not {"sku", "rec_sku"} <= set(df.columns):
        return {}
    if "rank" in df.columns:
        df = df.sort_values(["sku", "rank"])
    out: dict[str, list[str]] = {}
    for sku, rec in zip(df["sku"], df["rec_sku"], strict=False):
        out.setdefault(str(sku), []).append(str(rec))
    return out


def publish_approved(store: ArtifactStore, settings: Settings, day: str | None) -> dict[str, Any]:
    from tasks.catalog import load_snapshot
    from tasks.publish import publish_record, write_feeds

    products = {p.sku: p for p in load_snapshot(store, day)}
    records = [r for r in all_records(store) if r.sku in products]
    published = 0
    for rec in records:
        if rec.status == "approved":
            publish_record(store, rec)
            published += 1
    feeds = write_feeds(
        store,
        [r for r in records if r.status == "published"],
        products,
        base_url=settings.flow.public_base_url,
        recommendations=load_recommendations(store, day),
    )
    pending = sum(r.status in ("pending_review", "qc_blocked") for r in records)
    return {
        "published": published,
        "feeds": {k: store.uri_for(v) for k, v in feeds.items()},
        "pending_review": pending,
    }
