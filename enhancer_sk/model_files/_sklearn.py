"""The fitted state of scikit-learn style estimators (everything but skorch nets).

The state is the estimator's ``__getstate__`` less its parameters (saved
apart), ``_sklearn_version`` and the fitted attributes its class lists in
``_derived_attributes`` (rebuilt by the estimator on load, e.g. GkmSVM's
``table_``), as typed JSON.  Loading builds the estimator from its
parameters, ``__setstate__`` the attributes, then checks them: arrays handed
to compiled code are checked here for SVC (libsvm trusts their sizes), and an
estimator class that defines ``_check_loaded_state`` checks (and completes)
its own state.  ``sklearn.calibration._CalibratedClassifier``, a fitted part
of :class:`~sklearn.calibration.CalibratedClassifierCV` that is not an
estimator, is rebuilt from its attributes without calling its class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import ModelFileError
from ._audit import _sklearn_version

if TYPE_CHECKING:
    from ._persist import _Decoder, _Encoder

_CALIBRATED_PART = "sklearn.calibration._CalibratedClassifier"


# ----------------------------------------------------------------------------- encoding


def encode_state(enc: _Encoder, est, where: str) -> dict | None:
    """Typed JSON of an estimator's fitted state (None when it has none).

    Parameters
    ----------
    enc : _Encoder
        The encoder of :mod:`._persist`.
    est : estimator
        An allow-listed estimator or fitted part.
    where : str
        Place of the state in the model (error messages, tensor names).

    Returns
    -------
    dict or None
    """
    state = est.__getstate__() if hasattr(est, "get_params") else vars(est)
    state = dict(state or {})
    state.pop("_sklearn_version", None)
    params = est.get_params(deep=False) if hasattr(est, "get_params") else {}
    for key in list(params) + list(getattr(est, "_derived_attributes", ())):
        state.pop(key, None)
    if not state:
        return None
    return enc.value(state, where)


# ----------------------------------------------------------------------------- decoding


def construct(cls: type, name: str, params: dict, where: str):
    """``cls(**params)``, a failure reported as a :class:`ModelFileError` naming ``where``."""
    try:
        return cls(**params)
    except (TypeError, ValueError) as err:
        raise cannot_build(name, err, where) from None


def cannot_build(name: str, err: Exception, where: str) -> ModelFileError:
    """The error of an estimator its saved parameters cannot build (``err``: the reason)."""
    return ModelFileError(f"{where}: cannot build {name} from the saved parameters ({err})")


def decode(dec: _Decoder, cls: type, name: str, params: dict, state, where: str):
    """The estimator ``name`` rebuilt from its parameters and typed-JSON state.

    Parameters
    ----------
    dec : _Decoder
        The decoder of :mod:`._persist`.
    cls : type
        The allow-listed class of ``name``.
    name : str
        Its allow-list name.
    params : dict
        Its decoded parameters.
    state : object
        Its typed-JSON state (None: not fitted).
    where : str
        Its place in the file, for error messages.

    Returns
    -------
    estimator

    Raises
    ------
    ModelFileError
        The parameters or the state are not consistent.
    """
    if name == _CALIBRATED_PART:  # a plain object, not an estimator
        est = cls.__new__(cls)
        params = {**params, **(_state_dict(dec, state, where) if state is not None else {})}
        est.__dict__.update(params)
        return est
    est = construct(cls, name, params, where)
    if state is None:
        return est
    attrs = _state_dict(dec, state, where)
    if cls.__module__.startswith("sklearn."):
        attrs["_sklearn_version"] = _sklearn_version()
        dec.sklearn_estimators.append(name)
    try:
        est.__setstate__(attrs)
        check = _AFTER_LOAD.get(name)
        if check is not None:
            check(est, where)
        _check_own_state(est, where)
    except ModelFileError:
        raise
    except (AttributeError, TypeError, ValueError, IndexError) as err:
        raise ModelFileError(f"{where}: inconsistent fitted state of {name} ({type(err).__name__}: {err}); "
                             "damaged or forged file") from None
    return est


def _state_dict(dec: _Decoder, state, where: str) -> dict:
    attrs = dec.value(state, f"{where}.state")
    if not isinstance(attrs, dict):
        raise ModelFileError(f"{where}: state must be a dict")
    for key in attrs:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("__"):
            raise ModelFileError(f"{where}: bad attribute name {key!r} in the state")
    return attrs


# -- checks of arrays handed to compiled code ---------------------------------------------


def _inconsistent(where: str, what: str) -> ModelFileError:
    return ModelFileError(f"{where}: inconsistent fitted state ({what}); damaged or forged file")


def _require(ok: bool, where: str, what: str) -> None:
    if not ok:
        raise _inconsistent(where, what)


def _check_own_state(est, where: str) -> None:
    """The estimator's own check of its fitted arrays (``_check_loaded_state``), when its class has one.

    Its verdict, a plain ``ValueError``, is reported like the checks of this
    module; other errors (raised by the code it runs, e.g. an invalid
    character in a stored sequence) reach :func:`decode` with their type.
    """
    if not hasattr(est, "_check_loaded_state"):
        return
    try:
        est._check_loaded_state()
    except ValueError as err:
        if type(err) is not ValueError:
            raise
        raise _inconsistent(where, str(err)) from None


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


#: allow-list name -> check of the loaded arrays of a scikit-learn class (the project's classes check their own)
_AFTER_LOAD = {"SVC": _check_svc}
