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
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger_service.chain.tender_messages import tender_id_bytes
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
)
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.deposit import TENDER, step_record
from ledger_service.store.blobs import BlobStore
from ledger_service.store.log import LogStore
from ledger_service.store.tenders import StoredBid, StoredTender, TenderStore
from ledger_service.tenders import opening
from ledger_service.tenders.lifecycle import Event, State, next_state, opening_outcome
from ledger_service.tenders.model import BidReceipt, Duty, Party

SERVICE_ACTOR = "service:chainwitness"
#: Largest sealed bid accepted (ciphertext bytes).
MAX_BID_BYTES = 2 * 1024**3
log = logging.getLogger("chainwitness.tenders")


class TenderService:
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
    ) -> None:
        self.log_store = log_store
        self.store = store
        self._blobs = blobs
        self._registry = registry
        self._client = registry.client
        self._openings = openings_dir

    @property
    def registry_address(self) -> str:
        return str(self._registry.address)

    # -- helpers -------------------------------------------------------------

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
        self, code: str, title: str, bid_deadline: int, opening_time: int, threshold_t: int,
        custodians: Sequence[Party],
    ) -> None:  # fmt: skip
        """Announce a tender (招标公告) with its custodians; the key is generated next."""
        n = len(custodians)
        if not (threshold_t >= 1 and 2 * threshold_t - 1 <= n <= threshold.MAX_CUSTODIANS):
            # n >= 2t - 1: otherwise t - 1 colluding custodians dealing last could steer
            # the key to one they know (docs/threshold-keys.md)
            raise MalformedInput(
                f"expected 1 <= t and 2t - 1 <= n <= {threshold.MAX_CUSTODIANS} custodians, "
                f"found t = {threshold_t}, n = {n}"
            )
        if not self.chain_time() < bid_deadline <= opening_time:
            raise MalformedInput(
                f"expected chain time {self.chain_time()} < deadline {bid_deadline} <= "
                f"opening {opening_time}"
            )
        tender = StoredTender(
            code=code, chain_id_hex="0x" + tender_id_bytes(code).hex(), title=title,
            state=State.ANNOUNCED.value, bid_deadline=bid_deadline, opening_time=opening_time,
            threshold=threshold_t, group_key=None, opening_record=None,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )  # fmt: skip
        self.store.create(tender, [(c.name, c.address, c.public_key) for c in custodians])
        self._record(
            code, "announced",
            {"title": title, "bid_deadline": bid_deadline, "opening_time": opening_time,
             "threshold": threshold_t,
             "custodians": [{"index": i, "name": c.name, "address": c.address,
                             "public_key": c.public_key.hex()}
                            for i, c in enumerate(custodians, start=1)]},
            state_after=State.ANNOUNCED,
        )  # fmt: skip

    def custodians(self, code: str) -> list[Party]:
        return [Party(c.name, c.address, c.public_key) for c in self.store.custodians(code)]

    def dkg_context(self, code: str) -> bytes:
        """What every dealing of this tender is bound to (no replay across tenders)."""
        return b"chainwitness/tender-key/v1:" + tender_id_bytes(code)

    def post_dealing(self, code: str, dealing: threshold.Dealing) -> None:
        """Store a custodian's public dealing (shares encrypted to each custodian)."""
        n = len(self.custodians(code))
        if not 1 <= dealing.dealer <= n:
            raise MalformedInput(f"expected a dealer index 1..{n}, found {dealing.dealer}")
        text = json.dumps(dealing.to_json(), sort_keys=True)
        self.store.add_dealing(code, dealing.dealer, text)
        self._record(code, "key_dealing", {"dealer": dealing.dealer,
                                           "dealing_sha256": hashlib.sha256(text.encode()).hexdigest()},
                     actor=f"custodian:{dealing.dealer}")  # fmt: skip

    def dealings(self, code: str) -> list[threshold.Dealing]:
        return [threshold.Dealing.from_json(json.loads(text)) for text in self.store.dealings(code)]

    def finalize_key(
        self, code: str, complaints: Sequence[threshold.Complaint] = ()
    ) -> threshold.GroupKey:
        """Combine the qualified dealings into the tender key and register the tender on chain.

        A dealer with a justified complaint is excluded (named in the record).
        """
        t = self._tender(code)
        dealings = self.dealings(code)
        custodians = self.custodians(code)
        qualified = list(threshold.qualify(
            dealings, complaints, [c.public_key for c in custodians], self.dkg_context(code)))  # fmt: skip
        disqualified = sorted({d.dealer for d in dealings} - set(qualified))
        group = threshold.combine(dealings, qualified)
        tx = self._registry.create_tender(
            tender_id_bytes(code), t.bid_deadline, t.opening_time,
            [c.address for c in custodians], t.threshold, group.public_key,
            group.commitments_bytes(),
        )  # fmt: skip
        self.store.set_group_key(code, json.dumps(group.to_json()))
        self._record(
            code, "key_generated",
            {"opening_public_key": group.public_key.hex(), "qualified": qualified,
             "disqualified": disqualified, "tx_hash": tx.tx_hash, "block_time": tx.block_time},
        )  # fmt: skip
        return group

    def group_key(self, code: str) -> threshold.GroupKey:
        text = self._tender(code).group_key
        if text is None:
            raise Conflict(f"expected tender {code}'s opening key, found the key not generated yet")
        return threshold.GroupKey.from_json(json.loads(text))

    # -- documents and bidders ---------------------------------------------------------

    def issue_documents(self, code: str, sha256: str, name: str) -> State:
        self.group_key(code)  # bids need the opening key first
        return self._move(code, Event.ISSUE_DOCUMENTS, {"document": name, "sha256": sha256},
                          digests={"sha256": sha256})  # fmt: skip

    def amend(self, code: str, sha256: str, name: str, version: int) -> State:
        return self._move(code, Event.AMEND, {"document": name, "sha256": sha256, "version": version},
                          digests={"sha256": sha256})  # fmt: skip

    def register_bidder(self, code: str, bidder: Party) -> None:
        self._tender(code)
        tx = self._registry.register_bidder(tender_id_bytes(code), bidder.address)
        self.store.add_bidder(code, bidder.address, bidder.name, bidder.public_key)
        self._record(code, "bidder_registered",
                     {"bidder": bidder.address, "name": bidder.name, "tx_hash": tx.tx_hash})  # fmt: skip

    # -- bids --------------------------------------------------------------------------

    async def submit_bid(
        self, code: str, bidder: str, nonce: int, plaintext_commitment: str,
        envelope_digest: str, signature: bytes, ciphertext: AsyncIterator[bytes],
    ) -> BidReceipt:  # fmt: skip
        """Receive a sealed bid, check it, relay the bidder's signed commitment, record it.

        The ciphertext is streamed to storage and its SHA-256 computed on the way;
        the envelope header must name this tender, this bidder and the tender's
        opening key. The chain then checks the deadline, the registration, the
        nonce and the bidder's own signature; if it refuses, nothing is recorded.
        """
        state = self.state(code)
        next_state(state, Event.SUBMIT_BID)
        group = self.group_key(code)
        blob = await self._blobs.put_stream(ciphertext, max_bytes=MAX_BID_BYTES)
        try:
            tx = self._check_and_relay(code, bidder, nonce, plaintext_commitment,
                                       envelope_digest, signature, blob.sha256, blob.path, group)  # fmt: skip
        except BaseException:
            # a refused bid leaves nothing behind (unless the same bytes are evidence already)
            if not self.log_store.find_by_sha256(blob.sha256, limit=1):
                blob.path.unlink(missing_ok=True)
            raise
        payload = {"bidder": bidder, "nonce": nonce, "ciphertext_sha256": blob.sha256,
                   "plaintext_commitment": plaintext_commitment, "envelope_digest": envelope_digest,
                   "size": blob.size, "tx_hash": tx.tx_hash, "block_time": tx.block_time}  # fmt: skip
        index = self._record(code, "bid_submitted", payload, actor=f"bidder:{bidder}",
                             digests={"sha256": blob.sha256})  # fmt: skip
        self.store.put_bid(code, payload, index)
        return BidReceipt(code, bidder, nonce, blob.sha256, plaintext_commitment, envelope_digest,
                          blob.size, tx.tx_hash, tx.block_time, index)  # fmt: skip

    def _check_and_relay(
        self, code: str, bidder: str, nonce: int, plaintext_commitment: str,
        envelope_digest: str, signature: bytes, sha256: str, path: Path, group: threshold.GroupKey,
    ) -> Any:  # fmt: skip
        with path.open("rb") as f:
            header = sealing.read_header(f)
        self._check_header(code, bidder, header, group)
        header_digest = header.digest().hex()
        if header_digest != envelope_digest:
            raise MalformedInput(
                f"expected the envelope digest {envelope_digest} to match the uploaded envelope, "
                f"found {header_digest}"
            )
        try:
            return self._registry.submit_bid(
                tender_id_bytes(code), bidder, bytes.fromhex(sha256),
                bytes.fromhex(plaintext_commitment), bytes.fromhex(envelope_digest), nonce, signature,
            )  # fmt: skip
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
        if header.bidder.lower() != bidder.lower():
            raise MalformedInput(f"expected an envelope sealed by {bidder}, found {header.bidder}")
        tender_key = header.recipient("tender").public_key
        if tender_key != group.public_key:
            raise MalformedInput(
                f"expected the envelope wrapped to the tender key {group.public_key.hex()}, "
                f"found {tender_key.hex()}"
            )

    def withdraw_bid(self, code: str, bidder: str, nonce: int, signature: bytes) -> int:
        next_state(self.state(code), Event.WITHDRAW_BID)
        tx = self._registry.withdraw_bid(tender_id_bytes(code), bidder, nonce, signature)
        self.store.withdraw_bid(code, bidder)
        return self._record(code, "bid_withdrawn", {"bidder": bidder, "nonce": nonce,
                                                    "tx_hash": tx.tx_hash}, actor=f"bidder:{bidder}")  # fmt: skip

    def active_bids(self, code: str) -> list[StoredBid]:
        return self.store.bids(code, active_only=True)

    # -- deadline and opening --------------------------------------------------------------

    def close_bidding(self, code: str) -> State:
        """Close bidding once chain time has reached the deadline."""
        t = self._tender(code)
        now = self.chain_time()
        if now < t.bid_deadline:
            raise Conflict(f"expected chain time >= deadline {t.bid_deadline}, found {now}")
        return self._move(code, Event.CLOSE_BIDDING, {"chain_time": now,
                                                      "active_bids": len(self.active_bids(code))})  # fmt: skip

    def released_shares(self, code: str) -> dict[int, int]:
        tid = tender_id_bytes(code)
        out = {}
        for i in range(1, len(self.custodians(code)) + 1):
            raw = self._registry.released_share(tid, i)
            if raw and any(raw):
                out[i] = threshold.share_from_bytes(raw)
        return out

    def open(self, code: str, out_dir: Path) -> dict[str, Any]:
        """Open every bid once t valid shares are on chain; write the opening record.

        With fewer than MIN_BIDS active bids the tender fails (流标) instead.
        """
        if self.state(code) == State.DOCUMENTS_ISSUED:
            self.close_bidding(code)
        bids = self.active_bids(code)
        if opening_outcome(len(bids)) == Event.FAIL:
            tx = self._registry.declare_failed(tender_id_bytes(code))
            self._move(code, Event.FAIL, {"active_bids": len(bids), "tx_hash": tx.tx_hash})
            return {"result": "failed", "active_bids": len(bids)}
        group = self.group_key(code)
        released = self.released_shares(code)
        secret, invalid = opening.rebuild_key(group, released)
        committed = []
        tid = tender_id_bytes(code)
        for b in bids:
            on_chain = self._registry.get_bid(tid, b.bidder)
            committed.append(opening.CommittedBid(
                b.bidder, on_chain.nonce, on_chain.ciphertext_digest.hex(),
                on_chain.plaintext_commitment.hex(), on_chain.envelope_digest.hex(),
            ))  # fmt: skip
        files = {}
        for c in committed:
            with contextlib.suppress(NotFound):  # a missing file is reported per bid
                files[c.ciphertext_sha256] = self._blobs.open(c.ciphertext_sha256)
        outcomes = opening.open_all(committed, files, threshold.share_to_bytes(secret), out_dir)
        record, digest = opening.opening_record(code, group, released, invalid, outcomes)
        tx = self._registry.record_opening(tid, digest)
        self.store.set_opening_record(code, json.dumps(record))
        self._move(code, Event.OPEN, {"opening_record_sha256": digest.hex(), "tx_hash": tx.tx_hash,
                                      "opened": sum(o.result == opening.OPENED for o in outcomes),
                                      "flagged": sum(o.result != opening.OPENED for o in outcomes)},
                   digests={"sha256": digest.hex()})  # fmt: skip
        return record

    # -- later steps, views ------------------------------------------------------------

    #: Events that have their own operation (with their own checks) above.
    _OWN_OPERATION = frozenset({Event.ISSUE_DOCUMENTS, Event.AMEND, Event.SUBMIT_BID,
                                Event.WITHDRAW_BID, Event.CLOSE_BIDDING, Event.OPEN, Event.FAIL})  # fmt: skip

    def transition(
        self, code: str, event: Event, note: str = "", document: tuple[str, str] | None = None
    ) -> State:
        """A later lifecycle step: evaluation report, candidates, complaints, award, contract,
        cancellation. A document (name, sha256) becomes the record's digest."""
        if event in self._OWN_OPERATION:
            raise MalformedInput(
                f"expected one of the later steps, found {event.value} (it has its own operation)"
            )
        payload: dict[str, Any] = {"note": note}
        digests = None
        if document is not None:
            payload.update(document=document[0], sha256=document[1])
            digests = {"sha256": document[1]}
        state = next_state(self.state(code), event)  # refuse before touching the chain
        if event == Event.CANCEL and self._tender(code).group_key is not None:
            reason = hashlib.sha256(canonicalize(payload)).digest()
            payload["tx_hash"] = self._registry.cancel_tender(tender_id_bytes(code), reason).tx_hash
        self._move(code, event, payload, digests=digests)
        return state

    def opening_dir(self, code: str) -> Path:
        return self._openings / code

    def records(self, code: str) -> list[tuple[int, EvidenceRecord]]:
        return [(r.index, r.record) for r in self.log_store.records_for_subject(f"tender:{code}")]

    # -- views: in tenders.views ------------------------------------------------------------

    # -- custodians' view ------------------------------------------------------------------

    def duties(self, address: str) -> list[tuple[Duty, bytes]]:
        """The tenders ``address`` guards, as the custodian agent needs them."""
        out = []
        for code, idx in self.store.guarded_by(address):
            t = self._tender(code)
            if t.state in (State.FAILED.value, State.CANCELLED.value):
                continue
            qualified: tuple[int, ...] = ()
            if t.group_key is not None:
                qualified = tuple(self.group_key(code).qualified)
            duty = Duty(
                code=code, index=int(idx), t=int(t.threshold),
                opening_time=int(t.opening_time),
                recipients=tuple(c.public_key for c in self.custodians(code)),
                dealings=tuple(self.dealings(code)), qualified=qualified,
            )  # fmt: skip
            out.append((duty, self.dkg_context(code)))
        return out
