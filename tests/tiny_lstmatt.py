"""A tiny Enhancer-LSTMAtt of the default architecture, fast enough for unit tests."""

from __future__ import annotations

from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAttClassifier

#: the parameters of that network (the sizes shrunk, the layers kept)
TINY = {
    "module__sequence_length": 40,
    "module__embedding_dim": 6,
    "module__conv_filters": 4,
    "module__res_filters": 6,
    "module__kernel_size": 4,
    "module__n_identity_blocks": 1,
    "module__lstm_units": 4,
    "module__lstm_layers": 1,
    "module__dense_units": 4,
    "module__bn_momentum": 0.1,
    "lr": 1e-2,
    "max_epochs": 2,
    "batch_size": 32,
    "threads": 1,
    "random_state": 0,
}


def tiny(**params) -> EnhancerLSTMAttClassifier:
    return EnhancerLSTMAttClassifier(**{**TINY, **params})
