"""`aigc server up|status|down`: real Prefect server and SeaweedFS started in the background, found
again by another process through the pid files, health-checked, and shut down cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

AIGC = str(Path(sys.executable).with_name("aigc"))


def _aigc(*args: str) -> dict:
    out = subprocess.run([AIGC, *args, "--json"], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def test_server_up_status_down_round_trip(tmp_path):
    from tasks.services import free_port, pid_alive, port_open

    data = str(tmp_path / "services")
    pp, sp = free_port(), free_port()
    up = _aigc("server", "up", "--data-dir", data, "--prefect-port", str(pp), "--s3-port", str(sp))
    try:
        svcs = up["services"]
        assert {svcs["prefect"]["state"], svcs["seaweedfs"]["state"]} == {"started"}
        assert f"PREFECT_API_URL=http://127.0.0.1:{pp}/api" in up["env"]
        with urllib.request.urlopen(f"http://127.0.0.1:{pp}/api/health", timeout=5) as r:
            assert r.status == 200
        assert (tmp_path / "services" / "prefect" / "prefect.db").exists()  # SQLite under the data dir

        status = _aigc("server", "status", "--data-dir", data)["services"]
        assert status["prefect"]["state"] == status["seaweedfs"]["state"] == "running"
        assert status["prefect"]["pid"] == svcs["prefect"]["pid"]
        again = _aigc("server", "up", "--data-dir", data, "--prefect-port", str(pp), "--s3-port", str(sp))
        assert again["services"]["prefect"]["state"] == "already running"
        assert again["services"]["prefect"]["pid"] == svcs["prefect"]["pid"]
    finally:
        down = _aigc("server", "down", "--data-dir", data)
    assert {s["state"] for s in down["services"].values()} == {"stopped"}
    for name in ("prefect", "seaweedfs"):
        assert not pid_alive(svcs[name]["pid"])
    assert not port_open(pp) and not port_open(sp)
    after = _aigc("server", "status", "--data-dir", data)["services"]
    assert after["prefect"]["state"] == after["seaweedfs"]["state"] == "not started"
