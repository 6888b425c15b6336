"""The CPU image backend: Pillow layouts of product photo, background, headline, price, CTA and logo.

The product photo is resized once (Lanczos) into its box and pasted; nothing else touches those
pixels, and the box is reported so checks can verify it. Text is wrapped and shrunk until it fits
its box; if it still does not fit at the smallest size it is cut with an ellipsis and flagged.
"""

from __future__ import annotations

import io
import logging
import math
import warnings
from collections.abc import Sequence
from typing import Any

from PIL import Image, ImageDraw, ImageFont, ImageOps

from aigc_models.fonts import font_for, has_cjk
from aigc_models.image import BrandStyle, CreativeItem, ImageGenerator, Layout, RenderedImage
from tasks.errors import GenerationError

log = logging.getLogger(__name__)
Box = tuple[int, int, int, int]
NO_LINE_START = set("，。！？、；：）」』,.!?;:)")


class BadProductImage(GenerationError):
    """The product photo cannot be used (corrupt, unsupported, too large)."""


# ---------------------------------------------------------------- product photos


def load_product_image(data: bytes, *, max_pixels: int = 40_000_000, source: str = "image") -> Image.Image:
    """Decode a product photo safely: size checked before decoding, CMYK/palette/16-bit made RGB(A).

    Large JPEGs are decoded at a reduced scale (libjpeg's DCT scaling, cheap); other formats over
    `max_pixels` are refused, so a 10,000 x 10,000 image cannot exhaust memory.
    """
    try:
        with warnings.catch_warnings():  # we enforce our own, lower limit below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
        w, h = im.size
        if w * h > max_pixels:
            if im.format != "JPEG":
                raise BadProductImage(
                    f"{source} is {w}x{h} ({w * h / 1e6:.0f} MP), over the {max_pixels / 1e6:.0f} MP limit "
                    "(creatives.max_image_pixels); supply a smaller photo or raise the limit"
                )
            scale = (max_pixels / (w * h)) ** 0.5
            im.draft("RGB", (int(w * scale / 2), int(h * scale / 2)))  # picks a 1/2..1/8 DCT scale
            if im.size[0] * im.size[1] > max_pixels:
                raise BadProductImage(f"{source} is {w}x{h}, too large to decode within the pixel limit")
        im.load()
    except BadProductImage:
        raise
    except (Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise BadProductImage(f"{source} cannot be decoded ({type(exc).__name__}: {exc})") from None
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        if im.getextrema()[3][0] == 255:
            im = im.convert("RGB")
        return im
    return im.convert("RGB")


def fit_contain(size: tuple[int, int], box: Box) -> Box:
    """The largest box of the image's aspect ratio centred inside `box`."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    w, h = size
    scale = min(bw / w, bh / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    x0, y0 = box[0] + (bw - nw) // 2, box[1] + (bh - nh) // 2
    return (x0, y0, x0 + nw, y0 + nh)


def place_product(canvas: Image.Image, photo: Image.Image, box: Box) -> Box:
    """Resize once into `box` (aspect kept) and paste; returns the placed box."""
    placed = fit_contain(photo.size, box)
    resized = photo.resize((placed[2] - placed[0], placed[3] - placed[1]), Image.Resampling.LANCZOS)
    if resized.mode == "RGBA":
        canvas.paste(resized.convert("RGB"), placed[:2], resized.getchannel("A"))
    else:
        canvas.paste(resized, placed[:2])
    return placed


def trim_white(photo: Image.Image, threshold: int = 245) -> Image.Image:
    """Crop a near-white studio border so the product fills the marketplace frame."""
    gray = photo.convert("L").point(lambda v: 255 if v < threshold else 0)
    if photo.mode == "RGBA":
        gray = Image.composite(gray, Image.new("L", photo.size, 0), photo.getchannel("A"))
    bbox = gray.getbbox()
    return photo.crop(bbox) if bbox else photo


def border_is_white(photo: Image.Image, threshold: int = 240, share: float = 0.9) -> bool:
    """True when at least `share` of the photo's outermost pixels are near-white (a studio shot)."""
    small = photo.convert("RGB")
    small.thumbnail((256, 256))
    w, h = small.size
    px = small.load()
    edge = [px[x, y] for x in range(w) for y in (0, h - 1)] + [px[x, y] for y in range(h) for x in (0, w - 1)]
    return sum(min(p) >= threshold for p in edge) / len(edge) >= share


# ---------------------------------------------------------------- colours, backgrounds


def hex_rgb(value: str) -> tuple[int, int, int]:
    v = value.lstrip("#")
    if len(v) == 3:
        v = "".join(c * 2 for c in v)
    try:
        return (int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16))
    except ValueError:
        raise GenerationError(f"brand colour {value!r} is not #RRGGBB; fix content.brand.colors") from None


def luminance(rgb: tuple[int, int, int]) -> float:
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def contrast_text(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    return (17, 24, 39) if luminance(rgb) > 150 else (255, 255, 255)


def make_background(size: tuple[int, int], brand: BrandStyle) -> Image.Image:
    base = hex_rgb(brand.colors[0])
    if brand.background == "white":
        return Image.new("RGB", size, (255, 255, 255))
    if brand.background == "solid":
        return Image.new("RGB", size, base)
    top = tuple(min(255, int(c * 0.55 + 255 * 0.0)) for c in base)
    ramp = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, base), Image.new("RGB", size, top), ramp)


# ---------------------------------------------------------------- text fitting


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> list[str]:
    units = list(text) if has_cjk(text) else text.split()
    joiner = "" if has_cjk(text) else " "
    lines: list[str] = []
    cur = ""
    for unit in units:
        trial = f"{cur}{joiner}{unit}" if cur else unit
        if ink_width(draw, trial, font) <= width or not cur or unit in NO_LINE_START:
            cur = trial
        else:
            lines.append(cur)
            cur = unit
    if cur:
        lines.append(cur)
    return lines


def ink_width(draw: ImageDraw.ImageDraw, text: str, font: Any) -> float:
    """Width of the drawn pixels (side bearings included), which is what must fit the box."""
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    return max(right, draw.textlength(text, font=font)) - min(0, left)


def _font(path: str | None, size: int) -> Any:
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def fit_text(
    draw: ImageDraw.ImageDraw,
    text: str,
    font_path: str | None,
    box: Box,
    *,
    max_size: int,
    min_size: int = 9,
    max_lines: int = 4,
) -> tuple[Any, list[str], bool]:
    """Largest font size at which `text` wraps inside `box`; (font, lines, truncated)."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    size = max(min_size, min(max_size, bh))
    while True:
        font = _font(font_path, size)
        lines = _wrap(draw, text, font, bw)
        line_h = size * 1.2
        fits_w = all(ink_width(draw, line, font) <= bw for line in lines)
        if fits_w and len(lines) <= max_lines and line_h * len(lines) <= bh:
            return font, lines, False
        if size <= min_size:
            break
        size = max(min_size, int(size * 0.9))
    keep = max(1, min(max_lines, int(bh // (size * 1.2))))
    lines = lines[:keep]
    last = lines[-1]
    while last and ink_width(draw, last + "…", font) > bw:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return font, lines, True


def draw_text_block(
    draw: ImageDraw.ImageDraw, lines: list[str], font: Any, box: Box, fill: Any, align: str = "left"
) -> Box:
    """Draw lines top-aligned (vertically centred) in box; returns the union of the ink boxes."""
    size = font.size
    line_h = size * 1.2
    total = line_h * len(lines)
    y = box[1] + max(0, (box[3] - box[1] - total) / 2)
    ink: list[Box] = []
    for line in lines:
        left = min(0, draw.textbbox((0, 0), line, font=font)[0])
        width = ink_width(draw, line, font)
        x = box[0] - left if align == "left" else box[0] - left + (box[2] - box[0] - width) / 2
        draw.text((x, y), line, font=font, fill=fill)
        ink.append(draw.textbbox((x, y), line, font=font))
        y += line_h
    if not ink:
        return (box[0], box[1], box[0], box[1])
    x0, y0 = math.floor(min(b[0] for b in ink)), math.floor(min(b[1] for b in ink))
    return (x0, y0, math.ceil(max(b[2] for b in ink)), math.ceil(max(b[3] for b in ink)))


# ---------------------------------------------------------------- layouts


def layout_boxes(layout: Layout, has_logo: bool) -> dict[str, Box]:
    """Where each element goes, as integer pixel boxes, for the layout's kind."""
    W, H = layout.width, layout.height
    m = max(4, round(min(W, H) * 0.05))
    if layout.kind == "marketplace":
        pad = round(min(W, H) * 0.025)
        return {"product": (pad, pad, W - pad, H - pad)}
    if layout.kind == "wide":
        x = m
        boxes: dict[str, Box] = {}
        if has_logo and H >= 120:
            boxes["logo"] = (x, m, x + round(W * 0.08), H - m)
            x = boxes["logo"][2] + m
        pw = min(round(W * 0.22), round((H - 2 * m) * 1.6))
        boxes["product"] = (x, m, x + pw, H - m)
        x = boxes["product"][2] + m
        right = W - m - round(W * 0.2)
        boxes["headline"] = (x, m, right - m, H - m)
        mid = (m + H - m) // 2
        boxes["price"] = (right, m, W - m, mid - 2)
        boxes["cta"] = (right, mid + 2, W - m, H - m)
        return boxes
    top = m + round(H * layout.safe_top)
    bottom = H - m - round(H * layout.safe_bottom)
    span = bottom - top
    boxes = {}
    y = top
    if has_logo:
        boxes["logo"] = (m, y, m + round(W * 0.3), y + round(span * 0.07))
        y = boxes["logo"][3] + round(m * 0.5)
    head_frac = 0.2 if layout.kind == "tall" else 0.17
    boxes["headline"] = (m, y, W - m, y + round(span * head_frac))
    y = boxes["headline"][3] + round(m * 0.5)
    if layout.kind == "tall":
        foot = round(span * 0.2)
        boxes["product"] = (m, y, W - m, bottom - foot - m)
        boxes["price"] = (m, bottom - foot, W - m, bottom - foot // 2 - 2)
        boxes["cta"] = (m, bottom - foot // 2 + 2, W - m, bottom)
        return boxes
    foot = round(span * 0.13)
    boxes["product"] = (m, y, W - m, bottom - foot - m)
    boxes["price"] = (m, bottom - foot, W // 2 - m // 2, bottom)
    boxes["cta"] = (W // 2 + m // 2, bottom - foot, W - m, bottom)
    return boxes


class CompositorImageGenerator(ImageGenerator):
    """Pillow-only banners and scenes: no weights, deterministic, fast on any CPU."""

    name = "compositor"
    model_id = None
    version = "1"  # bump when layouts change, so stored creatives are regenerated

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model_id": None,
            "version": self.version,
            "background": self.brand.background,
        }

    def __init__(self, brand: BrandStyle | None = None) -> None:
        self.brand = brand or BrandStyle()
        self._logo: Image.Image | None = None
        if self.brand.logo_path:
            try:
                self._logo = Image.open(self.brand.logo_path).convert("RGBA")
            except OSError as exc:
                raise GenerationError(
                    f"logo {self.brand.logo_path} (content.brand.logo_path) cannot be read: {exc}"
                ) from None

    def banners(self, items: Sequence[CreativeItem], layout: Layout, *, seed: int = 0):
        return [self._safe(self.compose, item, layout) for item in items]

    def scenes(self, items: Sequence[CreativeItem], layout: Layout, *, seed: int = 0):
        scene = Layout(layout.name, layout.width, layout.height, "marketplace")
        return [self._safe(self.compose, item, scene, None, False) for item in items]

    @staticmethod
    def _safe(fn: Any, *args: Any) -> RenderedImage | Exception:
        try:
            return fn(*args)
        except GenerationError as exc:
            return exc
        except (OSError, ValueError) as exc:  # e.g. an unreadable font file: fail this item only
            return GenerationError(f"{type(exc).__name__}: {exc}")

    def compose(
        self,
        item: CreativeItem,
        layout: Layout,
        background: Image.Image | None = None,
        white: bool | None = None,
    ) -> RenderedImage:
        """Render one creative. `background` (e.g. a generated scene) replaces the brand background."""
        size = (layout.width, layout.height)
        marketplace = layout.kind == "marketplace"
        if marketplace and item.image is None:
            raise GenerationError(f"product {item.sku}: a marketplace main image needs a product photo")
        if background is not None:
            canvas = background.convert("RGB").resize(size, Image.Resampling.BICUBIC)
        elif marketplace and white is not False:
            canvas = Image.new("RGB", size, (255, 255, 255))
        else:
            canvas = make_background(size, self.brand)
        boxes = layout_boxes(layout, self._logo is not None)
        out = RenderedImage(canvas, meta={"layout": layout.kind, "truncated": [], "fonts": {}})
        if item.image is not None:
            photo = trim_white(item.image) if marketplace else item.image
            out.boxes["product"] = place_product(canvas, photo, boxes["product"])
            pw, ph = (
                (out.boxes["product"][2] - out.boxes["product"][0]),
                (out.boxes["product"][3] - out.boxes["product"][1]),
            )
            out.meta["product_source_size"] = list(photo.size)
            out.meta["product_fill"] = round(max(pw / size[0], ph / size[1]), 4)
        else:
            out.meta["text_only"] = True
        if marketplace:
            if item.image is not None:  # channels want a white ground; a lifestyle photo keeps its own
                out.meta["photo_background_white"] = border_is_white(item.image)
            return out
        self._draw_texts(canvas, item, boxes, out, text_only=item.image is None)
        return out

    def _draw_texts(
        self,
        canvas: Image.Image,
        item: CreativeItem,
        boxes: dict[str, Box],
        out: RenderedImage,
        text_only: bool,
    ) -> None:
        draw = ImageDraw.Draw(canvas)
        bg = canvas.getpixel(((boxes["headline"][0] + boxes["headline"][2]) // 2, boxes["headline"][1]))
        ink = contrast_text(bg[:3])
        accent = hex_rgb(self.brand.colors[1] if len(self.brand.colors) > 1 else "#F59E0B")
        head_box = boxes["headline"]
        if text_only:  # no photo: the headline takes the product's space too
            head_box = (head_box[0], head_box[1], head_box[2], boxes["product"][3])
        self._text(draw, "headline", item.headline, head_box, out, ink, max_lines=6 if text_only else 4)
        if item.price:
            pbox = boxes["price"]
            if item.compare_at:
                split = pbox[0] + round((pbox[2] - pbox[0]) * 0.55)
                self._text(draw, "price", item.price, (pbox[0], pbox[1], split - 4, pbox[3]), out, ink)
                tb = self._text(
                    draw, "compare_at", item.compare_at, (split, pbox[1], pbox[2], pbox[3]), out, ink
                )
                mid = (tb[1] + tb[3]) // 2
                draw.line([(tb[0], mid), (tb[2], mid)], fill=ink, width=max(1, (tb[3] - tb[1]) // 10))
                out.meta["strikethrough"] = True
            else:
                self._text(draw, "price", item.price, pbox, out, ink)
        cbox = boxes["cta"]
        radius = max(2, (cbox[3] - cbox[1]) // 4)
        draw.rounded_rectangle(cbox, radius=radius, fill=accent)
        out.boxes["cta_button"] = cbox
        pad_x, pad_y = max(2, (cbox[2] - cbox[0]) // 12), max(1, (cbox[3] - cbox[1]) // 6)
        inner = (cbox[0] + pad_x, cbox[1] + pad_y, cbox[2] - pad_x, cbox[3] - pad_y)
        self._text(draw, "cta", item.cta, inner, out, contrast_text(accent), align="center", max_lines=1)
        if self._logo is not None and "logo" in boxes:
            placed = fit_contain(self._logo.size, boxes["logo"])
            placed = (boxes["logo"][0], placed[1], boxes["logo"][0] + placed[2] - placed[0], placed[3])
            logo = self._logo.resize((placed[2] - placed[0], placed[3] - placed[1]), Image.Resampling.LANCZOS)
            canvas.paste(logo.convert("RGB"), placed[:2], logo.getchannel("A"))
            out.boxes["logo"] = placed

    def _text(
        self,
        draw: ImageDraw.ImageDraw,
        role: str,
        text: str,
        box: Box,
        out: RenderedImage,
        fill: Any,
        align: str = "left",
        max_lines: int = 4,
    ) -> Box:
        path = font_for(text, self.brand.font_path, self.brand.font_path_cjk)
        max_size = max(10, round((box[3] - box[1]) * (0.9 if max_lines == 1 else 0.45)))
        font, lines, truncated = fit_text(draw, text, path, box, max_size=max_size, max_lines=max_lines)
        ink = draw_text_block(draw, lines, font, box, fill, align=align)
        out.boxes[role] = box
        out.text_boxes[role] = ink
        out.meta["fonts"][role] = {"path": path, "size": font.size, "lines": len(lines)}
        if truncated:
            out.meta["truncated"].append(role)
            log.warning(
                "%s text %r did not fit %s at the smallest size; cut with an ellipsis", role, text, box
            )
        return ink


def contact_sheet(images: Sequence[tuple[str, Image.Image]], cell: int = 320) -> Image.Image:
    """One review image per product: every creative as a labelled thumbnail on a grid."""
    cols = min(4, max(1, len(images)))
    rows = max(1, (len(images) + cols - 1) // cols)
    label_h = 22
    sheet = Image.new("RGB", (cols * cell, rows * (cell + label_h)), (240, 240, 240))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(14)
    for i, (label, im) in enumerate(images):
        x, y = (i % cols) * cell, (i // cols) * (cell + label_h)
        thumb = im.convert("RGB").copy()
        thumb.thumbnail((cell - 8, cell - 8))
        sheet.paste(thumb, (x + (cell - thumb.width) // 2, y + (cell - thumb.height) // 2))
        draw.text((x + 4, y + cell + 2), label[:40], fill=(20, 20, 20), font=font)
    return sheet
