"""The fitted state of skorch nets, and torch tensors as typed JSON.

A net's state is its module's ``state_dict`` (tensors of the file, float32,
exact), ``classes_inferred_`` and its training history (one row per epoch;
the per-batch lists are dropped).  Loading builds the net from its
parameters, ``initialize()`` under a forked torch RNG (the caller's random
state is untouched) and loads the weights.  ``init_from`` is restored as a
parameter but not re-read.  The optimizer and the callbacks' internal state
are not saved.

A torch tensor anywhere in a model is ``{"__tensor__": name}``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import ModelFileError
from ._sklearn import cannot_build, construct

if TYPE_CHECKING:
    from ._persist import _Decoder, _Encoder


def _is_skorch_net(obj) -> bool:
    return "skorch" in sys.modules and isinstance(obj, sys.modules["skorch"].NeuralNet)


def _is_skorch_net_class(cls) -> bool:
    return any(c.__module__ == "skorch.net" and c.__name__ == "NeuralNet" for c in cls.__mro__)


# ----------------------------------------------------------------------------- tensors


def encode(enc: _Encoder, v, where: str) -> Any:
    """Typed JSON of a torch tensor, or ``NotImplemented`` when ``v`` is not one (torch is never imported).

    Parameters
    ----------
    enc, v, where
        As for :func:`._numpy.encode`; ``where`` names the tensor.

    Returns
    -------
    dict or NotImplemented
    """
    if "torch" in sys.modules and isinstance(v, sys.modules["torch"].Tensor):
        return {"__tensor__": enc.store(v.detach().cpu().numpy(), where)}
    return NotImplemented


def _decode_tensor(dec: _Decoder, v: dict, where: str):
    import torch

    a = dec.array(v["__tensor__"], where)
    return torch.from_numpy(np.array(a, copy=True))


#: marker -> function(decoder, node, where) rebuilding the value.
DECODERS: dict[str, Callable[[Any, dict, str], Any]] = {"__tensor__": _decode_tensor}


# ----------------------------------------------------------------------------- nets


def encode_state(enc: _Encoder, net, where: str) -> dict | None:
    """Typed JSON of a net's weights, classes and per-epoch history (None when not initialized).

    Parameters
    ----------
    enc, net, where
        As ``enc, est, where`` of :func:`._sklearn.encode_state` (``net``: a skorch net).

    Returns
    -------
    dict or None

    Warns
    -----
    UserWarning
        The history holds values a model file cannot store: it is not saved.
    """
    if not getattr(net, "initialized_", False) or not hasattr(net, "module_"):
        return None
    module_state = {k: v for k, v in net.module_.state_dict().items()}
    state = {"module_state": enc.value(module_state, f"{where}.module_state")}
    if hasattr(net, "classes_inferred_"):
        state["classes_inferred_"] = enc.value(np.asarray(net.classes_inferred_), f"{where}.classes_inferred_")
    history = getattr(net, "history_", None)
    if history is not None:  # per-epoch rows; the per-batch lists can be huge and are dropped
        rows = [{k: v for k, v in row.items() if k != "batches"} for row in history]
        try:
            state["history"] = enc.value(_plain_python(rows), f"{where}.history")
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


def decode(dec: _Decoder, cls: type, name: str, params: dict, state, where: str):
    """The net ``name`` rebuilt from its parameters and typed-JSON state.

    Parameters
    ----------
    dec, cls, name, params, state, where
        As for :func:`._sklearn.decode` (``cls``: a skorch net class; ``state``
        None: the net was not initialized).

    Returns
    -------
    skorch.NeuralNet

    Raises
    ------
    ModelFileError
        The parameters cannot build the net, or the weights do not fit it.
    """
    import torch
    from skorch.history import History

    has_init_from = "init_from" in params
    init_from = params.get("init_from")
    if has_init_from:
        params = {**params, "init_from": None}  # weights come from the file, not from init_from
    net = construct(cls, name, params, where)
    if state is not None:
        if not isinstance(state, dict) or "module_state" not in state:
            raise ModelFileError(f"{where}: network state without module weights")
        weights = dec.value(state["module_state"], f"{where}.state.module_state")
        if not isinstance(weights, dict) or not all(isinstance(t, torch.Tensor) for t in weights.values()):
            raise ModelFileError(f"{where}: module weights must be a dict of tensors")
        try:
            with torch.random.fork_rng(devices=[]):
                net.initialize()
        except (TypeError, ValueError, RuntimeError) as err:
            raise cannot_build(name, err, where) from None
        try:
            net.module_.load_state_dict(weights, strict=True)
        except RuntimeError as err:
            raise ModelFileError(
                f"{where}: weights do not fit the saved parameters ({str(err).splitlines()[0]})"
            ) from None
        if "classes_inferred_" in state:
            classes = dec.value(state["classes_inferred_"], f"{where}.state.classes_inferred_")
            if not isinstance(classes, np.ndarray) or classes.ndim != 1:
                raise ModelFileError(f"{where}: classes must be a 1-D array")
            net.classes_inferred_ = classes
        if "history" in state:
            history = dec.value(state["history"], f"{where}.state.history")
            if not isinstance(history, list):
                raise ModelFileError(f"{where}: history must be a list")
            net.history_ = History(history)
    if has_init_from:
        net.init_from = init_from
    return net
