"""The daily flow end to end through the CLI, against real SeaweedFS S3 and a real Prefect server.

Runs use the Rawhide Merchant Center feed (11 real products with real photos) and a small content
spec (one image format, no video) so the whole chain stays within CI's budget on 2 cores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import chromium_flags

pytestmark = pytest.mark.slow

AIGC = str(Path(sys.executable).with_name("aigc"))
CONFIG = """
[content]
image_formats = ["square"]
video_formats = []
content_types = ["listing", "ad_copy", "faq"]
variants = 2
[flow]
batch_size = 6
"""


@pytest.fixture
def env(s3_uri, prefect_api, tmp_path) -> dict[str, str]:
    cfg = tmp_path / "aigc.toml"
    cfg.write_text(CONFIG)
    return {
        **os.environ,
        "AIGC_STORAGE_URI": s3_uri,
        "AIGC_CONFIG": str(cfg),
        "PYTHONWARNINGS": "ignore",
        "AIGC_EMBEDDING_MODEL": "tfidf",
    }


@pytest.fixture
def rawhide_copy(catalogs, tmp_path) -> Path:
    """The Rawhide feed in a temp folder (so a test may edit it), its photos linked beside it."""
    src = catalogs / "rawhide"
    dst = tmp_path / "rawhide"
    dst.mkdir()
    shutil.copy(src / "google-merchant-feed.xml", dst / "google-merchant-feed.xml")
    (dst / "images").symlink_to(src / "images")
    return dst / "google-merchant-feed.xml"


def aigc(
    env: dict[str, str], *args: str, timeout: int = 600, check: bool = True
) -> subprocess.CompletedProcess:
    res = subprocess.run([AIGC, *args], capture_output=True, text=True, env=env, timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError(f"aigc {' '.join(args)} exited {res.returncode}\n{res.stderr[-3000:]}")
    return res


def run_json(env: dict[str, str], *args: str) -> tuple[dict, float]:
    t0 = time.perf_counter()
    res = aigc(env, "run", *args, "--json")
    return json.loads(res.stdout), time.perf_counter() - t0


def store(env: dict[str, str]):
    from tasks.storage import open_store

    return open_store(env["AIGC_STORAGE_URI"])


def test_daily_runs_generate_once_then_skip_then_only_the_change(env, rawhide_copy):
    first, t_first = run_json(env, str(rawhide_copy))
    assert first["products"] == 11 and first["generated"] == 11 and first["failed"] == 0
    assert first["approved"] + first["pending_review"] == 11
    assert first["published"] == first["approved"] > 0
    s = store(env)
    feed = etree.fromstring(s.get_bytes("published/feeds/google_merchant.xml"))
    g = {"g": "http://base.google.com/ns/1.0"}
    items = feed.findall("channel/item")
    assert len(items) == first["published"]
    for item in items:
        assert (
            item.findtext("g:structured_title/g:digital_source_type", namespaces=g)
            == "trained_algorithmic_media"
        )
        assert item.findtext("g:image_link", namespaces=g).endswith("/square.png") or item.findtext(
            "g:image_link", namespaces=g
        ).endswith(".webp")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(s.get_bytes("published/feeds/shopify.csv").decode())))
    assert {"Handle", "Title", "Body (HTML)", "Variant SKU", "Image Src"} <= set(rows[0])
    related = [r for r in rows if r.get(list(rows[0])[-1])]
    assert related, "the daily run's recommendations reach the Shopify metafield column"
    assert s.exists(f"review/{first['run_id']}/index.html")

    keys_before = set(s.list("artifacts/"))
    second, t_second = run_json(env, str(rawhide_copy))
    assert second["generated"] == 0 and second["skipped_unchanged"] == 11
    assert set(s.list("artifacts/")) == keys_before  # no model call, no upload
    assert second["stage_seconds"].get("copy", 0) == 0
    print(f"first run {t_first:.1f}s, second run {t_second:.1f}s")

    text = rawhide_copy.read_text()
    edited = text.replace("<g:price>165.00 USD</g:price>", "<g:price>175.00 USD</g:price>", 1)
    assert edited != text
    rawhide_copy.write_text(edited)
    third, _ = run_json(env, str(rawhide_copy))
    assert third["generated"] == 1 and third["skipped_unchanged"] == 10
    from tasks.ledger import read_record

    assert read_record(s, "fully-custom-radio-strap").run_id == third["run_id"]


def _wait_paused(
    run_id_holder: dict, env: dict[str, str], proc: subprocess.Popen, timeout: float = 300
) -> str:
    """Find the daily-content run that the subprocess started and wait until it is PAUSED."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"run exited early: {proc.stderr.read()[-3000:]}")
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
                )
            )
        runs = [r for r in runs if str(r.id) not in run_id_holder.get("seen", set())]
        if runs:
            return str(runs[0].id)
        time.sleep(1)
    raise AssertionError("the run never paused for review")


def test_pause_mode_review_from_another_process(env, rawhide_copy):
    from prefect.flow_runs import resume_flow_run

    from tasks.ledger import read_record

    env = {**env, "AIGC_STORAGE_URI": env["AIGC_STORAGE_URI"] + "-pause"}
    proc = subprocess.Popen(
        [AIGC, "run", str(rawhide_copy), "--review", "pause", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run_id = _wait_paused({}, env, proc)
        shown = json.loads(aigc(env, "review", "show", run_id, "--json").stdout)
        skus = sorted(p["sku"] for p in shown["products"])
        assert len(skus) == 11 and shown["state"] == "PAUSED"
        listed = json.loads(aigc(env, "review", "list", "--json").stdout)
        assert any(r["run_id"] == run_id for r in listed["runs"])

        # invalid input is refused and the run keeps waiting
        bad = aigc(env, "review", "approve", run_id, "--sku", "NOT-A-SKU", "--reviewer", "ann", check=False)
        assert bad.returncode == 2 and "NOT-A-SKU" in bad.stderr and "Traceback" not in bad.stderr
        with pytest.raises(Exception, match="(?i)reject|invalid|validation|not"):
            resume_flow_run(uuid.UUID(run_id), run_input={"reviewer": "", "approve": ["NOT-A-SKU"]})
        assert json.loads(aigc(env, "review", "show", run_id, "--json").stdout)["state"] == "PAUSED"

        approve, reject, late = skus[:3], skus[3], skus[4]
        # approvals and a rejection in one typed form: the paused run resumes once, with all of them
        res = aigc(
            env,
            "review",
            "decide",
            run_id,
            *sum((["--approve", s] for s in approve), []),
            "--reject",
            f"{reject}=Too salesy, mention the brass hardware",
            "--reviewer",
            "ann",
            "--json",
            check=False,
        )
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["sent_to"] == "waiting run"
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        summary = json.loads(out)
        assert (summary["approved"], summary["rejected"], summary["published"]) == (3, 1, 3)
        s = store(env)
        published = sorted(k.split("/")[1] for k in s.list("published/") if k.endswith("/manifest.json"))
        assert published == approve
        assert read_record(s, reject).status == "rejected"
        assert s.get_json(f"review/{run_id}/decisions/{reject}.json")["reviewer"] == "ann"
        # a decision after the run finished goes to the ledger directly
        res = aigc(
            env,
            "review",
            "reject",
            run_id,
            "--sku",
            late,
            "--reason",
            "Wrong photo crop",
            "--reviewer",
            "bob",
            "--json",
        )
        assert json.loads(res.stdout)["sent_to"] == "ledger"
        assert read_record(s, late).status == "rejected"
    finally:
        if proc.poll() is None:
            proc.kill()

    nxt, _ = run_json(env, str(rawhide_copy))
    assert nxt["generated"] == 2  # only the two rejected products come back
    rec = read_record(s, reject)
    assert rec.run_id == nxt["run_id"]
    payloads = [json.dumps(s.get_json(a.key)) for a in rec.assets if a.kind == "copy"]
    metas = [json.dumps(a.params) for a in rec.assets if a.kind == "copy"]
    assert any("brass hardware" in t for t in payloads + metas), "the reviewer's reason must reach the prompt"


def test_contact_sheet_renders_in_chromium_with_script_title_as_text(env, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root)")
    cat = tmp_path / "evil.jsonl"
    cat.write_text(
        json.dumps(
            {
                "sku": "EVIL-1",
                "title": "<script>document.title='pwned'</script> Belt",
                "description": "A belt.",
                "brand": "Rawhide",
                "price": "20.00",
                "currency": "USD",
            }
        )
        + "\n"
    )
    local = {**env, "AIGC_STORAGE_URI": f"file://{tmp_path / 'store'}"}
    summary, _ = run_json(local, str(cat), "--format", "jsonl")
    index = tmp_path / "store" / "review" / summary["run_id"] / "index.html"
    assert index.is_file()
    profile = tmp_path / "chrome-profile"
    shot = tmp_path / "sheet.png"
    flags = chromium_flags(profile)
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", index.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt; Belt" in dom.stdout
    assert "<title>pwned</title>" not in dom.stdout
    subprocess.run(
        [chromium, *flags, f"--screenshot={shot}", "--window-size=1200,900", index.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert shot.is_file() and shot.stat().st_size > 5000
