"""Training on windows: sampled windows per epoch, voting validation, LSTMAtt's windowed mode."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skorch.dataset import ValidSplit

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.models.nn.deepenhancer import DeepEnhancerCNN
from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAttClassifier
from enhancer_sk.models.nn.windowed import (
    GroupValidSplit,
    SampledWindowDataset,
    SequenceVotingDataset,
    WindowDataset,
    token_windows,
)
from enhancer_sk.presets import build_model
from enhancer_sk.sequence.codes import sequence_codes
from enhancer_sk.sequence.windows import SlidingWindows


def _random_dna(rng, n, lengths) -> list[str]:
    return ["".join(rng.choice(list("ACGT"), int(rng.integers(*lengths)))) for _ in range(n)]


def _drawn_windows(dataset: SampledWindowDataset, epoch: int) -> np.ndarray:
    dataset.set_epoch(epoch)
    return dataset._window_numbers(np.arange(len(dataset)))


@settings(max_examples=30, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 120), min_size=1, max_size=6),
    window=st.integers(5, 40),
    stride=st.integers(1, 7),
    per_sequence=st.integers(1, 9),
    seed=st.integers(0, 2**31 - 1),
)
def test_sampled_windows_cover_every_window_and_repeat_with_the_seed(lengths, window, stride, per_sequence, seed):
    rng = np.random.default_rng(seed)
    X = ["".join(rng.choice(list("ACGT"), n)) for n in lengths]
    windows = SlidingWindows(X, window, stride)
    labels = np.zeros(len(X))
    a = SampledWindowDataset(windows, labels, per_sequence)
    b = SampledWindowDataset(windows, labels, per_sequence)
    a.set_epoch(1, seed)
    b.set_epoch(1, seed)
    epochs = math.ceil(int(windows.counts.max()) / per_sequence)
    seen = []
    for epoch in range(1, epochs + 1):
        drawn = _drawn_windows(a, epoch)
        np.testing.assert_array_equal(drawn, _drawn_windows(b, epoch))  # same seed, same windows
        # every slot draws a window of its own sequence, per_sequence slots per sequence
        np.testing.assert_array_equal(windows.groups_at(drawn), a.groups)
        seen.append(drawn)
    assert set(np.concatenate(seen).tolist()) == set(range(windows.n_windows))


def test_sampled_windows_are_redrawn_every_epoch_and_differ_between_seeds():
    windows = SlidingWindows(["ACGT" * 100] * 3, 50, 2)
    ds = SampledWindowDataset(windows, np.zeros(3), 4)
    ds.set_epoch(1, seed=0)
    e1, e2 = _drawn_windows(ds, 1), _drawn_windows(ds, 2)
    assert not set(e1.tolist()) & set(e2.tolist())
    other = SampledWindowDataset(windows, np.zeros(3), 4)
    other.set_epoch(1, seed=1)
    assert not np.array_equal(_drawn_windows(other, 1), e1)
    # items carry their sequence's label and the window's one-hot
    labelled = SampledWindowDataset(windows, np.array([0, 1, 0]), 4)
    x, y = labelled[5]
    assert tuple(x.shape) == (4, 50) and float(y) == 1.0


def test_group_split_of_sampled_windows_holds_out_sequences_for_voting():
    rng = np.random.default_rng(0)
    sc = sequence_codes(_random_dna(rng, 20, (60, 200)))
    windows = SlidingWindows(sc, 50, 5)
    labels = np.arange(20) % 2
    ds = SampledWindowDataset(windows, labels, 3, sequences=sc)
    train, valid = GroupValidSplit(0.25, random_state=0)(ds)
    assert isinstance(valid, SequenceVotingDataset) and len(valid) == 5
    train_seqs = set(ds.groups[train.indices].tolist())
    assert len(train_seqs) == 15 and len(train) == 15 * 3
    held_out = {s for s in sc.to_strings()} - {sc.to_strings()[i] for i in train_seqs}
    assert set(valid.sequences.to_strings()) == held_out
    assert sorted(valid.sequence_labels.tolist()) == sorted(labels[sorted(set(range(20)) - train_seqs)].tolist())
    # the all-windows dataset keeps its window-level validation
    _, valid_all = GroupValidSplit(0.25, random_state=0)(WindowDataset(windows, labels, sequences=sc))
    assert not isinstance(valid_all, SequenceVotingDataset)


def _tiny_cnn(**params) -> DeepEnhancerCNN:
    defaults = dict(architecture="4conv2pool", window=60, stride=4, module__n_kernels_1=8, module__n_kernels_2=8,
                    module__n_hidden_1=8, module__n_hidden_2=4, lr=3e-3, max_epochs=3, random_state=0, threads=1)
    return DeepEnhancerCNN(**{**defaults, **params})


@pytest.fixture(scope="module")
def long_data():
    X, y = make_synthetic_enhancers(n_samples=80, length=(120, 400), random_state=0)[:2]
    return X, y


def test_sampled_fit_is_reproducible_and_validates_by_voting(long_data):
    X, y = long_data
    split = GroupValidSplit(0.25, random_state=3)
    a = _tiny_cnn(train_windows_per_sequence=2, train_split=split, patience=None).fit(X, y)
    b = _tiny_cnn(train_windows_per_sequence=2, train_split=split, patience=None).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    # an epoch trains on 2 windows of each of the 60 training sequences
    assert a.history[-1, "train_batch_count"] == 1 and sum(a.history[-1, "batches", :, "train_batch_size"]) == 120
    # the validation loss is the log loss of the final model's votes on the held-out sequences
    sc = sequence_codes(list(X))
    windows = SlidingWindows(sc, 60, 4)
    ds = SampledWindowDataset(windows, (np.asarray(y) == a.classes_[1]).astype(float), 2, sequences=sc)
    _, valid = split(ds)
    p = a.predict_proba(valid.sequences.to_strings())[:, 1]
    t = valid.sequence_labels
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert a.history[-1, "valid_loss"] == pytest.approx(expected, rel=1e-5)


def test_sampled_fit_sees_fewer_windows_than_the_all_windows_fit(long_data):
    X, y = long_data
    all_windows = _tiny_cnn(max_epochs=1, train_split=None).fit(X, y)
    sampled = _tiny_cnn(max_epochs=1, train_split=None, train_windows_per_sequence=3).fit(X, y)
    n_all = SlidingWindows(list(X), 60, 4).n_windows
    assert sum(all_windows.history[-1, "batches", :, "train_batch_size"]) == n_all
    assert sum(sampled.history[-1, "batches", :, "train_batch_size"]) == 3 * len(X) < n_all


@pytest.mark.slow
def test_full_preset_epoch_cost_does_not_grow_with_length():
    rng = np.random.default_rng(0)
    durations = {}
    for length in (600, 1500):
        X = _random_dna(rng, 120, (length, length + 1))
        y = np.arange(120) % 2
        clf = build_model("deepenhancer", preset="full", seed=0, threads=1)
        clf.set_params(max_epochs=3, patience=None)
        assert clf.train_windows_per_sequence is not None
        start = time.perf_counter()
        clf.fit(X, y)
        assert time.perf_counter() - start < 300
        durations[length] = min(clf.history[:, "dur"])
    assert durations[1500] < 1.5 * durations[600], durations


# --------------------------------------------------------------------------- Enhancer-LSTMAtt


def _tiny_lstmatt(length, **params) -> EnhancerLSTMAttClassifier:
    defaults = dict(module__sequence_length=length, module__lstm_units=4, module__lstm_layers=1,
                    module__n_identity_blocks=1, module__conv_filters=4, module__res_filters=4,
                    module__embedding_dim=4, max_epochs=2, lr=3e-3, random_state=0, threads=1, train_split=None)
    return EnhancerLSTMAttClassifier(**{**defaults, **params})


def test_windowed_lstmatt_equals_crop_mode_at_the_trained_length():
    X, y = make_synthetic_enhancers(n_samples=60, length=50, random_state=1)[:2]
    crop = _tiny_lstmatt(50).fit(X, y)
    windows = _tiny_lstmatt(50, long_inputs="windows").fit(X, y)
    # trained in either mode: the same network up to float rounding
    np.testing.assert_allclose(windows.predict_proba(X), crop.predict_proba(X), atol=1e-6)
    # one network scored in either mode: the same logits (probabilities differ by the float32 sigmoid's rounding)
    expected_proba, expected_logit = crop.predict_proba(X), crop.decision_function(X)
    crop.set_params(long_inputs="windows")
    np.testing.assert_array_equal(crop.decision_function(X), expected_logit)
    np.testing.assert_allclose(crop.predict_proba(X), expected_proba, rtol=1e-6)


@pytest.mark.parametrize("aggregate", ["max", "mean"])
def test_windowed_lstmatt_votes_over_windows(aggregate):
    X, y = make_synthetic_enhancers(n_samples=40, length=(60, 160), random_state=2)[:2]
    clf = _tiny_lstmatt(50, long_inputs="windows", stride=20, aggregate=aggregate, train_windows_per_sequence=2)
    clf.fit(X, y)
    windows = SlidingWindows(list(X[:5]), 50, 20)
    crop = clf.set_params(long_inputs="crop")
    p = crop.predict_proba(token_windows(windows.codes(0, windows.n_windows)).numpy())[:, 1]
    seq = windows.groups()
    expected = [p[seq == i].max() if aggregate == "max" else p[seq == i].mean() for i in range(5)]
    clf.set_params(long_inputs="windows")
    np.testing.assert_allclose(clf.predict_proba(X[:5])[:, 1], expected, rtol=1e-5)


def test_windowed_lstmatt_turns_skorch_valid_split_into_a_sequence_split():
    X, y = make_synthetic_enhancers(n_samples=50, length=(60, 160), random_state=3)[:2]
    clf = _tiny_lstmatt(50, long_inputs="windows", stride=20, train_windows_per_sequence=2,
                        train_split=ValidSplit(5, stratified=True), max_epochs=1)
    clf.fit(X, y)
    assert clf.history[-1, "valid_loss"] > 0
    # 10 of 50 sequences held out, 2 windows of each other sequence trained on
    assert sum(clf.history[-1, "batches", :, "train_batch_size"]) == 80
    assert sum(clf.history[-1, "batches", :, "valid_batch_size"]) == 10
