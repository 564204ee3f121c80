"""Starting the servers, and the checks that they serve what they should before any load.

A server that fails to start or to pass its probe is recorded in `failures`
and left out, so one broken contender never stops the whole bench.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack

from bench import probe, servers
from bench.prepare import Prepared
from bench.processes import StartError
from bench.request_lists import Request, thumbnails_of_bench_chat
from bench.servers import RunningServer, ServerSpec


def start_all(
    stack: ExitStack,
    prepared: Prepared,
    specs: Sequence[ServerSpec],
    failures: dict[str, str],
    log: Callable[[str], None],
) -> dict[str, RunningServer]:
    """Start every server, check it serves (and, if it should, refuses); keep the good ones."""
    running: dict[str, RunningServer] = {}
    first = _probe_request(prepared)
    for spec in specs:
        if spec.name.startswith(servers.GATEWAY) and prepared.gateway_problem:
            failures[spec.name] = prepared.gateway_problem
            continue
        try:
            server = servers.start(spec, prepared.ctx)
        except (StartError, OSError) as exc:
            failures[spec.name] = f"did not start: {exc}"
            log(f"{spec.name}: did not start: {exc}")
            continue
        stack.callback(server.stop)
        try:
            probe.wait_until_serving(server.port, first, prepared.token(first.user))
            if spec.authorizes:
                probe.check_authorization(
                    server.port, first, prepared.tokens[prepared.world.stranger]
                )
            if spec.name == servers.NGINX_AUTH:
                _check_auth_cache(server, prepared)
        except (probe.ProbeError, OSError) as exc:
            failures[spec.name] = f"failed its probe: {exc}"
            log(f"{spec.name}: failed its probe: {exc} {server.tails()}")
            server.stop()
            continue
        log(f"started {spec.label} on {server.url}")
        running[spec.name] = server
    return running


def _probe_request(prepared: Prepared) -> Request:
    """The bench user's first thumbnail: allowed for them, forbidden to the stranger."""
    [request] = thumbnails_of_bench_chat(prepared.world)[:1]
    return request


def _check_auth_cache(server: RunningServer, prepared: Prepared) -> None:
    """The replaced stack is only fair if its cache works: a repeat must be a HIT."""
    request = prepared.cold_pairs.take(1)[0]
    headers = probe.headers_for(request, prepared.token(request.user))
    probe.fetch(server.port, request.path, headers)
    status = probe.fetch(server.port, request.path, headers).headers.get("x-auth-cache")
    if status != "HIT":
        raise probe.ProbeError(
            f"nginx proxy_cache did not hit on a repeat (X-Auth-Cache: {status})"
        )
