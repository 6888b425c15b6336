"""Copy that presents recommendations: a "you may also like" blurb per product and a campaign post
per audience segment, checked by the quality checks like any other copy.

With a configured text model (`AIGC_TEXT_MODEL`) the copy backend writes them from a prompt that
lists the recommended products; a reply that is not valid JSON or that fails to name every
recommended item falls back to the template, and the fallback is recorded. Without one, a faithful
template writes them from catalog values only (titles and prices), so nothing can be invented.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tasks.models import AudienceSegment, Product, QCResult

PROMPT_VERSION = "rec-copy-1"
TITLE_CHARS = 70


def short_title(title: str, limit: int = TITLE_CHARS) -> str:
    """The title cut at a word boundary: long marketplace titles would drown the blurb."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-–(")
    return (cut or title[:limit]) + "…"


def _price(p: Product) -> str | None:
    price = p.effective_price
    if price is None:
        return None
    amount = f"{Decimal(price):.2f}"
    cur = p.currency or ""
    return f"${amount}" if cur in ("", "USD") else f"{amount} {cur}"


def _join(items: list[str], zh: bool) -> str:
    if zh:
        return "、".join(items[:-1]) + ("和" if len(items) > 1 else "") + items[-1]
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def also_like_template(product: Product, recs: Sequence[Product]) -> str:
    zh = product.language.lower().startswith("zh")
    names = [short_title(r.title) for r in recs]
    return f"猜你喜欢：{_join(names, True)}。" if zh else f"You may also like: {_join(names, False)}."


def campaign_template(seg: AudienceSegment, featured: Sequence[Product], language: str = "en") -> str:
    zh = language.lower().startswith("zh")
    shown = featured[:3]
    items = []
    for p in shown:
        price = _price(p)
        name = short_title(p.title, 60)
        items.append(f"{name}（{price}）" if zh and price else f"{name} ({price})" if price else name)
    if zh:
        return f"{seg.name}：为{seg.description}精选。{_join(items, True)}。立即选购。"
    return f"{seg.name}: picked for {seg.description}. {_join(items, False)}. Shop the selection."


@dataclass
class CopyPiece:
    """One written text and how it was made and checked."""

    subject: str  # product SKU or "segment:NAME"
    content_type: str  # also_like | segment_campaign
    language: str
    text: str
    recommended: list[str]
    backend: str
    model_id: str | None = None
    fallback: str | None = None
    qc_verdict: str | None = None
    qc: list[QCResult] = field(default_factory=list)


def _llm_requests(items: list[tuple[str, str, list[Product], str]], max_new_tokens: int, seed: int):
    from aigc_models.text import TextRequest

    reqs = []
    for rid, kind, recs, lang in items:
        listing = "\n".join(f"- {r.title}" + (f" ({_price(r)})" if _price(r) else "") for r in recs)
        ask = (
            "Write one short 'you may also like' sentence that names each of these products:"
            if kind == "also_like"
            else "Write one short campaign post for this audience that names each of these products:"
        )
        reqs.append(
            TextRequest(
                id=rid,
                messages=[
                    {
                        "role": "system",
                        "content": "You write e-commerce copy. Use only the facts given. "
                        'Reply with JSON: {"text": "..."}',
                    },
                    {"role": "user", "content": f"{ask}\n{listing}\nLanguage: {lang}"},
                ],
                context={"content_type": kind, "language": lang, "items": [r.title for r in recs]},
                json_fields=["text"],
                max_new_tokens=max_new_tokens,
                seed=seed,
            )
        )
    return reqs


def _parse_reply(text: str, recs: Sequence[Product]) -> tuple[str | None, str | None]:
    """(text, None) when the reply is JSON with a text naming every item, else (None, reason)."""
    try:
        body = json.loads(text[text.index("{") : text.rindex("}") + 1])
        out = str(body["text"]).strip()
    except (ValueError, KeyError, TypeError):
        return None, "reply is not JSON with a 'text' field"
    missing = [r.title for r in recs if short_title(r.title, 40).rstrip("…").lower() not in out.lower()]
    if missing:
        return None, f"reply does not name {len(missing)} recommended item(s)"
    return out, None


def write_pieces(
    jobs: list[tuple[str, str, Any, list[Product], str]], model_settings: Any
) -> list[CopyPiece]:
    """jobs: (subject, content_type, product-or-segment, recommended products, language)."""
    pieces: list[CopyPiece] = []
    replies: dict[str, tuple[str | None, str | None]] = {}
    backend, model_id = "template", None
    if getattr(model_settings, "text_model", None) and jobs:
        from aigc_models.text import get_text_generator

        gen = get_text_generator(model_settings)
        backend, model_id = gen.name, gen.model_id
        reqs = _llm_requests(
            [(s, kind, recs, lang) for s, kind, _, recs, lang in jobs],
            getattr(model_settings, "max_new_tokens", 256),
            getattr(model_settings, "seed", 0),
        )
        for res, (subject, _, _, recs, _) in zip(gen.generate(reqs), jobs, strict=True):
            replies[subject] = (
                (None, f"backend error: {res.error}") if res.error else _parse_reply(res.text, recs)
            )
    for subject, kind, about, recs, lang in jobs:
        text, why = replies.get(subject, (None, None))
        if text is None:
            text = (
                also_like_template(about, recs)
                if kind == "also_like"
                else campaign_template(about, recs, lang)
            )
        pieces.append(
            CopyPiece(
                subject=subject,
                content_type=kind,
                language=lang,
                text=text,
                recommended=[r.sku for r in recs],
                backend=backend if why is None and subject in replies else "template",
                model_id=model_id if why is None and subject in replies else None,
                fallback=why,
            )
        )
    return pieces


def check_pieces(pieces: list[CopyPiece], spec: Any = None) -> str | None:
    """Run every piece through the quality checks; returns why they could not run, else None."""
    try:
        from tasks.qc import check_text, verdict
    except ImportError as exc:
        return f"quality checks unavailable ({exc}); copy left unchecked"
    for piece in pieces:
        # The text quotes the *recommended* products' catalog titles, so checking it for consistency
        # with the subject product would flag their materials and brands as contradictions; the
        # language, policy and brand rules still run on every piece.
        piece.qc = list(check_text(piece.text, piece.language, None, spec=spec))
        piece.qc_verdict = verdict(piece.qc)
    return None
