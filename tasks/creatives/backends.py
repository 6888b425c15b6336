"""The creative backends chosen from settings, in one place for the creatives flow and the daily pipeline."""

from __future__ import annotations

from typing import Any


def make_generators(settings: Any, want_video: bool) -> tuple[Any, Any]:
    """Image and video backends from settings, with the [creatives] knobs (size, steps, frames, CTA look)."""
    from aigc_models.image import BrandStyle, get_image_generator
    from aigc_models.video import get_video_generator

    c = settings.creatives
    brand = BrandStyle.from_brand_kit(settings.content.brand, background=c.background)
    opts = {
        "generation_size": c.generation_size,
        "inference_steps": c.inference_steps,
        "guidance_scale": c.guidance_scale,
        "scene_prompt": c.scene_prompt,
    }
    image_gen = get_image_generator(settings.models, brand, **opts)
    video_gen = None
    if want_video:
        video_gen = get_video_generator(
            settings.models,
            brand,
            seconds=c.video_seconds,
            fps=c.video_fps,
            frames=c.video_frames,
            generation_size=c.generation_size,
            inference_steps=c.inference_steps,
            scene_prompt=c.scene_prompt,
        )
    return image_gen, video_gen
