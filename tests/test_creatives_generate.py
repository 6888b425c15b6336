"""generate_creatives end to end on the CPU backends: stored files, metadata, bad input, CPU clips."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from aigc_models.image import BrandStyle, CreativeItem, Layout
from aigc_models.image_compositor import CompositorImageGenerator
from aigc_models.video import probe_mp4
from aigc_models.video_cpu import CpuVideoGenerator
from tasks.creatives.formats import PRESETS
from tasks.creatives.generate import generate_creatives
from tasks.models import ContentSpec, Product
from tests.test_creatives_compositor import rawhide_products


@pytest.fixture(scope="module")
def products(catalogs: Path) -> list[Product]:
    return rawhide_products(catalogs)


def test_batch_stores_creatives_with_metadata(products: list[Product], any_store) -> None:
    prods = products[:2]
    prods[0] = prods[0].model_copy(update={"sale_price": prods[0].price - Decimal("20")})
    gen = CompositorImageGenerator()
    fmts = ["square", "iab_300x250", "marketplace_main"]
    res = generate_creatives(
        prods,
        ContentSpec(),
        any_store,
        image_gen=gen,
        formats=fmts,
        headlines={prods[1].sku: "Built to last"},
    )
    assert res.summary()["created"] == 6 and res.failed == 0
    for pc in res.products:
        assert [a.params["format"] for a in pc.assets] == fmts
        for a in pc.assets:
            data = any_store.get_bytes(a.key)
            meta = any_store.get_json(a.key + ".json")
            fmt = PRESETS[a.params["format"]]
            assert Image.open(io.BytesIO(data)).size == fmt.size
            assert meta["params"]["bytes"] == len(data)
            assert meta["backend"] == "compositor" and meta["seed"] == 0
            assert len(meta["params"]["boxes"]["product"]) == 4
            assert "generate_s" in meta["timings"]
            if fmt.max_bytes:
                assert len(data) <= fmt.max_bytes
        assert pc.contact_sheet_key and any_store.exists(pc.contact_sheet_key)
    on_sale = res.products[0].assets[0]
    assert on_sale.params["strikethrough"] is True
    # rerun: everything is found under the same content-addressed keys and skipped
    again = generate_creatives(
        prods,
        ContentSpec(),
        any_store,
        image_gen=gen,
        formats=fmts,
        headlines={prods[1].sku: "Built to last"},
    )
    assert again.created == 0 and sum(len(p.skipped) for p in again.products) == 6
    # a different headline makes new keys
    third = generate_creatives(prods[1:], ContentSpec(), any_store, image_gen=gen, formats=["square"])
    assert third.created == 1


def _bad_products(tmp_path: Path, good: Product) -> list[Product]:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(Path(good.images[0]).read_bytes()[:5000])
    huge = tmp_path / "huge.png"
    Image.new("1", (10_000, 10_000), 1).save(huge)
    cmyk = tmp_path / "cmyk.jpg"
    Image.open(good.images[0]).convert("CMYK").save(cmyk)
    palette = tmp_path / "palette.png"
    Image.open(good.images[0]).convert("P", palette=Image.Palette.ADAPTIVE).save(palette)
    text = tmp_path / "not-an-image.jpg"
    text.write_text("hello")

    def p(sku: str, images: list[str]) -> Product:
        return good.model_copy(update={"sku": sku, "images": images})

    return [
        p("missing", [str(tmp_path / "nope.jpg")]),
        p("corrupt", [str(corrupt)]),
        p("huge", [str(huge)]),
        p("cmyk", [str(cmyk)]),
        p("palette", [str(palette)]),
        p("noimage", []),
        p("textfile", [str(text)]),
        good,
    ]


def test_bad_input_never_crashes_the_batch(products: list[Product], tmp_path: Path, local_store) -> None:
    prods = _bad_products(tmp_path, products[0])
    res = generate_creatives(
        prods,
        ContentSpec(),
        local_store,
        image_gen=CompositorImageGenerator(),
        formats=["square", "marketplace_main"],
    )
    by = {p.sku: p for p in res.products}
    assert len(by) == len(prods)
    for sku in ("missing", "corrupt", "huge", "noimage", "textfile"):
        pc = by[sku]
        assert pc.text_only and pc.image_error, sku
        assert [a.params["format"] for a in pc.assets] == ["square"]  # text-only banner
        assert pc.assets[0].params.get("text_only") is True
        assert [f.format for f in pc.failures] == ["marketplace_main"]
        assert "needs a product photo" in pc.failures[0].error
    assert "nope.jpg" in by["missing"].image_error
    assert "cannot be decoded" in by["corrupt"].image_error
    assert "10000x10000" in by["huge"].image_error and "max_image_pixels" in by["huge"].image_error
    assert "no image" in by["noimage"].image_error
    for sku in ("cmyk", "palette", products[0].sku):  # converted to RGB and used
        pc = by[sku]
        assert not pc.text_only and not pc.failures and len(pc.assets) == 2, sku


def test_huge_jpeg_is_decoded_reduced(tmp_path: Path) -> None:
    from aigc_models.image_compositor import load_product_image

    path = tmp_path / "huge.jpg"
    Image.new("L", (10_000, 10_000), 128).save(path, quality=50)
    im = load_product_image(path.read_bytes(), max_pixels=40_000_000)
    assert im.mode == "RGB" and im.width * im.height <= 40_000_000 and im.width >= 1250


@pytest.mark.slow
def test_cpu_clip_plays_back_with_right_duration(
    products: list[Product], tmp_path: Path, local_store
) -> None:
    gen = CpuVideoGenerator(BrandStyle(), seconds=6, fps=24)
    res = generate_creatives(
        products[:1],
        ContentSpec(),
        local_store,
        image_gen=CompositorImageGenerator(),
        video_gen=gen,
        formats=["video_square"],
    )
    assert res.failed == 0, res.products[0].failures
    asset = res.products[0].assets[0]
    assert asset.kind == "video" and asset.params["frames"] == 144
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(local_store.get_bytes(asset.key))
    info = probe_mp4(clip)
    assert info["frames"] == 144 and info["duration_s"] == pytest.approx(6.0, abs=0.05)
    assert info["fps"] == 24 and info["size"] == [1080, 1080] and info["codec"] == "h264"
    assert info["pix_fmt"].startswith("yuv420p")


def test_cpu_clip_vertical_text_only_and_limits(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="6-15"):
        CpuVideoGenerator(seconds=3)
    gen = CpuVideoGenerator(seconds=6, fps=30)
    out = gen.clips([CreativeItem("t", "No photo, still a clip", "$5.00")], Layout("v", 360, 640), tmp_path)[
        0
    ]
    assert not isinstance(out, Exception), out
    info = probe_mp4(out.path)
    assert info["frames"] == 180 and info["fps"] == 30 and info["size"] == [360, 640]
