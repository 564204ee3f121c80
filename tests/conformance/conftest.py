"""One SQLite world served twice: by `gateway serve` (granian) and by a plain nginx.

Both serve the same media folder, so every difference in their answers is a
difference in HTTP semantics. Built once per run (not per database: the file
semantics do not depend on it). nginx is Debian's package; without it these
tests skip, except in CI (CI=true or GATEWAY_TEST_REQUIRE_NGINX=1) where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conformance_world import Servers, nginx_binary, prepare, run_nginx

from support import missing, run_server

NGINX_REQUIRED = (os.environ.get("CI") == "true"
                  or os.environ.get("GATEWAY_TEST_REQUIRE_NGINX") == "1")


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    binary = nginx_binary()
    if binary is None:
        missing("nginx is not installed (`make system-deps`)", tests="conformance tests",
                required=NGINX_REQUIRED)
    directory = tmp_path_factory.mktemp("conformance")
    config = prepare(directory)
    media = Path(config.storage.root)
    with run_server(directory / "gateway.toml") as gw, \
            run_nginx(binary, directory / "nginx", media) as ngx:
        yield Servers(config, media, gw.url, ngx.url)
    assert "Traceback" not in gw.log(), gw.log()
