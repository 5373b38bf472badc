"""NotaryRegistry from Python against a real anvil: notaries, certificates, refusals.

The admin is the session's service account (``chain_client``); each notary signs its
own transactions with its own funded account. Chain time is moved with
``evm_increaseTime`` + ``evm_mine``; it only moves forward, so other tests on the
session's anvil are unaffected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.node import ManagedAnvil
from ledger_service.chain.tx import ContractReverted
from ledger_service.core.errors import MalformedInput
from notary.registry import (
    CertificateInfo,
    NotaryInfo,
    NotaryRegistryContract,
)

pytestmark = pytest.mark.integration

NAME = "北京市长安公证处"
PACKAGE = hashlib.sha256(b"evidence package").digest()
ROOT = hashlib.sha256(b"tree root").digest()
SIZE = 1024


def _digest(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


@pytest.fixture
def registry(chain_client: ChainClient) -> NotaryRegistryContract:
    address, _tx, _block = chain_client.deploy("NotaryRegistry", chain_client.address)
    return NotaryRegistryContract(chain_client, address)


@pytest.fixture(scope="module")
def notary_clients(anvil: ManagedAnvil) -> list[ChainClient]:
    clients = []
    for _ in range(2):
        client = ChainClient(anvil.rpc_url, Account.create(), anvil.chain_id, retries=2)
        client.fund_from_dev_account(10**19)
        clients.append(client)
    return clients


def _as(client: ChainClient, registry: NotaryRegistryContract) -> NotaryRegistryContract:
    return NotaryRegistryContract(client, registry.address)


def _advance(client: ChainClient, seconds: int) -> None:
    client.request("evm_increaseTime", [seconds])
    client.request("evm_mine", [])


def test_authorize_register_revoke(
    registry: NotaryRegistryContract, notary_clients: list[ChainClient]
) -> None:
    assert registry.version() == "NotaryRegistry 2"
    notary = notary_clients[0]
    assert registry.notary_info(notary.address) == NotaryInfo("", None, None)

    authorized = registry.authorize_notary(notary.address, NAME)
    info = registry.notary_info(notary.address)
    assert info == NotaryInfo(NAME, authorized.block_time, None)
    assert info.known and info.active
    assert registry.was_authorized_at(notary.address, authorized.block_time)
    assert not registry.was_authorized_at(notary.address, authorized.block_time - 1)

    cert = _digest("certificate 1")
    mine = _as(notary, registry)
    assert not registry.certificate(cert).exists
    _advance(notary, 5)
    issued = mine.register_certificate(cert, PACKAGE, SIZE, ROOT)
    c = registry.certificate(cert)
    assert c == CertificateInfo(notary.address, PACKAGE, SIZE, ROOT, issued.block_time, None, 0)
    assert c.exists and not c.revoked
    assert registry.was_authorized_at(notary.address, issued.block_time)
    # reads at an earlier block see the earlier state
    assert registry.certificate(cert, issued.block_number - 1).notary is None

    _advance(notary, 5)
    revoked = mine.revoke_certificate(cert, 7)
    c = registry.certificate(cert)
    assert (c.revoked_at, c.reason_code, c.issued_at) == (revoked.block_time, 7, issued.block_time)
    assert c.revoked

    names = [e.name for e in registry.events(authorized.block_number)]
    assert names == ["NotaryAuthorized", "CertificateRegistered", "CertificateRevoked"]
    cert_events = registry.events(authorized.block_number, cert_digest=cert)
    assert [e.args["reasonCode"] for e in cert_events if e.name == "CertificateRevoked"] == [7]


def test_removal_stops_registration_but_not_own_revocation(
    registry: NotaryRegistryContract, notary_clients: list[ChainClient]
) -> None:
    notary = notary_clients[0]
    mine = _as(notary, registry)
    authorized = registry.authorize_notary(notary.address, NAME)
    cert = _digest("issued before removal")
    mine.register_certificate(cert, PACKAGE, SIZE, ROOT)
    _advance(notary, 10)
    removed = registry.remove_notary(notary.address)
    info = registry.notary_info(notary.address)
    assert info == NotaryInfo(NAME, authorized.block_time, removed.block_time)
    assert info.known and not info.active
    assert registry.was_authorized_at(notary.address, removed.block_time - 1)
    assert not registry.was_authorized_at(notary.address, removed.block_time)

    with pytest.raises(ContractReverted) as refused:
        mine.register_certificate(_digest("after removal"), PACKAGE, SIZE, ROOT)
    assert refused.value.error_name == "NotaryRegistryNotAuthorized"
    assert refused.value.args == (notary.address,)

    mine.revoke_certificate(cert, 2)  # its own, still
    assert registry.certificate(cert).reason_code == 2

    with pytest.raises(ContractReverted) as again:
        registry.remove_notary(notary.address)
    assert again.value.error_name == "NotaryRegistryNotAuthorized"
    with pytest.raises(ContractReverted) as known:
        registry.authorize_notary(notary.address, NAME)
    assert known.value.error_name == "NotaryRegistryAlreadyKnown"
    assert known.value.args == (notary.address, authorized.block_time)


def test_refusals_are_decoded(
    registry: NotaryRegistryContract, notary_clients: list[ChainClient]
) -> None:
    first, second = notary_clients
    registry.authorize_notary(first.address, NAME)
    registry.authorize_notary(second.address, "上海市东方公证处")
    cert = _digest("certificate 2")
    issued = _as(first, registry).register_certificate(cert, PACKAGE, SIZE, ROOT)

    def refused(action: Callable[[], object], name: str) -> tuple[object, ...]:
        with pytest.raises(ContractReverted) as info:
            action()
        assert info.value.error_name == name
        return tuple(info.value.args)

    # only an admin authorizes; the admin is no notary and cannot revoke
    assert refused(
        lambda: _as(first, registry).authorize_notary(first.address, "self"),
        "AccessControlUnauthorizedAccount",
    ) == (first.address, bytes(32))
    assert refused(
        lambda: registry.register_certificate(_digest("x"), PACKAGE, SIZE, ROOT),
        "NotaryRegistryNotAuthorized",
    ) == (registry.client.address,)
    # another notary cannot revoke, nor take over the digest
    assert refused(
        lambda: _as(second, registry).revoke_certificate(cert, 1), "NotaryRegistryNotIssuer"
    ) == (cert, second.address, first.address)
    assert refused(
        lambda: _as(second, registry).register_certificate(cert, PACKAGE, SIZE, ROOT),
        "NotaryRegistryCertificateExists",
    ) == (cert, first.address)
    assert refused(
        lambda: _as(first, registry).register_certificate(_digest("y"), bytes(32), SIZE, ROOT),
        "NotaryRegistryZeroDigest",
    ) == (_digest("y"),)
    assert refused(
        lambda: _as(first, registry).revoke_certificate(_digest("unknown"), 1),
        "NotaryRegistryNoSuchCertificate",
    ) == (_digest("unknown"),)
    assert refused(
        lambda: _as(first, registry).revoke_certificate(cert, 0), "NotaryRegistryZeroReason"
    ) == (cert,)
    _as(first, registry).revoke_certificate(cert, 1)
    revoked_at = registry.certificate(cert).revoked_at
    assert refused(
        lambda: _as(first, registry).revoke_certificate(cert, 2), "NotaryRegistryAlreadyRevoked"
    ) == (cert, revoked_at)
    assert registry.certificate(cert).issued_at == issued.block_time


def test_malformed_input_is_refused_locally(registry: NotaryRegistryContract) -> None:
    height = registry.client.block_number()
    with pytest.raises(MalformedInput, match="non-empty notary name"):
        registry.authorize_notary(Account.create().address, "")
    with pytest.raises(MalformedInput, match="32 bytes"):
        registry.register_certificate(b"short", PACKAGE, SIZE, ROOT)
    with pytest.raises(MalformedInput, match="tree_size"):
        registry.register_certificate(_digest("z"), PACKAGE, -1, ROOT)
    with pytest.raises(MalformedInput, match="reason_code"):
        registry.revoke_certificate(_digest("z"), 256)
    with pytest.raises(MalformedInput, match="address"):
        registry.notary_info("0x1234")
    assert registry.client.block_number() == height  # nothing sent
