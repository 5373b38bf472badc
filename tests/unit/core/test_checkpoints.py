"""Checkpoints, cosignature/v1 and witnessed-at-k-of-n: vectors, round trips, refusals."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ledger_service.core.checkpoints import (
    Checkpoint,
    Cosignature,
    SignedCheckpoint,
    WitnessQuorum,
    cosign,
    cosignature_message,
    sign_checkpoint,
    verify_witnessed,
)
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.notes import (
    SIG_TYPE_COSIGNATURE_V1,
    SIG_TYPE_ED25519,
    NoteSignature,
    NoteSigner,
)

# c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature: the example checkpoint,
# the example witness line, and the example signed message (its time matches the line)
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_WITNESS_LINE = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2"
    "oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
)
SPEC_MESSAGE = "cosignature/v1\ntime 1679315147\n" + SPEC_BODY
# transparency-dev/formats note/note_cosigv1_test.go TestCoSigV1Timestamp ("works")
TD_COSIG_B64 = "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="

ORIGIN = "centre.example/chainwitness/log"
NOW = 1_700_000_000


def seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


LOG = NoteSigner(ORIGIN, seed("log"), SIG_TYPE_ED25519)
WITNESSES = [
    NoteSigner(f"w{i}.example/witness", seed(f"w{i}"), SIG_TYPE_COSIGNATURE_V1) for i in range(3)
]
QUORUM = WitnessQuorum(tuple(w.verifier_key for w in WITNESSES), 2)
ROOT = hashlib.sha256(b"root").digest()


def signed(size: int = 5, extensions: tuple[str, ...] = ()) -> SignedCheckpoint:
    return sign_checkpoint(Checkpoint(ORIGIN, size, ROOT, extensions), LOG)


def test_spec_checkpoint_body_parses_and_round_trips() -> None:
    cp = Checkpoint.from_body(SPEC_BODY)
    assert (cp.origin, cp.size, cp.extensions) == ("example.com/behind-the-sofa", 20852163, ())
    assert cp.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.body() == SPEC_BODY


def test_spec_cosignature_line_and_signed_message() -> None:
    cosig = Cosignature.from_note_signature(NoteSignature.from_line(SPEC_WITNESS_LINE))
    assert (cosig.name, cosig.key_id, cosig.timestamp) == (
        "witness.example.com/w1",
        0x8D66CF3F,
        1679315147,
    )
    assert cosignature_message(SPEC_BODY, cosig.timestamp) == SPEC_MESSAGE.encode()
    assert cosig.to_note_signature().line() == SPEC_WITNESS_LINE + "\n"


def test_reference_cosignature_timestamp() -> None:
    sig = NoteSignature("w", 0, base64.b64decode(TD_COSIG_B64)[4:])
    assert Cosignature.from_note_signature(sig).timestamp == 1727964367


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("o\n05\n" + base64.b64encode(ROOT).decode() + "\n", "leading zeroes"),
        ("o\n-5\n" + base64.b64encode(ROOT).decode() + "\n", "leading zeroes"),
        ("o\n5\n", "at least 3 lines"),
        ("o\n5\n" + base64.b64encode(ROOT[:31]).decode() + "\n", "32-byte hash, found 31"),
        ("o\n5\n" + base64.b64encode(ROOT).decode().rstrip("=") + "\n", "base64"),
        ("o\n5\n" + base64.b64encode(ROOT).decode() + "\n\n", "non-empty line"),
        ("o\n5\n" + base64.b64encode(ROOT).decode(), "ending in a newline"),
        ("\n5\n" + base64.b64encode(ROOT).decode() + "\n", "non-empty line"),
        ("o\n9223372036854775808\n" + base64.b64encode(ROOT).decode() + "\n", "at most"),
    ],
)
def test_malformed_checkpoint_bodies_are_refused(body: str, match: str) -> None:
    with pytest.raises(MalformedInput, match=match):
        Checkpoint.from_body(body)


def test_largest_size_is_accepted() -> None:
    assert (
        Checkpoint.from_body(f"o\n{2**63 - 1}\n{base64.b64encode(ROOT).decode()}\n").size
        == 2**63 - 1
    )


def test_log_signature_verifies_and_wrong_key_or_origin_fail() -> None:
    s = signed()
    assert s.verify_log(LOG.verifier_key, ORIGIN).size == 5
    other = NoteSigner(ORIGIN, seed("forger"), SIG_TYPE_ED25519)
    with pytest.raises(VerificationFailed, match="trusted key"):
        s.verify_log(other.verifier_key, ORIGIN)
    with pytest.raises(VerificationFailed, match="expected 'elsewhere', found"):
        s.verify_log(LOG.verifier_key, "elsewhere")


def test_json_round_trip_and_strict_fields() -> None:
    s = signed(7, ("chainwitness-time 1700000000",))
    assert SignedCheckpoint.from_json(s.to_json()) == s
    with pytest.raises(MalformedInput, match="exactly the fields"):
        SignedCheckpoint.from_json({**s.to_json(), "extra": 1})
    with pytest.raises(MalformedInput, match="version 1"):
        SignedCheckpoint.from_json({**s.to_json(), "version": 2})


def test_trailing_garbage_after_the_signatures_is_refused() -> None:
    with pytest.raises(MalformedInput, match="em dash"):
        SignedCheckpoint.from_bytes(signed().to_bytes() + b"garbage\n")


def test_cosignature_round_trip_and_it_covers_extension_lines() -> None:
    s = signed(5, ("chainwitness-time 1700000000",))
    c = cosign(s.checkpoint, WITNESSES[0], NOW)
    with_c = SignedCheckpoint.from_bytes(s.with_cosignatures([c]).to_bytes())
    one = WitnessQuorum((WITNESSES[0].verifier_key,), 1)
    assert verify_witnessed(with_c, LOG.verifier_key, ORIGIN, one, NOW).time == NOW
    # transparency-dev TestSigCoversExtensionLines: change one extension byte
    tampered = sign_checkpoint(Checkpoint(ORIGIN, 5, ROOT, ("chainwitness-time 1700000001",)), LOG)
    forged = tampered.with_cosignatures([c])
    with pytest.raises(VerificationFailed, match="valid cosignature/v1 by w0.example"):
        verify_witnessed(forged, LOG.verifier_key, ORIGIN, one, NOW)


@pytest.mark.parametrize("t", [0, 2**63])
def test_cosign_refuses_zero_or_overflowing_time(t: int) -> None:
    with pytest.raises(MalformedInput, match="0 < t < 2"):
        cosign(signed().checkpoint, WITNESSES[0], t)


def test_cosign_refuses_a_note_key() -> None:
    with pytest.raises(MalformedInput, match="type 0x04"):
        cosign(signed().checkpoint, LOG, NOW)


def test_k_of_n_counts_distinct_witnesses_and_time_is_the_kth_earliest() -> None:
    s = signed()
    cps = s.checkpoint
    c0, c1, c2 = (cosign(cps, w, NOW + 10 * i) for i, w in enumerate(WITNESSES))
    w = verify_witnessed(
        s.with_cosignatures([c2, c0, c1]), LOG.verifier_key, ORIGIN, QUORUM, NOW + 60
    )
    assert [c.name for c in w.cosignatures] == [c0.name, c1.name, c2.name]
    assert w.time == NOW + 10  # the 2nd earliest
    assert w.on_time(NOW + 10) and not w.on_time(NOW + 9)


def test_one_witness_twice_is_one_vote_and_below_quorum_fails() -> None:
    s = signed()
    twice = [cosign(s.checkpoint, WITNESSES[0], NOW), cosign(s.checkpoint, WITNESSES[0], NOW + 1)]
    with pytest.raises(VerificationFailed, match=r"at least 2 of 3 pinned witnesses, found 1 \(w0"):
        verify_witnessed(s.with_cosignatures(twice), LOG.verifier_key, ORIGIN, QUORUM, NOW)


def test_unpinned_cosigner_does_not_count() -> None:
    s = signed()
    stranger = NoteSigner("stranger.example", seed("x"), SIG_TYPE_COSIGNATURE_V1)
    cosigs = [cosign(s.checkpoint, WITNESSES[0], NOW), cosign(s.checkpoint, stranger, NOW)]
    with pytest.raises(VerificationFailed, match="found 1"):
        verify_witnessed(s.with_cosignatures(cosigs), LOG.verifier_key, ORIGIN, QUORUM, NOW)


def test_future_dated_cosignature_does_not_count() -> None:
    s = signed()
    cosigs = [
        cosign(s.checkpoint, WITNESSES[0], NOW),
        cosign(s.checkpoint, WITNESSES[1], NOW + 301),
    ]
    with pytest.raises(VerificationFailed, match="dated in the future: w1"):
        verify_witnessed(s.with_cosignatures(cosigs), LOG.verifier_key, ORIGIN, QUORUM, NOW)
    ok = [cosigs[0], cosign(s.checkpoint, WITNESSES[1], NOW + 300)]
    assert (
        verify_witnessed(s.with_cosignatures(ok), LOG.verifier_key, ORIGIN, QUORUM, NOW).time
        == NOW + 300
    )


def test_quorum_refuses_one_key_under_two_names_and_bad_k() -> None:
    w = WITNESSES[0]
    alias = NoteSigner("alias.example", w.seed, SIG_TYPE_COSIGNATURE_V1)
    with pytest.raises(MalformedInput, match="distinct public keys"):
        WitnessQuorum((w.verifier_key, alias.verifier_key), 1)
    with pytest.raises(MalformedInput, match=r"1 <= k <= 3, found 4"):
        WitnessQuorum(QUORUM.keys, 4)
    with pytest.raises(MalformedInput, match="type 0x04"):
        WitnessQuorum((LOG.verifier_key,), 1)


def test_claimed_time_extension() -> None:
    assert signed(1, ("chainwitness-time 1700000000",)).checkpoint.claimed_time == 1700000000
    assert signed(1, ("other ext",)).checkpoint.claimed_time is None
    with pytest.raises(MalformedInput, match="one chainwitness-time line, found 2"):
        _ = signed(1, ("chainwitness-time 1", "chainwitness-time 2")).checkpoint.claimed_time
    with pytest.raises(MalformedInput, match="leading zeroes"):
        _ = signed(1, ("chainwitness-time 01",)).checkpoint.claimed_time
