"""Where our contracts live on the chain, remembered in ``<data_dir>/deployment.json``.

The first run deploys ``EvidenceLog`` and writes the file; later runs read it
and check that the chain still has the contract. A chain that forgot it (a
fresh anvil started without its state file) is refused rather than silently
replaced: the heads anchored before are not on that chain.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger_service.chain.client import (
    EVIDENCE_LOG,
    ChainClient,
    ContractReverted,
    EvidenceLogContract,
)
from ledger_service.core.errors import ConfigurationError, MalformedInput

DEPLOYMENT_FILE_NAME = "deployment.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Deployment:
    """The contracts deployed for this service on one chain.

    ``contracts`` maps an artifact name (``"EvidenceLog"``) to its checksummed address.
    """

    chain_id: int
    contracts: dict[str, str] = field(hash=False)
    deployed_at_block: int
    deployer: str

    def __post_init__(self) -> None:
        if self.chain_id <= 0:
            raise MalformedInput(f"expected a chain id > 0, found {self.chain_id}")
        if self.deployed_at_block < 0:
            raise MalformedInput(f"expected a block number >= 0, found {self.deployed_at_block}")
        for name, address in self.contracts.items():
            if not (isinstance(address, str) and address.startswith("0x") and len(address) == 42):
                raise MalformedInput(
                    f"expected a 0x address of 40 hex digits for {name}, found {address!r}"
                )

    def address_of(self, name: str = EVIDENCE_LOG) -> str:
        try:
            return self.contracts[name]
        except KeyError:
            raise ConfigurationError(
                f"expected a deployed {name}, found only {sorted(self.contracts)}"
            ) from None

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": FORMAT_VERSION,
                "chain_id": self.chain_id,
                "contracts": dict(sorted(self.contracts.items())),
                "deployed_at_block": self.deployed_at_block,
                "deployer": self.deployer,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Deployment:
        """Parse :meth:`to_json` output. Raises MalformedInput on any deviation."""
        try:
            raw: Any = json.loads(text)
        except ValueError as exc:
            raise MalformedInput(f"expected deployment JSON, found: {exc}") from exc
        expected = {"version", "chain_id", "contracts", "deployed_at_block", "deployer"}
        if not isinstance(raw, dict) or set(raw) != expected:
            found = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
            raise MalformedInput(f"expected deployment fields {sorted(expected)}, found {found}")
        if raw["version"] != FORMAT_VERSION:
            raise MalformedInput(
                f"expected deployment format version {FORMAT_VERSION}, found {raw['version']!r}"
            )
        ints = ("chain_id", "deployed_at_block")
        if any(type(raw[k]) is not int for k in ints) or not isinstance(raw["contracts"], dict):
            raise MalformedInput(
                "expected integer chain_id and deployed_at_block and an object of contracts, "
                f"found {raw!r}"
            )
        return cls(
            chain_id=raw["chain_id"],
            contracts=dict(raw["contracts"]),
            deployed_at_block=raw["deployed_at_block"],
            deployer=str(raw["deployer"]),
        )

    def save(self, data_dir: Path) -> Path:
        """Write ``<data_dir>/deployment.json`` atomically (temp file + rename)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / DEPLOYMENT_FILE_NAME
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(self.to_json() + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, data_dir: Path) -> Deployment | None:
        """Read ``<data_dir>/deployment.json``; None if there is none yet."""
        path = data_dir / DEPLOYMENT_FILE_NAME
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return cls.from_json(text)
        except MalformedInput as exc:
            raise ConfigurationError(f"expected a valid {path}, found: {exc}") from exc


def ensure_deployed(
    client: ChainClient,
    data_dir: Path,
    admin: str,
    anchorer: str,
    *,
    redeploy_if_missing: bool = False,
) -> Deployment:
    """Return the EvidenceLog deployment for this chain, deploying it on first use.

    Raises:
        ConfigurationError: ``deployment.json`` is for another chain, or the chain
            has no EvidenceLog at the remembered address (reset chain) and
            ``redeploy_if_missing`` is false.
    """
    known = Deployment.load(data_dir)
    if known is not None:
        path = data_dir / DEPLOYMENT_FILE_NAME
        if known.chain_id != client.chain_id:
            raise ConfigurationError(
                f"expected chain id {known.chain_id} as recorded in {path}, found "
                f"{client.chain_id} at {client.rpc_url}; use a data directory per chain"
            )
        address = known.address_of(EVIDENCE_LOG)
        if client.code_at(address):
            _check_answers(client, address)
            return known
        if not redeploy_if_missing:
            raise ConfigurationError(
                f"expected {EVIDENCE_LOG} code at {address} on {client.rpc_url} as recorded "
                f"in {path} (deployed at block {known.deployed_at_block}), found no code: "
                "the chain was reset (e.g. anvil started without its state file). Restore "
                "the chain state, or redeploy deliberately (redeploy_if_missing=True); heads "
                "anchored on the old chain are not on this one"
            )
    address, _tx, block = client.deploy(EVIDENCE_LOG, admin, anchorer)
    _check_answers(client, address)
    deployment = Deployment(
        chain_id=client.chain_id,
        contracts={EVIDENCE_LOG: address},
        deployed_at_block=block,
        deployer=client.address,
    )
    deployment.save(data_dir)
    return deployment


def _check_answers(client: ChainClient, address: str) -> str:
    try:
        return EvidenceLogContract(client, address).version()
    except ContractReverted as exc:
        raise ConfigurationError(
            f"expected {EVIDENCE_LOG} at {address} to answer version(), found: {exc}"
        ) from exc
