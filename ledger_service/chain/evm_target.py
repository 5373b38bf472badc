"""EVM targets the shipped bytecode is compiled for, and the opcodes each one lacks.

The contracts ship compiled twice (``scripts/compile_contracts.py``): for ``cancun`` (the
default, what anvil and current public chains run) and for ``paris`` (no ``PUSH0``, ``MCOPY``
or transient storage), which Besu private networks, FISCO BCOS and ChainMaker deployments
that stop before Shanghai can execute. :func:`opcodes_beyond` disassembles runtime code and
names every opcode a target does not have; :data:`PROBE_CANCUN` is init code a node can only
run if it has Cancun's opcodes (``ChainClient.evm_version`` uses it to pick a target).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "CONSERVATIVE_TARGET",
    "DEFAULT_TARGET",
    "EVM_TARGETS",
    "FORKS",
    "PROBE_CANCUN",
    "Opcode",
    "opcodes_beyond",
    "runtime_code",
]

#: the target of ``artifacts/<Name>.json``, and the one for chains without Shanghai
DEFAULT_TARGET: Final = "cancun"
CONSERVATIVE_TARGET: Final = "paris"
#: the targets artifacts are shipped for; the first is the default, in ``artifacts/`` itself
EVM_TARGETS: Final = (DEFAULT_TARGET, CONSERVATIVE_TARGET)

#: hard forks in order; a target has every opcode introduced at or before it
FORKS: Final = (
    "frontier", "homestead", "byzantium", "constantinople", "petersburg", "istanbul",
    "berlin", "london", "paris", "shanghai", "cancun", "prague", "osaka",
)  # fmt: skip

#: opcodes introduced after Frontier/Homestead: byte -> (mnemonic, fork that added it)
_INTRODUCED: Final[dict[int, tuple[str, str]]] = {
    0x3D: ("RETURNDATASIZE", "byzantium"), 0x3E: ("RETURNDATACOPY", "byzantium"),
    0xFA: ("STATICCALL", "byzantium"), 0xFD: ("REVERT", "byzantium"),
    0x1B: ("SHL", "constantinople"), 0x1C: ("SHR", "constantinople"),
    0x1D: ("SAR", "constantinople"), 0x3F: ("EXTCODEHASH", "constantinople"),
    0xF5: ("CREATE2", "constantinople"),
    0x46: ("CHAINID", "istanbul"), 0x47: ("SELFBALANCE", "istanbul"),
    0x48: ("BASEFEE", "london"),
    0x5F: ("PUSH0", "shanghai"),
    0x49: ("BLOBHASH", "cancun"), 0x4A: ("BLOBBASEFEE", "cancun"),
    0x5C: ("TLOAD", "cancun"), 0x5D: ("TSTORE", "cancun"), 0x5E: ("MCOPY", "cancun"),
    0x1E: ("CLZ", "osaka"),
}  # fmt: skip

#: init code PUSH0 PUSH0 PUSH0 MCOPY PUSH0 PUSH0 TSTORE STOP: runs only on Cancun or later
PROBE_CANCUN: Final = bytes.fromhex("5f5f5f5e5f5f5d00")

_PUSH1, _PUSH32 = 0x60, 0x7F


@dataclass(frozen=True)
class Opcode:
    """One instruction found in code: its offset, byte, mnemonic and the fork that added it."""

    offset: int
    byte: int
    name: str
    fork: str

    def __str__(self) -> str:
        return f"{self.name} (0x{self.byte:02x}, {self.fork}) at offset {self.offset}"


def runtime_code(code: bytes) -> bytes:
    """``code`` without solc's CBOR metadata trailer (its last two bytes give its length).

    The trailer is data, not instructions: a byte 0x5f in the IPFS hash is no PUSH0.
    Code whose trailer length does not fit, or that does not look like CBOR (a map, 0xa1-0xa7)
    is returned whole.
    """
    if len(code) < 2:
        return code
    n = int.from_bytes(code[-2:], "big")
    start = len(code) - 2 - n
    if n == 0 or start < 0 or not 0xA1 <= code[start] <= 0xA7:
        return code
    return code[:start]


def opcodes_beyond(code: bytes, target: str) -> list[Opcode]:
    """Every instruction of ``code`` that the EVM of ``target`` does not have.

    Disassembles linearly (skipping PUSH1-PUSH32 immediates) after dropping the metadata
    trailer (:func:`runtime_code`).

    Raises:
        ValueError: ``target`` is not in :data:`FORKS`.
    """
    if target not in FORKS:
        raise ValueError(f"expected an EVM target among {list(FORKS)}, found {target!r}")
    have = FORKS.index(target)
    body = runtime_code(code)
    out: list[Opcode] = []
    i = 0
    while i < len(body):
        op = body[i]
        known = _INTRODUCED.get(op)
        if known is not None and FORKS.index(known[1]) > have:
            out.append(Opcode(i, op, known[0], known[1]))
        i += 1 + (op - _PUSH1 + 1 if _PUSH1 <= op <= _PUSH32 else 0)
    return out
