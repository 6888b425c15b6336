"""Marketplace policy: no contact data in copy, no promotional noise in titles.

Marketplaces (Amazon, Tmall, Google Shopping) forbid phone numbers, e-mail addresses, URLs and
messaging handles (微信, WhatsApp ...) in product copy, because they route buyers off-platform.
Titles must not carry promotions (FREE SHIPPING, SALE), runs of !!!, decorative symbols or
shouting capitals; in body copy the same things only warn. Chinese marketplaces tolerate 包邮 and 清仓 in
titles, so Chinese promo wording only warns.
"""

from __future__ import annotations

import re

from tasks.models import QCResult
from tasks.qc.pii import find_emails, find_phones
from tasks.qc.rules import TextContext, mentions, rule

PHONE = rule(
    "marketplace.phone",
    "marketplace",
    "block",
    'phone number "{span}" in copy; marketplaces forbid contact data',
)
EMAIL = rule("marketplace.email", "marketplace", "block", 'e-mail address "{span}" in copy; remove it')
URL = rule(
    "marketplace.url", "marketplace", "block", 'URL "{span}" in copy; links to other sites are not allowed'
)
HANDLE = rule(
    "marketplace.messaging",
    "marketplace",
    "block",
    '"{span}" sends buyers to a messaging app; marketplaces forbid off-platform contact',
)
PROMO = rule(
    "marketplace.promo_title",
    "marketplace",
    "block",
    '"{span}" is a promotional phrase; titles must describe the product only',
)
PUNCT = rule(
    "marketplace.punctuation",
    "marketplace",
    "block",
    '"{span}": repeated or decorative punctuation in a title',
)
SOCIAL = rule(
    "marketplace.social_handle",
    "marketplace",
    "warn",
    '"{span}" is a social-media handle; keep buyers on the listing',
)
CAPS = rule(
    "marketplace.all_caps", "marketplace", "warn", "title shouts in capitals ({span}); use title case"
)

_TLD = r"(?:com|net|org|cn|io|co|shop|store|xyz|me|top|info|biz|us|uk|de|fr|jp|hk|tw|ly|link|site|online|app)"
_URL = re.compile(
    rf"\bhttps?://[^\s<>\"'，。]+|\bwww\.[^\s<>\"'，。]+|(?<![@\w.-])(?:[a-z0-9-]+\.)+{_TLD}\b(?:/[^\s<>\"'，。]*)?",
    re.I,
)
_URL_HINT = re.compile(rf"://|www\.|\.{_TLD}\b", re.I)  # cheap pre-check: the full pattern is slow
_HANDLE = re.compile(
    r"(?:加|添加|联系|私聊|私信)?(?:微信|薇信|威信|V信|v信|微信号|扣扣)(?!支付|小程序|公众号搜索|扫码支付)"
    r"|加[vV微](?:信)?|(?<![A-Za-z])(?:vx|VX|wx|WX|QQ|qq)[:：\s]*[A-Za-z0-9_-]{5,}"
    r"|\b(?:WhatsApp|WeChat|Telegram|Viber|Line\s+ID|Snapchat)\b|\bDM\s+(?:me|us)\b|\btext\s+me\b",
)
_SOCIAL = re.compile(r"(?<![\w.@])@[A-Za-z0-9_][A-Za-z0-9_.]{2,29}\b")
_HANDLE_HINTS = (
    "whatsapp",
    "wechat",
    "telegram",
    "viber",
    "line id",
    "snapchat",
    "dm ",
    "text me",
    "vx",
    "wx",
    "qq",
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_PROMO_EN = re.compile(
    r"\b(?:free\s+(?:shipping|delivery|gift)|on\s+sale|hot\s+sale|best\s*seller|limited\s+time|clearance|"
    r"buy\s+now|discount|cheap(?:est)?|deal\s+of\s+the\s+day|\d+\s?%\s+off|sale)\b",
    re.I,
)
_PROMO_ZH = re.compile(r"限时(?:抢购|特价|秒杀)|秒杀价|清仓|跳楼价|狂欢价|亏本|点击领奖|全民免单")
_BANG = re.compile(r"[!！]{2,}|[?？]{2,}|[★☆♥❤✔✅🔥💥⚡]+")
_TITLE_CHARS = re.compile(r"[$¬¦{}^~]")
_ACRONYMS = {
    "USB",
    "LED",
    "LCD",
    "HD",
    "UHD",
    "USA",
    "UK",
    "EU",
    "XL",
    "XXL",
    "XS",
    "GB",
    "TB",
    "DIY",
    "TV",
    "PC",
    "UV",
    "SPF",
    "BPA",
    "PU",
    "PVC",
    "ABS",
    "AC",
    "DC",
    "CPU",
    "GPS",
    "NFC",
    "RGB",
    "HDMI",
    "OEM",
    "ID",
    "II",
    "III",
}
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")


def check(text: str, ctx: TextContext) -> list[QCResult]:
    out: list[QCResult] = []
    for m in find_phones(text):
        out.append(PHONE.hit(m.group(0), m.start(), m.end()))
    emails = find_emails(text)
    for m in emails:
        out.append(EMAIL.hit(m.group(0), m.start(), m.end()))
    for m in _URL.finditer(text) if _URL_HINT.search(text) else ():
        if not any(e.start() <= m.start() < e.end() for e in emails) and not ctx.allowed(m.start(), m.end()):
            out.append(URL.hit(m.group(0), m.start(), m.end()))
    low = text.lower()
    handles = bool(_CJK.search(text)) or mentions(low, _HANDLE_HINTS)
    for m in _HANDLE.finditer(text) if handles else ():
        if not ctx.allowed(m.start(), m.end()):
            out.append(HANDLE.hit(m.group(0), m.start(), m.end()))
    if "@" in text:
        for m in _SOCIAL.finditer(text):
            if not any(e.start() <= m.start() < e.end() for e in emails):
                out.append(SOCIAL.hit(m.group(0), m.start(), m.end()))
    title = ctx.is_title
    sev = None if title else "warn"
    for m in _PROMO_EN.finditer(text) if title or "free" in low else ():
        if not ctx.allowed(m.start(), m.end()) and (title or m.group(0).lower().startswith("free")):
            out.append(PROMO.hit(m.group(0), m.start(), m.end(), severity=sev))
    for m in _PROMO_ZH.finditer(text):  # Taobao/Tmall tolerate 清仓/特价 in titles: flag, never block
        out.append(PROMO.hit(m.group(0), m.start(), m.end(), severity="warn"))
    for m in _BANG.finditer(text):
        out.append(PUNCT.hit(m.group(0), m.start(), m.end(), severity=sev))
    if title:
        for m in _TITLE_CHARS.finditer(text):
            out.append(PUNCT.hit(m.group(0), m.start(), m.end(), severity="warn"))
        words = re.findall(r"[A-Za-z]+", text)
        caps = [w for w in _CAPS_WORD.findall(text) if w not in _ACRONYMS]
        if len(caps) >= 2 and len(caps) > 0.3 * len(words):
            out.append(CAPS.hit(" ".join(caps[:5])))
    return out
