"""Benchmark `aigc qc copy --json` end to end on 10,000 JSON Lines (target: under 30 s).

Lines are a zh/en mix drawn round-robin from the labelled set (with its products) and real catalog
text (Taobao titles, Shopify bodies, Rawhide descriptions, Amazon "About Product" bullets), read from
../shared/data at run time. The command runs as a subprocess, so start-up is included.

    python scripts/bench_qc.py [--lines 10000] [--keep FILE]
"""

from __future__ import annotations

import argparse
import csv
import html
import itertools
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AIGC_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _strip(markup: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup or ""))).strip()


def sources() -> list[dict]:
    pool: list[dict] = []
    for line in (ROOT / "tests" / "data" / "qc_labelled.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        pool.append({k: r[k] for k in ("lang", "text", "product", "field") if k in r})
    cat = SHARED / "catalogs"
    for line in (cat / "zh-openbg" / "openbg_title_generate.jsonl").open(encoding="utf-8"):
        pool.append({"lang": "zh", "text": json.loads(line)["spans"][0]["term"], "field": "title"})
    for f in sorted((cat / "shopify-official").glob("*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            pool += [
                {"lang": "en", "text": _strip(r["Body (HTML)"])}
                for r in csv.DictReader(fh)
                if r.get("Body (HTML)")
            ]
    amazon = cat / "amazon-sample" / "amazon_products_sample_1000.csv"
    with amazon.open(encoding="utf-8", newline="") as fh:
        pool += [
            {"lang": "en", "text": r["About Product"][:600]}
            for r in csv.DictReader(fh)
            if r.get("About Product")
        ]
    return pool


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=10_000)
    ap.add_argument("--keep", type=Path, default=None, help="write the generated input here")
    args = ap.parse_args()
    pool = sources()
    zh = [p for p in pool if p["lang"] == "zh"]
    en = [p for p in pool if p["lang"] == "en"]
    mixed = itertools.cycle(itertools.chain.from_iterable(zip(itertools.cycle(zh), en, strict=False)))
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for i, rec in zip(range(args.lines), mixed, strict=False):
                fh.write(json.dumps({"id": i, **rec}, ensure_ascii=False) + "\n")
        exe = Path(sys.executable).with_name("aigc")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "flows.cli"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        res = subprocess.run(
            [*cmd, "qc", "copy", str(path), "--json"], capture_output=True, text=True, cwd=ROOT
        )
        total = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if res.returncode != 0:
        sys.exit(f"aigc qc copy failed ({res.returncode}): {res.stderr[-2000:]}")
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(out) == args.lines, f"expected {args.lines} output lines, got {len(out)}"
    verdicts = {v: sum(o["verdict"] == v for o in out) for v in ("block", "warn", "pass")}
    print(
        f"aigc qc copy --json: {args.lines} lines in {total:.2f} s = {args.lines / total:,.0f} lines/s "
        f"(zh {len(zh)} / en {len(en)} source texts; verdicts {verdicts}); target < 30 s: "
        f"{'OK' if total < 30 else 'MISSED'}; CPU time of the command {cpu:.2f} s (wall exceeds it when "
        f"the machine is shared; 1-min load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
