"""Token verification: the only module that imports python-jose.

Allowed algorithms come from configuration, never from the token header; an
HMAC algorithm is only ever checked with the configured secret, an asymmetric
one only with a configured public key, so a public key can never serve as an
HMAC secret. Time checks use an injected clock so tests can advance it.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jose import jwk, jws, jwt
from jose.backends.base import Key
from jose.exceptions import JOSEError

from gateway.config import HMAC_ALGORITHMS, AuthConfig, ConfigError
from gateway.errors import Unauthorized

MAX_USER_ID = 2**63 - 1
VERIFIED_CACHE_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Principal:
    """Who the request is from, and until when the credential says so."""

    user_id: int
    expires_at: float
    not_before: float = 0.0


def parse_user_id(sub: object) -> int:
    """`sub` must be a JSON string of ASCII decimal digits that fits in a bigint."""
    if not isinstance(sub, str) or not sub or len(sub) > 19:
        raise Unauthorized("bad_sub", token_sent=True)
    if not (sub.isascii() and sub.isdigit()):
        raise Unauthorized("bad_sub", token_sent=True)
    user_id = int(sub)
    if user_id > MAX_USER_ID:
        raise Unauthorized("bad_sub", token_sent=True)
    return user_id


def _numeric_claim(claims: dict[str, Any], name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise Unauthorized(f"missing_{name}", token_sent=True)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unauthorized(f"bad_{name}", token_sent=True)
    return float(value)


class TokenVerifier:
    """Verifies a compact JWS and returns its Principal; keys are built once."""

    def __init__(self, config: AuthConfig, *, clock: Callable[[], float] = time.time) -> None:
        self._algorithms = frozenset(config.algorithms)
        self._issuer = config.issuer or None
        self._audience = config.audience or None
        self._leeway_s = float(config.leeway_s)
        self._clock = clock
        self._hmac_keys: dict[str, Key] = {}
        self._public_keys: dict[str, Key] = {}
        self._jwks: dict[str, dict[str, Any]] = {}
        self._jwk_keys: dict[tuple[str, str], Key] = {}
        self._verified: dict[str, Principal] = {}
        self._load_keys(config)

    def _load_keys(self, config: AuthConfig) -> None:
        secret = config.secret
        if config.secret_file:
            with open(config.secret_file, encoding="utf-8") as fh:
                secret = fh.read().strip()
        for alg in self._algorithms & HMAC_ALGORITHMS:
            self._hmac_keys[alg] = jwk.construct(secret, alg)
        asymmetric = self._algorithms - HMAC_ALGORITHMS
        if config.public_key_file and asymmetric:
            pem = _read(config.public_key_file, "GATEWAY_AUTH_PUBLIC_KEY_FILE")
            for alg in asymmetric:
                # A key type that does not fit this algorithm is skipped; checked below.
                with contextlib.suppress(JOSEError):
                    self._public_keys[alg] = jwk.construct(pem, alg)
            if not self._public_keys:
                raise ConfigError("GATEWAY_AUTH_PUBLIC_KEY_FILE: key fits none of the algorithms")
        if config.jwks_file:
            self._load_jwks(_read(config.jwks_file, "GATEWAY_AUTH_JWKS_FILE"))

    def _load_jwks(self, text: str) -> None:
        try:
            keys = json.loads(text)["keys"]
            for item in keys:
                alg = item.get("alg")
                if alg in HMAC_ALGORITHMS or item.get("kty") == "oct":
                    continue  # symmetric keys never come from a key set
                jwk.construct(item, alg or _default_alg(item))  # fail at start-up, not per request
                self._jwks[item["kid"]] = item
        except (ValueError, KeyError, TypeError, JOSEError) as exc:
            raise ConfigError(f"GATEWAY_AUTH_JWKS_FILE: invalid key set ({exc})") from None

    def verify(self, token: str) -> Principal:
        """A Principal for a valid token, or Unauthorized with a reason."""
        now = self._clock()
        principal = self._verified.get(token)
        if principal is None:
            principal = self._verify_uncached(token)
            if len(self._verified) >= VERIFIED_CACHE_ENTRIES:
                self._verified.clear()
            self._verified[token] = principal
        if now > principal.expires_at + self._leeway_s:
            self._verified.pop(token, None)
            raise Unauthorized("token_expired", token_sent=True)
        if now + self._leeway_s < principal.not_before:
            raise Unauthorized("token_not_yet_valid", token_sent=True)
        return principal

    def _verify_uncached(self, token: str) -> Principal:
        try:
            header = jws.get_unverified_header(token)
        except JOSEError:
            raise Unauthorized("malformed_token", token_sent=True) from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise Unauthorized("algorithm_not_allowed", token_sent=True)
        key = self._key_for(alg, header.get("kid"))
        options = {
            "verify_exp": False,  # checked against the injected clock in verify()
            "verify_nbf": False,
            "verify_iat": False,
            "verify_sub": False,  # parse_user_id is stricter
            "verify_aud": self._audience is not None,
            "require_aud": self._audience is not None,
            "verify_iss": self._issuer is not None,
            "require_iss": self._issuer is not None,
        }
        try:
            claims = jwt.decode(
                token, key, algorithms=[alg], options=options,
                audience=self._audience, issuer=self._issuer,
            )
        except JOSEError:
            raise Unauthorized("invalid_token", token_sent=True) from None
        expires_at = _numeric_claim(claims, "exp", required=True)
        not_before = _numeric_claim(claims, "nbf", required=False)
        assert expires_at is not None
        return Principal(parse_user_id(claims.get("sub")), expires_at, not_before or 0.0)

    def _key_for(self, alg: str, kid: object) -> Key:
        if alg in HMAC_ALGORITHMS:
            return self._hmac_keys[alg]
        if self._jwks and isinstance(kid, str) and kid in self._jwks:
            return self._jwk_key(kid, alg)
        if alg in self._public_keys:
            return self._public_keys[alg]
        raise Unauthorized("unknown_key", token_sent=True)


    def _jwk_key(self, kid: str, alg: str) -> Key:
        """The set's key `kid` for `alg`; a key pinned to another algorithm refuses."""
        key = self._jwk_keys.get((kid, alg))
        if key is None:
            item = self._jwks[kid]
            if item.get("alg") not in (None, alg):
                raise Unauthorized("algorithm_mismatch_for_kid", token_sent=True)
            try:
                key = jwk.construct(item, alg)
            except JOSEError:
                raise Unauthorized("key_type_mismatch", token_sent=True) from None
            self._jwk_keys[(kid, alg)] = key
        return key


def _read(path: str, key: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read {path} ({exc.strerror})") from None


def _default_alg(item: dict[str, Any]) -> str:
    """JWKS entries may omit `alg`; pick the family's default for construction only."""
    kty = item.get("kty")
    if kty == "EC":
        return {"P-384": "ES384", "P-521": "ES512"}.get(item.get("crv", ""), "ES256")
    return "RS256"


def issue_token(config: AuthConfig, sub: str, ttl_s: int, *, now: float | None = None) -> str:
    """A token signed with the configured HMAC secret (development and tests only)."""
    algs = [a for a in config.algorithms if a in HMAC_ALGORITHMS]
    if not algs:
        raise ConfigError("GATEWAY_AUTH_SECRET: `gateway token` signs with an HS* algorithm")
    secret = config.secret
    if config.secret_file:
        with open(config.secret_file, encoding="utf-8") as fh:
            secret = fh.read().strip()
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"sub": sub, "iat": issued, "exp": issued + ttl_s}
    if config.issuer:
        claims["iss"] = config.issuer
    if config.audience:
        claims["aud"] = config.audience
    return jwt.encode(claims, secret, algorithm=algs[0])
