"""geDIG gauge on Transformer attention: an executable companion to Miyachi's paper."""

from .baselines import ALL_BASELINES, BASELINES, NULLS, make_baseline, structured_null
from .config import PRESETS, GaugeConfig
from .errors import GedigError
from .measure import GaugeResult, gauge

__version__ = "0.1.0"


from . import stats
from .corpora import CORPORA, load_labelled, load_texts
from .models import EMBEDDED, LoadedModel, load_model
from .scoring import score

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
