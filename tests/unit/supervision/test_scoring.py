import dataclasses

import pytest

from ledger_service.core.errors import MalformedInput
from ledger_service.supervision.findings import Hit
from ledger_service.supervision.rules import run_rules
from ledger_service.supervision.scoring import DEFAULT_WEIGHTS, Weights, score
from tests.unit.supervision.build import honest, submission


def _hit(rule: str, ref: str = "r1", tender: str = "T1") -> Hit:
    return Hit(rule, tender, ("F0", "F1"), {}, zh=f"{rule}中文", en=f"{rule} English", refs=(ref,))


def test_one_identifier_is_watch_not_alert() -> None:
    alert = score("T1", [_hit("shared_dongle")])
    assert alert is not None and (alert.score, alert.severity, alert.is_alert) == (
        80,
        "watch",
        False,
    )
    assert "不是违法认定" in alert.zh


def test_two_kinds_of_trace_make_an_alert_and_repeats_count_once() -> None:
    alert = score(
        "T1",
        [_hit("shared_dongle", "a"), _hit("shared_dongle", "b"), _hit("price_progression", "c")],
    )
    assert alert is not None
    assert (alert.score, alert.severity, alert.refs) == (140, "alert", ("a", "b", "c"))
    assert dict(alert.points) == {"price_progression": 60, "shared_dongle": 80}
    assert alert.zh.index("shared_dongle") < alert.zh.index("price_progression")  # heavier first


def test_high_severity_and_no_hits() -> None:
    alert = score(
        "T1", [_hit(r) for r in ("identical_documents", "shared_bond_account", "shared_device")]
    )
    assert alert is not None and (alert.score, alert.severity) == (250, "high")
    assert score("T1", []) is None


def test_weights_are_configurable_and_checked() -> None:
    w = Weights().with_overrides({"shared_dongle": 100}, alert_at=90)
    alert = score("T1", [_hit("shared_dongle")], w)
    assert alert is not None and alert.severity == "alert"
    assert Weights.from_json(w.to_json()) == w
    with pytest.raises(MalformedInput, match=r"expected rules among .* found \['no_such_rule'\]"):
        Weights().with_overrides({"no_such_rule": 1})
    with pytest.raises(MalformedInput, match="expected integers in 0..1000"):
        Weights().with_overrides({"R003": -1})
    with pytest.raises(MalformedInput, match="expected 0 < alert_at <= high_at, found 300, 200"):
        Weights().with_overrides({}, alert_at=300)


def test_a_hit_of_another_tender_is_refused() -> None:
    with pytest.raises(
        MalformedInput, match="expected tender 'T1' and a weighted rule, found 'T2'"
    ):
        score("T1", [_hit("R003", tender="T2")])


def test_every_rule_has_a_weight() -> None:
    t = honest()
    subs = list(t.submissions)
    subs[1] = submission("F1", subs[1].at, subs[0].ip, sha256=subs[0].documents[0].sha256)
    hits = run_rules([dataclasses.replace(t, submissions=tuple(subs))])["T1"]
    assert {h.rule for h in hits} <= set(DEFAULT_WEIGHTS)
    alert = score("T1", hits)
    assert alert is not None and alert.is_alert
    assert all(type(v) is int for v in alert.to_json()["points"].values())


def test_honest_tender_has_no_alert() -> None:
    assert run_rules([honest()]) == {}
