"""Tests of enhancer_sk.comparison: compare_models, paired Wilcoxon tests, TSV tables."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from scipy.stats import wilcoxon
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_validate
from sklearn.pipeline import make_pipeline
from tiny import tiny_kmer

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.evaluation.comparison import ModelComparison, compare_models, holm_correction, paired_wilcoxon
from enhancer_sk.evaluation.leakage import SimilarityGroupKFold
from enhancer_sk.evaluation.metrics import SCORING
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.io.tables import write_tsv
from enhancer_sk.models.svm.kmer import KmerSVM
from enhancer_sk.sequence.alphabet import reverse_complement
from enhancer_sk.sequence.encoders import GCContent

N_SPLITS = 4


def _models():
    return {
        "kmer": tiny_kmer(),
        "gc": make_pipeline(GCContent(), LogisticRegression()),
    }


@pytest.fixture(scope="module")
def data():
    return make_synthetic_enhancers(n_samples=160, random_state=1)


@pytest.fixture(scope="module")
def result(data):
    X, y = data
    return compare_models(_models(), X, y, cv=N_SPLITS, random_state=3)


def _splitter():
    return StratifiedKFold(N_SPLITS, shuffle=True, random_state=3)


def test_every_model_runs_on_the_same_folds(data, result):
    X, y = data
    expected = np.empty(len(y), dtype=int)
    for i, (_, test) in enumerate(_splitter().split(X, y)):
        expected[test] = i
    np.testing.assert_array_equal(result.fold, expected)
    assert result.n_splits == N_SPLITS
    assert result.models == ["kmer", "gc"]
    assert result.metrics == list(SCORING)


@pytest.mark.parametrize("name", ["kmer", "gc"])
def test_fold_scores_equal_cross_validate(data, result, name):
    X, y = data
    reference = cross_validate(_models()[name], X, y, cv=_splitter(), scoring=SCORING)
    for metric in SCORING:
        np.testing.assert_allclose(result.fold_scores[name][metric], reference[f"test_{metric}"])


@pytest.mark.parametrize("name", ["kmer", "gc"])
def test_out_of_fold_scores_equal_cross_val_predict(data, result, name):
    X, y = data
    reference = cross_val_predict(_models()[name], X, y, cv=_splitter(), method="predict_proba")[:, 1]
    np.testing.assert_allclose(result.oof_scores[name], reference)
    assert result.oof_method[name] == "predict_proba"


def test_decision_function_scores_for_models_without_probabilities(data):
    X, y = data
    model = KmerSVM(k=2, probability=False)
    res = compare_models({"svm": model}, X, y, cv=N_SPLITS, random_state=3)
    reference = cross_val_predict(model, X, y, cv=_splitter(), method="decision_function")
    np.testing.assert_allclose(res.oof_scores["svm"], reference)
    assert res.oof_method["svm"] == "decision_function"


def test_summary_is_mean_and_sample_std_of_the_folds(result):
    rows = {r["model"]: r for r in result.summary_table()}
    for name in result.models:
        for metric in result.metrics:
            values = result.fold_scores[name][metric]
            assert rows[name][f"{metric}_mean"] == pytest.approx(values.mean())
            assert rows[name][f"{metric}_std"] == pytest.approx(values.std(ddof=1))
    text = result.to_text()
    assert "kmer" in text and "±" in text and "AUPRC" in text


def test_fold_table_is_tidy(result):
    rows = result.fold_table()
    assert len(rows) == len(result.models) * N_SPLITS
    assert {(r["model"], r["fold"]) for r in rows} == {
        (m, f) for m in result.models for f in range(1, N_SPLITS + 1)
    }
    assert all(r["fit_time"] >= 0 for r in rows)


def test_wilcoxon_table_matches_scipy(result):
    rows = result.wilcoxon_table()
    assert len(rows) == len(result.metrics)  # one pair of models per metric
    for row in rows:
        a = result.fold_scores[row["model_a"]][row["metric"]]
        b = result.fold_scores[row["model_b"]][row["metric"]]
        d = np.round(a - b, 12)
        assert row["mean_diff"] == pytest.approx(d.mean())
        if np.any(d != 0):
            assert row["p_value"] == pytest.approx(wilcoxon(d).pvalue)
        assert row["p_holm"] == pytest.approx(row["p_value"])  # a single pair: nothing to correct


def test_paired_wilcoxon_zero_and_tied_differences():
    a = np.array([0.8, 0.7, 0.9, 0.6, 0.75])
    same = paired_wilcoxon(a, a.copy())
    assert same["n_nonzero"] == 0 and same["p_value"] == 1.0 and math.isnan(same["statistic"])
    # floating-point noise (0.1 + 0.2 != 0.3) is not a difference
    noisy = paired_wilcoxon(np.array([0.1 + 0.2, 0.5]), np.array([0.3, 0.5]))
    assert noisy["n_nonzero"] == 0
    # zero differences are dropped: 4 remaining pairs, all won -> exact p = 2 / 2**4
    b = a - np.array([0.01, 0.02, 0.0, 0.03, 0.04])
    res = paired_wilcoxon(a, b)
    assert (res["n"], res["n_nonzero"], res["wins"], res["losses"]) == (5, 4, 4, 0)
    assert res["p_value"] == pytest.approx(0.125)
    assert res["p_min"] == pytest.approx(0.125)


def test_holm_correction():
    np.testing.assert_allclose(holm_correction([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(holm_correction([0.5, np.nan, 0.6]), [1.0, np.nan, 1.0])
    assert holm_correction([]).shape == (0,)


def test_identical_models_are_not_different(data):
    X, y = data
    model = make_pipeline(GCContent(), LogisticRegression())
    res = compare_models({"a": model, "b": model}, X, y, cv=3)
    assert all(r["p_value"] == 1.0 and r["n_nonzero"] == 0 for r in res.wilcoxon_table())


def test_write_tables(result, tmp_path):
    paths = result.write(tmp_path / "out", prefix="cmp_")
    assert {p.name for p in paths.values()} == {
        "cmp_fold_scores.tsv", "cmp_summary.tsv", "cmp_wilcoxon.tsv", "cmp_oof_scores.tsv",
        "cmp_intervals.tsv", "cmp_paired_bootstrap.tsv", "cmp_calibration.tsv",
    }
    with open(paths["fold_scores"], newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(rows) == 2 * N_SPLITS
    assert float(rows[0]["AUC"]) == pytest.approx(result.fold_scores["kmer"]["AUC"][0], rel=1e-5)
    with open(paths["oof_scores"], newline="") as fh:
        oof = list(csv.DictReader(fh, delimiter="\t"))
    assert list(oof[0]) == ["id", "label", "fold", "kmer", "gc"]
    assert len(oof) == len(result.y_true)
    assert not list((tmp_path / "out").glob(".*tmp"))


def test_write_tsv_na_and_header(tmp_path):
    path = write_tsv(tmp_path / "t.tsv", [{"a": 1.0, "b": float("nan")}, {"a": 2, "c": "x"}])
    assert path.read_text().splitlines() == ["a\tb\tc", "1\tNA\t", "2\t\tx"]


def test_string_labels_fasta_input_and_ids(data, tmp_path):
    X, y = data
    path = tmp_path / "all.fa"
    ids = [f"r{i}" for i in range(len(X))]
    write_fasta(path, ids, X)
    labels = np.where(y == 1, "enhancer", "background")
    res = compare_models({"gc": make_pipeline(GCContent(), LogisticRegression())}, path, labels, cv=3)
    assert isinstance(res, ModelComparison)
    assert res.pos_label == "enhancer"
    assert [r["id"] for r in res.oof_table()[:3]] == ids[:3]
    # the other positive class mirrors scores, swaps Sn and Sp, keeps AUC
    flipped = compare_models({"gc": make_pipeline(GCContent(), LogisticRegression())}, path, labels, cv=3,
                             pos_label="background")
    np.testing.assert_allclose(flipped.oof_scores["gc"], 1.0 - res.oof_scores["gc"])
    np.testing.assert_allclose(flipped.fold_scores["gc"]["Sn"], res.fold_scores["gc"]["Sp"])
    np.testing.assert_allclose(flipped.fold_scores["gc"]["AUC"], res.fold_scores["gc"]["AUC"])
    assert not np.allclose(flipped.fold_scores["gc"]["AUPRC"], res.fold_scores["gc"]["AUPRC"])


def test_errors(data):
    X, y = data
    with pytest.raises(ValueError, match="empty"):
        compare_models({}, X, y)
    with pytest.raises(ValueError, match="binary"):
        compare_models(_models(), X, np.arange(len(y)) % 3)
    with pytest.raises(ValueError, match="response_method"):
        compare_models(_models(), X, y, response_method="predict")
    with pytest.raises(ValueError, match="pos_label"):
        compare_models(_models(), X, y, pos_label=7)
    with pytest.raises(ValueError, match="group-aware splitter"):
        compare_models(_models(), X, y, cv=3, groups=np.zeros(len(y)))


def test_similarity_folds_keep_copies_together(data):
    X, y = data
    X = np.concatenate([X, [reverse_complement(s) for s in X[:20]]])
    y = np.concatenate([y, y[:20]])
    res = compare_models({"gc": make_pipeline(GCContent(), LogisticRegression())}, X, y,
                         cv=SimilarityGroupKFold(3, shuffle=True, random_state=0))
    n = len(X) - 20
    np.testing.assert_array_equal(res.fold[:20], res.fold[n:])  # each copy in its original's fold
    assert res.random_state == 0
    # chromosomes as groups: every group in one fold
    groups = np.concatenate([np.arange(n), np.arange(20)]) % 7  # a copy on its original's chromosome
    res = compare_models({"gc": make_pipeline(GCContent(), LogisticRegression())}, X, y,
                         cv=SimilarityGroupKFold(3), groups=groups)
    assert all(len(set(res.fold[groups == g])) == 1 for g in range(7))


def test_calibration_table(result, data, tmp_path):
    rows = result.calibration_table()
    assert [r["model"] for r in rows] == result.probability_models() == ["kmer", "gc"]
    truth = result.y_true == result.pos_label
    assert rows[1]["Brier"] == pytest.approx(np.mean((result.oof_scores["gc"] - truth) ** 2))
    assert 0 <= rows[1]["ECE"] <= 1
    X, y = data
    res = compare_models({"svm": KmerSVM(k=3, probability=False)}, X, y, cv=3)
    assert res.calibration_table() == [] and "calibration" not in res.write(tmp_path)
