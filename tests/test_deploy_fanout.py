"""Deployment mode on a real Prefect server with two real `prefect worker` processes on the gpu pool.

The daily flow runs in this test process (as the cpu worker would run it), fans its batches out to
the generation deployment, and the two workers pick them up. The workers share the store with the
parent through a local folder (one machine), exactly as they would share an S3 bucket.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import chromium_flags

pytestmark = pytest.mark.slow

N_PRODUCTS = 40
BATCH = 10
# small content per product keeps three 40-product runs inside the test budget on 2 cores
CONFIG = """
[qc]
max_regenerations = 0

[content]
content_types = ["listing"]
variants = 1
image_formats = ["square"]
video_formats = []
"""


def _rows(src: Path, dst: Path, start: int, n: int) -> Path:
    """Rows start..start+n of a CSV (records, not lines: fields hold newlines) with its header."""
    with src.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    with dst.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([rows[0], *rows[1 + start : 1 + start + n]])
    return dst


class Workers:
    """`prefect worker start --pool gpu` processes: started with Popen, stopped with one SIGTERM."""

    def __init__(self, env: dict[str, str], logdir: Path) -> None:
        self.env, self.logdir = env, logdir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> subprocess.Popen:
        log = (self.logdir / f"{name}.log").open("ab")
        cmd = [str(Path(sys.executable).with_name("prefect")), "worker", "start", "--pool", "gpu"]
        cmd += ["--name", name, "--limit", "1", "--type", "process"]
        proc = subprocess.Popen(
            cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.logdir / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


@pytest.fixture(scope="module")
def cluster(prefect_api: str, catalogs: Path, tmp_path_factory: pytest.TempPathFactory):
    """Deployments + pools + gpu limit applied, two gpu workers running, a shared store folder."""
    from flows.cli_deploy import deploy
    from tasks.settings import load_settings

    root = tmp_path_factory.mktemp("fanout")
    amazon = catalogs / "amazon-sample" / "amazon_products_sample_1000.csv"
    catalog = _rows(amazon, root / "first.csv", 0, N_PRODUCTS)
    # the kill test needs only two batches running at once, one per worker
    catalog2 = _rows(amazon, root / "second.csv", N_PRODUCTS, 2 * BATCH)
    store_uri = f"file://{root / 'store'}"
    config = root / "aigc.toml"
    config.write_text(CONFIG)
    env_over = {
        "AIGC_STORAGE_URI": store_uri,
        "AIGC_FLOW_BATCH_SIZE": str(BATCH),
        "AIGC_FLOW_EXECUTION": "deployment",
        "AIGC_FLOW_BATCH_TIMEOUT_S": "240",
        "AIGC_SERVICES_GPU_SLOTS": "2",
        "AIGC_SERVICES_ZOMBIE_AFTER_S": "45",
    }
    old = {k: os.environ.get(k) for k in env_over}
    os.environ.update(env_over)
    settings = load_settings(config)
    deploy(settings)
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
    }
    workers = Workers(env, root)
    workers.start("gpu-w1")
    workers.start("gpu-w2")
    try:
        yield {
            "catalog": catalog,
            "catalog2": catalog2,
            "config": str(config),
            "store_uri": store_uri,
            "root": root,
            "workers": workers,
        }
    finally:
        workers.stop_all()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _batch_runs(run_id: str):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[f"aigc-run:{run_id}"]))
        )


def _content(store_uri: str, run_id: str | None = None) -> dict[str, list[tuple[str, str, str]]]:
    """Per SKU: the assets the ledger says were made (kind, content-addressed key, checksum)."""
    from tasks.ledger import all_records
    from tasks.storage import open_store

    return {
        r.sku: sorted((str(a.kind), a.key, a.checksum or "") for a in r.assets)
        for r in all_records(open_store(store_uri))
        if run_id is None or r.run_id == run_id
    }


def _duplicates(store_uri: str) -> list[str]:
    """Artifact objects made more than once for a SKU (same file name under two generation keys)."""
    from collections import Counter

    from tasks.storage import open_store

    names: Counter[tuple[str, str]] = Counter()
    for key in open_store(store_uri).list("artifacts/"):
        parts = key.split("/")
        if not parts[-1].startswith("."):  # sidecar metadata
            names[(parts[1], "/".join(parts[3:]))] += 1
    assert names, "no artifacts at all"
    return [f"{sku}/{name}" for (sku, name), n in names.items() if n > 1]


def test_fanout_spreads_batches_over_both_workers_and_matches_local_mode(cluster, tmp_path, monkeypatch):
    from flows.daily import daily_content

    summary = daily_content(str(cluster["catalog"]), config=cluster["config"])
    run_id = summary["run_id"]
    cluster["daily_run"] = run_id
    assert summary["products"] >= N_PRODUCTS - 2  # a row or two may be quarantined
    n = summary["products"]
    assert summary["generated"] + summary["failed"] == n
    assert summary["failed"] == 0, summary["failures"]

    runs = [r for r in _batch_runs(run_id) if r.deployment_id]
    assert len(runs) >= 4, [r.name for r in runs]
    assert all(r.state_name == "Completed" for r in runs), [(r.name, r.state_name) for r in runs]
    # every product in exactly one batch run
    skus = [s for r in runs for s in r.parameters["skus"]]
    assert len(skus) == len(set(skus)) == n
    # which worker ran which batch: the worker that submits a run labels it with its name
    ran_by = [r.labels.get("prefect.worker.name") for r in runs]
    assert set(ran_by) == {"gpu-w1", "gpu-w2"}, ran_by
    assert all(r.work_pool_name == "gpu" for r in runs)

    deployed = _content(cluster["store_uri"])
    assert len(deployed) == n and all(deployed.values())
    assert not _duplicates(cluster["store_uri"])

    # the same catalog and seeds in local mode (in-process batches) make the same content
    local_uri = f"file://{tmp_path / 'local-store'}"
    monkeypatch.setenv("AIGC_STORAGE_URI", local_uri)
    monkeypatch.setenv("AIGC_FLOW_EXECUTION", "local")
    local = daily_content(str(cluster["catalog"]), config=cluster["config"])
    assert local["generated"] == summary["generated"]
    assert not [r for r in _batch_runs(local["run_id"]) if r.deployment_id]
    assert _content(local_uri) == deployed


def test_prefect_ui_shows_the_finished_daily_run_with_its_artifacts(cluster, prefect_api, tmp_path):
    """Headless Chromium opens the run's page in the server's UI (a JS app, driven over the
    DevTools protocol), clicks the Artifacts tab and takes a screenshot."""
    from prefect import get_client

    if "daily_run" not in cluster:
        pytest.skip("needs the finished daily run of the fan-out test")
    run_id = cluster["daily_run"]
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
    base = prefect_api.removesuffix("/api")
    shot = tmp_path / "daily-run.png"
    text = chromium_page_text(
        f"{base}/runs/flow-run/{run_id}",
        click="Artifacts",
        wait_for=("run-summary", "review-products", "contact-sheet"),
        screenshot=shot,
        profile=tmp_path / "chromium",
    )
    assert run.name in text
    assert run.state_name == "Completed" and "Completed" in text
    for key in ("run-summary", "review-products", "contact-sheet", "generation-progress"):
        assert key in text, f"artifact {key} not on the page"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def chromium_page_text(
    url: str, click: str, wait_for: tuple[str, ...], screenshot: Path, profile: Path, timeout_s: float = 90
) -> str:
    """Open `url` in headless Chromium, click the element whose text is `click`, wait until every
    string of `wait_for` is on the page, save a screenshot; returns the page's visible text."""
    import base64
    import json
    import urllib.request

    from websockets.sync.client import connect

    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (scripts/system-deps.sh installs it)")
    flags = [
        *chromium_flags(profile),
        "--remote-debugging-port=0",
        "--window-size=1400,1000",
    ]
    proc = subprocess.Popen(
        [CHROMIUM, *flags, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert time.monotonic() < deadline and proc.poll() is None, "chromium did not start"
            time.sleep(0.2)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=10) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=64 * 2**20) as ws:
            seq = 0

            def call(method: str, **params):
                nonlocal seq
                seq += 1
                ws.send(json.dumps({"id": seq, "method": method, "params": params}))
                while True:
                    msg = json.loads(ws.recv(timeout=30))
                    if msg.get("id") == seq:
                        return msg.get("result", {})

            def evaluate(js: str):
                return call("Runtime.evaluate", expression=js, returnByValue=True)["result"].get("value")

            call("Page.enable")
            call("Page.navigate", url=url)
            clicked, text = False, ""
            finder = (
                "[...document.querySelectorAll('button,a,[role=tab],li')]"
                f".find(e => e.innerText && e.innerText.trim() === {json.dumps(click)})"
            )
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                text = evaluate("document.body ? document.body.innerText : ''") or ""
                if not clicked and click in text:
                    clicked = bool(
                        evaluate(f"(() => {{ const e = {finder}; if (e) e.click(); return !!e; }})()")
                    )
                if clicked and all(w in text for w in wait_for):
                    break
                time.sleep(0.5)
            screenshot.write_bytes(base64.b64decode(call("Page.captureScreenshot", format="png")["data"]))
            return text
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_killed_worker_batch_is_rerun_nothing_lost_or_duplicated(cluster):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateName

    from flows.daily import daily_content

    store_uri = cluster["store_uri"]  # the workers' store; new products, so all are generated
    result: dict = {}

    def parent() -> None:
        try:
            result["summary"] = daily_content(str(cluster["catalog2"]), config=cluster["config"])
        except BaseException as exc:  # surfaced by the assertion below
            result["error"] = exc

    t = threading.Thread(target=parent, daemon=True)
    t.start()
    workers = cluster["workers"]
    victim = None
    deadline = time.monotonic() + 120
    with get_client(sync_client=True) as client:
        while victim is None and time.monotonic() < deadline:
            running = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(name=FlowRunFilterStateName(any_=["Running"]))
                )
            )
            for r in running:
                if r.deployment_id and "try1" in r.name and r.labels.get("prefect.worker.name") == "gpu-w1":
                    victim = r
                    break
            time.sleep(0.5)
    assert victim is not None, "no batch ever ran on gpu-w1"
    # the machine goes away: the worker and the flow-run process it started, no goodbye
    os.killpg(workers.procs["gpu-w1"].pid, signal.SIGKILL)
    t.join(600)
    assert not t.is_alive(), "the daily run never finished"
    assert "error" not in result, result.get("error")
    summary = result["summary"]
    n = summary["products"]
    assert summary["failed"] == 0 and summary["generated"] == n, summary["failures"]

    runs = [r for r in _batch_runs(summary["run_id"]) if r.deployment_id]
    by_name = {r.name: r for r in runs}
    killed = by_name[victim.name]
    assert killed.state_name == "Crashed", killed.state_name  # by the zombie-run automation
    assert killed.labels.get("prefect.worker.name") == "gpu-w1"
    rerun = by_name[victim.name.replace("try1", "try2")]
    assert rerun.state_name == "Completed"
    assert rerun.labels.get("prefect.worker.name") == "gpu-w2"
    assert sorted(rerun.parameters["skus"]) == sorted(victim.parameters["skus"])
    content = _content(store_uri, summary["run_id"])
    assert len(content) == n and all(content.values())
    assert not _duplicates(store_uri)
