"""`gateway` command line: serve, migrate, token, check, demo.

Configuration flows one way: flags -> GATEWAY_* environment -> load_config()
in every worker, so the server's workers read exactly what the parent validated.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from gateway.config import Config, ConfigError, load_config


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    for name in ("gateway", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(logging.INFO)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"gateway: configuration error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, func: object, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--config", help="TOML file (default: $GATEWAY_CONFIG)")
        p.set_defaults(func=func)
        return p

    p = command("serve", cmd_serve, "run the production server (granian)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.add_argument("--server", choices=["granian", "uvicorn"],
                   help="ASGI server (default: server.implementation, granian)")
    command("migrate", cmd_migrate, "upgrade the database schema to the newest revision")
    p = command("token", cmd_token, "print a token signed with the configured secret")
    p.add_argument("--sub", required=True, help="user id")
    p.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    p = command("check", cmd_check, "explain the access decision for a user and a path")
    p.add_argument("--sub", required=True, type=int, help="user id")
    p.add_argument("path", help="path below /uploads/, e.g. messages/2026/04/abc.jpg")
    p = command("demo", cmd_demo, "create a SQLite database and media folder with demo data")
    p.add_argument("--dir", default=".demo", help="where to create them")
    return parser


def _config(args: argparse.Namespace) -> Config:
    if args.config:
        os.environ["GATEWAY_CONFIG"] = os.path.abspath(args.config)
    return load_config(args.config)


def cmd_serve(args: argparse.Namespace) -> int:
    flags = (("HOST", args.host), ("PORT", args.port), ("WORKERS", args.workers),
             ("IMPLEMENTATION", args.server))
    for key, value in flags:
        if value is not None:
            os.environ[f"GATEWAY_SERVER_{key}"] = str(value)
    config = _config(args)  # fail here, with one line, before any worker starts
    from gateway.serve import run_granian, run_uvicorn

    if config.server.implementation == "uvicorn":
        run_uvicorn(config)
    else:
        run_granian(config)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from gateway.db.migrate import upgrade

    upgrade(_config(args).database.url)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from gateway.auth.jwt import issue_token

    print(issue_token(_config(args).auth, args.sub, args.ttl))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from gateway.explain import explain

    allowed, lines = asyncio.run(explain(_config(args), args.sub, args.path))
    print("\n".join(lines))
    return 0 if allowed else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from gateway.auth.jwt import issue_token
    from gateway.demo import create_demo

    config_path = create_demo(args.dir)
    auth = load_config(config_path).auth
    url = "http://127.0.0.1:8000/uploads/messages/2026/04/cat.png"
    alice, bob = (issue_token(auth, sub, 86400) for sub in ("1", "2"))
    print(f"demo config: {config_path}  (alice=1, bob=2, carol=3 who left chat 10)")
    print("alice is a member of the chat: 200 and the picture")
    out = "-o /tmp/cat.png "
    print(f"  curl -sS {out}-w '%{{http_code}}\\n' -H 'Authorization: Bearer {alice}' {url}")
    print("bob is not a member of that chat: 403")
    print(f"  curl -sS -w '%{{http_code}}\\n' -H 'Authorization: Bearer {bob}' {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
