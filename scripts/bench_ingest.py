"""Wall time of ingesting a catalog through the Prefect flow vs the same functions without Prefect.

    python scripts/bench_ingest.py [CATALOG] [--repeats N]

Default catalog: the 1,000-row Amazon sample in ../shared/data. Both paths run read → validate
(GX) → snapshot into a fresh local store each time; GX is imported once before timing so neither
side pays it. Without PREFECT_API_URL the first flow call also starts Prefect's temporary server;
that start-up is reported separately from the warm flow runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "catalogs" / "amazon-sample" / "amazon_products_sample_1000.csv"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("catalog", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import os

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from flows.cli_common import quiet_prefect

    quiet_prefect()
    from tasks.catalog import ingest, read_catalog
    from tasks.catalog.validate import run_gx
    from tasks.settings import load_settings
    from tasks.storage import LocalStore

    run_gx(read_catalog(str(ROOT / "examples" / "catalog" / "products.csv")).products)  # GX import + warm-up

    plain, flow_times, counts = [], [], None
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            s = ingest(args.catalog, LocalStore(d), load_settings())
            plain.append(time.perf_counter() - t0)
            counts = (s.rows, s.products, s.quarantined)

    from flows.ingest import ingest_catalog

    first_flow = None
    for i in range(args.repeats + 1):
        with tempfile.TemporaryDirectory() as d:
            cfg = Path(d) / "aigc.toml"
            cfg.write_text(f'[storage]\nuri = "file://{d}/store"\n')
            t0 = time.perf_counter()
            out = ingest_catalog(args.catalog, config=str(cfg))
            elapsed = time.perf_counter() - t0
            assert (out["rows"], out["products"], out["quarantined"]) == counts
            timings = out["timings"]
            if i == 0:
                first_flow = elapsed
            else:
                flow_times.append(elapsed)

    p, f = statistics.median(plain), statistics.median(flow_times)
    print(f"catalog: {args.catalog}")
    print(f"rows={counts[0]} products={counts[1]} quarantined={counts[2]} repeats={args.repeats}")
    print(f"{'path':<40}{'median s':>10}{'min s':>10}")
    print(f"{'plain functions (read+GX+snapshot)':<40}{p:>10.3f}{min(plain):>10.3f}")
    print(f"{'Prefect flow, warm':<40}{f:>10.3f}{min(flow_times):>10.3f}")
    print(f"{'Prefect flow, first call (server start)':<40}{first_flow:>10.3f}")
    print(f"stage timings inside the last flow run: {timings}")
    print(f"ratio flow/plain (warm medians): {f / p:.2f}x; overhead {f - p:+.3f} s per run")


if __name__ == "__main__":
    main()
