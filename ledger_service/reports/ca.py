"""The platform's own small certificate authority for signing witness reports (链见证报告).

One self-signed root (ECDSA P-256) issues one witness signing certificate with
``digitalSignature`` + ``nonRepudiation`` key usage (pyHanko requires
``nonRepudiation`` by default) and the RFC 9336 ``id-kp-documentSigning``
extended key usage. Private keys are PEM PKCS#8, encrypted with the operator's
password, mode 0600. Whoever verifies a report trusts the root certificate,
``ca.cert.pem``, published beside the public page.

Layout under ``<data_dir>/witness/``::

    ca.key.pem  ca.cert.pem  signer.key.pem  signer.cert.pem
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from ledger_service.core.errors import ConfigurationError, Conflict, MalformedInput

#: Validity of the root certificate.
CA_VALIDITY = timedelta(days=3650)
#: Validity of a witness signing certificate (re-issue with ``issue_witness_cert``).
SIGNER_VALIDITY = timedelta(days=825)
#: Shortest password accepted for a key at rest.
MIN_PASSWORD_LENGTH = 8
#: RFC 9336 id-kp-documentSigning.
DOCUMENT_SIGNING_EKU = ObjectIdentifier("1.3.6.1.5.5.7.3.36")

CA_KEY, CA_CERT = "ca.key.pem", "ca.cert.pem"
SIGNER_KEY, SIGNER_CERT = "signer.key.pem", "signer.cert.pem"


@dataclass(frozen=True)
class WitnessPaths:
    """Where ``init_witness_ca`` put the root and the signing key and certificate."""

    directory: Path
    ca_key: Path
    ca_cert: Path
    signer_key: Path
    signer_cert: Path

    @classmethod
    def under(cls, data_dir: Path) -> WitnessPaths:
        d = Path(data_dir) / "witness"
        return cls(d, d / CA_KEY, d / CA_CERT, d / SIGNER_KEY, d / SIGNER_CERT)


@dataclass(frozen=True)
class Authority:
    """A CA (or signer) key with its certificate, in memory."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).replace(microsecond=0)


def _name(common_name: str, org_name: str | None = None) -> x509.Name:
    if not common_name or len(common_name) > 64:
        raise MalformedInput(f"subject name: expected 1..64 characters, found {len(common_name)}")
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if org_name:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org_name[:64]))
    return x509.Name(attrs)


def _password(password: str) -> bytes:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise MalformedInput(
            f"password: expected at least {MIN_PASSWORD_LENGTH} characters, found {len(password)}"
        )
    return password.encode()


def _write(path: Path, data: bytes, private: bool) -> None:
    if path.exists():
        raise Conflict(f"expected no file at {path}, found one (refusing to overwrite a key)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _save(auth: Authority, key_path: Path, cert_path: Path, password: str) -> None:
    pem = auth.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_password(password)),
    )
    _write(key_path, pem, private=True)
    _write(cert_path, auth.cert.public_bytes(serialization.Encoding.PEM), private=False)


def create_ca(
    directory: Path, name: str, password: str, *, now: datetime | None = None
) -> Authority:
    """Create a self-signed root in ``directory`` (``ca.key.pem``, ``ca.cert.pem``).

    Raises:
        MalformedInput: empty/long name or a password shorter than MIN_PASSWORD_LENGTH.
        Conflict: a CA key or certificate already exists there.
    """
    _password(password)
    start = _now(now)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(f"{name} Witness Root CA"[:64], name)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(minutes=5))
        .not_valid_after(start + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    auth = Authority(key, cert)
    directory = Path(directory)
    _save(auth, directory / CA_KEY, directory / CA_CERT, password)
    return auth


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=not cert_sign, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
        crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def issue_witness_cert(
    ca: Authority,
    directory: Path,
    subject_name: str,
    password: str,
    *,
    org_name: str | None = None,
    now: datetime | None = None,
) -> Authority:
    """Issue a report signing certificate from ``ca``; writes ``signer.key.pem``/``.cert.pem``.

    Key usage digitalSignature + nonRepudiation (critical), EKU id-kp-documentSigning.

    Raises:
        MalformedInput: bad name or short password. Conflict: files already exist.
    """
    _password(password)
    start = _now(now)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(subject_name, org_name))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(minutes=5))
        .not_valid_after(min(start + SIGNER_VALIDITY, ca.cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING_EKU]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )
    auth = Authority(key, cert)
    directory = Path(directory)
    _save(auth, directory / SIGNER_KEY, directory / SIGNER_CERT, password)
    return auth


def load_cert(path: Path) -> x509.Certificate:
    """A PEM certificate. Raises ConfigurationError if missing or not a certificate."""
    try:
        return x509.load_pem_x509_certificate(Path(path).read_bytes())
    except FileNotFoundError:
        raise ConfigurationError(f"expected a certificate at {path}, found no file") from None
    except ValueError as e:
        raise ConfigurationError(f"expected a PEM certificate at {path}, found: {e}") from None


def load_key(path: Path, password: str) -> ec.EllipticCurvePrivateKey:
    """An encrypted PEM EC key. Raises ConfigurationError if missing, wrong password, other type."""
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password.encode())
    except FileNotFoundError:
        raise ConfigurationError(f"expected a private key at {path}, found no file") from None
    except (ValueError, TypeError):
        raise ConfigurationError(
            f"expected the password to decrypt the key at {path}, found it does not"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigurationError(f"expected an EC key at {path}, found {type(key).__name__}")
    return key


def load_ca(directory: Path, password: str) -> Authority:
    """The CA in ``directory`` (to issue a new signing certificate)."""
    directory = Path(directory)
    return Authority(load_key(directory / CA_KEY, password), load_cert(directory / CA_CERT))


def init_witness_ca(data_dir: Path, password: str, org_name: str) -> WitnessPaths:
    """Create the root and the witness signing certificate under ``<data_dir>/witness``.

    Both keys are encrypted with ``password``. Raises Conflict if a CA exists already
    (nothing is overwritten), MalformedInput for a bad name or short password.
    """
    paths = WitnessPaths.under(data_dir)
    if paths.ca_key.exists() or paths.ca_cert.exists():
        raise Conflict(f"expected no witness CA in {paths.directory}, found one")
    ca = create_ca(paths.directory, org_name, password)
    issue_witness_cert(
        ca, paths.directory, f"{org_name} Witness Report Signer"[:64], password, org_name=org_name
    )
    return paths


def to_pyhanko_signer(signer: Authority, ca_cert: x509.Certificate) -> Any:
    """A pyHanko ``SimpleSigner`` for ``signer`` that embeds the chain up to ``ca_cert``."""
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    return signers.SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(signer.cert),
        signing_key=translate_pyca_cryptography_key_to_asn1(signer.key),
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [translate_pyca_cryptography_cert_to_asn1(ca_cert)]
        ),
    )


def load_witness_signer(data_dir: Path, password: str) -> Any:
    """The pyHanko signer made by ``init_witness_ca`` (pass it to ``pades.sign_report``).

    Raises ConfigurationError if the files are missing or the password is wrong.
    """
    paths = WitnessPaths.under(data_dir)
    signer = Authority(load_key(paths.signer_key, password), load_cert(paths.signer_cert))
    return to_pyhanko_signer(signer, load_cert(paths.ca_cert))
