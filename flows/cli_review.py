"""`aigc review`: list runs waiting for review, show one, approve or reject products.

A run that is paused (or suspended) waiting for input gets the decision as the same typed input
the Prefect UI form sends, through the Prefect API; the run then applies and publishes it. A run
that already finished (auto mode leaves failed-check products pending) gets the decision applied
to the ledger here, and the approved products are published at once, with the same functions.
"""

from __future__ import annotations

from typing import Any

import click

from flows.cli_common import emit_json, group, quiet_prefect, settings_from, stderr_console
from tasks.errors import UserInputError


def _store(ctx: click.Context):
    from tasks.storage import store_from_settings

    settings = settings_from(ctx)
    return settings, store_from_settings(settings)


def _flow_run_state(run_id: str) -> str | None:
    """The run's state name from the Prefect API, or None when no API knows it."""
    import os
    import uuid

    if not os.environ.get("PREFECT_API_URL"):
        return None
    try:
        uid = uuid.UUID(run_id)
    except ValueError:
        return None
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            fr = client.read_flow_run(uid)
    except Exception:
        return None
    return fr.state.type.value if fr.state else None


def _paused_runs() -> list[dict[str, Any]]:
    import os

    if not os.environ.get("PREFECT_API_URL"):
        return []
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
            ),
            limit=50,
        )
    return [{"run_id": str(r.id), "name": r.name, "state": r.state_name} for r in runs]


def _request(
    reviewer: str, approve: list[str], all_passed: bool, reject: list[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "reviewer": reviewer,
        "approve_all_passed": all_passed,
        "approve": list(approve),
        "reject": [{"sku": s, "reason": r} for s, r in reject],
    }


def send_decision(ctx: click.Context, run_id: str, request: dict[str, Any]) -> dict[str, Any]:
    """Validate against the run's review manifest, then resume the run or apply directly."""
    from tasks.review import ReviewRequest, read_manifest

    settings, store = _store(ctx)
    manifest = read_manifest(store, run_id)
    skus = {p["sku"] for p in manifest["products"]}
    req = ReviewRequest.model_validate(request)
    unknown = sorted({*req.approve, *(r.sku for r in req.reject)} - skus)
    if unknown:
        raise UserInputError(
            f"SKU(s) {unknown} are not in review run {run_id}; `aigc review show {run_id}` lists its "
            f"{len(skus)} products"
        )
    state = _flow_run_state(run_id)
    if state == "PAUSED":
        from prefect.flow_runs import resume_flow_run

        try:
            resume_flow_run(__import__("uuid").UUID(run_id), run_input=request)
        except Exception as exc:
            raise UserInputError(
                f"the Prefect server refused the review input for run {run_id}: {exc}"
            ) from None
        return {"run_id": run_id, "sent_to": "waiting run", **_counts(req)}
    from tasks.planning import publish_approved, review_set
    from tasks.review import apply_decisions, decisions_from_request

    records, _ = review_set(store, None)
    decisions = decisions_from_request(req, records)
    apply_decisions(store, run_id, decisions, records)
    published = publish_approved(store, settings, None)
    return {"run_id": run_id, "sent_to": "ledger", **_counts(req), "published": published["published"]}


def _counts(req) -> dict[str, Any]:
    return {
        "approve": req.approve,
        "approve_all_passed": req.approve_all_passed,
        "reject": [r.sku for r in req.reject],
    }


def register(cli: click.Group) -> None:
    review = group(cli, "review", "List, show, approve and reject content waiting for review.")

    @review.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def list_cmd(ctx, as_json):
        """Runs waiting for a decision (paused in Prefect) and products pending in the store."""
        quiet_prefect()
        from tasks.ledger import all_records

        _, store = _store(ctx)
        records = all_records(store)
        pending: dict[str, int] = {}
        for r in records:
            if r.status in ("pending_review", "qc_blocked") and r.run_id:
                pending[r.run_id] = pending.get(r.run_id, 0) + 1
        paused = _paused_runs()
        runs = [{**p, "pending": pending.get(p["run_id"], 0)} for p in paused]
        seen = {p["run_id"] for p in paused}
        runs += [
            {"run_id": k, "name": None, "state": "finished", "pending": v}
            for k, v in pending.items()
            if k not in seen
        ]
        if as_json:
            emit_json({"runs": runs})
            return
        console = stderr_console()
        if not runs:
            console.print("nothing waits for review")
        for r in runs:
            console.print(f"{r['run_id']}  {r['state']:<9} {r['pending']} pending  {r['name'] or ''}")

    @review.command("show")
    @click.argument("run_id")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def show_cmd(ctx, run_id, as_json):
        """Products of one review run with their verdicts and findings."""
        from tasks.keys import review_key
        from tasks.review import read_manifest

        _, store = _store(ctx)
        manifest = read_manifest(store, run_id)
        manifest["contact_sheet"] = store.url(review_key(run_id, "index.html"))
        manifest["state"] = _flow_run_state(run_id)
        if as_json:
            emit_json(manifest)
            return
        from rich.table import Table

        t = Table(title=f"review {run_id} ({manifest['state'] or 'no Prefect state'})")
        for col in ("sku", "verdict", "status", "findings"):
            t.add_column(col)
        for p in manifest["products"]:
            t.add_row(
                p["sku"],
                p["verdict"],
                p["status"],
                "; ".join(f"{f['check']}: {f['message']}" for f in p["findings"][:3]),
            )
        console = stderr_console()
        console.print(t)
        console.print(f"contact sheet: {manifest['contact_sheet']}")

    @review.command("approve")
    @click.argument("run_id")
    @click.option("--sku", "skus", multiple=True, help="SKU to approve (repeat).")
    @click.option("--all-passed", is_flag=True, help="Approve every product without a blocking finding.")
    @click.option("--reviewer", required=True, help="Your name, kept with each decision.")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def approve_cmd(ctx, run_id, skus, all_passed, reviewer, as_json):
        """Approve products of RUN_ID."""
        if not skus and not all_passed:
            raise UserInputError("say what to approve: --sku SKU (repeatable) or --all-passed")
        quiet_prefect()
        result = send_decision(ctx, run_id, _request(reviewer, list(skus), all_passed, []))
        _done(result, as_json)

    @review.command("decide")
    @click.argument("run_id")
    @click.option("--approve", "approve", multiple=True, help="SKU to approve (repeat).")
    @click.option("--all-passed", is_flag=True, help="Approve every product without a blocking finding.")
    @click.option(
        "--reject", "reject", multiple=True, metavar="SKU=REASON", help="Reject with a reason (repeat)."
    )
    @click.option("--reviewer", required=True)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def decide_cmd(ctx, run_id, approve, all_passed, reject, reviewer, as_json):
        """Approvals and rejections in one form: a paused run resumes once, with all of them."""
        rejections = []
        for item in reject:
            sku, sep, reason = item.partition("=")
            if not sep or not sku or not reason.strip():
                raise UserInputError(
                    f"--reject {item!r} must look like SKU=REASON, e.g. --reject belt-1='wrong colour'"
                )
            rejections.append((sku, reason.strip()))
        if not approve and not all_passed and not rejections:
            raise UserInputError("say what to decide: --approve SKU, --all-passed and/or --reject SKU=REASON")
        quiet_prefect()
        _done(send_decision(ctx, run_id, _request(reviewer, list(approve), all_passed, rejections)), as_json)

    @review.command("reject")
    @click.argument("run_id")
    @click.option("--sku", "skus", multiple=True, required=True, help="SKU to reject (repeat).")
    @click.option("--reason", required=True, help="Why; the next generation gets it in its prompt.")
    @click.option("--reviewer", required=True)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def reject_cmd(ctx, run_id, skus, reason, reviewer, as_json):
        """Reject products of RUN_ID with a reason."""
        quiet_prefect()
        result = send_decision(ctx, run_id, _request(reviewer, [], False, [(s, reason) for s in skus]))
        _done(result, as_json)


def _done(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(result)
    else:
        stderr_console().print(f"decision sent to the {result['sent_to']} for run {result['run_id']}")
