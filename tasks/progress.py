"""Progress reporting that reaches both the Prefect UI and, when a person watches, the terminal.

Flows call `report(done, total, label)`; the CLI installs a rich progress bar as listener when it
runs a flow in-process. Prefect's progress artifact is updated by the flow itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

_listeners: list[Callable[[int, int, str], None]] = []


def add_listener(fn: Callable[[int, int, str], None]) -> None:
    _listeners.append(fn)


def remove_listener(fn: Callable[[int, int, str], None]) -> None:
    if fn in _listeners:
        _listeners.remove(fn)


def report(done: int, total: int, label: str = "") -> None:
    for fn in list(_listeners):
        with contextlib.suppress(Exception):  # a broken progress bar must never break a run
            fn(done, total, label)
