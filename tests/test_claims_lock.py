"""The verdict lock is well formed, covers every registered claim, and the README's generated
claims section agrees with it (``make readme`` rewrites it)."""

from __future__ import annotations

import pytest

from gedig import GedigError
from gedig.book.claims import VERDICTS, load_registry
from gedig.book.lock import LOCK, MARKERS, PREFLIGHT_MARKERS, read_lock, readme_current, readme_section, rewrite_readme


def test_lock_has_a_ci_entry_covering_every_claim():
    lock = read_lock()
    assert "ci" in lock, f"{LOCK.name} has no CI-size entry: run make book-ci, then python -m gedig claims --update --size ci"
    ids = {c["id"] for c in load_registry()}
    for size, entry in lock.items():
        assert set(entry["claims"]) == ids, f"size {size}: lock and registry list different claims"
        assert all(c["verdict"] in VERDICTS for c in entry["claims"].values())
        assert entry.get("code_version") and entry.get("git_commit")


def test_readme_section_agrees_with_the_lock():
    assert readme_current(), "README.md's claims section is out of date: run `make readme`"


def test_readme_section_lists_what_is_not_reproduced():
    lock = {
        "full": {
            "code_version": "abc",
            "git_commit": "def",
            "claims": {
                "T2-BERT-random": {
                    "verdict": "not reproduced",
                    "chapter": "03_h1_real_vs_random",
                    "values": {},
                    "answered_by": "minilm-l6 (for BERT)",
                },
                "T2-GPT2-random": {"verdict": "reproduced", "chapter": "03_h1_real_vs_random", "values": {}},
                "OURS-H1-permuted": {"verdict": "not reproduced", "chapter": "07_what_f_measures", "values": {}},
            },
        }
    }
    text = readme_section(lock)
    # the companion's own findings are counted apart, as on the claims page, and not listed as the paper's
    assert "the paper's 2 claims: **1** reproduced, **0** partly reproduced, **0** inconclusive, **1** not reproduced" in text
    assert "And 1 findings of this companion (does not hold: 1)." in text
    assert "`T2-BERT-random` (03_h1_real_vs_random; answered by minilm-l6 (for BERT))" in text
    assert "T2-GPT2-random" not in text and "OURS-H1-permuted" not in text
    assert "No full-size verdicts" in readme_section({})


def test_readme_rewrite_replaces_only_the_marked_section(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# title\n\nbefore\n{MARKERS[0]}\nold text\n{MARKERS[1]}\nmiddle\n{PREFLIGHT_MARKERS[0]}\nold plan\n{PREFLIGHT_MARKERS[1]}\nafter\n"
    )
    assert rewrite_readme(readme) and not rewrite_readme(readme)  # the second run finds it current
    text = readme.read_text()
    assert text.startswith("# title\n\nbefore\n") and text.endswith(f"{PREFLIGHT_MARKERS[1]}\nafter\n") and "old text" not in text
    assert "\nmiddle\n" in text and "old plan" not in text and "One 24 GB GPU" in text
    assert readme_current(readme)
    readme.write_text("# no markers\n")
    with pytest.raises(GedigError, match="lacks the markers"):
        rewrite_readme(readme)


def test_an_interval_that_crosses_its_regions_edge_is_a_verdict_change(tmp_path, monkeypatch):
    """Two of a claim's measurements outside the region, then one straddling it: the claim stays
    'not reproduced', but the lock check reports the crossing as a verdict change; a value that moves
    inside its outcome is a drift."""
    import pandas as pd
    import yaml

    from gedig.book import lock as lock_module

    def table(outcome_b, value_b):
        row = {
            "id": "H1-d-paired",
            "verdict": "not reproduced",
            "values": {"a": 1.5, "b": value_b},
            "intervals": {"a": [1.4, 1.6], "b": [value_b - 0.1, value_b + 0.1]},
            "outcomes": {"a": "outside", "b": outcome_b},
            "region": "> 2",
            "detectable": "",
            "chapter": "03_h1_real_vs_random",
            "answered_by": "m",
        }
        return pd.DataFrame([row]), {"code_version": "x", "git_commit": "y"}

    path = tmp_path / "lock.yml"
    monkeypatch.setattr(lock_module, "current", lambda site, size: table("outside", 1.7))
    lock_module.update(tmp_path, "ci", path)
    assert yaml.safe_load(path.read_text())["ci"]["claims"]["H1-d-paired"]["outcomes"] == {"a": "outside", "b": "outside"}
    monkeypatch.setattr(lock_module, "current", lambda site, size: table("outside", 1.75))
    assert lock_module.check(tmp_path, "ci", path).rows["status"].tolist() == ["value drift"]
    monkeypatch.setattr(lock_module, "current", lambda site, size: table("straddles", 1.95))
    report = lock_module.check(tmp_path, "ci", path)
    assert not report.ok and report.flipped.iloc[0]["expected"] == "not reproduced (b: outside → straddles)"
