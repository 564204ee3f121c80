"""The leanest bare Starlette file server: synchronous stat, then pathsend.

The issue's reference for "authorization nearly free on a cache hit": the
gateway's warm path should reach 0.9x this. A stat of a page-cached file costs
about a microsecond, far less than the thread hop Starlette would otherwise
make, and passing stat_result lets FileResponse hand the path to a server
that offers the `http.response.pathsend` extension (granian).
Loopback-only baseline: it does no path checks at all.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route


def create_app() -> Starlette:
    root = os.environ["BENCH_MEDIA_ROOT"]

    async def serve(request: Request) -> Response:
        path = os.path.join(root, request.path_params["path"])
        try:
            stat_result = os.stat(path)
        except FileNotFoundError:
            return Response(status_code=404)
        return FileResponse(path, stat_result=stat_result)

    return Starlette(routes=[Route("/uploads/{path:path}", serve)])
