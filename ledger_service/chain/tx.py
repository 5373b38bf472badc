"""Transaction results and decoded contract reverts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import abi_to_signature, collapse_if_tuple
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3.exceptions import ContractLogicError

from ledger_service.core.errors import Conflict

#: errors that revert data may carry even when the artifact's ABI does not list them
_WELL_KNOWN_ERRORS: list[dict[str, Any]] = [
    {"type": "error", "name": "Error", "inputs": [{"name": "reason", "type": "string"}]},
    {"type": "error", "name": "Panic", "inputs": [{"name": "code", "type": "uint256"}]},
    {
        "type": "error",
        "name": "AccessControlUnauthorizedAccount",
        "inputs": [
            {"name": "account", "type": "address"},
            {"name": "neededRole", "type": "bytes32"},
        ],
    },
    {"type": "error", "name": "AccessControlBadConfirmation", "inputs": []},
]


class ContractReverted(Conflict):
    """The contract refused a call; ``error_name`` and ``args`` are the decoded error.

    ``args`` replaces :attr:`BaseException.args` with the error's arguments, e.g.
    ``error_name == "EvidenceLogStaleHead"`` and ``args == (5, 3)``. ``error_name``
    is ``""`` when the revert carries no decodable error. ``result`` is set when the
    transaction was mined with status 0 (gas was spent), None when it was refused
    before sending (gas estimation) or in a read.
    """

    def __init__(
        self,
        contract: str,
        action: str,
        error_name: str,
        args: tuple[Any, ...],
        text: str,
        result: TxResult | None = None,
    ) -> None:
        self.message = f"{contract} refused the {action}: {text}"
        if result is not None:
            self.message += f" (mined in block {result.block_number} as {result.tx_hash})"
        super().__init__(self.message)
        self.contract = contract
        self.action = action
        self.error_name = error_name
        self.args = args
        self.text = text
        self.result = result

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"ContractReverted({self.error_name!r}, {self.args!r}, {self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # BaseException pickles as cls(*self.args), which our args are not
        fields = (self.contract, self.action, self.error_name, self.args, self.text, self.result)
        return (ContractReverted, fields)


@dataclass(frozen=True)
class TxResult:
    tx_hash: str
    block_number: int
    block_hash: str
    block_time: int
    gas_used: int
    status: int


def _revert_data(exc: ContractLogicError) -> bytes | None:
    data: Any = exc.data
    if isinstance(data, dict):
        data = data.get("data")
    if not isinstance(data, str):
        return None
    if data.startswith("Reverted "):
        data = data.split(" ", 1)[1]
    try:
        return bytes(HexBytes(data))
    except ValueError:
        return None


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def decode_revert(
    contract: str, action: str, exc: ContractLogicError, abi: Sequence[dict[str, Any]]
) -> ContractReverted:
    """Decode the custom error in ``exc`` using ``abi`` (plus well-known errors)."""
    data = _revert_data(exc)
    if data is None or len(data) < 4:
        text = exc.message or "reverted without data"
        return ContractReverted(contract, action, "", (), text)
    for entry in [*abi, *_WELL_KNOWN_ERRORS]:
        if entry.get("type") != "error":
            continue
        signature = abi_to_signature(entry)  # type: ignore[arg-type]
        if keccak(text=signature)[:4] != data[:4]:
            continue
        inputs = entry.get("inputs", [])
        types = [collapse_if_tuple(i) for i in inputs]
        try:
            decoded = abi_decode(types, data[4:])
        except (DecodingError, ValueError):
            break
        args = tuple(
            to_checksum_address(v) if t == "address" else v
            for t, v in zip(types, decoded, strict=True)
        )
        shown = ", ".join(
            f"{i.get('name') or f'arg{n}'}={_show(v)}"
            for n, (i, v) in enumerate(zip(inputs, args, strict=True))
        )
        return ContractReverted(contract, action, entry["name"], args, f"{entry['name']}({shown})")
    return ContractReverted(
        contract, action, "", (), f"unknown error 0x{data.hex()} (selector not in the ABI)"
    )
