"""Similar products: k nearest neighbours by cosine, within the merchandising constraints.

Constraints are boolean masks over the candidate columns (same top-level category, in stock, price
band, not the product itself, not one of its own variants), applied to a chunk of the similarity
matrix at a time: the work is one matrix product per chunk plus `argpartition`, never a Python loop
over pairs, so 10x the products costs about 10x per chunk row, not 100x in Python.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tasks.models import Product

OUT_OF_STOCK = {"out of stock", "out_of_stock", "outofstock", "sold out", "discontinued", "unavailable"}
#: Rows of the similarity matrix computed at once: chunk x n float32 stays near 64 MB.
CHUNK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class SimilarParams:
    k: int = 5
    same_top_category: bool = True
    in_stock_only: bool = True
    #: candidate price / product price must lie in [low, high]; None = no band
    price_band: tuple[float, float] | None = (0.5, 2.0)


def in_stock(p: Product) -> bool:
    """Unknown availability counts as in stock (many feeds omit it); explicit 'out of stock' does not."""
    return (p.availability or "").strip().lower() not in OUT_OF_STOCK


def top_category(p: Product) -> str:
    return p.category[0].strip().lower() if p.category else ""


def price_of(p: Product) -> float:
    price = p.effective_price
    return float(price) if price is not None else math.nan


def variant_groups(products: Sequence[Product]) -> np.ndarray:
    """One group id per product: products linked by group_id or by a variant SKU share a group.

    A product's variants can arrive folded into `variants`, or as separate products with one
    `group_id` (Google Merchant item groups); either way they must never recommend each other.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for p in products:
        me = f"sku:{p.sku}"
        find(me)
        if p.group_id:
            union(me, f"group:{p.group_id}")
        for v in p.variants:
            if v.sku:
                union(me, f"sku:{v.sku}")
    roots: dict[str, int] = {}
    return np.array([roots.setdefault(find(f"sku:{p.sku}"), len(roots)) for p in products], dtype=np.int64)


def _codes(values: Sequence[str]) -> np.ndarray:
    table: dict[str, int] = {}
    return np.array([table.setdefault(v, len(table)) for v in values], dtype=np.int64)


def _mask_in_place(
    scores: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    groups: np.ndarray,
    cols_by_group: dict[int, list[int]],
    prices: np.ndarray,
    band: tuple[float, float] | None,
) -> None:
    """Set disallowed (row, candidate) scores to -inf: the product itself, its variants, and
    candidates outside the price band. In place, so a chunk never needs a second full-size matrix."""
    # the product and its variants: a handful of cells per row, found through the group index
    ri = [i for i, g in enumerate(groups[rows].tolist()) for _ in cols_by_group.get(g, ())]
    cj = [j for g in groups[rows].tolist() for j in cols_by_group.get(g, ())]
    if ri:
        scores[ri, cj] = -np.inf
    if band is not None:
        # A product without a price is not held to a band (bounds -inf..inf); a candidate without one
        # (filled with -1) cannot be shown to be inside it, so priced products leave it out.
        own = prices[rows]
        lo = np.where(np.isnan(own), -np.inf, own * band[0])[:, None]
        hi = np.where(np.isnan(own), np.inf, own * band[1])[:, None]
        cand = np.nan_to_num(prices[cols], nan=-1.0)[None, :]
        np.putmask(scores, (cand < lo) | (cand > hi), -np.inf)


def top_k(scores: np.ndarray, allowed: np.ndarray | None, k: int) -> list[list[tuple[int, float]]]:
    """Per row, the k best allowed columns as (index, score), ties broken by the lower index."""
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    n_rows, n = scores.shape
    kk = min(k, n)
    if kk == 0:
        return [[] for _ in range(n_rows)]
    # torch.topk rather than np.argpartition: the masks leave rows full of equal -inf values, on
    # which numpy's introselect slows down by an order of magnitude; topk is also multi-threaded.
    import torch

    part = torch.topk(torch.from_numpy(np.ascontiguousarray(scores, dtype=np.float32)), kk, dim=1).indices
    part = part.numpy().astype(np.int64)
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=-1)
    part = np.take_along_axis(part, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    finite = np.isfinite(vals)
    return [
        [(int(c), float(v)) for c, v, f in zip(part[r], vals[r], finite[r], strict=True) if f]
        for r in range(n_rows)
    ]


def similar_products(
    products: Sequence[Product], vectors: np.ndarray, params: SimilarParams | None = None
) -> list[dict]:
    """Rows `{sku, rank, rec_sku, score}` for every product (fewer than k when constraints bind).

    Products are split into blocks by top-level category (when that constraint is on) and candidate
    columns are cut to in-stock products before any product is computed, so the work is the sum of
    the squared block sizes rather than the square of the catalog.
    """
    params = params or SimilarParams()
    n = len(products)
    if n < 2:
        return []
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.shape[0] != n:
        raise ValueError(f"{vectors.shape[0]} embeddings for {n} products; embed the same list")
    groups = variant_groups(products)
    prices = np.array([price_of(p) for p in products], dtype=np.float64)
    stock = np.array([in_stock(p) for p in products]) if params.in_stock_only else np.ones(n, dtype=bool)
    cats = _codes([top_category(p) if params.same_top_category else "" for p in products])
    band = tuple(params.price_band) if params.price_band else None
    picks: dict[int, list[tuple[int, float]]] = {}
    for cat in np.unique(cats):
        members = np.flatnonzero(cats == cat)
        cols = members[stock[members]]
        if len(cols) == 0:
            continue
        cand = vectors[cols]
        cols_by_group: dict[int, list[int]] = {}
        for j, g in enumerate(groups[cols].tolist()):
            cols_by_group.setdefault(g, []).append(j)
        chunk = max(1, CHUNK_BYTES // (4 * len(cols)))
        for start in range(0, len(members), chunk):
            rows = members[start : start + chunk]
            scores = vectors[rows] @ cand.T
            _mask_in_place(scores, rows, cols, groups, cols_by_group, prices, band)
            for r, row_picks in zip(rows, top_k(scores, None, params.k), strict=True):
                picks[int(r)] = [(int(cols[j]), score) for j, score in row_picks]
    rows_out: list[dict] = []
    for i in range(n):
        for rank, (j, score) in enumerate(picks.get(i, []), start=1):
            rows_out.append(
                {"sku": products[i].sku, "rank": rank, "rec_sku": products[j].sku, "score": round(score, 6)}
            )
    return rows_out
