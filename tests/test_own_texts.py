"""Your own texts: ``load_texts(path)`` and ``python -m gedig score --texts FILE`` read a .txt, .jsonl,
.csv or .parquet of texts as given, in file order; a bad file is one clear line and exit 2 with
nothing cached; and the paper's hub datasets are found offline under their older names too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gedig import GedigError
from gedig.cli import main
from gedig.models.corpora import load_texts
from gedig.models.localhub import build_local_hub
from gedig.pipeline.scoring import score

TEXTS = [
    "The cat sat on the mat.",
    "Attention heads form graphs of their strongest weights.",
    "A third sentence, about transformers and gauges, with a comma.",
]


def write(path: Path, kind: str, texts: list[str] = TEXTS) -> Path:
    if kind == ".txt":
        path.write_text("\n".join([*texts[:1], "", *texts[1:]]) + "\n", encoding="utf-8")  # a blank line is skipped
    elif kind == ".jsonl":
        path.write_text("".join(json.dumps({"text": t, "id": i}) + "\n" for i, t in enumerate(texts)), encoding="utf-8")
    elif kind == ".csv":
        pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(path, index=False)
    else:
        pd.DataFrame({"text": texts}).to_parquet(path)
    return path


@pytest.mark.parametrize("kind", [".txt", ".jsonl", ".csv", ".parquet"])
def test_every_file_kind_gives_its_texts_as_given_in_file_order(tmp_path, kind):
    path = write(tmp_path / f"mine{kind}", kind)
    assert load_texts(path) == TEXTS
    assert load_texts(str(path)) == TEXTS  # a string path works too
    assert load_texts(path, max_chars=30) == [TEXTS[0]]  # the length filter applies only when asked


def test_a_corpus_name_still_names_the_corpus():
    assert load_texts("wiki-summaries", n=3, seed=0) == load_texts("wiki-summaries", n=3, seed=0, min_chars=20, max_chars=120)


BAD = {
    "empty": ("empty.txt", b"", "is empty"),
    "missing column": ("rows.csv", b"id,body\n1,hello there\n", "no 'text' column (its columns: id, body)"),
    "missing field": ("rows.jsonl", b'{"body": "hello there"}\n', "line 1: no 'text' field"),
    "binary": ("blob.txt", b"\x7fELF\x02\x01\x01\x00\x00\x00binary", "binary file"),
    "not UTF-8": ("latin1.txt", "café au lait\n".encode("latin-1"), "not UTF-8 text (byte 3, line 1)"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_file_is_one_line_and_exit_2_with_nothing_cached(tmp_path, monkeypatch, capsys, case):
    name, content, message = BAD[case]
    (tmp_path / name).write_bytes(content)
    monkeypatch.setenv("GEDIG_CACHE", str(tmp_path / "cache"))
    assert main(["score", "--model", "minilm-l6", "--texts", str(tmp_path / name), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    assert not (tmp_path / "cache" / "scores").exists()
    with pytest.raises(GedigError, match="text"):
        load_texts(tmp_path / name)


@pytest.mark.slow
def test_score_texts_equals_the_library_and_hits_the_cache_the_second_time(tmp_path, score_cache, capsys):
    path = write(tmp_path / "mine.txt", ".txt")
    assert main(["score", "--model", "minilm-l6", "--texts", str(path), "--out", str(tmp_path / "t.parquet"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"texts {path} (3 texts, in file order)" in out and "Table 2 row: ΔF_random" in out
    cli_table = pd.read_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(cli_table, score("minilm-l6", TEXTS, progress=False), check_exact=True)
    tables = sorted((score_cache / "scores").glob("*.parquet"))
    assert len(tables) == 1
    stamp = tables[0].stat().st_mtime_ns
    assert main(["score", "--model", "minilm-l6", "--texts", str(path), "--quiet"]) == 0
    assert tables[0].stat().st_mtime_ns == stamp and sorted((score_cache / "scores").glob("*.parquet")) == tables


@pytest.mark.slow
def test_a_text_longer_than_the_scored_context_stops_unless_truncate(tmp_path, score_cache, capsys):
    path = write(tmp_path / "long.txt", ".txt", [TEXTS[0], "word " * 300])
    assert main(["score", "--model", "minilm-l6", "--texts", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "text 2 has 302 tokens" in err[0] and "--truncate" in err[0], err
    assert not (score_cache / "scores").exists()
    assert main(["score", "--model", "minilm-l6", "--texts", str(path), "--truncate", "--quiet"]) == 0
    assert "1 text(s) of" in capsys.readouterr().err
    assert main(["score", "--model", "minilm-l6", "--texts", str(path), "--max-length", "4096", "--quiet"]) == 2
    assert "longer than minilm-l6's context of 512 tokens" in capsys.readouterr().err


@pytest.mark.slow
def test_hub_datasets_load_offline_under_their_older_names(tmp_path):
    """A datasets cache that holds WikiText-2 and GLUE only as ``wikitext`` and ``glue`` (the author's
    names, and many existing caches'): ``score --corpus wikitext`` finds it offline; without it the
    error names both names tried."""
    env = {**os.environ, **build_local_hub(tmp_path / "hub", models=("gpt2",), names="legacy"), "GEDIG_CACHE": str(tmp_path / "c")}
    assert sorted(p.name for p in (tmp_path / "hub" / "datasets").iterdir()) == ["glue", "wikitext"]
    cmd = [sys.executable, "-m", "gedig", "score", "--model", "gpt2", "--corpus", "wikitext", "--n", "8", "--quiet"]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "gpt2  [preset published]  8 texts" in run.stdout
    sst2 = "from gedig.models.corpora import sst2_sentences; print(len(sst2_sentences()))"
    run = subprocess.run([sys.executable, "-c", sst2], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0 and int(run.stdout) > 0, run.stderr[-2000:]
    empty = {**env, "HF_DATASETS_CACHE": str(tmp_path / "nothing")}
    run = subprocess.run(cmd, capture_output=True, text=True, env=empty, timeout=300)
    assert run.returncode == 2 and "'Salesforce/wikitext' and 'wikitext'" in run.stderr and "Traceback" not in run.stderr
