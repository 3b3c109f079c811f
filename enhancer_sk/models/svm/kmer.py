"""KmerSVM: a support vector machine on k-mer spectrum features.

The classical k-mer SVM baseline of the enhancer literature (kmer-SVM, Lee et
al. 2011, Bioinformatics, doi 10.1093/bioinformatics/btr506): every sequence
becomes the vector of its k-mer counts (:class:`~enhancer_sk.sequence.encoders.KmerSpectrum`;
by default a k-mer and its reverse complement count as one feature, and the
vector is scaled to unit length, so a linear kernel is the normalised spectrum
kernel), and a binary SVM separates the classes.

Probabilities
-------------
``predict_proba`` uses Platt scaling (:mod:`~enhancer_sk.models.svm._platt`):
``P(classes_[1] | x) = expit(a * f(x) + b)`` of the decision value ``f(x)``,
fitted on *out-of-fold* decision values of an internal stratified
``probability_cv``-fold cross-validation (the final SVM is then trained on all
data, as ``CalibratedClassifierCV(method="sigmoid", ensemble=False)``).
``predict`` uses the sign of the decision value (as ``SVC``), so for a few
sequences near the boundary ``predict`` and ``predict_proba > 0.5`` can
disagree.

Fitted state is plain arrays (weights or support vectors, dual coefficients,
intercept, the two Platt parameters), so a model can be stored without pickle.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import LabelEncoder
from sklearn.svm import SVC, LinearSVC
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..._validation import check_training_labels, validate_params
from ...exceptions import SingleClassError
from ...sequence.codes import is_sequence_path
from ...sequence.encoders import KmerSpectrum
from ._platt import PlattClassifierMixin, platt_scaling

__all__ = ["KmerSVM"]

#: Up to this many training sequences, ``svm="svc"`` trains on a precomputed Gram
#: matrix (float64, n^2 * 8 bytes: 288 MB at 6,000); above it libsvm computes kernel rows itself.
_MAX_GRAM_SAMPLES = 6000


def _is_feature_matrix(X) -> bool:
    """True for numeric 2-D input (dense or sparse): precomputed features, not sequences."""
    if sp.issparse(X):
        return True
    if is_sequence_path(X):
        return False
    if isinstance(X, np.ndarray):
        return X.dtype.kind in "biufc" or (X.ndim == 2 and X.shape[1] != 1)
    if isinstance(X, (list, tuple)):
        return len(X) > 0 and not isinstance(X[0], (str, np.str_))
    if hasattr(X, "to_numpy"):  # pandas: a 1-column frame / series of str is sequences
        return _is_feature_matrix(np.asarray(X.to_numpy()))
    if hasattr(X, "__array__"):
        return _is_feature_matrix(np.asarray(X))
    return False


def _check_binary_labels(y, n_samples: int) -> np.ndarray:
    """Labels as a 1-D array of exactly two classes (sklearn's messages where its checks expect them)."""
    if y is None:
        raise ValueError("KmerSVM requires y to be passed, but the target y is None")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    n_classes = len(np.unique(y))
    if n_classes == 1:
        raise SingleClassError(f"training data hold only 1 class ({y[0]!r}); KmerSVM needs two")
    if n_classes > 2:
        raise ValueError(
            f"Only binary classification is supported. y holds {n_classes} classes; wrap KmerSVM "
            "in sklearn.multiclass.OneVsRestClassifier for more classes"
        )
    return check_training_labels(y, n_samples=n_samples)


@dataclass(eq=False, repr=False)
class KmerSVM(PlattClassifierMixin, ClassifierMixin, BaseEstimator):
    """Binary SVM on (canonical) k-mer spectrum features of DNA sequences.

    Parameters
    ----------
    k : int or (int, int), default=6
        k-mer length, or an inclusive range ``(k_min, k_max)`` whose spectra
        are stacked (e.g. ``(1, 6)``).
    canonical_kmers : bool, default=True
        Count a k-mer and its reverse complement as one feature (strand-agnostic).
    norm : {"l2", "l1", None}, default="l2"
        Row normalisation of the spectrum: "l2" unit length over all k (the
        normalised spectrum kernel), "l1" frequencies within each k, None raw
        counts.
    svm : {"svc", "linear"}, default="svc"
        ``"svc"``: :class:`sklearn.svm.SVC` with ``kernel`` (libsvm, dual
        solver; best below ~20,000 sequences).  ``"linear"``:
        :class:`sklearn.svm.LinearSVC` (liblinear; scales to large n, linear
        kernel only, ``kernel``/``gamma``/``degree``/``coef0`` are ignored).
    kernel : {"rbf", "linear", "poly", "sigmoid"}, default="rbf"
        Kernel of ``svm="svc"``.  On l2-normalised spectra the RBF kernel is
        ``exp(-2 * gamma * (1 - cos))``, a monotone transform of the normalised
        spectrum kernel; "linear" is the normalised spectrum kernel itself
        (kmer-SVM) and gives ``coef_`` k-mer weights.
    C : float, default=1.0
        Regularisation (larger = less).
    gamma : {"scale", "auto"} or float, default="scale"
        Kernel coefficient for "rbf", "poly", "sigmoid" (as ``SVC``).
    degree : int, default=3
        Degree of the "poly" kernel.
    coef0 : float, default=0.0
        Independent term of the "poly" and "sigmoid" kernels.
    class_weight : dict, "balanced" or None, default=None
        Per-class weights of ``C`` (as ``SVC``).
    probability : bool, default=True
        Fit Platt scaling for :meth:`predict_proba` (``probability_cv`` extra
        SVM fits); set False to save that time when only decision values or
        labels are needed.
    probability_cv : int, default=5
        Folds of the internal cross-validation that produces the out-of-fold
        decision values Platt scaling is fitted on.
    tol : float, default=1e-3
        Solver tolerance.
    max_iter : int, default=-1
        Solver iteration limit (-1: none for "svc", 1000 for "linear").
    random_state : int, RandomState or None, default=None
        Seeds the Platt cross-validation split and LinearSVC's coordinate order.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels; ``decision_function > 0`` means ``classes_[1]``.
    feature_names_ : ndarray of str
        The k-mer of each feature (when fitted on sequences).
    n_features_in_ : int
        Number of columns (only when fitted on a numeric feature matrix).
    coef_ : ndarray of shape (1, n_features)
        Feature weights (linear kernel and ``svm="linear"`` only): with
        ``feature_names_`` they rank the k-mers.
    intercept_ : ndarray of shape (1,)
        Offset of the decision function.
    support_vectors_ : sparse matrix, dual_coef_ : ndarray of shape (1, n_SV)
        Support vectors and their signed weights (non-linear kernels only).
    gamma_ : float
        The kernel coefficient used (``gamma`` resolved).
    platt_ : ndarray of shape (2,)
        Platt parameters ``(a, b)`` of ``expit(a * f + b)`` (when ``probability``).

    Notes
    -----
    ``X`` is sequences (list / 1-D array of str, or a FASTA path), or a numeric
    matrix of shape (n, n_features), dense or sparse, taken as features as they
    are (for example a precomputed ``KmerSpectrum`` output, to fit many ``C``
    values without recounting k-mers).

    Examples
    --------
    >>> from enhancer_sk.models.svm.kmer import KmerSVM
    >>> X = ["ACGTGCGCGCAT", "GCGCGCGCGGCA", "ATATATTATAAT", "TTATAATATATA"]
    >>> model = KmerSVM(k=2, probability=False).fit(X, ["enh", "enh", "bg", "bg"])
    >>> model.predict(["GCGCGCATGCGC"]).tolist()
    ['enh']
    """

    _parameter_constraints: ClassVar[dict] = {
        "k": "no_validation",  # an int or a (k_min, k_max) pair: checked by KmerSpectrum._ks
        "canonical_kmers": ["boolean"],
        "norm": [StrOptions({"l1", "l2"}), None],
        "svm": [StrOptions({"svc", "linear"})],
        "kernel": [StrOptions({"linear", "rbf", "poly", "sigmoid"})],
        "C": [Interval(numbers.Real, 0.0, None, closed="neither")],
        "gamma": [StrOptions({"scale", "auto"}), Interval(numbers.Real, 0.0, None, closed="neither")],
        "degree": [Interval(numbers.Integral, 0, None, closed="left")],
        "coef0": [Interval(numbers.Real, None, None, closed="neither")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "probability": ["boolean"],
        "probability_cv": [Interval(numbers.Integral, 2, None, closed="left")],
        "tol": [Interval(numbers.Real, 0.0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, -1, None, closed="left")],
        "random_state": ["random_state"],
    }

    k: object = 6
    canonical_kmers: bool = True
    norm: str | None = "l2"
    svm: str = "svc"
    kernel: str = "rbf"
    C: float = 1.0
    gamma: object = "scale"
    degree: int = 3
    coef0: float = 0.0
    class_weight: object = None
    probability: bool = True
    probability_cv: int = 5
    tol: float = 1e-3
    max_iter: int = -1
    random_state: object = None

    # -- features ------------------------------------------------------------------------
    def _spectrum(self) -> KmerSpectrum:
        return KmerSpectrum(k=self.k, canonical_kmers=self.canonical_kmers, norm=self.norm, dtype=np.float64)

    def _features(self, X, *, reset: bool):
        """Features of ``X``: k-mer spectrum of sequences, or a numeric matrix as given."""
        if reset:
            for name in ("n_features_in_", "feature_names_in_", "feature_names_"):
                self.__dict__.pop(name, None)
        if _is_feature_matrix(X):
            if reset:
                self.input_kind_ = "features"
                return validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=True)
            if self.input_kind_ == "features":
                return validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
            Xf = check_array(X, accept_sparse="csr", dtype=np.float64)
            if Xf.shape[1] != len(self.feature_names_):
                raise ValueError(
                    f"X has {Xf.shape[1]} features, but {type(self).__name__} was fitted on k-mer "
                    f"spectra with {len(self.feature_names_)} features; give sequences instead"
                )
            return Xf
        spectrum = self._spectrum()
        if reset:
            self.input_kind_ = "sequences"
            self.feature_names_ = spectrum.get_feature_names_out()
        elif self.input_kind_ == "features":
            raise ValueError(
                f"{type(self).__name__} was fitted on a numeric feature matrix; give the same kind "
                "of matrix, not sequences"
            )
        return spectrum.transform(X)

    # -- fitting ---------------------------------------------------------------------------
    def _resolve_gamma(self, X) -> float:
        if not isinstance(self.gamma, str):
            return float(self.gamma)
        n_features = X.shape[1]
        if self.gamma == "auto":
            return 1.0 / n_features
        if sp.issparse(X):
            var = X.multiply(X).mean() - X.mean() ** 2
        else:
            var = X.var()
        return 1.0 / (n_features * var) if var > 0 else 1.0

    def _make_svm(self, seed: int, precomputed: bool):
        if self.svm == "linear":
            return LinearSVC(
                C=self.C, class_weight=self.class_weight, tol=self.tol, dual="auto",
                max_iter=1000 if self.max_iter == -1 else self.max_iter, random_state=seed,
            )
        return SVC(
            kernel="precomputed" if precomputed else self.kernel, C=self.C, gamma=self.gamma_,
            degree=self.degree, coef0=self.coef0, class_weight=self.class_weight, tol=self.tol,
            max_iter=self.max_iter,
        )

    def _kernel(self, A, B=None) -> np.ndarray:
        return pairwise_kernels(
            A, B, metric=self.kernel, filter_params=True, gamma=self.gamma_, degree=self.degree,
            coef0=self.coef0,
        )

    def fit(self, X, y):
        """Fit on sequences (or a numeric feature matrix) ``X`` and binary labels ``y``.

        Parameters
        ----------
        X : list / 1-D array of str, FASTA path, or (n, n_features) numeric matrix
            Training sequences or precomputed features.
        y : array-like of shape (n,)
            Two distinct labels of any type.

        Returns
        -------
        self
        """
        validate_params(self)
        self._spectrum()._ks()  # checks the k range
        Xf = self._features(X, reset=True)
        y = _check_binary_labels(y, Xf.shape[0])
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        yi = encoder.transform(y)
        rng = check_random_state(self.random_state)
        svm_seed, cv_seed = (int(s) for s in rng.randint(0, 2**31 - 1, size=2))
        self.gamma_ = self._resolve_gamma(Xf)

        # libsvm evaluates sparse kernels slowly; a precomputed Gram matrix (one sparse
        # product) is faster and is reused by the Platt cross-validation.
        precomputed = self.svm == "svc" and Xf.shape[0] <= _MAX_GRAM_SAMPLES
        gram = self._kernel(Xf) if precomputed else None
        model = self._make_svm(svm_seed, precomputed).fit(gram if precomputed else Xf, yi)
        self._store_model(model, Xf)

        if self.probability:
            oof = self._out_of_fold_decision(Xf, gram, yi, svm_seed, cv_seed)
            self.platt_ = np.asarray(platt_scaling(oof, yi))
        return self

    def _store_model(self, model, Xf) -> None:
        """Keep the decision function as plain arrays (no solver object)."""
        for name in ("coef_", "support_vectors_", "dual_coef_"):
            self.__dict__.pop(name, None)
        self.intercept_ = np.asarray(model.intercept_, dtype=np.float64).reshape(1)
        self.n_iter_ = np.asarray(model.n_iter_).reshape(-1)
        if self.svm == "linear":
            self.coef_ = np.asarray(model.coef_, dtype=np.float64).reshape(1, -1)
            return
        sv = Xf[model.support_]
        dual = model.dual_coef_
        dual = np.asarray(dual.toarray() if sp.issparse(dual) else dual, dtype=np.float64)
        if self.kernel == "linear":
            coef = sv.T @ dual.ravel()
            self.coef_ = np.asarray(coef, dtype=np.float64).reshape(1, -1)
        else:
            self.support_vectors_ = sp.csr_matrix(sv) if sp.issparse(sv) else np.asarray(sv)
            self.dual_coef_ = dual

    def _out_of_fold_decision(self, Xf, gram, yi, svm_seed: int, cv_seed: int) -> np.ndarray:
        """Decision values of each training sample from a model that did not see it."""
        n_splits = min(self.probability_cv, int(np.bincount(yi).min()))
        if n_splits < 2:  # too few samples of a class to cross-validate: in-sample values
            return self._decision(Xf)
        oof = np.empty(len(yi), dtype=np.float64)
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=cv_seed)
        for train, test in splitter.split(np.zeros(len(yi)), yi):
            if gram is not None:
                model = self._make_svm(svm_seed, True).fit(gram[np.ix_(train, train)], yi[train])
                oof[test] = model.decision_function(gram[np.ix_(test, train)])
            else:
                model = self._make_svm(svm_seed, False).fit(Xf[train], yi[train])
                oof[test] = model.decision_function(Xf[test])
        return oof

    # -- prediction --------------------------------------------------------------------------
    def _decision(self, Xf) -> np.ndarray:
        if hasattr(self, "coef_"):
            out = Xf @ self.coef_.ravel()
        else:
            out = self.dual_coef_ @ self._kernel(self.support_vectors_, Xf)
        return np.asarray(out, dtype=np.float64).ravel() + self.intercept_[0]

    def decision_function(self, X) -> np.ndarray:
        """Signed distance to the margin; > 0 means ``classes_[1]``. Shape (n,)."""
        check_is_fitted(self)
        return self._decision(self._features(X, reset=False))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_class = False
        return tags
