"""Video creative checks through ffmpeg (imageio-ffmpeg): decodable, duration, fps, resolution, codec,
and no long black or frozen stretch.

Frames are decoded scaled down to 32x32 grey, which is enough to see black and frozen stretches and
keeps an 8-second 1080x1920 clip to well under a second of checking. `meta` is the creatives
stage's `Asset.params` (+ `format`): `size`, `fps`, `duration_s`, optional limits `min_duration_s`,
`max_duration_s`, `codecs`, `max_black_s`, `max_frozen_s`.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from typing import Any

from tasks.models import QCResult
from tasks.qc.images import resolve_format
from tasks.qc.rules import rule

DECODE = rule("video.decode", "video", "block", "video cannot be decoded: {error}")
DURATION = rule("video.duration", "video", "block", "duration {actual:.2f} s is outside {lo}-{hi} s")
DURATION_MISMATCH = rule(
    "video.duration_mismatch", "video", "block", "decoded {actual:.2f} s but the asset says {expected:.2f} s"
)
FPS = rule("video.fps", "video", "block", "frame rate {actual} fps, expected {expected}")
RESOLUTION = rule(
    "video.resolution",
    "video",
    "block",
    "resolution {actual[0]}x{actual[1]}, expected {expected[0]}x{expected[1]}",
)
CODEC = rule("video.codec", "video", "block", "codec {actual!r} is not one of {expected}")
BLACK = rule(
    "video.black", "video", "block", "{seconds:.1f} s of black frames from {at:.1f} s (limit {limit} s)"
)
FROZEN = rule("video.frozen", "video", "block", "{seconds:.1f} s frozen from {at:.1f} s (limit {limit} s)")

SMALL = 32
BLACK_LUMA = 16.0
FROZEN_DIFF = 0.4
DEFAULT_CODECS = ("h264", "hevc", "vp9", "av1")


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, f in enumerate([*flags, False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


def check_video(data: bytes, meta: dict[str, Any]) -> list[QCResult]:
    import imageio_ffmpeg
    import numpy as np

    fmt = resolve_format(meta)
    fd, path = tempfile.mkstemp(suffix=".mp4")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            logging.getLogger("imageio_ffmpeg").setLevel(logging.ERROR)  # "frame size differs": on purpose
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reader = imageio_ffmpeg.read_frames(
                    path, pix_fmt="gray", bits_per_pixel=8, output_params=["-vf", f"scale={SMALL}:{SMALL}"]
                )
                info = next(reader)
                frames = [np.frombuffer(f, dtype=np.uint8).astype(np.float32) for f in reader]
        except Exception as exc:
            msg = str(exc).strip().splitlines()
            return [DECODE.hit(error=(msg[-1] if msg else type(exc).__name__)[:300])]
    finally:
        os.unlink(path)
    if not frames:
        return [DECODE.hit(error="no frames decoded")]
    out: list[QCResult] = []
    fps = float(info.get("fps") or meta.get("fps") or 0) or 24.0
    duration = len(frames) / fps
    lo, hi = float(meta.get("min_duration_s", 1.0)), float(meta.get("max_duration_s", 60.0))
    if not lo <= duration <= hi:
        out.append(DURATION.hit(actual=duration, lo=lo, hi=hi))
    if meta.get("duration_s") and abs(duration - float(meta["duration_s"])) > max(0.5, 2 / fps):
        out.append(DURATION_MISMATCH.hit(actual=duration, expected=float(meta["duration_s"])))
    if meta.get("fps") and abs(fps - float(meta["fps"])) > 0.5:
        out.append(FPS.hit(actual=round(fps, 2), expected=meta["fps"]))
    size = tuple(int(v) for v in info.get("source_size") or ())
    if fmt["width"] and size and size != (fmt["width"], fmt["height"]):
        out.append(RESOLUTION.hit(actual=list(size), expected=[fmt["width"], fmt["height"]]))
    codec = str(info.get("codec") or "").split(" ", 1)[0].lower()
    allowed = tuple(meta.get("codecs") or DEFAULT_CODECS)
    if codec and codec not in allowed:
        out.append(CODEC.hit(actual=codec, expected=list(allowed)))
    max_black = float(meta.get("max_black_s", 1.0))
    for start, n in _runs([float(f.mean()) < BLACK_LUMA for f in frames]):
        if n / fps > max_black:
            out.append(BLACK.hit(seconds=n / fps, at=start / fps, limit=max_black))
    max_frozen = float(meta.get("max_frozen_s", 3.0))
    # A clip made without any product photo is a still card by design: worth a look, not broken.
    still_by_design = meta.get("photos") == 0 or bool(meta.get("text_only"))
    # Compare with the first frame of the current still stretch, not only the previous frame: a slow
    # pan or zoom changes little between neighbours but a lot over a second, and is not frozen.
    still = [False]
    anchor = frames[0]
    for f in frames[1:]:
        same = float(np.abs(f - anchor).mean()) < FROZEN_DIFF
        still.append(same)
        if not same:
            anchor = f
    for start, n in _runs(still):
        if (n + 1) / fps > max_frozen and not all(
            float(frames[i].mean()) < BLACK_LUMA for i in range(start, start + n)
        ):
            out.append(
                FROZEN.hit(
                    seconds=(n + 1) / fps,
                    at=max(start - 1, 0) / fps,
                    limit=max_frozen,
                    severity="warn" if still_by_design else None,
                )
            )
    return out
