"""Reference data typed from the paper and the author's stored outputs (each file names its source)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..util.inputs import note_input

HERE = Path(__file__).parent


def paper_table2() -> pd.DataFrame:
    """The paper's Table 2 beside the author's stored values (LLM rows)."""
    return pd.read_csv(note_input(HERE / "paper_table2.csv"), comment="#")


def author_llm_by_layer() -> pd.DataFrame:
    """Per-layer F and ΔF vs random of the author's executed Phi-3 / Llama-3 / Llama-3.1 run."""
    return pd.read_csv(note_input(HERE / "author_llm_by_layer.csv"), comment="#")


AUTHOR_TEXTS = 63
"""How many WikiText-2 texts the author's executed loader kept (train[:200], short lines): the
count behind the stored LLM runs (the header of author_llm_by_layer.csv)."""

PAPER_BERT_LAYERS = {"layer 0": -0.34, "layers 1–2": -0.24, "layers 3+": -0.25}
"""Section 5.3's BERT per-layer F (read off Figure 2 by the paper's text)."""


def paper_table3() -> pd.DataFrame:
    """The paper's Table 3 beside the per-seed values of the author's executed sweep notebook."""
    return pd.read_csv(note_input(HERE / "paper_table3.csv"), comment="#")


def paper_delta_f(system: str, baseline: str = "random") -> float:
    """Table 2's mean ΔF for one system (the paper's name for it: 'BERT', 'GPT-2', 'Llama 3.0', …)."""
    table = paper_table2()
    hit = table[(table["model"] == system) & (table["baseline"] == baseline)]
    if hit.empty:
        raise KeyError(f"Table 2 has no row for {system!r} against {baseline!r}")
    return float(hit["paper"].iloc[0])


def paper_freg_pp(alpha: float, control: float = 0.0) -> float:
    """Table 3's accuracy change in percentage points at ``alpha`` against ``control`` (α = 0)."""
    acc = paper_table3().set_index("alpha")["paper_acc_mean"]
    return float(acc.loc[alpha] - acc.loc[control])


def paper_value(reference: str) -> float:
    """A number the paper reports, named by where it stands, so that the claims registry never types
    it again: 'Table 2: BERT, random' (mean ΔF), 'Table 3: gain at 0.001' (accuracy change against
    α = 0, percentage points), 'Table 3: final F at 1.0', 'Figure 2: BERT layer 0' (section 5.3's
    reading: 'layer 0', 'layers 1–2', 'layers 3+')."""
    import re

    if m := re.fullmatch(r"Table 2: (.+), (\w+)", reference):
        return paper_delta_f(m.group(1), m.group(2))
    if m := re.fullmatch(r"Table 3: gain at ([\d.]+)", reference):
        return round(paper_freg_pp(float(m.group(1))), 6)
    if m := re.fullmatch(r"Table 3: final F at ([\d.]+)", reference):
        return float(paper_table3().set_index("alpha").loc[float(m.group(1)), "paper_final_F"])
    if (m := re.fullmatch(r"Figure 2: BERT (.+)", reference)) and m.group(1) in PAPER_BERT_LAYERS:
        return PAPER_BERT_LAYERS[m.group(1)]
    raise KeyError(
        f"no paper value {reference!r}; references look like 'Table 2: BERT, random', 'Table 3: gain at 0.001', "
        f"'Table 3: final F at 1.0', 'Figure 2: BERT layer 0'"
    )
