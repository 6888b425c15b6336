"""Shapes the catalog readers, the validator and the snapshot writer exchange.

A reader turns one source file into `Product`s plus `QuarantineRecord`s for the rows it could not
make sense of; the validator adds more quarantine records; the snapshot keeps both. The records are
written for the merchant who must fix the file, so each says where, what and how.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tasks.models import Product


class QuarantineRecord(BaseModel):
    """One row/item kept out of the catalog, with the reason and the fix in plain words."""

    source_file: str
    row: int | None = Field(default=None, description="spreadsheet row (header = 1), XML item or JSONL line")
    sku: str | None = None
    field: str | None = None
    value: str | None = None
    reason: str
    fix: str
    check: str = Field(default="read", description="which check caught it (read, precheck, gx:<type>)")

    def line(self) -> str:
        where = f"{self.source_file}" + (f" row {self.row}" if self.row is not None else "")
        what = f" field {self.field!r}={self.value!r}" if self.field else ""
        return f"{where}{what}: {self.reason} Fix: {self.fix}"


class CatalogRead(BaseModel):
    """What reading one source produced, before validation."""

    source: str
    format: str
    rows: int = Field(description="rows/items/lines seen in the source (not counting the header)")
    products: list[Product] = Field(default_factory=list)
    quarantined: list[QuarantineRecord] = Field(default_factory=list)


@dataclass
class SourceFile:
    """The raw bytes of a catalog plus where they came from (for messages and relative images)."""

    name: str
    data: bytes
    base_dir: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """Decode as UTF-8 (with or without BOM), falling back to cp1252 like spreadsheet exports."""
        from tasks.errors import CatalogError

        if b"\x00" in self.data[:4096]:
            raise CatalogError(
                f"{self.name} looks like a binary file (it contains NUL bytes), not a text catalog; "
                "export the catalog as CSV, TSV, XML or JSON Lines and try again"
            )
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                return self.data.decode("cp1252")
            except UnicodeDecodeError:
                raise CatalogError(
                    f"{self.name} is neither UTF-8 nor Windows-1252 text; save it as UTF-8 and try again"
                ) from None
