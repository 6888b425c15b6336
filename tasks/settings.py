"""Settings as nested pydantic-settings groups, each with its own env prefix.

Precedence, highest first (documented in the README):

1. explicit values passed in code / CLI flags,
2. environment variables (`AIGC_STORAGE_URI`, `AIGC_TEXT_MODEL`, ...),
3. the TOML file (`--config FILE`, else `$AIGC_CONFIG`, else `./aigc.toml` when it exists),
4. the defaults below.

Secrets (S3 credentials) are not settings here at all: boto3 reads the standard AWS variables when
a client is made, so they are never loaded at import, printed, or written into an artifact.
"""

from __future__ import annotations

import contextvars
import os
import tomllib
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tasks.errors import ConfigError
from tasks.models import AudienceSegment, ContentSpec

_TOML: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("aigc_toml", default=None)


class _TomlSection(PydanticBaseSettingsSource):
    """Feeds one `[section]` of the loaded TOML file to one settings group, below the env vars."""

    def __init__(self, settings_cls: type[BaseSettings], section: str) -> None:
        super().__init__(settings_cls)
        self._data = dict((_TOML.get() or {}).get(section, {}))

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._data


class _Group(BaseSettings):
    section: ClassVar[str] = ""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSection(settings_cls, cls.section))


class StorageSettings(_Group):
    """Where every artifact lives: a local folder (embedded default) or any S3 endpoint."""

    section: ClassVar[str] = "storage"
    model_config = SettingsConfigDict(env_prefix="AIGC_STORAGE_", extra="forbid")

    uri: str = Field(
        default="file://./aigc-data",
        description="file://PATH or s3://BUCKET/PREFIX; S3 endpoint and keys from the AWS_* variables",
    )
    create_bucket: bool = Field(default=True, description="create the S3 bucket when it is missing")
    max_attempts: int = Field(default=5, gt=0, le=20, description="retries for transient S3 errors")
    multipart_threshold_mb: int = Field(default=8, gt=4, description="objects above use multipart")

    @field_validator("uri")
    @classmethod
    def _check_uri(cls, v: str) -> str:
        if not (v.startswith("file://") or v.startswith("s3://")):
            raise ValueError(
                f"storage URI {v!r} must start with file:// or s3:// "
                "(e.g. file://./aigc-data or s3://my-bucket/aigc)"
            )
        if v.startswith("s3://") and not v[5:].split("/", 1)[0]:
            raise ValueError(f"storage URI {v!r} names no bucket; use s3://BUCKET/PREFIX")
        return v


class ModelSettings(_Group):
    """Which model runs each kind of content. Empty = the CPU backend that needs no weights."""

    section: ClassVar[str] = "models"
    model_config = SettingsConfigDict(env_prefix="AIGC_", extra="forbid")

    text_model: str | None = Field(default=None, description="hub id or local path of a causal LM")
    image_model: str | None = Field(default=None, description="diffusers text-to-image pipeline")
    video_model: str | None = Field(default=None, description="diffusers video pipeline")
    embedding_model: str | None = Field(default=None, description="sentence-transformers model")
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    seed: int = 0
    max_new_tokens: int = Field(
        default=1024, gt=0, description="reply budget; listings from real models need ~1k"
    )
    batch_size: int = Field(default=8, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)


class IngestSettings(_Group):
    section: ClassVar[str] = "ingest"
    model_config = SettingsConfigDict(env_prefix="AIGC_INGEST_", extra="forbid")

    default_currency: str = Field(default="USD", min_length=3, max_length=3)
    max_title_length: int = Field(default=150, gt=0)
    require_image: bool = Field(default=False, description="quarantine products with no image")
    csv_mapping: str | None = Field(
        default=None,
        description="generic CSV column mapping: a preset name (amazon) or a TOML/JSON mapping file",
    )


class FlowSettings(_Group):
    section: ClassVar[str] = "flow"
    model_config = SettingsConfigDict(env_prefix="AIGC_FLOW_", extra="forbid")

    batch_size: int = Field(default=50, gt=0, description="products per generation batch")
    max_regenerations: int = Field(default=2, ge=0, le=10)
    review_mode: Literal["auto", "pause", "suspend"] = "auto"
    review_timeout_s: int = Field(default=3600, gt=0)
    schedule_cron: str = "0 6 * * *"
    schedule_timezone: str = "UTC"
    recommendations: bool = Field(default=True, description="run recommendations after ingestion")
    public_base_url: str | None = Field(
        default=None, description="public URL of the store root (CDN) used for image links in feeds"
    )
    execution: Literal["local", "deployment"] = Field(
        default="local",
        description="local: generation batches run in this process; deployment: each batch is a run of "
        "the generation deployment on the GPU work pool (needs `aigc deploy` and GPU workers)",
    )
    generation_deployment: str = Field(
        default="generate-batch/generate-batch", description="FLOW/DEPLOYMENT that runs one batch"
    )
    max_parallel_batches: int = Field(default=8, gt=0, description="batch runs in flight at once")
    batch_timeout_s: int = Field(
        default=3600,
        gt=0,
        description="a batch run still running after this long is marked crashed and rerun",
    )
    batch_attempts: int = Field(
        default=3, gt=0, le=10, description="runs per batch before it counts as failed"
    )
    catalog_source: str | None = Field(
        default=None, description="catalog file or s3:// URI the scheduled daily deployment ingests"
    )


class ServiceSettings(_Group):
    """The Prefect server, work pools and S3 endpoint that `aigc server` and `aigc deploy` manage."""

    section: ClassVar[str] = "services"
    model_config = SettingsConfigDict(env_prefix="AIGC_SERVICES_", extra="forbid")

    data_dir: str = Field(default="./aigc-services", description="server databases, logs and pid files")
    prefect_port: int = Field(default=4200, gt=0, lt=65536)
    s3_port: int = Field(default=8333, gt=0, lt=65536)
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL for the Prefect server (postgresql+asyncpg://...); empty = SQLite",
    )
    cpu_pool: str = Field(default="cpu", description="work pool for ingest, checks, review, publishing")
    gpu_pool: str = Field(default="gpu", description="work pool whose workers run generation batches")
    pool_type: Literal["process", "kubernetes"] = Field(default="process")
    gpu_slots: int = Field(default=1, gt=0, description="slots of the `gpu` concurrency limit: one per GPU")
    zombie_after_s: int = Field(
        default=120,
        ge=45,
        description="a generation batch run whose heartbeats stop this long is marked crashed and rerun; "
        "must exceed the batch runs' PREFECT_FLOWS_HEARTBEAT_FREQUENCY (30 s in infra/prefect.yaml)",
    )


class CreativeSettings(_Group):
    """How images and clips are made: call to action, background style, clip length, diffusers knobs."""

    section: ClassVar[str] = "creatives"
    model_config = SettingsConfigDict(env_prefix="AIGC_CREATIVES_", extra="forbid")

    cta: str = Field(default="Shop now", description="call-to-action text on banners and end cards")
    cta_zh: str = Field(default="立即购买", description="call to action for Chinese-language products")
    background: Literal["gradient", "solid", "white"] = "gradient"
    video_seconds: float = Field(default=8.0, ge=6, le=15, description="CPU clip length")
    video_fps: Literal[24, 30] = 24
    scene_prompt: str = Field(
        default="product photography, clean studio backdrop, soft light, shallow depth of field",
        description="diffusers prompt for generated backgrounds; the product title is prepended",
    )
    generation_size: int = Field(default=512, ge=64, le=2048, description="long side of diffusers output")
    inference_steps: int = Field(default=30, gt=0, le=200)
    guidance_scale: float = Field(default=7.0, ge=0)
    video_frames: int = Field(default=81, gt=0, description="diffusers clips: rounded to 4k+1")
    max_image_pixels: int = Field(
        default=40_000_000, gt=0, description="larger product photos are decoded reduced or refused"
    )


class QCSettings(_Group):
    """Quality and compliance checks: extra term lists and what a blocking finding leads to."""

    section: ClassVar[str] = "qc"
    model_config = SettingsConfigDict(env_prefix="AIGC_QC_", extra="forbid")

    terms_file: str | None = Field(
        default=None,
        description="extra Chinese ad-law term list, one a line (default: the shared public list when "
        "present; '' = built-in list only)",
    )
    default_action: Literal["regenerate", "review", "drop"] = Field(
        default="regenerate", description="what a blocking finding leads to unless `actions` says otherwise"
    )
    actions: dict[str, Literal["regenerate", "review", "drop"]] = Field(
        default_factory=dict, description="per rule id or rule group, e.g. {pii = 'drop'}"
    )
    max_regenerations: int = Field(default=2, ge=0, le=10, description="tries before review")
    known_brands: list[str] = Field(default_factory=list, description="extra brand names for the brand check")
    allowed_terms: list[str] = Field(default_factory=list, description="trademarks etc. never flagged")
    banned_terms: list[str] = Field(default_factory=list, description="always block")
    brand_terms: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="per brand: {banned = [...], allowed = [...]}"
    )


class RecommendSettings(_Group):
    """Recommendations: neighbour count and constraints, complementary rules, audience segments."""

    section: ClassVar[str] = "recommend"
    model_config = SettingsConfigDict(env_prefix="AIGC_RECOMMEND_", extra="forbid")

    k: int = Field(default=5, gt=0, le=50, description="similar products per product")
    same_top_category: bool = Field(default=True, description="similar items share the top-level category")
    in_stock_only: bool = Field(default=True, description="never recommend an out-of-stock product")
    price_band: tuple[float, float] | None = Field(
        default=(0.5, 2.0),
        description="candidate price / product price must lie in [low, high]; None turns the band off",
    )
    complementary_k: int = Field(default=3, gt=0, le=50, description="complementary products per product")
    min_support: int = Field(default=2, gt=0, description="baskets a pair must share to count")
    min_llr: float = Field(default=3.84, ge=0, description="log-likelihood ratio floor (3.84 = p<0.05)")
    basket_events: list[str] = Field(
        default_factory=lambda: ["purchase", "add_to_cart"], description="event types that form baskets"
    )
    category_pairs: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "belt": ["buckle", "leather care"],
            "swimsuit": ["sarong"],
            "sofa": ["pillow", "throw"],
            "plant pot": ["watering can", "trowel"],
            "bicycle": ["lock", "light"],
        },
        description="complementary rules without an events file: a term in one product's category or "
        "title -> terms to look for in the recommended products",
    )
    segment_top_n: int = Field(default=10, gt=0, le=200, description="products featured per segment")
    default_segments: list[AudienceSegment] = Field(
        default_factory=list, description="used when content.segments is empty"
    )
    write_copy: bool = Field(default=True, description="write the blurbs and campaign posts")


class Settings(BaseModel):
    """All groups together; build it with `load_settings`, not directly."""

    model_config = ConfigDict(extra="forbid")

    storage: StorageSettings = Field(default_factory=StorageSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    flow: FlowSettings = Field(default_factory=FlowSettings)
    qc: QCSettings = Field(default_factory=QCSettings)
    creatives: CreativeSettings = Field(default_factory=CreativeSettings)
    recommend: RecommendSettings = Field(default_factory=RecommendSettings)
    services: ServiceSettings = Field(default_factory=ServiceSettings)
    content: ContentSpec = Field(default_factory=ContentSpec)


GROUPS: dict[str, type[_Group]] = {
    "storage": StorageSettings,
    "models": ModelSettings,
    "ingest": IngestSettings,
    "flow": FlowSettings,
    "creatives": CreativeSettings,
    "qc": QCSettings,
    "recommend": RecommendSettings,
    "services": ServiceSettings,
}


def find_config(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to use: the explicit one, else $AIGC_CONFIG, else ./aigc.toml if present."""
    if path:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {p} does not exist; pass an existing TOML file to --config")
        return p
    env = os.environ.get("AIGC_CONFIG")
    if env:
        return find_config(env)
    local = Path("aigc.toml")
    return local if local.is_file() else None


def load_settings(config: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build validated settings from TOML + env + overrides (`storage={"uri": ...}` etc.)."""
    path = find_config(config)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        unknown = set(data) - set(GROUPS) - {"content"}
        if unknown:
            raise ConfigError(
                f"config file {path} has unknown section(s) {sorted(unknown)}; "
                f"known sections are {sorted([*GROUPS, 'content'])}"
            )
    token = _TOML.set(data)
    try:
        groups = {name: cls(**overrides.get(name, {})) for name, cls in GROUPS.items()}
        content = ContentSpec(**{**data.get("content", {}), **overrides.get("content", {})})
        return Settings(**groups, content=content)
    except ValidationError as exc:
        where = f" (from {path} or the AIGC_* environment)" if path else " (from the AIGC_* environment)"
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid settings{where}: {problems}") from None
    finally:
        _TOML.reset(token)
