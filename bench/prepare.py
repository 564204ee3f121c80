"""Everything the servers share, made once per run: media, database, tokens, request files."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bench import database as db
from bench.dataset import Media, make_media
from bench.processes import StartError
from bench.request_lists import ColdPairs, Request, write_request_file
from bench.servers import Context, gateway_command, write_gateway_config
from bench.tokens import mint_tokens, new_secret, write_token_file
from bench.workloads import Workload
from bench.world import World, build_world

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Prepared:
    ctx: Context
    world: World
    media: Media
    tokens: dict[int, str]
    tokens_file: Path
    token_line: dict[int, int]
    cold_pairs: ColdPairs
    schema_source: str
    gateway_problem: str | None  # why the gateway cannot be measured, if it cannot
    postgres_version: str

    def token(self, user: int | None) -> str | None:
        return None if user is None else self.tokens[user]

    def request_file(self, name: str, requests: list[Request]) -> tuple[Path, int]:
        path = self.ctx.workdir / "requests" / f"{name}.tsv"
        path.parent.mkdir(exist_ok=True)
        return path, write_request_file(path, requests, self.token_line)


def prepare(stack: ExitStack, *, cpu: int, log: Callable[[str], None]) -> Prepared:
    """Build the shared state; every resource is registered on `stack` for cleanup."""
    workdir = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    stack.callback(shutil.rmtree, workdir, ignore_errors=True)
    world = _timed(log, "chat world (10k users, 1k chats, 100k messages)", build_world)
    media = _timed(
        log, "media files and per-message links", lambda: make_media(workdir / "media", world)
    )
    database = stack.enter_context(db.scratch_database(db.admin_dsn()))
    ctx = Context(
        workdir=workdir, media_root=media.root, database=database, secret=new_secret(), cpu=cpu
    )
    schema_source, gateway_problem = _timed(log, f"schema in {database.name}", lambda: _schema(ctx))
    _timed(log, "database rows (COPY)", lambda: db.populate(database, world))
    users = range(1, world.user_count + 1)
    tokens = _timed(log, "tokens", lambda: mint_tokens(ctx.secret, users))
    tokens_file = workdir / "tokens.txt"
    return Prepared(
        ctx=ctx,
        world=world,
        media=media,
        tokens=tokens,
        tokens_file=tokens_file,
        token_line=write_token_file(tokens_file, tokens),
        cold_pairs=ColdPairs(world),
        schema_source=schema_source,
        gateway_problem=gateway_problem,
        postgres_version=db.server_version(database.dsn),
    )


def fixed_requests(prepared: Prepared, workload: Workload) -> list[Request]:
    assert workload.build is not None, "cold requests come from ColdPairs"
    return workload.build(prepared.world, prepared.media)


def _schema(ctx: Context) -> tuple[str, str | None]:
    """The gateway's own migrations when it is installed; the fallback schema otherwise."""
    try:
        argv = [
            gateway_command(),
            "migrate",
            "--config",
            str(write_gateway_config(ctx.workdir / "migrate.toml", ctx)),
        ]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
    except (StartError, OSError, subprocess.TimeoutExpired) as exc:
        problem = str(exc)
    else:
        if done.returncode == 0:
            return "gateway migrate", None
        problem = f"gateway migrate exited {done.returncode}: {done.stderr.strip()[-300:]}"
    db.apply_fallback_schema(ctx.database)
    return "bench/schema.sql (fallback)", problem


def _timed(log: Callable[[str], None], what: str, step: Callable[[], T]) -> T:
    started = time.monotonic()
    result = step()
    log(f"  {what}: {time.monotonic() - started:.1f} s")
    return result
