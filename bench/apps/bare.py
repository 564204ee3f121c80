"""Bare Starlette `FileResponse`, no authorization, written the obvious way.

FileResponse stats the file in a worker thread (anyio.to_thread) because no
stat_result is passed: the cost most Starlette file servers pay per request.
Loopback-only baseline: it does no path checks at all.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route


def create_app() -> Starlette:
    root = os.environ["BENCH_MEDIA_ROOT"]

    async def serve(request: Request) -> FileResponse:
        return FileResponse(os.path.join(root, request.path_params["path"]))

    return Starlette(routes=[Route("/uploads/{path:path}", serve)])
