"""Read the Enhancer-LSTMAtt authors' Keras HDF5 weights into :class:`~enhancer_sk.models.nn.lstmatt.EnhancerLSTMAtt`.

The files (``layer1.h5``, ``layer2.h5``) hold weights only (Keras 2.2.4-tf,
``save_weights``): the root attribute ``layer_names`` lists the layers in the
model's topological order, and each layer group lists its arrays in the
attribute ``weight_names``.  They are read with h5py; TensorFlow is not needed.

Mapping to PyTorch
------------------
* Embedding rows: the authors number the bases A=0 T=1 C=2 G=3 N=4; the rows
  are reordered to the project's codes A=0 C=1 G=2 T=3 N=4.
* Conv1D kernels ``(k, in, out)`` -> ``(out, in, k)``; Dense ``(in, out)`` -> ``(out, in)``.
* BatchNormalization ``gamma, beta, moving_mean, moving_variance`` -> ``weight, bias,
  running_mean, running_var`` (Keras ``eps=1e-3`` is set in the module).
* LSTM ``kernel (in, 4h)``, ``recurrent_kernel (h, 4h)`` and one ``bias (4h)``, gate
  order i, f, c, o (= torch's i, f, g, o) -> ``weight_ih = kernel.T``,
  ``weight_hh = recurrent_kernel.T``, ``bias_ih = bias``, ``bias_hh = 0``;
  ``forward_*`` arrays go to the forward direction, ``backward_*`` to ``_reverse``.
* Which convolution / BN belongs to which block follows the graph, read from
  the topological layer order: the stem conv and BN come first; in the
  down-sampling block the main path (conv followed by BN, twice) precedes the
  shortcut conv (no BN, the second conv whose input is the stem's output);
  then each identity block has two conv + BN pairs.  The order is checked
  against the array shapes, and the loaded model reproduces the authors'
  confusion matrices (``tests/test_keras_weights.py``).
"""

from __future__ import annotations

import os
from collections import OrderedDict

import numpy as np

from ...exceptions import ModelFileError
from .lstmatt import AUTHORS_ROW_OF_CODE

__all__ = ["keras_module_params", "keras_state_dict", "read_keras_weights"]


def read_keras_weights(path: str | os.PathLike) -> OrderedDict[str, list[tuple[str, np.ndarray]]]:
    """Arrays of a Keras 2 weights-only HDF5 file, by layer, in topological order.

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    OrderedDict
        layer name -> list of (weight name without the layer prefix, float32 array),
        for every layer that has weights, in ``layer_names`` order.

    Raises
    ------
    ModelFileError
        When the file is missing, not HDF5, or not a Keras weights file.
    """
    import h5py

    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileError(f"Keras weights file not found: {path!r}")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ModelFileError(f"{path!r} is not an HDF5 file: {exc}") from None
    with f:
        if "layer_names" not in f.attrs:
            if "model_weights" in f and "layer_names" in f["model_weights"].attrs:
                f = f["model_weights"]  # a full-model file: the weights live one level down
            else:
                raise ModelFileError(f"{path!r} is not a Keras HDF5 weights file (no 'layer_names' attribute)")
        out: OrderedDict[str, list[tuple[str, np.ndarray]]] = OrderedDict()
        for raw in f.attrs["layer_names"]:
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            group = f[name]
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs.get("weight_names", [])]
            if not names:
                continue
            arrays = []
            for wname in names:
                short = wname.split("/", 1)[1] if "/" in wname else wname
                arrays.append((short, np.asarray(group[wname], dtype=np.float32)))
            out[name] = arrays
    return out


def _kind(name: str) -> str:
    base = name.rstrip("0123456789").rstrip("_")
    if base.startswith("batch_normalization"):
        return "bn"
    return base


def _layers_of(weights, kind: str) -> list[str]:
    return [name for name in weights if _kind(name) == kind]


def _array(weights, layer: str, suffix: str) -> np.ndarray:
    for wname, arr in weights[layer]:
        if wname.split("/")[-1].split(":")[0] == suffix:
            return arr
    raise ModelFileError(f"layer {layer!r} has no array {suffix!r}")


def _arrays_ending(weights, layer: str, direction: str, suffix: str) -> np.ndarray:
    for wname, arr in weights[layer]:
        parts = wname.split("/")
        if parts[0].startswith(direction) and parts[-1].split(":")[0] == suffix:
            return arr
    raise ModelFileError(f"layer {layer!r} has no {direction} array {suffix!r}")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ModelFileError(f"unexpected Keras weights: {message}")


def keras_module_params(weights) -> dict[str, int]:
    """Architecture sizes (``EnhancerLSTMAtt`` arguments) read from the array shapes."""
    convs = _layers_of(weights, "conv1d")
    lstms = _layers_of(weights, "bidirectional")
    denses = _layers_of(weights, "dense")
    _check(len(convs) >= 4 and len(convs) % 2 == 0, f"expected 4 + 2k Conv1D layers, found {len(convs)}")
    _check(len(lstms) >= 1, "no Bidirectional LSTM layer")
    _check(len(denses) == 2, f"expected 2 Dense layers, found {len(denses)}")
    _check("embedding" in weights and "attention3d" in weights, "missing embedding or attention3d layer")
    emb = _array(weights, "embedding", "embeddings")
    stem = _array(weights, convs[0], "kernel")
    res = _array(weights, convs[1], "kernel")
    rec = _arrays_ending(weights, lstms[0], "forward", "recurrent_kernel")
    att_b = _array(weights, "attention3d", "attention3d_b")
    dense = _array(weights, denses[0], "kernel")
    return {
        "sequence_length": int(att_b.shape[0]),
        "n_tokens": int(emb.shape[0]),
        "embedding_dim": int(emb.shape[1]),
        "conv_filters": int(stem.shape[2]),
        "res_filters": int(res.shape[2]),
        "kernel_size": int(stem.shape[0]),
        "n_identity_blocks": (len(convs) - 4) // 2,
        "lstm_units": int(rec.shape[0]),
        "lstm_layers": len(lstms),
        "dense_units": int(dense.shape[1]),
    }


def _conv(weights, layer: str) -> dict[str, np.ndarray]:
    kernel = _array(weights, layer, "kernel")
    return {"weight": np.ascontiguousarray(kernel.transpose(2, 1, 0)), "bias": _array(weights, layer, "bias")}


def _bn(weights, layer: str) -> dict[str, np.ndarray]:
    return {
        "weight": _array(weights, layer, "gamma"),
        "bias": _array(weights, layer, "beta"),
        "running_mean": _array(weights, layer, "moving_mean"),
        "running_var": _array(weights, layer, "moving_variance"),
    }


def _prefixed(prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {f"{prefix}.{k}": v for k, v in arrays.items()}


def keras_state_dict(weights, module) -> dict[str, np.ndarray]:
    """A complete ``state_dict`` (NumPy arrays) of ``module`` from the Keras arrays.

    Parameters
    ----------
    weights : mapping
        :func:`read_keras_weights` output.
    module : EnhancerLSTMAtt
        Built with the sizes of :func:`keras_module_params`; its own
        ``state_dict`` gives the expected keys and shapes.

    Returns
    -------
    dict of str -> float32 ndarray
    """
    convs = _layers_of(weights, "conv1d")
    bns = _layers_of(weights, "bn")
    lstms = _layers_of(weights, "bidirectional")
    denses = _layers_of(weights, "dense")
    n_id = (len(convs) - 4) // 2
    _check(len(bns) == 3 + 2 * n_id, f"expected {3 + 2 * n_id} BatchNormalization layers, found {len(bns)}")
    # graph order: stem conv+BN; down block main conv+BN, conv+BN, shortcut conv; identity blocks
    stem_out = _array(weights, convs[0], "kernel").shape[2]
    _check(
        _array(weights, convs[3], "kernel").shape[1] == stem_out,
        f"{convs[3]} should be the down-sampling shortcut (input {stem_out} channels)",
    )
    embedding = _array(weights, "embedding", "embeddings")
    _check(embedding.shape[0] == len(AUTHORS_ROW_OF_CODE), f"embedding has {embedding.shape[0]} rows, expected 5")
    # the authors number the bases A T C G N; the project's codes are A C G T N
    state: dict[str, np.ndarray] = {"embedding.weight": embedding[AUTHORS_ROW_OF_CODE]}
    state.update(_prefixed("stem.conv", _conv(weights, convs[0])))
    state.update(_prefixed("stem.bn", _bn(weights, bns[0])))
    state.update(_prefixed("down.conv1.conv", _conv(weights, convs[1])))
    state.update(_prefixed("down.conv1.bn", _bn(weights, bns[1])))
    state.update(_prefixed("down.conv2.conv", _conv(weights, convs[2])))
    state.update(_prefixed("down.conv2.bn", _bn(weights, bns[2])))
    state.update(_prefixed("down.shortcut.conv", _conv(weights, convs[3])))
    for b in range(n_id):
        for j in range(2):
            state.update(_prefixed(f"identity.{b}.conv{j + 1}.conv", _conv(weights, convs[4 + 2 * b + j])))
            state.update(_prefixed(f"identity.{b}.conv{j + 1}.bn", _bn(weights, bns[3 + 2 * b + j])))
    for i, layer in enumerate(lstms):
        for direction, suffix in (("forward", ""), ("backward", "_reverse")):
            kernel = _arrays_ending(weights, layer, direction, "kernel")
            recurrent = _arrays_ending(weights, layer, direction, "recurrent_kernel")
            bias = _arrays_ending(weights, layer, direction, "bias")
            state[f"lstm.weight_ih_l{i}{suffix}"] = np.ascontiguousarray(kernel.T)
            state[f"lstm.weight_hh_l{i}{suffix}"] = np.ascontiguousarray(recurrent.T)
            state[f"lstm.bias_ih_l{i}{suffix}"] = bias
            state[f"lstm.bias_hh_l{i}{suffix}"] = np.zeros_like(bias)
    state["attention_weight"] = _array(weights, "attention3d", "attention3d_W")
    state["attention_bias"] = _array(weights, "attention3d", "attention3d_b")
    for prefix, layer in (("dense", denses[0]), ("output", denses[1])):
        state[f"{prefix}.weight"] = np.ascontiguousarray(_array(weights, layer, "kernel").T)
        state[f"{prefix}.bias"] = _array(weights, layer, "bias")

    expected = module.state_dict()
    for key, value in expected.items():
        if key.endswith("num_batches_tracked"):
            state[key] = np.zeros((), dtype=np.int64)
            continue
        _check(key in state, f"no Keras array for {key}")
        _check(
            tuple(state[key].shape) == tuple(value.shape),
            f"{key}: Keras shape {state[key].shape}, module expects {tuple(value.shape)}",
        )
    extra = set(state) - set(expected)
    _check(not extra, f"arrays the module does not have: {sorted(extra)}")
    return state
