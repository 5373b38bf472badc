"""Our Cardinal flags against Cardinal's own fixtures and examples (see vectors/cardinal/SOURCE.md)."""

import json
from pathlib import Path

import pytest

from ledger_service.core.errors import MalformedInput
from ledger_service.supervision.cardinal import cardinal_hits, indicators, quantile, upper_fence

VECTORS = Path(__file__).parent / "vectors" / "cardinal"


def _only(result: dict, flag: str) -> dict:
    kept = {
        g: {k: {f: v for f, v in fl.items() if f == flag} for k, fl in m.items()}
        for g, m in result.items()
    }
    return {
        g: m
        for g, m in ({g: {k: f for k, f in m.items() if f} for g, m in kept.items()}).items()
        if m
    }


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("path", sorted(VECTORS.glob("fixture-*.jsonl")), ids=lambda p: p.stem)
def test_cardinal_fixture(path: Path) -> None:
    flag = path.stem.removeprefix("fixture-").split("-")[0]
    days = {"r003_days": 10} if path.stem.endswith("threshold-10") else {}
    got = indicators(_lines(path), exclude_method_details=frozenset({"EXC"}),
                     no_price_comparison=frozenset({"NPC"}), **days)  # fmt: skip
    assert _only(got, flag) == json.loads(path.with_suffix(".expected").read_text())


@pytest.mark.parametrize("path", sorted(VECTORS.glob("R0*.jsonl")), ids=lambda p: p.stem)
def test_cardinal_documentation_example(path: Path) -> None:
    expected = json.loads(path.with_name(f"{path.stem}.expected.json").read_text())
    assert _only(indicators(_lines(path)), path.stem) == expected


def test_quantiles_are_hyndman_fan_method_8() -> None:
    values = [0.0, 0.0, 0.0, 0.0, 100.0]
    assert quantile(values, 0.25) == 0.0
    assert quantile(values, 0.75) == pytest.approx(100 / 3)
    assert upper_fence(values) == pytest.approx(100 / 3 * 2.5)
    assert quantile([3.0, 1.0, 2.0], 0.5) == 2.0
    with pytest.raises(MalformedInput, match="expected values and 0 <= tau <= 1"):
        quantile([], 0.5)


def test_hits_name_the_tender_and_the_release() -> None:
    release = {"ocid": "ocds-x-T9", "id": "ocds-x-T9-2026", "tender": {"id": "T9", "numberOfTenderers": 1,
                                                                        "procurementMethod": "open"}}  # fmt: skip
    [hit] = cardinal_hits([release])["T9"]
    assert (hit.rule, hit.refs) == (
        "R018",
        ("ocds-x-T9-2026",),
    ) and hit.zh == "竞争性程序只收到一份投标。"
