"""nginx configurations: static files, and auth_request + proxy_cache (the replaced stack).

Both are what a careful operator would deploy: one worker, sendfile, no access
log, long keep-alive (wrk's connections must not be recycled more often than
the Python servers', which never recycle them), and every path nginx writes
kept under the bench's own prefix so a system nginx is never disturbed.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

_COMMON = """\
worker_processes 1;
worker_rlimit_nofile 16384;
{user}pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    # The practical limit is a tuned nginx: no open/fstat/close per request.
    open_file_cache max=10000 inactive=60s;
    open_file_cache_valid 30s;
    types {{ image/jpeg jpg; video/mp4 mp4; }}
    default_type application/octet-stream;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
{http_extra}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
{locations}
    }}
}}
"""

_STATIC_LOCATION = """\
        location /uploads/ {{
            alias {root}/;
        }}"""

_AUTH_HTTP = """\
    proxy_cache_path {prefix}/auth-cache levels=1:2 keys_zone=auth:64m max_size=2g
                     inactive=60s use_temp_path=off;
    upstream auth_service {{
        server 127.0.0.1:{auth_port};
        keepalive 64;
    }}"""

# The cache key holds every input of the decision: the token and the URI.
_AUTH_LOCATIONS = """\
        location /uploads/ {{
            auth_request /_auth;
            # Diagnostic only: lets the harness check that repeats are cache hits.
            auth_request_set $auth_cache $upstream_cache_status;
            add_header X-Auth-Cache $auth_cache always;
            alias {root}/;
        }}
        location = /_auth {{
            internal;
            proxy_pass http://auth_service/auth;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_cache auth;
            proxy_cache_key "$http_authorization$request_uri";
            proxy_cache_valid 204 30s;
            proxy_cache_valid 401 403 5s;
        }}"""


def write_static_config(prefix: Path, *, port: int, media_root: Path) -> Path:
    locations = _STATIC_LOCATION.format(root=media_root)
    return _write(prefix, port=port, locations=locations, http_extra="")


def write_auth_config(prefix: Path, *, port: int, media_root: Path, auth_port: int) -> Path:
    http_extra = _AUTH_HTTP.format(prefix=prefix, auth_port=auth_port)
    locations = _AUTH_LOCATIONS.format(root=media_root)
    return _write(prefix, port=port, locations=locations, http_extra=http_extra)


def nginx_argv(config: Path) -> list[str]:
    # Foreground master: it stays in the process group the harness kills.
    return ["nginx", "-p", str(config.parent), "-e", str(config.parent / "error.log"),
            "-c", str(config), "-g", "daemon off;"]  # fmt: skip


def _write(prefix: Path, *, port: int, locations: str, http_extra: str) -> Path:
    for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi", "auth-cache"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    text = _COMMON.format(
        user=_user_directive(),
        prefix=prefix,
        port=port,
        http_extra=http_extra,
        locations=locations,
    )
    config = prefix / "nginx.conf"
    config.write_text(text)
    return config


def _user_directive() -> str:
    """Run nginx's worker as the harness's user, like every Python server here.

    As root, nginx would otherwise drop to `nobody`, which cannot read the
    bench's private temp folder; as anyone else the directive is ignored.
    """
    if os.geteuid() != 0:
        return ""
    return f"user {pwd.getpwuid(os.geteuid()).pw_name};\n"
