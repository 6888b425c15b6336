"""One exception base for the whole project, compatible with the builtins callers already catch.

The CLI handles `AigcError` once at the edge: a `UserInputError` exits 2 with `Error: ...` and no
traceback, anything else that is an `AigcError` exits 1. Messages name the bad value, where it came
from, and the fix, because the person reading them is a merchant, not the author.
"""

from __future__ import annotations


class AigcError(Exception):
    """Base of every error this project raises on purpose."""


class UserInputError(AigcError, ValueError):
    """Something the user gave us (a file, a flag, a setting) is wrong and they can fix it."""


class ConfigError(UserInputError):
    """A setting or config file is invalid."""


class CatalogError(UserInputError):
    """A catalog file cannot be read at all (as opposed to one bad row, which is quarantined)."""


class StorageError(AigcError, OSError):
    """The artifact store failed in a way retries did not fix."""


class UnsafeKeyError(UserInputError):
    """A storage key would escape its prefix (e.g. a SKU such as `../../etc/passwd`)."""


class PreconditionFailed(StorageError):
    """A conditional create found the object already there."""


class GenerationError(AigcError, RuntimeError):
    """A generator could not produce a valid output for one product after its retries."""
