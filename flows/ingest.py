"""The ingest flow: read → validate → snapshot + change set, as thin Prefect tasks.

The product list passes from read to validate inside this process (results are not persisted);
the flow returns only the small `IngestSummary` dict. Storage writes retry, since S3 hiccups are
the one transient failure here; parsing errors are the user's to fix and do not retry.
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.utilities.annotations import quote

from tasks.catalog import (
    CatalogRead,
    IngestSummary,
    ValidationOutcome,
    read_catalog,
    snapshot_catalog,
    summary_markdown,
    validate_read,
)
from tasks.settings import load_settings
from tasks.storage import store_from_settings


@task(name="read-catalog", cache_policy=NONE)
def read_step(source: str, fmt: str | None, mapping: str | None, config: str | None) -> CatalogRead:
    return read_catalog(source, fmt, mapping=mapping, settings=load_settings(config))


@task(name="validate-catalog", cache_policy=NONE)
def validate_step(read: CatalogRead, config: str | None) -> ValidationOutcome:
    return validate_read(read, load_settings(config))


@task(name="snapshot-catalog", cache_policy=NONE, retries=3, retry_delay_seconds=[1, 4, 10])
def snapshot_step(
    read: CatalogRead,
    outcome: ValidationOutcome,
    config: str | None,
    day: str | None,
    timings: dict[str, float],
) -> dict[str, Any]:
    store = store_from_settings(load_settings(config))
    return snapshot_catalog(store, read, outcome, day=day, timings=timings).model_dump(mode="json")


@task(name="ingest-report", cache_policy=NONE)
def report_step(summary: dict[str, Any]) -> None:
    from prefect.artifacts import create_markdown_artifact

    md = summary_markdown(IngestSummary.model_validate(summary))
    create_markdown_artifact(markdown=md, key="catalog-ingest", description="catalog ingest summary")


@flow(name="ingest-catalog", log_prints=False)
def ingest_catalog(
    source: str,
    fmt: str | None = None,
    mapping: str | None = None,
    day: str | None = None,
    config: str | None = None,
) -> dict[str, Any]:
    """Ingest one catalog (local path or s3:// URI) into the configured store; returns the summary."""
    t0 = time.perf_counter()
    read = read_step(source, fmt, mapping, config)
    t1 = time.perf_counter()
    outcome = validate_step(quote(read), config)  # quote: Prefect need not walk 1,000s of products
    t2 = time.perf_counter()
    timings = {"read_s": round(t1 - t0, 4), "validate_s": round(t2 - t1, 4)}
    summary = snapshot_step(quote(read), quote(outcome), config, day, timings)
    summary["timings"]["total_s"] = round(time.perf_counter() - t0, 4)
    report_step(summary)
    return summary
