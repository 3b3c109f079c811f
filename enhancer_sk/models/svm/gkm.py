"""GkmSVM: the gapped k-mer SVM (gkm-SVM / LS-GKM) as a scikit-learn classifier.

Training computes the normalised gkm Gram matrix
(:func:`enhancer_sk.gkm_kernel.gkm_kernel`) and fits
``sklearn.svm.SVC(kernel="precomputed")`` on it.  Prediction never compares a
sequence with the support vectors: the fitted model is folded into a table of
the decision contribution of each of the ``4**l`` l-mers
(:func:`enhancer_sk.gkm_kernel.lmer_table`, a one-off build of about a second
for l = 11), and a sequence's decision value is the sum of the table over its
l-mers divided by its norm, plus the intercept.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ...sequence.codes import SequencesLike, sequence_codes
from .._validation import check_training_labels
from ._gkm_kernel import (
    KERNEL_TYPES,
    _as_windows,
    _check_params,
    _effective_weights,
    _gram,
    _numba_threads,
    _self_norms,
    _table_from_windows,
    _table_scores_nb,
)

__all__ = ["GkmSVM", "platt_sigmoid"]


def platt_sigmoid(decision, target) -> tuple[float, float]:
    """Fit Platt's sigmoid ``P(target) = 1 / (1 + exp(A f + B))`` to decision values ``f``.

    Newton's method with backtracking and Platt's smoothed targets, as in
    Lin, Lin & Weng (2007), "A note on Platt's probabilistic outputs for
    support vector machines" (the algorithm libsvm uses).

    Returns
    -------
    (A, B) : tuple of float
    """
    f = np.asarray(decision, dtype=np.float64)
    pos = np.asarray(target, dtype=bool)
    prior1 = float(pos.sum())
    prior0 = float(len(pos) - prior1)
    t = np.where(pos, (prior1 + 1.0) / (prior1 + 2.0), 1.0 / (prior0 + 2.0))

    def objective(a: float, b: float) -> float:
        z = f * a + b
        # -log likelihood of the smoothed targets, written to avoid overflow
        return float(np.sum(t * z - np.minimum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))))

    a, b = 0.0, float(np.log((prior0 + 1.0) / (prior1 + 1.0)))
    fval = objective(a, b)
    sigma = 1e-12
    for _ in range(100):
        z = f * a + b
        p = 1.0 / (1.0 + np.exp(np.clip(z, -500, 500)))  # P(target | f)
        d2 = p * (1.0 - p)
        h11 = sigma + np.sum(f * f * d2)
        h22 = sigma + np.sum(d2)
        h21 = np.sum(f * d2)
        d1 = t - p
        g1 = np.sum(f * d1)
        g2 = np.sum(d1)
        if abs(g1) < 1e-5 and abs(g2) < 1e-5:
            break
        det = h11 * h22 - h21 * h21
        da = -(h22 * g1 - h21 * g2) / det
        db = -(-h21 * g1 + h11 * g2) / det
        gd = g1 * da + g2 * db
        step = 1.0
        while step >= 1e-10:
            new_a, new_b = a + step * da, b + step * db
            new_f = objective(new_a, new_b)
            if new_f < fval + 1e-4 * step * gd:
                a, b, fval = new_a, new_b, new_f
                break
            step /= 2.0
        else:
            break
    return float(a), float(b)


class GkmSVM(ClassifierMixin, BaseEstimator):
    """Gapped k-mer SVM classifier (Ghandi et al. 2014; LS-GKM, Lee 2016).

    Parameters
    ----------
    l : int, default=11
        Word length (LS-GKM ``-l``), 1 <= l <= 12.
    k : int, default=7
        Informative columns of the gapped k-mers (``-k``), k <= l.
    d : int, default=3
        Maximum number of mismatches between two l-mers (``-d``).
    kernel : {"gkm_esttrunc", "gkm", "gkm_estfull"}, default="gkm_esttrunc"
        Mismatch weights, named as in LS-GKM: ``"gkm"`` the full gapped k-mer
        kernel (``-t 0``), ``"gkm_esttrunc"`` estimated l-mers with truncated
        filter (``-t 2``, LS-GKM's default), ``"gkm_estfull"`` (``-t 1``).
    reverse_complement : bool, default=True
        Count an l-mer and its reverse complement as the same feature (as
        LS-GKM always does).
    C : float, default=1.0
        SVM regularisation (``-c``).
    class_weight : dict, "balanced" or None, default=None
        Per-class multipliers of ``C`` (LS-GKM ``-w`` is ``{positive: w}``).
    tol : float, default=1e-3
        Solver tolerance (LS-GKM ``-e``).
    probability : bool, default=False
        Enable :meth:`predict_proba`: Platt scaling fitted on out-of-fold
        decision values of a stratified 5-fold internal cross-validation
        (libsvm's ``SVC(probability=True)`` recipe, done here on sub-matrices of
        the Gram matrix, so it adds 5 SVM fits but no kernel computation;
        folds seeded by ``random_state``).  The sigmoid is applied to the
        table decision values.
    cache_size : float, default=500
        libsvm kernel cache in MB.
    n_jobs : int or None, default=None
        Threads for the kernel and the table (``None``: ``GALAXY_SLOTS`` or
        all available CPUs).
    random_state : int, RandomState or None, default=None
        Seed of the probability calibration folds.
    verbose : bool, default=False
        Progress bar on stderr while the Gram matrix is computed.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Labels; decision values above 0 mean ``classes_[1]``.
    support_ : ndarray of int
        Indices of the support vectors in the training data.
    support_sequences_ : ndarray of str
        The support vectors (normalised sequences).
    dual_coef_ : ndarray of shape (n_support,)
        Signed dual coefficients (positive for ``classes_[1]``).
    support_norms_ : ndarray of shape (n_support,)
        Square roots of the support vectors' raw self-kernels.
    intercept_ : float
        Intercept of the decision function.
    table_ : ndarray of shape (4 ** l,)
        Decision contribution of each l-mer (rebuilt from the four previous
        attributes by :meth:`build_table`).
    probA_, probB_ : float
        Platt sigmoid ``P(classes_[1]) = 1 / (1 + exp(probA_ * f + probB_))``
        (only with ``probability=True``).
    n_features_in_ : int
        Always 1 (one sequence per sample).

    Examples
    --------
    >>> from enhancer_sk.datasets import make_synthetic_enhancers
    >>> X, y = make_synthetic_enhancers(200, random_state=0)
    >>> clf = GkmSVM(l=8, k=5, d=2).fit(X, y)
    >>> clf.decision_function(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        l: int = 11,
        k: int = 7,
        d: int = 3,
        kernel: str = "gkm_esttrunc",
        reverse_complement: bool = True,
        C: float = 1.0,
        class_weight=None,
        tol: float = 1e-3,
        probability: bool = False,
        cache_size: float = 500,
        n_jobs: int | None = None,
        random_state=None,
        verbose: bool = False,
    ):
        self.l = l
        self.k = k
        self.d = d
        self.kernel = kernel
        self.reverse_complement = reverse_complement
        self.C = C
        self.class_weight = class_weight
        self.tol = tol
        self.probability = probability
        self.cache_size = cache_size
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers

    def _validate_params_here(self) -> None:
        if self.kernel not in KERNEL_TYPES:
            raise ValueError(f"kernel must be one of {KERNEL_TYPES}, got {self.kernel!r}")
        _check_params(self.l, self.k, self.d, self.kernel)
        if not (isinstance(self.C, (int, float, np.integer, np.floating)) and self.C > 0):
            raise ValueError(f"C must be a positive number, got {self.C!r}")

    def _weights(self) -> np.ndarray:
        return _effective_weights(self.l, self.k, self.d, self.kernel)

    # ------------------------------------------------------------------ fit

    def fit(self, X: SequencesLike, y, sample_weight=None) -> GkmSVM:
        """Compute the gkm Gram matrix of ``X`` and fit the SVM on it.

        Parameters
        ----------
        X : FASTA path, list or 1-D array of str
            Training sequences.
        y : array-like of shape (n_samples,)
            Two distinct labels (any type).
        sample_weight : array-like of shape (n_samples,), optional
            Per-sample multipliers of ``C``.

        Returns
        -------
        self
        """
        self._validate_params_here()
        sc = sequence_codes(X)
        y = check_training_labels(y, n_samples=len(sc))
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) != 2:
            raise ValueError(f"GkmSVM is a binary classifier; got {len(classes)} classes: {classes.tolist()}")
        rc = bool(self.reverse_complement)
        weights = self._weights()
        with _numba_threads(self.n_jobs):
            windows = _as_windows(sc, self.l)
            gram, norms = _gram(windows, weights, self.l, rc, verbose=self.verbose)
        class_weight = self.class_weight
        if isinstance(class_weight, dict):  # SVC sees the encoded labels 0 / 1
            lookup = {c: i for i, c in enumerate(classes.tolist())}
            class_weight = {lookup[c]: w for c, w in class_weight.items() if c in lookup}
        svc = self._make_svc(class_weight)
        svc.fit(gram, y_index, sample_weight=sample_weight)
        if self.probability:
            self.probA_, self.probB_ = self._fit_platt(gram, y_index, sample_weight, class_weight)
        del gram
        self.classes_ = classes
        self.support_ = svc.support_.astype(np.int64)
        self.support_sequences_ = sc.to_strings()[self.support_]
        self.dual_coef_ = svc.dual_coef_[0].astype(np.float64)
        self.support_norms_ = norms[self.support_]
        self.intercept_ = float(svc.intercept_[0])
        self.n_features_in_ = 1
        self.build_table()
        return self

    def _make_svc(self, class_weight) -> SVC:
        return SVC(
            kernel="precomputed",
            C=float(self.C),
            class_weight=class_weight,
            tol=self.tol,
            cache_size=self.cache_size,
        )

    def _fit_platt(self, gram, y_index, sample_weight, class_weight) -> tuple[float, float]:
        """Platt sigmoid on 5-fold out-of-fold decision values (libsvm's recipe).

        The folds reuse sub-matrices of the Gram matrix, so no kernel value is
        recomputed.
        """
        n_splits = int(min(5, np.bincount(y_index).min()))
        if n_splits < 2:
            raise ValueError("probability=True needs at least 2 samples of each class")
        folds = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
        oof = np.empty(len(y_index))
        for train, test in folds.split(np.zeros(len(y_index)), y_index):
            svc = self._make_svc(class_weight)
            sw = None if sample_weight is None else np.asarray(sample_weight)[train]
            svc.fit(gram[np.ix_(train, train)], y_index[train], sample_weight=sw)
            oof[test] = svc.decision_function(gram[np.ix_(test, train)])
        return platt_sigmoid(oof, y_index == 1)

    def build_table(self) -> np.ndarray:
        """(Re)build ``table_`` from the support vectors and their coefficients."""
        coef = np.divide(
            self.dual_coef_,
            self.support_norms_,
            out=np.zeros_like(self.dual_coef_),
            where=self.support_norms_ > 0,
        )
        with _numba_threads(self.n_jobs):
            sv = _as_windows(sequence_codes(self.support_sequences_), self.l)
            self.table_ = _table_from_windows(sv, coef, self._weights(), self.l, bool(self.reverse_complement))
        return self.table_

    # ------------------------------------------------------------------ predict

    def decision_function(self, X: SequencesLike) -> np.ndarray:
        """Decision values, positive for ``classes_[1]``, shape (n_samples,).

        Equal to ``sum_i dual_coef_[i] K(x, sv_i) + intercept_`` with the
        normalised kernel, computed from ``table_``.
        """
        check_is_fitted(self, "table_")
        with _numba_threads(self.n_jobs):
            w = _as_windows(sequence_codes(X), self.l)
            norms = _self_norms(w, self._weights(), self.l, bool(self.reverse_complement))
            raw = _table_scores_nb(w.fwd, w.start, w.count, self.table_)
        scores = np.divide(raw, norms, out=np.zeros_like(raw), where=norms > 0)
        return scores + self.intercept_

    def predict(self, X: SequencesLike) -> np.ndarray:
        """Labels from ``classes_`` (``classes_[1]`` where the decision value is positive)."""
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def _has_probability(self) -> bool:
        if hasattr(self, "table_"):
            return hasattr(self, "probA_")
        return bool(self.probability)

    @available_if(_has_probability)
    def predict_proba(self, X: SequencesLike) -> np.ndarray:
        """Platt-scaled probabilities, columns in the order of ``classes_`` (needs ``probability=True``)."""
        f = self.decision_function(X)
        p1 = 1.0 / (1.0 + np.exp(np.clip(self.probA_ * f + self.probB_, -500, 500)))
        return np.column_stack([1.0 - p1, p1])

    @available_if(_has_probability)
    def predict_log_proba(self, X: SequencesLike) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.classifier_tags.multi_class = False
        tags.non_deterministic = False
        return tags
