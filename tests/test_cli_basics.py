"""The CLI edge: instant help without heavy imports, errors as `Error: ...` with exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AIGC = str(Path(sys.executable).with_name("aigc"))


def _run(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([AIGC, *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
                          cwd=cwd, timeout=120)


def test_help_is_fast_and_imports_nothing_heavy():
    code = (
        "import sys, flows.cli as c; "
        "heavy = [m for m in ('torch', 'transformers', 'diffusers', 'prefect', 'pandas', 'great_expectations') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
    t0 = time.perf_counter()
    res = _run("--help")
    elapsed = time.perf_counter() - t0
    assert res.returncode == 0 and "Usage: aigc" in res.stdout
    assert elapsed < 2.0, f"aigc --help took {elapsed:.2f}s"
    for cmd in ("run", "review", "ingest"):
        assert cmd in res.stdout


def test_user_mistakes_exit_2_without_traceback(tmp_path):
    res = _run("run", str(tmp_path / "missing.csv"))
    assert res.returncode == 2
    assert res.stderr.startswith("Error: ") and "Traceback" not in res.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[storage]\nuri = 'ftp://x'\n")
    res = _run("--config", str(bad), "run", str(bad))
    assert res.returncode == 2 and "must start with file:// or s3://" in res.stderr
    res = _run("run", "--limit", "0", str(bad))
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_pause_mode_without_server_says_how_to_fix(tmp_path):
    cat = tmp_path / "c.csv"
    cat.write_text("x\n")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    res = subprocess.run([AIGC, "run", str(cat), "--review", "pause"], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 2 and "PREFECT_API_URL" in res.stderr
