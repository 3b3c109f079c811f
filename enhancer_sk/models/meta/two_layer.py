"""Two-layer enhancer prediction (iEnhancer-2L style): enhancer or not, then strong or weak.

:class:`TwoLayerEnhancerClassifier` wraps two binary classifiers of the project
(any scikit-learn binary classifier, a ``Pipeline`` included):

* layer 1 is fitted on every sequence, enhancer (weak or strong) vs non-enhancer;
* layer 2 is fitted on the enhancers only, strong vs weak.

It is fitted with one 3-class label vector and predicts the three labels: layer 2
decides only where layer 1 says "enhancer".  The three label values are
parameters (default ``"non"``, ``"weak"``, ``"strong"``).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _num_samples, check_is_fitted, column_or_1d

from ..._validation import did_you_mean, validate_params
from ...exceptions import SingleClassError
from ...sequence.codes import as_sequences, is_sequence_path

__all__ = ["TwoLayerEnhancerClassifier"]


def _positive_column(estimator) -> int:
    """Column of label 1 in ``estimator.predict_proba`` (layers are fitted on 0/1 targets)."""
    return int(np.flatnonzero(np.asarray(estimator.classes_) == 1)[0])


@dataclass(eq=False, repr=False)
class TwoLayerEnhancerClassifier(ClassifierMixin, BaseEstimator):
    """Enhancer / non-enhancer, then strong / weak, with two binary classifiers.

    Parameters
    ----------
    layer1 : estimator
        Binary classifier for enhancer (1) vs non-enhancer (0); cloned in ``fit``.
    layer2 : estimator or None, default=None
        Binary classifier for strong (1) vs weak (0) enhancers; None: a clone
        of ``layer1``.
    non_label, weak_label, strong_label : default "non", "weak", "strong"
        The three values of ``y``.

    Attributes
    ----------
    layer1_, layer2_ : fitted estimators
    classes_ : ndarray
        The three labels, sorted (the column order of :meth:`predict_proba`).

    Notes
    -----
    :meth:`predict` follows the two layers' own decisions (layer 1's ``predict``,
    then layer 2's ``predict`` on the sequences called enhancers), as the
    two-layer papers do.  :meth:`predict_proba` combines the probabilities:
    ``P(non) = 1 - p1``, ``P(weak) = p1 (1 - p2)``, ``P(strong) = p1 p2`` with
    ``p1 = P(enhancer)`` and ``p2 = P(strong | enhancer)``;
    :meth:`predict_layer_proba` gives ``p1`` and ``p2`` themselves.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from enhancer_sk.sequence.encoders import KmerSpectrum
    >>> clf = TwoLayerEnhancerClassifier(make_pipeline(KmerSpectrum(k=3), LogisticRegression()))
    >>> X = ["ACGTGCGCGA" * 3, "ATATATTTAA" * 3, "GCGCGCGCGG" * 3, "AATTAATTAT" * 3] * 3
    >>> y = ["weak", "non", "strong", "non"] * 3
    >>> clf.fit(X, y).predict(X[:4]).tolist()
    ['weak', 'non', 'strong', 'non']
    """

    # the three labels may be any values; that they differ is checked in fit
    _parameter_constraints: ClassVar[dict] = {
        "layer1": [HasMethods(["fit", "predict", "predict_proba"])],
        "layer2": [HasMethods(["fit", "predict", "predict_proba"]), None],
    }

    layer1: object
    layer2: object = None
    _: KW_ONLY
    non_label: object = "non"
    weak_label: object = "weak"
    strong_label: object = "strong"

    # -- helpers ------------------------------------------------------------------------
    @property
    def _labels(self) -> tuple:
        return self.non_label, self.weak_label, self.strong_label

    @staticmethod
    def _as_indexable(X):
        """FASTA paths become sequence arrays so that rows can be selected."""
        if is_sequence_path(X):
            return as_sequences(X)
        if isinstance(X, (list, tuple)):
            return np.asarray(X, dtype=object) if X and isinstance(X[0], str) else np.asarray(X)
        return X

    def _check_y(self, y, n_samples: int) -> np.ndarray:
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        y = column_or_1d(y, warn=True)
        if type_of_target(y) == "continuous":
            raise ValueError("Unknown label type: continuous; y must hold the three class labels")
        if len(y) != n_samples:
            raise ValueError(f"{n_samples} sequences but {len(y)} labels")
        labels = self._labels
        if len(set(labels)) != 3:
            raise ValueError(f"non_label, weak_label and strong_label must differ, got {labels}")
        known = np.isin(y, np.asarray(labels, dtype=object))
        if not known.all():
            bad = y[~known][0]
            hint = did_you_mean(bad, labels)
            raise ValueError(
                f"unknown label {bad!r}: y must hold the labels non_label={labels[0]!r}, "
                f"weak_label={labels[1]!r}, strong_label={labels[2]!r}{hint}"
            )
        return y

    def _check_all_classes(self, y) -> None:
        missing = [v for v in self._labels if not np.any(y == v)]
        if missing:
            raise SingleClassError(f"two-layer training needs all three classes (non, weak, strong); missing {missing}")

    # -- construction from fitted layers -----------------------------------------------------
    @classmethod
    def from_fitted(cls, layer1, layer2, *, classes=("non", "weak", "strong")) -> TwoLayerEnhancerClassifier:
        """A fitted two-layer model from two binary classifiers fitted elsewhere (e.g. published weights).

        Parameters
        ----------
        layer1 : fitted estimator
            Enhancer (1) vs non-enhancer (0); ``classes_`` must hold 0 and 1.
        layer2 : fitted estimator
            Strong (1) vs weak (0) enhancer; ``classes_`` must hold 0 and 1.
        classes : tuple of 3 labels, default ("non", "weak", "strong")
            ``non_label``, ``weak_label`` and ``strong_label``.

        Returns
        -------
        TwoLayerEnhancerClassifier
            Fitted: ``layer1_`` and ``layer2_`` are the given estimators
            themselves (not copies); the parameters ``layer1`` and ``layer2``
            are unfitted clones of them (what :meth:`fit` would refit).
        """
        for name, est in (("layer1", layer1), ("layer2", layer2)):
            check_is_fitted(est)
            if sorted(np.asarray(est.classes_).tolist()) != [0, 1]:
                raise ValueError(f"{name} must be a binary classifier fitted on 0/1 targets, got classes_ "
                                 f"{np.asarray(est.classes_).tolist()}")
        non, weak, strong = classes
        if len({non, weak, strong}) != 3:
            raise ValueError(f"the three classes must differ, got {tuple(classes)}")
        model = cls(clone(layer1), clone(layer2), non_label=non, weak_label=weak, strong_label=strong)
        model.layer1_, model.layer2_ = layer1, layer2
        model.classes_ = np.unique(np.asarray([non, weak, strong]))
        if hasattr(layer1, "n_features_in_"):
            model.n_features_in_ = layer1.n_features_in_
        return model

    # -- fit / predict --------------------------------------------------------------------
    def fit(self, X, y):
        """Fit layer 1 on all sequences and layer 2 on the enhancers.

        Parameters
        ----------
        X : sequences (list / array of str, FASTA path) or any array the layers accept
        y : array-like of shape (n,)
            Values among ``non_label``, ``weak_label``, ``strong_label``.

        Returns
        -------
        self
        """
        validate_params(self)
        X = self._as_indexable(X)
        y = self._check_y(y, _num_samples(X))
        enhancer = y != self.non_label
        if enhancer.all() or not enhancer.any():
            self._check_all_classes(y)
        # layer 1 first: it validates X (NaN, sparse, empty ...) with its own messages
        self.layer1_ = clone(self.layer1).fit(X, enhancer.astype(np.int64))
        self._check_all_classes(y)
        idx = np.flatnonzero(enhancer)
        layer2 = self.layer1 if self.layer2 is None else self.layer2
        self.layer2_ = clone(layer2).fit(_safe_indexing(X, idx), (y[idx] == self.strong_label).astype(np.int64))
        self.classes_ = np.unique(np.asarray(self._labels, dtype=y.dtype))
        if hasattr(self.layer1_, "n_features_in_"):
            self.n_features_in_ = self.layer1_.n_features_in_
        return self

    def predict_layer_proba(self, X) -> np.ndarray:
        """Both layers' probabilities, shape (n, 2).

        Column 0: layer 1, P(enhancer); column 1: layer 2, P(strong | enhancer)
        (computed for every sequence, whatever layer 1 says).
        """
        check_is_fitted(self, "layer1_")
        X = self._as_indexable(X)
        p1 = self.layer1_.predict_proba(X)[:, _positive_column(self.layer1_)]
        p2 = self.layer2_.predict_proba(X)[:, _positive_column(self.layer2_)]
        return np.column_stack([p1, p2])

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of the three classes in ``classes_`` order, shape (n, 3)."""
        layers = self.predict_layer_proba(X)
        p1, p2 = layers[:, 0], layers[:, 1]
        by_label = {self.non_label: 1.0 - p1, self.weak_label: p1 * (1.0 - p2), self.strong_label: p1 * p2}
        return np.column_stack([by_label[c] for c in self.classes_.tolist()])

    def predict(self, X) -> np.ndarray:
        """Labels: ``non_label`` where layer 1 says non-enhancer, else layer 2's strong / weak."""
        check_is_fitted(self, "layer1_")
        X = self._as_indexable(X)
        out = np.empty(_num_samples(X), dtype=self.classes_.dtype)
        out[:] = self.non_label
        enhancer = np.flatnonzero(np.asarray(self.layer1_.predict(X)) == 1)
        if len(enhancer):
            strong = np.asarray(self.layer2_.predict(_safe_indexing(X, enhancer))) == 1
            out[enhancer] = np.where(strong, self.strong_label, self.weak_label)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            from sklearn.utils import get_tags

            inner = get_tags(self.layer1)
            tags.input_tags.string = inner.input_tags.string
            tags.input_tags.two_d_array = inner.input_tags.two_d_array
            tags.input_tags.sparse = inner.input_tags.sparse
            tags.non_deterministic = inner.non_deterministic
        except (TypeError, AttributeError):  # pragma: no cover - estimators without tags
            pass
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.poor_score = True
        return tags
