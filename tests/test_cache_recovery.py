"""The cache heals itself and plays well with a team: an unreadable entry is a miss (warned, moved
aside, recomputed), writes honour the umask, an unavailable device or an unwritable cache is one
clear error, and a path with spaces works."""

from __future__ import annotations

import json
import os
import stat

import pandas as pd
import pytest

import gedig.pipeline.scoring as scoring
from gedig import GedigError
from gedig.cli import main
from gedig.models.assets import conversion_version, converted_ok, safetensors_complete
from gedig.models.corpora import load_texts
from gedig.models.devices import resolve_device
from gedig.models.loading import load_model
from gedig.pipeline.cache import scores_dir, write_table
from gedig.util.io import CacheWarning, atomic_write_text, read_cached, read_json_cached

TEXTS = load_texts(n=6, seed=11)


@pytest.fixture(scope="module")
def minilm():
    return load_model("minilm-l6", device="cpu")


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_atomic_writes_honour_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        atomic_write_text("x", tmp_path / "a.txt")
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "b.parquet")
    finally:
        os.umask(old)
    for name in ("a.txt", "b.parquet"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask


@pytest.mark.slow
def test_out_file_is_group_readable(tmp_path, score_cache):
    old = os.umask(0o022)
    try:
        assert main(["score", "--model", "minilm-l6", "--n", "4", "--quiet", "--out", str(tmp_path / "t.parquet")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "t.parquet").stat().st_mode) == 0o644


@pytest.mark.slow
@pytest.mark.parametrize("which", ["final", "part"])
def test_truncated_score_entry_is_recomputed(minilm, score_cache, which):
    fresh = scoring.score(minilm, TEXTS, batch_size=2, progress=False, cache=False)
    first = scoring.score(minilm, TEXTS, batch_size=2, progress=False)
    pd.testing.assert_frame_equal(first, fresh)
    final = next(scores_dir().glob("*.parquet"))
    if which == "part":  # an interrupted run left a bad part behind: the final table is not there yet
        parts = final.with_suffix(".partial")
        parts.mkdir()
        write_table(first.iloc[:0], parts / "part-00000.parquet")
        _truncate(parts / "part-00000.parquet")
        final.unlink()
        bad = parts / "part-00000.parquet"
    else:
        _truncate(final)
        bad = final
    with pytest.warns(CacheWarning, match="unreadable cache entry"):
        again = scoring.score(minilm, TEXTS, batch_size=2, progress=False)
    pd.testing.assert_frame_equal(again, fresh)
    if which == "final":
        assert list(bad.parent.glob(bad.name + ".corrupt-*")), "the bad entry was not kept aside"
    pd.testing.assert_frame_equal(scoring.score(minilm, TEXTS, batch_size=2, progress=False), fresh)


@pytest.mark.parametrize("content", ["{not json", '{"arm": {}}', ""])
def test_bad_json_record_is_a_miss(tmp_path, content):
    from gedig.experiments.sweep import read_run

    path = tmp_path / "freg_a0_s1.json"
    path.write_text(content)
    with pytest.warns(CacheWarning):
        assert read_cached(path, read_run) is None
    assert not path.exists() and list(tmp_path.glob("freg_a0_s1.json.corrupt-*"))
    assert read_json_cached(tmp_path / "absent.json") is None


def test_truncated_safetensors_is_a_miss(tmp_path):
    import torch
    from safetensors.torch import save_file

    folder = tmp_path / "m"
    folder.mkdir()
    save_file({"w": torch.ones(64, 64)}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (folder / "gedig-version.json").write_text(json.dumps({"code_version": conversion_version()}))
    assert safetensors_complete(folder / "model.safetensors") and converted_ok(folder)
    _truncate(folder / "model.safetensors", 0.6)
    with pytest.warns(CacheWarning, match="truncated"):
        assert not converted_ok(folder)
    assert not (folder / "model.safetensors").exists()


@pytest.mark.slow
def test_unavailable_device_is_checked_before_the_cache(minilm, score_cache, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    scoring.score(minilm, TEXTS[:2], progress=False)  # cached now
    with pytest.raises(GedigError, match=r"device 'cuda' is not available on this machine; available: cpu"):
        scoring.score("minilm-l6", TEXTS[:2], device="cuda", progress=False)
    with pytest.raises(GedigError, match="not available"):
        resolve_device("cuda:3")
    with pytest.raises(GedigError, match="unknown device"):
        resolve_device("tpu-ish")


def test_cli_unavailable_device_exits_2_with_one_line(capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["score", "--model", "minilm-l6", "--n", "2", "--device", "cuda", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: device 'cuda' is not available on this machine; available: cpu"]


@pytest.mark.slow
def test_read_only_cache_is_a_clear_error(tmp_path, monkeypatch, minilm):
    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setenv("GEDIG_CACHE", str(tmp_path))
    monkeypatch.setattr(tempfile, "mkstemp", denied)  # what a read-only folder gives a non-root user
    with pytest.raises(GedigError, match=r"not writable\. Point GEDIG_CACHE at a writable folder"):
        scoring.score(minilm, TEXTS[:2], progress=False)


@pytest.mark.slow
def test_unwritable_cache_is_a_clear_error(tmp_path, monkeypatch, minilm):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("GEDIG_CACHE", str(blocker))
    with pytest.raises(GedigError, match="cannot write"):
        scoring.score(minilm, TEXTS[:2], progress=False)


@pytest.mark.slow
def test_cache_path_with_spaces(tmp_path, monkeypatch, minilm):
    monkeypatch.setenv("GEDIG_CACHE", str(tmp_path / "a cache with spaces"))
    first = scoring.score(minilm, TEXTS[:3], progress=False)
    pd.testing.assert_frame_equal(scoring.score(minilm, TEXTS[:3], progress=False), first)
    assert list((tmp_path / "a cache with spaces" / "scores").glob("*.parquet"))
