"""Per-base attributions (enhancer_sk.interpret.attribution): ISM against a naive loop, gradient methods, errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from tiny import tiny_deepenhancer, tiny_ensemble, tiny_gkm, tiny_kmer, tiny_lstmatt, tiny_two_layer

from enhancer_sk.datasets import make_synthetic_enhancers
from enhancer_sk.interpret import attribution as A
from enhancer_sk.interpret.attribution import attribute as _attribute
from enhancer_sk.presets import build_model

# three 40-bp sequences, one of them with N, an IUPAC code and lower case
_X, _Y = make_synthetic_enhancers(n_samples=200, length=40, random_state=0)
SEQS = [_X[0], _X[1][:15].lower() + "NR" + _X[1][17:], _X[2]]
_MODELS: dict = {}


def attribute(*args, **kwargs):
    """:func:`~enhancer_sk.interpret.attribution.attribute` on one thread (the tests share the machine)."""
    return _attribute(*args, **{"threads": 1, **kwargs})


def _model(name: str):
    """Tiny fitted models, built once per module."""
    if name in _MODELS:
        return _MODELS[name]
    X, y = _X, _Y
    if name == "lstmatt":
        m = tiny_lstmatt(train_split=None, max_epochs=12).fit(X, y)
    elif name == "lstmatt_strands":
        m = tiny_lstmatt(train_split=None, max_epochs=2, average_strands=True).fit(X[:60], y[:60])
    elif name == "lstmatt_windows":
        m = tiny_lstmatt(train_split=None, max_epochs=1, long_inputs="windows", stride=10).fit(X[:60], y[:60])
    elif name == "deepenhancer":
        m = tiny_deepenhancer(train_split=None, lr=1e-2, max_epochs=3).fit(X, y)
    elif name == "kmer_linear":
        m = tiny_kmer(kernel="linear", probability=False).fit(X, y)
    elif name == "kmer_rbf":
        m = tiny_kmer(probability=False).fit(X[:80], y[:80])
    elif name == "gkm":
        m = tiny_gkm().fit(X[:60], y[:60])
    elif name == "gc":
        m = build_model("gc").fit(X, y)
    elif name == "ensemble":
        m = tiny_ensemble(tiny_lstmatt(train_split=None, max_epochs=1)).fit(X[:60], y[:60])
    elif name == "two_layer":
        Xg, yg = make_synthetic_enhancers(n_samples=90, length=40, grades=True, random_state=1)
        labels = np.array(["non", "weak", "strong"], dtype=object)[yg]
        m = tiny_two_layer(tiny_kmer(kernel="linear", probability=True)).fit(Xg, labels)
    else:  # pragma: no cover
        raise KeyError(name)
    _MODELS[name] = m
    return m


def _naive_ism(score, seqs) -> np.ndarray:
    """delta[i, b, j] = score(one mutant) - score(x), one sequence per call."""
    seqs = [s.upper().replace("R", "N") for s in seqs]
    f0 = np.asarray(score(seqs), dtype=np.float64)
    out = np.zeros((len(seqs), 4, max(map(len, seqs))))
    for i, s in enumerate(seqs):
        for j, c in enumerate(s):
            if c not in "ACGT":
                continue
            for b, base in enumerate("ACGT"):
                if base != c:
                    out[i, b, j] = float(np.asarray(score([s[:j] + base + s[j + 1 :]]))[0]) - f0[i]
    return out


def _centred(delta) -> np.ndarray:
    return delta - delta.mean(axis=1, keepdims=True)


def _check_ism(model, score, seqs, **kwargs) -> None:
    hyp = attribute(model, seqs, "ism", hypothetical=True, **kwargs)
    naive = _centred(_naive_ism(score, seqs))
    scale = max(1.0, float(np.abs(np.asarray(score(seqs))).max()))
    assert hyp.dtype == np.float32 and hyp.shape == naive.shape
    np.testing.assert_allclose(hyp, naive, rtol=0, atol=1e-6 * scale)
    assert np.abs(naive).max() > 0  # the models react to substitutions


# ----------------------------------------------------------------------------- ISM == naive loop


@pytest.mark.parametrize("name", ["lstmatt", "lstmatt_strands", "deepenhancer", "kmer_linear", "kmer_rbf", "gkm",
                                  "gc", "ensemble"])
def test_ism_matches_naive_loop(name):
    model = _model(name)
    _check_ism(model, model.decision_function, SEQS, batch_size=100)


def test_ism_deepenhancer_long_sequence_votes_over_windows():
    model = _model("deepenhancer")
    seqs = [_X[5] + _X[6][:25], _X[7][:30]]  # 65 bp (windows of 40 every 10), 30 bp (N-padded windows)
    _check_ism(model, model.decision_function, seqs, batch_size=64)


def test_ism_windowed_lstmatt():
    model = _model("lstmatt_windows")
    _check_ism(model, model.decision_function, [_X[5] + _X[6][:15], _X[7][:30]], batch_size=50)


def test_ism_kmer_weights_path_is_exact_for_every_normalisation():
    for params in ({"norm": None}, {"norm": "l1", "k": (1, 3)}, {"svm": "linear", "canonical_kmers": False}):
        model = tiny_kmer(kernel="linear", probability=False, **params).fit(_X[:80], _Y[:80])
        assert hasattr(model, "coef_")
        delta = A._ism_deltas(model, A._as_codes(SEQS), None, False)
        np.testing.assert_allclose(delta, _naive_ism(model.decision_function, SEQS), rtol=0, atol=1e-10)


@pytest.mark.parametrize("layer", [1, 2])
def test_ism_two_layer(layer):
    model = _model("two_layer")
    estimator = model.layer1_ if layer == 1 else model.layer2_
    hyp = attribute(model, SEQS, hypothetical=True, layer=layer)
    np.testing.assert_allclose(hyp, _centred(_naive_ism(estimator.decision_function, SEQS)), atol=1e-6)


def test_ism_of_a_model_without_decision_function_uses_log_odds():
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline

    from enhancer_sk.sequence.encoders import KmerSpectrum

    model = make_pipeline(KmerSpectrum(k=2, norm="l1"), KNeighborsClassifier(15)).fit(_X, _Y)
    assert not hasattr(model, "decision_function")
    _check_ism(model, lambda X: A._score(model, X), SEQS)
    lr = make_pipeline(KmerSpectrum(k=2), LogisticRegression()).fit(_X, _Y)
    p = lr.predict_proba(SEQS)[:, 1]
    np.testing.assert_allclose(A._score(lr, SEQS), np.log(p / (1 - p)), atol=1e-8)


def test_ism_gkm_dispatches_to_gkm_ism():
    gkm = pytest.importorskip("enhancer_sk.interpret.gkm")
    model = _model("gkm")
    delta = np.asarray(gkm.gkm_ism(model, SEQS), dtype=np.float64)
    hyp = attribute(model, SEQS, hypothetical=True)
    np.testing.assert_allclose(hyp, _centred(delta), atol=1e-5)
    np.testing.assert_allclose(hyp, _centred(_naive_ism(model.decision_function, SEQS)), atol=1e-5)


def test_gkmexplain_dispatches():
    gkm = pytest.importorskip("enhancer_sk.interpret.gkm")
    model = _model("gkm")
    for hypothetical in (False, True):
        out = attribute(model, SEQS, "gkmexplain", hypothetical=hypothetical)
        expected = np.asarray(gkm.gkm_explain(model, SEQS, hypothetical=hypothetical))
        assert out.shape == (3, 4, 40)
        np.testing.assert_allclose(out[0], expected[0], atol=1e-6)
        assert not out[1, :, 15:17].any()


# ----------------------------------------------------------------------------- conventions


def test_n_padding_and_actual_vs_hypothetical():
    model = _model("kmer_linear")
    seqs = ["ACGTNACGTTGCAnnGT", "acgtacgtac", "GGGRYCCC" * 3]
    hyp = attribute(model, seqs, hypothetical=True)
    act = attribute(model, seqs)
    assert hyp.shape == act.shape == (3, 4, 24)
    assert not hyp[1, :, 10:].any() and not hyp[0, :, 17:].any()  # right padding
    assert not hyp[0, :, [4, 13, 14]].any() and not hyp[2, :, [3, 4, 11, 12, 19, 20]].any()  # N / IUPAC
    onehot = A._one_hot(A._padded_codes(A._as_codes(seqs)))
    np.testing.assert_array_equal(act, (hyp * onehot).astype(np.float32))
    np.testing.assert_allclose(hyp.sum(axis=1), 0, atol=1e-6)  # ISM: centred over the bases
    # actual contribution at j = f(x) - mean_b f(x_j<-b)
    delta = A._ism_deltas(model, A._as_codes(seqs), None, False)
    np.testing.assert_allclose(act.sum(axis=1), -delta.mean(axis=1), atol=1e-6)


def test_fasta_input_equals_strings(tmp_path):
    path = tmp_path / "x.fa"
    path.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(SEQS)))
    model = _model("gc")
    np.testing.assert_array_equal(attribute(model, str(path)), attribute(model, SEQS))


def test_public_name():
    from enhancer_sk.interpret import attribute as public

    assert public is _attribute


# ----------------------------------------------------------------------------- gradient methods


def _reference_scores(model, seqs, n_shuffles, random_state, mean_reference=False):
    """f(attributed input) and mean_r f(r) (or f(mean r)), as attribute builds them."""
    codes, seq, _, _ = A._window_units(model, A._as_codes(seqs))
    refs = A._shuffled_references(codes, n_shuffles, A._unit_seeds(random_state, len(codes)))
    wrapper = A._wrapper(model).eval()
    with torch.no_grad():
        fx = wrapper(torch.from_numpy(A._one_hot(codes)))[:, 0].double().numpy()
        if mean_reference:
            fr = wrapper(torch.from_numpy(refs.mean(axis=1)))[:, 0].double().numpy()
        else:
            fr = np.array([wrapper(torch.from_numpy(r))[:, 0].double().numpy().mean() for r in refs])
    return fx, fr, seq


def test_deep_lift_shap_summation_deepenhancer():
    model = _model("deepenhancer")
    seqs = [*SEQS, _X[5] + _X[6][:25], _X[7][:30]]  # and a long and a short sequence (windows)
    out = attribute(model, seqs, "deep_lift_shap", n_shuffles=8, random_state=0)
    fx, fr, seq = _reference_scores(model, seqs, 8, 0)
    np.testing.assert_array_equal(seq, np.arange(len(seqs)))  # aggregate="max": one window per sequence
    np.testing.assert_allclose(fx, model.decision_function(seqs), atol=1e-5)  # the window the vote selects
    np.testing.assert_allclose(out.sum(axis=(1, 2)), fx - fr, atol=1e-3)
    assert np.abs(fx - fr).max() > 1e-2
    assert not out[1, :, 15:17].any() and not out[4, :, 30:].any()
    hyp = attribute(model, seqs, "deep_lift_shap", n_shuffles=8, random_state=0, hypothetical=True)
    onehot = A._one_hot(A._padded_codes(A._as_codes(seqs)))
    np.testing.assert_allclose(out, hyp * onehot, atol=1e-7)


@pytest.mark.parametrize("setting", [{"aggregate": "mean"}, {"average_strands": True}])
def test_deep_lift_shap_mean_windows_and_strands(setting):
    """aggregate="mean": the windows' contributions averaged; average_strands: both strands' averaged."""
    model = copy.deepcopy(_model("deepenhancer"))
    model.set_params(**setting)
    seqs = [_X[5] + _X[6][:25], _X[7][:30], SEQS[1]]
    out = attribute(model, seqs, "deep_lift_shap", n_shuffles=4, random_state=1)
    fx, fr, seq = _reference_scores(model, seqs, 4, 1)
    counts = np.bincount(seq)
    if "aggregate" in setting:
        assert counts.tolist() == [4, 2, 1]
    expected = np.bincount(seq, weights=(fx - fr) / counts[seq])
    np.testing.assert_allclose(out.sum(axis=(1, 2)), expected, atol=1e-3)


def test_deep_lift_shap_is_reproducible():
    model = _model("deepenhancer")
    a = attribute(model, SEQS, "deep_lift_shap", n_shuffles=4, random_state=3)
    b = attribute(model, SEQS, "deep_lift_shap", n_shuffles=4, random_state=3)
    c = attribute(model, SEQS, "deep_lift_shap", n_shuffles=4, random_state=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", ["deepenhancer", "lstmatt"])
def test_integrated_gradients_completeness(name):
    """Completeness within 5% of the largest output difference (integration error of IG_STEPS steps)."""
    model = _model(name)
    out = attribute(model, SEQS, "integrated_gradients", n_shuffles=8, random_state=0)
    fx, fr, _ = _reference_scores(model, SEQS, 8, 0, mean_reference=True)
    diff = fx - fr
    assert np.abs(diff).max() > 1e-2
    np.testing.assert_allclose(out.sum(axis=(1, 2)), diff, atol=0.05 * np.abs(diff).max())


def test_lstmatt_wrapper_equals_the_model_both_strands():
    model = _model("lstmatt_strands")
    codes, _, _, _ = A._window_units(model, A._as_codes(SEQS))
    with torch.no_grad():
        logits = A._wrapper(model).eval()(torch.from_numpy(A._one_hot(codes)))[:, 0].numpy()
    np.testing.assert_allclose(logits, model.decision_function(SEQS), atol=1e-5)


def test_lstmatt_deep_lift_shap_raises():
    with pytest.raises(ValueError, match="integrated_gradients"):
        attribute(_model("lstmatt"), SEQS, "deep_lift_shap")


def test_ensemble_gradients_average_the_members():
    model = _model("ensemble")
    out = attribute(model, SEQS, "integrated_gradients", n_shuffles=2, random_state=0)
    members = [attribute(m, SEQS, "integrated_gradients", n_shuffles=2, random_state=0) for m in model.estimators_]
    np.testing.assert_allclose(out, np.mean(members, axis=0), atol=1e-6)


# ----------------------------------------------------------------------------- errors


def test_errors():
    kmer = _model("kmer_linear")
    with pytest.raises(ValueError, match="unknown method 'shap'.*ism, deep_lift_shap"):
        attribute(kmer, SEQS, "shap")
    with pytest.raises(ValueError, match="KmerSVM does not support method='gkmexplain'; it supports 'ism'"):
        attribute(kmer, SEQS, "gkmexplain")
    with pytest.raises(ValueError, match="KmerSVM does not support method='deep_lift_shap'"):
        attribute(kmer, SEQS, "deep_lift_shap")
    with pytest.raises(ValueError, match="GkmSVM does not support method='integrated_gradients'.*'gkmexplain'"):
        attribute(tiny_gkm(), SEQS, "integrated_gradients")
    for empty in ([], np.array([], dtype=object)):
        with pytest.raises(ValueError, match="empty"):
            attribute(kmer, empty)
    with pytest.raises(ValueError, match="layer=1"):
        attribute(_model("two_layer"), SEQS)
    with pytest.raises(ValueError, match="only for two-layer"):
        attribute(kmer, SEQS, layer=1)


def test_verbose_reports_progress(capsys):
    model = _model("gc")
    quiet = attribute(model, SEQS)
    assert capsys.readouterr().err == ""
    np.testing.assert_array_equal(attribute(model, SEQS, verbose=True, batch_size=50), quiet)
    assert "ISM" in capsys.readouterr().err
