"""Image and video checks on good and deliberately broken creatives made here (Pillow, imageio-ffmpeg)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tasks.qc import check_image, check_video


def rules(findings) -> set[str]:
    return {f.check for f in findings}


def _photo(w: int, h: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, w * h * 3).reshape(h, w, 3)
    noise = rng.integers(0, 60, size=(h, w, 3))
    return Image.fromarray(((base + noise) % 256).astype(np.uint8))


def _encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def test_good_square_banner_passes() -> None:
    data = _encode(_photo(1080, 1080), "WEBP", quality=80)
    assert check_image(data, {"format": "banner_square", "size": [1080, 1080], "encoding": "webp"}) == []


def test_wrong_size_and_aspect() -> None:
    data = _encode(_photo(1000, 800), "WEBP", quality=80)
    found = check_image(data, {"format": "banner_square"})
    assert {"image.size", "image.aspect"} <= rules(found)
    same_aspect = check_image(_encode(_photo(540, 540), "WEBP"), {"format": "square"})
    assert rules(same_aspect) == {"image.size"}


def test_blank_and_near_uniform() -> None:
    blank = Image.new("RGB", (300, 250), (250, 250, 250))
    ImageDraw.Draw(blank).point((10, 10), fill=(0, 0, 0))  # one stray pixel is still blank
    found = check_image(_encode(blank, "JPEG", quality=90), {"format": "banner_iab_300x250"})
    assert rules(found) == {"image.blank"}


def test_truncated_and_garbage_bytes() -> None:
    good = _encode(_photo(300, 250), "JPEG", quality=90)
    for bad in (good[: len(good) // 2], b"not an image"):
        found = check_image(bad, {"format": "iab_300x250"})
        assert rules(found) == {"image.decode"}
        assert found[0].severity == "block"


def test_weight_cap_and_encoding() -> None:
    noisy = Image.fromarray(np.random.default_rng(1).integers(0, 256, (250, 300, 3), dtype=np.uint8))
    heavy = _encode(noisy, "PNG")
    assert len(heavy) > 150_000
    found = check_image(heavy, {"format": "iab_300x250"})  # IAB cap 150 kB, JPEG expected
    assert {"image.weight", "image.encoding"} <= rules(found)


def test_text_outside_vertical_safe_zone() -> None:
    data = _encode(_photo(1080, 1920), "WEBP", quality=60)
    inside = {"headline": [80, 400, 1000, 560], "cta": [300, 1500, 780, 1600]}
    assert check_image(data, {"format": "banner_story", "text_boxes": inside}) == []
    outside = {"headline": [80, 20, 1000, 150], "cta": [300, 1750, 780, 1880]}
    found = check_image(data, {"format": "banner_story", "text_boxes": outside})
    assert [f.check for f in found] == ["image.safe_zone", "image.safe_zone"]
    assert "headline" in found[0].message and "192" in found[0].message
    # square formats have no safe zone
    assert check_image(_encode(_photo(1080, 1080), "WEBP"), {"format": "square", "text_boxes": outside}) == []


def test_product_pixels_preserved_or_altered() -> None:
    product = _photo(200, 300, seed=7)
    canvas = Image.new("RGB", (1080, 1080), (30, 60, 90))
    box = [440, 300, 640, 600]
    canvas.paste(product, box[:2])
    meta = {"format": "square", "boxes": {"product": box}, "product_original": _encode(product, "PNG")}
    assert check_image(_encode(canvas, "WEBP", quality=90), meta) == []
    ImageDraw.Draw(canvas).rectangle([440, 300, 640, 480], fill=(255, 0, 255))  # generator painted over it
    found = check_image(_encode(canvas, "WEBP", quality=90), meta)
    assert rules(found) == {"image.product_pixels"}


def test_safety_checker_verdict() -> None:
    data = _encode(_photo(1080, 1080), "WEBP")
    assert rules(check_image(data, {"format": "square", "nsfw_content_detected": [True]})) == {"image.safety"}
    assert check_image(data, {"format": "square", "nsfw_content_detected": [False]}) == []


# ---- video --------------------------------------------------------------------------------------


def _mp4(path: Path, frames: list[np.ndarray], fps: int = 12, faststart: bool = False) -> bytes:
    import imageio_ffmpeg

    h, w = frames[0].shape[:2]
    params = ["-movflags", "+faststart"] if faststart else None
    writer = imageio_ffmpeg.write_frames(
        str(path), (w, h), fps=fps, codec="libx264", macro_block_size=1, output_params=params
    )
    writer.send(None)
    for f in frames:
        writer.send(np.ascontiguousarray(f))
    writer.close()
    return path.read_bytes()


def _moving(n: int, w: int = 216, h: int = 384) -> list[np.ndarray]:
    base = _photo(w * 2, h, seed=3)
    arr = np.asarray(base)
    return [arr[:, (i * 3) % w : (i * 3) % w + w].copy() for i in range(n)]


@pytest.fixture(scope="module")
def good_clip(tmp_path_factory) -> bytes:
    return _mp4(tmp_path_factory.mktemp("clips") / "good.mp4", _moving(72))


META = {"format": "clip_vertical", "size": [216, 384], "fps": 12, "duration_s": 6.0, "min_duration_s": 3}


def test_good_clip_passes(good_clip: bytes) -> None:
    assert check_video(good_clip, META) == []


def test_truncated_mp4(good_clip: bytes, tmp_path: Path) -> None:
    found = check_video(good_clip[: len(good_clip) // 2], META)  # moov atom at the end is gone
    assert rules(found) == {"video.decode"}
    fast = _mp4(tmp_path / "fast.mp4", _moving(72), faststart=True)
    cut = check_video(fast[: len(fast) // 2], META)  # index first: decodes, but half the clip is missing
    assert rules(cut) & {"video.decode", "video.duration_mismatch"}
    assert all(f.severity == "block" for f in cut)


def test_wrong_resolution_fps_and_duration(good_clip: bytes) -> None:
    found = check_video(good_clip, {"format": "clip_vertical", "fps": 24, "duration_s": 6.0})
    assert {"video.resolution", "video.fps"} <= rules(found)
    assert "video.duration" in rules(check_video(good_clip, {**META, "max_duration_s": 5}))


def test_black_and_frozen_stretches(tmp_path: Path) -> None:
    black = [np.zeros((384, 216, 3), np.uint8)] * 24
    frames = _moving(24) + black + _moving(24)
    found = check_video(_mp4(tmp_path / "black.mp4", frames), {**META, "duration_s": None})
    assert rules(found) == {"video.black"}
    assert "2.0 s of black" in found[0].message
    still = [np.asarray(_photo(216, 384, seed=5))] * 48
    found = check_video(_mp4(tmp_path / "frozen.mp4", _moving(24) + still), {**META, "duration_s": None})
    assert rules(found) == {"video.frozen"}


@pytest.mark.parametrize("name", ["square", "story", "iab_300x250", "iab_728x90", "marketplace_main"])
def test_real_compositor_banners_pass(name: str) -> None:
    """What the creatives stage really renders passes, with the params it really stores."""
    compositor = pytest.importorskip("aigc_models.image_compositor")
    from aigc_models.image import CreativeItem
    from tasks.creatives.formats import PRESETS, encode_image

    photo = _photo(400, 600, seed=11)
    fmt = PRESETS[name]
    item = CreativeItem(
        sku="s1", headline="Full-grain leather wallet, hand-stitched", price="$65.00", image=photo
    )
    out = compositor.CompositorImageGenerator().banners([item], fmt.to_layout())[0]
    data, enc = encode_image(out.image, fmt)
    meta = {
        "format": f"banner_{name}",
        "size": [fmt.width, fmt.height],
        "encoding": fmt.encoding,
        **enc,
        "boxes": {k: list(v) for k, v in out.boxes.items()},
        "text_boxes": {k: list(v) for k, v in out.text_boxes.items()},
        "product_original": _encode(photo, "PNG"),
    }
    assert check_image(data, meta) == []


def test_real_cpu_backend_clips(tmp_path: Path) -> None:
    """Clips from the CPU pan-and-zoom backend pass; its text-only still card only warns as frozen."""
    video_cpu = pytest.importorskip("aigc_models.video_cpu")
    from aigc_models.image import CreativeItem, Layout

    gen = video_cpu.CpuVideoGenerator(seconds=6, fps=24)
    layout = Layout("vertical", 270, 480, safe_top=0.1, safe_bottom=0.15)
    for image, expected in ((_photo(400, 600, seed=2), set()), (None, {"video.frozen"})):
        item = CreativeItem(sku="s1", headline="Leather wallet", price="$65.00", image=image)
        out = gen.clip(item, layout, tmp_path / "clip.mp4")
        meta = {
            "format": "clip_vertical",
            "size": [270, 480],
            "fps": out.fps,
            "duration_s": out.duration_s,
            **out.meta,
        }
        found = check_video(out.path.read_bytes(), meta)
        assert rules(found) == expected
        assert all(f.severity == "warn" for f in found)
