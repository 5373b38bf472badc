"""The pinned trust policy: known answer, round trip, validation, the require_* checks."""

from __future__ import annotations

import hashlib
import json

import pytest

from ledger_service.core.checkpoints import WitnessQuorum
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.notes import SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ED25519, NoteSigner
from ledger_service.core.trust_policy import NotaryAuthority, TrustPolicy

ORIGIN = "centre.example/chainwitness/log"
# anvil's first deployments from its first dev account (deterministic addresses)
EVIDENCE_LOG = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TENDERS = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"


def _seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


LOG = NoteSigner(ORIGIN, _seed("log"), SIG_TYPE_ED25519).verifier_key
WITNESS_KEYS = tuple(
    NoteSigner(f"w{i}.example", _seed(f"w{i}"), SIG_TYPE_COSIGNATURE_V1).verifier_key
    for i in range(3)
)


def policy(**changes: object) -> TrustPolicy:
    fields: dict[str, object] = {
        "chain_id": 31337,
        "chain_kind": "development",
        "contracts": (("EvidenceLog", EVIDENCE_LOG), ("TenderRegistry", TENDERS)),
        "log_origin": ORIGIN,
        "log_key": LOG,
        "witnesses": WitnessQuorum(WITNESS_KEYS, 2),
        "notary": NotaryAuthority(did="did:web:notary.example"),
    }
    fields.update(changes)
    return TrustPolicy(**fields)  # type: ignore[arg-type]


def test_canonical_bytes_known_answer() -> None:
    p = policy()
    want = (
        '{"chain":{"id":31337,"kind":"development"},'
        f'"contracts":{{"EvidenceLog":"{EVIDENCE_LOG}","TenderRegistry":"{TENDERS}"}},'
        '"format":"chainwitness/trust-policy",'
        f'"log":{{"key":"{LOG}","origin":"{ORIGIN}"}},'
        '"notary":{"did":"did:web:notary.example"},"version":1,'
        f'"witnesses":{{"keys":{json.dumps([str(k) for k in WITNESS_KEYS], separators=(",", ":"))},'
        '"quorum":2}}'
    )
    assert p.to_bytes() == want.encode()
    assert p.fingerprint == "sha256:" + hashlib.sha256(want.encode()).hexdigest()


def test_round_trip_through_pretty_json() -> None:
    p = policy()
    assert TrustPolicy.from_bytes(json.dumps(p.to_json(), indent=2).encode()) == p
    assert TrustPolicy.from_json(policy(notary=None).to_json()) == policy(notary=None)


def test_trailing_garbage_and_unknown_fields_are_refused() -> None:
    with pytest.raises(MalformedInput):
        TrustPolicy.from_bytes(policy().to_bytes() + b"x")
    with pytest.raises(MalformedInput, match="fields"):
        TrustPolicy.from_json({**policy().to_json(), "extra": True})
    bad = policy().to_json()
    bad["contracts"]["Forger"] = EVIDENCE_LOG
    with pytest.raises(MalformedInput, match="contracts: expected the fields"):
        TrustPolicy.from_json(bad)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"chain_kind": "mainnet"}, "chain kind"),
        ({"chain_id": 0}, "chain id"),
        ({"contracts": (("TenderRegistry", TENDERS),)}, "EvidenceLog address"),
        ({"contracts": (("EvidenceLog", EVIDENCE_LOG.lower()),)}, "EIP-55"),
        ({"log_origin": "other.example/log"}, "named 'other.example/log'"),
        ({"log_origin": "has space"}, "without spaces"),
        ({"log_origin": "x" * 256}, "1 to 255 bytes"),
        (
            {
                "witnesses": WitnessQuorum(
                    (LOG.__class__.for_key(ORIGIN + "w", SIG_TYPE_COSIGNATURE_V1, LOG.public_key),),
                    1,
                )
            },
            "other than the log",
        ),
    ],
)
def test_invalid_policies_are_refused(changes: dict[str, object], match: str) -> None:
    with pytest.raises(MalformedInput, match=match):
        policy(**changes)


def test_255_byte_origin_is_accepted() -> None:
    origin = "o" * 255
    key = NoteSigner(origin, _seed("log"), SIG_TYPE_ED25519).verifier_key
    assert policy(log_origin=origin, log_key=key).log_origin == origin


def test_require_contract_names_both_addresses() -> None:
    p = policy()
    p.require_contract("EvidenceLog", EVIDENCE_LOG.lower())
    forged = "0x000000000000000000000000000000000000dEaD"
    with pytest.raises(
        VerificationFailed,
        match=f"EvidenceLog: expected the pinned address {EVIDENCE_LOG}, found '{forged}'",
    ):
        p.require_contract("EvidenceLog", forged)
    with pytest.raises(VerificationFailed, match="pinned NotaryRegistry address, found none"):
        p.require_contract("NotaryRegistry", forged)


def test_require_chain_log_notary_and_production() -> None:
    p = policy()
    p.require_chain(31337)
    with pytest.raises(VerificationFailed, match="expected 31337"):
        p.require_chain(1)
    p.require_log(ORIGIN, LOG)
    with pytest.raises(VerificationFailed, match="log origin"):
        p.require_log("evil.example/log")
    p.require_notary(did="did:web:notary.example")
    with pytest.raises(VerificationFailed, match="notary did"):
        p.require_notary(did="did:web:sockpuppet.example")
    with pytest.raises(VerificationFailed, match="controlled by its operator"):
        p.require_production()
    assert p.operator_controlled
    policy(chain_kind="consortium").require_production()


def test_notary_needs_an_address_or_did() -> None:
    with pytest.raises(MalformedInput, match="neither"):
        NotaryAuthority()
    with pytest.raises(MalformedInput, match="did:<method>"):
        NotaryAuthority(did="notary")


def test_consensus_is_pinned_only_when_not_ethereum() -> None:
    # the default writes no field: every policy published before it keeps its fingerprint
    assert "consensus" not in policy().to_json()["chain"]
    assert policy().consensus == "ethereum"
    qbft = policy(consensus="qbft")
    assert qbft.to_json()["chain"] == {"id": 31337, "kind": "development", "consensus": "qbft"}
    assert b'"chain":{"consensus":"qbft","id":31337' in qbft.to_bytes()
    assert TrustPolicy.from_bytes(qbft.to_bytes()) == qbft
    assert qbft.fingerprint != policy().fingerprint
    assert TrustPolicy.from_json(policy(consensus="ibft2").to_json()).consensus == "ibft2"
    with pytest.raises(MalformedInput, match=r"chain consensus: expected one of \('ethereum', "
                       r"'qbft', 'ibft2'\), found 'clique'"):  # fmt: skip
        policy(consensus="clique")
    written = policy().to_json()
    written["chain"]["consensus"] = "ethereum"
    with pytest.raises(MalformedInput, match="chain.consensus: expected qbft or ibft2 .*default"):
        TrustPolicy.from_json(written)
    written["chain"]["consensus"] = "pow"
    with pytest.raises(MalformedInput, match="chain consensus: expected one of"):
        TrustPolicy.from_json(written)


def test_validators_are_pinned_with_a_bft_consensus_only() -> None:
    vals = tuple(TrustPolicy.checksummed("0x" + f"{i:02x}" * 20) for i in (0xAB, 0xCD, 0xEF, 0xFA))
    p = policy(consensus="qbft", validators=vals)
    assert p.to_json()["chain"]["validators"] == list(vals)
    assert TrustPolicy.from_bytes(p.to_bytes()) == p
    assert "validators" not in policy(consensus="qbft").to_json()["chain"]
    with pytest.raises(MalformedInput, match="chain.validators: expected only with consensus "
                       "qbft or ibft2"):  # fmt: skip
        policy(validators=vals)
    with pytest.raises(MalformedInput, match=r"chain.validators\[0\]: expected an EIP-55"):
        policy(consensus="qbft", validators=(vals[0].lower(),))
    with pytest.raises(MalformedInput, match="chain.validators: expected distinct addresses"):
        policy(consensus="qbft", validators=(vals[0], vals[0]))
    written = p.to_json()
    written["chain"]["validators"] = []
    with pytest.raises(MalformedInput, match="chain.validators: expected a non-empty array"):
        TrustPolicy.from_json(written)
