"""Experiments: F-regularised fine-tuning of one arm, sweeps of arms, and grid files."""
