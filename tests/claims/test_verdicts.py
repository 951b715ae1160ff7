"""Verdict rules on synthetic numbers: reproduced, not reproduced, reversed, not measured."""

import math

import pytest

from replearn_core.claims.verdicts import (NOT_MEASURED, NOT_REPRODUCED, REPRODUCED, REVERSED, AllOf, Exceeds, Stat,
                                           levels)


def stats(**values):
    return {name.replace("_", " "): Stat.of(v) for name, v in values.items()}


def test_stat_mean_and_sample_std():
    s = Stat.of([0.70, 0.72, 0.74])
    assert math.isclose(s.mean, 0.72) and math.isclose(s.std, 0.02) and s.n == 3
    assert Stat.of([0.5]).std == 0.0
    assert Stat.of([None, float("nan"), 0.4]).values == (0.4,)  # failed seeds do not count
    assert s.text() == "0.720 ± 0.020" and Stat.of([]).text() == "—"


@pytest.mark.parametrize("a, b, verdict", [
    ([0.75], [0.40], REPRODUCED),  # clear lead
    ([0.41], [0.40], NOT_REPRODUCED),  # inside the margin
    ([0.40], [0.75], REVERSED),  # clear lead the other way
    ([0.45], [0.40], REPRODUCED),  # exactly the margin counts
    ([0.36], [0.40], NOT_REPRODUCED),
])
def test_absolute_margin(a, b, verdict):
    rule = Exceeds("a", "b", margin=0.05)
    assert rule.judge(stats(a=a, b=b)).verdict == verdict


def test_noise_over_seeds_raises_the_bar():
    rule = Exceeds("a", "b", margin=0.02)
    steady = stats(a=[0.70, 0.70, 0.70], b=[0.65, 0.65, 0.65])
    noisy = stats(a=[0.60, 0.80, 0.70], b=[0.55, 0.75, 0.65])  # same means, std 0.1: 2 SE ≈ 0.163
    assert rule.judge(steady).verdict == REPRODUCED
    outcome = rule.judge(noisy)
    assert outcome.verdict == NOT_REPRODUCED
    assert outcome.comparisons[0].needed == pytest.approx(2 * math.sqrt(2 * 0.1 ** 2 / 3))


def test_relative_margin_for_costs():
    rule = Exceeds("MoCo s per epoch", "SimCLR s per epoch", margin=0.10, relative=True)
    assert rule.judge({"MoCo s per epoch": Stat.of([5.0]), "SimCLR s per epoch": Stat.of([4.0])}).verdict == REPRODUCED
    assert rule.judge({"MoCo s per epoch": Stat.of([4.2]), "SimCLR s per epoch": Stat.of([4.0])}).verdict == \
        NOT_REPRODUCED  # 5 % apart: under 10 % of the larger
    assert rule.judge({"MoCo s per epoch": Stat.of([3.0]), "SimCLR s per epoch": Stat.of([4.0])}).verdict == REVERSED


def test_a_missing_quantity_is_not_measured_not_a_number():
    outcome = Exceeds("a", "b").judge(stats(a=[0.7], b=[]))
    assert outcome.verdict == NOT_MEASURED
    assert "b was not measured" in outcome.detail(stats(a=[0.7], b=[]))


def test_all_of_combines_reproduced_reversed_and_mixed():
    rule = AllOf((Exceeds("a", "b"), Exceeds("a", "c")))
    assert rule.judge(stats(a=[0.9], b=[0.5], c=[0.5])).verdict == REPRODUCED
    assert rule.judge(stats(a=[0.1], b=[0.5], c=[0.5])).verdict == REVERSED
    assert rule.judge(stats(a=[0.6], b=[0.5], c=[0.7])).verdict == NOT_REPRODUCED
    assert rule.judge(stats(a=[0.9], b=[0.5], c=[])).verdict == NOT_MEASURED


def test_detail_names_what_went_against_the_claim():
    rule = AllOf((Exceeds("a", "b"), Exceeds("a", "c")))
    values = stats(a=[0.6], b=[0.5], c=[0.7])
    detail = rule.judge(values).detail(values)
    assert detail == "a 0.600 vs c 0.700, a lead of 0.020 needed"  # the comparison that held is left out


def test_levels_compare_only_different_levels():
    rule = levels({"SimCLR": 2, "MoCo": 2, "Barlow Twins": 1}, ["kNN"], 0.02)
    assert [(p.higher, p.lower) for p in rule.parts] == [("SimCLR kNN", "Barlow Twins kNN"),
                                                         ("MoCo kNN", "Barlow Twins kNN")]
    three = levels({"MoCo": 3, "SimCLR": 2, "Barlow Twins": 1}, ["cost", "memory"])
    assert len(three.parts) == 6  # three pairs on each of two metrics
    ordered = {"SimCLR kNN": Stat.of([0.7]), "MoCo kNN": Stat.of([0.7]), "Barlow Twins kNN": Stat.of([0.6])}
    assert rule.judge(ordered).verdict == REPRODUCED
