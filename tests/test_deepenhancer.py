"""Tests of enhancer_sk.deepenhancer: the DeepEnhancer CNNs as scikit-learn classifiers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from estimator_checks import network_expected_failed_checks
from scipy.special import expit
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks
from tiny import CHECKS_DEEPENHANCER, tiny_deepenhancer

from enhancer_sk import load, save
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.exceptions import ModelFileError
from enhancer_sk.models.nn.deepenhancer import ARCHITECTURES, DeepEnhancerCNN, DeepEnhancerNet
from enhancer_sk.models.nn.windowed import GroupValidSplit, WindowDataset
from enhancer_sk.sequence.alphabet import reverse_complement
from enhancer_sk.sequence.windows import SlidingWindows


@pytest.fixture(scope="module")
def data():
    X, y = make_synthetic_enhancers(120, (30, 90), random_state=0)
    labels = np.where(y == 1, "enhancer", "background").astype(object)
    return X, labels


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return tiny_deepenhancer(max_epochs=3).fit(X, y)


# ----------------------------------------------------------------------------- architectures


def conv(i, k, w):
    return i * k * w + k


def dense(i, o):
    return i * o + o


def expected_parameter_count(architecture: str, window: int = 300) -> int:
    """Trainable parameters from the layer lists written out by hand (see DeepEnhancerNet)."""
    bn = "norm" in architecture
    pool = "pool" in architecture
    six = architecture.startswith("6")
    layers = [("conv", 128, 8), ("conv", 128, 8), ("pool",), ("conv", 64, 3), ("conv", 64, 3), ("pool",)]
    if six:
        layers += [("conv", 16, 2), ("conv", 16, 2), ("pool",)]
    count, channels, length = 0, 4, window
    for layer in layers:
        if layer[0] == "pool":
            if pool:
                length //= 2
            continue
        _, k, w = layer
        count += conv(channels, k, w) + (2 * k if bn else 0)
        channels, length = k, length - w + 1
    return count + dense(channels * length, 256) + dense(256, 128) + dense(128, 1)


def test_parameter_counts_match_the_layer_lists():
    # e.g. default: conv 4*128*8+128, 128*128*8+128, 128*64*3+64, 64*64*3+64, BN 2*(128+128+64+64),
    # flatten 64 * 69 -> 256 -> 128 -> 1
    print()
    for name in ARCHITECTURES:
        net = DeepEnhancerNet(name)
        n = sum(p.numel() for p in net.parameters())
        print(f"{name:>16}: {n:>9,} parameters")
        assert n == expected_parameter_count(name)
    # 4224 + 131200 + 24640 + 12352 + 768 + 1130752 + 32896 + 129
    assert expected_parameter_count("4conv2pool4norm") == 1_336_961


def test_layer_list_of_the_default_architecture():
    net = DeepEnhancerNet()
    kinds = [type(m).__name__ for m in net.conv] + [type(m).__name__ for m in net.dense]
    assert kinds == ["Conv1d", "BatchNorm1d", "ReLU", "Conv1d", "BatchNorm1d", "ReLU", "MaxPool1d",
                     "Conv1d", "BatchNorm1d", "ReLU", "Conv1d", "BatchNorm1d", "ReLU", "MaxPool1d",
                     "Flatten", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Linear"]
    assert net(torch.zeros(3, 4, 300)).shape == (3,)


def test_architecture_errors():
    with pytest.raises(ValueError, match="did you mean '4conv2pool4norm'"):
        DeepEnhancerNet("4conv2pool4nrom")
    with pytest.raises(ValueError, match="too short"):
        DeepEnhancerNet("6conv3pool", window=30)
    with pytest.raises(ValueError, match="unknown architecture"):
        tiny_deepenhancer(architecture="resnet").fit(["ACGT" * 10, "TTGA" * 10], [0, 1])


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_every_architecture_fits_and_predicts_with_default_sizes(architecture):
    X, y = make_synthetic_enhancers(16, (250, 330), random_state=1)
    clf = DeepEnhancerCNN(architecture, max_windows_per_sequence=2, max_epochs=1, batch_size=16, threads=1,
                          random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (16, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(X)) <= {0, 1}


# ----------------------------------------------------------------------------- windows in fit


def test_fit_trains_on_every_window_and_validates_on_held_out_sequences(data):
    X, y = data
    clf = tiny_deepenhancer(max_epochs=1).fit(X, y)
    windows = SlidingWindows(X, 40, 10)
    epoch = clf.history[-1]
    n_train = sum(b.get("train_batch_size", 0) for b in epoch["batches"])
    n_valid = sum(b.get("valid_batch_size", 0) for b in epoch["batches"])
    assert n_train + n_valid == windows.n_windows
    assert 0 < n_valid < n_train
    assert {"train_loss", "valid_loss", "event_lr"} <= set(epoch)


def test_learning_rate_decays_every_epoch(data):
    X, y = data
    clf = tiny_deepenhancer(max_epochs=3, lr=1e-3, lr_decay=0.5, patience=None).fit(X, y)
    assert clf.history[:, "event_lr"] == pytest.approx([1e-3, 5e-4, 2.5e-4])
    assert clf.optimizer_.param_groups[0]["lr"] == pytest.approx(1.25e-4)


def test_group_valid_split_keeps_sequences_whole():
    lengths = np.arange(30, 130)
    X = ["A" * n for n in lengths]
    labels = (np.arange(100) % 2).astype(np.float32)
    dataset = WindowDataset(SlidingWindows(X, 40, 5), labels)
    train, valid = GroupValidSplit(0.2, random_state=0)(dataset)
    train_groups = set(dataset.groups[train.indices].tolist())
    valid_groups = set(dataset.groups[valid.indices].tolist())
    assert not train_groups & valid_groups
    assert train_groups | valid_groups == set(range(100))
    assert len(valid_groups) == 20
    assert labels[sorted(valid_groups)].sum() == 10  # stratified
    assert len(train) + len(valid) == len(dataset)
    x, label = dataset[valid.indices[0]]
    assert x.shape == (4, 40) and label == labels[dataset.groups[valid.indices[0]]]


def test_cross_validation_by_sequence(data):
    X, y = data
    scores = cross_val_score(tiny_deepenhancer(max_epochs=1), X, y, cv=GroupKFold(2),
                             groups=np.arange(len(X)) % 7, scoring="roc_auc")
    assert scores.shape == (2,) and np.isfinite(scores).all()


# ----------------------------------------------------------------------------- prediction


def test_predict_proba_is_max_or_mean_of_window_probabilities(fitted, data):
    X, _ = data
    queries = list(X[:5]) + ["ACGT" * 50, "GATTACA" * 143]  # 200 bp and 1001 bp
    logits, seq = fitted.window_logits(queries)
    p_win = expit(logits)
    p_max = np.array([p_win[seq == i].max() for i in range(len(queries))])
    p_mean = np.array([p_win[seq == i].mean() for i in range(len(queries))])
    np.testing.assert_allclose(fitted.predict_proba(queries)[:, 1], p_max, rtol=1e-6)
    np.testing.assert_allclose(expit(fitted.decision_function(queries)), p_max, rtol=1e-6)
    mean = clone(fitted).set_params(aggregate="mean")
    mean.initialize()
    mean.module_.load_state_dict(fitted.module_.state_dict())
    mean.classes_ = fitted.classes_
    np.testing.assert_allclose(mean.predict_proba(queries)[:, 1], p_mean, rtol=1e-6)
    assert fitted.predict(queries).tolist() == [fitted.classes_[int(p > 0.5)] for p in p_max]
    assert set(fitted.predict(X)) <= set(fitted.classes_) == {"background", "enhancer"}


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_shared_convolution_scores_equal_window_by_window_scores(architecture):
    """The fast prediction path (convolutions shared by overlapping windows) is exact."""
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), n)) for n in (20, 57, 79, 80, 81, 150, 333)]
    for stride, rc, cap in ((1, False, None), (2, True, None), (3, False, None), (1, False, 3)):
        clf = tiny_deepenhancer(architecture=architecture, window=80, stride=stride, average_strands=rc,
                                max_windows_per_sequence=cap, iterator_valid__batch_size=50)
        torch.manual_seed(stride)
        clf.initialize()
        for m in clf.module_.modules():  # non-trivial batch-norm statistics
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.5, 2)
        windows = clf._windows(seqs)
        slow = np.concatenate([lg for lg, _ in clf._iter_window_scores(windows, shared=False)])
        fast, seq = map(np.concatenate, zip(*clf._iter_window_scores(windows, shared=True)))
        assert len(fast) == windows.n_windows
        np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(seq, windows.groups())
    # windows far apart (capped): given window by window, memory bounded by the batch
    sparse = tiny_deepenhancer(window=80, stride=1, max_windows_per_sequence=2)
    (x, segment, _, seq), = sparse._shared_batches(sparse._windows(["A" * 5000]))
    assert segment is None and x.shape == (2, 4, 80) and seq.tolist() == [0, 0]
    with pytest.raises(RuntimeError, match="evaluation mode"):
        clf.module_.train().window_logits(torch.zeros(1, 4, 80), torch.zeros(1, dtype=torch.long),
                                          torch.zeros(1, dtype=torch.long))


def test_reverse_complement_option_makes_scores_strand_symmetric(fitted):
    # lengths whose window sets mirror onto each other (span divisible by the stride)
    seqs = ["".join(np.random.default_rng(i).choice(list("ACGT"), n)) for i, n in enumerate([30, 40, 80, 120])]
    both = clone(fitted).set_params(average_strands=True)
    both.initialize()
    both.module_.load_state_dict(fitted.module_.state_dict())
    both.classes_ = fitted.classes_
    np.testing.assert_allclose(both.predict_proba(seqs), both.predict_proba(reverse_complement(seqs)), rtol=1e-5)
    assert not np.allclose(fitted.predict_proba(seqs), fitted.predict_proba(reverse_complement(seqs)))


def test_inputs_fasta_one_hot_and_unfitted(fitted, data, tmp_path):
    X, _ = data
    from enhancer_sk.io.fasta import write_fasta
    from enhancer_sk.sequence.encoders import one_hot_encode

    path = tmp_path / "x.fa"
    write_fasta(path, [f"s{i}" for i in range(5)], X[:5])
    np.testing.assert_array_equal(fitted.predict_proba(str(path)), fitted.predict_proba(X[:5]))
    same = [s[:30] for s in X[:4]]
    np.testing.assert_allclose(fitted.predict_proba(one_hot_encode(same)), fitted.predict_proba(same))
    with pytest.raises(NotFittedError):
        tiny_deepenhancer().predict_proba(X[:2])


def test_random_state_reproducible_and_clone(data):
    X, y = data
    a = tiny_deepenhancer(max_epochs=1).fit(X, y).predict_proba(X)
    model = tiny_deepenhancer(max_epochs=1)
    b = clone(model).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    params = model.get_params()
    assert params["module__n_kernels_1"] == 8 and params["architecture"] == "4conv2pool4norm"
    model.set_params(module__n_kernels_1=6).initialize()
    assert model.module_.first_conv.out_channels == 6


def test_partial_fit_continues_training(data):
    X, y = data
    clf = tiny_deepenhancer(max_epochs=1).fit(X, y)
    before = clf.module_.first_conv.weight.detach().clone()
    clf.partial_fit(X, y)
    assert len(clf.history) == 2
    assert not torch.equal(before, clf.module_.first_conv.weight)
    with pytest.raises(ValueError, match="not one of the fitted classes"):
        clf.partial_fit(X[:4], ["x", "y", "x", "y"])


# ----------------------------------------------------------------------------- transfer learning


def _state(model):
    return {k: v.detach().clone() for k, v in model.module_.state_dict().items()}


def test_fine_tuning_starts_from_pretrained_weights(fitted, data, tmp_path):
    X, y = data
    pre = _state(fitted)
    start = tiny_deepenhancer(init_from=fitted, max_epochs=0).fit(X, y)  # no epoch: the copied weights as they are
    for k, v in _state(start).items():
        assert torch.equal(v, pre[k]), k
    tuned = tiny_deepenhancer(init_from=fitted, freeze_conv=True, lr=1e-4, max_epochs=2,
                              random_state=5).fit(X[::-1], y[::-1])
    after = _state(tuned)
    conv_keys = [k for k in pre if k.startswith("conv.")]
    dense_keys = [k for k in pre if k.startswith("dense.")]
    assert all(torch.equal(after[k], pre[k]) for k in conv_keys)  # frozen, BN statistics included
    assert any(not torch.equal(after[k], pre[k]) for k in dense_keys)
    free = tiny_deepenhancer(init_from=fitted, max_epochs=1, random_state=5).fit(X, y)
    assert any(not torch.equal(_state(free)[k], pre[k]) for k in conv_keys)
    # the pre-trained model is left alone and survives cloning
    assert all(torch.equal(v, pre[k]) for k, v in _state(fitted).items())
    assert clone(tuned).init_from is fitted
    # from a model file
    path = tmp_path / "pre.safetensors"
    save(fitted, path)
    from_file = tiny_deepenhancer(init_from=str(path), max_epochs=0).fit(X, y)
    assert all(torch.equal(v, pre[k]) for k, v in _state(from_file).items())
    with pytest.raises(ValueError, match="different network"):
        tiny_deepenhancer(init_from=fitted, architecture="4conv2pool", max_epochs=0).fit(X, y)


def test_model_file_round_trip(fitted, data, tmp_path):
    X, _ = data
    path = tmp_path / "m.safetensors"
    save(fitted, path)
    loaded = load(path).set_params(threads=1)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    assert list(loaded.classes_) == list(fitted.classes_)
    assert b"pickle" not in path.read_bytes()[:200]
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelFileError):
        load(bad)
    # init_from names a model file that holds another kind of model
    from enhancer_sk import KmerSVM

    save(KmerSVM(k=2, probability=False).fit(X, np.arange(len(X)) % 2), tmp_path / "k.eskm")
    with pytest.raises(ModelFileError, match="not a DeepEnhancerCNN"):
        tiny_deepenhancer(init_from=str(tmp_path / "k.eskm"), max_epochs=0).fit(X, np.arange(len(X)) % 2)


# ----------------------------------------------------------------------------- sklearn checks

@parametrize_with_checks(
    [tiny_deepenhancer(**CHECKS_DEEPENHANCER)], expected_failed_checks=network_expected_failed_checks
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
