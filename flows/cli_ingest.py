"""`aigc ingest SOURCE`: run the ingest flow and print what it did."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from flows.cli_common import emit_json, quiet_prefect, settings_from, stderr_console
from tasks.errors import UserInputError


def _print_summary(s: dict[str, Any]) -> None:
    from rich.table import Table

    console = stderr_console()
    console.print(
        f"[bold]{s['source']}[/] ({s['format']}): {s['rows']} rows → [green]{s['products']} products[/], "
        f"[yellow]{s['quarantined']} quarantined[/], {s['warnings']} warnings"
    )
    console.print(
        f"change set vs {s['previous_day'] or 'nothing (first snapshot)'}: {s['new']} new, "
        f"{s['changed']} changed, {s['unchanged']} unchanged, {s['removed']} removed"
    )
    console.print(f"snapshot: {s['snapshot']}  ({s['timings'].get('total_s', 0):.2f}s)")
    if s["quarantine_reasons"]:
        table = Table(title="Quarantined rows by reason (details in quarantine.jsonl)")
        table.add_column("count", justify="right")
        table.add_column("reason")
        for reason, n in s["quarantine_reasons"].items():
            table.add_row(str(n), reason)
        console.print(table)


def register(cli: click.Group) -> None:
    @cli.command("ingest")
    @click.argument("source")
    @click.option(
        "--format",
        "fmt",
        default=None,
        metavar="F",
        help="shopify, gmc-xml, gmc-tsv, csv, jsonl or parquet (default: detected).",
    )
    @click.option(
        "--mapping",
        default=None,
        metavar="FILE",
        help="column mapping for generic CSV: a preset (amazon) or a TOML/JSON file.",
    )
    @click.option("--day", default=None, metavar="YYYY-MM-DD", help="snapshot date (default: today, UTC).")
    @click.option("--json", "as_json", is_flag=True, help="print one JSON summary on stdout.")
    @click.pass_context
    def ingest_cmd(
        ctx: click.Context, source: str, fmt: str | None, mapping: str | None, day: str | None, as_json: bool
    ) -> None:
        """Read, validate and snapshot a catalog (local file or s3:// URI); print the change set."""
        from tasks.catalog.detect import check_format

        settings_from(ctx)  # validate settings before starting anything
        if fmt:
            check_format(fmt)
        if not source.startswith("s3://"):
            path = Path(source)
            if not path.is_file():
                raise UserInputError(
                    f"catalog file {source} does not exist; pass a catalog file or an s3:// URI"
                )
            source = str(path.resolve())
        if day is not None:
            from datetime import date

            try:
                date.fromisoformat(day)
            except ValueError:
                raise UserInputError(f"--day {day!r} is not a date; use YYYY-MM-DD") from None
        verbose = bool(ctx.find_root().obj.get("verbose"))
        quiet_prefect(verbose)
        if not verbose:  # failures are reported once, as `Error: ...`, not as Prefect tracebacks
            os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
        from flows.ingest import ingest_catalog

        summary = ingest_catalog(
            source, fmt=fmt, mapping=mapping, day=day, config=ctx.find_root().obj.get("config")
        )
        _print_summary(summary)
        if as_json:
            emit_json(summary)
