"""Product embeddings cached in the store, keyed by product `content_hash` and embedder id.

A daily run embeds only new and changed products: vectors live in parquet parts under
`recommendations/embeddings/{embedder}/`, one part per run that embedded anything, and a rerun on an
unchanged catalog finds every hash there and embeds nothing (`EmbedStats.embedded == 0`). Parts are
compacted into one when they pile up, so loading stays one or two reads.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from tasks.models import Product
from tasks.storage import ArtifactStore, join_key, safe_segment

if TYPE_CHECKING:
    from aigc_models.embeddings import Embedder

#: Bump when `product_text` changes, so old vectors of a different text are not reused.
TEXT_VERSION = "t1"
EMBED_PREFIX = "recommendations/embeddings"
MAX_PARTS = 16
#: Attributes that say what a product is; colour/size variants of one product share most of them.
KEY_ATTRIBUTES = ("type", "product_type", "material", "color", "colour", "gender", "age_group", "style")


def product_text(p: Product, *, include_category: bool = True, max_chars: int = 600) -> str:
    """What the embedding sees: title, category path, brand and a few identity attributes."""
    parts = [p.title.strip()]
    if include_category and p.category:
        parts.append(" > ".join(p.category))
    if p.brand:
        parts.append(p.brand)
    attrs = [f"{k}: {v}" for k, v in p.attributes.items() if k.lower() in KEY_ATTRIBUTES and v]
    parts.extend(attrs[:6])
    if p.tags:
        parts.append(", ".join(p.tags[:8]))
    return ". ".join(x for x in parts if x)[:max_chars]


@dataclass
class EmbedStats:
    """What one `embed_products` call did; `embedded == 0` on a rerun of an unchanged catalog."""

    embedder: str
    total: int
    cached: int
    embedded: int
    seconds: float
    parts_read: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def cache_prefix(embedder_id: str) -> str:
    digest = hashlib.sha256(f"{embedder_id}|{TEXT_VERSION}".encode()).hexdigest()[:12]
    name = safe_segment(embedder_id.split(":", 1)[0])
    return join_key(EMBED_PREFIX, f"{name}-{digest}")


def _read_parts(store: ArtifactStore, prefix: str) -> tuple[dict[str, np.ndarray], list[str]]:
    import pyarrow.parquet as pq

    found: dict[str, np.ndarray] = {}
    keys = sorted(k for k in store.list(prefix + "/") if k.endswith(".parquet"))
    for key in keys:
        table = pq.read_table(io.BytesIO(store.get_bytes(key)))
        hashes = table.column("content_hash").to_pylist()
        flat = table.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        vecs = flat.astype(np.float32).reshape(len(hashes), -1) if hashes else flat.reshape(0, 0)
        for h, v in zip(hashes, vecs, strict=True):
            found[h] = v
    return found, keys


def _write_part(store: ArtifactStore, prefix: str, vectors: dict[str, np.ndarray]) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    hashes = sorted(vectors)
    mat = np.stack([vectors[h] for h in hashes]).astype(np.float32)
    col = pa.FixedSizeListArray.from_arrays(pa.array(mat.reshape(-1)), mat.shape[1])
    buf = io.BytesIO()
    pq.write_table(pa.table({"content_hash": hashes, "vector": col}), buf)
    digest = hashlib.sha256("".join(hashes).encode()).hexdigest()[:16]
    key = join_key(prefix, f"part-{digest}.parquet")
    store.put_bytes(key, buf.getvalue(), content_type="application/vnd.apache.parquet")
    return key


def embed_products(
    products: Sequence[Product], embedder: Embedder, store: ArtifactStore | None = None
) -> tuple[np.ndarray, EmbedStats]:
    """(n, dim) unit-norm vectors for `products`, in order; only cache misses reach the model."""
    t0 = time.perf_counter()
    texts = [product_text(p) for p in products]
    embedder.prepare(texts)
    hashes = [p.content_hash for p in products]
    prefix = cache_prefix(embedder.id)
    cached: dict[str, np.ndarray] = {}
    parts: list[str] = []
    if store is not None:
        cached, parts = _read_parts(store, prefix)
    missing = sorted({h: i for i, h in enumerate(hashes) if h not in cached}.items())
    new: dict[str, np.ndarray] = {}
    if missing:
        vecs = embedder.embed([texts[i] for _, i in missing])
        new = {h: vecs[j] for j, (h, _) in enumerate(missing)}
        if store is not None:
            if len(parts) + 1 > MAX_PARTS:
                merged = _write_part(store, prefix, {**cached, **new})
                for key in parts:
                    if key != merged:
                        store.delete(key)
            else:
                _write_part(store, prefix, new)
    lookup = {**cached, **new}
    out = np.stack([lookup[h] for h in hashes]).astype(np.float32) if products else embedder.embed([])
    stats = EmbedStats(
        embedder=embedder.id,
        total=len(products),
        cached=len(products) - sum(1 for h in hashes if h in new),
        embedded=len(new),
        seconds=round(time.perf_counter() - t0, 3),
        parts_read=len(parts),
    )
    return out, stats
