"""Tests of enhancer_sk.two_layer: the two-layer (enhancer, then strength) meta-estimator."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from tiny import default_params, tiny_lstmatt

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.exceptions import SingleClassError
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.models.meta.two_layer import TwoLayerEnhancerClassifier
from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAttClassifier
from enhancer_sk.sequence.encoders import KmerSpectrum

GRADE_NAMES = np.array(["non", "weak", "strong"])


@pytest.fixture(scope="module")
def graded():
    X, grade = make_synthetic_enhancers(n_samples=300, length=100, grades=True, random_state=0)
    return X, GRADE_NAMES[grade]


def kmer_lr():
    return make_pipeline(KmerSpectrum(k=3), LogisticRegression(max_iter=500))


def test_layers_are_fitted_on_the_right_subsets(graded):
    X, y = graded
    clf = TwoLayerEnhancerClassifier(kmer_lr()).fit(X, y)
    assert list(clf.classes_) == ["non", "strong", "weak"]
    # layer 1 saw every sequence; layer 2 only the enhancers
    lr1 = clf.layer1_[-1]
    lr2 = clf.layer2_[-1]
    assert list(lr1.classes_) == [0, 1] and list(lr2.classes_) == [0, 1]
    ref1 = kmer_lr().fit(X, (y != "non").astype(int))
    ref2 = kmer_lr().fit(X[y != "non"], (y[y != "non"] == "strong").astype(int))
    np.testing.assert_allclose(lr1.coef_, ref1[-1].coef_)
    np.testing.assert_allclose(lr2.coef_, ref2[-1].coef_)
    assert clf.layer2_ is not clf.layer1_


def test_predict_uses_layer2_only_on_enhancers(graded):
    X, y = graded
    clf = TwoLayerEnhancerClassifier(kmer_lr()).fit(X, y)
    pred = clf.predict(X)
    is_enh = clf.layer1_.predict(X) == 1
    np.testing.assert_array_equal(pred == "non", ~is_enh)
    strong = clf.layer2_.predict(X) == 1
    np.testing.assert_array_equal(pred[is_enh], np.where(strong[is_enh], "strong", "weak"))
    assert clf.score(X, y) > 0.5  # training accuracy, three classes


def test_probabilities_of_both_layers(graded):
    X, y = graded
    clf = TwoLayerEnhancerClassifier(kmer_lr()).fit(X, y)
    layers = clf.predict_layer_proba(X[:20])
    assert layers.shape == (20, 2)
    np.testing.assert_allclose(layers[:, 0], clf.layer1_.predict_proba(X[:20])[:, 1])
    np.testing.assert_allclose(layers[:, 1], clf.layer2_.predict_proba(X[:20])[:, 1])
    proba = clf.predict_proba(X[:20])
    np.testing.assert_allclose(proba.sum(1), 1.0)
    col = {c: i for i, c in enumerate(clf.classes_)}
    np.testing.assert_allclose(proba[:, col["non"]], 1 - layers[:, 0])
    np.testing.assert_allclose(proba[:, col["strong"]], layers[:, 0] * layers[:, 1])


def test_label_names_are_parameters_and_fasta_input(tmp_path, graded):
    X, y = graded
    codes = {"non": 0, "weak": 1, "strong": 2}
    y_int = np.array([codes[v] for v in y])
    write_fasta(tmp_path / "x.fa", [f"r{i}" for i in range(len(X))], X)
    clf = TwoLayerEnhancerClassifier(kmer_lr(), non_label=0, weak_label=1, strong_label=2)
    clf.fit(str(tmp_path / "x.fa"), y_int)
    assert list(clf.classes_) == [0, 1, 2]
    named = TwoLayerEnhancerClassifier(kmer_lr()).fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), [codes[v] for v in named.predict(X)])


def test_bad_labels(graded):
    X, y = graded
    with pytest.raises(ValueError, match="did you mean 'strong'"):
        TwoLayerEnhancerClassifier(kmer_lr()).fit(X, np.where(y == "strong", "strnog", y))
    with pytest.raises(SingleClassError, match="missing"):
        TwoLayerEnhancerClassifier(kmer_lr()).fit(X, np.where(y == "strong", "weak", y))
    with pytest.raises(ValueError, match="must differ"):
        TwoLayerEnhancerClassifier(kmer_lr(), weak_label="non").fit(X, y)


def test_clone_grid_search_and_cross_val_score(graded):
    X, y = graded
    clf = TwoLayerEnhancerClassifier(kmer_lr(), kmer_lr())
    assert clone(clf).get_params()["layer1__logisticregression__C"] == 1.0
    grid = GridSearchCV(clf, {"layer1__kmerspectrum__k": [2, 3]}, cv=StratifiedKFold(2))
    grid.fit(X, y)
    assert grid.best_params_["layer1__kmerspectrum__k"] in (2, 3)
    scores = cross_val_score(clf, X, y, cv=StratifiedKFold(3))
    assert scores.shape == (3,) and np.all(scores > 0.3)


def test_with_the_lstmatt_network(graded):
    X, y = graded
    # the tiny network on 100 bp, smaller still, one epoch at the estimator's lr and batch size
    net = tiny_lstmatt(module__sequence_length=100, module__embedding_dim=4, module__res_filters=4,
                       module__n_identity_blocks=0, module__lstm_units=2, max_epochs=1,
                       **default_params(EnhancerLSTMAttClassifier, "lr", "batch_size"))
    clf = TwoLayerEnhancerClassifier(net).fit(X, y)
    assert clf.layer1_.module_ is not clf.layer2_.module_
    assert set(clf.predict(X)) <= {"non", "weak", "strong"}
    assert clf.predict_layer_proba(X).shape == (len(X), 2)


def _expected_failed_checks(estimator) -> dict[str, str]:
    three = (
        "two-layer training needs all three classes (non, weak, strong); the check fits on "
        "two classes and gets SingleClassError"
    )
    failed = {
        name: three
        for name in (
            "check_estimators_dtypes",
            "check_pipeline_consistency",
            "check_estimators_nan_inf",
            "check_estimator_sparse_array",
            "check_estimator_sparse_matrix",
            "check_estimators_pickle",
            "check_classifier_data_not_an_array",
            "check_classifiers_train",
            "check_fit2d_1sample",
            "check_fit2d_1feature",
            "check_fit_idempotent",
            "check_fit_check_is_fitted",
            "check_n_features_in",
        )
    }
    unknown = "labels must be the three declared values (non_label, weak_label, strong_label)"
    failed["check_dtype_object"] = unknown
    failed["check_classifiers_classes"] = unknown
    return failed


@parametrize_with_checks(
    [TwoLayerEnhancerClassifier(LogisticRegression(), non_label=0, weak_label=1, strong_label=2)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
