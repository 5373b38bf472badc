"""Full-process tender witness: every step is checked, relayed on chain and recorded.

The service holds no secret that could open a bid: bids arrive sealed, the
tender key exists only as custodians' shares until they release them on chain
at opening time, and bidders sign their own commitments (the service relays).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from ledger_service.chain.eip712 import recover_typed_signer
from ledger_service.chain.tender_events import (
    BidSealedEvent,
    LoggedEvent,
    TenderFailedEvent,
    TenderOpenedEvent,
)
from ledger_service.chain.tender_messages import (
    bid_typed_data,
    sealed_bid_commitment,
    tender_id_bytes,
)
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.chain.tx import ContractReverted
from ledger_service.core import sealing, threshold
from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import (
    Conflict,
    DeadlinePassed,
    EvidenceError,
    MalformedInput,
    NotFound,
    VerificationFailed,
)
from ledger_service.core.human_time import with_iso
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.deposit import TENDER, step_record
from ledger_service.store.blobs import BlobStore
from ledger_service.store.log import LogStore
from ledger_service.store.tenders import StoredBid, StoredTender, TenderStore
from ledger_service.supervision import capture
from ledger_service.tenders import later_steps, opened_files, opening
from ledger_service.tenders.chain_view import revealed_bids
from ledger_service.tenders.keygen import KeyGeneration
from ledger_service.tenders.lifecycle import Event, State, next_state, opening_outcome
from ledger_service.tenders.model import BidReceipt, Party, Schedule, SignedBid

SERVICE_ACTOR = "service:chainwitness"
#: Largest sealed bid accepted (ciphertext bytes).
MAX_BID_BYTES = 2 * 1024**3
log = logging.getLogger("chainwitness.tenders")


class _Landed(NamedTuple):
    """A bid's sealing transaction found on chain (relayed before a crash)."""

    tx_hash: str
    block_time: int


class TenderService(KeyGeneration):
    """Runs tenders through their lifecycle: checks each step, relays it on chain, records it.

    Collaborators: the evidence log, the tender tables, the file store holding sealed
    bids, the TenderRegistry wrapper (whose client gives chain time), and the
    directory openings are written to.
    """

    def __init__(
        self,
        log_store: LogStore,
        store: TenderStore,
        blobs: BlobStore,
        registry: TenderRegistryContract,
        openings_dir: Path,
        make_durable: Callable[[], object] | None = None,
    ) -> None:
        """``make_durable`` (the embedded chain: save the node's state) runs after a
        bidder's transaction is mined and before it is recorded or acknowledged, so that
        a receipt never names a transaction a crash of the node can take back."""
        self.log_store = log_store
        self.store = store
        self._blobs = blobs
        self._registry = registry
        self._client = registry.client
        self._openings = openings_dir
        self._make_durable = make_durable

    @property
    def registry_address(self) -> str:
        return str(self._registry.address)

    # -- helpers -------------------------------------------------------------

    def _durable(self) -> None:
        """Save the embedded node's state (no-op on an external chain)."""
        if self._make_durable is not None:
            self._make_durable()

    def chain_time(self) -> int:
        """The latest block's timestamp: the only clock deadlines are judged by."""
        return int(self._client.block("latest")["timestamp"])

    def _tender(self, code: str) -> StoredTender:
        return self.store.tender(code)

    def state(self, code: str) -> State:
        return State(self._tender(code).state)

    def _record(
        self, code: str, event: str, payload: Mapping[str, Any], actor: str = SERVICE_ACTOR,
        digests: Mapping[str, str] | None = None, state_after: State | None = None,
    ) -> int:  # fmt: skip
        """Append the evidence record of one tender step; returns its leaf index."""
        record = step_record(TENDER, code, event, payload, actor=actor, digests=digests)
        index = self.log_store.append([record]).first_index
        chain_time = self.chain_time()  # before taking the write lock: it is an RPC call
        self.store.add_step(
            code, event, None if state_after is None else state_after.value, chain_time, index
        )
        self._record_release(code, record, index)
        return index

    def _record_release(self, code: str, record: EvidenceRecord, index: int) -> None:
        """Put the OCDS release of a step in the log (its canonical SHA-256)."""
        from ledger_service.tenders import ocds

        if record.kind.removeprefix("tender.") in ocds.UNPUBLISHED_EVENTS:
            return
        try:
            previous = [r for i, r in self.records(code) if i < index]
            release = ocds.release_for(record, index, previous)
            ocds.validate_release(release)
        except EvidenceError:
            log.exception("no OCDS release for record %d of tender %s", index, code)
            return
        digest = hashlib.sha256(canonicalize(release)).hexdigest()
        self.log_store.append([EvidenceRecord.create(
            kind="ocds.release", subject=f"tender:{code}", actor=SERVICE_ACTOR,
            digests={"sha256": digest}, metadata={"release_id": release["id"], "step_record": index},
        )])  # fmt: skip

    def _move(self, code: str, event: Event, payload: Mapping[str, Any], **kw: Any) -> State:
        state = next_state(self.state(code), event)
        self.store.set_state(code, state.value)
        self._record(code, event.value, payload, state_after=state, **kw)
        return state

    # -- announcement and the opening key -------------------------------------------

    def announce(
        self, code: str, title: str, schedule: Schedule, threshold_t: int,
        custodians: Sequence[tuple[str, str]], actor: str = SERVICE_ACTOR,
    ) -> None:  # fmt: skip
        """Announce a tender (招标公告) and create it on chain in KeyGeneration.

        ``custodians`` are ``(display name, chain address)`` pairs in index order. Their
        encryption keys are the ones each registered itself on chain; the chain copies
        them and enforces ``t >= 2``, ``2t - 1 <= n`` and the schedule's order. The
        service never supplies a key.
        """
        tid = tender_id_bytes(code)
        tx = self._registry.create_tender(
            tid, schedule.dealing_deadline, schedule.complaint_deadline, schedule.bid_deadline,
            schedule.opening_time, [a for _, a in custodians], threshold_t,
        )  # fmt: skip
        keys = self._registry.custodian_keys(tid)
        tender = StoredTender(
            code=code, chain_id_hex="0x" + tid.hex(), title=title,
            state=State.ANNOUNCED.value, bid_deadline=schedule.bid_deadline,
            opening_time=schedule.opening_time, threshold=threshold_t, group_key=None,
            opening_record=None, created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )  # fmt: skip
        members = [(n, a, k) for (n, a), k in zip(custodians, keys, strict=True)]
        self.store.create(tender, members)
        self._record(
            code, "announced",
            {"title": title, **schedule.to_json(), "threshold": threshold_t, "tx_hash": tx.tx_hash,
             "custodians": [{"index": i, "name": n, "address": a, "public_key": k.hex()}
                            for i, (n, a, k) in enumerate(members, start=1)]},
            state_after=State.ANNOUNCED, actor=actor,
        )  # fmt: skip

    def custodians(self, code: str) -> list[Party]:
        return [Party(c.name, c.address, c.public_key) for c in self.store.custodians(code)]

    def code_of(self, tender_id: bytes) -> str:
        """The code of the tender whose on-chain id is ``tender_id``. Raises NotFound."""
        return self.store.by_chain_id("0x" + tender_id.hex()).code

    # -- documents and bidders ---------------------------------------------------------

    # ``actor`` of each step: who acted, as the API authenticated them (role:name); the
    # service itself only for what chain time does (closing, opening by the watcher)

    def issue_documents(
        self, code: str, sha256: str, name: str, actor: str = SERVICE_ACTOR
    ) -> State:
        self.group_key(code)  # bids need the opening key first
        return self._move(code, Event.ISSUE_DOCUMENTS, {"document": name, "sha256": sha256},
                          digests={"sha256": sha256}, actor=actor)  # fmt: skip

    def amend(
        self, code: str, sha256: str, name: str, version: int, actor: str = SERVICE_ACTOR
    ) -> State:
        return self._move(code, Event.AMEND, {"document": name, "sha256": sha256, "version": version},
                          digests={"sha256": sha256}, actor=actor)  # fmt: skip

    def register_bidder(
        self, code: str, bidder: Party, pseudonym: str, actor: str = SERVICE_ACTOR
    ) -> None:
        """Admit ``bidder`` under the per-tender ``pseudonym`` its own client made.

        Only the pseudonym goes on chain; who is behind it stays in the service's
        records (withheld from the public until opening) until the reveal.
        """
        self._tender(code)
        tx = self._registry.register_bidder(tender_id_bytes(code), pseudonym)
        self.store.add_bidder(code, bidder.address, bidder.name, bidder.public_key)
        self._record(code, "bidder_registered",
                     {"bidder": bidder.address, "name": bidder.name, "pseudonym": pseudonym,
                      "tx_hash": tx.tx_hash}, actor=actor)  # fmt: skip

    # -- bids --------------------------------------------------------------------------

    async def submit_bid(
        self, code: str, bid: SignedBid, ciphertext: AsyncIterator[bytes], *,
        ip: str | None = None, device: str | None = None, file_name_sealed: bytes | None = None,
    ) -> BidReceipt:  # fmt: skip
        """Receive a sealed bid, check it, relay the pseudonym's signed commitment, record it.

        The ciphertext is streamed to storage and its SHA-256 computed on the way; the
        envelope header must name this tender, this bidder and the tender's opening key;
        the bidder's own Bid signature must recover to the bidder (it is kept in the
        ``bid_submitted`` record and checked again on chain at the reveal). The chain
        then checks the deadline, the registration, the nonce and the pseudonym's
        signature; if it refuses, nothing is recorded.

        The same envelope again (a retry, a second click) from the same bidder, with a
        valid Bid signature, gets the receipt of its active bid: nothing is relayed,
        no nonce is used and nothing is overwritten. ``file_name_sealed`` is the
        document's file name sealed under the envelope's content key
        (``core.sealing.file_name``), read at opening.
        """
        state = self.state(code)
        next_state(state, Event.SUBMIT_BID)
        group = self.group_key(code)
        blob = await self._blobs.put_stream(ciphertext, max_bytes=MAX_BID_BYTES)
        try:
            commitment = self._check(code, bid, blob.sha256, blob.path, group)
            again = self._active_with(code, bid.bidder, blob.sha256)
            if again is not None:
                log.info("tender %s: bidder %s sent its active bid %s again: same receipt",
                         code, bid.bidder, blob.sha256)  # fmt: skip
                return BidReceipt(code, again.bidder, again.nonce, again.ciphertext_sha256,
                                  again.plaintext_commitment, again.envelope_digest, again.size,
                                  again.tx_hash, again.block_time, again.record_index)  # fmt: skip
            recorded = self._recorded_not_stored(code, bid, blob.sha256)
            if recorded is not None:
                return recorded
            # relayed before a crash but never recorded: the chain holds it, don't resend
            tx = self._landed(code, bid, commitment) or self._relay_bid(code, bid, commitment)
            self._durable()
        except BaseException:
            # a refused bid leaves nothing behind (unless the same bytes are evidence already)
            if not self.log_store.find_by_sha256(blob.sha256, limit=1):
                blob.path.unlink(missing_ok=True)
            raise
        payload = {**bid.to_json(), "ciphertext_sha256": blob.sha256, "size": blob.size,
                   "tx_hash": tx.tx_hash, "block_time": tx.block_time}  # fmt: skip
        if file_name_sealed is not None:
            payload["file_name_sealed"] = file_name_sealed.hex()
        index = self._record(code, "bid_submitted", payload, actor=f"bidder:{bid.bidder}",
                             digests=blob.digests)  # fmt: skip
        self.store.put_bid(code, payload, index)
        if ip is not None:
            self.log_store.append([capture.upload_record(
                code, bid.bidder, tx.block_time, ip, device, index, blob.sha256)])  # fmt: skip
        return BidReceipt(code, bid.bidder, bid.nonce, blob.sha256, bid.plaintext_commitment,
                          bid.envelope_digest, blob.size, tx.tx_hash, tx.block_time, index)  # fmt: skip

    def _recorded_not_stored(self, code: str, bid: SignedBid, sha256: str) -> BidReceipt | None:
        """A ``bid_submitted`` record of exactly this bid whose bid row is missing (the
        service died between the two writes): store the row from the record and answer
        its receipt, instead of recording the bid a second time."""
        for index in self.log_store.find_by_sha256(sha256, limit=20):
            rec = self.log_store.record(index).record
            m = rec.metadata
            if (rec.kind != f"{TENDER.prefix}.bid_submitted" or rec.subject != f"tender:{code}"
                    or str(m.get("bidder", "")).lower() != bid.bidder.lower()
                    or m.get("nonce") != bid.nonce):  # fmt: skip
                continue
            if not any(s.record_index == index for s in self.store.steps(code)):
                self.store.add_step(code, "bid_submitted", None, self.chain_time(), index)
            self.store.put_bid(code, m, index)
            log.warning("tender %s: bid of %s recorded at %d but not stored (a crash): stored "
                        "now", code, bid.bidder, index)  # fmt: skip
            return BidReceipt(code, bid.bidder, bid.nonce, sha256, bid.plaintext_commitment,
                              bid.envelope_digest, int(str(m["size"])), str(m["tx_hash"]),
                              int(str(m["block_time"])), index)  # fmt: skip
        return None

    def _landed(self, code: str, bid: SignedBid, commitment: bytes) -> _Landed | None:
        """This exact sealed bid (pseudonym, nonce, commitment) already on chain, with the
        transaction that put it there, or None."""
        tid = tender_id_bytes(code)
        view = self._registry.get_sealed_bid(tid, bid.pseudonym)
        if not view.active or view.nonce != bid.nonce or view.commitment != commitment:
            return None
        for e in self._registry.events(0, tender_id=tid):  # rare: one eth_getLogs
            if (isinstance(e, BidSealedEvent) and e.pseudonym.lower() == bid.pseudonym.lower()
                    and e.nonce == bid.nonce and e.commitment == commitment):  # fmt: skip
                log.warning("tender %s: bid of %s was relayed before a crash (tx %s): "
                            "recording it now", code, bid.bidder, e.tx_hash)  # fmt: skip
                return _Landed(e.tx_hash, e.submitted_at)
        return None

    def _active_with(self, code: str, bidder: str, sha256: str) -> StoredBid | None:
        for b in self.store.bids(code, active_only=True):
            if b.bidder.lower() == bidder.lower() and b.ciphertext_sha256 == sha256:
                return b
        return None

    def _check(
        self, code: str, bid: SignedBid, sha256: str, path: Path, group: threshold.GroupKey
    ) -> bytes:
        """Check the envelope and the bidder's Bid signature; return the SealedBid commitment."""
        with path.open("rb") as f:
            header = sealing.read_header(f)
        self._check_header(code, bid.bidder, header, group)
        header_digest = header.digest().hex()
        if header_digest != bid.envelope_digest:
            raise MalformedInput(
                f"expected the envelope digest {bid.envelope_digest} to match the uploaded "
                f"envelope, found {header_digest}"
            )
        tid = tender_id_bytes(code)
        reveal = bid.reveal(sha256)
        chain_id, registry = self._client.chain_id, self.registry_address
        signer = recover_typed_signer(
            bid_typed_data(chain_id, registry, tid, bid.bidder, bid.pseudonym,
                           reveal.ciphertext_digest, reveal.plaintext_commitment,
                           reveal.envelope_digest), bid.bid_signature)  # fmt: skip
        if signer.lower() != bid.bidder.lower():
            raise VerificationFailed(
                f"expected the Bid signed by bidder {bid.bidder}, found a signature of {signer}"
            )
        return sealed_bid_commitment(
            tid, bid.bidder, reveal.salt, reveal.ciphertext_digest, reveal.plaintext_commitment,
            reveal.envelope_digest,
        )  # fmt: skip

    def _relay_bid(self, code: str, bid: SignedBid, commitment: bytes) -> Any:
        tid = tender_id_bytes(code)
        try:
            return self._registry.submit_bid(tid, bid.pseudonym, commitment, bid.nonce,
                                             bid.sealed_signature)  # fmt: skip
        except ContractReverted as exc:
            if "Deadline" in exc.error_name:
                raise DeadlinePassed(f"the chain refused the bid: {exc}") from exc
            raise

    def _check_header(
        self, code: str, bidder: str, header: sealing.EnvelopeHeader, group: threshold.GroupKey
    ) -> None:
        if header.tender_id != code:
            raise MalformedInput(
                f"expected an envelope for tender {code}, found {header.tender_id!r}"
            )
        sealed_for = header.recipient("bidder").public_key
        members = self.store.bidders(code)
        key = next((m.public_key for m in members if m.address.lower() == bidder.lower()), None)
        if header.bidder.lower() != bidder.lower() or (key is not None and sealed_for != key):
            owner = next((m.address for m in members if m.public_key == sealed_for), None)
            raise MalformedInput(
                f"expected an envelope sealed by bidder {bidder} for its key "
                f"{key.hex() if key else '(not registered)'}, found one sealed by "
                f"{header.bidder} for key {sealed_for.hex()}"
                + (f" (registered bidder {owner})" if owner else "")
                + ": submit your own sealed file, made with your own key"
            )
        tender_key = header.recipient("tender").public_key
        if tender_key != group.public_key:
            raise MalformedInput(
                f"expected the envelope wrapped to the tender key {group.public_key.hex()}, "
                f"found {tender_key.hex()}"
            )

    def withdraw_bid(
        self, code: str, bidder: str, pseudonym: str, nonce: int, signature: bytes
    ) -> int:
        """Relay the pseudonym's signed Withdrawal of ``bidder``'s bid."""
        next_state(self.state(code), Event.WITHDRAW_BID)
        tx = self._registry.withdraw_bid(tender_id_bytes(code), pseudonym, nonce, signature)
        self.store.withdraw_bid(code, bidder)
        return self._record(code, "bid_withdrawn", {"bidder": bidder, "nonce": nonce,
                                                    "tx_hash": tx.tx_hash}, actor=f"bidder:{bidder}")  # fmt: skip

    def active_bids(self, code: str) -> list[StoredBid]:
        return self.store.bids(code, active_only=True)

    def reveal_bids(self, code: str) -> int:
        """After the bid deadline, open every active sealed commitment on chain to its
        bidder's signed Bid (anyone may do this; a bidder can also reveal its own).
        Returns how many were revealed now; one the chain refuses is logged and skipped."""
        tid = tender_id_bytes(code)
        submitted = {(str(r.metadata.get("bidder", "")), r.metadata.get("nonce")): r
                     for _, r in self.records(code) if r.kind == "tender.bid_submitted"}  # fmt: skip
        done = 0
        for b in self.active_bids(code):
            record = submitted.get((b.bidder, b.nonce))
            if record is None:
                continue
            bid = SignedBid.from_json(dict(record.metadata))
            if self._registry.get_sealed_bid(tid, bid.pseudonym).revealed:
                continue
            try:
                self._registry.reveal_bid(tid, bid.pseudonym, bid.reveal(b.ciphertext_sha256),
                                          bid.bid_signature)  # fmt: skip
            except ContractReverted as exc:
                log.warning("tender %s: reveal of %s refused: %s", code, b.bidder, exc)
                continue
            done += 1
        return done

    # -- deadline and opening --------------------------------------------------------------

    def close_bidding(self, code: str) -> State:
        """Close bidding once chain time has reached the deadline."""
        t = self._tender(code)
        now = self.chain_time()
        if now < t.bid_deadline:
            raise Conflict(
                f"expected chain time >= deadline {with_iso(t.bid_deadline)}, found {with_iso(now)}"
            )
        # the chain state that passed the deadline is saved before the close is recorded: a
        # crash of the embedded node must not leave "closed" here and "open" on chain
        self._durable()
        state = self._move(code, Event.CLOSE_BIDDING, {"chain_time": now,
                                                       "active_bids": len(self.active_bids(code))})  # fmt: skip
        self.reveal_bids(code)
        self._durable()
        return state

    def _on_chain_already(self, tid: bytes, kind: type[LoggedEvent]) -> _Landed | None:
        """The transaction of tender ``tid``'s ``kind`` event, if the chain holds one (a step
        sent before a crash and never recorded here), as a stand-in for sending it again."""
        for e in self._registry.events(0, tender_id=tid):  # rare: one eth_getLogs
            if isinstance(e, kind):
                block = self._client.block(e.block_number)
                log.warning("tender %s: %s already on chain (tx %s) before a crash: recording "
                            "it", tid.hex()[:12], kind.__name__, e.tx_hash)  # fmt: skip
                return _Landed(e.tx_hash, int(block["timestamp"]))
        return None

    def reveal_missing(self, code: str) -> int:
        """:meth:`reveal_bids` if fewer bids are revealed on chain than are active here
        (one read when all are); returns how many were revealed now."""
        if self.revealed_count(code) >= len(self.active_bids(code)):
            return 0
        revealed = self.reveal_bids(code)
        self._durable()
        return revealed

    def revealed_count(self, code: str) -> int:
        """Bids revealed on chain (the count the chain opens with)."""
        return int(self._registry.get_tender(tender_id_bytes(code)).revealed_bids)

    def released_shares(self, code: str) -> dict[int, int]:
        tid = tender_id_bytes(code)
        out = {}
        for i in range(1, len(self.custodians(code)) + 1):
            raw = self._registry.released_share(tid, i)
            if raw and any(raw):
                out[i] = threshold.share_from_bytes(raw)
        return out

    def open(self, code: str, out_dir: Path, actor: str = SERVICE_ACTOR) -> dict[str, Any]:
        """Open every bid once t valid shares are on chain; write the opening record.

        With fewer than MIN_BIDS active bids the tender fails (流标) instead.
        """
        if self.state(code) == State.DOCUMENTS_ISSUED:
            self.close_bidding(code)
        tid = tender_id_bytes(code)
        committed = [bid for bid, _ in revealed_bids(self._registry, tid)]
        if opening_outcome(len(committed)) == Event.FAIL:
            tx = self._on_chain_already(tid, TenderFailedEvent) or self._registry.declare_failed(tid)
            self._durable()
            self._move(code, Event.FAIL, {"revealed_bids": len(committed), "tx_hash": tx.tx_hash},
                       actor=actor)  # fmt: skip
            return {"result": "failed", "revealed_bids": len(committed)}
        group = self.group_key(code)
        released = self.released_shares(code)
        secret, invalid = opening.rebuild_key(group, released)
        files = {}
        for c in committed:
            with contextlib.suppress(NotFound):  # a missing file is reported per bid
                files[c.ciphertext_sha256] = self._blobs.open(c.ciphertext_sha256)
        outcomes = opening.open_all(committed, files, threshold.share_to_bytes(secret), out_dir)
        opened_files.name_files(out_dir, outcomes, files, self._sealed_name(code),
                                threshold.share_to_bytes(secret))  # fmt: skip
        record, digest = opening.opening_record(code, group, released, invalid, outcomes)
        self._capture_opening(code, out_dir, outcomes)
        # opened before a crash cut the recording short: the chain holds it already
        tx = self._on_chain_already(tid, TenderOpenedEvent) or self._registry.record_opening(
            tid, digest
        )
        self._durable()
        self.store.set_opening_record(code, json.dumps(record))
        self._move(code, Event.OPEN, {"opening_record_sha256": digest.hex(), "tx_hash": tx.tx_hash,
                                      "opened": sum(o.result == opening.OPENED for o in outcomes),
                                      "flagged": sum(o.result != opening.OPENED for o in outcomes)},
                   digests={"sha256": digest.hex()}, actor=actor)  # fmt: skip
        return record

    def _sealed_name(self, code: str) -> Callable[[str, int], bytes | None]:
        """The sealed file name each stored bid arrived with (in its bid_submitted record)."""
        by_bid = {(b.bidder.lower(), b.nonce): b.record_index for b in self.store.bids(code)}

        def sealed(bidder: str, nonce: int) -> bytes | None:
            index = by_bid.get((bidder.lower(), nonce))
            if index is None:
                return None
            text = self.log_store.record(index).record.metadata.get("file_name_sealed")
            return bytes.fromhex(text) if isinstance(text, str) else None

        return sealed

    def _capture_opening(
        self, code: str, out_dir: Path, outcomes: Sequence[opening.BidOutcome]
    ) -> None:
        """The supervision signals of the opened bids (``supervision.capture``)."""
        opened = [capture.Opened(o.bidder, o.ciphertext_sha256, out_dir / f"{o.bidder}-{o.nonce}.bin")
                  for o in outcomes if o.result == opening.OPENED]  # fmt: skip
        records = [
            (r.index, r.record) for r in self.log_store.records_for_subject(capture.subject(code))
        ]
        capture.capture_opening(self.log_store, code, opened, records)

    # -- later steps, views ------------------------------------------------------------

    #: Events that have their own operation (with their own checks) above.
    _OWN_OPERATION = frozenset({Event.ISSUE_DOCUMENTS, Event.AMEND, Event.SUBMIT_BID,
                                Event.WITHDRAW_BID, Event.CLOSE_BIDDING, Event.OPEN, Event.FAIL})  # fmt: skip

    def transition(
        self, code: str, event: Event, note: str = "", document: tuple[str, str] | None = None,
        data: Mapping[str, Any] | None = None, actor: str = SERVICE_ACTOR,
    ) -> State:  # fmt: skip
        """A later lifecycle step: evaluation report, candidates, complaints, award, contract,
        cancellation, with its structured data (``later_steps.FIELDS``: the valid bids,
        the candidates, the winner and price ...). A document (name, sha256) becomes the
        record's digest. ``actor`` is who acted (the API passes the caller's token).

        Raises:
            MalformedInput: a field is missing or malformed, or the step would not give
                a valid OCDS release (it names what is wrong); nothing is recorded.
            IllegalTransition: the step is not allowed in the tender's state.
        """
        if event in self._OWN_OPERATION:
            raise MalformedInput(
                f"expected one of the later steps, found {event.value} (it has its own operation)"
            )
        payload, digests = later_steps.step_payload(event, note, document, data or {})
        state = next_state(self.state(code), event)  # refuse before touching the chain
        record = step_record(TENDER, code, event.value, payload, actor=actor, digests=digests)
        later_steps.check_publishable(
            record, self.log_store.head().size, [r for _, r in self.records(code)]
        )
        if event == Event.CANCEL:
            # the chain refuses from the bid deadline on and after any share release
            reason = hashlib.sha256(canonicalize(payload)).digest()
            payload["tx_hash"] = self._registry.cancel_tender(tender_id_bytes(code), reason).tx_hash
        self._move(code, event, payload, digests=digests, actor=actor)
        return state

    def opening_dir(self, code: str) -> Path:
        return self._openings / code

    def records(self, code: str) -> list[tuple[int, EvidenceRecord]]:
        return [(r.index, r.record) for r in self.log_store.records_for_subject(f"tender:{code}")]

    # -- views: in tenders.views ------------------------------------------------------------
