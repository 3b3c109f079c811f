"""Typed JSON of NumPy and SciPy values: arrays, scalars, dtypes, string and object arrays, sparse matrices.

Numeric arrays become tensors of the file (``{"__array__": name}``); the
other values are JSON with one marker key:

* ``{"__scalar__": "int64", "value": 3}``: a NumPy scalar;
* ``{"__dtype__": "float64", "type": false}``: a dtype (``type``: given as
  the scalar type, ``np.float64``, rather than ``np.dtype("float64")``);
* ``{"__strings__": [...], "dtype": "<U10", "shape": [...]}``: a string
  array; beyond :data:`_MAX_INLINE_CHARS` characters ``{"__utf8__": tensor,
  "lengths": tensor, "dtype", "shape"}`` instead (UTF-8 bytes and lengths as
  tensors), to keep the JSON small;
* ``{"__objects__": [...], "shape": [...]}``: an object array of scalars;
* ``{"__sparse__": "csr" | "csc", "matrix", "shape", "data", "indices",
  "indptr"}``: a sparse matrix or array.

:func:`encode` and the functions of :data:`DECODERS` take the encoder or
decoder of :mod:`._persist` first, for the values they hold and the tensors
of the file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from ..exceptions import ModelFileError
from ._audit import _list

if TYPE_CHECKING:
    from ._persist import _Decoder, _Encoder

_ARRAY_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
     "float16", "float32", "float64"]
)
_SCALAR_DTYPES = _ARRAY_DTYPES
_MAX_INLINE_CHARS = 65_536  # longer string arrays are stored as UTF-8 tensors


# ----------------------------------------------------------------------------- encoding


def encode(enc: _Encoder, v, where: str) -> Any:
    """Typed JSON of a NumPy or SciPy value, or ``NotImplemented`` when ``v`` is not one.

    Parameters
    ----------
    enc : _Encoder
        The encoder (``enc.value`` for the items, ``enc.store`` for tensors).
    v : object
        The value.
    where : str
        Its place in the model, for error messages and tensor names.

    Returns
    -------
    object
        Its typed JSON, or ``NotImplemented``.

    Raises
    ------
    ModelFileError
        A NumPy value of an unsupported dtype.
    """
    if isinstance(v, np.generic):
        return _encode_scalar(enc, v, where)
    if isinstance(v, np.ndarray):
        return _encode_array(enc, v, where)
    if sp.issparse(v):
        return _encode_sparse(enc, v, where)
    if isinstance(v, np.dtype):
        return _encode_dtype(v, where, as_type=False)
    if isinstance(v, type) and issubclass(v, np.generic):
        return _encode_dtype(np.dtype(v), where, as_type=True)
    return NotImplemented


def tensor(arr, where: str) -> np.ndarray:
    """``arr`` as a tensor of the file: a supported dtype, little-endian, contiguous.

    Parameters
    ----------
    arr : array-like
    where : str
        Its place in the model, for the error message.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ModelFileError
        The dtype is not one safetensors stores.
    """
    arr = np.asarray(arr)
    if arr.dtype.name not in _ARRAY_DTYPES:
        raise ModelFileError(f"cannot save {where}: arrays of dtype {arr.dtype} are not supported")
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return np.ascontiguousarray(arr)


def _encode_scalar(enc: _Encoder, v: np.generic, where: str):
    if isinstance(v, np.str_):
        return str(v)
    if v.dtype.name not in _SCALAR_DTYPES:
        raise ModelFileError(f"cannot save {where}: NumPy scalars of dtype {v.dtype} are not supported")
    return {"__scalar__": v.dtype.name, "value": enc.value(v.item(), where)}


def _encode_dtype(dt: np.dtype, where: str, as_type: bool):
    if dt.name not in _ARRAY_DTYPES:
        raise ModelFileError(f"cannot save {where}: dtype {dt} is not supported")
    return {"__dtype__": dt.name, "type": as_type}


def _encode_array(enc: _Encoder, a: np.ndarray, where: str):
    if a.dtype.kind in "biuf":
        return {"__array__": enc.store(a, where)}
    if a.dtype.kind == "U" or (a.dtype.kind == "O" and all(isinstance(x, str) for x in a.flat)):
        items = [str(x) for x in a.ravel().tolist()]
        if sum(map(len, items)) <= _MAX_INLINE_CHARS:
            return {"__strings__": items, "dtype": a.dtype.str, "shape": list(a.shape)}
        encoded = [x.encode("utf-8") for x in items]  # long (e.g. support sequences): keep the JSON small
        data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        return {"__utf8__": enc.store(data, f"{where}.utf8"),
                "lengths": enc.store(lengths, f"{where}.lengths"), "dtype": a.dtype.str,
                "shape": list(a.shape)}
    if a.dtype.kind == "O":
        return {"__objects__": [enc.value(x, f"{where}.{i}") for i, x in enumerate(a.ravel().tolist())],
                "shape": list(a.shape)}
    raise ModelFileError(f"cannot save {where}: arrays of dtype {a.dtype} are not supported")


def _encode_sparse(enc: _Encoder, m, where: str):
    fmt = m.format
    if fmt not in ("csr", "csc"):
        m, fmt = m.tocsr(), "csr"
    return {"__sparse__": fmt, "matrix": bool(sp.isspmatrix(m)), "shape": list(m.shape),
            "data": enc.value(m.data, f"{where}.data"),
            "indices": enc.value(m.indices, f"{where}.indices"),
            "indptr": enc.value(m.indptr, f"{where}.indptr")}


# ----------------------------------------------------------------------------- decoding


def _decode_scalar(dec: _Decoder, v: dict, where: str) -> np.generic:
    dtype = v["__scalar__"]
    if dtype not in _SCALAR_DTYPES:
        raise ModelFileError(f"{where}: NumPy scalar dtype {dtype!r} is not allowed")
    value = dec.value(v["value"], where)
    if not isinstance(value, (bool, int, float)):
        raise ModelFileError(f"{where}: NumPy scalar value must be a number")
    return np.dtype(dtype).type(value)


def _decode_dtype(dec: _Decoder, v: dict, where: str):
    name = v["__dtype__"]
    if name not in _ARRAY_DTYPES:
        raise ModelFileError(f"{where}: dtype {name!r} is not allowed")
    dt = np.dtype(name)
    return dt.type if v.get("type") else dt


def _decode_array(dec: _Decoder, v: dict, where: str) -> np.ndarray:
    return dec.array(v["__array__"], where)


def _decode_strings(dec: _Decoder, v: dict, where: str) -> np.ndarray:
    items = _list(v["__strings__"], where)
    if not all(isinstance(x, str) for x in items):
        raise ModelFileError(f"{where}: string array holds a non-string")
    return _string_array(items, v["dtype"], v["shape"], where)


def _decode_utf8(dec: _Decoder, v: dict, where: str) -> np.ndarray:
    data = dec.array(v["__utf8__"], where)
    lengths = dec.array(v["lengths"], where)
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


def _decode_objects(dec: _Decoder, v: dict, where: str) -> np.ndarray:
    items = [dec.value(x, f"{where}.{i}") for i, x in enumerate(_list(v["__objects__"], where))]
    if not all(x is None or isinstance(x, (bool, int, float, str, np.generic)) for x in items):
        raise ModelFileError(f"{where}: object arrays may only hold scalars")
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(_shape(v["shape"], where))


def _decode_sparse(dec: _Decoder, v: dict, where: str):
    fmt = v["__sparse__"]
    if fmt not in ("csr", "csc"):
        raise ModelFileError(f"{where}: sparse format {fmt!r} is not allowed")
    parts = [dec.value(v[k], f"{where}.{k}") for k in ("data", "indices", "indptr")]
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


def _string_array(items: list[str], dtype, shape, where: str) -> np.ndarray:
    if not isinstance(dtype, str) or not (dtype == "|O" or dtype.lstrip("<>|=").startswith("U")):
        raise ModelFileError(f"{where}: string array dtype {dtype!r} is not allowed")
    try:
        out = np.empty(len(items), dtype=object if dtype == "|O" else np.dtype(dtype))
    except TypeError:
        raise ModelFileError(f"{where}: string array dtype {dtype!r} is not allowed") from None
    out[:] = items
    return out.reshape(_shape(shape, where))


def _shape(v, where: str) -> list[int]:
    if not isinstance(v, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in v):
        raise ModelFileError(f"{where}: bad shape {v!r}")
    return v


#: marker -> function(decoder, node, where) rebuilding the value.
DECODERS: dict[str, Callable[[Any, dict, str], Any]] = {
    "__scalar__": _decode_scalar, "__dtype__": _decode_dtype, "__array__": _decode_array,
    "__strings__": _decode_strings, "__utf8__": _decode_utf8, "__objects__": _decode_objects,
    "__sparse__": _decode_sparse,
}
