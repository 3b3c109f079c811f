"""Metrics: paper-style rows and scorers usable in cross_validate."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_validate

from enhancer_sk.evaluation.metrics import (
    SCORING,
    confusion_counts,
    format_table,
    paper_scores,
    sensitivity_score,
    specificity_score,
)


def test_paper_scores_from_confusion():
    # TP 3, FN 1, TN 2, FP 2
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.1, 0.2, 0.3, 0.6, 0.95])
    row = paper_scores(y, s)
    assert row["Sn"] == pytest.approx(0.75) and row["Sp"] == pytest.approx(0.5)
    assert row["Acc"] == pytest.approx(5 / 8)
    mcc = (3 * 2 - 2 * 1) / np.sqrt(5 * 4 * 4 * 3)
    assert row["MCC"] == pytest.approx(mcc)
    assert row["AUC"] == pytest.approx(9 / 16)  # 9 of 16 positive-negative pairs ranked right
    assert confusion_counts(y, s > 0.5) == {"TP": 3, "FN": 1, "TN": 2, "FP": 2}
    assert set(paper_scores(y, s, auprc=True)) == {"Sn", "Sp", "Acc", "MCC", "AUC", "AUPRC"}
    # decision values with threshold 0
    assert paper_scores(y, s - 0.5, threshold=0)["Acc"] == row["Acc"]


def test_string_labels():
    y = np.array(["enh", "enh", "bg", "bg"])
    pred = np.array(["enh", "bg", "bg", "bg"])
    assert sensitivity_score(y, pred, pos_label="enh") == 0.5
    assert specificity_score(y, pred, pos_label="enh") == 1.0


def test_scoring_in_cross_validate():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    res = cross_validate(LogisticRegression(), X, y, cv=4, scoring=SCORING)
    for key in SCORING:
        assert res[f"test_{key}"].shape == (4,)
    assert res["test_AUC"].mean() > 0.9
    res = cross_validate(DummyClassifier(strategy="constant", constant=1), X, y, cv=4, scoring=SCORING)
    assert np.allclose(res["test_Sn"], 1) and np.allclose(res["test_Sp"], 0)


def test_format_table():
    text = format_table({"a": {"AUC": (0.9, 0.01), "Acc": 0.8}}, columns=["model", "AUC", "Acc"])
    lines = text.splitlines()
    assert lines[0].split("|")[1].strip() == "model"
    assert "0.900 ± 0.010" in lines[2] and "0.800" in lines[2]


def test_scoring_with_string_labels():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, "strong", "weak")  # positive class: the larger label, "weak"
    res = cross_validate(LogisticRegression(), X, y, cv=3, scoring=SCORING)
    assert np.all(res["test_AUPRC"] > 0.8) and np.all(res["test_AUC"] > 0.8)


def test_bootstrap_ci_is_reproducible_and_covers_the_true_auc():
    from sklearn.metrics import roc_auc_score

    from enhancer_sk.evaluation.metrics import bootstrap_ci

    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(200), np.ones(200)]
    score = y + rng.normal(0, 1.5, 400)
    a = bootstrap_ci(y, score, n_resamples=500, random_state=3)
    assert a == bootstrap_ci(y, score, n_resamples=500, random_state=3)
    assert a != bootstrap_ci(y, score, n_resamples=500, random_state=4)
    auc, low, high = a
    assert auc == roc_auc_score(y, score) and low < auc < high and 0.05 < high - low < 0.2
    # coverage over simulated test sets: the true AUROC of N(1, 1.5) vs N(0, 1.5) is Phi(1 / (1.5 sqrt 2))
    from scipy.stats import norm

    true_auc = norm.cdf(1 / (1.5 * np.sqrt(2)))
    hits = 0
    for i in range(60):
        s = y + rng.normal(0, 1.5, 400)
        _, lo, hi = bootstrap_ci(y, s, n_resamples=300, random_state=i)
        hits += lo <= true_auc <= hi
    assert 50 <= hits <= 60  # nominal 95%: 57 of 60 expected
    with pytest.raises(ValueError, match="one length"):
        bootstrap_ci(y, score[:10])
