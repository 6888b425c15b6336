"""Chinese Advertising Law Art. 9 absolute terms (最佳, 第一, 国家级, 顶级 ...), with context.

A substring match over a public word list over-blocks ordinary copy, so every hit is looked at in
its clause before it counts. The exemptions follow SAMR's 2023 enforcement guideline on absolute
terms (《广告绝对化用语执法指南》): consumer tips (最佳赏味期, 开封后最好在 7 天内饮用), ordinal and
procedural use (第一次, 第一步, 第一时间), comparisons within the merchant's own range (本店最新款),
grades defined by a standard (GB/T ... 最高等级), service attitude and aspiration (为您提供最好的
服务), officially conferred titles (国家级非物质文化遗产), technical limits (最大承重 150kg), and
trademarks / terms the brand cleared (allowed spans, `®`/`™`).

The built-in list below makes the check work without the shared data; the public list in
`settings.qc.terms_file` (default: the shared copy, when present) adds to it after cleaning
(duplicates, trailing spaces, and generic words that are not absolute claims on their own).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from tasks.errors import ConfigError
from tasks.models import QCResult
from tasks.qc.rules import TextContext, clause_bounds, literal_alternation, rule

ABSOLUTE = rule(
    "ad_law_zh.absolute_term",
    "ad_law",
    "block",
    "「{span}」是《广告法》第九条禁止的绝对化用语 (absolute claim banned by Ad Law Art. 9); "
    "rephrase with a verifiable fact",
)
LISTED = rule(
    "ad_law_zh.listed_term",
    "ad_law",
    "block",
    "「{span}」is on the advertising-law banned-term list ({reason}); remove it or state a checkable fact",
)
SOFT = rule(
    "ad_law_zh.soft_term",
    "ad_law",
    "warn",
    "「{span}」may be read as an absolute or inducing claim; keep it only if it is literally true",
)

#: Absolute superlatives and rankings (Art. 9 item 3): always block unless a context exemption applies.
BUILTIN_ABSOLUTE = [
    "最佳",
    "最好",
    "最优",
    "最优秀",
    "最高级",
    "最高档",
    "最先进",
    "最低价",
    "最便宜",
    "最受欢迎",
    "最畅销",
    "最大",
    "最高",
    "最强",
    "最专业",
    "最时尚",
    "最流行",
    "最舒适",
    "最具",
    "最赚",
    "最奢侈",
    "最低级",
    "最顶级",
    "最正宗",
    "最权威",
    "最安全",
    "最有效",
    "最实惠",
    "最划算",
    "第一",
    "第一品牌",
    "销量第一",
    "排名第一",
    "全国第一",
    "全网第一",
    "中国第一",
    "行业第一",
    "世界第一",
    "全球第一",
    "NO.1",
    "TOP1",
    "TOP.1",
    "国家级",
    "世界级",
    "全球级",
    "宇宙级",
    "顶级",
    "顶尖",
    "尖端",
    "极品",
    "极佳",
    "绝佳",
    "绝对",
    "终极",
    "唯一",
    "独一无二",
    "仅此一家",
    "仅此一次",
    "首个",
    "首家",
    "首款",
    "首创",
    "全球首发",
    "全国首家",
    "全网首发",
    "首选",
    "王牌",
    "冠军",
    "销量冠军",
    "全国销量冠军",
    "之王",
    "王者",
    "至尊",
    "巅峰",
    "领袖品牌",
    "领导品牌",
    "领导者",
    "缔造者",
    "世界领先",
    "全球领先",
    "行业领先",
    "遥遥领先",
    "史无前例",
    "前无古人",
    "绝无仅有",
    "万能",
    "无敌",
    "问鼎",
    "性价比之王",
    "全网最低",
    "秒杀全网",
]

#: Words that are on public lists but are not absolute on their own: a warning, never a block.
BUILTIN_SOFT = ["最新", "最爱", "独家", "极致", "一流", "首发", "永久", "升值", "投资价值", "纯天然", "精品"]

#: Generic words some public lists carry that are ordinary copy (推荐, 安全, 热销 ...): ignored.
IGNORED = set(
    [
        "最",
        "推荐",
        "安全",
        "热销",
        "抢购",
        "试用",
        "指定",
        "选用",
        "排序",
        "评比",
        "获奖",
        "保险公司",
        "军队",
        "免费赠送",
        "最新技术",
        "最新科技",
        "最新科学",
    ]
)

# A 最 followed by any Han character is a superlative unless it is temporal (最后, 最近 ...).
_GENERIC_ZUI = re.compile(r"最(?![后近初终早晚末])[\u4e00-\u9fff]{1,2}")
_TEMPORAL_ZUI = re.compile(r"最[后近初终早晚末]")

_TIP = re.compile(
    r"最佳(?:赏味|食用|饮用|使用|保质|保存|储存|冲泡|佩戴|观赏|品尝|口感|适饮|饮用温度)?(?:期|时间|温度|方法|方式|季节|时段)"
    r"|最(?:好|佳)[^，,。]{0,10}?(?:内|前|后)?(?:食用|饮用|使用|用完|冷藏|保存|冲泡|清洗)"
)
_ORDINAL = re.compile(
    r"第一(?:次|步|天|日|周|个月|年|层|代|季|批|章|节|课|口|眼|印象|时间|阶段|部分|件|单|道|遍|排|页|期|款)"
    r"|首(?:次|单|件|日|页|批|期)"
)
_OWN_RANGE = re.compile(r"(?:本店|本品牌|我们|我家|店内|本系列|旗下|同系列|本公司|自家|店铺|本品|品牌史上)")
_STANDARD = re.compile(r"(?:GB/?T?\s?\d|QB/?T|NY/?T|国家标准|行业标准|团体标准|执行标准|标准等级|国标)", re.I)
_ATTITUDE = re.compile(r"(?:致力于|力争|追求|努力|争取|做到|用心|梦想)")
_SERVICE_AFTER = re.compile(r"[^，,。]{0,6}(?:服务|售后|体验|心意|诚意)")
_CONFERRED = re.compile(
    r"国家级(?:非物质文化遗产|非遗|自然保护区|风景名胜区|高新技术企业|专精特新|重点实验室|技能大师|工艺美术大师)"
    r"|王者(?:荣耀|联盟)|冠军(?:杯|联赛)"  # proper nouns (game and competition names), not claims
)
_SPEC_LIMIT = re.compile(
    r"[\u4e00-\u9fff]{0,6}?(?:可达|达|为|至|支持|可|：|:)?\s?\d|(?:可)?(?:次日|当日|当天|隔日|今日|明日)"
)
#: A parameter name after 最大/最高 ... (最大噪音, 最大光圈): the name of a spec, not a ranking.
_SPEC_NOUN = re.compile(
    r"(?:噪音|光圈|功率|承重|载重|容量|转速|温度|压力|电流|电压|尺寸|速度|距离|长度|宽度|高度|重量|负载|输出|亮度|"
    r"分辨率|续航|扭矩|风量|吸力|流量|频率|倍率|耐压|水压|扬程|行程|开口|口径|内存|存储|像素|码数|尺码|支持|可承受)"
)
_TRADEMARK = re.compile(r"[\u4e00-\u9fffA-Za-z]{0,4}[®™]")


def _shared_terms_default() -> Path:
    """The shared public list: $AIGC_SHARED_DATA, else ../shared/data beside the checkout."""
    base = os.environ.get("AIGC_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data"
    return Path(base) / "compliance" / "zh_ad_law_absolute_terms.txt"


def load_terms_file(path: str | Path | None) -> list[str]:
    """Clean a public term list: strip, drop blanks, comments and duplicates, keep file order.

    `None` means the shared public list when it is there (else the built-in list only); `""` means
    the built-in list only; any other path must exist.
    """
    if path == "":
        return []
    p = Path(path) if path else _shared_terms_default()
    if not p.is_file():
        if path:
            raise ConfigError(
                f"qc.terms_file {str(path)!r} does not exist; point AIGC_QC_TERMS_FILE / [qc] terms_file at a "
                "UTF-8 file with one term a line, or set it to an empty string to use the built-in list only"
            )
        return []
    seen: dict[str, None] = {}
    for line in p.read_text(encoding="utf-8").splitlines():
        term = line.strip().strip("\ufeff")
        if term and not term.startswith("#"):
            seen.setdefault(term, None)
    return list(seen)


@lru_cache(maxsize=8)
def _matcher(terms_file: str | None) -> tuple[re.Pattern[str], dict[str, str]]:
    """One compiled alternation over every term; the dict says which rule each term belongs to."""
    from tasks.qc import claims  # claims owns medical/authority/guarantee wording, with its context rules

    owned = (claims._MED_ZH, claims._AUTH, claims._SOFT_AUTH, claims._GUAR)
    kinds: dict[str, str] = {}
    for t in load_terms_file(terms_file):
        if t not in IGNORED and not any(p.search(t) for p in owned):
            kinds[t.upper()] = "listed"
    for t in BUILTIN_SOFT:
        kinds[t.upper()] = "soft"
    for t in BUILTIN_ABSOLUTE:
        kinds[t.upper()] = "absolute"
    pattern = re.compile(literal_alternation(list(kinds)), re.I)
    return pattern, kinds


def _exempt(text: str, start: int, end: int, term: str, ctx: TextContext) -> bool:
    """True when the guideline's context exemptions cover this hit."""
    if ctx.allowed(start, end) or _TRADEMARK.match(text, end):
        return True
    around = text[max(0, start - 12) : end + 14]
    off = start - max(0, start - 12)
    for pat in (_TIP, _ORDINAL, _CONFERRED):
        for m in pat.finditer(around):
            if m.start() <= off < m.end() or m.start() < off + len(term) <= m.end():
                return True
    c0, c1 = clause_bounds(text, start, end)
    before = text[max(c0, start - 10) : start]
    if _OWN_RANGE.search(before) or _ATTITUDE.search(before):
        return True
    if term.startswith("最") and _SERVICE_AFTER.match(text, end):
        return True
    if _STANDARD.search(text[c0:c1]) and (
        term in {"最高", "最高级", "顶级", "最优"} or "级" in text[end : end + 3]
    ):
        return True
    return term in {"最大", "最高", "最低", "最长", "最多", "最小", "最快", "最远", "最宽"} and bool(
        _SPEC_LIMIT.match(text, end) or _SPEC_NOUN.match(text, end)
    )


def check(text: str, ctx: TextContext, terms_file: str | None = None) -> list[QCResult]:
    """Absolute-term findings for Chinese (or mixed) copy."""
    pattern, kinds = _matcher(terms_file)
    out: list[QCResult] = []
    covered: list[tuple[int, int]] = []
    for m in pattern.finditer(text):
        term = m.group(0)
        kind = kinds[term.upper()]
        if _exempt(text, m.start(), m.end(), term, ctx):
            covered.append((m.start(), m.end()))
            continue
        covered.append((m.start(), m.end()))
        if kind == "absolute":
            out.append(ABSOLUTE.hit(term, m.start(), m.end()))
        elif kind == "soft":
            out.append(SOFT.hit(term, m.start(), m.end()))
        else:
            out.append(LISTED.hit(term, m.start(), m.end(), reason="public list"))
    for m in _GENERIC_ZUI.finditer(text):
        if any(a <= m.start() < b for a, b in covered) or _TEMPORAL_ZUI.match(m.group(0)):
            continue
        span = m.group(0)
        if not _exempt(text, m.start(), m.start() + 2, span[:2], ctx):
            out.append(ABSOLUTE.hit(span, m.start(), m.end()))
    return out
