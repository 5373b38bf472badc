"""Fixtures of the report tests: a rendered sample, a witness CA, a signed copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from ledger_service.reports import ca
from ledger_service.reports.layout import render_report
from ledger_service.reports.pades import sign_report
from tests.unit.reports.samples import PASSWORD, sample_report


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_report(sample_report())


@pytest.fixture(scope="module")
def witness_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("data")
    ca.init_witness_ca(data_dir, PASSWORD, "某市公共资源交易中心")
    return data_dir


@pytest.fixture(scope="module")
def root(witness_dir: Path) -> x509.Certificate:
    return ca.load_cert(ca.WitnessPaths.under(witness_dir).ca_cert)


@pytest.fixture(scope="module")
def signed(pdf: bytes, witness_dir: Path) -> bytes:
    signer = ca.load_witness_signer(witness_dir, PASSWORD)
    return sign_report(pdf, signer, reason="链见证 witness report", location="杭州 Hangzhou")
