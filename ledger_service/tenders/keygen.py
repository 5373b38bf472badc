"""Key generation of a tender, as the service relays it (TenderRegistry 2).

The service cannot forge any of it: custodians sign their dealings, complaints and
key approvals with their own chain accounts, the chain checks every signature, and
the key recorded is the one the public qualified-set rule gives from the transcript
read back from the chain (``docs/threshold-keys.md`` section 10).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from eth_utils.crypto import keccak

from ledger_service.chain.tender_messages import (
    tender_id_bytes,
)
from ledger_service.chain.tender_registry import TenderRegistryContract, TenderStatus
from ledger_service.core import threshold
from ledger_service.core.errors import (
    Conflict,
    VerificationFailed,
)
from ledger_service.store.tenders import StoredTender, TenderStore
from ledger_service.tenders import chain_view
from ledger_service.tenders.lifecycle import State

log = logging.getLogger("chainwitness.tenders")


class _Tenders(Protocol):
    """What key generation needs of the tender service it is part of."""

    store: TenderStore
    _registry: TenderRegistryContract

    def code_of(self, tender_id: bytes) -> str: ...

    def _tender(self, code: str) -> StoredTender: ...

    def _record(
        self, code: str, event: str, payload: Mapping[str, Any], actor: str = ...,
        digests: Mapping[str, str] | None = ..., state_after: State | None = ...,
    ) -> int: ...  # fmt: skip


def _approvals_for(
    store: TenderStore, code: str, key: bytes, commitments: bytes
) -> dict[int, bytes]:
    """The stored approvals of one (key, commitments), by custodian index."""
    out = {}
    for i, text in store.key_approvals(code).items():
        a = json.loads(text)
        if a["key"] == key.hex() and a["commitments"] == commitments.hex():
            out[i] = bytes.fromhex(a["signature"])
    return out


#: one finalization at a time in this process (see post_approval)
_FINALIZING = threading.Lock()


class KeyGeneration:
    """Relaying the custodians' signed key-generation messages and the final key."""

    def post_dealing(
        self: _Tenders, tender_id: bytes, index: int, body: bytes, signature: bytes
    ) -> None:
        """Relay custodian ``index``'s signed dealing; the chain checks its signature."""
        code = self.code_of(tender_id)
        tx = self._registry.post_dealing(tender_id, index, body, signature)
        self._record(code, "key_dealing", {"dealer": index, "body_keccak": keccak(body).hex(),
                                           "signature": signature.hex(), "tx_hash": tx.tx_hash},
                     actor=f"custodian:{index}")  # fmt: skip

    def post_complaints(
        self: _Tenders, tender_id: bytes, index: int, body: bytes, signature: bytes
    ) -> None:
        """Relay custodian ``index``'s signed complaint bundle."""
        code = self.code_of(tender_id)
        tx = self._registry.post_complaints(tender_id, index, body, signature)
        self._record(code, "key_complaints", {"accuser": index, "body_keccak": keccak(body).hex(),
                                              "signature": signature.hex(), "tx_hash": tx.tx_hash},
                     actor=f"custodian:{index}")  # fmt: skip

    def post_approval(
        self: _Tenders,
        tender_id: bytes,
        index: int,
        public_key: bytes,
        commitments: bytes,
        signature: bytes,
    ) -> None:
        """Keep custodian ``index``'s KeyApproval; with ``t`` approvals of one key, relay
        them in ``finalizeKey`` (the chain checks every signature against its own
        transcript hash)."""
        code = self.code_of(tender_id)
        approval = {"key": public_key.hex(), "commitments": commitments.hex(),
                    "signature": signature.hex()}  # fmt: skip
        self.store.add_key_approval(code, index, json.dumps(approval, sort_keys=True))
        # approvals arrive together: the t-th and a later one must not both finalize (the
        # chain refuses the second with WrongStatus, which the custodian saw as an error)
        with _FINALIZING:
            t = self._tender(code)
            if t.group_key is not None:
                return  # finalized by an earlier approval: this one is kept, nothing to relay
            same = _approvals_for(self.store, code, public_key, commitments)
            if len(same) >= t.threshold:
                KeyGeneration.finalize_key(self, code)

    def finalize_key(self: _Tenders, code: str) -> threshold.GroupKey:
        """Relay the opening key approved by the most custodians (at least t) to the chain.

        The key recorded is the chain's: the public qualified-set rule applied to the
        transcript read back from the chain must give the approved key.

        Raises:
            Conflict: fewer than t custodians approved one key.
            ContractReverted: the chain refused (wrong transcript, too few approvals...).
        """
        t = self._tender(code)
        by_key: dict[tuple[str, str], int] = {}
        for text in self.store.key_approvals(code).values():
            a = json.loads(text)
            by_key[(a["key"], a["commitments"])] = by_key.get((a["key"], a["commitments"]), 0) + 1
        if not by_key or max(by_key.values()) < t.threshold:
            raise Conflict(
                f"expected {t.threshold} custodian approvals of one key for tender {code}, "
                f"found {max(by_key.values(), default=0)}"
            )
        key_hex, comm_hex = max(by_key, key=lambda k: by_key[k])
        approvals = _approvals_for(
            self.store, code, bytes.fromhex(key_hex), bytes.fromhex(comm_hex)
        )
        tid = tender_id_bytes(code)
        tx = self._registry.finalize_key(
            tid, bytes.fromhex(key_hex), bytes.fromhex(comm_hex), sorted(approvals),
            [approvals[i] for i in sorted(approvals)],
        )  # fmt: skip
        result = chain_view.outcome(chain_view.read_tender(self._registry, tid))
        group = result.group
        if group is None or group.public_key.hex() != key_hex:
            raise VerificationFailed(
                f"expected the transcript on chain to give the approved key {key_hex}, "
                f"found {None if group is None else group.public_key.hex()}"
            )
        self.store.set_group_key(code, json.dumps(group.to_json()))
        self._record(
            code, "key_generated",
            {"opening_public_key": key_hex, "qualified": list(result.qualified),
             "disqualified": sorted(result.disqualified), "approvers": sorted(approvals),
             "transcript_hash": result.transcript_hash.hex(), "tx_hash": tx.tx_hash,
             "block_time": tx.block_time},
        )  # fmt: skip
        return group

    def group_key(self: _Tenders, code: str) -> threshold.GroupKey:
        text = self._tender(code).group_key
        if text is None:
            raise Conflict(f"expected tender {code}'s opening key, found the key not generated yet")
        return threshold.GroupKey.from_json(json.loads(text))

    def rerun_key_generation(self: _Tenders, code: str, now: int) -> bool:
        """Start the next round when this one ended with fewer than t qualified dealers.

        Past the complaint deadline of a tender still in key generation, the public rule
        is applied to the transcript read from the chain; if it gives no key, a new round
        opens with windows as long as the last complaint window, which must still end
        before the bid deadline (docs/threshold-keys.md section 10). Returns whether a
        round was started; a tender whose schedule has no room left is logged, and the
        operator can only cancel it.
        """
        tid = tender_id_bytes(code)
        tender = chain_view.read_tender(self._registry, tid)
        view = tender.view
        if view.status != TenderStatus.KEY_GENERATION or now < view.complaint_deadline:
            return False
        result = chain_view.outcome(tender)
        if not result.rerun:
            return False
        window = max(60, view.complaint_deadline - view.dealing_deadline)
        dealing, complaints = now + window, now + 2 * window
        if complaints >= view.bid_deadline:
            log.error(
                "tender %s: round %d qualified %d of t=%d dealers and no new round fits before "
                "the bid deadline %d; cancel and re-tender", code, view.round,
                len(result.qualified), view.threshold, view.bid_deadline,
            )  # fmt: skip
            return False
        tx = self._registry.restart_key_generation(tid, dealing, complaints)
        self._record(
            code, "key_rerun",
            {"round": view.round + 1, "qualified": list(result.qualified),
             "disqualified": sorted(result.disqualified), "dealing_deadline": dealing,
             "complaint_deadline": complaints, "tx_hash": tx.tx_hash},
        )  # fmt: skip
        log.info("tender %s: key generation rerun in round %d (%d of t=%d qualified)",
                 code, view.round + 1, len(result.qualified), view.threshold)  # fmt: skip
        return True
