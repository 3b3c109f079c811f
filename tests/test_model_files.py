"""The model bundle format: exact round trips of every estimator, and refusal of unsafe or damaged files."""

from __future__ import annotations

import inspect
import json
import math
import os
import pickle
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from safetensors.numpy import load_file, save_file
from sklearn.base import BaseEstimator, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, Normalizer, StandardScaler
from sklearn.svm import SVC, LinearSVC
from skorch.callbacks import Checkpoint, EarlyStopping, EpochScoring, LRScheduler
from skorch.dataset import ValidSplit
from tiny import TINY_DEEPENHANCER, TINY_LSTMATT, tiny_deepenhancer, tiny_gkm, tiny_kmer, tiny_lstmatt, tiny_two_layer

import enhancer_sk
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.exceptions import ModelFileError
from enhancer_sk.model_files import (
    ALLOWED_CLASSES,
    FORMAT_VERSION,
    METADATA_KEY,
    ModelVersionWarning,
    describe,
    load,
    save,
)
from enhancer_sk.models.meta.two_layer import TwoLayerEnhancerClassifier
from enhancer_sk.models.nn.deepenhancer import ARCHITECTURES, DeepEnhancerCNN
from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAttClassifier
from enhancer_sk.models.svm.kmer import KmerSVM
from enhancer_sk.sequence.encoders import GCContent, KmerSpectrum, OneHotEncoder, SequenceTokenizer

#: this file's networks: the tiny ones with other sizes (and one epoch of the CNN)
LSTMATT = {**TINY_LSTMATT, "module__embedding_dim": 4, "module__res_filters": 4}
DEEP = {**TINY_DEEPENHANCER, "max_epochs": 1, "module__n_kernels_1": 6, "module__n_hidden_1": 8,
        "module__n_hidden_2": 4}


def lstmatt(**params) -> EnhancerLSTMAttClassifier:
    return tiny_lstmatt(**{**LSTMATT, **params})


def deep(**params) -> DeepEnhancerCNN:
    return tiny_deepenhancer(**{**DEEP, **params})


@pytest.fixture(scope="module")
def data():
    X, y = make_synthetic_enhancers(n_samples=80, length=(30, 60), random_state=0)
    return X, y


@pytest.fixture(scope="module")
def data3(data):
    X, y = data
    y3 = np.where(y == 0, "non", np.where(np.arange(len(y)) % 2 == 0, "strong", "weak"))
    return X, y3


# ----------------------------------------------------------------------------- comparisons


def same(a, b) -> bool:
    """Equal values, estimators equal in class, parameters and fitted state (recursively)."""
    if isinstance(a, type) or inspect.isroutine(a):
        return a is b
    if isinstance(a, EnhancerLSTMAttClassifier | DeepEnhancerCNN):
        if type(a) is not type(b) or not same(a.get_params(deep=False), b.get_params(deep=False)):
            return False
        if hasattr(a, "module_") != hasattr(b, "module_"):
            return False
        if hasattr(a, "module_"):
            sa, sb = a.module_.state_dict(), b.module_.state_dict()
            if sa.keys() != sb.keys() or not all(torch.equal(sa[k], sb[k]) for k in sa):
                return False
        return same(getattr(a, "classes_inferred_", None), getattr(b, "classes_inferred_", None))
    if isinstance(a, BaseEstimator):
        return type(a) is type(b) and same(a.__getstate__(), b.__getstate__())
    if hasattr(a, "get_params"):  # skorch callbacks
        return type(a) is type(b) and same(a.get_params(deep=False), b.get_params(deep=False))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if sp.issparse(a):
        return type(a) is type(b) and a.shape == b.shape and (a != b).nnz == 0 and a.dtype == b.dtype
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, ValidSplit) or type(a).__name__ == "GroupValidSplit":
        return type(a) is type(b) and vars(a) == vars(b)
    if hasattr(a, "__dict__") and not isinstance(a, set | frozenset):  # fitted parts (_CalibratedClassifier)
        return type(a) is type(b) and same(vars(a), vars(b))
    return type(a) is type(b) and a == b


OUTPUTS = ("predict", "predict_proba", "decision_function", "predict_layer_proba")


def outputs(model, X) -> dict:
    return {name: getattr(model, name)(X) for name in OUTPUTS if hasattr(model, name)}


def assert_same_outputs(a, b, X) -> None:
    out_a, out_b = outputs(a, X), outputs(b, X)
    assert out_a.keys() == out_b.keys() and out_a
    for name in out_a:
        assert np.array_equal(out_a[name], out_b[name]), name


# ----------------------------------------------------------------------------- round trips


def _transfer_model(X, y):
    base = deep(architecture="4conv2pool").fit(X, y)
    return deep(architecture="4conv2pool", init_from=base, freeze_conv=True, lr=1e-4)


#: name -> (builder(X, y) -> unfitted model, data fixture name)
MODELS = {
    "lstmatt": (lambda X, y: lstmatt(), "data"),
    "lstmatt_options": (
        lambda X, y: lstmatt(
            loss="paper", optimizer=torch.optim.AdamW, optimizer__weight_decay=0.01, average_strands=True,
            train_split=ValidSplit(0.25, stratified=True, random_state=0),
            callbacks=[EarlyStopping(patience=1), ("decay", LRScheduler(torch.optim.lr_scheduler.ExponentialLR,
                                                                        gamma=0.9))],
        ),
        "data",
    ),
    **{f"deepenhancer_{arch}": (lambda X, y, arch=arch: deep(architecture=arch), "data") for arch in ARCHITECTURES},
    "deepenhancer_transfer": (_transfer_model, "data"),
    "deepenhancer_options": (
        lambda X, y: deep(architecture="4conv", aggregate="mean", average_strands=True, patience=None,
                          lr_decay=None, max_windows_per_sequence=3, train_split=None),
        "data",
    ),
    "kmersvm_rbf": (lambda X, y: tiny_kmer(class_weight={0: 1.0, 1: 2.0}), "data"),
    "kmersvm_linear_kernel": (lambda X, y: KmerSVM(k=(2, 3), kernel="linear", C=np.float64(0.5),
                                                   probability=False), "data"),
    "kmersvm_liblinear": (lambda X, y: KmerSVM(k=2, svm="linear", canonical_kmers=False, norm="l1", random_state=0),
                          "data"),
    "gkmsvm": (lambda X, y: tiny_gkm(probability=True, random_state=0), "data"),
    "two_layer_kmer": (lambda X, y: tiny_two_layer(layer2=tiny_kmer(k=2, kernel="linear")), "data3"),
    "two_layer_nets": (lambda X, y: TwoLayerEnhancerClassifier(lstmatt(), deep(architecture="4conv2pool")), "data3"),
    "pipe_kmer_scaler_lr": (lambda X, y: make_pipeline(KmerSpectrum(k=3, dtype=np.float32),
                                                       StandardScaler(with_mean=False),
                                                       LogisticRegression(max_iter=300)), "data"),
    "pipe_gc_minmax_svc": (lambda X, y: make_pipeline(GCContent(), MinMaxScaler(), SVC(C=2.0)), "data"),
    "pipe_onehot_linearsvc": (lambda X, y: Pipeline([("onehot", OneHotEncoder(length=50, flatten=True)),
                                                     ("svm", LinearSVC(random_state=0))]), "data"),
    "pipe_tokens_lr": (lambda X, y: make_pipeline(SequenceTokenizer(length=40), MaxAbsScaler(),
                                                  LogisticRegression()), "data"),
    "pipe_union": (lambda X, y: make_pipeline(FeatureUnion([("kmer", KmerSpectrum(k=2)), ("gc", GCContent())]),
                                              Normalizer(), LogisticRegression()), "data"),
    "pipe_sparse_svc": (lambda X, y: make_pipeline(KmerSpectrum(k=3, norm="l2"), SVC(kernel="rbf")), "data"),
    "pipe_lstmatt": (lambda X, y: make_pipeline(SequenceTokenizer(length=40), lstmatt()), "data"),
    "calibrated_sigmoid": (lambda X, y: CalibratedClassifierCV(
        make_pipeline(KmerSpectrum(k=2), LinearSVC(random_state=0)), method="sigmoid", cv=3), "data"),
    "calibrated_isotonic": (lambda X, y: CalibratedClassifierCV(KmerSVM(k=2, probability=False),
                                                                method="isotonic", cv=3), "data"),
}


@pytest.fixture(scope="module")
def fitted(request, data, data3):
    """Fitted models by name, built once per module on demand."""
    cache = {}

    def get(name):
        if name not in cache:
            build, which = MODELS[name]
            X, y = {"data": data, "data3": data3}[which]
            cache[name] = (build(X, y).fit(X, y), X, y)
        return cache[name]

    return get


@pytest.mark.parametrize("name", list(MODELS))
def test_round_trip_is_exact(name, fitted, tmp_path):
    model, X, y = fitted(name)
    path = tmp_path / "model.eskm"
    save(model, path)
    loaded = load(path)
    assert type(loaded) is type(model)
    assert same(loaded.get_params(deep=False), model.get_params(deep=False))
    assert same(loaded, model)  # every fitted attribute, nested estimators included
    assert_same_outputs(loaded, model, X)
    info = describe(path)
    assert info["class"] in ALLOWED_CLASSES and ALLOWED_CLASSES[info["class"]][1] == type(model).__name__
    assert info["classes"] == np.asarray(model.classes_).tolist()
    assert info["fitted"] is True
    assert info["format_version"] == FORMAT_VERSION
    assert info["package_version"] == enhancer_sk.__version__
    json.dumps(info)  # plain JSON for the command line and Galaxy
    twin = clone(loaded)
    assert same(twin.get_params(deep=False), clone(model).get_params(deep=False))


@pytest.mark.parametrize("name", ["lstmatt", "deepenhancer_4conv2pool", "kmersvm_rbf", "gkmsvm", "two_layer_kmer",
                                  "pipe_kmer_scaler_lr", "deepenhancer_transfer"])
def test_loaded_model_refits_like_the_original(name, fitted, tmp_path):
    model, X, y = fitted(name)
    save(model, tmp_path / "m.eskm")
    refitted = load(tmp_path / "m.eskm").fit(X, y)
    assert_same_outputs(refitted, clone(model).fit(X, y), X)


def test_nets_keep_history_and_can_continue_training(fitted, tmp_path):
    model, X, y = fitted("lstmatt")
    save(model, tmp_path / "m.eskm")
    loaded = load(tmp_path / "m.eskm")
    assert loaded.history_[:, "train_loss"] == model.history_[:, "train_loss"]
    assert loaded.history_[:, "epoch"] == model.history_[:, "epoch"]
    assert all("batches" not in row for row in loaded.history_)  # per-epoch rows only
    loaded.partial_fit(X, y)  # fresh optimizer: training continues from the saved weights
    assert len(loaded.history_) == len(model.history_) + LSTMATT["max_epochs"]


def test_transfer_model_keeps_its_source_and_frozen_layers(fitted, tmp_path):
    model, X, y = fitted("deepenhancer_transfer")
    save(model, tmp_path / "m.eskm")
    loaded = load(tmp_path / "m.eskm")
    assert loaded.freeze_conv and not any(p.requires_grad for p in loaded.module_.conv.parameters())
    assert isinstance(loaded.init_from, DeepEnhancerCNN) and same(loaded.init_from, model.init_from)
    assert describe(tmp_path / "m.eskm")["params"]["init_from"]["class"] == "DeepEnhancerCNN"


def test_init_from_path_is_kept_but_not_read_on_load(fitted, data, tmp_path):
    base, X, y = fitted("deepenhancer_4conv2pool")
    source = tmp_path / "base.eskm"
    save(base, source)
    model = deep(architecture="4conv2pool", init_from=str(source), max_epochs=0).fit(X, y)
    save(model, tmp_path / "m.eskm")
    source.unlink()  # the weights are in the bundle; the source file is not needed any more
    loaded = load(tmp_path / "m.eskm")
    assert loaded.init_from == str(source)
    assert_same_outputs(loaded, model, X)


def test_network_initialised_without_fit(data, tmp_path):
    """The pattern of ``from_keras_weights``: weights set after ``initialize()``, no training history."""
    X, _ = data
    model = lstmatt().initialize()
    model.classes_ = np.array([0, 1])
    save(model, tmp_path / "m.eskm")
    loaded = load(tmp_path / "m.eskm")
    assert same(loaded, model)
    assert_same_outputs(loaded, model, X)


def test_authors_keras_weights_round_trip(data_path, tmp_path):
    model = EnhancerLSTMAttClassifier.from_keras_weights(data_path("enhancer_lstmatt_weights", "layer1.h5"),
                                                         threads=1)
    X, _ = make_synthetic_enhancers(n_samples=20, length=200, random_state=1)
    save(model, tmp_path / "layer1.eskm")
    loaded = load(tmp_path / "layer1.eskm")
    assert same(loaded, model)
    assert_same_outputs(loaded, model, X)


@pytest.mark.parametrize("model", [
    deep(architecture="6conv3pool6norm"),
    make_pipeline(KmerSpectrum(k=(1, 3), canonical_kmers=True), StandardScaler(with_mean=False),
                  LogisticRegression(C=0.1)),
    TwoLayerEnhancerClassifier(KmerSVM(k=3), non_label=0, weak_label=1, strong_label=2),
    CalibratedClassifierCV(LogisticRegression(), method="isotonic", cv=4),
])
def test_unfitted_models_round_trip(model, tmp_path):
    save(model, tmp_path / "m.eskm")
    loaded = load(tmp_path / "m.eskm")
    assert same(loaded.get_params(deep=False), model.get_params(deep=False))
    info = describe(tmp_path / "m.eskm")
    assert info["fitted"] is False and info["classes"] is None


def test_describe_reads_only_the_header_without_torch(fitted, tmp_path):
    model, X, y = fitted("two_layer_kmer")
    path = tmp_path / "two.eskm"
    save(model, path)
    code = (
        "import json, sys; from enhancer_sk.model_files import describe, load; "
        f"info = describe({str(path)!r}); m = load({str(path)!r}); "
        "print(json.dumps([info['class'], info['classes'], 'torch' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == ["TwoLayerEnhancerClassifier", ["non", "strong", "weak"], False]
    info = describe(path)
    assert info["params"]["layer1"] == {"class": "KmerSVM", "params": KmerSVM(k=3, random_state=0).get_params()}
    assert info["params"]["non_label"] == "non"
    assert {"versions", "n_tensors", "size_bytes"} <= set(info)
    assert info["versions"]["scikit-learn"]


def test_parameter_types_round_trip(tmp_path):
    model = KmerSVM(k=(2, 3), C=np.float32(0.25), class_weight={0: 1.5, 1: math.inf}, max_iter=np.int64(50),
                    tol=1e-4)
    save(model, tmp_path / "m.eskm")
    params = load(tmp_path / "m.eskm").get_params()
    assert params["k"] == (2, 3) and type(params["k"]) is tuple
    assert type(params["C"]) is np.float32 and params["C"] == np.float32(0.25)
    assert params["class_weight"] == {0: 1.5, 1: math.inf}
    assert type(params["max_iter"]) is np.int64
    spectrum = KmerSpectrum(k=2, dtype=np.float32)
    save(spectrum, tmp_path / "s.eskm")
    assert load(tmp_path / "s.eskm").dtype is np.float32


def test_long_string_arrays_are_stored_as_tensors(fitted, tmp_path, monkeypatch):
    import enhancer_sk.model_files._numpy as model_files

    model, X, _ = fitted("gkmsvm")
    monkeypatch.setattr(model_files, "_MAX_INLINE_CHARS", 10)
    save(model, tmp_path / "m.eskm")
    _, arrays = _bundle_parts(tmp_path / "m.eskm")
    assert "model.state.support_sequences_.utf8" in arrays
    loaded = load(tmp_path / "m.eskm")
    assert same(loaded, model)
    assert_same_outputs(loaded, model, X)


def test_string_labels_of_every_dtype(data, tmp_path):
    X, y = data
    for labels in (np.where(y == 1, "enh", "bg"), np.where(y == 1, "enh", "bg").astype(object)):
        model = KmerSVM(k=2, probability=False).fit(X, labels)
        save(model, tmp_path / "m.eskm")
        loaded = load(tmp_path / "m.eskm")
        assert loaded.classes_.dtype == model.classes_.dtype
        assert np.array_equal(loaded.predict(X), model.predict(X))


def test_top_level_exports():
    assert enhancer_sk.save is save and enhancer_sk.load is load


# ----------------------------------------------------------------------------- refusing to save


@pytest.mark.parametrize("model, match", [
    (lstmatt(callbacks=[Checkpoint(dirname="x")]), r"model\.params\.callbacks\.0.*Checkpoint"),
    (lstmatt(callbacks=[EpochScoring(lambda net, X, y: 0.0)]), r"callbacks.*lambda"),
    (KmerSVM(random_state=np.random.RandomState(0)), r"model\.params\.random_state.*RandomState"),
    (make_pipeline(KmerSpectrum(k=2), RandomForestClassifier()), r"RandomForestClassifier.*allowed"),
    (type("MySVM", (KmerSVM,), {})(), r"MySVM is not an estimator class"),
    (make_pipeline(KmerSpectrum(k=2), LogisticRegression(), memory=object()), r"model\.params\.memory"),
    (make_pipeline(KmerSpectrum(k=2), LogisticRegression(), memory="cache"), r"memory='cache' is refused"),
    (lstmatt(torch_load_kwargs={"weights_only": False}), r"torch_load_kwargs.*refused"),
])
def test_unsavable_values_are_refused_by_name(model, match, tmp_path):
    path = tmp_path / "m.eskm"
    with pytest.raises(ModelFileError, match=match):
        save(model, path)
    assert os.listdir(tmp_path) == []  # nothing written, no temporary file left


def test_failed_write_leaves_the_old_file_and_no_temporary(fitted, tmp_path, monkeypatch):
    model, _, _ = fitted("kmersvm_rbf")
    path = tmp_path / "m.eskm"
    save(model, path)
    before = path.read_bytes()

    def broken(tensors, filename, metadata=None):
        with open(filename, "wb") as fh:
            fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr("safetensors.numpy.save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        save(model, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.eskm"]


# ----------------------------------------------------------------------------- unsafe and damaged files


class _Payload:
    """Unpickling this object creates ``marker`` (proof that code ran)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


def _payload(marker) -> bytes:
    return pickle.dumps(_Payload(marker))


def test_the_payload_would_run_code(tmp_path):
    marker = tmp_path / "ran"
    pickle.loads(_payload(marker))  # noqa: S301 - the test's own payload, proving it is live
    assert marker.exists()


def _bundle_parts(path):
    """(JSON document, arrays) of a model file, for crafting variants."""
    with open(path, "rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        meta = json.loads(fh.read(n))["__metadata__"]
    return json.loads(meta[METADATA_KEY]), load_file(str(path))


def _write_bundle(path, doc, arrays, extra_metadata=None) -> None:
    save_file(arrays, str(path), metadata={METADATA_KEY: json.dumps(doc), **(extra_metadata or {})})


@pytest.fixture
def kmer_file(fitted, tmp_path):
    model, _, _ = fitted("kmersvm_rbf")
    path = tmp_path / "kmer.eskm"
    save(model, path)
    return path


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "code_ran"
    yield path
    assert not path.exists(), "a crafted model file ran code"


def test_pickle_zip_and_torch_files_are_refused_without_unpickling(tmp_path, marker):
    raw = tmp_path / "model.pkl"
    raw.write_bytes(_payload(marker))
    with pytest.raises(ModelFileError, match="never unpickles"):
        load(raw)
    bundle = tmp_path / "model.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.writestr("model.json", json.dumps({"class": "KmerSVM"}))
        zf.writestr("data.pkl", _payload(marker))
    with pytest.raises(ModelFileError, match="zip archive"):
        load(bundle)
    with pytest.raises(ModelFileError, match="zip archive"):
        describe(bundle)
    torch_file = tmp_path / "model.pt"
    torch.save({"model": _Payload(marker)}, torch_file)
    with pytest.raises(ModelFileError, match="zip archive"):
        load(torch_file)


def test_pickle_bytes_inside_a_bundle_are_refused(kmer_file, tmp_path, marker):
    doc, arrays = _bundle_parts(kmer_file)
    payload = np.frombuffer(_payload(marker), dtype=np.uint8)
    inside = tmp_path / "tensor.eskm"
    _write_bundle(inside, doc, {**arrays, "data.pkl": payload})
    with pytest.raises(ModelFileError, match=r"tensors the model does not use \(data\.pkl\)"):
        load(inside)
    meta = tmp_path / "meta.eskm"
    _write_bundle(meta, doc, arrays, extra_metadata={"pickle": _payload(marker).decode("latin-1")})
    with pytest.raises(ModelFileError, match="unexpected metadata"):
        load(meta)


SMUGGLED = {
    "os.system": {"__estimator__": "os.system", "params": {"command": "touch {marker}"}, "state": None},
    "subprocess.Popen": {"__estimator__": "subprocess.Popen", "params": {"args": ["touch", "{marker}"]},
                         "state": None},
    "ref": {"__ref__": "os.system"},
    "construct": {"__construct__": "subprocess.Popen", "kwargs": {"args": ["touch", "{marker}"]}},
    "reduce": {"__reduce__": ["os.system", ["touch {marker}"]]},
    "dunder key": {"__class__": "subprocess.Popen"},
    "scheduler by name": [{"__construct__": "skorch.callbacks.LRScheduler", "kwargs": {"policy": "sys"}}],
}


@pytest.mark.parametrize("kind", list(SMUGGLED))
def test_smuggled_objects_in_params_are_refused(kind, kmer_file, tmp_path, marker):
    doc, arrays = _bundle_parts(kmer_file)
    value = json.loads(json.dumps(SMUGGLED[kind]).replace("{marker}", str(marker)))
    doc["estimator"]["params"]["random_state"] = value
    path = tmp_path / "evil.eskm"
    _write_bundle(path, doc, arrays)
    with pytest.raises(ModelFileError, match=r"not allowed|unknown marker|refused"):
        load(path)


@pytest.mark.parametrize("where", ["class", "estimator", "pipeline step", "state"])
def test_classes_outside_the_allow_list_are_refused(where, fitted, tmp_path, marker):
    model, _, _ = fitted("pipe_kmer_scaler_lr")
    good = tmp_path / "pipe.eskm"
    save(model, good)
    doc, arrays = _bundle_parts(good)
    evil = {"__estimator__": "subprocess.Popen", "params": {"args": ["touch", str(marker)]}, "state": None}
    if where == "class":
        doc["class"] = "os.system"
    elif where == "estimator":
        doc["estimator"]["__estimator__"] = "subprocess.Popen"
    elif where == "pipeline step":
        doc["estimator"]["params"]["steps"][1]["__tuple__"][1] = evil
    else:
        doc["estimator"]["params"]["steps"][2]["__tuple__"][1]["state"]["evil_"] = evil
    path = tmp_path / "evil.eskm"
    _write_bundle(path, doc, arrays)
    with pytest.raises(ModelFileError, match=r"not allowed|two different classes"):
        load(path)
    if where == "class":
        with pytest.raises(ModelFileError, match="not allowed"):
            describe(path)


@pytest.mark.parametrize("name, param, value, match", [
    ("pipe_kmer_scaler_lr", "memory", "/tmp/joblib_cache", "joblib caching unpickles"),
    ("lstmatt", "torch_load_kwargs", {"weights_only": False}, "torch.load of arbitrary objects"),
])
def test_parameters_that_would_unpickle_later_are_refused(name, param, value, match, fitted, tmp_path):
    model, _, _ = fitted(name)
    save(model, tmp_path / "m.eskm")
    doc, arrays = _bundle_parts(tmp_path / "m.eskm")
    doc["estimator"]["params"][param] = value
    _write_bundle(tmp_path / "forged.eskm", doc, arrays)
    with pytest.raises(ModelFileError, match=match):
        load(tmp_path / "forged.eskm")


def test_bad_state_attribute_names_are_refused(kmer_file, tmp_path):
    doc, arrays = _bundle_parts(kmer_file)
    doc["estimator"]["state"]["__class__"] = "x"
    _write_bundle(tmp_path / "bad.eskm", doc, arrays)
    with pytest.raises(ModelFileError, match="unknown marker|bad attribute"):
        load(tmp_path / "bad.eskm")


def test_newer_format_version_is_refused_naming_both_versions(kmer_file, tmp_path):
    doc, arrays = _bundle_parts(kmer_file)
    doc["format_version"] = FORMAT_VERSION + 1
    doc["package_version"] = "7.0.0"
    path = tmp_path / "future.eskm"
    _write_bundle(path, doc, arrays)
    for reader in (load, describe):
        with pytest.raises(ModelFileError) as err:
            reader(path)
        message = str(err.value)
        assert f"format version {FORMAT_VERSION + 1}" in message and f"up to {FORMAT_VERSION}" in message
        assert "7.0.0" in message and "upgrade" in message


def test_other_package_versions_load_with_a_warning(fitted, tmp_path):
    model, X, _ = fitted("pipe_kmer_scaler_lr")
    save(model, tmp_path / "m.eskm")
    doc, arrays = _bundle_parts(tmp_path / "m.eskm")
    doc["package_version"] = "0.9.0"
    doc["versions"]["scikit-learn"] = "1.0.2"
    _write_bundle(tmp_path / "old.eskm", doc, arrays)
    with pytest.warns(ModelVersionWarning) as record:
        loaded = load(tmp_path / "old.eskm")
    messages = " ".join(str(w.message) for w in record)
    assert "0.9.0" in messages and enhancer_sk.__version__ in messages
    assert "1.0.2" in messages
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(tmp_path / "m.eskm")  # same versions: silent


def test_truncated_files_are_refused(kmer_file, tmp_path):
    data = kmer_file.read_bytes()
    for size in (0, 5, 100, len(data) - 1):
        path = tmp_path / f"cut{size}.eskm"
        path.write_bytes(data[:size])
        with pytest.raises(ModelFileError, match="truncated|empty"):
            load(path)
        with pytest.raises(ModelFileError, match="truncated|empty"):
            describe(path)


def test_files_that_are_not_bundles(tmp_path):
    fasta = tmp_path / "seqs.fa"
    fasta.write_text(">s1\nACGTACGTACGTACGTACGT\n>s2\nGGGCCCAAATTT\n")
    with pytest.raises(ModelFileError, match="FASTA"):
        load(fasta)
    with pytest.raises(ModelFileError, match="FASTA"):
        describe(fasta)
    other = tmp_path / "other.safetensors"
    save_file({"w": np.zeros(3, np.float32)}, str(other), metadata={"format": "pt"})
    with pytest.raises(ModelFileError, match="not an enhancer_sk model file"):
        load(other)
    garbage = tmp_path / "garbage.eskm"
    garbage.write_bytes((40).to_bytes(8, "little") + b"{" + b"\xff" * 39)
    with pytest.raises(ModelFileError, match="damaged header"):
        load(garbage)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.eskm")
    with pytest.raises(ModelFileError, match="folder"):
        load(tmp_path)


def test_damaged_descriptions_are_refused(fitted, tmp_path):
    model, _, _ = fitted("deepenhancer_4conv2pool")
    save(model, tmp_path / "m.eskm")
    doc, arrays = _bundle_parts(tmp_path / "m.eskm")
    wrong_size = json.loads(json.dumps(doc))
    wrong_size["estimator"]["params"]["module__n_hidden_1"] = 9
    _write_bundle(tmp_path / "size.eskm", wrong_size, arrays)
    with pytest.raises(ModelFileError, match="do not fit"):
        load(tmp_path / "size.eskm")
    missing = dict(arrays)
    missing.pop(next(iter(missing)))
    _write_bundle(tmp_path / "missing.eskm", doc, missing)
    with pytest.raises(ModelFileError, match="no tensor"):
        load(tmp_path / "missing.eskm")
    unknown_param = json.loads(json.dumps(doc))
    unknown_param["estimator"]["params"]["module__no_such_size"] = 3
    _write_bundle(tmp_path / "param.eskm", unknown_param, arrays)
    with pytest.raises(ModelFileError, match="cannot build DeepEnhancerCNN"):
        load(tmp_path / "param.eskm")
    doc["estimator"]["params"]["lr"] = "NESTED"
    text = json.dumps(doc).replace('"NESTED"', "[" * 100_000 + "]" * 100_000)
    save_file(arrays, str(tmp_path / "nested.eskm"), metadata={METADATA_KEY: text})
    with pytest.raises(ModelFileError, match="damaged model description"):
        load(tmp_path / "nested.eskm")


def test_forged_sizes_for_compiled_code_are_refused(fitted, tmp_path):
    for name, attr in (("gkmsvm", "dual_coef_"), ("pipe_gc_minmax_svc", "_n_support")):
        model, _, _ = fitted(name)
        save(model, tmp_path / "m.eskm")
        doc, arrays = _bundle_parts(tmp_path / "m.eskm")
        key = next(k for k in arrays if k.endswith(f"state.{attr}"))
        arrays[key] = arrays[key][:-1]
        _write_bundle(tmp_path / "forged.eskm", doc, arrays)
        with pytest.raises(ModelFileError, match=f"inconsistent fitted state \\({attr}"):
            load(tmp_path / "forged.eskm")


def test_forged_values_in_fitted_state_are_refused(fitted, tmp_path):
    model, _, _ = fitted("gkmsvm")
    save(model, tmp_path / "m.eskm")
    doc, arrays = _bundle_parts(tmp_path / "m.eskm")
    strings = doc["estimator"]["state"]["support_sequences_"]["__strings__"]
    strings[0] = "<script>" + strings[0][8:]
    _write_bundle(tmp_path / "forged.eskm", doc, arrays)
    with pytest.raises(ModelFileError, match="inconsistent fitted state of GkmSVM"):
        load(tmp_path / "forged.eskm")


# ----------------------------------------------------------------------------- DeepEnhancer files


def test_deepenhancer_files_are_model_files(fitted, tmp_path):
    model, X, _ = fitted("deepenhancer_4conv2pool")
    save(model, tmp_path / "m.safetensors")  # any name is read
    info = describe(tmp_path / "m.safetensors")
    assert info["format_version"] == FORMAT_VERSION and info["class"] == "DeepEnhancerCNN"
    assert_same_outputs(load(tmp_path / "m.safetensors"), model, X)
    loaded = load(tmp_path / "m.safetensors").set_params(aggregate="mean")
    assert loaded.aggregate == "mean"
    kmer, _, _ = fitted("kmersvm_rbf")
    save(kmer, tmp_path / "k.eskm")
    assert describe(tmp_path / "k.eskm")["class"] == "KmerSVM"
    # a caller that needs one kind of model says so, and another kind is refused before any array is read
    assert type(load(tmp_path / "m.safetensors", kind=DeepEnhancerCNN)) is DeepEnhancerCNN
    with pytest.raises(ModelFileError, match="holds a KmerSVM, not a DeepEnhancerCNN"):
        load(tmp_path / "k.eskm", kind=DeepEnhancerCNN)


# ----------------------------------------------------------------------------- model cards


_CARD = {
    "name": "tiny-kmer",
    "title": "a 3-mer SVM on synthetic data",
    "trained_on": {"data": "synthetic", "n_sequences": 120, "classes": ["non-enhancer", "enhancer"],
                   "species": "none", "length_min": 200, "length_max": 200, "gc_low": 0.3, "gc_high": 0.6,
                   "max_n_fraction": 0.0},
    "recipe": "KmerSVM(k=3)\nseed 0",
    "scores": [{"benchmark": "held out", "metric": "AUC", "value": 0.9, "low": 0.85, "high": 0.95}],
    "baseline": [{"benchmark": "held out", "metric": "AUC", "value": 0.6, "low": None, "high": None}],
    "intended_use": "tests",
    "citation": "none",
}


def test_model_card_round_trip(fitted, tmp_path):
    model, X, _ = fitted("kmersvm_rbf")
    card = {**_CARD, "trained_on": {**_CARD["trained_on"], "n_sequences": np.int64(120)},
            "scores": tuple(_CARD["scores"])}
    save(model, tmp_path / "c.eskm", card=card)
    info = describe(tmp_path / "c.eskm")
    assert info["card"] == _CARD  # NumPy scalars and tuples stored as plain JSON
    assert json.loads(json.dumps(info["card"])) == _CARD
    loaded = load(tmp_path / "c.eskm")
    assert_same_outputs(model, loaded, X)
    save(model, tmp_path / "plain.eskm")
    assert describe(tmp_path / "plain.eskm")["card"] is None


@pytest.mark.parametrize("card, match", [
    ({"title": lambda: 0}, "only JSON data"),
    ({"recipe": {1, 2}}, "only JSON data"),
    ({"title": "x" * 1_000_000}, "at most 4000 characters"),
    ({"title": "bell\x07"}, "printable"),
    ({"scores": [{"benchmark": "b", "metric": "AUC", "value": "high"}]}, "expected a number"),
    ({"trained_on": {"length_min": float("nan")}}, "finite"),
    ({"trained_on": {"shell": "rm -rf /"}}, "unknown fields"),
    ({"run": "import os"}, "unknown card fields"),
    ({"recipe": {"__ref__": "os.system"}}, "not starting with '__'"),
    ({"scores": [[[[[[1]]]]]]}, "nested more than"),
    ("a card", "must be a JSON object"),
])
def test_invalid_model_cards_are_refused_when_saving(card, match, kmer_file, tmp_path):
    model = load(kmer_file)
    with pytest.raises(ModelFileError, match=match):
        save(model, tmp_path / "bad.eskm", card=card)
    assert not (tmp_path / "bad.eskm").exists()


@pytest.mark.parametrize("card, match", [
    ({"title": "x" * 1_000_000}, "at most 4000 characters"),
    ({"recipe": {"__construct__": "os.system", "kwargs": {}}}, "not starting with '__'"),
    ({"intended_use": ["ok"] * 300}, "more than 200 items"),
    ({"trained_on": {"n_sequences": "many"}}, "expected a number"),
    ([1, 2], "must be a JSON object"),
    ({"citation": "x" * 3000, "recipe": "y" * 3000, "intended_use": "z" * 3000, "title": "t" * 3000,
      "name": "n" * 3000, "trained_on": {"data": "d" * 3000, "species": "s" * 3000, "classes": ["c" * 3000] * 20}},
     "more than 65536"),
])
def test_forged_model_cards_are_refused_when_reading(card, match, kmer_file, tmp_path, marker):
    doc, arrays = _bundle_parts(kmer_file)
    doc["card"] = card
    _write_bundle(tmp_path / "forged.eskm", doc, arrays)
    with pytest.raises(ModelFileError, match=match):
        load(tmp_path / "forged.eskm")
    with pytest.raises(ModelFileError, match=match):
        describe(tmp_path / "forged.eskm")
