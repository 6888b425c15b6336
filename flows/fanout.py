"""Deployment mode: fan generation batches out to GPU workers through Prefect deployments.

Each batch becomes one run of the generation deployment (`run_deployment`), several in flight at
once, and the daily flow waits for all of them. Batches exchange only storage keys: the worker
reads its products from the catalog snapshot and writes its outcome to
`runs/{day}/{run_id}/batches/{digest}.json`, which the parent reads back (with the per-product
ledger as a fallback), so no flow result has to be persisted or shipped between machines.

A batch whose run crashes (worker killed, machine lost), fails or outlives `batch_timeout_s` is run
again, up to `batch_attempts` runs. Reruns are safe: artifact keys are content-addressed and the
ledger entries are whole-object writes, so a batch made twice leaves exactly one copy of each.
Zombie runs (worker gone, run still "Running") are marked crashed by the Prefect automation that
`aigc deploy` creates from the flow heartbeats; the timeout is the backstop.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from tasks.settings import Settings
from tasks.storage import ArtifactStore

GPU_LIMIT = "gpu"
BATCH_TAG = "aigc-batch"


def batch_outcome_key(day: str, run_id: str, skus: list[str]) -> str:
    """Where a batch's outcome lives: named by its SKUs, so a rerun overwrites, never duplicates."""
    from tasks.keys import run_key

    digest = hashlib.sha256("\n".join(sorted(skus)).encode("utf-8")).hexdigest()[:16]
    return run_key(day, run_id, f"batches/{digest}.json")


def save_outcome(
    store: ArtifactStore, day: str, run_id: str, skus: list[str], outcome: dict[str, Any]
) -> str:
    """Called by the generation flow at the end of a batch; returns the key it wrote."""
    key = batch_outcome_key(day, run_id, skus)
    store.put_json(key, outcome)
    return key


def load_outcome(store: ArtifactStore, day: str, run_id: str, skus: list[str]) -> dict[str, Any]:
    """The batch's outcome from the store; rebuilt from the ledger when the worker wrote none."""
    saved = store.get_json_or(batch_outcome_key(day, run_id, skus))
    if saved is not None:
        return saved
    from tasks.ledger import read_record

    records = []
    for sku in skus:
        rec = read_record(store, sku)
        if rec is None or rec.run_id != run_id:
            records.append(_failed_record(sku, "the batch finished but left no ledger entry for it", 1))
            continue
        records.append(rec.summary())
    return {
        "records": records,
        "stage_seconds": {},
        "backends": {},
        "regenerated": sum(max(0, r["attempts"] - 1) for r in records),
    }


def _failed_record(sku: str, reason: str, attempts: int) -> dict[str, Any]:
    return {
        "sku": sku,
        "status": "failed",
        "verdict": "block",
        "failures": [reason],
        "assets": 0,
        "attempts": attempts,
    }


def in_deployment_run() -> bool:
    """True inside a flow run that a worker started from a deployment (not an in-process subflow)."""
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    return bool(ctx and ctx.flow_run and ctx.flow_run.deployment_id)


def gpu_slot() -> contextlib.AbstractContextManager[Any]:
    """Hold one slot of the `gpu` global concurrency limit while models run (deployment runs only).

    `strict=True`: a missing limit is an error (run `aigc deploy`), not silently unlimited.
    In local mode the one process is the only GPU user, so no server round trip is made.
    """
    if not in_deployment_run():
        return contextlib.nullcontext()
    from prefect.concurrency.sync import concurrency

    return concurrency(GPU_LIMIT, occupy=1, strict=True)


def _mark_crashed(client: Any, flow_run_id: Any, message: str) -> None:
    from prefect.states import Crashed

    client.set_flow_run_state(flow_run_id, Crashed(message=message), force=True)


def _wait_final(
    client: Any, flow_run_id: Any, run_timeout_s: float, poll_s: float = 1.0
) -> tuple[Any, str | None]:
    """Wait for the run to end. Time spent queued for a free worker does not count against the
    timeout: only time since the run started does (a busy pool is normal, a stuck run is not).
    Returns (flow run, reason it was given up on or None)."""
    while True:
        fr = client.read_flow_run(flow_run_id)
        state = fr.state
        if state is not None and state.is_final():
            return fr, None
        if state is not None and state.is_running() and fr.start_time is not None:
            from datetime import UTC, datetime

            running_s = (datetime.now(UTC) - fr.start_time).total_seconds()
            if running_s > run_timeout_s:
                reason = f"run {fr.name} still running after {run_timeout_s}s"
                _mark_crashed(client, fr.id, reason + "; rerun by the daily flow")
                return client.read_flow_run(flow_run_id), reason
        time.sleep(poll_s)


def run_one_batch(
    n: int,
    skus: list[str],
    day: str,
    run_id: str,
    feedback: dict[str, str],
    config: str | None,
    formats: list[str] | None,
    settings: Settings,
    store: ArtifactStore,
) -> dict[str, Any]:
    """Run batch `n` on the generation deployment until one run completes (or attempts run out)."""
    from prefect import get_client
    from prefect.deployments import run_deployment
    from prefect.logging import get_logger

    log = get_logger("aigc.fanout")
    fs = settings.flow
    params = {
        "skus": skus,
        "day": day,
        "run_id": run_id,
        "feedback": feedback or None,
        "config": config,
        "formats": formats,
    }
    reasons: list[str] = []
    t0 = time.perf_counter()
    with get_client(sync_client=True) as client:
        for attempt in range(1, fs.batch_attempts + 1):
            created = run_deployment(  # timeout=0: create the run (linked to the parent), do not wait
                fs.generation_deployment,
                parameters=params,
                timeout=0,
                flow_run_name=f"batch-{n:03d}-{run_id[:8]}-try{attempt}",
                tags=[BATCH_TAG, f"aigc-run:{run_id}"],
                idempotency_key=f"{run_id}:batch:{n}:try:{attempt}",
            )
            fr, gave_up = _wait_final(client, created.id, fs.batch_timeout_s)
            state = fr.state
            if gave_up is None and state is not None and state.is_completed():
                outcome = load_outcome(store, day, run_id, skus)
                outcome["batch"] = {
                    "n": n,
                    "flow_run": str(fr.id),
                    "runs": attempt,
                    "wall_s": round(time.perf_counter() - t0, 3),
                }
                return outcome
            reason = gave_up or f"run {fr.name} ended {state.name if state else '?'}: {state.message or ''}"
            reasons.append(reason.strip())
            log.warning(
                "batch %d (%d products): %s; %s",
                n,
                len(skus),
                reason,
                "running it again" if attempt < fs.batch_attempts else "giving up",
            )
    why = "generation batch failed: " + " | ".join(reasons)
    return {
        "records": [_failed_record(s, why, fs.batch_attempts) for s in skus],
        "stage_seconds": {},
        "backends": {},
        "regenerated": 0,
        "batch": {"n": n, "flow_run": None, "runs": fs.batch_attempts},
    }


def run_batches_deployment(
    batches: list[list[str]],
    day: str,
    run_id: str,
    feedback: dict[str, str],
    config: str | None,
    formats: list[str] | None,
    settings: Settings,
) -> Iterator[dict[str, Any]]:
    """Submit every batch to the generation deployment, at most `max_parallel_batches` in flight;
    yield each batch's outcome as it finishes (so the parent's progress artifact moves)."""
    from tasks.storage import store_from_settings

    if not batches:
        return
    store = store_from_settings(settings)
    workers = min(settings.flow.max_parallel_batches, len(batches))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aigc-batch") as pool:
        futures = []
        for n, skus in enumerate(batches):
            fb = {s: feedback[s] for s in skus if s in feedback}
            # each thread gets its own copy of the run context so run_deployment links the
            # batch runs under the parent flow run in the UI
            ctx = contextvars.copy_context()
            futures.append(
                pool.submit(
                    ctx.run, run_one_batch, n, skus, day, run_id, fb, config, formats, settings, store
                )
            )
        for fut in as_completed(futures):
            yield fut.result()
