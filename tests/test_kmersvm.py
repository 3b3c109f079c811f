"""Tests of enhancer_sk.kmersvm: KmerSVM and Platt scaling."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.special import expit
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.svm import SVC, LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks
from tiny import tiny_kmer

from enhancer_sk.datasets.synthetic import BUILTIN_MOTIFS, make_synthetic_enhancers
from enhancer_sk.exceptions import SingleClassError
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.models.svm import kmer as kmersvm
from enhancer_sk.models.svm._platt import platt_scaling
from enhancer_sk.models.svm.kmer import KmerSVM
from enhancer_sk.sequence.alphabet import reverse_complement
from enhancer_sk.sequence.encoders import KmerSpectrum


@pytest.fixture(scope="module")
def synthetic():
    X, y = make_synthetic_enhancers(n_samples=240, random_state=0)
    return X, y


def _expected_failed_checks(estimator) -> dict[str, str]:
    # Every check of scikit-learn 1.9 passes (numeric 2-D input is taken as a feature
    # matrix, so the checks exercise the SVM, the label handling and Platt scaling).
    # check_array_api_input skips itself unless SCIPY_ARRAY_API is set.
    return {}


@parametrize_with_checks(
    [KmerSVM(random_state=0), KmerSVM(svm="linear", probability=False, random_state=0)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ----------------------------------------------------------------------------- decision values


@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly", "sigmoid"])
def test_decision_function_equals_svc_on_the_spectrum(synthetic, kernel):
    X, y = synthetic
    model = KmerSVM(k=4, kernel=kernel, probability=False).fit(X[:180], y[:180])
    features = KmerSpectrum(k=4, canonical_kmers=True, norm="l2").transform(X)
    reference = SVC(kernel=kernel, gamma=model.gamma_).fit(features[:180], y[:180])
    np.testing.assert_allclose(
        model.decision_function(X[180:]), reference.decision_function(features[180:]), atol=1e-9
    )
    assert hasattr(model, "coef_") == (kernel == "linear")


def test_gamma_scale_matches_svc(synthetic):
    X, y = synthetic
    features = KmerSpectrum(k=3, canonical_kmers=True, norm="l2").transform(X)
    model = KmerSVM(k=3, probability=False).fit(X, y)
    dense = features.toarray()
    assert model.gamma_ == pytest.approx(1.0 / (dense.shape[1] * dense.var()))


def test_large_n_path_without_gram_matrix_gives_same_model(synthetic, monkeypatch):
    X, y = synthetic
    with_gram = KmerSVM(k=4, random_state=1).fit(X[:180], y[:180])
    monkeypatch.setattr(kmersvm, "_MAX_GRAM_SAMPLES", 0)
    without = KmerSVM(k=4, random_state=1).fit(X[:180], y[:180])
    np.testing.assert_allclose(with_gram.decision_function(X[180:]), without.decision_function(X[180:]),
                               atol=1e-6)
    np.testing.assert_allclose(with_gram.platt_, without.platt_, atol=1e-4)


def test_linear_svm_matches_liblinear(synthetic):
    X, y = synthetic
    model = KmerSVM(k=3, svm="linear", probability=False, random_state=3).fit(X, y)
    features = KmerSpectrum(k=3, canonical_kmers=True, norm="l2").transform(X)
    # n_samples > n_features: liblinear's primal solver, which does not use the random seed
    reference = LinearSVC(dual="auto", tol=1e-3).fit(features, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-10)
    np.testing.assert_allclose(model.decision_function(X), reference.decision_function(features), atol=1e-10)


# ----------------------------------------------------------------------------- inputs and labels


def test_string_labels_and_classes(synthetic):
    X, y = synthetic
    labels = np.where(y == 1, "enhancer", "background")
    model = tiny_kmer().fit(X, labels)
    assert model.classes_.tolist() == ["background", "enhancer"]
    pred = model.predict(X)
    assert set(pred) <= {"background", "enhancer"}
    np.testing.assert_array_equal(pred == "enhancer", model.decision_function(X) > 0)
    assert (pred == labels).mean() > 0.7


def test_fasta_input_equals_strings(synthetic, tmp_path):
    X, y = synthetic
    path = tmp_path / "train.fa"
    write_fasta(path, [f"s{i}" for i in range(len(X))], X)
    from_file = tiny_kmer().fit(path, y)
    from_strings = tiny_kmer().fit(list(X), y)
    np.testing.assert_array_equal(from_file.predict_proba(path), from_strings.predict_proba(X))


def test_canonical_spectrum_is_strand_symmetric(synthetic):
    X, y = synthetic
    model = KmerSVM(k=(2, 4), random_state=0).fit(X, y)
    np.testing.assert_allclose(model.decision_function(reverse_complement(X)), model.decision_function(X),
                               atol=1e-12)
    stranded = KmerSVM(k=(2, 4), canonical_kmers=False, random_state=0).fit(X, y)
    assert len(stranded.feature_names_) == 16 + 64 + 256
    assert len(model.feature_names_) == 10 + 32 + 136
    assert not np.allclose(stranded.decision_function(reverse_complement(X)), stranded.decision_function(X))


def test_precomputed_features_give_the_same_model(synthetic):
    X, y = synthetic
    features = KmerSpectrum(k=4, canonical_kmers=True, norm="l2").transform(X)
    on_seqs = KmerSVM(k=4, random_state=0).fit(X, y)
    on_features = KmerSVM(k=4, random_state=0).fit(features, y)
    np.testing.assert_allclose(on_features.predict_proba(features), on_seqs.predict_proba(X), atol=1e-12)
    # a sequence-fitted model also scores spectra of the right width
    np.testing.assert_allclose(on_seqs.decision_function(features), on_seqs.decision_function(X), atol=1e-12)
    with pytest.raises(ValueError, match="features"):
        on_seqs.decision_function(features[:, :10])
    with pytest.raises(ValueError, match="numeric feature matrix"):
        on_features.predict(X)


def test_label_errors(synthetic):
    X, y = synthetic
    with pytest.raises(ValueError, match="Only binary classification"):
        KmerSVM(k=2).fit(X, y % 3 + (np.arange(len(y)) % 3 == 0))
    with pytest.raises(SingleClassError, match="1 class"):
        KmerSVM(k=2).fit(X, np.ones(len(X), dtype=int))
    with pytest.raises(ValueError, match="continuous"):
        KmerSVM(k=2).fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="k must"):
        KmerSVM(k=0).fit(X, y)


# ----------------------------------------------------------------------------- probabilities


def test_platt_scaling_recovers_a_known_sigmoid():
    rng = np.random.RandomState(0)
    f = rng.normal(size=20000)
    y = rng.random_sample(20000) < expit(2.0 * f - 0.5)
    a, b = platt_scaling(f, y)
    assert a == pytest.approx(2.0, abs=0.1)
    assert b == pytest.approx(-0.5, abs=0.1)


def test_platt_slope_is_never_negative():
    f = np.linspace(-1, 1, 50)
    a, b = platt_scaling(f, f < 0)  # decision values that rank the classes backwards
    assert a == 0.0
    assert expit(b) == pytest.approx(0.5, abs=0.05)


def test_predict_proba_is_platt_of_decision_values(synthetic):
    X, y = synthetic
    model = KmerSVM(k=4, random_state=0).fit(X[:180], y[:180])
    proba = model.predict_proba(X[180:])
    decision = model.decision_function(X[180:])
    a, b = model.platt_
    assert a > 0
    np.testing.assert_allclose(proba[:, 1], expit(a * decision + b))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X[180:])), proba)
    # rankings agree: probabilities are a monotone function of the decision value
    order = np.argsort(decision)
    assert (np.diff(proba[order, 1]) >= 0).all()


def test_no_predict_proba_without_probability(synthetic):
    X, y = synthetic
    model = KmerSVM(k=3, probability=False).fit(X, y)
    assert not hasattr(model, "predict_proba")
    assert not hasattr(model, "platt_")


def test_random_state_makes_fits_identical(synthetic):
    X, y = synthetic
    first = KmerSVM(k=3, svm="linear", random_state=5).fit(X, y)
    second = clone(first).fit(X, y)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))


# ----------------------------------------------------------------------------- learning


def _motif_column_sets(pfm: np.ndarray) -> list[str]:
    """Bases that are likely (> 20 %) in each column of a position frequency matrix."""
    return ["[" + "".join(b for b, p in zip("ACGT", col) if p > 0.2) + "]" for col in pfm.T]


def test_top_linear_weights_are_planted_motif_fragments():
    columns = [_motif_column_sets(pfm) for pfm in BUILTIN_MOTIFS.values()]
    X, y = make_synthetic_enhancers(n_samples=300, random_state=0)
    model = KmerSVM(k=5, kernel="linear", probability=False).fit(X, y)
    top = model.feature_names_[np.argsort(-model.coef_.ravel())[:10]]

    def in_motif(kmer: str) -> bool:
        for cols in columns:
            for i in range(len(cols) - len(kmer) + 1):
                pattern = "".join(cols[i : i + len(kmer)])
                if re.fullmatch(pattern, kmer) or re.fullmatch(pattern, reverse_complement(kmer)):
                    return True
        return False

    # about 1 in 5 canonical 5-mers matches a motif window by chance
    assert sum(in_motif(k) for k in top) >= 8, top


def test_grid_search_and_cross_val_score(synthetic):
    X, y = synthetic
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        KmerSVM(probability=False, random_state=0),
        {"k": [2, (2, 4)], "C": [0.1, 10.0], "kernel": ["linear", "rbf"]},
        cv=cv, scoring="roc_auc",
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert search.best_score_ > 0.6
    assert isinstance(search.best_estimator_, KmerSVM)
    scores = cross_val_score(KmerSVM(k=4, random_state=0), X, y, cv=cv, scoring="roc_auc")
    assert scores.shape == (3,)
    assert scores.mean() > 0.6
