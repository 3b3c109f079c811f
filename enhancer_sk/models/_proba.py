"""Probabilities and log-odds: the one logit of the project."""

from __future__ import annotations

import numpy as np

__all__ = ["logit"]


def logit(p) -> np.ndarray:
    """Log-odds ``log(p / (1 - p))`` in float64, ``p`` clipped to ``[1e-12, 1 - 1e-12]`` (finite at 0 and 1)."""
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)
