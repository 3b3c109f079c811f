"""Saving, loading and describing model files: the typed-JSON encoder and decoder that dispatch to the others.

:class:`_Encoder` turns a model into typed JSON plus named arrays, and
:class:`_Decoder` does the reverse from a file's JSON and tensors.  They handle
the plain JSON values, tuples, sets, dicts with keys that are not strings,
special floats, references to allow-listed classes and functions, allow-listed
constructed objects and estimators; NumPy and SciPy values go to
:mod:`._numpy`, torch tensors and skorch nets to :mod:`._skorch`, the other
estimators' state to :mod:`._sklearn`.  The file structure, the description
and the parameters are checked by :mod:`._audit` before anything is built.
The format is described in :mod:`enhancer_sk.model_files`.  :func:`load` and
:func:`describe` also read LS-GKM model files (:mod:`.lsgkm`), recognised
from their first bytes.
"""

from __future__ import annotations

import inspect
import json
import math
import os
from collections.abc import Mapping

import numpy as np

from ..exceptions import ModelFileError
from ..io.files import atomic_path
from . import _numpy, _sklearn, _skorch, lsgkm
from ._audit import (
    FORMAT_NAME,
    FORMAT_VERSION,
    METADATA_KEY,
    _check_safe_params,
    _check_saved_params,
    _document,
    _list,
    _package_version,
    _read_header,
    _versions,
    _warn_versions,
)
from ._trusted_types import (
    _LR_POLICY_NAMES,
    ALLOWED_CLASSES,
    ALLOWED_CONSTRUCTED,
    ALLOWED_REFERENCES,
    _estimator_class,
    _estimator_name,
    _name_of,
    _resolve,
)
from .cards import check_card

__all__ = ["describe", "load", "save"]

_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


# ----------------------------------------------------------------------------- encoding


class _Encoder:
    """Turns a model into typed JSON plus a dict of named arrays."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def store(self, arr, where: str) -> str:
        """Add ``arr`` to the tensors of the file, named after ``where``; returns the name."""
        arr = _numpy.tensor(arr, where)
        name = where
        while name in self.arrays:  # same path twice cannot happen, but never overwrite
            name += "'"
        self.arrays[name] = arr
        return name

    def value(self, v, where: str):
        """Typed JSON of one value (raises ModelFileError naming ``where`` when it cannot)."""
        node = _numpy.encode(self, v, where)  # first: np.float64 is a float subclass
        if node is not NotImplemented:
            return node
        if v is None or isinstance(v, (bool, str, int)):
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
        node = _skorch.encode(self, v, where)
        if node is not NotImplemented:
            return node
        if not isinstance(v, type) and (_estimator_name(v) is not None or hasattr(v, "fit")):
            return self.estimator(v, where)  # (refuses estimators outside the allow-list by name)
        name = _name_of(ALLOWED_REFERENCES, v)
        if name is not None:
            return {"__ref__": name}
        return self._constructed(v, where)

    def _dict(self, d: dict, where: str):
        if all(isinstance(k, str) and not k.startswith("__") for k in d):
            return {k: self.value(x, f"{where}.{k}") for k, x in d.items()}
        return {"__dict__": [[self.value(k, f"{where}.key{i}"), self.value(x, f"{where}.{k}")]
                             for i, (k, x) in enumerate(d.items())]}

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

    def estimator(self, est, where: str) -> dict:
        """Typed JSON of an allow-listed estimator: its name, parameters and fitted state."""
        name = _estimator_name(est)
        if name is None:
            cls = type(est)
            raise ModelFileError(
                f"cannot save {where}: {cls.__module__}.{cls.__qualname__} is not an estimator class "
                f"model files can hold; allowed: {', '.join(sorted(ALLOWED_CLASSES))}"
            )
        raw_params = est.get_params(deep=False) if hasattr(est, "get_params") else {}
        params = self._dict(dict(raw_params), f"{where}.params")
        kind = _skorch if _skorch._is_skorch_net(est) else _sklearn
        return {"__estimator__": name, "params": params, "state": kind.encode_state(self, est, f"{where}.state")}


# ----------------------------------------------------------------------------- decoding


class _Decoder:
    """Rebuilds values from typed JSON and the file's arrays (allow-listed names only)."""

    def __init__(self, arrays: Mapping[str, np.ndarray]):
        self.arrays = arrays
        self.used: set[str] = set()
        self.sklearn_estimators: list[str] = []

    def array(self, name, where: str) -> np.ndarray:
        """The tensor ``name`` of the file (marked as used)."""
        if not isinstance(name, str) or name not in self.arrays:
            raise ModelFileError(f"{where}: the file has no tensor {name!r} (damaged file?)")
        self.used.add(name)
        return self.arrays[name]

    def value(self, v, where: str):
        """The value typed JSON ``v`` stands for (raises ModelFileError naming ``where`` when it cannot)."""
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

    def estimator(self, node, where: str):
        """The allow-listed estimator typed JSON ``node`` stands for, parameters checked, state loaded."""
        if not isinstance(node, dict) or "__estimator__" not in node:
            raise ModelFileError(f"{where}: expected an estimator")
        name = node["__estimator__"]
        cls = _estimator_class(name, where)
        params = self.value(node.get("params", {}), f"{where}.params")
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise ModelFileError(f"{where}: params must be a dict of names")
        _check_safe_params(name, params, where)
        kind = _skorch if _skorch._is_skorch_net_class(cls) else _sklearn
        return kind.decode(self, cls, name, params, node.get("state"), where)

    _HANDLERS = {
        **_numpy.DECODERS, **_skorch.DECODERS,
        "__tuple__": _tuple, "__set__": _set, "__float__": _float, "__dict__": _dict, "__ref__": _ref,
        "__construct__": _construct, "__estimator__": estimator,
    }


# ----------------------------------------------------------------------------- files


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

    if _skorch._is_skorch_net(model):  # skorch sets history_ etc. in __init__: check the weights and labels
        return bool(getattr(model, "initialized_", False)) and hasattr(model, "classes_inferred_")
    try:
        check_is_fitted(model)
    except (NotFittedError, TypeError, AttributeError):
        return False
    return True


#: Longest class name a model file may hold (characters).
MAX_CLASS_NAME_LENGTH = 100


def _check_class_names(names, classes, where: str) -> dict[str, str]:
    """``names`` as the document stores them, ``{str(label): name}``; ModelFileError when malformed.

    Every class gets one printable, non-empty name of at most
    :data:`MAX_CLASS_NAME_LENGTH` characters (no tab or newline: names go into
    TSV tables), the names are distinct, and the keys are exactly the classes.
    """
    if not isinstance(names, dict):
        raise ModelFileError(f"{where}: class_names must be a JSON object (label -> name), got "
                             f"{type(names).__name__}")
    if not classes:
        raise ModelFileError(f"{where}: class_names given for a model without classes")
    keys = {str(c) for c in classes}
    out = {}
    for key, name in names.items():
        if isinstance(key, np.generic):
            key = key.item()
        if not isinstance(key, (str, int)) or isinstance(key, bool):
            raise ModelFileError(f"{where}: class_names keys must be labels, got {key!r}")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_CLASS_NAME_LENGTH \
                or not name.isprintable():
            raise ModelFileError(f"{where}: the name of class {str(key)[:40]!r} must be printable text of 1 to "
                                 f"{MAX_CLASS_NAME_LENGTH} characters, got {str(name)[:40]!r}")
        out[str(key)] = name
    if set(out) != keys or len(out) != len(names):
        raise ModelFileError(f"{where}: class_names name the classes {sorted(out)[:10]}, but the model's classes "
                             f"are {sorted(keys)[:10]}")
    if len(set(out.values())) != len(out):
        raise ModelFileError(f"{where}: two classes have the same name in class_names")
    return out


def _document_class_names(path: str, doc: dict) -> dict[str, str] | None:
    """The checked ``class_names`` of a model file's document (None when absent: older files)."""
    names = doc.get("class_names")
    if names is None:
        return None
    classes = doc.get("classes")
    return _check_class_names(names, classes if isinstance(classes, list) else None, f"{path!r}")


def _document_card(path: str, doc: dict) -> dict | None:
    """The checked model card of a model file's document (None when absent)."""
    card = doc.get("card")
    return None if card is None else check_card(card, f"{path!r}: card")


def save(model, path: str | os.PathLike, *, class_names: Mapping | None = None,
         card: Mapping | None = None) -> None:
    """Write ``model`` to one model file (safetensors arrays + JSON), atomically.

    Parameters
    ----------
    model : estimator
        An estimator of :data:`~enhancer_sk.model_files.ALLOWED_CLASSES`
        (fitted or not), possibly holding others (Pipeline steps, two-layer
        layers).
    path : str or path-like
        File to write (suffix :data:`~enhancer_sk.model_files.SUFFIX`
        suggested); replaced if it exists.
    class_names : mapping of label -> str, optional
        Display names of the classes (``{1: "enhancer", 0: "non-enhancer"}``),
        one per class of the fitted model; stored as the document's
        ``"class_names"`` (keys as strings) and returned by :func:`describe`.
        ``enhancer-sk predict`` writes them as labels.
    card : mapping, optional
        A model card (training data and domain, recipe, scores, citation; see
        :mod:`enhancer_sk.model_files.cards`), stored as the document's
        ``"card"`` and returned by :func:`describe`.

    Raises
    ------
    ModelFileError
        When the model (or a parameter, named in the message) cannot be
        stored safely, ``class_names`` does not name each class once, or
        ``card`` is not a valid card; no file is written then.
    """
    from safetensors.numpy import save_file

    classes = _classes_of(model)
    if isinstance(class_names, Mapping):
        class_names = dict(class_names)
    names = None if class_names is None else _check_class_names(class_names, classes, "class_names")
    card = None if card is None else check_card(card, "card")
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
        "classes": classes,
        "fitted": _is_fitted(model),
        "estimator": node,
    }
    if names is not None:
        doc["class_names"] = names
    if card is not None:
        doc["card"] = card
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


def _read(path) -> tuple[str, dict, dict, int]:
    """(path as str, safetensors header, checked JSON document, file size) of a model file."""
    path = os.fspath(path)
    header, meta, size = _read_header(path)
    return path, header, _document(path, meta), size


def load(path: str | os.PathLike, *, kind: type | None = None):
    """Read a model file written by :func:`save`, or an LS-GKM model file (nothing in the file is executed).

    Parameters
    ----------
    path : str or path-like
        A model file (format :data:`~enhancer_sk.model_files.FORMAT_VERSION`
        or older, see :mod:`enhancer_sk.model_files`), or an LS-GKM model
        file (``gkmtrain``'s ``.model.txt``, plain or gzip; recognised from
        its first line), read by
        :meth:`GkmSVM.from_lsgkm <enhancer_sk.models.svm.gkm.GkmSVM.from_lsgkm>`.
    kind : class, optional
        The estimator class the file must hold (exactly); a file holding
        another class is refused, before any array is read.

    Returns
    -------
    estimator
        The model, fitted if it was saved fitted, with equal parameters (a
        fitted GkmSVM for an LS-GKM file).

    Raises
    ------
    FileNotFoundError
        No such file.
    ModelFileError
        Not a model file, truncated or damaged, of a newer format, naming a
        class or value outside the allow-lists, or not of ``kind``.

    Warns
    -----
    ModelVersionWarning
        Written by another enhancer_sk major.minor version, or with
        scikit-learn estimators saved by another scikit-learn version.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    if lsgkm.is_lsgkm_file(path):
        if kind is not None and kind.__name__ != "GkmSVM":
            raise ModelFileError(f"{os.fspath(path)!r} is an LS-GKM model file (a GkmSVM), not a {kind.__name__}")
        return lsgkm.gkmsvm_from_lsgkm(lsgkm.read_lsgkm(path))
    path, _, doc, _ = _read(path)
    _document_class_names(path, doc)
    _document_card(path, doc)
    if kind is not None and doc["class"] != kind.__name__:
        raise ModelFileError(f"{path!r} holds a {doc['class']}, not a {kind.__name__}")
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
    _warn_versions(path, doc, decoder.sklearn_estimators)
    return model


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
        (the enhancer_sk that wrote the file), ``"versions"`` (library versions
        at saving), ``"classes"`` (list or None), ``"class_names"`` (``{str(label):
        name}`` given to :func:`save`, or None), ``"card"`` (the model card
        given to :func:`save`, checked, or None), ``"fitted"``, ``"params"``
        (JSON-able: tuples and sets as lists, nested estimators as
        ``{"class", "params"}``, classes and functions by name, arrays as
        ``"array(dtype, shape)"``), ``"n_tensors"`` and ``"size_bytes"``.  An
        LS-GKM model file (read whole, it is text) gives ``"class"``
        ``"GkmSVM"``, ``"format_version"`` and ``"package_version"`` None, the
        GkmSVM parameters it sets, ``"n_tensors"`` 0 and also ``"lsgkm_header"``
        (the file's header items).

    Raises
    ------
    FileNotFoundError, ModelFileError
        As :func:`load`.
    """
    if lsgkm.is_lsgkm_file(path):
        return _describe_lsgkm(path)
    path, header, doc, size = _read(path)
    params = doc["estimator"].get("params", {})
    return {
        "class": doc["class"],
        "format_version": doc["format_version"],
        "package_version": doc.get("package_version"),
        "versions": doc.get("versions", {}),
        "classes": doc.get("classes"),
        "class_names": _document_class_names(path, doc),
        "card": _document_card(path, doc),
        "fitted": bool(doc.get("fitted", False)),
        "params": {k: _display(v, header) for k, v in params.items() if not k.startswith("_")},
        "n_tensors": len(header),
        "size_bytes": size,
    }


def _describe_lsgkm(path) -> dict:
    """:func:`describe` of an LS-GKM model file."""
    model = lsgkm.read_lsgkm(path)
    _, kernel = lsgkm.KERNEL_TYPES[model.kernel_type]
    return {
        "class": "GkmSVM",
        "format_version": None,
        "package_version": None,
        "versions": {},
        "classes": sorted(int(c) for c in model.labels),
        "class_names": None,
        "card": None,
        "fitted": True,
        "params": {"l": model.L, "k": model.k, "d": model.d, "kernel": kernel, "canonical_kmers": not model.norc,
                   "probability": model.prob is not None},
        "n_tensors": 0,
        "size_bytes": os.path.getsize(path),
        "lsgkm_header": dict(model.header),
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
    if m in ("__float__", "__dtype__", "__ref__"):
        return v[m]
    if m == "__scalar__":
        return v.get("value")
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
