"""The bidder's side (投标人): check the key on your own chain, seal, sign, upload.

The client is configured with a :class:`ChainTrust` (RPC endpoint, chain id and
TenderRegistry address, e.g. from the tender notice) and takes nothing that matters
on the service's word: before sealing it reads the tender from that chain and checks
that the opening key is the one the custodians approved, by the public rule applied
to their signed transcript (:func:`check_tender`); otherwise it refuses, naming what
differs. It makes a fresh per-tender pseudonym and a random salt, signs the sealed
commitment with the pseudonym and the Bid with the bidder's own key, and uploads
only ciphertext.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from coincurve import PrivateKey
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from ledger_service.chain.client import ChainClient
from ledger_service.chain.eip712 import sign_typed
from ledger_service.chain.tender_messages import (
    bid_typed_data,
    sealed_bid_commitment,
    sealed_bid_typed_data,
    tender_id_bytes,
    withdrawal_typed_data,
)
from ledger_service.chain.tender_registry import TenderRegistryContract, TenderStatus
from ledger_service.core import sealing
from ledger_service.core.errors import (
    ChainUnavailable,
    ConfigurationError,
    EvidenceError,
    MalformedInput,
    NotFound,
    VerificationFailed,
)
from ledger_service.core.sealing.file_name import seal_name
from ledger_service.core.trust_policy import TrustPolicy
from ledger_service.tenders import envelope_files, service_http
from ledger_service.tenders.chain_view import TenderOnChain, outcome, read_tender
from ledger_service.tenders.on_time import OnTime, check_on_time

Progress = Callable[[int], None]
_CHUNK = 1 << 20


def bidder_public_key(account: LocalAccount) -> bytes:
    """The bidder's compressed secp256k1 public key (the key their chain account uses)."""
    return bytes(PrivateKey(bytes(account.key)).public_key.format(compressed=True))


def _fail(resp: httpx.Response) -> EvidenceError:
    try:
        body = resp.json()
        detail = body.get("detail", resp.text)
    except ValueError:
        detail = resp.text
    cls = NotFound if resp.status_code == 404 else MalformedInput
    return cls(f"the service answered {resp.status_code}: {detail}")


@dataclass(frozen=True)
class ChainTrust:
    """What a bidder pins out of band: the chain, the registry and, optionally, the
    custodians' addresses the tender notice names (in index order)."""

    rpc_url: str
    chain_id: int
    registry: str
    custodians: tuple[str, ...] | None = None
    #: the trust policy published with the tender notice: with it the client checks
    #: that its bid was witnessed on time (:meth:`BidderClient.on_time`)
    policy: TrustPolicy | None = None


def check_tender(
    tender: TenderOnChain, claimed_key: bytes | None, custodians: tuple[str, ...] | None
) -> bytes:
    """The opening key to seal to, after checking it against the chain; raises
    VerificationFailed naming what differs.

    Checks: the tender is Open with an accepted key; ``t >= 2`` and ``2t - 1 <= n``
    (DkgSetup refuses otherwise); the custodians are the pinned ones; the public rule
    applied to the custodian-signed transcript gives the accepted key, under the
    transcript hash the custodians approved; the service's claimed key (if any) is it.
    """
    if tender.view.status != TenderStatus.OPEN or tender.finalized is None:
        raise VerificationFailed(
            f"expected an Open tender with an accepted key, found status {tender.view.status.name}"
        )
    if custodians is not None and tuple(c.lower() for c in custodians) != tuple(
        c.lower() for c in tender.custodians
    ):
        raise VerificationFailed(
            f"expected the custodians {list(custodians)}, found {list(tender.custodians)} on chain"
        )
    key = tender.finalized.opening_public_key
    if tender.finalized.transcript_hash != tender.transcript_hash:
        raise VerificationFailed(
            "expected the approved transcript to be the chain's, found another"
        )
    result = outcome(tender)
    if result.group is None or result.group.public_key != key:
        raise VerificationFailed(
            f"expected the on-chain key {key.hex()} to follow from the custodians' signed "
            f"transcript, found {None if result.group is None else result.group.public_key.hex()}"
        )
    if result.transcript_hash != tender.finalized.transcript_hash:
        raise VerificationFailed(
            "expected the transcript hash of the signed messages, found another"
        )
    if claimed_key is not None and claimed_key != key:
        raise VerificationFailed(
            f"expected the service's opening key to be the on-chain key {key.hex()}, "
            f"found {claimed_key.hex()}"
        )
    return key


def pseudonym_of(account: LocalAccount, tender_id: bytes) -> LocalAccount:
    """The bidder's per-tender pseudonym: an account derived from the bidder's own key and
    the tender id, so only the bidder holds it and a restarted client finds it again."""
    pseudonym: LocalAccount = Account.from_key(
        keccak(b"chainwitness/pseudonym/v1" + bytes(account.key) + tender_id)
    )
    return pseudonym


class BidderClient:
    def __init__(
        self, server: str, token: str | None, account: LocalAccount, trust: ChainTrust,
        rng: Callable[[int], bytes] = os.urandom, retry_s: float = 60.0,
    ) -> None:  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=600)
        self.account = account
        self.trust = trust
        self._rng = rng
        self._retry_s = retry_s  # how long to ride out a service restart (service_http)
        client = ChainClient(trust.rpc_url, Account.create(), trust.chain_id, retries=2)
        self._registry = TenderRegistryContract(client, trust.registry)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            return service_http.call(self._http, method, path, retry_s=self._retry_s, **kw)
        except httpx.HTTPError as exc:  # not a transport failure: e.g. an invalid URL
            raise ChainUnavailable(f"expected the service to answer {path}, found: {exc}") from exc

    def _get(self, path: str) -> Any:
        resp = self._call("GET", path)
        if resp.status_code >= 400:
            raise _fail(resp)
        return resp.json()

    def tender(self, code: str) -> dict[str, Any]:
        return dict(self._get(f"/v1/tenders/{code}"))

    def opening_key(self, code: str) -> bytes:
        """The checked opening key of ``code`` (:func:`check_tender`)."""
        claimed = self.tender(code).get("opening_public_key")
        on_chain = read_tender(self._registry, tender_id_bytes(code))
        return check_tender(
            on_chain, None if not claimed else bytes.fromhex(claimed), self.trust.custodians
        )

    def pseudonym(self, code: str) -> LocalAccount:
        return pseudonym_of(self.account, tender_id_bytes(code))

    def register(self, code: str, name: str) -> dict[str, Any]:
        """Ask the operator to admit us under our pseudonym for ``code``."""
        resp = self._call("POST", f"/v1/tenders/{code}/bidders", json={
            "name": name, "address": self.account.address,
            "public_key": bidder_public_key(self.account).hex(),
            "pseudonym": self.pseudonym(code).address})  # fmt: skip
        if resp.status_code >= 400:
            raise _fail(resp)
        return dict(resp.json())

    def seal(
        self, code: str, src: Path, dst: Path, progress: Progress | None = None
    ) -> sealing.SealResult:
        """Seal ``src`` for tender ``code`` into ``dst`` (on this machine), to the key
        checked on our own chain."""
        key = self.opening_key(code)
        with src.open("rb") as fin, dst.open("wb") as fout:
            return envelope_files.seal_stream(
                fin, fout, tender_id=code, bidder=self.account.address,
                tender_public_key=key, bidder_public_key=bidder_public_key(self.account),
                progress=progress,
            )  # fmt: skip

    def _next_nonce(self, code: str) -> int:
        sealed = self._registry.get_sealed_bid(tender_id_bytes(code), self.pseudonym(code).address)
        return sealed.nonce + 1

    def submit(
        self, code: str, sealed: Path, nonce: int | None = None, progress: Progress | None = None,
        device: str | None = None, file_name: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Sign the sealed commitment (pseudonym) and the Bid (our key); upload the envelope.

        ``device`` is the fingerprint this client reports for the machine it uploads from
        (:func:`device_fingerprint`; optional): regulators compare it across bidders.
        ``file_name`` (default: the sealed file's name without ``.cwseal``) goes along
        sealed under the envelope's content key, for the evaluators after opening.
        The same envelope again gets the receipt of the first submission.
        """
        key = self.opening_key(code)
        with sealed.open("rb") as f:
            if sealing.read_header(f).recipient("tender").public_key != key:
                raise VerificationFailed(
                    f"expected {sealed} sealed to the on-chain key {key.hex()}"
                )
        ciphertext_sha256, envelope_digest, plaintext_commitment, content_key = _envelope_facts(
            sealed, self.account
        )
        name = default_file_name(sealed) if file_name is None else file_name
        name_sealed = None if not name else seal_name(content_key, envelope_digest, name, self._rng)
        tid = tender_id_bytes(code)
        pseudonym = self.pseudonym(code)
        nonce = nonce or self._next_nonce(code)
        salt = self._rng(32)
        chain_id, registry = self.trust.chain_id, self.trust.registry
        commitment = sealed_bid_commitment(tid, self.account.address, salt, ciphertext_sha256,
                                           plaintext_commitment, envelope_digest)  # fmt: skip
        sealed_sig = sign_typed(pseudonym, sealed_bid_typed_data(
            chain_id, registry, tid, pseudonym.address, commitment, nonce))  # fmt: skip
        bid_sig = sign_typed(self.account, bid_typed_data(
            chain_id, registry, tid, self.account.address, pseudonym.address, ciphertext_sha256,
            plaintext_commitment, envelope_digest))  # fmt: skip

        def body() -> Iterator[bytes]:
            with sealed.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    if progress:
                        progress(len(chunk))
                    yield chunk

        resp = self._call(
            "POST", f"/v1/tenders/{code}/bids",
            params={"bidder": self.account.address, "pseudonym": pseudonym.address,
                    "nonce": nonce, "salt": salt.hex(),
                    "plaintext_commitment": plaintext_commitment.hex(),
                    "envelope_digest": envelope_digest.hex(),
                    "sealed_signature": sealed_sig.hex(), "bid_signature": bid_sig.hex(),
                    **({"device": device} if device else {}),
                    **({"file_name_sealed": name_sealed.hex()} if name_sealed else {})},
            content=body, headers={"Content-Type": "application/octet-stream"},
        )  # fmt: skip
        if resp.status_code >= 400:
            raise _fail(resp)
        receipt = dict(resp.json())
        if receipt["ciphertext_sha256"] != ciphertext_sha256.hex():
            raise MalformedInput(
                f"expected the receipt to name ciphertext {ciphertext_sha256.hex()}, "
                f"found {receipt['ciphertext_sha256']}"
            )
        return receipt

    def withdraw(self, code: str, nonce: int | None = None) -> dict[str, Any]:
        pseudonym = self.pseudonym(code)
        nonce = nonce or self._next_nonce(code)
        typed = withdrawal_typed_data(self.trust.chain_id, self.trust.registry,
                                      tender_id_bytes(code), pseudonym.address, nonce)  # fmt: skip
        resp = self._call("POST", f"/v1/tenders/{code}/withdrawals", json={
            "bidder": self.account.address, "pseudonym": pseudonym.address, "nonce": nonce,
            "signature": sign_typed(pseudonym, typed).hex()})  # fmt: skip
        if resp.status_code >= 400:
            raise _fail(resp)
        return dict(resp.json())

    def on_time(
        self, code: str, receipt: Mapping[str, Any], wait_s: float = 60.0, poll_s: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> OnTime:  # fmt: skip
        """Wait until k pinned witnesses cosigned a checkpoint holding our bid; check it
        was by the deadline (the chain's, read from our own endpoint) by their clocks.

        Raises:
            ConfigurationError: no policy is pinned.
            VerificationFailed: the bid is late by witnessed time, the service's answer
                does not check against the policy, or no cosigned head held the bid
                within ``wait_s`` seconds.
        """
        policy = self.trust.policy
        if policy is None:
            raise ConfigurationError("expected a pinned trust policy to check witnessed time")
        deadline = self._registry.get_tender(tender_id_bytes(code)).bid_deadline
        index = int(receipt["record_index"])
        until = time.monotonic() + wait_s
        while True:
            answer = self._get(f"/v1/records/{index}?head=first")
            checked = check_on_time(
                answer, policy, code=code, bidder=self.account.address,
                nonce=int(receipt["nonce"]), ciphertext_sha256=str(receipt["ciphertext_sha256"]),
                deadline=deadline, now=int(clock()),
            )  # fmt: skip
            if checked is not None:
                return checked
            if time.monotonic() > until:
                raise VerificationFailed(
                    f"expected record {index} (our bid) in a head cosigned by "
                    f"{policy.witnesses.k} pinned witnesses within {wait_s:.0f} s, found none yet"
                )
            time.sleep(poll_s)

    def status(self, code: str) -> list[dict[str, Any]]:
        return list(self._get(f"/v1/tenders/{code}/bids/{self.account.address}"))


def _own_content_key(sealed: Path, account: LocalAccount) -> bytes:
    """The content key of our own envelope, unwrapped with our key.

    Raises:
        MalformedInput: the envelope was sealed by or for another bidder (names both).
    """
    with sealed.open("rb") as f:
        header = sealing.read_header(f)
    ours = bidder_public_key(account)
    sealed_for = header.recipient("bidder").public_key
    if sealed_for != ours or header.bidder.lower() != account.address.lower():
        raise MalformedInput(
            f"expected {sealed} sealed for your key {ours.hex()} ({account.address}), found it "
            f"sealed by {header.bidder} for key {sealed_for.hex()}: another bidder's envelope, "
            "or the wrong --keystore"
        )
    return sealing.unwrap_key(header, "bidder", bytes(account.key))


def _envelope_facts(sealed: Path, account: LocalAccount) -> tuple[bytes, bytes, bytes, bytes]:
    """(ciphertext sha256, envelope digest, plaintext commitment, content key) of a sealed
    file.

    The commitment needs the content key: the bidder unwraps it with their own key
    and streams the envelope once (which also proves the file opens).
    """
    key = _own_content_key(sealed, account)
    with sealed.open("rb") as src, open(os.devnull, "wb") as sink:
        result = envelope_files.open_stream(src, sink, key)
    return result.ciphertext_sha256, result.envelope_digest, result.plaintext_commitment, key


def open_own(sealed: Path, dst: Path, account: LocalAccount) -> sealing.OpenResult:
    """The bidder's fallback: open their own bid with their own key."""
    return envelope_files.open_to_path(sealed, dst, _own_content_key(sealed, account))


def default_file_name(sealed: Path) -> str | None:
    """The document's name a sealed file was made from: ``X.pdf.cwseal`` -> ``X.pdf``."""
    name = sealed.name.removesuffix(".cwseal")
    return name if name and name != sealed.name else None


def device_fingerprint() -> str:
    """This machine's fingerprint: SHA-256 (first 32 hex digits) of its network card
    address and its ``/etc/machine-id`` (when present): the same machine gives the same
    value for every tender, as the MAC/CPU/disk serials regulators compare would."""
    machine = ""
    with contextlib.suppress(OSError):
        machine = Path("/etc/machine-id").read_text().strip()
    return hashlib.sha256(f"{uuid.getnode():012x}|{machine}".encode()).hexdigest()[:32]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()
