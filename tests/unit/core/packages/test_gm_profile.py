"""The GM (国密) profile in the package verifier: attacks played by the operator.

The synthetic package gets GM checkpoints: a ``chainwitness-sm3`` root over the same
leaves, the log's Ed25519 and SM2 signatures, Ed25519 and SM2 cosignatures of three
witnesses. The policy says ``crypto_profile: gm`` and pins the SM2 keys. The operator
holds the log's keys and writes every byte of the package.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from ledger_service.core.checkpoints import Checkpoint, SignedCheckpoint, cosign
from ledger_service.core.checkpoints import sign_checkpoint as sign
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.gm_notes import (
    SM2_COSIGNATURE,
    SM2_NOTE,
    Sm2NoteSigner,
    Sm2VerifierKey,
    sm2_cosign,
    sm2_sign_note,
    sm3_root,
    with_sm3_root,
)
from ledger_service.core.merkle import sm3 as sm3_tree
from ledger_service.core.notes import Note
from ledger_service.core.packages import verify_package, write_package
from ledger_service.core.packages.sm3_proof import Sm3Proof
from ledger_service.core.sm2 import Sm2PrivateKey
from ledger_service.core.trust_policy import TrustPolicy
from tests.unit.core.packages.synthetic import (
    canonical_records,
    contents,
    edit_json,
    entries,
    reissue,
)
from tests.unit.core.packages.test_witnessed import LOG, NOW, ORIGIN, WITNESSES, policy


def _sm2(seed: bytes, name: str, type_string: bytes) -> Sm2NoteSigner:
    return Sm2NoteSigner(name, Sm2PrivateKey.from_bytes(hashlib.sha256(seed).digest()), type_string)


LOG_SM2 = _sm2(b"log sm2", ORIGIN, SM2_NOTE)
WITNESS_SM2 = [_sm2(b"w%d sm2" % i, w.name, SM2_COSIGNATURE) for i, w in enumerate(WITNESSES)]
OPERATOR_SM2 = _sm2(b"operator's own", ORIGIN, SM2_NOTE)


def gm_policy(**changes: Any) -> TrustPolicy:
    base: dict[str, Any] = dict(
        crypto_profile="gm",
        log_sm2_key=LOG_SM2.verifier_key,
        witness_sm2_keys=tuple(w.verifier_key for w in WITNESS_SM2),
    )
    return policy(**(base | changes))


def sm3_root_of(size: int, gm: bool = True) -> bytes:
    leaves = [sm3_tree.leaf_hash(c) for c in canonical_records(gm)[:size]]
    return sm3_tree.root_from_leaves(leaves)


def gm_checkpoint(size: int, *, log_sm2: Sm2NoteSigner | None = LOG_SM2, sm2_by: int = 3,
                  sm3: bytes | None = None, gm: bool = True) -> SignedCheckpoint:  # fmt: skip
    head = next(h for h in contents(gm=gm).heads if h.tree_size == size)
    cp = Checkpoint(ORIGIN, size, head.root, (f"chainwitness-time {NOW - 60}",))
    cp = with_sm3_root(cp, sm3 or sm3_root_of(size, gm))
    signed = sign(cp, LOG).with_cosignatures(cosign(cp, w, NOW - 50) for w in WITNESSES)
    note = signed.note
    if log_sm2 is not None:
        note = sm2_sign_note(note, log_sm2)
    lines = [sm2_cosign(cp, w, NOW - 40) for w in WITNESS_SM2[:sm2_by]]
    return SignedCheckpoint(Note(note.text, (*note.signatures, *lines)))


def gm_package(**cps: SignedCheckpoint) -> bytes:
    chosen = cps or {"s3": gm_checkpoint(3), "s6": gm_checkpoint(6)}
    return write_package(contents(gm=True, checkpoints={int(k[1:]): v for k, v in chosen.items()}))


def test_gm_package_verifies_and_names_sm2_and_sm3() -> None:
    lines = "\n".join(verify_package(gm_package(), policy=gm_policy(), now=NOW).lines())
    assert "checkpoints/6.json: GM profile: SM3 root " in lines
    assert "signed in SM2 by the pinned log key, SM2-cosigned by w0.example/witness" in lines
    assert "(3 of 3, quorum 2); SM2 witnessed time 1796000060" in lines
    assert "sm3-proofs/4.json: record 4 in the SM3 tree of size 6" in lines
    assert "matches the records' SM3 digest" in lines


def test_international_policy_still_verifies_a_gm_package_unchanged() -> None:
    verify_package(gm_package(), policy=policy(), now=NOW)


def test_operator_strips_the_sm2_signature_refused() -> None:
    with pytest.raises(VerificationFailed, match=r"checkpoints/3.json: checkpoint size 3: expected "
                       r"an SM2 signature by the pinned log key ggzy\.example\.gov\.cn/chainwitness/"
                       r"log\+[0-9a-f]{8}, found only"):  # fmt: skip
        verify_package(gm_package(s3=gm_checkpoint(3, log_sm2=None), s6=gm_checkpoint(6)),
                       policy=gm_policy(), now=NOW)  # fmt: skip


def test_operator_resigns_with_its_own_sm2_key_refused() -> None:
    forged = gm_checkpoint(6, log_sm2=OPERATOR_SM2)
    with pytest.raises(VerificationFailed, match="checkpoints/6.json: .*expected an SM2 signature "
                       "by the pinned log key"):  # fmt: skip
        verify_package(gm_package(s3=gm_checkpoint(3), s6=forged), policy=gm_policy(), now=NOW)


def test_operator_corrupts_the_log_sm2_signature_refused() -> None:
    cp = gm_checkpoint(6)
    lines = list(cp.note.signatures)
    vkey = LOG_SM2.verifier_key
    i = next(j for j, s in enumerate(lines) if (s.name, s.key_id) == (vkey.name, vkey.key_id))
    bad = bytearray(lines[i].signature)
    bad[5] ^= 1
    lines[i] = type(lines[i])(lines[i].name, lines[i].key_id, bytes(bad))
    forged = SignedCheckpoint(Note(cp.note.text, tuple(lines)))
    with pytest.raises(VerificationFailed, match="expected a valid SM2 signature by ggzy"):
        verify_package(gm_package(s3=gm_checkpoint(3), s6=forged), policy=gm_policy(), now=NOW)


def test_too_few_sm2_cosignatures_refused() -> None:
    with pytest.raises(VerificationFailed, match="expected SM2 cosignatures by at least 2 of 3 "
                       r"pinned witnesses, found 1 \(w0.example/witness\+"):  # fmt: skip
        verify_package(gm_package(s3=gm_checkpoint(3), s6=gm_checkpoint(6, sm2_by=1)),
                       policy=gm_policy(), now=NOW)  # fmt: skip


def test_operator_rewrites_the_sm3_root_with_its_own_log_keys_refused() -> None:
    # the operator holds both log keys and re-signs; the witnesses' lines then fail
    good = gm_checkpoint(6)
    cp = with_sm3_root(good.checkpoint, b"\x07" * 32)
    resigned = sm2_sign_note(sign(cp, LOG).note, LOG_SM2)
    forged = SignedCheckpoint(Note(cp.body(), (*resigned.signatures, *good.note.signatures[1:])))
    with pytest.raises(VerificationFailed, match="checkpoints/6.json"):
        verify_package(gm_package(s3=gm_checkpoint(3), s6=forged), policy=gm_policy(), now=NOW)


def test_checkpoint_without_an_sm3_root_refused() -> None:
    good = gm_checkpoint(6)
    cp = Checkpoint(ORIGIN, 6, good.checkpoint.root, (f"chainwitness-time {NOW - 60}",))
    note = sm2_sign_note(
        sign(cp, LOG).with_cosignatures(cosign(cp, w, NOW - 50) for w in WITNESSES).note, LOG_SM2
    )
    bare = SignedCheckpoint(
        Note(note.text, (*note.signatures, *(sm2_cosign(cp, w, NOW) for w in WITNESS_SM2)))
    )
    with pytest.raises(VerificationFailed, match="expected a chainwitness-sm3 line"):
        verify_package(gm_package(s3=gm_checkpoint(3), s6=bare), policy=gm_policy(), now=NOW)


def test_wrong_sm3_root_signed_by_everyone_fails_the_sm3_proofs() -> None:
    # a log that signs a wrong SM3 root (all signatures valid) is caught by the proofs
    with pytest.raises(VerificationFailed, match=r"sm3-proofs/1.json: SM3 root of size 6: "
                       "expected the proof to reproduce root 0707"):  # fmt: skip
        verify_package(gm_package(s3=gm_checkpoint(3), s6=gm_checkpoint(6, sm3=b"\x07" * 32)),
                       policy=gm_policy(), now=NOW)  # fmt: skip


def test_stripped_or_tampered_sm3_proof_refused() -> None:
    e = entries(gm_package())
    stripped = {k: v for k, v in e.items() if k != "sm3-proofs/2.json"}
    with pytest.raises(VerificationFailed, match="sm3-proofs/2.json: expected the SM3 proof of "
                       r"records/2.json \(GM profile\), found missing"):  # fmt: skip
        verify_package(reissue(stripped), policy=gm_policy(), now=NOW)

    def flip(o: dict[str, Any]) -> None:
        o["path"][0] = ("0" if o["path"][0][0] != "0" else "1") + o["path"][0][1:]

    with pytest.raises(VerificationFailed, match="sm3-proofs/2.json: SM3 root of size 6"):
        verify_package(
            reissue(edit_json(e, "sm3-proofs/2.json", flip)), policy=gm_policy(), now=NOW
        )


def test_a_file_whose_record_lacks_an_sm3_digest_refused() -> None:
    # records that state only SHA-256, with every SM2/SM3 proof in place
    leaves = [sm3_tree.leaf_hash(c) for c in canonical_records(False)]
    proofs = {i: Sm3Proof(i, 6, tuple(sm3_tree.inclusion_proof_from_leaves(i, leaves)))
              for i in (1, 2, 4)}  # fmt: skip
    data = write_package(contents(gm=False, sm3_proofs=proofs,
                                  checkpoints={6: gm_checkpoint(6, gm=False)}))  # fmt: skip
    with pytest.raises(VerificationFailed, match=r"files/[0-9a-f]{64}: expected every record "
                       r"naming it to state its SM3 digest \(GM profile\)"):  # fmt: skip
        verify_package(data, policy=gm_policy(), now=NOW)


def test_sm2_vkeys_round_trip_and_refuse_other_types() -> None:
    vkey = LOG_SM2.verifier_key
    assert Sm2VerifierKey.from_text(vkey.to_text()) == vkey
    assert Sm2NoteSigner.from_text(LOG_SM2.to_text()).verifier_key == vkey
    assert vkey.kind == "note" and WITNESS_SM2[0].verifier_key.kind == "cosignature"
    raw = vkey.to_text()
    with pytest.raises(MalformedInput, match="expected key ID"):
        Sm2VerifierKey.from_text(raw[: len(ORIGIN) + 1] + "00000000" + raw[len(ORIGIN) + 9 :])
    with pytest.raises(MalformedInput, match="expected type 0xff"):
        Sm2VerifierKey.from_text(LOG.verifier_key.to_text())


def test_sm3_root_line_parsing_limits() -> None:
    cp = with_sm3_root(Checkpoint(ORIGIN, 1, b"\x00" * 32), b"\x01" * 32)
    assert sm3_root(cp) == b"\x01" * 32
    assert sm3_root(Checkpoint(ORIGIN, 1, b"\x00" * 32)) is None
    twice = Checkpoint(ORIGIN, 1, b"\x00" * 32, (*cp.extensions, *cp.extensions))
    with pytest.raises(MalformedInput, match="expected one chainwitness-sm3 line, found 2"):
        sm3_root(twice)
    short = Checkpoint(ORIGIN, 1, b"\x00" * 32, ("chainwitness-sm3 AAAA",))
    with pytest.raises(MalformedInput, match="expected a 32-byte root, found 3 bytes"):
        sm3_root(short)


def test_gm_policy_json_round_trip_and_default_is_unchanged() -> None:
    gm = gm_policy()
    again = TrustPolicy.from_bytes(gm.to_bytes())
    assert again == gm and again.gm
    plain = policy()
    assert "crypto_profile" not in json.loads(plain.to_bytes()) and not plain.gm
    obj = json.loads(gm.to_bytes())
    obj["crypto_profile"] = "international"
    with pytest.raises(MalformedInput, match="crypto_profile: expected 'gm'"):
        TrustPolicy.from_json(obj)
    with pytest.raises(MalformedInput, match="expected an SM2 note key named"):
        policy(crypto_profile="gm")
    with pytest.raises(MalformedInput, match="expected only with crypto_profile gm"):
        policy(log_sm2_key=LOG_SM2.verifier_key)
    with pytest.raises(MalformedInput, match="at least the quorum 2 of keys"):
        gm_policy(witness_sm2_keys=(WITNESS_SM2[0].verifier_key,))
    with pytest.raises(MalformedInput, match="other than the log's SM2 key"):
        gm_policy(witness_sm2_keys=tuple(
            Sm2VerifierKey.for_key(w.name, SM2_COSIGNATURE, LOG_SM2.verifier_key.public_key)
            if i == 0 else w.verifier_key for i, w in enumerate(WITNESS_SM2)))  # fmt: skip
