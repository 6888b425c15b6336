"""The labelled set (tests/data/qc_labelled.jsonl): recall on violations and false blocks on clean copy.

Half the lines violate a rule group (label `block`, `group` names it), half are clean, many of those
deliberately close to a rule (最佳赏味期, 第一次, GB/T grades, own-range comparisons, a trademark with
最, ordinal "first", the FDA disclaimer, money-back guarantees ...).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tasks.models import Product
from tasks.qc import check_text, verdict
from tasks.qc.rules import group_of

DATA = Path(__file__).parent / "data" / "qc_labelled.jsonl"


def _rows() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def _group(rule_group: str) -> str:
    return "ad_law" if rule_group.startswith("ad_law") else rule_group


def test_labelled_set_shape() -> None:
    rows = _rows()
    labels = Counter(r["label"] for r in rows)
    langs = Counter(r["lang"] for r in rows)
    assert len(rows) >= 120
    assert abs(labels["block"] - labels["pass"]) <= 0.1 * len(rows)
    assert min(langs["zh"], langs["en"]) >= 0.35 * len(rows)
    assert len({r["id"] for r in rows}) == len(rows)


def test_recall_and_false_blocks() -> None:
    rows = _rows()
    hits = misses = false_blocks = clean = right_group = 0
    per_group: Counter[str] = Counter()
    problems = []
    for r in rows:
        product = Product.model_validate(r["product"]) if r.get("product") else None
        findings = check_text(r["text"], r["lang"], product, field=r.get("field", "text"))
        v = verdict(findings)
        if r["label"] == "block":
            if v == "block":
                hits += 1
                groups = {_group(group_of(f)) for f in findings if f.severity == "block"}
                right_group += r["group"] in groups
                per_group[r["group"]] += 1
            else:
                misses += 1
                problems.append(f"missed {r['id']} {r['text']!r}")
        else:
            clean += 1
            if v == "block":
                false_blocks += 1
                problems.append(f"false block {r['id']} {r['text']!r}: {[f.check for f in findings]}")
    recall = hits / (hits + misses)
    false_rate = false_blocks / clean
    print(
        f"\nrecall on violations: {recall:.3f} ({hits}/{hits + misses}); "
        f"false blocks on clean lines: {false_rate:.3f} ({false_blocks}/{clean}); "
        f"blocked for the expected group: {right_group}/{hits}; per group: {dict(per_group)}"
    )
    for p in problems:
        print(" ", p)
    assert recall >= 0.9
    assert false_rate <= 0.1
    assert right_group >= 0.9 * hits
