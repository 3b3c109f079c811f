"""The project's skorch callbacks."""

import math

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch.callbacks import LRScheduler
from tiny import tiny_lstmatt

from enhancer_sk import load, save
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.models.nn.callbacks import CosineAnnealing


@pytest.fixture(scope="module")
def data():
    return make_synthetic_enhancers(n_samples=96, length=40, random_state=0)


def test_same_rates_and_model_as_torch_cosine_annealing(data):
    X, y = data
    ours = tiny_lstmatt(train_split=None, max_epochs=3, callbacks=[("lr", CosineAnnealing())]).fit(X, y)
    torch_policy = LRScheduler(policy=torch.optim.lr_scheduler.CosineAnnealingLR, T_max=3)
    theirs = tiny_lstmatt(train_split=None, max_epochs=3, callbacks=[("lr", torch_policy)]).fit(X, y)
    assert ours.history[:, "event_lr"] == theirs.history[:, "event_lr"]
    np.testing.assert_array_equal(ours.predict_proba(X), theirs.predict_proba(X))


def test_schedule_follows_max_epochs(data):
    X, y = data
    clf = tiny_lstmatt(train_split=None, max_epochs=2, callbacks=[("lr", CosineAnnealing(eta_min=1e-4))])
    clf.set_params(max_epochs=5).fit(X, y)
    expected = [1e-4 + (1e-2 - 1e-4) * (1 + math.cos(math.pi * e / 5)) / 2 for e in range(5)]
    np.testing.assert_allclose(clf.history[:, "event_lr"], expected, rtol=1e-12)
    # the length read at fit time is fitted state, not a parameter
    assert clf.callbacks[0][1].get_params() == {"eta_min": 1e-4, "event_name": "event_lr"}
    assert clone(clf.callbacks[0][1]).get_params() == {"eta_min": 1e-4, "event_name": "event_lr"}
    assert repr(CosineAnnealing()) == "CosineAnnealing(eta_min=0.0, event_name='event_lr')"


@pytest.mark.parametrize("bad", [-1.0, "0", True])
def test_invalid_eta_min(data, bad):
    X, y = data
    with pytest.raises(ValueError, match="eta_min must be a number >= 0"):
        tiny_lstmatt(train_split=None, max_epochs=1, callbacks=[("lr", CosineAnnealing(eta_min=bad))]).fit(X, y)


def test_model_file_round_trip(data, tmp_path):
    X, y = data
    clf = tiny_lstmatt(train_split=None, max_epochs=2, callbacks=[("lr", CosineAnnealing(eta_min=1e-5))]).fit(X, y)
    save(clf, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    (name, callback), = loaded.callbacks
    assert name == "lr" and isinstance(callback, CosineAnnealing) and callback.eta_min == 1e-5
    refit = clone(loaded).fit(X, y)  # the rebuilt callback trains like the original one
    np.testing.assert_array_equal(refit.predict_proba(X), clf.predict_proba(X))

