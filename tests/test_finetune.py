"""F-regularised fine-tuning: the protocol's data, seeded and resumable runs, the control arm,
and the statistics of Table 3."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from gedig import analysis
from gedig.experiments.splits import load_splits
from gedig.experiments.sweep import finished_runs, run_sweep
from gedig.experiments.training import Arm, Protocol

pytestmark = pytest.mark.slow
TINY = Protocol(n_train=32, n_eval=16, epochs=1)


def test_splits_are_balanced_disjoint_and_fixed():
    train, evals = load_splits(Protocol())
    assert len(train) == 2000 and len(evals) == 500
    assert train["label"].value_counts().to_dict() == {0: 1000, 1: 1000}
    assert evals["label"].value_counts().to_dict() == {0: 250, 1: 250}
    assert not set(train["text"]) & set(evals["text"])
    assert train.equals(load_splits(Protocol())[0])


def test_sweep_is_seeded_resumable_and_has_a_control(tmp_path, monkeypatch):
    import gedig.experiments.sweep as ft

    calls = []
    real = ft.train_arm
    monkeypatch.setattr(ft, "train_arm", lambda p, arm, **kw: calls.append(arm) or real(p, arm, **kw))
    first = run_sweep(TINY, [0, 0.01], [7], control_alpha=0.01, out_dir=tmp_path, progress=False)
    assert len(calls) == 3 and sorted(first["control"]) == [False, False, True]
    again = run_sweep(TINY, [0, 0.01], [7], control_alpha=0.01, out_dir=tmp_path, progress=False)
    assert len(calls) == 3  # every finished run was reused
    pd.testing.assert_frame_equal(first, again)
    # reading a sweep folder (as chapter 6 reads the powered grid) never trains: it names what is missing
    found, missing = finished_runs(tmp_path, [0, 0.01, 1.0], [7])
    assert len(calls) == 3 and missing == [Arm(1.0, 7).label]
    pd.testing.assert_frame_equal(found, first[~first["control"]].reset_index(drop=True))
    (tmp_path / Arm(0.01, 7).filename).unlink()
    rerun = run_sweep(TINY, [0, 0.01], [7], control_alpha=0.01, out_dir=tmp_path, progress=False)
    assert len(calls) == 4 and calls[-1] == Arm(0.01, 7)
    assert np.isclose(rerun["accuracy"], first["accuracy"]).all()  # same seed, same result
    for col in ("final_F_author", "final_F_example", "final_F_published_gauge", "soft_delta_h", "soft_density"):
        assert np.isfinite(first[col]).all()


def test_table3_statistics():
    runs = pd.DataFrame(
        [
            {
                "alpha": a,
                "seed": s,
                "control": False,
                "accuracy": acc,
                "final_F_author": -0.45 - a / 10,
                "final_F_example": -0.5,
                "final_F_published_gauge": -0.4 - a / 20,
                "soft_delta_h": 0.8 + a / 10,
                "soft_density": 0.45 - a / 10,
                "train_seconds": 60.0,
            }
            for a, accs in {0: (0.86, 0.85, 0.862), 0.001: (0.866, 0.858, 0.866), 1.0: (0.774, 0.812, 0.782)}.items()
            for s, acc in zip((42, 123, 456), accs, strict=True)
        ]
    )
    table = analysis.freg_table(runs)
    row = table.set_index("alpha").loc[0.001]
    assert row["acc_mean"] == pytest.approx(100 * np.mean([0.866, 0.858, 0.866]))
    assert row["acc_sd"] == pytest.approx(100 * np.std([0.866, 0.858, 0.866], ddof=1))
    tests = analysis.freg_tests(runs)
    assert tests.set_index("alpha").loc[0.001, "p_sign_flip"] == 0.25  # three seeds, all positive: the floor
    m = analysis.freg_measures(table, tests)
    assert m["freg.inverted_u"] and m["freg.best_is_0.001"] and m["freg.entropy_rises"] and not m["freg.published_gauge_rises"]
    assert m["freg.F_alpha_spearman"] == -1.0
    # the claims read paired differences by seed with their t intervals, never the argmax of means
    seeds = analysis.freg.seed_measures(runs)
    d = 100 * (np.array([0.866, 0.858, 0.866]) - np.array([0.86, 0.85, 0.862]))
    half = sps.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    assert seeds["freg.F.diff_pp.alpha0.001"] == pytest.approx(d.mean())
    assert seeds["ci.freg.F.diff_pp.alpha0.001"] == pytest.approx([d.mean() - half, d.mean() + half])
    assert seeds["freg.lead_pp.alpha0"] == pytest.approx(d.mean()) and "freg.lead_pp.alpha0.001" not in seeds
    assert seeds["ci.freg.F_alpha_spearman"] == [-1.0, -1.0]  # every seed's ρ is −1
    # the smallest paired effect three seeds detect with 80 % power: the power there is 0.8, exactly
    mde = analysis.freg.detectable_effect(3, d.std(ddof=1))
    assert analysis.freg.paired_power(3, mde, d.std(ddof=1)) == pytest.approx(0.8, abs=1e-6)
    assert mde > 4 * d.std(ddof=1) / np.sqrt(3)  # t(0.975, 2) = 4.30: only effects several SEs wide
    assert np.isnan(analysis.freg.detectable_effect(3, 0.0)) and np.isnan(analysis.freg.detectable_effect(1, 1.0))


def test_the_kept_classifier_is_the_trained_one_and_scores_its_record(tmp_path, monkeypatch):
    """The chapter-9 classifier folder holds the weights train_arm trained: reloaded, it gives the
    run record's accuracy, and a second call reads the folder instead of training again."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    import gedig.experiments.classifier as classifier
    from gedig.experiments.training import evaluate_model

    monkeypatch.setenv("GEDIG_CACHE", str(tmp_path))
    folder, record = classifier.fine_tuned_classifier(TINY, 3, device="cpu", progress=False)
    model = AutoModelForSequenceClassification.from_pretrained(folder, attn_implementation="eager")
    again = evaluate_model(model, AutoTokenizer.from_pretrained(folder), load_splits(TINY)[1], TINY, torch.device("cpu"))
    assert again["accuracy"] == record["accuracy"]
    assert abs(again["eval_ce"] - record["eval_ce"]) <= 1e-6 * abs(record["eval_ce"])  # float32 reload: same weights, same sums
    monkeypatch.setattr(classifier, "train_arm", lambda *a, **k: pytest.fail("a kept classifier was trained again"))
    assert classifier.fine_tuned_classifier(TINY, 3, device="cpu", progress=False) == (folder, record)


def test_chapter_6s_sweep_keeps_the_classifier_that_chapter_9_reads(tmp_path, monkeypatch):
    """Chapter 6's sweep, run with ``train=train_keeping`` (here on two one-thread workers, as the
    book's parallel layout does), keeps the weights of its α = 0 run of ``CLASSIFIER_SEED`` and of no
    other run; chapter 9 then reads that folder instead of training the same run again, its record
    is the sweep's run, and the chapter says where the weights came from."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    import gedig.experiments.classifier as classifier
    from gedig.book.takeaways import classifier_origin
    from gedig.experiments.training import evaluate_model

    monkeypatch.setenv("GEDIG_CACHE", str(tmp_path))
    seeds = [classifier.CLASSIFIER_SEED, 7]
    runs = run_sweep(
        TINY, [0], seeds, control_alpha=None, out_dir=tmp_path / "sweep", progress=False, layout="2x1", train=classifier.train_keeping
    )
    data = load_splits(TINY)
    kept = [p.name for p in (tmp_path / "classifiers").iterdir()]
    assert kept == [classifier.classifier_dir(TINY, classifier.CLASSIFIER_SEED, data).name]
    monkeypatch.setattr(classifier, "train_arm", lambda *a, **k: pytest.fail("chapter 9 trained a run chapter 6 had kept"))
    folder, record = classifier.fine_tuned_classifier(TINY, classifier.CLASSIFIER_SEED, data=data, device="cpu", progress=False)
    run = runs.set_index("seed").loc[classifier.CLASSIFIER_SEED]
    assert record["kept_by"] == classifier.KEPT_BY_SWEEP
    assert (record["accuracy"], record["eval_ce"], record["train_seconds"]) == (run["accuracy"], run["eval_ce"], run["train_seconds"])
    model = AutoModelForSequenceClassification.from_pretrained(folder, attn_implementation="eager")
    again = evaluate_model(model, AutoTokenizer.from_pretrained(folder), data[1], TINY, torch.device("cpu"))
    assert again["accuracy"] == record["accuracy"]
    assert f"chapter 6's α = 0 run of seed {classifier.CLASSIFIER_SEED}, kept by its sweep" in classifier_origin(record)


def test_chapter_9s_classifier_seed_is_the_one_chapter_6_keeps():
    """The notebook parameter and the package constant name the same run (one fact, checked)."""
    from gedig.book.build import notebook_defaults
    from gedig.experiments.classifier import CLASSIFIER_SEED

    assert notebook_defaults("09_heads_that_matter")["classifier_seed"] == CLASSIFIER_SEED
