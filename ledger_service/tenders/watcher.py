"""Makes tenders move by chain time without anyone pressing a button.

Every few seconds: a tender whose bid deadline has passed (by block time) is
closed; one whose opening time has passed and that has at least t shares on
chain, or too few bids to open, is opened (or failed). The bidders need not be
present, and neither does the operator.

A chain that mines only on transactions (the embedded anvil) would leave chain time
at its last block, so a deadline would pass only with unrelated traffic: given
``advance`` (``ManagedAnvil.mine_when_due``), the watcher has a block mined once the
next block's time reaches the earliest deadline or opening time a tender waits for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ledger_service.core.errors import EvidenceError
from ledger_service.core.human_time import with_iso
from ledger_service.tenders.lifecycle import MIN_BIDS, State
from ledger_service.tenders.service import TenderService

log = logging.getLogger("chainwitness.tenders")


class TenderWatcher:
    def __init__(
        self,
        tenders: TenderService,
        poll_s: float = 2.0,
        advance: Callable[[int], bool] | None = None,
    ) -> None:
        self._tenders = tenders
        self._poll = poll_s
        self._advance = advance
        #: tenders opened or failed by this watcher (for metrics)
        self.openings = 0

    def step(self) -> list[str]:
        """One pass: rerun key generations that qualified too few dealers, close bidding at
        the deadline, open at the opening time; returns the codes it opened or failed."""
        svc = self._tenders
        now = svc.chain_time()
        for keyless in svc.store.in_states([State.ANNOUNCED.value]):
            if keyless.group_key is None:
                try:
                    svc.rerun_key_generation(keyless.code, now)
                except EvidenceError as exc:
                    log.error("tender %s: %s", keyless.code, exc)
        waiting = svc.store.in_states([State.DOCUMENTS_ISSUED.value, State.BIDS_CLOSED.value])
        if self._advance is not None:
            due = [
                t.bid_deadline if t.state == State.DOCUMENTS_ISSUED.value else t.opening_time
                for t in waiting
            ]
            due = [t for t in due if t > now]
            if due and self._advance(min(due)):
                now = svc.chain_time()
        done = []
        for tender in waiting:
            code, state, deadline = tender.code, tender.state, tender.bid_deadline
            opening_time, t = tender.opening_time, tender.threshold
            try:
                if state == State.DOCUMENTS_ISSUED.value and now >= deadline:
                    svc.close_bidding(code)
                    log.info("tender %s: bidding closed at chain time %d", code, now,
                             extra={"event": "tender_closed", "tender": code,
                                    "chain_time": now})  # fmt: skip
                if now < opening_time:
                    if state == State.BIDS_CLOSED.value and now >= deadline:
                        # closed in an earlier pass, or before a crash cut the reveals
                        # short: reveal what is still sealed (each reveal is checked)
                        svc.reveal_missing(code)
                    continue
                few_bids = svc.revealed_count(code) < MIN_BIDS
                if few_bids or len(svc.released_shares(code)) >= t:
                    svc.open(code, svc.opening_dir(code))
                    done.append(code)
                    self.openings += 1
                    log.info("tender %s %s at chain time %s", code,
                             "failed (too few bids)" if few_bids else "opened", with_iso(now),
                             extra={"event": "tender_opening", "tender": code,
                                    "chain_time": now, "failed": few_bids})  # fmt: skip
            except EvidenceError as exc:
                log.error("tender %s: %s", code, exc, extra={"event": "tender_error", "tender": code})
        return done

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.step()
            except EvidenceError as exc:
                log.error("tender watcher: %s", exc)
            stop.wait(self._poll)

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        t = threading.Thread(target=self.run, args=(stop,), name="tender-watcher", daemon=True)
        t.start()
        return t, stop
