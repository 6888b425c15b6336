"""`aigc run`: the whole chain ad hoc, in this process, with the summary a merchant acts on."""

from __future__ import annotations

import os
from pathlib import Path

import click

from flows.cli_common import emit_json, quiet_prefect, settings_from, stderr_console
from tasks.errors import UserInputError

SUMMARY_FIELDS = (
    "run_id",
    "products",
    "generated",
    "skipped_unchanged",
    "qc_blocked",
    "pending_review",
    "approved",
    "rejected",
    "published",
    "failed",
    "quarantined",
    "regenerated",
    "report",
    "review",
    "feeds",
    "backends",
    "stage_seconds",
    "failures",
)


def check_source(source: str) -> None:
    if not source.startswith("s3://") and not Path(source).exists():
        raise UserInputError(f"catalog {source!r} does not exist; pass a catalog file path or an s3:// URI")


def register(cli: click.Group) -> None:
    @cli.command("run")
    @click.argument("source")
    @click.option("--format", "fmt", default=None, help="Catalog format (default: detected).")
    @click.option("--limit", type=click.IntRange(min=1), default=None, help="Generate at most N products.")
    @click.option(
        "--review",
        type=click.Choice(["auto", "pause", "suspend"]),
        default=None,
        help="auto: approve what passed; pause: wait for reviewers; suspend: release the worker.",
    )
    @click.option("--formats", default=None, help="Comma-separated creative formats (default: settings).")
    @click.option(
        "--review-timeout", type=click.IntRange(min=1), default=None, help="Seconds to wait in pause mode."
    )
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON summary on stdout.")
    @click.pass_context
    def run_cmd(ctx, source, fmt, limit, review, formats, review_timeout, as_json):
        """Ingest SOURCE, generate and check content, hand it to review, publish what is approved."""
        settings = settings_from(ctx)
        check_source(source)
        review = review or settings.flow.review_mode
        if review != "auto" and not os.environ.get("PREFECT_API_URL"):
            raise UserInputError(
                f"--review {review} needs a Prefect server that reviewers can reach; start one "
                "(`aigc server up` or `prefect server start`) and set PREFECT_API_URL"
            )
        if review == "suspend":
            raise UserInputError(
                "--review suspend releases the worker, so the run must come from a deployment: "
                "use `aigc deploy` and start the ad-hoc deployment, or use --review pause here"
            )
        quiet_prefect(ctx.find_root().obj.get("verbose", False))
        console = stderr_console()
        console.print(f"[bold]aigc run[/] {source} (storage {settings.storage.uri}, review {review})")
        from flows.daily import daily_content
        from tasks import progress

        with _progress_bar() as listener:
            progress.add_listener(listener)
            try:
                summary = daily_content(
                    source,
                    fmt=fmt,
                    limit=limit,
                    review=review,
                    config=ctx.find_root().obj.get("config"),
                    formats=formats.split(",") if formats else None,
                    review_timeout_s=review_timeout,
                )
            finally:
                progress.remove_listener(listener)
        if as_json:
            emit_json({k: summary.get(k) for k in SUMMARY_FIELDS})
        _print_summary(console, summary)


def _print_summary(console, s: dict) -> None:
    from tasks.report import RunSummary, next_steps

    console.print(
        f"[bold green]done[/] run {s['run_id']}: {s['products']} products, {s['generated']} generated, "
        f"{s['skipped_unchanged']} unchanged skipped, {s['qc_blocked']} QC-blocked, "
        f"{s['pending_review']} pending review, {s['approved']} approved, {s['published']} published, "
        f"{s['failed']} failed"
    )
    console.print(f"backends: {', '.join(f'{k}={v}' for k, v in s.get('backends', {}).items())}")
    for step in next_steps(RunSummary.model_validate(s)):
        console.print(f"  • {step}")
    console.print(f"contact sheet: {s.get('review')}")
    console.print(f"run report:    {s.get('report')}")
    for name, uri in (s.get("feeds") or {}).items():
        console.print(f"feed {name}: {uri}")


class _progress_bar:
    """A rich bar on stderr fed by tasks.progress; silent when stderr is not a terminal."""

    def __enter__(self):
        import sys

        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.bar = Progress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=stderr_console(),
            disable=not sys.stderr.isatty(),
        )
        self.bar.start()
        self.task = None

        def listener(done: int, total: int, label: str) -> None:
            if self.task is None:
                self.task = self.bar.add_task(label or "generating", total=total)
            self.bar.update(self.task, completed=done, total=total)

        return listener

    def __exit__(self, *exc):
        self.bar.stop()
        return False
