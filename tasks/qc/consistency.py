"""Catalog consistency (the hallucination check): what the copy claims vs what the catalog says.

Claims about price, discount, currency, material, colour, size, quantities with units and brand
are pulled out of the copy (zh and en) and compared with the product's own data: its price, sale
price and variant prices, and every quantity, material and colour word found in its title,
description, attributes, variant options and tags.

- A contradiction blocks, with evidence `{claim, catalog}`: copy says cotton but the catalog only
  knows leather; $39.99 where the catalog has 65.00 and no sale price; 32 oz where it has 20 oz;
  a brand other than the product's named outside a compatibility phrase ("fits iPhone 13").
- A claim the catalog says nothing about warns (unsupported), so a reviewer can check it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from tasks.models import QCResult
from tasks.qc.brands import find_brands, same_brand
from tasks.qc.rules import TextContext, rule
from tasks.qc.vocab import COLOURS as _COLOURS
from tasks.qc.vocab import MATERIAL_CLASS as _MAT_CLASS
from tasks.qc.vocab import MATERIALS as _MATERIALS
from tasks.qc.vocab import SOFT_GOODS as _SOFT_GOODS
from tasks.qc.vocab import UNITS as _UNITS

CONTRADICTION = rule(
    "consistency.contradiction",
    "consistency",
    "block",
    "copy claims {kind} {claim!r} but the catalog says {catalog}",
)
UNSUPPORTED = rule(
    "consistency.unsupported",
    "consistency",
    "warn",
    "copy claims {kind} {claim!r}, which the catalog does not state; check it",
)
OTHER_BRAND = rule(
    "consistency.other_brand",
    "consistency",
    "block",
    "copy names the brand {span!r} but the product is by {catalog}",
)

# ---- price -------------------------------------------------------------------------------------------

_PRICE = re.compile(
    r"(?P<sym>US\$|C\$|A\$|HK\$|\$|€|£|¥|￥|RMB\s?|CNY\s?|USD\s?|EUR\s?|GBP\s?)(?P<a>\d[\d,]*(?:\.\d{1,2})?)"
    r"|(?P<b>\d[\d,]*(?:\.\d{1,2})?)\s?(?P<suf>元|块钱|块|USD|EUR|GBP|CNY|RMB|dollars|euros)(?![A-Za-z])",
    re.I,
)
_CUR = {
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "dollars": "USD",
    "c$": "CAD",
    "a$": "AUD",
    "hk$": "HKD",
    "€": "EUR",
    "eur": "EUR",
    "euros": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "¥": "CNY",
    "￥": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
    "元": "CNY",
    "块": "CNY",
    "块钱": "CNY",
}
_DOLLARS = {"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "TWD", "MXN"}
_YEN = {"CNY", "JPY"}
_PRICE_SKIP_BEFORE = re.compile(
    r"(?:save|saving|off|over|above|under|below|orders?|spend|up\s+to|worth|value|coupon|credit|gift\s+card|"
    r"shipping|满|减|省|券|立减|优惠|返|补贴|红包|运费|定金|订金|直降)[^.。,，]{0,12}$",
    re.I,
)
_PRICE_SKIP_AFTER = re.compile(r"^\s*(?:off|or\s+more|and\s+up|以上|起|减|优惠券|券|红包|运费|定金)", re.I)
_PCT = re.compile(
    r"(?:save|saving)\s+(\d{1,2})\s?%|(\d{1,2})\s?%\s+off|(?<!\d)([1-9](?:\.\d)?)\s?折(?!叠)", re.I
)

# ---- vocabularies --------------------------------------------------------------------------------

_MAT_NEG = re.compile(
    r"(?:\bno|\bnon|\bwithout|\bnot|\bzero|\bskip|\bavoid|\bnot\s+for|无|不含|非|免)[-\s]?$", re.I
)
_MAT_FREE = re.compile(r"^[-\s]?(?:free|less)\b", re.I)

_COLOUR_EN_CLAIM = re.compile(
    r"(?:available\s+in|comes\s+in|offered\s+in|choose\s+from|in\s+(?:a\s+)?(?:rich|deep|classic|bold|soft|"
    r"timeless|elegant|vibrant|bright|matte|glossy)?\s*)$",
    re.I,
)
_COLOUR_EN_AFTER = re.compile(r"^\s*(?:colou?r(?:way)?|finish|tone|hue|shade)\b", re.I)

_SIZE_EN = re.compile(r"\bsizes?\s*:?\s*(XXXS|XXS|XS|S|M|L|XL|XXL|XXXL|[2-5]XL|\d{1,2}(?:\.5)?)\b", re.I)
_SIZE_ZH = re.compile(r"(?<![A-Za-z])(XXXS|XXS|XS|S|M|L|XL|XXL|XXXL|[2-5]XL)码|(均码)", re.I)

_OZ_TO = {"volume": 29.5735, "mass": 28.3495}
_QTY = re.compile(
    r"(?<![\w.])(?P<n>\d+(?:[.,]\d+)?)\s?-?\s?(?P<u>fl\.?\s?oz|ounces?|oz|ml|毫升|litres?|liters?|l|升|gal(?:lon)?|"
    r"kg|千克|公斤|斤|g|克|lbs?|pounds|mm|毫米|cm|厘米|m|米|inch(?:es)?|\"|″|英寸|寸|ft|feet|mah|毫安|"
    r"mb|gb|tb|kw|w|瓦|v|伏|pcs|pieces?|pack|count|ct|件|片|瓶|罐|支|只|包|袋|粒|朵)(?![A-Za-z])"
    r"|(?<![\w.])(?P<n2>\d+(?:\.\d+)?)[-\s]?in\.?(?=\s*(?:x|×|wide|long|tall|high|deep|diameter|screen|laptop|"
    r"display|$|[,.;)]))"
    r"|\bset\s+of\s+(?P<n3>\d+)\b|\b(?P<n4>\d+)[-\s]pack\b",
    re.I,
)
_QTY_NOT_UNITS = {"G", "M"}  # 5G is a network, size M is not metres
_COMPAT = re.compile(
    r"(?:适配|适用于?|兼容|专用|用于|配件|for|fits?|compatible\s+with|works\s+with|replacement\s+for|designed\s+for)"
    r"[^.。,，;]{0,16}$",
    re.I,
)


def _dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", "")) if value is not None and str(value).strip() else None
    except InvalidOperation:
        return None


def catalog_text(product: Any) -> str:
    """Everything the catalog says about the product, as one lower-cased string."""
    parts = [
        product.title or "",
        product.description or "",
        product.brand or "",
        " ".join(product.tags or []),
    ]
    parts += [f"{k}: {v}" for k, v in (product.attributes or {}).items()]
    for v in product.variants or []:
        parts += [f"{k}: {o}" for k, o in (v.options or {}).items()]
    return "\n".join(parts).lower()


@lru_cache(maxsize=4)
def _vocab_pattern(kind: str) -> re.Pattern[str]:
    vocab = _MATERIALS if kind == "material" else _COLOURS
    parts = []
    for w in sorted(vocab, key=lambda w: (-len(w), w)):
        esc = re.escape(w)
        parts.append(esc if re.search(r"[\u4e00-\u9fff]", w) else rf"\b{esc}\b")
    return re.compile("|".join(parts), re.I)


@lru_cache(maxsize=1024)
def _families(kind: str, text: str) -> frozenset[str]:
    """Families named in `text`; cached because every field of an asset re-reads the same catalog."""
    vocab = _MATERIALS if kind == "material" else _COLOURS
    return frozenset(vocab[m.group(0).lower()] for m in _vocab_pattern(kind).finditer(text))


@lru_cache(maxsize=256)
def _catalog_quantities(text: str) -> tuple[tuple[str, float, str, int, int], ...]:
    return tuple(quantities(text))


def quantities(text: str) -> list[tuple[str, float, str, int, int]]:
    """(family, value in base unit, span, start, end) for every number-with-unit in `text`."""
    out = []
    for m in _QTY.finditer(text):
        if m.group("n"):
            unit_raw = m.group("u")
            if unit_raw in _QTY_NOT_UNITS:
                continue
            unit = re.sub(r"\s+", " ", unit_raw.lower()).replace("fl.oz", "fl oz").replace("fl. oz", "fl oz")
            unit = "fl oz" if unit.startswith("fl") else unit
            fam, factor = _UNITS.get(unit, _UNITS.get(unit.rstrip("s"), ("", 0)))
            if not fam:
                continue
            n = float(m.group("n").replace(",", "."))
            out.append((fam, n * factor, m.group(0), m.start(), m.end()))
        elif m.group("n2"):
            out.append(("length", float(m.group("n2")) * 25.4, m.group(0), m.start(), m.end()))
        else:
            out.append(("count", float(m.group("n3") or m.group("n4")), m.group(0), m.start(), m.end()))
    return out


def _qty_match(
    fam: str, value: float, catalog: list[tuple[str, float, str, int, int]]
) -> tuple[bool, list[str]]:
    """Whether a claimed quantity appears in the catalog (2 % tolerance), and the catalog's values."""
    same: list[str] = []
    for cfam, cval, cspan, _, _ in catalog:
        candidates: list[tuple[float, float]] = []
        if cfam == fam:
            candidates.append((value, cval))
        elif fam == "oz" and cfam in _OZ_TO:
            candidates.append((value * _OZ_TO[cfam], cval))
        elif cfam == "oz" and fam in _OZ_TO:
            # the catalog's "oz" may be volume or weight: a match counts, a mismatch proves nothing
            if abs(value - cval * _OZ_TO[fam]) <= 0.02 * value:
                return True, same
            continue
        if candidates:
            same.append(cspan)
            if any(abs(a - b) <= 0.02 * max(abs(b), 1e-9) for a, b in candidates):
                return True, same
    return False, same


def check(text: str, ctx: TextContext) -> list[QCResult]:
    """Contradictions (block) and unsupported claims (warn) against `ctx.product`; none without one."""
    p = ctx.product
    if p is None:
        return []
    cat = catalog_text(p)
    out: list[QCResult] = []
    out += _prices(text, p)
    out += _vocab_claims(text, ctx, cat, "material")
    out += _vocab_claims(text, ctx, cat, "colour")
    out += _sizes(text, p, cat)
    cat_q = list(_catalog_quantities(catalog_text_cased(p)))
    for fam, val, span, s, e in quantities(text):
        ok, same = _qty_match(fam, val, cat_q)
        if ok:
            continue
        if same:
            out.append(CONTRADICTION.hit(span, s, e, kind="quantity", claim=span, catalog=sorted(set(same))))
        elif fam != "count":
            out.append(UNSUPPORTED.hit(span, s, e, kind="quantity", claim=span))
    out += _brands(text, ctx, cat)
    return out


def catalog_text_cased(product: Any) -> str:
    parts = [product.title or "", product.description or "", " ".join(product.tags or [])]
    parts += [f"{k}: {v}" for k, v in (product.attributes or {}).items()]
    for v in product.variants or []:
        parts += [f"{k}: {o}" for k, o in (v.options or {}).items()]
    return "\n".join(parts)


def _prices(text: str, p: Any) -> list[QCResult]:
    out: list[QCResult] = []
    price, sale = _dec(p.price), _dec(p.sale_price)
    known = {x for x in (price, sale) if x is not None}
    known |= {x for v in p.variants or [] for x in (_dec(v.price), _dec(v.sale_price)) if x is not None}
    cur = (p.currency or "").upper()
    catalog = {
        "price": str(price) if price is not None else None,
        "sale_price": str(sale) if sale is not None else None,
        "currency": cur or None,
    }
    for m in _PRICE.finditer(text):
        s, e = m.span()
        if _PRICE_SKIP_BEFORE.search(text[max(0, s - 30) : s]) or _PRICE_SKIP_AFTER.match(text[e : e + 12]):
            continue
        sym = (m.group("sym") or m.group("suf") or "").strip().lower()
        amount = _dec(m.group("a") or m.group("b"))
        if amount is None:
            continue
        claimed_cur = _CUR.get(sym)
        if (
            claimed_cur
            and cur
            and not (
                claimed_cur == cur
                or (claimed_cur == "USD" and sym == "$" and cur in _DOLLARS)
                or (claimed_cur == "CNY" and sym in {"¥", "￥"} and cur in _YEN)
            )
        ):
            out.append(CONTRADICTION.hit(m.group(0), s, e, kind="currency", claim=m.group(0), catalog=cur))
            continue
        if not known:
            out.append(UNSUPPORTED.hit(m.group(0), s, e, kind="price", claim=m.group(0)))
        elif not any(abs(amount - k) < Decimal("0.005") for k in known):
            kind = "a sale price" if sale is None and price is not None and amount < price else "price"
            out.append(CONTRADICTION.hit(m.group(0), s, e, kind=kind, claim=m.group(0), catalog=catalog))
    for m in _PCT.finditer(text):
        s, e = m.span()
        claimed = 100 - float(m.group(3)) * 10 if m.group(3) else float(m.group(1) or m.group(2))
        if price is None or sale is None or price <= 0:
            out.append(
                CONTRADICTION.hit(m.group(0), s, e, kind="a discount", claim=m.group(0), catalog=catalog)
            )
            continue
        actual = float((price - sale) / price * 100)
        if abs(actual - claimed) > 1.5:
            out.append(
                CONTRADICTION.hit(
                    m.group(0),
                    s,
                    e,
                    kind="a discount",
                    claim=m.group(0),
                    catalog={**catalog, "discount_pct": round(actual, 1)},
                )
            )
    return out


_MAT_KEY = re.compile(r"material|fabric|composition|shell|lining|材质|面料|成分|材料|里料", re.I)
_COLOUR_KEY = re.compile(r"colou?r|颜色|色系", re.I)


def _explicit(product: Any, kind: str) -> frozenset[str]:
    """Families the catalog states on purpose: material/colour attributes, variant options, and for
    colour also the title. Only these can be contradicted; free-text mentions only support."""
    key = _MAT_KEY if kind == "material" else _COLOUR_KEY
    values = [str(v) for k, v in (product.attributes or {}).items() if key.search(k)]
    values += [str(o) for v in product.variants or [] for k, o in (v.options or {}).items() if key.search(k)]
    if kind == "colour":
        values.append(product.title or "")
    return _families(kind, "\n".join(values).lower())


def _conflicts(kind: str, fam: str, explicit: frozenset[str]) -> bool:
    if kind == "colour":
        return bool(explicit)
    cls = _MAT_CLASS.get(fam)
    others = {_MAT_CLASS.get(e) for e in explicit}
    return cls in others or (cls in _SOFT_GOODS and bool(others & _SOFT_GOODS))


def _vocab_claims(text: str, ctx: TextContext, cat: str, kind: str) -> list[QCResult]:
    out: list[QCResult] = []
    vocab = _MATERIALS if kind == "material" else _COLOURS
    catalog_fams = _families(kind, cat)
    explicit = _explicit(ctx.product, kind)
    for m in _vocab_pattern(kind).finditer(text):
        word = m.group(0)
        s, e = m.span()
        if ctx.allowed(s, e):
            continue
        zh = bool(re.search(r"[\u4e00-\u9fff]", word))
        if kind == "material" and (
            _MAT_NEG.search(text[max(0, s - 8) : s]) or _MAT_FREE.match(text[e : e + 6])
        ):
            continue
        if kind == "colour":
            if (
                zh
                and not text.startswith("色", e)
                and word not in {"藏青", "卡其", "咖啡", "酒红", "墨绿", "藏蓝"}
            ):
                continue
            if not zh and not (
                _COLOUR_EN_CLAIM.search(text[max(0, s - 30) : s]) or _COLOUR_EN_AFTER.match(text[e : e + 12])
            ):
                continue
            if zh and text.startswith("色", e):
                e += 1
        fam = vocab[word.lower()]
        if fam in catalog_fams:
            continue
        span = text[s:e]
        if _conflicts(kind, fam, explicit):
            out.append(CONTRADICTION.hit(span, s, e, kind=kind, claim=span, catalog=sorted(explicit)))
        else:
            out.append(UNSUPPORTED.hit(span, s, e, kind=kind, claim=span))
    return out


def _sizes(text: str, p: Any, cat: str) -> list[QCResult]:
    known: set[str] = set()
    for v in p.variants or []:
        for k, o in (v.options or {}).items():
            if re.search(r"size|尺码|尺寸|码", k, re.I):
                known.add(str(o).strip().upper())
    for k, o in (p.attributes or {}).items():
        if re.search(r"^size$|尺码", k, re.I):
            known |= {x.strip().upper() for x in re.split(r"[,/;，、 ]+", str(o)) if x.strip()}
    out: list[QCResult] = []
    for pat in (_SIZE_EN, _SIZE_ZH):
        for m in pat.finditer(text):
            size = (m.group(1) or m.group(2) or "").upper()
            if not size or size in known or (size == "均码" and "均码" in cat):
                continue
            s, e = m.span()
            if known:
                out.append(
                    CONTRADICTION.hit(m.group(0), s, e, kind="size", claim=m.group(0), catalog=sorted(known))
                )
            elif size.lower() not in cat.split():
                out.append(UNSUPPORTED.hit(m.group(0), s, e, kind="size", claim=m.group(0)))
    return out


def _brands(text: str, ctx: TextContext, cat: str) -> list[QCResult]:
    own = getattr(ctx.product, "brand", None) or ""
    out: list[QCResult] = []
    for name, s, e in find_brands(text, ctx.extra_brands):
        if (own and same_brand(own, name)) or name.lower() in cat or ctx.allowed(s, e):
            continue
        if _COMPAT.search(text[max(0, s - 24) : s]):
            continue
        out.append(OTHER_BRAND.hit(name, s, e, claim=name, catalog=own or "no brand in the catalog"))
    return out
