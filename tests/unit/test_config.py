"""gateway/config.py: TOML + environment, precedence, and one clear error per bad key."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from gateway.config import AuthConfig, Config, ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    return root


@pytest.fixture
def env(media: Path) -> dict[str, str]:
    """The smallest environment that loads: a secret and an existing storage root."""
    return {"GATEWAY_AUTH_SECRET": "s3cret", "GATEWAY_STORAGE_ROOT": str(media)}


def toml_file(tmp_path: Path, text: str, name: str = "gateway.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# --- defaults and precedence ------------------------------------------------------------


def test_defaults_with_only_required_environment(env: dict[str, str], media: Path) -> None:
    config = load_config(None, env)
    expected = Config().replace("storage", root=str(media)).replace("auth", secret="s3cret")
    assert config == expected
    assert config.auth.algorithms == ("HS256",)
    assert config.auth.leeway_s == 30
    assert config.auth.cookie == ""
    assert config.cache.ttl_s == 30.0
    assert config.cors.origins == ()


def test_secret_is_not_in_repr(env: dict[str, str]) -> None:
    assert "s3cret" not in repr(load_config(None, env))


PRECEDENCE = [
    # (TOML text, environment, (section, key), expected, id)
    ("", {}, ("database", "url"), "sqlite+aiosqlite:///gateway.db", "url-default"),
    (
        '[database]\nurl = "sqlite+aiosqlite:///from-toml.db"',
        {},
        ("database", "url"),
        "sqlite+aiosqlite:///from-toml.db",
        "url-toml",
    ),
    (
        '[database]\nurl = "sqlite+aiosqlite:///from-toml.db"',
        {"GATEWAY_DATABASE_URL": "postgresql+asyncpg://u@h/db"},
        ("database", "url"),
        "postgresql+asyncpg://u@h/db",
        "url-env-beats-toml",
    ),
    ("[cache]\nttl_s = 12", {}, ("cache", "ttl_s"), 12.0, "ttl-toml-int-as-float"),
    (
        "[cache]\nttl_s = 12",
        {"GATEWAY_CACHE_TTL_S": "2.5"},
        ("cache", "ttl_s"),
        2.5,
        "ttl-env-beats-toml",
    ),
    ("", {"GATEWAY_CACHE_TTL_S": "0"}, ("cache", "ttl_s"), 0.0, "ttl-zero-disables"),
    (
        '[auth]\nalgorithms = ["HS256", "HS512"]',
        {},
        ("auth", "algorithms"),
        ("HS256", "HS512"),
        "algorithms-toml-list",
    ),
    (
        '[auth]\nalgorithms = ["HS512"]',
        {"GATEWAY_AUTH_ALGORITHMS": "HS256, HS384,,HS512 "},
        ("auth", "algorithms"),
        ("HS256", "HS384", "HS512"),
        "algorithms-env-comma-list",
    ),
    ("", {"GATEWAY_AUTH_LEEWAY_S": "0"}, ("auth", "leeway_s"), 0, "leeway-env"),
    ("[auth]\nleeway_s = 5.0", {}, ("auth", "leeway_s"), 5, "leeway-integral-float"),
    ('[auth]\ncookie = "gw"', {}, ("auth", "cookie"), "gw", "cookie-toml"),
    (
        '[auth]\ncookie = "gw"',
        {"GATEWAY_AUTH_COOKIE": ""},
        ("auth", "cookie"),
        "",
        "cookie-env-empty",
    ),
    ('[auth]\nissuer = "https://i"', {}, ("auth", "issuer"), "https://i", "issuer"),
    ("", {"GATEWAY_AUTH_AUDIENCE": "gw"}, ("auth", "audience"), "gw", "audience-env"),
    (
        "",
        {"GATEWAY_CORS_ORIGINS": "https://a.example, https://b.example:8443"},
        ("cors", "origins"),
        ("https://a.example", "https://b.example:8443"),
        "cors-env-comma-list",
    ),
    (
        '[cors]\norigins = ["https://a.example"]',
        {"GATEWAY_CORS_ORIGINS": ""},
        ("cors", "origins"),
        (),
        "cors-env-empty-disables",
    ),
    ("", {"GATEWAY_SERVER_PORT": "9000"}, ("server", "port"), 9000, "port-env"),
    ("", {"GATEWAY_CACHE_MAX_ENTRIES": "10"}, ("cache", "max_entries"), 10, "max-entries-env"),
]


@pytest.mark.parametrize(
    ("text", "overrides", "where", "expected"),
    [p[:4] for p in PRECEDENCE],
    ids=[p[4] for p in PRECEDENCE],
)
def test_precedence(
    tmp_path: Path,
    env: dict[str, str],
    text: str,
    overrides: dict[str, str],
    where: tuple[str, str],
    expected: object,
) -> None:
    config = load_config(toml_file(tmp_path, text), {**env, **overrides})
    section, key = where
    assert getattr(getattr(config, section), key) == expected


def test_storage_root_from_environment_beats_toml(tmp_path: Path, media: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    path = toml_file(tmp_path, '[storage]\nroot = "other"\n[auth]\nsecret = "x"')
    assert load_config(path, {}).storage.root == str(other)
    assert load_config(path, {"GATEWAY_STORAGE_ROOT": str(media)}).storage.root == str(media)


def test_relative_paths_in_file_are_relative_to_the_file(tmp_path: Path) -> None:
    conf = tmp_path / "etc"
    (conf / "media").mkdir(parents=True)
    (conf / "keys").mkdir()
    (conf / "keys" / "pub.pem").write_text("placeholder")
    (conf / "keys" / "secret").write_text("s")
    text = (
        '[storage]\nroot = "media"\n'
        '[auth]\nalgorithms = ["HS256", "RS256"]\n'
        'secret_file = "keys/secret"\npublic_key_file = "keys/pub.pem"\n'
    )
    config = load_config(toml_file(conf, text), {})
    assert config.storage.root == str(conf / "media")
    assert config.auth.secret_file == str(conf / "keys" / "secret")
    assert config.auth.public_key_file == str(conf / "keys" / "pub.pem")
    assert config.auth.jwks_file == ""


def test_gateway_config_variable_names_the_file(tmp_path: Path, media: Path) -> None:
    path = toml_file(tmp_path, f'[storage]\nroot = "{media}"\n[auth]\nsecret = "from-file"')
    assert load_config(None, {"GATEWAY_CONFIG": path}).auth.secret == "from-file"


def test_explicit_path_beats_gateway_config_variable(tmp_path: Path, media: Path) -> None:
    good = toml_file(tmp_path, f'[storage]\nroot = "{media}"\n[auth]\nsecret = "a"', "a.toml")
    missing = str(tmp_path / "missing.toml")
    assert load_config(good, {"GATEWAY_CONFIG": missing}).auth.secret == "a"


def test_example_file_documents_every_key_with_its_default(env: dict[str, str]) -> None:
    example = REPO / "config.example.toml"
    with open(example, "rb") as fh:
        documented = tomllib.load(fh)
    defaults = Config()
    for section in dataclasses.fields(Config):
        values = getattr(defaults, section.name)
        keys = {f.name for f in dataclasses.fields(values)}
        assert set(documented[section.name]) == keys, section.name
        for key in keys:
            default = getattr(values, key)
            shown = documented[section.name][key]
            assert (tuple(shown) if isinstance(default, tuple) else shown) == default, key
    loaded = load_config(str(example), env)  # and it loads, given a secret and a root
    assert loaded.database == defaults.database
    assert loaded.cache == defaults.cache


# --- bad configuration: one ConfigError naming the key ----------------------------------

BAD = [
    # (TOML text, environment overrides, text the message must contain, id)
    ("", {"GATEWAY_AUTH_SECRET": ""}, "GATEWAY_AUTH_SECRET", "missing-secret"),
    ("", {"GATEWAY_AUTH_ALGORITHMS": "none"}, "GATEWAY_AUTH_ALGORITHMS", "alg-none"),
    ("", {"GATEWAY_AUTH_ALGORITHMS": "HS256,none"}, "GATEWAY_AUTH_ALGORITHMS", "alg-none-in-list"),
    ("", {"GATEWAY_AUTH_ALGORITHMS": "hs256"}, "GATEWAY_AUTH_ALGORITHMS", "alg-lower-case"),
    ("", {"GATEWAY_AUTH_ALGORITHMS": "EdDSA"}, "GATEWAY_AUTH_ALGORITHMS", "alg-eddsa"),
    ("", {"GATEWAY_AUTH_ALGORITHMS": "PS256"}, "GATEWAY_AUTH_ALGORITHMS", "alg-ps256-unsupported"),
    ("", {"GATEWAY_AUTH_ALGORITHMS": ""}, "GATEWAY_AUTH_ALGORITHMS", "alg-empty"),
    ("", {"GATEWAY_AUTH_ALGORITHMS": "RS256"}, "GATEWAY_AUTH_PUBLIC_KEY_FILE", "rs256-no-key"),
    (
        "",
        {"GATEWAY_AUTH_ALGORITHMS": "RS256", "GATEWAY_AUTH_PUBLIC_KEY_FILE": "/nonexistent/k.pem"},
        "GATEWAY_AUTH_PUBLIC_KEY_FILE",
        "unreadable-public-key",
    ),
    (
        "",
        {"GATEWAY_AUTH_ALGORITHMS": "ES256", "GATEWAY_AUTH_JWKS_FILE": "/nonexistent/jwks.json"},
        "GATEWAY_AUTH_JWKS_FILE",
        "unreadable-jwks",
    ),
    (
        "",
        {"GATEWAY_AUTH_SECRET_FILE": "/nonexistent/secret"},
        "GATEWAY_AUTH_SECRET_FILE",
        "unreadable-secret-file",
    ),
    ("", {"GATEWAY_AUTH_LEEWAY_S": "-1"}, "GATEWAY_AUTH_LEEWAY_S", "negative-leeway"),
    ("", {"GATEWAY_AUTH_LEEWAY_S": "1.5"}, "GATEWAY_AUTH_LEEWAY_S", "fractional-leeway"),
    ("", {"GATEWAY_STORAGE_ROOT": "/nonexistent/media"}, "GATEWAY_STORAGE_ROOT", "root-missing"),
    ("", {"GATEWAY_DATABASE_URL": ""}, "GATEWAY_DATABASE_URL", "empty-database-url"),
    ("", {"GATEWAY_CACHE_TTL_S": "abc"}, "GATEWAY_CACHE_TTL_S", "ttl-not-a-number"),
    ("", {"GATEWAY_CACHE_TTL_S": "-1"}, "GATEWAY_CACHE_TTL_S", "ttl-negative"),
    ("", {"GATEWAY_CACHE_TTL_S": "nan"}, "GATEWAY_CACHE_TTL_S", "ttl-nan"),
    ("", {"GATEWAY_CACHE_TTL_S": "inf"}, "GATEWAY_CACHE_TTL_S", "ttl-infinite"),
    ("", {"GATEWAY_CACHE_DENY_TTL_S": "-1"}, "GATEWAY_CACHE_DENY_TTL_S", "deny-ttl-negative"),
    ("", {"GATEWAY_CACHE_MAX_ENTRIES": "0"}, "GATEWAY_CACHE_MAX_ENTRIES", "max-entries-zero"),
    ("", {"GATEWAY_SERVER_PORT": "80.5"}, "GATEWAY_SERVER_PORT", "port-fractional"),
    ("", {"GATEWAY_SERVER_PORT": "http"}, "GATEWAY_SERVER_PORT", "port-word"),
    ("", {"GATEWAY_STORAGE_CHUNK_BYTES": "0"}, "GATEWAY_STORAGE_CHUNK_BYTES", "chunk-zero"),
    ("", {"GATEWAY_SERVER_IMPLEMENTATION": "gunicorn"}, "GATEWAY_SERVER_IMPLEMENTATION",
     "server-unknown"),
    ("", {"GATEWAY_SERVER_HTTP1_BUFFER_BYTES": "4096"}, "GATEWAY_SERVER_HTTP1_BUFFER_BYTES",
     "http1-buffer-below-granian-minimum"),
    ("", {"GATEWAY_CORS_ORIGINS": "*"}, "GATEWAY_CORS_ORIGINS", "cors-star"),
    ("", {"GATEWAY_CORS_ORIGINS": "a.example"}, "GATEWAY_CORS_ORIGINS", "cors-no-scheme"),
    (
        "",
        {"GATEWAY_SERVER_TLS_CERT_FILE": "/x/cert.pem"},
        "GATEWAY_SERVER_TLS_KEY_FILE",
        "tls-cert-without-key",
    ),
    ('[auth]\nsecrett = "x"', {}, "auth.secrett", "unknown-key"),
    ("[cache]\nttl = 5", {}, "cache.ttl", "unknown-key-near-miss"),
    ("[caches]\nttl_s = 5", {}, "caches", "unknown-section"),
    ("auth = 1", {}, "[auth]", "section-not-a-table"),
    ('[cache]\nttl_s = "abc"', {}, "cache.ttl_s", "toml-ttl-string"),
    ("[cache]\nttl_s = true", {}, "cache.ttl_s", "toml-ttl-bool"),
    ("[cache]\nttl_s = inf", {}, "cache.ttl_s", "toml-ttl-inf"),
    ("[auth]\nleeway_s = true", {}, "auth.leeway_s", "toml-leeway-bool"),
    ("[auth]\nleeway_s = 2.5", {}, "auth.leeway_s", "toml-leeway-fractional"),
    ("[server]\nport = [80]", {}, "server.port", "toml-port-list"),
    ('[auth]\nissuer = ["a"]', {}, "auth.issuer", "toml-issuer-list"),
    ("[database]\nurl = 5", {}, "database.url", "toml-url-number"),
    ("[auth]\nalgorithms = 5", {}, "auth.algorithms", "toml-algorithms-number"),
]


@pytest.mark.parametrize(
    ("text", "overrides", "names"), [b[:3] for b in BAD], ids=[b[3] for b in BAD]
)
def test_bad_configuration_names_the_key(
    tmp_path: Path, env: dict[str, str], text: str, overrides: dict[str, str], names: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(toml_file(tmp_path, text), {**env, **overrides})
    message = str(info.value)
    assert names in message
    assert "\n" not in message


def test_storage_root_that_is_a_file_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    with pytest.raises(ConfigError, match="GATEWAY_STORAGE_ROOT"):
        load_config(None, {**env, "GATEWAY_STORAGE_ROOT": str(not_a_dir)})


def test_missing_config_file_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    missing = str(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="config file"):
        load_config(missing, env)


def test_invalid_toml_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="config file"):
        load_config(toml_file(tmp_path, "[auth\nsecret = "), env)


def test_auth_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        AuthConfig().secret = "x"  # type: ignore[misc]
