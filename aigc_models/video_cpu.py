"""The CPU video backend: a pan-and-zoom clip over the product's photos with caption cards.

Each photo is scaled once to cover the frame with zoom headroom; every frame is then a single
`resize(box=...)` of a moving crop straight to the target size, so a 1080x1920 clip costs one
resample per frame. The caption band is rendered once and pasted with its mask. The clip ends on
an end card (the compositor's banner: price, compare-at price and call to action).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from aigc_models.fonts import font_for
from aigc_models.image import BrandStyle, CreativeItem, Layout
from aigc_models.image_compositor import CompositorImageGenerator, draw_text_block, fit_text
from aigc_models.video import RenderedVideo, VideoGenerator, probe_mp4, write_mp4
from tasks.errors import GenerationError

ZOOM = 1.15
END_CARD_S = 2.0
MAX_PHOTOS = 3


class CpuVideoGenerator(VideoGenerator):
    name = "ffmpeg_panzoom"
    model_id = None

    def __init__(self, brand: BrandStyle | None = None, seconds: float = 8.0, fps: int = 24) -> None:
        if not 6 <= seconds <= 15:
            raise GenerationError(f"clip length {seconds}s is outside 6-15 s; set creatives.video_seconds")
        if fps not in (24, 30):
            raise GenerationError(f"fps {fps} is not 24 or 30; set creatives.video_fps")
        self.brand = brand or BrandStyle()
        self.seconds = seconds
        self.fps = fps
        self.compositor = CompositorImageGenerator(self.brand)

    def describe(self) -> dict:
        return {
            "backend": self.name,
            "model_id": None,
            "seconds": self.seconds,
            "fps": self.fps,
            "version": "1",
        }

    def clips(self, items: Sequence[CreativeItem], layout: Layout, out_dir: Path, *, seed: int = 0):
        results: list[RenderedVideo | Exception] = []
        for item in items:
            try:
                results.append(self.clip(item, layout, Path(out_dir) / f"{item.sku}-{layout.name}.mp4"))
            except (GenerationError, OSError, ValueError) as exc:
                results.append(exc if isinstance(exc, GenerationError) else GenerationError(str(exc)))
        return results

    def clip(self, item: CreativeItem, layout: Layout, path: Path) -> RenderedVideo:
        t0 = time.perf_counter()
        size = (layout.width, layout.height)
        total = round(self.seconds * self.fps)
        end_frames = round(END_CARD_S * self.fps) if item.image is not None else total
        photos = [p for p in [item.image, *item.extra_images] if p is not None][:MAX_PHOTOS]
        end_card = self.compositor.compose(item, layout).image
        band = self._caption_band(item.headline, size)

        def frames() -> Iterator[Image.Image]:
            body = total - end_frames
            per = [body // len(photos) + (1 if i < body % len(photos) else 0) for i in range(len(photos))]
            for i, (photo, n) in enumerate(zip(photos, per, strict=True)):
                yield from self._pan_zoom(photo, size, n, reverse=bool(i % 2), band=band if i == 0 else None)
            for _ in range(end_frames):
                yield end_card

        written = write_mp4(frames(), path, size, self.fps)
        probe = probe_mp4(path)
        return RenderedVideo(
            path=path,
            width=size[0],
            height=size[1],
            fps=self.fps,
            frames=written,
            duration_s=written / self.fps,
            meta={"photos": len(photos), "render_s": round(time.perf_counter() - t0, 3), "probe": probe},
        )

    @staticmethod
    def _pan_zoom(
        photo: Image.Image, size: tuple[int, int], n: int, reverse: bool, band: tuple | None
    ) -> Iterator[Image.Image]:
        """n frames zooming from the whole cover crop to 1/ZOOM of it, drifting across the photo."""
        w, h = size
        cover = max(w * ZOOM / photo.width, h * ZOOM / photo.height)
        src = photo.convert("RGB").resize(
            (max(w, round(photo.width * cover)), max(h, round(photo.height * cover))),
            Image.Resampling.LANCZOS,
        )
        sw, sh = src.size
        cw0, ch0 = (sh * w / h, sh) if sw / sh > w / h else (sw, sw * h / w)
        for k in range(n):
            t = k / max(1, n - 1)
            t = 1 - t if reverse else t
            z = 1 + (ZOOM - 1) * t
            cw, ch = cw0 / z, ch0 / z
            x0, y0 = (sw - cw) * (0.3 + 0.4 * t), (sh - ch) * 0.5
            frame = src.resize(size, Image.Resampling.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch))
            if band is not None:
                frame.paste(band[0], band[2], band[1])
            yield frame

    def _caption_band(
        self, text: str, size: tuple[int, int]
    ) -> tuple[Image.Image, Image.Image, tuple[int, int]]:
        """The headline on a translucent dark strip in the lower third (RGB, mask, position)."""
        w, h = size
        bh = round(h * 0.14)
        top = round(h * 0.68)
        rgb = Image.new("RGB", (w, bh), (15, 15, 20))
        mask = Image.new("L", (w, bh), 170)
        m = round(w * 0.06)
        box = (m, round(bh * 0.1), w - m, bh - round(bh * 0.1))
        draw = ImageDraw.Draw(rgb)
        path = font_for(text, self.brand.font_path, self.brand.font_path_cjk)
        font, lines, _ = fit_text(draw, text, path, box, max_size=round(bh * 0.35), max_lines=3)
        draw_text_block(draw, lines, font, box, (255, 255, 255), align="center")
        mdraw = ImageDraw.Draw(mask)
        draw_text_block(mdraw, lines, font, box, 255, align="center")
        return rgb, mask, (0, top)
