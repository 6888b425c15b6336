"""`aigc qc copy` through a real subprocess: the stable JSON Lines contract and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "qc_labelled.jsonl"


def aigc(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("aigc")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "flows.cli"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [*cmd, *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def test_json_lines_one_per_input_line_in_order() -> None:
    lines = [json.loads(x) for x in LABELLED.read_text(encoding="utf-8").splitlines() if x.strip()]
    res = aigc("qc", "copy", str(LABELLED), "--json")
    assert res.returncode == 0, res.stderr
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert [o["id"] for o in out] == [r["id"] for r in lines]
    for o, r in zip(out, lines, strict=True):
        assert set(o) == {"id", "verdict", "findings"}
        assert o["verdict"] in ("block", "warn", "pass")
        for f in o["findings"]:
            assert set(f) == {"rule", "severity", "message", "span"}
        if r["label"] == "block":
            assert o["verdict"] == "block", (r, o)
    first = next(o for o in out if o["id"] == "v001")
    assert first["findings"][0]["rule"] == "ad_law_zh.absolute_term" and first["findings"][0]["span"]


def test_stdin_and_table_output() -> None:
    text = '{"id": 7, "lang": "en", "text": "The best blender in the world"}\n{"id": 8, "lang": "zh", "text": "第一次使用前请清洗"}\n'
    res = aigc("qc", "copy", "-", "--json", stdin=text)
    assert res.returncode == 0, res.stderr
    assert [json.loads(x)["verdict"] for x in res.stdout.splitlines()] == ["block", "pass"]
    table = aigc("qc", "copy", "-", stdin=text)
    assert table.returncode == 0
    assert "ad_law_en.superlative" in table.stdout and "block" in table.stdout
    assert "1 block" in table.stderr


def test_unreadable_line_exits_2_naming_the_line(tmp_path: Path) -> None:
    f = tmp_path / "copy.jsonl"
    f.write_text(
        '{"id": 1, "lang": "en", "text": "ok"}\n\n{"id": 2, "lang": "en", "text": \n', encoding="utf-8"
    )
    res = aigc("qc", "copy", str(f), "--json")
    assert res.returncode == 2
    assert res.stderr.startswith(f"Error: {f} line 3: not valid JSON")
    assert res.stdout == ""
    cases = {
        '{"id": 1, "lang": "fr", "text": "x"}': "lang is 'fr'",
        '{"id": 1, "text": "x"}': "missing lang",
        "[1, 2]": "expected a JSON object",
        '{"id": 1, "lang": "en", "text": "x", "product": {"title": "no sku"}}': "product is not a valid Product",
    }
    for line, msg in cases.items():
        f.write_text(line + "\n", encoding="utf-8")
        res = aigc("qc", "copy", str(f), "--json")
        assert res.returncode == 2 and "line 1:" in res.stderr and msg in res.stderr, res.stderr
    f.write_bytes(b'{"id": 1, "lang": "en", "text": "ok"}\n{"id": 2, "lang": "en", "text": "\xff"}\n')
    res = aigc("qc", "copy", str(f))
    assert res.returncode == 2 and "line 2: not UTF-8" in res.stderr
    res = aigc("qc", "copy", str(tmp_path / "missing.jsonl"))
    assert res.returncode == 2 and res.stderr.startswith("Error:")


def test_product_and_brand_terms_from_config(tmp_path: Path) -> None:
    product = {
        "sku": "w1",
        "title": "Leather wallet",
        "brand": "Acme",
        "price": "65.00",
        "currency": "USD",
        "sale_price": None,
        "attributes": {"material": "leather"},
    }
    lines = [
        {"id": "a", "lang": "en", "text": "Soft cotton wallet, just $39.99", "product": product},
        {"id": "b", "lang": "en", "text": "A cheap leather wallet for $65.00", "product": product},
    ]
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    cfg = tmp_path / "aigc.toml"
    cfg.write_text('[content]\nbanned_terms = ["cheap"]\n\n[qc]\nmax_regenerations = 1\n', encoding="utf-8")
    res = aigc("--config", str(cfg), "qc", "copy", str(f), "--json")
    assert res.returncode == 0, res.stderr
    a, b = (json.loads(x) for x in res.stdout.splitlines())
    assert a["verdict"] == "block"
    assert {f["span"] for f in a["findings"] if f["rule"] == "consistency.contradiction"} == {
        "cotton",
        "$39.99",
    }
    assert [f["rule"] for f in b["findings"]] == ["policy.banned_term"]
