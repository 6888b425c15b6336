"""The built-in copy writer: attribute-driven data-to-text templates, no weights, the default.

Faithful by construction: every number, material, colour and name in its output is copied from
the product's catalog fields; the templates themselves contain no digits and no product claims,
only connecting words and calls to action. Text is cut at word (or, in Chinese, clause) boundaries,
never inside a number. Several phrasings per language and category keep ad variants distinct;
the request's seed rotates them, so a retry gets a different phrasing.

It writes in the catalog's own language only (`can_translate = False`): translating attribute
values without a model would mean inventing them.
"""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any

from aigc_models.text import TextGenerator, TextRequest, TextResult
from tasks.models import Product

_TAG = re.compile(r"<[^>]+>")
_SENT = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？；])|\s*\|\s*|\n+")
_SKIP_ATTRS = {"货号", "品牌", "asin", "sku", "upc", "url", "image", "款号"}
_BOILERPLATE = ("make sure this fits",)
_CURRENCY = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥"}

# Category groups: (name, english keywords, chinese keywords). The first match wins.
_GROUPS = [
    (
        "apparel",
        "shirt dress top jacket pants jeans apparel clothing hoodie sweater skirt shoe boot",
        "裤 衣 裙 衫 鞋 袜 帽 服装",
    ),
    ("jewelry", "jewelry jewelery necklace ring bracelet earring pendant", "项链 戒指 手链 耳 饰"),
    ("home", "home garden kitchen decor furniture bedding lamp plant candle", "家居 厨房 花 绿植 家具 床"),
    ("outdoor", "outdoor sports camping hiking bike cycling fishing skate fitness", "户外 运动 骑行 露营"),
    (
        "electronics",
        "electronics phone computer camera audio cable charger headphone",
        "数码 手机 电脑 耳机 充电",
    ),
    ("toys", "toy toys game puzzle kids baby", "玩具 儿童 婴儿 母婴"),
    ("beauty", "beauty skin makeup cosmetic hair fragrance", "美妆 护肤 化妆 香水"),
]

_GROUP_PATTERNS = [
    (n, re.compile(r"\b(?:" + "|".join(en.split()) + ")"), zh.split()) for n, en, zh in _GROUPS
]

_EN = {
    "opener": {
        "apparel": ["Add the {name} to your wardrobe.", "Meet the {name}.", "Dress up with the {name}."],
        "jewelry": ["Meet the {name}.", "A gift idea: the {name}.", "Wear the {name}."],
        "home": ["Bring the {name} home.", "Meet the {name}.", "Make room for the {name}."],
        "outdoor": ["Take the {name} along.", "Meet the {name}.", "Gear up with the {name}."],
        "electronics": ["Meet the {name}.", "Add the {name} to your setup.", "Upgrade with the {name}."],
        "toys": ["Meet the {name}.", "Playtime with the {name}.", "Say hello to the {name}."],
        "beauty": ["Meet the {name}.", "Add the {name} to your routine.", "Treat yourself to the {name}."],
        "general": ["Meet the {name}.", "Introducing the {name}.", "Take a look at the {name}."],
    },
    "cta": {
        "warm": ["Shop now.", "Order yours today.", "See the details.", "Find yours today."],
        "formal": ["Discover it now.", "Explore the details.", "Order today.", "Learn more."],
    },
    "for": "For {segment}: ",
    "headline_for": "{name} for {segment}",
    "by": "{name} by {brand}",
    "shop": "Shop {name}",
    "price": "Now {price}.",
    "sale": "Now {price}, was {was}.",
    "brand": "Brand: {v}",
    "category": "Category: {v}",
    "department": "Department: {v}",
    "price_fact": "Price: {v}",
    "condition": "Condition: {v}",
    "availability": "Availability: {v}",
    "options": "{k}: {v}",
    "details": "Details",
    "faq": {
        "what": ("What is the {name}?", "{v}"),
        "brand": ("Which brand makes the {name}?", "The brand is {v}."),
        "price": ("How much does it cost?", "It costs {v}."),
        "stock": ("Is it available?", "Availability: {v}."),
        "condition": ("What condition is it in?", "Condition: {v}."),
        "category": ("What kind of product is it?", "It is listed under {v}."),
        "option": ("Which {k} options are there?", "{v}."),
        "attr": ("What is the {k}?", "{k}: {v}."),
    },
    "sep": ", ",
    "join": " ",
    "stop": ".",
}

_ZH = {
    "opener": {
        "apparel": ["{name}，穿出好状态。", "推荐这款{name}。", "衣橱新选择：{name}。"],
        "jewelry": ["推荐这款{name}。", "送礼之选：{name}。", "{name}，点缀日常。"],
        "home": ["把{name}带回家。", "推荐这款{name}。", "{name}，为家添彩。"],
        "outdoor": ["{name}，陪你出发。", "推荐这款{name}。", "装备升级：{name}。"],
        "electronics": ["推荐这款{name}。", "{name}，用起来更顺手。", "装备升级：{name}。"],
        "toys": ["推荐这款{name}。", "{name}，陪伴快乐时光。", "欢迎了解{name}。"],
        "beauty": ["推荐这款{name}。", "{name}，日常好搭档。", "欢迎了解{name}。"],
        "general": ["推荐这款{name}。", "欢迎了解{name}。", "好物推荐：{name}。"],
    },
    "cta": {
        "warm": ["立即选购。", "快来看看。", "欢迎下单。", "了解详情。"],
        "formal": ["欢迎选购。", "了解详情。", "欢迎咨询。"],
    },
    "for": "{segment}看过来：",
    "headline_for": "{segment}之选：{name}",
    "by": "{brand}{name}",
    "shop": "{name}",
    "price": "现价{price}。",
    "sale": "现价{price}，原价{was}。",
    "brand": "品牌：{v}",
    "category": "类目：{v}",
    "department": "大类：{v}",
    "price_fact": "价格：{v}",
    "condition": "成色：{v}",
    "availability": "库存：{v}",
    "options": "{k}：{v}",
    "details": "商品参数",
    "faq": {
        "what": ("{name}是什么商品？", "{v}"),
        "brand": ("这款商品是什么品牌？", "品牌是{v}。"),
        "price": ("这款商品多少钱？", "价格是{v}。"),
        "stock": ("现在有货吗？", "库存状态：{v}。"),
        "condition": ("商品成色如何？", "成色：{v}。"),
        "category": ("这款商品属于什么类目？", "类目：{v}。"),
        "option": ("{k}有哪些可选？", "{v}。"),
        "attr": ("这款商品的{k}是什么？", "{k}：{v}。"),
    },
    "sep": "，",
    "join": "",
    "stop": "。",
}

_SEGMENT_ZH = {"students": "学生党", "parents": "宝爸宝妈", "outdoor enthusiasts": "户外爱好者"}


_BOUNDARY = re.compile(r"[。；，！？、]|[.;,!?](?=\s)")
_TOKEN = re.compile(r"[A-Za-z0-9.,%'/-]")
_WORD_TAIL = re.compile(r"[A-Za-z0-9.,%'/-]+$")


def fit(text: str, limit: int | None) -> str:
    """Cut `text` to `limit` characters at a clause or word boundary, never inside a number/word."""
    text = text.strip()
    if limit is None or len(text) <= limit:
        return text
    cut = text[:limit]
    nxt = text[limit]
    if _TOKEN.fullmatch(nxt) and _TOKEN.fullmatch(cut[-1]):  # the cut falls inside "10-12", "1.5", a word
        m = _WORD_TAIL.search(cut)
        cut = cut[: m.start()] if m else cut
    bounds = [m.start() for m in _BOUNDARY.finditer(cut)]
    if bounds and bounds[-1] >= 0.6 * len(cut):
        b = bounds[-1]
        cut = cut[: b + 1] if cut[b] in "。.!?！？" else cut[:b]
    return cut.rstrip(" ,;:-–—(/|，；：、").strip()


def _label(key: str) -> str:
    """`shipping_weight` -> `Shipping weight`; Chinese keys stay as they are."""
    key = " ".join(key.replace("_", " ").split())
    return key[:1].upper() + key[1:] if key.isascii() else key


class _Facts:
    """The catalog facts of one product, cleaned once, in the shapes the templates need."""

    def __init__(self, p: Product, lang: str) -> None:
        self.p = p
        self.lang = lang
        self.title = " ".join(p.title.split())
        self.brand = (p.brand or p.attributes.get("品牌") or "").strip()
        self.name = self._short_title()
        self.leaf = p.category[-1].strip() if p.category else ""
        self.group = self._group()
        text = html.unescape(_TAG.sub(" ", p.description or ""))
        sents = [" ".join(s.split()) for s in _SENT.split(text)]
        self.sentences = [s for s in sents if len(s) > 3 and not s.lower().startswith(_BOILERPLATE)]
        self.attrs = [
            (_label(k), " ".join(v.split()))
            for k, v in p.attributes.items()
            if v and v.strip() and k.lower() not in _SKIP_ATTRS and len(v) <= 80 and "http" not in v
        ]
        opts: dict[str, list[str]] = {}
        for v in p.variants:
            for k, val in v.options.items():
                if val and val.lower() != "default title" and val not in opts.setdefault(k, []):
                    opts[k].append(val)
        self.options = {k: v for k, v in opts.items() if v}
        # a variant option the reader also kept as an attribute is one fact, stated once
        option_keys = {_label(k).lower() for k in self.options}
        self.attrs = [(k, v) for k, v in self.attrs if k.lower() not in option_keys]
        self.price = self._money(p.effective_price)
        was = p.price if p.sale_price is not None and p.price and p.sale_price < p.price else None
        self.was = self._money(was) if was is not None else ""

    def _short_title(self) -> str:
        t = self.title
        for sep in (" - ", " | ", " – ", ", ", " (", "，", "（"):
            head = t.split(sep)[0].strip()
            if 0 < len(head) < len(t) and len(head) >= 8:
                t = head
        return fit(t, 60) or fit(self.title, 60) or self.title[:60]

    def _group(self) -> str:
        hay = " ".join([*self.p.category, self.title, *self.p.tags, *self.p.attributes]).lower()
        for name, en, zh in _GROUP_PATTERNS:
            if en.search(hay) or any(w in hay for w in zh):
                return name
        return "general"

    def _money(self, value: Any) -> str:
        if value is None:
            return ""
        cur = (self.p.currency or "").upper()
        sym = _CURRENCY.get(cur)
        if self.lang.startswith("zh"):
            return f"¥{value}" if cur in ("", "CNY") else f"{value} {cur}"
        return f"{sym}{value}" if sym else f"{value} {cur}".strip()

    def facts_lines(self, t: dict[str, Any]) -> list[str]:
        """Short "key: value" statements, most specific first."""
        lines = [t["options"].format(k=k, v=t["sep"].join(v)) for k, v in self.options.items()]
        lines += [t["options"].format(k=k, v=v) for k, v in self.attrs]
        if self.brand:
            lines.append(t["brand"].format(v=self.brand))
        if self.leaf:
            lines.append(t["category"].format(v=self.leaf))
        root = self.p.category[0].strip() if self.p.category else ""
        if root and root != self.leaf:
            lines.append(t["department"].format(v=root))
        if self.p.condition:
            lines.append(t["condition"].format(v=self.p.condition))
        return list(dict.fromkeys(lines))


def _end(sentence: str, stop: str) -> str:
    """Close a catalog sentence that has no final punctuation, so the next one does not run on."""
    return sentence if sentence[-1:] in ".!?。！？…" else sentence + stop


def _without(t: dict[str, Any], avoid: list[str]) -> dict[str, Any]:
    """The phrasings minus any that use a brand-voice `avoid` word (keeping at least one)."""
    words = [w.lower() for w in avoid if w.strip()]
    if not words:
        return t

    def ok(s: str) -> bool:
        return not any(w in s.lower() for w in words)

    out = dict(t)
    out["opener"] = {g: [s for s in v if ok(s)] or v for g, v in t["opener"].items()}
    out["cta"] = {g: [s for s in v if ok(s)] or v for g, v in t["cta"].items()}
    return out


class BuiltinTextWriter(TextGenerator):
    """Writes every content type from the request's `context` (product fields, limits, brand)."""

    name = "builtin"
    model_id = None
    can_translate = False
    needs_messages = False

    def describe(self) -> str:
        return "builtin (attribute templates, no model configured)"

    def generate(self, requests: list[TextRequest]) -> list[TextResult]:
        out = []
        facts: dict[tuple[int, str], _Facts] = {}  # jobs of one product share its product dict
        for r in requests:
            t0 = time.perf_counter()
            try:
                text = json.dumps(self.write(r.context, r.seed, facts), ensure_ascii=False)
                err = None
            except Exception as exc:  # one product's bad data never sinks the batch
                text, err = "", f"{type(exc).__name__}: {exc}"
            out.append(
                TextResult(r.id, text, self.name, None, r.seed, seconds=time.perf_counter() - t0, error=err)
            )
        return out

    def write(self, ctx: dict[str, Any], seed: int = 0, cache: dict | None = None) -> dict[str, Any]:
        lang = ctx["language"]
        cache = {} if cache is None else cache
        ck = (id(ctx["product"]), lang)
        if ck not in cache:
            cache[ck] = _Facts(Product.model_validate(ctx["product"]), lang)
        f = cache[ck]
        t = _without(_ZH if lang.startswith("zh") else _EN, ctx.get("brand", {}).get("avoid", []))
        voice = (
            "formal"
            if re.search(r"formal|premium|luxur|professional", ctx.get("brand", {}).get("voice", ""))
            else "warm"
        )
        ctype = ctx["content_type"]
        if ctype == "listing":
            return self._listing(f, t, ctx["limits"])
        if ctype == "ad_copy":
            n = ctx["limits"]["variants"]
            return {"variants": self._ads(f, t, ctx["limits"], voice, n, seed, None, ctx)}
        if ctype == "audience_ads":
            seg = ctx["segment"]["name"]
            seg = _SEGMENT_ZH.get(seg, seg) if lang.startswith("zh") else seg
            return self._ads(f, t, ctx["limits"], voice, 1, seed, seg, ctx)[0]
        if ctype == "social_post":
            return self._social(f, t, ctx["limits"], voice, seed, ctx)
        if ctype == "faq":
            return self._faq(f, t, ctx["limits"])
        raise ValueError(f"built-in writer has no templates for content type {ctype!r}")

    def _listing(self, f: _Facts, t: dict[str, Any], lim: dict[str, Any]) -> dict[str, Any]:
        title = f.title
        if f.brand and f.brand.lower() not in title.lower():
            branded = t["by"].format(name=title, brand=f.brand)
            title = branded if len(branded) <= lim["title"] else title
        opener = t["opener"][f.group][0].format(name=f.name)
        body = [opener, *(_end(x, t["stop"]) for x in f.sentences)]
        facts = f.facts_lines(t)
        desc = t["join"].join(body)
        if facts:
            desc += ("\n\n" if desc else "") + f"{t['details']}: " + "; ".join(facts) + t["stop"]
        price = [t["price_fact"].format(v=f.price)] if f.price else []
        bullets = [fit(s, lim["bullet"]) for s in [*facts, *price, *f.sentences]]
        bullets = list(dict.fromkeys(b for b in bullets if b))[: lim["bullets"][1]]
        return {
            "title": fit(title, lim["title"]),
            "description": fit(desc, lim["description"]),
            "bullets": bullets,
        }

    def _ads(self, f, t, lim, voice, n, seed, segment, ctx) -> list[dict[str, str]]:
        ctas = t["cta"][voice]  # already without the brand's avoid words
        openers = t["opener"][f.group]
        price = (
            t["sale"].format(price=f.price, was=f.was)
            if f.was
            else (t["price"].format(price=f.price) if f.price else "")
        )
        facts = f.facts_lines(t)
        heads = [
            f.name,
            t["by"].format(name=f.name, brand=f.brand) if f.brand else "",
            t["shop"].format(name=f.name),
        ]
        heads += [f.brand, f.leaf]
        if segment:
            heads = [t["headline_for"].format(name=f.name, segment=segment), *heads]
        heads = [h for h in heads if h]
        ads: list[dict[str, str]] = []
        seen: set[tuple[str, ...]] = set()
        for k in range(n * 4):
            if len(ads) == n:
                break
            i = k + seed
            lead = t["for"].format(segment=segment) if segment else ""
            middle = [openers[i % len(openers)]]
            if f.sentences and i % 3 != 1:
                middle.append(_end(f.sentences[(i // 3) % len(f.sentences)], t["stop"]))
            elif facts:
                middle.append(facts[i % len(facts)] + t["stop"])
            tail = [price, ctas[i % len(ctas)]] if i % 2 == 0 else [ctas[i % len(ctas)]]
            middle[0] = middle[0].format(name=f.name)  # only the template is formatted, never catalog text
            primary = self._compose(lead, middle, tail, t, lim["primary_text"])
            ad = {"primary_text": primary}
            if lim.get("headline"):
                used = {a["headline"] for a in ads}
                ad = {"headline": self._headline(heads, i, lim["headline"], used), **ad}
            key = tuple(ad.values())
            if key not in seen and len(primary) >= lim.get("min_primary_text", 1):
                seen.add(key)
                ads.append(ad)
        return ads

    @staticmethod
    def _headline(heads: list[str], i: int, limit: int, used: set[str]) -> str:
        """The next candidate that fits the limit, preferring one no earlier variant used."""
        fitting = [fit(h, limit) for h in heads[i % len(heads) :] + heads[: i % len(heads)]]
        fitting = [h for h in fitting if h]
        fresh = [h for h in fitting if h not in used]
        return (fresh or fitting or [heads[0][:limit]])[0]

    @staticmethod
    def _compose(lead: str, middle: list[str], tail: list[str], t: dict[str, Any], limit: int | None) -> str:
        """Lead + as much of the middle as fits + the tail; drop tail parts before cutting the middle."""
        j = t["join"]
        tail = [x for x in tail if x]
        while True:
            text = (lead + j.join([*middle, *tail])).strip()
            if limit is None or len(text) <= limit:
                return text
            if len(middle) > 1:
                middle = middle[:-1]
            elif tail:
                tail = tail[:-1]
            else:
                return fit(text, limit)

    def _social(self, f, t, lim, voice, seed, ctx) -> dict[str, Any]:
        ad = self._ads(f, t, {"primary_text": lim["text"]}, voice, 1, seed, None, ctx)[0]
        values = [v for _, v in f.attrs if len(v) <= 12 and v not in ("其他", "other")]
        words = [f.brand, f.leaf, *f.p.tags, *f.name.split(), *values]
        tags = []
        for w in words:
            if not w or re.search(r"\d", w) and re.sub(r"[^\w]", "", w) != w:
                continue  # "1.5" or "18-24" would become "#15"/"#1824": numbers the catalog never states
            tag = "#" + re.sub(r"[^\w]", "", w.title() if w.isascii() else w)
            if len(tag) > 2 and tag.lower() not in {x.lower() for x in tags}:
                tags.append(tag)
        return {"text": ad["primary_text"], "hashtags": tags[: lim["hashtags"][1]]}

    def _faq(self, f: _Facts, t: dict[str, Any], lim: dict[str, Any]) -> dict[str, Any]:
        q = t["faq"]
        pairs = []
        what = f.sentences[0] if f.sentences else f.title  # the catalog's own words for it
        pairs.append((q["what"][0].format(name=f.name), q["what"][1].format(v=what)))
        if f.brand:
            pairs.append((q["brand"][0].format(name=f.name), q["brand"][1].format(v=f.brand)))
        if f.price:
            pairs.append((q["price"][0], q["price"][1].format(v=f.price)))
        for k, vals in f.options.items():
            pairs.append((q["option"][0].format(k=k), q["option"][1].format(v=t["sep"].join(vals))))
        for k, v in f.attrs:
            pairs.append((q["attr"][0].format(k=k), q["attr"][1].format(k=k, v=v)))
        if f.p.availability:
            pairs.append((q["stock"][0], q["stock"][1].format(v=f.p.availability.replace("_", " "))))
        if f.leaf:
            pairs.append((q["category"][0], q["category"][1].format(v=f.leaf)))
        if f.p.condition:
            pairs.append((q["condition"][0], q["condition"][1].format(v=f.p.condition)))
        out = [{"q": fit(a, lim["q"]), "a": fit(b, lim["a"])} for a, b in pairs]
        return {"pairs": [p for p in out if p["q"] and p["a"]][: lim["pairs"][1]]}
