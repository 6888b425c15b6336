"""Image creative checks: decodable, exact size for its format, aspect ratio, file weight, not blank,
text inside the safe zones of vertical formats, product pixels preserved, safety-checker verdict.

`meta` is what the creatives stage stores in `Asset.params` (plus `format`): `size` [w, h] or a
format name (`story`, `banner_story`, `iab_300x250` ...), `encoding`, `max_bytes`, `text_boxes`
{role: [x0, y0, x1, y1]}, `boxes` {"product": [...]}, and optionally `product_original` (bytes of
the product photo that was placed) and a diffusers safety verdict (`nsfw_content_detected`).
"""

from __future__ import annotations

import io
from typing import Any

from tasks.models import QCResult
from tasks.qc.rules import rule

DECODE = rule("image.decode", "image", "block", "image cannot be decoded: {error}")
SIZE = rule(
    "image.size",
    "image",
    "block",
    "image is {actual[0]}x{actual[1]}; format {fmt} needs {expected[0]}x{expected[1]}",
)
ASPECT = rule(
    "image.aspect", "image", "block", "aspect ratio {actual:.3f} differs from {expected:.3f} for {fmt}"
)
WEIGHT = rule("image.weight", "image", "block", "file is {bytes} bytes, over the {cap}-byte cap of {fmt}")
ENCODING = rule("image.encoding", "image", "warn", "file is {actual}, format {fmt} expects {expected}")
BLANK = rule("image.blank", "image", "block", "image is blank or near-uniform (pixel spread {std:.1f})")
SAFE_ZONE = rule(
    "image.safe_zone",
    "image",
    "block",
    "{role} text box {box} is outside the safe zone (rows {safe[0]}-{safe[1]}) of {fmt}; UI will cover it",
)
PRODUCT = rule(
    "image.product_pixels",
    "image",
    "block",
    "product pixels were altered inside the placed box (mean difference {diff:.1f} > {limit})",
)
SAFETY = rule("image.safety", "image", "block", "the model's safety checker flagged this image as unsafe")

#: Fallback presets (name -> (w, h, encoding, max_bytes, safe_top, safe_bottom)) when the creatives
#: package is not importable; kept in line with tasks/creatives/formats.py.
_FALLBACK = {
    "square": (1080, 1080, "webp", None, 0.0, 0.0),
    "portrait": (1080, 1350, "webp", None, 0.0, 0.0),
    "story": (1080, 1920, "webp", None, 0.1, 0.15),
    "iab_300x250": (300, 250, "jpeg", 150_000, 0.0, 0.0),
    "iab_728x90": (728, 90, "jpeg", 150_000, 0.0, 0.0),
    "iab_160x600": (160, 600, "jpeg", 150_000, 0.0, 0.0),
    "iab_970x250": (970, 250, "jpeg", 150_000, 0.0, 0.0),
    "marketplace_main": (1000, 1000, "jpeg", None, 0.0, 0.0),
    "vertical": (1080, 1920, "mp4", None, 0.1, 0.15),
    "video_square": (1080, 1080, "mp4", None, 0.0, 0.0),
}
DEFAULT_MAX_BYTES = 5_000_000
VERTICAL_SAFE = (0.1, 0.15)  # top, bottom share of height reserved for platform UI in 9:16 formats
BLANK_STD = 4.0
PRODUCT_DIFF_LIMIT = 12.0


def resolve_format(meta: dict[str, Any]) -> dict[str, Any]:
    """Expected width, height, encoding, cap and safe zones from `meta` and the format presets."""
    raw = str(meta.get("format") or "")
    try:
        from tasks.creatives.formats import PRESETS

        presets = {
            n: (f.width, f.height, f.encoding, f.max_bytes, f.safe_top, f.safe_bottom)
            for n, f in PRESETS.items()
        }
    except Exception:  # the creatives package is optional for QC
        presets = {}
    presets = {**_FALLBACK, **presets}
    name, preset = raw, None
    for cand in (raw, raw.split("_", 1)[-1]):  # asset content types are prefixed: banner_story, clip_vertical
        if cand in presets:
            name, preset = cand, presets[cand]
            break
    size = meta.get("size") or (preset[:2] if preset else None)
    w, h = (int(size[0]), int(size[1])) if size else (None, None)
    safe_top, safe_bottom = (preset[4], preset[5]) if preset else (0.0, 0.0)
    if w and h and h / w >= 1.7 and not (safe_top or safe_bottom):
        safe_top, safe_bottom = VERTICAL_SAFE
    return {
        "name": name or (f"{w}x{h}" if w else "unknown"),
        "width": w,
        "height": h,
        "encoding": meta.get("encoding") or (preset[2] if preset else None),
        "max_bytes": meta.get("max_bytes") or (preset[3] if preset else None) or DEFAULT_MAX_BYTES,
        "safe_top": float(meta.get("safe_top", safe_top)),
        "safe_bottom": float(meta.get("safe_bottom", safe_bottom)),
    }


def check_image(data: bytes, meta: dict[str, Any]) -> list[QCResult]:
    from PIL import Image, ImageStat

    fmt = resolve_format(meta)
    out: list[QCResult] = []
    try:
        im = Image.open(io.BytesIO(data))
        pil_format = (im.format or "").lower()
        im.load()
    except Exception as exc:
        return [DECODE.hit(error=f"{type(exc).__name__}: {exc}")]
    name = fmt["name"]
    if fmt["width"] and im.size != (fmt["width"], fmt["height"]):
        out.append(SIZE.hit(actual=list(im.size), expected=[fmt["width"], fmt["height"]], fmt=name))
        want, got = fmt["width"] / fmt["height"], im.width / im.height
        if abs(want - got) / want > 0.01:
            out.append(ASPECT.hit(actual=got, expected=want, fmt=name))
    if len(data) > fmt["max_bytes"]:
        out.append(WEIGHT.hit(bytes=len(data), cap=fmt["max_bytes"], fmt=name))
    enc = {"jpeg": "jpeg", "jpg": "jpeg", "webp": "webp", "png": "png"}.get(str(fmt["encoding"]).lower())
    if enc and pil_format and pil_format != enc:
        out.append(ENCODING.hit(actual=pil_format, expected=enc, fmt=name))
    small = im.convert("L").resize((64, 64))
    std = ImageStat.Stat(small).stddev[0]
    if std < BLANK_STD:
        out.append(BLANK.hit(std=std))
    out += _safe_zones(meta, fmt, im.size)
    out += _product_pixels(meta, im)
    verdict = meta.get("nsfw_content_detected", meta.get("nsfw", meta.get("safety_flagged")))
    if isinstance(verdict, list | tuple):
        verdict = any(bool(v) for v in verdict)
    if verdict:
        out.append(SAFETY.hit(checker=meta.get("safety_checker", "diffusers StableDiffusionSafetyChecker")))
    return out


def _safe_zones(meta: dict[str, Any], fmt: dict[str, Any], size: tuple[int, int]) -> list[QCResult]:
    if not (fmt["safe_top"] or fmt["safe_bottom"]):
        return []
    h = size[1]
    top, bottom = round(fmt["safe_top"] * h), round(h - fmt["safe_bottom"] * h)
    out = []
    for role, box in (meta.get("text_boxes") or {}).items():
        if not box or len(box) != 4:
            continue
        y0, y1 = float(box[1]), float(box[3])
        if y0 < top or y1 > bottom:
            out.append(
                SAFE_ZONE.hit(
                    role=role, box=[round(float(v)) for v in box], safe=[top, bottom], fmt=fmt["name"]
                )
            )
    return out


def _product_pixels(meta: dict[str, Any], im: Any) -> list[QCResult]:
    """Compare the placed product box with the original photo resized to it (layout says: keep them)."""
    from PIL import Image, ImageChops, ImageStat

    box = (meta.get("boxes") or {}).get("product")
    original = meta.get("product_original")
    if not box or original is None:
        return []
    if isinstance(original, bytes | bytearray):
        original = Image.open(io.BytesIO(original))
    elif isinstance(original, str):
        original = Image.open(original)
    x0, y0, x1, y1 = (round(float(v)) for v in box)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return []
    placed = im.convert("RGB").crop((x0, y0, x1, y1)).resize((64, 64))
    ref = original.convert("RGB").resize((x1 - x0, y1 - y0)).resize((64, 64))
    diff = sum(ImageStat.Stat(ImageChops.difference(placed, ref)).mean) / 3
    limit = float(meta.get("product_diff_limit", PRODUCT_DIFF_LIMIT))
    return [PRODUCT.hit(diff=diff, limit=limit, box=[x0, y0, x1, y1])] if diff > limit else []
