"""Benchmark the CPU creative backends on the real Rawhide catalog.

Prints compositor throughput (creatives per second, every image format over every Rawhide
product, render + encode under the weight caps) and CPU video clips per minute.

    python scripts/bench_creatives.py [--catalog PATH] [--clips N] [--clip-format vertical]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_FEED = ROOT.parent / "shared" / "data" / "catalogs" / "rawhide" / "google-merchant-feed.xml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalog", default=str(DEFAULT_FEED))
    ap.add_argument("--clips", type=int, default=3, help="CPU clips to render (each 8 s)")
    ap.add_argument("--clip-format", default="vertical", choices=["vertical", "video_square"])
    ap.add_argument("--seconds", type=float, default=8.0)
    args = ap.parse_args()

    from aigc_models.image import BrandStyle
    from aigc_models.image_compositor import CompositorImageGenerator
    from aigc_models.video_cpu import CpuVideoGenerator
    from tasks.catalog import read_catalog
    from tasks.creatives.formats import IMAGE_FORMATS, PRESETS, encode_image
    from tasks.creatives.generate import build_item, load_photos

    products = read_catalog(args.catalog).products
    t0 = time.perf_counter()
    items = [build_item(p, None, "Shop now", "立即购买", load_photos(p, 40_000_000)[0]) for p in products]
    load_s = time.perf_counter() - t0

    gen = CompositorImageGenerator(BrandStyle())
    per_format: dict[str, float] = {}
    n = 0
    total_bytes = 0
    t_all = time.perf_counter()
    for name in IMAGE_FORMATS:
        fmt = PRESETS[name]
        t = time.perf_counter()
        for r in gen.banners(items, fmt.to_layout()):
            if isinstance(r, Exception):
                raise r
            data, _ = encode_image(r.image, fmt)
            total_bytes += len(data)
            n += 1
        per_format[name] = round(len(items) / (time.perf_counter() - t), 2)
    images_s = time.perf_counter() - t_all

    video = CpuVideoGenerator(BrandStyle(), seconds=args.seconds, fps=24)
    layout = PRESETS[args.clip_format].to_layout()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        clips = video.clips(items[: args.clips], layout, Path(tmp))
        clips_s = time.perf_counter() - t
    bad = [c for c in clips if isinstance(c, Exception)]
    if bad:
        raise bad[0]

    report = {
        "products": len(products),
        "photo_load_s": round(load_s, 3),
        "image_formats": len(IMAGE_FORMATS),
        "creatives": n,
        "creatives_per_s": round(n / images_s, 2),
        "per_format_creatives_per_s": per_format,
        "mean_kb": round(total_bytes / n / 1000, 1),
        "clips": len(clips),
        "clip_format": f"{args.clip_format} {layout.width}x{layout.height}, {args.seconds:g} s @ 24 fps",
        "clips_per_min": round(len(clips) / clips_s * 60, 2),
        "s_per_clip": round(clips_s / len(clips), 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
