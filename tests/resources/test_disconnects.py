"""A burst of clients that leave after the first chunk: every file and task is released.

Each stream is blocked on backpressure (the file is 4 GiB) when its client
goes, so only disconnect handling can free it: the worker's open files must
return to the baseline within seconds and its reads must stop at once.
"""

from __future__ import annotations

import time

import httpx
import pytest
from process_stats import MiB, Response, open_fds, read_bytes, request, wait_for
from resource_world import BIG, Served

pytestmark = pytest.mark.e2e

CLIENTS = 50
RELEASE_TIMEOUT_S = 10.0  # observed well under 0.1 s; generous for a loaded 2-core box


@pytest.mark.parametrize("close", ["fin", "reset"])
@pytest.mark.parametrize("mode", ["whole", "open-range"])
def test_burst_of_disconnects_releases_files_and_stops_reading(
        served: Served, mode: str, close: str) -> None:
    headers = dict(served.headers)
    if mode == "open-range":
        headers["Range"] = "bytes=0-"
    _warm_up(served, headers)
    baseline = len(_held(served))

    responses: list[Response] = []
    try:
        for _ in range(CLIENTS):
            responses.append(request(served.port, f"/uploads/{BIG}", headers))
        for response in responses:
            assert response.status in (200, 206)
            assert response.recv(64 * 1024), "no first chunk"
        open_big = open_fds(served.worker).count(served.big_path)
        assert open_big >= CLIENTS, f"only {open_big} streams had the file open"
    finally:
        for response in responses:
            if close == "reset":
                response.abort()
            else:
                response.sock.close()

    took_s = wait_for(lambda: served.big_path not in open_fds(served.worker)
                      and len(_held(served)) <= baseline, RELEASE_TIMEOUT_S)
    # Released means stopped: the worker reads nothing more of the file.
    before = read_bytes(served.worker)
    time.sleep(0.5)
    assert read_bytes(served.worker) - before < MiB
    assert took_s < RELEASE_TIMEOUT_S
    still_serving = httpx.get(f"{served.server.url}/uploads/a/photo.jpg", headers=served.headers)
    assert still_serving.status_code == 200


def _held(served: Served) -> list[str]:
    """Open descriptors, minus the database's: its pool may grow during a burst, legitimately."""
    return [fd for fd in open_fds(served.worker) if not fd.startswith(served.db_path)]


def _warm_up(served: Served, headers: dict[str, str]) -> None:
    """One stream first, so the database connection and lazy setup are in the baseline."""
    response = request(served.port, f"/uploads/{BIG}", headers)
    response.recv(64 * 1024)
    response.abort()
    wait_for(lambda: served.big_path not in open_fds(served.worker), RELEASE_TIMEOUT_S)
