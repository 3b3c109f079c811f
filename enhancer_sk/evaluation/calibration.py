"""Calibration of predicted probabilities: expected calibration error, reports, recalibration.

A model is *calibrated* when, among the sequences it gives probability ``p``,
a fraction ``p`` are enhancers.  Ranking scores (AUROC, AUPRC) ignore this;
thresholds, Brier scores and comparisons of probabilities across models do not.

* :func:`expected_calibration_error`: the binned gap between predicted
  probabilities and observed frequencies (ECE).
* :func:`calibration_report`: ECE, Brier score and reliability-curve points
  before (and after) calibration.
* :func:`calibrate`: any of the package's classifiers wrapped in scikit-learn's
  :class:`~sklearn.calibration.CalibratedClassifierCV` (Platt or isotonic
  regression fitted on out-of-fold scores).

The reliability diagram is :func:`enhancer_sk.evaluation.plots.reliability_diagram`.
"""

from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.metrics import brier_score_loss

from .metrics import binary_positive_label

__all__ = ["CALIBRATION_METHODS", "calibrate", "calibration_report", "expected_calibration_error"]

#: Methods of :func:`calibrate`: Platt scaling (``"sigmoid"``) and isotonic regression.
CALIBRATION_METHODS = ("sigmoid", "isotonic")
_STRATEGIES = ("uniform", "quantile")


def _check_binary_proba(y_true, proba, pos_label=None) -> tuple[np.ndarray, np.ndarray]:
    """Labels as booleans (True: positive class) and the positive-class probabilities, checked."""
    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=float)
    if proba.ndim == 2 and proba.shape[1] == 2:  # predict_proba output
        proba = proba[:, 1]
    if y_true.ndim != 1 or proba.ndim != 1 or len(y_true) != len(proba):
        raise ValueError(
            f"y_true and proba must be 1-D of one length (or proba of shape (n, 2)), "
            f"got {y_true.shape} and {np.shape(proba)}"
        )
    if not np.all(np.isfinite(proba)) or proba.min() < 0 or proba.max() > 1:
        raise ValueError("proba must hold probabilities in [0, 1]; pass predict_proba, not decision_function")
    _, pos = binary_positive_label(y_true, pos_label, purpose="calibration")
    return y_true == pos, proba


def _bin_ids(proba: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    """Bin of each probability, with the bin edges of :func:`sklearn.calibration.calibration_curve`."""
    if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.percentile(proba, np.linspace(0, 100, n_bins + 1))
    else:
        raise ValueError(f"strategy must be one of {_STRATEGIES}, got {strategy!r}")
    return np.searchsorted(edges[1:-1], proba)


def expected_calibration_error(y_true, proba, *, n_bins: int = 10, strategy: str = "uniform",
                               pos_label=None) -> float:
    r"""Expected calibration error (ECE) of binary probabilities.

    The probabilities are put into ``n_bins`` bins :math:`B_b`, and

    .. math::

        \mathrm{ECE} = \sum_b \frac{|B_b|}{n}\,
        \Bigl|\,\overline{y}_{B_b} - \overline{p}_{B_b}\Bigr|,

    the mean absolute gap between the observed fraction of positives and the
    mean predicted probability in each bin, weighted by the bin's share of the
    sequences (empty bins count zero).  The bins are those of
    :func:`sklearn.calibration.calibration_curve`, so the gaps are the
    distances of the reliability-curve points from the diagonal.  0 is
    perfect; a constant prediction of the positive fraction also scores 0
    (ECE measures calibration, not discrimination: read it beside the Brier
    score or AUROC).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels.
    proba : array-like of shape (n,) or (n, 2)
        Predicted probability of the positive class (or ``predict_proba``'s output).
    n_bins : int, default=10
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        ``"uniform"``: bins of equal width on [0, 1]; ``"quantile"``: bins
        holding (about) equal numbers of sequences.
    pos_label : label, default=None
        The positive class (default: the larger label).

    Returns
    -------
    float
        The ECE, in [0, 1].

    Examples
    --------
    >>> expected_calibration_error([0, 0, 1, 1], [0.0, 0.0, 1.0, 1.0])
    0.0
    >>> round(expected_calibration_error([0, 1, 0, 1], [0.9, 0.9, 0.9, 0.9]), 2)
    0.4
    """
    truth, proba = _check_binary_proba(y_true, proba, pos_label)
    ids = _bin_ids(proba, n_bins, strategy)
    counts = np.bincount(ids, minlength=n_bins).astype(float)
    gap = np.bincount(ids, weights=truth.astype(float), minlength=n_bins) - np.bincount(
        ids, weights=proba, minlength=n_bins)
    return float(np.abs(gap).sum() / counts.sum())


def _summary(truth: np.ndarray, proba: np.ndarray, n_bins: int, strategy: str) -> dict:
    prob_true, prob_pred = calibration_curve(truth, proba, n_bins=n_bins, strategy=strategy)
    counts = np.bincount(_bin_ids(proba, n_bins, strategy), minlength=n_bins)
    return {
        "ece": expected_calibration_error(truth, proba, n_bins=n_bins, strategy=strategy, pos_label=True),
        "brier": float(brier_score_loss(truth, proba)),
        "prob_true": prob_true,
        "prob_pred": prob_pred,
        "counts": counts[counts > 0],
    }


def calibration_report(y_true, proba_before, proba_after=None, *, n_bins: int = 10, strategy: str = "uniform",
                       pos_label=None) -> dict:
    """ECE, Brier score and reliability-curve points, before and (optionally) after calibration.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels.
    proba_before : array-like of shape (n,) or (n, 2)
        Probabilities of the positive class of the uncalibrated model.
    proba_after : array-like of shape (n,) or (n, 2), optional
        Probabilities of the calibrated model, on the same sequences.
    n_bins : int, default=10
        Bins of the ECE and of the reliability curve.
    strategy : {"uniform", "quantile"}, default="uniform"
        Binning, as in :func:`expected_calibration_error`.
    pos_label : label, default=None
        The positive class (default: the larger label).

    Returns
    -------
    dict
        ``{"n_bins", "strategy", "before": {...}[, "after": {...}]}``; each of
        ``before`` / ``after`` holds ``"ece"`` (float), ``"brier"`` (float,
        :func:`sklearn.metrics.brier_score_loss`), and the reliability curve of
        :func:`sklearn.calibration.calibration_curve`: ``"prob_pred"`` (mean
        predicted probability per non-empty bin), ``"prob_true"`` (fraction of
        positives per non-empty bin) and ``"counts"`` (sequences per non-empty
        bin).

    Examples
    --------
    >>> rep = calibration_report([0, 0, 1, 1], [0.4, 0.4, 0.6, 0.6], [0.1, 0.1, 0.9, 0.9])
    >>> rep["before"]["brier"] > rep["after"]["brier"]
    True
    """
    truth, before = _check_binary_proba(y_true, proba_before, pos_label)
    report = {"n_bins": n_bins, "strategy": strategy, "before": _summary(truth, before, n_bins, strategy)}
    if proba_after is not None:
        _, after = _check_binary_proba(truth, proba_after, True)
        report["after"] = _summary(truth, after, n_bins, strategy)
    return report


def calibrate(estimator, method: str = "sigmoid", cv=5, *, ensemble: bool | str = "auto",
              n_jobs: int | None = None) -> CalibratedClassifierCV:
    """Wrap a classifier so that its ``predict_proba`` is calibrated (not fitted).

    Returns scikit-learn's :class:`~sklearn.calibration.CalibratedClassifierCV`:
    on ``fit(X, y)`` it fits ``estimator`` on the training part of each of the
    ``cv`` folds and the calibrator (Platt's sigmoid or isotonic regression)
    on that fold model's scores of the held-out part (``decision_function``
    when the model has one, else ``predict_proba``), so the calibrator never
    sees scores of sequences the model was trained on.  With the default
    ``ensemble``, ``predict_proba`` averages the ``cv`` calibrated fold models.

    The package's models take sequences (1-D arrays or lists of str) as
    ``X``; ``CalibratedClassifierCV`` only indexes ``X`` by rows and passes it
    to the model unchanged, so no wrapper is needed.  The result clones,
    pickles and tunes like any estimator (``estimator__C``, ``method``, ...).

    Parameters
    ----------
    estimator : classifier
        An (unfitted) binary classifier, e.g. from
        :func:`enhancer_sk.presets.build_model`.
    method : {"sigmoid", "isotonic"}, default="sigmoid"
        Platt scaling (two parameters: robust for a few hundred sequences) or
        isotonic regression (non-parametric: needs more sequences, ~1,000 or more).
    cv : int, cross-validation generator or iterable, default=5
        Folds of the out-of-fold scores (an int gives stratified k-fold).
    ensemble : bool or "auto", default="auto"
        As in :class:`~sklearn.calibration.CalibratedClassifierCV`: ``False``
        fits one calibrator on the pooled out-of-fold scores and one model on
        all data (faster prediction).
    n_jobs : int or None, default=None
        Folds fitted in parallel.

    Returns
    -------
    CalibratedClassifierCV

    Examples
    --------
    >>> from enhancer_sk.presets import build_model
    >>> model = calibrate(build_model("gc"), method="isotonic")
    >>> model.get_params()["method"]
    'isotonic'
    """
    if method not in CALIBRATION_METHODS:
        raise ValueError(f"method must be one of {CALIBRATION_METHODS}, got {method!r}")
    return CalibratedClassifierCV(estimator, method=method, cv=cv, ensemble=ensemble, n_jobs=n_jobs)
