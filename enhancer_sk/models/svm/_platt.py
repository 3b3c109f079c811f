"""Platt scaling: decision values of a classifier turned into probabilities.

``P(positive | f) = expit(a * f + b)``, a sigmoid of the decision value ``f``
fitted by maximum likelihood on Platt's smoothed targets (Platt 1999; Lin, Lin
& Weng 2007), with the slope bounded to ``a >= 0`` so that probabilities rank
samples as the decision values do.  :class:`~enhancer_sk.models.svm.kmer.KmerSVM`
and :class:`~enhancer_sk.models.svm.gkm.GkmSVM` fit it on out-of-fold decision
values of an internal cross-validation and store ``(a, b)`` as ``platt_``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

__all__ = ["PlattClassifierMixin", "platt_log_proba", "platt_proba", "platt_scaling"]


def platt_scaling(decision: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit Platt's sigmoid ``P(y=1 | f) = expit(a * f + b)`` with ``a >= 0``.

    Targets are smoothed as in Platt (1999): ``(N+ + 1) / (N+ + 2)`` for
    positives and ``1 / (N- + 2)`` for negatives, which keeps the fit finite on
    separable data.

    Parameters
    ----------
    decision : ndarray of shape (n,)
        Decision values (ideally out-of-fold).
    y : ndarray of shape (n,)
        0/1 targets.

    Returns
    -------
    a, b : float
        Slope (>= 0) and offset.
    """
    f = np.asarray(decision, dtype=np.float64)
    y = np.asarray(y).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    t = np.where(y, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    scale = float(np.std(f)) or 1.0  # fit on standardised values for a well-conditioned problem
    g = f / scale

    def loss(ab):
        z = ab[0] * g + ab[1]
        nll = -(t * log_expit(z) + (1.0 - t) * log_expit(-z)).sum()
        p = expit(z)
        grad = np.array([((p - t) * g).sum(), (p - t).sum()])
        return nll, grad

    prior = np.log((n_pos + 1.0) / (n_neg + 1.0))
    res = minimize(loss, x0=np.array([0.0, prior]), jac=True, method="L-BFGS-B",
                   bounds=[(0.0, None), (None, None)])
    a, b = res.x
    return float(a / scale), float(b)


def platt_proba(decision: np.ndarray, platt) -> np.ndarray:
    """Probabilities of the two classes, shape (n, 2), from decision values and ``(a, b)``."""
    a, b = platt
    p1 = expit(a * np.asarray(decision, dtype=np.float64) + b)
    return np.column_stack([1.0 - p1, p1])


def platt_log_proba(decision: np.ndarray, platt) -> np.ndarray:
    """Logarithm of :func:`platt_proba`, computed without underflow."""
    a, b = platt
    z = a * np.asarray(decision, dtype=np.float64) + b
    return np.column_stack([log_expit(-z), log_expit(z)])


class PlattClassifierMixin:
    """``predict``, ``predict_proba`` and ``predict_log_proba`` of a binary SVM.

    For a classifier with ``classes_``, a ``decision_function`` positive for
    ``classes_[1]``, a ``probability`` parameter and, when it was fitted with
    probabilities, ``platt_`` (see :func:`platt_scaling`).  ``predict`` takes
    the sign of the decision value (as ``SVC``), so for a few samples near the
    boundary it can disagree with ``predict_proba > 0.5``.
    """

    def predict(self, X) -> np.ndarray:
        """Labels from ``classes_`` (``classes_[1]`` where the decision value is positive)."""
        positive = self.decision_function(X) > 0  # checks that the model is fitted
        return self.classes_[positive.astype(int)]

    def _has_platt(self) -> bool:
        if hasattr(self, "classes_"):  # fitted: probabilities when the fit made them
            return hasattr(self, "platt_")
        return bool(self.probability)

    @available_if(_has_platt)
    def predict_proba(self, X) -> np.ndarray:
        """Platt-scaled probabilities of ``classes_[0]`` and ``classes_[1]``, shape (n, 2)."""
        check_is_fitted(self)
        return platt_proba(self.decision_function(X), self.platt_)

    @available_if(_has_platt)
    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        check_is_fitted(self)
        return platt_log_proba(self.decision_function(X), self.platt_)
