"""ContractWitness: the EIP-712 message a contract party signs, and typed access to it.

As in :mod:`ledger_service.chain.tender_registry`, two halves. The pure helpers
(:func:`contract_id_bytes`, :func:`contract_date`, :func:`contract_typed_data`) need no
node: a party builds the typed data on its own machine, signs it with its own key
(:func:`~ledger_service.chain.eip712.sign_typed`) and hands the signature to the
service, which relays it and pays the gas but cannot forge, alter or replay it.
:class:`ContractWitnessContract` is the service's adapter to one deployed contract.

Typed data dicts are in the JSON shape of ``eth_signTypedData_v4`` (byte values as
0x-hex strings), so a wallet can sign the same dict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.types import BlockIdentifier

from ledger_service.chain.abi_values import address as _address
from ledger_service.chain.abi_values import bytes32 as _bytes32
from ledger_service.chain.abi_values import uint as _uint
from ledger_service.chain.tx import TxResult
from ledger_service.chain.wrapper import ContractEvent, Eip712Wrapper
from ledger_service.core.errors import MalformedInput

CONTRACT_WITNESS = "ContractWitness"
OPERATOR_ROLE = keccak(text="OPERATOR_ROLE")
#: fewest and most parties a contract may have (the contract's MIN_PARTIES, MAX_PARTIES)
MIN_PARTIES, MAX_PARTIES = 2, 8
EIP712_NAME = "ChainWitness ContractWitness"
EIP712_VERSION = "1"
_UINT64_MAX = 2**64 - 1
_UINT256_MAX = 2**256 - 1
_ZERO32 = bytes(32)
_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
_SIGNATURE_TYPE = [
    {"name": "contractId", "type": "bytes32"},
    {"name": "documentDigest", "type": "bytes32"},
    {"name": "parties", "type": "address[]"},
    {"name": "amount", "type": "uint256"},
    {"name": "date", "type": "uint64"},
    {"name": "termsDigest", "type": "bytes32"},
    {"name": "previous", "type": "bytes32"},
]


# -- pure helpers: what a party signs -------------------------------------------


def contract_id_bytes(code: str) -> bytes:
    """The on-chain id of a contract: keccak256 of its code's UTF-8 bytes (32 bytes).

    The code is hashed exactly as given (no trimming, case folding or normalisation).

    Raises:
        MalformedInput: the code is empty.
    """
    if not code:
        raise MalformedInput("expected a non-empty contract code, found an empty string")
    return keccak(code.encode("utf-8"))


def contract_date(iso_date: str) -> int:
    """The on-chain ``date`` of an ISO 8601 calendar date (``YYYY-MM-DD``): Unix seconds
    of 00:00:00 UTC on that day.

    Raises:
        MalformedInput: not a ``YYYY-MM-DD`` date.
    """
    try:
        if not isinstance(iso_date, str) or len(iso_date) != 10:
            raise ValueError("not 10 characters")
        day = date.fromisoformat(iso_date)
    except ValueError as exc:
        raise MalformedInput(f"expected a date as YYYY-MM-DD, found {iso_date!r}") from exc
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _parties(parties: Sequence[str]) -> list[ChecksumAddress]:
    if not MIN_PARTIES <= len(parties) <= MAX_PARTIES:
        raise MalformedInput(
            f"expected {MIN_PARTIES} to {MAX_PARTIES} parties, found {len(parties)}"
        )
    checked = [_address(f"party {i}", p) for i, p in enumerate(parties, start=1)]
    if len(set(checked)) != len(checked):
        raise MalformedInput(f"expected distinct parties, found {checked}")
    return checked


def _previous(previous: bytes | None) -> bytes:
    return _ZERO32 if previous is None else _bytes32("previous", previous)


def contract_typed_data(
    chain_id: int,
    witness: str,
    contract_id: bytes,
    document_digest: bytes,
    parties: Sequence[str],
    amount: int,
    date: int,
    terms_digest: bytes,
    previous: bytes | None = None,
) -> dict[str, Any]:
    """The EIP-712 ``ContractSignature`` message every party of a contract signs for
    ``sign`` on the ContractWitness at ``witness``.

    ``parties`` must be in registration order; ``previous`` is the id of the contract
    amended (None for an original contract). All parties sign the same message.

    Raises:
        MalformedInput: an id or digest is not 32 bytes, an address is malformed, the
            parties are not 2..8 distinct addresses, ``chain_id`` <= 0, or ``amount`` /
            ``date`` outside uint256 / uint64.
    """
    if type(chain_id) is not int or chain_id <= 0:
        raise MalformedInput(f"expected a chain id > 0, found {chain_id!r}")
    return {
        "types": {"EIP712Domain": _DOMAIN_TYPE, "ContractSignature": _SIGNATURE_TYPE},
        "primaryType": "ContractSignature",
        "domain": {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "chainId": chain_id,
            "verifyingContract": _address("the witness contract address", witness),
        },
        "message": {
            "contractId": "0x" + _bytes32("contract_id", contract_id).hex(),
            "documentDigest": "0x" + _bytes32("document_digest", document_digest).hex(),
            "parties": _parties(parties),
            "amount": _uint("amount", amount, _UINT256_MAX),
            "date": _uint("date", date, _UINT64_MAX),
            "termsDigest": "0x" + _bytes32("terms_digest", terms_digest).hex(),
            "previous": "0x" + _previous(previous).hex(),
        },
    }


# -- on-chain state and events ------------------------------------------------


@dataclass(frozen=True)
class ContractView:
    """IContractWitness.ContractView; ``previous`` and ``amended_by`` are None when unset."""

    document_digest: bytes
    terms_digest: bytes
    previous: bytes | None
    amended_by: bytes | None
    amount: int
    date: int
    registered_at: int
    completed_at: int
    signature_count: int
    parties: tuple[ChecksumAddress, ...]

    @property
    def exists(self) -> bool:
        return bool(self.parties)

    @property
    def complete(self) -> bool:
        return self.exists and self.signature_count == len(self.parties)


@dataclass(frozen=True)
class PartySignature:
    """A party and its signing time (chain time), 0 if it has not signed."""

    party: ChecksumAddress
    signed_at: int


#: One ContractWitness log.
WitnessEvent = ContractEvent


_EVENT_NAMES = ("ContractRegistered", "ContractAmended", "ContractSigned", "ContractCompleted")


def _none_if_zero(value: bytes) -> bytes | None:
    return None if value == _ZERO32 else value


# -- the contract ---------------------------------------------------------------


class ContractWitnessContract(Eip712Wrapper):
    """Typed access to one deployed ``ContractWitness``.

    Writes are signed by the client's signer: the operator registers contracts, any
    funded account may relay a party's signature. Each raises
    :class:`~ledger_service.chain.tx.ContractReverted` with the decoded
    ``ContractWitness...`` error. Reads take ``block_identifier`` (default ``"latest"``).
    """

    ARTIFACT = CONTRACT_WITNESS

    def typed_data(
        self,
        contract_id: bytes,
        document_digest: bytes,
        parties: Sequence[str],
        amount: int,
        date: int,
        terms_digest: bytes,
        previous: bytes | None = None,
    ) -> dict[str, Any]:
        """:func:`contract_typed_data` for this chain and this witness contract."""
        return contract_typed_data(
            self.client.chain_id, self.address, contract_id, document_digest, parties,
            amount, date, terms_digest, previous,
        )  # fmt: skip

    # -- writes ----------------------------------------------------------------

    def register_contract(
        self,
        contract_id: bytes,
        document_digest: bytes,
        parties: Sequence[str],
        amount: int,
        date: int,
        terms_digest: bytes,
        previous: bytes | None = None,
        *,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        """Register a contract, or an amendment of ``previous`` (OPERATOR_ROLE)."""
        fn = self.contract.functions.registerContract(
            _bytes32("contract_id", contract_id),
            _bytes32("document_digest", document_digest),
            _parties(parties),
            _uint("amount", amount, _UINT256_MAX),
            _uint("date", date, _UINT64_MAX),
            _bytes32("terms_digest", terms_digest),
            _previous(previous),
        )
        return self._send(fn, on_sent)

    def sign(
        self,
        contract_id: bytes,
        party: str,
        signature: bytes,
        *,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        """Relay ``party``'s signature over the contract's :func:`contract_typed_data`."""
        fn = self.contract.functions.sign(
            _bytes32("contract_id", contract_id), _address("party", party), signature
        )
        return self._send(fn, on_sent)

    def grant_operator(self, address: str) -> TxResult:
        """Give ``address`` OPERATOR_ROLE (the signer must hold the admin role)."""
        fn = self.contract.functions.grantRole(OPERATOR_ROLE, _address("operator", address))
        return self.client.send(fn)

    # -- reads -----------------------------------------------------------------

    def get_contract(
        self, contract_id: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> ContractView:
        """The contract; all zero with no parties for an id never registered."""
        fn = self.contract.functions.getContract(_bytes32("contract_id", contract_id))
        c = self._read(fn, block_identifier)
        return ContractView(
            document_digest=bytes(c[0]),
            terms_digest=bytes(c[1]),
            previous=_none_if_zero(bytes(c[2])),
            amended_by=_none_if_zero(bytes(c[3])),
            amount=c[4],
            date=c[5],
            registered_at=c[6],
            completed_at=c[7],
            signature_count=c[8],
            parties=tuple(to_checksum_address(p) for p in c[9]),
        )

    def signatures(
        self, contract_id: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> list[PartySignature]:
        """Every party with its signing time (0: not signed), in registration order."""
        fn = self.contract.functions.signatures(_bytes32("contract_id", contract_id))
        return [
            PartySignature(to_checksum_address(p), int(t))
            for p, t in self._read(fn, block_identifier)
        ]

    def is_complete(self, contract_id: bytes, block_identifier: BlockIdentifier = "latest") -> bool:
        fn = self.contract.functions.isComplete(_bytes32("contract_id", contract_id))
        return bool(self._read(fn, block_identifier))

    def signature_digest(
        self, contract_id: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> bytes:
        """The EIP-712 digest the parties sign; equals
        ``typed_data_digest(self.typed_data(...))`` for the registered values."""
        fn = self.contract.functions.signatureDigest(_bytes32("contract_id", contract_id))
        return bytes(self._read(fn, block_identifier))

    # -- events ----------------------------------------------------------------

    def events(
        self,
        from_block: BlockIdentifier,
        to_block: BlockIdentifier = "latest",
        *,
        contract_id: bytes | None = None,
    ) -> list[WitnessEvent]:
        """Every ContractWitness event in ``[from_block, to_block]`` in chain order,
        optionally only those naming ``contract_id`` (as the contract or as the
        ``previous`` of an amendment)."""
        wanted = None if contract_id is None else _bytes32("contract_id", contract_id)
        found: list[WitnessEvent] = []
        for name in _EVENT_NAMES:
            for log in self.client.get_logs(self.contract.events[name](), from_block, to_block):
                args = dict(log["args"])
                ids = {bytes(v) for k, v in args.items() if k in ("contractId", "previous",
                                                                   "amendment")}  # fmt: skip
                if wanted is not None and wanted not in ids:
                    continue
                found.append(WitnessEvent(
                    name, args, Web3.to_hex(HexBytes(log["transactionHash"])),
                    int(log["blockNumber"]), int(log["logIndex"]),
                ))  # fmt: skip
        return sorted(found, key=lambda e: (e.block_number, e.log_index))
