"""Grounding checks: does generated copy state a number, material or colour the catalog lacks?

Used to validate FAQ answers ("answered only from the catalog data") and by the tests that hold
the built-in writer to being faithful by construction. Deliberately simple word lists: they catch
the claims that cause returns and complaints (wrong size, wrong material, wrong colour).
"""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal, InvalidOperation

from tasks.models import Product


def _words(text: str) -> list[str]:
    return text.split()


COLOURS_EN = _words(
    "black white red blue green yellow orange purple pink brown grey gray beige ivory navy "
    "teal turquoise gold silver tan maroon burgundy olive cream charcoal khaki lavender coral"
)
MATERIALS_EN = _words(
    "leather cotton wool silk linen polyester nylon bamboo wood wooden steel aluminum aluminium "
    "plastic glass ceramic rubber denim cashmere suede velvet fiberglass brass copper titanium "
    "porcelain marble granite canvas acrylic spandex gold silver"
)
COLOURS_ZH = list("黑白红蓝绿黄橙紫粉棕灰") + ["米色", "金色", "银色", "咖啡色", "卡其"]
MATERIALS_ZH = _words("皮革 真皮 牛皮 棉 羊毛 丝 麻 涤纶 尼龙 竹 木 钢 铝 塑料 玻璃 陶瓷")

_NUM = re.compile(r"\d+(?:[.,]\d+)*")


def product_text(product: Product) -> str:
    """Every catalog value of the product as one string (what copy may draw on)."""
    parts = [product.sku, product.title, product.description, product.brand or "", *product.category]
    parts += [f"{k} {v}" for k, v in product.attributes.items()]
    parts += [str(x) for x in (product.price, product.sale_price, product.gtin, product.mpn) if x is not None]
    parts += [product.currency or "", product.availability or "", product.condition or "", *product.tags]
    for v in product.variants:
        parts += [f"{k} {val}" for k, val in v.options.items()]
        parts += [str(x) for x in (v.price, v.sale_price) if x is not None]
    return "\n".join(parts)


def _numbers(text: str) -> set[str]:
    out = set()
    for m in _NUM.findall(text):
        out.add(m)
        with contextlib.suppress(InvalidOperation):
            out.add(str(Decimal(m.replace(",", "")).normalize()))
    return out


def ungrounded_numbers(text: str, product: Product) -> set[str]:
    """Numbers in `text` that appear nowhere in the product's catalog data."""
    known = _numbers(product_text(product))
    bad = set()
    for m in _NUM.findall(text):
        try:
            norm = str(Decimal(m.replace(",", "")).normalize())
        except InvalidOperation:
            norm = m
        if m not in known and norm not in known:
            bad.add(m)
    return bad


def ungrounded_words(text: str, product: Product, words: list[str]) -> set[str]:
    """Words of a vocabulary (colours, materials) used in `text` but absent from the catalog data."""
    source = product_text(product).lower()
    low = text.lower()
    bad = set()
    for w in words:
        if w.isascii():
            hit = re.search(rf"\b{re.escape(w)}\b", low) and not re.search(rf"\b{re.escape(w)}", source)
        else:
            hit = w in low and w not in source
        if hit:
            bad.add(w)
    return bad
