"""Tests of enhancer_sk.evaluation.calibration and the reliability diagram."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import cross_val_score, train_test_split

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.evaluation.calibration import calibrate, calibration_report, expected_calibration_error
from enhancer_sk.evaluation.plots import reliability_diagram, save_figure
from enhancer_sk.models.svm.kmer import KmerSVM
from enhancer_sk.presets import build_model

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def calibrated_probas():
    """Labels drawn from their probabilities: calibrated by construction."""
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 20_000)
    return (rng.uniform(0, 1, p.size) < p).astype(int), p


@pytest.fixture(scope="module")
def sequences():
    X, y = make_synthetic_enhancers(600, 150, random_state=0)
    return train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)


# --- expected_calibration_error -------------------------------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_ece_small_for_calibrated_large_for_distorted(calibrated_probas, strategy):
    y, p = calibrated_probas
    assert expected_calibration_error(y, p, strategy=strategy) < 0.015
    overconfident = np.clip(0.5 + 1.8 * (p - 0.5), 0, 1)  # pushed towards 0 and 1
    underconfident = 0.5 + 0.4 * (p - 0.5)  # squeezed towards 0.5
    assert expected_calibration_error(y, overconfident, strategy=strategy) > 0.08
    assert expected_calibration_error(y, underconfident, strategy=strategy) > 0.08
    assert expected_calibration_error(y, p ** 3, strategy=strategy) > 0.1


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_ece_is_the_weighted_gap_of_the_reliability_curve(calibrated_probas, strategy):
    y, p = calibrated_probas
    p = p[:2000] ** 2
    y = y[:2000]
    prob_true, prob_pred = calibration_curve(y, p, n_bins=8, strategy=strategy)
    rep = calibration_report(y, p, n_bins=8, strategy=strategy)["before"]
    np.testing.assert_allclose(rep["prob_true"], prob_true)
    np.testing.assert_allclose(rep["prob_pred"], prob_pred)
    expected = np.sum(rep["counts"] / len(y) * np.abs(prob_true - prob_pred))
    assert expected_calibration_error(y, p, n_bins=8, strategy=strategy) == pytest.approx(expected)
    assert rep["ece"] == pytest.approx(expected)


def test_ece_hand_computed_and_input_forms():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.1, 0.3, 0.35, 0.8, 0.9])
    # uniform 2 bins: [0.1, 0.3, 0.35] -> gap |1/3 - 0.25|, [0.8, 0.9] -> |1 - 0.85|
    expected = 3 / 5 * abs(1 / 3 - 0.25) + 2 / 5 * abs(1 - 0.85)
    assert expected_calibration_error(y, p, n_bins=2) == pytest.approx(expected)
    assert expected_calibration_error(list(y), list(p), n_bins=2) == pytest.approx(expected)
    assert expected_calibration_error(y, np.c_[1 - p, p], n_bins=2) == pytest.approx(expected)
    labels = np.array(["bg", "bg", "enh", "enh", "enh"])  # positive class: the larger label
    assert expected_calibration_error(labels, p, n_bins=2) == pytest.approx(expected)
    assert expected_calibration_error(labels, 1 - p, n_bins=2, pos_label="bg") == pytest.approx(
        expected_calibration_error(1 - y, 1 - p, n_bins=2))


@pytest.mark.parametrize("kwargs, proba, match", [
    ({"strategy": "width"}, [0.2, 0.8], "strategy"),
    ({"n_bins": 0}, [0.2, 0.8], "n_bins"),
    ({}, [-0.5, 1.5], r"\[0, 1\]"),
    ({}, [0.2, np.nan], r"\[0, 1\]"),
    ({}, [0.2, 0.8, 0.5], "one length"),
])
def test_ece_rejects_bad_input(kwargs, proba, match):
    with pytest.raises(ValueError, match=match):
        expected_calibration_error([0, 1], proba, **kwargs)


def test_ece_needs_two_classes():
    with pytest.raises(ValueError, match="two classes"):
        expected_calibration_error([1, 1], [0.2, 0.8])


# --- calibration_report ---------------------------------------------------------------------------------------------

def test_report_before_and_after(calibrated_probas):
    y, p = calibrated_probas
    distorted = p ** 3
    rep = calibration_report(y, distorted, p, n_bins=10)
    assert set(rep) == {"n_bins", "strategy", "before", "after"}
    for part in ("before", "after"):
        assert set(rep[part]) == {"ece", "brier", "prob_true", "prob_pred", "counts"}
        assert rep[part]["counts"].sum() == len(y)
    assert rep["after"]["ece"] < rep["before"]["ece"]
    assert rep["after"]["brier"] == pytest.approx(brier_score_loss(y, p))
    assert rep["after"]["brier"] < rep["before"]["brier"]
    assert "after" not in calibration_report(y, p)


# --- calibrate ------------------------------------------------------------------------------------------------------

def test_calibrate_returns_unfitted_calibrated_classifier_cv():
    base = build_model("gc")
    model = calibrate(base, "isotonic", cv=3)
    assert isinstance(model, CalibratedClassifierCV)
    assert model.estimator is base
    assert (model.method, model.cv) == ("isotonic", 3)
    assert not hasattr(model, "calibrated_classifiers_")
    with pytest.raises(ValueError, match="method must be one of"):
        calibrate(base, "platt")


def test_calibrate_clone_and_params():
    model = calibrate(KmerSVM(k=3, probability=False), "sigmoid", cv=4)
    copy = clone(model)
    assert copy is not model and copy.estimator is not model.estimator
    assert repr(copy.get_params()) == repr(model.get_params())
    assert copy.get_params()["estimator__k"] == 3
    copy.set_params(estimator__k=4, method="isotonic")
    assert (copy.estimator.k, copy.method, model.estimator.k) == (4, "isotonic", 3)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibrate_sequence_model_keeps_or_improves_brier(sequences, method):
    X_train, X_test, y_train, y_test = sequences
    before = KmerSVM(k=3, random_state=0).fit(X_train, y_train)  # its own Platt probabilities
    model = calibrate(KmerSVM(k=3, probability=False, random_state=0), method, cv=3).fit(X_train, y_train)
    assert list(model.classes_) == [0, 1]
    p_before = before.predict_proba(X_test)[:, 1]
    p_after = model.predict_proba(X_test)[:, 1]
    assert brier_score_loss(y_test, p_after) <= brier_score_loss(y_test, p_before) + 0.01
    assert set(model.predict(X_test)) <= {0, 1}


def test_calibrate_fixes_an_underconfident_model(sequences):
    """A heavily regularised GC baseline predicts ~0.5 for everything; calibration spreads it out.

    (Its ECE is ~0 already: a constant prediction of the positive fraction is calibrated, just
    useless; the Brier score, which also rewards sharpness, shows the gain.)
    """
    X_train, X_test, y_train, y_test = sequences
    X_train, X_test = list(X_train), list(X_test)  # plain lists of str pass through too
    squeezed = build_model("gc").set_params(logisticregression__C=1e-5)
    p_before = clone(squeezed).fit(X_train, y_train).predict_proba(X_test)[:, 1]
    model = calibrate(squeezed, "sigmoid", cv=5).fit(X_train, y_train)
    p_after = model.predict_proba(X_test)[:, 1]
    rep = calibration_report(y_test, p_before, p_after, n_bins=5)
    assert rep["after"]["brier"] < rep["before"]["brier"] - 0.01
    assert rep["after"]["ece"] < 0.1
    assert np.ptp(p_after) > 5 * np.ptp(p_before)


def test_calibrated_model_in_cross_validation_and_pickle(sequences):
    X_train, _, y_train, _ = sequences
    model = calibrate(build_model("gc"), cv=3, ensemble=False)
    scores = cross_val_score(model, X_train, y_train, cv=3, scoring="neg_brier_score")
    assert np.all(scores < 0) and np.all(scores > -0.26)
    fitted = model.fit(X_train, y_train)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(again.predict_proba(X_train[:20]), fitted.predict_proba(X_train[:20]))


# --- reliability_diagram --------------------------------------------------------------------------------------------

def test_reliability_diagram_draws_one_curve_per_model(calibrated_probas, tmp_path):
    y, p = calibrated_probas
    fig = reliability_diagram(y, {"calibrated": p, "cubed": p ** 3}, n_bins=10)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0] == "perfectly calibrated"
    ece = expected_calibration_error(y, p ** 3)
    assert texts[2].startswith("cubed (ECE ") and f"{ece:.3f}" in texts[2]
    lines = ax.get_lines()
    assert len(lines) == 3
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
    np.testing.assert_allclose(lines[1].get_xdata(), prob_pred)
    np.testing.assert_allclose(lines[1].get_ydata(), prob_true)
    path = save_figure(fig, tmp_path / "reliability.png")
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_reliability_diagram_into_given_axes_and_checks(calibrated_probas):
    from enhancer_sk.evaluation.plots import new_figure

    y, p = calibrated_probas
    fig = new_figure(8, 4)
    left, right = fig.subplots(1, 2)
    assert reliability_diagram(y, p, ax=right, title="one model") is fig
    assert right.get_title() == "one model" and not left.get_lines()
    assert "model (ECE" in right.get_legend().get_texts()[1].get_text()
    with pytest.raises(ValueError, match="length"):
        reliability_diagram(y, {"short": p[:10]})
    with pytest.raises(ValueError, match="two classes"):
        reliability_diagram(np.ones(len(p)), p)
