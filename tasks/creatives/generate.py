"""Generate and store the visual creatives of a batch of products.

One bad product (missing, corrupt, huge or odd-mode photo, no photo at all) never fails the batch:
banners fall back to a text-only layout and what cannot be made without a photo (the marketplace
main image, scenes) is recorded as a per-product failure with the reason. Every creative is stored
under its content-addressed key with an Asset JSON beside it, so a rerun with the same inputs skips
work already done and any change (headline, format, model, seed) makes a new key.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from aigc_models.image import CreativeItem, ImageGenerator
from aigc_models.video import VideoGenerator
from tasks.creatives.formats import CreativeFormat, encode_image, resolve_formats
from tasks.errors import AigcError, GenerationError
from tasks.keys import artifact_key
from tasks.models import Asset, AssetKind, ContentSpec, Product
from tasks.storage import ArtifactStore, read_uri_bytes

log = logging.getLogger(__name__)

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}
MAX_EXTRA_PHOTOS = 2


class CreativeFailure(BaseModel):
    format: str
    error: str


class ProductCreatives(BaseModel):
    sku: str
    assets: list[Asset] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list, description="keys that already existed")
    failures: list[CreativeFailure] = Field(default_factory=list)
    image_error: str | None = None
    text_only: bool = False
    contact_sheet_key: str | None = None


class CreativeBatchResult(BaseModel):
    products: list[ProductCreatives] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)

    @property
    def created(self) -> int:
        return sum(len(p.assets) for p in self.products)

    @property
    def failed(self) -> int:
        return sum(len(p.failures) for p in self.products)

    def summary(self) -> dict[str, Any]:
        return {
            "products": len(self.products),
            "created": self.created,
            "skipped": sum(len(p.skipped) for p in self.products),
            "failed": self.failed,
            "text_only": sum(p.text_only for p in self.products),
            "timings": self.timings,
        }


def format_price(value: Decimal | None, currency: str | None) -> str | None:
    if value is None:
        return None
    sym = CURRENCY_SYMBOLS.get((currency or "").upper())
    amount = f"{value:,.2f}" if currency != "JPY" else f"{value:,.0f}"
    return f"{sym}{amount}" if sym else f"{amount} {currency or ''}".strip()


def read_image_ref(ref: str, product: Product) -> bytes:
    """Bytes of one image ref: a local path, s3:// URI, or a URL whose file sits next to the catalog."""
    if ref.startswith(("http://", "https://")):
        name = Path(ref.split("?", 1)[0]).name
        if product.source_file and not product.source_file.startswith("s3://"):
            base = Path(product.source_file).parent
            for cand in (base / name, base / "images" / name):
                if cand.is_file():
                    return cand.read_bytes()
        try:
            with urllib.request.urlopen(ref, timeout=5) as resp:  # noqa: S310 - catalog image URL
                return resp.read(64 * 1024 * 1024)
        except OSError as exc:
            raise FileNotFoundError(
                f"image {ref} of product {product.sku} cannot be fetched: {exc}"
            ) from None
    if ref.startswith("file://"):
        ref = ref[len("file://") :]
    return read_uri_bytes(ref)


def load_photos(product: Product, max_pixels: int) -> tuple[list[Any], str | None]:
    """Decoded photos (first usable one first) and the first error met, phrased for the merchant."""
    from aigc_models.image_compositor import load_product_image

    photos: list[Any] = []
    error: str | None = None
    if not product.images:
        return [], f"product {product.sku} has no image in the catalog; add an image link"
    for ref in product.images[: 1 + MAX_EXTRA_PHOTOS]:
        try:
            photos.append(load_product_image(read_image_ref(ref, product), max_pixels=max_pixels, source=ref))
        except (AigcError, OSError) as exc:
            error = error or f"{exc} (product {product.sku}, row {product.source_row})"
    return photos, error


def build_item(
    product: Product, headline: str | None, cta: str, cta_zh: str, photos: list[Any]
) -> CreativeItem:
    price = product.price
    sale = product.sale_price
    on_sale = sale is not None and price is not None and sale < price
    zh = product.language.lower().startswith("zh")
    return CreativeItem(
        sku=product.sku,
        headline=(headline or product.title).strip(),
        price=format_price(sale if on_sale else product.effective_price, product.currency),
        compare_at=format_price(price, product.currency) if on_sale else None,
        cta=cta_zh if zh else cta,
        language=product.language,
        image=photos[0] if photos else None,
        extra_images=photos[1:],
        prompt=f"{product.title}, {product.category[-1] if product.category else ''}",
    )


def _fingerprint(
    fmt: CreativeFormat, gen: Any, seed: int, item: CreativeItem, spec: ContentSpec, extra: dict
) -> dict:
    return {
        "kind": "creative",
        "format": [fmt.name, fmt.width, fmt.height, fmt.encoding, fmt.max_bytes, fmt.layout],
        **gen.describe(),
        "seed": seed,
        "headline": item.headline,
        "cta": item.cta,
        "brand": spec.brand.model_dump(mode="json"),
        **extra,
    }


def generate_creatives(
    products: Sequence[Product],
    spec: ContentSpec,
    store: ArtifactStore,
    *,
    image_gen: ImageGenerator,
    video_gen: VideoGenerator | None = None,
    formats: Sequence[str] | str | None = None,
    headlines: dict[str, str] | None = None,
    skip_existing: bool = True,
    seed: int = 0,
    cta: str = "Shop now",
    cta_zh: str = "立即购买",
    max_image_pixels: int = 40_000_000,
    contact_sheets: bool = True,
) -> CreativeBatchResult:
    """Make every requested format for every product; per-product failures are recorded, not raised."""
    t_start = time.perf_counter()
    fmts = resolve_formats(
        list(formats) if formats is not None and not isinstance(formats, str) else formats,
        default=[*spec.image_formats, *spec.video_formats] if video_gen else list(spec.image_formats),
    )
    if any(f.kind == "video" for f in fmts) and video_gen is None:
        raise GenerationError("video formats were requested but no video generator was given")
    headlines = headlines or {}
    results = {p.sku: ProductCreatives(sku=p.sku) for p in products}
    items: dict[str, CreativeItem] = {}
    t0 = time.perf_counter()
    for p in products:
        photos, error = load_photos(p, max_image_pixels)
        res = results[p.sku]
        res.image_error = error
        res.text_only = not photos
        if error:
            log.warning("%s", error)
        items[p.sku] = build_item(p, headlines.get(p.sku), cta, cta_zh, photos)
    load_s = time.perf_counter() - t0
    by_sku = {p.sku: p for p in products}
    sheets: dict[str, list[tuple[str, Any]]] = {p.sku: [] for p in products}

    for fmt in fmts:
        gen = video_gen if fmt.kind == "video" else image_gen
        todo: list[tuple[Product, CreativeItem, str, dict]] = []
        for p in products:
            item = items[p.sku]
            fp = _fingerprint(fmt, gen, seed, item, spec, {"photos": p.images[: 1 + MAX_EXTRA_PHOTOS]})
            key = artifact_key(p.sku, p.content_hash, fp, f"{fmt.name}.{fmt.extension}")
            if skip_existing and store.exists(key) and store.exists(key + ".json"):
                results[p.sku].skipped.append(key)
                if fmt.kind != "video" and contact_sheets:
                    sheets[p.sku].append((fmt.name, _decode(store.get_bytes(key))))
                continue
            if (fmt.kind in ("scene",) or fmt.layout == "marketplace") and item.image is None:
                results[p.sku].failures.append(
                    CreativeFailure(
                        format=fmt.name,
                        error=f"{fmt.name} needs a product photo; {results[p.sku].image_error}",
                    )
                )
                continue
            todo.append((p, item, key, fp))
        if not todo:
            continue
        t_gen = time.perf_counter()
        batch = [t[1] for t in todo]
        tmp = tempfile.TemporaryDirectory(prefix="aigc-clips-")
        try:
            if fmt.kind == "video":
                outs: list[Any] = video_gen.clips(batch, fmt.to_layout(), Path(tmp.name), seed=seed)
            elif fmt.kind == "scene":
                outs = image_gen.scenes(batch, fmt.to_layout(), seed=seed)
            else:
                outs = image_gen.banners(batch, fmt.to_layout(), seed=seed)
        except AigcError as exc:  # the whole batch failed (e.g. model load): record it per product
            outs = [exc] * len(todo)
        except Exception as exc:  # a backend bug must not lose the other formats and products
            log.exception("%s backend failed on format %s", gen.name, fmt.name)
            outs = [GenerationError(f"{gen.name} failed on {fmt.name}: {type(exc).__name__}: {exc}")] * len(
                todo
            )
        gen_s = (time.perf_counter() - t_gen) / len(todo)
        for (p, _item, key, fp), out in zip(todo, outs, strict=True):
            res = results[p.sku]
            if isinstance(out, Exception):
                res.failures.append(CreativeFailure(format=fmt.name, error=str(out)))
                continue
            try:
                asset = _store_one(store, p, fmt, gen, key, fp, out, seed, gen_s)
            except AigcError as exc:
                res.failures.append(CreativeFailure(format=fmt.name, error=str(exc)))
                continue
            res.assets.append(asset)
            if fmt.kind != "video" and contact_sheets:
                sheets[p.sku].append((fmt.name, out.image))
        tmp.cleanup()

    if contact_sheets:
        from aigc_models.image_compositor import contact_sheet

        for sku, shots in sheets.items():
            if not shots:
                continue
            p = by_sku[sku]
            fp = {
                "kind": "contact_sheet",
                "shots": [s[0] for s in shots],
                "keys": sorted([a.key for a in results[sku].assets] + results[sku].skipped),
            }
            key = artifact_key(sku, p.content_hash, fp, "contact_sheet.jpg")
            buf = io.BytesIO()
            contact_sheet(shots).save(buf, "JPEG", quality=85)
            store.put_bytes(key, buf.getvalue(), content_type="image/jpeg")
            results[sku].contact_sheet_key = key
    return CreativeBatchResult(
        products=list(results.values()),
        timings={"load_images_s": round(load_s, 3), "total_s": round(time.perf_counter() - t_start, 3)},
    )


def _decode(data: bytes) -> Any:
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    im.draft("RGB", (400, 400))
    return im.convert("RGB")


def _store_one(
    store: ArtifactStore,
    product: Product,
    fmt: CreativeFormat,
    gen: Any,
    key: str,
    fp: dict,
    out: Any,
    seed: int,
    gen_s: float,
) -> Asset:
    """Encode (images) or upload (clips) one creative and write its Asset JSON next to it."""
    t0 = time.perf_counter()
    params: dict[str, Any] = {"format": fmt.name, "size": [fmt.width, fmt.height], "encoding": fmt.encoding}
    if fmt.kind == "video":
        data = out.path.read_bytes()
        params.update(fps=out.fps, frames=out.frames, duration_s=round(out.duration_s, 3), **out.meta)
        content_type = "video/mp4"
        with out.path.open("rb") as fh:
            store.put_file(key, fh, content_type=content_type)
    else:
        if out.image.size != fmt.size:
            raise GenerationError(f"{fmt.name}: backend returned {out.image.size}, expected {fmt.size}")
        data, enc = encode_image(out.image, fmt)
        params.update(enc)
        mask = out.meta.pop("mask_image", None)
        if mask is not None:  # scenes: which pixels are the untouched product, for checks and review
            buf = io.BytesIO()
            mask.save(buf, "PNG")
            store.put_bytes(key + ".mask.png", buf.getvalue(), content_type="image/png")
            params["mask_key"] = key + ".mask.png"
        params.update(
            boxes={k: list(v) for k, v in out.boxes.items()},
            text_boxes={k: list(v) for k, v in out.text_boxes.items()},
            **out.meta,
        )
        content_type = {"jpeg": "image/jpeg", "webp": "image/webp", "png": "image/png"}[fmt.encoding]
        store.put_bytes(key, data, content_type=content_type)
    params["bytes"] = len(data)
    kind = AssetKind.VIDEO if fmt.kind == "video" else AssetKind.IMAGE
    prefix = {"video": "clip", "scene": "scene", "image": "banner"}[fmt.kind]
    asset = Asset(
        sku=product.sku,
        kind=kind,
        content_type=f"{prefix}_{fmt.name}",
        key=key,
        checksum=hashlib.sha256(data).hexdigest(),
        language=product.language,
        backend=gen.name,
        model_id=gen.model_id,
        params={**params, "fingerprint": fp},
        seed=seed,
        timings={"generate_s": round(gen_s, 4), "encode_store_s": round(time.perf_counter() - t0, 4)},
    )
    store.put_json(key + ".json", asset.model_dump(mode="json"))
    return asset
