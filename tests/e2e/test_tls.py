"""`gateway serve` terminates TLS itself (a TCP balancer passes it through), with HTTP/2."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway.config import Config
from support import FILES, run_server, token

pytestmark = pytest.mark.e2e


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_tls_and_http2(sqlite_world: Config, tmp_path: Path) -> None:
    world = sqlite_world
    cert, key = _self_signed(tmp_path)
    config_path = Path(world.storage.root).parent / "gateway.toml"
    env = {"GATEWAY_SERVER_TLS_CERT_FILE": str(cert), "GATEWAY_SERVER_TLS_KEY_FILE": str(key)}
    with run_server(config_path, env=env, scheme="https") as srv:
        out = subprocess.run(
            ["curl", "-sk", "--http2", "-o", str(tmp_path / "body"), "-w",
             "%{http_version} %{http_code}", "-H", f"Authorization: Bearer {token(world)}",
             f"{srv.url}/uploads/a/photo.jpg"],
            capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout == "2 200"
    assert (tmp_path / "body").read_bytes() == FILES["a/photo.jpg"]
