"""Build every tiny random-weight model (text, image, video) for tests and demos in one call."""

from __future__ import annotations

from pathlib import Path

KINDS = ("text", "image", "video")


def build_tiny(directory: str | Path, kinds: tuple[str, ...] | list[str] = KINDS) -> dict[str, Path]:
    """Build the requested kinds under `directory/{kind}`; returns kind -> model folder.

    The diffusers builders live in `aigc_models.tiny_diffusers`; when that module is not installed
    in this checkout, asking for image/video raises a ModuleNotFoundError that says so.
    """
    from tasks.errors import UserInputError

    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise UserInputError(f"unknown tiny model kind(s) {unknown}; choose from {', '.join(KINDS)}")
    root = Path(directory)
    out: dict[str, Path] = {}
    if "text" in kinds:
        from aigc_models import tiny_text

        out["text"] = tiny_text.build(root / "text")
    if "image" in kinds or "video" in kinds:
        try:
            from aigc_models import tiny_diffusers
        except ModuleNotFoundError as exc:
            if exc.name != "aigc_models.tiny_diffusers":
                raise
            raise ModuleNotFoundError(
                "aigc_models.tiny_diffusers is missing, so tiny image/video models cannot be built; "
                "use --kinds text"
            ) from None
        if "image" in kinds:
            out["image"] = tiny_diffusers.build_image(root / "image")
        if "video" in kinds:
            out["video"] = tiny_diffusers.build_video(root / "video")
    return out
