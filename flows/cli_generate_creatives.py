"""`aigc generate creatives SOURCE_OR_SNAPSHOT`: banners, marketplace images, scenes and clips."""

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
    img = s["image_backend"] or {}
    console.print(
        f"creatives backend: [bold]{img.get('backend')}[/] {img.get('model_id') or '(no AIGC_IMAGE_MODEL set)'}"
        f"  formats {', '.join(s['formats'])}  ({s['products']} products, {s['seconds']:.1f}s)"
    )
    console.print(
        f"[green]{s['created']} created[/], {s['skipped']} already in the store, [red]{s['failed']} failed[/], "
        f"{s['text_only']} products without a usable photo (text-only banners)"
    )
    shown = 0
    for item in s["items"]:
        for f in item["failures"]:
            if shown < 10:
                console.print(f"  {item['sku']} {f['format']}: {f['error']}")
            shown += 1


def register(cli: click.Group) -> None:
    generate = group(cli, "generate", "Generate content for a catalog.")

    @generate.command("creatives")
    @click.argument("source", metavar="SOURCE_OR_SNAPSHOT")
    @click.option(
        "--formats",
        default=None,
        help="comma-separated presets (square, portrait, story, iab_300x250, iab_728x90, iab_160x600, "
        "iab_970x250, marketplace_main, scene_square, vertical, video_square) or images/videos/all; "
        "default: content.image_formats + content.video_formats.",
    )
    @click.option("--limit", type=int, default=None, help="only the first N products.")
    @click.option("--all", "regenerate_all", is_flag=True, help="regenerate even creatives already stored.")
    @click.option("--json", "as_json", is_flag=True, help="print one JSON summary on stdout.")
    @click.pass_context
    def creatives_cmd(
        ctx: click.Context,
        source: str,
        formats: str | None,
        limit: int | None,
        regenerate_all: bool,
        as_json: bool,
    ) -> None:
        """Images and clips for a catalog file, an s3:// URI, or `latest` (the newest snapshot).
        Product photos are placed unchanged; products without a usable photo get text-only banners."""
        from tasks.creatives.formats import resolve_formats

        settings = settings_from(ctx)  # fail on bad settings before starting Prefect
        if limit is not None and limit < 1:
            raise UserInputError(f"--limit {limit} must be at least 1")
        names = [
            f.name
            for f in resolve_formats(
                formats, default=[*settings.content.image_formats, *settings.content.video_formats]
            )
        ]
        source = resolve_source(source)
        quiet_run_logs(ctx)
        from flows.generate_creatives import generate_creatives_flow

        summary = generate_creatives_flow(
            source,
            formats=names,
            limit=limit,
            regenerate_all=regenerate_all,
            config=ctx.find_root().obj.get("config"),
        )
        _print_summary(summary)
        if as_json:
            emit_json(summary)
