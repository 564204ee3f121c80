"""A real headless Chromium, a gateway with the cookie and CORS on, and web-client origins.

Chromium comes from Debian (`make system-deps`); nothing is downloaded at run
time. Without it these tests skip, loudly; in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_world import CLIP, CLIP_SECONDS, COOKIE, PICTURE, Web, png, static_server, wav
from cdp import Browser, Page, chromium_binary, launch

from support import missing, prepare_world, run_server

BROWSER_REQUIRED = os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def chromium() -> str:
    binary = chromium_binary()
    if binary is None:
        missing("chromium is not installed (`make system-deps` installs Debian's package)",
                tests="real-browser tests", required=BROWSER_REQUIRED)
    return binary


@pytest.fixture(scope="module")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with launch(chromium, tmp_path_factory.mktemp("chromium")) as b:
        yield b


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with browser.page() as p:
        yield p


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    directory = tmp_path_factory.mktemp("web")
    site = directory / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>web client</title>\n")
    with static_server(site) as client_port, static_server(site) as stranger_port:
        client = f"http://127.0.0.1:{client_port}"
        cross_site = f"http://localhost:{client_port}"
        # A 1 s decision TTL (and so max-age) lets the revocation test wait it out.
        extra = (f'cookie = "{COOKIE}"\n\n[cors]\norigins = ["{client}", "{cross_site}"]\n\n'
                 "[cache]\nttl_s = 1\ndeny_ttl_s = 1")
        db_path = directory / "gateway.db"
        config = prepare_world(directory, f"sqlite+aiosqlite:///{db_path}", extra)
        files = {PICTURE: png(3, 2), CLIP: wav(CLIP_SECONDS)}
        for relative, data in files.items():
            target = Path(config.storage.root) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
            conn.executemany(
                "INSERT INTO messages (id, chat_id, sender_id, attachment_path) "
                "VALUES (?, 10, 1, ?)", [(300, PICTURE), (301, CLIP)])
        with run_server(directory / "gateway.toml") as gateway:
            yield Web(gateway, config, db_path, client, cross_site,
                      f"http://127.0.0.1:{stranger_port}", files)
