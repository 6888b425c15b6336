"""The recommendation stage end to end: embed (cached) -> similar -> complementary -> segments ->
copy -> outputs in the store. `recommend` is the plain function the flow, the CLI and tests call."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tasks.models import AudienceSegment, Product
from tasks.recommend import complementary as comp
from tasks.recommend.copy import check_pieces, write_pieces
from tasks.recommend.embed_cache import embed_products
from tasks.recommend.outputs import rec_key, write_copy, write_table
from tasks.recommend.segments import rank_segments
from tasks.recommend.similar import SimilarParams, similar_products
from tasks.storage import ArtifactStore

BLURB_ITEMS = 3


@dataclass
class RecommendSummary:
    """Small, JSON-able result of one run: counts and the keys of what was written."""

    day: str
    products: int
    embedder: str
    embed: dict[str, Any]
    similar_rows: int
    products_with_similar: int
    complementary_method: str
    complementary_rows: int
    segment_rows: int
    segments: list[str]
    events: dict[str, Any] | None = None
    copy: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def catalog_language(products: Sequence[Product]) -> str:
    """The catalog's main language (picks the embedder: MiniLM for English, TF-IDF otherwise)."""
    counts = Counter((p.language or "en").lower().split("-")[0] for p in products)
    return counts.most_common(1)[0][0] if counts else "en"


def _segments(settings: Any) -> list[AudienceSegment]:
    return list(settings.content.segments) or list(settings.recommend.default_segments)


def recommend(
    products: Sequence[Product],
    store: ArtifactStore,
    settings: Any,
    *,
    events: str | Path | None = None,
    day: date | str | None = None,
    embedder: Any = None,
) -> RecommendSummary:
    """Recommendations, segment picks and their copy for `products`, written under
    `recommendations/{day}/`. `events` is an interactions CSV/Parquet (path or s3://); without it,
    complementary products come from `settings.recommend.category_pairs`."""
    from aigc_models.embeddings import get_embedder

    cfg = settings.recommend
    day = str(day or datetime.now(UTC).date())
    products = list(products)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    lang = catalog_language(products)
    embedder = embedder or get_embedder(settings.models, lang)
    vectors, stats = embed_products(products, embedder, store)
    timings["embed"] = round(time.perf_counter() - t0, 3)

    t = time.perf_counter()
    params = SimilarParams(
        k=cfg.k,
        same_top_category=cfg.same_top_category,
        in_stock_only=cfg.in_stock_only,
        price_band=tuple(cfg.price_band) if cfg.price_band else None,
    )
    similar = similar_products(products, vectors, params)
    timings["similar"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    events_report = None
    if events:
        raw = comp.read_events(events)
        clean, rep = comp.clean_events(raw, products, cfg.basket_events, source=str(events))
        events_report = rep.as_dict()
        complementary = comp.co_occurrence(
            clean,
            products,
            k=cfg.complementary_k,
            min_support=cfg.min_support,
            min_llr=cfg.min_llr,
            in_stock_only=cfg.in_stock_only,
        )
        method = "co_occurrence"
    else:
        complementary = comp.category_rules(
            products, vectors, cfg.category_pairs, k=cfg.complementary_k, in_stock_only=cfg.in_stock_only
        )
        method = "category_rules"
    timings["complementary"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    segments = _segments(settings)
    seg_rows: list[dict] = []
    if segments and products:
        queries = embedder.embed([f"{s.name}. {s.description}" for s in segments])
        seg_rows = rank_segments(
            segments, products, vectors, queries, top_n=cfg.segment_top_n, in_stock_only=cfg.in_stock_only
        )
    timings["segments"] = round(time.perf_counter() - t, 3)

    keys = {
        "similar": write_table(store, day, "similar", similar),
        "complementary": write_table(store, day, "complementary", complementary),
        "segments": write_table(store, day, "segments", seg_rows),
    }

    copy_info: dict[str, Any] = {"written": 0}
    if cfg.write_copy and (similar or seg_rows):
        t = time.perf_counter()
        by_sku = {p.sku: p for p in products}
        recs: dict[str, list[Product]] = {}
        for r in similar:
            if r["rank"] <= BLURB_ITEMS:
                recs.setdefault(r["sku"], []).append(by_sku[r["rec_sku"]])
        jobs = [(sku, "also_like", by_sku[sku], items, by_sku[sku].language) for sku, items in recs.items()]
        for seg in segments:
            featured = [by_sku[r["sku"]] for r in seg_rows if r["segment"] == seg.name]
            if featured:
                jobs.append((f"segment:{seg.name}", "segment_campaign", seg, featured, lang))
        pieces = write_pieces(jobs, settings.models)
        qc_note = check_pieces(pieces, spec=settings.content)
        assets, index = write_copy(store, day, pieces)
        keys["copy_assets"] = index
        copy_info = {
            "written": len(assets),
            "backends": dict(Counter(p.backend for p in pieces)),
            "fallbacks": sum(1 for p in pieces if p.fallback),
            "qc": dict(Counter(p.qc_verdict or "unchecked" for p in pieces)),
        }
        if qc_note:
            copy_info["qc_note"] = qc_note
        timings["copy"] = round(time.perf_counter() - t, 3)

    timings["total"] = round(time.perf_counter() - t0, 3)
    summary = RecommendSummary(
        day=day,
        products=len(products),
        embedder=embedder.id,
        embed=stats.as_dict(),
        similar_rows=len(similar),
        products_with_similar=len({r["sku"] for r in similar}),
        complementary_method=method,
        complementary_rows=len(complementary),
        segment_rows=len(seg_rows),
        segments=[s.name for s in segments],
        events=events_report,
        copy=copy_info,
        keys=keys,
        seconds=timings,
    )
    keys["summary"] = rec_key(day, "summary.json")
    store.put_json(keys["summary"], summary.as_dict())
    return summary
