"""Catalog ingestion: read → normalize → validate → snapshot + change set.

Plain functions; `flows/ingest.py` wraps them in a Prefect flow. Later stages call
`load_snapshot(store)` for the products and read `catalog/{day}/changes.json` for what changed.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, Field

from tasks.catalog.records import CatalogRead, QuarantineRecord
from tasks.catalog.snapshot import load_snapshot
from tasks.catalog.validate import ValidationOutcome

__all__ = [
    "CatalogRead",
    "IngestSummary",
    "QuarantineRecord",
    "ValidationOutcome",
    "ingest",
    "load_snapshot",
    "read_catalog",
    "snapshot_catalog",
    "summary_markdown",
    "validate_read",
]


class IngestSummary(BaseModel):
    """What one ingest did: small enough to be a flow result and the CLI's JSON output."""

    source: str
    format: str
    rows: int
    products: int
    quarantined: int
    warnings: int = 0
    new: int
    changed: int
    unchanged: int
    removed: int
    snapshot: str = Field(description="URI of catalog/{day}/products.parquet")
    day: str
    previous_day: str | None = None
    new_skus: list[str] = Field(default_factory=list)
    changed_skus: list[str] = Field(default_factory=list)
    removed_skus: list[str] = Field(default_factory=list)
    quarantine_reasons: dict[str, int] = Field(default_factory=dict, description="reason → count")
    validation_success: bool | None = None
    timings: dict[str, float] = Field(default_factory=dict)


def _settings(settings: Any):
    if settings is None:
        from tasks.settings import load_settings

        return load_settings()
    return settings


def read_catalog(
    source: str, fmt: str | None = None, *, mapping: Any = None, settings: Any = None
) -> CatalogRead:
    """Read and normalize a catalog from a local path or s3:// URI (format detected unless given)."""
    from tasks.catalog.readers import open_source, read_source

    s = _settings(settings)
    mapping = mapping if mapping is not None else s.ingest.csv_mapping
    src = open_source(source)
    return read_source(src, fmt, mapping=mapping, default_currency=s.ingest.default_currency)


def validate_read(read: CatalogRead, settings: Any = None) -> ValidationOutcome:
    """Pre-checks + great-expectations suite; the reader's quarantine is carried along."""
    from tasks.catalog.validate import validate_catalog

    s = _settings(settings)
    return validate_catalog(
        read.products,
        read.source,
        max_title=s.ingest.max_title_length,
        require_image=s.ingest.require_image,
        prior=read.quarantined,
    )


_PRECHECK_REASONS = {
    "precheck:duplicate": "duplicate SKU (only the first row is kept)",
    "precheck:price": "price is not above zero",
    "precheck:title": "no title",
    "precheck:sku": "no SKU",
}


def _reason_key(q: QuarantineRecord) -> str:
    """One line per kind of problem (values taken out), for the CLI table and the Prefect artifact."""
    if q.check in _PRECHECK_REASONS:
        return _PRECHECK_REASONS[q.check]
    reason = q.reason
    if q.value:
        reason = reason.replace(repr(q.value), "value").replace(q.value, "value")
    return reason[:100]


def summary_markdown(summary: IngestSummary) -> str:
    """The ingest summary as Markdown, for the Prefect UI (an artifact) and run reports."""
    s = summary
    lines = [
        f"### Catalog ingest: `{s.source}` ({s.format})",
        "",
        "| rows | products | quarantined | warnings | new | changed | unchanged | removed |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s.rows} | {s.products} | {s.quarantined} | {s.warnings} | {s.new} | {s.changed} | {s.unchanged} "
        f"| {s.removed} |",
        "",
        f"Snapshot: `{s.snapshot}` (previous: {s.previous_day or 'none'})",
    ]
    if s.quarantine_reasons:
        lines += ["", "| quarantined | reason |", "|---:|---|"]
        lines += [f"| {n} | {reason.replace('|', '/')} |" for reason, n in s.quarantine_reasons.items()]
    return "\n".join(lines) + "\n"


def snapshot_catalog(
    store: Any,
    read: CatalogRead,
    outcome: ValidationOutcome,
    *,
    day: str | date | None = None,
    timings: dict[str, float] | None = None,
) -> IngestSummary:
    """Write the snapshot and return the summary with the change set."""
    from tasks.catalog.snapshot import write_snapshot

    day = str(day or datetime.now(UTC).date())
    t0 = time.perf_counter()
    uri, changes = write_snapshot(
        store,
        outcome.products,
        outcome.quarantined,
        day=day,
        gx_result=outcome.gx_result,
        meta={"source": read.source, "format": read.format},
    )
    reasons: dict[str, int] = {}
    for q in outcome.quarantined:
        key = f"{q.field or 'row'}: {_reason_key(q)}"
        reasons[key] = reasons.get(key, 0) + 1
    return IngestSummary(
        source=read.source,
        format=read.format,
        rows=read.rows,
        products=len(outcome.products),
        quarantined=len(outcome.quarantined),
        warnings=len(outcome.warnings),
        new=len(changes.new),
        changed=len(changes.changed),
        unchanged=len(changes.unchanged),
        removed=len(changes.removed),
        snapshot=uri,
        day=day,
        previous_day=changes.previous_day,
        new_skus=changes.new,
        changed_skus=changes.changed,
        removed_skus=changes.removed,
        quarantine_reasons=dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        validation_success=outcome.gx_result.get("success") if outcome.gx_result else None,
        timings={**(timings or {}), **outcome.timings, "snapshot_s": round(time.perf_counter() - t0, 4)},
    )


def ingest(
    source: str,
    store: Any,
    settings: Any = None,
    fmt: str | None = None,
    day: str | date | None = None,
    *,
    mapping: Any = None,
) -> IngestSummary:
    """The whole ingest without Prefect: read, validate, snapshot, diff."""
    s = _settings(settings)
    t0 = time.perf_counter()
    read = read_catalog(source, fmt, mapping=mapping, settings=s)
    t1 = time.perf_counter()
    outcome = validate_read(read, s)
    t2 = time.perf_counter()
    summary = snapshot_catalog(
        store, read, outcome, day=day, timings={"read_s": round(t1 - t0, 4), "validate_s": round(t2 - t1, 4)}
    )
    summary.timings["total_s"] = round(time.perf_counter() - t0, 4)
    return summary
