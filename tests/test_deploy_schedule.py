"""`aigc serve` registers the daily deployment with its cron schedule (from the settings) on a real
Prefect server, and the server's scheduled-runs list shows the next run at the right time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.slow

CRON, TZ = "17 3 * * *", "Asia/Shanghai"  # far from now in any case: the run must not fire


def test_serve_registers_the_cron_deployment_and_the_next_run_is_scheduled(prefect_api, tmp_path):
    from prefect import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "AIGC_FLOW_SCHEDULE_CRON": CRON,
        "AIGC_FLOW_SCHEDULE_TIMEZONE": TZ,
        "AIGC_FLOW_CATALOG_SOURCE": str(tmp_path / "catalog.csv"),
        "AIGC_STORAGE_URI": f"file://{tmp_path / 'store'}",
    }
    log = tmp_path / "serve.log"
    started = time.time()
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("aigc")), "serve"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        dep, runs = None, []
        with get_client(sync_client=True) as client:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not runs:
                assert proc.poll() is None, log.read_text()[-3000:]
                try:
                    dep = client.read_deployment_by_name("daily-content/daily")
                except Exception:
                    time.sleep(1)
                    continue
                if dep.updated.timestamp() < started - 5 or not dep.schedules:
                    time.sleep(1)  # an older registration of the same name
                    continue
                runs = client.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[dep.id])),
                    flow_run_filter=FlowRunFilter(
                        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
                    ),
                    sort="EXPECTED_START_TIME_ASC",
                )
                if not runs:
                    time.sleep(1)
        assert dep is not None and runs, f"no scheduled run; serve log:\n{log.read_text()[-3000:]}"
        (sched,) = dep.schedules
        assert (sched.schedule.cron, sched.schedule.timezone, sched.active) == (CRON, TZ, True)
        assert dep.parameters["source"] == env["AIGC_FLOW_CATALOG_SOURCE"]
        now = datetime.now(ZoneInfo(TZ))
        expected = now.replace(hour=3, minute=17, second=0, microsecond=0)
        if expected <= now:
            expected += timedelta(days=1)
        assert runs[0].expected_start_time == expected
        assert runs[0].expected_start_time.astimezone(ZoneInfo(TZ)).strftime("%H:%M") == "03:17"
        # the ad-hoc and generation deployments are served too, without schedules
        with get_client(sync_client=True) as client:
            for name in ("daily-content/adhoc", "generate-batch/generate-batch"):
                assert not client.read_deployment_by_name(name).schedules
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
