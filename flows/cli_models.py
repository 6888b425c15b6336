"""`aigc models ...`: build the tiny random-weight models used by tests and demos."""

from __future__ import annotations

import click

from flows.cli_common import emit_json, group, stderr_console
from tasks.errors import UserInputError


def register(cli: click.Group) -> None:
    models = group(cli, "models", "Model utilities (tiny test models).")

    @models.command("build-tiny")
    @click.argument("directory", type=click.Path(file_okay=False))
    @click.option(
        "--kinds", default="text,image,video", show_default=True, help="comma-separated: text, image, video."
    )
    @click.option("--json", "as_json", is_flag=True, help="print one JSON document on stdout.")
    def build_tiny_cmd(directory: str, kinds: str, as_json: bool) -> None:
        """Build tiny random-weight models (offline) into DIRECTORY/{text,image,video}.

        Point AIGC_TEXT_MODEL / AIGC_IMAGE_MODEL / AIGC_VIDEO_MODEL at the printed folders to run the
        transformers and diffusers backends end to end with no network (the output is noise).
        """
        from aigc_models.tiny import build_tiny

        wanted = [k.strip() for k in kinds.split(",") if k.strip()]
        if not wanted:
            raise UserInputError("--kinds is empty; give e.g. --kinds text,image,video")
        try:
            built = build_tiny(directory, wanted)
        except ModuleNotFoundError as exc:
            raise UserInputError(str(exc)) from None
        paths = {k: str(v.resolve()) for k, v in built.items()}
        console = stderr_console()
        for kind, path in paths.items():
            console.print(f"tiny {kind} model: {path}")
        if as_json:
            emit_json(paths)
