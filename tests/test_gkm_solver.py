"""GkmSVM's two solvers: the SMO on the float32 kernel triangle gives the dense path's model."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from tiny import tiny_gkm

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.model_files import load, save
from enhancer_sk.models.svm import _gkm_kernel
from enhancer_sk.models.svm._gkm_kernel import (
    GkmKernel,
    _as_windows,
    _effective_weights,
    _gram_triangle,
    _normalised_products,
    _self_norms,
)
from enhancer_sk.models.svm.gkm import GkmSVM

TIGHT = 1e-8  # both solvers converge to the optimum, so their models agree far below 1e-6


@pytest.fixture(scope="module")
def data():
    X, y = make_synthetic_enhancers(n_samples=300, length=80, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def unbalanced(data):
    X, y = data
    keep = np.flatnonzero((y == 0) | (np.arange(len(y)) % 4 == 0))  # about 1 positive for 4 negatives
    return X[keep], np.where(y[keep] == 1, "enhancer", "background")


def _assert_same_model(dense: GkmSVM, smo: GkmSVM, X) -> None:
    assert dense.solver_ == "dense"
    assert smo.solver_ == "smo"
    np.testing.assert_array_equal(smo.support_, dense.support_)
    np.testing.assert_array_equal(smo.support_sequences_, dense.support_sequences_)
    assert abs(smo.intercept_ - dense.intercept_) < 1e-6
    np.testing.assert_allclose(smo.dual_coef_, dense.dual_coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(smo.support_norms_, dense.support_norms_, rtol=1e-12)
    np.testing.assert_allclose(smo.decision_function(X), dense.decision_function(X), rtol=0, atol=1e-6)


def _both(X, y, sample_weight=None, **params):
    dense = tiny_gkm(solver="dense", tol=TIGHT, **params).fit(X, y, sample_weight=sample_weight)
    smo = tiny_gkm(solver="smo", tol=TIGHT, **params).fit(X, y, sample_weight=sample_weight)
    return dense, smo


# ----------------------------------------------------------------------------- same model


@pytest.mark.parametrize(
    "params",
    [
        {"C": 1.0},
        {"C": 0.1},
        {"C": 10.0, "shrinking": False},
        {"C": 1.0, "cache_size": 1e-3},  # a two-row cache: rows are gathered again and again
    ],
    ids=["C1", "C0.1", "C10-noshrink", "tiny-cache"],
)
def test_smo_equals_dense_balanced(data, params):
    X, y = data
    dense, smo = _both(X, y, **params)
    _assert_same_model(dense, smo, X)


@pytest.mark.parametrize(
    "params",
    [{}, {"class_weight": "balanced"}, {"class_weight": {"enhancer": 3.0}, "C": 0.5}],
    ids=["plain", "balanced", "dict"],
)
def test_smo_equals_dense_unbalanced(unbalanced, params):
    X, y = unbalanced
    dense, smo = _both(X, y, **params)
    _assert_same_model(dense, smo, X)


def test_sample_weight_with_zeros(data):
    """Weights <= 0 leave samples out in both paths (and the dense path's support_ names the right rows)."""
    X, y = data
    weights = np.random.default_rng(0).uniform(0.2, 2.0, len(y))
    weights[::7] = 0.0
    weights[3] = -1.0
    dense, smo = _both(X, y, sample_weight=weights, class_weight={1: 2.0})
    _assert_same_model(dense, smo, X)
    assert not set(dense.support_) & set(np.flatnonzero(weights <= 0))
    kept = weights > 0
    subset = tiny_gkm(solver="dense", tol=TIGHT, class_weight={1: 2.0}).fit(X[kept], y[kept], weights[kept])
    np.testing.assert_allclose(dense.decision_function(X), subset.decision_function(X), atol=1e-9)
    with pytest.raises(ValueError, match="without a sample of positive weight"):
        tiny_gkm(solver="smo").fit(X, y, sample_weight=np.where(y == 1, 0.0, 1.0))


def test_probability(unbalanced):
    X, y = unbalanced
    dense, smo = _both(X, y, probability=True, random_state=0)
    _assert_same_model(dense, smo, X)
    np.testing.assert_allclose(smo.platt_, dense.platt_, atol=1e-6)
    np.testing.assert_allclose(smo.predict_proba(X), dense.predict_proba(X), atol=1e-6)


# ----------------------------------------------------------------------------- kernel pieces


def test_triangle_in_strips_equals_the_gram_matrix(monkeypatch):
    """Many strips of a few rows (tiny blocks) give the Gram matrix's upper triangle, rounded to float32."""
    monkeypatch.setattr(_gkm_kernel, "_BLOCK", 4)
    X, _ = make_synthetic_enhancers(n_samples=41, length=30, random_state=1)
    X[5] = "ACG"  # shorter than l: a zero row
    for rc in (True, False):
        kernel = GkmKernel(l=5, k=3, d=2, canonical_kmers=rc, threads=1)
        gram = kernel.gram(X)
        w = _as_windows(X, 5)
        tri, norms = _gram_triangle(w, kernel.weights, 5, rc, strip_bytes=1)  # strips of one block
        np.testing.assert_array_equal(tri, gram[np.triu_indices(len(X))].astype(np.float32))
        np.testing.assert_allclose(norms**2, kernel.self_kernel(X))


def test_normalised_products_equal_gram_products():
    X, _ = make_synthetic_enhancers(n_samples=30, length=40, random_state=2)
    kernel = GkmKernel(l=6, k=4, d=2)
    gram = kernel.gram(X)
    w = _as_windows(X, 6)
    norms = _self_norms(w, kernel.weights, 6, True)
    cols, rows = np.array([3, 7, 8, 20]), np.array([0, 7, 29])
    coef = np.array([0.5, -1.0, 2.0, 0.25])
    got = _normalised_products(w, norms, _effective_weights(6, 4, 2, "gkm_esttrunc"), 6, True, cols, coef, rows)
    np.testing.assert_allclose(got, gram[np.ix_(rows, cols)] @ coef, atol=1e-12)


# ----------------------------------------------------------------------------- parameters


def test_memory_budget_selects_the_solver(data):
    X, y = data
    X, y = X[:100], y[:100]
    gram_mb = 8 * 100**2 / 2**20  # the float64 Gram matrix of 100 sequences
    assert tiny_gkm(max_gram_memory=gram_mb).fit(X, y).solver_ == "dense"
    assert tiny_gkm(max_gram_memory=gram_mb * 0.99).fit(X, y).solver_ == "smo"
    assert tiny_gkm().fit(X, y).solver_ == "dense"  # the default budget (4 GB) holds n <= 23,170
    assert tiny_gkm(solver="smo", max_gram_memory=1e6).fit(X, y).solver_ == "smo"
    assert tiny_gkm(solver="dense", max_gram_memory=1e-6).fit(X, y).solver_ == "dense"
    with pytest.raises(ValueError, match="solver must be one of"):
        tiny_gkm(solver="libsvm").fit(X, y)
    with pytest.raises(ValueError, match="max_gram_memory"):
        tiny_gkm(max_gram_memory=0).fit(X, y)


def test_clone_and_get_params():
    est = GkmSVM(solver="smo", max_gram_memory=123.0)
    params = est.get_params()
    assert params["solver"] == "smo"
    assert params["max_gram_memory"] == 123.0
    assert GkmSVM().get_params()["solver"] == "auto"
    twin = clone(est)
    assert twin.get_params() == params
    assert twin.set_params(solver="dense").solver == "dense"


def test_smo_model_saves_loads_and_exports(tmp_path, data):
    X, y = data
    model = tiny_gkm(solver="smo", probability=True, random_state=0).fit(X, y)
    save(model, tmp_path / "smo.eskm")
    back = load(tmp_path / "smo.eskm")
    assert back.get_params() == model.get_params()
    assert back.solver_ == "smo"
    np.testing.assert_array_equal(back.decision_function(X), model.decision_function(X))
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    model.to_lsgkm(tmp_path / "smo.model.txt")
    np.testing.assert_allclose(
        GkmSVM.from_lsgkm(tmp_path / "smo.model.txt").decision_function(X), model.decision_function(X), atol=1e-12
    )
