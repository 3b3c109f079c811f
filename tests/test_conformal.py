"""Conformal p-values, prediction sets, Benjamini-Hochberg and the ConformalClassifier wrapper."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import false_discovery_control
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.evaluation.conformal import (
    ConformalClassifier,
    benjamini_hochberg,
    conformal_fdr_threshold,
    conformal_prediction_sets,
    conformal_pvalues,
    mondrian_pvalues,
)
from enhancer_sk.sequence.encoders import KmerSpectrum


def _kmer_logreg(C=1.0):
    return make_pipeline(KmerSpectrum(k=3), LogisticRegression(C=C, max_iter=500))


@pytest.fixture(scope="module")
def enhancers():
    """3000 generated sequences (half enhancers): 2000 to fit and calibrate, 1000 to test."""
    X, y = make_synthetic_enhancers(3000, 100, motifs_per_sequence=4, enhancer_gc=0.55, random_state=0)
    return X[:2000], y[:2000], X[2000:], y[2000:]


# ----------------------------------------------------------------------------- p-values


def test_pvalues_formula_and_ties():
    cal = [0.1, 0.2, 0.2, 0.4]
    p = conformal_pvalues(cal, None, [0.0, 0.2, 0.3, 0.5])
    np.testing.assert_allclose(p, [5 / 5, 4 / 5, 2 / 5, 1 / 5])
    # only the calibration points of the null class count
    p = conformal_pvalues([0.1, 0.9, 0.95, 0.3], [0, 1, 1, 0], [0.2, 0.99], label=0)
    np.testing.assert_allclose(p, [2 / 3, 1 / 3])
    # smoothed p-values lie between the strict and the tie-inclusive counts
    ps = conformal_pvalues(cal, None, [0.2] * 50, smoothed=True, random_state=0)
    assert ((ps >= 1 / 5) & (ps <= 4 / 5)).all() and ps.std() > 0


def test_pvalues_errors():
    with pytest.raises(ValueError, match="no calibration point of class 2"):
        conformal_pvalues([0.1, 0.2], [0, 1], [0.3], label=2)
    with pytest.raises(ValueError, match="1-D"):
        conformal_pvalues(np.zeros((3, 2)), None, [0.1])
    with pytest.raises(ValueError, match="NaN"):
        conformal_pvalues([0.1, np.nan], None, [0.1])
    with pytest.raises(TypeError, match="test_scores"):
        conformal_pvalues([0.1, 0.2], None)
    with pytest.raises(ValueError, match="alpha"):
        benjamini_hochberg([0.1], alpha=1.5)


@pytest.mark.parametrize("smoothed", [False, True])
def test_pvalues_super_uniform_under_null(smoothed):
    """Null test points exchangeable with the calibration: P(p <= alpha) <= alpha (about equal for untied scores)."""
    rng = np.random.default_rng(0)
    n_cal, n_test, reps = 199, 1000, 200
    alphas = np.array([0.01, 0.05, 0.1, 0.2, 0.5])
    frac = np.zeros(len(alphas))
    for rep in range(reps):
        cal, test = rng.normal(size=n_cal), rng.normal(size=n_test)
        p = conformal_pvalues(cal, None, test, smoothed=smoothed, random_state=rep)
        frac += (p[:, None] <= alphas).mean(axis=0) / reps
    # the mean over 200 calibration draws of 1000 tests: standard error below 0.0025 at alpha 0.5
    assert (frac <= alphas + 0.006).all(), frac
    assert (frac >= alphas - 0.01).all(), frac


def test_pvalues_conservative_with_ties():
    """Discrete scores (many ties): still valid, now conservative."""
    rng = np.random.default_rng(1)
    frac = np.mean([
        (conformal_pvalues(rng.integers(0, 5, 100), None, rng.integers(0, 5, 500)) <= 0.1).mean()
        for _ in range(100)
    ])
    assert frac <= 0.1


# ----------------------------------------------------------------------------- Benjamini-Hochberg


def test_benjamini_hochberg_matches_scipy():
    rng = np.random.default_rng(2)
    for _ in range(20):
        p = np.concatenate([rng.uniform(size=200), rng.uniform(0, 0.002, size=rng.integers(0, 30))])
        for alpha in (0.01, 0.05, 0.2):
            np.testing.assert_array_equal(benjamini_hochberg(p, alpha), false_discovery_control(p) <= alpha)
    assert benjamini_hochberg([]).shape == (0,)
    assert not benjamini_hochberg([0.9, 0.5]).any()


def test_bh_on_conformal_pvalues_controls_fdr():
    """Planted positives among nulls, one calibration set per repetition: mean FDP <= 0.05, and power."""
    rng = np.random.default_rng(3)
    n_cal, n_null, n_alt, reps = 1000, 800, 200, 300
    fdp, power = [], []
    for _ in range(reps):
        cal = rng.normal(size=n_cal)
        test = np.concatenate([rng.normal(size=n_null), rng.normal(3.0, 1.0, size=n_alt)])
        is_alt = np.arange(n_null + n_alt) >= n_null
        calls = benjamini_hochberg(conformal_pvalues(cal, None, test), alpha=0.05)
        fdp.append((calls & ~is_alt).sum() / max(calls.sum(), 1))
        power.append((calls & is_alt).sum() / n_alt)
    # expected FDR about 0.05 * 800 / 1000 = 0.04, standard error of the mean about 0.001
    assert np.mean(fdp) <= 0.05, np.mean(fdp)
    assert np.mean(power) > 0.3, np.mean(power)


# ----------------------------------------------------------------------------- prediction sets


def test_mondrian_pvalues_and_sets():
    cal_scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]])
    cal_labels = np.array(["bg", "bg", "enh", "enh"])
    p = mondrian_pvalues(cal_scores, cal_labels, [[0.85, 0.15], [0.05, 0.95]])
    # test 1 vs class "bg" (conformity 0.85: 0.8 is <=): (1 + 1) / 3; vs "enh" (0.15: none): 1 / 3
    np.testing.assert_allclose(p, [[2 / 3, 1 / 3], [1 / 3, 1.0]])
    np.testing.assert_array_equal(conformal_prediction_sets(p, 0.4), [[True, False], [False, True]])
    with pytest.raises(ValueError, match="classes"):
        mondrian_pvalues(cal_scores, cal_labels, [[0.1, 0.2, 0.7]])


def test_prediction_set_coverage_synthetic_scores():
    """Class-conditional coverage of 90% sets on synthetic scores of unbalanced classes, 20 calibration splits."""
    rng = np.random.default_rng(4)

    def draw(n, frac_pos=0.2):
        y = (rng.uniform(size=n) < frac_pos).astype(int)
        logit = rng.normal(np.where(y == 1, 1.0, -1.0), 1.0)
        p1 = 1 / (1 + np.exp(-logit))
        return np.column_stack([1 - p1, p1]), y

    coverage = np.zeros((20, 2))
    for split in range(20):
        cal_scores, cal_y = draw(1000)
        test_scores, test_y = draw(5000)
        sets = conformal_prediction_sets(mondrian_pvalues(cal_scores, cal_y, test_scores), 0.1)
        covered = sets[np.arange(len(test_y)), test_y]
        coverage[split] = [covered[test_y == c].mean() for c in (0, 1)]
    mean = coverage.mean(axis=0)
    assert ((mean >= 0.88) & (mean <= 0.92)).all(), mean


def test_conformal_classifier_coverage(enhancers):
    """90% prediction sets of a fitted k-mer model: 88-92% coverage over 20 seeded calibration splits."""
    X, y, X_test, y_test = enhancers
    coverage = []
    for seed in range(20):
        clf = ConformalClassifier(_kmer_logreg(), calibration_size=0.5, random_state=seed).fit(X, y)
        sets = clf.predict_set(X_test, alpha=0.1)
        assert sets.shape == (len(X_test), 2)
        col = np.searchsorted(clf.classes_, y_test)
        coverage.append(sets[np.arange(len(y_test)), col].mean())
    mean = float(np.mean(coverage))
    print(f"mean coverage of 90% sets over 20 splits: {mean:.4f} (min {min(coverage):.3f}, max {max(coverage):.3f})")
    assert 0.88 <= mean <= 0.92
    # the sets are informative: most hold one label
    assert (sets.sum(axis=1) == 1).mean() > 0.3


def test_conformal_classifier_outlier_calls_fdr(enhancers):
    """Outlier p-values against the background class, BH at 0.05: mean observed FDR <= 0.05 over 20 splits."""
    X, y, X_test, y_test = enhancers
    # about 500 calibration negatives give p-values >= 1 / 501: BH on 1000 tests calls only when about 40 or
    # more enhancers score above every calibration negative; half the test set is enhancers here
    fdp, power = [], []
    for seed in range(20):
        clf = ConformalClassifier(_kmer_logreg(), calibration_size=0.5, random_state=seed).fit(X, y)
        calls = benjamini_hochberg(clf.outlier_pvalues(X_test, null_class=0), alpha=0.05)
        fdp.append((calls & (y_test == 0)).sum() / max(calls.sum(), 1))
        power.append((calls & (y_test == 1)).sum() / (y_test == 1).sum())
    print(f"outlier calls: mean FDP {np.mean(fdp):.4f}, mean power {np.mean(power):.3f}")
    assert np.mean(fdp) <= 0.05
    assert np.mean(power) > 0.1


# ----------------------------------------------------------------------------- the estimator


def test_conformal_classifier_params_and_clone():
    clf = ConformalClassifier(_kmer_logreg(C=0.5), calibration_size=0.3, random_state=7)
    params = clf.get_params(deep=False)
    assert params["calibration_size"] == 0.3 and params["random_state"] == 7
    assert clf.get_params(deep=True)["estimator__logisticregression__C"] == 0.5
    twin = clone(clf)
    assert twin is not clf and twin.estimator is not clf.estimator
    assert twin.get_params(deep=False)["calibration_size"] == 0.3
    assert twin.set_params(estimator__logisticregression__C=2.0).estimator.steps[1][1].C == 2.0
    assert not hasattr(twin, "estimator_")
    with pytest.raises(NotFittedError):
        twin.predict_pvalues(["ACGT" * 10])


def test_conformal_classifier_fit_attributes(enhancers):
    X, y, X_test, _ = enhancers
    labels = np.where(y == 1, "enhancer", "background")
    clf = ConformalClassifier(_kmer_logreg(), calibration_size=400, random_state=0).fit(list(X), labels)
    assert clf.classes_.tolist() == ["background", "enhancer"]
    assert clf.calibration_scores_.shape == (400, 2) and len(clf.calibration_labels_) == 400
    # stratified: both classes in the calibration part, in proportion
    assert abs((clf.calibration_labels_ == "enhancer").mean() - (labels == "enhancer").mean()) < 0.01
    p = clf.predict_pvalues(X_test[:5])
    assert p.shape == (5, 2) and ((p > 0) & (p <= 1)).all()
    assert clf.predict(X_test[:5]).shape == (5,)
    assert clf.outlier_pvalues(X_test[:5]).shape == (5,)  # null class: classes_[0] = "background"
    with pytest.raises(ValueError, match="unknown null_class"):
        clf.outlier_pvalues(X_test[:5], null_class="nope")
    with pytest.raises(ValueError, match="calibration_size"):
        ConformalClassifier(_kmer_logreg(), calibration_size=1.5).fit(X, y)


def test_conformal_fdr_threshold_is_bh():
    rng = np.random.default_rng(5)
    null = rng.normal(size=2000)
    test = np.concatenate([rng.normal(size=900), rng.normal(4.0, 1.0, size=100)])
    cutoff = conformal_fdr_threshold(null, test, 0.05)
    np.testing.assert_array_equal(test >= cutoff, benjamini_hochberg(conformal_pvalues(null, None, test), 0.05))
    assert conformal_fdr_threshold(null, rng.normal(size=50), 0.05) == np.inf
