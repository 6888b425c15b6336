"""The Pillow compositor on the real Rawhide product photos, in every image format."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aigc_models.fonts import find_cjk_font
from aigc_models.image import BrandStyle, CreativeItem
from aigc_models.image_compositor import CompositorImageGenerator, load_product_image
from tasks.creatives.formats import IMAGE_FORMATS, PRESETS, encode_image, resolve_formats
from tasks.models import Product

G = "{http://base.google.com/ns/1.0}"


def rawhide_products(catalogs: Path) -> list[Product]:
    """Products from the real Rawhide GMC feed, image links resolved to the photos in images/."""
    from lxml import etree

    feed = catalogs / "rawhide" / "google-merchant-feed.xml"
    images = catalogs / "rawhide" / "images"
    out = []
    for row, item in enumerate(etree.parse(str(feed)).iter("item"), start=1):
        name = Path(item.findtext(f"{G}image_link")).name
        refs = [str(images / name)]
        second = images / name.replace(".jpg", "-2.jpg")
        if second.is_file():
            refs.append(str(second))
        amount, currency = item.findtext(f"{G}price").split()
        out.append(
            Product(
                sku=item.findtext(f"{G}id"),
                title=item.findtext(f"{G}title"),
                description=item.findtext(f"{G}description") or "",
                brand=item.findtext(f"{G}brand"),
                price=Decimal(amount),
                currency=currency,
                images=refs,
                source_file=str(feed),
                source_row=row,
            )
        )
    return out


@pytest.fixture(scope="module")
def products(catalogs: Path) -> list[Product]:
    return rawhide_products(catalogs)


@pytest.fixture(scope="module")
def items(products: list[Product]) -> list[CreativeItem]:
    out = []
    for i, p in enumerate(products):
        photo = load_product_image(Path(p.images[0]).read_bytes())
        sale = i % 2 == 0
        out.append(
            CreativeItem(
                sku=p.sku,
                headline=p.title,
                price=f"${p.price * Decimal('0.8'):.2f}" if sale else f"${p.price:.2f}",
                compare_at=f"${p.price:.2f}" if sale else None,
                image=photo,
            )
        )
    return out


def inside(inner, outer) -> bool:
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def assert_product_pixels_unchanged(rendered, photo: Image.Image) -> None:
    box = rendered.boxes["product"]
    expected = photo.resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.LANCZOS)
    placed = rendered.image.crop(box)
    assert np.array_equal(np.asarray(placed), np.asarray(expected.convert("RGB")))


def test_rawhide_feed_has_photos(products: list[Product]) -> None:
    assert len(products) == 11
    assert all(Path(p.images[0]).is_file() for p in products)


@pytest.mark.parametrize("fmt_name", IMAGE_FORMATS)
def test_every_format_on_real_photos(items: list[CreativeItem], fmt_name: str) -> None:
    fmt = PRESETS[fmt_name]
    gen = CompositorImageGenerator(BrandStyle())
    rendered = gen.banners(items[:4], fmt.to_layout())
    for item, r in zip(items[:4], rendered, strict=True):
        assert not isinstance(r, Exception), r
        assert r.image.size == (fmt.width, fmt.height)
        assert_product_pixels_unchanged(r, item.image)
        data, meta = encode_image(r.image, fmt)
        if fmt.max_bytes:
            assert len(data) <= fmt.max_bytes
        back = Image.open(io.BytesIO(data))
        assert back.size == (fmt.width, fmt.height)
        assert back.format == {"jpeg": "JPEG", "webp": "WEBP", "png": "PNG"}[fmt.encoding]
        if fmt.layout == "marketplace":
            assert r.text_boxes == {}
            assert r.meta["product_fill"] >= 0.85
            assert r.meta["photo_background_white"] is False  # Rawhide's photos are lifestyle shots
            corners = [back.convert("RGB").getpixel(xy) for xy in [(2, 2), (fmt.width - 3, fmt.height - 3)]]
            assert all(min(c) >= 245 for c in corners)
            continue
        for role in ("headline", "price", "cta"):
            assert inside(r.text_boxes[role], r.boxes[role]), (role, r.text_boxes[role], r.boxes[role])
            assert inside(r.boxes[role], (0, 0, fmt.width, fmt.height))
        assert not inside(r.boxes["product"], r.boxes["headline"])
        if item.compare_at:
            assert r.meta.get("strikethrough")
            assert inside(r.text_boxes["compare_at"], r.boxes["compare_at"])


def test_long_headline_shrinks_and_wraps_then_ellipsis(items: list[CreativeItem]) -> None:
    gen = CompositorImageGenerator()
    fmt = PRESETS["iab_728x90"]
    short = gen.compose(CreativeItem("s", "Belt", "$10.00", image=items[0].image), fmt.to_layout())
    long_text = " ".join(["Hand-stamped English bridle leather"] * 12)
    long = gen.compose(CreativeItem("l", long_text, "$10.00", image=items[0].image), fmt.to_layout())
    assert long.meta["fonts"]["headline"]["size"] < short.meta["fonts"]["headline"]["size"]
    assert long.meta["fonts"]["headline"]["lines"] > 1
    assert "headline" in long.meta["truncated"]
    assert inside(long.text_boxes["headline"], long.boxes["headline"])


def test_chinese_headline_renders_with_cjk_font(items: list[CreativeItem]) -> None:
    font = find_cjk_font()
    if font is None:
        pytest.skip("no CJK font installed: apt-get install fonts-wqy-zenhei (or fonts-noto-cjk)")
    gen = CompositorImageGenerator()
    fmt = PRESETS["square"]
    r = gen.compose(
        CreativeItem(
            "zh", "手工皮革消防员对讲机背带，含皮套与防摆带", "¥799.00", cta="立即购买", image=items[0].image
        ),
        fmt.to_layout(),
    )
    assert r.meta["fonts"]["headline"]["path"] == font
    assert r.meta["fonts"]["cta"]["path"] == font
    box = r.text_boxes["headline"]
    assert box[2] - box[0] > 100 and inside(box, r.boxes["headline"])
    # real glyphs, not empty boxes: the headline region has many ink pixels of the text colour
    region = np.asarray(r.image.crop(box).convert("L"))
    assert (region > 200).mean() > 0.05


def test_cjk_missing_font_is_a_clear_error(items: list[CreativeItem]) -> None:
    from aigc_models.fonts import CjkFontMissing

    gen = CompositorImageGenerator(BrandStyle(font_path_cjk="/nonexistent/cjk.ttf"))
    out = gen.banners(
        [CreativeItem("zh", "皮革背带", "¥1", image=items[0].image)], PRESETS["square"].to_layout()
    )
    assert isinstance(out[0], CjkFontMissing)
    assert "font_path_cjk" in str(out[0])


def test_logo_and_brand_colors(tmp_path: Path, items: list[CreativeItem]) -> None:
    logo = Image.new("RGBA", (200, 80), (200, 30, 30, 255))
    logo.save(tmp_path / "logo.png")
    gen = CompositorImageGenerator(
        BrandStyle(colors=["#FFFFFF", "#0055AA"], logo_path=str(tmp_path / "logo.png"), background="solid")
    )
    r = gen.compose(items[1], PRESETS["portrait"].to_layout())
    lb = r.boxes["logo"]
    assert r.image.getpixel(((lb[0] + lb[2]) // 2, (lb[1] + lb[3]) // 2)) == (200, 30, 30)
    assert r.image.getpixel((3, r.image.height // 2)) == (255, 255, 255)
    cta = r.boxes["cta_button"]
    assert r.image.getpixel((cta[0] + 6, (cta[1] + cta[3]) // 2)) == (0, 85, 170)
    # dark text on the white background
    assert r.meta["fonts"]["headline"]["size"] > 10


def test_unknown_format_is_user_error() -> None:
    from tasks.errors import UserInputError

    with pytest.raises(UserInputError, match="iab_1x1"):
        resolve_formats("square,iab_1x1")
    assert [f.name for f in resolve_formats("images")] == IMAGE_FORMATS


def test_marketplace_trims_a_studio_photo_to_fill_the_frame(items: list[CreativeItem]) -> None:
    studio = Image.new("RGB", (1200, 1200), (255, 255, 255))
    studio.paste(items[0].image.resize((300, 400)), (450, 400))  # small product, wide white margins
    r = CompositorImageGenerator().compose(
        CreativeItem("s", "ignored", "$1", image=studio), PRESETS["marketplace_main"].to_layout()
    )
    assert r.meta["photo_background_white"] is True
    assert r.meta["product_fill"] >= 0.85 and r.meta["product_source_size"] == [300, 400]
    assert r.text_boxes == {} and r.image.getpixel((5, 5)) == (255, 255, 255)
