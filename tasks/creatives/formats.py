"""Named creative formats (pixel size, layout, encoding, weight cap) and capped encoding.

Names are what settings and the CLI use (`content.image_formats`, `--formats square,iab_300x250`).
IAB display sizes carry the common 150 kB initial-load cap and are JPEG, which every ad server
accepts; feed images are WebP; the marketplace main image is a white-background JPEG with no text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Literal

from aigc_models.image import Layout, LayoutKind
from tasks.errors import GenerationError, UserInputError

Encoding = Literal["webp", "png", "jpeg"]


@dataclass(frozen=True)
class CreativeFormat:
    name: str
    kind: Literal["image", "video", "scene"]
    width: int
    height: int
    layout: LayoutKind = "feed"
    encoding: Encoding | Literal["mp4"] = "webp"
    max_bytes: int | None = None
    safe_top: float = 0.0
    safe_bottom: float = 0.0

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def extension(self) -> str:
        return "jpg" if self.encoding == "jpeg" else self.encoding

    def to_layout(self) -> Layout:
        return Layout(self.name, self.width, self.height, self.layout, self.safe_top, self.safe_bottom)


IAB_CAP = 150_000

PRESETS: dict[str, CreativeFormat] = {
    f.name: f
    for f in (
        CreativeFormat("square", "image", 1080, 1080),
        CreativeFormat("portrait", "image", 1080, 1350),
        CreativeFormat("story", "image", 1080, 1920, safe_top=0.1, safe_bottom=0.15),
        CreativeFormat("iab_300x250", "image", 300, 250, encoding="jpeg", max_bytes=IAB_CAP),
        CreativeFormat("iab_728x90", "image", 728, 90, "wide", encoding="jpeg", max_bytes=IAB_CAP),
        CreativeFormat("iab_160x600", "image", 160, 600, "tall", encoding="jpeg", max_bytes=IAB_CAP),
        CreativeFormat("iab_970x250", "image", 970, 250, "wide", encoding="jpeg", max_bytes=IAB_CAP),
        CreativeFormat("marketplace_main", "image", 1000, 1000, "marketplace", encoding="jpeg"),
        CreativeFormat("scene_square", "scene", 1080, 1080, "marketplace", encoding="webp"),
        CreativeFormat("vertical", "video", 1080, 1920, encoding="mp4"),
        CreativeFormat("video_square", "video", 1080, 1080, encoding="mp4"),
    )
}
IMAGE_FORMATS = [n for n, f in PRESETS.items() if f.kind == "image"]
VIDEO_FORMATS = [n for n, f in PRESETS.items() if f.kind == "video"]


def resolve_formats(names: list[str] | str | None, default: list[str] | None = None) -> list[CreativeFormat]:
    """Preset objects for names ('all', 'images', 'videos' expand); unknown names are a user error."""
    if names is None:
        names = default or ["square"]
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    out: list[CreativeFormat] = []
    for n in names:
        expanded = {"all": [*IMAGE_FORMATS, *VIDEO_FORMATS], "images": IMAGE_FORMATS, "videos": VIDEO_FORMATS}
        for name in expanded.get(n, [n]):
            if name not in PRESETS:
                raise UserInputError(f"unknown creative format {name!r}; choose from {', '.join(PRESETS)}")
            if PRESETS[name] not in out:
                out.append(PRESETS[name])
    return out


def encode_image(image: Any, fmt: CreativeFormat) -> tuple[bytes, dict[str, Any]]:
    """Encode in the format's codec; lossy quality steps down until the file is under the cap."""
    image = image.convert("RGB")
    steps = [92, 85, 78, 70, 62, 55, 48, 40, 32] if fmt.encoding in ("jpeg", "webp") else [None]
    data = b""
    for q in steps:
        buf = io.BytesIO()
        if fmt.encoding == "jpeg":
            image.save(buf, "JPEG", quality=q, optimize=True, progressive=True)
        elif fmt.encoding == "webp":
            image.save(buf, "WEBP", quality=q, method=4)
        else:
            image.save(buf, "PNG", optimize=True)
        data = buf.getvalue()
        if fmt.max_bytes is None or len(data) <= fmt.max_bytes:
            return data, {"quality": q, "bytes": len(data), "max_bytes": fmt.max_bytes}
    raise GenerationError(
        f"{fmt.name}: smallest encoding is {len(data)} bytes, over the {fmt.max_bytes}-byte cap"
    )
