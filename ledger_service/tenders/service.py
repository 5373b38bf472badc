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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update

from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.chain.tx import ContractReverted
from ledger_service.core import sealing, threshold
from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import Conflict, EvidenceError, MalformedInput, NotFound
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.deposit import TENDER, step_record
from ledger_service.runtime import Services
from ledger_service.store.models import (
    TenderBidderRow,
    TenderBidRow,
    TenderCustodianRow,
    TenderDealingRow,
    TenderEventRow,
    TenderRow,
)
from ledger_service.tenders import opening
from ledger_service.tenders.lifecycle import Event, State, next_state, opening_outcome

_T = cast(Table, TenderRow.__table__)
_C = cast(Table, TenderCustodianRow.__table__)
_D = cast(Table, TenderDealingRow.__table__)
_B = cast(Table, TenderBidderRow.__table__)
_BIDS = cast(Table, TenderBidRow.__table__)
_EV = cast(Table, TenderEventRow.__table__)

ACTIVE, REPLACED, WITHDRAWN = "active", "replaced", "withdrawn"
SERVICE_ACTOR = "service:chainwitness"
#: Largest sealed bid accepted (ciphertext bytes).
MAX_BID_BYTES = 2 * 1024**3
log = logging.getLogger("chainwitness.tenders")
PUBLISHER = "Chain Witness 链见证"


class DeadlinePassed(Conflict):
    """The chain refused a step because of its deadline or opening time."""

    code = "deadline-passed"
    title = "Deadline passed"


@dataclass(frozen=True)
class Party:
    """A custodian or bidder: display name, chain address, secp256k1 public key (33 bytes)."""

    name: str
    address: str
    public_key: bytes


@dataclass(frozen=True)
class BidReceipt:
    tender: str
    bidder: str
    nonce: int
    ciphertext_sha256: str
    plaintext_commitment: str
    envelope_digest: str
    size: int
    tx_hash: str
    block_time: int
    record_index: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class TenderService:
    def __init__(self, services: Services, registry: TenderRegistryContract) -> None:
        assert services.client is not None
        self._s = services
        self._engine = services.log_store.engine
        self._registry = registry
        self._client = services.client

    @property
    def registry_address(self) -> str:
        return str(self._registry.address)

    # -- helpers -------------------------------------------------------------

    def chain_time(self) -> int:
        """The latest block's timestamp: the only clock deadlines are judged by."""
        return int(self._client.block("latest")["timestamp"])

    def _tender(self, code: str) -> Any:
        with self._engine.connect() as conn:
            row = conn.execute(select(_T).where(_T.c.code == code)).first()
        if row is None:
            raise NotFound(f"expected a tender with code {code!r}, found none")
        return row

    def state(self, code: str) -> State:
        return State(self._tender(code).state)

    def _record(
        self, code: str, event: str, payload: Mapping[str, Any], actor: str = SERVICE_ACTOR,
        digests: Mapping[str, str] | None = None, state_after: State | None = None,
    ) -> int:  # fmt: skip
        """Append the evidence record of one tender step; returns its leaf index."""
        record = step_record(TENDER, code, event, payload, actor=actor, digests=digests)
        index = self._s.log_store.append([record]).first_index
        chain_time = self.chain_time()  # before taking the write lock: it is an RPC call
        with self._engine.begin() as conn:
            seq = conn.execute(
                select(func.count()).select_from(_EV).where(_EV.c.tender_code == code)
            ).scalar_one()
            after = state_after or State(
                conn.execute(select(_T.c.state).where(_T.c.code == code)).scalar_one()
            )
            conn.execute(
                insert(_EV).values(
                    tender_code=code, seq=seq, event=event, state_after=after.value,
                    chain_time=chain_time, record_index=index,
                )
            )  # fmt: skip
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
        self._s.log_store.append([EvidenceRecord.create(
            kind="ocds.release", subject=f"tender:{code}", actor=SERVICE_ACTOR,
            digests={"sha256": digest}, metadata={"release_id": release["id"], "step_record": index},
        )])  # fmt: skip

    def _move(self, code: str, event: Event, payload: Mapping[str, Any], **kw: Any) -> State:
        state = next_state(self.state(code), event)
        with self._engine.begin() as conn:
            conn.execute(update(_T).where(_T.c.code == code).values(state=state.value))
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
        with self._engine.begin() as conn:
            exists = conn.execute(select(_T.c.code).where(_T.c.code == code)).first()
            if exists:
                raise Conflict(f"expected a new tender code, found {code!r} already announced")
            conn.execute(
                insert(_T).values(
                    code=code, chain_id_hex="0x" + tender_id_bytes(code).hex(), title=title,
                    state=State.ANNOUNCED.value, bid_deadline=bid_deadline,
                    opening_time=opening_time, threshold=threshold_t,
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )  # fmt: skip
            for i, c in enumerate(custodians, start=1):
                conn.execute(
                    insert(_C).values(
                        tender_code=code, idx=i, name=c.name, address=c.address,
                        public_key=c.public_key.hex(),
                    )
                )  # fmt: skip
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
        with self._engine.connect() as conn:
            rows = conn.execute(select(_C).where(_C.c.tender_code == code).order_by(_C.c.idx)).all()
        return [Party(r.name, r.address, bytes.fromhex(r.public_key)) for r in rows]

    def dkg_context(self, code: str) -> bytes:
        """What every dealing of this tender is bound to (no replay across tenders)."""
        return b"chainwitness/tender-key/v1:" + tender_id_bytes(code)

    def post_dealing(self, code: str, dealing: threshold.Dealing) -> None:
        """Store a custodian's public dealing (shares encrypted to each custodian)."""
        n = len(self.custodians(code))
        if not 1 <= dealing.dealer <= n:
            raise MalformedInput(f"expected a dealer index 1..{n}, found {dealing.dealer}")
        text = json.dumps(dealing.to_json(), sort_keys=True)
        with self._engine.begin() as conn:
            if conn.execute(
                select(_D.c.dealer).where(_D.c.tender_code == code, _D.c.dealer == dealing.dealer)
            ).first():
                raise Conflict(
                    f"expected one dealing per custodian, found a second from {dealing.dealer}"
                )
            conn.execute(insert(_D).values(tender_code=code, dealer=dealing.dealer, dealing=text))
        self._record(code, "key_dealing", {"dealer": dealing.dealer,
                                           "dealing_sha256": hashlib.sha256(text.encode()).hexdigest()},
                     actor=f"custodian:{dealing.dealer}")  # fmt: skip

    def dealings(self, code: str) -> list[threshold.Dealing]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(_D).where(_D.c.tender_code == code).order_by(_D.c.dealer)
            ).all()
        return [threshold.Dealing.from_json(json.loads(r.dealing)) for r in rows]

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
        with self._engine.begin() as conn:
            conn.execute(
                update(_T).where(_T.c.code == code).values(group_key=json.dumps(group.to_json()))
            )
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
        with self._engine.begin() as conn:
            conn.execute(
                insert(_B).values(tender_code=code, address=bidder.address, name=bidder.name,
                                  public_key=bidder.public_key.hex())
            )  # fmt: skip
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
        blob = await self._s.blobs.put_stream(ciphertext, max_bytes=MAX_BID_BYTES)
        try:
            tx = self._check_and_relay(code, bidder, nonce, plaintext_commitment,
                                       envelope_digest, signature, blob.sha256, blob.path, group)  # fmt: skip
        except BaseException:
            # a refused bid leaves nothing behind (unless the same bytes are evidence already)
            if not self._s.log_store.find_by_sha256(blob.sha256, limit=1):
                blob.path.unlink(missing_ok=True)
            raise
        payload = {"bidder": bidder, "nonce": nonce, "ciphertext_sha256": blob.sha256,
                   "plaintext_commitment": plaintext_commitment, "envelope_digest": envelope_digest,
                   "size": blob.size, "tx_hash": tx.tx_hash, "block_time": tx.block_time}  # fmt: skip
        index = self._record(code, "bid_submitted", payload, actor=f"bidder:{bidder}",
                             digests={"sha256": blob.sha256})  # fmt: skip
        with self._engine.begin() as conn:
            conn.execute(
                update(_BIDS).where(_BIDS.c.tender_code == code, _BIDS.c.bidder == bidder,
                                    _BIDS.c.status == ACTIVE).values(status=REPLACED)
            )  # fmt: skip
            conn.execute(insert(_BIDS).values(tender_code=code, status=ACTIVE, record_index=index,
                                              **{k: v for k, v in payload.items()}))  # fmt: skip
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
        with self._engine.begin() as conn:
            conn.execute(
                update(_BIDS).where(_BIDS.c.tender_code == code, _BIDS.c.bidder == bidder,
                                    _BIDS.c.status == ACTIVE).values(status=WITHDRAWN)
            )  # fmt: skip
        return self._record(code, "bid_withdrawn", {"bidder": bidder, "nonce": nonce,
                                                    "tx_hash": tx.tx_hash}, actor=f"bidder:{bidder}")  # fmt: skip

    def active_bids(self, code: str) -> list[Any]:
        with self._engine.connect() as conn:
            return list(conn.execute(
                select(_BIDS).where(_BIDS.c.tender_code == code, _BIDS.c.status == ACTIVE)
                .order_by(_BIDS.c.bidder)
            ).all())  # fmt: skip

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
                files[c.ciphertext_sha256] = self._s.blobs.open(c.ciphertext_sha256)
        outcomes = opening.open_all(committed, files, threshold.share_to_bytes(secret), out_dir)
        record, digest = opening.opening_record(code, group, released, invalid, outcomes)
        tx = self._registry.record_opening(tid, digest)
        with self._engine.begin() as conn:
            conn.execute(
                update(_T).where(_T.c.code == code).values(opening_record=json.dumps(record))
            )
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
        return self._s.settings.data_dir / "openings" / code

    def records(self, code: str) -> list[tuple[int, EvidenceRecord]]:
        return [
            (r.index, r.record) for r in self._s.log_store.records_for_subject(f"tender:{code}")
        ]

    def bids_of(self, code: str, bidder: str) -> list[dict[str, Any]]:
        """One bidder's bids on a tender (for that bidder)."""
        return [b for b in self.public_view(code, full=True)["bids"]
                if b["bidder"].lower() == bidder.lower()]  # fmt: skip

    def public_view(self, code: str, full: bool = False) -> dict[str, Any]:
        """A tender's state, keys, commitments and evidence records.

        Before opening, only ``full`` views (operators, regulators) name bidders or
        count them: the public sees the schedule, keys and documents.
        """
        t = self._tender(code)
        hide = not (full or self._disclosed(code))
        chain = self._s.chain
        with self._engine.connect() as conn:
            bids = conn.execute(
                select(_BIDS).where(_BIDS.c.tender_code == code).order_by(_BIDS.c.id)
            ).all()
            events = conn.execute(
                select(_EV).where(_EV.c.tender_code == code).order_by(_EV.c.seq)
            ).all()
            bidders = conn.execute(select(_B).where(_B.c.tender_code == code)).all()
        group = (
            None if t.group_key is None else threshold.GroupKey.from_json(json.loads(t.group_key))
        )
        return {
            "code": code, "tender_id": t.chain_id_hex, "title": t.title, "state": t.state,
            "bid_deadline": t.bid_deadline, "opening_time": t.opening_time, "threshold": t.threshold,
            "custodians": [{"index": i, "name": c.name, "address": c.address,
                            "public_key": c.public_key.hex()}
                           for i, c in enumerate(self.custodians(code), start=1)],
            "opening_public_key": None if group is None else group.public_key.hex(),
            "chain": None if chain is None else {
                "chain_id": chain.chain_id, "evidence_log": chain.evidence_log,
                "tender_registry": self._registry.address},
            "bidders": [] if hide else [
                {"address": b.address, "name": b.name, "public_key": b.public_key} for b in bidders],
            "bids": [{"bidder": b.bidder, "nonce": b.nonce, "ciphertext_sha256": b.ciphertext_sha256,
                      "plaintext_commitment": b.plaintext_commitment,
                      "envelope_digest": b.envelope_digest, "size": b.size, "status": b.status,
                      "tx_hash": b.tx_hash, "block_time": b.block_time,
                      "record_index": b.record_index} for b in ([] if hide else bids)],
            "events": [{"seq": e.seq, "event": e.event, "state_after": e.state_after,
                        "chain_time": e.chain_time, "record_index": e.record_index}
                       for e in events if not (hide and e.event in self._BIDDER_STEPS)],
            "bidder_details_withheld": hide,
            "opening_record": None if t.opening_record is None else json.loads(t.opening_record),
        }  # fmt: skip

    #: Steps that name bidders: held back from the public until bids are opened
    #: (招标投标法 art. 22: no disclosure of the names or number of bidders before opening).
    _BIDDER_STEPS = frozenset(
        {"bidder_registered", "bid_submitted", "bid_withdrawn", "close_bidding"}
    )

    def _disclosed(self, code: str) -> bool:
        return self.state(code) not in (State.ANNOUNCED, State.DOCUMENTS_ISSUED, State.BIDS_CLOSED)

    def ocds(self, code: str, full: bool = False) -> dict[str, Any]:
        """OCDS 1.1 release and record packages, with each release's digest in the log.

        Before opening, the public (``full`` false) gets no release that names bidders.
        """
        from ledger_service.tenders import ocds

        self._tender(code)
        show_all = full or self._disclosed(code)
        steps = [(i, r) for i, r in self.records(code) if r.kind.startswith("tender.")
                 and (show_all or r.kind.removeprefix("tender.") not in self._BIDDER_STEPS)]  # fmt: skip
        releases = ocds.releases(steps)
        logged = {str(r.metadata["release_id"]): (i, r.digests["sha256"])
                  for i, r in self.records(code) if r.kind == "ocds.release"}  # fmt: skip
        now = datetime.now(UTC)
        return {
            "release_package": ocds.release_package(releases, now, PUBLISHER),
            "record_package": ocds.record_package(releases, now, PUBLISHER),
            "evidence": [{"release_id": r["id"], "record_index": logged.get(r["id"], (None, ""))[0],
                          "sha256": logged.get(r["id"], (None, ""))[1]} for r in releases],
        }  # fmt: skip

    # -- custodians' view ------------------------------------------------------------------

    def duties(self, address: str) -> list[tuple[Any, bytes]]:
        """The tenders ``address`` guards, as the custodian agent needs them."""
        from ledger_service.tenders.custodian import Duty

        with self._engine.connect() as conn:
            rows = conn.execute(
                select(_C.c.tender_code, _C.c.idx).where(
                    func.lower(_C.c.address) == address.lower()
                )
            ).all()
        out = []
        for code, idx in rows:
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
