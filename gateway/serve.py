"""Run the app under the recommended server (granian) or uvicorn (development)."""

from __future__ import annotations

from pathlib import Path

from gateway.config import Config

TARGET = "gateway.app:app_from_environment"


def run_granian(config: Config) -> None:
    """granian: offers the zero-copy `http.response.pathsend`, and HTTP/2 over TLS."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    server = config.server
    tls = {}
    if server.tls_cert_file:
        tls = {"ssl_cert": Path(server.tls_cert_file), "ssl_key": Path(server.tls_key_file)}
    Server(
        TARGET,
        address=server.host,
        port=server.port,
        interface=Interfaces.ASGI,
        workers=server.workers,
        factory=True,
        http=HTTPModes.auto,  # HTTP/1.1, and HTTP/2 when ALPN offers it over TLS
        log_level=LogLevels(server.log_level),
        respawn_failed_workers=True,
        http1_settings=HTTP1Settings(max_buffer_size=server.http1_buffer_bytes),
        **tls,  # type: ignore[arg-type]
    ).serve()


def run_uvicorn(config: Config) -> None:
    import uvicorn

    server = config.server
    tls = {}
    if server.tls_cert_file:
        tls = {"ssl_certfile": server.tls_cert_file, "ssl_keyfile": server.tls_key_file}
    uvicorn.run(
        TARGET,
        factory=True,
        host=server.host,
        port=server.port,
        workers=server.workers,
        log_level=server.log_level,
        **tls,  # type: ignore[arg-type]
    )
