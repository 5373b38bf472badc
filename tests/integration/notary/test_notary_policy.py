"""``notary verify --policy``: the certificate's chain, registry and notary are the pinned ones.

A certificate checked against a NotaryRegistry the verifier chose used to pass as
long as that registry held it; with a pinned policy the registry, the credential's
EvidenceLog and the notary authority come from the policy, and an artefact naming
another one is refused with both addresses named.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from eth_account import Account
from typer.testing import CliRunner

from ledger_service.core.checkpoints import WitnessQuorum
from ledger_service.core.errors import VerificationFailed
from ledger_service.core.notes import SIG_TYPE_COSIGNATURE_V1, NoteSigner
from ledger_service.core.trust_policy import NotaryAuthority, TrustPolicy
from ledger_service.runtime import Services
from notary.cli import app as cli_app
from notary.verify import verify_certificate
from notary.workflow import NotaryService
from tests.integration.notary.test_notary import issue_one, new_notary
from tests.integration.notary.test_notary import running as running  # the fixture

pytestmark = pytest.mark.integration
WITNESS = NoteSigner(
    "court.example/witness", hashlib.sha256(b"w").digest(), SIG_TYPE_COSIGNATURE_V1
)


def _policy(services: Services, registry: str, notary: str | None = None) -> TrustPolicy:
    assert services.chain is not None and services.publisher is not None
    contracts = {"EvidenceLog": services.chain.evidence_log, "NotaryRegistry": registry}
    return TrustPolicy(
        chain_id=services.chain.chain_id, chain_kind="development",
        contracts=tuple(sorted(contracts.items())),
        log_origin=services.publisher.origin, log_key=services.publisher.log_key,
        witnesses=WitnessQuorum((WITNESS.verifier_key,), 1),
        notary=None if notary is None else NotaryAuthority(address=notary),
    )  # fmt: skip


def test_policy_pins_registry_and_notary(
    running: tuple[Services, NotaryService], tmp_path: Path
) -> None:
    services, notary = running
    account = new_notary(notary)
    _, issued = issue_one(notary, account)
    rpc = notary.registry.client.rpc_url
    pinned = _policy(services, notary.registry_address, account.address)
    verdicts = verify_certificate(issued.jws, rpc_url=rpc, registry_address=notary.registry_address,
                                  policy=pinned)  # fmt: skip
    assert verdicts[1].item == "trust policy" and "the pinned notary authority" in verdicts[1].text
    assert all("controlled by its operator" in v.trust for v in verdicts[2:])
    # a registry other than the pinned one is refused, both named
    other = Account.create().address
    with pytest.raises(VerificationFailed, match=f"NotaryRegistry: expected the pinned address "
                       f"{other}, found '{notary.registry_address}'"):  # fmt: skip
        verify_certificate(issued.jws, rpc_url=rpc, registry_address=notary.registry_address,
                           policy=_policy(services, other))  # fmt: skip
    # a sock-puppet notary authorized by the operator is not the pinned notary authority
    puppet = new_notary(notary)
    _, by_puppet = issue_one(notary, puppet)
    with pytest.raises(VerificationFailed, match=f"notary address: expected {account.address}"):
        verify_certificate(by_puppet.jws, rpc_url=rpc, registry_address=notary.registry_address,
                           policy=pinned)  # fmt: skip
    # the CLI takes the registry from the policy
    policy_file, cert_file = tmp_path / "trust-policy.json", tmp_path / "cert.jws"
    policy_file.write_bytes(pinned.to_bytes())
    cert_file.write_text(issued.jws)
    ok = CliRunner().invoke(cli_app, ["verify", str(cert_file), "--rpc", rpc,
                                      "--policy", str(policy_file)])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "OK  trust policy:" in ok.output
    prod = CliRunner().invoke(cli_app, ["verify", str(cert_file), "--rpc", rpc,
                                        "--policy", str(policy_file), "--require-production"])  # fmt: skip
    assert prod.exit_code == 1
    assert "found a development chain controlled by its operator" in prod.output
