"""geDIG gauge on Transformer attention: an executable companion to Miyachi's paper."""

from ._alloc import tune_allocator
from .baselines import BASELINES, make_baseline
from .config import PRESETS, GaugeConfig
from .errors import GedigError
from .measure import GaugeResult, gauge

__version__ = "0.1.0"

tune_allocator()

__all__ = [
    "BASELINES",
    "PRESETS",
    "GaugeConfig",
    "GaugeResult",
    "GedigError",
    "gauge",
    "make_baseline",
]
