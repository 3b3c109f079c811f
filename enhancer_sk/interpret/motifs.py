"""Motifs learned by the first convolutional layer, and their match in JASPAR.

DeepEnhancer (Min et al. 2017) reads each first-layer kernel (width 8) as a
motif: of all ``4**8 = 65,536`` possible 8-mers, those that activate the kernel
(positive response after the convolution's bias, before batch normalisation)
are stacked into a position frequency matrix, which is then compared with
known transcription factor motifs by Tomtom.

* :func:`extract_motifs` does the stacking with one batched convolution over
  all one-hot k-mers (counting each activating k-mer once, or weighting it by
  its activation);
* :func:`write_meme` writes MEME minimal motif format;
* :func:`plot_logos` draws information-content sequence logos (logomaker);
* :func:`compare_with_jaspar` runs Tomtom (memelite) against JASPAR CORE
  vertebrates, read offline from the SQLite database pyjaspar ships, and
  :func:`write_tomtom_tsv` writes the significant matches.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ..io.files import atomic_path, atomic_write_text

__all__ = [
    "TOMTOM_COLUMNS",
    "all_kmers_one_hot",
    "compare_with_jaspar",
    "extract_motifs",
    "information_content",
    "jaspar_motifs",
    "kernel_activations",
    "plot_logos",
    "trim_motif",
    "write_meme",
    "write_tomtom_tsv",
]

#: Columns of the Tomtom table.
TOMTOM_COLUMNS = (
    "motif", "jaspar_id", "tf_name", "p_value", "e_value", "q_value", "offset", "orientation",
    "query_start", "query_end",
)


def _first_conv(model) -> torch.nn.Conv1d:
    """The first Conv1d of a fitted estimator, a module or the layer itself."""
    if isinstance(model, torch.nn.Conv1d):
        return model
    module = getattr(model, "module_", model)
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"expected a fitted DeepEnhancerCNN, a torch module or a Conv1d, got {type(model).__name__}")
    if hasattr(module, "first_conv"):
        return module.first_conv
    for layer in module.modules():
        if isinstance(layer, torch.nn.Conv1d):
            return layer
    raise ValueError(f"{type(module).__name__} has no Conv1d layer")


def all_kmers_one_hot(k: int, dtype=np.float32) -> np.ndarray:
    """Every k-mer over A, C, G, T one-hot encoded, shape (4**k, 4, k), in lexicographic order."""
    if not 1 <= k <= 10:
        raise ValueError(f"k must lie in 1..10 (4**k k-mers are enumerated), got {k}")
    idx = np.arange(4**k, dtype=np.int64)
    digits = (idx[:, None] >> (2 * np.arange(k - 1, -1, -1))[None, :]) & 3  # (4**k, k) A=0 C=1 G=2 T=3
    return (digits[:, None, :] == np.arange(4)[None, :, None]).astype(dtype)


def _folded_batch_norm(model, conv: torch.nn.Conv1d) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Weights and bias of ``conv`` with the batch normalisation right after it folded in."""
    module = getattr(model, "module_", model)
    if not isinstance(module, torch.nn.Module):
        return None
    layers = list(module.modules())
    try:
        at = next(i for i, layer in enumerate(layers) if layer is conv)
    except StopIteration:
        return None
    following = layers[at + 1] if at + 1 < len(layers) else None
    if not isinstance(following, torch.nn.BatchNorm1d) or following.running_mean is None:
        return None
    bn = following
    scale = (bn.weight if bn.affine else torch.ones_like(bn.running_var)) / torch.sqrt(bn.running_var + bn.eps)
    shift = bn.bias if bn.affine else torch.zeros_like(bn.running_mean)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    return conv.weight * scale[:, None, None], (bias - bn.running_mean) * scale + shift


def kernel_activations(model, *, fold_batch_norm: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Response of every first-layer kernel to every k-mer of the kernel's width.

    Parameters
    ----------
    model : DeepEnhancerCNN, torch.nn.Module or torch.nn.Conv1d
    fold_batch_norm : bool, default=False
        Respond as after the batch normalisation that follows the first
        convolution (running statistics), i.e. what its ReLU gates on.
        Without batch normalisation (or given a bare Conv1d) this changes
        nothing.

    Returns
    -------
    activations : ndarray of float32, shape (4**width, n_kernels)
        Convolution output (bias included).
    kmers : ndarray of float32, shape (4**width, 4, width)
        The one-hot k-mers, in lexicographic order.
    """
    conv = _first_conv(model)
    if conv.in_channels != 4:
        raise ValueError(f"the first convolution takes {conv.in_channels} channels, not 4 (one-hot DNA)")
    width = conv.kernel_size[0]
    kmers = all_kmers_one_hot(width)
    with torch.inference_mode():
        folded = _folded_batch_norm(model, conv) if fold_batch_norm else None
        weight, bias = folded if folded is not None else (conv.weight, conv.bias)
        weight = weight.detach().float().cpu()
        bias = bias.detach().float().cpu() if bias is not None else None
        act = torch.nn.functional.conv1d(torch.from_numpy(kmers), weight, bias)  # (4**w, K, 1)
    return act[:, :, 0].numpy(), kmers


def extract_motifs(
    model,
    weighting: str = "count",
    *,
    threshold: float = 0.0,
    fold_batch_norm: bool = False,
    return_counts: bool = False,
):
    """Position frequency matrices of the first-layer kernels.

    For each kernel, every k-mer of its width (``4**8 = 65,536`` for width 8)
    with a positive activation contributes its one-hot matrix, counted once
    (``weighting="count"``) or weighted by its activation
    (``weighting="activation"``); columns are normalised to sum to 1.  A
    kernel that no k-mer activates gets a uniform matrix.  All k-mers go
    through one batched convolution.

    Parameters
    ----------
    model : DeepEnhancerCNN, torch.nn.Module or torch.nn.Conv1d
        A fitted model (its ``module_``), a network, or its first convolution.
    weighting : {"count", "activation"}, default="count"
    threshold : float, default=0.0
        Keep the k-mers whose activation exceeds ``threshold`` times the
        kernel's maximum activation (and 0).  0 is the paper's rule (every
        positive activation); 0.5 keeps the strongest responders only (as
        Basset), which gives sharper motifs when the convolution is followed
        by batch normalisation (whose shift makes the raw bias arbitrary).
    fold_batch_norm : bool, default=False
        Measure activations after the first batch normalisation (see
        :func:`kernel_activations`); the paper measures them before.
    return_counts : bool, default=False
        Also return the number of k-mers kept for each kernel.

    Returns
    -------
    pfms : ndarray of float64, shape (n_kernels, 4, width)
        Rows A, C, G, T.
    n_sites : ndarray of int64, shape (n_kernels,)
        Only with ``return_counts``.
    """
    if weighting not in ("count", "activation"):
        raise ValueError(f"weighting must be 'count' or 'activation', got {weighting!r}")
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must lie in [0, 1), got {threshold!r}")
    act, kmers = kernel_activations(model, fold_batch_norm=fold_batch_norm)
    n, _, width = kmers.shape
    cutoff = np.maximum(threshold * act.max(axis=0), 0)
    kept = act > cutoff[None, :]
    weights = kept.astype(np.float32) if weighting == "count" else np.where(kept, act, 0).astype(np.float32)
    pfm = (weights.T @ kmers.reshape(n, 4 * width)).astype(np.float64).reshape(-1, 4, width)
    total = pfm.sum(axis=1, keepdims=True)
    pfm = np.divide(pfm, total, out=np.full_like(pfm, 0.25), where=total > 0)
    if return_counts:
        return pfm, kept.sum(axis=0).astype(np.int64)
    return pfm


def _motif_names(n: int, names: Sequence[str] | None) -> list[str]:
    if names is None:
        return [f"kernel_{i:03d}" for i in range(n)]
    names = [str(x) for x in names]
    if len(names) != n:
        raise ValueError(f"{n} motifs but {len(names)} names")
    return names


def write_meme(
    path: str | os.PathLike,
    pfms: np.ndarray,
    names: Sequence[str] | None = None,
    n_sites: Sequence[int] | None = None,
) -> None:
    """Write position frequency matrices in MEME minimal motif format (atomically).

    Parameters
    ----------
    path : str or path-like
    pfms : array of shape (n_motifs, 4, width)
        Rows A, C, G, T; columns are normalised on writing.
    names : list of str, optional
        Default ``kernel_000``, ``kernel_001`` ...
    n_sites : list of int, optional
        ``nsites`` of each motif (e.g. the activating k-mer counts).
    """
    pfms = np.asarray(pfms, dtype=np.float64)
    if pfms.ndim != 3 or pfms.shape[1] != 4:
        raise ValueError(f"pfms must have shape (n_motifs, 4, width), got {pfms.shape}")
    names = _motif_names(len(pfms), names)
    lines = [
        "MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", "",
        "Background letter frequencies", "A 0.25 C 0.25 G 0.25 T 0.25", "",
    ]
    for i, (name, pfm) in enumerate(zip(names, pfms)):
        total = pfm.sum(axis=0, keepdims=True)
        prob = np.divide(pfm, total, out=np.full_like(pfm, 0.25), where=total > 0)
        sites = int(n_sites[i]) if n_sites is not None else 20
        lines.append(f"MOTIF {name}")
        lines.append(f"letter-probability matrix: alength= 4 w= {pfm.shape[1]} nsites= {sites} E= 0")
        lines.extend(" ".join(f"{v:.6f}" for v in col) for col in prob.T)
        lines.append("")
    atomic_write_text(path, "\n".join(lines))


def plot_logos(
    pfms: np.ndarray,
    directory: str | os.PathLike,
    names: Sequence[str] | None = None,
    *,
    dpi: int = 100,
) -> list[Path]:
    """Draw an information-content sequence logo (logomaker) per motif as ``<name>.png``.

    logomaker builds every letter as a text path (about 10 ms each, so about
    0.3 s per 8-column logo): draw the motifs of interest rather than all
    kernels of a large model.  Returns the paths written.
    """
    import logomaker
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import pandas as pd

    pfms = np.asarray(pfms, dtype=np.float64)
    names = _motif_names(len(pfms), names)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, pfm in zip(names, pfms):
        prob = pd.DataFrame(pfm.T, columns=list("ACGT"))
        info = logomaker.transform_matrix(prob, from_type="probability", to_type="information")
        fig, ax = plt.subplots(figsize=(0.45 * pfm.shape[1] + 1, 1.8))
        with warnings.catch_warnings():  # an all-uniform motif has zero height
            warnings.filterwarnings("ignore", message="Attempting to set identical low and high ylims")
            logomaker.Logo(info, ax=ax, color_scheme="classic")
        ax.set_ylim(0, 2)
        ax.set_ylabel("bits")
        ax.set_title(name, fontsize=9)
        fig.subplots_adjust(left=0.18, right=0.97, bottom=0.15, top=0.85)
        path = directory / f"{name}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi)
        plt.close(fig)
        paths.append(path)
    return paths


@functools.lru_cache(maxsize=4)
def jaspar_motifs(
    release: str = "JASPAR2024", collection: str = "CORE", tax_group: str = "vertebrates"
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[np.ndarray, ...]]:
    """JASPAR matrices from the database shipped with pyjaspar (offline; latest version of each).

    Returns
    -------
    ids, names : tuple of str
        Matrix ids (e.g. ``MA0139.2``) and TF names.
    pfms : tuple of ndarray (4, width)
        Column-normalised frequencies, rows A, C, G, T.
    """
    from pyjaspar import jaspar_releases, jaspardb

    if release not in jaspar_releases:
        raise ValueError(f"unknown JASPAR release {release!r}; pyjaspar ships {sorted(jaspar_releases)}")
    motifs = jaspardb(release=release).fetch_motifs(collection=collection, tax_group=[tax_group])
    if not motifs:
        raise ValueError(f"no {collection} {tax_group} motifs in {release}")
    ids, names, pfms = [], [], []
    for m in motifs:
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=np.float64)
        pfms.append(counts / counts.sum(axis=0, keepdims=True))
        ids.append(m.matrix_id)
        names.append(m.name)
    return tuple(ids), tuple(names), tuple(pfms)


def information_content(pfm: np.ndarray) -> np.ndarray:
    """Information content (bits, uniform background) of each column of a (..., 4, width) PFM."""
    p = np.asarray(pfm, dtype=np.float64)
    p = p / np.where(p.sum(axis=-2, keepdims=True) > 0, p.sum(axis=-2, keepdims=True), 1)
    return 2 + (p * np.log2(np.where(p > 0, p, 1))).sum(axis=-2)


def trim_motif(pfm: np.ndarray, min_information: float = 0.5) -> tuple[int, int]:
    """Columns ``start:end`` left after dropping edge columns below ``min_information`` bits."""
    keep = np.flatnonzero(information_content(pfm) >= min_information)
    if not keep.size:
        return 0, 0
    return int(keep[0]), int(keep[-1]) + 1


def _bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values along the last axis."""
    order = np.argsort(p, axis=-1)
    m = p.shape[-1]
    ranked = np.take_along_axis(p, order, axis=-1) * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1]
    q = np.empty_like(p)
    np.put_along_axis(q, order, np.minimum(ranked, 1.0), axis=-1)
    return q


def compare_with_jaspar(
    pfms: np.ndarray,
    names: Sequence[str] | None = None,
    *,
    release: str = "JASPAR2024",
    collection: str = "CORE",
    tax_group: str = "vertebrates",
    evalue_threshold: float | None = 0.1,
    trim_information: float = 0.5,
    min_width: int = 4,
    threads: int | None = 1,
) -> list[dict]:
    """Tomtom (memelite) of each motif against JASPAR; the significant matches.

    Parameters
    ----------
    pfms : array of shape (n_motifs, 4, width)
        Query position frequency matrices (rows A, C, G, T).
    names : list of str, optional
        Query names (default ``kernel_000`` ...).
    release, collection, tax_group : str
        JASPAR selection (offline, from pyjaspar's database).
    evalue_threshold : float or None, default=0.1
        Keep matches with E-value below this (the paper's threshold); None
        keeps every query-target pair.
    trim_information : float, default=0.5
        Edge columns with less information (bits) are trimmed from each query
        before the comparison.  Without it, nearly uniform kernel columns
        "match" the uniform spacer columns of long JASPAR matrices (e.g.
        GATA1::TAL1, the 31-33 bp CTCF matrices) with absurd p-values: memelite
        scores columns by Euclidean distance.
    min_width : int, default=4
        Queries with fewer columns left after trimming are not compared
        (they are uninformative kernels).
    threads : int or None, default=1
        Numba threads for Tomtom (None: all).

    Returns
    -------
    list of dict
        Keys :data:`TOMTOM_COLUMNS`, sorted by motif then p-value.
        ``e_value = p_value * n_targets``; ``q_value`` is the Benjamini-Hochberg
        q-value over the query's comparisons with all targets (as Tomtom);
        ``offset`` is memelite's alignment offset of the query against the
        target; ``orientation`` is ``+`` or ``-`` (reverse-complemented target);
        ``query_start``/``query_end`` delimit the trimmed query inside the motif.
    """
    from memelite.tomtom import tomtom

    from ..threads import resolve_threads

    pfms = np.asarray(pfms, dtype=np.float64)
    if pfms.ndim != 3 or pfms.shape[1] != 4:
        raise ValueError(f"pfms must have shape (n_motifs, 4, width), got {pfms.shape}")
    names = _motif_names(len(pfms), names)
    ids, tf_names, targets = jaspar_motifs(release, collection, tax_group)
    spans = [trim_motif(pfm, trim_information) for pfm in pfms]
    compared = [i for i, (a, b) in enumerate(spans) if b - a >= max(1, min_width)]
    if not compared:
        return []
    queries = [np.ascontiguousarray(pfms[i][:, spans[i][0]:spans[i][1]]) for i in compared]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        p, _scores, offsets, _overlaps, strands = tomtom(
            queries, list(targets), n_jobs=resolve_threads(threads)
        )[:5]
    p = np.clip(p, 0.0, 1.0)
    e = p * len(targets)
    q = _bh_qvalues(p)
    rows = []
    for i, query in enumerate(compared):
        keep = np.arange(len(targets)) if evalue_threshold is None else np.flatnonzero(e[i] < evalue_threshold)
        for j in keep[np.argsort(p[i, keep], kind="stable")]:
            rows.append({
                "motif": names[query],
                "jaspar_id": ids[j],
                "tf_name": tf_names[j],
                "p_value": float(p[i, j]),
                "e_value": float(e[i, j]),
                "q_value": float(q[i, j]),
                "offset": int(offsets[i, j]),
                "orientation": "-" if strands[i, j] else "+",
                "query_start": spans[query][0],
                "query_end": spans[query][1],
            })
    return rows


def write_tomtom_tsv(path: str | os.PathLike, rows: Sequence[dict]) -> None:
    """Write Tomtom matches (from :func:`compare_with_jaspar`) as a TSV with a header, atomically."""
    lines = ["\t".join(TOMTOM_COLUMNS)]
    for r in rows:
        lines.append("\t".join(
            f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in TOMTOM_COLUMNS
        ))
    atomic_write_text(path, "\n".join(lines) + "\n")
