"""gateway/auth/jwt.py: TokenVerifier against real signatures, with an injected clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt

from gateway.auth.jwt import MAX_USER_ID, Principal, TokenVerifier, issue_token, parse_user_id
from gateway.config import AuthConfig, ConfigError
from gateway.errors import Unauthorized

NOW = 1_700_000_000.0
SECRET = "test-secret-of-reasonable-length-0123456789"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str


def _rsa() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _pair(key)


def _ec(curve: ec.EllipticCurve) -> KeyPair:
    return _pair(ec.generate_private_key(curve))


def _pair(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> KeyPair:
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private.decode(), public.decode())


@pytest.fixture(scope="module")
def rsa1() -> KeyPair:
    return _rsa()


@pytest.fixture(scope="module")
def rsa2() -> KeyPair:
    return _rsa()


@pytest.fixture(scope="module")
def ec1() -> KeyPair:
    return _ec(ec.SECP256R1())


@pytest.fixture(scope="module")
def ec2() -> KeyPair:
    return _ec(ec.SECP256R1())


@pytest.fixture(scope="module")
def ec384() -> KeyPair:
    return _ec(ec.SECP384R1())


@pytest.fixture(scope="module")
def ec521() -> KeyPair:
    return _ec(ec.SECP521R1())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims at NOW; an override of None removes the claim."""
    base: dict[str, Any] = {"sub": "42", "iat": int(NOW), "exp": int(NOW) + 300}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], key: str, alg: str, **headers: Any) -> str:
    return jwt.encode(payload, key, algorithm=alg, headers=headers or None)


def hmac_token(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    """HS256 built by hand, for secrets jose refuses to sign with (a PEM public key)."""
    signing_input = f"{b64json(header)}.{b64json(payload)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def hs_verifier(clock: Clock | None = None, **config: Any) -> TokenVerifier:
    config.setdefault("secret", SECRET)
    return TokenVerifier(AuthConfig(**config), clock=clock or Clock())


def refused(verifier: TokenVerifier, token: str) -> str:
    """The reason a token is refused; fails the test if it is accepted."""
    with pytest.raises(Unauthorized) as info:
        verifier.verify(token)
    assert info.value.token_sent is True
    return info.value.reason


# --- HMAC -------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_algorithms_accepted(alg: str) -> None:
    verifier = hs_verifier(algorithms=("HS256", "HS384", "HS512"))
    principal = verifier.verify(sign(claims(), SECRET, alg))
    assert principal == Principal(user_id=42, expires_at=NOW + 300, not_before=0.0)


def test_wrong_secret_refused() -> None:
    assert refused(hs_verifier(), sign(claims(), "another-secret", "HS256")) == "invalid_token"


def test_tampered_payload_refused() -> None:
    header, _, sig = sign(claims(sub="42"), SECRET, "HS256").split(".")
    forged = f"{header}.{b64json(claims(sub='1'))}.{sig}"
    assert refused(hs_verifier(), forged) == "invalid_token"


@pytest.mark.parametrize(
    ("allowed", "alg"),
    [(("HS256",), "HS384"), (("HS256",), "HS512"), (("HS512",), "HS256")],
    ids=["256-allowed-384-sent", "256-allowed-512-sent", "512-allowed-256-sent"],
)
def test_algorithm_not_in_allow_list_refused(allowed: tuple[str, ...], alg: str) -> None:
    token = sign(claims(), SECRET, alg)
    assert refused(hs_verifier(algorithms=allowed), token) == "algorithm_not_allowed"


NONE_TOKENS = [
    ({"alg": "none"}, "", "none-empty-signature"),
    ({"alg": "None"}, "", "None-capitalised"),
    ({"alg": "NONE"}, "", "NONE-upper"),
    ({"alg": "none", "typ": "JWT"}, "", "none-with-typ"),
    ({"alg": "none"}, b64(b"junk"), "none-with-junk-signature"),
    ({"alg": ""}, "", "empty-alg"),
    ({}, "", "no-alg"),
    ({"alg": ["HS256"]}, "", "alg-as-list"),
    ({"alg": None}, "", "alg-null"),
]


@pytest.mark.parametrize(
    ("header", "signature"), [n[:2] for n in NONE_TOKENS], ids=[n[2] for n in NONE_TOKENS]
)
def test_unsigned_or_algless_tokens_refused(header: dict[str, Any], signature: str) -> None:
    token = f"{b64json(header)}.{b64json(claims())}.{signature}"
    verifier = hs_verifier(algorithms=("HS256", "HS384", "HS512"))
    assert refused(verifier, token) == "algorithm_not_allowed"


MALFORMED = [
    ("", "malformed_token", "empty"),
    ("abc", "malformed_token", "one-segment"),
    ("a.b", "malformed_token", "two-segments"),
    ("!!!.!!!.!!!", "malformed_token", "not-base64"),
    (f"{b64(b'not json')}.{b64json(claims())}.", "malformed_token", "header-not-json"),
    (f"{b64json(['HS256'])}.{b64json(claims())}.", "malformed_token", "header-is-list"),
    (f"{b64json({'alg': 'HS256'})}.!!!.{b64(b'x')}", "invalid_token", "payload-not-base64"),
]


@pytest.mark.parametrize(
    ("token", "reason"), [m[:2] for m in MALFORMED], ids=[m[2] for m in MALFORMED]
)
def test_malformed_tokens_refused(token: str, reason: str) -> None:
    assert refused(hs_verifier(), token) == reason


def test_signed_payload_that_is_not_an_object_refused() -> None:
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = f"{b64json(header)}.{b64json(['sub', '42'])}"
    mac = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    assert refused(hs_verifier(), f"{signing_input}.{b64(mac)}") == "invalid_token"


# --- HMAC/public-key confusion ----------------------------------------------------------


@pytest.mark.parametrize(
    "secret_variant",
    ["as-is", "stripped", "der-bytes"],
)
def test_public_key_never_used_as_hmac_secret(
    tmp_path: Path, rsa1: KeyPair, secret_variant: str
) -> None:
    # The classic attack: the verifier holds an RSA public key; the attacker signs
    # HS256 with that public key's text, hoping the library uses it as the secret.
    pem = rsa1.public_pem
    secret = {
        "as-is": pem.encode(),
        "stripped": pem.strip().encode(),
        "der-bytes": base64.b64decode("".join(pem.strip().splitlines()[1:-1])),
    }[secret_variant]
    forged = hmac_token({"alg": "HS256", "typ": "JWT"}, claims(), secret)
    key_file = write(tmp_path, "pub.pem", pem)

    rs_only = TokenVerifier(
        AuthConfig(algorithms=("RS256",), public_key_file=key_file), clock=Clock()
    )
    assert refused(rs_only, forged) == "algorithm_not_allowed"

    both = TokenVerifier(
        AuthConfig(algorithms=("HS256", "RS256"), secret=SECRET, public_key_file=key_file),
        clock=Clock(),
    )
    assert refused(both, forged) == "invalid_token"
    # The same verifier still accepts both legitimate kinds of token.
    assert both.verify(sign(claims(), SECRET, "HS256")).user_id == 42
    assert both.verify(sign(claims(), rsa1.private_pem, "RS256")).user_id == 42


# --- Public key file --------------------------------------------------------------------

PUBLIC_KEY_CASES = [
    ("RS256", "rsa1", "rsa1", None, "rs256-ok"),
    ("RS384", "rsa1", "rsa1", None, "rs384-ok"),
    ("RS512", "rsa1", "rsa1", None, "rs512-ok"),
    ("ES256", "ec1", "ec1", None, "es256-ok"),
    ("ES384", "ec384", "ec384", None, "es384-ok"),
    ("ES512", "ec521", "ec521", None, "es512-ok"),
    ("RS256", "rsa1", "rsa2", "invalid_token", "rs256-other-key"),
    ("ES256", "ec1", "ec2", "invalid_token", "es256-other-key"),
]


@pytest.mark.parametrize(
    ("alg", "configured", "signer", "reason"),
    [p[:4] for p in PUBLIC_KEY_CASES],
    ids=[p[4] for p in PUBLIC_KEY_CASES],
)
def test_public_key_file(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    alg: str,
    configured: str,
    signer: str,
    reason: str | None,
) -> None:
    public: KeyPair = request.getfixturevalue(configured)
    private: KeyPair = request.getfixturevalue(signer)
    key_file = write(tmp_path, "pub.pem", public.public_pem)
    verifier = TokenVerifier(AuthConfig(algorithms=(alg,), public_key_file=key_file), clock=Clock())
    token = sign(claims(), private.private_pem, alg)
    if reason is None:
        assert verifier.verify(token).user_id == 42
    else:
        assert refused(verifier, token) == reason


def test_rsa_key_does_not_verify_es256_even_when_allowed(
    tmp_path: Path, rsa1: KeyPair, ec1: KeyPair
) -> None:
    key_file = write(tmp_path, "pub.pem", rsa1.public_pem)
    verifier = TokenVerifier(
        AuthConfig(algorithms=("RS256", "ES256"), public_key_file=key_file), clock=Clock()
    )
    assert verifier.verify(sign(claims(), rsa1.private_pem, "RS256")).user_id == 42
    with pytest.raises(Unauthorized):
        verifier.verify(sign(claims(), ec1.private_pem, "ES256"))


def test_embedded_header_jwk_is_ignored(tmp_path: Path, rsa1: KeyPair, rsa2: KeyPair) -> None:
    # RFC 7515 `jwk` header: a key chosen by the attacker must never be trusted.
    attacker_jwk = jwk.construct(rsa2.public_pem, "RS256").to_dict()
    token = sign(claims(), rsa2.private_pem, "RS256", jwk=attacker_jwk, kid="attacker")
    key_file = write(tmp_path, "pub.pem", rsa1.public_pem)
    verifier = TokenVerifier(AuthConfig(algorithms=("RS256",), public_key_file=key_file))
    assert refused(verifier, token) == "invalid_token"


def test_unreadable_public_key_file_is_config_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(ConfigError, match="GATEWAY_AUTH_PUBLIC_KEY_FILE"):
        TokenVerifier(AuthConfig(algorithms=("RS256",), public_key_file=missing))


def test_garbage_public_key_file_is_config_error(tmp_path: Path) -> None:
    key_file = write(tmp_path, "pub.pem", "not a key\n")
    with pytest.raises(ConfigError, match="GATEWAY_AUTH_PUBLIC_KEY_FILE"):
        TokenVerifier(AuthConfig(algorithms=("RS256",), public_key_file=key_file))


def test_asymmetric_algorithm_without_any_key_is_unknown_key() -> None:
    verifier = TokenVerifier(AuthConfig(algorithms=("RS256",)), clock=Clock())
    token = sign(claims(), _rsa().private_pem, "RS256")
    assert refused(verifier, token) == "unknown_key"


# --- JWKS: several keys by kid ----------------------------------------------------------


def jwk_entry(pair: KeyPair, alg: str, kid: str, *, pin_alg: bool = True) -> dict[str, Any]:
    entry = dict(jwk.construct(pair.public_pem, alg).to_dict())
    entry["kid"] = kid
    entry["use"] = "sig"
    if not pin_alg:
        del entry["alg"]
    return entry


@pytest.fixture
def jwks_verifier(tmp_path: Path, rsa1: KeyPair, rsa2: KeyPair, ec1: KeyPair) -> TokenVerifier:
    keys = [
        jwk_entry(rsa1, "RS256", "old"),
        jwk_entry(rsa2, "RS256", "new"),
        jwk_entry(rsa1, "RS384", "pinned-384"),
        jwk_entry(ec1, "ES256", "ec-unpinned", pin_alg=False),
        {"kty": "oct", "kid": "sym", "alg": "HS256", "k": b64(b"jwks-secret")},
    ]
    path = write(tmp_path, "jwks.json", json.dumps({"keys": keys}))
    config = AuthConfig(algorithms=("RS256", "RS384", "ES256"), jwks_file=path)
    return TokenVerifier(config, clock=Clock())


JWKS_CASES = [
    # (alg, signer, kid, refusal reason or None, id)
    ("RS256", "rsa1", "old", None, "rotation-old-key"),
    ("RS256", "rsa2", "new", None, "rotation-new-key"),
    ("RS384", "rsa1", "pinned-384", None, "pinned-alg-matches"),
    ("ES256", "ec1", "ec-unpinned", None, "unpinned-ec-key"),
    ("RS256", "rsa2", "old", "invalid_token", "kid-names-other-key"),
    ("RS256", "rsa1", "missing", "unknown_key", "unknown-kid"),
    ("RS256", "rsa1", None, "unknown_key", "no-kid"),
    ("RS256", "rsa1", 7, "unknown_key", "kid-not-a-string"),
    ("RS256", "rsa1", "pinned-384", "algorithm_mismatch_for_kid", "kid-pinned-to-other-alg"),
    ("RS384", "rsa1", "old", "algorithm_mismatch_for_kid", "kid-pinned-to-rs256"),
    ("RS256", "rsa1", "ec-unpinned", "key_type_mismatch", "rsa-alg-on-ec-key"),
    ("RS256", "rsa1", "sym", "unknown_key", "symmetric-jwks-key-never-loaded"),
]


@pytest.mark.parametrize(
    ("alg", "signer", "kid", "reason"),
    [j[:4] for j in JWKS_CASES],
    ids=[j[4] for j in JWKS_CASES],
)
def test_jwks(
    request: pytest.FixtureRequest,
    jwks_verifier: TokenVerifier,
    alg: str,
    signer: str,
    kid: object,
    reason: str | None,
) -> None:
    private: KeyPair = request.getfixturevalue(signer)
    headers = {} if kid is None else {"kid": kid}
    token = sign(claims(), private.private_pem, alg, **headers)
    if reason is None:
        assert jwks_verifier.verify(token).user_id == 42
    else:
        assert refused(jwks_verifier, token) == reason


def test_hs256_with_jwks_symmetric_kid_uses_only_configured_secret(
    tmp_path: Path, rsa1: KeyPair
) -> None:
    keys = [{"kty": "oct", "kid": "sym", "alg": "HS256", "k": b64(b"jwks-secret")}]
    path = write(tmp_path, "jwks.json", json.dumps({"keys": keys}))
    verifier = TokenVerifier(
        AuthConfig(algorithms=("HS256",), secret=SECRET, jwks_file=path), clock=Clock()
    )
    assert refused(verifier, sign(claims(), "jwks-secret", "HS256", kid="sym")) == "invalid_token"
    assert verifier.verify(sign(claims(), SECRET, "HS256", kid="sym")).user_id == 42


BAD_JWKS = [
    ("not json", "not-json"),
    ("{}", "no-keys"),
    ('{"keys": 1}', "keys-not-a-list"),
    ('{"keys": [{"kty": "RSA", "alg": "RS256", "n": "AQAB"}]}', "missing-kid-and-e"),
    ('{"keys": [{"kty": "RSA", "kid": "a", "alg": "RS256", "n": "!!", "e": "!!"}]}', "bad-numbers"),
]


@pytest.mark.parametrize("text", [b[0] for b in BAD_JWKS], ids=[b[1] for b in BAD_JWKS])
def test_bad_jwks_file_is_config_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "jwks.json", text)
    with pytest.raises(ConfigError, match="GATEWAY_AUTH_JWKS_FILE"):
        TokenVerifier(AuthConfig(algorithms=("RS256",), jwks_file=path))


def test_unreadable_jwks_file_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GATEWAY_AUTH_JWKS_FILE"):
        TokenVerifier(AuthConfig(algorithms=("RS256",), jwks_file=str(tmp_path / "nope.json")))


# --- Time: exp, nbf, leeway, and the verified-token cache -------------------------------

EXP = int(NOW) + 300
TIME_CASES = [
    # (claims overrides, clock offset from NOW, leeway_s, refusal reason or None, id)
    ({}, 0, 30, None, "fresh"),
    ({"exp": None}, 0, 30, "missing_exp", "exp-missing"),
    ({"exp": str(EXP)}, 0, 30, "bad_exp", "exp-string"),
    ({"exp": True}, 0, 30, "bad_exp", "exp-bool"),
    ({"exp": [EXP]}, 0, 30, "bad_exp", "exp-list"),
    ({"exp": EXP + 0.5}, 0, 30, None, "exp-float"),
    ({}, 300, 30, None, "at-exp"),
    ({}, 330, 30, None, "at-exp-plus-leeway"),
    ({}, 330.5, 30, "token_expired", "just-past-leeway"),
    ({}, 301, 0, "token_expired", "past-exp-no-leeway"),
    ({"exp": int(NOW) - 10}, 0, 30, None, "expired-within-leeway"),
    ({"exp": int(NOW) - 31}, 0, 30, "token_expired", "expired-beyond-leeway"),
    ({"nbf": int(NOW) + 100}, 0, 30, "token_not_yet_valid", "nbf-future"),
    ({"nbf": int(NOW) + 30}, 0, 30, None, "nbf-within-leeway"),
    ({"nbf": int(NOW) + 1}, 0, 0, "token_not_yet_valid", "nbf-future-no-leeway"),
    ({"nbf": int(NOW) + 100}, 100, 0, None, "nbf-reached"),
    ({"nbf": int(NOW) - 100}, 0, 30, None, "nbf-past"),
    ({"nbf": "soon"}, 0, 30, "bad_nbf", "nbf-string"),
    ({"iat": int(NOW) + 10_000}, 0, 30, None, "iat-is-not-checked"),
]


@pytest.mark.parametrize(
    ("overrides", "offset", "leeway_s", "reason"),
    [t[:4] for t in TIME_CASES],
    ids=[t[4] for t in TIME_CASES],
)
def test_time_claims(
    overrides: dict[str, Any], offset: float, leeway_s: int, reason: str | None
) -> None:
    verifier = hs_verifier(Clock(NOW + offset), leeway_s=leeway_s)
    token = sign(claims(**overrides), SECRET, "HS256")
    if reason is None:
        assert verifier.verify(token).user_id == 42
    else:
        assert refused(verifier, token) == reason


def test_cached_token_still_expires_when_the_clock_advances() -> None:
    clock = Clock()
    verifier = hs_verifier(clock, leeway_s=30)
    token = sign(claims(), SECRET, "HS256")
    first = verifier.verify(token)
    assert verifier.verify(token) is first  # served from the verified-token cache
    clock.now = NOW + 330
    assert verifier.verify(token) is first
    clock.now = NOW + 331
    assert refused(verifier, token) == "token_expired"
    assert refused(verifier, token) == "token_expired"


def test_cached_token_still_honours_nbf() -> None:
    clock = Clock()
    verifier = hs_verifier(clock, leeway_s=0)
    token = sign(claims(nbf=int(NOW) + 60), SECRET, "HS256")
    assert refused(verifier, token) == "token_not_yet_valid"
    clock.now = NOW + 60
    assert verifier.verify(token).not_before == NOW + 60
    clock.now = NOW + 10  # a clock stepping back is refused again, cache or not
    assert refused(verifier, token) == "token_not_yet_valid"


def test_refused_token_is_not_cached() -> None:
    verifier = hs_verifier(algorithms=("HS256",))
    token = sign(claims(sub="x"), SECRET, "HS256")
    assert refused(verifier, token) == "bad_sub"
    assert refused(verifier, token) == "bad_sub"


# --- iss / aud --------------------------------------------------------------------------

ISS = "https://chat.example/"
AUD = "media-gateway"
ISS_AUD_CASES = [
    # (configured issuer, configured audience, claim overrides, reason or None, id)
    ("", "", {}, None, "nothing-configured"),
    ("", "", {"iss": "anyone", "aud": "anything"}, None, "unconfigured-claims-ignored"),
    (ISS, "", {"iss": ISS}, None, "issuer-matches"),
    (ISS, "", {}, "invalid_token", "issuer-claim-missing"),
    (ISS, "", {"iss": "https://evil.example/"}, "invalid_token", "issuer-differs"),
    (ISS, "", {"iss": ISS.rstrip("/")}, "invalid_token", "issuer-near-miss"),
    ("", AUD, {"aud": AUD}, None, "audience-matches"),
    ("", AUD, {"aud": ["other", AUD]}, None, "audience-in-list"),
    ("", AUD, {}, "invalid_token", "audience-claim-missing"),
    ("", AUD, {"aud": "other"}, "invalid_token", "audience-differs"),
    ("", AUD, {"aud": ["other"]}, "invalid_token", "audience-list-without-ours"),
    (ISS, AUD, {"iss": ISS, "aud": AUD}, None, "both-match"),
    (ISS, AUD, {"iss": ISS}, "invalid_token", "both-configured-aud-missing"),
    (ISS, AUD, {"aud": AUD}, "invalid_token", "both-configured-iss-missing"),
]


@pytest.mark.parametrize(
    ("issuer", "audience", "overrides", "reason"),
    [c[:4] for c in ISS_AUD_CASES],
    ids=[c[4] for c in ISS_AUD_CASES],
)
def test_issuer_and_audience(
    issuer: str, audience: str, overrides: dict[str, Any], reason: str | None
) -> None:
    verifier = hs_verifier(issuer=issuer, audience=audience)
    token = sign(claims(**overrides), SECRET, "HS256")
    if reason is None:
        assert verifier.verify(token).user_id == 42
    else:
        assert refused(verifier, token) == reason


# --- sub --------------------------------------------------------------------------------

SUB_CASES: list[tuple[object, int | None, str]] = [
    ("1", 1, "one"),
    ("42", 42, "plain"),
    ("007", 7, "leading-zeros"),
    ("0", 0, "zero"),
    (str(MAX_USER_ID), MAX_USER_ID, "max-bigint"),
    (str(MAX_USER_ID + 1), None, "bigint-overflow"),
    ("1" * 20, None, "twenty-digits"),
    ("0" * 20 + "1", None, "long-with-leading-zeros"),
    (" 1", None, "leading-space"),
    ("1 ", None, "trailing-space"),
    ("1_0", None, "underscore"),
    ("+1", None, "plus"),
    ("-1", None, "minus"),
    ("1.5", None, "decimal"),
    ("1e3", None, "exponent"),
    ("0x1", None, "hex"),
    ("\u0661", None, "arabic-indic-digit"),
    ("\uff11", None, "fullwidth-digit"),
    ("\u00b9", None, "superscript-one"),
    ("", None, "empty"),
    ("user-1", None, "name"),
    (1, None, "json-int"),
    (1.0, None, "json-float"),
    (True, None, "json-bool"),
    (["1"], None, "json-list"),
    (None, None, "missing"),
]


@pytest.mark.parametrize(
    ("sub", "expected"), [s[:2] for s in SUB_CASES], ids=[s[2] for s in SUB_CASES]
)
def test_sub(sub: object, expected: int | None) -> None:
    verifier = hs_verifier()
    token = sign(claims(sub=sub), SECRET, "HS256")
    if expected is None:
        assert refused(verifier, token) == "bad_sub"
        with pytest.raises(Unauthorized):
            parse_user_id(sub)
    else:
        assert verifier.verify(token).user_id == expected
        assert parse_user_id(sub) == expected


# --- issue_token ------------------------------------------------------------------------


def test_issue_token_round_trips_with_issuer_and_audience() -> None:
    config = AuthConfig(algorithms=("HS512",), secret=SECRET, issuer=ISS, audience=AUD)
    token = issue_token(config, "9", 120, now=NOW)
    payload = jwt.get_unverified_claims(token)
    assert payload == {"sub": "9", "iat": int(NOW), "exp": int(NOW) + 120, "iss": ISS, "aud": AUD}
    assert jwt.get_unverified_header(token)["alg"] == "HS512"
    assert TokenVerifier(config, clock=Clock()).verify(token) == Principal(9, NOW + 120)


def test_issue_token_reads_secret_file(tmp_path: Path) -> None:
    path = write(tmp_path, "secret", SECRET + "\n")
    token = issue_token(AuthConfig(secret_file=path), "5", 60, now=NOW)
    assert hs_verifier().verify(token).user_id == 5
    assert TokenVerifier(AuthConfig(secret_file=path), clock=Clock()).verify(token).user_id == 5


def test_issue_token_needs_an_hmac_algorithm(tmp_path: Path, rsa1: KeyPair) -> None:
    key_file = write(tmp_path, "p", rsa1.public_pem)
    config = AuthConfig(algorithms=("RS256",), public_key_file=key_file)
    with pytest.raises(ConfigError, match="GATEWAY_AUTH_SECRET"):
        issue_token(config, "1", 60)
