"""Draw the demo catalog's product images (examples/catalog/images/*.png) with Pillow.

Simple flat product shapes on a white background, 600x600, palette PNGs well under 60 kB, so the
demo has real local image files without shipping anyone's photos. Deterministic: rerunning
produces identical files.

    python scripts/make_sample_images.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 600
OUT = Path(__file__).resolve().parents[1] / "examples" / "catalog" / "images"


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", (SIZE, SIZE), "white")
    d = ImageDraw.Draw(img)
    d.ellipse((120, 500, 480, 540), fill="#E5E7EB")  # floor shadow
    return img, d


def mug(color: str) -> Callable[[], Image.Image]:
    def draw() -> Image.Image:
        img, d = _canvas()
        d.ellipse((370, 230, 480, 400), outline=color, width=26)
        d.rounded_rectangle((150, 170, 410, 510), radius=30, fill=color)
        d.ellipse((150, 150, 410, 200), fill="#F3F4F6", outline=color, width=6)
        return img

    return draw


def pan() -> Image.Image:
    img, d = _canvas()
    d.rounded_rectangle((380, 300, 580, 340), radius=18, fill="#374151")
    d.ellipse((40, 180, 420, 520), fill="#1F2937")
    d.ellipse((70, 205, 390, 495), fill="#4B5563")
    return img


def board() -> Image.Image:
    img, d = _canvas()
    d.rounded_rectangle((110, 140, 490, 500), radius=40, fill="#D6A461")
    for y in range(170, 480, 36):
        d.line((130, y, 470, y + 6), fill="#C18F4E", width=4)
    d.ellipse((270, 160, 330, 200), fill="white")
    return img


def beanie(color: str) -> Callable[[], Image.Image]:
    def draw() -> Image.Image:
        img, d = _canvas()
        d.pieslice((130, 130, 470, 560), 180, 360, fill=color)
        d.rounded_rectangle((120, 330, 480, 430), radius=20, fill=color, outline="#111827", width=4)
        for x in range(140, 470, 30):
            d.line((x, 340, x, 420), fill="#111827", width=3)
        d.ellipse((260, 90, 340, 170), fill=color)
        return img

    return draw


def tote() -> Image.Image:
    img, d = _canvas()
    d.arc((200, 60, 400, 300), 180, 360, fill="#92400E", width=18)
    d.polygon([(130, 200), (470, 200), (500, 520), (100, 520)], fill="#E7D8B8")
    d.rectangle((230, 330, 370, 400), fill="#1F2937")
    return img


def cushion() -> Image.Image:
    img, d = _canvas()
    d.rounded_rectangle((110, 120, 490, 500), radius=70, fill="#9CA3AF")
    d.rounded_rectangle((140, 150, 460, 470), radius=55, outline="#6B7280", width=6)
    return img


def candle() -> Image.Image:
    img, d = _canvas()
    d.rectangle((200, 230, 400, 510), fill="#FDE68A")
    d.ellipse((200, 205, 400, 255), fill="#FEF3C7", outline="#F59E0B", width=4)
    d.line((300, 230, 300, 180), fill="#111827", width=5)
    d.ellipse((282, 110, 318, 185), fill="#F97316")
    d.rectangle((200, 330, 400, 400), fill="#065F46")
    return img


def throw() -> Image.Image:
    img, d = _canvas()
    colors = ["#B91C1C", "#F5F5F4", "#1E3A8A", "#F5F5F4"]
    for i, y in enumerate(range(160, 500, 40)):
        d.rectangle((90, y, 510, y + 40), fill=colors[i % len(colors)])
    d.rectangle((90, 160, 510, 500), outline="#111827", width=4)
    for x in range(100, 510, 20):
        d.line((x, 500, x, 525), fill="#B91C1C", width=4)
    return img


IMAGES: dict[str, Callable[[], Image.Image]] = {
    "stoneware-mug-sage.png": mug("#84A98C"),
    "stoneware-mug-clay.png": mug("#C2703D"),
    "cast-iron-skillet.png": pan,
    "acacia-cutting-board.png": board,
    "merino-beanie-charcoal.png": beanie("#374151"),
    "merino-beanie-mustard.png": beanie("#D4A017"),
    "canvas-market-tote.png": tote,
    "linen-cushion-cover.png": cushion,
    "soy-candle-fir.png": candle,
    "wool-picnic-throw.png": throw,
}


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, draw in IMAGES.items():
        img = draw().quantize(colors=32, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        path = out / name
        img.save(path, optimize=True)
        print(f"{path} {path.stat().st_size // 1024} kB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
