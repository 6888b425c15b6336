"""Shopify product CSV exports: one row per variant or extra image, grouped by `Handle`.

The first row of a handle carries the product (Title, Body (HTML), Vendor, options' names); the
rows after it ("continuation rows") carry only the Handle plus variant and/or image columns.
Variants fold into their product; their option values also become product attributes so copy
generation sees "Size: S, M, L".
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from tasks.catalog.normalize import (
    apply_compare_at,
    clean_text,
    first_nonempty,
    html_to_text,
    parse_price,
    resolve_image,
    split_list,
)
from tasks.catalog.records import CatalogRead, QuarantineRecord, SourceFile
from tasks.errors import CatalogError
from tasks.models import Product, Variant

_METAFIELD = re.compile(r"^(?P<label>.+?)\s*\((?:product|variant)\.metafields\.[^)]*\)$")
_GOOGLE = "Google Shopping / "
_GOOGLE_ATTRS = {
    "Gender": "gender",
    "Age Group": "age_group",
    "Google Product Category": "google_product_category",
}


def read_shopify(src: SourceFile, default_currency: str) -> CatalogRead:
    rows = list(csv.DictReader(io.StringIO(src.text())))
    if not rows:
        raise CatalogError(f"{src.name} has a header but no product rows; export the products again")
    missing = {"Handle", "Title"} - set(rows[0])
    if missing:
        raise CatalogError(
            f"{src.name} is not a Shopify product export: column(s) {sorted(missing)} are missing; "
            "export from Shopify admin > Products > Export, or pass --format csv with --mapping"
        )
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    quarantined: list[QuarantineRecord] = []
    for i, row in enumerate(rows, start=2):  # spreadsheet numbering: the header is row 1
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        handle = row.get("Handle", "")
        if not handle:
            if any(row.values()):
                quarantined.append(
                    QuarantineRecord(
                        source_file=src.name,
                        row=i,
                        field="Handle",
                        value="",
                        reason="the row has no Handle, so it belongs to no product.",
                        fix="fill in the product's Handle (the URL name shared by all its rows).",
                    )
                )
            continue
        groups.setdefault(handle, []).append((i, row))
    products = []
    for handle, grp in groups.items():
        try:
            products.append(_product(handle, grp, src, default_currency))
        except ValueError as exc:
            quarantined.append(
                QuarantineRecord(
                    source_file=src.name,
                    row=grp[0][0],
                    sku=handle,
                    field="Variant Price",
                    value=_first(grp, "Variant Price"),
                    reason=f"{exc}.",
                    fix="write the price as a plain number such as 19.99 in every variant row.",
                )
            )
    return CatalogRead(
        source=src.name, format="shopify", rows=len(rows), products=products, quarantined=quarantined
    )


def _first(grp: list[tuple[int, dict[str, str]]], col: str) -> str:
    return next((r[col] for _, r in grp if r.get(col)), "")


def _product(handle: str, grp: list[tuple[int, dict[str, str]]], src: SourceFile, currency: str) -> Product:
    first_row, head = grp[0]
    option_names = [head.get(f"Option{n} Name", "") for n in (1, 2, 3)]
    variants: list[Variant] = []
    prices: list[tuple[Decimal | None, Decimal | None]] = []
    raw_images: list[tuple[int, str]] = []
    qtys: list[int] = []
    for _, row in grp:
        if row.get("Image Src"):
            pos = int(row["Image Position"]) if row.get("Image Position", "").isdigit() else 10_000
            raw_images.append((pos, row["Image Src"]))
        has_variant = any(row.get(k) for k in ("Option1 Value", "Variant SKU", "Variant Price"))
        if not has_variant:
            continue
        price, _ = parse_price(row.get("Variant Price"), currency)
        compare, _ = parse_price(row.get("Variant Compare At Price"), currency)
        regular, sale = apply_compare_at(price, compare)
        prices.append((regular, sale))
        if row.get("Variant Inventory Qty", "").lstrip("-").isdigit():
            qtys.append(int(row["Variant Inventory Qty"]))
        options = {
            name: row[f"Option{n} Value"]
            for n, name in zip((1, 2, 3), option_names, strict=True)
            if name
            and row.get(f"Option{n} Value")
            and not (name == "Title" and row[f"Option{n} Value"] == "Default Title")
        }
        vsku = row.get("Variant SKU") or "-".join(
            [handle, *[re.sub(r"\s+", "-", v.lower()) for v in options.values()]]
        )
        variants.append(
            Variant(
                sku=vsku,
                options=options,
                price=regular,
                sale_price=sale,
                gtin=row.get("Variant Barcode", "").lstrip("'") or None,
                image=resolve_image(row.get("Variant Image"), src.base_dir),
            )
        )
    attributes: dict[str, str] = {}
    for v in variants:
        for name, value in v.options.items():
            vals = split_list(attributes.get(name, ""))
            if value not in vals:
                attributes[name] = ", ".join([*vals, value])
    for col, value in head.items():
        if not value:
            continue
        m = _METAFIELD.match(col)
        if m:
            attributes.setdefault(clean_text(m.group("label")), clean_text(value))
        elif col.startswith(_GOOGLE) and col[len(_GOOGLE) :] in _GOOGLE_ATTRS:
            attributes.setdefault(_GOOGLE_ATTRS[col[len(_GOOGLE) :]], value)
    raw_refs = [ref for _, ref in sorted(raw_images, key=lambda t: t[0])]
    raw_refs += [r["Variant Image"] for _, r in grp if r.get("Variant Image")]
    raw_refs = list(dict.fromkeys(raw_refs))
    price, sale = prices[0] if prices else (None, None)
    category_text = first_nonempty(head.get("Product Category"), head.get("Type"))
    single = len(variants) == 1 and not variants[0].options
    availability = None
    if qtys:
        availability = "in_stock" if any(q > 0 for q in qtys) else "out_of_stock"
    return Product(
        sku=handle,
        title=clean_text(head.get("Title", "")),
        description=html_to_text(head.get("Body (HTML)")),
        brand=head.get("Vendor") or None,
        category=[c.strip() for c in category_text.split(">") if c.strip()] if category_text else [],
        price=price,
        currency=currency.upper() if price is not None else None,
        sale_price=sale,
        attributes=attributes,
        variants=[] if single else variants,
        images=[r for r in (resolve_image(x, src.base_dir) for x in raw_refs) if r],
        source_images=raw_refs,
        tags=split_list(head.get("Tags")),
        gtin=variants[0].gtin if len(variants) == 1 else None,
        mpn=head.get(f"{_GOOGLE}MPN")
        or (variants[0].sku if len(variants) == 1 and head.get("Variant SKU") else None),
        condition=(head.get(f"{_GOOGLE}Condition") or "").lower() or None,
        availability=availability,
        group_id=handle,
        source_file=src.name,
        source_row=first_row,
    )
