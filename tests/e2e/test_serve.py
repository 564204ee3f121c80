"""Through a real `gateway serve` process on loopback, on PostgreSQL and SQLite."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from gateway.config import Config
from support import FILES, SECRET, VENV_BIN, run_server, token, write_config

pytestmark = pytest.mark.e2e


def _config_path(world: Config) -> Path:
    return Path(world.storage.root).parent / "gateway.toml"


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_serve_end_to_end(world: Config, server: str) -> None:
    with run_server(_config_path(world), server=server) as srv:
        ok = httpx.get(f"{srv.url}/uploads/a/photo.jpg",
                       headers={"Authorization": f"Bearer {token(world)}"})
        assert ok.status_code == 200
        assert ok.content == FILES["a/photo.jpg"]
        video = FILES["b/video.mp4"]
        full = httpx.get(f"{srv.url}/uploads/b/video.mp4",
                         headers={"Authorization": f"Bearer {token(world, '2')}"})
        assert full.status_code == 200 and full.content == video  # pathsend or streamed
        part = httpx.get(f"{srv.url}/uploads/b/video.mp4",
                         headers={"Authorization": f"Bearer {token(world, '2')}",
                                  "Range": "bytes=1000-300000"})
        assert part.status_code == 206 and part.content == video[1000:300001]
        denied = httpx.get(f"{srv.url}/uploads/a/photo.jpg",
                           headers={"Authorization": f"Bearer {token(world, '2')}"})
        assert denied.status_code == 403
        assert httpx.get(f"{srv.url}/uploads/a/photo.jpg").status_code == 401
        assert httpx.get(f"{srv.url}/readyz").status_code == 200
    assert "Traceback" not in srv.log()


def test_database_down_is_503_and_not_ready(tmp_path: Path) -> None:
    # Nothing listens on port 1: every decision fails closed.
    path = write_config(tmp_path, "postgresql+asyncpg://postgres@127.0.0.1:1/none",
                        extra="")
    with run_server(path) as srv:
        r = httpx.get(f"{srv.url}/uploads/a/photo.jpg",
                      headers={"Authorization": f"Bearer {_token(path)}"})
        assert r.status_code == 503
        assert 0 < int(r.headers["retry-after"]) <= 5
        assert FILES["a/photo.jpg"] not in r.content
        ready = httpx.get(f"{srv.url}/readyz")
        assert ready.status_code == 503
    assert "Traceback" not in srv.log()


def _token(config_path: Path) -> str:
    out = subprocess.run([str(VENV_BIN / "gateway"), "token", "--sub", "1", "--config",
                          str(config_path)], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def test_bad_configuration_stops_startup_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'[storage]\nroot = "{tmp_path}"\n[auth]\nalgorithms = ["HS256"]\n')
    out = subprocess.run([str(VENV_BIN / "gateway"), "serve", "--config", str(path)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "GATEWAY_AUTH_SECRET" in out.stderr
    assert SECRET not in out.stderr
