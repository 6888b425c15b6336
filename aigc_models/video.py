"""The video backend interface, and the one H.264 writer every video backend uses.

Clips are written with the ffmpeg binary that `imageio-ffmpeg` ships (libx264, yuv420p, faststart),
so they play in browsers, ad managers and phones without a system ffmpeg.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigc_models.image import BrandStyle, CreativeItem, Layout


@dataclass
class RenderedVideo:
    path: Path
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float
    meta: dict[str, Any] = field(default_factory=dict)


class VideoGenerator(ABC):
    """Makes one short clip per product item into `out_dir`; failures come back per item."""

    name: str = "abstract"
    model_id: str | None = None

    @abstractmethod
    def clips(
        self, items: Sequence[CreativeItem], layout: Layout, out_dir: Path, *, seed: int = 0
    ) -> list[RenderedVideo | Exception]: ...

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model_id": self.model_id}


def write_mp4(frames: Iterable[Any], path: Path, size: tuple[int, int], fps: float, crf: int = 23) -> int:
    """Encode RGB frames (PIL images or HxWx3 uint8 arrays of `size`) to H.264 yuv420p; frame count."""
    import imageio_ffmpeg
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = imageio_ffmpeg.write_frames(
        str(path),
        size,
        fps=fps,
        codec="libx264",
        pix_fmt_in="rgb24",
        pix_fmt_out="yuv420p",
        macro_block_size=2,
        quality=None,
        ffmpeg_log_level="error",
        output_params=["-preset", "veryfast", "-crf", str(crf), "-movflags", "+faststart"],
    )
    writer.send(None)
    n = 0
    try:
        for frame in frames:
            arr = np.asarray(frame, dtype=np.uint8)
            if arr.shape[:2] != (size[1], size[0]):
                raise ValueError(f"frame {n} is {arr.shape[1]}x{arr.shape[0]}, expected {size[0]}x{size[1]}")
            writer.send(np.ascontiguousarray(arr[..., :3]))
            n += 1
    finally:
        writer.close()
    return n


def probe_mp4(path: Path) -> dict[str, Any]:
    """Frame count, duration, fps, size and codec as ffmpeg reads them back."""
    import imageio_ffmpeg

    frames, secs = imageio_ffmpeg.count_frames_and_secs(str(path))
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    reader.close()
    return {
        "frames": frames,
        "duration_s": secs,
        "fps": meta.get("fps"),
        "size": list(meta.get("size", ())),
        "codec": meta.get("codec"),
        "pix_fmt": meta.get("pix_fmt"),
    }


def get_video_generator(
    model_settings: Any, brand: BrandStyle | None = None, **options: Any
) -> VideoGenerator:
    """diffusers when `video_model` is set, else the CPU pan-and-zoom clip maker."""
    model = getattr(model_settings, "video_model", None)
    if model:
        from aigc_models.video_diffusers import DiffusersVideoGenerator

        keys = ("generation_size", "frames", "inference_steps", "guidance_scale", "scene_prompt")
        return DiffusersVideoGenerator(
            model,
            device=getattr(model_settings, "device", "auto"),
            dtype=getattr(model_settings, "dtype", "auto"),
            **{k: v for k, v in options.items() if k in keys},
        )
    from aigc_models.video_cpu import CpuVideoGenerator

    cpu_opts = {k: v for k, v in options.items() if k in ("seconds", "fps")}
    return CpuVideoGenerator(brand=brand, **cpu_opts)
