"""The rule model every check shares: an id, a severity, a group and a message a person understands.

Checks never build `QCResult`s by hand; they call `Rule.hit(...)` so that the id, the group and the
wording stay in one place, and so that the policy (regenerate / review / drop, see `policy.py`) can
be chosen per rule or per group from settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tasks.models import QCResult, Severity

_SEVERITY_RANK = {"info": 0, "warn": 1, "block": 2}


@dataclass(frozen=True)
class Rule:
    """One named check. `message` is a `str.format` template; `{span}` is always available."""

    id: str
    group: str
    severity: Severity
    message: str

    def hit(
        self,
        span: str | None = None,
        start: int | None = None,
        end: int | None = None,
        *,
        severity: Severity | None = None,
        **evidence: Any,
    ) -> QCResult:
        """A finding of this rule; `evidence` fills the message template and is kept for the reviewer."""
        try:
            message = self.message.format(span=span, **evidence)
        except (KeyError, IndexError):
            message = self.message
        return QCResult(
            check=self.id,
            severity=severity or self.severity,
            message=message,
            span=span,
            evidence={"group": self.group, **{k: _plain(v) for k, v in evidence.items()}},
            start=start,
            end=end,
        )


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, group: str, severity: Severity, message: str) -> Rule:
    """Declare (and register) a rule at import time of its module."""
    if rule_id in REGISTRY:
        raise ValueError(f"QC rule {rule_id!r} is declared twice")
    r = Rule(rule_id, group, severity, message)
    REGISTRY[rule_id] = r
    return r


def group_of(finding: QCResult) -> str:
    """The rule group of a finding (falls back to the id's prefix for findings made elsewhere)."""
    return str(finding.evidence.get("group") or finding.check.split(".", 1)[0])


def verdict(findings: list[QCResult]) -> str:
    """`block` if anything blocks, else `warn` if anything warns, else `pass` (info never counts)."""
    worst = max((_SEVERITY_RANK[f.severity] for f in findings), default=0)
    return {2: "block", 1: "warn", 0: "pass"}[worst]


def dedupe(findings: list[QCResult]) -> list[QCResult]:
    """Drop a finding whose span lies inside a stronger (or equal, longer) finding.

    Two lists that both contain 最佳 and 最, or a guarantee rule and a superlative rule over the same
    words, would otherwise report one phrase twice.
    """
    kept: list[QCResult] = []
    order = sorted(
        enumerate(findings),
        key=lambda p: (-_SEVERITY_RANK[p[1].severity], -((p[1].end or 0) - (p[1].start or 0)), p[0]),
    )
    for _, f in order:
        if f.start is not None and any(
            k.start is not None and k.start <= f.start and (f.end or 0) <= (k.end or 0) for k in kept
        ):
            continue
        kept.append(f)
    kept.sort(key=lambda f: (f.start if f.start is not None else -1, f.check))
    return kept


@dataclass
class TextContext:
    """What a text check may look at besides the text: language, field, product, allow-lists.

    Built once per text by `tasks.qc.check_text`; `allowed_spans` are the places where an allowed
    term (trademark, brand name, a term the brand cleared) sits, so no rule flags inside them.
    """

    text: str
    lang: str
    field: str = "text"
    product: Any = None  # tasks.models.Product | None (kept loose: the CLI passes parsed products)
    allowed_spans: list[tuple[int, int]] | None = None
    extra_brands: tuple[str, ...] = ()

    def allowed(self, start: int, end: int) -> bool:
        return any(a <= start and end <= b for a, b in self.allowed_spans or ())

    @property
    def is_title(self) -> bool:
        return self.field.rsplit(".", 1)[-1].rstrip("0123456789[]") in {"title", "headline"}


def clause_bounds(text: str, start: int, end: int, stops: str = "。！？；!?;\n|") -> tuple[int, int]:
    """The sentence-ish clause around a match, so context words are looked for nearby only."""
    left = max((text.rfind(c, 0, start) for c in stops), default=-1) + 1
    rights = [i for i in (text.find(c, end) for c in stops) if i != -1]
    return left, min(rights) if rights else len(text)


def literal_alternation(terms: list[str] | set[str]) -> str:
    """A regex alternation of literal terms, longest first, so 最佳 wins over 最."""
    import re

    return "|".join(re.escape(t) for t in sorted(set(terms), key=lambda t: (-len(t), t)) if t)


def mentions(low: str, words: tuple[str, ...]) -> bool:
    """Cheap gate before a big regex: does the lower-cased text contain any of these literals?

    Python's `re` tries every branch of a large alternation at every position; a few substring
    tests first keep `aigc qc copy` fast on the many lines no rule is about.
    """
    return any(w in low for w in words)
