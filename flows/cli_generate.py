"""`aigc generate copy SOURCE_OR_SNAPSHOT`: run the copy flow and say which backend wrote it."""

from __future__ import annotations

from typing import Any

import click

from flows.cli_common import (
    emit_json,
    group,
    quiet_run_logs,
    resolve_source,
    settings_from,
    stderr_console,
)
from tasks.errors import UserInputError


def _print_summary(s: dict[str, Any]) -> None:
    console = stderr_console()
    console.print(
        f"copy backend: [bold]{s['backend_description']}[/]  prompt {s['prompt_version']}  "
        f"({s['products']} products, {s['batches']} batches, {s['seconds']:.1f}s)"
    )
    console.print(
        f"[green]{s['written']} assets written[/], {s['skipped']} already in the store (unchanged), "
        f"[red]{s['failed']} failed[/] across {len(s['products_failed'])} products"
    )
    for f in s["failures"][:10]:
        console.print(f"  {f['sku']} {f['job']}: {f['reason']} (after {f['attempts']} attempts)")
    for n in s["notes"][:3]:
        console.print(f"  note: {n}")


def register(cli: click.Group) -> None:
    generate = group(cli, "generate", "Generate content for a catalog.")

    @generate.command("copy")
    @click.argument("source", metavar="SOURCE_OR_SNAPSHOT")
    @click.option("--limit", type=int, default=None, help="only the first N products.")
    @click.option(
        "--all",
        "regenerate_all",
        is_flag=True,
        help="regenerate every product, not only new or changed ones.",
    )
    @click.option("--json", "as_json", is_flag=True, help="print one JSON summary on stdout.")
    @click.pass_context
    def copy_cmd(
        ctx: click.Context, source: str, limit: int | None, regenerate_all: bool, as_json: bool
    ) -> None:
        """Listings, ad copy, audience ads, social posts and FAQs for a catalog file, an s3:// URI,
        or `latest` (the newest snapshot in the store). Unchanged products are skipped unless --all."""
        settings_from(ctx)  # fail on bad settings before starting Prefect
        if limit is not None and limit < 1:
            raise UserInputError(f"--limit {limit} must be at least 1")
        source = resolve_source(source)
        quiet_run_logs(ctx)
        from flows.generate_copy import generate_copy_flow

        summary = generate_copy_flow(
            source, limit=limit, regenerate_all=regenerate_all, config=ctx.find_root().obj.get("config")
        )
        _print_summary(summary)
        if as_json:
            emit_json(summary)
