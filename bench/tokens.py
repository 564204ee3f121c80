"""JWTs for the simulated users, signed like `gateway token` does (HS256, sub + exp)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from jose import jwt


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def mint_tokens(secret: str, users: Iterable[int], *, ttl_s: int = 7200) -> dict[int, str]:
    """One token per user; the TTL outlasts any bench run."""
    now = int(time.time())
    return {
        user: jwt.encode({"sub": str(user), "iat": now, "exp": now + ttl_s}, secret, "HS256")
        for user in users
    }


def write_token_file(path: Path, tokens: dict[int, str]) -> dict[int, int]:
    """One token per line; returns user id -> 1-based line number (Lua indexing)."""
    index: dict[int, int] = {}
    with open(path, "w") as fh:
        for line_no, (user, token) in enumerate(sorted(tokens.items()), start=1):
            fh.write(token + "\n")
            index[user] = line_no
    return index
