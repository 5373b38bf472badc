"""A local RFC 3161 time-stamping authority for tests, run as its own process.

    python -m tests.tsa --dir D --port P [--offset SECONDS]

On first start it makes, in ``D``, a root CA and a TSA certificate (extended key
usage timeStamping, critical, as RFC 3161 section 2.3 requires) with their keys;
``D/root.pem`` is what a verifier pins. It answers ``POST /`` with
``application/timestamp-query`` bodies by a ``TimeStampResp`` that pyHanko's
``DummyTimeStamper`` builds and signs (a real RFC 3161 token over the request's
message imprint, with its nonce). ``--offset`` shifts its clock (a TSA that lies).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.server
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test TSA 测试时间戳"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])  # fmt: skip


def make_tsa(directory: Path) -> None:
    """Root CA and TSA certificate with their keys in ``directory`` (once)."""
    if (directory / "tsa.pem").exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    # RSA: pyHanko's DummyTimeStamper signs with RSA only
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = (
        x509.CertificateBuilder().subject_name(_name("Test TSA Root")).issuer_name(_name("Test TSA Root"))
        .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(root_key, hashes.SHA256())
    )  # fmt: skip
    tsa = (
        x509.CertificateBuilder().subject_name(_name("Test TSA")).issuer_name(root.subject)
        .public_key(tsa_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .sign(root_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    (directory / "root.pem").write_bytes(root.public_bytes(pem))
    (directory / "tsa.pem").write_bytes(tsa.public_bytes(pem))
    (directory / "tsa.key").write_bytes(tsa_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))  # fmt: skip


def serve(directory: Path, port: int, offset: float = 0.0) -> None:
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    make_tsa(directory)
    cert = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate((directory / "tsa.pem").read_bytes()).public_bytes(
            serialization.Encoding.DER))  # fmt: skip
    key = asn1_keys.PrivateKeyInfo.load((directory / "tsa.key").read_bytes())

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset)
            stamper = DummyTimeStamper(cert, key, fixed_dt=now)
            resp = stamper.request_tsa_response(tsp.TimeStampReq.load(body))
            data = resp.dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--offset", type=float, default=0.0)
    args = ap.parse_args()
    serve(args.dir, args.port, args.offset)
