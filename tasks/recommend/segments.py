"""Audience segments: which products to feature for each described audience.

A segment is a description ("parents buying school gear") plus optional filters (price ceiling,
categories). Products that pass the filters are ranked by the cosine between the description's
embedding and the product's, with the same embedder as the catalog, so one vector space serves
similar items and segments alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from tasks.models import AudienceSegment, Product
from tasks.recommend.similar import in_stock, top_k


def segment_filter(
    seg: AudienceSegment, products: Sequence[Product], *, in_stock_only: bool = True
) -> np.ndarray:
    """Which products the segment may feature: under its price ceiling, in one of its categories."""
    ok = np.ones(len(products), dtype=bool)
    for i, p in enumerate(products):
        if in_stock_only and not in_stock(p):
            ok[i] = False
        elif seg.max_price is not None:
            price = p.effective_price
            # a product without a price cannot be shown to be under the ceiling
            ok[i] = price is not None and Decimal(price) <= seg.max_price
        if ok[i] and seg.categories:
            path = [c.lower() for c in p.category] + [t.lower() for t in p.tags]
            ok[i] = any(want.lower() in c for want in seg.categories for c in path)
    return ok


def rank_segments(
    segments: Sequence[AudienceSegment],
    products: Sequence[Product],
    vectors: np.ndarray,
    query_vectors: np.ndarray,
    *,
    top_n: int,
    in_stock_only: bool = True,
) -> list[dict]:
    """Rows `{segment, rank, sku, score}`: each segment's top N products by similarity to it."""
    if not segments or not products:
        return []
    rows: list[dict] = []
    scores = np.asarray(query_vectors, dtype=np.float32) @ np.asarray(vectors, dtype=np.float32).T
    allowed = np.stack([segment_filter(s, products, in_stock_only=in_stock_only) for s in segments])
    for seg, picks in zip(segments, top_k(scores, allowed, top_n), strict=True):
        for rank, (j, score) in enumerate(picks, start=1):
            rows.append({"segment": seg.name, "rank": rank, "sku": products[j].sku, "score": round(score, 6)})
    return rows
