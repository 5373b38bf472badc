"""Joint-Feldman DKG: dealing, checking, complaints, qualification, the group key."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence

from ledger_service.core import ecies
from ledger_service.core._fields import integer as _int
from ledger_service.core._fields import shown_size as shown
from ledger_service.core._secp256k1 import CURVE_ORDER, Rng
from ledger_service.core._secp256k1 import add as _add
from ledger_service.core._secp256k1 import base as _base
from ledger_service.core._secp256k1 import parse_point as _point
from ledger_service.core._secp256k1 import random_scalar as _random_scalar
from ledger_service.core._secp256k1 import same as _same
from ledger_service.core.errors import Conflict, MalformedInput, VerificationFailed
from ledger_service.core.threshold.group import public_from_secret
from ledger_service.core.threshold.messages import (
    MAX_CONTEXT_BYTES,
    SHARE_INFO,
    Complaint,
    Dealing,
    GroupKey,
    check_points,
    check_shape,
    feldman_point,
    share_aad,
    share_from_bytes,
    share_to_bytes,
)


def _context(context: object) -> bytes:
    if type(context) is not bytes or not 1 <= len(context) <= MAX_CONTEXT_BYTES:
        raise MalformedInput(
            f"context: expected 1..{MAX_CONTEXT_BYTES} bytes, found {shown(context)}"
        )
    return context


def _recipients(recipients: object, n: int | None = None) -> tuple[bytes, ...]:
    if isinstance(recipients, bytes | str) or not isinstance(recipients, Sequence):
        raise MalformedInput(
            f"recipients: expected a sequence of public keys, found {shown(recipients)}"
        )
    pubs = check_points("recipients", recipients, len(recipients) if n is None else n)
    if len(set(pubs)) != len(pubs):
        raise MalformedInput("recipients: expected distinct public keys, found a repeat")
    return pubs


def _aad(context: bytes, d: Dealing, j: int) -> bytes:
    return share_aad(context, d.dealer, d.t, d.n, d.commitments, j)


def deal(
    dealer_index: int,
    t: int,
    recipients: Sequence[bytes],
    context: bytes,
    rng: Rng = secrets.token_bytes,
) -> Dealing:
    """Deal a fresh random polynomial of degree ``t - 1`` to ``recipients`` (index ``j`` is
    ``recipients[j-1]``), bound to ``context``. Raises MalformedInput for bad arguments.
    """
    return deal_with_constant_term(dealer_index, t, recipients, context, rng)[0]


def deal_with_constant_term(
    dealer_index: int,
    t: int,
    recipients: Sequence[bytes],
    context: bytes,
    rng: Rng = secrets.token_bytes,
) -> tuple[Dealing, int]:
    """As :func:`deal`, also returning the constant term ``a_0`` of the polynomial, which
    the authenticated protocol needs for its proof of knowledge (and must then forget).
    """
    pubs, context = _recipients(recipients), _context(context)
    n = len(pubs)
    check_shape(t, n)
    _int("dealer_index", dealer_index, 1, n)
    while True:  # a zero share or coefficient has no encoding; probability 2**-250
        coeffs = [_random_scalar(rng) for _ in range(t)]
        shares = [_horner(coeffs, j) for j in range(1, n + 1)]
        if all(shares):
            break
    commitments = tuple(public_from_secret(a) for a in coeffs)
    sealed = [
        ecies.encrypt_proven(
            pubs[j - 1], share_to_bytes(s),
            share_aad(context, dealer_index, t, n, commitments, j), SHARE_INFO, rng,
        )
        for j, s in enumerate(shares, 1)
    ]  # fmt: skip
    dealing = Dealing(
        dealer_index, t, n, commitments, tuple(c for c, _ in sealed), tuple(p for _, p in sealed)
    )
    return dealing, coeffs[0]


def _horner(coeffs: Sequence[int], x: int) -> int:
    y = 0
    for a in reversed(coeffs):
        y = (y * x + a) % CURVE_ORDER
    return y


def verify_dealing(dealing: Dealing, recipients: Sequence[bytes], context: bytes) -> None:
    """Check what anyone can: every ciphertext carries a valid sender proof.

    Raises MalformedInput (``len(recipients) != dealing.n``, bad keys or context);
    VerificationFailed naming the first bad ciphertext (the dealer is disqualified).
    """
    pubs, context = _recipients(recipients, dealing.n), _context(context)
    for j, pub in enumerate(pubs, 1):
        ct, proof = dealing.ciphertexts[j - 1], dealing.sender_proofs[j - 1]
        try:
            ecies.verify_sender(pub, ct, proof, _aad(context, dealing, j), SHARE_INFO)
        except VerificationFailed as exc:
            raise VerificationFailed(
                f"dealer {dealing.dealer}'s ciphertext for custodian {j}: {exc}"
            ) from None


def _share_fault(dealing: Dealing, j: int, plaintext: bytes) -> str | None:
    """Why the decrypted share is bad, or None if it matches the commitments."""
    try:
        share = share_from_bytes(plaintext)
    except MalformedInput as exc:
        return str(exc)
    if not _same(_base(share), feldman_point(dealing.commitments, j)):
        return f"share·G differs from sum_k {j}^k·C_k (the dealer's commitments)"
    return None


def receive(dealing: Dealing, my_index: int, my_secret: bytes, context: bytes) -> int:
    """Decrypt and check custodian ``my_index``'s share of ``dealing``.

    Raises:
        MalformedInput: bad index, secret or context.
        VerificationFailed: the share is bad (a bad sender proof, a ciphertext that
            does not decrypt, a share that does not match the commitments); the
            message names dealer and recipient: file :func:`make_complaint`.
    """
    j, context = _int("my_index", my_index, 1, dealing.n), _context(context)
    pub, where = ecies.public_key(my_secret), f"dealer {dealing.dealer}'s share for custodian {j}"
    ct, aad = dealing.ciphertexts[j - 1], _aad(context, dealing, j)
    try:
        ecies.verify_sender(pub, ct, dealing.sender_proofs[j - 1], aad, SHARE_INFO)
    except VerificationFailed as exc:
        raise VerificationFailed(f"{where}: {exc}; file make_complaint()") from None
    try:
        plaintext = ecies.decrypt(my_secret, ct, aad, SHARE_INFO)
    except VerificationFailed as exc:
        raise VerificationFailed(f"{where}: {exc}; file make_complaint()") from None
    fault = _share_fault(dealing, j, plaintext)
    if fault is not None:
        raise VerificationFailed(f"{where}: {fault}; file make_complaint()")
    return int.from_bytes(plaintext, "big")


def make_complaint(
    dealing: Dealing,
    my_index: int,
    my_secret: bytes,
    context: bytes,
    rng: Rng = secrets.token_bytes,
) -> Complaint:
    """Build custodian ``my_index``'s complaint against ``dealing``.

    The complaint discloses the share's decryption key, proven, unless the
    ciphertext's sender proof fails (then it carries no disclosure).

    Raises:
        MalformedInput: as :func:`receive`.
        Conflict: the share verifies; there is nothing to complain about.
    """
    try:
        receive(dealing, my_index, my_secret, context)
    except VerificationFailed:
        pass
    else:
        raise Conflict(
            f"dealer {dealing.dealer}'s share for custodian {my_index} verifies; no complaint"
        )
    ct, proof = dealing.ciphertexts[my_index - 1], dealing.sender_proofs[my_index - 1]
    aad = _aad(context, dealing, my_index)
    try:
        ecies.verify_sender(ecies.public_key(my_secret), ct, proof, aad, SHARE_INFO)
    except VerificationFailed:
        return Complaint(dealing.dealer, my_index, None)
    disclosure = ecies.disclose(my_secret, ct, proof, aad, SHARE_INFO, rng)
    return Complaint(dealing.dealer, my_index, disclosure)


def adjudicate(
    complaint: Complaint, dealing: Dealing, recipients: Sequence[bytes], context: bytes
) -> bool:
    """Decide a complaint from public data: True if justified (disqualify the dealer).

    Justified: the accuser's ciphertext fails its sender proof, or the proven
    disclosure decrypts it to something that is not a share matching the
    commitments (or does not decrypt at all). Unjustified: the disclosure is
    missing or does not verify, or the share is good. Raises MalformedInput if ``complaint`` is not about
    ``dealing`` or the accuser is outside ``1..dealing.n``.
    """
    if complaint.dealer != dealing.dealer:
        raise MalformedInput(
            f"complaint: expected dealer {dealing.dealer}, found {complaint.dealer}"
        )
    j, pubs = _int("accuser", complaint.accuser, 1, dealing.n), _recipients(recipients, dealing.n)
    ct, aad = dealing.ciphertexts[j - 1], _aad(_context(context), dealing, j)
    try:
        ecies.verify_sender(pubs[j - 1], ct, dealing.sender_proofs[j - 1], aad, SHARE_INFO)
    except VerificationFailed:
        return True
    if complaint.disclosure is None:
        return False
    try:
        ecies.verify_disclosure(pubs[j - 1], ct, complaint.disclosure)
    except VerificationFailed:
        return False
    try:
        plaintext = ecies.decrypt_disclosed(pubs[j - 1], ct, complaint.disclosure, aad, SHARE_INFO)
    except VerificationFailed:
        return True
    return _share_fault(dealing, j, plaintext) is not None


def _by_dealer(dealings: Iterable[Dealing]) -> dict[int, Dealing]:
    out: dict[int, Dealing] = {}
    for d in dealings:
        if type(d) is not Dealing:
            raise MalformedInput(f"dealings: expected Dealing objects, found {type(d).__name__}")
        first = next(iter(out.values()), d)
        if (d.t, d.n) != (first.t, first.n):
            raise MalformedInput(
                f"dealer {d.dealer}: expected t={first.t}, n={first.n}, found t={d.t}, n={d.n}"
            )
        if d.dealer in out:
            raise MalformedInput(
                f"dealings: expected one per dealer, found two from dealer {d.dealer}"
            )
        out[d.dealer] = d
    return out


def qualify(
    dealings: Iterable[Dealing],
    complaints: Iterable[Complaint],
    recipients: Sequence[bytes],
    context: bytes,
) -> tuple[int, ...]:
    """Return the qualified dealers, ascending: those whose dealing passes
    :func:`verify_dealing` and against whom no complaint is justified.

    Raises MalformedInput for inconsistent or repeated dealings, or a complaint
    against a dealer without a dealing.
    """
    by_dealer, bad = _by_dealer(dealings), set()
    for i, d in by_dealer.items():
        try:
            verify_dealing(d, recipients, context)
        except VerificationFailed:
            bad.add(i)
    for c in complaints:
        if c.dealer not in by_dealer:
            raise MalformedInput(f"complaint: dealer {c.dealer} has no dealing")
        if c.dealer not in bad and adjudicate(c, by_dealer[c.dealer], recipients, context):
            bad.add(c.dealer)
    return tuple(sorted(set(by_dealer) - bad))


def _qualified(dealings: Iterable[Dealing], qualified: Iterable[int]) -> list[Dealing]:
    by_dealer, q = _by_dealer(dealings), list(qualified)
    if not by_dealer:
        raise MalformedInput("dealings: expected at least one, found none")
    if len(set(q)) != len(q) or not set(q) <= set(by_dealer):
        raise MalformedInput(
            f"qualified: expected distinct dealers among {sorted(by_dealer)}, found {q}"
        )
    chosen, t = [by_dealer[i] for i in sorted(q)], next(iter(by_dealer.values())).t
    if len(chosen) < t:
        raise VerificationFailed(
            f"qualified: expected at least t={t} dealers, found {len(chosen)}; rerun the DKG"
        )
    return chosen


def combine(dealings: Iterable[Dealing], qualified: Iterable[int]) -> GroupKey:
    """Aggregate the qualified dealings (from :func:`qualify`) into the group key.

    Raises MalformedInput for inconsistent dealings or a qualified dealer without a
    dealing; VerificationFailed for fewer than ``t`` qualified dealers or an
    aggregate commitment at infinity (never with an honest dealer among them).
    """
    chosen = _qualified(dealings, qualified)
    t, n = chosen[0].t, chosen[0].n
    aggregate = [_add(_point("commitment", d.commitments[k]) for d in chosen) for k in range(t)]
    if any(a is None for a in aggregate):
        raise VerificationFailed(
            "commitments: an aggregate is the point at infinity; rerun the DKG"
        )
    return GroupKey(
        t, n, tuple(a.format() for a in aggregate if a is not None), tuple(d.dealer for d in chosen)
    )


def my_share(
    dealings: Iterable[Dealing],
    qualified: Iterable[int],
    my_index: int,
    my_secret: bytes,
    context: bytes,
) -> int:
    """Return custodian ``my_index``'s key share ``x_j = sum over Q of s_ij``.

    Raises as :func:`receive` for any qualified dealing, and as :func:`combine`.
    """
    total = sum(receive(d, my_index, my_secret, context) for d in _qualified(dealings, qualified))
    if total % CURVE_ORDER == 0:
        raise VerificationFailed(f"share {my_index}: the key share is 0; rerun the DKG")
    return total % CURVE_ORDER
