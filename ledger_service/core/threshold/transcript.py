"""The authenticated transcript of a tender's key generation (docs/threshold-keys.md 10).

The Joint-Feldman DKG of :mod:`~ledger_service.core.threshold.dkg`, wrapped so that an
operator who relays every message can neither forge, suppress nor equivocate one:

- every dealing carries a proof of knowledge of its constant term
  (:mod:`~ledger_service.core.threshold.pok`), so a rogue-key dealing is refused
  without any complaint;
- dealings and complaint bundles are signed by their custodian's chain account with
  EIP-712 (the types TenderRegistry 2 verifies) and posted on chain, write-once;
- the transcript hash and the qualified set follow from the posted messages by one
  deterministic rule (:func:`qualify_transcript`): a malformed dealing disqualifies its
  dealer and never stops the key generation; a message not signed by the custodian of
  its index is rejected and reported;
- the opening key counts only with ``t`` custodian KeyApproval signatures.

Pure: no I/O; randomness from ``rng``. Signatures are 65 bytes ``r || s || v``
(v 27 or 28, low s), as OpenZeppelin's ECDSA accepts them.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from coincurve import PrivateKey, PublicKey
from eth_hash.auto import keccak

from ledger_service.core._secp256k1 import CURVE_ORDER, Rng
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.threshold.bodies import ComplaintsBody, DealingBody, DkgSetup
from ledger_service.core.threshold.dkg import (
    adjudicate,
    combine,
    deal_with_constant_term,
    verify_dealing,
)
from ledger_service.core.threshold.messages import Dealing, GroupKey
from ledger_service.core.threshold.pok import prove_constant_term, verify_constant_term

__all__ = [
    "SIGNATURE_SIZE", "Outcome", "Posted", "address_of", "approve_key", "complaints_digest",
    "deal_body", "dealing_digest", "dealings_hash", "domain_separator", "key_approval_digest",
    "qualify_transcript", "recover_signer", "sign_digest", "transcript_hash",
]  # fmt: skip

SIGNATURE_SIZE = 65
_HALF_Q = CURVE_ORDER // 2
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


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _b(name: str, value: object, size: int) -> bytes:
    if type(value) is not bytes or len(value) != size:
        found = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise MalformedInput(f"{name}: expected {size} bytes, found {found}")
    return value


# ---------------------------------------------------------------- dealing


def deal_body(setup: DkgSetup, dealer: int, rng: Rng = secrets.token_bytes) -> DealingBody:
    """Deal custodian ``dealer``'s random polynomial for ``setup``, with its proof of
    knowledge of ``a_0``. Raises MalformedInput for a dealer outside ``1..n``."""
    if type(dealer) is not int or not 1 <= dealer <= setup.n:
        raise MalformedInput(f"dealer: expected an integer in 1..{setup.n}, found {dealer!r:.60}")
    dealing, a0 = deal_with_constant_term(dealer, setup.t, setup.keys, setup.context, rng)
    pok = prove_constant_term(a0, setup.context, dealer, rng)
    return DealingBody(setup.tender_id, setup.round, dealer, dealing, pok)


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


def key_approval_digest(setup: DkgSetup, group: GroupKey, transcript: bytes) -> bytes:
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
    setup: DkgSetup, group: GroupKey, transcript: bytes, account_secret: bytes
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
    group: GroupKey | None = field(default=None)

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
    verify_dealing(d, setup.keys, setup.context)
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
            if type(i) is not int or not 1 <= i <= setup.n:
                raise MalformedInput(f"{where} index: expected 1..{setup.n}, found {i!r:.60}")
    rejected: list[str] = []
    posted_dealings: dict[int, Posted] = {}
    for i, p in sorted(dealings.items()):
        if _signed_by(setup.custodians[i - 1], dealing_digest(setup, i, p.body_hash), p.signature):
            posted_dealings[i] = p
        else:
            rejected.append(f"dealing under index {i}: not signed by custodian {i}")
    good: dict[int, Dealing] = {}
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
                if adjudicate(c, good[c.dealer], setup.keys, setup.context):
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
            group = combine(good.values(), qualified)
        except VerificationFailed as exc:
            ignored.append(f"combination: {exc}")
    return Outcome(qualified, disqualified, tuple(rejected), tuple(ignored), transcript, group)


def _signed_by(address: bytes, digest: bytes, signature: bytes) -> bool:
    try:
        return recover_signer(digest, signature) == address
    except VerificationFailed:
        return False
