"""JSON Lines: our own Product-shaped records, and the Taobao/OpenBG form.

OpenBG lines carry the merchant's attributes as `key#:#value#;#key#:#value` in `sentences` and
the real title in `spans[0].term`; they have no SKU, so one is derived from the content (stable
across runs, so the same item keeps its SKU and its generated content).
"""

from __future__ import annotations

import json

from tasks.catalog.normalize import clean_text
from tasks.catalog.records import CatalogRead, QuarantineRecord, SourceFile
from tasks.catalog.tabular import _record_error, product_from_record
from tasks.errors import CatalogError
from tasks.models import Product, content_hash

#: OpenBG attribute keys that map onto Product fields rather than free attributes.
TAOBAO_FIELDS = {"品牌": "brand", "货号": "mpn"}


def parse_taobao_sentences(text: str) -> dict[str, str]:
    """'颜色#:#红#;#适用场景#:#婚礼#;#适用场景#:#生日' → {'颜色': '红', '适用场景': '婚礼, 生日'}."""
    attrs: dict[str, str] = {}
    for pair in (text or "").split("#;#"):
        key, sep, value = pair.partition("#:#")
        key, value = clean_text(key), clean_text(value)
        if not sep or not key or not value:
            continue
        values = [v for v in attrs.get(key, "").split(", ") if v]
        if value not in values:
            attrs[key] = ", ".join([*values, value])
    return attrs


def taobao_product(rec: dict, src: SourceFile, n: int) -> Product:
    spans = rec.get("spans") or []
    title = clean_text(spans[0].get("term", "")) if spans and isinstance(spans[0], dict) else ""
    attrs = parse_taobao_sentences(rec.get("sentences", ""))
    fields = {TAOBAO_FIELDS[k]: attrs.pop(k) for k in list(attrs) if k in TAOBAO_FIELDS}
    sku = "tb-" + content_hash({"title": title, "sentences": rec.get("sentences", "")})[:16]
    return Product(
        sku=sku, title=title, attributes=attrs, language="zh", source_file=src.name, source_row=n, **fields
    )


def read_jsonl(src: SourceFile, default_currency: str) -> CatalogRead:
    products: list[Product] = []
    quarantined: list[QuarantineRecord] = []
    rows = parsed = 0
    fmt = "jsonl"
    for n, line in enumerate(src.text().splitlines(), start=1):
        if not line.strip():
            continue
        rows += 1
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("the line is JSON but not an object")
        except (json.JSONDecodeError, ValueError) as exc:
            quarantined.append(
                QuarantineRecord(
                    source_file=src.name,
                    row=n,
                    reason=f"line {n} is not a JSON object ({exc}).",
                    fix='write one JSON object per line, e.g. {"sku": "A1", "title": "..."}.',
                )
            )
            continue
        parsed += 1
        try:
            if "sentences" in rec and "spans" in rec:
                fmt = "jsonl-taobao"
                products.append(taobao_product(rec, src, n))
            else:
                products.append(product_from_record(rec, src, n, default_currency))
        except ValueError as exc:
            quarantined.append(_record_error(src, n, rec, exc))
    if rows and not parsed:
        raise CatalogError(
            f"{src.name}: none of its {rows} lines is a JSON object; JSON Lines needs one object per line"
        )
    return CatalogRead(source=src.name, format=fmt, rows=rows, products=products, quarantined=quarantined)
