"""Personal data in copy: a person's name given with contact details, national ID numbers (the
Chinese 18-digit resident ID, checked by its ISO 7064 check digit), US SSNs and payment card
numbers (Luhn-checked, card prefixes only, so GTINs and order numbers do not trip it).

Phone numbers and e-mail addresses are found here (`find_phones`, `find_emails`) and reported by
the marketplace rules, which forbid any contact data in copy; this module adds the findings that
are about a person.
"""

from __future__ import annotations

import re

from tasks.models import QCResult
from tasks.qc.rules import TextContext, rule

ID_NUMBER = rule("pii.id_number", "pii", "block", 'copy contains a national ID number "{span}"; remove it')
ID_LIKE = rule("pii.id_like", "pii", "warn", '"{span}" looks like an ID number; make sure it is not personal')
SSN = rule("pii.ssn", "pii", "block", 'copy contains what looks like a US social security number "{span}"')
CARD = rule("pii.card_number", "pii", "block", 'copy contains a payment card number "{span}"')
PERSON = rule(
    "pii.person_contact",
    "pii",
    "block",
    'copy names a person ("{span}") together with contact details; remove personal data',
)

PHONE = re.compile(
    r"(?<![\dA-Za-z$¥￥€£.,/_-])(?:"
    r"(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}"
    r"|(?:400|800)[-\s]?\d{3}[-\s]?\d{4}"
    r"|0\d{2,3}-\d{7,8}"
    r"|(?:\+?1[-.\s])?\(?[2-9]\d{2}\)?[-.\s]\d{3}[-.\s]\d{4}"
    r"|\+\d{1,3}[\s-]?\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}"
    r")(?![\dA-Za-z_])"
)
EMAIL = re.compile(
    r"(?<![A-Za-z0-9_.+-])[A-Za-z0-9_.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9_])"
)

_CN_ID = re.compile(
    r"(?<!\d)[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])"
)
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_CARD = re.compile(
    r"(?<![\d-])(?:4\d{3}|5[1-5]\d{2}|3[47]\d{2}|6011)(?:[\s-]?\d{4}){2}[\s-]?\d{3,4}(?![\d-])"
)
_NAME_EN = re.compile(
    r"\b(?i:contact|call|text|e-?mail|ask\s+for|reach|message|whatsapp)\s+(?i:me\s+|us\s+)?"
    r"((?:Mr|Mrs|Ms|Dr|Miss)\.?\s+[A-Z][a-z]+|[A-Z][a-z]+\s+[A-Z][a-z]+)"
)
_NAME_ZH = re.compile(
    r"(?:联系人|联系|找|咨询|客服)[：:\s]*([\u4e00-\u9fff]{1,2}(?:先生|女士|小姐|经理|老师|总))"
    r"|[\u4e00-\u9fff](?:先生|女士|小姐)(?=[^。]{0,12}\d{7})"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def find_phones(text: str) -> list[re.Match[str]]:
    return list(PHONE.finditer(text))


def find_emails(text: str) -> list[re.Match[str]]:
    return list(EMAIL.finditer(text))


def cn_id_valid(number: str) -> bool:
    """ISO 7064 MOD 11-2 check digit of a Chinese resident ID."""
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    nums = [int(c) for c in digits if c.isdigit()]
    total = 0
    for i, n in enumerate(reversed(nums)):
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def check(text: str, ctx: TextContext) -> list[QCResult]:
    out: list[QCResult] = []
    for m in _CN_ID.finditer(text):
        rule_ = ID_NUMBER if cn_id_valid(m.group(0)) else ID_LIKE
        out.append(rule_.hit(m.group(0), m.start(), m.end()))
    out.extend(SSN.hit(m.group(0), m.start(), m.end()) for m in _SSN.finditer(text))
    for m in _CARD.finditer(text):
        if luhn_valid(m.group(0)):
            out.append(CARD.hit(m.group(0), m.start(), m.end()))
    if ("@" in text or re.search(r"\d{7}", text.replace("-", "").replace(" ", ""))) and (
        find_phones(text) or find_emails(text)
    ):
        for pat in (_NAME_EN, _NAME_ZH):
            for m in pat.finditer(text):
                g = m.lastindex or 0
                s, e = (m.start(g), m.end(g)) if g else (m.start(), m.end())
                out.append(PERSON.hit(text[s:e], s, e))
    return out
