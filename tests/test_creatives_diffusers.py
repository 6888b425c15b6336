"""The diffusers image, inpainting and video paths on tiny random-weight pipelines (saved, then loaded)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aigc_models.image import CreativeItem, Layout
from aigc_models.image_compositor import load_product_image
from aigc_models.video import probe_mp4
from tasks.creatives.formats import PRESETS

pytestmark = pytest.mark.slow
PHOTO = "rawhide/images/chin-strap.jpg"


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiny-diffusers")


@pytest.fixture(scope="module")
def image_gen(tiny_dir: Path):
    from aigc_models.image_diffusers import DiffusersImageGenerator
    from aigc_models.tiny_diffusers import build_image

    path = build_image(tiny_dir)
    assert (path / "model_index.json").is_file() and (path / "tokenizer" / "tokenizer_config.json").is_file()
    return DiffusersImageGenerator(str(path), generation_size=64, inference_steps=2, batch_size=2)


@pytest.fixture(scope="module")
def photo(catalogs: Path) -> Image.Image:
    return load_product_image((catalogs / PHOTO).read_bytes())


def _studio(photo: Image.Image) -> Image.Image:
    """The product on a white studio background, as many merchant photos are."""
    im = Image.new("RGB", (600, 600), (255, 255, 255))
    im.paste(photo.resize((300, 400)), (150, 100))
    return im


def _cutout(photo: Image.Image) -> Image.Image:
    """A transparent-background product cut-out (RGBA), the other common source."""
    im = Image.new("RGBA", (500, 500), (0, 0, 0, 0))
    im.paste(photo.resize((250, 350)).convert("RGBA"), (120, 80))
    return im


def test_banners_on_generated_background(image_gen, photo: Image.Image) -> None:
    from tests.test_creatives_compositor import assert_product_pixels_unchanged

    items = [
        CreativeItem("a", "Leather chin strap", "$45.00", image=photo),
        CreativeItem("b", "No photo", "$5.00"),
    ]
    firsts = {}
    for name in ("square", "iab_300x250"):
        fmt = PRESETS[name]
        out = image_gen.banners(items, fmt.to_layout(), seed=7)
        assert all(not isinstance(r, Exception) for r in out), out
        assert [r.image.size for r in out] == [fmt.size, fmt.size]
        assert_product_pixels_unchanged(out[0], photo)
        assert out[0].meta["backend"] == "diffusers" and out[0].meta["seed"] == 7
        assert out[0].meta["safety_checker"] is False  # the tiny model ships none
        assert out[1].meta["text_only"] is True
        firsts[name] = out[0]
    again, other = (image_gen.banners(items, PRESETS["iab_300x250"].to_layout(), seed=s)[0] for s in (7, 8))
    first = firsts["iab_300x250"]
    # seeded: the same batch with the same seed gives the same pixels
    assert np.array_equal(np.asarray(again.image), np.asarray(first.image))
    assert not np.array_equal(np.asarray(other.image), np.asarray(first.image))


def test_inpainting_keeps_product_pixels(image_gen, photo: Image.Image) -> None:
    from aigc_models.image_diffusers import product_mask

    sources = [photo, _studio(photo), _cutout(photo)]
    items = [CreativeItem(f"p{i}", "Chin strap", image=src) for i, src in enumerate(sources)]
    items.append(CreativeItem("none", "No photo"))
    layout = Layout("scene", 256, 192, "marketplace")
    out = image_gen.scenes(items, layout, seed=1)
    assert "needs a product photo" in str(out[3])
    for src, r in zip(sources, out[:3], strict=True):
        assert not isinstance(r, Exception), r
        assert r.image.size == (256, 192)
        box = r.boxes["product"]
        size = (box[2] - box[0], box[3] - box[1])
        mask = np.asarray(product_mask(src).resize(size, Image.Resampling.NEAREST)) > 0
        assert np.array_equal(mask, np.asarray(r.meta["mask_image"]) > 0)
        expected = np.asarray(src.resize(size, Image.Resampling.LANCZOS).convert("RGB"))
        got = np.asarray(r.image.crop(box))
        assert np.array_equal(got[mask], expected[mask])
        outside = np.ones((192, 256), bool)
        outside[box[1] : box[3], box[0] : box[2]] = False
        assert np.asarray(r.image)[outside].std() > 1  # the background was generated, not left flat
    assert out[0].meta["product_mask_fraction"] == 1.0  # a lifestyle photo: the whole photo is kept
    assert 0.2 < out[1].meta["product_mask_fraction"] < 0.5  # white studio background removed
    assert 0.3 < out[2].meta["product_mask_fraction"] < 0.6  # alpha channel used


def test_generate_creatives_with_diffusers_backend(image_gen, catalogs: Path, local_store) -> None:
    from tasks.creatives.generate import generate_creatives
    from tasks.models import ContentSpec
    from tests.test_creatives_compositor import rawhide_products

    prods = rawhide_products(catalogs)[:2]
    res = generate_creatives(
        prods, ContentSpec(), local_store, image_gen=image_gen, formats=["square", "scene_square"], seed=3
    )
    assert res.failed == 0, [p.failures for p in res.products]
    for pc in res.products:
        kinds = sorted(a.content_type for a in pc.assets)
        assert kinds == ["banner_square", "scene_scene_square"]
        for a in pc.assets:
            meta = local_store.get_json(a.key + ".json")
            assert meta["backend"] == "diffusers" and meta["model_id"].endswith("tiny-sd")
            assert meta["seed"] == 3
            assert Image.open(io.BytesIO(local_store.get_bytes(a.key))).size == (1080, 1080)
        scene = next(a for a in pc.assets if a.content_type.startswith("scene"))
        assert local_store.exists(scene.params["mask_key"])


def test_tiny_video_pipeline_to_mp4(tiny_dir: Path, photo: Image.Image, tmp_path: Path) -> None:
    from aigc_models.tiny_diffusers import build_video
    from aigc_models.video_diffusers import DiffusersVideoGenerator, valid_num_frames

    assert [valid_num_frames(n) for n in (16, 17, 81, 2)] == [17, 17, 81, 5]
    gen = DiffusersVideoGenerator(
        str(build_video(tiny_dir)), generation_size=64, frames=16, inference_steps=2
    )
    assert not gen.image_conditioned
    out = gen.clips([CreativeItem("v", "Leather chin strap", image=photo)], Layout("sq", 320, 320), tmp_path)[
        0
    ]
    assert not isinstance(out, Exception), out
    assert out.frames == 17 and out.meta["num_frames"] == 17
    info = probe_mp4(out.path)
    assert info["frames"] == 17 and info["size"] == [320, 320] and info["codec"] == "h264"
    assert info["duration_s"] == pytest.approx(17 / 16, abs=0.07)
    assert info["pix_fmt"].startswith("yuv420p")


def test_tiny_image_to_video_uses_the_product_photo(
    tiny_dir: Path, photo: Image.Image, tmp_path: Path
) -> None:
    from aigc_models.tiny_diffusers import build_video
    from aigc_models.video_diffusers import DiffusersVideoGenerator

    path = build_video(tiny_dir, image_to_video=True)
    gen = DiffusersVideoGenerator(str(path), generation_size=64, frames=9, inference_steps=2)
    assert gen.image_conditioned
    items = [CreativeItem("v", "Leather chin strap", image=photo), CreativeItem("n", "No photo")]
    out = gen.clips(items, Layout("vert", 144, 256), tmp_path)
    assert "needs a product photo" in str(out[1])
    clip = out[0]
    assert not isinstance(clip, Exception), clip
    assert clip.meta["image_conditioned"] is True
    info = probe_mp4(clip.path)
    assert info["frames"] == 9 and info["size"] == [144, 256]
