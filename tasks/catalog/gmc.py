"""Google Merchant Center feeds: RSS 2.0 / Atom XML with the `g:` namespace, and the TSV form.

Both forms name the same attributes (`id`, `title`, `price`, `image_link`, ...), so each item is
first collected into `{attribute: [values]}` and then normalized by one function. Items that share
an `item_group_id` fold into one product whose variants carry their colour/size/... options.
Hand-edited feeds are common (duplicated channel headers, comments, items missing images): what
parses is kept, an item that cannot become a product is quarantined with its item number.
"""

from __future__ import annotations

import csv
import io

from tasks.catalog.normalize import (
    clean_text,
    first_nonempty,
    html_to_text,
    normalize_availability,
    parse_price,
    resolve_image,
)
from tasks.catalog.records import CatalogRead, QuarantineRecord, SourceFile
from tasks.errors import CatalogError
from tasks.models import Product, Variant

G_NS = "http://base.google.com/ns/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
OPTION_ATTRS = ("color", "size", "material", "pattern", "gender", "age_group", "size_type", "size_system")
_KEEP_AS_ATTRS = (
    "google_product_category",
    "identifier_exists",
    "unit_pricing_measure",
    "energy_efficiency_class",
)

Fields = dict[str, list[str]]


def read_gmc_xml(src: SourceFile, default_currency: str) -> CatalogRead:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(src.data, parser)
    except etree.XMLSyntaxError as exc:
        raise CatalogError(
            f"{src.name} is not well-formed XML ({exc.msg}, line {exc.lineno}); fix the markup there "
            "(an unclosed tag or a bare '&' is the usual cause; write '&amp;') and try again"
        ) from None
    items = [
        el for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname in ("item", "entry")
    ]
    if not items:
        raise CatalogError(
            f"{src.name} is XML but has no <item> (RSS) or <entry> (Atom) elements, so it is not a Google "
            f"Merchant Center feed (root element <{etree.QName(root).localname}>); export the feed "
            "in Google's RSS/Atom format"
        )
    records = []
    for el in items:
        fields: Fields = {}
        for child in el:
            if not isinstance(child.tag, str):
                continue
            q = etree.QName(child)
            name = q.localname
            if q.namespace == ATOM_NS and name == "link":
                value = child.get("href") or ""
            elif name == "shipping" or len(child):
                continue
            else:
                value = (child.text or "").strip()
            if not value:
                continue
            # g:title wins over a plain RSS/Atom <title>: `_one` looks at the g: key first
            key = name if q.namespace == G_NS else f"plain:{name}"
            fields.setdefault(key, []).append(value)
        records.append(fields)
    return _build(src, records, "gmc-xml", default_currency)


def read_gmc_tsv(src: SourceFile, default_currency: str) -> CatalogRead:
    reader = csv.reader(io.StringIO(src.text()), delimiter="\t")
    try:
        header = [h.strip().lower().removeprefix("g:") for h in next(reader)]
    except StopIteration:
        raise CatalogError(f"{src.name} is empty; export the feed again") from None
    if "id" not in header or "title" not in header:
        raise CatalogError(
            f"{src.name} is not a Google Merchant Center TSV feed: it needs the columns 'id' and 'title' "
            f"(found {header[:8]}); fix the header row or pass another --format"
        )
    records = []
    for row in reader:
        if not any(c.strip() for c in row):
            records.append({})
            continue
        fields: Fields = {}
        for name, value in zip(header, row, strict=False):
            for part in value.split(",") if name == "additional_image_link" else [value]:
                if part.strip():
                    fields.setdefault(name, []).append(part.strip())
        records.append(fields)
    return _build(src, records, "gmc-tsv", default_currency, row_offset=2)


def _one(f: Fields, name: str) -> str | None:
    return first_nonempty(*f.get(name, []), *f.get(f"plain:{name}", []))


def _build(
    src: SourceFile, records: list[Fields], fmt: str, currency: str, row_offset: int = 1
) -> CatalogRead:
    products: list[Product] = []
    quarantined: list[QuarantineRecord] = []
    groups: dict[str, Product] = {}
    for n, fields in enumerate(records, start=row_offset):
        if not fields:
            continue
        try:
            product, options = _product(fields, src, currency, n)
        except ValueError as exc:
            field, value, fix = exc.args[1:4] if len(exc.args) >= 4 else ("", "", "correct the value.")
            quarantined.append(
                QuarantineRecord(
                    source_file=src.name,
                    row=n,
                    sku=_one(fields, "id"),
                    field=field,
                    value=value,
                    reason=f"{exc.args[0]}.",
                    fix=fix,
                )
            )
            continue
        group = _one(fields, "item_group_id")
        if not group:
            products.append(product)
            continue
        variant = Variant(
            sku=product.sku,
            options=options,
            price=product.price,
            sale_price=product.sale_price,
            gtin=product.gtin,
            image=product.images[0] if product.images else None,
        )
        parent = groups.get(group)
        if parent is None:
            parent = product.model_copy(update={"sku": group, "group_id": group, "variants": []})
            groups[group] = parent
            products.append(parent)
        parent.variants.append(variant)
        for name, value in options.items():
            vals = [v.strip() for v in parent.attributes.get(name, "").split(",") if v.strip()]
            if value not in vals:
                parent.attributes[name] = ", ".join([*vals, value])
        parent.images.extend(i for i in product.images if i not in parent.images)
    return CatalogRead(
        source=src.name, format=fmt, rows=len(records), products=products, quarantined=quarantined
    )


def _product(f: Fields, src: SourceFile, currency: str, n: int) -> tuple[Product, dict[str, str]]:
    sku = _one(f, "id")
    if not sku:
        raise ValueError(
            "the item has no id, so it cannot be tracked between runs",
            "id",
            "",
            "give every item a unique <g:id> (your SKU).",
        )
    prices = {}
    for name in ("price", "sale_price"):
        raw = _one(f, name)
        try:
            prices[name] = parse_price(raw, currency)
        except ValueError as exc:
            raise ValueError(
                str(exc), name, raw, f"write {name} as a number and currency, e.g. '19.99 USD'."
            ) from None
    price, cur = prices["price"]
    sale, sale_cur = prices["sale_price"]
    raw_images = [*f.get("image_link", []), *f.get("additional_image_link", [])]
    raw_images = list(dict.fromkeys(raw_images))
    options = {k: clean_text(_one(f, k)) for k in OPTION_ATTRS if _one(f, k)}
    attributes = dict(options)
    for k in _KEEP_AS_ATTRS:
        if _one(f, k):
            attributes[k] = _one(f, k)
    category = _one(f, "product_type") or ""
    return (
        Product(
            sku=sku,
            title=clean_text(_one(f, "title") or ""),
            description=html_to_text(
                first_nonempty(_one(f, "description"), _one(f, "summary"), _one(f, "content"))
            ),
            brand=_one(f, "brand"),
            category=[c.strip() for c in category.split(">") if c.strip()],
            price=price,
            currency=(cur or sale_cur) if price is not None or sale is not None else None,
            sale_price=sale,
            attributes=attributes,
            images=[r for r in (resolve_image(x, src.base_dir) for x in raw_images) if r],
            source_images=raw_images,
            gtin=_one(f, "gtin"),
            mpn=_one(f, "mpn"),
            link=_one(f, "link"),
            availability=normalize_availability(_one(f, "availability")),
            condition=_one(f, "condition"),
            source_file=src.name,
            source_row=n,
        ),
        options,
    )
