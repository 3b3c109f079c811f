"""Tests of the GkmSVM classifier: scikit-learn API, decision values, labels, input forms."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from estimator_checks import DATA_FREE_CHECKS, run_data_free_check
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import parametrize_with_checks
from tiny import tiny_gkm

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.exceptions import SingleClassError
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.models.svm._gkm_kernel import GkmKernel
from enhancer_sk.models.svm._platt import platt_scaling
from enhancer_sk.models.svm.gkm import GkmSVM


@pytest.fixture(scope="module")
def synthetic():
    X, y = make_synthetic_enhancers(n_samples=200, length=80, random_state=0)
    return X, y


# ----------------------------------------------------------------------------- scikit-learn checks


def _expected_failed_checks(estimator) -> dict[str, str]:
    # With the ``string`` input tag scikit-learn generates no data for the data
    # checks and skips them; nothing is expected to fail.  The data checks that
    # matter are run on DNA strings below (test_string_data_checks).
    return {}


@parametrize_with_checks([tiny_gkm()], expected_failed_checks=_expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("check", DATA_FREE_CHECKS)
def test_sklearn_data_free_checks(check):
    run_data_free_check(check, tiny_gkm())


def test_string_data_checks(synthetic):
    X, y = synthetic
    est = tiny_gkm(probability=True, random_state=0)
    with pytest.raises(NotFittedError):
        est.decision_function(X)
    first = est.fit(X, y).decision_function(X)
    proba = est.predict_proba(X)
    state = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(est).items()}
    again = est.fit(X, y).decision_function(X)
    np.testing.assert_array_equal(first, again)  # idempotent, deterministic fit
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    est.predict(X)
    assert set(vars(est)) == set(state)  # predicting does not change the estimator
    for key, value in state.items():
        np.testing.assert_array_equal(vars(est)[key], value)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).decision_function(X), first)
    np.testing.assert_array_equal(clone(est).fit(X, y).decision_function(X), first)
    assert est.n_features_in_ == 1
    assert set(est.predict(X)) <= set(est.classes_)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(proba), est.predict_log_proba(X))
    # probabilities rank as the decision values (sigmoid slope is positive)
    assert est.platt_[0] > 0
    np.testing.assert_array_equal(np.argsort(proba[:, 1], kind="stable"), np.argsort(first, kind="stable"))


def test_no_predict_proba_without_probability(synthetic):
    X, y = synthetic
    est = tiny_gkm().fit(X, y)
    assert not hasattr(est, "predict_proba")
    assert hasattr(GkmSVM(probability=True), "predict_proba")


# ----------------------------------------------------------------------------- decision values


@pytest.mark.parametrize("kernel", ["gkm", "gkm_esttrunc"])
@pytest.mark.parametrize("rc", [True, False])
def test_table_decision_equals_svc_on_kernel_rows(synthetic, kernel, rc):
    X, y = synthetic
    params = {"l": 6, "k": 4, "d": 2, "kernel": kernel, "canonical_kmers": rc}
    est = GkmSVM(C=0.5, **params).fit(X[:150], y[:150])
    svc = SVC(kernel="precomputed", C=0.5).fit(GkmKernel(**params).gram(X[:150]), y[:150])
    expected = svc.decision_function(GkmKernel(**params).gram(X[150:], X[:150]))
    np.testing.assert_allclose(est.decision_function(X[150:]), expected, atol=1e-9)
    np.testing.assert_array_equal(est.predict(X[150:]), svc.predict(GkmKernel(**params).gram(X[150:], X[:150])))


def test_build_table_restores_the_table(synthetic):
    X, y = synthetic
    est = tiny_gkm().fit(X, y)
    table = est.table_.copy()
    del est.table_
    np.testing.assert_array_equal(est.build_table(), table)


def test_class_weight_and_sample_weight(synthetic):
    X, y = synthetic
    labels = np.where(y == 1, "enh", "bg")
    plain = tiny_gkm().fit(X, labels).decision_function(X)
    weighted = tiny_gkm(class_weight={"enh": 5.0}).fit(X, labels)
    svc = SVC(kernel="precomputed", class_weight={1: 5.0}).fit(GkmKernel(l=6, k=4, d=2).gram(X), labels == "enh")
    np.testing.assert_allclose(weighted.decision_function(X), svc.decision_function(GkmKernel(l=6, k=4, d=2).gram(X)))
    assert not np.allclose(weighted.decision_function(X), plain)
    sw = tiny_gkm().fit(X, labels, sample_weight=np.where(labels == "enh", 5.0, 1.0))
    np.testing.assert_allclose(sw.decision_function(X), weighted.decision_function(X), atol=1e-6)


def test_platt_scaling_fits_a_known_sigmoid():
    rng = np.random.default_rng(0)
    f = rng.normal(size=4000) * 3
    target = rng.random(4000) < 1 / (1 + np.exp(-2.0 * f + 0.5))
    a, b = platt_scaling(f, target)
    assert a == pytest.approx(2.0, abs=0.2)
    assert b == pytest.approx(-0.5, abs=0.2)


# ----------------------------------------------------------------------------- labels and inputs


@pytest.mark.parametrize(
    "labels",
    [np.array(["weak", "strong"]), np.array([-1, 1]), np.array([3.5, 7.0]), np.array([True, False])],
    ids=["str", "pm1", "float", "bool"],
)
def test_arbitrary_binary_labels(synthetic, labels):
    X, y = synthetic
    ly = labels[y]
    est = tiny_gkm().fit(X, ly)
    np.testing.assert_array_equal(est.classes_, np.unique(ly))
    decision = est.decision_function(X)
    np.testing.assert_array_equal(est.predict(X), est.classes_[(decision > 0).astype(int)])
    reference = tiny_gkm().fit(X, y).decision_function(X)
    sign = 1.0 if np.unique(ly)[1] == labels[1] else -1.0
    # swapping the classes swaps libsvm's roles: same solution up to the solver tolerance
    np.testing.assert_allclose(decision, sign * reference, atol=5e-3)


def test_fasta_input_equals_strings(tmp_path, synthetic):
    X, y = synthetic
    path = tmp_path / "train.fa"
    write_fasta(path, [f"s{i}" for i in range(len(X))], X)
    from_file = tiny_gkm().fit(path, y)
    from_list = tiny_gkm().fit(list(X), y)
    lower = [s.lower() for s in X]
    np.testing.assert_array_equal(from_file.decision_function(path), from_list.decision_function(lower))


def test_errors(synthetic):
    X, y = synthetic
    with pytest.raises(SingleClassError):
        tiny_gkm().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="binary"):
        tiny_gkm().fit(X, np.arange(len(X)) % 3)
    with pytest.raises(ValueError, match="k must be"):
        GkmSVM(l=5, k=6).fit(X, y)
    with pytest.raises(ValueError, match="kernel must be"):
        GkmSVM(kernel="linear").fit(X, y)
    with pytest.raises(ValueError, match="'C' parameter of GkmSVM must be"):
        tiny_gkm(C=0).fit(X, y)


# ----------------------------------------------------------------------------- model selection


def test_grid_search_and_cross_val_score(synthetic):
    X, y = synthetic
    grid = GridSearchCV(
        GkmSVM(threads=1),
        {"l": [5, 6], "k": [3], "d": [1, 2], "kernel": ["gkm", "gkm_esttrunc"], "C": [1.0]},
        cv=3,
        scoring="roc_auc",
    ).fit(X, y)
    assert set(grid.best_params_) == {"l", "k", "d", "kernel", "C"}
    assert grid.best_score_ > 0.75  # planted motifs make the data learnable
    scores = cross_val_score(tiny_gkm(), X, y, cv=3, scoring="roc_auc")
    assert scores.shape == (3,)
    assert scores.mean() > 0.75
