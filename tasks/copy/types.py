"""Content types: which copy jobs a product gets, their limits, and how a reply is validated.

One `CopyJob` = one product x content type x language x (channel or audience segment); it
becomes one JSON asset. Limits come from the `ContentSpec` channels, so a merchant who changes a
channel limit in settings changes what is asked for and what is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tasks.copy.facts import product_text, ungrounded_numbers
from tasks.models import AudienceSegment, ContentSpec, Product
from tasks.storage import safe_segment

CONTENT_TYPES = ("listing", "ad_copy", "audience_ads", "social_post", "faq")

BULLET_MAX = 250
SOCIAL_TEXT_MAX = 500
HASHTAGS = (3, 8)
FAQ_PAIRS = (3, 5)
BULLETS = (3, 5)
FAQ_Q_MAX, FAQ_A_MAX = 150, 300

#: Used when the spec defines no segments. `audience_ads` is on by default, and without segments it
#: would silently make nothing; these are the three the product brief names. The filters keep a
#: segment to products it can fit (price ceiling, category words); set `content.segments` to replace.
DEFAULT_SEGMENTS = [
    AudienceSegment(name="students", description="students shopping on a budget", max_price=Decimal("100")),
    AudienceSegment(name="parents", description="parents shopping for their family"),
    AudienceSegment(
        name="outdoor enthusiasts",
        description="people who spend their free time outdoors",
        categories=["outdoor", "sport", "camping", "hiking", "cycling", "bike", "fishing", "户外", "运动"],
    ),
]

#: top-level JSON fields each content type's reply must have (passed to backends as `json_fields`)
JSON_FIELDS = {
    "listing": ["title", "description", "bullets"],
    "ad_copy": ["variants"],
    "audience_ads": ["headline", "primary_text"],
    "social_post": ["text", "hashtags"],
    "faq": ["pairs"],
}

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class CopyJob:
    content_type: str
    language: str
    channel: str | None = None
    segment: AudienceSegment | None = None
    limits: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """File name of the asset inside the product's artifact folder."""
        parts = [self.content_type, self.language]
        if self.channel:
            parts.append(self.channel)
        if self.segment:
            parts.append(self.segment.name)
        return "copy/" + ".".join(safe_segment(p) for p in parts) + ".json"

    @property
    def label(self) -> str:
        return self.name.removeprefix("copy/").removesuffix(".json")


def segments_for(product: Product, spec: ContentSpec) -> list[AudienceSegment]:
    """The spec's segments (or the defaults) whose price ceiling and category words fit the product."""
    haystack = " ".join([*product.category, product.title, *product.tags]).lower()
    out = []
    for seg in spec.segments or DEFAULT_SEGMENTS:
        price = product.effective_price
        if seg.max_price is not None and price is not None and price > seg.max_price:
            continue
        if seg.categories and not any(c.lower() in haystack for c in seg.categories):
            continue
        out.append(seg)
    return out


def _ad_limits(limits: Any, language: str) -> dict[str, Any]:
    primary = limits.primary_text or limits.description
    if language.startswith("zh") and limits.primary_text_cjk:
        primary = limits.primary_text_cjk
    return {"headline": limits.headline, "primary_text": primary, "min_primary_text": limits.min_primary_text}


def plan_jobs(product: Product, spec: ContentSpec, languages: list[str]) -> list[CopyJob]:
    """Every copy job the spec asks for this product, in a stable order."""
    title_channels = [c for c in spec.channels.values() if c.title]
    ad_channels = {n: c for n, c in spec.channels.items() if c.headline or c.primary_text}
    jobs: list[CopyJob] = []
    for lang in languages:
        for ctype in spec.content_types:
            if ctype == "listing":
                limits = {
                    "title": min((c.title for c in title_channels), default=150),
                    "description": min(
                        (c.description for c in title_channels if c.description), default=5000
                    ),
                    "bullets": BULLETS,
                    "bullet": BULLET_MAX,
                }
                jobs.append(CopyJob("listing", lang, limits=limits))
            elif ctype == "ad_copy":
                for name, c in ad_channels.items():
                    limits = {**_ad_limits(c, lang), "variants": spec.variants}
                    jobs.append(CopyJob("ad_copy", lang, channel=name, limits=limits))
            elif ctype == "audience_ads" and ad_channels:
                name = "meta" if "meta" in ad_channels else next(iter(ad_channels))
                for seg in segments_for(product, spec):
                    limits = _ad_limits(ad_channels[name], lang)
                    jobs.append(CopyJob("audience_ads", lang, channel=name, segment=seg, limits=limits))
            elif ctype == "social_post":
                jobs.append(
                    CopyJob("social_post", lang, limits={"text": SOCIAL_TEXT_MAX, "hashtags": HASHTAGS})
                )
            elif ctype == "faq":
                jobs.append(CopyJob("faq", lang, limits={"pairs": FAQ_PAIRS, "q": FAQ_Q_MAX, "a": FAQ_A_MAX}))
    return jobs


class InvalidReply(ValueError):
    """A reply that does not meet the spec; the message says exactly what is wrong."""


def _text(obj: dict[str, Any], key: str, limit: int | None, where: str, minimum: int = 1) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidReply(f"{where}: field {key!r} is missing or empty")
    value = value.strip()
    if len(value) < minimum:
        raise InvalidReply(f"{where}: {key} has {len(value)} characters, needs at least {minimum}")
    if limit is not None and len(value) > limit:
        raise InvalidReply(f"{where}: {key} has {len(value)} characters, limit is {limit}")
    return value


def _items(obj: dict[str, Any], key: str, bounds: tuple[int, int], where: str) -> list[Any]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise InvalidReply(f"{where}: field {key!r} must be a list")
    lo, hi = bounds
    if not lo <= len(value) <= hi:
        raise InvalidReply(f"{where}: {key} has {len(value)} items, needs {lo} to {hi}")
    return value


def _check_language(texts: list[str], language: str, where: str) -> None:
    joined = "".join(texts)
    cjk = len(_CJK.findall(joined))
    if language.startswith("zh") and cjk == 0:
        raise InvalidReply(f"{where}: language is zh but the text contains no Chinese characters")
    if language == "en" and cjk > 0.3 * max(len(joined), 1):
        raise InvalidReply(f"{where}: language is en but the text is mostly Chinese")


def _check_terms(texts: list[str], product: Product, spec: ContentSpec, where: str) -> None:
    """Brand-voice `avoid` words and banned terms, unless the catalog itself uses them."""
    if not spec.brand.avoid and not spec.banned_terms:
        return
    source = product_text(product).lower()
    allowed = {t.lower() for t in spec.allowed_terms}
    joined = " ".join(texts).lower()
    for term in [*spec.brand.avoid, *spec.banned_terms]:
        t = term.strip().lower()
        if t and t not in allowed and t in joined and t not in source:
            raise InvalidReply(
                f"{where}: uses the term {term!r} that the brand voice or banned terms exclude"
            )


def validate_reply(data: Any, job: CopyJob, product: Product, spec: ContentSpec) -> dict[str, Any]:
    """Return the cleaned content of a reply, or raise InvalidReply naming the first problem."""
    where = job.label
    if not isinstance(data, dict):
        raise InvalidReply(f"{where}: reply must be a JSON object, got {type(data).__name__}")
    lim = job.limits
    texts: list[str] = []
    if job.content_type == "listing":
        out: dict[str, Any] = {
            "title": _text(data, "title", lim["title"], where),
            "description": _text(data, "description", lim["description"], where),
        }
        bullets = _items(data, "bullets", lim["bullets"], where)
        out["bullets"] = [
            _text({"b": b}, "b", lim["bullet"], f"{where} bullet {i + 1}") for i, b in enumerate(bullets)
        ]
        texts = [out["title"], out["description"], *out["bullets"]]
    elif job.content_type in ("ad_copy", "audience_ads"):
        rows = (
            _items(data, "variants", (lim["variants"], lim["variants"]), where)
            if "variants" in lim
            else [data]
        )
        ads = []
        for i, row in enumerate(rows):
            w = f"{where} variant {i + 1}" if "variants" in lim else where
            if not isinstance(row, dict):
                raise InvalidReply(f"{w}: must be an object with headline and primary_text")
            ad = {"primary_text": _text(row, "primary_text", lim["primary_text"], w, lim["min_primary_text"])}
            if lim["headline"]:
                ad = {"headline": _text(row, "headline", lim["headline"], w), **ad}
            ads.append(ad)
        seen = [tuple(a.values()) for a in ads]
        if len(set(seen)) != len(seen):
            raise InvalidReply(f"{where}: variants are not distinct")
        out = {"variants": ads} if "variants" in lim else ads[0]
        texts = [t for a in ads for t in a.values()]
    elif job.content_type == "social_post":
        out = {"text": _text(data, "text", lim["text"], where)}
        tags = _items(data, "hashtags", lim["hashtags"], where)
        for t in tags:
            if not isinstance(t, str) or not re.fullmatch(r"#[^\s#]+", t):
                raise InvalidReply(f"{where}: hashtag {t!r} must be '#' followed by one word")
        out["hashtags"] = tags
        texts = [out["text"]]
    elif job.content_type == "faq":
        pairs = _items(data, "pairs", lim["pairs"], where)
        out = {"pairs": []}
        for i, p in enumerate(pairs):
            w = f"{where} pair {i + 1}"
            if not isinstance(p, dict):
                raise InvalidReply(f"{w}: must be an object with q and a")
            q, a = _text(p, "q", lim["q"], w), _text(p, "a", lim["a"], w)
            bad = ungrounded_numbers(a, product)
            if bad:
                raise InvalidReply(
                    f"{w}: answer states {sorted(bad)} which the catalog data does not contain"
                )
            out["pairs"].append({"q": q, "a": a})
        texts = [t for p in out["pairs"] for t in p.values()]
    else:
        raise InvalidReply(f"unknown content type {job.content_type!r}; known: {', '.join(CONTENT_TYPES)}")
    _check_language(texts, job.language, where)
    _check_terms(texts, product, spec, where)
    return out
