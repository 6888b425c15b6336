"""Known brand names, for the other-brand (consistency) and disparagement (claims) checks.

A short built-in list of brands that generated copy tends to drop in (big consumer brands, in
English and Chinese); settings add more (`qc.known_brands`). Latin names match on word boundaries
as written or in capitals (so "apple pie" is not Apple); Chinese names match as substrings. Brand
names that are everyday words (Target, Coach, Dove) are left out on purpose.
"""

from __future__ import annotations

import re
from functools import lru_cache

KNOWN_BRANDS: tuple[str, ...] = tuple(
    """
Apple|iPhone|Samsung|Huawei|Xiaomi|OPPO|vivo|Sony|LG|Dyson|Philips|Panasonic|Bose|Nike|Adidas|Puma|Reebok|
Under Armour|Lululemon|New Balance|Converse|Zara|H&M|Uniqlo|Gucci|Prada|Chanel|Louis Vuitton|Hermes|
Hermès|Michael Kors|Rolex|Omega|Tiffany|Pandora|Swarovski|Cartier|Levi's|Patagonia|The North Face|
Columbia|Yeti|Stanley|Hydro Flask|Tupperware|KitchenAid|Le Creuset|Nespresso|Keurig|IKEA|Amazon|
Walmart|Costco|Starbucks|Coca-Cola|Pepsi|Nestle|L'Oreal|L'Oréal|Estee Lauder|Estée Lauder|Lancome|
Lancôme|Clinique|Olay|Neutrogena|Nivea|Gillette|Braun|Oral-B|Colgate|Canon|Nikon|GoPro|Bosch|Makita|
DeWalt|Shimano|Garmin|Fitbit|Logitech|Lenovo|Dell|HP|Asus|Acer|Microsoft|Google|
苹果|三星|华为|小米|索尼|戴森|飞利浦|松下|耐克|阿迪达斯|彪马|优衣库|古驰|香奈儿|爱马仕|路易威登|欧米茄|劳力士|
施华洛世奇|雅诗兰黛|兰蔻|欧莱雅|资生堂|SK-II|百雀羚|自然堂|美的|格力|海尔|九阳|苏泊尔|联想|宜家|星巴克|
可口可乐|百事|雀巢|娃哈哈|农夫山泉|李宁|安踏|特步|波司登|南极人|恒源祥
""".replace("\n", "").split("|")
)


def same_brand(a: str, b: str) -> bool:
    """Loose equality: 'The North Face' ~ 'north face', 'Levi's' ~ 'levis'."""

    def norm(s: str) -> str:
        return re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", s.lower().replace("the ", ""))

    na, nb = norm(a), norm(b)
    return bool(na) and bool(nb) and (na == nb or na in nb or nb in na)


@lru_cache(maxsize=32)
def _index(extra: tuple[str, ...]) -> tuple[dict[str, list[str]], tuple[str, ...]]:
    """Latin names keyed by their first word (lower-case), and the Chinese names."""
    latin: dict[str, list[str]] = {}
    cjk: list[str] = []
    for b in {b.strip() for b in (*KNOWN_BRANDS, *extra) if b.strip()}:
        if re.search(r"[\u4e00-\u9fff]", b):
            cjk.append(b)
        else:
            latin.setdefault(re.split(r"[\s-]", b, maxsplit=1)[0].lower(), []).append(b)
    for names in latin.values():
        names.sort(key=len, reverse=True)
    return latin, tuple(sorted(cjk, key=len, reverse=True))


_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'&.é]*")


def find_brands(text: str, extra: tuple[str, ...] = ()) -> list[tuple[str, int, int]]:
    """(name as written, start, end) of every known brand in `text`.

    A word lookup instead of one big regex alternation: the alternation tried every brand at every
    position and dominated the time of `aigc qc copy`.
    """
    return list(_find_brands(text, extra))


@lru_cache(maxsize=512)
def _find_brands(text: str, extra: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    latin, cjk = _index(extra)
    out: list[tuple[str, int, int]] = []
    words = {w.lower().rstrip(".'").removesuffix("'s") for w in _WORD.findall(text)}
    for m in _WORD.finditer(text) if words & latin.keys() else ():
        word = m.group(0).rstrip(".'")
        for cand in (word.lower(), word.lower().removesuffix("'s")):
            for name in latin.get(cand, ()):
                end = m.start() + len(name)
                written = text[m.start() : end]
                ok_case = written in (name, name.upper(), name.title()) or (
                    " " in name and written.lower() == name.lower()
                )
                if ok_case and not (end < len(text) and text[end].isalpha()):
                    out.append((written, m.start(), end))
                    break
            else:
                continue
            break
    for name in cjk:
        i = text.find(name)
        while i != -1:
            if not any(s <= i < e for _, s, e in out):
                out.append((name, i, i + len(name)))
            i = text.find(name, i + len(name))
    return tuple(sorted(out, key=lambda t: t[1]))
