"""Where recommendations land in the store, and the Shopify metafield column built from them.

recommendations/{day}/similar.parquet        sku, rank, rec_sku, score
recommendations/{day}/complementary.parquet  sku, rank, rec_sku, score, support, lift, method
recommendations/{day}/segments.parquet       segment, rank, sku, score
recommendations/{day}/copy/...               one JSON per blurb / campaign post (the assets)
recommendations/{day}/copy_assets.jsonl      the Asset records of that copy
recommendations/{day}/summary.json           the run's RecommendSummary
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from datetime import date

from tasks.models import Asset, AssetKind, ReviewState
from tasks.recommend.copy import PROMPT_VERSION, CopyPiece
from tasks.storage import ArtifactStore, join_key, safe_segment

COLUMNS = {
    "similar": {"sku": "string", "rank": "int32", "rec_sku": "string", "score": "float32"},
    "complementary": {
        "sku": "string",
        "rank": "int32",
        "rec_sku": "string",
        "score": "float32",
        "support": "int32",
        "lift": "float32",
        "method": "string",
    },
    "segments": {"segment": "string", "rank": "int32", "sku": "string", "score": "float32"},
}
#: Shopify's standard related-products metafield, as a product CSV column header.
SHOPIFY_RELATED_COLUMN = (
    "Related products (product.metafields.shopify--discovery--product_recommendation.related_products)"
)
SHOPIFY_COMPLEMENTARY_COLUMN = (
    "Complementary products "
    "(product.metafields.shopify--discovery--product_recommendation.complementary_products)"
)


def rec_key(day: date | str, name: str) -> str:
    return join_key("recommendations", str(day), name)


def write_table(store: ArtifactStore, day: date | str, name: str, rows: Sequence[dict]) -> str:
    """One parquet table with a fixed schema (an empty table still has its columns)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c, getattr(pa, t)()) for c, t in COLUMNS[name].items()])
    table = pa.Table.from_pylist([{c: r.get(c) for c in COLUMNS[name]} for r in rows], schema=schema)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    key = rec_key(day, f"{name}.parquet")
    store.put_bytes(key, buf.getvalue(), content_type="application/vnd.apache.parquet")
    return key


def read_table(store: ArtifactStore, day: date | str, name: str):
    """A written table back as pandas (for the publisher, the CLI and tests)."""
    import pandas as pd

    return pd.read_parquet(io.BytesIO(store.get_bytes(rec_key(day, f"{name}.parquet"))))


def _state(piece: CopyPiece) -> ReviewState:
    if piece.qc_verdict is None:
        return ReviewState.GENERATED
    return ReviewState.QC_BLOCKED if piece.qc_verdict == "block" else ReviewState.QC_PASSED


def write_copy(store: ArtifactStore, day: date | str, pieces: Sequence[CopyPiece]) -> tuple[list[Asset], str]:
    """Each piece as a JSON asset plus the JSONL index of their Asset records."""
    assets: list[Asset] = []
    for piece in pieces:
        body = {
            "subject": piece.subject,
            "content_type": piece.content_type,
            "language": piece.language,
            "text": piece.text,
            "recommended": piece.recommended,
        }
        name = f"{piece.content_type}-{safe_segment(piece.subject)}.json"
        key = rec_key(day, f"copy/{name}")
        store.put_json(key, body)
        assets.append(
            Asset(
                sku=piece.subject,
                kind=AssetKind.COPY,
                content_type=piece.content_type,
                key=key,
                checksum=hashlib.sha256(piece.text.encode("utf-8")).hexdigest(),
                language=piece.language,
                backend=piece.backend,
                model_id=piece.model_id,
                prompt_version=PROMPT_VERSION,
                params={"recommended": piece.recommended, "fallback": piece.fallback, "text": piece.text},
                qc=piece.qc,
                state=_state(piece),
            )
        )
    index = rec_key(day, "copy_assets.jsonl")
    store.put_bytes(
        index,
        "".join(a.model_dump_json() + "\n" for a in assets).encode("utf-8"),
        content_type="application/x-ndjson",
    )
    return assets, index


def shopify_metafield_values(
    rows: Sequence[dict], sku_to_handle: dict[str, str] | None = None
) -> dict[str, str]:
    """sku -> comma-separated recommended handles (or SKUs) in rank order, for a metafield column."""
    out: dict[str, list[str]] = {}
    for r in sorted(rows, key=lambda r: (r["sku"], r["rank"])):
        rec = r["rec_sku"]
        out.setdefault(r["sku"], []).append((sku_to_handle or {}).get(rec, rec))
    return {sku: ", ".join(v) for sku, v in out.items()}
