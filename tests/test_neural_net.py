"""The shared skorch base: labels, seeding, threads, decision function (tiny module)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.models.nn.base import SequenceNetClassifier, torch_seed
from enhancer_sk.sequence.encoders import one_hot_encode


class _TinyConv(torch.nn.Module):
    def __init__(self, filters: int = 4):
        super().__init__()
        self.conv = torch.nn.Conv1d(4, filters, 6)
        self.out = torch.nn.Linear(filters, 1)

    def forward(self, x):
        h = torch.relu(self.conv(x)).amax(dim=2)
        return self.out(h).squeeze(1)


class _TinyNet(SequenceNetClassifier):
    def __init__(self, module=_TinyConv, *, random_state=None, threads=None, **kwargs):
        kwargs.setdefault("max_epochs", 3)
        kwargs.setdefault("lr", 0.05)
        kwargs.setdefault("optimizer", torch.optim.Adam)
        kwargs.setdefault("train_split", None)
        kwargs.setdefault("verbose", 0)
        super().__init__(module, random_state=random_state, threads=threads, **kwargs)

    def encode(self, X):
        return X if self._is_encoded(X) else one_hot_encode(X, 60)


@pytest.fixture(scope="module")
def data():
    X, y = make_synthetic_enhancers(120, 60, motifs_per_sequence=2, random_state=0)
    return X, np.where(y == 1, "enhancer", "background")


def test_labels_and_outputs(data):
    X, y = data
    net = _TinyNet(random_state=0, threads=1).fit(X, y)
    assert list(net.classes_) == ["background", "enhancer"]
    assert set(net.predict(X)) <= set(net.classes_)
    proba = net.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(1), 1, atol=1e-6)
    logits = net.decision_function(X)
    assert np.allclose(1 / (1 + np.exp(-logits)), proba[:, 1], atol=1e-5)
    # strings and already-encoded arrays give the same scores
    assert np.allclose(net.decision_function(one_hot_encode(X, 60)), logits)


def test_random_state_is_bitwise_reproducible(data):
    X, y = data
    state = torch.random.get_rng_state()
    a = _TinyNet(random_state=3, threads=1).fit(X, y).predict_proba(X)
    b = _TinyNet(random_state=3, threads=1).fit(X, y).predict_proba(X)
    c = _TinyNet(random_state=4, threads=1).fit(X, y).predict_proba(X)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert torch.equal(state, torch.random.get_rng_state())  # caller's RNG untouched


def test_clone_and_nested_params():
    net = _TinyNet(module__filters=8, random_state=1, threads=2)
    twin = clone(net)
    assert twin.get_params()["module__filters"] == 8 and twin.random_state == 1 and twin.threads == 2
    twin.set_params(module__filters=2)
    assert net.get_params()["module__filters"] == 8


def test_threads_apply_only_during_calls(data):
    X, y = data
    before = torch.get_num_threads()
    _TinyNet(random_state=0, threads=1).fit(X, y)
    assert torch.get_num_threads() == before


def test_more_than_two_classes_refused(data):
    X, _ = data
    y3 = np.arange(len(X)) % 3
    with pytest.raises(ValueError, match="binary classifier"):
        _TinyNet().fit(X, y3)


def test_torch_seed():
    assert torch_seed(None) is None and torch_seed(5) == 5
    assert torch_seed(np.random.RandomState(0)) == torch_seed(np.random.RandomState(0))
    with pytest.raises(ValueError, match="random_state"):
        torch_seed("x")
