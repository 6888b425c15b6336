"""`aigc generate creatives` end to end: a real `aigc` process, a real Prefect server, a local store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _aigc(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        cwd=cwd,
        timeout=300,
    )


@pytest.mark.slow
def test_cli_generates_and_skips(prefect_api: str, catalogs: Path, tmp_path: Path) -> None:
    feed = catalogs / "rawhide" / "google-merchant-feed.xml"
    env = {"AIGC_STORAGE_URI": f"file://{tmp_path / 'store'}", "PREFECT_API_URL": prefect_api}
    args = ["generate", "creatives", str(feed), "--formats", "square,iab_728x90,marketplace_main"]
    first = _aigc([*args, "--limit", "2", "--json"], env, tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    out = json.loads(first.stdout)
    assert out["products"] == 2 and out["created"] == 6 and out["failed"] == 0
    assert out["image_backend"]["backend"] == "compositor" and out["gpu_slot"] is False
    key = out["items"][0]["assets"][0]["key"]
    assert (tmp_path / "store" / key).is_file() and (tmp_path / "store" / (key + ".json")).is_file()
    assert (tmp_path / "store" / out["items"][0]["contact_sheet"]).is_file()
    second = _aigc([*args, "--limit", "2", "--json"], env, tmp_path)
    assert json.loads(second.stdout)["skipped"] == 6


def test_cli_rejects_unknown_format(catalogs: Path, tmp_path: Path) -> None:
    feed = catalogs / "rawhide" / "google-merchant-feed.xml"
    res = _aigc(["generate", "creatives", str(feed), "--formats", "billboard"], {}, tmp_path)
    assert res.returncode == 2 and "unknown creative format 'billboard'" in res.stderr
    missing = _aigc(["generate", "creatives", str(tmp_path / "nope.xml")], {}, tmp_path)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_help_lists_command_without_heavy_imports() -> None:
    code = (
        "import sys; from flows.cli import cli; "
        "assert 'creatives' in cli.commands['generate'].commands; "
        "assert not any(m in sys.modules for m in ('torch', 'diffusers', 'PIL', 'imageio_ffmpeg')), "
        "[m for m in ('torch', 'diffusers', 'PIL', 'imageio_ffmpeg') if m in sys.modules]"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 0, res.stderr


def test_gpu_tag_and_slot_only_for_diffusers_backends() -> None:
    import contextlib

    from flows.generate_creatives import creatives_batch_step, gpu_guard, uses_gpu
    from tasks.settings import load_settings

    assert "gpu" in creatives_batch_step.tags
    cpu = load_settings(models={"image_model": None, "video_model": None})
    gpu = load_settings(models={"image_model": "/models/sdxl"})
    assert not uses_gpu(cpu) and uses_gpu(gpu)
    assert isinstance(gpu_guard(cpu), contextlib.nullcontext)
    guard = gpu_guard(gpu)
    assert not isinstance(guard, contextlib.nullcontext) and hasattr(guard, "__enter__")
