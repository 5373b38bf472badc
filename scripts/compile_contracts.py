#!/usr/bin/env python3
"""Compile the Solidity contracts into the artifacts the Python service ships.

Usage:
    scripts/compile_contracts.py           # (re)write ledger_service/chain/artifacts/*.json
    scripts/compile_contracts.py --check   # exit 1 if a shipped artifact is stale

The compiler is solc-js from npm behind ``scripts/solc.js`` (handed to py-solc-x as
``solc_binary``); optimizer runs and EVM version are read from ``contracts/foundry.toml`` so
forge tests and shipped bytecode are built with the same settings. Artifacts are written
with sorted keys and a trailing newline, so the same sources always give the same bytes.
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

# Source unit names are repo-relative paths, so metadata (and thus bytecode) does not
# depend on where the repository is checked out.
REMAPPINGS = ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"]


def compiler_settings() -> dict[str, Any]:
    """Return the solc settings (without outputSelection), taken from foundry.toml."""
    profile = tomllib.loads(FOUNDRY_TOML.read_text(encoding="utf-8"))["profile"]["default"]
    return {
        "evmVersion": profile["evm_version"],
        "optimizer": {
            "enabled": bool(profile["optimizer"]),
            "runs": int(profile["optimizer_runs"]),
        },
        "remappings": REMAPPINGS,
    }


def compile_artifacts() -> dict[str, str]:
    """Compile every contract; return {artifact file name: exact file text}."""
    settings = compiler_settings()
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
        texts[f"{name}.json"] = json.dumps(artifact, indent=2, sort_keys=True) + "\n"
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
    ARTIFACT_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (ARTIFACT_DIR / name).write_text(text, encoding="utf-8")
        print(f"wrote {_display(ARTIFACT_DIR / name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
