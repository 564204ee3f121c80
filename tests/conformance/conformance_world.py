"""The conformance world: extra files authorized for user 1, and an nginx to compare with."""

from __future__ import annotations

import asyncio
import contextlib
import grp
import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.config import Config
from gateway.db.models import Message
from support import FILES, RunningServer, free_port, prepare_world, stop_group, token

CHAT = 10  # user 1 is a member, user 2 is not
MEMBER, STRANGER = "1", "2"


def _pattern(size: int, seed: int) -> bytes:
    """Deterministic, non-repeating-looking bytes (a misplaced range never compares equal)."""
    block = bytes((i * 7 + seed + (i >> 8) * 13) & 0xFF for i in range(65521))
    return (block * (size // len(block) + 1))[:size]


# Files added for this suite, beside tests/support.FILES. Sizes straddle the
# gateway's 64 KiB inline threshold so in-loop, streamed and pathsend paths all run.
EXTRA_FILES = {
    "c/empty.bin": b"",
    "c/one.bin": b"\xa5",
    "c/small.bin": _pattern(1000, 1),
    "c/medium.bin": _pattern(200 * 1024 + 3, 2),       # > inline_max_bytes
    "c/large.bin": _pattern(1024 * 1024 + 17, 3),      # ~1 MiB, odd size
    "c/clip.mp4": _pattern(8 * 1024 * 1024 + 5, 4),    # the "video" a player seeks
    "c/page.html": b"<!doctype html><script>alert(1)</script>",
}
# Authorized in the database but changed on disk by the tests; never read by the tables.
MUTABLE = ["c/vanish.bin", "c/truncate.bin", "c/truncate-whole.bin", "c/replace.bin",
           "c/replace-whole.bin", "c/missing-on-disk.bin"]


@dataclass(frozen=True)
class Servers:
    config: Config
    media: Path
    gateway: str  # base URL
    nginx: str

    def member_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(self.config, MEMBER)}"}

    def stranger_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(self.config, STRANGER)}"}


async def _add_messages(url: str, paths: list[str]) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(Message), [
                {"id": 300 + i, "chat_id": CHAT, "sender_id": 1, "attachment_path": p}
                for i, p in enumerate(paths)
            ])
    finally:
        await engine.dispose()


def prepare(directory: Path) -> Config:
    url = f"sqlite+aiosqlite:///{directory / 'gateway.db'}"
    config = prepare_world(directory, url)
    media = Path(config.storage.root)
    for relative, data in EXTRA_FILES.items():
        (media / relative).parent.mkdir(parents=True, exist_ok=True)
        (media / relative).write_bytes(data)
    asyncio.run(_add_messages(url, [*EXTRA_FILES, *MUTABLE]))
    return config


def all_files(media: Path) -> dict[str, bytes]:
    """Every file both servers can serve to user 1, by path below /uploads/."""
    chat10 = {p: d for p, d in FILES.items() if p.startswith("a/") and p != "a/deleted.jpg"}
    return {**chat10, **{p: (media / p).read_bytes() for p in EXTRA_FILES}}


# --- nginx ------------------------------------------------------------------------------


def fresh_connections(base_url: str) -> httpx.Client:
    """A client that never reuses a connection.

    nginx 1.22 answers a 412 with `Connection: keep-alive` and then closes the
    connection; a request already on its way is reset. Fresh connections keep
    that race (harmless to real clients, which retry) out of the comparison.
    """
    return httpx.Client(base_url=base_url, timeout=30,
                        limits=httpx.Limits(max_keepalive_connections=0))

NGINX_CONF = """\
worker_processes 1;
{user}
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    {types}
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    sendfile on;
    etag on;
    server {{
        listen 127.0.0.1:{port};
        location /uploads/ {{
            alias {media}/;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)),
        None)


@contextlib.contextmanager
def run_nginx(binary: str, prefix: Path, media: Path) -> Iterator[RunningServer]:
    """nginx in the foreground on a free loopback port, everything under `prefix`."""
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    # As root the workers would drop to `nobody`, who cannot read pytest's 0700 tmp dirs.
    user = (f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
            if os.geteuid() == 0 else "")
    types = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, prefix=prefix, types=types, port=port,
                                      media=media))
    log_path = prefix / "stdout.log"
    cmd = [binary, "-c", str(conf), "-p", str(prefix),
           "-g", f"daemon off; pid {prefix}/nginx.pid;"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    running = RunningServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        running.wait_ready("/", status=None)  # nginx answers, whatever it serves at /
        yield running
    finally:
        stop_group(process)
