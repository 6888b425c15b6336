"""Storage keys of the layout in DESIGN.md section 4, built in one place.

Artifacts are content-addressed: the key folder is a hash of the product's `content_hash` and the
generation fingerprint (backend, model id, prompt version, settings that shape the output, seed),
so a rerun with the same inputs finds its earlier output and any change makes a new key.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tasks.models import content_hash
from tasks.storage import join_key, safe_segment


def generation_key(product_hash: str, fingerprint: dict[str, Any]) -> str:
    return content_hash({"product": product_hash, "generation": fingerprint})[:16]


def artifact_key(sku: str, product_hash: str, fingerprint: dict[str, Any], name: str) -> str:
    """artifacts/{sku}/{key}/{name}"""
    return join_key("artifacts", safe_segment(sku), generation_key(product_hash, fingerprint), name)


def catalog_key(day: date | str, name: str = "products.parquet") -> str:
    return join_key("catalog", str(day), name)


def run_key(day: date | str, run_id: str, name: str) -> str:
    return join_key("runs", str(day), safe_segment(run_id), name)


def review_key(run_id: str, *names: str) -> str:
    return join_key("review", safe_segment(run_id), *names)


def published_key(sku: str, name: str) -> str:
    return join_key("published", safe_segment(sku), name)


def feed_key(name: str) -> str:
    return join_key("published", "feeds", name)
