"""Scores of the enhancer papers: Sn, Sp, Acc, MCC, AUC (and AUPRC).

* :func:`sensitivity_score` / :func:`specificity_score`: recall of the positive
  and of the negative class.
* :data:`SCORING`: a dict of scorers for ``cross_validate(..., scoring=SCORING)``.
* :func:`paper_scores`: the paper-style row from labels and scores.
* :func:`format_table`: rows of scores as an aligned text table.
* :func:`bootstrap_ci`: a score with its stratified-bootstrap confidence interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    make_scorer,
    matthews_corrcoef,
    recall_score,
    roc_auc_score,
)

__all__ = [
    "PAPER_COLUMNS",
    "SCORING",
    "auprc_score",
    "binary_positive_label",
    "bootstrap_ci",
    "confusion_counts",
    "format_table",
    "paper_scores",
    "sensitivity_score",
    "specificity_score",
]

#: Column order of the papers' tables.
PAPER_COLUMNS = ("Sn", "Sp", "Acc", "MCC", "AUC")


def binary_positive_label(y_true, pos_label=None, *, purpose: str = "this score"):
    """Check that ``y_true`` holds exactly two classes and return ``(classes, positive label)``.

    The positive label defaults to the larger class (``classes_[1]`` of a fitted classifier).
    ``purpose`` names what needs two classes, for the error message.
    """
    classes = np.unique(np.asarray(y_true))
    if len(classes) != 2:
        raise ValueError(f"{purpose} needs two classes, y holds {len(classes)}")
    pos_label = classes[-1] if pos_label is None else pos_label
    if pos_label not in classes:
        raise ValueError(f"pos_label {pos_label!r} is not one of the labels {classes.tolist()}")
    return classes, pos_label


def bootstrap_ci(
    y_true,
    y_score,
    metric=roc_auc_score,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    random_state=0,
) -> tuple[float, float, float]:
    """A score and its stratified percentile-bootstrap confidence interval.

    The test set is resampled with replacement within each class (so every
    resample keeps the class sizes, and a ranking score such as AUROC is
    always defined), ``metric(y_true, y_score)`` is computed on each
    resample, and the interval is the ``(1 - confidence) / 2`` and
    ``(1 + confidence) / 2`` quantiles of those scores.

    Parameters
    ----------
    y_true : array of shape (n,)
        Binary labels.
    y_score : array of shape (n,)
        Scores (or predicted labels, for a label metric).
    metric : callable, default=roc_auc_score
        ``metric(y_true, y_score) -> float``.
    confidence : float, default=0.95
    n_resamples : int, default=2000
    random_state : int, Generator or None, default=0
        Seed of the resampling: the same seed gives the same interval.

    Returns
    -------
    (score, low, high) : tuple of float
        The score on the whole test set and the interval's bounds.

    Examples
    --------
    >>> y = np.r_[np.zeros(50), np.ones(50)]
    >>> score, low, high = bootstrap_ci(y, y + np.random.default_rng(0).normal(0, 1, 100))
    >>> low < score < high
    True
    """
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score)
    if y_true.shape != y_score.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_score must be 1-D of one length, got {y_true.shape} and {y_score.shape}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    from .bootstrap import stratified_resamples

    scores = np.array([metric(y_true[idx], y_score[idx])
                       for idx in stratified_resamples(y_true, n_resamples, random_state)], dtype=float)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(scores, [alpha, 1 - alpha])
    return float(metric(y_true, y_score)), float(low), float(high)


def _positive_label(y_true, pos_label):
    if pos_label is not None:
        return pos_label
    labels = np.unique(y_true)
    return labels[-1]


def sensitivity_score(y_true, y_pred, *, pos_label=None) -> float:
    """Sensitivity (recall of the positive class), TP / (TP + FN).

    ``pos_label`` defaults to the larger label (1 for 0/1 labels).
    """
    pos = _positive_label(y_true, pos_label)
    return float(recall_score(np.asarray(y_true) == pos, np.asarray(y_pred) == pos, zero_division=0.0))


def specificity_score(y_true, y_pred, *, pos_label=None) -> float:
    """Specificity (recall of the negative class), TN / (TN + FP)."""
    pos = _positive_label(y_true, pos_label)
    return float(recall_score(np.asarray(y_true) != pos, np.asarray(y_pred) != pos, zero_division=0.0))


def auprc_score(y_true, y_score, *, pos_label=None) -> float:
    """Area under the precision-recall curve (average precision) of the positive class.

    Unlike scikit-learn's ``"average_precision"`` scorer, works with any labels
    (the positive class defaults to the larger label, as for the other scores).
    """
    pos = _positive_label(y_true, pos_label)
    return float(average_precision_score(np.asarray(y_true) == pos, y_score))


_SCORE_METHODS = ("decision_function", "predict_proba")

#: Scorers for ``cross_validate``: sensitivity, specificity, accuracy, MCC, AUROC, AUPRC.
#: The positive class is the larger label (``classes_[1]``), whatever the label type.
SCORING: dict = {
    "Sn": make_scorer(sensitivity_score),
    "Sp": make_scorer(specificity_score),
    "Acc": make_scorer(accuracy_score),
    "MCC": make_scorer(matthews_corrcoef),
    "AUC": "roc_auc",
    "AUPRC": make_scorer(auprc_score, response_method=_SCORE_METHODS),
}


def confusion_counts(y_true, y_pred, *, pos_label=None) -> dict[str, int]:
    """TP, FN, TN, FP as a dict."""
    pos = _positive_label(y_true, pos_label)
    t = np.asarray(y_true) == pos
    p = np.asarray(y_pred) == pos
    tn, fp, fn, tp = confusion_matrix(t, p, labels=[False, True]).ravel()
    return {"TP": int(tp), "FN": int(fn), "TN": int(tn), "FP": int(fp)}


def paper_scores(y_true, y_score, *, threshold: float = 0.5, pos_label=None, auprc: bool = False) -> dict:
    """The paper-style row: Sn, Sp, Acc, MCC, AUC (and optionally AUPRC).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True labels (binary).
    y_score : array-like of shape (n,)
        Score of the positive class: a probability (use ``threshold=0.5``) or a
        decision value (use ``threshold=0``).
    threshold : float, default=0.5
        A sequence is called positive when its score is > threshold.
    pos_label : label, default=None
        The positive class (default: the larger label).
    auprc : bool, default=False
        Also return the area under the precision-recall curve.

    Returns
    -------
    dict
        ``{"Sn", "Sp", "Acc", "MCC", "AUC"[, "AUPRC"]}`` as floats.
    """
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=float)
    pos = _positive_label(y_true, pos_label)
    t = y_true == pos
    p = y_score > threshold
    row = {
        "Sn": sensitivity_score(t, p, pos_label=True),
        "Sp": specificity_score(t, p, pos_label=True),
        "Acc": float(accuracy_score(t, p)),
        "MCC": float(matthews_corrcoef(t, p)),
        "AUC": float(roc_auc_score(t, y_score)) if 0 < t.sum() < len(t) else float("nan"),
    }
    if auprc:
        row["AUPRC"] = float(average_precision_score(t, y_score)) if t.any() else float("nan")
    return row


def format_table(
    rows: Mapping[str, Mapping[str, float]] | Sequence[Mapping[str, object]],
    columns: Sequence[str] | None = None,
    *,
    index_name: str = "model",
    digits: int = 3,
) -> str:
    """Format score rows as an aligned text (Markdown-compatible) table.

    ``rows`` is either ``{name: {column: value}}`` or a list of dicts (then the
    first column is ``index_name``).  Values that are ``(mean, std)`` pairs print
    as ``mean ± std``.
    """
    if isinstance(rows, Mapping):
        records = [{index_name: name, **vals} for name, vals in rows.items()]
    else:
        records = [dict(r) for r in rows]
    if columns is None:
        columns = []
        for r in records:
            for c in r:
                if c not in columns:
                    columns.append(c)
    else:
        columns = list(columns)

    def cell(v) -> str:
        if isinstance(v, tuple) and len(v) == 2:
            return f"{v[0]:.{digits}f} ± {v[1]:.{digits}f}"
        if isinstance(v, (float, np.floating)):
            return f"{v:.{digits}f}"
        return str(v)

    body = [[cell(r.get(c, "")) for c in columns] for r in records]
    widths = [max(len(str(c)), *(len(b[i]) for b in body)) if body else len(str(c)) for i, c in enumerate(columns)]
    lines = [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(columns, widths)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += ["| " + " | ".join(b[i].ljust(w) for i, w in enumerate(widths)) + " |" for b in body]
    return "\n".join(lines)
