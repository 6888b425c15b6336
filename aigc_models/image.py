"""The image backend interface: every image generator makes the same creatives from the same inputs.

Flows and tasks receive an `ImageGenerator` and never know whether Pillow alone (the CPU default)
or a diffusers pipeline made the background. Either way the product photo is placed by the
compositor with a single resize, so its pixels are the merchant's, never a model's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

LayoutKind = Literal["feed", "wide", "tall", "marketplace"]


@dataclass(frozen=True)
class Layout:
    """Pixel size and arrangement of one creative; `safe_top`/`safe_bottom` keep text off app UI."""

    name: str
    width: int
    height: int
    kind: LayoutKind = "feed"
    safe_top: float = 0.0
    safe_bottom: float = 0.0


@dataclass
class CreativeItem:
    """What one product contributes to a creative. `image` is a decoded PIL image or None."""

    sku: str
    headline: str
    price: str | None = None
    compare_at: str | None = None
    cta: str = "Shop now"
    language: str = "en"
    image: Any = None
    extra_images: list[Any] = field(default_factory=list)
    prompt: str = ""


@dataclass
class RenderedImage:
    """A rendered creative before encoding, with where each element landed (x0, y0, x1, y1)."""

    image: Any
    boxes: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    text_boxes: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class BrandStyle:
    """The brand kit as the renderer needs it (colours as hex, optional font and logo files)."""

    colors: list[str] = field(default_factory=lambda: ["#1F2937", "#F59E0B", "#FFFFFF"])
    font_path: str | None = None
    font_path_cjk: str | None = None
    logo_path: str | None = None
    background: str = "gradient"

    @classmethod
    def from_brand_kit(cls, kit: Any, background: str = "gradient") -> BrandStyle:
        return cls(
            colors=list(kit.colors) or cls().colors,
            font_path=kit.font_path,
            font_path_cjk=kit.font_path_cjk,
            logo_path=kit.logo_path,
            background=background,
        )


class ImageGenerator(ABC):
    """Makes banners (layout + text) and scenes (product on a background, no text), batched and seeded."""

    name: str = "abstract"
    model_id: str | None = None

    @abstractmethod
    def banners(
        self, items: Sequence[CreativeItem], layout: Layout, *, seed: int = 0
    ) -> list[RenderedImage | Exception]:
        """One banner per item; a failed item yields its exception instead of failing the batch."""

    @abstractmethod
    def scenes(
        self, items: Sequence[CreativeItem], layout: Layout, *, seed: int = 0
    ) -> list[RenderedImage | Exception]:
        """The product on a (generated) background with no text, product pixels unchanged."""

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model_id": self.model_id}


def get_image_generator(
    model_settings: Any, brand: BrandStyle | None = None, **options: Any
) -> ImageGenerator:
    """diffusers when `image_model` is set (hub id or local path), else the Pillow compositor."""
    brand = brand or BrandStyle()
    model = getattr(model_settings, "image_model", None)
    if model:
        from aigc_models.image_diffusers import DiffusersImageGenerator

        keys = ("generation_size", "inference_steps", "guidance_scale", "scene_prompt")

        return DiffusersImageGenerator(
            model,
            brand=brand,
            device=getattr(model_settings, "device", "auto"),
            dtype=getattr(model_settings, "dtype", "auto"),
            batch_size=getattr(model_settings, "batch_size", 4),
            **{k: v for k, v in options.items() if k in keys},
        )
    from aigc_models.image_compositor import CompositorImageGenerator

    return CompositorImageGenerator(brand=brand)
