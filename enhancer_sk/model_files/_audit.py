"""Checks of a model file before anything is built: outer structure, description, versions, parameters.

* the safetensors structure (header size and JSON, tensor offsets against the
  file size), with a readable guess of what a file that is not a model file is
  (:func:`_sniff`);
* the JSON document: format name, format version, allow-listed class;
* parameter values that would make a later call unpickle files
  (:func:`_check_safe_params`, when loading and when saving);
* the versions written into a file and the warnings when they differ.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Iterator
from importlib import metadata as _metadata

from ..exceptions import ModelFileError
from ._trusted_types import ALLOWED_CLASSES

#: Name of the format (``"format"`` of the JSON document).
FORMAT_NAME = "enhancer_sk.model"
#: Version of the format written by :func:`~enhancer_sk.model_files.save`; loading reads this and older ones.
FORMAT_VERSION = 1
#: Metadata key of the safetensors file holding the JSON document.
METADATA_KEY = "enhancer_sk.model"
#: Suggested file name suffix (any name is read).
SUFFIX = ".eskm"

_MAX_HEADER = 100_000_000  # safetensors' own limit on the header size


class ModelVersionWarning(UserWarning):
    """A model file written by another enhancer_sk or scikit-learn version (loaded anyway)."""


# ----------------------------------------------------------------------------- outer structure


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


# ----------------------------------------------------------------------------- the JSON document


def _document(path: str, meta: dict) -> dict:
    """The JSON document of a model file (from its safetensors metadata), version-checked."""
    if METADATA_KEY not in meta:
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


def _list(v, where: str) -> list:
    """``v`` if it is a JSON list (a typed JSON value that must hold one)."""
    if not isinstance(v, list):
        raise ModelFileError(f"{where}: expected a JSON list")
    return v


# ----------------------------------------------------------------------------- unsafe parameters


def _check_safe_params(name: str, params: dict, where: str) -> None:
    """Refuse parameter values that would make a later call unpickle files (allowed classes, unsafe options)."""
    if params.get("memory") is not None and name == "Pipeline":
        raise ModelFileError(f"{where}: Pipeline memory={params['memory']!r} is refused (joblib caching unpickles "
                             "its files); model files hold pipelines without memory")
    load_kwargs = params.get("torch_load_kwargs")
    if isinstance(load_kwargs, dict) and load_kwargs.get("weights_only", True) is not True:
        raise ModelFileError(f"{where}: torch_load_kwargs={load_kwargs!r} is refused (torch.load of arbitrary "
                             "objects); only weights_only loading is allowed")


def _check_saved_params(model, where: str) -> None:
    """The refusals of :func:`_check_safe_params`, at saving time (every nested estimator)."""
    for est_where, est in _estimators_in(model, where):
        params = est.get_params(deep=False) if hasattr(est, "get_params") else {}
        _check_safe_params(type(est).__name__, params, est_where)


def _estimators_in(v, where: str) -> Iterator[tuple[str, object]]:
    if hasattr(v, "get_params") and not isinstance(v, type) and hasattr(v, "fit"):
        yield where, v
        for k, x in v.get_params(deep=False).items():
            yield from _estimators_in(x, f"{where}.params.{k}")
    elif isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            yield from _estimators_in(x, f"{where}.{i}")


# ----------------------------------------------------------------------------- versions


def _versions() -> dict:
    """Versions of Python and of the libraries a model file depends on (written into every file)."""
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


def _sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def _major_minor(version) -> tuple | None:
    if not isinstance(version, str):
        return None
    parts = version.split(".")
    return tuple(parts[:2])


def _warn_versions(path: str, doc: dict, sklearn_estimators: list[str]) -> None:
    """Warn when the file was written by another enhancer_sk, or its scikit-learn estimators by another sklearn."""
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
    if sklearn_estimators and sk_saved and sk_saved != _sklearn_version():
        warnings.warn(
            f"{path!r} holds scikit-learn estimators ({', '.join(sorted(set(sklearn_estimators)))}) "
            f"saved with scikit-learn {sk_saved}; this is scikit-learn {_sklearn_version()}. Their fitted "
            "state may not be compatible; refit them if predictions look wrong.",
            ModelVersionWarning, stacklevel=3,
        )
