"""Scale-out on a local 2-CPU Ray cluster: sweep records equal the local executor's, a task that
fails once is retried with no partial or duplicate record, one that always fails is reported while
the rest are saved, and scoring on Ray actors equals the local table and cache."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from gedig import GaugeConfig, GedigError
from gedig.experiments.sweep import run_sweep
from gedig.experiments.training import Protocol, train_arm
from gedig.pipeline.scoring import score

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray")
TINY = Protocol(n_train=32, n_eval=16, epochs=1, batch_size=16, eval_batch_size=16, max_length=48)
TIMING = ("train_seconds",)


@pytest.fixture(scope="module")
def cluster():
    from gedig.util.cluster import connect

    resources = connect(num_cpus=2)
    yield resources
    ray.shutdown()


def records(folder):
    return {p.name: {k: v for k, v in json.loads(p.read_text()).items() if k not in TIMING} for p in sorted(folder.glob("freg_*.json"))}


def test_ray_sweep_records_equal_the_local_executor(cluster, tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same thread count as each Ray task (cpus_per_task = 1)
    try:
        run_sweep(TINY, [0, 0.1], [1, 2], control_alpha=None, out_dir=tmp_path / "local", device="cpu", progress=False)
    finally:
        torch.set_num_threads(threads)
    table = run_sweep(TINY, [0, 0.1], [1, 2], control_alpha=None, out_dir=tmp_path / "ray", executor="ray", progress=False)
    assert len(table) == 4
    # the same numbers; each record names the executor it ran on
    ray, local = records(tmp_path / "ray"), records(tmp_path / "local")
    assert {r.pop("layout") for r in ray.values()} == {"Ray task × 1 CPU"}
    assert {r.pop("layout") for r in local.values()} == {"1 worker × 1 thread"}
    assert ray == local
    # a rerun finds every record and runs nothing
    again = run_sweep(TINY, [0, 0.1], [1, 2], control_alpha=None, out_dir=tmp_path / "ray", executor="ray", progress=False, train=None)
    pd.testing.assert_frame_equal(again, table)


def test_a_task_that_fails_once_is_retried_and_written_once(cluster, tmp_path):
    marker = tmp_path / "failed-once"

    def flaky(protocol, arm, **kwargs):
        if arm.alpha == 0.1 and not marker.exists():
            marker.write_text("x")
            raise RuntimeError("injected fault")
        return train_arm(protocol, arm, **kwargs)

    out = tmp_path / "runs"
    table = run_sweep(TINY, [0, 0.1], [1], control_alpha=None, out_dir=out, executor="ray", train=flaky, progress=False)
    assert marker.exists() and len(table) == 2
    assert sorted(p.name for p in out.iterdir()) == ["freg_a0.1_s1.json", "freg_a0_s1.json", "protocol.json"]


def test_a_task_that_always_fails_is_reported_and_the_rest_saved(cluster, tmp_path):
    def broken(protocol, arm, **kwargs):
        if arm.alpha == 0.1:
            raise RuntimeError("this arm cannot run")
        return train_arm(protocol, arm, **kwargs)

    out = tmp_path / "runs"
    with pytest.raises(GedigError, match=r"1 of 2 runs failed for good.*α=0\.1 seed=1.*this arm cannot run"):
        run_sweep(TINY, [0, 0.1], [1], control_alpha=None, out_dir=out, executor="ray", train=broken, max_retries=1, progress=False)
    assert (out / "freg_a0_s1.json").exists() and not (out / "freg_a0.1_s1.json").exists()


def test_scoring_on_ray_actors_equals_the_local_table_and_cache(cluster, score_cache, monkeypatch):
    """Ray actors run the float32 forward pass with their own thread count (1 here), the local path
    with torch's default, so the two tables agree by gedig.pipeline.agreement's contract, not bit for bit:
    weights within 1e-4 relative, the edge sets exactly equal away from a cut. The local path then
    reads the Ray path's cache entries as its own."""
    from gedig.models.corpora import load_texts
    from gedig.models.loading import load_model
    from gedig.pipeline.agreement import compare_tables, cut_flags

    texts = load_texts(n=9, seed=4)
    configs = [GaugeConfig.published(), GaugeConfig.as_written()]
    kw = dict(config=configs, baselines=("random", "permuted", "entropy_matched"), batch_size=4, progress=False)
    on_ray = score("minilm-l6", texts, executor="ray", **kw)
    entries = sorted(p.name for p in (score_cache / "scores").glob("*.parquet"))
    assert len(entries) == 2 and not list((score_cache / "scores").glob("*.partial"))
    local = score("minilm-l6", texts, cache=False, **kw)
    model = load_model("minilm-l6", device="cpu")
    for cfg, a, b in zip(configs, local, on_ray, strict=True):
        cut = cut_flags(model, texts, a, cfg, batch_size=4)
        problems = compare_tables(a, b, cut=cut)
        assert problems.empty, problems.to_string()
        # the contract can fail: one value beyond its bound, or one edge more on a head away from a cut
        row = int(np.flatnonzero(~cut["head"])[0])
        for column, change in (("delta_h", 1e-3), ("n_edges", 1), ("F_random", 1e-9)):
            broken = b.copy()
            broken.loc[row, column] += change
            assert list(compare_tables(a, broken, cut=cut)["column"]) == [column], column
    cached = score("minilm-l6", texts, **kw)  # the local path finds the Ray path's entries
    for a, b in zip(cached, on_ray, strict=True):
        assert a.equals(b)
