"""The daily content flow: ingest → generate (batches) → check → review → publish → report.

The flow only orders tasks; every task wraps a plain function from `tasks/`. Tasks exchange
storage keys and small summaries. Products are re-read from the catalog snapshot inside each
generation batch, so a batch can run in another process (a GPU worker) with only keys in hand.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.runtime import flow_run as current_run
from prefect.states import Completed

from tasks.settings import Settings, load_settings
from tasks.storage import ArtifactStore, store_from_settings

ReviewMode = Literal["auto", "pause", "suspend"]


def _settings(config: str | None) -> tuple[Settings, ArtifactStore]:
    settings = load_settings(config)
    return settings, store_from_settings(settings)


@task(name="ingest", retries=2, retry_delay_seconds=[2, 10])
def ingest_step(source: str, fmt: str | None, config: str | None, day: str) -> dict[str, Any]:
    from tasks.catalog import ingest

    settings, store = _settings(config)
    summary = ingest(source, store, settings, fmt=fmt, day=day)
    return summary.model_dump(mode="json")


@task(name="recommend", retries=1, retry_delay_seconds=[5])
def recommend_step(day: str, config: str | None) -> dict[str, Any]:
    from tasks.catalog import load_snapshot
    from tasks.recommend import recommend

    settings, store = _settings(config)
    summary = recommend(load_snapshot(store, day), store, settings, day=day)
    return {"similar_rows": summary.similar_rows, "embedder": summary.embedder, "embedded": summary.embed}


@task(name="plan")
def plan_step(day: str, config: str | None, limit: int | None, run_id: str) -> dict[str, Any]:
    from tasks.planning import plan_generation

    settings, store = _settings(config)
    return plan_generation(store, settings, day=day, limit=limit, run_id=run_id).model_dump()


@flow(name="generate-batch", log_prints=False)
def generate_batch(
    skus: list[str],
    day: str,
    run_id: str,
    feedback: dict[str, str] | None = None,
    config: str | None = None,
    formats: list[str] | None = None,
) -> dict[str, Any]:
    """One batch of products: the unit that runs on a GPU worker in deployment mode."""
    from tasks.catalog import load_snapshot
    from tasks.pipeline import run_batch

    settings, store = _settings(config)
    wanted = set(skus)
    products = [p for p in load_snapshot(store, day) if p.sku in wanted]
    from flows.fanout import gpu_slot, save_outcome

    with gpu_slot():  # the `gpu` concurrency limit, in deployment runs only
        outcome = run_batch(
            products, settings, store, run_id=run_id, feedback=feedback, formats=formats, day=day
        )
    result = outcome.to_dict()
    save_outcome(store, day, run_id, skus, result)  # the parent reads it back by key
    return result


@task(name="review-package", retries=2, retry_delay_seconds=[2, 10])
def review_package_step(run_id: str, day: str, config: str | None) -> dict[str, Any]:
    from tasks.planning import review_set

    settings, store = _settings(config)
    records, products = review_set(store, day)
    from tasks.review import write_review_package

    keys = write_review_package(store, run_id, records, products)
    return {
        "keys": keys,
        "url": store.url(keys["index"], expires_s=7 * 24 * 3600),
        "rows": [
            {
                "sku": r.sku,
                "title": products[r.sku].title[:60] if r.sku in products else "",
                "verdict": r.verdict,
                "status": r.status,
                "findings": sum(1 for a in r.assets for f in a.qc if f.severity != "info"),
            }
            for r in records
        ],
        "skus": [r.sku for r in records],
        "passed": [r.sku for r in records if r.verdict != "block" and r.status == "pending_review"],
    }


@task(name="apply-decisions", retries=2, retry_delay_seconds=[2, 10])
def decide_step(run_id: str, day: str, config: str | None, request: dict[str, Any]) -> dict[str, int]:
    from tasks.planning import review_set
    from tasks.review import ReviewRequest, apply_decisions, decisions_from_request

    settings, store = _settings(config)
    records, _ = review_set(store, day)
    decisions = decisions_from_request(ReviewRequest.model_validate(request), records)
    apply_decisions(store, run_id, decisions, records)
    return {
        "approved": sum(d.decision == "approve" for d in decisions),
        "rejected": sum(d.decision == "reject" for d in decisions),
    }


@task(name="publish", retries=2, retry_delay_seconds=[2, 10])
def publish_step(day: str, config: str | None) -> dict[str, Any]:
    from tasks.planning import publish_approved

    settings, store = _settings(config)
    return publish_approved(store, settings, day)


@task(name="report", retries=2, retry_delay_seconds=[2, 10])
def report_step(summary: dict[str, Any], config: str | None) -> dict[str, str]:
    from tasks.keys import run_key
    from tasks.ledger import all_records
    from tasks.report import RunSummary, render_report_html

    settings, store = _settings(config)
    s = RunSummary.model_validate(summary)
    records = [r for r in all_records(store) if r.run_id == s.run_id]
    key = run_key(s.day, s.run_id, "report.html")
    store.put_bytes(
        key, render_report_html(s, records).encode("utf-8"), content_type="text/html; charset=utf-8"
    )
    manifest = run_key(s.day, s.run_id, "manifest.jsonl")
    lines = [r.model_dump_json() for r in records]
    store.put_bytes(manifest, ("\n".join(lines) + "\n").encode("utf-8"), content_type="application/x-ndjson")
    store.put_json(run_key(s.day, s.run_id, "summary.json"), s.model_dump(mode="json"))
    return {"report": store.uri_for(key), "report_url": store.url(key, expires_s=7 * 24 * 3600)}


def _wait_for_review(
    mode: ReviewMode, skus: list[str], timeout_s: int, summary_md: str
) -> dict[str, Any] | None:
    """Pause or suspend the run until a reviewer sends the typed form (UI or `aigc review`)."""
    from prefect.exceptions import FlowPauseTimeout
    from prefect.flow_runs import pause_flow_run, suspend_flow_run

    from tasks.review_form import review_form

    form = review_form(skus).with_initial_data(description=summary_md, reviewer="", approve_all_passed=False)
    try:
        if mode == "pause":
            answer = pause_flow_run(wait_for_input=form, timeout=timeout_s, poll_interval=2, key="review")
        else:
            answer = suspend_flow_run(wait_for_input=form, timeout=timeout_s, key="review")
    except FlowPauseTimeout:
        get_run_logger().warning("no review decision within %ss; products stay pending", timeout_s)
        return None
    return answer.model_dump(include={"reviewer", "approve_all_passed", "approve", "reject"}, mode="json")


@flow(name="daily-content", log_prints=False)
def daily_content(
    source: str,
    fmt: str | None = None,
    limit: int | None = None,
    review: ReviewMode = "auto",
    config: str | None = None,
    formats: list[str] | None = None,
    review_timeout_s: int | None = None,
) -> Any:
    """Turn a catalog into reviewed, published content; returns the run summary (small dict)."""
    from tasks import progress
    from tasks.report import RunSummary, findings_per_rule, render_markdown

    logger = get_run_logger()
    settings, store = _settings(config)
    run_id = str(current_run.get_id() or f"local-{int(time.time())}")
    day = datetime.now(UTC).date().isoformat()
    stage: dict[str, float] = {}
    t0 = time.perf_counter()
    ing = ingest_step(source, fmt, config, day)
    stage["ingest"] = time.perf_counter() - t0

    if settings.flow.recommendations:
        t_rec = time.perf_counter()
        rec = recommend_step(day, config)
        summary_backends = {"embeddings": rec["embedder"]}
        stage["recommend"] = time.perf_counter() - t_rec
    else:
        summary_backends = {}
    plan = plan_step(day, config, limit, run_id)
    to_make: list[str] = plan["generate"]
    logger.info("%d products to generate, %d unchanged skipped", len(to_make), plan["skipped_unchanged"])

    progress_id = create_progress_artifact(
        progress=0.0, key="generation-progress", description="Products generated"
    )
    batch_size = settings.flow.batch_size
    batches = [to_make[i : i + batch_size] for i in range(0, len(to_make), batch_size)]
    summary = RunSummary(
        run_id=run_id,
        day=day,
        products=ing["products"],
        quarantined=ing["quarantined"],
        skipped_unchanged=plan["skipped_unchanged"],
    )
    summary.backends.update(summary_backends)
    records: list[dict[str, Any]] = []
    done = 0
    for outcome in _run_batches(batches, day, run_id, plan["feedback"], config, formats, settings):
        records.extend(outcome["records"])
        summary.regenerated += outcome["regenerated"]
        summary.backends.update(outcome["backends"])
        for k, v in outcome["stage_seconds"].items():
            stage[k] = stage.get(k, 0.0) + v
        done += len(outcome["records"])
        update_progress_artifact(progress_id, progress=100.0 * done / max(1, len(to_make)))
        progress.report(done, len(to_make), "generating")
    update_progress_artifact(progress_id, progress=100.0)
    summary.generated = sum(r["status"] != "failed" for r in records)
    summary.failed = sum(r["status"] == "failed" for r in records)
    summary.qc_blocked = sum(r["status"] == "qc_blocked" for r in records)
    summary.failures = {r["sku"]: "; ".join(r["failures"]) for r in records if r["failures"]}

    t1 = time.perf_counter()
    pkg = review_package_step(run_id, day, config)
    summary.review = pkg["url"]
    create_table_artifact(
        key="review-products",
        table=pkg["rows"] or [{"sku": "-", "verdict": "nothing to review"}],
        description="Products waiting for review with their QC verdicts",
    )
    create_link_artifact(key="contact-sheet", link=pkg["url"], link_text="Open the review contact sheet")
    decision: dict[str, Any] | None
    if review == "auto":
        decision = {"reviewer": "auto", "approve": pkg["passed"]}
    elif not pkg["skus"]:
        decision = None
    else:
        md = render_markdown(summary, {"contact sheet": pkg["url"]})
        timeout = review_timeout_s or settings.flow.review_timeout_s
        decision = _wait_for_review(review, pkg["skus"], timeout, md)
    if decision:
        counts = decide_step(run_id, day, config, decision)
        summary.approved, summary.rejected = counts["approved"], counts["rejected"]
    stage["review"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    pub = publish_step(day, config)
    summary.published = pub["published"]
    summary.feeds = pub["feeds"]
    summary.pending_review = pub["pending_review"]
    stage["publish"] = time.perf_counter() - t2
    summary.stage_seconds = {k: round(v, 3) for k, v in stage.items()}
    from tasks.ledger import all_records

    summary.findings_per_rule = findings_per_rule([r for r in all_records(store) if r.run_id == run_id])
    rep = report_step(summary.model_dump(mode="json"), config)
    summary.report = rep["report"]
    create_markdown_artifact(
        key="run-summary",
        markdown=render_markdown(summary, {"contact sheet": pkg["url"], "run report": rep["report_url"]}),
        description="What this run made and what to do next",
    )
    message = f"{summary.generated} generated, {summary.published} published, {summary.pending_review} pending review"
    if summary.failed:
        reasons = "; ".join(f"{k}: {v}" for k, v in list(summary.failures.items())[:3])
        message += f", {summary.failed} failed ({reasons})"
    return Completed(message=message, data=summary.model_dump(mode="json"))


def _run_batches(
    batches: list[list[str]],
    day: str,
    run_id: str,
    feedback: dict[str, str],
    config: str | None,
    formats: list[str] | None,
    settings: Settings,
):
    """Local mode: each batch as a subflow in this process; deployment mode: each batch is a run of
    the generation deployment on the GPU work pool, several at once (flows/fanout.py)."""
    if settings.flow.execution == "deployment":
        from flows.fanout import run_batches_deployment

        yield from run_batches_deployment(batches, day, run_id, feedback, config, formats, settings)
        return
    for skus in batches:
        fb = {s: feedback[s] for s in skus if s in feedback}
        yield generate_batch(skus, day, run_id, fb, config, formats)
