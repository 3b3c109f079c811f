"""SeedEnsembleClassifier: members, seeds, averaging, scikit-learn API, model files."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks
from tiny import tiny_ensemble, tiny_lstmatt

from enhancer_sk import SeedEnsembleClassifier, load, make_synthetic_enhancers, save
from enhancer_sk.sequence.codes import as_sequences as load_sequences
from enhancer_sk.sequence.encoders import KmerSpectrum


@pytest.fixture(scope="module")
def data():
    X, y = make_synthetic_enhancers(n_samples=120, length=40, random_state=3)
    return np.asarray(X, dtype=object), np.where(np.asarray(y) == 1, "enhancer", "background")


def sgd(**params):
    return make_pipeline(KmerSpectrum(k=3), SGDClassifier(loss="log_loss", max_iter=20, tol=None, **params))


def test_members_are_the_single_nets_of_consecutive_seeds(data):
    X, y = data
    ens = tiny_ensemble(tiny_lstmatt(random_state=5), n_estimators=3).fit(X, y)
    assert ens.seeds_ == [5, 6, 7]
    singles = [tiny_lstmatt(random_state=s).fit(X, y).predict_proba(X).astype(np.float64) for s in (5, 6, 7)]
    np.testing.assert_array_equal(ens.predict_proba(X), (singles[0] + singles[1] + singles[2]) / 3)
    assert [m.random_state for m in ens.estimators_] == [5, 6, 7]
    assert len({id(m.module_) for m in ens.estimators_}) == 3
    # the members differ, so the average is not one of them
    assert not np.array_equal(singles[0], singles[1])


def test_predict_and_decision_function_follow_the_mean_probability(data):
    X, y = data
    ens = tiny_ensemble().fit(X, y)
    assert ens.classes_.tolist() == ["background", "enhancer"]
    proba = ens.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    pred = ens.predict(X)
    np.testing.assert_array_equal(pred, np.where(proba[:, 1] > proba[:, 0], "enhancer", "background"))
    d = ens.decision_function(X)
    np.testing.assert_allclose(d, np.log(proba[:, 1] / proba[:, 0]), rtol=1e-10)
    np.testing.assert_array_equal(d > 0, pred == "enhancer")


def test_seed_rules():
    X, y = make_synthetic_enhancers(n_samples=40, length=30, random_state=0)
    # the ensemble's random_state wins over the estimator's
    assert SeedEnsembleClassifier(sgd(random_state=9), 2, random_state=4, verbose=0).fit(X, y).seeds_ == [4, 5]
    # without one, the estimator's int is the base; nested random_state parameters are all set
    ens = SeedEnsembleClassifier(sgd(random_state=9), 2, verbose=0).fit(X, y)
    assert ens.seeds_ == [9, 10]
    assert [m.get_params()["sgdclassifier__random_state"] for m in ens.estimators_] == [9, 10]
    # a RandomState draws the base reproducibly
    a = SeedEnsembleClassifier(sgd(), 2, random_state=np.random.RandomState(1), verbose=0).fit(X, y).seeds_
    b = SeedEnsembleClassifier(sgd(), 2, random_state=np.random.RandomState(1), verbose=0).fit(X, y).seeds_
    assert a == b and a[1] == a[0] + 1
    # reproducible: same seeds, same probabilities
    p1 = SeedEnsembleClassifier(sgd(), 3, random_state=0, verbose=0).fit(X, y).predict_proba(X)
    p2 = SeedEnsembleClassifier(sgd(), 3, random_state=0, verbose=0).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)


@pytest.mark.parametrize(
    ("estimator", "n", "error", "match"),
    [
        (LogisticRegression(), 0, ValueError, r"'n_estimators' parameter of SeedEnsembleClassifier must be an int"),
        (LogisticRegression(), 2.5, ValueError, r"'n_estimators' parameter of SeedEnsembleClassifier must be an int"),
        (make_pipeline(KmerSpectrum(k=2), KmerSpectrum(k=3)), 2, TypeError, "Pipeline has no predict_proba"),
        (KmerSpectrum(k=2), 2, TypeError, "KmerSpectrum has no predict_proba"),
        (LinearSVC(), 2, TypeError, "LinearSVC has no predict_proba"),
    ],
)
def test_bad_parameters(estimator, n, error, match):
    X, y = make_synthetic_enhancers(n_samples=20, length=30, random_state=0)
    with pytest.raises(error, match=match):
        SeedEnsembleClassifier(estimator, n, verbose=0).fit(X, y)


def test_no_random_state_is_refused():
    from sklearn.naive_bayes import MultinomialNB

    X, y = make_synthetic_enhancers(n_samples=20, length=30, random_state=0)
    with pytest.raises(ValueError, match="MultinomialNB has no random_state parameter"):
        SeedEnsembleClassifier(MultinomialNB(), 2, verbose=0).fit(np.ones((20, 3)), y)
    with pytest.raises(ValueError, match="random_state must be between 0 and"):
        SeedEnsembleClassifier(sgd(), 2, random_state=-1, verbose=0).fit(X, y)


def test_verbose_names_each_member(capsys):
    X, y = make_synthetic_enhancers(n_samples=20, length=30, random_state=0)
    SeedEnsembleClassifier(sgd(), 2, random_state=3).fit(X, y)
    out = capsys.readouterr().out
    assert "member 1/2, random_state=3" in out and "member 2/2, random_state=4" in out


def test_clone_grid_search_cross_val_score(data):
    X, y = data
    ens = tiny_ensemble()
    assert clone(ens).get_params()["estimator__module__lstm_units"] == 4
    grid = GridSearchCV(ens, {"estimator__module__lstm_units": [2, 4]}, cv=2, scoring="roc_auc").fit(X, y)
    assert grid.best_params_["estimator__module__lstm_units"] in (2, 4)
    scores = cross_val_score(ens, X, y, cv=2, scoring="roc_auc")
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


def test_model_file_round_trip(tmp_path, data):
    X, y = data
    ens = tiny_ensemble().fit(X, y)
    save(ens, tmp_path / "ens.eskm")
    back = load(tmp_path / "ens.eskm")
    assert type(back) is SeedEnsembleClassifier and back.seeds_ == ens.seeds_
    np.testing.assert_array_equal(back.predict_proba(X), ens.predict_proba(X))
    np.testing.assert_array_equal(back.predict(X), ens.predict(X))
    assert back.get_params()["estimator__module__lstm_units"] == 4


@parametrize_with_checks([SeedEnsembleClassifier(LogisticRegression(random_state=0), n_estimators=2, verbose=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_fasta_path_is_read_once_and_scores_as_the_array(tmp_path, monkeypatch):
    from enhancer_sk.io.fasta import write_fasta
    from enhancer_sk.models.meta import ensemble

    X, y = make_synthetic_enhancers(n_samples=40, length=30, random_state=0)
    path = tmp_path / "train.fa"
    write_fasta(path, [f"s{i}" for i in range(len(X))], X)
    reads = []
    monkeypatch.setattr(ensemble, "as_sequences", lambda p: reads.append(p) or load_sequences(p))
    ens = SeedEnsembleClassifier(sgd(), 3, random_state=0, verbose=0).fit(path, y)
    proba = ens.predict_proba(path)
    assert reads == [path, path]  # once in fit, once in predict_proba: not once per member
    from_array = SeedEnsembleClassifier(sgd(), 3, random_state=0, verbose=0).fit(X, y)
    np.testing.assert_array_equal(proba, from_array.predict_proba(X))


def test_members_fine_tuned_from_a_fitted_network_keep_its_seed():
    """The source of ``init_from`` is data, not a member: its random_state is not reseeded."""
    from enhancer_sk.models.nn.deepenhancer import DeepEnhancerCNN

    X, y = make_synthetic_enhancers(60, 100, random_state=0)
    source = DeepEnhancerCNN(architecture="4conv", window=100, max_epochs=1, verbose=0, random_state=5).fit(X, y)
    net = DeepEnhancerCNN(architecture="4conv", window=100, max_epochs=1, verbose=0, random_state=0, init_from=source)
    ensemble = SeedEnsembleClassifier(net, n_estimators=2, verbose=0).fit(X, y)
    assert [m.random_state for m in ensemble.estimators_] == [0, 1]
    assert all(m.init_from.random_state == 5 for m in ensemble.estimators_)
