"""Helpers shared by the `aigc` subcommands: settings, JSON output, progress on stderr."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click


def settings_from(ctx: click.Context, **overrides: Any):  # -> tasks.settings.Settings
    from tasks.settings import load_settings

    return load_settings(ctx.find_root().obj.get("config"), **overrides)


def emit_json(obj: Any) -> None:
    """The one JSON document a `--json` command prints on stdout."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def quiet_prefect(verbose: bool = False) -> None:
    """Keep Prefect's run logs off stdout (stdout is for the one JSON document)."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    logging.getLogger("prefect").setLevel(logging.INFO if verbose else logging.WARNING)


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Any]:
    """A rich progress bar on stderr; yields a callable `advance(n=1)`."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=False,
        disable=not sys.stderr.isatty() and not os.environ.get("AIGC_FORCE_PROGRESS"),
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


def group(parent: click.Group, name: str, help_text: str) -> click.Group:
    """Get or create a subcommand group, so several cli_* modules can add to `aigc generate`."""
    existing = parent.commands.get(name)
    if isinstance(existing, click.Group):
        return existing
    new = click.Group(name=name, help=help_text)
    parent.add_command(new)
    return new


def resolve_source(source: str) -> str:
    """A catalog argument: `latest`/`snapshot` (the newest snapshot), an s3:// URI, or an existing file."""
    from pathlib import Path

    from tasks.errors import UserInputError

    if source in ("snapshot", "latest") or source.startswith("s3://"):
        return source
    path = Path(source)
    if not path.is_file():
        raise UserInputError(
            f"catalog file {source} does not exist; pass a catalog file, an s3:// URI or `latest`"
        )
    return str(path.resolve())


def quiet_run_logs(ctx: click.Context) -> None:
    """Prefect's per-run console logs only with --verbose; the summary is what a person reads."""
    verbose = bool(ctx.find_root().obj.get("verbose"))
    quiet_prefect(verbose)
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
