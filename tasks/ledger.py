"""The per-product ledger: what the factory last made for a product and where it stands.

One small JSON object per SKU under `state/products/{sku}.json`. The daily flow reads it to skip
unchanged products whose content is approved or waiting for review, to regenerate rejected ones
with the reviewer's reason, and to know what to publish. Each write replaces the whole object, so
a crash between products leaves every ledger entry either old or new, never half-written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from tasks.models import Asset, ReviewDecision
from tasks.storage import ArtifactStore, join_key, safe_segment

Status = Literal["pending_review", "qc_blocked", "approved", "rejected", "published", "failed"]
Verdict = Literal["block", "warn", "pass"]


class ProductRecord(BaseModel):
    sku: str
    content_hash: str
    fingerprint: str = ""
    status: Status
    verdict: Verdict = "pass"
    assets: list[Asset] = Field(default_factory=list)
    failures: list[str] = Field(default_factory=list)
    run_id: str | None = None
    decision: ReviewDecision | None = None
    rejection_reasons: list[str] = Field(default_factory=list)
    attempts: int = 1
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def summary(self) -> dict:
        """The small per-product line a batch reports upward."""
        return {
            "sku": self.sku,
            "status": self.status,
            "verdict": self.verdict,
            "failures": self.failures,
            "assets": len(self.assets),
            "attempts": self.attempts,
        }

    def needs_generation(self, content_hash: str, fingerprint: str) -> bool:
        """Regenerate when the product or the generation settings changed, or a person rejected it."""
        if self.content_hash != content_hash or self.fingerprint != fingerprint:
            return True
        return self.status in ("rejected", "failed")


def ledger_key(sku: str) -> str:
    return join_key("state", "products", f"{safe_segment(sku)}.json")


def read_record(store: ArtifactStore, sku: str) -> ProductRecord | None:
    raw = store.get_json_or(ledger_key(sku))
    return None if raw is None else ProductRecord.model_validate(raw)


def write_record(store: ArtifactStore, record: ProductRecord) -> None:
    record.updated_at = datetime.now(UTC)
    store.put_json(ledger_key(record.sku), record.model_dump(mode="json"))


def all_records(store: ArtifactStore) -> list[ProductRecord]:
    out = []
    for key in store.list("state/products/"):
        if key.endswith(".json"):
            out.append(ProductRecord.model_validate(store.get_json(key)))
    return out
