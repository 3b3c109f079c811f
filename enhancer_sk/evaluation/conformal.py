"""Conformal calls: split-conformal p-values, prediction sets and Benjamini-Hochberg FDR control.

A classifier's score says "more enhancer-like", not "significant".  Split
(inductive) conformal prediction turns any score into a p-value with a
finite-sample guarantee, using a *calibration set* the model was not trained on:

* :func:`conformal_pvalues`: one-class "conformal outlier" p-values (Bates et
  al. 2023).  Calibrate on the scores of known negatives (background); a test
  score's p-value is the (smoothed) fraction of calibration negatives scoring at
  least as high,

  .. math:: p_j = \\frac{1 + \\#\\{i : s_i \\ge s_j\\}}{n + 1}.

  If a test sequence is exchangeable with the calibration negatives (it *is*
  background), :math:`P(p_j \\le t) \\le t` for every :math:`t` (the p-value
  is marginally valid, "super-uniform").  A small p-value says the sequence is
  unlike background: an enhancer call.
* :func:`benjamini_hochberg`: the BH step-up procedure.  The conformal
  p-values of several test points share one calibration set and so are
  dependent, but positively so (PRDS, Bates et al. 2023, Theorem 2): BH at
  level ``alpha`` on them controls the false discovery rate at ``alpha``
  (more exactly at ``alpha * n_null / n_test``).
* :func:`mondrian_pvalues` and :func:`conformal_prediction_sets`:
  class-conditional (Mondrian) p-values, one per label, each calibrated on the
  calibration points of that label only, and the prediction sets
  ``{label : p_label > alpha}``, which contain the true label with probability
  at least ``1 - alpha`` for every class separately.
* :class:`ConformalClassifier`: a scikit-learn meta-estimator that splits the
  training data into a proper training part and a calibration part, fits the
  wrapped estimator on the first and calibrates on the second.

Everything is plain NumPy (no crepes or MAPIE dependency).

References
----------
S. Bates, E. Candes, L. Lei, Y. Romano and M. Sesia (2023). Testing for
outliers with conformal p-values. *Annals of Statistics* 51(1), 149-178.
https://doi.org/10.1214/22-AOS2244

V. Vovk, A. Gammerman and G. Shafer (2005). *Algorithmic Learning in a Random
World*, Springer (Mondrian conformal predictors, chapter 4).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from .._validation import check_training_labels, validate_params
from ..sequence.codes import as_sequences, is_sequence_path

__all__ = [
    "ConformalClassifier",
    "benjamini_hochberg",
    "conformal_prediction_sets",
    "conformal_fdr_threshold",
    "conformal_pvalues",
    "mondrian_pvalues",
]


def _as_1d_scores(scores, name: str) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError(f"{name} contains NaN")
    return scores


def conformal_pvalues(
    cal_scores,
    cal_labels=None,
    test_scores=None,
    *,
    label=0,
    smoothed: bool = False,
    random_state=None,
) -> np.ndarray:
    """Split-conformal outlier p-values of test scores against calibration scores of one class.

    The one-class form of Bates et al. (2023): the null hypothesis for test
    point ``j`` is "``j`` is exchangeable with the calibration points of class
    ``label``" (for enhancer calls: it is background), and high scores are
    evidence against it::

        p_j = (1 + #{i : cal_labels[i] == label and cal_scores[i] >= test_scores[j]}) / (n_label + 1)

    Parameters
    ----------
    cal_scores : array-like of shape (n_cal,)
        Scores of the calibration points (higher = less like ``label``, e.g.
        the enhancer probability or decision value when ``label`` is the
        background class).  The model must not have been trained on them.
    cal_labels : array-like of shape (n_cal,) or None, default=None
        Labels of the calibration points; only those equal to ``label`` are
        used.  None: every calibration point belongs to the null class (e.g.
        the scores of a background FASTA).
    test_scores : array-like of shape (n_test,)
        Scores of the points to test, from the same model.
    label : object, default=0
        The null class in ``cal_labels`` (ignored when ``cal_labels`` is None).
    smoothed : bool, default=False
        Break ties at random (``#{s_i > s_j} + U * (1 + #{s_i == s_j})`` in the
        numerator, ``U`` uniform on [0, 1]): exactly uniform p-values under the
        null instead of conservative ones, at the price of randomness.
    random_state : int, RandomState or None, default=None
        Draws ``U`` when ``smoothed``.

    Returns
    -------
    pvalues : ndarray of shape (n_test,)
        In ``[1 / (n_label + 1), 1]`` (``(0, 1]`` when smoothed).

    Notes
    -----
    Under exchangeability of a null test point with the calibration points of
    ``label``, its p-value is marginally super-uniform: ``P(p_j <= t) <= t`` for
    every ``t`` in [0, 1] (equality at multiples of ``1 / (n_label + 1)`` for
    untied scores).  Validity is marginal over the calibration draw; the
    p-values of several test points are dependent through the shared
    calibration set, but PRDS, so :func:`benjamini_hochberg` on them controls the
    FDR (Bates et al. 2023, Theorem 2).  The smallest attainable p-value is
    ``1 / (n_label + 1)``: with ``m`` tests at FDR ``alpha``, BH can only call
    anything when ``n_label + 1 >= m / alpha`` for a single call, so calibrate
    on enough negatives.

    Examples
    --------
    >>> conformal_pvalues([0.1, 0.2, 0.3, 0.4], None, [0.05, 0.35, 0.9]).tolist()
    [1.0, 0.4, 0.2]
    >>> conformal_pvalues([0.1, 0.9, 0.3], [0, 1, 0], [0.2], label=0).tolist()
    [0.6666666666666666]
    """
    if test_scores is None:
        raise TypeError("conformal_pvalues() needs test_scores")
    cal = _as_1d_scores(cal_scores, "cal_scores")
    test = _as_1d_scores(test_scores, "test_scores")
    if cal_labels is not None:
        cal_labels = np.asarray(cal_labels)
        if cal_labels.shape != cal.shape:
            raise ValueError(f"{len(cal)} calibration scores but cal_labels of shape {cal_labels.shape}")
        cal = cal[cal_labels == label]
        if len(cal) == 0:
            raise ValueError(f"no calibration point of class {label!r}")
    elif len(cal) == 0:
        raise ValueError("no calibration scores")
    n = len(cal)
    cal = np.sort(cal)
    n_greater_equal = n - np.searchsorted(cal, test, side="left")
    if not smoothed:
        return (1.0 + n_greater_equal) / (n + 1.0)
    n_greater = n - np.searchsorted(cal, test, side="right")
    u = check_random_state(random_state).uniform(size=len(test))
    return (n_greater + u * (1.0 + n_greater_equal - n_greater)) / (n + 1.0)


def mondrian_pvalues(cal_scores, cal_labels, test_scores, *, classes=None) -> np.ndarray:
    """Class-conditional (Mondrian) conformal p-values, one per test point and class.

    Column ``k`` tests "the test point belongs to ``classes[k]``" against the
    calibration points of that class, with the score of that class as
    conformity (a low score is nonconforming)::

        p_jk = (1 + #{i : cal_labels[i] == classes[k] and cal_scores[i, k] <= test_scores[j, k]}) / (n_k + 1)

    Parameters
    ----------
    cal_scores : array-like of shape (n_cal, n_classes)
        Per-class scores of the calibration points (``predict_proba`` or a
        multi-column ``decision_function``; any transformation that is
        increasing within each column gives the same p-values).
    cal_labels : array-like of shape (n_cal,)
        True labels of the calibration points.
    test_scores : array-like of shape (n_test, n_classes)
        Per-class scores of the test points, from the same model.
    classes : array-like of shape (n_classes,), optional
        The label of each column (default: the sorted unique ``cal_labels``,
        which must then number ``n_classes``).

    Returns
    -------
    pvalues : ndarray of shape (n_test, n_classes)

    Notes
    -----
    For a test point of true class ``c`` exchangeable with the calibration
    points of class ``c``, ``P(p_jc <= t) <= t``: the guarantee holds for each
    class separately (label-conditional validity), which matters when classes
    are unbalanced, as enhancers in a genome are.
    """
    cal_scores = np.asarray(cal_scores, dtype=np.float64)
    test_scores = np.asarray(test_scores, dtype=np.float64)
    cal_labels = np.asarray(cal_labels)
    classes = np.unique(cal_labels) if classes is None else np.asarray(classes)
    if cal_scores.ndim != 2 or test_scores.ndim != 2:
        raise ValueError("cal_scores and test_scores must be 2-D (n, n_classes)")
    if cal_scores.shape[1] != len(classes) or test_scores.shape[1] != len(classes):
        raise ValueError(
            f"{len(classes)} classes but score matrices with {cal_scores.shape[1]} and {test_scores.shape[1]} columns"
        )
    pvalues = np.empty((len(test_scores), len(classes)))
    for k, c in enumerate(classes):
        # conformity = score of class k; negating it makes "extreme" the high end, as conformal_pvalues expects
        pvalues[:, k] = conformal_pvalues(-cal_scores[:, k], cal_labels, -test_scores[:, k], label=c)
    return pvalues


def conformal_prediction_sets(pvalues, alpha: float = 0.1) -> np.ndarray:
    """Conformal prediction sets at confidence ``1 - alpha``: the labels whose p-value exceeds ``alpha``.

    Parameters
    ----------
    pvalues : array-like of shape (n, n_classes)
        Per-class p-values, e.g. from :func:`mondrian_pvalues`.
    alpha : float in (0, 1), default=0.1
        Miscoverage level.

    Returns
    -------
    sets : ndarray of bool, shape (n, n_classes)
        ``sets[j, k]`` is True when label ``k`` is in the set of point ``j``.
        A set may be empty (no label is plausible) or hold several labels (the
        model cannot tell them apart at this level).

    Notes
    -----
    With Mondrian p-values, the true label is in the set with probability at
    least ``1 - alpha`` for each class (and so overall), and at most about
    ``1 - alpha + 1 / (n_c + 1)`` for untied scores.

    Examples
    --------
    >>> conformal_prediction_sets([[0.5, 0.04], [0.2, 0.3]], alpha=0.1).tolist()
    [[True, False], [True, True]]
    """
    _check_alpha(alpha)
    pvalues = np.asarray(pvalues, dtype=np.float64)
    if pvalues.ndim != 2:
        raise ValueError(f"pvalues must be 2-D (n, n_classes), got shape {pvalues.shape}")
    return pvalues > alpha


def benjamini_hochberg(pvalues, alpha: float = 0.05) -> np.ndarray:
    """Benjamini-Hochberg step-up procedure: which hypotheses are rejected at FDR ``alpha``.

    Rejects the ``k`` smallest p-values, ``k`` the largest ``i`` with
    ``p_(i) <= alpha * i / m``.

    Parameters
    ----------
    pvalues : array-like of shape (m,)
        P-values (NaN is not allowed).
    alpha : float in (0, 1), default=0.05
        Target false discovery rate.

    Returns
    -------
    rejected : ndarray of bool, shape (m,)
        True for the discoveries (for conformal outlier p-values: the enhancer calls).

    Notes
    -----
    Controls the FDR at ``alpha * m0 / m`` (``m0`` true nulls) for independent
    or PRDS p-values, which includes conformal p-values sharing one
    calibration set (Bates et al. 2023).  Equivalent to
    ``scipy.stats.false_discovery_control(p) <= alpha``.

    Examples
    --------
    >>> benjamini_hochberg([0.001, 0.02, 0.03, 0.5], alpha=0.05).tolist()
    [True, True, True, False]
    """
    _check_alpha(alpha)
    p = _as_1d_scores(pvalues, "pvalues")
    m = len(p)
    if m == 0:
        return np.zeros(0, dtype=bool)
    if (p < 0).any() or (p > 1).any():
        raise ValueError("p-values must lie in [0, 1]")
    order = np.argsort(p, kind="stable")
    below = p[order] <= alpha * np.arange(1, m + 1) / m
    rejected = np.zeros(m, dtype=bool)
    if below.any():
        k = np.flatnonzero(below)[-1]
        rejected[order[: k + 1]] = True
    return rejected


def conformal_fdr_threshold(null_scores, test_scores, alpha: float = 0.05) -> float:
    """The score cutoff of Benjamini-Hochberg on conformal outlier p-values: call ``test_scores >= cutoff``.

    A conformal p-value (:func:`conformal_pvalues`, calibrated on
    ``null_scores``) never increases with the score, so the BH discoveries at
    level ``alpha`` are exactly the test scores at or above the smallest
    discovered score.  Calling by this cutoff (e.g. merging genome windows
    above it, :func:`enhancer_sk.genomics.scanning.scan` with ``fdr``) makes
    the same calls as :func:`benjamini_hochberg`.

    Parameters
    ----------
    null_scores : array-like of shape (n_null,)
        Scores of calibration negatives (background), not used in training.
    test_scores : array-like of shape (n_test,)
        Scores to call (higher = more enhancer-like).
    alpha : float in (0, 1), default=0.05
        Target false discovery rate.

    Returns
    -------
    cutoff : float
        ``inf`` when BH makes no discovery.

    Examples
    --------
    >>> conformal_fdr_threshold(range(100), [150, 140, 50, 30], alpha=0.05)
    140.0
    """
    test = _as_1d_scores(test_scores, "test_scores")
    rejected = benjamini_hochberg(conformal_pvalues(null_scores, None, test), alpha)
    return float(test[rejected].min()) if rejected.any() else float("inf")


def _check_alpha(alpha) -> None:
    if not isinstance(alpha, numbers.Real) or isinstance(alpha, bool) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")


def _class_scores(estimator, X) -> np.ndarray:
    """Per-class scores (n, n_classes): ``predict_proba``, else ``decision_function`` (two columns when binary)."""
    if hasattr(estimator, "predict_proba"):
        return np.asarray(estimator.predict_proba(X), dtype=np.float64)
    scores = np.asarray(estimator.decision_function(X), dtype=np.float64)
    if scores.ndim == 1:
        return np.column_stack([-scores, scores])
    return scores


class ConformalClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Split-conformal wrapper of any classifier: p-values, prediction sets and outlier p-values.

    ``fit`` holds out a stratified calibration part of the training data, fits
    a clone of ``estimator`` on the rest and keeps the calibration scores.
    Predictions then come with class-conditional (Mondrian) conformal p-values
    (:meth:`predict_pvalues`), prediction sets of guaranteed coverage
    (:meth:`predict_set`) and outlier p-values against one class
    (:meth:`outlier_pvalues`, for FDR-controlled enhancer calls with
    :func:`benjamini_hochberg`).

    Parameters
    ----------
    estimator : classifier
        Any classifier with ``predict_proba`` or ``decision_function`` (the
        project's models take sequences as ``X``); cloned in ``fit``.
    calibration_size : float or int, default=0.25
        Fraction (float in (0, 1)) or number (int) of the training samples held
        out for calibration, stratified by class.
    random_state : int, RandomState or None, default=None
        Draws the calibration split.

    Attributes
    ----------
    estimator_ : fitted classifier
        The clone of ``estimator`` fitted on the training part.
    classes_ : ndarray of shape (n_classes,)
        Class labels (the columns of the p-values and sets).
    calibration_scores_ : ndarray of shape (n_calibration, n_classes)
        Per-class scores of the calibration part.
    calibration_labels_ : ndarray of shape (n_calibration,)
        Its labels.

    Notes
    -----
    The guarantees are finite-sample and hold for test sequences exchangeable
    with the training data (drawn from the same distribution); they say
    nothing about a test set from another genome or assay.  Fewer training
    samples make a weaker model but the coverage stays valid; a calibration
    class of ``n_c`` points gives p-values no smaller than ``1 / (n_c + 1)``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
    >>> from enhancer_sk.sequence.encoders import KmerSpectrum
    >>> X, y = make_synthetic_enhancers(400, 100, random_state=0)
    >>> clf = ConformalClassifier(make_pipeline(KmerSpectrum(k=3), LogisticRegression()), random_state=0)
    >>> clf = clf.fit(X, y)
    >>> clf.predict_set(X[:3], alpha=0.1).shape
    (3, 2)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "get_params"])],
        "calibration_size": [
            Interval(numbers.Real, 0, 1, closed="neither"),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, *, calibration_size=0.25, random_state=None):
        self.estimator = estimator
        self.calibration_size = calibration_size
        self.random_state = random_state

    def fit(self, X, y, **fit_params):
        """Fit ``estimator`` on a training part and calibrate on the held-out rest.

        Parameters
        ----------
        X : sequences (list / array of str, FASTA path) or any input the estimator accepts
        y : array-like of shape (n,)
            Class labels.
        **fit_params
            Passed to the estimator's ``fit`` (not indexed: per-sample
            parameters are not supported).

        Returns
        -------
        self
        """
        validate_params(self)
        if not (hasattr(self.estimator, "predict_proba") or hasattr(self.estimator, "decision_function")):
            raise TypeError(
                f"ConformalClassifier needs scores: {type(self.estimator).__name__} has neither "
                "predict_proba nor decision_function"
            )
        X = as_sequences(X) if is_sequence_path(X) else X
        y = check_training_labels(y)
        n = len(y)
        if hasattr(X, "__len__") and len(X) != n:
            raise ValueError(f"{len(X)} samples but {n} labels")
        train_idx, cal_idx = train_test_split(
            np.arange(n),
            test_size=self.calibration_size,
            stratify=y,
            random_state=check_random_state(self.random_state),
        )
        self.estimator_ = clone(self.estimator).fit(_safe_indexing(X, train_idx), y[train_idx], **fit_params)
        self.classes_ = np.asarray(self.estimator_.classes_)
        missing = set(np.unique(y).tolist()) - set(self.classes_.tolist())
        if missing:  # pragma: no cover - stratification keeps every class in the training part
            raise ValueError(f"classes {sorted(missing)} missing from the training part")
        self.calibration_scores_ = _class_scores(self.estimator_, _safe_indexing(X, cal_idx))
        self.calibration_labels_ = y[cal_idx]
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        return self

    def _scores(self, X) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        X = as_sequences(X) if is_sequence_path(X) else X
        return _class_scores(self.estimator_, X)

    def predict(self, X) -> np.ndarray:
        """The wrapped estimator's prediction (its point prediction, not a set)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(as_sequences(X) if is_sequence_path(X) else X)

    def predict_proba(self, X) -> np.ndarray:
        """The wrapped estimator's ``predict_proba`` (available when it has one)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(as_sequences(X) if is_sequence_path(X) else X)

    def predict_pvalues(self, X) -> np.ndarray:
        """Mondrian conformal p-values, shape (n, n_classes): column ``k`` tests "the label is ``classes_[k]``"."""
        scores = self._scores(X)
        return mondrian_pvalues(self.calibration_scores_, self.calibration_labels_, scores, classes=self.classes_)

    def predict_set(self, X, alpha: float = 0.1) -> np.ndarray:
        """Prediction sets at confidence ``1 - alpha``, a boolean array (n, n_classes) over ``classes_``.

        Each set holds the true label with probability at least ``1 - alpha``,
        within every class (:func:`conformal_prediction_sets`).
        """
        return conformal_prediction_sets(self.predict_pvalues(X), alpha)

    def outlier_pvalues(self, X, *, null_class=None) -> np.ndarray:
        """Conformal outlier p-values of ``X`` against the calibration points of ``null_class``, shape (n,).

        The score is minus the score of ``null_class`` (for two classes with
        probabilities: the probability of the other class), so a small p-value
        means "unlike ``null_class``".  With ``null_class`` the background
        class, :func:`benjamini_hochberg` on these p-values calls enhancers at
        a controlled false discovery rate.

        Parameters
        ----------
        X : sequences
        null_class : label, default=None
            The null class (default: ``classes_[0]``, the background for 0/1 labels).

        Returns
        -------
        pvalues : ndarray of shape (n,)
        """
        scores = self._scores(X)
        null_class = self.classes_[0] if null_class is None else null_class
        hits = np.flatnonzero(self.classes_ == null_class)
        if len(hits) == 0:
            raise ValueError(f"unknown null_class {null_class!r}; classes_ are {self.classes_.tolist()}")
        k = hits[0]
        return conformal_pvalues(-self.calibration_scores_[:, k], self.calibration_labels_, -scores[:, k],
                                 label=null_class)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            from sklearn.utils import get_tags

            inner = get_tags(self.estimator)
            tags.input_tags = inner.input_tags
            tags.non_deterministic = inner.non_deterministic
        except (TypeError, AttributeError):  # pragma: no cover - estimators without tags
            pass
        return tags
