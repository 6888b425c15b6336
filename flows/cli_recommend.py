"""`aigc recommend SOURCE_OR_SNAPSHOT [--events FILE] [--json]`: runs the recommendation flow."""

from __future__ import annotations

import click

from flows.cli_common import emit_json, quiet_prefect, stderr_console


def register(cli: click.Group) -> None:
    cli.add_command(recommend_cmd)


@click.command(name="recommend")
@click.argument("source_or_snapshot")
@click.option("--events", default=None, help="Interactions CSV/Parquet (user_id, sku, event, timestamp).")
@click.option("--day", default=None, help="Output date folder (default: today, UTC).")
@click.option("--mapping", default=None, help="Column-mapping preset of the catalog reader, e.g. amazon.")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as one JSON document.")
@click.pass_context
def recommend_cmd(
    ctx: click.Context,
    source_or_snapshot: str,
    events: str | None,
    day: str | None,
    mapping: str | None,
    as_json: bool,
) -> None:
    """Similar, complementary and audience-segment picks, with their copy.

    SOURCE_OR_SNAPSHOT is a catalog file or s3:// URI, `latest`, or a snapshot date (YYYY-MM-DD).
    """
    from pathlib import Path

    from tasks.errors import UserInputError

    if events and not events.startswith("s3://") and not Path(events).is_file():
        raise UserInputError(f"--events {events!r} is not a file; pass a CSV or Parquet of user_id, sku, ...")
    root = ctx.find_root().obj
    quiet_prefect(root.get("verbose", False))
    from flows.recommend import recommend_flow

    summary = recommend_flow(
        source_or_snapshot, events=events, day=day, config=root.get("config"), mapping=mapping
    )
    if as_json:
        emit_json(summary)
        return
    con = stderr_console()
    con.print(
        f"[bold]{summary['products']}[/] products, embedder {summary['embedder']} "
        f"(embedded {summary['embed']['embedded']}, cached {summary['embed']['cached']})"
    )
    con.print(
        f"similar: {summary['similar_rows']} rows for {summary['products_with_similar']} products; "
        f"complementary ({summary['complementary_method']}): {summary['complementary_rows']}; "
        f"segments: {summary['segment_rows']} rows"
    )
    if summary.get("events"):
        ev = summary["events"]
        con.print(
            f"events: {ev['rows_read']} read, {ev['rows_used']} used; dropped: {ev['unknown_skus']} unknown "
            f"SKUs, {ev['duplicates']} duplicates, {ev['bad_timestamps']} bad timestamps, "
            f"{ev['missing_fields']} missing fields, {ev['other_events']} other events"
        )
    for name, key in summary["keys"].items():
        click.echo(f"{name}: {key}")
