"""What a tender looks like from outside: the public view, a bidder's bids, OCDS.

Before opening, only ``full`` views (operators, regulators) name bidders or count
them (招标投标法 art. 22: no disclosure of the names or number of bidders before
opening): the public sees the schedule, keys and documents.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.core import threshold
from ledger_service.core.records import EvidenceRecord
from ledger_service.store.log import LogStore
from ledger_service.store.tenders import TenderStore
from ledger_service.tenders import disclosure, ocds
from ledger_service.tenders.lifecycle import State

PUBLISHER = "Chain Witness 链见证"


class TenderViews:
    """Read-only views of tenders for the API and reports."""

    def __init__(
        self,
        log_store: LogStore,
        store: TenderStore,
        registry: TenderRegistryContract,
        chain_id: int,
        evidence_log: str,
    ) -> None:
        self.log_store = log_store
        self.store = store
        self._registry = registry
        self._chain_id = chain_id
        self._evidence_log = evidence_log

    def state(self, code: str) -> State:
        return State(self.store.tender(code).state)

    def records(self, code: str) -> list[tuple[int, EvidenceRecord]]:
        return [(r.index, r.record) for r in self.log_store.records_for_subject(f"tender:{code}")]

    def custodians(self, code: str) -> list[Any]:
        return self.store.custodians(code)

    def bids_of(self, code: str, bidder: str) -> list[dict[str, Any]]:
        """One bidder's bids on a tender (for that bidder)."""
        return [b for b in self.public_view(code, full=True)["bids"]
                if b["bidder"].lower() == bidder.lower()]  # fmt: skip

    def public_view(self, code: str, full: bool = False) -> dict[str, Any]:
        """A tender's state, keys, commitments and evidence records.

        Before opening, only ``full`` views (operators, regulators) name bidders or
        count them: the public sees the schedule, keys and documents.
        """
        t = self.store.tender(code)
        hide = not (full or self._disclosed(code))
        bids = self.store.bids(code)
        events = self.store.steps(code)
        bidders = self.store.bidders(code)
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
            "chain": {"chain_id": self._chain_id, "evidence_log": self._evidence_log,
                      "tender_registry": self._registry.address},
            "bidders": [] if hide else [
                {"address": b.address, "name": b.name, "public_key": b.public_key.hex()} for b in bidders],
            "bids": [{"bidder": b.bidder, "nonce": b.nonce, "ciphertext_sha256": b.ciphertext_sha256,
                      "plaintext_commitment": b.plaintext_commitment,
                      "envelope_digest": b.envelope_digest, "size": b.size, "status": b.status,
                      "tx_hash": b.tx_hash, "block_time": b.block_time,
                      "record_index": b.record_index} for b in ([] if hide else bids)],
            # numbered among the events shown: gaps left by withheld steps would count them
            "events": [{"seq": seq, "event": e.event, "state_after": e.state_after,
                        "chain_time": e.chain_time, "record_index": e.record_index}
                       for seq, e in enumerate(
                           (e for e in events if not (hide and e.event in self._BIDDER_STEPS)),
                           start=0)],
            "bidder_details_withheld": hide,
            "opening_record": None if t.opening_record is None else json.loads(t.opening_record),
        }  # fmt: skip

    #: Steps that name bidders: held back from the public until bids are opened
    #: (招标投标法 art. 22: no disclosure of the names or number of bidders before opening).
    _BIDDER_STEPS = disclosure.BIDDER_STEPS

    def _disclosed(self, code: str) -> bool:
        return disclosure.disclosed(self.state(code))

    def ocds(self, code: str, full: bool = False) -> dict[str, Any]:
        """OCDS 1.1 release and record packages, with each release's digest in the log.

        Before opening, the public (``full`` false) gets no release that names bidders.
        """
        self.store.tender(code)
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
