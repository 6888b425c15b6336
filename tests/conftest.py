"""Session-wide real services: one SeaweedFS S3 server and one Prefect server per test session.

Both are started lazily by the first test that needs them and stopped at the end of the session.
The Prefect server is a real one (not the in-process temporary API) so that other processes,
`aigc` subprocesses and workers included, can reach it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("AIGC_SHARED_DATA", ROOT.parent / "shared" / "data")).resolve()
CATALOGS = SHARED_DATA / "catalogs"

os.environ.setdefault("AWS_ACCESS_KEY_ID", "aigc-test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "aigc-test-secret")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    import importlib.util

    has_cuda = False
    if importlib.util.find_spec("torch") is not None:
        import torch

        has_cuda = torch.cuda.is_available()
    skip_gpu = pytest.mark.skip(reason="needs a CUDA GPU; none on this machine")
    for item in items:
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(skip_gpu)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not CATALOGS.is_dir():
        pytest.fail(f"shared test data missing at {SHARED_DATA}; set AIGC_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture(scope="session")
def catalogs(shared_data: Path) -> Path:
    return shared_data / "catalogs"


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real SeaweedFS S3 endpoint (reused from $AIGC_TEST_S3_ENDPOINT when the caller runs one)."""
    from tasks.services import free_port, start_seaweedfs

    existing = os.environ.get("AIGC_TEST_S3_ENDPOINT")
    if existing:
        os.environ["AWS_ENDPOINT_URL_S3"] = existing
        yield existing
        return
    port = free_port()
    svc = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"), port=port)
    os.environ["AWS_ENDPOINT_URL_S3"] = svc.url
    try:
        yield svc.url
    finally:
        svc.stop()
        os.environ.pop("AWS_ENDPOINT_URL_S3", None)


@pytest.fixture
def s3_uri(s3_endpoint: str) -> str:
    """A fresh bucket prefix per test, so tests never see each other's objects."""
    return f"s3://aigc-test/{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prefect server for the whole session; PREFECT_API_URL points at it."""
    from tasks.services import start_prefect_server

    existing = os.environ.get("AIGC_TEST_PREFECT_API_URL")
    if existing:
        os.environ["PREFECT_API_URL"] = existing
        yield existing
        return
    home = tmp_path_factory.mktemp("prefect-home")
    svc = start_prefect_server(home)
    old = {k: os.environ.get(k) for k in ("PREFECT_API_URL", "PREFECT_HOME")}
    os.environ["PREFECT_API_URL"] = svc.url
    os.environ["PREFECT_HOME"] = str(home)
    try:
        yield svc.url
    finally:
        svc.stop()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def local_store(tmp_path: Path):
    from tasks.storage import LocalStore

    return LocalStore(tmp_path / "store")


@pytest.fixture(params=["local", "s3"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path):
    """The same store tests run against the local folder and against real SeaweedFS."""
    from tasks.storage import open_store

    if request.param == "local":
        return open_store(f"file://{tmp_path / 'store'}")
    uri = request.getfixturevalue("s3_uri")
    return open_store(uri)


def chromium_flags(profile: Path) -> list[str]:
    """Headless Chromium as this machine needs it: no sandbox (root), no GPU, no background network."""
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ]


def copy_catalog(src: Path, dst_dir: Path) -> Path:
    """Copy a shared catalog into a test's tmp dir when a test must edit it (never into the repo)."""
    dst = dst_dir / src.name
    shutil.copy(src, dst)
    return dst
