"""The artifact store contract, run against the local folder and a real SeaweedFS S3 server."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from tasks.errors import PreconditionFailed, UnsafeKeyError
from tasks.keys import artifact_key, published_key
from tasks.storage import LocalStore, check_key, open_store, safe_segment


def test_put_get_roundtrip_with_metadata(any_store):
    info = any_store.put_bytes(
        "a/b/c.txt", b"hello", content_type="text/plain", metadata={"sku": "X1"}
    )
    assert info.size == 5
    assert any_store.get_bytes("a/b/c.txt") == b"hello"
    head = any_store.head("a/b/c.txt")
    assert head is not None and head.size == 5
    assert head.content_type == "text/plain"
    assert head.metadata == {"sku": "X1"}
    assert any_store.exists("a/b/c.txt")
    assert not any_store.exists("a/b/missing.txt")
    assert any_store.head("nope") is None


def test_json_and_missing(any_store):
    any_store.put_json("x/data.json", {"k": [1, "二"]})
    assert any_store.get_json("x/data.json") == {"k": [1, "二"]}
    assert any_store.head("x/data.json").content_type == "application/json"
    with pytest.raises(FileNotFoundError):
        any_store.get_bytes("x/none.json")
    assert any_store.get_json_or("x/none.json", {"d": 1}) == {"d": 1}


def test_list_by_prefix_sorted(any_store):
    for k in ["p/2.txt", "p/1.txt", "p/sub/3.txt", "q/4.txt"]:
        any_store.put_bytes(k, b"x")
    assert list(any_store.list("p/")) == ["p/1.txt", "p/2.txt", "p/sub/3.txt"]
    assert "q/4.txt" in list(any_store.list(""))


def test_conditional_create(any_store):
    any_store.put_bytes("lock/run.json", b"1", if_absent=True)
    with pytest.raises(PreconditionFailed):
        any_store.put_bytes("lock/run.json", b"2", if_absent=True)
    assert any_store.get_bytes("lock/run.json") == b"1"


def test_overwrite_and_delete(any_store):
    any_store.put_bytes("o.txt", b"1")
    any_store.put_bytes("o.txt", b"2")
    assert any_store.get_bytes("o.txt") == b"2"
    any_store.delete("o.txt")
    assert not any_store.exists("o.txt")


def test_url_opens(any_store):
    import urllib.request

    any_store.put_bytes("u/img.txt", b"pixels")
    with urllib.request.urlopen(any_store.url("u/img.txt")) as resp:
        assert resp.read() == b"pixels"


def test_large_object_streams(any_store):
    blob = os.urandom(9 * 1024 * 1024)  # above the 8 MiB multipart threshold
    info = any_store.put_file("big/blob.bin", io.BytesIO(blob))
    assert info.size == len(blob)
    assert any_store.get_bytes("big/blob.bin") == blob


@pytest.mark.parametrize(
    "bad", ["../x", "a/../../x", "/etc/passwd", "a//b", "a\\b", "", "a/./b", ".."]
)
def test_unsafe_keys_refused(any_store, bad):
    with pytest.raises(UnsafeKeyError):
        any_store.put_bytes(bad, b"x")


@pytest.mark.parametrize("sku", ["../../etc/passwd", "..", ".", "a/b", "a b?c", "鞋-01", "x" * 500])
def test_safe_segment_never_traverses(sku, tmp_path: Path):
    seg = safe_segment(sku)
    assert "/" not in seg and seg not in (".", "..") and len(seg) <= 120
    check_key(f"artifacts/{seg}/f.json")
    store = LocalStore(tmp_path / "store")
    store.put_bytes(published_key(sku, "x.json"), b"{}")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all((tmp_path / "store") in p.parents for p in written)


def test_safe_segment_keeps_distinct_values_distinct():
    values = ["a/b", "a_b", "a%2Fb", "A/B", "a b"]
    assert len({safe_segment(v) for v in values}) == len(values)


def test_artifact_key_is_content_addressed():
    k1 = artifact_key("SKU-1", "h1", {"backend": "builtin", "prompt": "v1"}, "listing_en.json")
    k2 = artifact_key("SKU-1", "h1", {"backend": "builtin", "prompt": "v1"}, "listing_en.json")
    k3 = artifact_key("SKU-1", "h1", {"backend": "builtin", "prompt": "v2"}, "listing_en.json")
    k4 = artifact_key("SKU-1", "h2", {"backend": "builtin", "prompt": "v1"}, "listing_en.json")
    assert k1 == k2 and len({k1, k3, k4}) == 3
    assert k1.startswith("artifacts/SKU-1/")


def test_s3_store_prefix_isolation(s3_uri):
    a = open_store(s3_uri + "/a")
    b = open_store(s3_uri + "/b")
    a.put_bytes("k.txt", b"A")
    assert list(b.list("")) == []
    assert a.uri.endswith("/a")
    assert json.loads(json.dumps(list(a.list()))) == ["k.txt"]


def test_s3_unreachable_endpoint_names_the_fix(monkeypatch):
    from tasks.errors import StorageError

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    with pytest.raises(StorageError, match="AWS_ENDPOINT_URL_S3"):
        open_store("s3://nowhere/p", max_attempts=1)
