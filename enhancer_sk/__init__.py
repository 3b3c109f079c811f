"""enhancer_sk: DNA enhancer recognition with deep learning and k-mer baselines.

Every model is a scikit-learn estimator; every capability is also a command
(``enhancer-sk``) and a Galaxy tool.  Heavy modules (torch, numba) are imported
on first use of the names that need them, so ``import enhancer_sk`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

from .datasets import load_ienhancer2l, make_synthetic_enhancers
from .sequences import read_fasta

#: public name -> module that defines it (imported lazily)
_LAZY = {
    "EnhancerLSTMAttClassifier": "lstmatt",
    "TwoLayerEnhancerClassifier": "two_layer",
    "SeedEnsembleClassifier": "ensemble",
    "DeepEnhancerCNN": "deepenhancer",
    "extract_motifs": "motifs",
    "KmerSVM": "kmersvm",
    "GkmSVM": "gkmsvm",
    "compare_models": "comparison",
    "read_bed": "genome",
    "fetch_regions": "genome",
    "save": "model_files",
    "load": "model_files",
    "scan": "scanning",
    "score_variants": "variants",
}

__all__ = [
    "__version__",
    "load_ienhancer2l",
    "make_synthetic_enhancers",
    "read_fasta",
    "EnhancerLSTMAttClassifier",
    "TwoLayerEnhancerClassifier",
    "SeedEnsembleClassifier",
    "DeepEnhancerCNN",
    "extract_motifs",
    "KmerSVM",
    "GkmSVM",
    "compare_models",
    "read_bed",
    "fetch_regions",
    "save",
    "load",
    "scan",
    "score_variants",
]

if TYPE_CHECKING:  # pragma: no cover
    from .comparison import compare_models
    from .deepenhancer import DeepEnhancerCNN
    from .ensemble import SeedEnsembleClassifier
    from .genome import fetch_regions, read_bed
    from .gkmsvm import GkmSVM
    from .kmersvm import KmerSVM
    from .lstmatt import EnhancerLSTMAttClassifier
    from .model_files import load, save
    from .motifs import extract_motifs
    from .scanning import scan
    from .two_layer import TwoLayerEnhancerClassifier
    from .variants import score_variants


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
