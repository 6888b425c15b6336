"""Publishing: approved assets to stable `published/{sku}/` keys, and the enriched feeds.

Published keys do not change between runs (`published/{sku}/listing_en.json`,
`published/{sku}/square.webp`), so a storefront or ad account can point at them once. Publishing
compares checksums before copying, which makes a second run a no-op.
"""

from __future__ import annotations

import csv
import hashlib
import io
import posixpath
from typing import Any

from tasks.keys import feed_key, published_key
from tasks.ledger import ProductRecord, write_record
from tasks.models import AssetKind, Product
from tasks.storage import ArtifactStore

GMC_NS = "http://base.google.com/ns/1.0"
AI_SOURCE = "trained_algorithmic_media"


def _published_name(asset_key: str, content_type: str, language: str | None) -> str:
    ext = posixpath.splitext(asset_key)[1] or ".bin"
    lang = f"_{language}" if language else ""
    return f"{content_type}{lang}{ext}"


def publish_record(store: ArtifactStore, rec: ProductRecord) -> tuple[dict[str, str], int]:
    """Copy one approved product's assets; returns {content_type[_lang]: published key} and copies made."""
    mapping: dict[str, str] = {}
    copied = 0
    for a in rec.assets:
        name = _published_name(a.key, a.content_type, a.language if a.kind == AssetKind.COPY else None)
        dst = published_key(rec.sku, name)
        data = store.get_bytes(a.key)
        digest = hashlib.sha256(data).hexdigest()
        head = store.head(dst)
        if head is None or head.metadata.get("sha256") != digest:
            store.put_bytes(dst, data, metadata={"sha256": digest, "source": a.key})
            copied += 1
        mapping[name.rsplit(".", 1)[0]] = dst
    manifest = {"sku": rec.sku, "content_hash": rec.content_hash, "assets": mapping}
    mkey = published_key(rec.sku, "manifest.json")
    if store.get_json_or(mkey) != manifest:
        store.put_json(mkey, manifest)
        copied += 1
    if rec.status != "published":
        rec.status = "published"
        write_record(store, rec)
    return mapping, copied


def listing_text(store: ArtifactStore, rec: ProductRecord, language: str = "en") -> dict[str, Any]:
    """The approved listing copy (title, description, bullets) of a product, if any."""
    for a in rec.assets:
        if a.kind == AssetKind.COPY and a.content_type == "listing" and (a.language or "en") == language:
            payload = store.get_json_or(a.key, {}) or {}
            body = payload.get("content", payload)
            return body if isinstance(body, dict) else {}
    return {}


def public_url(store: ArtifactStore, key: str, base_url: str | None) -> str:
    """Stable URL for feeds: `base_url/key` when a CDN/public base is configured, else the store URI."""
    if base_url:
        return f"{base_url.rstrip('/')}/{key}"
    return store.uri_for(key)


def _fmt_price(value: Any, currency: str | None) -> str:
    return f"{value} {currency or 'USD'}"


def google_merchant_xml(
    store: ArtifactStore,
    records: list[ProductRecord],
    products: dict[str, Product],
    *,
    base_url: str | None = None,
    title: str = "AIGC enriched feed",
) -> bytes:
    """RSS 2.0 with the g: namespace; AI copy goes into structured_title/structured_description."""
    from lxml import etree

    g = f"{{{GMC_NS}}}"
    rss = etree.Element("rss", nsmap={"g": GMC_NS}, version="2.0")
    channel = etree.SubElement(rss, "channel")
    etree.SubElement(channel, "title").text = title
    etree.SubElement(channel, "link").text = base_url or store.uri
    etree.SubElement(channel, "description").text = "Product feed enriched by the AIGC content factory"
    for rec in sorted(records, key=lambda r: r.sku):
        p = products.get(rec.sku)
        if p is None or rec.status != "published":
            continue
        listing = listing_text(store, rec, "en") or listing_text(store, rec, p.language)
        item = etree.SubElement(channel, "item")
        etree.SubElement(item, g + "id").text = p.sku
        etree.SubElement(item, g + "title").text = p.title[:150]
        etree.SubElement(item, g + "description").text = (p.description or p.title)[:5000]
        if listing.get("title"):
            st = etree.SubElement(item, g + "structured_title")
            etree.SubElement(st, g + "digital_source_type").text = AI_SOURCE
            etree.SubElement(st, g + "content").text = str(listing["title"])[:150]
        if listing.get("description"):
            sd = etree.SubElement(item, g + "structured_description")
            etree.SubElement(sd, g + "digital_source_type").text = AI_SOURCE
            etree.SubElement(sd, g + "content").text = str(listing["description"])[:5000]
        if p.link:
            etree.SubElement(item, g + "link").text = p.link
        images = [a for a in rec.assets if a.kind == AssetKind.IMAGE]
        images.sort(key=lambda a: (a.content_type != "marketplace_main", a.content_type))
        for i, a in enumerate(images[:11]):
            key = published_key(rec.sku, _published_name(a.key, a.content_type, None))
            tag = "image_link" if i == 0 else "additional_image_link"
            etree.SubElement(item, g + tag).text = public_url(store, key, base_url)
        if not images and p.images:
            etree.SubElement(item, g + "image_link").text = p.images[0]
        if p.price is not None:
            etree.SubElement(item, g + "price").text = _fmt_price(p.price, p.currency)
        if p.sale_price is not None:
            etree.SubElement(item, g + "sale_price").text = _fmt_price(p.sale_price, p.currency)
        etree.SubElement(item, g + "availability").text = p.availability or "in_stock"
        etree.SubElement(item, g + "condition").text = p.condition or "new"
        if p.brand:
            etree.SubElement(item, g + "brand").text = p.brand
        if p.gtin:
            etree.SubElement(item, g + "gtin").text = p.gtin
        if p.mpn:
            etree.SubElement(item, g + "mpn").text = p.mpn
        if not p.gtin and not p.mpn:
            etree.SubElement(item, g + "identifier_exists").text = "no"
        if p.group_id:
            etree.SubElement(item, g + "item_group_id").text = p.group_id
        if p.category:
            etree.SubElement(item, g + "product_type").text = " > ".join(p.category)
    return etree.tostring(rss, xml_declaration=True, encoding="UTF-8", pretty_print=True)


SHOPIFY_COLUMNS = [
    "Handle",
    "Title",
    "Body (HTML)",
    "Vendor",
    "Type",
    "Tags",
    "Published",
    "Variant SKU",
    "Variant Price",
    "Variant Compare At Price",
    "Image Src",
    "Image Position",
    "Image Alt Text",
    "SEO Title",
    "SEO Description",
    # Shopify's own discovery metafield, so "you may also like" works in standard themes
    "Related products (product.metafields.shopify--discovery--product_recommendation.related_products)",
]


def shopify_csv(
    store: ArtifactStore,
    records: list[ProductRecord],
    products: dict[str, Product],
    *,
    base_url: str | None = None,
    recommendations: dict[str, list[str]] | None = None,
) -> bytes:
    """A Shopify product CSV that imports the new copy and images (one row per image)."""
    import html as _html

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=SHOPIFY_COLUMNS, lineterminator="\n")
    w.writeheader()
    recs = recommendations or {}
    for rec in sorted(records, key=lambda r: r.sku):
        p = products.get(rec.sku)
        if p is None or rec.status != "published":
            continue
        listing = listing_text(store, rec, "en") or listing_text(store, rec, p.language)
        title = str(listing.get("title") or p.title)
        desc = str(listing.get("description") or p.description)
        bullets = [str(b) for b in listing.get("bullets", []) if b]
        body = f"<p>{_html.escape(desc)}</p>"
        if bullets:
            body += "<ul>" + "".join(f"<li>{_html.escape(b)}</li>" for b in bullets) + "</ul>"
        handle = (p.group_id or p.sku).lower()
        images = [a for a in rec.assets if a.kind == AssetKind.IMAGE]
        price, compare = (p.sale_price, p.price) if p.sale_price is not None else (p.price, None)
        first = {
            "Handle": handle,
            "Title": title,
            "Body (HTML)": body,
            "Vendor": p.brand or "",
            "Type": p.category[-1] if p.category else "",
            "Tags": ", ".join(p.tags),
            "Published": "true",
            "Variant SKU": p.sku,
            "Variant Price": "" if price is None else str(price),
            "Variant Compare At Price": "" if compare is None else str(compare),
            "SEO Title": title[:70],
            "SEO Description": desc[:320],
            SHOPIFY_COLUMNS[-1]: ", ".join(_handle(s, products) for s in recs.get(p.sku, [])),
        }
        if not images:
            w.writerow(first)
        for i, a in enumerate(images, start=1):
            key = published_key(rec.sku, _published_name(a.key, a.content_type, None))
            row = first if i == 1 else {"Handle": handle}
            w.writerow(
                {
                    **row,
                    "Image Src": public_url(store, key, base_url),
                    "Image Position": str(i),
                    "Image Alt Text": f"{p.title} ({a.content_type})",
                }
            )
    return buf.getvalue().encode("utf-8")


def _handle(sku: str, products: dict[str, Product]) -> str:
    p = products.get(sku)
    return ((p.group_id or p.sku) if p else sku).lower()


def write_feeds(
    store: ArtifactStore,
    records: list[ProductRecord],
    products: dict[str, Product],
    *,
    base_url: str | None = None,
    recommendations: dict[str, list[str]] | None = None,
) -> dict[str, str]:
    """Write both feeds; unchanged bytes are not rewritten, so publishing twice changes nothing."""
    out = {}
    for name, blob, ctype in (
        (
            "google_merchant.xml",
            google_merchant_xml(store, records, products, base_url=base_url),
            "application/xml",
        ),
        (
            "shopify.csv",
            shopify_csv(store, records, products, base_url=base_url, recommendations=recommendations),
            "text/csv",
        ),
    ):
        key = feed_key(name)
        digest = hashlib.sha256(blob).hexdigest()
        head = store.head(key)
        if head is None or head.metadata.get("sha256") != digest:
            store.put_bytes(key, blob, content_type=ctype, metadata={"sha256": digest})
        out[name] = key
    return out
