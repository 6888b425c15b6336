"""`aigc deploy`, `aigc serve` and `aigc server up|down|status`: the factory as Prefect runs it.

`deploy` applies the deployments of `infra/prefect.yaml` to a Prefect server, with the daily
schedule and catalog from the settings, and creates what they need there: the `cpu` and `gpu`
work pools, the `gpu` global concurrency limit (one slot per GPU) and an automation that marks
runs crashed when their heartbeats stop (a killed worker), so the daily flow reruns their batch.
`serve` is the one-machine case: the same deployments served with their schedules from this
process, no workers needed. `server` starts and stops a local Prefect server and SeaweedFS S3.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import click

from flows.cli_common import emit_json, group, settings_from, stderr_console
from tasks.errors import ConfigError, UserInputError

ROOT = Path(__file__).resolve().parents[1]
PREFECT_FILE = ROOT / "infra" / "prefect.yaml"
ZOMBIE_AUTOMATION = "aigc: crash runs whose heartbeats stopped"


def load_project(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The parsed `prefect.yaml` (default: infra/prefect.yaml of this checkout)."""
    import yaml

    p = Path(path) if path else PREFECT_FILE
    if not p.is_file():
        raise UserInputError(f"deployment file {p} does not exist; pass --prefect-file PATH")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("deployments"), list):
        raise ConfigError(f"{p} has no `deployments:` list")
    return data


def deployment_specs(settings: Any, project: dict[str, Any]) -> list[dict[str, Any]]:
    """The deployments with the settings applied: pool names, daily cron/timezone, catalog source."""
    svc, fl = settings.services, settings.flow
    pools = {"cpu": svc.cpu_pool, "gpu": svc.gpu_pool}
    specs = []
    for dep in project["deployments"]:
        spec = {
            "name": dep["name"],
            "entrypoint": dep["entrypoint"],
            "description": dep.get("description"),
            "tags": list(dep.get("tags") or []),
            "parameters": dict(dep.get("parameters") or {}),
            "work_pool": dict(dep.get("work_pool") or {}),
            "schedules": [dict(s) for s in dep.get("schedules") or []],
        }
        pool = spec["work_pool"].get("name")
        if pool in pools:
            spec["work_pool"]["name"] = pools[pool]
        for sched in spec["schedules"]:
            if "cron" in sched:
                sched["cron"], sched["timezone"] = fl.schedule_cron, fl.schedule_timezone
        if "source" in spec["parameters"] and fl.catalog_source:
            spec["parameters"]["source"] = fl.catalog_source
        specs.append(spec)
    return specs


def load_entrypoint(entrypoint: str):
    """Import `path/to/module.py:flow_name` as a module of this package (same objects as imports)."""
    import importlib

    path, _, name = entrypoint.partition(":")
    if not path.endswith(".py") or not name:
        raise ConfigError(f"entrypoint {entrypoint!r} must look like flows/module.py:flow_function")
    module = importlib.import_module(path[: -len(".py")].replace("/", "."))
    try:
        return getattr(module, name)
    except AttributeError:
        raise ConfigError(f"entrypoint {entrypoint!r}: {path} has no {name}") from None


def runner_deployments(specs: list[dict[str, Any]], serve: bool = False) -> list[Any]:
    """RunnerDeployments for `deploy` (bound to work pools) or `serve` (run by this process)."""
    from prefect.schedules import Cron

    out = []
    for spec in specs:
        flow = load_entrypoint(spec["entrypoint"])
        pool = spec["work_pool"]
        schedules = [
            Cron(s["cron"], timezone=s.get("timezone") or "UTC", active=s.get("active", True))
            for s in spec["schedules"]
            if "cron" in s
        ]
        kwargs: dict[str, Any] = {
            "name": spec["name"],
            "parameters": spec["parameters"],
            "description": spec["description"],
            "tags": spec["tags"],
            "schedules": schedules or None,
        }
        if not serve:
            kwargs["work_pool_name"] = pool.get("name")
            kwargs["work_queue_name"] = pool.get("work_queue_name")
            kwargs["job_variables"] = pool.get("job_variables") or None
        dep = flow.to_deployment(**kwargs)
        dep.entrypoint = spec["entrypoint"]
        if not serve:
            dep._path = code_dir()
        out.append(dep)
    return out


def ensure_work_pools(settings: Any, names: set[str]) -> list[str]:
    """Create the work pools that do not exist yet (process or kubernetes type)."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.utilities.asyncutils import run_coro_as_sync
    from prefect.workers.utilities import get_default_base_job_template_for_infrastructure_type

    kind = settings.services.pool_type
    created = []
    with get_client(sync_client=True) as client:
        for name in sorted(names):
            try:
                client.read_work_pool(name)
                continue
            except ObjectNotFound:
                pass
            template = run_coro_as_sync(get_default_base_job_template_for_infrastructure_type(kind)) or {}
            client.create_work_pool(WorkPoolCreate(name=name, type=kind, base_job_template=template))
            created.append(name)
    return created


def ensure_gpu_limit(slots: int) -> dict[str, Any]:
    """The `gpu` global concurrency limit, one slot per GPU; updated when the setting changes."""
    from prefect import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    from flows.fanout import GPU_LIMIT

    with get_client(sync_client=True) as client:
        try:
            limit = client.read_global_concurrency_limit_by_name(GPU_LIMIT)
            if limit.limit != slots or not limit.active:
                client.update_global_concurrency_limit(
                    GPU_LIMIT, GlobalConcurrencyLimitUpdate(limit=slots, active=True)
                )
        except ObjectNotFound:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=GPU_LIMIT, limit=slots))
    return {"name": GPU_LIMIT, "slots": slots}


def ensure_zombie_automation(after_s: int) -> str:
    """Prefect's documented zombie-run detector, limited to generation batch runs: no heartbeat
    within `after_s` -> Crashed, and the daily flow runs the batch again. `after_s` must exceed the
    batch runs' PREFECT_FLOWS_HEARTBEAT_FREQUENCY (30 s via the gpu pool's job variables)."""
    from datetime import timedelta

    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    from flows.fanout import BATCH_TAG

    with contextlib.suppress(ValueError):
        Automation.read(name=ZOMBIE_AUTOMATION).delete()
    auto = Automation(
        name=ZOMBIE_AUTOMATION,
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
            },
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            # only generation batch runs: the daily flow reruns them; other runs keep their state
            match_related=ResourceSpecification(
                {"prefect.resource.id": f"prefect.tag.{BATCH_TAG}", "prefect.resource.role": "tag"}
            ),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=after_s),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"no heartbeat for {after_s}s: the worker running it is gone",
            )
        ],
    ).create()
    return str(auto.id)


def code_dir() -> str:
    """Where the workers find this code: $AIGC_CODE_DIR (the images set /opt/aigc), else this checkout."""
    return os.environ.get("AIGC_CODE_DIR") or str(ROOT)


def _run_in_place(deployment_id: Any) -> None:
    """Workers run the code where it is (a `set_working_directory` pull step, as in prefect.yaml):
    without a pull step Prefect copies the whole project folder into a temporary workspace for
    every flow run, which costs minutes per batch when the folder holds a virtualenv."""
    from prefect import get_client
    from prefect.client.schemas.actions import DeploymentUpdate

    step = {"prefect.deployments.steps.set_working_directory": {"directory": code_dir()}}
    with get_client(sync_client=True) as client:
        client.update_deployment(deployment_id, DeploymentUpdate(pull_steps=[step]))


def deploy(settings: Any, prefect_file: str | None = None) -> dict[str, Any]:
    """Apply everything `infra/prefect.yaml` describes to the Prefect server at PREFECT_API_URL."""
    specs = deployment_specs(settings, load_project(prefect_file))
    pools = {s["work_pool"]["name"] for s in specs if s["work_pool"].get("name")}
    created_pools = ensure_work_pools(settings, pools)
    limit = ensure_gpu_limit(settings.services.gpu_slots)
    automation = ensure_zombie_automation(settings.services.zombie_after_s)
    ids = {}
    for spec, dep in zip(specs, runner_deployments(specs), strict=True):
        dep_id = dep.apply()
        _run_in_place(dep_id)
        ids[f"{dep.flow_name}/{spec['name']}"] = str(dep_id)
    return {
        "deployments": ids,
        "work_pools": sorted(pools),
        "created_work_pools": created_pools,
        "concurrency_limit": limit,
        "zombie_automation": automation,
        "schedule": {"cron": settings.flow.schedule_cron, "timezone": settings.flow.schedule_timezone},
    }


def need_api(settings: Any) -> str:
    """PREFECT_API_URL, else the URL of the server `aigc server up` started."""
    from tasks.services import read_pid_file

    url = os.environ.get("PREFECT_API_URL")
    if not url:
        info = read_pid_file(Path(settings.services.data_dir), "prefect")
        url = info["url"] if info else None
    if not url:
        raise UserInputError(
            "no Prefect server: set PREFECT_API_URL (e.g. http://127.0.0.1:4200/api) "
            "or start one with `aigc server up`"
        )
    os.environ["PREFECT_API_URL"] = url
    return url


def register(cli: click.Group) -> None:
    @cli.command("deploy")
    @click.option(
        "--prefect-file", type=click.Path(dir_okay=False), default=None, help="Default: infra/prefect.yaml."
    )
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON summary on stdout.")
    @click.pass_context
    def deploy_cmd(ctx, prefect_file, as_json):
        """Apply the deployments, work pools, `gpu` concurrency limit and zombie-run automation."""
        settings = settings_from(ctx)
        url = need_api(settings)
        out = {"api": url, **deploy(settings, prefect_file)}
        if as_json:
            emit_json(out)
            return
        con = stderr_console()
        for name, dep_id in out["deployments"].items():
            con.print(f"deployment [bold]{name}[/] {dep_id}")
        con.print(f"work pools {', '.join(out['work_pools'])}; gpu slots {out['concurrency_limit']['slots']}")
        con.print(f"start workers: prefect worker start --pool {settings.services.gpu_pool}  (one per GPU)")

    @cli.command("serve")
    @click.option(
        "--prefect-file", type=click.Path(dir_okay=False), default=None, help="Default: infra/prefect.yaml."
    )
    @click.option("--limit", type=click.IntRange(min=1), default=None, help="Runs at once in this process.")
    @click.pass_context
    def serve_cmd(ctx, prefect_file, limit):
        """Serve the deployments with their schedules from this process (one machine, no workers)."""
        from prefect import serve

        settings = settings_from(ctx)
        need_api(settings)
        specs = deployment_specs(settings, load_project(prefect_file))
        ensure_gpu_limit(settings.services.gpu_slots)  # served batch runs are deployment runs too
        serve(*runner_deployments(specs, serve=True), limit=limit, print_starting_message=True)

    server = group(cli, "server", "Start, stop and check the local Prefect server and SeaweedFS S3.")

    @server.command("up")
    @click.option("--data-dir", default=None, help="Databases, logs, pid files (default: settings).")
    @click.option("--prefect-port", type=int, default=None)
    @click.option("--s3-port", type=int, default=None)
    @click.option("--no-s3", is_flag=True, help="Only the Prefect server.")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def up_cmd(ctx, data_dir, prefect_port, s3_port, no_s3, as_json):
        """Start the services in the background (they outlive this command); waits until healthy."""
        from tasks.services import server_up

        svc = settings_from(ctx).services
        out = server_up(
            Path(data_dir or svc.data_dir),
            prefect_port or svc.prefect_port,
            None if no_s3 else (s3_port or svc.s3_port),
            database_url=svc.database_url,
        )
        _show(out, as_json)

    @server.command("status")
    @click.option("--data-dir", default=None)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def status_cmd(ctx, data_dir, as_json):
        """Which services run, where, and whether they answer their health check."""
        from tasks.services import server_status

        _show(server_status(Path(data_dir or settings_from(ctx).services.data_dir)), as_json)

    @server.command("down")
    @click.option("--data-dir", default=None)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def down_cmd(ctx, data_dir, as_json):
        """Stop the services (SIGTERM, then SIGKILL after a grace period)."""
        from tasks.services import server_down

        _show(server_down(Path(data_dir or settings_from(ctx).services.data_dir)), as_json)


def _show(out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(out)
        return
    con = stderr_console()
    for name, info in out.get("services", {}).items():
        con.print(f"{name}: {info.get('state')} {info.get('url') or ''}")
    for line in out.get("env", []):
        con.print(f"  export {line}")
