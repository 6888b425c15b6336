"""infra/gpu-smoke.sh runs in CI too: without CUDA it builds the tiny models and runs one batch
through the real transformers/diffusers backends on CPU in fp32, so the script cannot rot."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_smoke_script_runs_one_batch_through_the_real_backends(catalogs, tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    for k in (
        "AIGC_DEVICE",
        "AIGC_DTYPE",
        "AIGC_TEXT_MODEL",
        "AIGC_IMAGE_MODEL",
        "AIGC_VIDEO_MODEL",
        "AIGC_CONFIG",
    ):
        env.pop(k, None)
    res = subprocess.run(
        [str(ROOT / "infra" / "gpu-smoke.sh"), str(catalogs / "rawhide" / "google-merchant-feed.xml"), "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-4000:]
    report = json.loads(res.stdout)
    import torch

    assert report["cuda"] == torch.cuda.is_available()
    assert report["device"].startswith("cuda" if report["cuda"] else "cpu")
    assert "transformers" in json.dumps(report["backends"]["copy"])
    assert "diffusers" in json.dumps(report["backends"]["image"])
    assert "diffusers" in json.dumps(report["backends"]["video"])
    assert report["products"] == 1 and len(report["records"]) == 1
    assert report["records"][0]["assets"] > 0 and report["records"][0]["status"] != "failed"
    assert report["batch_s"] > 0 and report["stage_seconds"]
    assert "gpu-smoke: OK" in res.stderr
    assert not list(tmp_path.glob("aigc-gpu-smoke.*")), "the script must clean up its work folder"
