import math

import pytest

from ledger_service.core.errors import MalformedInput
from ledger_service.supervision.prices import identical_prices, price_progression, price_screens
from ledger_service.supervision.screens import screens
from tests.unit.supervision.build import honest


def test_screens_known_answer() -> None:
    # mean 115, s = sqrt(500/3); losing bids 110..130 have s = 10; worked by hand
    s = screens([130, 100, 120, 110])
    assert s.n == 4
    assert s.cv == pytest.approx(math.sqrt(500 / 3) / 115)
    assert (s.spread, s.diffp, s.rd) == pytest.approx((0.3, 0.1, 1.0))
    assert s.skewness == pytest.approx(0.0, abs=1e-12)
    assert s.kurtosis == pytest.approx(-1.2)
    assert s.ks == pytest.approx(0.25)


def test_screens_edge_cases() -> None:
    s = screens([100, 100, 100])
    assert (s.cv, s.rd, s.kurtosis, s.ks) == (0.0, 0.0, None, 0.0)
    assert screens([90, 100, 100]).rd == math.inf
    with pytest.raises(MalformedInput, match="expected at least 3 bids, found 2"):
        screens([1, 2])
    with pytest.raises(MalformedInput, match="expected positive integers"):
        screens([1, 2, -3])


def test_cover_bidding_shape_fails_the_screen() -> None:
    t = honest(amounts=[1_000_000, 1_080_000, 1_081_500, 1_083_000, 1_084_000])
    [hit] = price_screens(t)
    assert hit.rule == "price_screens" and float(hit.detail["rd"]) >= 3.0
    assert "相对距离RD" in hit.zh


def test_honest_spread_prices_pass_the_screens() -> None:
    assert (
        price_screens(honest(amounts=[1_000_000, 1_031_000, 1_074_000, 1_052_000, 1_120_000])) == []
    )


def test_identical_prices_and_none_when_all_differ() -> None:
    [hit] = identical_prices(honest(amounts=[1_000_000, 1_050_000, 1_050_000, 1_090_000]))
    assert hit.parties == ("F1", "F2") and hit.detail["amount"] == 1_050_000
    assert identical_prices(honest()) == []


def test_arithmetic_progression_of_three_or_more() -> None:
    [hit] = price_progression(
        honest(amounts=[1_000_000, 1_020_000, 1_040_000, 1_060_000, 1_111_100])
    )
    assert (hit.detail["step"], hit.detail["bids"]) == (20_000, 4)
    assert price_progression(honest(amounts=[1_000_000, 1_020_000, 1_041_000, 1_090_000])) == []
