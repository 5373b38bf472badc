"""Later tender steps carry their structured data, checked at input."""

from __future__ import annotations

import pytest

from ledger_service.core.errors import MalformedInput
from ledger_service.tenders.later_steps import step_payload
from ledger_service.tenders.lifecycle import Event

A, B = "0x" + "aa" * 20, "0x" + "bb" * 20
DOC = ("评标报告.pdf", "cd" * 32)


def test_payloads_carry_the_fields_the_export_reads() -> None:
    payload, digests = step_payload(Event.REPORT_EVALUATION, "n", DOC, {"valid": [A, B]})
    assert payload == {
        "note": "n",
        "valid": [A, B],
        "disqualified": [],
        "report": "评标报告.pdf",
        "sha256": "cd" * 32,
    }
    assert digests == {"sha256": "cd" * 32}
    payload, _ = step_payload(Event.AWARD, "", DOC,
                              {"supplier": A, "value": {"amount": 1_250_000, "currency": "CNY"}})  # fmt: skip
    assert payload["supplier"] == A and payload["notice"] == "评标报告.pdf"
    assert payload["value"] == {"amount": 1_250_000, "currency": "CNY"}
    payload, digests = step_payload(Event.CANCEL, "re-tender", None, {})
    assert payload == {"note": "re-tender", "reason": "re-tender"} and digests is None


@pytest.mark.parametrize(
    ("event", "document", "data", "match"),
    [
        (Event.REPORT_EVALUATION, DOC, {}, "report_evaluation: expected valid, found none"),
        (Event.REPORT_EVALUATION, None, {"valid": [A]}, "expected the report document"),
        (Event.REPORT_EVALUATION, DOC, {"valid": ["0x12"]}, "expected a list of bidder addresses"),
        (
            Event.REPORT_EVALUATION,
            DOC,
            {"valid": [A, A.upper().replace("0X", "0x")]},
            "expected each bidder once",
        ),
        (Event.PUBLISH_CANDIDATES, DOC, {"candidates": [], "publicity_end": 5}, "at least 1"),
        (Event.AWARD, DOC, {}, "award: expected supplier, found none"),
        (
            Event.AWARD,
            DOC,
            {"supplier": A, "value": {"amount": 1.5, "currency": "CNY"}},
            "award value: expected",
        ),
        (Event.AWARD, DOC, {"supplier": A, "value": {"amount": 1, "currency": "yuan"}}, "ISO 4217"),
        (
            Event.AWARD,
            DOC,
            {"supplier": A, "valid": [A]},
            "award: expected only supplier, value, found valid",
        ),
        (Event.CANCEL, None, {}, "cancel: expected reason, found none"),
        (Event.OPEN, DOC, {}, "expected one of the later steps"),
    ],
)
def test_refused_at_input(event: Event, document: tuple[str, str] | None,
                          data: dict[str, object], match: str) -> None:  # fmt: skip
    with pytest.raises(MalformedInput, match=match):
        step_payload(event, "", document, data)
