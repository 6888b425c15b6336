"""Device and dtype selection, and the per-process model cache shared by every backend.

bf16 on GPUs that support it (fp16 otherwise), fp32 on CPU, unless settings override. The cache
keeps one loaded model per (kind, id, device, dtype) for the life of the process, so a batch of 500
products loads the weights once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_CACHE: dict[tuple[str, ...], Any] = {}
_LOCK = threading.RLock()  # re-entrant: a loader may build on another cached model


def select_device(preference: str = "auto") -> str:
    import torch

    if preference != "auto":
        if preference == "cuda" and not torch.cuda.is_available():
            from tasks.errors import ConfigError

            raise ConfigError("AIGC_DEVICE=cuda but no CUDA device is visible; use AIGC_DEVICE=auto or cpu")
        return preference
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def select_dtype(device: str, preference: str = "auto") -> Any:
    import torch

    if preference != "auto":
        return getattr(torch, preference)
    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def cached(key: tuple[str, ...], load: Callable[[], Any]) -> Any:
    """Load once per process; concurrent callers wait for the first load instead of repeating it."""
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = load()
        return _CACHE[key]


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
