"""Paired bootstrap of several models' scores on one test set: intervals and resolvable differences.

:func:`paired_bootstrap` resamples the test set (stratified: each resample keeps
the class sizes) and scores every model on the *same* resamples, so that the
interval of a difference between two models accounts for their shared test
sequences. :func:`stratified_resamples` is the one resampling scheme of the
package (:func:`~enhancer_sk.evaluation.metrics.bootstrap_ci` uses it too).

The scores are computed by NumPy, not by scikit-learn's metric functions
(whose input checks would dominate thousands of resamples), and equal them:
AUROC from the Mann-Whitney statistic with average ranks for ties, average
precision as :func:`sklearn.metrics.average_precision_score` (one step per
distinct score), and Acc and MCC of the scores thresholded at ``threshold``
(a sequence is called positive when its score exceeds it).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
from scipy.stats import rankdata

__all__ = ["BOOTSTRAP_METRICS", "paired_bootstrap", "stratified_resamples"]

#: The scores :func:`paired_bootstrap` computes, in display order.
BOOTSTRAP_METRICS = ("AUC", "AUPRC", "MCC", "Acc")


def stratified_resamples(y_true, n_resamples: int, random_state=0) -> Iterator[np.ndarray]:
    """Indices of ``n_resamples`` bootstrap resamples of ``y_true``, drawn with replacement within each class.

    Parameters
    ----------
    y_true : array of shape (n,)
    n_resamples : int
    random_state : int, Generator or None, default=0
        The same seed gives the same resamples.

    Yields
    ------
    ndarray of int, shape (n,)
    """
    y_true = np.asarray(y_true)
    rng = np.random.default_rng(random_state)
    strata = [np.flatnonzero(y_true == c) for c in np.unique(y_true)]
    for _ in range(int(n_resamples)):
        yield np.concatenate([rng.choice(s, len(s)) for s in strata])


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return np.nan
    ranks = rankdata(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_precision(y: np.ndarray, s: np.ndarray) -> float:
    n_pos = int(y.sum())
    if n_pos == 0:
        return np.nan
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s_sorted) - 1]  # last index of each distinct score
    tp = np.cumsum(y_sorted)[last]
    precision = tp / (last + 1)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _counts(y: np.ndarray, called: np.ndarray) -> tuple[int, int, int, int]:
    tp = int(np.sum(called & y))
    fp = int(np.sum(called & ~y))
    fn = int(np.sum(~called & y))
    return tp, fp, fn, len(y) - tp - fp - fn


def _mcc(y: np.ndarray, called: np.ndarray) -> float:
    tp, fp, fn, tn = _counts(y, called)
    denominator = np.sqrt(float(tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float((tp * tn - fp * fn) / denominator) if denominator else 0.0


def _scores(y: np.ndarray, s: np.ndarray, threshold: float) -> list[float]:
    called = s > threshold
    return [_auc(y, s), _average_precision(y, s), _mcc(y, called), float(np.mean(called == y))]


def paired_bootstrap(
    y_true,
    scores: Mapping[str, Sequence[float]],
    *,
    pos_label=None,
    thresholds: Mapping[str, float] | float = 0.5,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    random_state=0,
) -> tuple[list[dict], list[dict]]:
    """Bootstrap intervals of each model's AUROC, AUPRC, MCC and Acc, and of each pair's differences.

    Parameters
    ----------
    y_true : array of shape (n,)
        Binary labels.
    scores : mapping of model name -> array of shape (n,)
        Each model's score of the positive class for the same sequences.
    pos_label : label, optional
        The positive class (default: the larger label).
    thresholds : float or mapping of model name -> float, default=0.5
        Called positive when the score exceeds it (0.5 for probabilities,
        0 for decision values), for MCC and Acc.
    confidence : float, default=0.95
    n_resamples : int, default=1000
    random_state : int, Generator or None, default=0
        The same seed gives the same intervals.

    Returns
    -------
    intervals : list of dict
        One row per model and metric: ``model``, ``metric``, ``score`` (on
        the whole test set), ``low``, ``high``.
    differences : list of dict
        One row per model pair and metric: ``model_a``, ``model_b``,
        ``metric``, ``difference`` (a - b on the whole test set), ``low``,
        ``high`` (the paired interval) and ``resolvable`` (the interval
        excludes 0: the test set tells the two models apart on that metric).
    """
    from .metrics import binary_positive_label

    y_true = np.asarray(y_true)
    _, pos_label = binary_positive_label(y_true, pos_label, purpose="the bootstrap")
    y = y_true == pos_label
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    names = list(scores)
    s = {name: np.asarray(scores[name], dtype=np.float64) for name in names}
    for name, values in s.items():
        if values.shape != y.shape:
            raise ValueError(f"scores of {name!r} have shape {values.shape}, labels {y.shape}")
    cut = {name: float(thresholds[name] if isinstance(thresholds, Mapping) else thresholds) for name in names}
    full = {name: _scores(y, s[name], cut[name]) for name in names}
    draws = {name: np.empty((int(n_resamples), len(BOOTSTRAP_METRICS))) for name in names}
    for i, idx in enumerate(stratified_resamples(y, n_resamples, random_state)):
        for name in names:
            draws[name][i] = _scores(y[idx], s[name][idx], cut[name])
    alpha = (1 - confidence) / 2
    intervals = []
    for name in names:
        low, high = np.nanquantile(draws[name], [alpha, 1 - alpha], axis=0)
        intervals.extend({"model": name, "metric": m, "score": full[name][j], "low": float(low[j]),
                          "high": float(high[j])} for j, m in enumerate(BOOTSTRAP_METRICS))
    differences = []
    for a, b in itertools.combinations(names, 2):
        low, high = np.nanquantile(draws[a] - draws[b], [alpha, 1 - alpha], axis=0)
        for j, m in enumerate(BOOTSTRAP_METRICS):
            differences.append({"model_a": a, "model_b": b, "metric": m,
                                "difference": full[a][j] - full[b][j], "low": float(low[j]),
                                "high": float(high[j]), "resolvable": bool(low[j] > 0 or high[j] < 0)})
    return intervals, differences
