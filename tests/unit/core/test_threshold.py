"""Tests for ledger_service.core.threshold: the JF-DKG end to end, cheating, opening, wire."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger_service.core import ecies, threshold
from ledger_service.core.errors import Conflict, MalformedInput, VerificationFailed
from ledger_service.core.threshold import (
    CURVE_ORDER,
    MAX_CONTEXT_BYTES,
    MAX_CUSTODIANS,
    SHARE_INFO,
    Complaint,
    Dealing,
    GroupKey,
)

Q = CURVE_ORDER
CTX = b"chainwitness/tender/T-2026-001"


@dataclass(frozen=True)
class Dkg:
    secrets: list[bytes]
    pubs: list[bytes]
    dealings: list[Dealing]
    qualified: tuple[int, ...]
    group: GroupKey
    shares: dict[int, int]


def run_dkg(t: int, n: int, seed: int, context: bytes = CTX) -> Dkg:
    rng = random.Random(seed).randbytes
    keys = [threshold.custodian_keypair(rng) for _ in range(n)]
    pubs = [p for _, p in keys]
    dealings = [threshold.deal(i, t, pubs, context, rng) for i in range(1, n + 1)]
    for d in dealings:
        for j in range(1, n + 1):
            threshold.receive(d, j, keys[j - 1][0], context)
    qualified = threshold.qualify(dealings, [], pubs, context)
    group = threshold.combine(dealings, qualified)
    shares = {
        j: threshold.my_share(dealings, qualified, j, keys[j - 1][0], context)
        for j in range(1, n + 1)
    }
    return Dkg([s for s, _ in keys], pubs, dealings, qualified, group, shares)


@pytest.fixture(scope="module")
def dkg() -> Dkg:
    return run_dkg(3, 5, 2026)


def spec_aad(context: bytes, d: Dealing, j: int) -> bytes:
    """docs/threshold-keys.md section 4, written out independently of the module."""
    return (
        b"chainwitness/threshold/share-aad/v1"
        + len(context).to_bytes(2, "big")
        + context
        + bytes([d.t, d.n, d.dealer, j])
        + b"".join(d.commitments)
    )


def with_share(d: Dealing, j: int, plaintext: bytes, pub: bytes, seed: int = 9) -> Dealing:
    """``d`` with custodian ``j``'s ciphertext replaced by ``plaintext``, properly proven."""
    blob, proof = ecies.encrypt_proven(
        pub, plaintext, spec_aad(CTX, d, j), SHARE_INFO, random.Random(seed).randbytes
    )
    cts, proofs = list(d.ciphertexts), list(d.sender_proofs)
    cts[j - 1], proofs[j - 1] = blob, proof
    return dataclasses.replace(d, ciphertexts=tuple(cts), sender_proofs=tuple(proofs))


def replace_at(items: Sequence[Any], i: int, value: Any) -> tuple[Any, ...]:
    out = list(items)
    out[i] = value
    return tuple(out)


# ---------------------------------------------------------------- the honest DKG


def test_every_t_subset_reconstructs_the_same_key(dkg: Dkg) -> None:
    secrets_found = set()
    for size in (3, 4, 5):
        for subset in itertools.combinations(range(1, 6), size):
            secrets_found.add(threshold.reconstruct(dkg.group, {j: dkg.shares[j] for j in subset}))
    assert len(secrets_found) == 1
    (x,) = secrets_found
    assert threshold.public_from_secret(x) == dkg.group.public_key
    assert dkg.group.qualified == (1, 2, 3, 4, 5)


def test_key_is_the_sum_of_the_dealers_constant_terms(dkg: Dkg) -> None:
    x = threshold.reconstruct(dkg.group, dkg.shares)
    assert dkg.group.commitments[0] == dkg.group.public_key == threshold.public_from_secret(x)
    assert dkg.group.commitments_bytes() == b"".join(dkg.group.commitments)
    assert len(dkg.group.commitments_bytes()) == 3 * 33
    # no custodian's share is the key, and the service never saw any share in clear
    assert x not in dkg.shares.values()


def test_shares_match_their_verification_keys(dkg: Dkg) -> None:
    for j, x_j in dkg.shares.items():
        threshold.verify_released_share(dkg.group, j, x_j)
        assert dkg.group.verification_key(j) == threshold.public_from_secret(x_j)


def test_aad_follows_the_spec(dkg: Dkg) -> None:
    d = dkg.dealings[1]
    for j in range(1, 6):
        plaintext = ecies.decrypt(
            dkg.secrets[j - 1], d.ciphertexts[j - 1], spec_aad(CTX, d, j), SHARE_INFO
        )
        assert threshold.share_from_bytes(plaintext) == threshold.receive(
            d, j, dkg.secrets[j - 1], CTX
        )


@pytest.mark.parametrize(("t", "n"), [(1, 1), (1, 2), (2, 3), (4, 7), (5, 9)])
def test_other_sizes(t: int, n: int) -> None:
    run = run_dkg(t, n, seed=t * 100 + n)
    keys = {
        threshold.reconstruct(run.group, {j: run.shares[j] for j in s})
        for s in [range(1, t + 1), range(n - t + 1, n + 1)]
    }
    assert len(keys) == 1
    assert threshold.public_from_secret(keys.pop()) == run.group.public_key


def test_largest_tender() -> None:
    run = run_dkg(16, MAX_CUSTODIANS, seed=32)
    x = threshold.reconstruct(run.group, {j: run.shares[j] for j in range(17, 33)})
    assert threshold.public_from_secret(x) == run.group.public_key


def test_dealing_is_bound_to_its_context(dkg: Dkg) -> None:
    with pytest.raises(VerificationFailed, match=r"dealer 1's share for custodian 2: sender proof"):
        threshold.receive(dkg.dealings[0], 2, dkg.secrets[1], b"chainwitness/tender/T-2026-002")
    assert threshold.qualify(dkg.dealings, [], dkg.pubs, b"another tender") == ()


def test_wrong_secret_for_the_index(dkg: Dkg) -> None:
    with pytest.raises(VerificationFailed, match=r"dealer 1's share for custodian 2: sender proof"):
        threshold.receive(dkg.dealings[0], 2, dkg.secrets[2], CTX)


# ---------------------------------------------------------------- fewer than t


def test_two_shares_cannot_reconstruct(dkg: Dkg) -> None:
    for subset in itertools.combinations(range(1, 6), 2):
        with pytest.raises(
            MalformedInput, match=r"expected at least t=3 to reconstruct, found 2; fewer than t"
        ):
            threshold.reconstruct(dkg.group, {j: dkg.shares[j] for j in subset})
    with pytest.raises(MalformedInput, match=r"expected at least t=3 to reconstruct, found 0"):
        threshold.reconstruct(dkg.group, {})


def _poly_through(points: dict[int, int]) -> list[int]:
    """Coefficients (constant first) of the polynomial of degree < len(points) through them."""
    coeffs = [0] * len(points)
    for j, y in points.items():
        basis, denom = [1], 1
        for m in points:
            if m != j:  # basis *= (x - m)
                basis = [(a - m * b) % Q for a, b in zip([0, *basis], [*basis, 0], strict=True)]
                denom = denom * (j - m) % Q
        scale = y * pow(denom, -1, Q) % Q
        coeffs = [(c + scale * b) % Q for c, b in zip(coeffs, basis, strict=True)]
    return coeffs


def _horner(coeffs: list[int], x: int) -> int:
    y = 0
    for a in reversed(coeffs):
        y = (y * x + a) % Q
    return y


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_t_minus_1_shares_are_consistent_with_every_secret(data: st.DataObject) -> None:
    """Any t-1 real key shares complete to ANY candidate secret: they say nothing about x.

    Shares come from a real DKG run; the completion is checked with the package's own
    interpolation, and reconstruct refuses t-1 shares outright.
    """
    t = data.draw(st.integers(2, 4), label="t")
    run = run_dkg(t, 2 * t - 1, seed=data.draw(st.integers(0, 2**32), label="seed"))
    x = threshold.reconstruct(run.group, run.shares)
    known = dict(list(run.shares.items())[: t - 1])
    with pytest.raises(MalformedInput, match=r"fewer than t shares say nothing"):
        threshold.reconstruct(run.group, known)
    other = data.draw(st.integers(1, Q - 1).filter(lambda v: v != x), label="other")
    for s in (x, other):
        f = _poly_through({0: s, **known})
        assert len(f) == t  # one polynomial of degree <= t - 1 per candidate secret
        fresh = next(j for j in range(1, 2 * t) if j not in known)
        completed = {**known, fresh: _horner(f, fresh)}
        assert threshold.lagrange_at_zero(completed) == s
        # only the true secret's completion agrees with the real share at ``fresh``
        assert (completed[fresh] == run.shares[fresh]) == (s == x)


# ---------------------------------------------------------------- cheating dealers


def test_cheating_dealer_is_identified_and_excluded(dkg: Dkg) -> None:
    good = threshold.receive(dkg.dealings[1], 4, dkg.secrets[3], CTX)
    cheat = with_share(dkg.dealings[1], 4, threshold.share_to_bytes(good + 1), dkg.pubs[3])
    dealings = replace_at(dkg.dealings, 1, cheat)
    threshold.verify_dealing(cheat, dkg.pubs, CTX)  # the fault is invisible to outsiders...
    with pytest.raises(
        VerificationFailed,
        match=r"dealer 2's share for custodian 4: share·G differs from sum_k 4\^k·C_k.*make_complaint",
    ):
        threshold.receive(cheat, 4, dkg.secrets[3], CTX)
    for j in (1, 2, 3, 5):  # ...and to the other recipients
        threshold.receive(cheat, j, dkg.secrets[j - 1], CTX)
    complaint = threshold.make_complaint(cheat, 4, dkg.secrets[3], CTX)
    assert (complaint.dealer, complaint.accuser) == (2, 4)
    assert threshold.adjudicate(complaint, cheat, dkg.pubs, CTX) is True
    qualified = threshold.qualify(dealings, [complaint], dkg.pubs, CTX)
    assert qualified == (1, 3, 4, 5)
    group = threshold.combine(dealings, qualified)
    assert group.qualified == (1, 3, 4, 5) and group.public_key != dkg.group.public_key
    shares = {
        j: threshold.my_share(dealings, qualified, j, dkg.secrets[j - 1], CTX) for j in range(1, 6)
    }
    keys = {
        threshold.reconstruct(group, {j: shares[j] for j in s})
        for s in itertools.combinations(range(1, 6), 3)
    }
    assert len(keys) == 1 and threshold.public_from_secret(keys.pop()) == group.public_key
    with pytest.raises(VerificationFailed, match=r"dealer 2's share for custodian 4"):
        threshold.my_share(dealings, (1, 2, 3, 4, 5), 4, dkg.secrets[3], CTX)


@pytest.mark.parametrize(
    ("plaintext", "fault"),
    [
        (bytes(32), r"share: expected a scalar in 1..order-1"),
        (Q.to_bytes(32, "big"), r"share: expected a scalar in 1..order-1"),
        (b"\xff" * 32, r"share: expected a scalar in 1..order-1"),
    ],
)
def test_unencodable_share_is_a_justified_complaint(dkg: Dkg, plaintext: bytes, fault: str) -> None:
    cheat = with_share(dkg.dealings[0], 3, plaintext, dkg.pubs[2])
    with pytest.raises(VerificationFailed, match=fault):
        threshold.receive(cheat, 3, dkg.secrets[2], CTX)
    complaint = threshold.make_complaint(cheat, 3, dkg.secrets[2], CTX)
    assert threshold.adjudicate(complaint, cheat, dkg.pubs, CTX) is True


def test_share_encrypted_to_the_wrong_key_is_a_justified_complaint(dkg: Dkg) -> None:
    # encrypted (and proven) to custodian 5's key, in custodian 4's slot
    cheat = with_share(dkg.dealings[2], 4, threshold.share_to_bytes(1), dkg.pubs[4])
    with pytest.raises(VerificationFailed, match=r"dealer 3's share for custodian 4: sender proof"):
        threshold.receive(cheat, 4, dkg.secrets[3], CTX)
    with pytest.raises(
        VerificationFailed, match=r"dealer 3's ciphertext for custodian 4: sender proof"
    ):
        threshold.verify_dealing(cheat, dkg.pubs, CTX)
    complaint = threshold.make_complaint(cheat, 4, dkg.secrets[3], CTX)
    assert complaint.disclosure is None  # never disclose without a valid sender proof
    assert threshold.adjudicate(complaint, cheat, dkg.pubs, CTX) is True
    dealings = replace_at(dkg.dealings, 2, cheat)
    assert threshold.qualify(dealings, [], dkg.pubs, CTX) == (1, 2, 4, 5)  # no complaint needed


def garbage_proven(recipient: bytes, aad: bytes, e: int = 1234567) -> tuple[bytes, bytes]:
    """A blob of random bytes after a real ephemeral key, with a valid sender proof
    (docs/threshold-keys.md section 6): what only a cheating dealer would send."""
    blob = (
        threshold.public_from_secret(e)
        + bytes(range(12))
        + (hashlib.sha256(b"junk").digest() * 2)[:48]
    )
    k = 7654321
    parts = [b"chainwitness/ecies/sender-proof/v1", recipient, blob, aad, SHARE_INFO]
    parts.append(threshold.public_from_secret(k))
    digest = hashlib.sha256(b"".join(len(p).to_bytes(4, "big") + p for p in parts)).digest()
    c = int.from_bytes(digest, "big") % Q
    return blob, c.to_bytes(32, "big") + ((k + c * e) % Q).to_bytes(32, "big")


def test_ciphertext_that_does_not_decrypt_is_a_justified_complaint(dkg: Dkg) -> None:
    d = dkg.dealings[4]
    blob, proof = garbage_proven(dkg.pubs[0], spec_aad(CTX, d, 1))
    cheat = dataclasses.replace(
        d,
        ciphertexts=replace_at(d.ciphertexts, 0, blob),
        sender_proofs=replace_at(d.sender_proofs, 0, proof),
    )
    threshold.verify_dealing(cheat, dkg.pubs, CTX)  # publicly fine
    with pytest.raises(
        VerificationFailed,
        match=r"dealer 5's share for custodian 1: blob: expected an AES-GCM tag.*make_complaint",
    ):
        threshold.receive(cheat, 1, dkg.secrets[0], CTX)
    complaint = threshold.make_complaint(cheat, 1, dkg.secrets[0], CTX)
    assert complaint.disclosure is not None
    assert threshold.adjudicate(complaint, cheat, dkg.pubs, CTX) is True
    assert threshold.qualify(replace_at(dkg.dealings, 4, cheat), [complaint], dkg.pubs, CTX) == (
        1,
        2,
        3,
        4,
    )


# ---------------------------------------------------------------- unjustified complaints


def test_no_complaint_about_a_good_share(dkg: Dkg) -> None:
    with pytest.raises(Conflict, match=r"dealer 1's share for custodian 2 verifies; no complaint"):
        threshold.make_complaint(dkg.dealings[0], 2, dkg.secrets[1], CTX)


def _disclosed(dkg: Dkg, dealer: int, j: int) -> bytes:
    d = dkg.dealings[dealer - 1]
    return ecies.disclose(
        dkg.secrets[j - 1],
        d.ciphertexts[j - 1],
        d.sender_proofs[j - 1],
        spec_aad(CTX, d, j),
        SHARE_INFO,
    )


def test_unjustified_complaints_are_rejected(dkg: Dkg) -> None:
    d = dkg.dealings[0]
    honest = _disclosed(dkg, 1, 2)  # a true disclosure of a good share
    other = _disclosed(dkg, 1, 3)  # custodian 3's disclosure, filed as custodian 2's
    tampered = honest[:-1] + bytes([honest[-1] ^ 1])
    for disclosure in (honest, other, tampered, None):
        complaint = Complaint(1, 2, disclosure)
        assert threshold.adjudicate(complaint, d, dkg.pubs, CTX) is False
    complaints = [Complaint(1, 2, honest), Complaint(3, 4, None)]
    assert threshold.qualify(dkg.dealings, complaints, dkg.pubs, CTX) == (1, 2, 3, 4, 5)


def test_adjudicate_argument_errors(dkg: Dkg) -> None:
    complaint = Complaint(1, 2, _disclosed(dkg, 1, 2))
    with pytest.raises(MalformedInput, match=r"complaint: expected dealer 2, found 1"):
        threshold.adjudicate(complaint, dkg.dealings[1], dkg.pubs, CTX)
    with pytest.raises(MalformedInput, match=r"accuser: expected 1 <= accuser <= 5, found 6"):
        threshold.adjudicate(Complaint(1, 6, None), dkg.dealings[0], dkg.pubs, CTX)
    with pytest.raises(
        MalformedInput, match=r"recipients: expected a sequence of 5 items, found 4 items"
    ):
        threshold.adjudicate(complaint, dkg.dealings[0], dkg.pubs[:4], CTX)
    with pytest.raises(MalformedInput, match=r"complaint: dealer 6 has no dealing"):
        threshold.qualify(dkg.dealings, [Complaint(6, 1, None)], dkg.pubs, CTX)


# ---------------------------------------------------------------- qualify and combine


def test_combine_needs_t_qualified_dealers(dkg: Dkg) -> None:
    with pytest.raises(
        VerificationFailed,
        match=r"qualified: expected at least t=3 dealers, found 2; rerun the DKG",
    ):
        threshold.combine(dkg.dealings, [1, 5])
    with pytest.raises(VerificationFailed, match=r"expected at least t=3 dealers, found 2"):
        threshold.my_share(dkg.dealings, [1, 5], 1, dkg.secrets[0], CTX)
    group = threshold.combine(dkg.dealings[:3], [3, 1, 2])
    assert group.qualified == (1, 2, 3)


@pytest.mark.parametrize(
    ("qualified", "message"),
    [
        (
            [1, 2, 6],
            r"qualified: expected distinct dealers among \[1, 2, 3, 4, 5\], found \[1, 2, 6\]",
        ),
        ([1, 2, 2, 3], r"qualified: expected distinct dealers among .*, found \[1, 2, 2, 3\]"),
    ],
)
def test_combine_rejects_bad_qualified_sets(dkg: Dkg, qualified: list[int], message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        threshold.combine(dkg.dealings, qualified)


def test_dealings_must_agree(dkg: Dkg) -> None:
    with pytest.raises(
        MalformedInput, match=r"dealings: expected one per dealer, found two from dealer 1"
    ):
        threshold.combine([*dkg.dealings, dkg.dealings[0]], [1, 2, 3])
    other = threshold.deal(2, 2, dkg.pubs, CTX, random.Random(1).randbytes)
    with pytest.raises(MalformedInput, match=r"dealer 2: expected t=3, n=5, found t=2, n=5"):
        threshold.qualify([dkg.dealings[0], other], [], dkg.pubs, CTX)
    with pytest.raises(MalformedInput, match=r"dealings: expected at least one, found none"):
        threshold.combine([], [])
    with pytest.raises(MalformedInput, match=r"dealings: expected Dealing objects, found dict"):
        threshold.combine([dkg.dealings[0].to_json()], [1])  # type: ignore[list-item]


# ---------------------------------------------------------------- opening


def test_bad_released_share_is_named(dkg: Dkg) -> None:
    with pytest.raises(
        VerificationFailed,
        match=r"^share 2: expected share·G to equal the verification key 0[23][0-9a-f]{64}, found 0[23]",
    ):
        threshold.verify_released_share(dkg.group, 2, dkg.shares[2] + 1)
    with pytest.raises(VerificationFailed, match=r"^share 2: "):
        threshold.verify_released_share(dkg.group, 2, dkg.shares[3])  # someone else's share


def test_bad_released_share_is_skipped(dkg: Dkg) -> None:
    x = threshold.reconstruct(dkg.group, dkg.shares)
    released = {**dkg.shares, 2: dkg.shares[2] + 1, 4: 12345}
    assert threshold.screen_shares(dkg.group, released) == (
        {1: dkg.shares[1], 3: dkg.shares[3], 5: dkg.shares[5]},
        (2, 4),
    )
    assert threshold.reconstruct(dkg.group, released) == x
    with pytest.raises(
        VerificationFailed, match=r"expected at least t=3 valid, found 2; invalid: \[2, 4\]"
    ):
        threshold.reconstruct(dkg.group, {1: dkg.shares[1], 2: 7, 3: dkg.shares[3], 4: 12345})


def test_share_index_zero_is_impossible_everywhere(dkg: Dkg) -> None:
    zero = r"index 0 is the secret itself, never a share"
    x = threshold.reconstruct(dkg.group, dkg.shares)
    with pytest.raises(MalformedInput, match=zero):
        threshold.verify_released_share(dkg.group, 0, x)
    with pytest.raises(MalformedInput, match=zero):
        threshold.reconstruct(dkg.group, {0: x, 1: dkg.shares[1], 2: dkg.shares[2]})
    with pytest.raises(MalformedInput, match=zero):
        dkg.group.verification_key(0)
    with pytest.raises(MalformedInput, match=r"my_index: expected 1 <= my_index <= 5, found 0"):
        threshold.receive(dkg.dealings[0], 0, dkg.secrets[0], CTX)
    with pytest.raises(MalformedInput, match=r"my_index: expected 1 <= my_index <= 5, found 0"):
        threshold.my_share(dkg.dealings, dkg.qualified, 0, dkg.secrets[0], CTX)
    with pytest.raises(
        MalformedInput, match=r"dealer_index: expected 1 <= dealer_index <= 5, found 0"
    ):
        threshold.deal(0, 3, dkg.pubs, CTX)
    with pytest.raises(MalformedInput, match=r"dealer: expected 1 <= dealer <= 5, found 0"):
        dataclasses.replace(dkg.dealings[0], dealer=0)
    with pytest.raises(MalformedInput, match=r"accuser: expected 1 <= accuser <= 32, found 0"):
        Complaint(1, 0, None)
    with pytest.raises(
        MalformedInput, match=r"qualified\[0\]: expected 1 <= qualified\[0\] <= 5, found 0"
    ):
        GroupKey(3, 5, dkg.group.commitments, (0, 1, 2))


@pytest.mark.parametrize(
    ("shares", "error", "message"),
    [
        (
            [(1, 5), (6, 5), (2, 5)],
            MalformedInput,
            r"share index: expected 1 <= share index <= 5, found 6",
        ),
        (
            [(1, 5), (-1, 5), (2, 5)],
            MalformedInput,
            r"share index: expected 1 <= share index <= 5, found -1",
        ),
        (
            [(True, 5), (2, 5), (3, 5)],
            MalformedInput,
            r"share index: expected an integer, found bool",
        ),
        (
            [(1, 5), (2, 5), (1, 6)],
            MalformedInput,
            r"shares: expected each index once, found 1 twice",
        ),
        ([(1, 0), (2, 5), (3, 5)], MalformedInput, r"share: expected 1 <= share <= \d+, found 0$"),
        (
            [(1, Q), (2, 5), (3, 5)],
            MalformedInput,
            r"share: expected 1 <= share <= \d+, found \d+$",
        ),
        (
            [(1, b"\x01" * 32), (2, 5), (3, 5)],
            MalformedInput,
            r"share: expected an integer, found bytes",
        ),
    ],
)
def test_reconstruct_rejects_malformed_shares(
    dkg: Dkg, shares: list[tuple[Any, Any]], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        threshold.reconstruct(dkg.group, shares)


def test_reconstruct_accepts_pairs(dkg: Dkg) -> None:
    x = threshold.reconstruct(dkg.group, dkg.shares)
    assert (
        threshold.reconstruct(
            dkg.group, [(5, dkg.shares[5]), (1, dkg.shares[1]), (3, dkg.shares[3])]
        )
        == x
    )


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_lagrange_reconstruction(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 8), label="n")
    t = data.draw(st.integers(1, (n + 1) // 2), label="t")
    coeffs = data.draw(st.lists(st.integers(1, Q - 1), min_size=t, max_size=t), label="coeffs")
    group = GroupKey(
        t, n, tuple(threshold.public_from_secret(a) for a in coeffs), tuple(range(1, t + 1))
    )
    shares = {j: _horner(coeffs, j) for j in range(1, n + 1)}
    # a share of 0 is refused by design (shares are scalars in 1..q-1); hypothesis found a
    # polynomial with f(2) = 0 mod q, which a random key hits with probability ~2**-256
    assume(all(s != 0 for s in shares.values()))
    subset = data.draw(
        st.lists(st.sampled_from(sorted(shares)), min_size=t, max_size=n, unique=True)
    )
    assert threshold.reconstruct(group, {j: shares[j] for j in subset}) == coeffs[0]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_lagrange_at_zero_for_any_threshold(data: st.DataObject) -> None:
    t = data.draw(st.integers(1, MAX_CUSTODIANS), label="t")
    coeffs = data.draw(st.lists(st.integers(0, Q - 1), min_size=t, max_size=t), label="coeffs")
    xs = data.draw(st.lists(st.integers(1, MAX_CUSTODIANS), min_size=t, max_size=t, unique=True))
    assert threshold.lagrange_at_zero({x: _horner(coeffs, x) for x in xs}) == coeffs[0]


# ---------------------------------------------------------------- scalars


def test_share_encoding() -> None:
    assert threshold.share_to_bytes(1) == bytes(31) + b"\x01"
    assert (
        threshold.share_to_bytes(Q - 1).hex()
        == "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"
    )
    for value in (1, 2**255, Q - 1):
        assert threshold.share_from_bytes(threshold.share_to_bytes(value)) == value
    assert (
        threshold.public_from_secret(1).hex()
        == "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes(32), r"share: expected a scalar in 1..order-1, found 0{64}$"),
        (Q.to_bytes(32, "big"), r"share: expected a scalar in 1..order-1, found f{31}ebaaedce6"),
        (b"\xff" * 32, r"share: expected a scalar in 1..order-1"),
        (b"\x01" * 31, r"share: expected 32 bytes, found 31 bytes"),
        (b"\x01" * 33, r"share: expected 32 bytes, found 33 bytes"),
        ("01" * 32, r"share: expected 32 bytes, found '0101"),
    ],
)
def test_share_from_bytes_rejects(data: bytes, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        threshold.share_from_bytes(data)


@pytest.mark.parametrize(
    ("value", "message"),
    [(0, r"found 0$"), (Q, r"found \d+$"), (-1, r"found -1$"), (True, r"found bool")],
)
def test_share_to_bytes_rejects(value: int, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        threshold.share_to_bytes(value)
    with pytest.raises(MalformedInput, match=message):
        threshold.public_from_secret(value)


def test_public_from_secret_takes_a_custodian_secret(dkg: Dkg) -> None:
    assert threshold.public_from_secret(dkg.secrets[0]) == dkg.pubs[0]
    with pytest.raises(MalformedInput, match=r"secret: expected 32 bytes, found 31 bytes"):
        threshold.public_from_secret(dkg.secrets[0][:31])


# ---------------------------------------------------------------- limits


@pytest.mark.parametrize(
    ("t", "n", "message"),
    [
        (
            3,
            4,
            r"t: expected 2t - 1 <= n \(honest majority, docs/threshold-keys.md\), found t=3, n=4",
        ),
        (2, 2, r"t: expected 2t - 1 <= n .* found t=2, n=2"),
        (17, 32, r"t: expected 2t - 1 <= n .* found t=17, n=32"),
        (0, 5, r"t: expected 1 <= t <= 5, found 0"),
        (6, 5, r"t: expected 1 <= t <= 5, found 6"),
    ],
)
def test_threshold_limits(dkg: Dkg, t: int, n: int, message: str) -> None:
    pubs = [threshold.custodian_keypair(random.Random(i).randbytes)[1] for i in range(n)]
    with pytest.raises(MalformedInput, match=message):
        threshold.deal(1, t, pubs, CTX)


def test_custodian_count_limits() -> None:
    pubs = [
        threshold.custodian_keypair(random.Random(i).randbytes)[1]
        for i in range(MAX_CUSTODIANS + 1)
    ]
    with pytest.raises(MalformedInput, match=r"n: expected 1 <= n <= 32, found 33"):
        threshold.deal(1, 1, pubs, CTX)
    with pytest.raises(MalformedInput, match=r"n: expected 1 <= n <= 32, found 0"):
        threshold.deal(1, 1, [], CTX)
    assert threshold.deal(32, 16, pubs[:32], CTX).n == 32


def test_recipients_and_context_checks(dkg: Dkg) -> None:
    with pytest.raises(
        MalformedInput, match=r"recipients: expected distinct public keys, found a repeat"
    ):
        threshold.deal(1, 2, [*dkg.pubs[:4], dkg.pubs[0]], CTX)
    with pytest.raises(MalformedInput, match=r"recipients\[2\]: expected 33 bytes, found 32 bytes"):
        threshold.deal(1, 2, replace_at(dkg.pubs, 2, dkg.pubs[2][:32]), CTX)
    with pytest.raises(
        MalformedInput, match=r"recipients: expected a sequence of public keys, found 33 bytes"
    ):
        threshold.deal(1, 1, dkg.pubs[0], CTX)  # type: ignore[arg-type]
    assert threshold.deal(1, 1, dkg.pubs[:1], b"c" * MAX_CONTEXT_BYTES).n == 1
    for bad, found in (
        (b"c" * (MAX_CONTEXT_BYTES + 1), "257 bytes"),
        (b"", "0 bytes"),
        ("ctx", "'ctx'"),
    ):
        with pytest.raises(MalformedInput, match=rf"context: expected 1..256 bytes, found {found}"):
            threshold.deal(1, 1, dkg.pubs[:1], bad)  # type: ignore[arg-type]
        with pytest.raises(MalformedInput, match=r"context: expected 1..256 bytes"):
            threshold.receive(dkg.dealings[0], 1, dkg.secrets[0], bad)  # type: ignore[arg-type]


# ---------------------------------------------------------------- wire formats

# deal(1, 1, [pub], b"kat", rng) after custodian_keypair(rng), rng = random.Random(11).randbytes
KAT_DEALING: dict[str, Any] = {
    "format": "chainwitness/dkg-dealing",
    "version": 1,
    "dealer": 1,
    "t": 1,
    "n": 1,
    "commitments": ["02e8cfe706dfde7e9c76bccfca8f21cd35e0d5eb47d57dcab89eb5b497806e9acc"],
    "ciphertexts": [
        "030d9e41b7f0dfaadf9f5857ba21c34e73566ce0787bd30f6de48d7a9dd980e383"
        "252f36175fd1e7893fdd44cf"
        "d8e57ef031dc5d355d385e2013e8688a8ff3c4d1bd26004af2f3db305f3a31dad5cabe330ca7b7c1651bafea7e6033b7"
    ],
    "sender_proofs": [
        "d3a4141f1acb46ca2dc997eaea8ca60d30861ff9317cc3d981ce8953b7d0161a"
        "a2dc925c85b821f63af21c4df0e1aa2ddb4b8e2a41dffcbe543cecb411f8ec61"
    ],
}
KAT_SHARE = "bde201825045e4da32da5e96796b9d3078e6452f2969cccdc2710c83869ecb79"
# run_dkg(3, 5, 2026): the key, the commitments the chain stores, and the secret
KAT_GROUP: dict[str, Any] = {
    "format": "chainwitness/group-key",
    "version": 1,
    "t": 3,
    "n": 5,
    "public_key": "02280a47906840848279cb29ca1a200a3c06aed0b9d27044b6fd6d19f0b2f01ebe",
    "commitments": [
        "02280a47906840848279cb29ca1a200a3c06aed0b9d27044b6fd6d19f0b2f01ebe",
        "0276ae7ac8ba22717e18a3b6ea709b10268a353563923d7abb5a1849f8d407c73c",
        "03b1dbf334e9f9c2b1515c8f74c22b162370d4aeb41bd711f25a0f7b3a526e3d60",
    ],
    "qualified": [1, 2, 3, 4, 5],
}
KAT_SECRET = "f327f85c84bc8ff7861377ba853499004433c7cf9bfa0fb76e8ca445d85e205f"


def test_known_answer_json(dkg: Dkg) -> None:
    rng = random.Random(11).randbytes
    secret, pub = threshold.custodian_keypair(rng)
    dealing = threshold.deal(1, 1, [pub], b"kat", rng)
    assert dealing.to_json() == KAT_DEALING
    assert Dealing.from_json(KAT_DEALING) == dealing
    share = threshold.receive(dealing, 1, secret, b"kat")
    assert threshold.share_to_bytes(share).hex() == KAT_SHARE
    assert (
        threshold.public_from_secret(share).hex() == KAT_DEALING["commitments"][0]
    )  # t = 1: f(1) = a_0
    assert dkg.group.to_json() == KAT_GROUP
    x = threshold.reconstruct(dkg.group, dkg.shares)
    assert threshold.share_to_bytes(x).hex() == KAT_SECRET


def test_round_trips(dkg: Dkg) -> None:
    cheat = with_share(dkg.dealings[1], 4, threshold.share_to_bytes(1), dkg.pubs[3])
    objects: list[Dealing | Complaint | GroupKey] = [
        *dkg.dealings,
        dkg.group,
        threshold.make_complaint(cheat, 4, dkg.secrets[3], CTX, random.Random(3).randbytes),
        Complaint(2, 4, None),
    ]
    for obj in objects:
        doc = json.loads(json.dumps(obj.to_json()))
        assert type(obj).from_json(doc) == obj
        assert type(obj).from_json(doc).to_json() == doc


def _mutations(doc: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    fmt = doc["format"]
    return [
        (
            {k: v for k, v in doc.items() if k != "version"},
            rf"{fmt}: expected exactly the fields .* found missing \['version'\] and unknown \[\]",
        ),
        ({**doc, "extra": 1}, r"found missing \[\] and unknown \['extra'\]"),
        (
            {**doc, "format": "chainwitness/other"},
            rf"format: expected '{fmt}', found 'chainwitness/other'",
        ),
        ({**doc, "version": 2}, rf"{fmt} version: expected 1, found 2"),
        ({**doc, "version": True}, rf"{fmt} version: expected 1, found True"),
    ]


def test_from_json_rejects_envelope_errors(dkg: Dkg) -> None:
    for cls, doc in (
        (Dealing, dkg.dealings[0].to_json()),
        (GroupKey, dkg.group.to_json()),
        (Complaint, Complaint(1, 2, None).to_json()),
    ):
        for bad, message in _mutations(doc):
            with pytest.raises(MalformedInput, match=message):
                cls.from_json(bad)
        with pytest.raises(MalformedInput, match=r"expected an object, found list"):
            cls.from_json([doc])


def test_dealing_from_json_rejects(dkg: Dkg) -> None:
    doc = dkg.dealings[0].to_json()
    c0 = doc["commitments"][0]
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {**doc, "commitments": [c0.upper(), *doc["commitments"][1:]]},
            r"commitments\[0\]: expected 66 lowercase hex digits",
        ),
        (
            {**doc, "commitments": ["0x" + c0[2:], *doc["commitments"][1:]]},
            r"commitments\[0\]: expected 66 lowercase hex digits",
        ),
        (
            {**doc, "commitments": doc["commitments"][:2]},
            r"commitments: expected a sequence of 3 items, found 2 items",
        ),
        (
            {**doc, "commitments": "".join(doc["commitments"])},
            r"commitments: expected an array of at most 32",
        ),
        (
            {**doc, "ciphertexts": doc["ciphertexts"] * 7},
            r"ciphertexts: expected an array of at most 32, found 35 items",
        ),
        (
            {**doc, "ciphertexts": [*doc["ciphertexts"][:4], doc["ciphertexts"][4][:-2]]},
            r"ciphertexts\[4\]: expected 186 lowercase hex digits",
        ),
        (
            {**doc, "sender_proofs": doc["sender_proofs"][:4]},
            r"sender_proofs: expected a sequence of 5 items, found 4 items",
        ),
        (
            {**doc, "commitments": ["05" + c0[2:], *doc["commitments"][1:]]},
            r"commitments\[0\]: expected a 33-byte compressed secp256k1 point",
        ),
        (
            {**doc, "ciphertexts": ["05" + doc["ciphertexts"][0][2:], *doc["ciphertexts"][1:]]},
            r"ciphertexts\[0\] ephemeral key: expected a 33-byte compressed",
        ),
        ({**doc, "dealer": 6}, r"dealer: expected 1 <= dealer <= 5, found 6"),
        ({**doc, "dealer": "1"}, r"dealer: expected an integer, found str"),
        ({**doc, "t": 4}, r"t: expected 2t - 1 <= n"),
        ({**doc, "n": 33}, r"n: expected 1 <= n <= 32, found 33"),
    ]
    for bad, message in cases:
        with pytest.raises(MalformedInput, match=message):
            Dealing.from_json(bad)


def test_group_key_from_json_rejects(dkg: Dkg) -> None:
    doc = dkg.group.to_json()
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {**doc, "public_key": doc["commitments"][1]},
            rf"public_key: expected A_0 = {doc['public_key']}, found {doc['commitments'][1]}",
        ),
        (
            {**doc, "qualified": [1, 3, 2, 4]},
            r"qualified\[2\]: expected 4 <= qualified\[2\] <= 5, found 2",
        ),
        (
            {**doc, "qualified": [1, 1, 2, 3]},
            r"qualified\[1\]: expected 2 <= qualified\[1\] <= 5, found 1",
        ),
        ({**doc, "qualified": [1, 2]}, r"qualified: expected at least t=3 dealers, found 2 items"),
        (
            {**doc, "qualified": [1, 2, 6]},
            r"qualified\[2\]: expected 3 <= qualified\[2\] <= 5, found 6",
        ),
        ({**doc, "qualified": "12345"}, r"qualified: expected an array, found '12345'"),
        (
            {**doc, "commitments": doc["commitments"][:2]},
            r"commitments: expected a sequence of 3 items, found 2 items",
        ),
    ]
    for bad, message in cases:
        with pytest.raises(MalformedInput, match=message):
            GroupKey.from_json(bad)


def test_complaint_from_json_rejects() -> None:
    doc = Complaint(1, 2, None).to_json()
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {**doc, "disclosure": "00" * 97},
            r"disclosure shared point: expected a 33-byte compressed",
        ),
        ({**doc, "disclosure": "02" * 96}, r"disclosure: expected 194 lowercase hex digits"),
        ({**doc, "disclosure": 5}, r"disclosure: expected 194 lowercase hex digits, found 5"),
        ({**doc, "dealer": 33}, r"dealer: expected 1 <= dealer <= 32, found 33"),
        ({**doc, "accuser": None}, r"accuser: expected an integer, found NoneType"),
    ]
    for bad, message in cases:
        with pytest.raises(MalformedInput, match=message):
            Complaint.from_json(bad)


@pytest.mark.parametrize(
    ("disclosure", "message"),
    [
        (b"\x02" * 96, r"disclosure: expected 97 bytes or None, found 96 bytes"),
        ("02" * 97, r"disclosure: expected 97 bytes or None, found '0202"),
    ],
)
def test_complaint_disclosure_shape(disclosure: bytes, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        Complaint(1, 2, disclosure)
