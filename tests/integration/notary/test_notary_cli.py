"""Notarization by hand: the authority authorizes a notary, the notary issues, rejects and
revokes with the CLI (embedded chain, the API over HTTP, real anvil)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger_service.api.app import create_app
from ledger_service.chain.keys import load_signer
from ledger_service.cli.app import build_app
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.tokens import create_token
from tests.integration.serving import serving

pytestmark = pytest.mark.integration
SUBJECT = "tender:GC-2026-CLI"
PASSWORD = "notary password 1"
cli = build_app()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Services]:
    services = open_services(Settings(data_dir=tmp_path / "svc"))
    try:
        assert services.client and services.evidence_log
        for i in range(2):
            services.log_store.append([EvidenceRecord.create(
                kind="document", subject=SUBJECT, actor="operator:centre",
                digests={"sha256": hashlib.sha256(b"doc %d" % i).hexdigest()})])  # fmt: skip
        anchorer = Anchorer(services.log_store, services.anchors, services.client,
                            services.evidence_log)  # fmt: skip
        assert anchorer.step().anchored is not None
        yield services
    finally:
        services.close()


def test_authorize_issue_reject_revoke_by_cli(
    service: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = service.log_store.engine
    runner = CliRunner()
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD)
    key = tmp_path / "notary.json"
    r = runner.invoke(cli, ["key", "create", "--role", "notary", "--name", "某市公证处", "--out",
                            str(key), "--password-file", str(pw)])  # fmt: skip
    assert r.exit_code == 0, r.output
    notary = load_signer(None, key, PASSWORD)
    # the hosted (development) notary signs with that key; its token funds its account
    monkeypatch.setenv("CHAINWITNESS_NOTARY_KEY", "0x" + bytes(notary.key).hex())
    monkeypatch.setenv("CHAINWITNESS_NOTARY_NAME", "某市公证处")
    admin = create_token(engine, "root", "admin")[1]
    as_notary = create_token(engine, notary.address, "notary")[1]
    centre = create_token(engine, "centre", "operator")[1]
    funder = service.dev_funder()
    assert funder is not None and funder.step() == [notary.address.lower()]
    with serving(create_app(service)) as (url, _):
        s = ["--server", url]
        r = runner.invoke(cli, ["notary", "authorize", "--address", notary.address, "--name",
                                "某市公证处", *s, "--token", centre])  # fmt: skip
        assert r.exit_code == 1 and "expected a token with role admin" in r.stderr, r.output
        r = runner.invoke(cli, ["notary", "authorize", "--address", notary.address, "--name",
                                "某市公证处", *s, "--token", admin])  # fmt: skip
        assert r.exit_code == 0, r.output
        assert "active               True" in r.stdout and "tx_hash" in r.stdout

        r = runner.invoke(cli, ["notary", "request", "--subject", SUBJECT, *s, "--token", centre])
        assert r.exit_code == 0, r.output
        assert "requester            operator:centre" in r.stdout
        cert, pdf = tmp_path / "cert.jws", tmp_path / "cert.pdf"
        r = runner.invoke(cli, ["notary", "issue", "1", *s, "--token", as_notary, "-o", str(cert),
                                "--pdf", str(pdf)])  # fmt: skip
        assert r.exit_code == 0, r.output
        assert pdf.read_bytes().startswith(b"%PDF")
        digest = next(line.split()[1] for line in r.stdout.splitlines()
                      if line.startswith("certificate_digest"))  # fmt: skip
        registry = json.loads((service.settings.data_dir / "deployment.json").read_text())[
            "contracts"]["NotaryRegistry"]  # fmt: skip
        assert service.chain is not None
        check = ["--rpc", service.chain.rpc_url, "--registry", registry]
        r = runner.invoke(cli, ["notary", "verify", str(cert), *check])
        assert r.exit_code == 0, r.output
        r = runner.invoke(cli, ["notary", "revoke", digest, "--reason-code", "4", *s,
                                "--token", as_notary])  # fmt: skip
        assert r.exit_code == 0, r.output
        r = runner.invoke(cli, ["notary", "verify", str(cert), *check])
        assert r.exit_code == 1 and "superseded" in r.stdout, r.output

        runner.invoke(cli, ["notary", "request", "--subject", SUBJECT, *s, "--token", centre])
        r = runner.invoke(cli, ["notary", "reject", "2", "--reason", "材料不全 incomplete", *s,
                                "--token", as_notary])  # fmt: skip
        assert r.exit_code == 0, r.output
        assert "status               rejected" in r.stdout
        r = runner.invoke(cli, ["notary", "show", "2", *s, "--token", centre])
        assert "reject_reason        材料不全 incomplete" in r.stdout

        # a real authority signs on its own machine: the service refuses to play it then
        service.settings.notary_authority = "0x" + "22" * 20
        try:
            r = runner.invoke(cli, ["notary", "authorize", "--address", "0x" + "33" * 20,
                                    "--name", "x", *s, "--token", admin])  # fmt: skip
        finally:
            service.settings.notary_authority = None
        assert r.exit_code == 1
        assert "expected the notary authority to sign on its own machine" in r.stderr

    # ... with its own key, against the chain directly (here: the embedded dev authority's)
    data = service.settings.data_dir
    monkeypatch.setenv("CHAINWITNESS_KEY_PASSWORD",
                       (data / "notary-authority.password").read_text().strip())  # fmt: skip
    other = "0x" + "44" * 20
    r = runner.invoke(cli, ["notary", "authorize", "--address", other, "--name", "第二公证处",
                            "--keystore", str(data / "notary-authority.keystore.json"),
                            "--rpc", service.chain.rpc_url, "--registry", registry])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "第二公证处" in r.stdout and "active               True" in r.stdout
