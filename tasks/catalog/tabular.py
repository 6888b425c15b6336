"""Generic CSV through a column mapping, and Parquet/records with Product-shaped columns.

Marketplace exports each name their columns differently; a `ColumnMapping` says which column
holds what. Presets ship for known exports (`amazon`); users bring their own as TOML or JSON
(`--mapping FILE`, or `[ingest] csv_mapping = "FILE"`). A CSV whose columns already have the
Product field names needs no mapping at all.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from tasks.catalog.normalize import (
    apply_compare_at,
    clean_text,
    html_to_text,
    normalize_availability,
    parse_price,
    resolve_image,
    split_list,
)
from tasks.catalog.records import CatalogRead, QuarantineRecord, SourceFile
from tasks.errors import CatalogError, UserInputError
from tasks.models import Product, content_hash


class ColumnMapping(BaseModel):
    """Which source column holds which Product field, and how to split the delimited ones."""

    name: str = "custom"
    sku: str | None = Field(default=None, description="column with a unique id; empty = derived from content")
    title: str
    description: list[str] = Field(default_factory=list, description="columns joined as paragraphs")
    description_separator: str | None = Field(default=None, description="splits bullet lists into lines")
    drop_phrases: list[str] = Field(default_factory=list, description="boilerplate removed from descriptions")
    brand: str | None = None
    category: str | None = None
    category_separator: str = ">"
    price: str | None = None
    list_price: str | None = Field(default=None, description="regular price; above `price` means on sale")
    sale_price: str | None = None
    currency: str | None = Field(default=None, description="column with the currency code")
    default_currency: str | None = None
    images: list[str] = Field(default_factory=list)
    image_separator: str = ","
    image_exclude: list[str] = Field(default_factory=list, description="drop image refs containing these")
    link: str | None = None
    gtin: str | None = None
    mpn: str | None = None
    availability: str | None = None
    tags: str | None = None
    tag_separator: str = ","
    attributes: dict[str, str] = Field(default_factory=dict, description="column → attribute name")
    language: str = "en"

    def required_columns(self) -> list[str]:
        return [c for c in (self.sku, self.title) if c]


PRESETS: dict[str, ColumnMapping] = {
    "amazon": ColumnMapping(
        name="amazon",
        sku="Uniq Id",
        title="Product Name",
        description=["Product Description", "About Product"],
        description_separator="|",
        drop_phrases=["Make sure this fits by entering your model number."],
        brand="Brand Name",
        category="Category",
        category_separator="|",
        price="Selling Price",
        list_price="List Price",
        default_currency="USD",
        images=["Image"],
        image_separator="|",
        image_exclude=["transparent-pixel"],
        link="Product Url",
        gtin="Upc Ean Code",
        mpn="Model Number",
        attributes={
            "Color": "color",
            "Size Quantity Variant": "size",
            "Shipping Weight": "shipping_weight",
            "Product Dimensions": "dimensions",
        },
    )
}
_PRESET_SIGNATURES = {"amazon": {"Uniq Id", "Product Name", "Selling Price"}}


def load_mapping(spec: str | dict[str, Any] | ColumnMapping | None) -> ColumnMapping | None:
    """A preset name, a TOML/JSON file path, a dict, or a ready mapping → ColumnMapping."""
    if spec is None or isinstance(spec, ColumnMapping):
        return spec
    if isinstance(spec, dict):
        data = spec.get("mapping", spec)
        where = "the mapping given"
    elif spec in PRESETS:
        return PRESETS[spec]
    else:
        path = Path(spec)
        if not path.is_file():
            raise UserInputError(
                f"column mapping {spec!r} is neither a preset ({', '.join(PRESETS)}) nor an existing "
                "TOML/JSON file; pass a preset name or the path of a mapping file"
            )
        text = path.read_text(encoding="utf-8")
        try:
            raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UserInputError(f"column mapping file {path} cannot be parsed: {exc}") from None
        data = raw.get("mapping", raw)
        where = str(path)
    try:
        return ColumnMapping.model_validate(_listify(data))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UserInputError(f"column mapping in {where} is invalid: {problems}") from None


def _listify(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for key in ("description", "images"):
        if isinstance(out.get(key), str):
            out[key] = [out[key]]
    return out


def guess_mapping(header: list[str]) -> ColumnMapping | None:
    """A preset whose signature columns are all present, else the Product field names, else None."""
    cols = set(header)
    for name, signature in _PRESET_SIGNATURES.items():
        if signature <= cols:
            return PRESETS[name]
    lower = {c.lower(): c for c in header}
    sku = lower.get("sku") or lower.get("id")
    title = lower.get("title") or lower.get("name")
    if not title:
        return None
    return ColumnMapping(
        name="product-fields",
        sku=sku,
        title=title,
        description=[lower[c] for c in ("description",) if c in lower],
        brand=lower.get("brand"),
        category=lower.get("category"),
        price=lower.get("price"),
        sale_price=lower.get("sale_price"),
        currency=lower.get("currency"),
        images=[lower[c] for c in ("images", "image", "image_link") if c in lower],
        link=lower.get("link"),
        gtin=lower.get("gtin"),
        mpn=lower.get("mpn"),
        availability=lower.get("availability"),
        tags=lower.get("tags"),
    )


def read_csv(src: SourceFile, default_currency: str, mapping: ColumnMapping | None = None) -> CatalogRead:
    text = src.text()
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip() for h in (reader.fieldnames or [])]
    mapping = mapping or guess_mapping(header)
    if mapping is None or not set(mapping.required_columns()) <= set(header):
        need = mapping.required_columns() if mapping else ["sku (or id)", "title"]
        raise CatalogError(
            f"{src.name} has none of the expected columns (needs {need}; found {header[:10]}); pass "
            f"--mapping with a preset ({', '.join(PRESETS)}) or a TOML/JSON file naming your columns"
        )
    products, quarantined, rows = [], [], 0
    for n, row in enumerate(reader, start=2):
        rows += 1
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
        try:
            products.append(_mapped(row, mapping, src, default_currency, n))
        except ValueError as exc:
            field, value = (exc.args[1], exc.args[2]) if len(exc.args) >= 3 else (None, None)
            quarantined.append(
                QuarantineRecord(
                    source_file=src.name,
                    row=n,
                    sku=row.get(mapping.sku or "") or None,
                    field=field,
                    value=value,
                    reason=f"{exc.args[0]}.",
                    fix="write prices as a number with an optional currency, e.g. '12.99' or '$12.99'.",
                )
            )
    return CatalogRead(source=src.name, format="csv", rows=rows, products=products, quarantined=quarantined)


def _price(row: dict[str, str], col: str | None, currency: str | None):
    if not col:
        return None, None
    try:
        return parse_price(row.get(col), currency)
    except ValueError as exc:
        raise ValueError(str(exc), col, row.get(col)) from None


def _mapped(row: dict[str, str], m: ColumnMapping, src: SourceFile, default_currency: str, n: int) -> Product:
    currency = (row.get(m.currency) if m.currency else None) or m.default_currency or default_currency
    price, cur = _price(row, m.price, currency)
    listed, _ = _price(row, m.list_price, currency)
    sale, _ = _price(row, m.sale_price, currency)
    if sale is None:
        price, sale = apply_compare_at(price, listed)
    paragraphs = []
    for col in m.description:
        value = html_to_text(row.get(col))
        for phrase in m.drop_phrases:
            value = value.replace(phrase, "")
        if m.description_separator:
            value = "\n".join(split_list(value, m.description_separator))
        if value.strip():
            paragraphs.append(value.strip())
    raw_images = [i for col in m.images for i in split_list(row.get(col), m.image_separator)]
    raw_images = [i for i in raw_images if not any(x in i for x in m.image_exclude)]
    title = clean_text(row.get(m.title))
    sku = row.get(m.sku) if m.sku else None
    if not sku:
        sku = "gen-" + content_hash({"title": title, "row": {k: v for k, v in sorted(row.items())}})[:16]
    return Product(
        sku=sku,
        title=title,
        description="\n\n".join(paragraphs),
        brand=(row.get(m.brand) or None) if m.brand else None,
        category=split_list(row.get(m.category), m.category_separator) if m.category else [],
        price=price,
        currency=(cur or currency).upper() if price is not None else None,
        sale_price=sale,
        attributes={name: clean_text(row[col]) for col, name in m.attributes.items() if row.get(col)},
        images=[r for r in (resolve_image(i, src.base_dir) for i in raw_images) if r],
        source_images=raw_images,
        language=m.language,
        tags=split_list(row.get(m.tags), m.tag_separator) if m.tags else [],
        gtin=(row.get(m.gtin) or None) if m.gtin else None,
        mpn=(row.get(m.mpn) or None) if m.mpn else None,
        link=(row.get(m.link) or None) if m.link else None,
        availability=normalize_availability(row.get(m.availability)) if m.availability else None,
        source_file=src.name,
        source_row=n,
    )


def product_from_record(rec: dict[str, Any], src: SourceFile, n: int, default_currency: str) -> Product:
    """A Product-shaped dict (JSONL line, Parquet row, earlier snapshot) → Product.

    Raises ValueError(message, field, value) for the quarantine record.
    """
    data = {k: v for k, v in rec.items() if k in Product.model_fields and v is not None and v == v}
    for key in ("category", "tags", "images", "variants", "attributes", "source_images"):
        if isinstance(data.get(key), str):
            text = data[key]
            try:
                data[key] = json.loads(text) if text.strip()[:1] in ("[", "{") else split_list(text)
            except json.JSONDecodeError:
                raise ValueError(f"{key} is neither a JSON list/object nor a comma list", key, text) from None
        elif hasattr(data.get(key), "tolist"):
            data[key] = data[key].tolist()
    for key in ("price", "sale_price"):
        if key in data:
            raw = data[key]
            try:
                amount, cur = parse_price(str(raw), data.get("currency") or default_currency)
            except ValueError as exc:
                raise ValueError(str(exc), key, str(raw)) from None
            data[key] = amount
            if amount is not None and not data.get("currency"):
                data["currency"] = cur
    if "images" in data:
        data.setdefault("source_images", list(data["images"]))
        data["images"] = [r for r in (resolve_image(str(i), src.base_dir) for i in data["images"]) if r]
    if isinstance(data.get("sku"), (int, float)):
        data["sku"] = str(data["sku"])
    data["source_file"] = src.name
    data["source_row"] = n
    try:
        return Product.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(map(str, err["loc"]))
        raise ValueError(f"{field}: {err['msg']}", field, str(err.get("input"))[:200]) from None


def read_parquet(src: SourceFile, default_currency: str) -> CatalogRead:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(src.data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise CatalogError(f"{src.name} is not a readable Parquet file ({exc}); write it again") from None
    if "sku" not in table.column_names or "title" not in table.column_names:
        raise CatalogError(
            f"{src.name} has no 'sku' and 'title' columns (found {table.column_names[:10]}); Parquet "
            "input needs Product-shaped columns"
        )
    products, quarantined = [], []
    for n, rec in enumerate(table.to_pylist(), start=1):
        try:
            products.append(product_from_record(rec, src, n, default_currency))
        except ValueError as exc:
            quarantined.append(_record_error(src, n, rec, exc))
    return CatalogRead(
        source=src.name, format="parquet", rows=table.num_rows, products=products, quarantined=quarantined
    )


def _record_error(src: SourceFile, n: int, rec: dict[str, Any], exc: ValueError) -> QuarantineRecord:
    field, value = (exc.args[1], exc.args[2]) if len(exc.args) >= 3 else (None, None)
    return QuarantineRecord(
        source_file=src.name,
        row=n,
        sku=str(rec.get("sku")) if rec.get("sku") is not None else None,
        field=field,
        value=value,
        reason=f"{exc.args[0]}.",
        fix=f"correct {field or 'the record'} so it matches the Product fields (sku, title, price, ...).",
    )
