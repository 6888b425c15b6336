"""Where the products to recommend come from: a catalog file / s3:// URI, or a stored snapshot.

`SOURCE_OR_SNAPSHOT` is a snapshot when it is `latest` or a date (`2026-12-04`) and no file of that
name exists; anything else is read with the catalog readers (`tasks.catalog`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tasks.errors import AigcError, UserInputError
from tasks.models import Product
from tasks.storage import ArtifactStore

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_snapshot_ref(source: str) -> bool:
    return (source == "latest" or bool(_DAY.match(source))) and not Path(source).exists()


def load_products(
    source: str, store: ArtifactStore, *, mapping: str | None = None, settings: Any = None
) -> list[Product]:
    """Products from a snapshot reference or a catalog source; raises a message naming the fix."""
    try:
        from tasks import catalog
    except ImportError as exc:
        raise AigcError(f"the catalog readers (tasks.catalog) are not available here: {exc}") from None
    if is_snapshot_ref(source):
        day = None if source == "latest" else source
        try:
            products = catalog.load_snapshot(store, day)
        except FileNotFoundError:
            products = []
        if not products:
            raise UserInputError(
                f"no catalog snapshot for {source!r} in {store.uri_for('catalog')}; run `aigc ingest` "
                "first or pass a catalog file"
            )
        return list(products)
    if not source.startswith("s3://") and not Path(source).exists():
        raise UserInputError(
            f"catalog {source!r} does not exist; pass a catalog file, an s3:// URI, 'latest' or a "
            "snapshot date such as 2026-12-04"
        )
    return list(catalog.read_catalog(source, mapping=mapping, settings=settings).products)
