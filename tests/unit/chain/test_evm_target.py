"""Shipped bytecode uses only the opcodes of the EVM it was compiled for.

Every artifact of every target in ``ledger_service/chain/artifacts/`` is disassembled and
refused if it holds an opcode its target lacks (PUSH0 before Shanghai; MCOPY, TLOAD/TSTORE,
BLOBHASH, BLOBBASEFEE before Cancun).
"""

from __future__ import annotations

import typing

import pytest

from ledger_service.chain.compiled import artifact_file, load_artifact
from ledger_service.chain.evm_target import (
    DEFAULT_TARGET,
    EVM_TARGETS,
    FORKS,
    PROBE_CANCUN,
    opcodes_beyond,
    runtime_code,
)
from ledger_service.core.errors import ConfigurationError
from ledger_service.settings import Settings

CONTRACTS = (
    "EvidenceLog",
    "TenderRegistry",
    "ContractWitness",
    "NotaryRegistry",
    "NaiveRecordStore",
)
# a solc trailer: CBOR map {"ipfs": 34 bytes, "solc": 0.8.37} whose hash holds 0x5f and 0x5e
TRAILER = (
    bytes.fromhex("a2646970667358221220") + bytes([0x5F, 0x5E] * 16)
    + bytes.fromhex("64736f6c63430008250033")
)  # fmt: skip


@pytest.mark.parametrize("target", EVM_TARGETS)
@pytest.mark.parametrize("name", CONTRACTS)
def test_artifact_holds_only_its_targets_opcodes(name: str, target: str) -> None:
    artifact = load_artifact(name, target)
    assert artifact["compiler"]["settings"]["evmVersion"] == target
    for field in ("deployedBytecode", "bytecode"):
        code = bytes.fromhex(artifact[field][2:])
        assert len(code) > 100
        found = opcodes_beyond(code, target)
        assert found == [], f"{artifact_file(name, target)} {field}: {', '.join(map(str, found))}"


@pytest.mark.parametrize("name", CONTRACTS)
def test_default_artifacts_would_fail_on_paris(name: str) -> None:
    # the check has teeth: cancun bytecode uses PUSH0, which a Paris chain rejects
    code = bytes.fromhex(load_artifact(name, DEFAULT_TARGET)["deployedBytecode"][2:])
    names = {op.name for op in opcodes_beyond(code, "paris")}
    assert "PUSH0" in names
    assert opcodes_beyond(code, "cancun") == []


def test_targets_share_the_abi() -> None:
    for name in CONTRACTS:
        assert load_artifact(name, "paris")["abi"] == load_artifact(name, "cancun")["abi"]


def test_known_answers() -> None:
    assert [str(op) for op in opcodes_beyond(bytes([0x5F, 0x00]), "paris")] == [
        "PUSH0 (0x5f, shanghai) at offset 0"
    ]
    assert opcodes_beyond(bytes([0x5F, 0x00]), "shanghai") == []
    # MCOPY and TSTORE are Cancun's, SELFBALANCE Istanbul's
    assert [op.name for op in opcodes_beyond(bytes([0x47, 0x5E, 0x5D]), "shanghai")] == [
        "MCOPY", "TSTORE"
    ]  # fmt: skip
    assert [op.name for op in opcodes_beyond(bytes([0x47]), "petersburg")] == ["SELFBALANCE"]
    assert [op.name for op in opcodes_beyond(bytes([0x49, 0x4A, 0x5C]), "paris")] == [
        "BLOBHASH", "BLOBBASEFEE", "TLOAD"
    ]  # fmt: skip
    # immediates are data: PUSH1 0x5f and PUSH32 of 0x5e bytes hold no PUSH0/MCOPY
    assert opcodes_beyond(bytes([0x60, 0x5F, 0x7F]) + bytes([0x5E] * 32), "paris") == []
    # one byte short of a PUSH2 immediate: the last byte is still data
    assert opcodes_beyond(bytes([0x61, 0x5F]), "paris") == []
    assert [op.offset for op in opcodes_beyond(bytes([0x61, 0x00, 0x00, 0x5F]), "paris")] == [3]
    assert [op.name for op in opcodes_beyond(PROBE_CANCUN, "shanghai")] == ["MCOPY", "TSTORE"]


def test_metadata_trailer_is_not_code() -> None:
    code = bytes([0x60, 0x80, 0x00]) + TRAILER
    assert runtime_code(code) == bytes([0x60, 0x80, 0x00])
    assert opcodes_beyond(code, "paris") == []
    # without a CBOR map where the length points, the whole code is disassembled
    not_cbor = bytes([0x5F]) + bytes(30) + (16).to_bytes(2, "big")
    assert runtime_code(not_cbor) == not_cbor
    assert [op.offset for op in opcodes_beyond(not_cbor, "paris")] == [0]
    assert runtime_code(b"\x00") == b"\x00"
    assert runtime_code(bytes([0x5F, 0x00, 0x09])) == bytes([0x5F, 0x00, 0x09])


def test_unknown_target_is_refused() -> None:
    with pytest.raises(ValueError, match="expected an EVM target among .*found 'berlinn'"):
        opcodes_beyond(b"", "berlinn")
    with pytest.raises(ConfigurationError, match="expected an EVM target among.*found 'london'"):
        load_artifact("EvidenceLog", "london")
    assert set(EVM_TARGETS) <= set(FORKS)


def test_setting_offers_the_shipped_targets() -> None:
    hint = typing.get_type_hints(Settings)["evm_version"]
    assert set(typing.get_args(hint)) == {"auto", *EVM_TARGETS}
    assert Settings().evm_version == "auto"
