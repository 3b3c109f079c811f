"""Synthetic enhancers: background DNA with planted transcription factor motifs.

:func:`make_synthetic_enhancers` is the project's embedded default (the demo,
the tests and the Galaxy test data): background DNA with a chosen GC content,
and "enhancers" carrying motif sites sampled from position frequency matrices,
on either strand.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.utils import check_random_state

from ..sequence.alphabet import reverse_complement_codes
from ..sequence.codes import SequenceCodes

__all__ = ["BUILTIN_MOTIFS", "make_synthetic_enhancers"]


def _consensus_pfm(consensus: str, p: float = 0.85) -> np.ndarray:
    """PFM (4, w) in A, C, G, T order putting ``p`` on each consensus base (N: uniform)."""
    iupac = {"A": "A", "C": "C", "G": "G", "T": "T", "R": "AG", "Y": "CT", "S": "CG", "W": "AT",
             "K": "GT", "M": "AC", "N": "ACGT"}
    pfm = np.zeros((4, len(consensus)))
    for j, ch in enumerate(consensus):
        bases = iupac[ch]
        rest = (1 - p) / (4 - len(bases)) if len(bases) < 4 else 0.0
        for b in range(4):
            pfm[b, j] = p / len(bases) if "ACGT"[b] in bases else rest
        if len(bases) == 4:
            pfm[:, j] = 0.25
    return pfm


#: Built-in motifs: consensus sites of well-known enhancer-binding factors as soft PFMs
#: (85% on the consensus base).  Approximations for synthetic data, not database matrices.
BUILTIN_MOTIFS: dict[str, np.ndarray] = {
    "AP-1": _consensus_pfm("TGASTCA"),
    "CTCF": _consensus_pfm("CCRSYAGRKGGCRS"),
    "GATA": _consensus_pfm("WGATAR"),
    "ETS": _consensus_pfm("ACCGGAAGT"),
    "E-box": _consensus_pfm("CACGTG"),
    "SP/KLF": _consensus_pfm("GGGGCGGGG"),
    "CEBP": _consensus_pfm("TTGCGCAAT"),
    "FOX": _consensus_pfm("TGTTTAC"),
}


def _check_pfm(name, pfm) -> np.ndarray:
    pfm = np.asarray(pfm, dtype=float)
    if pfm.ndim != 2 or pfm.shape[0] != 4 or pfm.shape[1] < 1:
        raise ValueError(f"motif {name!r} must be a (4, width) matrix in A, C, G, T order, got {pfm.shape}")
    if (pfm < 0).any() or (pfm.sum(axis=0) <= 0).any():
        raise ValueError(f"motif {name!r} has negative entries or an empty column")
    return pfm / pfm.sum(axis=0, keepdims=True)


def _sample_from_pfm(pfm: np.ndarray, count: int, rng: np.random.RandomState) -> np.ndarray:
    """``count`` sites sampled from a PFM: codes of shape (count, width)."""
    cum = np.cumsum(pfm, axis=0)  # (4, w)
    u = rng.random_sample((count, pfm.shape[1]))
    return (u[:, None, :] > cum[None, :, :]).sum(axis=1).clip(0, 3).astype(np.uint8)


def make_synthetic_enhancers(
    n_samples: int = 1000,
    length: int | tuple[int, int] = 200,
    *,
    motifs: Mapping[str, np.ndarray] | None = None,
    motifs_per_sequence: int = 3,
    gc: float = 0.42,
    enhancer_gc: float | None = None,
    positive_fraction: float = 0.5,
    background_motif_rate: float = 0.15,
    grades: bool = False,
    random_state=None,
    return_motif_sites: bool = False,
):
    """Generate enhancer-like sequences with planted transcription factor motifs.

    Background sequences are i.i.d. bases with GC content ``gc``.  Enhancers
    have GC content ``enhancer_gc`` and carry motif sites sampled from the
    motifs' position frequency matrices, on either strand at random positions.
    A few background sequences carry one site too (``background_motif_rate``),
    so the task is not trivially separable.

    Parameters
    ----------
    n_samples : int, default=1000
    length : int or (int, int), default=200
        Sequence length, or an inclusive range from which each length is drawn.
    motifs : mapping of name -> array (4, width), optional
        Position frequency (or count) matrices in A, C, G, T order, e.g. from
        JASPAR (pyjaspar).  Default: :data:`BUILTIN_MOTIFS`.
    motifs_per_sequence : int, default=3
        Sites per enhancer (per strong enhancer with ``grades=True``; weak ones
        get half as many, at least one).
    gc : float, default=0.42
        GC content of background sequences.
    enhancer_gc : float or None, default=None
        GC content of enhancers (None: same as ``gc``, so that composition
        alone barely separates the classes and models must find the motifs).
    positive_fraction : float, default=0.5
        Fraction of enhancers.
    background_motif_rate : float, default=0.15
        Probability that a background sequence carries one motif site.
    grades : bool, default=False
        If True, enhancers are split evenly into weak (1) and strong (2), and
        background is 0.
    random_state : int, RandomState or None
    return_motif_sites : bool, default=False
        Also return a list of ``(sequence index, motif name, start, strand)``.

    Returns
    -------
    X : ndarray of str, shape (n_samples,)
    y : ndarray of int, shape (n_samples,)
        1 = enhancer, 0 = background (0/1/2 with ``grades=True``).
    sites : list of tuple
        Only with ``return_motif_sites=True``.
    """
    rng = check_random_state(random_state)
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    if not 0 < positive_fraction < 1:
        raise ValueError(f"positive_fraction must lie in (0, 1), got {positive_fraction}")
    motifs = BUILTIN_MOTIFS if motifs is None else motifs
    if not motifs:
        raise ValueError("motifs must hold at least one motif")
    names = list(motifs)
    pfms = [_check_pfm(name, motifs[name]) for name in names]
    if isinstance(length, (tuple, list)):
        lengths = rng.randint(int(length[0]), int(length[1]) + 1, size=n_samples)
    else:
        lengths = np.full(n_samples, int(length))
    if lengths.min() < max(p.shape[1] for p in pfms):
        raise ValueError("sequences must be at least as long as the longest motif")

    n_pos = int(round(n_samples * positive_fraction))
    y = np.zeros(n_samples, dtype=np.int64)
    pos_idx = rng.permutation(n_samples)[:n_pos]
    y[pos_idx] = 1
    if grades:
        strong = pos_idx[rng.permutation(n_pos)[: n_pos // 2]]
        y[pos_idx] = 1
        y[strong] = 2
    enhancer_gc = gc if enhancer_gc is None else enhancer_gc

    # background bases, vectorised over the whole batch
    total = int(lengths.sum())
    seq_gc = np.where(y > 0, enhancer_gc, gc)
    per_base_gc = np.repeat(seq_gc, lengths)
    u = rng.random_sample(total)
    v = rng.random_sample(total)
    is_gc = u < per_base_gc
    codes = np.where(is_gc, np.where(v < 0.5, 1, 2), np.where(v < 0.5, 0, 3)).astype(np.uint8)
    starts = np.zeros(n_samples, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])

    n_sites = np.where(y == 2, motifs_per_sequence, np.where(y == 1, motifs_per_sequence, 0))
    if grades:
        n_sites = np.where(y == 1, max(1, motifs_per_sequence // 2), n_sites)
    n_sites = n_sites + ((y == 0) & (rng.random_sample(n_samples) < background_motif_rate))
    site_seq = np.repeat(np.arange(n_samples), n_sites)
    site_motif = rng.randint(len(pfms), size=len(site_seq))
    site_strand = rng.random_sample(len(site_seq)) < 0.5
    sites = []
    for m, pfm in enumerate(pfms):
        sel = np.flatnonzero(site_motif == m)
        if not sel.size:
            continue
        w = pfm.shape[1]
        drawn = _sample_from_pfm(pfm, sel.size, rng)
        rc = site_strand[sel]
        drawn[rc] = reverse_complement_codes(drawn[rc])
        seq_of = site_seq[sel]
        offset = (rng.random_sample(sel.size) * (lengths[seq_of] - w + 1)).astype(np.int64)
        cols = starts[seq_of, None] + offset[:, None] + np.arange(w)[None, :]
        codes[cols] = drawn
        if return_motif_sites:
            sites.extend(
                (int(s), names[m], int(o), "-" if r else "+") for s, o, r in zip(seq_of, offset, rc)
            )
    X = SequenceCodes(codes, starts, lengths.astype(np.int64)).to_strings()
    if return_motif_sites:
        sites.sort()
        return X, y, sites
    return X, y
