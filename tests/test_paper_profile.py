"""The paper's own systems, proven offline: tiny random-weight models under the paper's exact hub
ids and tiny WikiText-2/GLUE in a local Hugging Face cache, read with HF_HUB_OFFLINE=1 through the
same code that runs online. The Hugging Face libraries read their cache and offline settings when
they are imported, so every check runs in a fresh process started with the local hub's variables,
as a user would run it; an offline guard (``offline_guard/sitecustomize.py``) in every one of those
processes, notebook kernels included, records any network use: none may happen."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from gedig import GedigError
from gedig.models.localhub import build_local_hub

pytestmark = pytest.mark.slow
GUARD = Path(__file__).with_name("offline_guard")


SHALLOW = {"layers": 3, "heads": 4}
"""The local hub's models are one layer short of the paper's layer-3+ claim: a researcher's smaller
model, on which that claim must say why it cannot be checked while every other claim is computed."""


@pytest.fixture(scope="module")
def local_hub(tmp_path_factory):
    """The local hub (3-layer, 4-head models), and the environment of a process that reads it offline under the guard."""
    root = tmp_path_factory.mktemp("localhub")
    log = root / "network-attempts.log"
    env = {
        **os.environ,
        **build_local_hub(root, tiny=SHALLOW),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(GUARD), os.environ.get("PYTHONPATH")])),
        "GEDIG_GUARD_LOG": str(log),
        "GEDIG_CACHE": str(root / "gedig-cache"),
    }
    return {"root": root, "env": env, "log": log}


def offline(hub: dict, code: str, *args: str, timeout: int = 900) -> str:
    """Run ``code`` (Python) or, with ``args``, a command, in a fresh process on the local hub; its
    output. It must succeed and must not have tried the network."""
    cmd = [sys.executable, *args] if args else [sys.executable, "-c", textwrap.dedent(code)]
    run = subprocess.run(cmd, capture_output=True, text=True, env=hub["env"], timeout=timeout)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    attempts = hub["log"].read_text() if hub["log"].exists() else ""
    assert not attempts, f"network use: {attempts}"
    return run.stdout


def test_the_guard_catches_a_network_attempt(local_hub):
    run = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('huggingface.co', 443), timeout=1)"],
        capture_output=True,
        text=True,
        env=local_hub["env"],
    )
    assert run.returncode != 0 and "offline guard" in run.stderr
    assert "huggingface.co" in local_hub["log"].read_text()
    local_hub["log"].unlink()


def test_every_paper_id_loads_from_the_local_hub(local_hub):
    out = offline(
        local_hub,
        """
        from gedig.book.profiles import PROFILES
        from gedig.models.localhub import ARCHITECTURES
        from gedig.models.loading import load_model
        for repo, (arch, _) in ARCHITECTURES.items():
            m = load_model(repo, device="cpu", dtype=PROFILES["paper"].dtypes.get(repo))
            print(repo, type(m.model).__name__, m.causal, m.dtype)
        """,
    )
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()}
    assert rows["meta-llama/Meta-Llama-3-8B"] == ["LlamaModel", "True", "bfloat16"]
    assert rows["microsoft/Phi-3-mini-4k-instruct"] == ["Phi3Model", "True", "bfloat16"]
    assert rows["bert-base-uncased"] == ["BertModel", "False", "float32"] and rows["gpt2"][:2] == ["GPT2Model", "True"]


def test_wikitext_is_selected_as_the_author_did_and_glue_pairs_keep_both_sentences(local_hub):
    """The author's loader: train[:200], lines non-empty and under 120 characters raw (newline and
    leading space included), stripped, in file order; the 'paper-text' reading looks at train[:2000]."""
    offline(
        local_hub,
        """
        import datasets
        from gedig import GedigError
        from gedig.models.corpora import labelled_splits, load_texts

        raw = datasets.load_dataset("Salesforce/wikitext", "wikitext-2-raw-v1", split="train")["text"]
        expected = [t.strip() for t in raw[:200] if t.strip() and len(t) < 120]
        assert load_texts("wikitext", n=None) == expected and load_texts("wikitext", n=5) == expected[:5]
        assert load_texts("wikitext", n=None, selection="paper-text") == [t.strip() for t in raw[:2000] if t.strip() and len(t) < 120]
        try:
            load_texts("wikitext", n=len(expected) + 1)
            raise AssertionError("asking for more texts than the selection yields must fail")
        except GedigError as exc:
            assert "yields" in str(exc)
        train, evals = labelled_splits("glue/mrpc", n_train=10, n_eval=4, selection="first")
        mrpc = datasets.load_dataset("nyu-mll/glue", "mrpc", split="train[:10]")
        assert train["text"].tolist() == mrpc["sentence1"] and train["text_pair"].tolist() == mrpc["sentence2"] and len(evals) == 4
        assert "text_pair" not in labelled_splits("glue/sst2", n_train=4, n_eval=2, selection="first")[0].columns
        """,
    )


def test_author_full_scale_grid_runs_one_tiny_run_per_task(local_hub):
    """grids/author-full-scale.yml, cut to one model, one α, one seed and a tiny protocol: each of
    its four GLUE tasks (MRPC and QNLI as sentence pairs) trains and evaluates once."""
    out = offline(
        local_hub,
        """
        import dataclasses
        from gedig.experiments.grid import load_grid, run_grid

        grid = load_grid("author-full-scale.yml")
        assert grid.tasks == ("glue/sst2", "glue/mrpc", "glue/cola", "glue/qnli") and grid.n_runs == 240
        tiny = dataclasses.replace(
            grid,
            models=("distilbert-base-uncased",),
            alphas=(0.001,),
            seeds=(42,),
            protocol={**grid.protocol, "n_train": 16, "n_eval": 8, "epochs": 1, "batch_size": 8, "eval_batch_size": 8, "max_length": 32},
        )
        runs = run_grid(tiny, progress=False)
        assert runs["accuracy"].between(0, 1).all() and (runs["steps"] == 2).all()
        print(" ".join(sorted(runs["task"])))
        """,
    )
    assert out.split() == ["glue/cola", "glue/mrpc", "glue/qnli", "glue/sst2"]


def test_paper_tiny_book_builds_offline_with_a_verdict_for_every_claim(local_hub, tmp_path):
    """python -m gedig book --size paper-tiny: every chapter, the claims and the HTML (warnings are
    errors), on the local hub of 3-layer models; every claim gets a computed verdict, except the one
    about layers 3+ and the transition's comparison with rises after layer 2, which read 'not
    applicable' with their reasons; the claims page names the model behind each."""
    from gedig.book.build import new_site
    from gedig.book.claims import evaluate, load_registry, measure_sources

    site = new_site(tmp_path / "site")
    offline(local_hub, "", "-m", "gedig", "book", "--size", "paper-tiny", "--site", str(site), timeout=1500)
    measures, sources = measure_sources(site / "book" / "executed")
    table = evaluate(measures, sources=sources)
    assert len(table) == len(load_registry())
    assert not (table["verdict"] == "not checkable offline").any(), table[table["verdict"] == "not checkable offline"]["id"].tolist()
    beyond = [c["id"] for c in load_registry() if str(c.get("layers", "0+")).startswith(str(SHALLOW["layers"]))]
    assert beyond == ["H2-BERT-L3plus"], beyond
    na = table[(table["verdict"] == "not applicable") & (table["origin"] == "paper")].set_index("id")
    # H2's transition compares the rise into layers 1–2 with every later rise: a 3-layer model has none
    assert sorted(na.index) == sorted(["H2-transition", *beyond]), na.index.tolist()
    assert "the model has 3 layers, too few for this margin" in na.loc["H2-transition", "predicate"]
    assert (
        na.loc["H2-BERT-L3plus", "predicate"] == "not applicable to bert-base-uncased: the model has 3 layers; the claim is about layers 3+"
    )
    assert na.loc["H2-BERT-L3plus", "chapter"] == "04_h2_layer_transition"
    assert (table["profile"] == "paper-tiny").all()
    page = (site / "book" / "_generated" / "claims_table.md").read_text()
    assert "{bdg-secondary}`not applicable` 2" in page and "the model has 3 layers; the claim is about layers 3+" in page
    for repo in (
        "bert-base-uncased",
        "gpt2",
        "meta-llama/Meta-Llama-3-8B",
        "meta-llama/Llama-3.1-8B",
        "microsoft/Phi-3-mini-4k-instruct",
        "distilbert-base-uncased",
    ):
        assert repo in page, f"the claims page never names {repo}"
    assert (site / "_build" / "html" / "book" / "claims.html").exists()


def test_paper_profile_without_the_hub_stops_at_the_preflight(tmp_path):
    """No hub, no GPU: exit 2 before any chapter starts, one report naming what is missing and what
    the build would need, and no traceback. (Its time, ≤ 10 s, is a target of ``python -m gedig bench``.)"""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GEDIG_CACHE": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "gedig", "book", "--size", "paper"], capture_output=True, text=True, env=env, timeout=120)
    out = run.stdout + run.stderr
    assert run.returncode == 2, (run.returncode, out[-2000:])
    assert "Traceback" not in out and "[book] 1/" not in out, out[-2000:]
    assert "[FAIL] hub" in out and "downloads:" in out and "meta-llama/Meta-Llama-3-8B" in out and "HF_TOKEN" in out


def test_a_stand_in_profile_has_no_preflight():
    from gedig.book import preflight
    from gedig.book.profiles import get

    with pytest.raises(GedigError, match="needs no preflight"):
        preflight.for_profile(get("full"))


def test_a_gated_model_without_access_fails_its_check_by_name(monkeypatch):
    """Online, the access check asks the hub for this token: a licence not accepted is a failed
    check naming the model and what to do, not an error later in the build."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError

    from gedig.book.preflight import gated_access

    def refuse(self, repo_id, **kwargs):
        raise GatedRepoError(f"{repo_id} is gated", response=SimpleNamespace(headers={}, request=None, status_code=403))

    monkeypatch.setattr(HfApi, "auth_check", refuse)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    check = gated_access("meta-llama/Meta-Llama-3-8B")
    assert check.ok is False and "meta-llama/Meta-Llama-3-8B" in check.detail and "no HF_TOKEN" in check.detail
    monkeypatch.setattr(HfApi, "auth_check", lambda self, repo_id, **kwargs: None)
    assert gated_access("meta-llama/Meta-Llama-3-8B").ok is True
