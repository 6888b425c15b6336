"""The shared data model (DESIGN.md section 3).

Every stage exchanges these pydantic models (or storage keys pointing at their JSON), so the
shapes here are the contract between ingestion, generation, checks, review and publishing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

#: Fields that describe the product itself and therefore go into its content hash. Source position
#: (file, row) is excluded so that moving a product within the file does not regenerate it.
HASHED_FIELDS = (
    "sku",
    "title",
    "description",
    "brand",
    "category",
    "price",
    "currency",
    "sale_price",
    "attributes",
    "variants",
    "images",
    "language",
    "tags",
    "gtin",
    "mpn",
    "link",
    "availability",
    "group_id",
    "condition",
)


class Variant(BaseModel):
    """One purchasable variant folded into its product (Shopify variants, GMC item groups)."""

    model_config = ConfigDict(extra="forbid")

    sku: str
    options: dict[str, str] = Field(default_factory=dict)
    price: Decimal | None = None
    sale_price: Decimal | None = None
    gtin: str | None = None
    image: str | None = None

    @field_serializer("price", "sale_price")
    def _ser_dec(self, v: Decimal | None) -> str | None:
        return None if v is None else str(v)


class Product(BaseModel):
    """A normalized catalog product, whatever file format it came from."""

    model_config = ConfigDict(extra="forbid")

    sku: str
    title: str
    description: str = ""
    brand: str | None = None
    category: list[str] = Field(default_factory=list, description="category path, root first")
    price: Decimal | None = None
    currency: str | None = None
    sale_price: Decimal | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    variants: list[Variant] = Field(default_factory=list)
    images: list[str] = Field(
        default_factory=list, description="image refs: absolute local paths, s3:// or http(s) URLs"
    )
    language: str = "en"
    tags: list[str] = Field(default_factory=list)
    gtin: str | None = None
    mpn: str | None = None
    link: str | None = None
    availability: str | None = None
    group_id: str | None = None
    condition: str | None = None
    source_file: str | None = None
    source_row: int | None = Field(default=None, description="1-based row/item number in the source")
    source_images: list[str] = Field(
        default_factory=list,
        description="image refs exactly as the source gave them (URLs kept for feeds); not hashed",
    )

    @field_serializer("price", "sale_price")
    def _ser_dec(self, v: Decimal | None) -> str | None:
        return None if v is None else str(v)

    @property
    def content_hash(self) -> str:
        """Stable hash of the normalized fields: equal products hash equal across runs and formats."""
        return content_hash(self.model_dump(mode="json", include=set(HASHED_FIELDS)))

    @property
    def effective_price(self) -> Decimal | None:
        """What the customer pays now: the sale price when there is one."""
        return self.sale_price if self.sale_price is not None else self.price


def content_hash(data: Any) -> str:
    """sha256 over canonical JSON (sorted keys, no whitespace), so dict order never matters."""
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ChannelLimits(BaseModel):
    """Character limits of one channel; None means the channel sets none."""

    title: int | None = None
    description: int | None = None
    headline: int | None = None
    primary_text: int | None = None
    primary_text_cjk: int | None = None
    min_primary_text: int = 1


class BrandKit(BaseModel):
    name: str = ""
    voice: str = "friendly, concrete, honest"
    prefer: list[str] = Field(default_factory=list)
    avoid: list[str] = Field(default_factory=list)
    colors: list[str] = Field(default_factory=lambda: ["#1F2937", "#F59E0B", "#FFFFFF"])
    font_path: str | None = None
    font_path_cjk: str | None = None
    logo_path: str | None = None


class AudienceSegment(BaseModel):
    name: str
    description: str
    max_price: Decimal | None = None
    categories: list[str] = Field(default_factory=list)


DEFAULT_CHANNELS: dict[str, ChannelLimits] = {
    "google_merchant": ChannelLimits(title=150, description=5000),
    "meta": ChannelLimits(headline=40, primary_text=125),
    "tiktok": ChannelLimits(primary_text=100, primary_text_cjk=50),
    "google_ads": ChannelLimits(headline=30, description=90),
}


class ContentSpec(BaseModel):
    """What to make for each product: channels, content types, languages, variants, sizes, brand."""

    channels: dict[str, ChannelLimits] = Field(default_factory=lambda: dict(DEFAULT_CHANNELS))
    content_types: list[str] = Field(
        default_factory=lambda: ["listing", "ad_copy", "audience_ads", "faq"],
        description="listing, ad_copy, audience_ads, social_post, faq",
    )
    languages: list[str] = Field(default_factory=lambda: ["en"])
    variants: int = Field(default=3, ge=1, le=10)
    image_formats: list[str] = Field(default_factory=lambda: ["square", "portrait", "story"])
    video_formats: list[str] = Field(default_factory=lambda: ["vertical"])
    segments: list[AudienceSegment] = Field(default_factory=list)
    brand: BrandKit = Field(default_factory=BrandKit)
    banned_terms: list[str] = Field(default_factory=list)
    allowed_terms: list[str] = Field(default_factory=list)

    def settings_hash(self) -> str:
        return content_hash(self.model_dump(mode="json"))[:16]


class AssetKind(StrEnum):
    COPY = "copy"
    IMAGE = "image"
    VIDEO = "video"


class ReviewState(StrEnum):
    GENERATED = "generated"
    QC_PASSED = "qc_passed"
    QC_BLOCKED = "qc_blocked"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"


Severity = Literal["block", "warn", "info"]


class QCResult(BaseModel):
    """One finding of one check, phrased for the person who has to act on it."""

    check: str
    severity: Severity
    message: str
    span: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    start: int | None = None
    end: int | None = None


class Asset(BaseModel):
    """One generated artifact and everything needed to trust, reproduce or review it."""

    sku: str
    kind: AssetKind
    content_type: str = Field(description="e.g. listing, ad_copy, banner_square, clip_vertical")
    key: str
    checksum: str | None = None
    language: str | None = None
    backend: str
    model_id: str | None = None
    prompt_version: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    qc: list[QCResult] = Field(default_factory=list)
    state: ReviewState = ReviewState.GENERATED
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class ReviewDecision(BaseModel):
    sku: str
    asset_keys: list[str] = Field(default_factory=list)
    decision: Literal["approve", "reject", "edit"]
    reviewer: str
    reason: str | None = None
    edits: dict[str, Any] = Field(default_factory=dict)
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
