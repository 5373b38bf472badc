"""The regulator's side of supervision: gather a tender's signals from its evidence
records, run the rules, record the alert as evidence, record dispositions.

An alert (``supervision.alert``, subject ``supervision:<tender>``) holds the scoring's
output (``scoring.Alert.to_json``) with ``evidence``: the leaf indices of every signal
record it rests on, and of the upload records those cite. A scan whose alert equals
the tender's last recorded one records nothing new. A disposition
(``supervision.disposition``) names the alert's leaf index, the decision (confirmed or
dismissed), the reason and the regulator (its token's name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import Conflict, MalformedInput, NotFound
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.deposit import step_record
from ledger_service.store.log import LogStore
from ledger_service.store.tenders import TenderStore
from ledger_service.supervision.capture import SUPERVISION, bond_record, subject
from ledger_service.supervision.history import bid_rotation, constant_groups
from ledger_service.supervision.rules import TENDER_RULES
from ledger_service.supervision.scoring import Weights, score
from ledger_service.supervision.signals import Bid, Bond, Step, Submission, TenderSignals

__all__ = ["DECISIONS", "SEVERITIES", "SupervisionService"]

DECISIONS = frozenset({"confirmed", "dismissed"})
SEVERITIES = ("watch", "alert", "high")
#: the trading centre's buyer id in signals (the tender rows name no buyer)
BUYER = "centre"


def _unix(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


@dataclass(frozen=True)
class StoredAlert:
    """An alert record: its leaf index and its body."""

    index: int
    record: EvidenceRecord

    @property
    def body(self) -> dict[str, Any]:
        return dict(self.record.metadata)

    @property
    def evidence(self) -> list[int]:
        """Leaf indices of the records the alert rests on."""
        return [int(i) for i in self.body["evidence"]]

    @property
    def parties(self) -> set[str]:
        """Every party a hit names, lowercased."""
        return {str(p).lower() for h in self.body["hits"] for p in h["parties"]}

    def to_json(self) -> dict[str, Any]:
        return {"record_index": self.index, "submitted_at": self.record.submitted_at,
                **{k: v for k, v in self.record.metadata.items() if k != "event"}}  # fmt: skip


class SupervisionService:
    """Scans tenders, records alerts and dispositions. Collaborators: the log, the tender
    rows (which tenders exist, their deadlines) and the scoring weights."""

    def __init__(self, log_store: LogStore, tenders: TenderStore, weights: Weights) -> None:
        self.log_store = log_store
        self._tenders = tenders
        self.weights = weights

    def codes(self) -> list[str]:
        return self._tenders.codes()

    def _records(self, code: str) -> list[tuple[int, EvidenceRecord]]:
        return [(r.index, r.record) for r in self.log_store.records_for_subject(subject(code))]

    def gather(self, code: str) -> TenderSignals:
        """Everything recorded about ``code``: per bidder its last submission signal (the
        opening's, with documents) or else its last upload, prices, bonds, the steps.
        Raises NotFound for a tender this service does not run."""
        tender = self._tenders.tender(code)
        subs: dict[str, Submission] = {}
        opened: set[str] = set()
        bids: dict[str, Bid] = {}
        bonds: list[Bond] = []
        for i, r in self._records(code):
            event, signal = r.metadata.get("event"), r.metadata.get("signal")
            if not isinstance(signal, Mapping):
                continue
            if event == "submission" or (event == "upload" and r.metadata["bidder"] not in opened):
                s = Submission.from_json({**signal, "ref": str(i)})
                subs[s.bidder] = s
                if event == "submission":
                    opened.add(s.bidder)
            elif event == "opening_price":
                bids[str(signal["bidder"])] = Bid.from_json({**signal, "ref": str(i)})
            elif event == "bond_payment":
                bonds.append(Bond.from_json({**signal, "ref": str(i)}))
        stored_steps = self._tenders.steps(code)
        steps = tuple(Step(s.event, s.chain_time, str(s.record_index))
                      for s in stored_steps)  # fmt: skip
        awarded: str | None = None  # the award step's structured winner (the last award)
        for step in stored_steps:
            if step.event == "award":
                supplier = self.log_store.record(step.record_index).record.metadata.get("supplier")
                awarded = supplier if isinstance(supplier, str) else awarded
        # the winner as the bidders are named in the signals (addresses, any case)
        winner = next((b for b in subs if awarded is not None and b.lower() == awarded.lower()),
                      awarded)  # fmt: skip
        return TenderSignals(code, BUYER, tender.bid_deadline, tuple(subs.values()),
                             tuple(bids.values()), tuple(bonds), steps=steps,
                             winner=winner)  # fmt: skip

    def _evidence(self, refs: tuple[str, ...]) -> list[int]:
        """Leaf indices of ``refs`` and of the upload records they cite."""
        out = set()
        for ref in refs:
            index = int(ref)
            out.add(index)
            cited = self.log_store.record(index).record.metadata
            for key in ("upload_record", "submission_record"):
                value = cited.get(key)
                if isinstance(value, int):
                    out.add(value)
        return sorted(out)

    def scan(self, code: str, actor: str) -> tuple[StoredAlert | None, bool]:
        """Run every rule on ``code`` (history rules over every tender of this service),
        score, and record the alert unless it equals the last one. Returns the tender's
        current alert (None: no rule hit) and whether it was recorded now."""
        signals = self.gather(code)
        hits = [h for rule in TENDER_RULES for h in rule(signals)]
        everyone = [signals] + [self.gather(c) for c in self.codes() if c != code]
        for corpus_rule in (bid_rotation, constant_groups):
            hits += corpus_rule(everyone).get(code, [])
        alert = score(code, hits, self.weights)
        if alert is None:
            return None, False
        body = alert.to_json()
        refs = body.pop("refs")
        body["evidence"] = self._evidence(tuple(refs))
        body["weights"] = self.weights.to_json()
        last = self.alerts(tender=code)
        previous = None if not last else {k: last[-1].body.get(k) for k in body}
        if previous is not None and canonicalize(previous) == canonicalize(body):
            return last[-1], False
        record = step_record(SUPERVISION, code, "alert", body, actor=actor)
        index = int(self.log_store.append([record]).first_index)
        return StoredAlert(index, self.log_store.record(index).record), True

    def alerts(
        self, tender: str | None = None, party: str | None = None, severity: str | None = None
    ) -> list[StoredAlert]:
        """Recorded alerts, oldest first, filtered by tender, a party they name (case
        ignored) and least severity. Raises MalformedInput for an unknown severity."""
        if severity is not None and severity not in SEVERITIES:
            raise MalformedInput(
                f"severity: expected one of {list(SEVERITIES)}, found {severity!r}"
            )
        least = SEVERITIES.index(severity) if severity else 0
        out = []
        for code in [tender] if tender else self.codes():
            for i, r in self._records(code):
                if r.kind != "supervision.alert":
                    continue
                a = StoredAlert(i, r)
                if SEVERITIES.index(str(a.body["severity"])) < least:
                    continue
                if party is not None and party.lower() not in a.parties:
                    continue
                out.append(a)
        return sorted(out, key=lambda a: a.index)

    def alert(self, index: int) -> tuple[StoredAlert, list[dict[str, Any]]]:
        """The alert at leaf ``index`` and its dispositions. Raises NotFound."""
        try:
            record = self.log_store.record(index).record
        except NotFound:
            raise NotFound(f"expected an alert record at index {index}, found none") from None
        if record.kind != "supervision.alert":
            raise NotFound(f"expected an alert record at index {index}, found {record.kind}")
        code = record.subject.removeprefix("supervision:")
        dispositions = [{"record_index": i, "submitted_at": r.submitted_at, "actor": r.actor,
                         **{k: v for k, v in r.metadata.items() if k != "event"}}
                        for i, r in self._records(code)
                        if r.kind == "supervision.disposition" and r.metadata.get("alert_record") == index]  # fmt: skip
        return StoredAlert(index, record), dispositions

    def dispose(self, index: int, decision: str, reason: str, regulator: str) -> int:
        """Record a regulator's disposition of the alert at ``index``; returns its index.

        Raises:
            MalformedInput: a decision other than confirmed/dismissed, or no reason.
            NotFound: no alert at ``index``.
            Conflict: the alert was already disposed of (a later review is a new alert).
        """
        if decision not in DECISIONS:
            raise MalformedInput(
                f"decision: expected one of {sorted(DECISIONS)}, found {decision!r}"
            )
        if not reason.strip():
            raise MalformedInput("reason: expected the regulator's reason, found none")
        alert, done = self.alert(index)
        if done:
            raise Conflict(f"expected an alert not yet disposed of, found disposition record "
                           f"{done[0]['record_index']} ({done[0]['decision']})")  # fmt: skip
        code = str(alert.record.metadata["tender"])
        record = step_record(SUPERVISION, code, "disposition",
                             {"alert_record": index, "decision": decision, "reason": reason,
                              "regulator": regulator}, actor=f"regulator:{regulator}")  # fmt: skip
        return int(self.log_store.append([record]).first_index)

    def party(self, party: str) -> dict[str, Any]:
        """A party's history across tenders: the tenders it left signals in and the
        alerts that name it, with their dispositions."""
        low = party.lower()
        tenders = sorted({c for c in self.codes() for _, r in self._records(c)
                          if str(r.metadata.get("bidder", "")).lower() == low})  # fmt: skip
        alerts = []
        for a in self.alerts(party=party):
            _, dispositions = self.alert(a.index)
            alerts.append({**a.to_json(), "dispositions": dispositions})
        return {"party": party, "tenders": tenders, "alerts": alerts}

    def record_bond(self, code: str, bidder: str, payer_account: str, actor: str) -> int:
        """Record a bid bond payment for ``bidder`` of ``code``. Raises NotFound for an
        unknown tender or a bidder not registered for it."""
        if bidder.lower() not in {b.address.lower() for b in self._tenders.bidders(code)}:
            raise NotFound(f"expected a bidder registered for {code}, found {bidder}")
        return int(
            self.log_store.append([bond_record(code, bidder, payer_account, actor)]).first_index
        )
