"""Block header hashing by consensus: plain Ethereum, Besu QBFT and Besu IBFT 2.0.

An Ethereum block hash is keccak256 of the RLP list of the header's fields (Yellow Paper,
then EIP-1559, 4895, 4844/4788, 7685). Besu's BFT protocols hash the same list with one
field changed: ``extraData`` is re-encoded without the validators' commit seals (they sign
that very hash, so they cannot be part of it) and with round 0, as Besu's
``BftBlockHashing.calculateHashOfBftBlockOnchain`` does through its codecs:

- QBFT (``QbftExtraDataCodec``): ``extraData = RLP([vanity, validators, vote, round,
  seals])`` with ``vote`` an empty list or ``[address, 0xff | empty]`` and ``round`` an
  integer scalar; hashed as ``[vanity, validators, vote, 0, []]``.
- IBFT 2.0 (``IbftExtraDataCodec``): the same five items, ``vote`` the empty string or
  ``[address, byte]``, ``round`` 4 bytes; hashed as ``[vanity, validators, vote]``.

The genesis block (number 0) is hashed with its ``extraData`` as it is. Each commit seal
is a secp256k1 signature ``r || s || recid`` over the *commit-seal hash*: the header with
seals excluded but the round kept (:func:`commit_seal_hash`, :func:`commit_signers`).

Specification: ``docs/evidence-package.md`` section 5; vectors in ``tests/vectors/besu-bft``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import rlp
from coincurve import PublicKey
from eth_hash.auto import keccak

from ledger_service.core._fields import hex_text, quantity
from ledger_service.core.errors import MalformedInput, VerificationFailed

__all__ = [
    "CONSENSUS_SCHEMES",
    "BftExtraData",
    "bft_quorum",
    "check_commit_seals",
    "commit_seal_hash",
    "commit_signers",
    "header_hash",
]

#: the header hashing rules a trust policy may pin (``chain.consensus``)
CONSENSUS_SCHEMES: Final = ("ethereum", "qbft", "ibft2")

# Block header fields in RLP order. The first 15 are required; the others, when present,
# form a prefix of the rest.
HEADER_FIELDS: Final[tuple[tuple[str, bool], ...]] = (
    ("parentHash", False), ("sha3Uncles", False), ("miner", False), ("stateRoot", False),
    ("transactionsRoot", False), ("receiptsRoot", False), ("logsBloom", False),
    ("difficulty", True), ("number", True), ("gasLimit", True), ("gasUsed", True),
    ("timestamp", True), ("extraData", False), ("mixHash", False), ("nonce", False),
    ("baseFeePerGas", True), ("withdrawalsRoot", False), ("blobGasUsed", True),
    ("excessBlobGas", True), ("parentBeaconBlockRoot", False), ("requestsHash", False),
)  # fmt: skip
_REQUIRED = 15
_EXTRA_DATA = 12  # index of extraData in HEADER_FIELDS
_VANITY_BYTES, _ADDRESS_BYTES, _SEAL_BYTES = 32, 20, 65


def _int_bytes(v: int) -> bytes:
    return v.to_bytes((v.bit_length() + 7) // 8, "big")


def header_items(header: Mapping[str, Any]) -> list[bytes]:
    """The header's RLP items (big-endian integers without leading zeros, raw bytes).

    ``header`` holds the fields of :data:`HEADER_FIELDS` as JSON-RPC hex (the first 15
    required, later ones a prefix of the rest) and may hold ``hash``, ignored here.

    Raises:
        MalformedInput: a field is missing, unknown, or not hex of the right kind.
    """
    known = {name for name, _ in HEADER_FIELDS} | {"hash"}
    unknown = sorted(set(header) - known)
    if unknown:
        raise MalformedInput(f"header: expected only block header fields, found {unknown}")
    items: list[bytes] = []
    for i, (name, is_int) in enumerate(HEADER_FIELDS):
        if name not in header:
            if i < _REQUIRED:
                raise MalformedInput(f"header: expected field {name!r}, found it missing")
            later = [n for n, _ in HEADER_FIELDS[i:] if n in header]
            if later:
                raise MalformedInput(f"header: expected {name!r} before {later}, found it missing")
            break
        if is_int:
            items.append(_int_bytes(quantity(f"header.{name}", header[name])))
        else:
            items.append(bytes.fromhex(hex_text(f"header.{name}", header[name])[2:]))
    return items


# ---------------------------------------------------------------- BFT extraData


@dataclass(frozen=True)
class BftExtraData:
    """The decoded ``extraData`` of a Besu QBFT or IBFT 2.0 header.

    ``vote`` is the RLP item as found (kept as is for re-encoding); ``round`` the round
    number; ``seals`` the 65-byte commit seals.
    """

    consensus: str
    vanity: bytes
    validators: tuple[bytes, ...]
    vote: bytes | list[Any]
    round: int
    seals: tuple[bytes, ...]

    @classmethod
    def decode(cls, consensus: str, data: bytes) -> BftExtraData:
        """Decode strictly (canonical RLP, exactly five items of the right shapes).

        Raises:
            MalformedInput: ``data`` is not such an encoding for ``consensus``.
        """
        what = f"header.extraData ({consensus})"
        try:
            items = rlp.decode(data, strict=True)
        except rlp.exceptions.DecodingError as exc:
            raise MalformedInput(f"{what}: expected canonical RLP, found: {exc}") from None
        if not isinstance(items, list) or len(items) != 5:
            n = len(items) if isinstance(items, list) else "a string, not a list of"
            raise MalformedInput(f"{what}: expected an RLP list of 5 items, found {n} items")
        vanity, validators, vote, rnd, seals = items
        if not isinstance(vanity, bytes) or len(vanity) != _VANITY_BYTES:
            raise MalformedInput(f"{what}: expected 32 bytes of vanity, found {_size(vanity)}")
        if not isinstance(validators, list) or not all(
            isinstance(v, bytes) and len(v) == _ADDRESS_BYTES for v in validators
        ):
            raise MalformedInput(f"{what}: expected a list of 20-byte validator addresses")
        _check_vote(what, consensus, vote)
        if not isinstance(rnd, bytes):
            raise MalformedInput(f"{what}: expected the round as bytes, found a list")
        if consensus == "ibft2" and len(rnd) != 4:
            raise MalformedInput(f"{what}: expected a 4-byte round, found {len(rnd)} bytes")
        if consensus == "qbft" and (len(rnd) > 4 or rnd[:1] == b"\x00"):
            raise MalformedInput(f"{what}: expected the round as an integer scalar, found {rnd!r}")
        if not isinstance(seals, list) or not all(
            isinstance(s, bytes) and len(s) == _SEAL_BYTES for s in seals
        ):
            raise MalformedInput(f"{what}: expected a list of 65-byte commit seals")
        return cls(consensus, vanity, tuple(validators), vote, int.from_bytes(rnd, "big"),
                   tuple(seals))  # fmt: skip

    def encode(self, *, seals: bool, round_number: bool) -> bytes:
        """Re-encode as Besu's codec does: with or without the seals and the round."""
        items: list[Any] = [self.vanity, list(self.validators), self.vote]
        if self.consensus == "qbft":
            rnd = _int_bytes(self.round) if round_number else b""
            items += [rnd, list(self.seals) if seals else []]
        elif round_number:
            items.append(self.round.to_bytes(4, "big"))
            if seals:
                items.append(list(self.seals))
        return bytes(rlp.encode(items))


def _size(value: object) -> str:
    return f"{len(value)} bytes" if isinstance(value, bytes) else "a list"


def _check_vote(what: str, consensus: str, vote: object) -> None:
    none = [] if consensus == "qbft" else b""
    if vote == none:
        return
    if (
        not isinstance(vote, list)
        or len(vote) != 2
        or not isinstance(vote[0], bytes)
        or len(vote[0]) != _ADDRESS_BYTES
        or vote[1] not in ((b"\xff", b"") if consensus == "qbft" else (b"\xff", b"\x00"))
    ):
        raise MalformedInput(
            f"{what}: expected no vote ({'an empty list' if none == [] else 'an empty string'}) "
            "or [20-byte address, vote byte], found another item"
        )


# ---------------------------------------------------------------- hashes


def _check_scheme(consensus: str) -> None:
    if consensus not in CONSENSUS_SCHEMES:
        raise MalformedInput(
            f"consensus: expected one of {list(CONSENSUS_SCHEMES)}, found {consensus!r}"
        )


def _hash_with_extra(items: Sequence[bytes], extra: bytes) -> str:
    fields = [*items[:_EXTRA_DATA], extra, *items[_EXTRA_DATA + 1 :]]
    return "0x" + keccak(rlp.encode(fields)).hex()


def header_hash(header: Mapping[str, Any], consensus: str = "ethereum") -> str:
    """``0x`` + the block hash of ``header`` under ``consensus`` (:data:`CONSENSUS_SCHEMES`).

    ``ethereum``: keccak256(RLP(fields)). ``qbft``/``ibft2``: the same with ``extraData``
    re-encoded without commit seals and with round 0 (not for block 0).

    Raises:
        MalformedInput: a field is malformed (:func:`header_items`), ``extraData`` is not
            of ``consensus``'s shape, or ``consensus`` is unknown.
    """
    _check_scheme(consensus)
    items = header_items(header)
    if consensus == "ethereum" or items[8] == b"":  # block 0 keeps its extraData
        return "0x" + keccak(rlp.encode(items)).hex()
    bft = BftExtraData.decode(consensus, items[_EXTRA_DATA])
    return _hash_with_extra(items, bft.encode(seals=False, round_number=False))


def commit_seal_hash(header: Mapping[str, Any], consensus: str) -> bytes:
    """The 32 bytes each validator's commit seal signs: the header hashed with
    ``extraData`` re-encoded without the seals but with the round.

    Raises:
        MalformedInput: as :func:`header_hash`; also for ``ethereum`` (no seals).
    """
    _check_scheme(consensus)
    if consensus == "ethereum":
        raise MalformedInput("consensus: expected qbft or ibft2 for commit seals, found ethereum")
    items = header_items(header)
    bft = BftExtraData.decode(consensus, items[_EXTRA_DATA])
    return bytes.fromhex(_hash_with_extra(items, bft.encode(seals=False, round_number=True))[2:])


def commit_signers(header: Mapping[str, Any], consensus: str) -> list[str]:
    """The ``0x`` addresses (lowercase) that signed the header's commit seals, in order.

    Raises:
        MalformedInput: as :func:`commit_seal_hash`, or a seal that recovers no key.
    """
    digest = commit_seal_hash(header, consensus)
    items = header_items(header)
    out = []
    for i, seal in enumerate(BftExtraData.decode(consensus, items[_EXTRA_DATA]).seals):
        try:
            key = PublicKey.from_signature_and_message(seal, digest, hasher=None)
        except ValueError as exc:
            raise MalformedInput(
                f"header.extraData: commit seal {i} recovers no key: {exc}"
            ) from None
        out.append("0x" + keccak(key.format(compressed=False)[1:])[-20:].hex())
    return out


def bft_quorum(n: int) -> int:
    """Seals a block of ``n`` validators needs: ceil(2n / 3) (Besu's
    ``BftHelpers.calculateRequiredValidatorQuorum``)."""
    return -(-2 * n // 3)


def check_commit_seals(
    header: Mapping[str, Any], consensus: str, validators: Sequence[str], name: str
) -> int:
    """The header carries commit seals of at least :func:`bft_quorum` of the pinned
    ``validators`` (``0x`` addresses, any case); returns how many distinct ones sealed it.

    A seal by anyone else counts for nothing; so does a second seal by the same validator.

    Raises:
        VerificationFailed: fewer than the quorum sealed it, or a seal is malformed.
    """
    pinned = {v.lower() for v in validators}
    need = bft_quorum(len(pinned))
    try:
        signers = commit_signers(header, consensus)
    except MalformedInput as exc:
        raise VerificationFailed(f"{name}: expected valid commit seals, found: {exc}") from exc
    sealed = pinned.intersection(signers)
    if len(sealed) < need:
        raise VerificationFailed(
            f"{name}: expected commit seals of at least {need} of the {len(pinned)} pinned "
            f"validators, found {len(sealed)} (seals by {signers or 'no one'})"
        )
    return len(sealed)
