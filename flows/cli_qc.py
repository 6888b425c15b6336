"""`aigc qc copy FILE [--json]`: lint copy (generated or written by people) from JSON Lines.

Stable contract (issue 5): each input line has `id`, `lang` (zh|en), `text`, optionally `product`
(a Product-shaped object) and `field` (e.g. `title`, so title-only rules apply). With `--json` the
output is JSON Lines, one line per input line in order: {"id", "verdict", "findings": [{"rule",
"severity", "message", "span"}]}. Exit 0 whatever the verdicts; 2 when a line cannot be read.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from flows.cli_common import group, settings_from


def _read_lines(file: str) -> list[tuple[int, str]]:
    if file == "-":
        raw = sys.stdin.buffer.read()
    else:
        with open(file, "rb") as fh:
            raw = fh.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        from tasks.errors import UserInputError

        raise UserInputError(
            f"{'stdin' if file == '-' else file} line {line}: not UTF-8 ({exc.reason}); save the file as UTF-8"
        ) from None
    return [(n, s) for n, s in enumerate(text.splitlines(), start=1) if s.strip()]


def parse_line(file: str, n: int, line: str) -> dict[str, Any]:
    """One validated input record; a UserInputError names the file, the line and the fix."""
    from pydantic import ValidationError

    from tasks.errors import UserInputError
    from tasks.models import Product

    where = f"{'stdin' if file == '-' else file} line {n}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserInputError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise UserInputError(
            f"{where}: expected a JSON object with id, lang and text, got {type(obj).__name__}"
        )
    missing = [k for k in ("id", "lang", "text") if k not in obj]
    if missing:
        raise UserInputError(
            f"{where}: missing {', '.join(missing)}; each line needs id, lang (zh|en) and text"
        )
    if obj["lang"] not in ("zh", "en"):
        raise UserInputError(f"{where}: lang is {obj['lang']!r}; use 'zh' or 'en'")
    if not isinstance(obj["text"], str):
        raise UserInputError(f"{where}: text must be a string, got {type(obj['text']).__name__}")
    product = None
    if obj.get("product") is not None:
        try:
            product = Product.model_validate(obj["product"])
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]
            )
            raise UserInputError(f"{where}: product is not a valid Product ({problems})") from None
    return {
        "id": obj["id"],
        "lang": obj["lang"],
        "text": obj["text"],
        "product": product,
        "field": str(obj.get("field") or "text"),
    }


def run_copy_check(records: list[dict[str, Any]], qc: Any, spec: Any) -> list[dict[str, Any]]:
    from tasks.qc import check_text, verdict

    out = []
    for r in records:
        findings = check_text(r["text"], r["lang"], r["product"], spec=spec, field=r["field"], qc=qc)
        out.append(
            {
                "id": r["id"],
                "verdict": verdict(findings),
                "findings": [
                    {"rule": f.check, "severity": f.severity, "message": f.message, "span": f.span}
                    for f in findings
                ],
            }
        )
    return out


def _table(results: list[dict[str, Any]]) -> None:
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    table = Table(title="aigc qc copy", show_lines=False)
    table.add_column("id")
    table.add_column("verdict")
    table.add_column("findings")
    colour = {"block": "red", "warn": "yellow", "pass": "green"}
    for r in results:
        text = "\n".join(f"{f['severity']} {f['rule']}: {f['message']}" for f in r["findings"]) or "-"
        table.add_row(str(r["id"]), f"[{colour[r['verdict']]}]{r['verdict']}[/]", text)
    console = Console()
    console.print(table)
    counts = Counter(r["verdict"] for r in results)
    Console(stderr=True).print(
        f"{len(results)} lines: {counts['block']} block, {counts['warn']} warn, {counts['pass']} pass"
    )


def register(cli: click.Group) -> None:
    qc_group = group(cli, "qc", "Quality and compliance checks.")

    @qc_group.command("copy")
    @click.argument("file", type=str)
    @click.option(
        "--json", "as_json", is_flag=True, help="JSON Lines out: one result per input line, in order."
    )
    @click.pass_context
    def copy_cmd(ctx: click.Context, file: str, as_json: bool) -> None:
        """Check copy in FILE (JSON Lines: id, lang zh|en, text, optional product; '-' = stdin).

        Exit status is 0 whatever the verdicts; 2 when a line cannot be read.
        """
        settings = settings_from(ctx)
        records = [parse_line(file, n, line) for n, line in _read_lines(file)]
        results = run_copy_check(records, settings.qc, settings.content)
        if as_json:
            write = sys.stdout.write
            for r in results:
                write(json.dumps(r, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")
            sys.stdout.flush()
        else:
            _table(results)
