"""Claims are about the paper's systems; a profile binds each to a model. A claim whose system has
no model is not checkable under that profile, a templated measure expands over the layers a chapter
measured, several paper values are matched one to one, and every value is labelled with its model."""

from __future__ import annotations

import pandas as pd
import pytest

from gedig import GedigError
from gedig.book.claims import WHY_MISSING, evaluate, expand, load_registry, render_markdown, tally
from gedig.book.profiles import PROFILES, STAND_INS, SYSTEMS
from gedig.figures import page


def bindings(profile):
    return {"profile": profile, **{f"systems.{s}": m for s, m in PROFILES[profile].systems.items()}}


def with_ci(measures, half=0.001):
    """The measures with a 95 % interval of ± ``half`` around every number (``ci.<key>``), as a chapter writes them."""
    out = dict(measures)
    for k, v in measures.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and "." in k and not k.startswith("systems."):
            out[f"ci.{k}"] = [v - half, v + half]
    return out


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
    measures = {**bindings("paper"), **with_ci(dict(zip(claim["measures"], (0.061, 0.052, 0.2, -0.01), strict=True)))}
    row = evaluate(measures, [claim]).iloc[0]
    assert row["verdict"] == "partly reproduced"  # local's interval lies outside +0.144 ± 0.03, the others' inside their own regions
    assert row["outcomes"]["h1.phi3.published.local.dF"] == "outside" and row["outcomes"]["h1.phi3.published.random.dF"] == "inside"
    assert "microsoft/Phi-3-mini-4k-instruct" in row["ours"] and row["answered_by"] == "microsoft/Phi-3-mini-4k-instruct"


def test_a_layer_template_expands_over_the_measured_layers_in_its_band():
    claim = next(c for c in load_registry() if c["id"] == "H2-BERT-L3plus")
    measures = {f"h2.bert.published.layer{k}.F": -0.25 for k in range(12)}
    assert expand(claim, measures) == [f"h2.bert.published.layer{k}.F" for k in range(3, 12)]
    assert evaluate({**bindings("full"), **with_ci(measures)}, [claim]).iloc[0]["verdict"] == "reproduced"
    with pytest.raises(GedigError, match="no measure"):
        expand(claim, {f"h2.bert.published.layer{k}.F": -0.25 for k in range(3)})


def test_a_claim_about_layers_the_model_lacks_is_not_applicable_and_says_why():
    """The chapter records how many layers it measured; a band beyond them is 'not applicable' (with
    the model and the reason), not an error; every other claim on the same measures is computed."""
    claims = [c for c in load_registry() if c["id"] in ("H2-BERT-L0", "H2-BERT-L1-2", "H2-BERT-L3plus")]
    layers = {f"h2.bert.published.layer{k}.F": F for k, F in enumerate((-0.34, -0.24, -0.3))}
    measures = {**bindings("paper"), **with_ci(layers), "h2.bert.published.n_layers": 3}
    table = evaluate(measures, claims, sources=dict.fromkeys(measures, "04_h2_layer_transition")).set_index("id")
    row = table.loc["H2-BERT-L3plus"]
    assert row["verdict"] == "not applicable" and row["ours"] == "not applicable (the model has 3 layers; the claim is about layers 3+)"
    assert row["predicate"] == "not applicable to bert-base-uncased: the model has 3 layers; the claim is about layers 3+"
    assert row["chapter"] == "04_h2_layer_transition" and row["robustness"] is None
    assert (
        table.loc["H2-BERT-L0", "verdict"] == "reproduced" and table.loc["H2-BERT-L1-2", "verdict"] == "partly reproduced"
    )  # −0.24 in, −0.3 out
    assert tally(table.reset_index())["not applicable"] == 1
    assert "{bdg-secondary}`not applicable` 1" in render_markdown(table.reset_index())
    assert "not applicable" not in tally(table.reset_index().iloc[:2])  # listed only when some claim has it


def test_an_empty_band_without_a_stated_reason_is_still_an_error():
    claim = next(c for c in load_registry() if c["id"] == "H2-BERT-L3plus")
    measures = {**bindings("paper"), **{f"h2.bert.published.layer{k}.F": -0.3 for k in range(3)}}
    with pytest.raises(GedigError, match=r"no measure h2\.bert\.published\.layer"):
        evaluate(measures, [claim])
    with pytest.raises(GedigError, match="no measure"):  # a count that does not match the layers measured is no reason
        evaluate({**measures, "h2.bert.published.n_layers": 12}, [claim])


def test_a_measure_missing_for_a_stated_reason_is_not_applicable_and_without_one_an_error():
    claim = next(c for c in load_registry() if c["id"] == "H2-transition")
    measures = {**bindings("paper"), **with_ci({"h2.bert.published.layer0_margin": 0.05})}
    with pytest.raises(GedigError, match="needs measures no notebook produced"):
        evaluate(measures, [claim])
    reason = "the model has 3 layers, too few for this margin"
    row = evaluate({**measures, WHY_MISSING + "h2.bert.published.start_jump_margin": reason}, [claim]).iloc[0]
    assert row["verdict"] == "not applicable" and reason in row["predicate"] and "bert-base-uncased" in row["predicate"]


def test_each_value_is_labelled_with_its_model():
    claim = next(c for c in load_registry() if c["id"] == "H1-d-pooled")
    measures = {**bindings("full"), **with_ci({"h1.bert.published.random.d_pooled": 2.1, "h1.gpt2.published.random.d_pooled": 3.3}, 0.05)}
    row = evaluate(measures, [claim]).iloc[0]
    assert row["ours"] == "minilm-l6 (for BERT): +2.100 [+2.050, +2.150]; smollm2-135m (for GPT-2): +3.300 [+3.250, +3.350]"


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
