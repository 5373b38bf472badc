"""Composition root: builds the stores, the chain client and the domain services.

Nothing below imports this module: domain services receive their collaborators as
typed constructor arguments; only the shells (CLI, API app, scripts, tests) open a
runtime. Nothing here runs at import time; ``open_services`` builds everything and
``Services.close`` undoes it.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from eth_account.signers.local import LocalAccount

from ledger_service.chain.client import ChainClient
from ledger_service.chain.contract_witness import ContractWitnessContract
from ledger_service.chain.deployment import ensure_deployed
from ledger_service.chain.dev_funding import DevFunder
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.keys import create_keystore, load_signer
from ledger_service.chain.node import DataDirLock, ManagedAnvil, NodeSupervisor
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.core.canonical import parse_json_strict
from ledger_service.core.errors import ConfigurationError, MalformedInput, NotConfigured
from ledger_service.cosigner.collector import httpx_post
from ledger_service.econtracts.service import ContractService
from ledger_service.evidence.checkpointing import (
    CheckpointPublisher,
    ensure_log_key,
    ensure_log_sm2_key,
    parse_witness,
)
from ledger_service.evidence.packaging import PackageSources
from ledger_service.evidence.timestamping import HttpTimestamper
from ledger_service.settings import Settings
from ledger_service.store.anchors import AnchorStore
from ledger_service.store.blobs import BlobStore
from ledger_service.store.checkpoints import CheckpointStore
from ledger_service.store.db import Checkpointer, make_engine, migrate
from ledger_service.store.econtracts import ContractStore
from ledger_service.store.log import LogStore
from ledger_service.store.tenders import TenderStore
from ledger_service.store.tokens import list_tokens
from ledger_service.supervision.scoring import Weights
from ledger_service.supervision.service import SupervisionService
from ledger_service.tenders.service import TenderService
from ledger_service.tenders.views import TenderViews

log = logging.getLogger("chainwitness.service")

#: Roles whose token names an account that sends its own transactions (funded on anvil).
FUNDED_ROLES = ("bidder", "custodian", "notary")
#: Balance given to the embedded signer on the local dev chain (1,000 ETH).
DEV_FUNDING_WEI = 1000 * 10**18


@dataclass(frozen=True)
class ChainInfo:
    chain_id: int
    evidence_log: str
    rpc_url: str
    embedded: bool
    tender_registry: str | None = None


@dataclass
class Services:
    settings: Settings
    log_store: LogStore
    anchors: AnchorStore
    blobs: BlobStore
    chain: ChainInfo | None = None
    client: ChainClient | None = None
    evidence_log: EvidenceLogContract | None = None
    deployed_at_block: int = 0
    node: ManagedAnvil | None = None
    #: restarts the embedded node when it dies and keeps its state file fresh
    supervisor: NodeSupervisor | None = None
    #: held while the embedded chain runs: one service per data directory
    lock: DataDirLock | None = None
    #: the embedded chain: save its node's state (this process's node, or the node of the
    #: process holding the data directory); None on an external chain
    save_chain_state: Callable[[], object] | None = None
    checkpointer: Checkpointer | None = None
    tenders: TenderService | None = None  # when a chain with a TenderRegistry is connected
    tender_views: TenderViews | None = None
    contracts: ContractService | None = None  # when a ContractWitness is deployed
    supervision: SupervisionService | None = None
    #: signs a checkpoint of each anchored head and collects cosignatures
    publisher: CheckpointPublisher | None = None
    #: every contract the deployment (or the settings) names, for the trust policy
    contract_addresses: dict[str, str] = field(default_factory=dict)
    _http: httpx.Client | None = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)

    def package_sources(self) -> PackageSources:
        """The collaborators ``evidence.packaging.build_package`` collects from.

        Raises:
            NotConfigured: the services were opened without the chain.
        """
        if self.client is None or self.chain is None:
            raise NotConfigured("expected services opened with the chain, found none")
        return PackageSources(
            self.log_store, self.anchors, self.blobs, self.client, self.chain.chain_id,
            self.checkpoints,
        )  # fmt: skip

    @property
    def checkpoints(self) -> CheckpointStore:
        """The signed checkpoints of anchored heads (same database as the log)."""
        return CheckpointStore(self.log_store.engine)

    def dev_funder(self) -> DevFunder | None:
        """On the embedded chain: the funder of every bidder, custodian and notary account
        that holds an active token (named by its address); None on any other chain."""
        if self.node is None or self.client is None:
            return None
        engine = self.log_store.engine

        def addresses() -> list[str]:
            return [t.name for t in list_tokens(engine)
                    if not t.revoked and t.role in FUNDED_ROLES]  # fmt: skip

        return DevFunder(self.client, addresses)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if self.supervisor is not None:
            self.supervisor.stop()  # stops the node too, saving its state
        elif self.node is not None:
            self.node.stop()
        if self._http is not None:
            self._http.close()
        self.log_store.engine.dispose()
        if self.lock is not None:
            self.lock.release()


def open_store(settings: Settings) -> tuple[LogStore, AnchorStore, BlobStore]:
    """Open (and migrate) the database and the file store; no chain involved."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    blobs = BlobStore(settings.blob_dir, sm3=settings.crypto_profile == "gm")
    return LogStore(engine), AnchorStore(engine), blobs


def embedded_signer(data_dir: Path, name: str = "signer") -> LocalAccount:
    """A key of the embedded dev chain: a keystore in ``data_dir`` made on first use.

    Its password sits beside it (mode 0600): this is a local development chain;
    production passes its own key or keystore through settings. ``name`` is
    ``signer`` (the service) or ``notary-authority`` (see :func:`dev_notary_authority`).
    """
    keystore = data_dir / f"{name}.keystore.json"
    password_file = data_dir / f"{name}.password"
    if not keystore.exists():
        password = secrets.token_urlsafe(24)
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password)
        return create_keystore(keystore, password)
    return load_signer(None, keystore, password_file.read_text().strip())


def dev_notary_authority(data_dir: Path) -> LocalAccount:
    """The notary authority's account on the embedded development chain.

    NotaryRegistry's admin is the notary authority (司法行政机关), never the service
    signer. On a real chain the authority's address is a setting and its key never
    reaches the service; on the embedded dev chain a separate key is made in the data
    directory so that demos and tests can play the authority. Development only.
    """
    return embedded_signer(data_dir, "notary-authority")


def load_weights(path: Path | None) -> Weights:
    """The scoring weights: the documented defaults, or those of the JSON file ``path``
    (``Weights.from_json``). Raises ConfigurationError for a missing or bad file."""
    if path is None:
        return Weights()
    try:
        return Weights.from_json(parse_json_strict(path.read_bytes()))
    except (OSError, MalformedInput) as exc:
        raise ConfigurationError(
            f"CHAINWITNESS_SUPERVISION_WEIGHTS: expected a weights file, found {path}: {exc}"
        ) from exc


def open_services(settings: Settings, *, chain: bool = True, exclusive: bool = False) -> Services:
    """Open everything the service needs; with ``chain`` also the chain and contract.

    On the embedded chain the first process to open a data directory runs its anvil
    and holds the directory's lock; a later one (``package``, ``init`` while ``serve``
    runs) uses that node at its stored port instead of starting another. With
    ``exclusive`` (``serve``), a held lock is refused: ConfigurationError naming the
    holder's PID.
    """
    log_store, anchors, blobs = open_store(settings)
    services = Services(settings, log_store, anchors, blobs)
    services.supervision = SupervisionService(
        log_store, TenderStore(log_store.engine), load_weights(settings.supervision_weights)
    )
    log_key = ensure_log_key(settings.data_dir, settings.log_origin)
    if settings.crypto_profile == "gm":
        ensure_log_sm2_key(settings.data_dir, log_key.name)
    # a long-running service checkpoints SQLite's WAL off the request path
    services.checkpointer = Checkpointer(log_store.engine).start()
    if not chain:
        return services
    try:
        _open_chain(services, exclusive)
    except BaseException:
        services.close()
        raise
    return services


def _configured_signer(settings: Settings) -> LocalAccount | None:
    if not (settings.signer_key or settings.signer_keystore):
        return None
    return load_signer(
        settings.signer_key.get_secret_value() if settings.signer_key else None,
        settings.signer_keystore,
        settings.signer_keystore_password.get_secret_value()
        if settings.signer_keystore_password
        else None,
    )


#: ``web3_clientVersion`` prefixes of development nodes (their operator can rewrite them)
DEVELOPMENT_NODES = ("anvil", "hardhat", "ganache", "ethereumjs")


def _refuse_development_chain(settings: Settings, client: ChainClient | None) -> None:
    """``CHAINWITNESS_CHAIN_KIND=consortium`` refuses a chain its operator controls.

    Raises:
        ConfigurationError: the embedded anvil, or a node that says it is a development
            node (``web3_clientVersion``), under a consortium setting.
    """
    if settings.chain_kind != "consortium":
        return
    if client is None:
        raise ConfigurationError(
            "CHAINWITNESS_CHAIN_KIND=consortium: expected CHAINWITNESS_RPC_URL of the consortium "
            "chain, found the embedded anvil (a development chain its operator controls)"
        )
    version = str(client.request("web3_clientVersion", []))
    if version.lower().startswith(DEVELOPMENT_NODES):
        raise ConfigurationError(
            f"CHAINWITNESS_CHAIN_KIND=consortium: expected a consortium chain's node, found "
            f"{version!r} at {client.rpc_url}, a development node its operator controls"
        )


def _open_chain(services: Services, exclusive: bool = False) -> None:
    settings = services.settings
    configured = _configured_signer(settings)
    if settings.embedded_chain:
        _refuse_development_chain(settings, None)
        node = ManagedAnvil(settings.data_dir / "anvil", chain_id=settings.chain_id or 31337)
        lock = DataDirLock(settings.data_dir)
        holder = None if exclusive else lock.holder()
        if holder is None:
            # two services on one data directory would run two nodes on one state file
            services.lock = lock.acquire()
            node.start()
            services.node = node
            services.save_chain_state = node.save_state
            rpc_url = node.rpc_url
        else:
            rpc_url = node.rpc_url  # the holder's node, on the stored port
            services.save_chain_state = functools.partial(node.save_state, attached=True)
            log.info("embedded chain: using the node of PID %d at %s", holder, rpc_url)
        signer = configured or embedded_signer(settings.data_dir)
    else:
        assert settings.rpc_url is not None
        if configured is None:
            raise ConfigurationError(
                "expected CHAINWITNESS_SIGNER_KEY or CHAINWITNESS_SIGNER_KEYSTORE with an RPC URL,"
                " found neither"
            )
        rpc_url, signer = settings.rpc_url, configured
    client = ChainClient(rpc_url, signer, settings.chain_id, evm_version=settings.evm_version)
    if not settings.embedded_chain:
        _refuse_development_chain(settings, client)
    if settings.embedded_chain:
        client.fund_from_dev_account(DEV_FUNDING_WEI)
    dep = None
    if settings.evidence_log_address:
        address = settings.evidence_log_address
        deployed_at = 0
    else:
        authority = settings.notary_authority
        if authority is None and settings.embedded_chain:
            authority = dev_notary_authority(settings.data_dir).address
            client.request("anvil_setBalance", [authority, hex(DEV_FUNDING_WEI)])
        dep = ensure_deployed(
            client, settings.data_dir, signer.address, signer.address, notary_authority=authority
        )
        address = dep.contracts["EvidenceLog"]
        deployed_at = dep.deployed_at_block
    if services.node is not None:
        # deployment.json names these contracts: the chain must keep them through a crash
        services.node.save_state()
        services.supervisor = NodeSupervisor(services.node).start()
    services.client = client
    services.evidence_log = EvidenceLogContract(client, address)
    services.deployed_at_block = deployed_at
    registry_address = settings.tender_registry_address or (
        dep.contracts.get("TenderRegistry") if dep is not None else None
    )
    services.chain = ChainInfo(
        client.chain_id, address, rpc_url, settings.embedded_chain, registry_address
    )
    if registry_address:
        registry = TenderRegistryContract(client, registry_address)
        store = TenderStore(services.log_store.engine)
        services.tenders = TenderService(
            services.log_store, store, services.blobs, registry, settings.data_dir / "openings",
            # the embedded chain: a bid's transaction is saved before its receipt is given
            make_durable=services.save_chain_state,
        )
        services.tender_views = TenderViews(
            services.log_store, store, registry, client.chain_id, address
        )
    witness_address = dep.contracts.get("ContractWitness") if dep is not None else None
    if witness_address:
        services.contracts = ContractService(
            services.log_store, ContractStore(services.log_store.engine),
            ContractWitnessContract(client, witness_address),
        )  # fmt: skip
    services.contract_addresses = dict(dep.contracts) if dep is not None else {}
    services.contract_addresses["EvidenceLog"] = address
    if registry_address:
        services.contract_addresses["TenderRegistry"] = registry_address
    _open_publisher(services)
    log.info("chain %s at %s, EvidenceLog %s", client.chain_id, rpc_url, address)


def _open_publisher(services: Services) -> None:
    """The checkpoint publisher over the configured witnesses (none: log-signed only)."""
    settings = services.settings
    witnesses = [parse_witness(w) for w in settings.witnesses]
    services._http = httpx.Client(timeout=10)
    stamper = None if settings.tsa_url is None else HttpTimestamper(settings.tsa_url, services._http)
    log_key = ensure_log_key(settings.data_dir, settings.log_origin)
    sm2 = (ensure_log_sm2_key(settings.data_dir, log_key.name)
           if settings.crypto_profile == "gm" else None)  # fmt: skip
    services.publisher = CheckpointPublisher(
        services.log_store, services.checkpoints, log_key,
        witnesses, settings.quorum, httpx_post(services._http), timestamper=stamper,
        sm2_signer=sm2,
    )  # fmt: skip
