"""Small local readers for the shared catalogs, used by the recommendation tests and benchmark.

They keep the recommendation tests independent of the catalog readers' development; when
`tasks.catalog.read_catalog` exists, `load_amazon` cross-checks nothing and simply stays a second
reader of the same real files. Every Product here is built from real rows, never invented.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from tasks.models import Product, Variant

_MONEY = re.compile(r"(\d+(?:[.,]\d+)?)")


def money(text: str | None) -> Decimal | None:
    """First amount in '$12.99', '$74.99 - $249.99', '165.00 USD'; None when there is none."""
    m = _MONEY.search((text or "").replace(",", ""))
    if not m:
        return None
    try:
        return Decimal(m.group(1))
    except InvalidOperation:
        return None


def load_amazon(catalogs: Path, limit: int | None = None) -> list[Product]:
    path = catalogs / "amazon-sample" / "amazon_products_sample_1000.csv"
    out: list[Product] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=1):
            cat = [c.strip() for c in (row.get("Category") or "").split(" | ") if c.strip()]
            out.append(
                Product(
                    sku=row["Uniq Id"],
                    title=(row.get("Product Name") or "").strip(),
                    description=(row.get("About Product") or "").strip(),
                    brand=(row.get("Brand Name") or "").strip() or None,
                    category=cat,
                    price=money(row.get("Selling Price")),
                    currency="USD",
                    source_file=str(path),
                    source_row=i,
                )
            )
            if limit and len(out) >= limit:
                break
    return out


def load_rawhide(catalogs: Path) -> list[Product]:
    from lxml import etree

    path = catalogs / "rawhide" / "google-merchant-feed.xml"
    g = "{http://base.google.com/ns/1.0}"
    out = []
    for i, item in enumerate(etree.parse(str(path)).iter("item"), start=1):

        def f(name: str, item=item) -> str | None:
            el = item.find(g + name)
            return el.text.strip() if el is not None and el.text else None

        price = f("price") or ""
        out.append(
            Product(
                sku=f("id"),
                title=f("title") or "",
                description=f("description") or "",
                brand=f("brand"),
                category=[c.strip() for c in (f("product_type") or "").split(">") if c.strip()],
                price=money(price),
                currency=price.split()[-1] if price else None,
                availability=f("availability"),
                group_id=f("item_group_id"),
                attributes={k: v for k in ("color", "size", "material") if (v := f(k))},
                source_file=str(path),
                source_row=i,
            )
        )
    return out


def _shopify_rows(path: Path) -> dict[str, list[dict]]:
    by_handle: dict[str, list[dict]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by_handle.setdefault(row["Handle"], []).append(row)
    return by_handle


def load_shopify(path: Path, *, variants_as_products: bool = False) -> list[Product]:
    """One Product per handle with its variants folded in, or (variants_as_products) one Product
    per variant row sharing `group_id = handle`, as Google Merchant item groups arrive."""
    out: list[Product] = []
    for handle, rows in _shopify_rows(path).items():
        head = rows[0]
        vrows = [r for r in rows if r.get("Variant Price") or r.get("Variant SKU")]
        category = [c for c in (head.get("Type") or "").split(">") if c.strip()] or ["Uncategorized"]
        tags = [t.strip() for t in (head.get("Tags") or "").split(",") if t.strip()]

        def stock(r: dict, head: dict = head) -> str | None:
            qty = (r.get("Variant Inventory Qty") or "").strip()
            if head.get("Status") == "archived":
                return "out of stock"
            return None if not qty else ("in stock" if int(float(qty)) > 0 else "out of stock")

        def vsku(r: dict, n: int, handle: str = handle) -> str:
            return (r.get("Variant SKU") or "").strip() or f"{handle}-{n}"

        common = dict(
            title=head["Title"],
            description=re.sub("<[^>]+>", " ", head.get("Body (HTML)") or ""),
            brand=head.get("Vendor") or None,
            category=[c.strip() for c in category],
            tags=tags,
            currency="SEK" if "velofant" in str(path) else "USD",
            source_file=str(path),
        )
        if variants_as_products and len(vrows) > 1:
            for n, r in enumerate(vrows, start=1):
                out.append(
                    Product(
                        sku=vsku(r, n),
                        price=money(r.get("Variant Price")),
                        availability=stock(r),
                        group_id=handle,
                        attributes={"option": r.get("Option1 Value") or ""},
                        **common,
                    )
                )
            continue
        variants = (
            [
                Variant(
                    sku=vsku(r, n),
                    options={"option": r.get("Option1 Value") or ""},
                    price=money(r.get("Variant Price")),
                )
                for n, r in enumerate(vrows, start=1)
            ]
            if len(vrows) > 1
            else []
        )
        first = vrows[0] if vrows else head
        out.append(
            Product(
                sku=vsku(first, 1) if not variants else handle,
                price=money(first.get("Variant Price")),
                availability=stock(first),
                variants=variants,
                **common,
            )
        )
    return out
