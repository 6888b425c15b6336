"""The diffusers image backend: generated backgrounds and inpainting around an unchanged product.

Banners: text-to-image makes a scene background per product; the compositor then lays out the
product photo (one resize, pasted), headline, price and call to action on it. Scenes: the product
is placed on a canvas, everything outside its mask (alpha channel, else a near-white background
removal) is inpainted, and the original product pixels are composited back at the final size, so
the product's shape, colour and label are exactly the merchant's photo.

The text-to-image pipeline is loaded once per process (`cached`) and the inpainting pipeline
reuses its weights via `AutoPipelineForInpainting.from_pipe`. A safety checker shipped with the
model stays on; flagged outputs become per-item failures.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from aigc_models.device import cached, select_device, select_dtype
from aigc_models.image import BrandStyle, CreativeItem, ImageGenerator, Layout, RenderedImage
from aigc_models.image_compositor import CompositorImageGenerator, fit_contain
from tasks.errors import ConfigError, GenerationError

log = logging.getLogger(__name__)

SCENE_PRODUCT_FRACTION = 0.62
NEGATIVE = "text, watermark, logo, low quality, blurry, distorted"


def product_mask(photo: Image.Image, white: int = 235) -> Image.Image:
    """L mask, 255 on the product: the alpha channel, or everything but the near-white background
    connected to the border (largest remaining component); the whole photo when nothing is white."""
    if photo.mode == "RGBA":
        return photo.getchannel("A").point(lambda v: 255 if v >= 128 else 0)
    from scipy import ndimage

    small = photo.convert("RGB")
    small.thumbnail((512, 512))  # the mask is found at <= 512 px, then scaled back (nearest)
    rgb = np.asarray(small)
    bright = (rgb >= white).all(axis=2)
    labels, _ = ndimage.label(bright)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    background = np.isin(labels, border[border > 0])
    fg_labels, n = ndimage.label(~background)
    if n == 0:
        return Image.new("L", photo.size, 255)
    sizes = ndimage.sum(np.ones_like(fg_labels), fg_labels, index=range(1, n + 1))
    keep = fg_labels == (int(np.argmax(sizes)) + 1)
    if keep.mean() < 0.01:
        return Image.new("L", photo.size, 255)
    return Image.fromarray((keep * 255).astype(np.uint8), "L").resize(photo.size, Image.Resampling.NEAREST)


def generation_size(layout: Layout, long_side: int, multiple: int = 64) -> tuple[int, int]:
    """The layout's aspect at `long_side`, rounded to what the UNet/VAE accept."""
    scale = long_side / max(layout.width, layout.height)

    def r(v: float) -> int:
        return max(multiple, int(round(v * scale / multiple)) * multiple)

    return r(layout.width), r(layout.height)


class DiffusersImageGenerator(ImageGenerator):
    name = "diffusers"

    def __init__(
        self,
        model: str,
        *,
        brand: BrandStyle | None = None,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 4,
        generation_size: int = 512,
        inference_steps: int = 30,
        guidance_scale: float = 7.0,
        scene_prompt: str = "product photography, clean studio backdrop, soft light",
    ) -> None:
        self.model_id = model
        self.brand = brand or BrandStyle()
        self.device_pref, self.dtype_pref = device, dtype
        self.batch_size = batch_size
        self.long_side = generation_size
        self.steps = inference_steps
        self.guidance = guidance_scale
        self.scene_prompt = scene_prompt
        self.compositor = CompositorImageGenerator(self.brand)

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model_id": self.model_id,
            "steps": self.steps,
            "guidance_scale": self.guidance,
            "generation_size": self.long_side,
            "scene_prompt": self.scene_prompt,
            "compositor": self.compositor.describe(),
        }

    # ------------------------------------------------------------ loading

    def _device_dtype(self) -> tuple[str, Any]:
        device = select_device(self.device_pref)
        return device, select_dtype(device, self.dtype_pref)

    def text2img(self) -> Any:
        device, dtype = self._device_dtype()

        def load() -> Any:
            from diffusers import AutoPipelineForText2Image

            try:
                pipe = AutoPipelineForText2Image.from_pretrained(self.model_id, dtype=dtype)
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    f"AIGC_IMAGE_MODEL={self.model_id!r} cannot be loaded as a diffusers text-to-image "
                    f"pipeline: {exc}. Use a hub id or a folder written by save_pretrained."
                ) from None
            pipe.set_progress_bar_config(disable=True)
            return pipe.to(device)

        return cached(("image_t2i", self.model_id, device, str(dtype)), load)

    def inpaint(self) -> Any:
        device, dtype = self._device_dtype()
        base = self.text2img()  # outside `cached`: its lock is not re-entrant

        def load() -> Any:
            from diffusers import AutoPipelineForInpainting

            pipe = AutoPipelineForInpainting.from_pipe(base)
            pipe.set_progress_bar_config(disable=True)
            return pipe

        return cached(("image_inpaint", self.model_id, device, str(dtype)), load)

    # ------------------------------------------------------------ one call per batch

    def _prompts(self, items: Sequence[CreativeItem]) -> list[str]:
        return [f"{it.prompt or it.headline}, {self.scene_prompt}" for it in items]

    def _run(
        self, pipe: Any, items: Sequence[CreativeItem], seed: int, **kw: Any
    ) -> list[Image.Image | Exception]:
        import torch

        out: list[Image.Image | Exception] = []
        for start in range(0, len(items), self.batch_size):
            chunk = items[start : start + self.batch_size]
            call = {
                k: (v[start : start + self.batch_size] if isinstance(v, list) else v) for k, v in kw.items()
            }
            gens = [torch.Generator("cpu").manual_seed(seed) for _ in chunk]
            try:
                res = pipe(
                    prompt=self._prompts(chunk),
                    negative_prompt=[NEGATIVE] * len(chunk),
                    num_inference_steps=self.steps,
                    guidance_scale=self.guidance,
                    generator=gens,
                    **call,
                )
            except (RuntimeError, ValueError) as exc:  # OOM, bad size: fail this chunk, keep the batch
                out.extend(GenerationError(f"{self.model_id}: {exc}") for _ in chunk)
                continue
            flags = getattr(res, "nsfw_content_detected", None) or [False] * len(chunk)
            for img, flagged, it in zip(res.images, flags, chunk, strict=True):
                out.append(
                    GenerationError(f"product {it.sku}: the model's safety checker flagged the image")
                    if flagged
                    else img
                )
        return out

    # ------------------------------------------------------------ the interface

    def banners(self, items: Sequence[CreativeItem], layout: Layout, *, seed: int = 0):
        if layout.kind == "marketplace":  # white background, no generation
            return self.compositor.banners(items, layout, seed=seed)
        t0 = time.perf_counter()
        w, h = generation_size(layout, self.long_side)
        backgrounds = self._run(self.text2img(), items, seed, height=h, width=w)
        per_item = (time.perf_counter() - t0) / max(1, len(items))
        results: list[RenderedImage | Exception] = []
        for item, bg in zip(items, backgrounds, strict=True):
            if isinstance(bg, Exception):
                results.append(bg)
                continue
            try:
                r = self.compositor.compose(item, layout, background=bg)
            except GenerationError as exc:
                results.append(exc)
                continue
            r.meta.update(self._meta(w, h, seed, per_item, safety=self._has_safety()))
            results.append(r)
        return results

    def scenes(self, items: Sequence[CreativeItem], layout: Layout, *, seed: int = 0):
        """Inpaint around the product; the product's own pixels are pasted back at the final size."""
        t0 = time.perf_counter()
        W, H = layout.width, layout.height
        w, h = generation_size(layout, self.long_side)
        plans: list[dict[str, Any] | Exception] = []
        for item in items:
            if item.image is None:
                plans.append(GenerationError(f"product {item.sku}: a scene needs a product photo"))
                continue
            margin = (1 - SCENE_PRODUCT_FRACTION) / 2
            box = fit_contain(
                item.image.size,
                (round(W * margin), round(H * margin), round(W * (1 - margin)), round(H * (1 - margin))),
            )
            size = (box[2] - box[0], box[3] - box[1])
            photo = item.image.resize(size, Image.Resampling.LANCZOS).convert("RGB")
            mask = product_mask(item.image).resize(size, Image.Resampling.NEAREST)
            canvas = Image.new("RGB", (W, H), (127, 127, 127))
            canvas.paste(photo, box[:2], mask)
            keep = Image.new("L", (W, H), 0)
            keep.paste(mask, box[:2])
            repaint = keep.point(lambda v: 0 if v else 255)
            plans.append(
                {
                    "box": box,
                    "photo": photo,
                    "mask": mask,
                    "image": canvas.resize((w, h), Image.Resampling.BICUBIC),
                    "mask_image": repaint.resize((w, h), Image.Resampling.NEAREST),
                }
            )
        ok = [(it, p) for it, p in zip(items, plans, strict=True) if not isinstance(p, Exception)]
        generated: list[Image.Image | Exception] = []
        if ok:
            generated = self._run(
                self.inpaint(),
                [it for it, _ in ok],
                seed,
                image=[p["image"] for _, p in ok],
                mask_image=[p["mask_image"] for _, p in ok],
                height=h,
                width=w,
                strength=1.0,
            )
        per_item = (time.perf_counter() - t0) / max(1, len(items))
        gen_iter = iter(generated)
        results: list[RenderedImage | Exception] = []
        for plan in plans:
            if isinstance(plan, Exception):
                results.append(plan)
                continue
            img = next(gen_iter)
            if isinstance(img, Exception):
                results.append(img)
                continue
            final = img.convert("RGB").resize((W, H), Image.Resampling.BICUBIC)
            final.paste(plan["photo"], plan["box"][:2], plan["mask"])
            r = RenderedImage(
                final, boxes={"product": plan["box"]}, meta={"layout": "scene", "product_mask": True}
            )
            r.meta["product_mask_fraction"] = round(float(np.asarray(plan["mask"]).mean() / 255), 4)
            r.meta.update(self._meta(w, h, seed, per_item, safety=self._has_safety()))
            r.meta["mask_image"] = plan["mask"]
            results.append(r)
        return results

    def _has_safety(self) -> bool:
        return getattr(self.text2img(), "safety_checker", None) is not None

    def _meta(self, w: int, h: int, seed: int, seconds: float, safety: bool) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model_id": self.model_id,
            "generation_size": [w, h],
            "steps": self.steps,
            "guidance_scale": self.guidance,
            "seed": seed,
            "safety_checker": safety,
            "model_s": round(seconds, 4),
        }
