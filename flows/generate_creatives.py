"""The creatives flow: load products, make their images and clips in batches (thin tasks), summarize.

Generation tasks carry the `gpu` tag; when a diffusers backend runs they also hold one slot of the
`gpu` global concurrency limit, so a GPU worker never runs two pipelines at once. The CPU backends
(Pillow, ffmpeg) take no slot. Creatives are content-addressed, so reruns skip finished work.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from tasks.creatives.backends import make_generators
from tasks.models import Product

GPU_LIMIT = "gpu"


@task(name="load-products", cache_policy=NONE)
def load_products_step(
    source: str, limit: int | None, config: str | None, overrides: dict[str, Any]
) -> list[Product]:
    from tasks.copy.source import load_products
    from tasks.settings import load_settings

    return load_products(source, load_settings(config, **overrides), limit=limit)


def uses_gpu(settings: Any) -> bool:
    return bool(settings.models.image_model or settings.models.video_model)


def gpu_guard(settings: Any) -> contextlib.AbstractContextManager[Any]:
    """One slot of the `gpu` limit while a diffusers backend runs; nothing for the CPU backends."""
    if not uses_gpu(settings):
        return contextlib.nullcontext()
    from prefect.concurrency.sync import concurrency

    return concurrency(GPU_LIMIT, occupy=1)


@task(name="generate-creatives-batch", cache_policy=NONE, tags=["gpu"])
def creatives_batch_step(
    products: list[Product],
    formats: list[str],
    headlines: dict[str, str],
    config: str | None,
    overrides: dict[str, Any],
    regenerate_all: bool,
) -> dict[str, Any]:
    from tasks.creatives.formats import resolve_formats
    from tasks.creatives.generate import generate_creatives
    from tasks.settings import load_settings
    from tasks.storage import store_from_settings

    s = load_settings(config, **overrides)
    fmts = resolve_formats(formats)
    image_gen, video_gen = make_generators(s, any(f.kind == "video" for f in fmts))
    with gpu_guard(s):
        result = generate_creatives(
            products,
            s.content,
            store_from_settings(s),
            image_gen=image_gen,
            video_gen=video_gen,
            formats=[f.name for f in fmts],
            headlines=headlines,
            skip_existing=not regenerate_all,
            seed=s.models.seed,
            cta=s.creatives.cta,
            cta_zh=s.creatives.cta_zh,
            max_image_pixels=s.creatives.max_image_pixels,
        )
    return {
        **result.summary(),
        "image_backend": image_gen.describe(),
        "video_backend": video_gen.describe() if video_gen else None,
        "items": [
            {
                "sku": p.sku,
                "assets": [
                    {"key": a.key, "type": a.content_type, "bytes": a.params.get("bytes")} for a in p.assets
                ],
                "skipped": len(p.skipped),
                "failures": [f.model_dump() for f in p.failures],
                "image_error": p.image_error,
                "contact_sheet": p.contact_sheet_key,
            }
            for p in result.products
        ],
    }


@flow(name="generate-creatives", log_prints=False)
def generate_creatives_flow(
    source: str,
    formats: list[str] | None = None,
    limit: int | None = None,
    headlines: dict[str, str] | None = None,
    regenerate_all: bool = False,
    config: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Creatives for every product of `source` (catalog file/URI or `latest`); returns a summary."""
    from tasks.creatives.formats import resolve_formats
    from tasks.settings import load_settings

    log = get_run_logger()
    t0 = time.perf_counter()
    overrides = overrides or {}
    s = load_settings(config, **overrides)
    names = [
        f.name for f in resolve_formats(formats, default=[*s.content.image_formats, *s.content.video_formats])
    ]
    products = load_products_step(source, limit, config, overrides)
    size = s.flow.batch_size
    parts = [
        creatives_batch_step(
            products[i : i + size], names, headlines or {}, config, overrides, regenerate_all
        )
        for i in range(0, len(products), size)
    ]
    summary = {
        "products": len(products),
        "formats": names,
        "batches": len(parts),
        "created": sum(p["created"] for p in parts),
        "skipped": sum(p["skipped"] for p in parts),
        "failed": sum(p["failed"] for p in parts),
        "text_only": sum(p["text_only"] for p in parts),
        "image_backend": parts[0]["image_backend"] if parts else None,
        "video_backend": parts[0]["video_backend"] if parts else None,
        "gpu_slot": uses_gpu(s),
        "items": [i for p in parts for i in p["items"]],
        "seconds": round(time.perf_counter() - t0, 3),
    }
    log.info(
        "creatives: %d created, %d skipped, %d failed in %.1fs",
        summary["created"],
        summary["skipped"],
        summary["failed"],
        summary["seconds"],
    )
    return summary
