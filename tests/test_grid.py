"""Sweep grids as data: the shipped grids load, count their runs, and bad grids are named errors;
the power analysis behind the powered grid matches the textbook paired-t sample size."""

from __future__ import annotations

import json

import pytest

from gedig import GedigError
from gedig.analysis import paired_power, seeds_needed
from gedig.grid import GRIDS, load_grid, powered_seed_count, seed_list


def test_shipped_grids_load():
    paper = load_grid(GRIDS / "paper.yml")
    assert paper.n_runs == 5 * 3 + 3 and paper.protocols()[0].n_train == 2000
    author = load_grid("author-full-scale.yml")
    assert author.n_runs == 240 and "distilbert-base-uncased" in author.models
    powered = load_grid(GRIDS / "powered.yml", seeds=40)
    assert powered.alphas == (0.0, 0.001, 1.0) and powered.seeds[:3] == (42, 123, 456) and len(set(powered.seeds)) == 40


def test_powered_grid_takes_its_seed_count_from_chapter_6(tmp_path):
    measures = tmp_path / "06.json"
    measures.write_text(json.dumps({"freg.power.seeds_needed": 7}))
    assert powered_seed_count(measures) == 7 and len(seed_list(7)) == 7
    with pytest.raises(GedigError, match="power analysis"):
        powered_seed_count(tmp_path / "absent.json")


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
