"""Statistical screens of one tender's bid prices (Huber & Imhof 2019).

M. Huber and D. Imhof, "Machine learning with screens for detecting bid-rigging
cartels", International Journal of Industrial Organization 65 (2019) 277-301, section
3: with the bids of one tender sorted ascending b1 <= b2 <= ... <= bn, mean m and
sample standard deviation s (n - 1 in the denominator),

    CV     coefficient of variation     s / m
    SPD    spread                       (bn - b1) / b1
    DIFFP  gap of the two lowest        (b2 - b1) / b1
    RD     relative distance            (b2 - b1) / s_losing, s_losing the sample standard
                                        deviation of b2..bn
    KURTO  kurtosis (sample, excess)    n(n+1)/((n-1)(n-2)(n-3)) sum(((b-m)/s)^4)
                                        - 3(n-1)^2/((n-2)(n-3))
    SKEW   skewness (sample)            n/((n-1)(n-2)) sum(((b-m)/s)^3)
    KSTEST Kolmogorov-Smirnov statistic sup |F_n(x) - U(x)| with U uniform on [b1, bn]

Collusive tenders in their Swiss data show a lower CV and a higher DIFFP and RD (the
designated winner undercuts a tight cluster of cover bids). Their classifiers exceeded
84% correct out of sample; the thresholds below are ours, documented in
``docs/supervision.md``, and are a screen for a closer look, never a finding of fact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ledger_service.core.errors import MalformedInput

__all__ = ["MIN_BIDS", "Screens", "screens"]

#: bids needed for the screens to mean anything (RD needs two losing bids)
MIN_BIDS = 3


@dataclass(frozen=True, slots=True)
class Screens:
    """The seven screens of one tender; ``kurtosis`` is None below 4 bids; RD is
    ``math.inf`` when every losing bid is equal and the gap is positive, 0 when both are 0."""

    n: int
    cv: float
    spread: float
    diffp: float
    rd: float
    kurtosis: float | None
    skewness: float
    ks: float


def _sd(values: Sequence[float], mean: float) -> float:
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def screens(amounts: Sequence[int]) -> Screens:
    """The screens of a tender's bid amounts (positive integers, any order).

    Raises MalformedInput for fewer than :data:`MIN_BIDS` bids or a non-positive amount.
    """
    if len(amounts) < MIN_BIDS:
        raise MalformedInput(f"amounts: expected at least {MIN_BIDS} bids, found {len(amounts)}")
    if any(type(a) is not int or a <= 0 for a in amounts):
        raise MalformedInput(f"amounts: expected positive integers, found {list(amounts)!r}")
    b = sorted(float(a) for a in amounts)
    n = len(b)
    mean = sum(b) / n
    sd = _sd(b, mean)
    gap = b[1] - b[0]
    losing_sd = _sd(b[1:], sum(b[1:]) / (n - 1))
    rd = gap / losing_sd if losing_sd > 0 else (math.inf if gap > 0 else 0.0)
    if sd > 0:
        z = [(v - mean) / sd for v in b]
        skew = n / ((n - 1) * (n - 2)) * sum(x**3 for x in z)
        kurt = (
            n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * sum(x**4 for x in z)
            - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))
            if n >= 4
            else None
        )
    else:
        skew, kurt = 0.0, (0.0 if n >= 4 else None)
    width = b[-1] - b[0]
    ks = 0.0
    if width > 0:
        for i, v in enumerate(b):
            u = (v - b[0]) / width
            ks = max(ks, abs((i + 1) / n - u), abs(i / n - u))
    return Screens(n=n, cv=sd / mean, spread=width / b[0], diffp=gap / b[0], rd=rd,
                   kurtosis=kurt, skewness=skew, ks=ks)  # fmt: skip
