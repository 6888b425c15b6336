"""Open a catalog source (local path or s3:// URI), pick its reader, return a `CatalogRead`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.catalog.detect import check_format, detect_format
from tasks.catalog.gmc import read_gmc_tsv, read_gmc_xml
from tasks.catalog.jsonl import read_jsonl
from tasks.catalog.records import CatalogRead, SourceFile
from tasks.catalog.shopify import read_shopify
from tasks.catalog.tabular import ColumnMapping, load_mapping, read_csv, read_parquet
from tasks.errors import CatalogError, UserInputError


def open_source(source: str) -> SourceFile:
    """Read the bytes; local sources remember their folder so relative image paths resolve."""
    from tasks.storage import read_uri_bytes

    if source.startswith("s3://"):
        try:
            return SourceFile(name=source, data=read_uri_bytes(source))
        except FileNotFoundError as exc:
            raise UserInputError(f"catalog {source} cannot be read: {exc}") from None
    path = Path(source).expanduser()
    if path.is_dir():
        raise UserInputError(f"catalog source {source} is a folder; pass the catalog file inside it")
    if not path.is_file():
        raise UserInputError(f"catalog file {source} does not exist; check the path")
    return SourceFile(name=str(path), data=path.read_bytes(), base_dir=path.resolve().parent)


def read_source(
    src: SourceFile,
    fmt: str | None = None,
    *,
    mapping: str | dict[str, Any] | ColumnMapping | None = None,
    default_currency: str = "USD",
) -> CatalogRead:
    """Dispatch to the reader for `fmt` (detected when None)."""
    if fmt:
        fmt = check_format(fmt)
    else:
        fmt = detect_format(src.name, src.data)
        if mapping is not None and fmt in ("shopify", "gmc-tsv"):
            fmt = "csv"  # an explicit column mapping says how to read this delimited file
    if not src.data.strip():
        raise CatalogError(f"{src.name} is empty; export the catalog again")
    if fmt == "shopify":
        return read_shopify(src, default_currency)
    if fmt == "gmc-xml":
        return read_gmc_xml(src, default_currency)
    if fmt == "gmc-tsv":
        return read_gmc_tsv(src, default_currency)
    if fmt == "csv":
        return read_csv(src, default_currency, load_mapping(mapping))
    if fmt == "jsonl":
        return read_jsonl(src, default_currency)
    if fmt == "parquet":
        return read_parquet(src, default_currency)
    raise CatalogError(f"no reader for format {fmt!r}")  # unreachable: check_format guards it
