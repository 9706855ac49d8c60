"""Analyses behind the book's chapters, one module per chapter: ``theory`` (1), ``graph_mapping``
(2), ``h1`` (3), ``h2`` (4), ``heads`` (5), ``freg`` (6), and ``robustness`` with
``what_f_measures`` (7). Each returns tidy tables and the flat measures the claims registry reads;
the names below are the chapters' calls."""

from . import freg, what_f_measures
from .freg import freg_measures, freg_table, freg_tests, paired_power, power_analysis, seeds_needed, sign_flip_p
from .graph_mapping import clip_heads, padding_table, threshold_sweep, threshold_sweeps
from .h1 import by_system, effect_sizes, h1_measures, h1_summary, scored_models, system_measures, table2_ours, table2_paper, trained_rows
from .h2 import h2_layer_tables, h2_measures, h2_runs, layer_transition, per_layer_table, trend_table
from .heads import diversity_summary, diversity_tables, every_layer, head_diversity, head_runs
from .theory import (
    chain_examples,
    figure1_table,
    gate_table,
    graph_attention,
    preset_readings,
    readings_wide,
    theory_measures,
    two_stage_gate,
)

__all__ = [
    "by_system",
    "chain_examples",
    "clip_heads",
    "diversity_summary",
    "diversity_tables",
    "effect_sizes",
    "every_layer",
    "figure1_table",
    "freg",
    "freg_measures",
    "freg_table",
    "freg_tests",
    "gate_table",
    "graph_attention",
    "h1_measures",
    "h1_summary",
    "h2_layer_tables",
    "h2_measures",
    "h2_runs",
    "head_diversity",
    "head_runs",
    "layer_transition",
    "padding_table",
    "paired_power",
    "per_layer_table",
    "power_analysis",
    "preset_readings",
    "readings_wide",
    "scored_models",
    "seeds_needed",
    "sign_flip_p",
    "system_measures",
    "table2_ours",
    "table2_paper",
    "theory_measures",
    "threshold_sweep",
    "threshold_sweeps",
    "trained_rows",
    "trend_table",
    "two_stage_gate",
    "what_f_measures",
]
