"""GkmSVM: the gapped k-mer SVM (gkm-SVM / LS-GKM) as a scikit-learn classifier.

Training computes the normalised gkm Gram matrix
(:meth:`enhancer_sk.models.svm._gkm_kernel.GkmKernel.gram`) and fits
``sklearn.svm.SVC(kernel="precomputed")`` on it.  Prediction never compares a
sequence with the support vectors: the fitted model is folded into a table of
the decision contribution of each of the ``4**l`` l-mers
(:meth:`enhancer_sk.models.svm._gkm_kernel.GkmKernel.lmer_table`, a one-off build of about a second
for l = 11), and a sequence's decision value is the sum of the table over its
l-mers divided by its norm, plus the intercept.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..._validation import check_training_labels, validate_params
from ...sequence.codes import SequencesLike, sequence_codes
from ._gkm_kernel import (
    KERNEL_TYPES,
    MAX_TABLE_L,
    _as_windows,
    _check_params,
    _effective_weights,
    _gram,
    _numba_threads,
    _self_norms,
    _table_from_windows,
    _table_scores_nb,
)
from ._platt import PlattClassifierMixin, platt_scaling

__all__ = ["GkmSVM"]


@dataclass(eq=False, repr=False)
class GkmSVM(PlattClassifierMixin, ClassifierMixin, BaseEstimator):
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
    canonical_kmers : bool, default=True
        Count an l-mer and its reverse complement as the same feature (as
        LS-GKM always does).
    C : float, default=1.0
        SVM regularisation (``-c``).
    class_weight : dict, "balanced" or None, default=None
        Per-class multipliers of ``C`` (LS-GKM ``-w`` is ``{positive: w}``).
    tol : float, default=1e-3
        Solver tolerance (LS-GKM ``-e``).
    probability : bool, default=False
        Enable :meth:`predict_proba`: Platt scaling
        (:mod:`~enhancer_sk.models.svm._platt`) fitted on out-of-fold decision
        values of a stratified 5-fold internal cross-validation (libsvm's
        ``SVC(probability=True)`` recipe, done here on sub-matrices of the Gram
        matrix, so it adds 5 SVM fits but no kernel computation; folds seeded
        by ``random_state``).  The sigmoid is applied to the table decision
        values.
    cache_size : float, default=500
        libsvm kernel cache in MB.
    threads : int or None, default=None
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
    platt_ : ndarray of shape (2,)
        Platt parameters ``(a, b)`` of ``P(classes_[1]) = expit(a * f + b)``
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

    _parameter_constraints: ClassVar[dict] = {
        "l": [Interval(numbers.Integral, 1, MAX_TABLE_L, closed="both")],
        "k": [Interval(numbers.Integral, 1, MAX_TABLE_L, closed="both")],
        "d": [Interval(numbers.Integral, 0, MAX_TABLE_L, closed="both")],
        "kernel": [StrOptions(set(KERNEL_TYPES))],
        "canonical_kmers": ["boolean"],
        "C": [Interval(numbers.Real, 0.0, None, closed="neither")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "tol": [Interval(numbers.Real, 0.0, None, closed="neither")],
        "probability": ["boolean"],
        "cache_size": [Interval(numbers.Real, 0.0, None, closed="neither")],
        "threads": [Interval(numbers.Integral, None, None, closed="neither"), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    #: Fitted attributes a model file does not store (rebuilt by :meth:`_check_loaded_state`).
    _derived_attributes: ClassVar[tuple] = ("table_",)

    l: int = 11
    k: int = 7
    d: int = 3
    kernel: str = "gkm_esttrunc"
    canonical_kmers: bool = True
    C: float = 1.0
    class_weight: object = None
    tol: float = 1e-3
    probability: bool = False
    cache_size: float = 500
    threads: int | None = None
    random_state: object = None
    verbose: bool = False

    # ------------------------------------------------------------------ helpers

    def _check_params(self) -> None:
        """The parameter constraints, then the word sizes against each other."""
        validate_params(self)
        _check_params(self.l, self.k, self.d, self.kernel)

    def _check_loaded_state(self) -> None:
        """Model files: check the arrays the numba kernels index by, then rebuild ``table_``.

        Raises
        ------
        ValueError
            Parameters out of range or arrays of inconsistent sizes.
        """
        self._check_params()
        n = len(self.support_sequences_)
        for name, shape in (("dual_coef_", (n,)), ("support_norms_", (n,)), ("classes_", (2,))):
            if np.asarray(getattr(self, name)).shape != shape:
                raise ValueError(f"{name} has shape {np.asarray(getattr(self, name)).shape}, expected {shape}")
        if hasattr(self, "platt_") and np.asarray(self.platt_).shape != (2,):
            raise ValueError("platt_ must hold two numbers")
        self.dual_coef_ = np.asarray(self.dual_coef_, dtype=np.float64)
        self.support_norms_ = np.asarray(self.support_norms_, dtype=np.float64)
        self.build_table()

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
        self._check_params()
        sc = sequence_codes(X)
        y = check_training_labels(y, n_samples=len(sc))
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) != 2:
            raise ValueError(f"GkmSVM is a binary classifier; got {len(classes)} classes: {classes.tolist()}")
        rc = bool(self.canonical_kmers)
        weights = self._weights()
        with _numba_threads(self.threads):
            windows = _as_windows(sc, self.l)
            gram, norms = _gram(windows, weights, self.l, rc, verbose=self.verbose)
        class_weight = self.class_weight
        if isinstance(class_weight, dict):  # SVC sees the encoded labels 0 / 1
            lookup = {c: i for i, c in enumerate(classes.tolist())}
            class_weight = {lookup[c]: w for c, w in class_weight.items() if c in lookup}
        svc = self._make_svc(class_weight)
        svc.fit(gram, y_index, sample_weight=sample_weight)
        if self.probability:
            self.platt_ = np.asarray(self._fit_platt(gram, y_index, sample_weight, class_weight))
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
        return platt_scaling(oof, y_index == 1)

    def build_table(self) -> np.ndarray:
        """(Re)build ``table_`` from the support vectors and their coefficients."""
        coef = np.divide(
            self.dual_coef_,
            self.support_norms_,
            out=np.zeros_like(self.dual_coef_),
            where=self.support_norms_ > 0,
        )
        with _numba_threads(self.threads):
            sv = _as_windows(sequence_codes(self.support_sequences_), self.l)
            self.table_ = _table_from_windows(sv, coef, self._weights(), self.l, bool(self.canonical_kmers))
        return self.table_

    # ------------------------------------------------------------------ predict

    def decision_function(self, X: SequencesLike) -> np.ndarray:
        """Decision values, positive for ``classes_[1]``, shape (n_samples,).

        Equal to ``sum_i dual_coef_[i] K(x, sv_i) + intercept_`` with the
        normalised kernel, computed from ``table_``.
        """
        check_is_fitted(self, "table_")
        with _numba_threads(self.threads):
            w = _as_windows(sequence_codes(X), self.l)
            norms = _self_norms(w, self._weights(), self.l, bool(self.canonical_kmers))
            raw = _table_scores_nb(w.fwd, w.start, w.count, self.table_)
        scores = np.divide(raw, norms, out=np.zeros_like(raw), where=norms > 0)
        return scores + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.classifier_tags.multi_class = False
        tags.non_deterministic = False
        return tags
