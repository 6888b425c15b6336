"""What a blocking finding leads to, and the brand's own banned / allowed terms.

Settings (`[qc]`) choose per rule id or per rule group: `regenerate` (up to `max_regenerations`
tries, with the findings added to the prompt), `review` (straight to a person, finding shown) or
`drop` (the asset is discarded). A rule id wins over its group, the group over `default_action`.
Banned and allowed terms come from the content spec (per brand, as the spec is) plus `qc` settings,
including `qc.brand_terms[brand]` when one settings file serves several brands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from tasks.models import ContentSpec, QCResult
from tasks.qc.rules import TextContext, group_of, rule

Outcome = Literal["pass", "regenerate", "review", "drop"]

BANNED = rule("policy.banned_term", "brand_terms", "block", '"{span}" is on this brand\'s banned-term list')


@dataclass(frozen=True)
class PolicyDecision:
    """The outcome for one asset after its checks, and the prompt feedback for a regeneration."""

    outcome: Outcome
    findings: list[QCResult] = field(default_factory=list)
    feedback: str = ""


def action_for(finding: QCResult, qc: Any) -> str:
    """regenerate / review / drop for one blocking finding: rule id, then group, then the default."""
    actions = getattr(qc, "actions", {}) or {}
    return (
        actions.get(finding.check)
        or actions.get(group_of(finding))
        or getattr(qc, "default_action", "regenerate")
    )


def decide(findings: list[QCResult], attempt: int, qc: Any) -> PolicyDecision:
    """Decide for an asset checked on try `attempt` (0 = first generation)."""
    blocks = [f for f in findings if f.severity == "block"]
    if not blocks:
        return PolicyDecision("pass", findings)
    actions = {action_for(f, qc) for f in blocks}
    if "drop" in actions:
        return PolicyDecision("drop", findings)
    if "regenerate" in actions and attempt < getattr(qc, "max_regenerations", 2):
        return PolicyDecision("regenerate", findings, prompt_feedback(blocks))
    return PolicyDecision("review", findings)


def prompt_feedback(findings: list[QCResult]) -> str:
    """Lines to append to the generation prompt so the next try avoids what this one got wrong."""
    lines = ["The previous draft failed these checks; fix every one:"]
    for f in findings:
        where = f' ("{f.span}")' if f.span else ""
        lines.append(f"- {f.message}{where if f.span and f.span not in f.message else ''}")
    return "\n".join(lines)


def term_lists(spec: ContentSpec | None, qc: Any, brand: str | None) -> tuple[list[str], list[str]]:
    """(banned, allowed) terms for a brand: the spec's lists, the global qc lists, the brand's own."""
    banned = list(spec.banned_terms if spec else []) + list(getattr(qc, "banned_terms", []) or [])
    allowed = list(spec.allowed_terms if spec else []) + list(getattr(qc, "allowed_terms", []) or [])
    per_brand = getattr(qc, "brand_terms", {}) or {}
    for name in {brand or "", (spec.brand.name if spec else "") or ""} - {""}:
        entry = per_brand.get(name, {})
        banned += entry.get("banned", [])
        allowed += entry.get("allowed", [])
    return [t for t in banned if t.strip()], [t for t in allowed if t.strip()]


def find_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Every (case-insensitive) occurrence of every term."""
    spans: list[tuple[int, int]] = []
    lower = text.lower()
    for t in terms:
        t = t.strip().lower()
        i = lower.find(t)
        while t and i != -1:
            spans.append((i, i + len(t)))
            i = lower.find(t, i + 1)
    return spans


def check_banned(text: str, banned: list[str], ctx: TextContext) -> list[QCResult]:
    out = []
    for s, e in find_spans(text, banned):
        if re.match(r"\w", text[s : s + 1]) and s > 0 and re.match(r"[A-Za-z]", text[s - 1]):
            continue  # inside a longer Latin word
        out.append(BANNED.hit(text[s:e], s, e))
    return out
