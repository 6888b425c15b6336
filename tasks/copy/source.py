"""Where the copy stage gets its products: a catalog file/URI, or the latest snapshot in the store."""

from __future__ import annotations

from typing import Any

from tasks.errors import UserInputError
from tasks.models import Product

SNAPSHOT_WORDS = ("snapshot", "latest")


def load_products(source: str, settings: Any, *, limit: int | None = None) -> list[Product]:
    """`snapshot`/`latest` -> the store's latest catalog snapshot; anything else -> read the catalog."""
    if limit is not None and limit < 1:
        raise UserInputError(f"--limit {limit} must be at least 1")
    if source in SNAPSHOT_WORDS:
        from tasks.catalog import load_snapshot
        from tasks.storage import store_from_settings

        store = store_from_settings(settings)
        try:
            products = load_snapshot(store)
        except FileNotFoundError as exc:
            raise UserInputError(str(exc)) from None
    else:
        from tasks.catalog import read_catalog

        products = read_catalog(source, settings=settings).products
    return products[:limit] if limit else products
