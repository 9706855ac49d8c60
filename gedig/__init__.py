"""geDIG gauge on Transformer attention: an executable companion to Miyachi's paper."""

from ._alloc import tune_allocator
from .baselines import ALL_BASELINES, BASELINES, NULLS, make_baseline, structured_null
from .config import PRESETS, GaugeConfig
from .errors import GedigError
from .measure import GaugeResult, gauge

__version__ = "0.1.0"

tune_allocator()

from . import stats  # noqa: E402  (after __version__: provenance reads it)
from .corpora import CORPORA, load_labelled, load_texts  # noqa: E402
from .models import EMBEDDED, LoadedModel, load_model  # noqa: E402
from .scoring import score  # noqa: E402

__all__ = [
    "ALL_BASELINES",
    "BASELINES",
    "CORPORA",
    "EMBEDDED",
    "NULLS",
    "PRESETS",
    "GaugeConfig",
    "GaugeResult",
    "GedigError",
    "LoadedModel",
    "gauge",
    "load_labelled",
    "load_model",
    "load_texts",
    "make_baseline",
    "score",
    "stats",
    "structured_null",
]
