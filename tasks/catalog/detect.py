"""Which reader a catalog file needs: by extension first, confirmed or corrected by its content.

Merchants name files anything (`export (3).txt`), so the content decides when it is clear; the
extension only breaks ties. `--format` overrides both.
"""

from __future__ import annotations

import csv
import io

from tasks.errors import CatalogError

#: Format names users may pass to `--format`, with what each means.
FORMATS = {
    "shopify": "Shopify product CSV export",
    "gmc-xml": "Google Merchant Center feed, RSS 2.0 or Atom XML with the g: namespace",
    "gmc-tsv": "Google Merchant Center feed, tab-separated text",
    "csv": "generic CSV with a column mapping (--mapping FILE or a preset such as 'amazon')",
    "jsonl": "JSON Lines: Product-shaped records or Taobao/OpenBG records",
    "parquet": "Parquet with Product-shaped columns (e.g. an earlier snapshot)",
}
ALIASES = {
    "gmc": "gmc-xml",
    "xml": "gmc-xml",
    "rss": "gmc-xml",
    "atom": "gmc-xml",
    "tsv": "gmc-tsv",
    "json": "jsonl",
    "ndjson": "jsonl",
    "shopify-csv": "shopify",
}

_GMC_COLUMNS = {"id", "title", "price", "link", "description", "image_link", "availability"}


def check_format(fmt: str) -> str:
    name = ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
    if name not in FORMATS:
        choices = ", ".join(FORMATS)
        raise CatalogError(f"unknown catalog format {fmt!r}; use one of: {choices}")
    return name


def detect_format(name: str, data: bytes) -> str:
    """Guess the format of `data` (named `name`); raise CatalogError when nothing fits."""
    if not data.strip():
        raise CatalogError(
            f"{name} is empty; export the catalog again (it should have a header row and one row per product)"
        )
    if data[:4] == b"PAR1":
        return "parquet"
    head = data[:65536]
    if b"\x00" in head:
        raise CatalogError(
            f"{name} looks like a binary file (it contains NUL bytes), not a catalog; export it as "
            "CSV, TSV, XML, JSON Lines or Parquet"
        )
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith("<"):
        return "gmc-xml"
    if text.startswith("{"):
        return "jsonl"
    first = text.splitlines()[0] if text else ""
    if "\t" in first and first.count("\t") >= first.count(","):
        cols = {c.strip().lower().removeprefix("g:") for c in first.split("\t")}
        if len(cols & _GMC_COLUMNS) >= 2:
            return "gmc-tsv"
    try:
        header = next(csv.reader(io.StringIO(first)))
    except (csv.Error, StopIteration):
        header = []
    cols = {c.strip() for c in header}
    if {"Handle", "Title"} <= cols or {"Handle", "Variant SKU"} <= cols:
        return "shopify"
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith(".parquet"):
        return "parquet"
    if lowered.endswith(".xml"):
        return "gmc-xml"
    if lowered.endswith((".tsv", ".txt")) and "\t" in first:
        return "gmc-tsv"
    if len(header) > 1 or lowered.endswith(".csv") or first.count(";") >= 1:
        return "csv"
    raise CatalogError(
        f"cannot tell what kind of catalog {name} is (first line: {first[:80]!r}); pass --format "
        f"with one of: {', '.join(FORMATS)}"
    )
