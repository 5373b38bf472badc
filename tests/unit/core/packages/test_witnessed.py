"""Step 8 of a package's verification: checkpoints, and the pinned trust policy.

The synthetic package (heads at sizes 3 and 6 on EvidenceLog CONTRACT, chain 31337)
gets checkpoints signed by a log key and cosigned by witness keys; the policy pins
them. Each refusal names what differs.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from ledger_service.core.checkpoints import Checkpoint, SignedCheckpoint, WitnessQuorum, cosign
from ledger_service.core.checkpoints import sign_checkpoint as sign
from ledger_service.core.errors import ConfigurationError, VerificationFailed
from ledger_service.core.notes import SIG_TYPE_COSIGNATURE_V1, NoteSigner
from ledger_service.core.packages import verify_package, write_package
from ledger_service.core.pinned import chain_trust
from ledger_service.core.trust_policy import TrustPolicy
from tests.unit.core.packages.synthetic import CONTRACT, contents

ORIGIN = "ggzy.example.gov.cn/chainwitness/log"
LOG = NoteSigner(ORIGIN, hashlib.sha256(b"log").digest())
WITNESSES = [
    NoteSigner(f"w{i}.example/witness", hashlib.sha256(b"w%d" % i).digest(),
               SIG_TYPE_COSIGNATURE_V1)
    for i in range(3)
]  # fmt: skip
NOW = 1796000100
OTHER = "0x" + "ab" * 20


def policy(**changes: Any) -> TrustPolicy:
    base: dict[str, Any] = dict(
        chain_id=31337, chain_kind="development",
        contracts=(("EvidenceLog", TrustPolicy.checksummed(CONTRACT)),),
        log_origin=ORIGIN, log_key=LOG.verifier_key,
        witnesses=WitnessQuorum(tuple(w.verifier_key for w in WITNESSES), 2),
    )  # fmt: skip
    base.update(changes)
    return TrustPolicy(**base)


def checkpoint(size: int, *, by: int = 3, log: NoteSigner = LOG, at: int = NOW - 50,
               root: bytes | None = None) -> SignedCheckpoint:  # fmt: skip
    head = next(h for h in contents().heads if h.tree_size == size)
    cp = Checkpoint(log.name, size, root or head.root, (f"chainwitness-time {NOW - 60}",))
    return sign(cp, log).with_cosignatures(cosign(cp, w, at) for w in WITNESSES[:by])


def package(**checkpoints: SignedCheckpoint) -> bytes:
    return write_package(contents(checkpoints={int(k[1:]): v for k, v in checkpoints.items()}))


def test_cosigned_package_verifies_against_the_policy() -> None:
    pinned = policy()
    report = verify_package(package(s3=checkpoint(3), s6=checkpoint(6)), policy=pinned, now=NOW)
    lines = "\n".join(report.lines())
    assert f"OK  heads.json: chain 31337 and EvidenceLog {CONTRACT} are the pinned ones" in lines
    assert "OK  checkpoints/6.json: log ggzy.example.gov.cn/chainwitness/log signed size 6" in lines
    assert "(3 of 3, quorum 2); witnessed time 1796000050 [2 of 3 independent witnesses" in lines
    assert chain_trust(pinned, 31337) == "development chain 31337: controlled by its operator"
    assert chain_trust(None, 1) == "chain 1 as named by the artefact, not pinned"
    assert chain_trust(policy(chain_kind="consortium"), 31337).startswith("consortium chain")


def test_without_a_policy_checkpoints_are_only_matched_to_their_heads() -> None:
    report = verify_package(package(s6=checkpoint(6, by=0)))
    assert any("signatures not checked (no trust policy pinned)" in x for x in report.lines())
    with pytest.raises(VerificationFailed, match="checkpoints/6.json: expected size 6 root"):
        verify_package(package(s6=checkpoint(6, root=b"\x01" * 32)))
    with pytest.raises(VerificationFailed, match="checkpoints/3.json: expected size 3 root"):
        verify_package(package(s3=checkpoint(6)))


def test_another_contract_or_chain_is_refused_naming_both() -> None:
    data = package(s6=checkpoint(6))
    other = TrustPolicy.checksummed(OTHER)
    with pytest.raises(VerificationFailed, match=f"EvidenceLog: expected the pinned address "
                       f"{other}, found '{CONTRACT}'"):  # fmt: skip
        verify_package(data, policy=policy(contracts=(("EvidenceLog", other),)), now=NOW)
    with pytest.raises(
        VerificationFailed, match=r"chain id: expected 5 \(trust policy\), found 31337"
    ):
        verify_package(data, policy=policy(chain_id=5), now=NOW)


@pytest.mark.parametrize(
    ("checkpoints", "message"),
    [
        ({}, "checkpoints/6.json: expected the log's checkpoint of the newest head .* found missing"),
        ({"s3": checkpoint(3)}, "checkpoints/6.json: expected .* found missing"),
        ({"s6": checkpoint(6, by=1)}, "expected cosignatures by at least 2 of 3 pinned witnesses, "
                                      "found 1"),
        ({"s6": checkpoint(6, log=NoteSigner(ORIGIN, b"\x07" * 32))}, "checkpoints/6.json: signed note: "
                                                           "expected a signature by a trusted key"),
        ({"s6": checkpoint(6, at=NOW + 301)}, "dated in the future"),
        ({"s3": checkpoint(3, by=0), "s6": checkpoint(6)}, "checkpoints/3.json: .*expected "
                                                           "cosignatures by at least 2"),
    ],
)  # fmt: skip
def test_a_head_not_witnessed_at_k_of_n_is_refused(
    checkpoints: dict[str, SignedCheckpoint], message: str
) -> None:
    with pytest.raises(VerificationFailed, match=message):
        verify_package(package(**checkpoints), policy=policy(), now=NOW)


def test_a_policy_needs_the_verifiers_clock() -> None:
    with pytest.raises(ConfigurationError, match="expected the verifier's clock with a policy"):
        verify_package(package(s6=checkpoint(6)), policy=policy())
