"""The tender opening key: t-of-n Joint-Feldman DKG on secp256k1, no trusted dealer.

1. Each custodian ``i`` (1..n) publishes a :class:`Dealing` (:func:`deal`): Feldman
   commitments ``C_ik = a_ik·G`` to a random polynomial ``f_i`` of degree t-1, and
   ``s_ij = f_i(j)`` ECIES-encrypted to every custodian ``j`` with a sender proof.
2. Custodian ``j`` checks its share (:func:`receive`); on a bad one it posts a
   :class:`Complaint` (:func:`make_complaint`) that lets anyone decrypt that one share.
3. Anyone computes the qualified set ``Q`` (:func:`qualify`: dealings passing the
   public checks, with no justified complaint) and the :class:`GroupKey`
   (:func:`combine`): ``A_k = sum over Q of C_ik``, opening key ``Y = A_0``.
   Custodian ``j`` keeps ``x_j = sum over Q of s_ij`` (:func:`my_share`).
4. At opening, released shares are checked against ``Y_j = sum_k j^k·A_k``
   (:func:`verify_released_share`) and any t valid ones give ``x`` with ``x·G = Y``
   (:func:`reconstruct`).

Requires ``n >= 2t - 1`` (at most t-1 of n custodians dishonest, an honest
majority), without which t-1 rushing custodians could choose Y themselves. The
specification is ``docs/threshold-keys.md``. Pure: no I/O; randomness from ``rng``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from coincurve import PublicKey

from ledger_service.core import ecies
from ledger_service.core._fields import Wire as _Wire  # shared wire checks
from ledger_service.core._fields import integer as _int
from ledger_service.core._fields import shown_size as _shown
from ledger_service.core._fields import wire_fields as _fields
from ledger_service.core._fields import wire_header as _header
from ledger_service.core._secp256k1 import add as _add  # the group arithmetic ecies shares
from ledger_service.core._secp256k1 import base as _base
from ledger_service.core._secp256k1 import mul as _mul
from ledger_service.core._secp256k1 import point as _point
from ledger_service.core._secp256k1 import random_scalar as _random_scalar
from ledger_service.core._secp256k1 import same as _same
from ledger_service.core.ecies import CURVE_ORDER, POINT_SIZE, Rng
from ledger_service.core.errors import Conflict, MalformedInput, VerificationFailed

__all__ = [
    "CURVE_ORDER", "MAX_CONTEXT_BYTES", "MAX_CUSTODIANS", "SHARE_INFO", "SHARE_SIZE",
    "Complaint", "Dealing", "GroupKey", "adjudicate", "combine", "custodian_keypair",
    "deal", "make_complaint", "my_share", "public_from_secret", "qualify", "receive",
    "reconstruct", "screen_shares", "share_from_bytes", "share_to_bytes",
    "verify_dealing", "verify_released_share",
]  # fmt: skip

#: most custodians per tender (TenderRegistry.MAX_CUSTODIANS)
MAX_CUSTODIANS = 32
#: a share (or any scalar) on the wire and on chain: 32 bytes big-endian, 1..order-1
SHARE_SIZE = 32
#: longest DKG context (what the caller binds dealings to, e.g. chain id + tender id)
MAX_CONTEXT_BYTES = 256
#: HKDF info of the ECIES layer for DKG shares
SHARE_INFO = b"chainwitness/threshold/share/v1"
#: first bytes of every share's AES-GCM associated data
SHARE_AAD_LABEL = b"chainwitness/threshold/share-aad/v1"
CIPHERTEXT_SIZE = ecies.OVERHEAD + SHARE_SIZE
_HEX = frozenset("0123456789abcdef")


# ---------------------------------------------------------------- field checks


def _shape(t: object, n: object) -> None:
    n = _int("n", n, 1, MAX_CUSTODIANS)
    t = _int("t", t, 1, n)
    if 2 * t - 1 > n:
        raise MalformedInput(
            f"t: expected 2t - 1 <= n (honest majority, docs/threshold-keys.md), found t={t}, n={n}"
        )


def _index(index: object, n: int) -> int:
    if index == 0 and type(index) is int:
        raise MalformedInput(
            "share index: expected 1..n; index 0 is the secret itself, never a share"
        )
    return _int("share index", index, 1, n)


def _scalar(name: str, value: object) -> int:
    return _int(name, value, 1, CURVE_ORDER - 1)


def _blobs(name: str, value: object, count: int, size: int) -> tuple[bytes, ...]:
    if isinstance(value, bytes | str) or not isinstance(value, Sequence) or len(value) != count:
        raise MalformedInput(f"{name}: expected a sequence of {count} items, found {_shown(value)}")
    for i, item in enumerate(value):
        if type(item) is not bytes or len(item) != size:
            raise MalformedInput(f"{name}[{i}]: expected {size} bytes, found {_shown(item)}")
    return tuple(value)


def _points(name: str, value: object, count: int) -> tuple[bytes, ...]:
    points = _blobs(name, value, count, POINT_SIZE)
    for i, p in enumerate(points):
        _point(f"{name}[{i}]", p)
    return points


def _hex(name: str, value: object, size: int) -> bytes:
    if type(value) is not str or len(value) != 2 * size or not _HEX.issuperset(value):
        raise MalformedInput(
            f"{name}: expected {2 * size} lowercase hex digits, found {_shown(value)}"
        )
    return bytes.fromhex(value)


def _hex_list(name: str, value: object, size: int) -> list[bytes]:
    if type(value) is not list or len(value) > MAX_CUSTODIANS:
        raise MalformedInput(
            f"{name}: expected an array of at most {MAX_CUSTODIANS}, found {_shown(value)}"
        )
    return [_hex(f"{name}[{i}]", v, size) for i, v in enumerate(value)]


# ---------------------------------------------------------------- wire objects


@dataclass(frozen=True, slots=True)
class Dealing(_Wire):
    """Dealer ``dealer``'s public message: ``t`` commitments, ``n`` encrypted shares.

    ``ciphertexts[j-1]`` is ``ecies.encrypt_proven`` of ``share_to_bytes(f(j))`` to
    custodian ``j`` (``CIPHERTEXT_SIZE`` bytes), ``sender_proofs[j-1]`` its sender proof.

    Raises (on construction): MalformedInput unless ``1 <= t``, ``2t - 1 <= n <=
    MAX_CUSTODIANS``, ``1 <= dealer <= n``, the commitments and every ciphertext's
    ephemeral key are compressed points and every length is exact.
    """

    FORMAT: ClassVar[str] = "chainwitness/dkg-dealing"
    VERSION: ClassVar[int] = 1
    FIELDS: ClassVar[tuple[str, ...]] = (
        "dealer", "t", "n", "commitments", "ciphertexts", "sender_proofs",
    )  # fmt: skip

    dealer: int
    t: int
    n: int
    commitments: tuple[bytes, ...]
    ciphertexts: tuple[bytes, ...]
    sender_proofs: tuple[bytes, ...]

    def __post_init__(self) -> None:
        _shape(self.t, self.n)
        _int("dealer", self.dealer, 1, self.n)
        object.__setattr__(self, "commitments", _points("commitments", self.commitments, self.t))
        cts = _blobs("ciphertexts", self.ciphertexts, self.n, CIPHERTEXT_SIZE)
        for i, ct in enumerate(cts):
            _point(f"ciphertexts[{i}] ephemeral key", ct[:POINT_SIZE])
        object.__setattr__(self, "ciphertexts", cts)
        proofs = _blobs("sender_proofs", self.sender_proofs, self.n, ecies.PROOF_SIZE)
        object.__setattr__(self, "sender_proofs", proofs)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object; byte strings are lowercase hex."""
        return {
            **_header(Dealing), "dealer": self.dealer, "t": self.t, "n": self.n,
            "commitments": [c.hex() for c in self.commitments],
            "ciphertexts": [c.hex() for c in self.ciphertexts],
            "sender_proofs": [p.hex() for p in self.sender_proofs],
        }  # fmt: skip

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a JSON object. Raises MalformedInput if it is invalid."""
        o = _fields(obj, cls)
        return cls(
            o["dealer"], o["t"], o["n"],
            tuple(_hex_list("commitments", o["commitments"], POINT_SIZE)),
            tuple(_hex_list("ciphertexts", o["ciphertexts"], CIPHERTEXT_SIZE)),
            tuple(_hex_list("sender_proofs", o["sender_proofs"], ecies.PROOF_SIZE)),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Complaint(_Wire):
    """Custodian ``accuser`` shows that ``dealer``'s share for it is bad.

    ``disclosure`` (``ecies.DISCLOSURE_SIZE`` bytes) proves the ECIES shared point of
    that one ciphertext, so anyone can decrypt the share and check it
    (:func:`adjudicate`); no signature is needed, only the accuser's secret key can
    make the proof. It is None when the ciphertext's sender proof fails: disclosing
    is then unsafe, and needless, as anyone sees the fault.

    Raises (on construction): MalformedInput for indices outside
    ``1..MAX_CUSTODIANS``, a disclosure of the wrong length or without a point.
    """

    FORMAT: ClassVar[str] = "chainwitness/dkg-complaint"
    VERSION: ClassVar[int] = 1
    FIELDS: ClassVar[tuple[str, ...]] = ("dealer", "accuser", "disclosure")

    dealer: int
    accuser: int
    disclosure: bytes | None

    def __post_init__(self) -> None:
        _int("dealer", self.dealer, 1, MAX_CUSTODIANS)
        _int("accuser", self.accuser, 1, MAX_CUSTODIANS)
        d = self.disclosure
        if d is not None:
            if type(d) is not bytes or len(d) != ecies.DISCLOSURE_SIZE:
                raise MalformedInput(
                    f"disclosure: expected {ecies.DISCLOSURE_SIZE} bytes or None, found {_shown(d)}"
                )
            _point("disclosure shared point", d[:POINT_SIZE])

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object; ``disclosure`` is lowercase hex or null."""
        d = self.disclosure
        return {
            **_header(Complaint), "dealer": self.dealer, "accuser": self.accuser,
            "disclosure": None if d is None else d.hex(),
        }  # fmt: skip

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a JSON object. Raises MalformedInput if it is invalid."""
        o = _fields(obj, cls)
        d = o["disclosure"]
        disclosure = None if d is None else _hex("disclosure", d, ecies.DISCLOSURE_SIZE)
        return cls(o["dealer"], o["accuser"], disclosure)


@dataclass(frozen=True, slots=True)
class GroupKey(_Wire):
    """A tender's opening key: ``commitments`` are ``A_0..A_{t-1}``, ``A_0 = Y``.

    ``qualified`` lists the dealers whose polynomials make up the key, ascending.

    Raises (on construction): MalformedInput unless the ``t``/``n`` rules of
    :class:`Dealing` hold, the ``t`` commitments are compressed points and
    ``qualified`` is ascending, without repeats, within ``1..n`` and at least ``t`` long.
    """

    FORMAT: ClassVar[str] = "chainwitness/group-key"
    VERSION: ClassVar[int] = 1
    FIELDS: ClassVar[tuple[str, ...]] = ("t", "n", "public_key", "commitments", "qualified")

    t: int
    n: int
    commitments: tuple[bytes, ...]
    qualified: tuple[int, ...]

    def __post_init__(self) -> None:
        _shape(self.t, self.n)
        object.__setattr__(self, "commitments", _points("commitments", self.commitments, self.t))
        q = self.qualified
        if isinstance(q, str | bytes) or not isinstance(q, Sequence) or len(q) < self.t:
            raise MalformedInput(
                f"qualified: expected at least t={self.t} dealers, found {_shown(q)}"
            )
        for i, dealer in enumerate(q):
            _int(f"qualified[{i}]", dealer, 1 if i == 0 else q[i - 1] + 1, self.n)
        object.__setattr__(self, "qualified", tuple(q))

    @property
    def public_key(self) -> bytes:
        """The opening public key ``Y = A_0`` (33 bytes), what bids are sealed to."""
        return self.commitments[0]

    def commitments_bytes(self) -> bytes:
        """``A_0 || ... || A_{t-1}``, the ``t * 33`` bytes TenderRegistry stores."""
        return b"".join(self.commitments)

    def verification_key(self, index: int) -> bytes:
        """``Y_j = sum_k j^k·A_k`` for share index ``j`` in ``1..n``: ``x_j·G`` must equal it.

        Raises MalformedInput for an index outside ``1..n``; VerificationFailed if
        ``Y_j`` is the point at infinity (``x_j = 0``, probability 2**-256).
        """
        point = _feldman(self.commitments, _index(index, self.n))
        if point is None:
            raise VerificationFailed(
                f"share {index}: the verification key is the point at infinity"
            )
        return point.format()

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object; points are lowercase hex."""
        return {
            **_header(GroupKey), "t": self.t, "n": self.n,
            "public_key": self.public_key.hex(),
            "commitments": [c.hex() for c in self.commitments],
            "qualified": list(self.qualified),
        }  # fmt: skip

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a JSON object. Raises MalformedInput if invalid or ``public_key != A_0``."""
        o = _fields(obj, cls)
        if type(o["qualified"]) is not list:
            raise MalformedInput(f"qualified: expected an array, found {_shown(o['qualified'])}")
        key = cls(
            o["t"],
            o["n"],
            tuple(_hex_list("commitments", o["commitments"], POINT_SIZE)),
            tuple(o["qualified"]),
        )
        if _hex("public_key", o["public_key"], POINT_SIZE) != key.public_key:
            raise MalformedInput(
                f"public_key: expected A_0 = {key.public_key.hex()}, found {o['public_key']}"
            )
        return key


# ---------------------------------------------------------------- scalars and keys


def share_to_bytes(share: int) -> bytes:
    """Encode a share (scalar in ``1..order-1``) as 32 bytes big-endian. Raises MalformedInput."""
    return _scalar("share", share).to_bytes(SHARE_SIZE, "big")


def share_from_bytes(data: bytes) -> int:
    """Decode 32 bytes big-endian. Raises MalformedInput for another length, 0 or >= order."""
    if type(data) is not bytes or len(data) != SHARE_SIZE:
        raise MalformedInput(f"share: expected {SHARE_SIZE} bytes, found {_shown(data)}")
    value = int.from_bytes(data, "big")
    if not 0 < value < CURVE_ORDER:
        raise MalformedInput(f"share: expected a scalar in 1..order-1, found {data.hex()}")
    return value


def public_from_secret(secret: int | bytes) -> bytes:
    """Return ``secret·G`` compressed (33 bytes): ``secret`` is a scalar (a share, the
    opening secret) or 32 bytes (a custodian's secret). Raises MalformedInput unless
    it is in ``1..order-1``.
    """
    if isinstance(secret, bytes):
        return ecies.public_key(secret)
    return PublicKey.from_valid_secret(share_to_bytes(secret)).format()


def custodian_keypair(rng: Rng = secrets.token_bytes) -> tuple[bytes, bytes]:
    """Return a custodian's long-term ``(secret 32 bytes, public key 33 bytes)``."""
    secret = _random_scalar(rng).to_bytes(SHARE_SIZE, "big")
    return secret, ecies.public_key(secret)


def _feldman(commitments: Sequence[bytes], j: int) -> ecies.Point:
    """``sum_k j^k·C_k``: what ``f(j)·G`` must be."""
    return _add(
        _mul(_point("commitment", c), pow(j, k, CURVE_ORDER)) for k, c in enumerate(commitments)
    )


def _lagrange_at_zero(points: Mapping[int, int]) -> int:
    """``f(0)`` for the polynomial of degree ``< len(points)`` through ``{x: f(x)}``."""
    total = 0
    for j, y in points.items():
        num = den = 1
        for m in points:
            if m != j:
                num, den = num * m % CURVE_ORDER, den * (m - j) % CURVE_ORDER
        total += y * num * pow(den, -1, CURVE_ORDER)
    return total % CURVE_ORDER


# ---------------------------------------------------------------- the DKG


def _context(context: object) -> bytes:
    if type(context) is not bytes or not 1 <= len(context) <= MAX_CONTEXT_BYTES:
        raise MalformedInput(
            f"context: expected 1..{MAX_CONTEXT_BYTES} bytes, found {_shown(context)}"
        )
    return context


def _recipients(recipients: object, n: int | None = None) -> tuple[bytes, ...]:
    if isinstance(recipients, bytes | str) or not isinstance(recipients, Sequence):
        raise MalformedInput(
            f"recipients: expected a sequence of public keys, found {_shown(recipients)}"
        )
    pubs = _points("recipients", recipients, len(recipients) if n is None else n)
    if len(set(pubs)) != len(pubs):
        raise MalformedInput("recipients: expected distinct public keys, found a repeat")
    return pubs


def _aad(context: bytes, d: Dealing | tuple[int, int, int, tuple[bytes, ...]], j: int) -> bytes:
    dealer, t, n, commitments = (d.dealer, d.t, d.n, d.commitments) if isinstance(d, Dealing) else d
    return b"".join((
        SHARE_AAD_LABEL, len(context).to_bytes(2, "big"), context,
        bytes((t, n, dealer, j)), *commitments,
    ))  # fmt: skip


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
    pubs, context = _recipients(recipients), _context(context)
    n = len(pubs)
    _shape(t, n)
    _int("dealer_index", dealer_index, 1, n)
    while True:  # a zero share or coefficient has no encoding; probability 2**-250
        coeffs = [_random_scalar(rng) for _ in range(t)]
        shares = [_horner(coeffs, j) for j in range(1, n + 1)]
        if all(shares):
            break
    commitments = tuple(public_from_secret(a) for a in coeffs)
    head = (dealer_index, t, n, commitments)
    sealed = [
        ecies.encrypt_proven(
            pubs[j - 1], share_to_bytes(s), _aad(context, head, j), SHARE_INFO, rng
        )
        for j, s in enumerate(shares, 1)
    ]
    return Dealing(*head, tuple(c for c, _ in sealed), tuple(p for _, p in sealed))


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
    if not _same(_base(share), _feldman(dealing.commitments, j)):
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


# ---------------------------------------------------------------- opening


def verify_released_share(group: GroupKey, index: int, share: int) -> None:
    """Check a released share: ``share·G == Y_index``.

    Raises MalformedInput for an index outside ``1..n`` (0 included) or a share
    outside ``1..order-1``; VerificationFailed naming the index if it does not match.
    """
    expected = _feldman(group.commitments, _index(index, group.n))
    if not _same(_base(_scalar("share", share)), expected):
        raise VerificationFailed(
            f"share {index}: expected share·G to equal the verification key "
            f"{expected.format().hex() if expected else 'infinity'}, found {public_from_secret(share).hex()}"
        )


def screen_shares(
    group: GroupKey, shares: Mapping[int, int] | Iterable[tuple[int, int]]
) -> tuple[dict[int, int], tuple[int, ...]]:
    """Split released shares into ``(valid {index: share}, invalid indices)``.

    Raises MalformedInput for an index outside ``1..n`` (0 included), an index given
    twice, or a share outside ``1..order-1``.
    """
    pairs = list(shares.items() if isinstance(shares, Mapping) else shares)
    valid: dict[int, int] = {}
    invalid: list[int] = []
    seen: set[int] = set()
    for index, share in pairs:
        if _index(index, group.n) in seen:
            raise MalformedInput(f"shares: expected each index once, found {index} twice")
        seen.add(index)
        try:
            verify_released_share(group, index, share)
            valid[index] = share
        except VerificationFailed:
            invalid.append(index)
    return valid, tuple(sorted(invalid))


def reconstruct(group: GroupKey, shares: Mapping[int, int] | Iterable[tuple[int, int]]) -> int:
    """Return the opening secret ``x`` (``x·G == group.public_key``) from released shares.

    Invalid shares are skipped (:func:`screen_shares` says which); the ``t`` valid
    shares with the lowest indices are interpolated at 0.

    Raises:
        MalformedInput: as :func:`screen_shares`, or fewer than ``t`` shares given.
        VerificationFailed: fewer than ``t`` valid shares (naming the invalid ones),
            or the result does not match ``Y``.
    """
    valid, invalid = screen_shares(group, shares)
    if len(valid) + len(invalid) < group.t:
        raise MalformedInput(
            f"shares: expected at least t={group.t} to reconstruct, found {len(valid) + len(invalid)}; "
            f"fewer than t shares say nothing about the key"
        )
    if len(valid) < group.t:
        raise VerificationFailed(
            f"shares: expected at least t={group.t} valid, found {len(valid)}; invalid: {list(invalid)}"
        )
    used = sorted(valid)[: group.t]
    secret = _lagrange_at_zero({j: valid[j] for j in used})
    if secret == 0 or public_from_secret(secret) != group.public_key:
        raise VerificationFailed(f"shares {used}: expected x·G == Y, found a mismatch")
    return secret
