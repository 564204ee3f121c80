"""Shared test fixtures' machinery: a seeded world, databases, a real server process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx
import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.auth.jwt import issue_token
from gateway.config import Config, load_config
from gateway.db.migrate import upgrade
from gateway.db.models import Chat, ChatMember, Message, User

SECRET = "test-secret-0123456789abcdef0123456789abcdef"
PG_ADMIN_URL = os.environ.get(
    "GATEWAY_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
VENV_BIN = Path(sys.executable).parent

# (chat, user, left) -- user 3 left chat 10; user 2 is only in chat 20.
MEMBERS = [(10, 1, False), (10, 3, True), (10, 4, False), (20, 2, False)]
# (id, chat, attachment, thumbnail, deleted)
MESSAGES = [
    (100, 10, "a/photo.jpg", "a/photo_thumb.jpg", False),
    (101, 10, "a/deleted.jpg", None, True),
    (102, 10, "a/missing.jpg", None, False),
    (103, 10, "a/page.html", None, False),
    (200, 20, "b/video.mp4", "b/video_thumb.jpg", False),
]
FILES = {
    "a/photo.jpg": bytes(range(256)) * 40,
    "a/photo_thumb.jpg": b"thumb-bytes" * 10,
    "a/deleted.jpg": b"deleted",
    "a/page.html": b"<script>alert(1)</script>",
    "b/video.mp4": os.urandom(1024 * 1024),
    "b/video_thumb.jpg": b"vthumb",
    "orphan/file.jpg": b"nobody owns me",
}


def write_media(root: Path) -> Path:
    for relative, data in FILES.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


async def seed(url: str) -> None:
    """Insert the test world with plain INSERTs, as the chat service would."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(User), [{"id": u} for u in range(1, 7)])
            await conn.execute(insert(Chat), [{"id": 10}, {"id": 20}])
            await conn.execute(insert(ChatMember), [
                {"chat_id": c, "user_id": u} for c, u, _ in MEMBERS
            ])
            await conn.execute(text(
                "UPDATE chat_members SET left_at = CURRENT_TIMESTAMP WHERE user_id = 3"))
            await conn.execute(insert(Message), [
                {"id": m, "chat_id": c, "sender_id": 1, "attachment_path": a,
                 "attachment_thumb_path": t}
                for m, c, a, t, _ in MESSAGES
            ])
            await conn.execute(text(
                "UPDATE messages SET deleted_at = CURRENT_TIMESTAMP WHERE id = 101"))
    finally:
        await engine.dispose()


def write_config(directory: Path, database_url: str, extra: str = "") -> Path:
    media = write_media(directory / "media")
    path = directory / "gateway.toml"
    path.write_text(
        f'[database]\nurl = "{database_url}"\n\n[storage]\nroot = "{media}"\n\n'
        f'[auth]\nsecret = "{SECRET}"\n{extra}\n'
    )
    return path


def prepare_world(directory: Path, database_url: str, extra: str = "") -> Config:
    """Media, config file, migrated and seeded database; returns the loaded config."""
    path = write_config(directory, database_url, extra)
    upgrade(database_url)
    asyncio.run(seed(database_url))
    return load_config(str(path), environ={})


def token(config: Config, sub: str = "1", ttl_s: int = 600) -> str:
    return issue_token(config.auth, sub, ttl_s)


# --- PostgreSQL -----------------------------------------------------------------------


def pg_unreachable_reason() -> str | None:
    url = make_url(PG_ADMIN_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=2):
            return None
    except OSError as exc:
        return f"PostgreSQL unreachable at {url.host}:{url.port} ({exc})"


async def _admin(sql: str) -> None:
    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    """A fresh database of our own on the shared server, dropped afterwards."""
    name = f"gateway_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --- a real server process ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, path: str, *, status: int | None = 200, timeout_s: float = 20) -> None:
        """Until GET `path` answers `status` (None: anything); exiting or silence is an error."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.url} exited early:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.get(self.url + path, timeout=1, verify=False)
                if status is None or answer.status_code == status:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.url} did not become ready:\n{self.log()}")
            time.sleep(0.05)


def missing(reason: str, *, tests: str, required: bool) -> NoReturn:
    """A part the tests need is absent: fail where it is required (CI), else skip loudly."""
    if required:
        pytest.fail(f"{reason}; {tests} are required here (CI)", pytrace=False)
    pytest.skip(f"!!! {reason}: {tests} SKIPPED !!!")


@contextlib.contextmanager
def run_server(config_path: Path, *, server: str = "granian", workers: int = 1,
               env: dict[str, str] | None = None, ready_path: str = "/healthz",
               scheme: str = "http") -> Iterator[RunningServer]:
    """`gateway serve` on a free loopback port; waits until it answers, kills it after."""
    port = free_port()
    log_path = config_path.parent / f"server-{port}.log"
    cmd = [str(VENV_BIN / "gateway"), "serve", "--config", str(config_path),
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--server", server]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, **(env or {})}, start_new_session=True)
    running = RunningServer(f"{scheme}://127.0.0.1:{port}", process, log_path)
    try:
        running.wait_ready(ready_path)
        yield running
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM a process started with start_new_session, then SIGKILL its group if needed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
