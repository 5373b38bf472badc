"""Authenticated key generation, written as the attacks of issue 9 (docs/threshold-keys.md 10).

Each attack test plays the operator or a cheating custodian and shows the attack is
refused, reported or disqualifies only the cheater; the honest tests show the key
still comes out, with every custodian's share checking against it.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from coincurve import PrivateKey, PublicKey
from eth_account.messages import encode_typed_data
from eth_hash.auto import keccak

from ledger_service.core import _secp256k1, ecies, threshold
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.threshold import ComplaintsBody, DealingBody, DkgSetup, Posted

REGISTRY = bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3")
TENDER = keccak(b"CW-2025-0001")
Q = ecies.CURVE_ORDER


class Party:
    """One custodian: a chain account (signs) and an encryption key (receives shares)."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed).randbytes
        self.account = rng(32)
        self.address = threshold.address_of(PrivateKey(self.account).public_key)
        self.secret, self.public = threshold.custodian_keypair(rng)


def make_setup(t: int = 2, n: int = 3, round_: int = 1) -> tuple[DkgSetup, list[Party]]:
    parties = [Party(100 + i) for i in range(n)]
    setup = DkgSetup(
        31337, REGISTRY, TENDER, round_, t,
        tuple(p.address for p in parties), tuple(p.public for p in parties),
    )  # fmt: skip
    return setup, parties


def post_dealing(setup: DkgSetup, signer: Party, index: int, body: bytes) -> Posted:
    sig = threshold.sign_digest(
        signer.account, threshold.dealing_digest(setup, index, keccak(body))
    )
    return Posted(body, sig)


def honest_dealings(setup: DkgSetup, parties: list[Party], seed: int = 7) -> dict[int, Posted]:
    rng = random.Random(seed).randbytes
    return {
        i: post_dealing(setup, parties[i - 1], i, threshold.deal_body(setup, i, rng).body())
        for i in range(1, setup.n + 1)
    }


def dealings_of(posted: dict[int, Posted]) -> list[threshold.Dealing]:
    return [DealingBody.from_body(p.body).dealing for p in posted.values()]


# ---------------------------------------------------------------- the honest path


def test_honest_transcript_gives_a_key_whose_shares_check() -> None:
    setup, parties = make_setup(3, 5)
    posted = honest_dealings(setup, parties)
    out = threshold.qualify_transcript(setup, posted, {})
    assert out.qualified == (1, 2, 3, 4, 5) and out.group is not None and not out.rerun
    assert out.rejected == () and out.disqualified == {}
    for j, p in enumerate(parties, 1):  # threshold.receive accepts our AAD: same rule
        x_j = threshold.my_share(dealings_of(posted), out.qualified, j, p.secret, setup.context)
        threshold.verify_released_share(out.group, j, x_j)


def test_context_binds_chain_registry_tender_and_round() -> None:
    setup, _ = make_setup()
    assert setup.context == (
        b"chainwitness/dkg-context/v2" + (31337).to_bytes(8, "big") + REGISTRY + TENDER
        + (1).to_bytes(4, "big")
    )  # fmt: skip
    assert len(setup.context) == 91
    assert replace(setup, round=2).context != setup.context


@pytest.mark.parametrize(("t", "n"), [(1, 3), (2, 2), (3, 4), (5, 5)])
def test_weak_thresholds_are_refused(t: int, n: int) -> None:
    with pytest.raises(MalformedInput, match=r"expected t >= 2 and 2t - 1 <= n"):
        make_setup(t, n)


# ---------------------------------------------------------------- attack 1: rogue key


def rogue_dealing(
    setup: DkgSetup, honest: list[threshold.Dealing], target: int
) -> threshold.Dealing:
    """The last dealer's C_0 = T·G - sum of the others' C_i0, garbage shares with
    valid sender proofs: the group key would be T·G, whose secret the dealer knows."""
    rng = random.Random(99).randbytes
    others = _secp256k1.add(_secp256k1.parse_point("c", d.commitments[0]) for d in honest)
    assert others is not None
    neg = others.multiply((Q - 1).to_bytes(32, "big"))
    c0 = PublicKey.combine_keys([PublicKey.from_valid_secret(target.to_bytes(32, "big")), neg])
    commitments = (c0.format(), *threshold.custodian_keypair(rng)[1:] * (setup.t - 1))
    sealed = [
        ecies.encrypt_proven(
            setup.keys[j - 1], rng(32),
            threshold.share_aad(setup.context, setup.n, setup.t, setup.n, commitments, j),
            threshold.SHARE_INFO, rng,
        )
        for j in range(1, setup.n + 1)
    ]  # fmt: skip
    return threshold.Dealing(
        setup.n, setup.t, setup.n, commitments,
        tuple(c for c, _ in sealed), tuple(p for _, p in sealed),
    )  # fmt: skip


def test_attack_rogue_key_dealing_is_refused_without_any_complaint() -> None:
    setup, parties = make_setup()
    posted = honest_dealings(setup, parties)
    honest = [DealingBody.from_body(posted[i].body).dealing for i in (1, 2)]
    rogue = rogue_dealing(setup, honest, target=424242)
    threshold.verify_dealing(rogue, setup.keys, setup.context)  # every sender proof holds
    combined = threshold.combine([*honest, rogue], (1, 2, 3))
    assert combined.public_key == threshold.public_from_secret(424242)  # the old attack works
    # the dealer cannot prove knowledge of the secret of its C_0: it offers some proof
    forged = threshold.prove_constant_term(424242, setup.context, 3)
    body = DealingBody(TENDER, 1, 3, rogue, forged).body()
    posted[3] = post_dealing(setup, parties[2], 3, body)
    out = threshold.qualify_transcript(setup, posted, {})  # no complaint collected
    assert out.qualified == (1, 2)
    assert "proof of knowledge" in out.disqualified[3]
    assert out.group is not None
    assert out.group.public_key != threshold.public_from_secret(424242)


def test_proof_of_knowledge_is_bound_to_context_and_dealer() -> None:
    setup, _ = make_setup()
    a0 = 123456789
    c0 = threshold.public_from_secret(a0)
    proof = threshold.prove_constant_term(a0, setup.context, 2, random.Random(1).randbytes)
    threshold.verify_constant_term(c0, proof, setup.context, 2)
    with pytest.raises(VerificationFailed, match=r"dealer 3: expected a proof of knowledge"):
        threshold.verify_constant_term(c0, proof, setup.context, 3)
    with pytest.raises(VerificationFailed, match=r"dealer 2: expected a proof of knowledge"):
        threshold.verify_constant_term(c0, proof, replace(setup, round=2).context, 2)
    out_of_range = Q.to_bytes(32, "big") + proof[32:]
    with pytest.raises(VerificationFailed, match=r"expected 0 < c, z < q"):
        threshold.verify_constant_term(c0, out_of_range, setup.context, 2)
    with pytest.raises(MalformedInput, match=r"expected 64 bytes, found 65 bytes"):
        threshold.verify_constant_term(c0, proof + b"\0", setup.context, 2)


# ---------------------------------------------------------------- attack 2: impersonation


def test_attack_dealing_posted_for_another_index_is_rejected_and_reported() -> None:
    setup, parties = make_setup()
    posted = honest_dealings(setup, parties)
    mine = threshold.deal_body(setup, 2, random.Random(5).randbytes).body()
    posted[2] = post_dealing(setup, parties[0], 2, mine)  # custodian 1 deals for index 2
    out = threshold.qualify_transcript(setup, posted, {})
    assert out.rejected == ("dealing under index 2: not signed by custodian 2",)
    assert out.qualified == (1, 3) and 2 not in out.disqualified


def test_attack_operator_signature_is_not_a_custodian_signature() -> None:
    setup, parties = make_setup()
    operator = Party(666)
    posted = honest_dealings(setup, parties)
    posted[1] = post_dealing(setup, operator, 1, posted[1].body)
    out = threshold.qualify_transcript(setup, posted, {})
    assert out.rejected == ("dealing under index 1: not signed by custodian 1",)


# ---------------------------------------------------------------- attack 6: liveness


def test_malformed_dealings_disqualify_instead_of_raising() -> None:
    setup, parties = make_setup(2, 3)
    posted = honest_dealings(setup, parties)
    other_shape, _ = make_setup(3, 5)
    wrong_tn = threshold.deal_body(
        replace(other_shape, keys=other_shape.keys), 1, random.Random(3).randbytes
    )
    old_round = threshold.deal_body(replace(setup, round=2), 2, random.Random(4).randbytes)
    posted[1] = post_dealing(setup, parties[0], 1, wrong_tn.body())
    posted[2] = post_dealing(setup, parties[1], 2, old_round.body())
    posted[3] = post_dealing(setup, parties[2], 3, b'{"not":"a dealing"}')
    out = threshold.qualify_transcript(setup, posted, {})
    assert out.qualified == () and out.rerun and out.group is None
    assert "found t=3, n=5" in out.disqualified[1]
    assert "round 2" in out.disqualified[2]
    assert "expected exactly" in out.disqualified[3]


def test_fewer_than_t_qualified_means_a_new_round() -> None:
    setup, parties = make_setup(2, 3)
    posted = honest_dealings(setup, parties)
    out = threshold.qualify_transcript(setup, {1: posted[1]}, {})
    assert out.qualified == (1,) and out.rerun
    again = replace(setup, round=2)
    out2 = threshold.qualify_transcript(again, honest_dealings(again, parties), {})
    assert out2.qualified == (1, 2, 3) and out2.transcript_hash != out.transcript_hash


# ---------------------------------------------------------------- complaints


def test_justified_complaint_disqualifies_only_the_cheater() -> None:
    setup, parties = make_setup(2, 3)
    posted = honest_dealings(setup, parties)
    body = DealingBody.from_body(posted[2].body)
    d = body.dealing
    rng = random.Random(8).randbytes
    aad = threshold.share_aad(setup.context, 2, 2, 3, d.commitments, 3)
    bad_ct, bad_proof = ecies.encrypt_proven(setup.keys[2], threshold.share_to_bytes(5), aad,
                                             threshold.SHARE_INFO, rng)  # fmt: skip
    cheat = replace(
        d, ciphertexts=(*d.ciphertexts[:2], bad_ct), sender_proofs=(*d.sender_proofs[:2], bad_proof)
    )
    posted[2] = post_dealing(setup, parties[1], 2, replace(body, dealing=cheat).body())
    complaint = threshold.make_complaint(cheat, 3, parties[2].secret, setup.context, rng)
    seen = threshold.dealings_hash(setup, {i: p.body_hash for i, p in posted.items()})
    bundle = ComplaintsBody(TENDER, 1, 3, seen, (complaint,)).body()
    sig = threshold.sign_digest(
        parties[2].account, threshold.complaints_digest(setup, 3, seen, keccak(bundle))
    )
    out = threshold.qualify_transcript(setup, posted, {3: Posted(bundle, sig)})
    assert out.qualified == (1, 3)
    assert out.disqualified == {2: "justified complaint by custodian 3"}
    assert out.group is not None


def test_complaints_signed_over_other_dealings_are_rejected() -> None:
    setup, parties = make_setup()
    posted = honest_dealings(setup, parties)
    shown = keccak(b"what the operator showed custodian 3")
    bundle = ComplaintsBody(TENDER, 1, 3, shown, ()).body()
    sig = threshold.sign_digest(
        parties[2].account, threshold.complaints_digest(setup, 3, shown, keccak(bundle))
    )
    out = threshold.qualify_transcript(setup, posted, {3: Posted(bundle, sig)})
    assert out.rejected == (
        "complaints under index 3: not signed by custodian 3 over these dealings",
    )
    assert out.qualified == (1, 2, 3)


# ---------------------------------------------------------------- wire formats


def test_dealing_body_round_trip_and_trailing_garbage() -> None:
    setup, _ = make_setup()
    body = threshold.deal_body(setup, 1, random.Random(2).randbytes)
    raw = body.body()
    assert DealingBody.from_body(raw) == body
    assert raw.startswith(b'{"dealer":1,"dealing":{')  # canonical: keys sorted, no spaces
    with pytest.raises(MalformedInput, match=r"trailing|canonical"):
        DealingBody.from_body(raw + b" ")
    with pytest.raises(MalformedInput, match=r"canonical JSON object"):
        DealingBody.from_body(raw.replace(b'{"dealer":1,', b'{"dealer": 1,', 1))
    with pytest.raises(MalformedInput, match=r"expected 1..24576 bytes"):
        DealingBody.from_body(b"")


def test_complaints_body_known_answer_and_round_trip() -> None:
    c = threshold.Complaint(2, 3, None)
    body = ComplaintsBody(b"\x11" * 32, 4, 3, b"\x22" * 32, (c,))
    raw = body.body()
    assert raw == (
        b'{"accuser":3,"complaints":[{"accuser":3,"dealer":2,"disclosure":null,'
        b'"format":"chainwitness/dkg-complaint","version":1}],"dealings_hash":"' + b"22" * 32
        + b'","format":"chainwitness/dkg-complaints-body","round":4,"tender_id":"' + b"11" * 32
        + b'","version":1}'
    )  # fmt: skip
    assert ComplaintsBody.from_body(raw) == body
    with pytest.raises(MalformedInput, match=r"expected complaints by accuser 2"):
        ComplaintsBody(b"\x11" * 32, 4, 2, b"\x22" * 32, (c,))


def eip712_oracle(
    setup: DkgSetup, primary: str, fields: list[tuple[str, str]], message: dict[str, object]
) -> bytes:
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"},
            ],
            primary: [{"name": n, "type": t} for n, t in fields],
        },
        "primaryType": primary,
        "domain": {"name": "ChainWitness TenderRegistry", "version": "2", "chainId": setup.chain_id,
                   "verifyingContract": "0x" + setup.registry.hex()},
        "message": message,
    }  # fmt: skip
    m = encode_typed_data(full_message=typed)
    return keccak(b"\x19" + m.version + m.header + m.body)


def test_eip712_digests_match_an_independent_encoder() -> None:
    setup, _ = make_setup()
    h1, h2, h3 = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
    base = [("tenderId", "bytes32"), ("round", "uint32")]
    assert threshold.dealing_digest(setup, 2, h1) == eip712_oracle(
        setup, "Dealing", [*base, ("dealer", "uint8"), ("bodyHash", "bytes32")],
        {"tenderId": TENDER, "round": 1, "dealer": 2, "bodyHash": h1},
    )  # fmt: skip
    assert threshold.complaints_digest(setup, 3, h1, h2) == eip712_oracle(
        setup, "Complaints",
        [*base, ("accuser", "uint8"), ("dealingsHash", "bytes32"), ("bodyHash", "bytes32")],
        {"tenderId": TENDER, "round": 1, "accuser": 3, "dealingsHash": h1, "bodyHash": h2},
    )  # fmt: skip
    group = threshold.GroupKey(
        2, 3, (threshold.public_from_secret(7), threshold.public_from_secret(8)), (1, 2)
    )
    assert threshold.key_approval_digest(setup, group, h3) == eip712_oracle(
        setup, "KeyApproval",
        [*base, ("openingKeyHash", "bytes32"), ("commitmentsHash", "bytes32"), ("transcriptHash", "bytes32")],
        {"tenderId": TENDER, "round": 1, "openingKeyHash": keccak(group.public_key),
         "commitmentsHash": keccak(group.commitments_bytes()), "transcriptHash": h3},
    )  # fmt: skip


def test_signatures_follow_openzeppelin_rules() -> None:
    setup, parties = make_setup()
    digest = threshold.dealing_digest(setup, 1, b"\x05" * 32)
    sig = threshold.sign_digest(parties[0].account, digest)
    assert threshold.recover_signer(digest, sig) == parties[0].address
    s = int.from_bytes(sig[32:64], "big")
    high_s = sig[:32] + (Q - s).to_bytes(32, "big") + bytes((55 - sig[64],))
    with pytest.raises(VerificationFailed, match=r"expected low s"):
        threshold.recover_signer(digest, high_s)
    with pytest.raises(VerificationFailed, match=r"v in \{27, 28\}"):
        threshold.recover_signer(digest, sig[:64] + b"\x01")
    with pytest.raises(VerificationFailed, match=r"expected 65 bytes"):
        threshold.recover_signer(digest, sig[:64])
