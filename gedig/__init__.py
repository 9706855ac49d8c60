"""geDIG gauge on Transformer attention: an executable companion to Miyachi's paper.

The public API: the gauge (``gauge``, ``GaugeConfig``, presets), baselines and nulls, models and
corpora, ``score``, the H1 statistics (``stats``) and the chapters' analyses (``analysis``).
"""

from .analysis import stats  # also makes gedig.analysis, the chapters' analyses, an attribute
from .errors import GedigError
from .gauge.baselines import ALL_BASELINES, BASELINES, NULLS, make_baseline, structured_null
from .gauge.batched import GaugeResult, gauge
from .gauge.config import PRESETS, GaugeConfig
from .models.assets import EMBEDDED
from .models.corpora import CORPORA, load_labelled, load_texts
from .models.loading import LoadedModel, load_model
from .pipeline.scoring import score

__version__ = "0.1.0"

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
    "analysis",
    "gauge",
    "load_labelled",
    "load_model",
    "load_texts",
    "make_baseline",
    "score",
    "stats",
    "structured_null",
]
