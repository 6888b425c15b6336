#!/usr/bin/env bash
# GPU smoke test: build the tiny models, run ONE generation batch through the real backends
# (transformers text, diffusers image/video) and print the device, the timings and the checks.
#
#   infra/gpu-smoke.sh [CATALOG] [N_PRODUCTS]
#
# With CUDA: device cuda, bf16. Without CUDA (CI): the same batch on CPU in fp32, so the script
# cannot rot. Exit status 0 only when every product of the batch has content and none failed.
# Override with AIGC_DEVICE / AIGC_DTYPE; AIGC_SMOKE_KINDS=text limits the models built.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
CATALOG=${1:-../shared/data/catalogs/rawhide/google-merchant-feed.xml}
N=${2:-2}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/aigc-gpu-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  export AIGC_DEVICE=${AIGC_DEVICE:-cuda} AIGC_DTYPE=${AIGC_DTYPE:-bfloat16}
else
  export AIGC_DEVICE=${AIGC_DEVICE:-cpu} AIGC_DTYPE=${AIGC_DTYPE:-float32}
fi
KINDS=${AIGC_SMOKE_KINDS:-text,image,video}

SECONDS=0
"$PY" -m flows.cli models build-tiny "$WORK/models" --kinds "$KINDS" --json > "$WORK/models.json"
echo "tiny models built in ${SECONDS}s" >&2
model() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$WORK/models.json" "$1"; }
export AIGC_TEXT_MODEL=$(model text) AIGC_IMAGE_MODEL=$(model image) AIGC_VIDEO_MODEL=$(model video)
[ -n "$AIGC_TEXT_MODEL" ] || unset AIGC_TEXT_MODEL
[ -n "$AIGC_IMAGE_MODEL" ] || unset AIGC_IMAGE_MODEL
[ -n "$AIGC_VIDEO_MODEL" ] || unset AIGC_VIDEO_MODEL
export AIGC_STORAGE_URI="file://$WORK/store"
# tiny diffusers models: small outputs and few steps keep the CPU fallback to a minute
export AIGC_CREATIVES_GENERATION_SIZE=${AIGC_CREATIVES_GENERATION_SIZE:-64}
export AIGC_CREATIVES_INFERENCE_STEPS=${AIGC_CREATIVES_INFERENCE_STEPS:-2}
export AIGC_CREATIVES_VIDEO_FRAMES=${AIGC_CREATIVES_VIDEO_FRAMES:-17}
# random weights write noise: a few tokens per reply prove the text model runs on the device
export AIGC_MAX_NEW_TOKENS=${AIGC_MAX_NEW_TOKENS:-8}

status=0
"$PY" - "$CATALOG" "$N" <<'PYEOF' || status=$?
import json
import sys
import time

from tasks.catalog import ingest, load_snapshot
from tasks.pipeline import Generators, run_batch
from tasks.settings import load_settings
from tasks.storage import store_from_settings

catalog, n = sys.argv[1], int(sys.argv[2])
settings = load_settings()
store = store_from_settings(settings)
summary = ingest(catalog, store, settings)
products = load_snapshot(store)[:n]
t0 = time.perf_counter()
gens = Generators(settings)
load_s = time.perf_counter() - t0
import torch

device = str(getattr(getattr(gens.text, "model", None), "device", settings.models.device))
t1 = time.perf_counter()
out = run_batch(products, settings, store, run_id="gpu-smoke", generators=gens)
batch_s = time.perf_counter() - t1
report = {
    "device": device,
    "cuda": torch.cuda.is_available(),
    "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    "dtype": settings.models.dtype,
    "backends": out.backends,
    "products": len(products),
    "load_s": round(load_s, 2),
    "batch_s": round(batch_s, 2),
    "stage_seconds": {k: round(v, 2) for k, v in out.stage_seconds.items()},
    "peak_gpu_mem_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1) if torch.cuda.is_available() else None,
    "records": out.records,
}
print(json.dumps(report, indent=2))
# Random weights write noise, so a copy reply that does not parse is expected; what must not
# happen is a backend that fails to load or to run on the device, or a product with no output.
ran = ("not JSON", "not valid JSON", "must be a list", "missing", "empty")
errors = [
    f"{r['sku']}: {part.strip()}"
    for r in out.records
    for f in r["failures"]
    for part in f.split("; ")
    if part.strip() and not any(m in part for m in ran)
]
empty = [r["sku"] for r in out.records if r["assets"] == 0]
if len(out.records) != len(products) or errors or empty:
    print(f"gpu-smoke: FAILED: {errors or empty or 'missing products'}", file=sys.stderr)
    sys.exit(1)
print(f"gpu-smoke: OK on {device}: {len(products)} products in {batch_s:.1f}s", file=sys.stderr)
PYEOF
exit $status
