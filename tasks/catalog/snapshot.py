"""Catalog snapshots in the store and the change set against the previous one.

Layout (DESIGN.md section 4): `catalog/{date}/products.parquet` with `quarantine.jsonl`,
`validation.json` (GX's result) and `changes.json` beside it, and `catalog/latest.json`, a
pointer to the last complete snapshot. The pointer is written last, so a crash mid-write leaves
it on the previous complete snapshot; "previous" always means "what the pointer names", which
makes a second ingest on the same day compare against the first.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tasks.catalog.records import QuarantineRecord
from tasks.keys import catalog_key
from tasks.models import Product
from tasks.storage import ArtifactStore, join_key

POINTER = join_key("catalog", "latest.json")
_JSON_FIELDS = ("category", "attributes", "variants", "images", "tags", "source_images")


@dataclass
class ChangeSet:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    previous_day: str | None = None


def products_to_parquet(products: list[Product]) -> bytes:
    """Product-shaped columns; nested fields as JSON text and prices as exact decimal strings."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = [*Product.model_fields, "content_hash"]
    schema = pa.schema([(n, pa.int64() if n == "source_row" else pa.string()) for n in names])
    rows = []
    for p in products:
        d = p.model_dump(mode="json")
        for k in _JSON_FIELDS:
            d[k] = json.dumps(d[k], ensure_ascii=False)
        d["content_hash"] = p.content_hash
        rows.append(d)
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), buf, compression="zstd")
    return buf.getvalue()


def products_from_parquet(data: bytes) -> list[Product]:
    import pyarrow.parquet as pq

    out = []
    for rec in pq.read_table(io.BytesIO(data)).to_pylist():
        rec.pop("content_hash", None)
        for k in _JSON_FIELDS:
            if isinstance(rec.get(k), str):
                rec[k] = json.loads(rec[k])
        out.append(Product.model_validate({k: v for k, v in rec.items() if k in Product.model_fields}))
    return out


def _hashes(data: bytes) -> dict[str, str]:
    import pyarrow.parquet as pq

    t = pq.read_table(io.BytesIO(data), columns=["sku", "content_hash"])
    return dict(zip(t.column("sku").to_pylist(), t.column("content_hash").to_pylist(), strict=True))


def previous_day(store: ArtifactStore, today: str | None = None) -> str | None:
    """The day of the last complete snapshot: the pointer, else the latest folder on/before today."""
    pointer = store.get_json_or(POINTER)
    if pointer and pointer.get("day"):
        return str(pointer["day"])
    days = sorted(
        k.split("/")[1]
        for k in store.list("catalog/")
        if k.endswith("/products.parquet") and k.count("/") == 2
    )
    days = [d for d in days if today is None or d <= today]
    return days[-1] if days else None


def load_snapshot(store: ArtifactStore, day: str | date | None = None) -> list[Product]:
    """The products of one snapshot (the latest when `day` is None) for later stages."""
    d = str(day) if day else previous_day(store)
    if d is None:
        raise FileNotFoundError(f"no catalog snapshot in {store.uri}; run `aigc ingest CATALOG` first")
    return products_from_parquet(store.get_bytes(catalog_key(d)))


def diff(previous: dict[str, str], products: list[Product]) -> ChangeSet:
    cs = ChangeSet()
    current = {}
    for p in products:
        h = current[p.sku] = p.content_hash
        old = previous.get(p.sku)
        (cs.new if old is None else cs.unchanged if old == h else cs.changed).append(p.sku)
    cs.removed = [sku for sku in previous if sku not in current]
    return cs


def write_snapshot(
    store: ArtifactStore,
    products: list[Product],
    quarantined: list[QuarantineRecord],
    *,
    day: str | date,
    gx_result: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> tuple[str, ChangeSet]:
    """Write the snapshot files, then the pointer; return (products URI, change set)."""
    day = str(day)
    prev = previous_day(store, day)
    previous: dict[str, str] = {}
    if prev is not None:
        try:
            previous = _hashes(store.get_bytes(catalog_key(prev)))
        except FileNotFoundError:
            prev, previous = None, {}
    changes = diff(previous, products)
    changes.previous_day = prev
    key = catalog_key(day)
    store.put_bytes(key, products_to_parquet(products), content_type="application/vnd.apache.parquet")
    lines = "".join(q.model_dump_json() + "\n" for q in quarantined)
    store.put_bytes(
        catalog_key(day, "quarantine.jsonl"), lines.encode("utf-8"), content_type="application/x-ndjson"
    )
    store.put_json(catalog_key(day, "validation.json"), gx_result or {})
    store.put_json(
        catalog_key(day, "changes.json"),
        {
            "previous_day": prev,
            "new": changes.new,
            "changed": changes.changed,
            "removed": changes.removed,
            "unchanged": len(changes.unchanged),
        },
    )
    store.put_json(
        POINTER,
        {
            "day": day,
            "products": key,
            "count": len(products),
            "quarantined": len(quarantined),
            "written_at": datetime.now(UTC).isoformat(),
            **(meta or {}),
        },
    )
    return store.uri_for(key), changes
