"""How ``benchmarks/hand_checks.py`` reads a reference and scores an estimate against it."""

from __future__ import annotations

import pytest
from tests.benchmark_scripts import load_benchmark

HAND = load_benchmark("hand_checks")


@pytest.mark.parametrize(
    ("reference", "bounds"), [("19.4", (19.4, 19.4)), ("~7.5", (7.5, 7.5)), ("5.5-6.5", (5.5, 6.5))]
)
def test_references_read_as_printed(reference: str, bounds: tuple[float, float]) -> None:
    assert HAND.reference_range(reference) == bounds


def test_an_estimate_inside_a_range_is_not_off_and_outside_it_is_off_by_the_nearer_bound() -> None:
    assert HAND.off_by(6.0, "5.5-6.5") == 0.0
    assert HAND.off_by(5.0, "5.5-6.5") == pytest.approx(-0.5 / 5.5)
    assert HAND.off_by(7.8, "5.5-6.5") == pytest.approx(1.3 / 6.5)
    assert HAND.off_by(276.0, "~240") == pytest.approx(0.15)
