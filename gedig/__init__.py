"""geDIG gauge on Transformer attention: an executable companion to Miyachi's paper."""

from .errors import GedigError
from .gauge.baselines import ALL_BASELINES, BASELINES, NULLS, make_baseline, structured_null
from .gauge.batched import GaugeResult, gauge
from .gauge.config import PRESETS, GaugeConfig

__version__ = "0.1.0"


from .analysis import stats
from .models.corpora import CORPORA, load_labelled, load_texts
from .models.loading import EMBEDDED, LoadedModel, load_model
from .pipeline.scoring import score

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
