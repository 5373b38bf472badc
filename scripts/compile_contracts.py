#!/usr/bin/env python3
"""Compile the Solidity contracts into the artifacts the Python service ships.

Usage:
    scripts/compile_contracts.py           # (re)write ledger_service/chain/artifacts/
    scripts/compile_contracts.py --check   # exit 1 if a shipped artifact is stale

Every contract is compiled once per EVM target of :data:`EVM_TARGETS`: foundry.toml's
``evm_version`` (``cancun``) into ``artifacts/<Name>.json``, and each other target (``paris``:
no PUSH0, MCOPY or transient storage, for consortium chains that stop before Shanghai) into
``artifacts/<target>/<Name>.json``. The service picks one by ``CHAINWITNESS_EVM_VERSION``.

The compiler is solc-js from npm behind ``scripts/solc.js`` (handed to py-solc-x as
``solc_binary``); optimizer runs are read from ``contracts/foundry.toml`` so forge tests and
shipped bytecode are built with the same settings. Artifacts are written with sorted keys and
a trailing newline, so the same sources always give the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import solcx

REPO = Path(__file__).resolve().parents[1]
SOLC = REPO / "scripts" / "solc.js"
FOUNDRY_TOML = REPO / "contracts" / "foundry.toml"
ARTIFACT_DIR = REPO / "ledger_service" / "chain" / "artifacts"

# (repo-relative source path, contract name): one artifact per contract.
CONTRACTS: tuple[tuple[str, str], ...] = (
    ("contracts/src/EvidenceLog.sol", "EvidenceLog"),
    ("contracts/src/TenderRegistry.sol", "TenderRegistry"),
    ("contracts/src/ContractWitness.sol", "ContractWitness"),
    ("contracts/src/NotaryRegistry.sol", "NotaryRegistry"),
    ("contracts/bench/NaiveRecordStore.sol", "NaiveRecordStore"),
)

#: EVM targets shipped. The first is foundry.toml's evm_version, written to ARTIFACT_DIR itself.
EVM_TARGETS: tuple[str, ...] = ("cancun", "paris")

# Source unit names are repo-relative paths, so metadata (and thus bytecode) does not
# depend on where the repository is checked out.
REMAPPINGS = ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"]


def compiler_settings(evm_version: str | None = None) -> dict[str, Any]:
    """Return the solc settings (without outputSelection), taken from foundry.toml;
    ``evm_version`` overrides foundry.toml's."""
    profile = tomllib.loads(FOUNDRY_TOML.read_text(encoding="utf-8"))["profile"]["default"]
    if profile["evm_version"] != EVM_TARGETS[0]:
        raise SystemExit(
            f"expected foundry.toml evm_version {EVM_TARGETS[0]!r} (EVM_TARGETS[0]), "
            f"found {profile['evm_version']!r}"
        )
    return {
        "evmVersion": evm_version or profile["evm_version"],
        "optimizer": {
            "enabled": bool(profile["optimizer"]),
            "runs": int(profile["optimizer_runs"]),
        },
        "remappings": REMAPPINGS,
    }


def artifact_path(evm_version: str, name: str) -> str:
    """The file name of an artifact under ARTIFACT_DIR (``EvidenceLog.json``, ``paris/...``)."""
    return f"{name}.json" if evm_version == EVM_TARGETS[0] else f"{evm_version}/{name}.json"


def compile_artifacts() -> dict[str, str]:
    """Compile every contract for every target; return {artifact path: exact file text}."""
    texts: dict[str, str] = {}
    for evm_version in EVM_TARGETS:
        texts.update(compile_target(evm_version))
    return texts


def compile_target(evm_version: str) -> dict[str, str]:
    """Compile every contract for one EVM target; return {artifact path: exact file text}."""
    settings = compiler_settings(evm_version)
    standard_input = {
        "language": "Solidity",
        "sources": {
            path: {"content": (REPO / path).read_text(encoding="utf-8")}
            for path in sorted({path for path, _ in CONTRACTS})
        },
        "settings": {
            **settings,
            "outputSelection": {
                "*": {
                    "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata"]
                }
            },
        },
    }
    output = solcx.compile_standard(standard_input, solc_binary=SOLC, allow_paths=[str(REPO)])
    texts: dict[str, str] = {}
    for path, name in CONTRACTS:
        contract = output["contracts"][path][name]
        metadata = json.loads(contract["metadata"])
        artifact = {
            "contractName": name,
            "abi": contract["abi"],
            "bytecode": "0x" + contract["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + contract["evm"]["deployedBytecode"]["object"],
            "compiler": {"version": metadata["compiler"]["version"], "settings": settings},
            # Every source unit this contract was built from, by repo-relative path.
            "sourceSha256": {
                source: hashlib.sha256((REPO / source).read_bytes()).hexdigest()
                for source in sorted(metadata["sources"])
            },
        }
        texts[artifact_path(evm_version, name)] = (
            json.dumps(artifact, indent=2, sort_keys=True) + "\n"
        )
    return texts


def _display(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if a shipped artifact is stale"
    )
    args = parser.parse_args(argv)
    texts = compile_artifacts()
    if args.check:
        stale = [
            name
            for name, text in texts.items()
            if not (ARTIFACT_DIR / name).is_file()
            or (ARTIFACT_DIR / name).read_text(encoding="utf-8") != text
        ]
        if stale:
            rel = ", ".join(_display(ARTIFACT_DIR / name) for name in stale)
            print(
                f"stale contract artifact(s): {rel}; run scripts/compile_contracts.py",
                file=sys.stderr,
            )
            return 1
        print(f"contract artifacts are fresh: {', '.join(sorted(texts))}")
        return 0
    for name, text in texts.items():
        (ARTIFACT_DIR / name).parent.mkdir(parents=True, exist_ok=True)
        (ARTIFACT_DIR / name).write_text(text, encoding="utf-8")
        print(f"wrote {_display(ARTIFACT_DIR / name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
