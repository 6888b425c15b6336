"""The infrastructure files parse and agree with each other and with the code (no Docker here).

prefect.yaml: every deployment's entrypoint imports and its parameters validate against the flow;
compose, Dockerfiles and Kubernetes manifests: required services and keys, the GPU device request,
node selector and limits, images and worker commands consistent with the pools.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "infra"

SAMPLE_BATCH = {"skus": ["A-1", "B-2"], "day": "2026-01-01", "run_id": "r1"}


@pytest.fixture(scope="module")
def project() -> dict:
    from flows.cli_deploy import load_project

    return load_project(INFRA / "prefect.yaml")


def test_prefect_yaml_has_the_three_deployments_on_the_right_pools(project):
    deps = {d["name"]: d for d in project["deployments"]}
    assert set(deps) == {"daily", "adhoc", "generate-batch"}
    assert deps["daily"]["work_pool"]["name"] == "cpu"
    assert deps["adhoc"]["work_pool"]["name"] == "cpu"
    assert deps["generate-batch"]["work_pool"]["name"] == "gpu"
    assert deps["daily"]["entrypoint"] == deps["adhoc"]["entrypoint"]
    (cron,) = deps["daily"]["schedules"]
    assert cron["cron"] and cron["timezone"]
    assert not deps["adhoc"]["schedules"] and not deps["generate-batch"]["schedules"]
    # the daily flow on the cpu pool fans out to the gpu pool
    assert deps["daily"]["work_pool"]["job_variables"]["env"]["AIGC_FLOW_EXECUTION"] == "deployment"


def test_every_entrypoint_imports_and_its_parameters_validate(project):
    from prefect import Flow

    from flows.cli_deploy import load_entrypoint
    from tasks.settings import load_settings

    for dep in project["deployments"]:
        flow = load_entrypoint(dep["entrypoint"])
        assert isinstance(flow, Flow), dep["entrypoint"]
        params = dict(dep.get("parameters") or {})
        if flow.name == "generate-batch":
            params = {**SAMPLE_BATCH, **params}
        validated = flow.validate_parameters(params)
        assert set(params) <= set(validated)
    # the setting that names the generation deployment points at the one in the file
    flow_name, dep_name = load_settings().flow.generation_deployment.split("/")
    gen = [d for d in project["deployments"] if load_entrypoint(d["entrypoint"]).name == flow_name]
    assert [d["name"] for d in gen] == [dep_name]


def test_bad_parameters_are_refused(project):
    from prefect.exceptions import ParameterTypeError

    from flows.cli_deploy import load_entrypoint

    daily = load_entrypoint(next(d for d in project["deployments"] if d["name"] == "daily")["entrypoint"])
    with pytest.raises(ParameterTypeError):
        daily.validate_parameters({"source": "x.csv", "review": "sometimes"})


def test_settings_drive_the_schedule_pools_and_source(project, monkeypatch):
    from flows.cli_deploy import deployment_specs, runner_deployments
    from tasks.settings import load_settings

    monkeypatch.setenv("AIGC_FLOW_SCHEDULE_CRON", "30 5 * * 1-5")
    monkeypatch.setenv("AIGC_FLOW_SCHEDULE_TIMEZONE", "Asia/Shanghai")
    monkeypatch.setenv("AIGC_FLOW_CATALOG_SOURCE", "s3://shop/catalog.csv")
    monkeypatch.setenv("AIGC_SERVICES_GPU_POOL", "a100")
    specs = {s["name"]: s for s in deployment_specs(load_settings(), project)}
    assert specs["daily"]["schedules"][0] | {} == {
        "cron": "30 5 * * 1-5",
        "timezone": "Asia/Shanghai",
        "active": True,
    }
    assert specs["daily"]["parameters"]["source"] == "s3://shop/catalog.csv"
    assert specs["generate-batch"]["work_pool"]["name"] == "a100"
    deps = {d.name: d for d in runner_deployments(list(specs.values()))}
    sched = deps["daily"].schedules[0].schedule
    assert (sched.cron, sched.timezone) == ("30 5 * * 1-5", "Asia/Shanghai")
    assert deps["generate-batch"].work_pool_name == "a100"
    assert deps["daily"].entrypoint == "flows/daily.py:daily_content"


def _dockerfile(name: str) -> list[tuple[str, str]]:
    text = (INFRA / "docker" / name).read_text()
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


@pytest.mark.parametrize("name,pool", [("Dockerfile.cpu", "cpu"), ("Dockerfile.gpu", "gpu")])
def test_dockerfiles_copy_existing_paths_and_start_a_worker_on_their_pool(name, pool):
    instr = _dockerfile(name)
    assert instr[0][0] == "FROM"
    for op, rest in instr:
        if op == "COPY":
            *srcs, _dst = rest.split()
            for src in srcs:
                assert (ROOT / src).exists(), f"{name}: COPY {src} does not exist"
    cmd = json.loads(next(rest for op, rest in instr if op == "CMD"))
    assert cmd[:3] == ["prefect", "worker", "start"]
    assert cmd[cmd.index("--pool") + 1] == pool
    torch = next(rest for op, rest in instr if op == "RUN" and "torch==" in rest)
    assert ("/whl/cpu" in torch) == (pool == "cpu")
    if pool == "gpu":
        assert instr[0][1].startswith("nvidia/cuda:")
        assert any(op == "ENV" and "AIGC_DEVICE=cuda" in rest for op, rest in instr)


def test_compose_has_server_database_store_and_both_workers():
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text())
    svcs = compose["services"]
    assert {"postgres", "prefect-server", "s3", "worker-cpu", "worker-gpu"} <= set(svcs)
    server = svcs["prefect-server"]
    assert server["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
    assert "postgres" in server["depends_on"]
    port = int(server["ports"][0].split(":")[-1])
    for name, pool, dockerfile in (
        ("worker-cpu", "cpu", "Dockerfile.cpu"),
        ("worker-gpu", "gpu", "Dockerfile.gpu"),
    ):
        w = svcs[name]
        assert w["command"][w["command"].index("--pool") + 1] == pool
        assert (ROOT / "infra" / w["build"]["context"] / w["build"]["dockerfile"]).resolve() == (
            INFRA / "docker" / dockerfile
        )
        env = w["environment"]
        assert env["PREFECT_API_URL"] == f"http://prefect-server:{port}/api"
        assert env["AWS_ENDPOINT_URL_S3"].startswith("http://s3:")
        assert env["AIGC_STORAGE_URI"].startswith("s3://")
    (dev,) = svcs["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert dev["driver"] == "nvidia" and "gpu" in dev["capabilities"]
    assert svcs["worker-cpu"]["environment"]["AIGC_FLOW_EXECUTION"] == "deployment"
    assert svcs["deploy"]["command"] == ["aigc", "deploy"]


def test_k8s_manifests_for_both_pools_with_gpu_scheduling():
    docs = [d for f in sorted((INFRA / "k8s").glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    by_kind: dict[str, dict[str, dict]] = {}
    for d in docs:
        assert {"apiVersion", "kind", "metadata"} <= set(d)
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text())["services"]
    config_maps = set(by_kind.get("ConfigMap", {}))
    for name, pool in (("aigc-worker-cpu", "cpu"), ("aigc-worker-gpu", "gpu")):
        dep = by_kind["Deployment"][name]
        spec = dep["spec"]
        assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
        (c,) = spec["template"]["spec"]["containers"]
        assert c["command"][c["command"].index("--pool") + 1] == pool
        assert c["image"] == compose[f"worker-{pool}"]["image"]
        refs = {e["configMapRef"]["name"] for e in c["envFrom"] if "configMapRef" in e}
        assert refs <= config_maps
        limits = c["resources"]["limits"]
        if pool == "gpu":
            assert limits["nvidia.com/gpu"] == 1
            assert spec["template"]["spec"]["nodeSelector"]
            assert any(t["key"] == "nvidia.com/gpu" for t in spec["template"]["spec"]["tolerations"])
        else:
            assert "nvidia.com/gpu" not in limits


def test_gpu_smoke_script_is_valid_bash():
    script = INFRA / "gpu-smoke.sh"
    assert script.stat().st_mode & 0o111
    subprocess.run(["bash", "-n", str(script)], check=True)
