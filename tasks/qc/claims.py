"""Claims a non-medical product may not make: medical and health effects, authority endorsements,
guarantees of results, pesticidal (germ-killing) effects, and disparaging a competitor by name.

Negated mentions are not claims: "本品不能代替药物治疗" and the FDA supplement disclaimer ("not
intended to diagnose, treat, cure or prevent any disease") pass. For products whose category is
medical, medical wording only warns (the regulator of that product decides). Pesticidal wording
passes when the copy or catalog shows a registration (EPA Reg. No., 消字号).
"""

from __future__ import annotations

import re

from tasks.models import QCResult
from tasks.qc.brands import find_brands, same_brand
from tasks.qc.rules import TextContext, mentions, rule

MEDICAL = rule(
    "claims.medical",
    "claims",
    "block",
    '"{span}" is a medical or health claim a non-medical product may not make',
)
AUTHORITY = rule(
    "claims.authority",
    "claims",
    "block",
    '"{span}" claims a state or authority endorsement (免检/特供/机关推荐 style); remove it',
)
GUARANTEE = rule(
    "claims.guarantee",
    "claims",
    "block",
    '"{span}" guarantees a result; advertising may not promise outcomes',
)
PESTICIDAL = rule(
    "claims.pesticidal",
    "claims",
    "block",
    '"{span}" is a pesticidal / germ-killing claim that needs a registration (EPA, 消字号) the product lacks',
)
DISPARAGE = rule(
    "claims.disparage",
    "claims",
    "block",
    '"{span}" disparages a competitor; compare on checkable facts or not at all',
)

_MED_ZH = re.compile(
    r"药到病除|包治百病|预防癌症|防癌|抗癌|治愈|根治|治疗|医治|疗效|痊愈|三天即愈|彻底康复|一盒见效|立马见效|"
    r"无毒副作用|无副作用|降血压|降血糖|降血脂|消炎|止痛|活血化瘀|壮阳|补肾|抗病毒|防治|祛病|增强免疫力|提高免疫力"
)
_MED_EN = re.compile(
    r"\bcures?\b|\bmiracle\s+cure\b|\bheals?\s+(?:\w+\s+){0,2}?(?:diseases?|wounds?|acne|eczema|psoriasis|arthritis)\b"
    r"|\btreats?\s+(?:\w+\s+){0,2}?(?:acne|eczema|psoriasis|arthritis|diabetes|cancer|depression|anxiety|insomnia|"
    r"diseases?|infections?|covid|flu|hair\s+loss)\b"
    r"|\bprevents?\s+(?:\w+\s+){0,2}?(?:cancer|diseases?|covid|infections?|flu|diabetes|heart\s+attacks?|strokes?)\b"
    r"|\banti[- ]?cancer\b|\bcancer[- ]fighting\b|\bfights?\s+cancer\b"
    r"|\bFDA[- ](?:approved|cleared|certified|registered)\b|\bapproved\s+by\s+the\s+FDA\b"
    r"|\breverses?\s+(?:\w+\s+){0,2}?(?:aging|ageing|wrinkles|hair\s+loss|diabetes|damage)\b"
    r"|\beliminates?\s+wrinkles\b|\blowers?\s+(?:your\s+)?(?:blood\s+pressure|cholesterol|blood\s+sugar)\b"
    r"|\bboosts?\s+(?:your\s+)?(?:immune\s+system|immunity)\b|\bclinically\s+proven\s+to\s+(?:cure|treat|heal)\b",
    re.I,
)
_MED_EN_HINTS = (
    "cure",
    "heal",
    "treat",
    "prevent",
    "cancer",
    "fda",
    "revers",
    "eliminat",
    "lower",
    "boost",
    "clinical",
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NEG_ZH = re.compile(
    r"(?:不能|不可|不得|不具有|不具备|不替代|不能代替|不可代替|并非|无|非|不)[^，。；]{0,6}$"
)
_NEG_EN = re.compile(
    r"\b(?:not|no|never|doesn't|does\s+not|isn't|is\s+not|cannot|can't|nor|without)\b[^.;!?]{0,40}$", re.I
)
_DISCLAIMER = re.compile(r"not\s+(?:been\s+)?(?:intended|evaluated)[^.]{0,120}", re.I)

_AUTH = re.compile(
    r"国家免检|质量免检|免检产品|免检|国家机关推荐|国家机关专供|国家领导人推荐|国宴专用|人民大会堂|政府推荐|"
    r"(?:国家|政府|机关|军队|部队|国宴|人大|政协|中南海)[\u4e00-\u9fff]{0,2}(?:特供|专供|专用)|军供|军工特供"
    r"|\bgovernment[- ](?:approved|endorsed|certified)\b|\bofficial\s+supplier\s+to\s+the\s+"
    r"(?:white\s+house|government|military|army)\b|\bendorsed\s+by\s+the\s+(?:government|ministry|white\s+house)\b",
    re.I,
)
_SOFT_AUTH = re.compile(r"特供|专供")

_GUAR = re.compile(
    r"保证(?:有效|见效|瘦|美白|增高|治愈|通过|考过|效果|变白|长高|生发)|100%有效|百分百有效|无效退款|包过|保过|"
    r"一次通过|一次通关|[\d一二两三四五六七八九十]+天(?:内)?(?:瘦|美白|见效|变白|长高|治愈|痊愈)(?:\d+斤)?|立竿见影|一用就(?:白|瘦|好)"
    r"|\bguaranteed\s+(?:results?|to\s+(?:work|lose|grow|cure|fix|remove|eliminate|last\s+forever|"
    r"make|stop|burn|whiten|boost|double))"
    r"|\bresults\s+guaranteed\b|\b100\s?%\s+(?:effective|guaranteed|results?)\b"
    r"|\blose\s+\d+\s*(?:lbs?|pounds|kg|kilos)\s+in\s+\d+\s+(?:days?|weeks?)\b|\bworks\s+every\s+time\b|\bnever\s+fails\b",
    re.I,
)

_PEST_EN = re.compile(
    r"\banti[- ]?(?:bacterial|microbial|viral|fungal)\b|\bkills?\s+(?:up\s+to\s+)?\d+(?:\.\d+)?\s?%\s+of\s+"
    r"(?:\w+\s+){0,2}?(?:germs|bacteria|viruses|microbes)\b|\bkills?\s+(?:\w+\s+)?(?:germs|bacteria|viruses|"
    r"dust\s+mites|bed\s?bugs|mold|mould)\b|\b(?:sanitizes|sanitises|disinfects)\b|\bgerm[- ]killing\b",
    re.I,
)
_PEST_ZH_STRONG = re.compile(
    r"(?:杀菌|除菌|灭菌|抑菌|抗菌|杀灭)[^，。]{0,4}99(?:\.9+)?%|99(?:\.9+)?%[^，。]{0,4}(?:杀菌|除菌|细菌|病毒)"
)
_PEST_ZH = re.compile(r"杀菌|除菌|抗菌|抑菌|灭菌|消毒|除螨|杀螨|抗病毒")
_REGISTERED = re.compile(r"EPA\s+Reg|EPA\s+registration|消字号|卫消证字|消毒产品", re.I)

_DISP_GENERIC = re.compile(
    r"吊打同行|秒杀同行|完爆(?:同行|竞品|一切)|碾压(?:同行|竞品)|别家都是|其他品牌都是|同行都是|友商都是"
    r"|\bother\s+brands\s+are\s+(?:junk|garbage|trash|overpriced|rip-?offs?|inferior|fake)\b"
    r"|\bcompetitors?'?\s+(?:junk|garbage|trash|rip-?offs?)\b",
    re.I,
)
_DISP_BEFORE = re.compile(
    r"(?:比|胜过|秒杀|吊打|完爆|碾压|远超|强过|好过|甩|不像)\s*(?:某些|其他|别家|市面上的?)?\s*$"
    r"|\b(?:better|cheaper|stronger|superior)\s+than\s+(?:those\s+from\s+)?$|\bunlike\s+$"
    r"|\b(?:beats|crushes|destroys|outperforms)\s+$",
    re.I,
)
_DISP_AFTER = re.compile(
    r"^\s*(?:的)?(?:都是)?(?:垃圾|差劲|不行|智商税|太差|比不上|烂)"
    r"|^(?:'s)?\s+(?:is|are)\s+(?:junk|garbage|trash|overpriced|a\s+rip-?off|inferior|fake|cheap\s+knock-?offs?)",
    re.I,
)


def _is_medical_product(ctx: TextContext) -> bool:
    p = ctx.product
    cats = " ".join(getattr(p, "category", None) or []) if p is not None else ""
    return bool(re.search(r"医|药|pharma|medic|health\s*care|drug", cats, re.I))


def _negated(text: str, start: int, lang_zh: bool) -> bool:
    before = text[max(0, start - 50) : start]
    if lang_zh and _NEG_ZH.search(before[-10:]):
        return True
    return bool(_NEG_EN.search(before))


def check(text: str, ctx: TextContext) -> list[QCResult]:
    """Medical, authority, guarantee, pesticidal and disparagement findings (zh and en)."""
    out: list[QCResult] = []
    low = text.lower()
    cjk = bool(_CJK.search(text))
    disclaimers = [(m.start(), m.end()) for m in _DISCLAIMER.finditer(text)] if "not" in low else []
    medical_product = _is_medical_product(ctx)
    for pat, zh in ((_MED_ZH, True), (_MED_EN, False)):
        if (zh and not cjk) or (not zh and not mentions(low, _MED_EN_HINTS)):
            continue
        for m in pat.finditer(text):
            s, e = m.start(), m.end()
            if ctx.allowed(s, e) or any(a <= s < b for a, b in disclaimers) or _negated(text, s, zh):
                continue
            out.append(MEDICAL.hit(m.group(0), s, e, severity="warn" if medical_product else None))
    if cjk or mentions(low, ("government", "official supplier", "endorsed")):
        for m in _AUTH.finditer(text):
            if not ctx.allowed(m.start(), m.end()):
                out.append(AUTHORITY.hit(m.group(0), m.start(), m.end()))
    if cjk:
        for m in _SOFT_AUTH.finditer(text):
            if not any(f.start is not None and f.start <= m.start() < (f.end or 0) for f in out):
                out.append(AUTHORITY.hit(m.group(0), m.start(), m.end(), severity="warn"))
    if cjk or mentions(low, ("guarantee", "100", "lose ", "works every", "never fails", "results")):
        for m in _GUAR.finditer(text):
            if not ctx.allowed(m.start(), m.end()) and not _negated(text, m.start(), True):
                out.append(GUARANTEE.hit(m.group(0), m.start(), m.end()))
    out.extend(_pesticidal(text, ctx, low, cjk))
    out.extend(_disparage(text, ctx, low, cjk))
    return out


def _pesticidal(text: str, ctx: TextContext, low: str, cjk: bool) -> list[QCResult]:
    if not cjk and not mentions(low, ("anti", "kill", "saniti", "disinfect", "germ")):
        return []
    p = ctx.product
    catalog = " ".join([text, *(getattr(p, "attributes", None) or {}).values()]) if p is not None else text
    if _REGISTERED.search(catalog):
        return []
    out = []
    for m in _PEST_EN.finditer(text):
        if not _negated(text, m.start(), False):
            out.append(PESTICIDAL.hit(m.group(0), m.start(), m.end()))
    strong = [(m.start(), m.end()) for m in _PEST_ZH_STRONG.finditer(text)]
    for s, e in strong:
        out.append(PESTICIDAL.hit(text[s:e], s, e))
    for m in _PEST_ZH.finditer(text):
        if not any(a <= m.start() < b for a, b in strong):
            out.append(PESTICIDAL.hit(m.group(0), m.start(), m.end(), severity="warn"))
    return out


def _disparage(text: str, ctx: TextContext, low: str, cjk: bool) -> list[QCResult]:
    out = []
    if cjk or mentions(low, ("other brands", "competitor")):
        out = [DISPARAGE.hit(m.group(0), m.start(), m.end()) for m in _DISP_GENERIC.finditer(text)]
    own = getattr(ctx.product, "brand", None) if ctx.product is not None else None
    for name, start, end in find_brands(text, ctx.extra_brands):
        if own and same_brand(own, name):
            continue
        b = _DISP_BEFORE.search(text[max(0, start - 24) : start])
        a = _DISP_AFTER.match(text[end : end + 30])
        if b or a:
            s = start - len(b.group(0)) if b else start
            e = end + (a.end() if a else 0)
            out.append(DISPARAGE.hit(text[s:e], s, e, competitor=name))
    return out
