"""Benchmark: local mode vs deployment mode (1 and 2 GPU-pool workers) on the CPU backends.

    python scripts/bench_deploy.py [--catalog CSV] [--products N] [--batch-size B] [--config TOML]

Each mode runs the daily flow on a fresh store (so every product is generated) against one real
Prefect server (started here unless PREFECT_API_URL is set). Printed per mode: the run's wall time,
the time inside the generation functions (copy, creatives, checks; summed over batches), and the
orchestration overhead = wall time minus generation time per worker, as a share of the wall time
(ingest, review and publishing count as overhead here; they are printed too).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_CATALOG = (
    ROOT.parent / "shared" / "data" / "catalogs" / "amazon-sample" / "amazon_products_sample_1000.csv"
)
GEN_STAGES = ("copy", "creatives", "checks")


def first_rows(src: Path, dst: Path, n: int) -> Path:
    with src.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    with dst.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows[: n + 1])
    return dst


def start_workers(n: int, env: dict[str, str], logdir: Path) -> list[subprocess.Popen]:
    exe = str(Path(sys.executable).with_name("prefect"))
    procs = []
    for i in range(n):
        log = (logdir / f"worker-{n}-{i}.log").open("ab")
        procs.append(
            subprocess.Popen(
                [exe, "worker", "start", "--pool", "gpu", "--name", f"bench-{n}-{i}", "--limit", "1"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return procs


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def run_mode(mode: str, catalog: Path, config: str | None, work: Path, workers: int) -> dict:
    from flows.daily import daily_content

    os.environ["AIGC_STORAGE_URI"] = f"file://{work / f'store-{mode}-{workers}'}"
    os.environ["AIGC_FLOW_EXECUTION"] = "local" if mode == "local" else "deployment"
    procs = start_workers(workers, dict(os.environ), work) if workers else []
    try:
        t0 = time.perf_counter()
        s = daily_content(str(catalog), config=config)
        wall = time.perf_counter() - t0
    finally:
        stop(procs)
    stages = s["stage_seconds"]
    gen = sum(stages.get(k, 0.0) for k in GEN_STAGES)
    per_worker = gen / max(1, workers)
    return {
        "mode": mode if mode == "local" else f"deployment, {workers} worker(s)",
        "products": s["products"],
        "generated": s["generated"],
        "failed": s["failed"],
        "wall_s": round(wall, 1),
        "generation_s": round(gen, 1),
        "overhead_share": round(max(0.0, wall - per_worker) / wall, 3),
        "stage_seconds": stages,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=50)
    ap.add_argument("--config", default=None, help="settings TOML for every run (content spec etc.)")
    ap.add_argument("--modes", default="local,1,2", help="local and/or worker counts, comma-separated")
    args = ap.parse_args()

    from flows.cli_deploy import deploy
    from tasks.services import start_prefect_server
    from tasks.settings import load_settings

    work = Path(tempfile.mkdtemp(prefix="aigc-bench-deploy-"))
    catalog = first_rows(args.catalog, work / "catalog.csv", args.products)
    os.environ["AIGC_FLOW_BATCH_SIZE"] = str(args.batch_size)
    os.environ.setdefault("PREFECT_WORKER_QUERY_SECONDS", "2")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    server = None
    if not os.environ.get("PREFECT_API_URL"):
        server = start_prefect_server(work / "prefect")
        os.environ["PREFECT_API_URL"] = server.url
        os.environ["PREFECT_HOME"] = str(work / "prefect")
    try:
        os.environ["AIGC_SERVICES_GPU_SLOTS"] = "2"
        deploy(load_settings(args.config))
        results = []
        for m in args.modes.split(","):
            mode, n = ("local", 0) if m == "local" else ("deployment", int(m))
            r = run_mode(mode, catalog, args.config, work, n)
            results.append(r)
            print(json.dumps(r), flush=True)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.products} products from {args.catalog.name}, batch size {args.batch_size}")
    print(f"{'mode':<28}{'wall s':>9}{'gen s':>9}{'overhead':>10}")
    for r in results:
        print(f"{r['mode']:<28}{r['wall_s']:>9}{r['generation_s']:>9}{r['overhead_share']:>10.1%}")


if __name__ == "__main__":
    main()
