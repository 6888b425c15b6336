"""Value normalization shared by every reader: HTML to text, prices, images, lists.

Readers differ in where a value lives; what a value means is decided here once, so a product
normalizes to the same fields (and the same `content_hash`) whichever format it came in.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

_BLOCK = {"p", "div", "br", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section"}
_SKIP = {"script", "style", "head", "title"}
_WS = re.compile(r"[ \t\r\f\v\u00a0]+")

#: Currency symbols and words seen in merchant price fields; ambiguous ones map to the most common.
SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY", "￥": "CNY", "元": "CNY", "₹": "INR"}
SYMBOL_WORDS = {"kr": "SEK", "sek": "SEK", "nok": "NOK", "dkk": "DKK", "rmb": "CNY"}
_CENT = Decimal("0.01")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(value: str | None) -> str:
    """Strip tags, decode entities, keep paragraph/list breaks as single newlines."""
    if not value:
        return ""
    if "<" not in value and "&" not in value:
        return clean_text(value)
    parser = _TextParser()
    parser.feed(value)
    parser.close()
    return clean_text(html.unescape("".join(parser.parts)))


def clean_text(value: str | None) -> str:
    """Collapse runs of spaces per line and blank lines, trim the ends."""
    if not value:
        return ""
    lines = [_WS.sub(" ", line).strip() for line in value.replace("\r\n", "\n").split("\n")]
    return "\n".join(line for line in lines if line)


def parse_price(value: str | None, default_currency: str | None = None) -> tuple[Decimal | None, str | None]:
    """'165.00 USD', '$12.99', '1 299,00 kr', '2999.0' → (Decimal('165.00'), 'USD').

    Empty gives (None, None). Anything else that is not a price raises ValueError with the value,
    so the reader can quarantine that one row with the reason.
    """
    if value is None:
        return None, None
    text = str(value).strip()
    if not text or text.lower() in ("nan", "none", "null"):
        return None, None
    if re.search(r"\d\s*(-|–|to)\s*\D{0,3}\d", text):
        raise ValueError(
            f"{value!r} is a price range, not one price (give each variant its own row and price)"
        )
    currency = None
    m = re.search(r"\b([A-Z]{3})\b", text)
    if m:
        currency = m.group(1)
        text = text.replace(m.group(0), " ")
    else:
        for sym in sorted(SYMBOLS, key=len, reverse=True):
            if sym in text:
                if text.count(sym) > 1:
                    return _same_price_twice(value, text, sym)
                currency = SYMBOLS[sym]
                text = text.replace(sym, " ")
                break
        else:
            word = re.search(r"[A-Za-z]+", text)
            if word and word.group(0).lower() in SYMBOL_WORDS:
                currency = SYMBOL_WORDS[word.group(0).lower()]
                text = text.replace(word.group(0), " ")
    number = text.replace(" ", "").replace("\u00a0", "").replace("'", "")
    if not re.fullmatch(r"[+-]?[\d.,]+", number):
        raise ValueError(f"{value!r} is not a price (expected e.g. '12.99', '12.99 USD' or '$12.99')")
    number = _decimal_separator(number)
    try:
        amount = Decimal(number).quantize(_CENT)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a price (expected e.g. '12.99 USD')") from None
    return amount, currency or (default_currency.upper() if default_currency else None)


def _same_price_twice(value: str, text: str, sym: str) -> tuple[Decimal | None, str | None]:
    """Scraped exports repeat one price ('$6.94 $ 6 . 94'); accept that, refuse two different ones."""
    try:
        found = {parse_price(sym + part.replace(" ", ""))[0] for part in text.split(sym) if part.strip()}
    except ValueError:
        found = set()
    if len(found) != 1:
        raise ValueError(f"{value!r} holds more than one price")
    return found.pop(), SYMBOLS[sym]


def _decimal_separator(number: str) -> str:
    """Decide which of ',' and '.' is the decimal mark: the last one, unless it groups thousands."""
    if "," in number and "." in number:
        if number.rfind(",") > number.rfind("."):
            return number.replace(".", "").replace(",", ".")
        return number.replace(",", "")
    if "," in number:
        head, _, tail = number.rpartition(",")
        if len(tail) == 3 and number.count(",") >= 1 and head:
            return number.replace(",", "")
        return head.replace(",", "") + "." + tail
    if number.count(".") > 1:
        head, _, tail = number.rpartition(".")
        return head.replace(".", "") + "." + tail
    return number


def apply_compare_at(
    price: Decimal | None, compare_at: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """Shopify's compare-at convention: compare-at above price means on sale → (regular, sale)."""
    if price is not None and compare_at is not None and compare_at > price:
        return compare_at, price
    return price, None


def is_url(ref: str) -> bool:
    return urlparse(ref).scheme in ("http", "https", "s3", "gs", "data")


def resolve_image(ref: str | None, base_dir: Path | None) -> str | None:
    """Local refs become absolute paths relative to the source file; URLs stay as they are.

    A URL whose file name exists next to the source (or in its `images/` folder) also resolves
    to that local copy: merchants often ship the feed together with the photos it points at, and
    later stages need pixels they can read without network.
    """
    if not ref:
        return None
    ref = ref.strip()
    if not ref:
        return None
    if ref.startswith("file://"):
        ref = ref[len("file://") :]
    if is_url(ref):
        if base_dir is not None and urlparse(ref).scheme in ("http", "https"):
            name = Path(urlparse(ref).path).name
            for folder in (base_dir / "images", base_dir):
                if name and (folder / name).is_file():
                    return str((folder / name).resolve())
        return ref
    path = Path(ref).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return str(path.resolve())


def split_list(value: str | None, sep: str = ",") -> list[str]:
    """Split a delimited cell, trimming items and dropping empties and duplicates (order kept)."""
    if not value:
        return []
    out: list[str] = []
    for item in str(value).split(sep):
        item = clean_text(item)
        if item and item not in out:
            out.append(item)
    return out


def normalize_availability(value: str | None) -> str | None:
    """'in stock', 'InStock', 'in_stock' → 'in_stock' (GMC's spelling)."""
    if not value:
        return None
    v = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", value.strip())
    v = re.sub(r"[\s\-]+", "_", v).lower()
    return {"instock": "in_stock", "outofstock": "out_of_stock", "preorder": "preorder"}.get(v, v)


def first_nonempty(*values: str | None) -> str | None:
    for v in values:
        if v is not None and str(v).strip():
            return str(v).strip()
    return None
