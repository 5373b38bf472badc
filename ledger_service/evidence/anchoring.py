"""Anchors the log's tree heads on chain: batched, crash-safe, idempotent, reorg-aware.

The chain is the source of truth. Each step

1. re-reads ``HeadAnchored`` events over a window of recent blocks and refreshes
   the local ``anchors`` table from them: an anchor whose transaction vanished
   (a reorg) is marked dropped, one that moved blocks is updated, and one made
   before a crash but never recorded is picked up;
2. reads the contract's latest head and checks that the local log has the same
   root at that size (if not, history diverged: anchoring stops loudly);
3. if the log has grown, anchors the new head with a consistency proof from the
   chain's head. The contract verifies the proof, so a step repeated after a
   crash or raced by another anchorer is refused by the chain, never double-counted.

Killed at any point, a restarted anchorer just runs the next step.

A head is recorded as anchored only once the chain state that holds it is durable:
``make_durable`` (the embedded node's ``save_state``) runs after the transaction
and before the anchors table hears of it. A chain that lost blocks in a crash
(the embedded node restored from its last saved state) no longer shows those
anchors: step 1 marks them dropped and step 3 anchors the head again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.tx import ContractReverted
from ledger_service.core.errors import ChainStateMismatch, ChainUnavailable
from ledger_service.store.anchors import CONFIRMED, DROPPED, PENDING, AnchorInfo, AnchorStore
from ledger_service.store.log import LogStore

log = logging.getLogger("chainwitness.anchoring")

#: Blocks re-read on every step to notice reorgs of recently mined anchors.
REORG_WINDOW = 64
#: Longest pause between retries after the chain failed to answer.
MAX_BACKOFF_S = 30.0


@dataclass(frozen=True)
class StepResult:
    chain_size: int
    local_size: int
    anchored: AnchorInfo | None


class Anchorer:
    """Anchors new tree heads every ``interval_s`` or as soon as ``max_leaves`` wait."""

    def __init__(
        self,
        log_store: LogStore,
        anchors: AnchorStore,
        client: ChainClient,
        contract: EvidenceLogContract,
        *,
        interval_s: float = 1.0,
        max_leaves: int = 100_000,
        confirmations: int = 0,
        start_block: int = 0,
        clock: Callable[[], float] = time.monotonic,
        on_head: Callable[[int, bytes], object] | None = None,
        make_durable: Callable[[], object] | None = None,
    ) -> None:
        """``on_head(size, root)`` (e.g. ``CheckpointPublisher.ensure``: sign a checkpoint
        and have the witnesses cosign it) runs for each head before it is anchored, and
        for the chain's head on a step that anchors nothing (to catch up).
        ``make_durable()`` (e.g. ``ManagedAnvil.save_state``) runs before an anchor
        the chain holds is recorded; it raises ChainUnavailable when it cannot."""
        self._log = log_store
        self._anchors = anchors
        self._client = client
        self._contract = contract
        self._interval = interval_s
        self._max_leaves = max_leaves
        self._confirmations = confirmations
        self._start_block = start_block
        self._clock = clock
        self._on_head = on_head
        self._make_durable = make_durable
        #: observable state, for readiness and metrics
        self.running = False
        self.stopped_reason: str | None = None
        self.last_error: str | None = None
        self.last_success_at: float | None = None  # time.time() of the last good step
        self.anchor_txs = 0
        self.anchor_gas = 0
        self.retries = 0

    # -- one step ------------------------------------------------------------------

    def step(self) -> StepResult:
        """Reconcile with the chain; if the log grew, ``on_head`` and anchor the new head."""
        result = self._step()
        if self._on_head is not None and result.anchored is None and result.chain_size > 0:
            # catch up: a head anchored before its checkpoint gathered its quorum
            self._on_head(result.chain_size, self._log.root_at(result.chain_size))
        return result

    def _step(self) -> StepResult:
        self.sync()
        chain_head = self._contract.latest_head()
        if chain_head.size > 0:
            local = self._log.head()
            if chain_head.size > local.size:
                raise ChainStateMismatch(
                    f"expected the chain's head size {chain_head.size} to be at most the log "
                    f"size {local.size}: the chain holds a longer log than this database"
                )
            ours = self._log.root_at(chain_head.size)
            if ours != chain_head.root:
                raise ChainStateMismatch(
                    f"expected the chain's root at size {chain_head.size} to be {ours.hex()}, "
                    f"found {chain_head.root.hex()}: the log and the chain diverged"
                )
        head = self._log.head()
        if head.size <= chain_head.size:
            return StepResult(chain_head.size, head.size, None)
        if self._on_head is not None:
            # witnessed first: an anchored head always has its signed, cosigned checkpoint
            self._on_head(head.size, head.root)
        proof = self._log.consistency_proof(chain_head.size, head.size) if chain_head.size else []
        try:
            tx = self._contract.anchor(head.size, head.root, proof, self._log.size_proof(head.size))
        except ContractReverted as exc:
            # Another anchorer (or our own pre-crash transaction) got there first;
            # the next step re-reads the chain and continues from its head.
            log.warning(
                "anchor of size %d refused: %s", head.size, exc,
                extra={"event": "anchor_refused", "tree_size": head.size},
            )  # fmt: skip
            return StepResult(chain_head.size, head.size, None)
        self.anchor_txs += 1
        self.anchor_gas += tx.gas_used
        if self._make_durable is not None:
            self._make_durable()
        info = AnchorInfo(
            tree_size=head.size,
            root=head.root,
            chain_id=self._client.chain_id,
            contract=self._contract.address,
            tx_hash=tx.tx_hash,
            block_number=tx.block_number,
            block_hash=tx.block_hash,
            block_time=tx.block_time,
            head_index=chain_head.index + 1 if chain_head.size else 0,
            status=self._status(tx.block_number, self._client.block_number()),
        )
        self._anchors.upsert(info)
        log.info(
            "anchored size %d root %s in block %d (tx %s, %d gas)",
            head.size,
            head.root.hex()[:16],
            tx.block_number,
            tx.tx_hash,
            tx.gas_used,
            extra={
                "event": "anchored", "tree_size": head.size, "root": head.root.hex(),
                "block": tx.block_number, "tx": tx.tx_hash, "gas": tx.gas_used,
            },
        )  # fmt: skip
        return StepResult(head.size, head.size, info)

    def sync(self) -> None:
        """Refresh the anchors table from chain events over the recent-block window."""
        latest = self._client.block_number()
        newest = self._anchors.latest_block()
        start = (
            self._start_block if newest is None else max(self._start_block, newest - REORG_WINDOW)
        )
        start = min(start, max(latest - REORG_WINDOW, self._start_block))
        events = self._contract.anchored_events(start, latest) if start <= latest else []
        known = {a.tx_hash: a for a in self._anchors.live_since(start)}
        seen = set()
        if self._make_durable is not None and any(e.tx_hash not in known for e in events):
            self._make_durable()  # an anchor made before a crash: saved before it is recorded
        for ev in events:
            seen.add(ev.tx_hash)
            info = AnchorInfo(
                tree_size=ev.size,
                root=ev.root,
                chain_id=self._client.chain_id,
                contract=self._contract.address,
                tx_hash=ev.tx_hash,
                block_number=ev.block_number,
                block_hash=ev.block_hash,
                # the contract stamps anchoredAt with block.timestamp: the chain time
                block_time=ev.anchored_at,
                head_index=ev.index,
                status=self._status(ev.block_number, latest),
            )
            if known.get(ev.tx_hash) != info:
                self._anchors.upsert(info)
        for row in known.values():
            if row.tx_hash not in seen:
                log.warning(
                    "anchor of size %d (tx %s, block %d) is no longer on chain: reorged away "
                    "or lost by a chain restart; the head will be anchored again",
                    row.tree_size,
                    row.tx_hash,
                    row.block_number,
                    extra={"event": "anchor_dropped", "tree_size": row.tree_size,
                           "tx": row.tx_hash, "block": row.block_number},
                )  # fmt: skip
                self._anchors.set_status(row.tx_hash, DROPPED)

    def _status(self, block_number: int, latest: int) -> str:
        return CONFIRMED if block_number + self._confirmations <= latest else PENDING

    # -- the loop ------------------------------------------------------------------

    def run(self, stop: threading.Event, poll_s: float = 0.05) -> None:
        """Anchor until ``stop`` is set: every interval, or early when many leaves wait.

        Chain outages are logged and retried with exponential backoff; a
        ChainStateMismatch ends the loop (it needs a human).
        """
        self.running, self.stopped_reason = True, None
        try:
            self._loop(stop, poll_s)
        except BaseException as exc:
            self.stopped_reason = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self.running = False
            if self.stopped_reason is None:
                self.stopped_reason = "stopped"

    def _loop(self, stop: threading.Event, poll_s: float) -> None:
        backoff = 0.0
        last = -float("inf")
        chain_size = 0
        while not stop.is_set():
            now = self._clock()
            due = now - last >= self._interval
            if not due:
                waiting = self._log.head().size - chain_size
                due = waiting >= self._max_leaves
            if due:
                try:
                    result = self.step()
                    chain_size = result.chain_size
                    last = now
                    backoff = 0.0
                    self.last_error = None
                    self.last_success_at = time.time()
                except ChainUnavailable as exc:
                    backoff = min(MAX_BACKOFF_S, max(0.5, backoff * 2))
                    self.retries += 1
                    self.last_error = str(exc)
                    log.error(
                        "chain unavailable, retrying in %.1fs: %s", backoff, exc,
                        extra={"event": "anchor_retry", "backoff_s": backoff},
                    )  # fmt: skip
                    stop.wait(backoff)
                    continue
                except ChainStateMismatch as exc:
                    log.critical(
                        "anchoring stopped: the log and the chain diverged: %s", exc,
                        extra={"event": "anchoring_stopped"},
                    )
                    raise
            stop.wait(poll_s)

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        t = threading.Thread(target=self.run, args=(stop,), name="anchorer", daemon=True)
        t.start()
        return t, stop

    def wait_anchored(self, size: int, timeout: float = 30.0) -> AnchorInfo:
        """Block until a confirmed anchor covers ``size`` leaves (for the CLI and demo)."""
        deadline = time.monotonic() + timeout
        while True:
            a = self._anchors.latest_confirmed()
            if a is not None and a.tree_size >= size:
                return a
            if time.monotonic() > deadline:
                raise ChainUnavailable(
                    f"expected an anchor covering {size} leaves within {timeout}s, "
                    f"found {a.tree_size if a else 0}"
                )
            time.sleep(0.05)
