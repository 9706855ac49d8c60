"""Claims are about the paper's systems; a profile binds each to a model. A claim whose system has
no model is not checkable under that profile, a templated measure expands over the layers a chapter
measured, several paper values are matched one to one, and every value is labelled with its model."""

from __future__ import annotations

import pandas as pd
import pytest

from gedig import GedigError
from gedig.book.claims import evaluate, expand, load_registry
from gedig.book.profiles import PROFILES, STAND_INS, SYSTEMS
from gedig.figures import page


def bindings(profile):
    return {"profile": profile, **{f"systems.{s}": m for s, m in PROFILES[profile].systems.items()}}


def test_full_and_ci_bind_the_stand_ins_and_leave_phi3_unbound():
    for name in ("full", "ci"):
        assert PROFILES[name].systems == STAND_INS
    assert STAND_INS["phi3"] is None and STAND_INS["bert"] == "minilm-l6" and STAND_INS["llama3.0"] == "smollm2-135m"
    assert set(PROFILES["paper"].systems) == set(SYSTEMS) and all(PROFILES["paper"].systems.values())
    assert PROFILES["paper"].systems == PROFILES["paper-tiny"].systems


def test_every_claim_names_known_systems():
    for claim in load_registry():
        assert claim.get("systems"), claim["id"]
        assert set(claim["systems"]) <= set(SYSTEMS), claim["id"]


def test_a_claim_about_an_unbound_system_is_not_checkable_and_says_why():
    claim = next(c for c in load_registry() if c["id"] == "T2-Phi3")
    row = evaluate(bindings("full"), [claim]).iloc[0]
    assert row["verdict"] == "not checkable offline" and "paper profile" in row["predicate"]
    measures = {**bindings("paper"), **{k: v for k, v in zip(claim["measures"], (0.061, 0.052, 0.2, -0.01), strict=True)}}
    row = evaluate(measures, [claim]).iloc[0]
    assert row["verdict"] == "partly reproduced"  # random and uniform within 0.03 of their own paper values, the others not
    assert "microsoft/Phi-3-mini-4k-instruct" in row["ours"] and row["answered_by"] == "microsoft/Phi-3-mini-4k-instruct"


def test_a_layer_template_expands_over_the_measured_layers_in_its_band():
    claim = next(c for c in load_registry() if c["id"] == "H2-BERT-L3plus")
    measures = {f"h2.bert.published.layer{k}.F": -0.25 for k in range(12)}
    assert expand(claim, measures) == [f"h2.bert.published.layer{k}.F" for k in range(3, 12)]
    assert evaluate({**bindings("full"), **measures}, [claim]).iloc[0]["verdict"] == "reproduced"
    with pytest.raises(GedigError, match="no measure"):
        expand(claim, {f"h2.bert.published.layer{k}.F": -0.25 for k in range(3)})


def test_each_value_is_labelled_with_its_model():
    claim = next(c for c in load_registry() if c["id"] == "H1-d-pooled")
    measures = {**bindings("full"), "h1.bert.published.random.d_pooled": 2.1, "h1.gpt2.published.random.d_pooled": 3.3}
    row = evaluate(measures, [claim]).iloc[0]
    assert row["ours"] == "minilm-l6 (for BERT): +2.100; smollm2-135m (for GPT-2): +3.300"


def test_a_long_table_folds_into_a_dropdown_and_a_figure_has_its_caption():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    short, long = pd.DataFrame({"a": range(12)}), pd.DataFrame({"a": range(13)})
    assert "<details" not in page.table(short).data and "<details" in page.table(long).data
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 1], [0, 1])
    html = page.figure(fig, "What is plotted, on 12 texts.").data
    import re

    width = int(re.search(r"width:(\d+)px", html).group(1))
    assert "<figcaption>What is plotted, on 12 texts.</figcaption>" in html and 500 <= width <= 620  # about 6 in at 100 px per inch
    assert "Takeaway" in page.takeaway("A number: 3.").data
