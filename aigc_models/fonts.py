"""Font lookup: a Latin font and a CJK-capable font, from the brand kit or the system.

Pillow's built-in bitmap font has no Chinese glyphs, so Chinese headlines need a real CJK font
file. We look in the brand kit first, then ask fontconfig (`fc-list :lang=zh`), then scan the usual
font folders for known CJK families. When none exists, `CjkFontMissing` says how to get one.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

from tasks.errors import GenerationError

log = logging.getLogger(__name__)

FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.fonts",
    "~/.local/share/fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "C:/Windows/Fonts",
)
CJK_NAMES = re.compile(
    r"(notosanscjk|notoserifcjk|notosanssc|sourcehansans|wqy-zenhei|wqy-microhei|droidsansfallback"
    r"|msyh|simhei|simsun|pingfang|hiragino sans gb|arphic|uming|ukai)",
    re.IGNORECASE,
)
LATIN_PREFERRED = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf", "DejaVuSans.ttf")
CJK_RANGES = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")

CJK_HINT = (
    "no CJK-capable font found for a Chinese/Japanese/Korean headline; install one "
    "(Debian/Ubuntu: `apt-get install fonts-noto-cjk` or `fonts-wqy-zenhei`) or set "
    "content.brand.font_path_cjk in aigc.toml to a .ttf/.otf/.ttc file that has CJK glyphs"
)


class CjkFontMissing(GenerationError):
    """A CJK headline cannot be rendered because no CJK font is available."""


def has_cjk(text: str) -> bool:
    return bool(CJK_RANGES.search(text or ""))


def _scan_dirs() -> list[Path]:
    found: list[Path] = []
    for d in FONT_DIRS:
        root = Path(os.path.expanduser(d))
        if root.is_dir():
            found.extend(p for p in root.rglob("*") if p.suffix.lower() in {".ttf", ".otf", ".ttc"})
    return sorted(found)


@functools.cache
def find_cjk_font() -> str | None:
    """Path of a CJK-capable font on this machine, or None (logged with the fix)."""
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(
                ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
            ).stdout
            files = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())
            if files:
                return files[0]
        except (OSError, subprocess.SubprocessError):
            pass
    for p in _scan_dirs():
        if CJK_NAMES.search(p.name):
            return str(p)
    log.warning(CJK_HINT)
    return None


@functools.cache
def find_latin_font() -> str | None:
    """A bold sans-serif for headlines; None means Pillow's built-in font is used."""
    fonts = _scan_dirs()
    for name in LATIN_PREFERRED:
        for p in fonts:
            if p.name == name:
                return str(p)
    return str(fonts[0]) if fonts else None


def font_for(text: str, font_path: str | None, font_path_cjk: str | None) -> str | None:
    """The font file to draw `text` with; raises CjkFontMissing rather than drawing empty boxes."""
    if has_cjk(text):
        path = font_path_cjk or find_cjk_font()
        if path is None:
            raise CjkFontMissing(CJK_HINT)
        if not Path(path).is_file():
            raise CjkFontMissing(f"CJK font file {path} (content.brand.font_path_cjk) does not exist")
        return path
    if font_path:
        if not Path(font_path).is_file():
            raise GenerationError(f"font file {font_path} (content.brand.font_path) does not exist")
        return font_path
    return find_latin_font()
