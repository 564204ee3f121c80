"""Shared by the revocation tests: DSNs for raw asyncpg, and finding the listeners."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from support import PG_ADMIN_URL

# Both TTLs far beyond every bound the tests poll for: only a notification
# (or a cache clear) can explain a changed decision.
LONG_TTLS = "\n[cache]\nttl_s = 30\ndeny_ttl_s = 30\n"

# The gateways' listening connections on this test's database, and no others.
TERMINATE_LISTENERS = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE application_name = $1 AND datname = current_database()"
)


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL (postgresql+asyncpg://) as a plain libpq DSN for asyncpg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def admin_dsn() -> str:
    return asyncpg_dsn(PG_ADMIN_URL)
