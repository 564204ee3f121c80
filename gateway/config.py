"""Typed configuration: the only reader of the TOML file and the environment.

Precedence: built-in default < TOML file < `GATEWAY_<SECTION>_<KEY>` variable.
The result is frozen and passed down; nothing else reads settings.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
# No PS*: python-jose cannot verify RSASSA-PSS, so accepting it here would only fail later.
KEY_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"})
KNOWN_ALGORITHMS = HMAC_ALGORITHMS | KEY_ALGORITHMS


class ConfigError(Exception):
    """Bad configuration; the message names the key and fits on one line."""


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    url: str = "sqlite+aiosqlite:///gateway.db"
    pool_size: int = 10
    connect_timeout_s: float = 3.0
    statement_timeout_s: float = 2.0
    retry_after_s: int = 2


@dataclass(frozen=True, slots=True)
class StorageConfig:
    root: str = "media"
    # Files up to this size are read on the event loop (page cache, no thread hop).
    inline_max_bytes: int = 65536
    chunk_bytes: int = 65536


@dataclass(frozen=True, slots=True)
class AuthConfig:
    algorithms: tuple[str, ...] = ("HS256",)
    secret: str = field(default="", repr=False)
    secret_file: str = ""
    public_key_file: str = ""
    jwks_file: str = ""
    issuer: str = ""
    audience: str = ""
    leeway_s: int = 30
    cookie: str = ""


@dataclass(frozen=True, slots=True)
class CacheConfig:
    ttl_s: float = 30.0
    deny_ttl_s: float = 5.0
    max_entries: int = 100_000


@dataclass(frozen=True, slots=True)
class CorsConfig:
    origins: tuple[str, ...] = ()
    max_age_s: int = 600


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # "granian" (zero-copy pathsend, fastest) or "uvicorn" (least memory per slow stream).
    implementation: str = "granian"
    # granian's HTTP/1 write buffer per connection (its own default is 408 KiB).
    http1_buffer_bytes: int = 65536
    tls_cert_file: str = ""
    tls_key_file: str = ""
    log_level: str = "info"


@dataclass(frozen=True, slots=True)
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    cors: CorsConfig = field(default_factory=CorsConfig)
    server: ServerConfig = field(default_factory=ServerConfig)

    def replace(self, section: str, **values: Any) -> Config:
        """A copy with some keys of one section changed (CLI flags, tests)."""
        changed = dataclasses.replace(getattr(self, section), **values)
        return dataclasses.replace(self, **{section: changed})


_SECTION_TYPES = {
    "database": DatabaseConfig,
    "storage": StorageConfig,
    "auth": AuthConfig,
    "cache": CacheConfig,
    "cors": CorsConfig,
    "server": ServerConfig,
}


def load_config(path: str | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the TOML file (if any), apply environment overrides, validate."""
    env = os.environ if environ is None else environ
    path = path or env.get("GATEWAY_CONFIG") or None
    raw: dict[str, Any] = {}
    if path:
        try:
            with open(path, "rb") as fh:
                raw = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config file {path}: {exc}") from None
    base = Path(path).resolve().parent if path else Path.cwd()
    sections = {}
    for name, cls in _SECTION_TYPES.items():
        table = raw.pop(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{name}] must be a table")
        sections[name] = _build_section(name, cls, table, env)
    if raw:
        raise ConfigError(f"unknown config section: {sorted(raw)[0]}")
    config = Config(**sections)
    return validate(_resolve_paths(config, base))


def _build_section(
    name: str, cls: type[Any], table: dict[str, Any], env: Mapping[str, str]
) -> Any:
    values: dict[str, Any] = {}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in table:
        if key not in fields:
            raise ConfigError(f"unknown config key: {name}.{key}")
    for key, fld in fields.items():
        env_name = f"GATEWAY_{name}_{key}".upper()
        if env_name in env:
            values[key] = _coerce(env_name, fld.default, env[env_name])
        elif key in table:
            values[key] = _coerce(f"{name}.{key}", fld.default, table[key])
    return cls(**values)


def _coerce(key: str, default: Any, value: Any) -> Any:
    """Convert a TOML or environment value to the type of the key's default."""
    try:
        if isinstance(default, tuple):
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(v).strip() for v in items if str(v).strip())
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            return {"1": True, "true": True, "0": False, "false": False}[str(value).lower()]
        if isinstance(default, int):
            if isinstance(value, str):
                value = value.strip()
                if not (value.isascii() and value.isdigit()):
                    raise ValueError(value)  # no "1_0", "+1", "1e3"
            elif isinstance(value, bool) or not float(value).is_integer():
                raise ValueError(value)
            return int(value)
        if isinstance(default, float):
            number = float(value)
            if isinstance(value, bool) or not math.isfinite(number):
                raise ValueError(value)
            return number
        if not isinstance(value, str):
            raise TypeError(value)
        return value
    except (ValueError, KeyError, TypeError, AttributeError):
        shown = "(hidden)" if "secret" in key.lower() else repr(value)
        raise ConfigError(f"{key}: invalid value {shown}") from None


def _resolve_paths(config: Config, base: Path) -> Config:
    """Relative file paths in a config file are relative to that file."""

    def absolute(p: str) -> str:
        return str((base / p).resolve()) if p else p

    auth = config.auth
    config = config.replace("storage", root=absolute(config.storage.root))
    return config.replace(
        "auth",
        secret_file=absolute(auth.secret_file),
        public_key_file=absolute(auth.public_key_file),
        jwks_file=absolute(auth.jwks_file),
    )


def validate(config: Config) -> Config:
    """Refuse configurations that cannot serve safely; one line naming the key."""
    auth = config.auth
    unknown = [a for a in auth.algorithms if a not in KNOWN_ALGORITHMS]
    if unknown or not auth.algorithms:
        raise ConfigError(f"GATEWAY_AUTH_ALGORITHMS: unsupported algorithm {unknown[:1] or '[]'}")
    uses_hmac = any(a in HMAC_ALGORITHMS for a in auth.algorithms)
    if uses_hmac and not auth.secret and not auth.secret_file:
        raise ConfigError("GATEWAY_AUTH_SECRET: required for HS* algorithms")
    if auth.secret_file and not os.access(auth.secret_file, os.R_OK):
        raise ConfigError(f"GATEWAY_AUTH_SECRET_FILE: cannot read {auth.secret_file}")
    uses_keys = any(a in KEY_ALGORITHMS for a in auth.algorithms)
    if uses_keys and not auth.public_key_file and not auth.jwks_file:
        raise ConfigError(
            "GATEWAY_AUTH_PUBLIC_KEY_FILE: required for RS*/ES* (or GATEWAY_AUTH_JWKS_FILE)"
        )
    for key, value in (("PUBLIC_KEY_FILE", auth.public_key_file), ("JWKS_FILE", auth.jwks_file)):
        if value and not os.access(value, os.R_OK):
            raise ConfigError(f"GATEWAY_AUTH_{key}: cannot read {value}")
    if auth.leeway_s < 0:
        raise ConfigError("GATEWAY_AUTH_LEEWAY_S: must be >= 0")
    if not os.path.isdir(config.storage.root):
        raise ConfigError(f"GATEWAY_STORAGE_ROOT: not a directory: {config.storage.root}")
    if config.storage.chunk_bytes < 4096:
        raise ConfigError("GATEWAY_STORAGE_CHUNK_BYTES: must be >= 4096")
    if not config.database.url:
        raise ConfigError("GATEWAY_DATABASE_URL: required")
    if config.cache.ttl_s < 0:
        raise ConfigError("GATEWAY_CACHE_TTL_S: must be >= 0")
    if config.cache.deny_ttl_s < 0:
        raise ConfigError("GATEWAY_CACHE_DENY_TTL_S: must be >= 0")
    if config.cache.max_entries < 1:
        raise ConfigError("GATEWAY_CACHE_MAX_ENTRIES: must be >= 1")
    if config.server.implementation not in ("granian", "uvicorn"):
        raise ConfigError("GATEWAY_SERVER_IMPLEMENTATION: must be granian or uvicorn")
    if config.server.http1_buffer_bytes < 8192:
        raise ConfigError("GATEWAY_SERVER_HTTP1_BUFFER_BYTES: must be >= 8192")
    if bool(config.server.tls_cert_file) != bool(config.server.tls_key_file):
        raise ConfigError("GATEWAY_SERVER_TLS_KEY_FILE: set both tls_cert_file and tls_key_file")
    for origin in config.cors.origins:
        if origin == "*" or "://" not in origin:
            raise ConfigError(f"GATEWAY_CORS_ORIGINS: not an exact origin: {origin!r}")
    return config
