"""Demo data for `make run`: a SQLite database, a media folder and a config file."""

from __future__ import annotations

import os
import secrets
import sqlite3
import struct
import zlib
from pathlib import Path

from gateway.db.migrate import upgrade

USERS = {1: "alice", 2: "bob", 3: "carol"}
# (chat, user, left?) - carol left chat 10; bob is only in chat 20.
MEMBERS = [(10, 1, False), (10, 3, True), (20, 1, False), (20, 2, False)]
# (id, chat, sender, attachment, thumbnail, deleted?)
MESSAGES = [
    (100, 10, 1, "messages/2026/04/cat.png", "thumbs/2026/04/cat.png", False),
    (101, 10, 1, "messages/2026/04/notes.txt", None, False),
    (102, 10, 3, "messages/2026/04/deleted.png", None, True),
    (200, 20, 2, "messages/2026/04/clip.mp4", "thumbs/2026/04/clip.png", False),
    (201, 20, 1, "messages/2026/04/page.html", None, False),
]


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid solid-colour PNG, without an imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


FILES = {
    "messages/2026/04/cat.png": png(640, 480, (200, 120, 40)),
    "thumbs/2026/04/cat.png": png(64, 48, (200, 120, 40)),
    "messages/2026/04/notes.txt": b"Shopping list: milk, eggs.\n",
    "messages/2026/04/deleted.png": png(32, 32, (0, 0, 0)),
    "messages/2026/04/clip.mp4": os.urandom(3 * 1024 * 1024),
    "thumbs/2026/04/clip.png": png(64, 36, (20, 20, 160)),
    "messages/2026/04/page.html": b"<script>alert('uploaded html never runs')</script>\n",
}


def create_demo(directory: str) -> str:
    """Create (or recreate) the demo; returns the path of its config file."""
    root = Path(directory).resolve()
    media = root / "media"
    db_path = root / "gateway.db"
    for relative, data in FILES.items():
        target = media / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    db_path.unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{db_path}"
    upgrade(url)
    with sqlite3.connect(db_path) as db:
        db.executemany("INSERT INTO users (id) VALUES (?)", [(u,) for u in USERS])
        db.executemany("INSERT INTO chats (id) VALUES (?)", [(10,), (20,)])
        db.executemany(
            "INSERT INTO chat_members (chat_id, user_id, left_at) VALUES (?, ?, ?)",
            [(c, u, "2026-04-02 10:00:00" if left else None) for c, u, left in MEMBERS],
        )
        db.executemany(
            "INSERT INTO messages (id, chat_id, sender_id, attachment_path,"
            " attachment_thumb_path, deleted_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(m, c, s, a, t, "2026-04-03 09:00:00" if d else None)
             for m, c, s, a, t, d in MESSAGES],
        )
    config = root / "gateway.toml"
    if not config.exists():
        config.write_text(
            "# Demo configuration written by `gateway demo`.\n"
            f'[database]\nurl = "{url}"\n\n'
            f'[storage]\nroot = "{media}"\n\n'
            f'[auth]\nsecret = "{secrets.token_urlsafe(32)}"\ncookie = "gateway_token"\n'
        )
    return str(config)
