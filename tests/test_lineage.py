"""Lineage on hand-made formulations: which pairs are a succession (close in meaning, the earlier one's use
falling as the later one's rises, beyond chance) and which are not, with the figures that decide it."""

from __future__ import annotations

import numpy as np
import pytest

from formulation_factory import formulation, result, vectors_with, yearly_totals
from index.errors import RefrainError
from index.mining.lineage import auto_periods, lineage
from index.mining.types import PeriodTotals

YEARS = [str(y) for y in range(2014, 2022)]
TOTALS = yearly_totals({y: 6 for y in YEARS})


def slots(counts: dict[str, int]) -> dict[str, list[int]]:
    return {y: list(range(n)) for y, n in counts.items()}


OLD = formulation("old", slots({"2014": 5, "2015": 5, "2016": 4, "2017": 2, "2018": 1}), TOTALS)
NEW = formulation("new", slots({"2017": 2, "2018": 4, "2019": 5, "2020": 5, "2021": 6}), TOTALS)
FLAT = formulation("flat", slots({y: 3 for y in YEARS}), TOTALS)  # close to OLD in meaning, used all along
RISING = formulation("rising", slots({"2019": 3, "2020": 4, "2021": 5}), TOTALS)  # rises with NEW, unrelated
TWIN = formulation("twin", slots({"2014": 5, "2015": 5, "2016": 4, "2017": 2, "2018": 1}), TOTALS)  # OLD's timing

#                      old   new  flat rising twin
SIMILARITY = np.array([[1.0, 0.72, 0.66, 0.20, 0.85],
                       [0.72, 1.0, 0.30, 0.25, 0.62],
                       [0.66, 0.30, 1.0, 0.10, 0.55],
                       [0.20, 0.25, 0.10, 1.0, 0.15],
                       [0.85, 0.62, 0.55, 0.15, 1.0]])


@pytest.fixture(scope="module")
def mined():
    return result([OLD, NEW, FLAT, RISING, TWIN], TOTALS), vectors_with(SIMILARITY)


def pairs(found) -> set[tuple[str, str]]:
    return {(k.earlier, k.later) for k in found.links}


def test_a_fading_slogan_and_its_rising_successor_are_linked(mined):
    res, vectors = mined
    found = lineage(res, vectors)
    assert found.by == "year" and found.band == (0.55, 1.0)
    # twin has old's timing and is close to new (0.62): it too gave way to new; old and twin (0.85) rose and fell
    # together (no handover), flat never falls, rising is far from old in meaning (0.20)
    assert pairs(found) == {("f-old", "f-new"), ("f-twin", "f-new")}
    link = next(k for k in found.links if k.earlier == "f-old")
    # 2017: two documents each; 2018: new in four, old in one: the handover
    assert link.similarity == pytest.approx(0.72, abs=1e-4) and link.handover == "2018"
    assert link.periods == tuple(YEARS)
    assert link.earlier_curve.documents == (5, 5, 4, 2, 1, 0, 0, 0)
    assert link.later_curve.documents == (0, 0, 0, 2, 4, 5, 5, 6)
    assert link.share_before == round(16 / 24, 4) and link.share_after == round(1 / 24, 4)
    assert link.correlation < -0.8
    assert [k.earlier for k in found.links] == ["f-old", "f-twin"]  # the closer in meaning first


def test_one_formulations_predecessors_and_successors(mined):
    res, vectors = mined
    of_new = lineage(res, vectors, "f-new")
    assert {(k.relation_to("f-new"), k.other("f-new").formulation_id) for k in of_new.links} == \
        {("predecessor", "f-old"), ("predecessor", "f-twin")}
    of_old = lineage(res, vectors, "f-old")
    assert [(k.relation_to("f-old"), k.other("f-old").formulation_id) for k in of_old.links] == [("successor", "f-new")]
    assert lineage(res, vectors, "f-flat").links == () and lineage(res, vectors, "f-rising").links == ()
    with pytest.raises(RefrainError, match="no formulation 'f-nope'"):
        lineage(res, vectors, "f-nope")


def test_the_band_decides_what_is_close_in_meaning(mined):
    res, vectors = mined
    assert pairs(lineage(res, vectors, min_similarity=0.7)) == {("f-old", "f-new")}  # twin~new 0.62 drops out
    assert pairs(lineage(res, vectors, min_similarity=0.1)) >= {("f-old", "f-new"), ("f-old", "f-rising")}


def test_a_decline_too_small_to_tell_from_chance_is_no_link():
    totals = yearly_totals({y: 40 for y in YEARS})
    few_old = formulation("old", {"2014": [0], "2015": [0], "2016": [0]}, totals)
    few_new = formulation("new", {"2017": [0], "2019": [0], "2021": [0]}, totals)
    many_old = formulation("old", slots({"2014": 20, "2015": 18, "2016": 15}), totals)
    many_new = formulation("new", slots({"2017": 12, "2019": 20, "2021": 25}), totals)
    vectors = vectors_with(np.array([[1.0, 0.7], [0.7, 1.0]]))
    assert lineage(result([few_old, few_new], totals), vectors).links == ()  # 3 of 120 docs, then 0 of 200: chance
    assert pairs(lineage(result([many_old, many_new], totals), vectors)) == {("f-old", "f-new")}


def test_a_later_formulation_that_never_overtakes_is_no_successor():
    steady = formulation("old", slots({"2014": 5, "2015": 5, "2016": 5, "2017": 5, "2018": 4, "2019": 4, "2020": 4,
                                       "2021": 4}), TOTALS)
    climbing = formulation("new", slots({"2015": 1, "2016": 2, "2017": 2, "2018": 3, "2019": 3, "2020": 3, "2021": 3}), TOTALS)
    vectors = vectors_with(np.array([[1.0, 0.7], [0.7, 1.0]]))
    assert lineage(result([steady, climbing], TOTALS), vectors).links == ()


def test_a_stray_early_use_does_not_date_a_successor():
    """"sustainable development goals" turns up once in a 1994 UN speech and then from 2012 on: its onset (the
    period by which a tenth of its documents have used it) is what orders it after the slogan it replaced."""
    totals = yearly_totals({y: 40 for y in YEARS})
    old = formulation("old", slots({"2015": 30, "2016": 30, "2017": 28, "2018": 25, "2019": 6, "2020": 3}), totals)
    new = formulation("new", slots({"2014": 1, "2018": 12, "2019": 30, "2020": 35, "2021": 38}), totals)
    vectors = vectors_with(np.array([[1.0, 0.7], [0.7, 1.0]]))
    (link,) = lineage(result([old, new], totals), vectors).links
    assert (link.earlier, link.later, link.handover) == ("f-old", "f-new", "2019")
    assert link.periods == tuple(YEARS[1:])  # from the old one's onset (2015): the stray 2014 use is outside


def test_periods_follow_the_corpus_span():
    assert auto_periods(yearly_totals({"2014": 3, "2021": 3})) == "year"
    assert auto_periods(PeriodTotals({"2024": 9}, {"2024-01": 4, "2024-05": 5}, 0)) == "month"
    assert auto_periods(PeriodTotals({}, {}, 3)) == "year"
    with pytest.raises(RefrainError, match="'year' or 'month'"):
        lineage(result([OLD], TOTALS), vectors_with(np.eye(1)), by="week")
    with pytest.raises(ValueError, match="2 centre vectors for 1 formulations"):
        lineage(result([OLD], TOTALS), np.eye(2, dtype=np.float32))
