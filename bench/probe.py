"""Correctness probes run before measuring: a fast wrong answer is not a result.

Each server must answer a workload's first request with the expected status
and body length; an authorizing server must also refuse a missing token (401)
and a valid token of a non-member (403).
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass

from bench.request_lists import Request


class ProbeError(RuntimeError):
    """The server answered something other than what the workload needs."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body_bytes: int
    headers: dict[str, str]


def fetch(port: int, path: str, headers: dict[str, str], *, timeout_s: float = 30.0) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        size = 0
        while chunk := response.read(1 << 20):
            size += len(chunk)
        return Answer(response.status, size, {k.lower(): v for k, v in response.getheaders()})
    finally:
        conn.close()


def headers_for(request: Request, token: str | None) -> dict[str, str]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    if request.byte_range is not None:
        headers["Range"] = request.range_header
    return headers


def expect(port: int, request: Request, token: str | None, status: int, body_bytes: int) -> Answer:
    answer = fetch(port, request.path, headers_for(request, token))
    if answer.status != status or answer.body_bytes != body_bytes:
        raise ProbeError(
            f"GET {request.path}: got {answer.status} with {answer.body_bytes} bytes, "
            f"expected {status} with {body_bytes}"
        )
    return answer


def wait_until_serving(
    port: int, request: Request, token: str | None, *, timeout_s: float = 30.0
) -> None:
    """The port may open before the app is ready (lifespan, pools): retry 5xx and resets."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            answer = fetch(port, request.path, headers_for(request, token), timeout_s=5.0)
        except OSError as exc:
            last = repr(exc)
        else:
            if answer.status < 500:
                return
            last = f"status {answer.status}"
        time.sleep(0.2)
    raise ProbeError(f"not serving after {timeout_s:.0f} s: {last}")


def check_authorization(port: int, request: Request, stranger_token: str) -> None:
    """No token -> 401; a valid token of a user outside the chat -> 403."""
    anonymous = fetch(port, request.path, {})
    if anonymous.status != 401:
        raise ProbeError(f"GET {request.path} without a token: {anonymous.status}, expected 401")
    stranger = fetch(port, request.path, {"Authorization": f"Bearer {stranger_token}"})
    if stranger.status != 403:
        raise ProbeError(f"GET {request.path} as a non-member: {stranger.status}, expected 403")
