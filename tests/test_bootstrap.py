"""Paired bootstrap intervals: NumPy scores equal scikit-learn's, reproducible, and differences resolved honestly."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, average_precision_score, matthews_corrcoef, roc_auc_score

from enhancer_sk.evaluation.bootstrap import BOOTSTRAP_METRICS, _scores, paired_bootstrap, stratified_resamples
from enhancer_sk.evaluation.comparison import compare_models
from enhancer_sk.evaluation.metrics import bootstrap_ci
from enhancer_sk.evaluation.report import comparison_report


@pytest.mark.parametrize("seed", range(30))
def test_numpy_scores_equal_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 400))
    y = np.r_[True, False, rng.random(n - 2) < 0.4]
    s = np.round(rng.random(n) + 0.3 * y, int(rng.integers(1, 4)))  # rounding makes ties
    expected = [roc_auc_score(y, s), average_precision_score(y, s), matthews_corrcoef(y, s > 0.5),
                accuracy_score(y, s > 0.5)]
    np.testing.assert_allclose(_scores(y, s, 0.5), expected, atol=1e-12)


def test_resamples_keep_class_sizes_and_are_reproducible():
    y = np.r_[np.zeros(30), np.ones(70)]
    a = list(stratified_resamples(y, 5, random_state=3))
    b = list(stratified_resamples(y, 5, random_state=3))
    assert all(np.array_equal(i, j) for i, j in zip(a, b))
    assert all(y[i].sum() == 70 for i in a)


def test_bootstrap_ci_unchanged_by_the_shared_resampler():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(50), np.ones(50)]
    s = y + rng.normal(0, 1, 100)
    # the resamples bootstrap_ci drew before it used stratified_resamples: the same seed, the same draws
    legacy_rng = np.random.default_rng(7)
    strata = [np.flatnonzero(y == c) for c in np.unique(y)]
    legacy = [roc_auc_score(y[i], s[i]) for i in
              (np.concatenate([legacy_rng.choice(st, len(st)) for st in strata]) for _ in range(200))]
    _, low, high = bootstrap_ci(y, s, n_resamples=200, random_state=7)
    assert (low, high) == tuple(np.quantile(legacy, [0.025, 0.975]))


def test_paired_differences():
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(300), np.ones(300)].astype(int)
    good = y + rng.normal(0, 0.6, 600)
    same = good + rng.normal(0, 1e-3, 600)  # the same model, up to noise
    weak = y + rng.normal(0, 3.0, 600)
    intervals, differences = paired_bootstrap(y, {"good": good, "same": same, "weak": weak},
                                              thresholds=0.5, n_resamples=300, random_state=0)
    assert len(intervals) == 3 * len(BOOTSTRAP_METRICS)
    assert all(r["low"] <= r["score"] <= r["high"] for r in intervals)
    by = {(r["model_a"], r["model_b"], r["metric"]): r for r in differences}
    assert not by["good", "same", "AUC"]["resolvable"]
    assert by["good", "weak", "AUC"]["resolvable"] and by["good", "weak", "AUC"]["difference"] > 0
    again = paired_bootstrap(y, {"good": good, "same": same, "weak": weak}, n_resamples=300, random_state=0)
    assert again == (intervals, differences)


def test_model_comparison_reports_intervals(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] + rng.normal(scale=0.7, size=120) > 0).astype(int)
    result = compare_models({"logreg": LogisticRegression(), "noise": LogisticRegression()},
                            np.c_[X[:, :1], X[:, 1:]], y, cv=3)
    intervals, differences = result.bootstrap()
    assert {r["model"] for r in intervals} == {"logreg", "noise"} and len(differences) == len(BOOTSTRAP_METRICS)
    assert result.bootstrap() is result.bootstrap()  # computed once
    paths = result.write(tmp_path)
    assert paths["intervals"].read_text().startswith("model\tmetric\tscore\tlow\thigh")
    assert "resolvable" in paths["differences"].read_text()
    html = comparison_report(result).to_html()
    assert "95% bootstrap intervals" in html and "Paired bootstrap" in html
    assert "[" in result.interval_text()
