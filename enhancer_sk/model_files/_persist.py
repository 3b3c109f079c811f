"""Model files: one safe bundle format for every estimator of enhancer_sk.

Models travel between users (Galaxy histories, shared folders), so a model file
is treated as untrusted input.  :func:`save` writes, :func:`load` reads and
:func:`describe` summarises one format for every estimator of the project and
the scikit-learn classes listed in :data:`ALLOWED_CLASSES`.  Nothing is ever
unpickled: no ``pickle``, no ``joblib``, no ``torch.load``.

Layout
------
A model file is **one safetensors file** (suffix :data:`SUFFIX`, ``.eskm``; any
name is read; Galaxy datatype ``binary``):

* the tensors hold every numeric array of the model (network weights as
  ``state_dict`` tensors, SVM coefficients, scaler statistics ...), each named
  by where it sits in the model (``model.state.module_state.conv.0.weight``);
* the safetensors string metadata holds, under the key ``"enhancer_sk.model"``,
  one JSON document::

      {"format": "enhancer_sk.model", "format_version": 1,
       "package_version": "0.1.0",                    # enhancer_sk.__version__
       "versions": {"python": ..., "numpy": ..., "scikit-learn": ..., "torch": ..., ...},
       "class": "DeepEnhancerCNN",                    # a key of ALLOWED_CLASSES
       "classes": ["background", "enhancer"],         # or null (unfitted / no classes)
       "fitted": true,
       "estimator": {"__estimator__": "DeepEnhancerCNN",
                     "params": {...},                  # get_params(deep=False), typed JSON
                     "state": {...} or null}}          # fitted state, typed JSON + array refs

The JSON is typed: plain ``null``/booleans/numbers/strings/lists/objects
stand for themselves, and a JSON object whose single marker key starts with
``__`` stands for a value JSON has no literal for: ``{"__tuple__": [...]}``,
``{"__set__": [...]}``, ``{"__float__": "nan"}``, ``{"__scalar__": "int64",
"value": 3}`` (NumPy scalar), ``{"__dtype__": "float64"}``, ``{"__array__":
"<tensor name>"}``, ``{"__tensor__": "<tensor name>"}`` (torch tensor),
``{"__strings__": [...], "dtype": "<U10", "shape": [...]}`` (string arrays; beyond
65,536 characters, e.g. GkmSVM's support sequences, ``{"__utf8__": "<tensor>",
"lengths": "<tensor>", ...}`` instead, to keep the JSON small),
``{"__sparse__": "csr", ...}``, ``{"__dict__": [[key, value], ...]}`` (keys
that are not strings), ``{"__estimator__": name, "params", "state"}``
(an allow-listed estimator, recursively: Pipeline steps, the two layers of
:class:`~enhancer_sk.two_layer.TwoLayerEnhancerClassifier`, the members of
:class:`~enhancer_sk.ensemble.SeedEnsembleClassifier`, ``init_from`` of
:class:`~enhancer_sk.deepenhancer.DeepEnhancerCNN`),
``{"__ref__": name}`` (an allow-listed class or function used as a parameter:
``torch.optim.Adam``, a network module class ...), ``{"__construct__": name,
"kwargs": {...}}`` (an allow-listed small object rebuilt by calling its class:
skorch callbacks, validation splits).  Any other marker, or a name missing
from the allow-lists, is refused.

Allow-list
----------
Estimators (:data:`ALLOWED_CLASSES`): the project's
``EnhancerLSTMAttClassifier``, ``DeepEnhancerCNN``, ``KmerSVM``, ``GkmSVM``,
``TwoLayerEnhancerClassifier``, ``SeedEnsembleClassifier``, ``OneHotEncoder``, ``SequenceTokenizer``,
``KmerSpectrum``, ``GCContent``; scikit-learn's ``Pipeline`` (also from
``make_pipeline``), ``FeatureUnion``, ``StandardScaler``, ``MinMaxScaler``,
``MaxAbsScaler``, ``Normalizer``, ``LogisticRegression``, ``SVC``,
``LinearSVC``, ``CalibratedClassifierCV`` (sigmoid or isotonic).  The class
must match exactly (a subclass is refused when saving).  Parameter values
(:data:`ALLOWED_REFERENCES`, :data:`ALLOWED_CONSTRUCTED`): the network modules
and losses of the project, torch's common optimizers, losses and learning-rate
schedulers, ``DataLoader``, skorch's ``Dataset`` and ``ValidSplit``,
:class:`~enhancer_sk.deepenhancer.GroupValidSplit`, the skorch callbacks
``EarlyStopping``, ``LRScheduler``, ``GradientNormClipping``, ``EpochScoring``,
``PassthroughScoring``, ``PrintLog``, ``EpochTimer`` and the project's
:class:`~enhancer_sk.callbacks.CosineAnnealing`.  Loading looks names up
in these tables only (which name fixed import locations); it never imports a
module named by the file.

Policies
--------
* **Parameters.** Every ``get_params(deep=False)`` value is saved, so a loaded
  model has equal parameters, clones and refits.  Values may be None, bool,
  int, float, str, NumPy scalars and dtypes, lists, tuples (kept as tuples),
  sets, dicts of these, allow-listed estimators, classes, functions and
  callbacks.  Anything else (a lambda as callback scoring, a ``Checkpoint``
  callback, a ``RandomState`` object, a ``joblib.Memory``) makes :func:`save`
  raise :class:`~enhancer_sk.exceptions.ModelFileError` naming the parameter:
  nothing is silently dropped.  Values that would make a later call unpickle
  files are refused when saving and when loading: a ``Pipeline`` ``memory``
  (joblib caching) and skorch ``torch_load_kwargs`` without ``weights_only``.
* **Neural networks** (skorch): the module's ``state_dict`` tensors (float32,
  exact), ``classes_`` and the training history (one row per epoch; the
  per-batch lists are dropped) are saved.  Loading builds the
  net from its parameters, ``initialize()`` (under a forked torch RNG, so the
  caller's random state is untouched) and loads the weights; ``init_from`` is
  restored as a parameter but not re-read.  The optimizer state and the
  callbacks' internal state are **not** saved: a loaded model predicts
  exactly, refits from scratch (``fit``) and can be fine-tuned with
  ``partial_fit``, which starts a fresh optimizer (Adam moments reset), so
  it is not an exact continuation of the original training.
* **GkmSVM**: ``table_`` (``4**l`` floats) is not stored; it is rebuilt from
  the support vectors on load (deterministic, exact).
* **Versions.** Compatibility is decided by ``format_version``: a file of a
  newer format than :data:`FORMAT_VERSION` is refused with a message naming
  both versions; older formats this version knows are read: format 1 and the
  DeepEnhancerCNN files of earlier releases (``save_deepenhancer``, format
  name ``enhancer_sk.DeepEnhancerCNN``, reported as format version 0).  A
  file written by an enhancer_sk of another major.minor version, or holding
  scikit-learn estimators saved with another scikit-learn version, loads with
  a :class:`ModelVersionWarning` naming both versions.
* **Integrity.** Truncated files, files that are not bundles (FASTA, zip,
  pickle, HDF5 ...), malformed JSON, missing tensors and weights that do not
  fit the parameters raise :class:`~enhancer_sk.exceptions.ModelFileError`.
  Arrays handed to compiled code (libsvm, numba) are checked for consistent
  sizes after loading.
* **Writes are atomic**: the file is written to a temporary file in the same
  folder and renamed over the target, so an error never leaves a partial
  bundle.

Examples
--------
>>> from enhancer_sk import KmerSVM, load, save  # doctest: +SKIP
>>> from enhancer_sk.model_files import describe  # doctest: +SKIP
>>> save(KmerSVM(k=3).fit(X, y), "kmer.eskm")  # doctest: +SKIP
>>> describe("kmer.eskm")["class"]  # doctest: +SKIP
'KmerSVM'
>>> load("kmer.eskm").predict(X)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import os
import sys
import types
import warnings
from collections.abc import Mapping
from importlib import metadata as _metadata
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..exceptions import ModelFileError
from ..io.files import atomic_path

__all__ = [
    "ALLOWED_CLASSES",
    "ALLOWED_CONSTRUCTED",
    "ALLOWED_REFERENCES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "METADATA_KEY",
    "SUFFIX",
    "ModelVersionWarning",
    "describe",
    "load",
    "save",
]

#: Name of the format (``"format"`` of the JSON document).
FORMAT_NAME = "enhancer_sk.model"
#: Version of the format written by :func:`save`; :func:`load` reads this and older ones.
FORMAT_VERSION = 1
#: Metadata key of the safetensors file holding the JSON document.
METADATA_KEY = "enhancer_sk.model"
#: Suggested file name suffix (any name is read).
SUFFIX = ".eskm"

_LEGACY_DEEPENHANCER = "enhancer_sk.DeepEnhancerCNN"
_MAX_HEADER = 100_000_000  # safetensors' own limit on the header size
_ARRAY_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
     "float16", "float32", "float64"]
)
_SCALAR_DTYPES = _ARRAY_DTYPES
_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_MAX_INLINE_CHARS = 65_536  # longer string arrays are stored as UTF-8 tensors


class ModelVersionWarning(UserWarning):
    """A model file written by another enhancer_sk or scikit-learn version (loaded anyway)."""


# ----------------------------------------------------------------------------- allow-lists
# Names map to fixed (module, attribute) locations written here in the code: a file
# only selects a key of these tables, it never names a module to import.

#: Estimator classes a model file may hold: name -> (module, attribute).
ALLOWED_CLASSES: Mapping[str, tuple[str, str]] = types.MappingProxyType({
    # enhancer_sk
    "EnhancerLSTMAttClassifier": ("enhancer_sk.models.nn.lstmatt", "EnhancerLSTMAttClassifier"),
    "DeepEnhancerCNN": ("enhancer_sk.models.nn.deepenhancer", "DeepEnhancerCNN"),
    "KmerSVM": ("enhancer_sk.models.svm.kmer", "KmerSVM"),
    "GkmSVM": ("enhancer_sk.models.svm.gkm", "GkmSVM"),
    "TwoLayerEnhancerClassifier": ("enhancer_sk.models.meta.two_layer", "TwoLayerEnhancerClassifier"),
    "SeedEnsembleClassifier": ("enhancer_sk.models.meta.ensemble", "SeedEnsembleClassifier"),
    "OneHotEncoder": ("enhancer_sk.sequence.encoders", "OneHotEncoder"),
    "SequenceTokenizer": ("enhancer_sk.sequence.encoders", "SequenceTokenizer"),
    "KmerSpectrum": ("enhancer_sk.sequence.encoders", "KmerSpectrum"),
    "GCContent": ("enhancer_sk.sequence.encoders", "GCContent"),
    # scikit-learn
    "Pipeline": ("sklearn.pipeline", "Pipeline"),
    "FeatureUnion": ("sklearn.pipeline", "FeatureUnion"),
    "StandardScaler": ("sklearn.preprocessing", "StandardScaler"),
    "MinMaxScaler": ("sklearn.preprocessing", "MinMaxScaler"),
    "MaxAbsScaler": ("sklearn.preprocessing", "MaxAbsScaler"),
    "Normalizer": ("sklearn.preprocessing", "Normalizer"),
    "LogisticRegression": ("sklearn.linear_model", "LogisticRegression"),
    "SVC": ("sklearn.svm", "SVC"),
    "LinearSVC": ("sklearn.svm", "LinearSVC"),
    "CalibratedClassifierCV": ("sklearn.calibration", "CalibratedClassifierCV"),
})

#: Fitted parts of allowed estimators (not saved on their own): name -> location.
_PART_CLASSES: Mapping[str, tuple[str, str]] = types.MappingProxyType({
    "sklearn.calibration._CalibratedClassifier": ("sklearn.calibration", "_CalibratedClassifier"),
    "sklearn.calibration._SigmoidCalibration": ("sklearn.calibration", "_SigmoidCalibration"),
    "sklearn.isotonic.IsotonicRegression": ("sklearn.isotonic", "IsotonicRegression"),
})

#: Classes and functions a parameter may name (stored by name, never called on load).
ALLOWED_REFERENCES: Mapping[str, tuple[str, str]] = types.MappingProxyType({
    "enhancer_sk.models.nn.lstmatt.EnhancerLSTMAtt": ("enhancer_sk.models.nn.lstmatt", "EnhancerLSTMAtt"),
    "enhancer_sk.models.nn.lstmatt.PaperBCELoss": ("enhancer_sk.models.nn.lstmatt", "PaperBCELoss"),
    "enhancer_sk.models.nn.deepenhancer.DeepEnhancerNet": ("enhancer_sk.models.nn.deepenhancer", "DeepEnhancerNet"),
    "enhancer_sk.models.nn.base.encoded_accuracy": ("enhancer_sk.models.nn.base", "encoded_accuracy"),
    "torch.nn.BCEWithLogitsLoss": ("torch.nn", "BCEWithLogitsLoss"),
    "torch.nn.BCELoss": ("torch.nn", "BCELoss"),
    "torch.optim.Adam": ("torch.optim", "Adam"),
    "torch.optim.AdamW": ("torch.optim", "AdamW"),
    "torch.optim.SGD": ("torch.optim", "SGD"),
    "torch.optim.RMSprop": ("torch.optim", "RMSprop"),
    "torch.optim.Adagrad": ("torch.optim", "Adagrad"),
    "torch.optim.lr_scheduler.ExponentialLR": ("torch.optim.lr_scheduler", "ExponentialLR"),
    "torch.optim.lr_scheduler.StepLR": ("torch.optim.lr_scheduler", "StepLR"),
    "torch.optim.lr_scheduler.MultiStepLR": ("torch.optim.lr_scheduler", "MultiStepLR"),
    "torch.optim.lr_scheduler.CosineAnnealingLR": ("torch.optim.lr_scheduler", "CosineAnnealingLR"),
    "torch.optim.lr_scheduler.ReduceLROnPlateau": ("torch.optim.lr_scheduler", "ReduceLROnPlateau"),
    "torch.optim.lr_scheduler.OneCycleLR": ("torch.optim.lr_scheduler", "OneCycleLR"),
    "torch.optim.lr_scheduler.CyclicLR": ("torch.optim.lr_scheduler", "CyclicLR"),
    "torch.utils.data.DataLoader": ("torch.utils.data", "DataLoader"),
    "skorch.dataset.Dataset": ("skorch.dataset", "Dataset"),
    "skorch.utils.noop": ("skorch.utils", "noop"),
    "skorch.utils.to_numpy": ("skorch.utils", "to_numpy"),
    "builtins.print": ("builtins", "print"),
})

#: Small objects a parameter may hold, rebuilt by calling their class with their saved parameters.
ALLOWED_CONSTRUCTED: Mapping[str, tuple[str, str]] = types.MappingProxyType({
    "skorch.dataset.ValidSplit": ("skorch.dataset", "ValidSplit"),
    "enhancer_sk.models.nn.deepenhancer.GroupValidSplit": ("enhancer_sk.models.nn.deepenhancer", "GroupValidSplit"),
    "skorch.callbacks.EarlyStopping": ("skorch.callbacks", "EarlyStopping"),
    "skorch.callbacks.LRScheduler": ("skorch.callbacks", "LRScheduler"),
    "skorch.callbacks.GradientNormClipping": ("skorch.callbacks", "GradientNormClipping"),
    "skorch.callbacks.EpochScoring": ("skorch.callbacks", "EpochScoring"),
    "skorch.callbacks.PassthroughScoring": ("skorch.callbacks", "PassthroughScoring"),
    "skorch.callbacks.PrintLog": ("skorch.callbacks", "PrintLog"),
    "skorch.callbacks.EpochTimer": ("skorch.callbacks", "EpochTimer"),
    "enhancer_sk.models.nn.callbacks.CosineAnnealing": ("enhancer_sk.models.nn.callbacks", "CosineAnnealing"),
})

#: LRScheduler policies given by name (skorch resolves them in its own module)
_LR_POLICY_NAMES = frozenset(["WarmRestartLR", "ExponentialLR", "StepLR", "MultiStepLR", "CosineAnnealingLR",
                              "ReduceLROnPlateau", "CyclicLR"])

_RESOLVED: dict[tuple[str, str], Any] = {}


def _resolve(table: Mapping[str, tuple[str, str]], name, what: str, where: str):
    """The object a table names (its module imported from the table's fixed location)."""
    if not isinstance(name, str) or name not in table:
        raise ModelFileError(
            f"{where}: {what} {name!r} is not allowed in a model file (not in enhancer_sk's allow-list); "
            "refused without running it"
        )
    location = table[name]
    if location not in _RESOLVED:
        module, attr = location
        try:
            _RESOLVED[location] = getattr(importlib.import_module(module), attr)
        except ImportError as err:
            raise ModelFileError(f"{where}: {what} {name!r} needs {module}, which is not installed ({err})") from None
    return _RESOLVED[location]


def _name_of(table: Mapping[str, tuple[str, str]], obj) -> str | None:
    """Allow-list name of ``obj`` (by identity), looking only at modules already imported."""
    for name, (module, _attr) in table.items():
        if module not in sys.modules:
            continue  # obj cannot come from a module nobody imported (nor its package): no import needed
        try:
            if _resolve(table, name, "name", "") is obj:
                return name
        except ModelFileError:
            continue
    return None


def _is_skorch_net(obj) -> bool:
    return "skorch" in sys.modules and isinstance(obj, sys.modules["skorch"].NeuralNet)


# ----------------------------------------------------------------------------- encoding


class _Encoder:
    """Turns a model into typed JSON plus a dict of named arrays."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def _store(self, arr: np.ndarray, where: str) -> str:
        arr = np.asarray(arr)
        if arr.dtype.name not in _ARRAY_DTYPES:
            raise ModelFileError(f"cannot save {where}: arrays of dtype {arr.dtype} are not supported")
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        name = where
        while name in self.arrays:  # same path twice cannot happen, but never overwrite
            name += "'"
        self.arrays[name] = np.ascontiguousarray(arr)
        return name

    def value(self, v, where: str):
        """Typed JSON of one value (raises ModelFileError naming ``where`` when it cannot)."""
        if isinstance(v, np.generic):  # before float: np.float64 is a float subclass
            return self._scalar(v, where)
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else {"__float__": repr(v)}
        if isinstance(v, list):
            return [self.value(x, f"{where}.{i}") for i, x in enumerate(v)]
        if isinstance(v, tuple):
            return {"__tuple__": [self.value(x, f"{where}.{i}") for i, x in enumerate(v)]}
        if isinstance(v, (set, frozenset)):
            items = sorted(v, key=repr)
            return {"__set__": [self.value(x, f"{where}.{i}") for i, x in enumerate(items)]}
        if isinstance(v, dict):
            return self._dict(v, where)
        if isinstance(v, np.ndarray):
            return self._array(v, where)
        if sp.issparse(v):
            return self._sparse(v, where)
        if isinstance(v, np.dtype):
            return self._dtype(v, where, as_type=False)
        if isinstance(v, type) and issubclass(v, np.generic):
            return self._dtype(np.dtype(v), where, as_type=True)
        if "torch" in sys.modules and isinstance(v, sys.modules["torch"].Tensor):
            return {"__tensor__": self._store(v.detach().cpu().numpy(), where)}
        if not isinstance(v, type) and (_estimator_name(v) is not None or hasattr(v, "fit")):
            return self.estimator(v, where)  # (refuses estimators outside the allow-list by name)
        name = _name_of(ALLOWED_REFERENCES, v)
        if name is not None:
            return {"__ref__": name}
        return self._constructed(v, where)

    def _scalar(self, v: np.generic, where: str):
        if isinstance(v, np.str_):
            return str(v)
        if v.dtype.name not in _SCALAR_DTYPES:
            raise ModelFileError(f"cannot save {where}: NumPy scalars of dtype {v.dtype} are not supported")
        item = v.item()
        if isinstance(item, float) and not math.isfinite(item):
            item = {"__float__": repr(item)}
        return {"__scalar__": v.dtype.name, "value": item}

    def _dtype(self, dt: np.dtype, where: str, as_type: bool):
        if dt.name not in _ARRAY_DTYPES:
            raise ModelFileError(f"cannot save {where}: dtype {dt} is not supported")
        return {"__dtype__": dt.name, "type": as_type}

    def _dict(self, d: dict, where: str):
        if all(isinstance(k, str) and not k.startswith("__") for k in d):
            return {k: self.value(x, f"{where}.{k}") for k, x in d.items()}
        return {"__dict__": [[self.value(k, f"{where}.key{i}"), self.value(x, f"{where}.{k}")]
                             for i, (k, x) in enumerate(d.items())]}

    def _array(self, a: np.ndarray, where: str):
        if a.dtype.kind in "biuf":
            return {"__array__": self._store(a, where)}
        if a.dtype.kind == "U" or (a.dtype.kind == "O" and all(isinstance(x, str) for x in a.flat)):
            items = [str(x) for x in a.ravel().tolist()]
            if sum(map(len, items)) <= _MAX_INLINE_CHARS:
                return {"__strings__": items, "dtype": a.dtype.str, "shape": list(a.shape)}
            encoded = [x.encode("utf-8") for x in items]  # long (e.g. support sequences): keep the JSON small
            data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
            lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
            return {"__utf8__": self._store(data, f"{where}.utf8"),
                    "lengths": self._store(lengths, f"{where}.lengths"), "dtype": a.dtype.str,
                    "shape": list(a.shape)}
        if a.dtype.kind == "O":
            return {"__objects__": [self.value(x, f"{where}.{i}") for i, x in enumerate(a.ravel().tolist())],
                    "shape": list(a.shape)}
        raise ModelFileError(f"cannot save {where}: arrays of dtype {a.dtype} are not supported")

    def _sparse(self, m, where: str):
        fmt = m.format
        if fmt not in ("csr", "csc"):
            m, fmt = m.tocsr(), "csr"
        return {"__sparse__": fmt, "matrix": bool(sp.isspmatrix(m)), "shape": list(m.shape),
                "data": self.value(m.data, f"{where}.data"),
                "indices": self.value(m.indices, f"{where}.indices"),
                "indptr": self.value(m.indptr, f"{where}.indptr")}

    def _constructed(self, v, where: str):
        name = _name_of(ALLOWED_CONSTRUCTED, type(v))
        if name is None:
            if isinstance(v, type) or inspect.isroutine(v):
                kind = f"{getattr(v, '__module__', '?')}.{getattr(v, '__qualname__', repr(v))}"
            else:
                kind = f"an object of type {type(v).__module__}.{type(v).__qualname__}"
            raise ModelFileError(
                f"cannot save {where}: {kind} is not a value a model "
                "file can hold (allowed: None, bool, numbers, strings, lists, tuples, dicts, NumPy arrays, "
                "estimators of enhancer_sk.model_files.ALLOWED_CLASSES, classes and functions of "
                "ALLOWED_REFERENCES, objects of ALLOWED_CONSTRUCTED); set it to an allowed value before saving"
            )
        if hasattr(v, "get_params"):
            kwargs = v.get_params(deep=False)
        else:
            names = [p.name for p in inspect.signature(type(v)).parameters.values()
                     if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
            kwargs = {n: getattr(v, n) for n in names}
        return {"__construct__": name, "kwargs": self._dict(dict(kwargs), f"{where}.{name}")}

    # -- estimators ------------------------------------------------------------------------
    def estimator(self, est, where: str) -> dict:
        name = _estimator_name(est)
        if name is None:
            cls = type(est)
            raise ModelFileError(
                f"cannot save {where}: {cls.__module__}.{cls.__qualname__} is not an estimator class "
                f"model files can hold; allowed: {', '.join(sorted(ALLOWED_CLASSES))}"
            )
        raw_params = est.get_params(deep=False) if hasattr(est, "get_params") else {}
        params = self._dict(dict(raw_params), f"{where}.params")
        if _is_skorch_net(est):
            state = self._net_state(est, f"{where}.state")
        else:
            state = self._sklearn_state(est, f"{where}.state")
        return {"__estimator__": name, "params": params, "state": state}

    def _sklearn_state(self, est, where: str):
        state = est.__getstate__() if hasattr(est, "get_params") else vars(est)
        state = dict(state or {})
        state.pop("_sklearn_version", None)
        params = est.get_params(deep=False) if hasattr(est, "get_params") else {}
        for key in list(params) + list(getattr(est, "_derived_attributes", ())):
            state.pop(key, None)
        if not state:
            return None
        return self._dict(state, where)

    def _net_state(self, net, where: str):
        if not getattr(net, "initialized_", False) or not hasattr(net, "module_"):
            return None
        module_state = {k: v for k, v in net.module_.state_dict().items()}
        state = {"module_state": self._dict(module_state, f"{where}.module_state")}
        if hasattr(net, "classes_inferred_"):
            state["classes_inferred_"] = self.value(np.asarray(net.classes_inferred_), f"{where}.classes_inferred_")
        history = getattr(net, "history_", None)
        if history is not None:  # per-epoch rows; the per-batch lists can be huge and are dropped
            rows = [{k: v for k, v in row.items() if k != "batches"} for row in history]
            try:
                state["history"] = self.value(_plain_python(rows), f"{where}.history")
            except ModelFileError as err:
                warnings.warn(f"training history not saved: {err}", stacklevel=3)
        return state


def _plain_python(v):
    """NumPy scalars inside nested lists / dicts as Python numbers (for the history)."""
    if isinstance(v, dict):
        return {k: _plain_python(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain_python(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _estimator_name(est) -> str | None:
    """Allow-list name of an estimator's exact class (project classes, sklearn classes, parts)."""
    cls = type(est)
    for table in (ALLOWED_CLASSES, _PART_CLASSES):
        name = _name_of(table, cls)
        if name is not None:
            return name
    return None


# ----------------------------------------------------------------------------- decoding


class _Decoder:
    """Rebuilds values from typed JSON and the file's arrays (allow-listed names only)."""

    def __init__(self, arrays: Mapping[str, np.ndarray]):
        self.arrays = arrays
        self.used: set[str] = set()
        self.sklearn_estimators: list[str] = []

    def _array(self, name, where: str) -> np.ndarray:
        if not isinstance(name, str) or name not in self.arrays:
            raise ModelFileError(f"{where}: the file has no tensor {name!r} (damaged file?)")
        self.used.add(name)
        return self.arrays[name]

    def value(self, v, where: str):
        if v is None or isinstance(v, (bool, str, int, float)):
            return v
        if isinstance(v, list):
            return [self.value(x, f"{where}.{i}") for i, x in enumerate(v)]
        if not isinstance(v, dict):
            raise ModelFileError(f"{where}: unexpected JSON value {type(v).__name__}")
        markers = [k for k in v if k.startswith("__")]
        if not markers:
            return {k: self.value(x, f"{where}.{k}") for k, x in v.items()}
        if len(markers) != 1:
            raise ModelFileError(f"{where}: malformed value with markers {markers}")
        marker = markers[0]
        handler = self._HANDLERS.get(marker)
        if handler is None:
            raise ModelFileError(f"{where}: unknown marker {marker!r} (refused)")
        try:
            return handler(self, v, where)
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, OverflowError) as err:
            raise ModelFileError(f"{where}: malformed {marker} value ({type(err).__name__}: {err})") from None

    def _tuple(self, v, where):
        return tuple(self.value(x, f"{where}.{i}") for i, x in enumerate(_list(v["__tuple__"], where)))

    def _set(self, v, where):
        return {self.value(x, f"{where}.{i}") for i, x in enumerate(_list(v["__set__"], where))}

    def _float(self, v, where):
        if v["__float__"] not in _SPECIAL_FLOATS:
            raise ModelFileError(f"{where}: bad float {v['__float__']!r}")
        return _SPECIAL_FLOATS[v["__float__"]]

    def _scalar(self, v, where):
        dtype = v["__scalar__"]
        if dtype not in _SCALAR_DTYPES:
            raise ModelFileError(f"{where}: NumPy scalar dtype {dtype!r} is not allowed")
        value = self.value(v["value"], where)
        if not isinstance(value, (bool, int, float)):
            raise ModelFileError(f"{where}: NumPy scalar value must be a number")
        return np.dtype(dtype).type(value)

    def _dtype(self, v, where):
        name = v["__dtype__"]
        if name not in _ARRAY_DTYPES:
            raise ModelFileError(f"{where}: dtype {name!r} is not allowed")
        dt = np.dtype(name)
        return dt.type if v.get("type") else dt

    def _dict(self, v, where):
        out = {}
        for i, item in enumerate(_list(v["__dict__"], where)):
            if not isinstance(item, list) or len(item) != 2:
                raise ModelFileError(f"{where}: malformed dict item {i}")
            key = self.value(item[0], f"{where}.key{i}")
            try:
                out[key] = self.value(item[1], f"{where}.{key}")
            except TypeError:
                raise ModelFileError(f"{where}: unhashable dict key") from None
        return out

    def _ndarray(self, v, where):
        return self._array(v["__array__"], where)

    def _tensor(self, v, where):
        import torch

        a = self._array(v["__tensor__"], where)
        return torch.from_numpy(np.array(a, copy=True))

    def _strings(self, v, where):
        items = _list(v["__strings__"], where)
        if not all(isinstance(x, str) for x in items):
            raise ModelFileError(f"{where}: string array holds a non-string")
        return _string_array(items, v["dtype"], v["shape"], where)

    def _utf8(self, v, where):
        data = self._array(v["__utf8__"], where)
        lengths = self._array(v["lengths"], where)
        if data.dtype != np.uint8 or data.ndim != 1 or lengths.dtype != np.int64 or lengths.ndim != 1 \
                or (lengths < 0).any() or int(lengths.sum()) != len(data):
            raise ModelFileError(f"{where}: damaged string array")
        raw = data.tobytes()
        ends = np.cumsum(lengths).tolist()
        try:
            items = [raw[a:b].decode("utf-8") for a, b in zip([0, *ends[:-1]], ends)]
        except UnicodeDecodeError:
            raise ModelFileError(f"{where}: string array is not UTF-8") from None
        return _string_array(items, v["dtype"], v["shape"], where)

    def _objects(self, v, where):
        items = [self.value(x, f"{where}.{i}") for i, x in enumerate(_list(v["__objects__"], where))]
        if not all(x is None or isinstance(x, (bool, int, float, str, np.generic)) for x in items):
            raise ModelFileError(f"{where}: object arrays may only hold scalars")
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(_shape(v["shape"], where))

    def _sparse(self, v, where):
        fmt = v["__sparse__"]
        if fmt not in ("csr", "csc"):
            raise ModelFileError(f"{where}: sparse format {fmt!r} is not allowed")
        parts = [self.value(v[k], f"{where}.{k}") for k in ("data", "indices", "indptr")]
        if not all(isinstance(p, np.ndarray) for p in parts):
            raise ModelFileError(f"{where}: sparse parts must be arrays")
        shape = tuple(_shape(v["shape"], where))
        if len(shape) != 2:
            raise ModelFileError(f"{where}: sparse matrices are 2-D")
        ctor = {("csr", True): sp.csr_matrix, ("csc", True): sp.csc_matrix,
                ("csr", False): sp.csr_array, ("csc", False): sp.csc_array}[fmt, bool(v.get("matrix"))]
        m = ctor(tuple(parts), shape=shape)
        m.check_format(full_check=True)  # index bounds: scipy's compiled routines trust them
        return m

    def _ref(self, v, where):
        return _resolve(ALLOWED_REFERENCES, v["__ref__"], "reference", where)

    def _construct(self, v, where):
        cls = _resolve(ALLOWED_CONSTRUCTED, v["__construct__"], "object", where)
        kwargs = self.value(v["kwargs"], f"{where}.kwargs")
        if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
            raise ModelFileError(f"{where}: constructor arguments must be a dict of names")
        policy = kwargs.get("policy")
        if v["__construct__"] == "skorch.callbacks.LRScheduler" and isinstance(policy, str) \
                and policy not in _LR_POLICY_NAMES:  # skorch looks a string up in its module's namespace
            raise ModelFileError(f"{where}: LRScheduler policy {policy!r} is not allowed; "
                                 f"use one of {sorted(_LR_POLICY_NAMES)}")
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as err:
            raise ModelFileError(f"{where}: cannot rebuild {v['__construct__']} ({err})") from None

    def _estimator(self, v, where):
        return self.estimator(v, where)

    _HANDLERS = {
        "__tuple__": _tuple, "__set__": _set, "__float__": _float, "__scalar__": _scalar,
        "__dtype__": _dtype, "__dict__": _dict, "__array__": _ndarray, "__tensor__": _tensor,
        "__strings__": _strings, "__utf8__": _utf8, "__objects__": _objects, "__sparse__": _sparse, "__ref__": _ref,
        "__construct__": _construct, "__estimator__": _estimator,
    }

    # -- estimators ------------------------------------------------------------------------
    def estimator(self, node, where: str):
        if not isinstance(node, dict) or "__estimator__" not in node:
            raise ModelFileError(f"{where}: expected an estimator")
        name = node["__estimator__"]
        table = ALLOWED_CLASSES if name in ALLOWED_CLASSES else _PART_CLASSES
        cls = _resolve(table, name, "estimator class", where)
        params = self.value(node.get("params", {}), f"{where}.params")
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise ModelFileError(f"{where}: params must be a dict of names")
        _check_safe_params(name, params, where)
        state = node.get("state")
        if _is_skorch_net_class(cls):
            return self._net(cls, name, params, state, where)
        return self._sklearn(cls, name, params, state, where)

    def _construct_estimator(self, cls, name: str, params: dict, where: str):
        try:
            return cls(**params)
        except (TypeError, ValueError) as err:
            raise ModelFileError(f"{where}: cannot build {name} from the saved parameters ({err})") from None

    def _sklearn(self, cls, name, params, state, where):
        if name == "sklearn.calibration._CalibratedClassifier":  # a plain object, not an estimator
            est = cls.__new__(cls)
            params = {**params, **(self._state_dict(state, where) if state is not None else {})}
            est.__dict__.update(params)
            return est
        est = self._construct_estimator(cls, name, params, where)
        if state is None:
            return est
        attrs = self._state_dict(state, where)
        if cls.__module__.startswith("sklearn."):
            attrs["_sklearn_version"] = _sklearn_version()
            self.sklearn_estimators.append(name)
        try:
            est.__setstate__(attrs)
            check = _AFTER_LOAD.get(name)
            if check is not None:
                check(est, where)
            if hasattr(est, "_check_loaded_state"):  # the estimator's own check of its fitted arrays
                est._check_loaded_state()
        except ModelFileError:
            raise
        except (AttributeError, TypeError, ValueError, IndexError) as err:
            raise ModelFileError(f"{where}: inconsistent fitted state of {name} ({type(err).__name__}: {err}); "
                                 "damaged or forged file") from None
        return est

    def _state_dict(self, state, where) -> dict:
        attrs = self.value(state, f"{where}.state")
        if not isinstance(attrs, dict):
            raise ModelFileError(f"{where}: state must be a dict")
        for key in attrs:
            if not isinstance(key, str) or not key.isidentifier() or key.startswith("__"):
                raise ModelFileError(f"{where}: bad attribute name {key!r} in the state")
        return attrs

    def _net(self, cls, name, params, state, where):
        import torch
        from skorch.history import History

        has_init_from = "init_from" in params
        init_from = params.get("init_from")
        if has_init_from:
            params = {**params, "init_from": None}  # weights come from the file, not from init_from
        net = self._construct_estimator(cls, name, params, where)
        if state is not None:
            if not isinstance(state, dict) or "module_state" not in state:
                raise ModelFileError(f"{where}: network state without module weights")
            weights = self.value(state["module_state"], f"{where}.state.module_state")
            if not isinstance(weights, dict) or not all(isinstance(t, torch.Tensor) for t in weights.values()):
                raise ModelFileError(f"{where}: module weights must be a dict of tensors")
            try:
                with torch.random.fork_rng(devices=[]):
                    net.initialize()
            except (TypeError, ValueError, RuntimeError) as err:
                raise ModelFileError(f"{where}: cannot build {name} from the saved parameters ({err})") from None
            try:
                net.module_.load_state_dict(weights, strict=True)
            except RuntimeError as err:
                raise ModelFileError(
                    f"{where}: weights do not fit the saved parameters ({str(err).splitlines()[0]})"
                ) from None
            if "classes_inferred_" in state:
                classes = self.value(state["classes_inferred_"], f"{where}.state.classes_inferred_")
                if not isinstance(classes, np.ndarray) or classes.ndim != 1:
                    raise ModelFileError(f"{where}: classes must be a 1-D array")
                net.classes_inferred_ = classes
            if "history" in state:
                history = self.value(state["history"], f"{where}.state.history")
                if not isinstance(history, list):
                    raise ModelFileError(f"{where}: history must be a list")
                net.history_ = History(history)
        if has_init_from:
            net.init_from = init_from
        return net


def _check_safe_params(name: str, params: dict, where: str) -> None:
    """Refuse parameter values that would make a later call unpickle files (allowed classes, unsafe options)."""
    if params.get("memory") is not None and name == "Pipeline":
        raise ModelFileError(f"{where}: Pipeline memory={params['memory']!r} is refused (joblib caching unpickles "
                             "its files); model files hold pipelines without memory")
    load_kwargs = params.get("torch_load_kwargs")
    if isinstance(load_kwargs, dict) and load_kwargs.get("weights_only", True) is not True:
        raise ModelFileError(f"{where}: torch_load_kwargs={load_kwargs!r} is refused (torch.load of arbitrary "
                             "objects); only weights_only loading is allowed")


def _is_skorch_net_class(cls) -> bool:
    return any(c.__module__ == "skorch.net" and c.__name__ == "NeuralNet" for c in cls.__mro__)


def _string_array(items: list[str], dtype, shape, where: str) -> np.ndarray:
    if not isinstance(dtype, str) or not (dtype == "|O" or dtype.lstrip("<>|=").startswith("U")):
        raise ModelFileError(f"{where}: string array dtype {dtype!r} is not allowed")
    try:
        out = np.empty(len(items), dtype=object if dtype == "|O" else np.dtype(dtype))
    except TypeError:
        raise ModelFileError(f"{where}: string array dtype {dtype!r} is not allowed") from None
    out[:] = items
    return out.reshape(_shape(shape, where))


def _list(v, where: str) -> list:
    if not isinstance(v, list):
        raise ModelFileError(f"{where}: expected a JSON list")
    return v


def _shape(v, where: str) -> list[int]:
    if not isinstance(v, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in v):
        raise ModelFileError(f"{where}: bad shape {v!r}")
    return v


def _sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


# -- checks of arrays handed to compiled code ---------------------------------------------


def _require(ok: bool, where: str, what: str) -> None:
    if not ok:
        raise ModelFileError(f"{where}: inconsistent fitted state ({what}); damaged or forged file")


def _check_svc(est, where: str) -> None:
    """libsvm trusts the sizes of its arrays: check them (SVC)."""
    try:
        sv = est.support_vectors_
        n_sv = sv.shape[0]
        n_class = len(est.classes_)
        n_support = np.asarray(est._n_support)
        _require(n_support.shape == (n_class,) and int(n_support.sum()) == n_sv and (n_support >= 0).all(),
                 where, "_n_support")
        _require(np.asarray(est.support_).shape == (n_sv,), where, "support_")
        _require(est._dual_coef_.shape == (max(n_class - 1, 1), n_sv), where, "_dual_coef_")
        n_pairs = n_class * (n_class - 1) // 2
        _require(np.asarray(est._intercept_).shape == (n_pairs,), where, "_intercept_")
        for name in ("_probA", "_probB"):
            _require(np.asarray(getattr(est, name)).size in (0, n_pairs), where, name)
        _require(np.asarray(est.class_weight_).shape == (n_class,), where, "class_weight_")
        if est.kernel == "precomputed":
            support = np.asarray(est.support_)
            _require(len(est.shape_fit_) == 2 and bool(((support >= 0) & (support < est.shape_fit_[0])).all()),
                     where, "support_ beyond the training matrix")
        else:
            _require(sv.ndim == 2 and sv.shape[1] == getattr(est, "n_features_in_", sv.shape[1]), where,
                     "support_vectors_")
        _require(est._impl in ("c_svc", "nu_svc"), where, "_impl")
    except AttributeError as err:
        raise ModelFileError(f"{where}: incomplete SVC state ({err})") from None


_AFTER_LOAD = {"SVC": _check_svc}


# ----------------------------------------------------------------------------- files


def _versions() -> dict:
    out = {"python": ".".join(map(str, sys.version_info[:3]))}
    for dist in ("numpy", "scipy", "scikit-learn", "torch", "skorch", "safetensors"):
        try:
            out[dist] = _metadata.version(dist)
        except _metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _package_version() -> str:
    from .. import __version__

    return __version__


def _classes_of(model):
    try:
        classes = model.classes_
    except (AttributeError, TypeError):
        return None
    if classes is None:
        return None
    return [c.item() if isinstance(c, np.generic) else c for c in np.asarray(classes).tolist()]


def _is_fitted(model) -> bool:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if _is_skorch_net(model):  # skorch sets history_ etc. in __init__: check the weights and labels
        return bool(getattr(model, "initialized_", False)) and hasattr(model, "classes_inferred_")
    try:
        check_is_fitted(model)
    except (NotFittedError, TypeError, AttributeError):
        return False
    return True


def save(model, path: str | os.PathLike) -> None:
    """Write ``model`` to one model file (safetensors arrays + JSON), atomically.

    Parameters
    ----------
    model : estimator
        An estimator of :data:`ALLOWED_CLASSES` (fitted or not), possibly
        holding others (Pipeline steps, two-layer layers).
    path : str or path-like
        File to write (suffix :data:`SUFFIX` suggested); replaced if it exists.

    Raises
    ------
    ModelFileError
        When the model (or a parameter, named in the message) cannot be
        stored safely; no file is written then.
    """
    from safetensors.numpy import save_file

    encoder = _Encoder()
    node = encoder.estimator(model, "model")
    _check_saved_params(model, "model")
    if node["__estimator__"] not in ALLOWED_CLASSES:
        raise ModelFileError(f"cannot save a bare {node['__estimator__']}: save the estimator that holds it")
    doc = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "package_version": _package_version(),
        "versions": _versions(),
        "class": node["__estimator__"],
        "classes": _classes_of(model),
        "fitted": _is_fitted(model),
        "estimator": node,
    }
    try:
        text = json.dumps(doc, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as err:
        raise ModelFileError(f"cannot save the model: its description is not JSON ({err})") from None
    path = os.fspath(path)
    try:
        with atomic_path(path) as tmp:
            save_file(encoder.arrays, tmp, metadata={METADATA_KEY: text})
    except Exception as err:
        if not isinstance(err, (OSError, ModelFileError)):
            raise ModelFileError(f"cannot write {path!r}: {err}") from err
        raise


def _check_saved_params(model, where: str) -> None:
    """The refusals of :func:`_check_safe_params`, at saving time (every nested estimator)."""
    for est_where, est in _estimators_in(model, where):
        params = est.get_params(deep=False) if hasattr(est, "get_params") else {}
        _check_safe_params(type(est).__name__, params, est_where)


def _estimators_in(v, where: str):
    if hasattr(v, "get_params") and not isinstance(v, type) and hasattr(v, "fit"):
        yield where, v
        for k, x in v.get_params(deep=False).items():
            yield from _estimators_in(x, f"{where}.params.{k}")
    elif isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            yield from _estimators_in(x, f"{where}.{i}")


def _sniff(head: bytes) -> str:
    """What a file that is not a model bundle looks like (for the error message)."""
    text = head.lstrip()
    if head.startswith(b"PK\x03\x04"):
        return ("a zip archive (e.g. a torch.save / joblib / pickle bundle); enhancer_sk reads only its own "
                "model files and never unpickles")
    if head[:1] == b"\x80" or head.startswith((b"(dp", b"(lp", b"ccopy_reg")):
        return "pickle data; enhancer_sk never unpickles model files"
    if head.startswith(b"\x89HDF"):
        return ("an HDF5 file (Keras weights? read them with "
                "EnhancerLSTMAttClassifier.from_keras_weights)")
    if text.startswith((b">", b";")):
        return "a FASTA file, not a model"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip file, not a model"
    return "not an enhancer_sk model file"


def _read_header(path: str) -> tuple[dict, dict, int]:
    """(safetensors header without metadata, metadata, file size); checks the outer structure."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such model file: {path!r}")
    if os.path.isdir(path):
        raise ModelFileError(f"{path!r} is a folder, not a model file")
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise ModelFileError(f"{path!r} is empty or truncated ({size} bytes): {_sniff(head)}")
        n = int.from_bytes(head, "little")
        if n > _MAX_HEADER or n < 2:
            raise ModelFileError(f"{path!r} is {_sniff(head + fh.read(64))}")
        if 8 + n > size:
            first = fh.read(1)
            if first == b"{":
                raise ModelFileError(f"{path!r} is truncated: {size} bytes, the header alone needs {8 + n}")
            raise ModelFileError(f"{path!r} is {_sniff(head + first + fh.read(63))}")
        raw = fh.read(n)
    if not raw.startswith(b"{"):
        raise ModelFileError(f"{path!r} is {_sniff(head + raw[:64])}")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ModelFileError(f"{path!r} has a damaged header (not JSON): not an enhancer_sk model file") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path!r} has a damaged header: not an enhancer_sk model file")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path!r} has damaged metadata")
    end = 0
    for name, info in header.items():
        try:
            start, stop = info["data_offsets"]
            end = max(end, int(stop))
        except (TypeError, KeyError, ValueError):
            raise ModelFileError(f"{path!r} has a damaged entry for tensor {name!r}") from None
    if 8 + n + end > size:
        raise ModelFileError(f"{path!r} is truncated: {size} bytes, its tensors need {8 + n + end}")
    return header, meta, size


def _document(path: str, header: dict, meta: dict) -> dict:
    """The JSON document of a model file (legacy files converted), version-checked."""
    if METADATA_KEY not in meta:
        if meta.get("format") == _LEGACY_DEEPENHANCER:
            return _legacy_deepenhancer(path, header, meta)
        raise ModelFileError(
            f"{path!r} is a safetensors file but not an enhancer_sk model file (no {METADATA_KEY!r} metadata)"
        )
    extra = sorted(set(meta) - {METADATA_KEY})
    if extra:
        raise ModelFileError(f"{path!r} has unexpected metadata {extra[:5]}: damaged or forged model file; refused")
    try:
        doc = json.loads(meta[METADATA_KEY])
    except (ValueError, RecursionError, TypeError):
        raise ModelFileError(f"{path!r} has a damaged model description (not JSON)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path!r} is not an enhancer_sk model file (format {doc.get('format')!r})"
                             if isinstance(doc, dict) else f"{path!r} has a damaged model description")
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path!r} has an invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path!r} uses model file format version {version} (written by enhancer_sk "
            f"{doc.get('package_version')}), but this enhancer_sk {_package_version()} reads format versions up to "
            f"{FORMAT_VERSION}; upgrade enhancer_sk to load it"
        )
    for key in ("class", "estimator"):
        if key not in doc:
            raise ModelFileError(f"{path!r} has an incomplete model description (no {key!r})")
    if not isinstance(doc["class"], str) or doc["class"] not in ALLOWED_CLASSES:
        raise ModelFileError(f"{path!r}: estimator class {doc['class']!r} is not allowed in a model file "
                             "(not in enhancer_sk's allow-list); refused without running it")
    estimator = doc["estimator"]
    if not isinstance(estimator, dict) or estimator.get("__estimator__") != doc["class"]:
        raise ModelFileError(f"{path!r}: the model description names two different classes")
    return doc


def _legacy_deepenhancer(path: str, header: dict, meta: dict) -> dict:
    """A DeepEnhancerCNN file of ``save_deepenhancer`` before the bundle format, as a format-1 document."""
    extra = sorted(set(meta) - {"format", "format_version", "params", "classes"})
    if extra:
        raise ModelFileError(f"{path!r} has unexpected metadata {extra[:5]}: damaged or forged model file; refused")
    if meta.get("format_version") != "1":
        raise ModelFileError(f"{path!r}: DeepEnhancerCNN file of unknown version {meta.get('format_version')!r}")
    try:
        params = json.loads(meta["params"])
        classes = json.loads(meta["classes"])
        module = params.pop("module")
    except (KeyError, ValueError, TypeError, AttributeError):
        raise ModelFileError(f"{path!r}: damaged DeepEnhancerCNN model file") from None
    if not isinstance(params, dict) or not isinstance(module, dict) or not isinstance(classes, list):
        raise ModelFileError(f"{path!r}: damaged DeepEnhancerCNN model file")
    params.update({f"module__{k}": v for k, v in module.items()})
    if all(isinstance(c, str) for c in classes):
        classes_node = {"__strings__": classes, "dtype": np.asarray(classes).dtype.str, "shape": [len(classes)]}
    else:
        classes_node = {"__objects__": classes, "shape": [len(classes)]}
    return {
        "format": _LEGACY_DEEPENHANCER,
        "format_version": 0,
        "package_version": None,
        "versions": {},
        "class": "DeepEnhancerCNN",
        "classes": classes,
        "fitted": True,
        "estimator": {
            "__estimator__": "DeepEnhancerCNN",
            "params": params,
            "state": {"module_state": {k: {"__tensor__": k} for k in header},
                      "classes_inferred_": classes_node},
        },
    }


def _read(path) -> tuple[str, dict, dict]:
    path = os.fspath(path)
    header, meta, _ = _read_header(path)
    return path, header, _document(path, header, meta)


def load(path: str | os.PathLike):
    """Read a model file written by :func:`save` (nothing in the file is executed).

    Parameters
    ----------
    path : str or path-like
        A model file (format :data:`FORMAT_VERSION` or older, see the module notes).

    Returns
    -------
    estimator
        The model, fitted if it was saved fitted, with equal parameters.

    Raises
    ------
    FileNotFoundError
        No such file.
    ModelFileError
        Not a model file, truncated or damaged, of a newer format, or naming a
        class or value outside the allow-lists.

    Warns
    -----
    ModelVersionWarning
        Written by another enhancer_sk major.minor version, or with
        scikit-learn estimators saved by another scikit-learn version.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path, header, doc = _read(path)
    try:
        arrays = load_file(path)
    except (SafetensorError, OSError, ValueError, TypeError) as err:
        raise ModelFileError(f"{path!r}: damaged model file ({err})") from None
    decoder = _Decoder(arrays)
    try:
        model = decoder.estimator(doc["estimator"], "model")
    except RecursionError:
        raise ModelFileError(f"{path!r}: model description nested too deeply") from None
    unused = sorted(set(arrays) - decoder.used)
    if unused:
        raise ModelFileError(
            f"{path!r} holds tensors the model does not use ({', '.join(unused[:5])}): damaged or forged "
            "model file; refused"
        )
    _warn_versions(path, doc, decoder)
    return model


def _major_minor(version) -> tuple | None:
    if not isinstance(version, str):
        return None
    parts = version.split(".")
    return tuple(parts[:2])


def _warn_versions(path: str, doc: dict, decoder: _Decoder) -> None:
    saved = doc.get("package_version")
    current = _package_version()
    if saved is not None and _major_minor(saved) != _major_minor(current):
        warnings.warn(
            f"{path!r} was written by enhancer_sk {saved}; this is enhancer_sk {current}. "
            "The model loaded; check its predictions before relying on them.",
            ModelVersionWarning, stacklevel=3,
        )
    versions = doc.get("versions") if isinstance(doc.get("versions"), dict) else {}
    sk_saved = versions.get("scikit-learn")
    if decoder.sklearn_estimators and sk_saved and sk_saved != _sklearn_version():
        warnings.warn(
            f"{path!r} holds scikit-learn estimators ({', '.join(sorted(set(decoder.sklearn_estimators)))}) "
            f"saved with scikit-learn {sk_saved}; this is scikit-learn {_sklearn_version()}. Their fitted "
            "state may not be compatible; refit them if predictions look wrong.",
            ModelVersionWarning, stacklevel=3,
        )


def describe(path: str | os.PathLike) -> dict:
    """Summary of a model file from its JSON description, without building the model.

    Reads only the header (no tensor data, no torch import).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict
        ``"class"`` (allow-list name), ``"format_version"``, ``"package_version"``
        (None for legacy files), ``"versions"`` (library versions at saving),
        ``"classes"`` (list or None), ``"fitted"``, ``"params"`` (JSON-able:
        tuples and sets as lists, nested estimators as ``{"class", "params"}``,
        classes and functions by name, arrays as ``"array(dtype, shape)"``),
        ``"n_tensors"`` and ``"size_bytes"``.

    Raises
    ------
    FileNotFoundError, ModelFileError
        As :func:`load`.
    """
    path = os.fspath(path)
    header, meta, size = _read_header(path)
    doc = _document(path, header, meta)
    params = doc["estimator"].get("params", {})
    return {
        "class": doc["class"],
        "format_version": doc["format_version"],
        "package_version": doc.get("package_version"),
        "versions": doc.get("versions", {}),
        "classes": doc.get("classes"),
        "fitted": bool(doc.get("fitted", False)),
        "params": {k: _display(v, header) for k, v in params.items() if not k.startswith("_")},
        "n_tensors": len(header),
        "size_bytes": size,
    }


def _display(v, header: dict):
    """Typed JSON turned into plain, readable JSON (for :func:`describe`)."""
    if isinstance(v, list):
        return [_display(x, header) for x in v]
    if not isinstance(v, dict):
        return v
    markers = [k for k in v if k.startswith("__")]
    if not markers:
        return {k: _display(x, header) for k, x in v.items()}
    m = markers[0]
    if m in ("__tuple__", "__set__", "__strings__"):
        return [_display(x, header) for x in v[m]] if isinstance(v[m], list) else v[m]
    if m == "__utf8__":
        info = header.get(v.get("lengths"), {}) if isinstance(v.get("lengths"), str) else {}
        return f"strings(n={tuple(info.get('shape', ('?',)))[0]})"
    if m == "__objects__":
        return _display(v[m], header)
    if m == "__float__":
        return v[m]
    if m == "__scalar__":
        return v.get("value")
    if m == "__dtype__":
        return v[m]
    if m == "__ref__":
        return v[m]
    if m in ("__array__", "__tensor__"):
        info = header.get(v[m], {}) if isinstance(v[m], str) else {}
        return f"array({str(info.get('dtype', '?')).lower()}, shape={tuple(info.get('shape', ()))})"
    if m == "__sparse__":
        return f"sparse {v[m]} matrix, shape={tuple(v.get('shape', ()))}"
    if m == "__dict__":
        return {str(_display(k, header)): _display(x, header) for k, x in v[m]} if isinstance(v[m], list) else {}
    if m == "__construct__":
        return {"class": v[m], "params": _display(v.get("kwargs", {}), header)}
    if m == "__estimator__":
        return {"class": v[m], "params": _display(v.get("params", {}), header)}
    return str(v)
