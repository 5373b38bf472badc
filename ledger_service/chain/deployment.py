"""Where our contracts live on the chain, remembered in ``<data_dir>/deployment.json``.

The first run deploys ``EvidenceLog``, ``TenderRegistry``, ``ContractWitness`` and
``NotaryRegistry`` and writes the file;
later runs read it and check that the chain still has the contracts. A chain that
forgot them (a fresh anvil started without its state file) is refused rather than
silently replaced: the heads anchored and the bids recorded before are not on that
chain. A file written before TenderRegistry, ContractWitness or NotaryRegistry existed
gets the missing contract deployed and added.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ledger_service.chain.client import ChainClient
from ledger_service.chain.contract_witness import CONTRACT_WITNESS, ContractWitnessContract
from ledger_service.chain.evidence_log import EVIDENCE_LOG, EvidenceLogContract
from ledger_service.chain.tender_registry import TENDER_REGISTRY, TenderRegistryContract
from ledger_service.chain.tx import ContractReverted
from ledger_service.chain.wrapper import ContractWrapper
from ledger_service.core.errors import ConfigurationError, MalformedInput

DEPLOYMENT_FILE_NAME = "deployment.json"
FORMAT_VERSION = 1
#: NotaryRegistry's artifact. Its typed wrapper is ``notary.registry`` (the notary's
#: package, which the service never imports); deploying it needs only the name.
NOTARY_REGISTRY = "NotaryRegistry"


class _NotaryRegistryVersion(ContractWrapper):
    """What deployment asks of NotaryRegistry: its ``version()``."""

    ARTIFACT = NOTARY_REGISTRY


@dataclass(frozen=True)
class Deployment:
    """The contracts deployed for this service on one chain.

    ``contracts`` maps an artifact name (``"EvidenceLog"``, ``"TenderRegistry"``,
    ``"ContractWitness"``, ``"NotaryRegistry"``) to its checksummed address.
    ``deployed_at_block`` is the block of the first deployment
    (EvidenceLog's), so no contract's events start before it; a contract added later
    (a migrated file) was deployed after it.
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
    operator: str | None = None,
    notary_authority: str | None = None,
    redeploy_if_missing: bool = False,
) -> Deployment:
    """Return this chain's deployment, deploying on first use what is missing.

    EvidenceLog gets ``admin`` and ``anchorer``; TenderRegistry and ContractWitness get
    ``admin`` and ``operator`` (default: the client's signer, i.e. the service);
    NotaryRegistry gets ``notary_authority`` as its admin, who authorizes notaries (never
    the service: without an authority no NotaryRegistry is deployed). A
    ``deployment.json`` without TenderRegistry, ContractWitness or NotaryRegistry
    (written before they existed) is migrated: the missing contract is deployed and the
    file rewritten with it added. The file is saved after each
    deployment, so a crash in between redeploys nothing already recorded.

    Raises:
        ConfigurationError: ``deployment.json`` is for another chain, or the chain
            has no code at a remembered address (reset chain) and
            ``redeploy_if_missing`` is false, or a remembered address holds another
            contract.
    """
    known = Deployment.load(data_dir)
    path = data_dir / DEPLOYMENT_FILE_NAME
    if known is not None:
        if known.chain_id != client.chain_id:
            raise ConfigurationError(
                f"expected chain id {known.chain_id} as recorded in {path}, found "
                f"{client.chain_id} at {client.rpc_url}; use a data directory per chain"
            )
        if not _present(client, known, EVIDENCE_LOG, path, redeploy_if_missing):
            known = None
    if known is None:
        address, _tx, block = client.deploy(EVIDENCE_LOG, admin, anchorer)
        _check_answers(client, EVIDENCE_LOG, address)
        known = Deployment(
            chain_id=client.chain_id,
            contracts={EVIDENCE_LOG: address},
            deployed_at_block=block,
            deployer=client.address,
        )
        known.save(data_dir)
    for name in (TENDER_REGISTRY, CONTRACT_WITNESS):
        if name in known.contracts and _present(client, known, name, path, redeploy_if_missing):
            continue
        address, _tx, _block = client.deploy(name, admin, operator or client.address)
        _check_answers(client, name, address)
        known = replace(known, contracts={**known.contracts, name: address})
        known.save(data_dir)
    # NotaryRegistry's only role is its admin: the notary authority's own account
    if notary_authority is not None and not (
        NOTARY_REGISTRY in known.contracts
        and _present(client, known, NOTARY_REGISTRY, path, redeploy_if_missing)
    ):
        address, _tx, _block = client.deploy(NOTARY_REGISTRY, notary_authority)
        _check_answers(client, NOTARY_REGISTRY, address)
        known = replace(known, contracts={**known.contracts, NOTARY_REGISTRY: address})
        known.save(data_dir)
    return known


def _present(
    client: ChainClient, known: Deployment, name: str, path: Path, redeploy_if_missing: bool
) -> bool:
    """True if the chain has ``name`` at its recorded address; False if it has no code
    there and redeploying is allowed; otherwise raises ConfigurationError."""
    address = known.address_of(name)
    if client.code_at(address):
        _check_answers(client, name, address)
        return True
    if redeploy_if_missing:
        return False
    raise ConfigurationError(
        f"expected {name} code at {address} on {client.rpc_url} as recorded "
        f"in {path} (deployed at block {known.deployed_at_block} or later), found no code: "
        "the chain was reset (e.g. anvil started without its state file). Restore "
        "the chain state, or redeploy deliberately (redeploy_if_missing=True); heads "
        "anchored and bids recorded on the old chain are not on this one"
    )


def _check_answers(client: ChainClient, name: str, address: str) -> str:
    try:
        if name == TENDER_REGISTRY:
            found = TenderRegistryContract(client, address).version()
        elif name == CONTRACT_WITNESS:
            found = ContractWitnessContract(client, address).version()
        elif name == NOTARY_REGISTRY:
            found = _NotaryRegistryVersion(client, address).version()
        else:
            found = EvidenceLogContract(client, address).version()
    except ContractReverted as exc:
        raise ConfigurationError(
            f"expected {name} at {address} to answer version(), found: {exc}"
        ) from exc
    if not found.startswith(f"{name} "):
        raise ConfigurationError(
            f"expected {name} at {address}, found a contract whose version() is {found!r}"
        )
    return found
