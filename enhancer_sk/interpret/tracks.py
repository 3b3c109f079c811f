"""Per-base importance as pictures and genome tracks: attribution logos and bigWig files.

Both take the contributions of :func:`enhancer_sk.interpret.attribution.attribute`
(shape ``(n, 4, L)``, rows A, C, G, T; actual contributions: nonzero only
at the observed base):

* :func:`per_base_importance`: the contribution of each position (the sum
  over the four rows), cut to each sequence's length;
* :func:`top_window`: where a sequence's most important stretch lies;
* :func:`attribution_logos`: one logo panel per sequence (logomaker), letters
  scaled by their contribution, negative ones below the axis (the way
  DeepLIFT and TF-MoDISco papers draw them);
* :func:`write_bigwig`: per-base importance of genome regions as a bigWig
  track (pyBigWig), regions on strand ``-`` turned back to genome order,
  overlapping regions averaged.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ..io.files import atomic_path

__all__ = ["attribution_logos", "per_base_importance", "top_window", "write_bigwig"]


def per_base_importance(attributions: np.ndarray, lengths: Sequence[int] | None = None) -> list[np.ndarray]:
    """The contribution of each position: the sum over the four bases, one array per sequence.

    Parameters
    ----------
    attributions : array of shape (n, 4, L)
        Actual contributions (one nonzero row per column; ``N`` columns zero).
    lengths : sequence of int, optional
        Each sequence's length (the rest is padding); default ``L`` for all.

    Returns
    -------
    list of ndarray of float32
    """
    attributions = np.asarray(attributions)
    if attributions.ndim != 3 or attributions.shape[1] != 4:
        raise ValueError(f"attributions must have shape (n, 4, L), got {attributions.shape}")
    total = attributions.sum(axis=1, dtype=np.float64).astype(np.float32)
    if lengths is None:
        return list(total)
    if len(lengths) != len(total):
        raise ValueError(f"{len(lengths)} lengths for {len(total)} sequences")
    return [row[: int(n)] for row, n in zip(total, lengths)]


def top_window(importance: np.ndarray, width: int = 10) -> tuple[int, float]:
    """Start and summed importance of the ``width``-bp window with the largest sum.

    Parameters
    ----------
    importance : array of shape (L,)
        Per-base importance of one sequence.
    width : int, default=10
        Window width (the whole sequence when it is shorter).

    Returns
    -------
    start : int
    total : float
    """
    importance = np.asarray(importance, dtype=np.float64)
    if importance.size == 0:
        return 0, 0.0
    width = min(int(width), importance.size)
    sums = np.convolve(importance, np.ones(width), mode="valid")
    start = int(np.argmax(sums))
    return start, float(sums[start])


def attribution_logos(
    attributions: np.ndarray,
    names: Sequence[str],
    *,
    lengths: Sequence[int] | None = None,
    max_width: int = 200,
    title: str | None = None,
):
    """One logo panel per sequence: each base drawn with the height of its contribution.

    Sequences longer than ``max_width`` are shown as the ``max_width``-bp
    stretch centred on their most important 10-bp window (:func:`top_window`);
    the panel title gives the shown positions (1-based, inclusive).

    Parameters
    ----------
    attributions : array of shape (n, 4, L)
        Actual contributions of the sequences to draw (a few: logomaker draws
        every letter as a path, about 10 ms each).
    names : sequence of str
        Panel titles (e.g. record ids and scores).
    lengths : sequence of int, optional
        Each sequence's length (default ``L``).
    max_width : int, default=200
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import logomaker
    import pandas as pd
    from matplotlib.figure import Figure

    attributions = np.asarray(attributions, dtype=np.float64)
    if attributions.ndim != 3 or attributions.shape[1] != 4:
        raise ValueError(f"attributions must have shape (n, 4, L), got {attributions.shape}")
    n = len(attributions)
    if len(names) != n:
        raise ValueError(f"{len(names)} names for {n} sequences")
    if n == 0:
        raise ValueError("no sequences to draw")
    lengths = [attributions.shape[2]] * n if lengths is None else [int(v) for v in lengths]
    widths = [min(length, max_width) for length in lengths]
    fig = Figure(figsize=(min(2 + 0.09 * max(widths), 22), 1.6 * n + (0.4 if title else 0)))
    axes = fig.subplots(n, 1, squeeze=False)[:, 0]
    for ax, attr, name, length, width in zip(axes, attributions, names, lengths, widths):
        start = 0
        if length > width:
            best, _ = top_window(attr[:, :length].sum(axis=0), 10)
            start = int(np.clip(best + 5 - width // 2, 0, length - width))
        frame = pd.DataFrame(attr[:, start:start + width].T, columns=list("ACGT"))
        frame.index = np.arange(start + 1, start + width + 1)
        logomaker.Logo(frame, ax=ax, color_scheme="classic", flip_below=False)
        ax.axhline(0, color="0.5", lw=0.5)
        ax.set_ylabel("contribution", fontsize=7)
        shown = f" (positions {start + 1}-{start + width} of {length})" if length > width else ""
        ax.set_title(f"{name}{shown}", fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def write_bigwig(
    path: str | os.PathLike,
    chrom: Sequence[str],
    start: Sequence[int],
    strand: Sequence[str],
    importance: Sequence[np.ndarray],
    chrom_sizes: dict[str, int],
) -> None:
    """Write per-base importance of genome regions as a bigWig track (atomically).

    Parameters
    ----------
    path : str or path-like
    chrom, start, strand : sequences of length n_regions
        Each region's chromosome, 0-based start and strand (``-``: the
        values are in the region's own orientation and are reversed here).
    importance : sequence of arrays
        Per-base importance of each region (:func:`per_base_importance`); its
        length is the region's length.
    chrom_sizes : dict of str -> int
        The genome's chromosome lengths (the bigWig header).

    Notes
    -----
    Where regions overlap, the track holds the mean of their values.
    """
    import pyBigWig

    if not (len(chrom) == len(start) == len(strand) == len(importance)):
        raise ValueError("chrom, start, strand and importance must have one entry per region")
    by_chrom: dict[str, list[tuple[int, np.ndarray]]] = {}
    for c, s, st, values in zip(chrom, start, strand, importance):
        values = np.asarray(values, dtype=np.float64)
        if st == "-":
            values = values[::-1]
        if c not in chrom_sizes:
            raise ValueError(f"chromosome {c!r} is not in the genome")
        if int(s) < 0 or int(s) + len(values) > chrom_sizes[c]:
            raise ValueError(f"region {c}:{s}-{int(s) + len(values)} lies outside chromosome {c} "
                             f"(length {chrom_sizes[c]})")
        by_chrom.setdefault(str(c), []).append((int(s), values))
    with atomic_path(path) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        try:
            order = [c for c in chrom_sizes if c in by_chrom]  # the genome's chromosome order
            bw.addHeader([(c, int(chrom_sizes[c])) for c in order])
            for c in order:
                for block_start, values in _merged_blocks(by_chrom[c]):
                    ok = ~np.isnan(values)
                    if ok.any():
                        positions = block_start + np.flatnonzero(ok)
                        bw.addEntries(c, positions.tolist(), values=values[ok].tolist(), span=1)
        finally:
            bw.close()


def _merged_blocks(regions: list[tuple[int, np.ndarray]]) -> list[tuple[int, np.ndarray]]:
    """Overlapping regions merged into blocks holding the mean value per base (NaN where none)."""
    regions = sorted(regions, key=lambda r: r[0])
    blocks: list[list[tuple[int, np.ndarray]]] = []
    end = -1
    for s, values in regions:
        if blocks and s < end:
            blocks[-1].append((s, values))
            end = max(end, s + len(values))
        else:
            blocks.append([(s, values)])
            end = s + len(values)
    out = []
    for block in blocks:
        first = block[0][0]
        last = max(b + len(v) for b, v in block)
        total = np.zeros(last - first)
        count = np.zeros(last - first)
        for b, v in block:
            total[b - first:b - first + len(v)] += v
            count[b - first:b - first + len(v)] += 1
        with np.errstate(invalid="ignore"):
            out.append((first, np.where(count > 0, total / np.maximum(count, 1), np.nan)))
    return out
