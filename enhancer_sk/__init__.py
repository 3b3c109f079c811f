"""enhancer_sk: DNA enhancer recognition with deep learning and k-mer baselines.

Every model is a scikit-learn estimator; every capability is also a command
(``enhancer-sk``) and a Galaxy tool.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .datasets import load_ienhancer2l, make_synthetic_enhancers
from .sequences import read_fasta

__all__ = [
    "__version__",
    "load_ienhancer2l",
    "make_synthetic_enhancers",
    "read_fasta",
]
