"""Sweep grids as data: the shipped grids load, count their runs, and bad grids are named errors;
the power analysis behind the powered grid matches the textbook paired-t sample size."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gedig import GedigError
from gedig.analysis import paired_power, power_analysis, seeds_needed
from gedig.book.build import powered_seed_count
from gedig.experiments.grid import GRIDS, load_grid, seed_list


def test_shipped_grids_load():
    paper = load_grid(GRIDS / "paper.yml")
    assert paper.n_runs == 5 * 3 + 3 and paper.protocols()[0].n_train == 2000
    author = load_grid("author-full-scale.yml")
    assert author.n_runs == 240 and "distilbert-base-uncased" in author.models
    powered = load_grid(GRIDS / "powered.yml", seeds=40)
    assert powered.alphas == (0.0, 0.001, 1.0) and powered.seeds[:3] == (42, 123, 456) and len(set(powered.seeds)) == 40


def test_powered_grid_takes_its_seed_count_from_the_executed_power_analysis(tmp_path):
    executed = tmp_path / "book" / "executed"
    executed.mkdir(parents=True)
    (executed / "06_f_regularization.json").write_text(json.dumps({"freg.power.seeds_needed": 7}))
    assert powered_seed_count(tmp_path) == 7 and len(seed_list(7)) == 7
    grid = load_grid(GRIDS / "powered.yml", auto_seeds=lambda: powered_seed_count(tmp_path))
    assert len(grid.seeds) == 7
    with pytest.raises(GedigError, match=r"freg\.power\.seeds_needed.*run `make book`"):
        powered_seed_count(tmp_path / "absent")
    with pytest.raises(GedigError, match="seeds: auto"):
        load_grid(GRIDS / "powered.yml")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("models: [minilm-l6]\ntasks: [rotten-tomatoes]\nalphas: [0]\nseeds: [1]\nbogus: 1\n", "unknown grid keys"),
        ("models: [minilm-l6]\ntasks: [rotten-tomatoes]\nalphas: [0]\n", "non-empty"),
        ("models: [minilm-l6]\ntasks: [rotten-tomatoes]\nalphas: [0]\nseeds: [1]\narms: [G]\n", "arms must be"),
        ("models: [minilm-l6]\ntasks: [rotten-tomatoes]\nalphas: [0]\nseeds: [1]\nprotocol: {lrr: 1}\n", "unknown protocol overrides"),
        ("models: [minilm-l6]\ntasks: [x]\nalphas: [zero]\nseeds: [1]\n", "could not convert"),
        ("[1, 2]", "a grid is a mapping"),
    ],
)
def test_bad_grids_are_named(tmp_path, text, match):
    path = tmp_path / "g.yml"
    path.write_text(text)
    with pytest.raises(GedigError, match=match):
        load_grid(path)
    with pytest.raises(GedigError, match="shipped grids"):
        load_grid(tmp_path / "missing.yml")


def test_seeds_needed_matches_the_paired_t_sample_size():
    n = seeds_needed(0.33, 1.0)
    assert paired_power(n, 0.33, 1.0) >= 0.8 > paired_power(n - 1, 0.33, 1.0)
    assert 72 <= n <= 76  # ((1.96 + 0.84) / 0.33)² ≈ 72, plus the t correction
    with pytest.raises(ValueError):
        seeds_needed(0.33, 0.0)


def _runs(diffs_pp, train_seconds=600.0):
    rows = []
    for seed, d in zip((42, 123, 456), diffs_pp, strict=True):
        rows.append({"alpha": 0.0, "seed": seed, "control": False, "accuracy": 0.75, "steps": 375, "train_seconds": train_seconds})
        rows.append(
            {"alpha": 0.001, "seed": seed, "control": False, "accuracy": 0.75 + d / 100, "steps": 375, "train_seconds": 3 * train_seconds}
        )
    return pd.DataFrame(rows)


def test_power_analysis_uses_the_paired_sd_and_timed_steps_for_the_cost():
    power = power_analysis(_runs([0.2, -0.4, 0.6]))
    assert power["pairs"] == 3 and power["paired_sd_pp"] == pytest.approx(np.std([0.2, -0.4, 0.6], ddof=1))
    assert power["seeds_needed"] == seeds_needed(0.33, power["paired_sd_pp"])
    # the cautious plan: the SD's one-sided 95 % upper bound, s·√(df / χ²₀.₀₅(df)), needs more seeds
    assert power["paired_sd_upper95_pp"] == pytest.approx(power["paired_sd_pp"] * np.sqrt(2 / 0.102587), rel=1e-4)
    assert power["seeds_needed_upper95"] == seeds_needed(0.33, power["paired_sd_upper95_pp"]) > power["seeds_needed"]
    # without timed steps: the median recorded run (here 1200 s); with them: steps × the grid's mean step
    assert power["minutes_per_run"] == pytest.approx(20.0) and power["minutes_source"] == "recorded runs"
    steps = {"ce_only": 1.0, "ce_plus_F": 1.6}
    timed = power_analysis(_runs([0.2, -0.4, 0.6]), step_seconds=steps)  # the powered grid: α = 0, 0.001, 1
    assert timed["minutes_per_run"] == pytest.approx(375 * 1.4 / 60) and timed["minutes_source"] == "timed steps"
    assert timed["arms"] == 3
    two = power_analysis(_runs([0.2, -0.4, 0.6]), step_seconds=steps, arm_alphas=(0.0, 0.001))
    assert two["minutes_per_run"] == pytest.approx(375 * 1.3 / 60) and two["arms"] == 2


def test_power_analysis_gives_no_seed_count_from_identical_arms():
    assert power_analysis(_runs([0.2, 0.2, 0.2]))["seeds_needed"] == -1
