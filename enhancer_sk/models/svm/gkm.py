"""GkmSVM: the gapped k-mer SVM (gkm-SVM / LS-GKM) as a scikit-learn classifier.

Training computes the normalised gkm Gram matrix
(:meth:`enhancer_sk.models.svm._gkm_kernel.GkmKernel.gram`) and fits
``sklearn.svm.SVC(kernel="precomputed")`` on it (``solver="dense"``), or, when
the float64 Gram matrix would not fit ``max_gram_memory``, stores its upper
triangle in float32 (a quarter of the memory), computed in strips of rows, and
solves the same SVM dual with the project's SMO
(:mod:`enhancer_sk.models.svm._smo`, ``solver="smo"``).  Prediction never compares a
sequence with the support vectors: the fitted model is folded into a table of
the decision contribution of each of the ``4**l`` l-mers
(:meth:`enhancer_sk.models.svm._gkm_kernel.GkmKernel.lmer_table`, a one-off build of about a second
for l = 11), and a sequence's decision value is the sum of the table over its
l-mers divided by its norm, plus the intercept.

LS-GKM interoperability: :meth:`GkmSVM.from_lsgkm` reads a ``gkmtrain`` model
file into a fitted GkmSVM whose decision values are ``gkmpredict``'s scores,
and :meth:`GkmSVM.to_lsgkm` writes one (format and mapping in
:mod:`enhancer_sk.model_files.lsgkm`); deltaSVM weights and variant scores
are in :mod:`enhancer_sk.models.svm.deltasvm`.
"""

from __future__ import annotations

import numbers
import os
import sys
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted

from ..._validation import check_training_labels, validate_params
from ...sequence.codes import SequenceCodes, SequencesLike, sequence_codes
from ...threads import numba_threads
from ._gkm_kernel import (
    _STRIP_BYTES,
    KERNEL_TYPES,
    MAX_TABLE_L,
    _as_windows,
    _check_params,
    _effective_weights,
    _gram,
    _gram_triangle,
    _normalised_products,
    _self_norms,
    _table_from_windows,
    _table_scores_nb,
)
from ._platt import PlattClassifierMixin, platt_scaling
from ._smo import solve_csvc

__all__ = ["GkmSVM"]


def _check_sample_weight(sample_weight, y_index: np.ndarray, classes: np.ndarray) -> np.ndarray | None:
    """Sample weights as float64 (or None); each class must keep a sample of positive weight."""
    if sample_weight is None:
        return None
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    if sample_weight.shape != y_index.shape:
        raise ValueError(f"sample_weight has shape {sample_weight.shape}, expected ({len(y_index)},)")
    if not np.isfinite(sample_weight).all():
        raise ValueError("sample_weight must be finite")
    for i, label in enumerate(classes.tolist()):
        if not (sample_weight[y_index == i] > 0).any():
            raise ValueError(f"sample_weight leaves class {label!r} without a sample of positive weight")
    return sample_weight


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
        Kernel row cache in MB (LS-GKM ``-m``): libsvm's with
        ``solver="dense"`` (where the Gram matrix is precomputed, so it matters
        little), the SMO's float32 rows with ``solver="smo"``.
    shrinking : bool, default=True
        libsvm's shrinking heuristics (LS-GKM ``-s``; gkmtrain leaves them off
        unless ``-s`` is given: ``shrinking=False`` mirrors it, the solution is
        the same within ``tol``).
    solver : {"auto", "dense", "smo"}, default="auto"
        How the SVM is trained; both solve the same problem (libsvm's, with
        float32 kernel rows) and give the same model within ``tol``: at
        ``tol=1e-8``, on 10,000 generated 300-bp sequences, the same 9,638
        support vectors and decision values within 2.5e-9
        (``benchmarks/gkm.py --parts scale``, ``tests/test_gkm_solver.py``):

        - ``"dense"``: the float64 Gram matrix (``8 n**2`` bytes: 0.8 GB at
          n = 10,000, 3.2 GB at 20,000) and ``SVC(kernel="precomputed")``.
        - ``"smo"``: the Gram matrix's upper triangle in float32
          (``2 n (n + 1)`` bytes: 5 GB at n = 50,000), computed in strips of
          float64 rows of at most ``min(max_gram_memory, 1024)`` MB, and the
          SMO of :mod:`~enhancer_sk.models.svm._smo` (libsvm's algorithm and
          float32 kernel rows, an LRU row cache of ``cache_size`` MB); peak
          memory about ``2 n (n + 1)`` bytes plus the larger of the strip
          and the row cache, plus about 40 bytes per l-mer of the data (the
          bucket sorts): about 7.2 GB for 50,000 sequences of 300 bp.
        - ``"auto"``: ``"dense"`` when the float64 Gram matrix fits
          ``max_gram_memory``, else ``"smo"``.

        The dense path is a little faster while it fits (2% at n = 10,000: the
        kernel costs the same, but libsvm reads contiguous rows and the SMO
        path redoes a bucket sort per strip, about 7% more kernel time with
        the strips of n = 50,000), so ``"auto"`` keeps it up to the memory
        budget.
    max_gram_memory : float, default=4096
        Memory in MB for float64 kernel values: ``solver="auto"`` takes the
        dense path when the Gram matrix, ``8 n**2`` bytes (``1.64`` times that
        with ``probability=True``, whose folds copy sub-matrices), fits it
        (n <= 23,170 at the default), and the SMO path's strips of rows use at
        most this much (and at most 1024 MB).
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
    solver_ : str
        The solver that fitted the model, ``"dense"`` or ``"smo"`` (not on a
        model read by :meth:`from_lsgkm`).
    n_features_in_ : int
        Always 1 (one sequence per sample).
    lsgkm_header_ : dict of str to str
        Only on a model read by :meth:`from_lsgkm`: the header of the LS-GKM
        file (item -> text), which has no ``support_``.

    Notes
    -----
    **gkmtrain options and GkmSVM parameters.**  ``GkmSVM(**params).fit(X, y)``
    with the positives of ``gkmtrain [options] pos.fa neg.fa out`` labelled 1
    and the negatives -1 trains the model gkmtrain trains (on the NFE2 test
    set of LS-GKM: the same support vectors, decision values within 2.1e-4 of
    gkmpredict's; ``tests/test_lsgkm.py``):

    ================  =================================================================
    gkmtrain          GkmSVM
    ================  =================================================================
    ``-t 0``          ``kernel="gkm"`` (LS-GKM's ``gkm_cnt``)
    ``-t 1``          ``kernel="gkm_estfull"``
    ``-t 2``          ``kernel="gkm_esttrunc"`` (GkmSVM's default)
    ``-t 3..6``       not supported (RBF and centre-weighted kernels; recent gkmtrain
                      defaults to ``-t 4``: give ``-t 2`` to compare)
    ``-l L``          ``l=L`` (default 11, as gkmtrain)
    ``-k K``          ``k=K`` (default 7, as gkmtrain)
    ``-d D``          ``d=D`` (default 3, as gkmtrain)
    ``-g``            not supported (RBF kernels)
    ``-M``, ``-H``    not supported (centre-weighted kernels)
    ``-R``            ``canonical_kmers=False``
    ``-c C``          ``C=C``
    ``-e E``          ``tol=E``
    ``-w W``          ``class_weight={1: W}`` (``{positive label: W}``)
    ``-m MB``         ``cache_size=MB`` (the SMO's row cache with ``solver="smo"``)
    ``-s``            ``shrinking=True`` (without ``-s``: ``shrinking=False``)
    ``-x N``          ``cross_val_predict(GkmSVM(...), X, y, cv=...,
                      method="decision_function")``; gkmtrain draws its folds with C's
                      ``rand()``: to reproduce a ``.cvpred.txt``, pass its fold column
                      as ``cv=PredefinedSplit(folds - 1)``
    ``-i I``          the I-th split of that ``cv`` only
    ``-r SEED``       the seed of the ``cv`` splitter (not gkmtrain's folds)
    ``-v``            ``verbose``
    ``-T N``          ``threads=N``
    ================  =================================================================

    The model file is :meth:`to_lsgkm`; ``gkmpredict`` is
    :meth:`decision_function` (the score is ``sum_i alpha_i K(x, sv_i) - rho``
    with the normalised kernel: ``dual_coef_`` are the alphas, ``intercept_``
    is ``-rho``).  Probabilities (``probability=True``, Platt scaling on
    internal cross-validation) have no gkmtrain counterpart.

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
        "shrinking": ["boolean"],
        "solver": [StrOptions({"auto", "dense", "smo"})],
        "max_gram_memory": [Interval(numbers.Real, 0.0, None, closed="neither")],
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
    shrinking: bool = True
    solver: str = "auto"
    max_gram_memory: float = 4096
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
        """Compute the gkm kernel of ``X`` and fit the SVM on it (``solver`` says how).

        Parameters
        ----------
        X : FASTA path, list or 1-D array of str
            Training sequences.
        y : array-like of shape (n_samples,)
            Two distinct labels (any type).
        sample_weight : array-like of shape (n_samples,), optional
            Per-sample multipliers of ``C``; samples of weight <= 0 are left
            out (as libsvm does).

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
        sample_weight = _check_sample_weight(sample_weight, y_index, classes)
        class_weight = self.class_weight
        if isinstance(class_weight, dict):  # the solvers see the encoded labels 0 / 1
            lookup = {c: i for i, c in enumerate(classes.tolist())}
            class_weight = {lookup[c]: w for c, w in class_weight.items() if c in lookup}
        solver = self._select_solver(len(sc))
        with numba_threads(self.threads):
            windows = _as_windows(sc, self.l)
            if solver == "dense":
                support, dual_coef, intercept, norms, platt = self._fit_dense(
                    windows, y_index, sample_weight, class_weight
                )
            else:
                support, dual_coef, intercept, norms, platt = self._fit_smo(
                    windows, y_index, sample_weight, class_weight
                )
        for stale in ("lsgkm_header_", "platt_"):  # left by from_lsgkm or an earlier fit
            self.__dict__.pop(stale, None)
        if platt is not None:
            self.platt_ = np.asarray(platt)
        self.classes_ = classes
        self.support_ = support
        self.support_sequences_ = sc.to_strings()[support]
        self.dual_coef_ = dual_coef
        self.support_norms_ = norms[support]
        self.intercept_ = intercept
        self.solver_ = solver
        self.n_features_in_ = 1
        self.build_table()
        return self

    def _select_solver(self, n: int) -> str:
        """``solver``, with "auto" resolved by the size of the float64 Gram matrix."""
        if self.solver != "auto":
            return self.solver
        dense_bytes = 8.0 * n * n * (1.64 if self.probability else 1.0)  # folds copy 0.8 n x 0.8 n sub-matrices
        return "dense" if dense_bytes <= float(self.max_gram_memory) * 2**20 else "smo"

    # ------------------------------------------------------------------ dense path

    def _fit_dense(self, windows, y_index, sample_weight, class_weight):
        """Float64 Gram matrix and ``SVC(kernel="precomputed")``."""
        weights = self._weights()
        gram, norms = _gram(windows, weights, self.l, bool(self.canonical_kmers), verbose=self.verbose)
        rows = np.arange(len(y_index))
        support, dual_coef, intercept = self._fit_svc(gram, rows, y_index, sample_weight, class_weight)
        platt = None
        if self.probability:

            def fold_decision(train, test):
                sv, coef, b = self._fit_svc(gram, train, y_index, sample_weight, class_weight)
                return gram[np.ix_(test, sv)] @ coef + b

            platt = self._fit_platt(y_index, fold_decision)
        return support, dual_coef, intercept, norms, platt

    def _fit_svc(self, gram, rows, y_index, sample_weight, class_weight):
        """SVC on the Gram matrix of ``rows``: support vectors (indices of ``gram``), coefficients, intercept.

        Samples of weight <= 0 are removed before libsvm sees them: libsvm
        drops them itself, but scikit-learn then reports ``support_`` among the
        remaining samples (scikit-learn issue #25380).
        """
        if sample_weight is not None:
            rows = rows[sample_weight[rows] > 0]
        sub = gram if len(rows) == gram.shape[0] else gram[np.ix_(rows, rows)]
        svc = self._make_svc(class_weight)
        svc.fit(sub, y_index[rows], sample_weight=None if sample_weight is None else sample_weight[rows])
        support = rows[svc.support_]
        return support, svc.dual_coef_[0].astype(np.float64), float(svc.intercept_[0])

    def _make_svc(self, class_weight) -> SVC:
        return SVC(
            kernel="precomputed",
            C=float(self.C),
            class_weight=class_weight,
            tol=self.tol,
            cache_size=self.cache_size,
            shrinking=bool(self.shrinking),
        )

    # ------------------------------------------------------------------ SMO path

    def _fit_smo(self, windows, y_index, sample_weight, class_weight):
        """Float32 upper triangle of the Gram matrix (in strips of rows) and the project's SMO."""
        weights = self._weights()
        l, rc = self.l, bool(self.canonical_kmers)
        strip_bytes = min(float(self.max_gram_memory) * 2**20, _STRIP_BYTES)
        tri, norms = _gram_triangle(windows, weights, l, rc, strip_bytes=strip_bytes, verbose=self.verbose)
        n = windows.n
        rows = np.arange(n)
        support, dual_coef, intercept = self._solve_smo(tri, n, rows, y_index, sample_weight, class_weight)
        platt = None
        if self.probability:

            def fold_decision(train, test):
                sv, coef, b = self._solve_smo(tri, n, train, y_index, sample_weight, class_weight)
                return _normalised_products(windows, norms, weights, l, rc, sv, coef, test) + b

            platt = self._fit_platt(y_index, fold_decision)
        return support, dual_coef, intercept, norms, platt

    def _solve_smo(self, tri, n, rows, y_index, sample_weight, class_weight):
        """The SVC problem ``_fit_svc`` solves, by SMO on the packed triangle.

        Returns the support vectors (ascending within each class, class 0
        first, as SVC orders them), their signed coefficients and the intercept.
        """
        y_rows = y_index[rows]
        # the bounds libsvm uses: C x class weight (computed on these rows, as SVC does) x sample weight
        bounds = float(self.C) * compute_class_weight(class_weight, classes=np.arange(2), y=y_rows)[y_rows]
        if sample_weight is not None:
            bounds = bounds * sample_weight[rows]
        keep = bounds > 0
        rows, y_rows, bounds = rows[keep], y_rows[keep], bounds[keep]
        if np.unique(y_rows).size < 2:
            raise ValueError("GkmSVM: the samples of positive weight hold only one class")
        signs = np.where(y_rows == 1, 1.0, -1.0)
        result = solve_csvc(
            tri,
            n,
            rows,
            signs,
            bounds,
            tol=float(self.tol),
            shrinking=bool(self.shrinking),
            cache_bytes=float(self.cache_size) * 2**20,
        )
        if self.verbose:
            print(
                f"[GkmSVM smo] {len(rows)} samples: {result.n_iter} iterations, {result.row_misses} kernel rows "
                f"gathered, gap {result.gap:.3g}",
                file=sys.stderr,
            )
        sv = np.flatnonzero(result.alpha > 0)
        sv = np.concatenate([sv[y_rows[sv] == 0], sv[y_rows[sv] == 1]])
        return rows[sv], signs[sv] * result.alpha[sv], -result.rho

    # ------------------------------------------------------------------ probabilities

    def _fit_platt(self, y_index, fold_decision) -> tuple[float, float]:
        """Platt sigmoid on 5-fold out-of-fold decision values (libsvm's recipe).

        ``fold_decision(train, test)`` fits the SVM on the samples ``train``
        and returns the decision values of ``test``; both solvers reuse their
        stored kernel, so no kernel value is recomputed.
        """
        n_splits = int(min(5, np.bincount(y_index).min()))
        if n_splits < 2:
            raise ValueError("probability=True needs at least 2 samples of each class")
        folds = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
        oof = np.empty(len(y_index))
        for train, test in folds.split(np.zeros(len(y_index)), y_index):
            oof[test] = fold_decision(train, test)
        return platt_scaling(oof, y_index == 1)

    def build_table(self) -> np.ndarray:
        """(Re)build ``table_`` from the support vectors and their coefficients."""
        coef = np.divide(
            self.dual_coef_,
            self.support_norms_,
            out=np.zeros_like(self.dual_coef_),
            where=self.support_norms_ > 0,
        )
        with numba_threads(self.threads):
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
        return self._decision_codes(sequence_codes(X))

    def _decision_codes(self, sc: SequenceCodes) -> np.ndarray:
        """:meth:`decision_function` of sequences already coded (fitted model)."""
        with numba_threads(self.threads):
            w = _as_windows(sc, self.l)
            norms = _self_norms(w, self._weights(), self.l, bool(self.canonical_kmers))
            raw = _table_scores_nb(w.fwd, w.start, w.count, self.table_)
        scores = np.divide(raw, norms, out=np.zeros_like(raw), where=norms > 0)
        return scores + self.intercept_

    def __getattr__(self, name: str):
        # reached only when normal look-up fails (e.g. predict_proba, unavailable without platt_)
        if name in ("predict_proba", "predict_log_proba") and "lsgkm_header_" in self.__dict__:
            raise AttributeError(
                f"{name} is not available: this GkmSVM was read from an LS-GKM model file, which holds no "
                "Platt sigmoid (gkmtrain writes no probA/probB); use decision_function (gkmpredict's score) "
                "or predict, or refit with probability=True"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ------------------------------------------------------------------ LS-GKM files

    @classmethod
    def from_lsgkm(cls, path: str | os.PathLike, *, threads: int | None = None) -> GkmSVM:
        """Read an LS-GKM model file (``gkmtrain``'s ``.model.txt``, plain or gzip) into a fitted GkmSVM.

        The file is parsed as text (nothing in it is executed); its
        ``decision_function`` is ``gkmpredict``'s score and ``predict`` gives
        ``label[0]`` of the file where the score is positive.  ``kernel_type``
        gkm_cnt / gkm_estfull / gkm_esttrunc (``-t 0/1/2``) become ``kernel``
        "gkm" / "gkm_estfull" / "gkm_esttrunc"; ``L, k, d`` become ``l, k, d``;
        ``norc 1`` (``-R``) becomes ``canonical_kmers=False``; ``classes_`` are
        the two labels of the file, sorted.  ``C``, ``tol`` and
        ``class_weight`` are not in the file and keep their defaults; the
        header is kept as ``lsgkm_header_``.  The model saves and loads as
        model files (:func:`enhancer_sk.model_files.save` / ``load``) like a
        fitted one.

        **No probabilities**: gkmtrain writes no Platt sigmoid, so
        ``predict_proba`` is unavailable (``hasattr`` is False; calling it
        raises an AttributeError saying why).  A file with libsvm's
        ``probA``/``probB`` gets them as ``platt_``.

        Parameters
        ----------
        path : str or path-like
            The model file (format in :mod:`enhancer_sk.model_files.lsgkm`).
        threads : int or None, default=None
            The model's ``threads``.

        Returns
        -------
        GkmSVM
            Fitted.

        Raises
        ------
        FileNotFoundError
            No such file.
        ModelFileError
            Malformed file (the message names the line), or a kernel type
            GkmSVM does not compute (``-t 3`` to ``6``).
        """
        from ...model_files.lsgkm import gkmsvm_from_lsgkm, read_lsgkm

        return gkmsvm_from_lsgkm(read_lsgkm(path), threads=threads)

    def to_lsgkm(self, path: str | os.PathLike, *, precision: str = "exact") -> None:
        """Write the fitted model as an LS-GKM model file that ``gkmpredict`` reads (gzip for ``.gz``).

        The file gkmtrain would write for this model: header lines
        ``svm_type c_svc``, ``kernel_type`` (gkm_cnt, gkm_estfull or
        gkm_esttrunc), ``L``, ``k``, ``d``, ``norc 1`` (only with
        ``canonical_kmers=False``), ``nr_class 2``, ``total_sv``, ``rho``
        (``-intercept_``), ``label`` (``classes_[1]`` first: the labels when
        they are integers, else ``1 -1``), ``probA``/``probB`` (only with
        ``platt_``), ``nr_sv``, then ``SV`` and one ``alpha sequence`` line per
        support vector, those of ``classes_[1]`` (positive alphas) first.
        ``gkmpredict`` then gives :meth:`decision_function`'s values.

        Parameters
        ----------
        path : str or path-like
            Output file; replaced atomically if it exists.
        precision : {"exact", "lsgkm"}, default="exact"
            ``"exact"``: numbers with the fewest digits that read back exactly,
            so :meth:`from_lsgkm` returns the same alphas and intercept;
            ``"lsgkm"``: gkmtrain's rounding (alphas ``%.16g``, ``rho`` ``%g``),
            byte-identical to gkmtrain's file for the same model.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            The model is not fitted.
        """
        from ...model_files.lsgkm import lsgkm_from_gkmsvm, write_lsgkm

        write_lsgkm(lsgkm_from_gkmsvm(self), path, precision=precision)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.classifier_tags.multi_class = False
        tags.non_deterministic = False
        return tags
