"""`aigc ingest` through a subprocess, the way a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _aigc(*args: str, store: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "AIGC_STORAGE_URI": f"file://{store}", **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_missing_file_exits_2_without_traceback(tmp_path: Path) -> None:
    r = _aigc("ingest", str(tmp_path / "nope.csv"), "--json", store=tmp_path / "store")
    assert r.returncode == 2
    assert r.stderr.startswith("Error: ") and "nope.csv" in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_unknown_format_exits_2(tmp_path: Path) -> None:
    r = _aigc(
        "ingest", str(ROOT / "examples" / "catalog" / "products.csv"), "--format", "xls", store=tmp_path / "s"
    )
    assert r.returncode == 2 and "unknown catalog format 'xls'" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_ingest_json_and_unparseable_file(tmp_path: Path, prefect_api: str) -> None:
    store = tmp_path / "store"
    r = _aigc("ingest", str(ROOT / "examples" / "catalog" / "products.csv"), "--json", store=store)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {k: out[k] for k in ("products", "quarantined", "new", "changed", "unchanged", "removed")} == {
        "products": 8,
        "quarantined": 0,
        "new": 8,
        "changed": 0,
        "unchanged": 0,
        "removed": 0,
    }
    assert (
        out["snapshot"].startswith(f"file://{store}")
        and (store / "catalog" / out["day"] / "products.parquet").is_file()
    )
    assert "8 products" in r.stderr

    broken = tmp_path / "feed.xml"
    broken.write_text("<rss><channel><item>")
    r = _aigc("ingest", str(broken), store=store)
    assert r.returncode == 2, r.stderr
    assert "Error: " in r.stderr and "feed.xml is not well-formed XML" in r.stderr
    assert "Traceback" not in r.stderr
