"""The diffusers video backend: text-to-video (WanPipeline) or image-to-video (WanImageToVideoPipeline).

Whatever the model folder's `model_index.json` names is loaded with `DiffusionPipeline`, once per
process. Image-to-video pipelines get the product photo fitted onto the first frame; text-to-video
pipelines get a prompt built from the product. Wan needs `num_frames = 4k + 1` and sides divisible
by 16; both are rounded here and the values used are reported. Frames are scaled to the format's
size and written as H.264 yuv420p with the same writer as the CPU backend.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from aigc_models.device import cached, select_device, select_dtype
from aigc_models.image import CreativeItem, Layout
from aigc_models.image_compositor import fit_contain
from aigc_models.video import RenderedVideo, VideoGenerator, probe_mp4, write_mp4
from tasks.errors import ConfigError, GenerationError


def valid_num_frames(n: int) -> int:
    """Nearest 4k+1 >= 5 (Wan's VAE compresses time by 4 after the first frame)."""
    return max(5, 4 * round((n - 1) / 4) + 1)


def video_generation_size(layout: Layout, long_side: int, multiple: int = 16) -> tuple[int, int]:
    scale = long_side / max(layout.width, layout.height)
    return tuple(
        max(multiple, int(round(v * scale / multiple)) * multiple) for v in (layout.width, layout.height)
    )


class DiffusersVideoGenerator(VideoGenerator):
    name = "diffusers_video"

    def __init__(
        self,
        model: str,
        *,
        device: str = "auto",
        dtype: str = "auto",
        generation_size: int = 832,
        frames: int = 81,
        fps: int = 16,
        inference_steps: int = 30,
        guidance_scale: float = 5.0,
        scene_prompt: str = "product video, slow camera move, studio light",
    ) -> None:
        self.model_id = model
        self.device_pref, self.dtype_pref = device, dtype
        self.long_side = generation_size
        self.frames = valid_num_frames(frames)
        self.fps = fps
        self.steps = inference_steps
        self.guidance = guidance_scale
        self.scene_prompt = scene_prompt

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model_id": self.model_id,
            "frames": self.frames,
            "fps": self.fps,
            "steps": self.steps,
            "generation_size": self.long_side,
        }

    def pipeline(self) -> Any:
        device = select_device(self.device_pref)
        dtype = select_dtype(device, self.dtype_pref)

        def load() -> Any:
            from diffusers import DiffusionPipeline

            try:
                pipe = DiffusionPipeline.from_pretrained(self.model_id, dtype=dtype)
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    f"AIGC_VIDEO_MODEL={self.model_id!r} cannot be loaded as a diffusers pipeline: {exc}"
                ) from None
            pipe.set_progress_bar_config(disable=True)
            return pipe.to(device)

        return cached(("video", self.model_id, device, str(dtype)), load)

    @property
    def image_conditioned(self) -> bool:
        return "ImageToVideo" in type(self.pipeline()).__name__

    def clips(self, items: Sequence[CreativeItem], layout: Layout, out_dir: Path, *, seed: int = 0):
        results: list[RenderedVideo | Exception] = []
        for item in items:  # one clip per call: video latents are the memory-heavy part
            try:
                results.append(self.clip(item, layout, Path(out_dir) / f"{item.sku}-{layout.name}.mp4", seed))
            except (GenerationError, RuntimeError, ValueError) as exc:
                results.append(
                    exc if isinstance(exc, GenerationError) else GenerationError(f"{item.sku}: {exc}")
                )
        return results

    def clip(self, item: CreativeItem, layout: Layout, path: Path, seed: int) -> RenderedVideo:
        import torch

        t0 = time.perf_counter()
        pipe = self.pipeline()
        w, h = video_generation_size(layout, self.long_side)
        kw: dict[str, Any] = {}
        if self.image_conditioned:
            if item.image is None:
                raise GenerationError(f"product {item.sku}: image-to-video needs a product photo")
            first = Image.new("RGB", (w, h), (255, 255, 255))
            box = fit_contain(item.image.size, (0, 0, w, h))
            first.paste(item.image.convert("RGB").resize((box[2] - box[0], box[3] - box[1])), box[:2])
            kw["image"] = first
        out = pipe(
            prompt=f"{item.prompt or item.headline}, {self.scene_prompt}",
            height=h,
            width=w,
            num_frames=self.frames,
            num_inference_steps=self.steps,
            guidance_scale=self.guidance,
            generator=torch.Generator("cpu").manual_seed(seed),
            output_type="np",
            **kw,
        )
        frames = np.asarray(out.frames[0])
        if frames.dtype != np.uint8:
            frames = (np.clip(frames, 0, 1) * 255).round().astype(np.uint8)
        model_s = time.perf_counter() - t0
        size = (layout.width, layout.height)
        scaled = (Image.fromarray(f).resize(size, Image.Resampling.BICUBIC) for f in frames)
        n = write_mp4(scaled, path, size, self.fps)
        return RenderedVideo(
            path=path,
            width=size[0],
            height=size[1],
            fps=self.fps,
            frames=n,
            duration_s=n / self.fps,
            meta={
                "generation_size": [w, h],
                "num_frames": self.frames,
                "image_conditioned": "image" in kw,
                "model_s": round(model_s, 3),
                "probe": probe_mp4(path),
            },
        )
