"""`aigc generate copy` against a real Prefect server: backends, change-only reruns, snapshots."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _aigc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )


def test_generate_copy_cli_builtin_then_only_changes(
    prefect_api: str, catalogs: Path, tmp_path: Path
) -> None:
    env = {"AIGC_STORAGE_URI": f"file://{tmp_path / 'store'}"}
    src = str(catalogs / "rawhide" / "google-merchant-feed.xml")
    first = _aigc("generate", "copy", src, "--limit", "4", "--json", env=env)
    assert first.returncode == 0, first.stderr
    s = json.loads(first.stdout)
    assert s["backend"] == "builtin" and s["prompt_version"] == "copy_v1" and s["products"] == 4
    assert s["written"] > 4 * 4 and s["failed"] == 0 and s["skipped"] == 0
    assert "copy backend: builtin" in first.stderr
    again = json.loads(_aigc("generate", "copy", src, "--limit", "4", "--json", env=env).stdout)
    assert again["written"] == 0 and again["skipped"] == s["written"]
    forced = json.loads(_aigc("generate", "copy", src, "--limit", "4", "--all", "--json", env=env).stdout)
    assert forced["written"] == s["written"]
    missing = _aigc("generate", "copy", str(tmp_path / "nope.csv"), env=env)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_generate_copy_from_latest_snapshot_tiny_model_then_builtin(
    prefect_api: str, catalogs: Path, tmp_path: Path
) -> None:
    from aigc_models.tiny_text import build
    from tasks.catalog import ingest
    from tasks.storage import open_store

    uri = f"file://{tmp_path / 'store'}"
    ingest(str(catalogs / "zh-openbg" / "openbg_title_generate.jsonl"), open_store(uri))
    model = build(tmp_path / "tiny")
    config = tmp_path / "aigc.toml"
    config.write_text(
        '[models]\nmax_new_tokens = 4\nmax_retries = 0\n[content]\ncontent_types = ["listing", "faq"]\n'
    )
    env = {"AIGC_STORAGE_URI": uri, "AIGC_TEXT_MODEL": str(model)}
    args = ("--config", str(config), "generate", "copy", "latest", "--limit", "3", "--json")
    run = _aigc(*args, env=env)
    assert run.returncode == 0, run.stderr
    s = json.loads(run.stdout)
    assert s["backend"] == "transformers" and s["model_id"] == str(model) and s["products"] == 3
    assert s["written"] == 0 and len(s["products_failed"]) == 3
    assert all(f["attempts"] == 1 and f["reason"] for f in s["failures"])
    assert f"copy backend: transformers ({model})" in " ".join(run.stderr.split())
    s2 = json.loads(_aigc(*args, env={**env, "AIGC_TEXT_MODEL": ""}).stdout)
    assert s2["backend"] == "builtin" and s2["written"] == 6 and s2["failed"] == 0
