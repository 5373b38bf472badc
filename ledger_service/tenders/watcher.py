"""Makes tenders move by chain time without anyone pressing a button.

Every few seconds: a tender whose bid deadline has passed (by block time) is
closed; one whose opening time has passed and that has at least t shares on
chain, or too few bids to open, is opened (or failed). The bidders need not be
present, and neither does the operator.
"""

from __future__ import annotations

import logging
import threading

from ledger_service.core.errors import EvidenceError
from ledger_service.core.human_time import with_iso
from ledger_service.tenders.lifecycle import MIN_BIDS, State
from ledger_service.tenders.service import TenderService

log = logging.getLogger("chainwitness.tenders")


class TenderWatcher:
    def __init__(self, tenders: TenderService, poll_s: float = 2.0) -> None:
        self._tenders = tenders
        self._poll = poll_s

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
        done = []
        for tender in waiting:
            code, state, deadline = tender.code, tender.state, tender.bid_deadline
            opening_time, t = tender.opening_time, tender.threshold
            try:
                if state == State.DOCUMENTS_ISSUED.value and now >= deadline:
                    svc.close_bidding(code)
                if now < opening_time:
                    continue
                few_bids = svc.revealed_count(code) < MIN_BIDS
                if few_bids or len(svc.released_shares(code)) >= t:
                    svc.open(code, svc.opening_dir(code))
                    done.append(code)
                    log.info("tender %s %s at chain time %s", code,
                             "failed (too few bids)" if few_bids else "opened", with_iso(now))  # fmt: skip
            except EvidenceError as exc:
                log.error("tender %s: %s", code, exc)
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
