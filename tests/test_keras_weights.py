"""The authors' Keras weights in the PyTorch port reproduce their published outputs exactly."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from enhancer_sk.evaluation.metrics import confusion_counts
from enhancer_sk.exceptions import ModelFileError
from enhancer_sk.io.fasta import read_fasta
from enhancer_sk.models.nn.keras_weights import keras_module_params, keras_state_dict, read_keras_weights
from enhancer_sk.models.nn.lstmatt import AUTHORS_ROW_OF_CODE, EnhancerLSTMAtt, EnhancerLSTMAttClassifier

#: the authors' notebook output with these weights (README of enhancer_lstmatt_weights)
EXPECTED_CONFUSION = {
    1: {"TP": 159, "FN": 41, "TN": 163, "FP": 37},
    2: {"TP": 99, "FN": 1, "TN": 80, "FP": 20},
}
#: test files and their label for each layer
LAYER_FILES = {1: (("strong", 1), ("weak", 1), ("non", 0)), 2: (("strong", 1), ("weak", 0))}


@pytest.fixture(scope="module")
def reference(data_path):
    path = data_path("enhancer_lstmatt_weights", "reference_probabilities.tsv")
    table = {}
    with open(path) as handle:
        assert handle.readline().rstrip("\n").split("\t") == ["layer", "record_id", "label", "probability"]
        for line in handle:
            layer, record, label, prob = line.rstrip("\n").split("\t")
            table[int(layer), record] = (int(label), float(prob))
    return table


def _test_set(data_path, layer):
    ids, seqs, labels = [], [], []
    for cls, label in LAYER_FILES[layer]:
        rid, s = read_fasta(data_path("ienhancer2l", f"test_{cls}.fa"))
        ids.extend(rid)
        seqs.extend(s)
        labels.extend([label] * len(s))
    return np.asarray(ids), np.asarray(seqs, dtype=object), np.asarray(labels)


@pytest.mark.parametrize("layer", [1, 2])
def test_authors_weights_reproduce_confusion_and_probabilities(data_path, reference, layer):
    clf = EnhancerLSTMAttClassifier.from_keras_weights(
        data_path("enhancer_lstmatt_weights", f"layer{layer}.h5"), threads=1
    )
    assert list(clf.classes_) == [0, 1]
    ids, X, y = _test_set(data_path, layer)
    proba = clf.predict_proba(X)[:, 1]
    assert confusion_counts(y, clf.predict(X)) == EXPECTED_CONFUSION[layer]
    ref_label = np.array([reference[layer, i][0] for i in ids])
    ref_prob = np.array([reference[layer, i][1] for i in ids], dtype=np.float64)
    np.testing.assert_array_equal(ref_label, y)
    np.testing.assert_allclose(proba, ref_prob, rtol=0, atol=1e-4)


def test_keras_params_and_state_dict_cover_module(data_path):
    weights = read_keras_weights(data_path("enhancer_lstmatt_weights", "layer1.h5"))
    params = keras_module_params(weights)
    assert params == {
        "sequence_length": 200,
        "n_tokens": 5,
        "embedding_dim": 32,
        "conv_filters": 32,
        "res_filters": 64,
        "kernel_size": 8,
        "n_identity_blocks": 2,
        "lstm_units": 32,
        "lstm_layers": 2,
        "dense_units": 16,
    }
    module = EnhancerLSTMAtt(**params)
    state = keras_state_dict(weights, module)
    assert set(state) == set(module.state_dict())
    n_values = sum(v.size for k, v in state.items() if "bias_hh" not in k and "num_batches" not in k)
    assert n_values == 250_921  # every array of the file is used once


def test_from_keras_weights_passes_estimator_params(data_path):
    clf = EnhancerLSTMAttClassifier.from_keras_weights(
        data_path("enhancer_lstmatt_weights", "layer2.h5"), threads=1, batch_size=7
    )
    assert clf.batch_size == 7
    assert clf.get_params()["module__lstm_units"] == 32


def _write_fake_keras(path, tamper=None):
    """A small Keras-layout weights file built from a tiny module's own parameters."""
    module = EnhancerLSTMAtt(
        sequence_length=20,
        embedding_dim=4,
        conv_filters=3,
        res_filters=5,
        kernel_size=3,
        n_identity_blocks=1,
        lstm_units=2,
        lstm_layers=1,
        dense_units=3,
    )
    sd = {k: v.detach().numpy() for k, v in module.state_dict().items()}

    def conv(prefix):
        return [("kernel:0", sd[f"{prefix}.weight"].transpose(2, 1, 0)), ("bias:0", sd[f"{prefix}.bias"])]

    def bn(prefix):
        return [
            ("gamma:0", sd[f"{prefix}.weight"]),
            ("beta:0", sd[f"{prefix}.bias"]),
            ("moving_mean:0", sd[f"{prefix}.running_mean"]),
            ("moving_variance:0", sd[f"{prefix}.running_var"]),
        ]

    layers = [
        # the authors' row order A T C G N (the module holds the project's A C G T N)
        ("embedding", [("embeddings:0", sd["embedding.weight"][np.argsort(AUTHORS_ROW_OF_CODE)])]),
        ("conv1d", conv("stem.conv")),
        ("batch_normalization_v2", bn("stem.bn")),
        ("conv1d_1", conv("down.conv1.conv")),
        ("batch_normalization_v2_1", bn("down.conv1.bn")),
        ("conv1d_2", conv("down.conv2.conv")),
        ("batch_normalization_v2_2", bn("down.conv2.bn")),
        ("conv1d_3", conv("down.shortcut.conv")),
        ("conv1d_4", conv("identity.0.conv1.conv")),
        ("batch_normalization_v2_3", bn("identity.0.conv1.bn")),
        ("conv1d_5", conv("identity.0.conv2.conv")),
        (
            "bidirectional",
            [
                (f"{d}_lstm/{n}:0", fn(sd[f"lstm.{t}_l0{s}"]))
                for d, s in (("forward", ""), ("backward", "_reverse"))
                for n, t, fn in (
                    ("kernel", "weight_ih", np.transpose),
                    ("recurrent_kernel", "weight_hh", np.transpose),
                    ("bias", "bias_ih", lambda b: b),
                )
            ],
        ),
        ("batch_normalization_v2_4", bn("identity.0.conv2.bn")),
        ("attention3d", [("attention3d_W:0", sd["attention_weight"]), ("attention3d_b:0", sd["attention_bias"])]),
        ("dense", [("kernel:0", sd["dense.weight"].T), ("bias:0", sd["dense.bias"])]),
        ("dense_1", [("kernel:0", sd["output.weight"].T), ("bias:0", sd["output.bias"])]),
    ]
    if tamper:
        layers = tamper(layers)
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([name.encode() for name, _ in layers])
        for name, arrays in layers:
            g = f.create_group(name)
            g.attrs["weight_names"] = np.array([f"{name}/{w}".encode() for w, _ in arrays])
            for w, arr in arrays:
                g.create_dataset(f"{name}/{w}", data=np.asarray(arr, dtype=np.float32))
    return module


def test_round_trip_through_keras_layout(tmp_path):
    module = _write_fake_keras(tmp_path / "w.h5")
    clf = EnhancerLSTMAttClassifier.from_keras_weights(tmp_path / "w.h5", threads=1)
    X = np.array(["ACGTACGTACGTACGTACGT", "TTTTGGGGCCCCAAAANNAC"], dtype=object)
    module.eval()
    import torch

    with torch.no_grad():
        expected = torch.sigmoid(module(torch.as_tensor(clf.encode(X)))).numpy()
    np.testing.assert_array_equal(clf.predict_proba(X)[:, 1], expected)


def test_wrong_shapes_are_reported(tmp_path):
    def drop_dense(layers):
        return [(n, a) for n, a in layers if n != "dense_1"]

    _write_fake_keras(tmp_path / "w.h5", tamper=drop_dense)
    with pytest.raises(ModelFileError, match="Dense"):
        EnhancerLSTMAttClassifier.from_keras_weights(tmp_path / "w.h5")


def test_not_a_keras_file(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        read_keras_weights(tmp_path / "missing.h5")
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(ModelFileError, match="not an HDF5"):
        read_keras_weights(tmp_path / "text.h5")
    with h5py.File(tmp_path / "empty.h5", "w") as f:
        f.create_group("x")
    with pytest.raises(ModelFileError, match="layer_names"):
        read_keras_weights(tmp_path / "empty.h5")
