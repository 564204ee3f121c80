"""The auth service's pure parts: strict subject, safe path (hostile cases included)."""

from __future__ import annotations

import time

import pytest
from jose import jwt

from bench.auth_service import _storage_path, _user_id

SECRET = "s3cret"


def bearer(sub: object, secret: str = SECRET) -> str:
    # Built at collection time, and the whole suite may run for minutes before this test.
    return "Bearer " + jwt.encode({"sub": sub, "exp": int(time.time()) + 3600}, secret, "HS256")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (bearer("42"), 42),
        (bearer("42").replace("Bearer", "bearer"), 42),
        (bearer(" 42"), None),
        (bearer("+42"), None),
        (bearer("4_2"), None),
        (bearer("٤٢"), None),
        (bearer(42), None),
        (bearer("42", secret="other"), None),
        ("Basic abc", None),
        ("", None),
    ],
)
def test_user_id(header: str, expected: int | None) -> None:
    assert _user_id(header, SECRET) == expected


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/uploads/messages/1/2.jpg", "messages/1/2.jpg"),
        ("/uploads/messages/1/2.jpg?v=3", "messages/1/2.jpg"),
        ("/uploads/a%20b.jpg", "a b.jpg"),
        ("/uploads/../etc/passwd", None),
        ("/uploads/a/%2e%2e/b", None),
        ("/uploads/a//b", None),
        ("/uploads/a\\b", None),
        ("/uploads/a%00b", None),
        ("/other/a.jpg", None),
        ("/uploads/", None),
    ],
)
def test_storage_path(uri: str, expected: str | None) -> None:
    assert _storage_path(uri) == expected
