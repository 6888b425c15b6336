"""Complementary products ("frequently bought together").

With an interactions file (CSV or Parquet of `user_id, sku, event, timestamp`, a path or s3://):
each user's basket events form a basket, pairs are counted with one sparse matrix product, and a
pair is kept only when it clears a minimum support and Dunning's log-likelihood ratio (G², which,
unlike raw lift, does not reward pairs seen once between two rare items). The file is cleaned first
and every dropped row is counted by reason, so a dirty export is reported, not a crash.

Without interactions: a category-pair rule set from settings (belt -> buckle, swimsuit -> sarong),
matched on whole words of each product's category path, title and tags.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tasks.errors import UserInputError
from tasks.models import Product
from tasks.recommend.similar import in_stock, top_k, variant_groups

REQUIRED_COLUMNS = ("user_id", "sku", "event", "timestamp")


@dataclass
class EventsReport:
    """What cleaning the interactions file did, one count per reason a row was dropped."""

    source: str
    rows_read: int = 0
    missing_fields: int = 0
    bad_timestamps: int = 0
    unknown_skus: int = 0
    duplicates: int = 0
    other_events: int = 0
    rows_used: int = 0
    users: int = 0
    unknown_sku_examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def read_events(source: str | Path):
    """The raw interactions table (pandas) from a CSV/Parquet path or s3:// URI."""
    import pandas as pd

    from tasks.storage import read_uri_bytes

    src = str(source)
    try:
        data = read_uri_bytes(src)
    except FileNotFoundError as exc:
        raise UserInputError(
            f"events file {src} cannot be read ({exc}); pass an existing CSV or Parquet"
        ) from None
    if src.lower().endswith((".parquet", ".pq")) or data[:4] == b"PAR1":
        df = pd.read_parquet(io.BytesIO(data))
    else:
        try:
            df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[""])
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise UserInputError(f"events file {src} is not a readable CSV: {exc}") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise UserInputError(
            f"events file {src} lacks column(s) {missing}; it needs {list(REQUIRED_COLUMNS)} "
            f"(found {list(df.columns)})"
        )
    return df[list(REQUIRED_COLUMNS)]


def clean_events(df, products: Sequence[Product], basket_events: Sequence[str], source: str = "events"):
    """(clean table with a `product` index column, EventsReport). Variant SKUs map to their product."""
    import pandas as pd

    rep = EventsReport(source=source, rows_read=len(df))
    df = df.copy()
    for col in ("user_id", "sku", "event"):
        df[col] = df[col].astype("string").str.strip()
    bad = df["user_id"].isna() | (df["user_id"] == "") | df["sku"].isna() | (df["sku"] == "")
    rep.missing_fields = int(bad.sum())
    df = df[~bad]
    ts = pd.to_datetime(df["timestamp"], errors="coerce", utc=True, format="mixed")
    rep.bad_timestamps = int(ts.isna().sum())
    df = df.assign(timestamp=ts)[ts.notna()]
    index: dict[str, int] = {}
    for i, p in enumerate(products):
        index.setdefault(p.sku, i)
    for i, p in enumerate(products):
        for v in p.variants:
            index.setdefault(v.sku, i)
    prod = df["sku"].map(index)
    unknown = prod.isna()
    rep.unknown_skus = int(unknown.sum())
    rep.unknown_sku_examples = sorted(set(df.loc[unknown, "sku"].astype(str)))[:5]
    df = df.assign(product=prod)[~unknown]
    df["product"] = df["product"].astype("int64")
    dup = df.duplicated(subset=["user_id", "sku", "event", "timestamp"])
    rep.duplicates = int(dup.sum())
    df = df[~dup]
    wanted = {e.lower() for e in basket_events}
    keep = df["event"].str.lower().isin(wanted)
    rep.other_events = int((~keep).sum())
    df = df[keep]
    rep.rows_used = len(df)
    rep.users = int(df["user_id"].nunique())
    return df, rep


def _llr(k11: np.ndarray, k12: np.ndarray, k21: np.ndarray, k22: np.ndarray) -> np.ndarray:
    """Dunning's G² of a 2x2 contingency table, vectorized (Mahout's formulation)."""

    def xlogx(x):
        x = np.asarray(x, dtype=np.float64)
        return np.where(x > 0, x * np.log(np.where(x > 0, x, 1)), 0.0)

    def entropy(*ks):
        total = sum(ks)
        return xlogx(total) - sum(xlogx(k) for k in ks)

    row = entropy(k11 + k12, k21 + k22)
    col = entropy(k11 + k21, k12 + k22)
    mat = entropy(k11, k12, k21, k22)
    return np.maximum(0.0, 2.0 * (row + col - mat))


def co_occurrence(
    events,
    products: Sequence[Product],
    *,
    k: int,
    min_support: int,
    min_llr: float,
    in_stock_only: bool = True,
) -> list[dict]:
    """Rows `{sku, rank, rec_sku, score, support, lift, method}` from cleaned events."""
    from scipy import sparse

    n = len(products)
    if n < 2 or len(events) == 0:
        return []
    users = events["user_id"].astype(str).to_numpy()
    _, user_idx = np.unique(users, return_inverse=True)
    n_users = int(user_idx.max()) + 1
    baskets = sparse.csr_matrix(
        (np.ones(len(events), dtype=np.float64), (user_idx, events["product"].to_numpy())), shape=(n_users, n)
    )
    baskets.data[:] = 1.0  # duplicates summed by csr: a user either has the item or not
    baskets.sum_duplicates()
    baskets.data[:] = 1.0
    co = (baskets.T @ baskets).tocoo()
    item_n = np.asarray(baskets.sum(axis=0)).ravel()
    groups = variant_groups(products)
    keep = (co.row != co.col) & (co.data >= min_support) & (groups[co.row] != groups[co.col])
    if in_stock_only:
        stock = np.array([in_stock(p) for p in products])
        keep &= stock[co.col]
    a, b, nab = co.row[keep], co.col[keep], co.data[keep]
    na, nb = item_n[a], item_n[b]
    llr = _llr(nab, na - nab, nb - nab, n_users - na - nb + nab)
    lift = nab * n_users / (na * nb)
    sig = (llr >= min_llr) & (lift > 1.0)
    a, b, nab, llr, lift = a[sig], b[sig], nab[sig], llr[sig], lift[sig]
    rows: list[dict] = []
    order = np.lexsort((b, -llr, a))
    starts = np.searchsorted(a[order], np.arange(n + 1))
    for i in range(n):
        sel = order[starts[i] : starts[i + 1]][:k]
        for rank, j in enumerate(sel, start=1):
            rows.append(
                {
                    "sku": products[i].sku,
                    "rank": rank,
                    "rec_sku": products[b[j]].sku,
                    "score": round(float(llr[j]), 6),
                    "support": int(nab[j]),
                    "lift": round(float(lift[j]), 6),
                    "method": "co_occurrence",
                }
            )
    return rows


def _haystack(p: Product) -> str:
    return " ".join([*p.category, p.title, *p.tags, p.attributes.get("type", "")]).lower()


def _matches(term: str, text: str) -> bool:
    # whole words, with an optional plural s: "belt" matches "Belts" but not "Beltway"
    return re.search(rf"\b{re.escape(term.lower())}(?:s|es)?\b", text) is not None


def category_rules(
    products: Sequence[Product],
    vectors: np.ndarray | None,
    rules: dict[str, list[str]],
    *,
    k: int,
    in_stock_only: bool = True,
) -> list[dict]:
    """Rows from the rule set: for a product matching a rule's term, the target-term products,
    ranked by embedding similarity (rule order first), never the product itself or its variants."""
    n = len(products)
    if n < 2 or not rules:
        return []
    texts = [_haystack(p) for p in products]
    groups = variant_groups(products)
    stock = np.array([in_stock(p) for p in products]) if in_stock_only else np.ones(n, dtype=bool)
    rows: list[dict] = []
    for source_term, targets in rules.items():
        src = np.array([_matches(source_term, t) for t in texts])
        if not src.any():
            continue
        tgt = np.zeros(n, dtype=bool)
        for t in targets:
            tgt |= np.array([_matches(t, x) for x in texts])
        tgt &= stock
        if not tgt.any():
            continue
        idx = np.flatnonzero(src)
        scores = (vectors[idx] @ vectors.T) if vectors is not None else np.zeros((len(idx), n), np.float32)
        allowed = tgt[None, :] & (groups[idx, None] != groups[None, :])
        for i, picks in zip(idx, top_k(scores, allowed, k), strict=True):
            for rank, (j, score) in enumerate(picks, start=1):
                rows.append(
                    {
                        "sku": products[i].sku,
                        "rank": rank,
                        "rec_sku": products[j].sku,
                        "score": round(score, 6),
                        "support": 0,
                        "lift": 0.0,
                        "method": f"rule:{source_term}",
                    }
                )
    # a product matching several rules keeps its best k across them, in a stable order
    rows.sort(key=lambda r: (r["sku"], -r["score"], r["rec_sku"]))
    out: list[dict] = []
    seen: dict[str, set[str]] = {}
    for r in rows:
        got = seen.setdefault(r["sku"], set())
        if r["rec_sku"] in got or len(got) >= k:
            continue
        got.add(r["rec_sku"])
        out.append({**r, "rank": len(got)})
    return out
