"""The copy flow: load products, generate their copy in batches (thin tasks), summarize.

Only new or changed products cost anything: copy keys are content-addressed (product hash +
generation fingerprint), so a batch skips every asset an earlier run already wrote, unless
`regenerate_all` is set. Task results are small summaries; the copy itself is in the store.
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from tasks.models import Product


@task(name="load-products", cache_policy=NONE)
def load_products_step(
    source: str, limit: int | None, config: str | None, overrides: dict[str, Any]
) -> list[Product]:
    from tasks.copy.source import load_products
    from tasks.settings import load_settings

    return load_products(source, load_settings(config, **overrides), limit=limit)


@task(name="generate-copy-batch", cache_policy=NONE)
def copy_batch_step(
    products: list[Product], config: str | None, overrides: dict[str, Any], regenerate_all: bool
) -> dict[str, Any]:
    from aigc_models.text import get_text_generator
    from tasks.copy import generate_copy
    from tasks.settings import load_settings
    from tasks.storage import store_from_settings

    s = load_settings(config, **overrides)
    result = generate_copy(
        products,
        s.content,
        get_text_generator(s.models),
        store_from_settings(s),
        skip_existing=not regenerate_all,
        max_retries=s.models.max_retries,
        seed=s.models.seed,
        max_new_tokens=s.models.max_new_tokens,
    )
    return result.summary()


def merge_summaries(parts: list[dict[str, Any]], products: int, seconds: float) -> dict[str, Any]:
    first = parts[0] if parts else {}
    return {
        "backend": first.get("backend"),
        "model_id": first.get("model_id"),
        "prompt_version": first.get("prompt_version"),
        "products": products,
        "batches": len(parts),
        "written": sum(p["written"] for p in parts),
        "skipped": sum(p["skipped"] for p in parts),
        "failed": sum(p["failed"] for p in parts),
        "products_failed": sorted({s for p in parts for s in p["products_failed"]}),
        "failures": [f for p in parts for f in p["failures"]][:100],
        "notes": [n for p in parts for n in p["notes"]][:20],
        "seconds": round(seconds, 3),
    }


@flow(name="generate-copy", log_prints=False)
def generate_copy_flow(
    source: str,
    limit: int | None = None,
    regenerate_all: bool = False,
    config: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Copy for every product of `source` (catalog file/URI, or `latest` snapshot); returns a summary."""
    from aigc_models.text import get_text_generator
    from tasks.settings import load_settings

    log = get_run_logger()
    t0 = time.perf_counter()
    overrides = overrides or {}
    s = load_settings(config, **overrides)
    backend = get_text_generator(s.models).describe()
    log.info("copy backend: %s", backend if s.models.text_model else f"{backend} (no AIGC_TEXT_MODEL set)")
    products = load_products_step(source, limit, config, overrides)
    size = s.flow.batch_size
    parts = [
        copy_batch_step(products[i : i + size], config, overrides, regenerate_all)
        for i in range(0, len(products), size)
    ]
    summary = merge_summaries(parts, len(products), time.perf_counter() - t0)
    summary["backend_description"] = backend
    log.info(
        "copy done with %s: %d written, %d skipped (unchanged), %d failed in %.1fs",
        backend,
        summary["written"],
        summary["skipped"],
        summary["failed"],
        summary["seconds"],
    )
    return summary
