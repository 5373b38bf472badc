"""The witness CA: files, encrypted private keys, usages, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from ledger_service.core.errors import ConfigurationError, Conflict, MalformedInput
from ledger_service.reports import ca
from tests.unit.reports.samples import PASSWORD


def test_ca_files_keys_encrypted_and_private(witness_dir: Path) -> None:
    paths = ca.WitnessPaths.under(witness_dir)
    for key in (paths.ca_key, paths.signer_key):
        assert b"BEGIN ENCRYPTED PRIVATE KEY" in key.read_bytes()
        assert key.stat().st_mode & 0o777 == 0o600
    ca_cert, leaf = ca.load_cert(paths.ca_cert), ca.load_cert(paths.signer_cert)
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ca.DOCUMENT_SIGNING_EKU]
    leaf.verify_directly_issued_by(ca_cert)


def test_init_refuses_to_overwrite(witness_dir: Path) -> None:
    with pytest.raises(Conflict, match="expected no witness CA in"):
        ca.init_witness_ca(witness_dir, PASSWORD, "Again")


def test_wrong_password_and_missing_files(witness_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="expected the password to decrypt the key"):
        ca.load_witness_signer(witness_dir, "wrong password")
    with pytest.raises(ConfigurationError, match="expected a private key at .*, found no file"):
        ca.load_witness_signer(tmp_path, PASSWORD)


def test_short_password_rejected(tmp_path: Path) -> None:
    with pytest.raises(MalformedInput, match="password: expected at least 8 characters, found 7"):
        ca.init_witness_ca(tmp_path, "1234567", "Org")
    assert not (tmp_path / "witness" / "ca.key.pem").exists()
