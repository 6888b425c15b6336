"""`aigc recommend` through the real Prefect flow, as a subprocess, against real catalogs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _aigc(args, tmp_path, env_extra=None):
    env = {
        **os.environ,
        "AIGC_STORAGE_URI": f"file://{tmp_path / 'store'}",
        "AIGC_EMBEDDING_MODEL": "tfidf",
        **(env_extra or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_cli_recommend_catalog_file_with_events(prefect_api, catalogs, tmp_path):
    events = tmp_path / "events.csv"
    events.write_text(
        "user_id,sku,event,timestamp\n"
        "u1,basket-weave-belt,purchase,2026-11-01T10:00:00Z\n"
        "u1,leather-butter,purchase,2026-11-01T10:00:00Z\n"
        "u1,leather-butter,purchase,2026-11-01T10:00:00Z\n"
        "u2,nope,purchase,2026-11-01T10:00:00Z\n"
        "u3,heavy-duty-belt,purchase,not-a-time\n"
    )
    src = catalogs / "rawhide" / "google-merchant-feed.xml"
    proc = _aigc(["recommend", str(src), "--events", str(events), "--day", "2026-12-04", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["products"] == 11 and summary["embedder"].startswith("tfidf:")
    assert summary["events"]["duplicates"] == 1 and summary["events"]["unknown_skus"] == 1
    assert summary["events"]["bad_timestamps"] == 1
    assert (tmp_path / "store" / summary["keys"]["similar"]).is_file()

    again = _aigc(["recommend", str(src), "--day", "2026-12-04", "--json"], tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout)["embed"]["embedded"] == 0


def test_cli_recommend_user_errors_exit_2(tmp_path):
    proc = _aigc(["recommend", str(tmp_path / "missing.csv")], tmp_path)
    assert proc.returncode == 2 and "Error:" in proc.stderr and "missing.csv" in proc.stderr
    proc = _aigc(["recommend", "latest", "--events", str(tmp_path / "nope.csv")], tmp_path)
    assert proc.returncode == 2 and "--events" in proc.stderr


def test_cli_recommend_latest_snapshot(prefect_api, catalogs, tmp_path):
    """The daily path: ingestion wrote a snapshot; `aigc recommend latest` reads it from the store."""
    from tasks.catalog import ingest
    from tasks.storage import open_store

    store = open_store(f"file://{tmp_path / 'store'}")
    ingest(str(catalogs / "shopify-official" / "home-and-garden.csv"), store, day="2026-12-03")
    proc = _aigc(["recommend", "latest", "--day", "2026-12-04", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["products"] == 20 and summary["similar_rows"] > 0
    assert summary["complementary_method"] == "category_rules" and summary["complementary_rows"] > 0
    missing = _aigc(["recommend", "2020-01-01"], tmp_path)
    assert missing.returncode == 2 and "no catalog snapshot" in missing.stderr
