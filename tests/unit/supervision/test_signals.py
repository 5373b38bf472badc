import pytest

from ledger_service.core.errors import MalformedInput
from ledger_service.core.records import EvidenceRecord
from ledger_service.supervision.signals import (
    SIGNAL_KINDS,
    Bid,
    Document,
    Submission,
    TenderSignals,
)
from tests.unit.supervision.build import honest, sha


def test_tender_signals_round_trip_through_json() -> None:
    t = honest()
    again = TenderSignals.from_json(t.to_json())
    assert again == t
    assert again.bidders == frozenset({"F0", "F1", "F2", "F3"})


def test_a_submission_fits_an_evidence_record() -> None:
    s = honest().submissions[0]
    record = EvidenceRecord.create(SIGNAL_KINDS["Submission"], "tender:T1", "service",
                                   {"sha256": sha("x")}, s.to_json())  # fmt: skip
    assert Submission.from_json(record.to_json()["metadata"]) == s


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(MalformedInput, match=r"Bid: expected only the fields .* found \['price'\]"):
        Bid.from_json({"bidder": "F1", "amount": 1, "ref": "r", "price": 2})


def test_missing_field_is_refused() -> None:
    with pytest.raises(MalformedInput, match="Bid: .*missing"):
        Bid.from_json({"bidder": "F1", "ref": "r"})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: Document(sha256="ABC"),
            r"Document.sha256: expected 64 lowercase hex digits, found 'ABC'",
        ),
        (
            lambda: Document(sha256=sha("a"), sketch=(3, 2)),
            r"Document.sketch: expected at most 64 distinct ascending",
        ),
        (lambda: Bid("F1", 0, "r"), r"Bid.amount: expected a positive amount, found 0"),
        (lambda: Bid("F1", 5, "r", "won"), r"Bid.status: expected one of .*found 'won'"),
        (
            lambda: Submission("F1", -1, "1.2.3.4", "r"),
            r"Submission.at: expected an integer in 0\.\.",
        ),
    ],
)
def test_invalid_values_name_field_expected_and_found(make: object, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        make()  # type: ignore[operator]
