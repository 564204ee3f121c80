"""The servers under test, each one worker pinned to the server core.

A server is one or more processes (nginx auth_request needs nginx plus the
auth service; both share the server core, as the gateway must do everything
on its one core too). All serve the same media root under /uploads/.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import nginx
from bench.database import Database
from bench.processes import Process, StartError, free_port, rss_mib, tree_pids

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Shared by every granian-served app, so they differ only in the app itself; the
# same settings `gateway serve` uses (granian defaults, one worker, no access log).
GRANIAN_FLAGS = ["--interface", "asgi", "--workers", "1", "--log-level", "warning"]


@dataclass(frozen=True, slots=True)
class Context:
    workdir: Path
    media_root: Path
    database: Database
    secret: str
    cpu: int


@dataclass(frozen=True, slots=True)
class ProcessSpec:
    name: str
    argv: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Plan:
    """What to start, in order, and the port the load generator targets."""

    processes: list[ProcessSpec]
    port: int


@dataclass(frozen=True, slots=True)
class ServerSpec:
    name: str  # used by --servers and in the JSON
    label: str  # used in the table and chart
    authorizes: bool  # only authorizing servers run the cold workload and the 401/403 probe
    plan: Callable[[Context, Path], Plan]


class RunningServer:
    def __init__(self, spec: ServerSpec, processes: list[Process], port: int) -> None:
        self.spec = spec
        self.port = port
        self._processes = processes

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def root_pid(self) -> int:
        return self._processes[0].pid

    def rss_mib(self) -> float:
        return rss_mib(tree_pids(p.pid for p in self._processes))

    def alive(self) -> bool:
        return all(p.running() for p in self._processes)

    def stop(self) -> None:
        for process in reversed(self._processes):
            process.stop()

    def tails(self) -> str:
        return " || ".join(f"{p.name}: {p.tail(5)}" for p in self._processes)


def start(spec: ServerSpec, ctx: Context) -> RunningServer:
    """Start every process of the server; on any failure, stop what already started."""
    home = ctx.workdir / "servers" / spec.name
    home.mkdir(parents=True)
    plan = spec.plan(ctx, home)
    started: list[Process] = []
    try:
        for proc in plan.processes:
            process = Process(
                f"{spec.name}/{proc.name}",
                proc.argv,
                cpu=ctx.cpu,
                log=home / f"{proc.name}.log",
                env=proc.env,
                cwd=REPO,
            )
            started.append(process)
            process.wait_for_port(proc.port)
    except BaseException:
        for process in reversed(started):
            process.stop()
        raise
    return RunningServer(spec, started, plan.port)


def _nginx_static(ctx: Context, home: Path) -> Plan:
    port = free_port()
    config = nginx.write_static_config(home, port=port, media_root=ctx.media_root)
    return Plan([ProcessSpec("nginx", nginx.nginx_argv(config), port)], port)


def _nginx_auth(ctx: Context, home: Path) -> Plan:
    auth_port, port = free_port(), free_port()
    auth = ProcessSpec(
        "auth-service",
        _granian("bench.auth_service:create_app", auth_port),
        auth_port,
        {"BENCH_AUTH_DSN": ctx.database.dsn, "BENCH_AUTH_SECRET": ctx.secret},
    )
    config = nginx.write_auth_config(
        home, port=port, media_root=ctx.media_root, auth_port=auth_port
    )
    return Plan([auth, ProcessSpec("nginx", nginx.nginx_argv(config), port)], port)


def _bare_uvicorn(ctx: Context, home: Path) -> Plan:
    port = free_port()
    argv = [str(VENV_BIN / "uvicorn"), "--factory", "bench.apps.bare:create_app",
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
            "--log-level", "warning", "--loop", "uvloop", "--http", "httptools",
            "--backlog", "4096"]  # fmt: skip
    return Plan([ProcessSpec("uvicorn", argv, port, _media_env(ctx))], port)


def _granian_app(module: str) -> Callable[[Context, Path], Plan]:
    """One of bench/apps/ under granian."""
    target = f"bench.apps.{module}:create_app"

    def plan(ctx: Context, home: Path) -> Plan:
        port = free_port()
        return Plan([ProcessSpec("granian", _granian(target, port), port, _media_env(ctx))], port)

    return plan


def gateway_plan(extra_env: dict[str, str]) -> Callable[[Context, Path], Plan]:
    """The gateway as its users run it: `gateway serve`, one worker (extra_env: variants)."""

    def plan(ctx: Context, home: Path) -> Plan:
        port = free_port()
        config = write_gateway_config(home / "gateway.toml", ctx)
        argv = [gateway_command(), "serve", "--config", str(config), "--host", "127.0.0.1",
                "--port", str(port), "--workers", "1"]  # fmt: skip
        return Plan([ProcessSpec("gateway", argv, port, extra_env)], port)

    return plan


def write_gateway_config(path: Path, ctx: Context) -> Path:
    """The contract's TOML keys only: everything else stays at the gateway's defaults."""
    path.write_text(
        f'[database]\nurl = "{ctx.database.sqlalchemy_url}"\n\n'
        f'[storage]\nroot = "{ctx.media_root}"\n\n'
        f'[auth]\nsecret = "{ctx.secret}"\nalgorithms = ["HS256"]\n\n'
        "[cache]\nttl_s = 30\n"
    )
    return path


def gateway_command() -> str:
    found = VENV_BIN / "gateway"
    if found.exists():
        return str(found)
    on_path = shutil.which("gateway")
    if on_path is None:
        raise StartError("the `gateway` console script is not installed (pip install -e .)")
    return on_path


def _granian(target: str, port: int) -> list[str]:
    return [str(VENV_BIN / "granian"), *GRANIAN_FLAGS, "--factory",
            "--host", "127.0.0.1", "--port", str(port), target]  # fmt: skip


def _media_env(ctx: Context) -> dict[str, str]:
    return {"BENCH_MEDIA_ROOT": str(ctx.media_root)}


NGINX_STATIC = "nginx-static"
NGINX_AUTH = "nginx-auth"
LEAN = "lean-granian"
GATEWAY = "gateway"

SERVERS: tuple[ServerSpec, ...] = (
    ServerSpec(NGINX_STATIC, "nginx static", False, _nginx_static),
    ServerSpec(NGINX_AUTH, "nginx auth_request+cache", True, _nginx_auth),
    ServerSpec("bare-uvicorn", "Starlette FileResponse / uvicorn", False, _bare_uvicorn),
    ServerSpec("bare-granian", "Starlette FileResponse / granian", False, _granian_app("bare")),
    ServerSpec(LEAN, "lean bare (sync stat+pathsend) / granian", False, _granian_app("lean")),
    ServerSpec(GATEWAY, "gateway", True, gateway_plan({})),
)


def variant(label: str, extra_env: dict[str, str]) -> ServerSpec:
    """A second gateway with different settings (e.g. metrics off) to show their cost."""
    name = "gateway-" + "".join(c if c.isalnum() else "-" for c in label.lower())
    return ServerSpec(name, f"gateway ({label})", True, gateway_plan(extra_env))
