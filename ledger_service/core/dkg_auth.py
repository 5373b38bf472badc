"""Authenticated key generation for a tender (docs/threshold-keys.md section 10).

The Joint-Feldman DKG of :mod:`ledger_service.core.threshold`, wrapped so that an
operator who relays every message can neither forge, suppress nor equivocate one:

- every dealing carries a Schnorr proof of knowledge of its constant term ``a_i0``
  (the PedPoP / FROST-DKG rule), bound to the DKG context and the dealer index, so a
  rogue-key dealing ``C_i0 = T·G - sum C_j0`` is refused without any complaint;
- dealings and complaint bundles are signed by their custodian's chain account with
  EIP-712 (the types TenderRegistry verifies) and posted on chain, write-once;
- the transcript hash and the qualified set follow from the posted messages by one
  deterministic rule (:func:`qualify_transcript`): a malformed dealing disqualifies its
  dealer, never stops the key generation; a message not signed by the custodian of its
  index is rejected and reported;
- the opening key counts only with ``t`` custodian KeyApproval signatures.

Pure: no I/O; randomness from ``rng``. Signatures are 65 bytes ``r || s || v``
(v 27 or 28, low s), as OpenZeppelin's ECDSA accepts them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from coincurve import PrivateKey, PublicKey
from eth_hash.auto import keccak

from ledger_service.core import ecies, threshold
from ledger_service.core.canonical import canonicalize, parse_json_strict
from ledger_service.core.errors import EvidenceError, MalformedInput, VerificationFailed

__all__ = [
    "CONTEXT_LABEL", "MAX_BODY_BYTES", "POK_SIZE", "POK_TAG", "SIGNATURE_SIZE",
    "ComplaintsBody", "DealingBody", "DkgSetup", "Outcome", "Posted",
    "address_of", "approve_key", "complaints_digest", "dealing_digest", "dealings_hash",
    "deal", "domain_separator", "key_approval_digest", "prove_constant_term",
    "qualify_transcript", "recover_signer", "sign_digest", "transcript_hash",
    "verify_constant_term",
]  # fmt: skip

CONTEXT_LABEL = b"chainwitness/dkg-context/v2"
POK_TAG = b"chainwitness/dkg/pok/v1"
_POK_NONCE_TAG = b"chainwitness/dkg/pok-nonce/v1"
POK_SIZE = 64
SIGNATURE_SIZE = 65
#: TenderRegistry.MAX_DKG_BODY_BYTES
MAX_BODY_BYTES = 24_576
_Q = ecies.CURVE_ORDER
_HALF_Q = _Q // 2
_DEALINGS_TAG = keccak(b"ChainWitness DKG dealings v1")
_TRANSCRIPT_TAG = keccak(b"ChainWitness DKG transcript v1")
_DOMAIN_TYPE = keccak(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_DEALING_TYPE = keccak(b"Dealing(bytes32 tenderId,uint32 round,uint8 dealer,bytes32 bodyHash)")
_COMPLAINTS_TYPE = keccak(
    b"Complaints(bytes32 tenderId,uint32 round,uint8 accuser,bytes32 dealingsHash,bytes32 bodyHash)"
)
_APPROVAL_TYPE = keccak(
    b"KeyApproval(bytes32 tenderId,uint32 round,bytes32 openingKeyHash,"
    b"bytes32 commitmentsHash,bytes32 transcriptHash)"
)
_HEX = frozenset("0123456789abcdef")


# ---------------------------------------------------------------- small checks


def _b(name: str, value: object, size: int) -> bytes:
    if type(value) is not bytes or len(value) != size:
        found = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise MalformedInput(f"{name}: expected {size} bytes, found {found}")
    return value


def _n(name: str, value: object, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise MalformedInput(f"{name}: expected an integer in {low}..{high}, found {value!r:.60}")
    return value


def _hex32(name: str, value: object) -> bytes:
    if type(value) is not str or len(value) != 64 or not _HEX.issuperset(value):
        raise MalformedInput(f"{name}: expected 64 lowercase hex digits, found {value!r:.80}")
    return bytes.fromhex(value)


def _point(name: str, value: object, error: type[EvidenceError]) -> PublicKey:
    if type(value) is not bytes or len(value) != 33 or value[0] not in (2, 3):
        raise error(f"{name}: expected a 33-byte compressed secp256k1 point, found {value!r:.80}")
    try:
        return PublicKey(value)
    except ValueError:
        raise error(f"{name}: expected a point on secp256k1, found {value.hex()}") from None


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _object(body: object, what: str) -> dict[str, Any]:
    """Parse ``body`` (bytes) as canonical JSON: anything else is MalformedInput."""
    if type(body) is not bytes or not 1 <= len(body) <= MAX_BODY_BYTES:
        raise MalformedInput(f"{what}: expected 1..{MAX_BODY_BYTES} bytes, found {body!r:.40}")
    obj = parse_json_strict(body)
    if not isinstance(obj, dict) or canonicalize(obj) != body:
        raise MalformedInput(
            f"{what}: expected a canonical JSON object (RFC 8785), found other bytes"
        )
    return obj


def _fields(obj: Mapping[str, Any], fmt: str, names: tuple[str, ...]) -> None:
    want = {"format", "version", *names}
    if set(obj) != want or obj["format"] != fmt or obj["version"] != 1:
        raise MalformedInput(
            f"{fmt}: expected exactly {sorted(want)} with format {fmt!r} and version 1, "
            f"found {sorted(map(str, obj))}"
        )


# ---------------------------------------------------------------- context and setup


@dataclass(frozen=True, slots=True)
class DkgSetup:
    """One key-generation round of one tender, as the chain states it.

    ``custodians[i-1]`` (20-byte address) and ``keys[i-1]`` (33-byte encryption key,
    registered by that address) belong to index ``i``. Raises MalformedInput unless
    ``t >= 2``, ``2t - 1 <= n <= 32``, the keys are distinct points and ``round >= 1``.
    """

    chain_id: int
    registry: bytes
    tender_id: bytes
    round: int
    t: int
    custodians: tuple[bytes, ...]
    keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        _n("chain_id", self.chain_id, 1, 2**64 - 1)
        _b("registry", self.registry, 20)
        _b("tender_id", self.tender_id, 32)
        _n("round", self.round, 1, 2**32 - 1)
        n = len(self.custodians)
        if (
            type(self.t) is not int
            or self.t < 2
            or not 2 * self.t - 1 <= n <= threshold.MAX_CUSTODIANS
        ):
            raise MalformedInput(
                f"t: expected t >= 2 and 2t - 1 <= n <= 32, found t={self.t}, n={n}"
            )
        for i, a in enumerate(self.custodians, 1):
            _b(f"custodians[{i}]", a, 20)
        if len(set(self.custodians)) != n or len(self.keys) != n:
            raise MalformedInput(f"custodians: expected {n} distinct addresses with one key each")
        for i, k in enumerate(self.keys, 1):
            _point(f"keys[{i}]", k, MalformedInput)
        if len(set(self.keys)) != n:
            raise MalformedInput("keys: expected distinct custodian keys, found a repeat")

    @property
    def n(self) -> int:
        return len(self.custodians)

    @property
    def context(self) -> bytes:
        """``CONTEXT_LABEL || uint64 chain id || registry || tender id || uint32 round``
        (91 bytes): what every share, proof of knowledge and signature is bound to."""
        return b"".join((
            CONTEXT_LABEL, self.chain_id.to_bytes(8, "big"), self.registry, self.tender_id,
            self.round.to_bytes(4, "big"),
        ))  # fmt: skip

    @property
    def keys_hash(self) -> bytes:
        """keccak256 of the n * 33 key bytes (TenderRegistry's custodianKeysHash)."""
        return keccak(b"".join(self.keys))


# ---------------------------------------------------------------- proof of knowledge


def _h(*parts: bytes) -> int:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(4, "big") + p)
    return int.from_bytes(h.digest(), "big") % _Q


def _scalar(rng: ecies.Rng) -> int:
    while True:
        k = int.from_bytes(rng(32), "big")
        if 0 < k < _Q:
            return k


def prove_constant_term(
    a0: int, context: bytes, dealer: int, rng: ecies.Rng = secrets.token_bytes
) -> bytes:
    """Schnorr proof that the dealer knows ``a0`` for ``C_0 = a0·G``, bound to
    ``context`` and ``dealer``: ``c || z`` (64 bytes) with ``R = k·G``,
    ``c = H(POK_TAG, context, u8 dealer, C_0, R)``, ``z = k + c·a0`` mod q.
    The nonce is hedged: ``k = H(nonce tag, a0, 32 random bytes, context, C_0)``.
    """
    c0 = threshold.public_from_secret(a0)
    k = 0
    while k == 0:
        k = _h(_POK_NONCE_TAG, _word(a0), rng(32), context, c0)
    r = threshold.public_from_secret(k)
    c = _h(POK_TAG, context, bytes((dealer,)), c0, r)
    return _word(c) + _word((k + c * a0) % _Q)


def verify_constant_term(c0: bytes, proof: bytes, context: bytes, dealer: int) -> None:
    """Check a :func:`prove_constant_term` proof for commitment ``c0``.

    Raises MalformedInput for a proof that is not 64 bytes; VerificationFailed if
    ``c`` or ``z`` is not below q or ``c != H(..., z·G - c·C_0)``.
    """
    _b("proof of knowledge", proof, POK_SIZE)
    c, z = int.from_bytes(proof[:32], "big"), int.from_bytes(proof[32:], "big")
    point = _point("C_0", c0, VerificationFailed)
    if not (0 < c < _Q and 0 < z < _Q):
        raise VerificationFailed(f"dealer {dealer}: proof of knowledge: expected 0 < c, z < q")
    z_g = PublicKey.from_valid_secret(_word(z))
    try:  # R = z·G - c·C_0 = z·G + (q - c)·C_0
        r = PublicKey.combine_keys([z_g, point.multiply(_word(_Q - c))]).format()
    except ValueError:  # R at infinity
        r = b""
    if _h(POK_TAG, context, bytes((dealer,)), c0, r) != c:
        raise VerificationFailed(
            f"dealer {dealer}: expected a proof of knowledge of the secret of C_0, found none "
            "(a rogue-key dealing, or one made for another tender, round or index)"
        )


# ---------------------------------------------------------------- dealing


def _share_aad(
    context: bytes, dealer: int, t: int, n: int, commitments: Sequence[bytes], j: int
) -> bytes:
    """The associated data of docs/threshold-keys.md 3.1 (must equal threshold's)."""
    return b"".join((
        threshold.SHARE_AAD_LABEL, len(context).to_bytes(2, "big"), context,
        bytes((t, n, dealer, j)), *commitments,
    ))  # fmt: skip


def deal(setup: DkgSetup, dealer: int, rng: ecies.Rng = secrets.token_bytes) -> DealingBody:
    """Deal custodian ``dealer``'s random polynomial for ``setup``, with its proof of
    knowledge of ``a_0``. Raises MalformedInput for a dealer outside ``1..n``."""
    _n("dealer", dealer, 1, setup.n)
    t, n, context = setup.t, setup.n, setup.context
    while True:  # a zero share has no encoding; probability about n * 2**-256
        coeffs = [_scalar(rng) for _ in range(t)]
        shares = [
            sum(a * pow(j, k, _Q) for k, a in enumerate(coeffs)) % _Q for j in range(1, n + 1)
        ]
        if all(shares):
            break
    commitments = tuple(threshold.public_from_secret(a) for a in coeffs)
    sealed = [
        ecies.encrypt_proven(
            setup.keys[j - 1], threshold.share_to_bytes(s),
            _share_aad(context, dealer, t, n, commitments, j), threshold.SHARE_INFO, rng,
        )
        for j, s in enumerate(shares, 1)
    ]  # fmt: skip
    dealing = threshold.Dealing(
        dealer, t, n, commitments, tuple(c for c, _ in sealed), tuple(p for _, p in sealed)
    )
    pok = prove_constant_term(coeffs[0], context, dealer, rng)
    return DealingBody(setup.tender_id, setup.round, dealer, dealing, pok)


@dataclass(frozen=True, slots=True)
class DealingBody:
    """``chainwitness/dkg-dealing-body`` v1: what postDealing carries, as canonical JSON.

    Members: ``tender_id`` (64 hex), ``round``, ``dealer``, ``dealing`` (a
    ``chainwitness/dkg-dealing`` object) and ``pok`` (128 hex). Raises MalformedInput
    on construction for a bad shape; the dealer must equal ``dealing.dealer``.
    """

    FORMAT: ClassVar[str] = "chainwitness/dkg-dealing-body"
    FIELDS: ClassVar[tuple[str, ...]] = ("tender_id", "round", "dealer", "dealing", "pok")

    tender_id: bytes
    round: int
    dealer: int
    dealing: threshold.Dealing
    pok: bytes

    def __post_init__(self) -> None:
        _b("tender_id", self.tender_id, 32)
        _n("round", self.round, 1, 2**32 - 1)
        _n("dealer", self.dealer, 1, threshold.MAX_CUSTODIANS)
        if type(self.dealing) is not threshold.Dealing or self.dealing.dealer != self.dealer:
            raise MalformedInput(f"dealing: expected the Dealing of dealer {self.dealer}")
        _b("pok", self.pok, POK_SIZE)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.FORMAT, "version": 1, "tender_id": self.tender_id.hex(),
            "round": self.round, "dealer": self.dealer, "dealing": self.dealing.to_json(),
            "pok": self.pok.hex(),
        }  # fmt: skip

    def body(self) -> bytes:
        """The canonical JSON bytes posted on chain; ``keccak256(body)`` is its bodyHash."""
        return canonicalize(self.to_json())

    @classmethod
    def from_body(cls, body: bytes) -> Self:
        """Parse posted bytes. Raises MalformedInput unless they are exactly the canonical
        JSON of a valid body (trailing bytes, other spacing or key order included)."""
        o = _object(body, cls.FORMAT)
        _fields(o, cls.FORMAT, cls.FIELDS)
        pok = o["pok"]
        if type(pok) is not str or len(pok) != 2 * POK_SIZE or not _HEX.issuperset(pok):
            raise MalformedInput(f"pok: expected {2 * POK_SIZE} lowercase hex digits")
        return cls(
            _hex32("tender_id", o["tender_id"]), o["round"], o["dealer"],
            threshold.Dealing.from_json(o["dealing"]), bytes.fromhex(pok),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ComplaintsBody:
    """``chainwitness/dkg-complaints-body`` v1: custodian ``accuser``'s complaints.

    Members: ``tender_id``, ``round``, ``accuser``, ``dealings_hash`` (64 hex: the
    dealings it judged, TenderRegistry.dealingsHash) and ``complaints`` (an array of
    ``chainwitness/dkg-complaint`` objects, each with this accuser). Raises MalformedInput.
    """

    FORMAT: ClassVar[str] = "chainwitness/dkg-complaints-body"
    FIELDS: ClassVar[tuple[str, ...]] = (
        "tender_id",
        "round",
        "accuser",
        "dealings_hash",
        "complaints",
    )

    tender_id: bytes
    round: int
    accuser: int
    dealings_hash: bytes
    complaints: tuple[threshold.Complaint, ...]

    def __post_init__(self) -> None:
        _b("tender_id", self.tender_id, 32)
        _n("round", self.round, 1, 2**32 - 1)
        _n("accuser", self.accuser, 1, threshold.MAX_CUSTODIANS)
        _b("dealings_hash", self.dealings_hash, 32)
        if (
            not isinstance(self.complaints, tuple)
            or len(self.complaints) > threshold.MAX_CUSTODIANS
        ):
            raise MalformedInput("complaints: expected a tuple of at most 32 complaints")
        for c in self.complaints:
            if type(c) is not threshold.Complaint or c.accuser != self.accuser:
                raise MalformedInput(f"complaints: expected complaints by accuser {self.accuser}")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.FORMAT, "version": 1, "tender_id": self.tender_id.hex(),
            "round": self.round, "accuser": self.accuser, "dealings_hash": self.dealings_hash.hex(),
            "complaints": [c.to_json() for c in self.complaints],
        }  # fmt: skip

    def body(self) -> bytes:
        """The canonical JSON bytes posted on chain."""
        return canonicalize(self.to_json())

    @classmethod
    def from_body(cls, body: bytes) -> Self:
        """Parse posted bytes; as :meth:`DealingBody.from_body`."""
        o = _object(body, cls.FORMAT)
        _fields(o, cls.FORMAT, cls.FIELDS)
        if type(o["complaints"]) is not list:
            raise MalformedInput("complaints: expected an array")
        return cls(
            _hex32("tender_id", o["tender_id"]), o["round"], o["accuser"],
            _hex32("dealings_hash", o["dealings_hash"]),
            tuple(threshold.Complaint.from_json(c) for c in o["complaints"]),
        )  # fmt: skip


# ---------------------------------------------------------------- EIP-712 and ECDSA


def domain_separator(chain_id: int, registry: bytes) -> bytes:
    """TenderRegistry's EIP-712 domain: name "ChainWitness TenderRegistry", version "2"."""
    return keccak(b"".join((
        _DOMAIN_TYPE, keccak(b"ChainWitness TenderRegistry"), keccak(b"2"), _word(chain_id),
        b"\0" * 12 + _b("registry", registry, 20),
    )))  # fmt: skip


def _typed(setup: DkgSetup, *words: bytes) -> bytes:
    return keccak(
        b"\x19\x01" + domain_separator(setup.chain_id, setup.registry) + keccak(b"".join(words))
    )


def dealing_digest(setup: DkgSetup, dealer: int, body_hash: bytes) -> bytes:
    """EIP-712 digest of Dealing(tenderId, round, dealer, bodyHash) (TenderRegistry.dealingDigest)."""
    return _typed(
        setup, _DEALING_TYPE, setup.tender_id, _word(setup.round), _word(dealer), body_hash
    )


def complaints_digest(setup: DkgSetup, accuser: int, dealings: bytes, body_hash: bytes) -> bytes:
    """EIP-712 digest of Complaints(tenderId, round, accuser, dealingsHash, bodyHash)."""
    return _typed(setup, _COMPLAINTS_TYPE, setup.tender_id, _word(setup.round), _word(accuser),
                  dealings, body_hash)  # fmt: skip


def key_approval_digest(setup: DkgSetup, group: threshold.GroupKey, transcript: bytes) -> bytes:
    """EIP-712 digest of KeyApproval(tenderId, round, keccak(Y), keccak(A_0..A_{t-1}), transcript)."""
    return _typed(setup, _APPROVAL_TYPE, setup.tender_id, _word(setup.round),
                  keccak(group.public_key), keccak(group.commitments_bytes()), transcript)  # fmt: skip


def address_of(public_key: PublicKey) -> bytes:
    """The 20-byte Ethereum address of a secp256k1 public key."""
    return keccak(public_key.format(compressed=False)[1:])[12:]


def sign_digest(account_secret: bytes, digest: bytes) -> bytes:
    """Sign a 32-byte digest with a chain account's key: ``r || s || v`` (v 27/28, low s)."""
    rs_rec = PrivateKey(_b("account_secret", account_secret, 32)).sign_recoverable(
        _b("digest", digest, 32), hasher=None
    )
    return rs_rec[:64] + bytes((27 + rs_rec[64],))


def recover_signer(digest: bytes, signature: bytes) -> bytes:
    """The address that signed ``digest``. Raises VerificationFailed for a signature that
    is not 65 bytes, has ``s`` above q/2 or ``v`` not 27/28, or does not recover
    (the rules of OpenZeppelin's ECDSA.tryRecover)."""
    _b("digest", digest, 32)
    if type(signature) is not bytes or len(signature) != SIGNATURE_SIZE:
        raise VerificationFailed("signature: expected 65 bytes r || s || v")
    s, v = int.from_bytes(signature[32:64], "big"), signature[64]
    if s > _HALF_Q or v not in (27, 28):
        raise VerificationFailed("signature: expected low s and v in {27, 28}")
    try:
        pub = PublicKey.from_signature_and_message(
            signature[:64] + bytes((v - 27,)), digest, hasher=None
        )
    except ValueError:
        raise VerificationFailed("signature: does not recover to a public key") from None
    return address_of(pub)


def approve_key(
    setup: DkgSetup, group: threshold.GroupKey, transcript: bytes, account_secret: bytes
) -> bytes:
    """A custodian's KeyApproval signature for finalizeKey. The caller must first have
    checked, from its own reading of the chain, that ``group`` is
    ``qualify_transcript(...).group`` and ``transcript`` is the on-chain transcriptHash."""
    return sign_digest(account_secret, key_approval_digest(setup, group, transcript))


# ---------------------------------------------------------------- transcript


def dealings_hash(setup: DkgSetup, body_hashes: Mapping[int, bytes]) -> bytes:
    """TenderRegistry.dealingsHash: ``keccak(tag || tenderId || round || d_1..d_n)``,
    ``d_i`` the posted dealing's bodyHash or 32 zero bytes."""
    words = (body_hashes.get(i, b"\0" * 32) for i in range(1, setup.n + 1))
    return keccak(b"".join((_DEALINGS_TAG, setup.tender_id, _word(setup.round), *words)))


def transcript_hash(
    setup: DkgSetup, dealing_hashes: Mapping[int, bytes], complaint_hashes: Mapping[int, bytes]
) -> bytes:
    """TenderRegistry.transcriptHash: ``keccak(tag || tenderId || round || t || n ||
    custodianKeysHash || dealingsHash || c_1..c_n)``."""
    words = (complaint_hashes.get(i, b"\0" * 32) for i in range(1, setup.n + 1))
    return keccak(b"".join((
        _TRANSCRIPT_TAG, setup.tender_id, _word(setup.round), _word(setup.t), _word(setup.n),
        setup.keys_hash, dealings_hash(setup, dealing_hashes), *words,
    )))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Posted:
    """A message as the chain holds it: the body bytes and the EIP-712 signature."""

    body: bytes
    signature: bytes

    @property
    def body_hash(self) -> bytes:
        return keccak(self.body)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What :func:`qualify_transcript` decides, with the reason for every exclusion.

    ``group`` is the opening key if at least t dealers qualified, else None: the key
    generation is rerun in the next round (``rerun``).
    """

    qualified: tuple[int, ...]
    disqualified: Mapping[int, str]
    rejected: tuple[str, ...]
    ignored: tuple[str, ...]
    transcript_hash: bytes
    group: threshold.GroupKey | None = field(default=None)

    @property
    def rerun(self) -> bool:
        return self.group is None


def _check_dealing(setup: DkgSetup, index: int, posted: Posted) -> DealingBody:
    """Parse and check dealing ``index``; any failure is MalformedInput or VerificationFailed."""
    body = DealingBody.from_body(posted.body)
    d = body.dealing
    if (body.tender_id, body.round, body.dealer) != (setup.tender_id, setup.round, index):
        raise VerificationFailed(
            f"expected tender {setup.tender_id.hex()}, round {setup.round}, dealer {index}, "
            f"found tender {body.tender_id.hex()}, round {body.round}, dealer {body.dealer}"
        )
    if (d.t, d.n) != (setup.t, setup.n):
        raise VerificationFailed(f"expected t={setup.t}, n={setup.n}, found t={d.t}, n={d.n}")
    verify_constant_term(d.commitments[0], body.pok, setup.context, index)
    threshold.verify_dealing(d, setup.keys, setup.context)
    return body


def qualify_transcript(
    setup: DkgSetup, dealings: Mapping[int, Posted], complaints: Mapping[int, Posted]
) -> Outcome:
    """The qualified set from a posted transcript, by a rule anyone can recompute:

    1. A message under index ``i`` whose signature is not custodian ``i``'s (over the
       EIP-712 Dealing or Complaints of this setup) is rejected and reported; it counts
       as not posted. (On chain postDealing already refuses it.)
    2. A dealing that does not parse, names another tender, round, dealer or (t, n),
       lacks a valid proof of knowledge of ``a_0`` or a valid sender proof disqualifies
       its dealer.
    3. A complaint bundle that does not parse or judged other dealings is ignored; so
       is each complaint whose dealer was already disqualified or whose adjudication
       is malformed. A justified complaint disqualifies its dealer.
    4. ``Q`` is the remaining dealers; with ``|Q| >= t`` their combination is the key.

    Never raises for anything in the transcript; raises MalformedInput only for indices
    outside ``1..n``.
    """
    for where, posted_map in (("dealings", dealings), ("complaints", complaints)):
        for i in posted_map:
            _n(f"{where} index", i, 1, setup.n)
    rejected: list[str] = []
    posted_dealings: dict[int, Posted] = {}
    for i, p in sorted(dealings.items()):
        if _signed_by(setup.custodians[i - 1], dealing_digest(setup, i, p.body_hash), p.signature):
            posted_dealings[i] = p
        else:
            rejected.append(f"dealing under index {i}: not signed by custodian {i}")
    good: dict[int, threshold.Dealing] = {}
    disqualified: dict[int, str] = {}
    for i, p in posted_dealings.items():
        try:
            good[i] = _check_dealing(setup, i, p).dealing
        except (MalformedInput, VerificationFailed) as exc:
            disqualified[i] = str(exc)
    seen = dealings_hash(setup, {i: p.body_hash for i, p in posted_dealings.items()})
    ignored: list[str] = []
    posted_complaints: dict[int, Posted] = {}
    for j, p in sorted(complaints.items()):
        if not _signed_by(
            setup.custodians[j - 1], complaints_digest(setup, j, seen, p.body_hash), p.signature
        ):
            rejected.append(
                f"complaints under index {j}: not signed by custodian {j} over these dealings"
            )
            continue
        posted_complaints[j] = p
        try:
            bundle = ComplaintsBody.from_body(p.body)
            if (bundle.tender_id, bundle.round, bundle.accuser) != (
                setup.tender_id,
                setup.round,
                j,
            ):
                raise MalformedInput(f"expected tender, round and accuser {j} of this setup")
        except MalformedInput as exc:
            ignored.append(f"complaints of {j}: {exc}")
            continue
        for c in bundle.complaints:
            if c.dealer not in good:
                ignored.append(f"complaint of {j} against {c.dealer}: no qualifying dealing")
                continue
            try:
                if threshold.adjudicate(c, good[c.dealer], setup.keys, setup.context):
                    disqualified[c.dealer] = f"justified complaint by custodian {j}"
                    del good[c.dealer]
            except MalformedInput as exc:
                ignored.append(f"complaint of {j} against {c.dealer}: {exc}")
    transcript = transcript_hash(
        setup, {i: p.body_hash for i, p in posted_dealings.items()},
        {j: p.body_hash for j, p in posted_complaints.items()},
    )  # fmt: skip
    qualified = tuple(sorted(good))
    group = None
    if len(qualified) >= setup.t:
        try:
            group = threshold.combine(good.values(), qualified)
        except VerificationFailed as exc:
            ignored.append(f"combination: {exc}")
    return Outcome(qualified, disqualified, tuple(rejected), tuple(ignored), transcript, group)


def _signed_by(address: bytes, digest: bytes, signature: bytes) -> bool:
    try:
        return recover_signer(digest, signature) == address
    except VerificationFailed:
        return False
