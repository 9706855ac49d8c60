"""Analyses behind the book's chapters, one module per chapter: ``theory`` (1), ``graph_mapping``
(2), ``h1`` (3), ``h2`` (4), ``heads`` (5), ``freg`` (6) and ``robustness`` (7). Each returns tidy
tables and the flat measures the claims registry reads; the names below are the chapters' calls."""

from .freg import freg_measures, freg_table, freg_tests, paired_power, power_analysis, seeds_needed, sign_flip_p
from .graph_mapping import threshold_sweep
from .h1 import h1_measures
from .h2 import layer_transition
from .heads import head_diversity
from .theory import chain_examples, figure1_table, graph_attention, two_stage_gate

__all__ = [
    "chain_examples",
    "figure1_table",
    "freg_measures",
    "freg_table",
    "freg_tests",
    "graph_attention",
    "h1_measures",
    "head_diversity",
    "layer_transition",
    "paired_power",
    "power_analysis",
    "seeds_needed",
    "sign_flip_p",
    "threshold_sweep",
    "two_stage_gate",
]
