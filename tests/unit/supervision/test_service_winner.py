"""The live service's signals carry the award step's winner (so rotation rules can fire)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ledger_service.evidence.deposit import TENDER, step_record
from ledger_service.runtime import load_weights
from ledger_service.store.db import make_engine, migrate
from ledger_service.store.log import LogStore
from ledger_service.store.tenders import StoredStep
from ledger_service.supervision.capture import upload_record
from ledger_service.supervision.service import SupervisionService

BIDDERS = ["0x" + c * 40 for c in "abc"]


class Tenders:
    """The two things gather reads of the tender rows: the tender and its steps."""

    def __init__(self, steps: list[StoredStep]) -> None:
        self._steps = steps

    def tender(self, code: str) -> Any:
        return SimpleNamespace(bid_deadline=1_780_000_000)

    def steps(self, code: str) -> list[StoredStep]:
        return self._steps

    def codes(self) -> list[str]:
        return ["T-1"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LogStore]:
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    migrate(engine)
    yield LogStore(engine)
    engine.dispose()


def _service(store: LogStore, award_to: str | None) -> SupervisionService:
    store.append([upload_record("T-1", b, 1_779_000_000 + i, f"10.0.0.{i + 1}", None, i, "ab" * 32)
                  for i, b in enumerate(BIDDERS)])  # fmt: skip
    steps = []
    if award_to is not None:
        award = step_record(TENDER, "T-1", "award", {"note": "", "supplier": award_to},
                            actor="operator:t")  # fmt: skip
        index = store.append([award]).first_index
        steps.append(StoredStep(1, "award", "awarded", 1_780_100_000, index))
    return SupervisionService(store, Tenders(steps), load_weights(None))  # type: ignore[arg-type]


def test_the_award_steps_supplier_is_the_winner_in_the_bidders_own_spelling(
    store: LogStore,
) -> None:
    signals = _service(store, BIDDERS[1].upper().replace("0X", "0x")).gather("T-1")
    assert signals.winner == BIDDERS[1]


def test_no_award_no_winner(store: LogStore) -> None:
    assert _service(store, None).gather("T-1").winner is None
