"""English superlatives and absolute claims that ad policies and the FTC care about.

Only claims a merchant could not substantiate block ("best in the world", "#1 brand", "world's
first", "lowest price anywhere"); softer puffery ("the best", "unbeatable") warns. Context keeps
ordinary English clean: "best before", "best served chilled", "our best-selling", "step #1",
"the first time you wash it" are not claims.
"""

from __future__ import annotations

import re

from tasks.models import QCResult
from tasks.qc.rules import TextContext, mentions, rule

SUPERLATIVE = rule(
    "ad_law_en.superlative",
    "ad_law",
    "block",
    '"{span}" is an unsubstantiated absolute claim; state a verifiable fact instead',
)
PUFFERY = rule(
    "ad_law_en.puffery",
    "ad_law",
    "warn",
    '"{span}" is a superlative; keep it only if it can be substantiated',
)
GUARANTEE_BARE = rule(
    "ad_law_en.guarantee",
    "ad_law",
    "warn",
    '"{span}": say what exactly is guaranteed and on which terms',
)

_F = re.I
_BLOCK = re.compile(
    r"\b(?:world|america|earth|planet|europe|uk|nation|internet)'?s\s+(?:best|#\s?1|number[- ]one|no\.?\s?1|"
    r"greatest|finest|first|top|most\s+\w+|cheapest|lowest)\b"
    r"|\b(?:the\s+)?(?:best|greatest|finest|cheapest|strongest|safest)\s+(?:\w+\s+){0,3}?"
    r"(?:in|on)\s+the\s+(?:world|industry|market|country|universe|planet|galaxy)\b"
    r"|(?:#\s?1|\bno\.?\s?1\b|\bnumber[- ]one)\s+(?:brand|seller|best[- ]?seller|choice|rated|selling|product|pick|"
    r"recommended|in\b|on\b|rated)"
    r"|\b(?:lowest|cheapest)\s+prices?\s+(?:anywhere|guaranteed|online|on\s+earth|in\s+town)\b"
    r"|\bbest\s+price\s+guaranteed\b"
    r"|\b(?:ranked|rated|voted)\s+(?:the\s+)?(?:#\s?1|no\.?\s?1|number[- ]one)\b"
    r"|\bthe\s+only\s+(?:\w+\s+){1,4}?(?:in|on)\s+the\s+(?:world|market|planet)\b"
    r"|\b(?:never\s+been\s+done\s+before|unlike\s+anything\s+ever\s+made)\b"
    r"|\bbetter\s+than\s+(?:all|any)\s+(?:other|the\s+rest|competitors?)\b",
    _F,
)
_SOFT = re.compile(
    r"\bthe\s+(?:very\s+)?best\b(?!\s+(?:before|by|part|way|results?|of\s+both|served|enjoyed|when|used|kept))"
    r"|\bunbeatable\b|\bunmatched\b|\bunrivall?ed\b|\bunparalleled\b|\bsecond\s+to\s+none\b"
    r"|(?<!\w)#\s?1\b|\bnumber[- ]one\b|\bbest[- ]sell(?:ing|er)\b|\btop[- ]rated\b|\bultimate\b",
    _F,
)
_BLOCK_HINTS = (
    "best",
    "world",
    "'s ",
    "#",
    "no.",
    "no 1",
    "number",
    "lowest",
    "cheapest",
    "only",
    "never",
    "unlike",
    "better",
    "greatest",
    "finest",
    "safest",
    "strongest",
)
_SOFT_HINTS = (
    "best",
    "unbeat",
    "unmatch",
    "unrival",
    "unparal",
    "second to none",
    "#",
    "number",
    "top",
    "ultimate",
)
_GUARANTEE = re.compile(r"\bguarantee[sd]?\b", _F)
_GUARANTEE_OK = re.compile(
    r"(?:money[- ]back|satisfaction|refund|warranty|returns?|delivery|fit|price[- ]match|\d+[- ]day)"
    r"[^.!?]{0,12}guarantee|guarantee[sd]?\s+(?:\w+\s+){0,2}(?:refund|returns?|satisfaction|delivery|warranty)",
    _F,
)
_OWN_RANGE = re.compile(
    r"\b(?:our|my|this\s+shop'?s|the\s+brand'?s|in\s+our\s+range|from\s+us)\s+(?:\w+\s+){0,2}$", _F
)
_ORDINAL_CTX = re.compile(r"(?:step|size|style|model|item|part|pack|page|no\.|tip|rule|chapter)\s*$", _F)


def check(text: str, ctx: TextContext) -> list[QCResult]:
    """Superlative and absolute-claim findings for English copy."""
    out: list[QCResult] = []
    blocked: list[tuple[int, int]] = []
    low = text.lower()
    for m in _BLOCK.finditer(text) if mentions(low, _BLOCK_HINTS) else ():
        if ctx.allowed(m.start(), m.end()) or _ORDINAL_CTX.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        out.append(SUPERLATIVE.hit(m.group(0), m.start(), m.end()))
        blocked.append((m.start(), m.end()))
    for m in _SOFT.finditer(text) if mentions(low, _SOFT_HINTS) else ():
        s, e = m.start(), m.end()
        if any(a <= s < b for a, b in blocked) or ctx.allowed(s, e):
            continue
        before = text[max(0, s - 30) : s]
        if _OWN_RANGE.search(before) or _ORDINAL_CTX.search(before[-12:]):
            continue
        out.append(PUFFERY.hit(m.group(0), s, e))
    for m in _GUARANTEE.finditer(text) if "guarantee" in low else ():
        window = text[max(0, m.start() - 30) : m.end() + 30]
        if _GUARANTEE_OK.search(window) or any(a <= m.start() < b for a, b in blocked):
            continue
        out.append(GUARANTEE_BARE.hit(m.group(0), m.start(), m.end()))
    return out
