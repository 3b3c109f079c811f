"""Compare classifiers on the same cross-validation folds, with paired statistics.

:func:`compare_models` is what the enhancer papers' comparison tables are made
of (e.g. DeepEnhancer, Min et al. 2017, Tables 3-4): every model is
cross-validated on *the same* stratified folds, so per-fold scores are paired;
the result holds

* the per-fold scores (one row per model and fold: Sn, Sp, Acc, MCC, AUC,
  AUPRC, fit and score time),
* their mean and standard deviation per model,
* pairwise two-sided Wilcoxon signed-rank tests on the paired fold scores of
  every metric (with Holm's correction over the model pairs of each metric),
* out-of-fold scores of every sequence (for pooled ROC / precision-recall
  curves: :mod:`enhancer_sk.evaluation.plots`).

Out-of-fold scores come from the very estimators ``cross_validate`` fitted on
each fold (``return_estimator=True``), so they equal ``cross_val_predict`` on
the same folds without fitting every model a second time.

A note on the tests: fold scores are not independent (training sets overlap),
so p-values from any paired test on cross-validation folds are optimistic
(Dietterich 1998; Nadeau & Bengio 2003); with ``k`` folds the smallest
two-sided p-value the exact test can reach is ``2 / 2**k`` (0.0625 for 5
folds), reported as ``p_min``.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import wilcoxon
from sklearn.base import clone
from sklearn.metrics import average_precision_score, make_scorer
from sklearn.model_selection import StratifiedKFold, check_cv, cross_validate
from sklearn.utils import _safe_indexing

from ..io.tables import write_tsv
from ..sequence.codes import as_sequences, is_sequence_path
from .metrics import SCORING, binary_positive_label, format_table, sensitivity_score, specificity_score

__all__ = ["ModelComparison", "compare_models", "holm_correction", "paired_wilcoxon"]


# ----------------------------------------------------------------------------- statistics


def holm_correction(p_values: Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down; NaN entries stay NaN).

    Parameters
    ----------
    p_values : sequence of float

    Returns
    -------
    ndarray of float
        ``min(1, max_{j <= i} (m - j + 1) p_(j))`` in the input order.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adjusted
    return out


def paired_wilcoxon(a: np.ndarray, b: np.ndarray, *, decimals: int = 12) -> dict[str, float]:
    """Two-sided Wilcoxon signed-rank test of paired scores ``a`` vs ``b``.

    Differences are rounded to ``decimals`` first, so that floating-point noise
    neither creates nor breaks ties.  Zero differences (folds where both models
    score the same) are dropped, as in Wilcoxon's test (``zero_method="wilcox"``);
    scipy uses the exact null distribution for up to 50 remaining pairs without
    ties and the normal approximation with tie correction otherwise.  When
    every difference is zero the models are indistinguishable: ``statistic``
    is NaN and ``p_value`` is 1.

    Returns
    -------
    dict
        ``n``, ``n_nonzero``, ``mean_diff``, ``median_diff``, ``wins`` (folds
        where ``a`` > ``b``), ``losses``, ``statistic``, ``p_value`` and
        ``p_min`` (the smallest p-value reachable with ``n_nonzero`` pairs,
        ``2 / 2**n_nonzero``).
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ok = ~(np.isnan(a) | np.isnan(b))
    d = np.round(a[ok] - b[ok], decimals)
    nonzero = int(np.count_nonzero(d))
    row = {
        "n": int(ok.sum()),
        "n_nonzero": nonzero,
        "mean_diff": round(float(d.mean()), decimals) if d.size else math.nan,
        "median_diff": float(np.median(d)) if d.size else math.nan,
        "wins": int((d > 0).sum()),
        "losses": int((d < 0).sum()),
        "statistic": math.nan,
        "p_value": 1.0 if d.size else math.nan,
        "p_min": min(1.0, 2.0 / 2.0**nonzero) if nonzero else 1.0,
    }
    if nonzero:
        res = wilcoxon(d, zero_method="wilcox", alternative="two-sided")
        row["statistic"] = float(res.statistic)
        row["p_value"] = float(res.pvalue)
    return row


# ----------------------------------------------------------------------------- result


@dataclass
class ModelComparison:
    """Result of :func:`compare_models`.

    Attributes
    ----------
    models : list of str
        Model names in the order given.
    metrics : list of str
        Score names (keys of ``scoring``).
    fold_scores : dict
        ``{model: {metric: ndarray of shape (n_splits,)}}``.
    fit_time, score_time : dict
        ``{model: ndarray of shape (n_splits,)}`` in seconds.
    oof_scores : dict
        ``{model: ndarray of shape (n_samples,)}``: each sample's score of the
        positive class from the model that did not train on it.
    oof_method : dict
        ``{model: "predict_proba" | "decision_function"}``.
    y_true : ndarray
        Labels in input order.
    pos_label : label
        The positive class (scores are for it).
    fold : ndarray of int
        Test fold of each sample.
    n_splits : int
    random_state : int or None
        Seed of the fold split (None when ``cv`` was a given splitter).
    ids : ndarray of str or None
        Record ids (FASTA input) for the out-of-fold table.
    """

    models: list[str]
    metrics: list[str]
    fold_scores: dict[str, dict[str, np.ndarray]]
    fit_time: dict[str, np.ndarray]
    score_time: dict[str, np.ndarray]
    oof_scores: dict[str, np.ndarray]
    oof_method: dict[str, str]
    y_true: np.ndarray
    pos_label: object
    fold: np.ndarray
    n_splits: int
    random_state: int | None = None
    ids: np.ndarray | None = field(default=None, repr=False)
    _bootstrap_cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- tables ---------------------------------------------------------------------
    def fold_table(self) -> list[dict]:
        """Tidy per-fold scores: one record per (model, fold) with every metric and the times."""
        rows = []
        for name in self.models:
            for i in range(self.n_splits):
                row = {"model": name, "fold": i + 1}
                row.update({m: float(self.fold_scores[name][m][i]) for m in self.metrics})
                row["fit_time"] = float(self.fit_time[name][i])
                row["score_time"] = float(self.score_time[name][i])
                rows.append(row)
        return rows

    def summary(self) -> dict[str, dict[str, tuple[float, float]]]:
        """``{model: {metric: (mean, std)}}`` over folds (std with ``ddof=1``)."""
        out = {}
        for name in self.models:
            cols = {m: self.fold_scores[name][m] for m in self.metrics}
            cols["fit_time"] = self.fit_time[name]
            out[name] = {m: (float(np.nanmean(v)), _std(v)) for m, v in cols.items()}
        return out

    def summary_table(self) -> list[dict]:
        """Mean and standard deviation per model: columns ``<metric>_mean``, ``<metric>_std``."""
        rows = []
        for name, vals in self.summary().items():
            row = {"model": name, "n_folds": self.n_splits}
            for m, (mean, std) in vals.items():
                row[f"{m}_mean"] = mean
                row[f"{m}_std"] = std
            rows.append(row)
        return rows

    def wilcoxon_table(self) -> list[dict]:
        """Pairwise Wilcoxon signed-rank tests per metric (see :func:`paired_wilcoxon`).

        ``mean_diff`` is ``model_a - model_b``; ``p_holm`` is Holm-adjusted
        over the model pairs of one metric.
        """
        rows = []
        for metric in self.metrics:
            block = []
            for a, b in itertools.combinations(self.models, 2):
                res = paired_wilcoxon(self.fold_scores[a][metric], self.fold_scores[b][metric])
                block.append({"metric": metric, "model_a": a, "model_b": b, **res})
            for row, p in zip(block, holm_correction([r["p_value"] for r in block])):
                row["p_holm"] = float(p)
            rows.extend(block)
        return rows

    def bootstrap(self, *, confidence: float = 0.95, n_resamples: int = 1000,
                  random_state=0) -> tuple[list[dict], list[dict]]:
        """Bootstrap intervals of each model's pooled out-of-fold AUC, AUPRC, MCC and Acc, and paired differences.

        The out-of-fold scores of all folds are pooled (each sequence scored
        by the model that did not train on it) and resampled with
        :func:`~enhancer_sk.evaluation.bootstrap.paired_bootstrap`: the same
        resamples for every model, so a difference's interval says whether
        this many sequences can tell two models apart.  MCC and Acc call a
        sequence positive above 0.5 (probabilities) or 0 (decision values).
        Computed once per setting.

        Parameters
        ----------
        confidence : float, default=0.95
        n_resamples : int, default=1000
        random_state : int or None, default=0

        Returns
        -------
        intervals, differences : list of dict
            As :func:`~enhancer_sk.evaluation.bootstrap.paired_bootstrap`.
        """
        from .bootstrap import paired_bootstrap

        key = (confidence, n_resamples, random_state)
        if key not in self._bootstrap_cache:
            thresholds = {name: 0.5 if self.oof_method[name] == "predict_proba" else 0.0 for name in self.models}
            self._bootstrap_cache[key] = paired_bootstrap(
                self.y_true, self.oof_scores, pos_label=self.pos_label, thresholds=thresholds,
                confidence=confidence, n_resamples=n_resamples, random_state=random_state)
        return self._bootstrap_cache[key]

    def calibration_table(self, *, n_bins: int = 10) -> list[dict]:
        """ECE and Brier score of the pooled out-of-fold probabilities of each model that gives probabilities.

        Models scored by ``decision_function`` have no probabilities and no row.
        See :func:`~enhancer_sk.evaluation.calibration.calibration_report`.

        Parameters
        ----------
        n_bins : int, default=10
            Equal-width bins of the expected calibration error.

        Returns
        -------
        list of dict
            ``model``, ``ECE``, ``Brier``, ``n``.
        """
        from .calibration import calibration_report

        rows = []
        for name in self.probability_models():
            rep = calibration_report(self.y_true, self.oof_scores[name], n_bins=n_bins,
                                     pos_label=self.pos_label)["before"]
            rows.append({"model": name, "ECE": rep["ece"], "Brier": rep["brier"], "n": len(self.y_true)})
        return rows

    def probability_models(self) -> list[str]:
        """The models whose out-of-fold scores are probabilities (``predict_proba``)."""
        return [name for name in self.models if self.oof_method[name] == "predict_proba"]

    def interval_text(self, digits: int = 3) -> str:
        """The 95% bootstrap intervals as aligned text: ``score [low, high]`` per model and metric."""
        intervals, _ = self.bootstrap()
        rows: dict[str, dict[str, str]] = {}
        for r in intervals:
            rows.setdefault(r["model"], {})[r["metric"]] = (
                f"{r['score']:.{digits}f} [{r['low']:.{digits}f}, {r['high']:.{digits}f}]")
        return format_table(rows, ["model", *next(iter(rows.values()))], digits=digits)

    def oof_table(self) -> list[dict]:
        """One record per sample: id, label, test fold and every model's out-of-fold score."""
        ids = self.ids if self.ids is not None else [f"seq_{i}" for i in range(len(self.y_true))]
        rows = []
        for i, rid in enumerate(ids):
            row = {"id": rid, "label": self.y_true[i], "fold": int(self.fold[i]) + 1}
            row.update({name: float(self.oof_scores[name][i]) for name in self.models})
            rows.append(row)
        return rows

    def to_text(self, columns: Sequence[str] | None = None, digits: int = 3) -> str:
        """The mean ± std table as aligned text (Markdown compatible)."""
        columns = list(columns) if columns is not None else list(self.metrics)
        return format_table(self.summary(), ["model", *columns], digits=digits)

    def write(self, directory: str | os.PathLike, prefix: str = "") -> dict[str, Path]:
        """Write the tables as TSV files into ``directory`` (created if needed).

        Files: ``{prefix}fold_scores.tsv``, ``{prefix}summary.tsv``,
        ``{prefix}wilcoxon.tsv``, ``{prefix}oof_scores.tsv``,
        ``{prefix}intervals.tsv`` and ``{prefix}paired_bootstrap.tsv``
        (:meth:`bootstrap`), and ``{prefix}calibration.tsv``
        (:meth:`calibration_table`) when a model gives probabilities.

        Returns
        -------
        dict
            ``{"fold_scores": path, "summary": path, "wilcoxon": path, "oof_scores": path,
            "intervals": path, "differences": path[, "calibration": path]}``.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = {
            "fold_scores": write_tsv(directory / f"{prefix}fold_scores.tsv", self.fold_table()),
            "summary": write_tsv(directory / f"{prefix}summary.tsv", self.summary_table()),
            "wilcoxon": write_tsv(directory / f"{prefix}wilcoxon.tsv", self.wilcoxon_table()),
            "oof_scores": write_tsv(directory / f"{prefix}oof_scores.tsv", self.oof_table()),
            "intervals": write_tsv(directory / f"{prefix}intervals.tsv", self.bootstrap()[0]),
            "differences": write_tsv(directory / f"{prefix}paired_bootstrap.tsv", self.bootstrap()[1]),
        }
        if self.probability_models():
            paths["calibration"] = write_tsv(directory / f"{prefix}calibration.tsv", self.calibration_table())
        return paths


def _std(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return float(values.std(ddof=1)) if len(values) > 1 else math.nan


# ----------------------------------------------------------------------------- comparison


def _paper_scoring(pos_label, classes: np.ndarray) -> dict:
    """:data:`~enhancer_sk.evaluation.metrics.SCORING` with every label-dependent scorer bound to ``pos_label``.

    ``SCORING`` takes the larger label as positive and its AUPRC scorer expects
    labels 0/1; with other labels (strings) or another positive class the
    Sn, Sp and AUPRC scorers are rebuilt for ``pos_label`` (Acc, MCC and AUC do
    not depend on which class is positive).
    """
    if pos_label == classes[-1] and set(classes.tolist()) <= {0, 1}:
        return dict(SCORING)
    response = ("decision_function", "predict_proba")
    return {
        "Sn": make_scorer(sensitivity_score, pos_label=pos_label),
        "Sp": make_scorer(specificity_score, pos_label=pos_label),
        "Acc": SCORING["Acc"],
        "MCC": SCORING["MCC"],
        "AUC": SCORING["AUC"],
        "AUPRC": make_scorer(average_precision_score, response_method=response, pos_label=pos_label),
    }


def _positive_scores(estimator, X, pos_label, method: str) -> tuple[np.ndarray, str]:
    """Continuous scores of ``pos_label`` from a fitted binary classifier."""
    classes = list(estimator.classes_)
    if len(classes) != 2:
        raise ValueError(f"compare_models needs binary classifiers; a model predicts {len(classes)} classes")
    use_proba = method == "predict_proba" or (method == "auto" and hasattr(estimator, "predict_proba"))
    if use_proba:
        return np.asarray(estimator.predict_proba(X))[:, classes.index(pos_label)], "predict_proba"
    scores = np.asarray(estimator.decision_function(X), dtype=float).ravel()
    return (scores if classes.index(pos_label) == 1 else -scores), "decision_function"


def compare_models(
    estimators: Mapping[str, object],
    X,
    y,
    *,
    cv=10,
    scoring: Mapping[str, object] | None = None,
    random_state: int | None = 0,
    n_jobs: int | None = None,
    pos_label=None,
    response_method: str = "auto",
    ids: Sequence[str] | None = None,
    groups=None,
    verbose: int = 0,
    log: Callable[[str], None] | None = None,
) -> ModelComparison:
    """Cross-validate several classifiers on the same folds and compare them.

    Parameters
    ----------
    estimators : mapping of str -> estimator
        Named binary classifiers (each is cloned; the originals stay unfitted).
    X : FASTA path, list / 1-D array of str, or array-like
        Sequences (validated and normalised once, shared by all models) or any
        input every estimator accepts.
    y : array-like of shape (n_samples,)
        Binary labels.
    cv : int, CV splitter or iterable of (train, test), default=10
        An int gives ``StratifiedKFold(cv, shuffle=True, random_state=random_state)``.
        A splitter gets ``split(X, y, groups)``, so a
        :class:`~enhancer_sk.evaluation.leakage.SimilarityGroupKFold` sees the
        sequences and keeps near-duplicate clusters (and ``groups``) inside one
        fold.  The splits are materialised once and reused for every model.
    scoring : mapping of str -> scorer, default=None
        Scorers for ``cross_validate``; None: :data:`enhancer_sk.evaluation.metrics.SCORING`
        (Sn, Sp, Acc, MCC, AUC, AUPRC), with Sn, Sp and AUPRC taken for
        ``pos_label``.
    random_state : int or None, default=0
        Seed of the fold shuffle (models keep their own ``random_state``).
    n_jobs : int or None, default=None
        Folds fitted in parallel by ``cross_validate`` (joblib).
    pos_label : label, default=None
        Positive class for the out-of-fold scores; default the larger label
        (as ``roc_auc`` and the Sn / Sp scorers).
    response_method : {"auto", "predict_proba", "decision_function"}, default="auto"
        Out-of-fold scores: "auto" takes ``predict_proba`` where a model has it
        (probabilities pool across folds better than decision values, whose
        scale varies from fold to fold) and ``decision_function`` otherwise.
    ids : sequence of str, default=None
        Record ids for the out-of-fold table (default: the FASTA ids when ``X``
        is a path, else ``seq_<i>``).
    groups : array-like of shape (n_samples,), default=None
        Group labels (e.g. chromosomes) passed to the splitter's ``split``;
        only for a given splitter (``cv`` not an int).
    verbose : int, default=0
        > 0: one progress line per model on stderr.
    log : callable, default=None
        Where the progress lines go (``log(message)``); None: stderr, each line
        prefixed ``[compare]``.  The command line passes its own log, so that
        ``enhancer-sk cv`` prefixes them ``[cv]``.

    Returns
    -------
    ModelComparison

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from enhancer_sk.datasets import make_synthetic_enhancers
    >>> from enhancer_sk.sequence.encoders import GCContent
    >>> from enhancer_sk.models.svm.kmer import KmerSVM
    >>> X, y = make_synthetic_enhancers(200, random_state=0)
    >>> result = compare_models({"kmer": KmerSVM(k=4, random_state=0),
    ...                          "gc": make_pipeline(GCContent(), LogisticRegression())}, X, y, cv=3)
    >>> [row["model"] for row in result.summary_table()]
    ['kmer', 'gc']
    """
    if not estimators:
        raise ValueError("estimators is empty: give at least one named model")
    if response_method not in ("auto", "predict_proba", "decision_function"):
        raise ValueError(
            f"response_method must be 'auto', 'predict_proba' or 'decision_function', got {response_method!r}"
        )
    if is_sequence_path(X):
        X, file_ids = as_sequences(X, return_ids=True)
        ids = file_ids if ids is None else ids
    elif _looks_like_strings(X):
        X = as_sequences(X)
    if ids is not None:
        ids = np.asarray(ids, dtype=object)
    y = np.asarray(y)
    if ids is not None and len(ids) != len(y):
        raise ValueError(f"{len(ids)} ids for {len(y)} labels")
    if y.ndim != 1 or len(y) != _num_samples(X):
        raise ValueError(f"y must be 1-D with one label per sample: {len(y)} labels, {_num_samples(X)} samples")
    classes, pos_label = binary_positive_label(y, pos_label, purpose="compare_models (binary classifiers)")
    scoring = _paper_scoring(pos_label, classes) if scoring is None else dict(scoring)

    if isinstance(cv, (int, np.integer)):
        if groups is not None:
            raise ValueError("groups need a group-aware splitter as cv (e.g. SimilarityGroupKFold), not an int")
        splitter = StratifiedKFold(int(cv), shuffle=True, random_state=random_state)
        splits = list(splitter.split(np.zeros((len(y), 1)), y))
    else:
        splitter = check_cv(cv, y, classifier=True)
        random_state = getattr(splitter, "random_state", None)
        if groups is not None and len(groups) != len(y):
            raise ValueError(f"{len(groups)} groups for {len(y)} labels")
        splits = list(splitter.split(X, y, groups))
    fold = np.full(len(y), -1, dtype=np.int64)
    for i, (_, test) in enumerate(splits):
        fold[test] = i
    if (fold < 0).any():
        raise ValueError("the cross-validation splits must put every sample in one test fold")

    if log is None:
        def log(message: str) -> None:
            print(f"[compare] {message}", file=sys.stderr, flush=True)

    fold_scores, fit_time, score_time, oof_scores, oof_method = {}, {}, {}, {}, {}
    for number, (name, estimator) in enumerate(estimators.items(), start=1):
        start = time.perf_counter()
        if verbose:
            log(f"({number}/{len(estimators)}) {name}: fitting {len(splits)} folds ...")
        res = cross_validate(
            clone(estimator), X, y, cv=splits, scoring=scoring, n_jobs=n_jobs,
            return_estimator=True, error_score="raise",
        )
        fold_scores[name] = {m: np.asarray(res[f"test_{m}"], dtype=float) for m in scoring}
        fit_time[name] = np.asarray(res["fit_time"], dtype=float)
        score_time[name] = np.asarray(res["score_time"], dtype=float)
        oof = np.empty(len(y), dtype=float)
        for fitted, (_, test) in zip(res["estimator"], splits):
            oof[test], oof_method[name] = _positive_scores(
                fitted, _safe_indexing(X, test), pos_label, response_method
            )
        oof_scores[name] = oof
        del res
        if verbose:
            summary = ", ".join(
                f"{m} {np.nanmean(v):.3f}" for m, v in fold_scores[name].items() if m in ("AUC", "Acc", "MCC")
            )
            elapsed = time.perf_counter() - start
            log(f"({number}/{len(estimators)}) {name}: {len(splits)} folds in {elapsed:.1f} s"
                + (f" ({summary})" if summary else ""))

    return ModelComparison(
        models=list(estimators), metrics=list(scoring), fold_scores=fold_scores, fit_time=fit_time,
        score_time=score_time, oof_scores=oof_scores, oof_method=oof_method, y_true=y,
        pos_label=pos_label, fold=fold, n_splits=len(splits), random_state=random_state, ids=ids,
    )


def _looks_like_strings(X) -> bool:
    if isinstance(X, (list, tuple)):
        return len(X) > 0 and isinstance(X[0], (str, np.str_))
    if isinstance(X, np.ndarray):
        return X.ndim == 1 and (X.dtype.kind == "U" or (X.dtype == object and len(X) > 0
                                                        and isinstance(X[0], (str, np.str_))))
    return False


def _num_samples(X) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)
