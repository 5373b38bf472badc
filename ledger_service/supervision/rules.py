"""Every rule, run over a corpus: per-tender rules, cross-tender history, Cardinal flags."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ledger_service.supervision.cardinal import cardinal_hits
from ledger_service.supervision.findings import Hit
from ledger_service.supervision.forensics import (
    identical_documents,
    near_duplicates,
    shared_identifiers,
    shared_party_details,
    submission_timing,
)
from ledger_service.supervision.history import bid_rotation, constant_groups
from ledger_service.supervision.prices import identical_prices, price_progression, price_screens
from ledger_service.supervision.process import late_changes, process_order
from ledger_service.supervision.signals import TenderSignals

__all__ = ["TENDER_RULES", "run_rules"]

#: the rules that read one tender alone
TENDER_RULES: tuple[Callable[[TenderSignals], list[Hit]], ...] = (
    shared_identifiers, shared_party_details, identical_documents, near_duplicates,
    submission_timing, price_screens, identical_prices, price_progression, process_order,
    late_changes,
)  # fmt: skip


def run_rules(
    tenders: Sequence[TenderSignals], releases: Sequence[Mapping[str, Any]] = ()
) -> dict[str, list[Hit]]:
    """Tender code -> every hit on it: :data:`TENDER_RULES`, the history rules over all
    ``tenders``, and Cardinal's flags on ``releases`` (compiled OCDS releases, whose
    ``tender.id`` is the tender code). Tenders without hits are absent."""
    out: dict[str, list[Hit]] = defaultdict(list)
    for t in tenders:
        for rule in TENDER_RULES:
            out[t.tender] += rule(t)
    for corpus_rule in (bid_rotation, constant_groups):
        for code, hits in corpus_rule(tenders).items():
            out[code] += hits
    if releases:
        for code, hits in cardinal_hits(releases).items():
            out[code] += hits
    return {k: v for k, v in out.items() if v}
