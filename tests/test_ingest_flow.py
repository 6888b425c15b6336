"""Ingest end to end: snapshots, change sets, crash safety, S3 and a real Prefect server."""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

import pytest

from tasks.catalog import ingest, load_snapshot, read_catalog
from tasks.catalog.snapshot import POINTER
from tasks.keys import catalog_key
from tasks.settings import load_settings
from tasks.storage import LocalStore, open_store

ROOT = Path(__file__).resolve().parents[1]


def _edit_price(path: Path, handle: str, price: str) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows, fields = list(reader), reader.fieldnames
    for row in rows:
        if row["Handle"] == handle and row["Title"]:
            row["Variant Price"] = price
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def test_ingest_twice_then_edit_one_price(catalogs: Path, tmp_path: Path) -> None:
    src = tmp_path / "apparel.csv"
    shutil.copy(catalogs / "shopify-official" / "apparel.csv", src)
    store = LocalStore(tmp_path / "store")
    settings = load_settings()
    first = ingest(str(src), store, settings, day="2026-03-01")
    assert (first.products, first.new, first.changed, first.unchanged, first.removed) == (20, 20, 0, 0, 0)
    second = ingest(str(src), store, settings, day="2026-03-01")
    assert (second.new, second.changed, second.unchanged, second.removed) == (0, 0, 20, 0)
    assert second.previous_day == "2026-03-01"
    _edit_price(src, "ocean-blue-shirt", "55.00")
    third = ingest(str(src), store, settings, day="2026-03-02")
    assert (third.new, third.changed, third.unchanged, third.removed) == (0, 1, 19, 0)
    assert third.changed_skus == ["ocean-blue-shirt"] and third.previous_day == "2026-03-01"
    assert store.get_json(POINTER)["day"] == "2026-03-02"
    shirt = next(p for p in load_snapshot(store) if p.sku == "ocean-blue-shirt")
    assert str(shirt.price) == "55.00"
    assert (
        str(next(p for p in load_snapshot(store, "2026-03-01") if p.sku == "ocean-blue-shirt").price)
        == "50.00"
    )
    changes = store.get_json(catalog_key("2026-03-02", "changes.json"))
    assert changes["changed"] == ["ocean-blue-shirt"]


def test_removed_products_and_snapshot_files(tmp_path: Path) -> None:
    src = tmp_path / "p.jsonl"
    src.write_text(
        '{"sku":"A","title":"a","price":"1"}\n{"sku":"B","title":"b","price":"2"}\n{"sku":"C","title":""}\n'
    )
    store = LocalStore(tmp_path / "store")
    s1 = ingest(str(src), store, load_settings(), day="2026-03-01")
    assert (s1.products, s1.quarantined) == (2, 1)
    lines = store.get_bytes(catalog_key("2026-03-01", "quarantine.jsonl")).decode().splitlines()
    assert len(lines) == 1 and '"field":"title"' in lines[0]
    assert "results" in store.get_json(catalog_key("2026-03-01", "validation.json"))
    src.write_text('{"sku":"A","title":"a","price":"1"}\n')
    s2 = ingest(str(src), store, load_settings(), day="2026-03-02")
    assert (s2.unchanged, s2.removed, s2.removed_skus) == (1, 1, ["B"])


class _FailingStore(LocalStore):
    """A real local store whose disk 'fills up' after the products file: a crash mid-write."""

    def put_bytes(self, key, data, **kw):
        if key.endswith("validation.json"):
            raise OSError("No space left on device")
        return super().put_bytes(key, data, **kw)


def test_crash_mid_write_leaves_the_pointer_on_the_last_complete_snapshot(tmp_path: Path) -> None:
    src = tmp_path / "p.jsonl"
    src.write_text('{"sku":"A","title":"a","price":"1"}\n')
    ingest(str(src), LocalStore(tmp_path / "store"), load_settings(), day="2026-03-01")
    src.write_text('{"sku":"A","title":"a","price":"9"}\n')
    with pytest.raises(OSError, match="No space"):
        ingest(str(src), _FailingStore(tmp_path / "store"), load_settings(), day="2026-03-02")
    store = LocalStore(tmp_path / "store")
    assert store.get_json(POINTER)["day"] == "2026-03-01"
    assert str(load_snapshot(store)[0].price) == "1.00"
    again = ingest(str(src), store, load_settings(), day="2026-03-02")
    assert (again.changed, again.previous_day) == (1, "2026-03-01")


def test_snapshot_round_trip_keeps_content_hashes(catalogs: Path, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    source = str(catalogs / "rawhide" / "google-merchant-feed.xml")
    ingest(source, store, load_settings(), day="2026-03-01")
    assert [p.content_hash for p in load_snapshot(store)] == [
        p.content_hash for p in read_catalog(source).products
    ]


@pytest.mark.slow
def test_amazon_ingest_is_fast(catalogs: Path, tmp_path: Path) -> None:
    from tasks.catalog.validate import run_gx

    run_gx(read_catalog(str(ROOT / "examples" / "catalog" / "products.csv")).products)  # import GX once
    t0 = time.perf_counter()
    s = ingest(
        str(catalogs / "amazon-sample" / "amazon_products_sample_1000.csv"), LocalStore(tmp_path / "s")
    )
    elapsed = time.perf_counter() - t0
    assert (s.rows, s.products, s.quarantined) == (1000, 979, 21)
    assert elapsed < 5.0, s.timings


@pytest.mark.slow
def test_flow_on_real_prefect_server_and_s3(
    catalogs: Path, tmp_path: Path, s3_uri: str, prefect_api: str
) -> None:
    from prefect.client.orchestration import get_client

    from flows.ingest import ingest_catalog

    cfg = tmp_path / "aigc.toml"
    cfg.write_text(f'[storage]\nuri = "{s3_uri}"\n\n[ingest]\ndefault_currency = "SEK"\n')
    # the catalog itself comes from S3 too
    src_store = open_store(s3_uri + "-src")
    src_store.put_bytes(
        "velofant/shopify.csv", (catalogs / "velofant" / "shopify_products_export.csv").read_bytes()
    )
    source = src_store.uri_for("velofant/shopify.csv")
    summary = ingest_catalog(source, config=str(cfg), day="2026-03-01")
    assert (summary["products"], summary["new"], summary["format"]) == (14, 14, "shopify")
    assert summary["snapshot"] == f"{s3_uri}/catalog/2026-03-01/products.parquet"
    again = ingest_catalog(source, config=str(cfg), day="2026-03-01")
    assert (again["unchanged"], again["new"]) == (14, 0)
    store = open_store(s3_uri)
    assert {p.currency for p in load_snapshot(store)} == {"SEK"}
    assert store.exists(catalog_key("2026-03-01", "quarantine.jsonl"))

    import asyncio

    async def completed_ingest_runs() -> int:
        async with get_client() as client:
            runs = await client.read_flow_runs(limit=50)
            flows = {r.flow_id: (await client.read_flow(r.flow_id)).name for r in runs}
            return sum(
                1 for r in runs if flows[r.flow_id] == "ingest-catalog" and r.state_type.value == "COMPLETED"
            )

    assert asyncio.run(completed_ingest_runs()) >= 2  # the runs are recorded by the real server

    async def ingest_artifacts() -> list[str]:
        from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

        async with get_client() as client:
            arts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["catalog-ingest"]))
            )
            return [str(a.data) for a in arts]

    reports = asyncio.run(ingest_artifacts())
    # the key is shared by every ingest of the session: keep this test's two runs (by source URI)
    mine = [r for r in reports if source in r]
    assert len(mine) >= 2 and all("| 48 | 14 | 0 |" in r for r in mine), mine[:2]
