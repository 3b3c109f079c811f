"""scikit-learn API checks for the sequence transformers.

``parametrize_with_checks`` cannot exercise estimators whose only input is DNA
strings: scikit-learn's generated data are numeric, so with the ``string``
input tag it skips every data check.  We therefore run (1) every scikit-learn
check that needs no data, by name, and (2) the data checks that matter
(idempotent fit, unchanged ``__dict__`` after transform, pickling in memory,
clone equivalence) on DNA strings.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from estimator_checks import DATA_FREE_CHECKS, run_data_free_check
from sklearn.base import clone

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.sequence.encoders import GCContent, KmerSpectrum, OneHotEncoder, SequenceLength, SequenceTokenizer

ESTIMATORS = [
    KmerSpectrum(),
    KmerSpectrum(k=(2, 4), canonical_kmers=True, norm="l2"),
    OneHotEncoder(length=50),
    OneHotEncoder(length=50, flatten=True),
    SequenceTokenizer(length=50),
    GCContent(),
    SequenceLength(),
]

#: the checks without data (estimator_checks.DATA_FREE_CHECKS) and, for the transformers, one more
TRANSFORMER_DATA_FREE_CHECKS = [*DATA_FREE_CHECKS, "check_n_features_in_after_fitting"]


def _dense(a):
    return a.toarray() if hasattr(a, "toarray") else np.asarray(a)


@pytest.fixture(scope="module")
def seqs():
    X, _ = make_synthetic_enhancers(30, (40, 60), random_state=0)
    return X


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
@pytest.mark.parametrize("check", TRANSFORMER_DATA_FREE_CHECKS)
def test_sklearn_data_free_checks(estimator, check):
    run_data_free_check(check, estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_string_data_checks(estimator, seqs):
    est = clone(estimator)
    first = _dense(est.fit(seqs).transform(seqs))
    state = {k: v for k, v in vars(est).items()}
    again = _dense(est.fit(seqs).transform(seqs))
    assert np.array_equal(first, again)  # idempotent fit
    est.transform(seqs)
    assert set(vars(est)) == set(state)  # transform does not change the estimator
    restored = pickle.loads(pickle.dumps(est))
    assert np.array_equal(_dense(restored.transform(seqs)), first)
    assert np.array_equal(_dense(clone(est).fit_transform(seqs)), first)
    assert est.n_features_in_ == 1
