"""Seed ensembles: one classifier trained from several random initialisations, averaged.

A neural network's test score depends on its random initialisation and batch
order.  :class:`SeedEnsembleClassifier` trains ``n_estimators`` clones of one
classifier that differ only in their ``random_state`` and averages their
``predict_proba``.  ``benchmarks/ienhancer2l.py`` measures what it gains on
iEnhancer-2L (README).
"""

from __future__ import annotations

import numbers
import sys

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from ..._validation import validate_params
from ...sequence.codes import as_sequences, is_sequence_path

__all__ = ["SeedEnsembleClassifier", "mean_probability"]

#: largest member seed (numpy seeds must stay below 2**32)
_MAX_SEED = 2**31 - 1


def _seed_params(estimator) -> list[str]:
    """Names of the ``random_state`` parameters of ``estimator`` (nested ones included).

    Parameters inside an ``init_from`` model (the fitted network whose weights
    a member starts from) are the source's, not the member's: left alone.
    """
    names = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
    return sorted(k for k in names if (k == "random_state" or k.endswith("__random_state"))
                  and not (k.startswith("init_from__") or "__init_from__" in k))


def mean_probability(probas) -> np.ndarray:
    """Mean of the members' probabilities, summed in member order in float64.

    The one averaging rule of :class:`SeedEnsembleClassifier` (and of the
    benchmark that reuses single-network fits as an ensemble).
    """
    total, n = None, 0
    for p in probas:
        p = np.asarray(p, dtype=np.float64)
        total, n = (p if total is None else total + p), n + 1
    if total is None:
        raise ValueError("no probabilities to average")
    return total / n


def _read_once(X):
    """A FASTA path becomes its sequences, so that the members do not each read the file."""
    return as_sequences(X) if is_sequence_path(X) else X


class SeedEnsembleClassifier(ClassifierMixin, BaseEstimator):
    """Average of one classifier trained with several random seeds.

    Parameters
    ----------
    estimator : classifier
        Any classifier with ``predict_proba`` and a ``random_state`` parameter
        (a ``Pipeline`` whose steps have one included); cloned in ``fit``.
    n_estimators : int, default=3
        Number of members.
    random_state : int, RandomState or None, default=None
        Member ``i`` is trained with ``random_state = base + i`` (set on every
        ``random_state`` parameter of the estimator, nested ones included).
        ``base`` is ``random_state`` when it is an int; when it is None, the
        estimator's own ``random_state`` if that is an int (so
        ``SeedEnsembleClassifier(net.set_params(random_state=0), 3)`` averages the
        nets of seeds 0, 1 and 2), else a draw from NumPy's global generator; a
        ``RandomState`` draws it.
    verbose : int, default=1
        Above 0, print a line before each member is trained.

    Attributes
    ----------
    estimators_ : list of fitted estimators
        The members, in seed order.
    seeds_ : list of int
        Their ``random_state``.
    classes_ : ndarray
        Class labels (the columns of :meth:`predict_proba`).

    Notes
    -----
    :meth:`predict_proba` is the mean of the members' probabilities,
    :meth:`predict` its arg-max (ties go to the first class) and, for two classes,
    :meth:`decision_function` its log-odds ``log(p / (1 - p))`` with ``p``
    the mean probability of ``classes_[1]`` (so its sign agrees with
    :meth:`predict`).  Training costs ``n_estimators`` times one fit.

    Examples
    --------
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from enhancer_sk.sequence.encoders import KmerSpectrum
    >>> member = make_pipeline(KmerSpectrum(k=2), SGDClassifier(loss="log_loss", random_state=0))
    >>> X = ["ACGTGCGCGA" * 3, "ATATATTTAA" * 3, "GCGCGCGCGG" * 3, "AATTAATTAT" * 3] * 3
    >>> y = ["enhancer", "non", "enhancer", "non"] * 3
    >>> clf = SeedEnsembleClassifier(member, n_estimators=3, verbose=0).fit(X, y)
    >>> clf.seeds_
    [0, 1, 2]
    >>> clf.predict(X[:4]).tolist()
    ['enhancer', 'non', 'enhancer', 'non']
    """

    # random_state: checked in fit with n_estimators (the members' seeds base .. base + n - 1 must be valid)
    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "get_params"])],
        "n_estimators": [Interval(numbers.Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(self, estimator, n_estimators: int = 3, *, random_state=None, verbose: int = 1):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.random_state = random_state
        self.verbose = verbose

    def _base_seed(self, names: list[str]) -> int:
        rs = self.random_state
        if rs is None:
            params = self.estimator.get_params(deep=True)
            own = [params[k] for k in names if isinstance(params[k], numbers.Integral)]
            if own:
                return int(own[0])
        if isinstance(rs, numbers.Integral) and not isinstance(rs, bool):
            return int(rs)
        return int(check_random_state(rs).randint(0, _MAX_SEED - self.n_estimators))

    def fit(self, X, y, **fit_params):
        """Train ``n_estimators`` clones of ``estimator``, seeds ``base``, ``base + 1`` ...

        Parameters
        ----------
        X : sequences (list / array of str, FASTA path) or any input the estimator accepts
        y : array-like of shape (n,)
            Class labels.
        **fit_params
            Passed to every member's ``fit``.

        Returns
        -------
        self
        """
        validate_params(self)
        n = self.n_estimators
        if not hasattr(self.estimator, "predict_proba"):
            raise TypeError(
                f"SeedEnsembleClassifier averages probabilities: {type(self.estimator).__name__} has no predict_proba"
            )
        names = _seed_params(self.estimator)
        if not names:
            raise ValueError(
                f"{type(self.estimator).__name__} has no random_state parameter: its members would all be the same"
            )
        base = self._base_seed(names)
        if not 0 <= base <= _MAX_SEED - n:
            raise ValueError(f"random_state must be between 0 and {_MAX_SEED - n} (seeds base .. base + {n - 1})")
        self.seeds_ = [base + i for i in range(n)]
        X = _read_once(X)
        self.estimators_ = []
        for i, seed in enumerate(self.seeds_):
            if self.verbose > 0:
                print(f"[SeedEnsembleClassifier] member {i + 1}/{n}, random_state={seed}", file=sys.stdout, flush=True)
            member = clone(self.estimator).set_params(**dict.fromkeys(names, seed))
            self.estimators_.append(member.fit(X, y, **fit_params))
        self.classes_ = np.asarray(self.estimators_[0].classes_)
        for member in self.estimators_[1:]:  # same y, so only a broken estimator differs
            if not np.array_equal(np.asarray(member.classes_), self.classes_):
                raise ValueError(f"members disagree on classes_: {self.classes_} and {member.classes_}")
        if hasattr(self.estimators_[0], "n_features_in_"):
            self.n_features_in_ = self.estimators_[0].n_features_in_
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Mean of the members' ``predict_proba``, shape (n, n_classes)."""
        check_is_fitted(self, "estimators_")
        X = _read_once(X)
        return mean_probability(member.predict_proba(X) for member in self.estimators_)

    def predict(self, X) -> np.ndarray:
        """Class of highest mean probability."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of the mean probability of ``classes_[1]`` (two classes), shape (n,).

        With more classes: the log of the mean probabilities, shape (n, n_classes).
        """
        proba = np.clip(self.predict_proba(X), 1e-15, 1.0 - 1e-15)
        if proba.shape[1] == 2:
            return np.log(proba[:, 1]) - np.log(proba[:, 0])
        return np.log(proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            from sklearn.utils import get_tags

            inner = get_tags(self.estimator)
            tags.input_tags = inner.input_tags
            tags.non_deterministic = inner.non_deterministic
            tags.classifier_tags.poor_score = inner.classifier_tags.poor_score if inner.classifier_tags else False
        except (TypeError, AttributeError):  # pragma: no cover - estimators without tags
            pass
        return tags
