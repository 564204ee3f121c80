"""The `gateway` console script: migrate, token, check, demo."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from gateway.config import Config
from support import VENV_BIN, run_server


def gateway(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / "gateway"), *args], capture_output=True, text=True,
                          timeout=60, check=check)


def test_check_explains_decisions(world: Config) -> None:
    config = str(Path(world.storage.root).parent / "gateway.toml")
    cases = [
        ("1", "a/photo.jpg", 0, "ALLOWED (200): member"),
        ("2", "a/photo.jpg", 1, "DENIED (403): not_member"),
        ("3", "a/photo.jpg", 1, "DENIED (403): left_chat"),
        ("1", "a/deleted.jpg", 1, "DENIED (403): message_deleted"),
        ("1", "orphan/file.jpg", 1, "DENIED (403): no_message_owns_path"),
        ("1", "a/missing.jpg", 1, "DENIED (404)"),
        ("1", "a/../x", 1, "DENIED (400)"),
    ]
    for sub, path, code, expected in cases:
        out = gateway("check", "--config", config, "--sub", sub, path, check=False)
        assert out.returncode == code, (sub, path, out.stdout, out.stderr)
        assert out.stdout.startswith(expected), (sub, path, out.stdout)


def test_demo_then_printed_curl_lines_work(tmp_path: Path) -> None:
    out = gateway("demo", "--dir", str(tmp_path / "demo"))
    config = tmp_path / "demo" / "gateway.toml"
    curls = [line.strip() for line in out.stdout.splitlines() if line.strip().startswith("curl")]
    assert len(curls) == 2
    with run_server(config) as srv:
        expected = []
        for line in curls:
            token = line.split("Bearer ")[1].split("'")[0]
            url = line.split()[-1].replace("http://127.0.0.1:8000", srv.url)
            expected.append(httpx.get(url, headers={"Authorization": f"Bearer {token}"}))
    assert expected[0].status_code == 200
    assert expected[0].content.startswith(b"\x89PNG")
    assert expected[1].status_code == 403
