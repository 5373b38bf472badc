"""TenderRegistry from Python against a real anvil: a whole tender, and the attacks.

Bidders sign with their own eth-account keys and never send a transaction; the
service account (``chain_client``) relays and pays. Custodians send their own
``releaseShare`` transactions. Chain time is moved with ``evm_increaseTime`` +
``evm_mine``; it only moves forward, so other tests on the session's anvil are
unaffected. Key shares are real Feldman shares over secp256k1 (coincurve), checked
here against the commitments that the TenderCreated log carries.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from coincurve import PrivateKey, PublicKey
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from ledger_service.chain.client import ChainClient
from ledger_service.chain.eip712 import recover_typed_signer, sign_typed, typed_data_digest
from ledger_service.chain.node import ManagedAnvil
from ledger_service.chain.tender_events import (
    BidderRegisteredEvent,
    BidSubmittedEvent,
    BidWithdrawnEvent,
    ShareReleasedEvent,
    TenderCreatedEvent,
    TenderOpenedEvent,
)
from ledger_service.chain.tender_messages import (
    bid_typed_data,
    tender_id_bytes,
    withdrawal_typed_data,
)
from ledger_service.chain.tender_registry import TenderRegistryContract, TenderStatus
from ledger_service.chain.tx import ContractReverted, TxResult
from ledger_service.core.errors import MalformedInput

pytestmark = pytest.mark.integration

#: order of the secp256k1 group
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
THRESHOLD = 2
#: seconds of bidding and of waiting between the deadline and the opening
BIDDING, WAIT = 300, 60


@dataclass(frozen=True)
class Plan:
    """A tender as created: id, schedule and the dealer's secret polynomial."""

    tender_id: bytes
    deadline: int
    opening: int
    coefficients: tuple[int, ...]

    @property
    def commitments(self) -> list[bytes]:
        return [PrivateKey(c.to_bytes(32, "big")).public_key.format() for c in self.coefficients]

    def share(self, index: int) -> bytes:
        value = sum(c * pow(index, j, N) for j, c in enumerate(self.coefficients)) % N
        return value.to_bytes(32, "big")


@pytest.fixture
def registry(chain_client: ChainClient) -> TenderRegistryContract:
    signer = chain_client.address
    address, _tx, _block = chain_client.deploy("TenderRegistry", signer, signer)
    return TenderRegistryContract(chain_client, address)


@pytest.fixture(scope="module")
def custodian_clients(anvil: ManagedAnvil) -> list[ChainClient]:
    clients = []
    for _ in range(3):
        client = ChainClient(anvil.rpc_url, Account.create(), anvil.chain_id, retries=2)
        client.fund_from_dev_account(10**19)
        clients.append(client)
    return clients


@pytest.fixture
def bidders() -> list[LocalAccount]:
    return [Account.create() for _ in range(4)]  # unfunded: they only sign


def _now(client: ChainClient) -> int:
    return client.block("latest")["timestamp"]


def _advance_to(client: ChainClient, t: int) -> None:
    """Mine a block whose timestamp is at least ``t``."""
    now = _now(client)
    if t > now:
        client.request("evm_increaseTime", [t - now])
    client.request("evm_mine", [])
    assert _now(client) >= t


def _create(registry: TenderRegistryContract, custodians: list[ChainClient], code: str) -> Plan:
    start = _now(registry.client)
    seed = hashlib.sha256(code.encode()).digest()
    coefficients = tuple(
        int.from_bytes(hashlib.sha256(seed + bytes([j])).digest(), "big") % N
        for j in range(THRESHOLD)
    )
    plan = Plan(tender_id_bytes(code), start + BIDDING, start + BIDDING + WAIT, coefficients)
    registry.create_tender(
        plan.tender_id,
        plan.deadline,
        plan.opening,
        [c.address for c in custodians],
        THRESHOLD,
        plan.commitments[0],
        b"".join(plan.commitments),
    )
    return plan


def _digests(account: LocalAccount, nonce: int) -> tuple[bytes, bytes, bytes]:
    label = f"{account.address}/{nonce}".encode()
    return (keccak(b"ct" + label), keccak(b"pc" + label), keccak(b"env" + label))


def _signed_bid(
    registry: TenderRegistryContract, tid: bytes, bidder: LocalAccount, nonce: int
) -> tuple[tuple[bytes, bytes, bytes], bytes]:
    """What the bidder's own machine produces: digests and their EIP-712 signature."""
    digests = _digests(bidder, nonce)
    typed = bid_typed_data(
        registry.client.chain_id, registry.address, tid, bidder.address, *digests, nonce
    )
    return digests, sign_typed(bidder, typed)


def _bid(
    registry: TenderRegistryContract, tid: bytes, bidder: LocalAccount, nonce: int
) -> TxResult:
    digests, signature = _signed_bid(registry, tid, bidder, nonce)
    return registry.submit_bid(tid, bidder.address, *digests, nonce, signature)


def _withdraw(
    registry: TenderRegistryContract, tid: bytes, bidder: LocalAccount, nonce: int
) -> TxResult:
    typed = withdrawal_typed_data(
        registry.client.chain_id, registry.address, tid, bidder.address, nonce
    )
    return registry.withdraw_bid(tid, bidder.address, nonce, sign_typed(bidder, typed))


def _open_for_bids(
    registry: TenderRegistryContract,
    custodians: list[ChainClient],
    bidders: list[LocalAccount],
    code: str,
) -> Plan:
    plan = _create(registry, custodians, code)
    for bidder in bidders:
        registry.register_bidder(plan.tender_id, bidder.address)
        _bid(registry, plan.tender_id, bidder, 1)
    return plan


def _as(client: ChainClient, registry: TenderRegistryContract) -> TenderRegistryContract:
    return TenderRegistryContract(client, registry.address)


def _lagrange_at_zero(shares: dict[int, int]) -> int:
    secret = 0
    for i, s in shares.items():
        num = den = 1
        for j in shares:
            if j != i:
                num = num * -j % N
                den = den * (i - j) % N
        secret = (secret + s * num * pow(den, -1, N)) % N
    return secret


def _feldman_ok(share: bytes, index: int, commitments: list[bytes]) -> bool:
    """s_i * G == sum_j A_j * i^j (every term a point; i^j reduced mod N)."""
    terms = [
        PublicKey(a).multiply(pow(index, j, N).to_bytes(32, "big"))
        for j, a in enumerate(commitments)
    ]
    expected = PublicKey.combine_keys(terms).format()
    return PrivateKey(share).public_key.format() == expected


# -- pure helpers ------------------------------------------------------------------


def test_tender_id_is_keccak_of_the_utf8_code() -> None:
    assert tender_id_bytes("CW-2025-0001") == keccak(b"CW-2025-0001")
    assert tender_id_bytes("招标-7") == keccak("招标-7".encode())
    assert tender_id_bytes("cw-2025-0001") != tender_id_bytes("CW-2025-0001")  # no folding
    with pytest.raises(MalformedInput, match="expected a non-empty tender code"):
        tender_id_bytes("")


def test_bid_digest_known_answer() -> None:
    # the same vector is pinned in contracts/test/TenderRegistry.t.sol (test_BidDigestIsEip712),
    # there computed by hand from the EIP-712 definition
    typed = bid_typed_data(
        31337,
        "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        tender_id_bytes("CW-2025-0001"),
        "0x1111111111111111111111111111111111111111",
        (1).to_bytes(32, "big"),
        (2).to_bytes(32, "big"),
        (3).to_bytes(32, "big"),
        7,
    )
    assert typed_data_digest(typed).hex() == (
        "48d924746a48d64eecbf6c4083a5c8d16b7f8bec8ce9820f040fec39b45e050e"
    )


def test_typed_data_rejects_malformed_input() -> None:
    good = (
        31337,
        "0x" + "ab" * 20,
        bytes(32),
        "0x" + "cd" * 20,
        b"\x01" * 32,
        b"\x02" * 32,
        b"\x03" * 32,
        1,
    )
    bid_typed_data(*good)
    cases: list[tuple[int, object, str]] = [
        (0, 0, r"expected a chain id > 0, found 0"),
        (1, "0x12", r"expected the registry address to be a 20-byte 0x address"),
        (2, bytes(31), r"expected tender_id to be 32 bytes, found 31 bytes"),
        (3, "bidder", r"expected bidder to be a 20-byte 0x address"),
        (4, b"\x01" * 33, r"expected ciphertext_digest to be 32 bytes, found 33 bytes"),
        (5, "00" * 32, r"expected plaintext_commitment to be 32 bytes, found str"),
        (7, 0, r"expected a nonce in \[1, 2\*\*64 - 1\], found 0"),
        (7, 2**64, r"expected a nonce in \[1, 2\*\*64 - 1\], found 18446744073709551616"),
    ]
    for position, value, message in cases:
        args = list(good)
        args[position] = value
        with pytest.raises(MalformedInput, match=message):
            bid_typed_data(*args)  # type: ignore[arg-type]
    with pytest.raises(MalformedInput, match="expected a nonce"):
        withdrawal_typed_data(1, "0x" + "ab" * 20, bytes(32), "0x" + "cd" * 20, -1)


def test_signature_recovers_to_the_bidder() -> None:
    bidder = Account.create()
    typed = withdrawal_typed_data(1, "0x" + "ab" * 20, bytes(32), bidder.address, 3)
    signature = sign_typed(bidder, typed)
    assert len(signature) == 65 and signature[64] in (27, 28)
    assert recover_typed_signer(typed, signature) == bidder.address
    with pytest.raises(MalformedInput, match="expected a 65-byte ECDSA signature"):
        recover_typed_signer(typed, signature[:64])


# -- against the chain -------------------------------------------------------------


def test_python_digests_match_the_contract(registry: TenderRegistryContract) -> None:
    bidder = Account.create()
    tid = tender_id_bytes("CW-DIGEST")
    digests = _digests(bidder, 4)
    chain_id = registry.client.chain_id
    typed = bid_typed_data(chain_id, registry.address, tid, bidder.address, *digests, 4)
    assert typed_data_digest(typed) == registry.bid_digest(tid, bidder.address, *digests, 4)
    typed = withdrawal_typed_data(chain_id, registry.address, tid, bidder.address, 4)
    assert typed_data_digest(typed) == registry.withdrawal_digest(tid, bidder.address, 4)
    assert registry.version() == "TenderRegistry 1"


def test_whole_tender(
    registry: TenderRegistryContract,
    custodian_clients: list[ChainClient],
    bidders: list[LocalAccount],
) -> None:
    service = registry.client
    start_block = service.block_number() + 1
    plan = _create(registry, custodian_clients, "CW-2025-0001")
    tid = plan.tender_id
    tender = registry.get_tender(tid)
    assert (tender.status, tender.threshold, tender.custodian_count) == (TenderStatus.OPEN, 2, 3)
    assert (tender.bid_deadline, tender.opening_time) == (plan.deadline, plan.opening)
    assert tender.opening_key_hash == keccak(plan.commitments[0])
    assert tender.opening_record_digest is None
    assert registry.custodians(tid) == [c.address for c in custodian_clients]

    for bidder in bidders:
        registry.register_bidder(tid, bidder.address)
    assert registry.bidders(tid) == [b.address for b in bidders]
    a, b, c, d = bidders
    first = _bid(registry, tid, a, 1)
    for bidder in (b, c, d):
        _bid(registry, tid, bidder, 1)
    assert registry.get_tender(tid).active_bids == 4

    # a replaces its bid with a higher nonce; d withdraws
    replacement = _bid(registry, tid, a, 2)
    bid = registry.get_bid(tid, a.address)
    assert (bid.nonce, bid.ciphertext_digest, bid.active) == (2, _digests(a, 2)[0], True)
    assert bid.submitted_at == replacement.block_time
    _withdraw(registry, tid, d, 2)
    assert registry.get_bid(tid, d.address).active is False
    assert registry.get_tender(tid).active_bids == 3

    # the deadline passes (chain time): a late bid is refused
    _advance_to(service, plan.deadline)
    with pytest.raises(ContractReverted) as late:
        _bid(registry, tid, d, 3)
    assert late.value.error_name == "TenderRegistryDeadlinePassed"
    assert late.value.args[:2] == (tid, plan.deadline)
    # shares are refused before the opening time, and from anyone but their custodian
    early_client = custodian_clients[0]
    with pytest.raises(ContractReverted) as early:
        _as(early_client, registry).release_share(tid, 1, plan.share(1))
    assert early.value.error_name == "TenderRegistryBeforeOpeningTime"
    _advance_to(service, plan.opening)
    with pytest.raises(ContractReverted) as stranger:
        registry.release_share(tid, 1, plan.share(1))  # the service is no custodian
    assert stranger.value.error_name == "TenderRegistryNotCustodian"
    assert stranger.value.args[2:] == (custodian_clients[0].address, service.address)
    with pytest.raises(ContractReverted) as swapped:
        _as(custodian_clients[1], registry).release_share(tid, 1, plan.share(1))
    assert swapped.value.error_name == "TenderRegistryNotCustodian"

    # t custodians release; the operator records the opening
    released = [
        _as(custodian_clients[i - 1], registry).release_share(tid, i, plan.share(i)) for i in (3, 1)
    ]
    record_digest = hashlib.sha256(b"opening record").digest()
    opened = registry.record_opening(tid, record_digest)
    tender = registry.get_tender(tid)
    assert (tender.status, tender.shares_released, tender.active_bids) == (
        TenderStatus.OPENED,
        2,
        3,
    )
    assert tender.opening_record_digest == record_digest
    assert registry.released_share(tid, 2) is None

    # The log alone suffices to check the shares and rebuild the opening key.
    events = registry.events(start_block, tender_id=tid)
    created = events[0]
    assert isinstance(created, TenderCreatedEvent)
    assert created.custodians == tuple(c.address for c in custodian_clients)
    commitments = [
        created.share_commitments[k : k + 33] for k in range(0, len(created.share_commitments), 33)
    ]
    assert created.opening_public_key == commitments[0] == plan.commitments[0]
    shares = [e for e in events if isinstance(e, ShareReleasedEvent)]
    assert [(e.index, e.custodian) for e in shares] == [
        (3, custodian_clients[2].address),
        (1, custodian_clients[0].address),
    ]
    assert all(_feldman_ok(e.share, e.index, commitments) for e in shares)
    secret = _lagrange_at_zero({e.index: int.from_bytes(e.share, "big") for e in shares})
    assert PrivateKey(secret.to_bytes(32, "big")).public_key.format() == created.opening_public_key

    kinds = [type(e).__name__ for e in events]
    assert kinds == (
        ["TenderCreatedEvent"]
        + ["BidderRegisteredEvent"] * 4
        + ["BidSubmittedEvent"] * 5
        + ["BidWithdrawnEvent"]
        + ["ShareReleasedEvent"] * 2
        + ["TenderOpenedEvent"]
    )
    registered = [e for e in events if isinstance(e, BidderRegisteredEvent)]
    assert [e.bidder for e in registered] == [x.address for x in bidders]
    submitted = [e for e in events if isinstance(e, BidSubmittedEvent)]
    assert (submitted[0].bidder, submitted[0].nonce, submitted[0].tx_hash) == (
        a.address, 1, first.tx_hash,
    )  # fmt: skip
    assert submitted[-1].envelope_digest == _digests(a, 2)[2]
    withdrawn = next(e for e in events if isinstance(e, BidWithdrawnEvent))
    assert (withdrawn.bidder, withdrawn.nonce) == (d.address, 2)
    last = events[-1]
    assert isinstance(last, TenderOpenedEvent)
    assert (last.opening_record_digest, last.active_bids, last.shares_released) == (
        record_digest, 3, 2,
    )  # fmt: skip
    assert (last.tx_hash, last.block_number) == (opened.tx_hash, opened.block_number)
    assert registry.events(opened.block_number + 1) == []

    # gas actually paid on anvil (whole transactions, 21,000 base and calldata included)
    assert first.gas_used < 150_000
    assert replacement.gas_used < first.gas_used
    assert all(r.gas_used < 80_000 for r in released)


def test_forged_bidder_signature_is_refused(
    registry: TenderRegistryContract,
    custodian_clients: list[ChainClient],
    bidders: list[LocalAccount],
) -> None:
    plan = _create(registry, custodian_clients, "CW-FORGED")
    bidder = bidders[0]
    registry.register_bidder(plan.tender_id, bidder.address)
    # The service holds the operator key and relays; it signs a bid in the bidder's name.
    digests = _digests(bidder, 1)
    typed = bid_typed_data(
        registry.client.chain_id, registry.address, plan.tender_id, bidder.address, *digests, 1
    )
    forged = sign_typed(registry.client.signer, typed)
    with pytest.raises(ContractReverted, match="TenderRegistryBadSignature") as refused:
        registry.submit_bid(plan.tender_id, bidder.address, *digests, 1, forged)
    assert refused.value.args == (bidder.address, registry.client.address)
    # ... or alters a genuinely signed bid
    _, genuine = _signed_bid(registry, plan.tender_id, bidder, 1)
    other = hashlib.sha256(b"the service's preferred price").digest()
    with pytest.raises(ContractReverted, match="TenderRegistryBadSignature"):
        registry.submit_bid(plan.tender_id, bidder.address, other, *digests[1:], 1, genuine)
    assert registry.get_tender(plan.tender_id).active_bids == 0


def test_replayed_submission_is_refused(
    registry: TenderRegistryContract,
    custodian_clients: list[ChainClient],
    bidders: list[LocalAccount],
) -> None:
    plan = _create(registry, custodian_clients, "CW-REPLAY")
    bidder = bidders[0]
    registry.register_bidder(plan.tender_id, bidder.address)
    digests, signature = _signed_bid(registry, plan.tender_id, bidder, 1)
    registry.submit_bid(plan.tender_id, bidder.address, *digests, 1, signature)
    with pytest.raises(ContractReverted) as replay:
        registry.submit_bid(plan.tender_id, bidder.address, *digests, 1, signature)
    assert replay.value.error_name == "TenderRegistryStaleNonce"
    assert replay.value.args == (plan.tender_id, bidder.address, 1, 1)
    # after a withdrawal the old signed bid cannot bring the bid back either
    _withdraw(registry, plan.tender_id, bidder, 2)
    with pytest.raises(ContractReverted, match=r"TenderRegistryStaleNonce\(.*last=2, got=1\)"):
        registry.submit_bid(plan.tender_id, bidder.address, *digests, 1, signature)


def test_early_share_release_is_refused(
    registry: TenderRegistryContract,
    custodian_clients: list[ChainClient],
    bidders: list[LocalAccount],
) -> None:
    plan = _open_for_bids(registry, custodian_clients, bidders[:3], "CW-EARLY")
    custodian = _as(custodian_clients[1], registry)
    for moment in (plan.deadline - 1, plan.opening - 2):  # during and after bidding
        _advance_to(registry.client, moment)
        with pytest.raises(ContractReverted) as early:
            custodian.release_share(plan.tender_id, 2, plan.share(2))
        assert early.value.error_name == "TenderRegistryBeforeOpeningTime"
        assert early.value.args[1] == plan.opening
    assert registry.released_share(plan.tender_id, 2) is None


def test_operator_without_shares_cannot_open(
    registry: TenderRegistryContract,
    custodian_clients: list[ChainClient],
    bidders: list[LocalAccount],
) -> None:
    plan = _open_for_bids(registry, custodian_clients, bidders[:3], "CW-NO-SHARES")
    _advance_to(registry.client, plan.opening)
    digest = hashlib.sha256(b"made-up opening").digest()
    with pytest.raises(ContractReverted) as none:
        registry.record_opening(plan.tender_id, digest)
    assert (none.value.error_name, none.value.args) == (
        "TenderRegistryTooFewShares", (plan.tender_id, 0, THRESHOLD),
    )  # fmt: skip
    _as(custodian_clients[0], registry).release_share(plan.tender_id, 1, plan.share(1))
    with pytest.raises(ContractReverted) as one:
        registry.record_opening(plan.tender_id, digest)
    assert one.value.args == (plan.tender_id, 1, THRESHOLD)
    assert registry.get_tender(plan.tender_id).status == TenderStatus.OPEN


def test_tender_with_too_few_bids_fails_and_stays_sealed(
    registry: TenderRegistryContract,
    custodian_clients: list[ChainClient],
    bidders: list[LocalAccount],
) -> None:
    plan = _open_for_bids(registry, custodian_clients, bidders[:2], "CW-TOO-FEW")
    _advance_to(registry.client, plan.opening)
    with pytest.raises(ContractReverted, match="TenderRegistryTooFewBids"):
        _as(custodian_clients[0], registry).release_share(plan.tender_id, 1, plan.share(1))
    registry.declare_failed(plan.tender_id)
    assert registry.get_tender(plan.tender_id).status == TenderStatus.FAILED
    with pytest.raises(ContractReverted, match=r"TenderRegistryNotOpen\(.*status=3\)"):
        registry.declare_failed(plan.tender_id)


def test_events_of_one_tender_and_empty_ranges(
    registry: TenderRegistryContract,
    custodian_clients: list[ChainClient],
) -> None:
    start = registry.client.block_number() + 1
    one = _create(registry, custodian_clients, "CW-EVENTS-1")
    two = _create(registry, custodian_clients, "CW-EVENTS-2")
    reason = hashlib.sha256(b"budget withdrawn").digest()
    registry.cancel_tender(two.tender_id, reason)
    everything = registry.events(start)
    assert [type(e).__name__ for e in everything] == ["TenderCreatedEvent"] * 2 + [
        "TenderCancelledEvent"
    ]
    only_two = registry.events(start, tender_id=two.tender_id)
    assert [e.tender_id for e in only_two] == [two.tender_id] * 2  # type: ignore[union-attr]
    assert registry.events(start, tender_id=one.tender_id)[0] == everything[0]
    head = registry.client.block_number()
    assert registry.events(head + 5) == []
    assert registry.events(head, head - 1) == []
