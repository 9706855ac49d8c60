"""A verdict says no more than its interval: inside the claim's acceptance region, reproduced; outside,
not reproduced; straddling its edge, inconclusive. An effect the design cannot detect is inconclusive
whatever its interval says, and one stand-in bound to several of the paper's systems is one
measurement."""

from __future__ import annotations

import math

import pytest

from gedig import GedigError
from gedig.book.claims import answered_by, evaluate, load_registry, render_markdown, tally
from gedig.book.profiles import STAND_INS
from gedig.book.verdicts import INSIDE, OUTSIDE, STRADDLES, Region, combine, detectable


def bound(profile_systems=STAND_INS, profile="full"):
    return {"profile": profile, **{f"systems.{s}": m for s, m in profile_systems.items()}}


def claim(**kw):
    base = {"id": "X", "section": "—", "claim": "a constructed claim", "systems": ["gpt2"], "interval": "texts (constructed)"}
    return {**base, **kw}


@pytest.mark.parametrize(
    ("region", "interval", "expected"),
    [
        (Region.above(0.0), (0.01, 0.2), INSIDE),
        (Region.above(0.0), (-0.2, -0.01), OUTSIDE),
        (Region.above(0.0), (-0.01, 0.2), STRADDLES),
        (Region.above(0.0), (0.0, 0.2), STRADDLES),  # the bound itself is not on the claimed side
        (Region.below(0.05), (0.001, 0.01), INSIDE),
        (Region.below(0.05), (0.05, 0.2), OUTSIDE),
        (Region.around(0.33, 0.25), (0.10, 0.50), INSIDE),
        (Region.around(0.33, 0.25), (0.60, 0.90), OUTSIDE),
        (Region.around(0.33, 0.25), (-0.40, 0.50), STRADDLES),
        (Region(nonzero=True), (0.01, 0.3), INSIDE),
        (Region(nonzero=True), (-0.3, -0.01), INSIDE),
        (Region(nonzero=True), (-0.01, 0.3), STRADDLES),  # 'excludes 0' is never contradicted, only undecided
    ],
)
def test_an_interval_lies_inside_outside_or_across_its_region(region, interval, expected):
    assert region.outcome(*interval) == expected


def test_a_point_is_inside_or_outside_never_across():
    assert Region.above(2.0).outcome(2.1, 2.1) == INSIDE and Region.above(2.0).outcome(1.9, 1.9) == OUTSIDE


def test_bad_intervals_and_regions_are_errors():
    with pytest.raises(GedigError, match="low ≤ high"):
        Region.above(0).outcome(0.2, 0.1)
    with pytest.raises(GedigError, match="finite"):
        Region.above(0).outcome(math.nan, 0.1)
    with pytest.raises(GedigError, match="positive tolerance"):
        Region.around(1.0, 0.0)


def test_outcomes_combine_into_one_verdict():
    assert combine([INSIDE, INSIDE]) == "reproduced"
    assert combine([OUTSIDE, OUTSIDE]) == "not reproduced"
    assert combine([INSIDE, OUTSIDE]) == "partly reproduced"
    assert combine([INSIDE, STRADDLES]) == "inconclusive"
    assert combine([STRADDLES]) == "inconclusive"
    assert combine([OUTSIDE, STRADDLES]) == "not reproduced"  # one measurement contradicts the claim
    with pytest.raises(GedigError):
        combine([])


@pytest.mark.parametrize(
    ("interval", "verdict"),
    [((0.05, 0.15), "reproduced"), ((-0.15, -0.05), "not reproduced"), ((-0.05, 0.15), "inconclusive")],
)
def test_a_claim_is_decided_on_its_measures_interval_not_its_point(interval, verdict):
    c = claim(check="above", bound=0.0, measures=["h1.gpt2.published.random.dF"])
    m = {**bound(), "h1.gpt2.published.random.dF": 0.1, "ci.h1.gpt2.published.random.dF": list(interval)}
    row = evaluate(m, [c]).iloc[0]
    assert row["verdict"] == verdict
    assert row["region"] == "> 0" and row["intervals"] == {"h1.gpt2.published.random.dF": list(interval)}


def test_a_point_inside_the_tolerance_with_an_interval_that_leaves_it_is_inconclusive():
    """The issue's case: +0.07 pp lands within 0.33 ± 0.25 of nothing, but +0.30 does while its interval holds 0."""
    c = claim(check="value", paper_value=0.33, tolerance=0.25, measures=["h1.gpt2.published.random.dF"])
    m = {**bound(), "h1.gpt2.published.random.dF": 0.30, "ci.h1.gpt2.published.random.dF": [-0.2, 0.8]}
    assert evaluate(m, [c]).iloc[0]["verdict"] == "inconclusive"


def test_an_interval_claim_without_its_interval_is_an_error_naming_it():
    c = claim(check="above", bound=0.0, measures=["h1.gpt2.published.random.dF"])
    with pytest.raises(GedigError, match=r"ci\.h1\.gpt2\.published\.random\.dF"):
        evaluate({**bound(), "h1.gpt2.published.random.dF": 0.1}, [c])


def test_an_exact_claim_is_a_point_check_and_says_so():
    c = {k: v for k, v in claim(check="below", bound=0.05, measures=["h1.gpt2.published.random.p_t"]).items() if k != "interval"}
    c["exact"] = "a p-value"
    row = evaluate({**bound(), "h1.gpt2.published.random.p_t": 0.01}, [c]).iloc[0]
    assert row["verdict"] == "reproduced" and row["decided_on"] == "exact: a p-value" and row["intervals"] == {}


def test_every_registered_claim_says_how_it_is_decided():
    for c in load_registry():
        assert ("interval" in c) != ("exact" in c), c["id"]


def test_an_effect_below_the_designs_detectable_effect_is_inconclusive_whatever_its_interval():
    c = claim(
        systems=["distilbert-sst2"],
        check="value",
        paper_value=0.33,
        tolerance=0.25,
        measures=["freg.F.diff_pp.alpha0.001"],
        detectable={"mde": "freg.mde_pp", "effect": 0.33, "unit": " pp"},
    )
    inside = {**bound(), "freg.F.diff_pp.alpha0.001": 0.33, "ci.freg.F.diff_pp.alpha0.001": [0.2, 0.4]}
    row = evaluate({**inside, "freg.mde_pp": 0.91}, [c]).iloc[0]
    assert row["verdict"] == "inconclusive"
    assert row["detectable"] == "this design detects effects ≥ 0.91 pp; the paper's is 0.33 pp"
    row = evaluate({**inside, "freg.mde_pp": 0.2}, [c]).iloc[0]
    assert row["verdict"] == "reproduced" and row["detectable"].startswith("detects effects ≥ 0.20 pp")
    assert not detectable(float("nan"), 0.33) and detectable(0.3, -0.33)


def test_two_systems_on_one_model_are_one_measurement():
    """SmolLM2 stands for GPT-2 and both Llamas: its one value is not three votes."""
    c = claim(
        systems=["bert", "gpt2", "llama3.0", "llama3.1"],
        check="above",
        bound=0.0,
        measures=[f"h1.{s}.published.random.dF" for s in ("bert", "gpt2", "llama3.0", "llama3.1")],
    )
    m = {**bound()}
    for s, ci in (("bert", [0.05, 0.1]), ("gpt2", [-0.1, -0.05]), ("llama3.0", [-0.1, -0.05]), ("llama3.1", [-0.1, -0.05])):
        m[f"h1.{s}.published.random.dF"], m[f"ci.h1.{s}.published.random.dF"] = sum(ci) / 2, ci
    row = evaluate(m, [c]).iloc[0]
    assert list(row["outcomes"]) == ["h1.bert.published.random.dF", "h1.gpt2.published.random.dF"]
    assert row["verdict"] == "partly reproduced"  # one inside, one outside: not one against three
    assert row["answered_by"] == "minilm-l6 (for BERT); smollm2-135m (for GPT-2, Llama 3.0 8B, Llama 3.1 8B)"
    assert "smollm2-135m (for GPT-2, Llama 3.0 8B, Llama 3.1 8B): -0.075 [-0.100, -0.050]" in row["ours"]
    assert answered_by({"gpt2": "gpt2"}) == "gpt2"


def test_inconclusive_is_a_verdict_of_the_tally_the_badges_and_the_page():
    c = claim(check="above", bound=0.0, measures=["h1.gpt2.published.random.dF"])
    m = {**bound(), "h1.gpt2.published.random.dF": 0.1, "ci.h1.gpt2.published.random.dF": [-0.01, 0.2]}
    table = evaluate(m, [c]).assign(chapter="03_h1_real_vs_random")
    assert tally(table)["inconclusive"] == 1
    page = render_markdown(table)
    assert (
        "{bdg-primary}`inconclusive` 1" in page and "region: > 0" in page and "[−0.010, +0.200]".replace("−", "-") in page.replace("−", "-")
    )
