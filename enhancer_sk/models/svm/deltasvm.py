r"""deltaSVM: the effect of a sequence variant on a gapped k-mer SVM (Lee et al. 2015).

The weight of an l-mer :math:`u` is the SVM's score of :math:`u` read as a
sequence, :math:`w(u) = f(u)` (:meth:`GkmSVM.decision_function
<enhancer_sk.models.svm.gkm.GkmSVM.decision_function>` on the l-mer: the
decision-table value :math:`T_u` over the l-mer's norm, plus the intercept),
which is what LS-GKM's recipe gives (``gkmpredict`` on the l-mers of
``nrkmers.py``).  With reverse complements merged (``canonical_kmers=True``,
as LS-GKM and deltaSVM) an l-mer and its reverse complement have one weight.
The deltaSVM score of a variant is

.. math::

    \Delta(\mathrm{ref}, \mathrm{alt}) = \sum_i w(\mathrm{alt}_i) - w(\mathrm{ref}_i),

summed over the l-mers :math:`\mathrm{ref}_i, \mathrm{alt}_i` that overlap the
variant (the other l-mers of two equal-length sequences are equal and add 0);
the intercept cancels.  :func:`deltasvm_scores` scores pairs of equal-length
sequences (an SNV in any flanks of at least ``l - 1`` bases: the ``2l - 1``
bases centred on it are enough), :func:`deltasvm_weights` gives the weight of
every non-redundant l-mer and :func:`write_deltasvm_weights` writes them in
deltaSVM's weight-file format (``deltasvm.pl``'s input): one line
``lmer<TAB>weight`` per non-redundant l-mer, the lexicographically smaller of
an l-mer and its reverse complement, in lexicographic order.

Reference
---------
Lee D, Gorkin DU, Baker M, et al. (2015) A method to predict the impact of
regulatory variants from DNA sequence.  Nat Genet 47: 955-961,
doi:10.1038/ng.3331.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ...sequence.codes import SequenceCodes, SequencesLike, sequence_codes
from ._gkm_kernel import _as_windows

if TYPE_CHECKING:
    from .gkm import GkmSVM

__all__ = ["deltasvm_scores", "deltasvm_weights", "write_deltasvm_weights"]

_CHUNK = 1 << 18  # l-mers scored together when all of them are weighted


def _check_model(model) -> None:
    """A fitted GkmSVM with reverse complements merged (TypeError, NotFittedError or ValueError otherwise)."""
    from .gkm import GkmSVM

    if not isinstance(model, GkmSVM):
        raise TypeError(f"deltaSVM needs a GkmSVM (fitted, or read from an LS-GKM model file), "
                        f"got {type(model).__name__}")
    check_is_fitted(model, "table_")
    if not model.canonical_kmers:
        raise ValueError("deltaSVM needs canonical_kmers=True: it gives an l-mer and its reverse complement "
                         "one weight, which a model trained with canonical_kmers=False (gkmtrain -R) does not")


def _reverse_complement(codes: np.ndarray, l: int) -> np.ndarray:
    """2-bit codes (first base most significant) of the reverse complements of l-mer codes."""
    out = np.zeros_like(codes)
    rest = codes.copy()
    for _ in range(l):
        out = (out << 2) | (3 - (rest & 3))
        rest >>= 2
    return out


def _canonical(codes: np.ndarray, l: int) -> np.ndarray:
    """The lexicographically smaller of each l-mer and its reverse complement (as codes)."""
    return np.minimum(codes, _reverse_complement(codes, l))


def _lmer_sequences(codes: np.ndarray, l: int) -> SequenceCodes:
    """The l-mers of 2-bit ``codes`` as coded sequences of length ``l``."""
    shifts = 2 * np.arange(l - 1, -1, -1, dtype=np.int64)
    letters = ((codes[:, None] >> shifts[None, :]) & 3).astype(np.uint8)
    return SequenceCodes.from_matrix(letters)


def _weights_of(model: GkmSVM, codes: np.ndarray) -> np.ndarray:
    """Weights (decision values) of the l-mers ``codes``."""
    if not codes.size:
        return np.empty(0, dtype=np.float64)
    return model._decision_codes(_lmer_sequences(codes, model.l))


def _nonredundant_codes(l: int) -> Iterator[np.ndarray]:
    """Codes of the non-redundant l-mers (smaller than or equal to their reverse complement), in order."""
    for start in range(0, 4**l, _CHUNK):
        codes = np.arange(start, min(start + _CHUNK, 4**l), dtype=np.int64)
        yield codes[codes <= _reverse_complement(codes, l)]


def _lmer_strings(codes: np.ndarray, l: int) -> np.ndarray:
    return _lmer_sequences(codes, l).to_strings()


def deltasvm_weights(model: GkmSVM) -> tuple[np.ndarray, np.ndarray]:
    """Weight of every non-redundant l-mer of a fitted GkmSVM.

    Parameters
    ----------
    model : GkmSVM
        Fitted with ``canonical_kmers=True``.

    Returns
    -------
    lmers : ndarray of str, shape (n,)
        The lexicographically smaller of each l-mer and its reverse
        complement, in lexicographic order (``n = (4**l + 4**(l // 2)) / 2``
        for even ``l``, ``4**l / 2`` for odd ``l``).
    weights : ndarray of float64, shape (n,)
        ``model.decision_function(lmers)``.

    Raises
    ------
    TypeError, ValueError
        Not a GkmSVM, or one with ``canonical_kmers=False``.
    """
    _check_model(model)
    parts = [(_lmer_strings(c, model.l), _weights_of(model, c)) for c in _nonredundant_codes(model.l)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def write_deltasvm_weights(model: GkmSVM, path: str | os.PathLike) -> int:
    """Write deltaSVM's weight file of a fitted GkmSVM (gzip when ``path`` ends in ``.gz``), atomically.

    One line ``lmer<TAB>weight`` per non-redundant l-mer
    (:func:`deltasvm_weights`), weights with the fewest digits that read back
    exactly; ``deltasvm.pl`` reads it as it reads ``gkmpredict``'s scores of
    ``nrkmers.py``'s l-mers.

    Parameters
    ----------
    model : GkmSVM
        Fitted with ``canonical_kmers=True``.
    path : str or path-like

    Returns
    -------
    int
        Lines written.
    """
    from ...io.files import atomic_open

    _check_model(model)
    n = 0
    with atomic_open(path) as fh:
        for codes in _nonredundant_codes(model.l):
            lmers, weights = _lmer_strings(codes, model.l), _weights_of(model, codes)
            fh.write("".join(f"{s}\t{w!r}\n" for s, w in zip(lmers.tolist(), weights.tolist())))
            n += len(lmers)
    return n


def deltasvm_scores(model: GkmSVM, ref: SequencesLike, alt: SequencesLike) -> np.ndarray:
    """deltaSVM scores: the summed weight change of the l-mers where ``alt`` differs from ``ref``.

    Parameters
    ----------
    model : GkmSVM
        Fitted with ``canonical_kmers=True``.
    ref, alt : list or 1-D array of str, or FASTA paths
        Pairs of sequences of equal lengths (e.g. the ``2l - 1`` bases centred
        on an SNV, with REF and with ALT); letters other than A, C, G, T are
        read as A, as the model does.

    Returns
    -------
    ndarray of float64, shape (n,)
        ``sum_i w(alt_i) - w(ref_i)`` over the l-mers that differ, each
        l-mer weighted as its non-redundant form (as deltaSVM's weight file);
        positive when ``alt`` raises the score.

    Raises
    ------
    ValueError
        Different numbers of sequences, a pair of different lengths, or
        ``canonical_kmers=False``.
    """
    _check_model(model)
    ref_codes, alt_codes = sequence_codes(ref), sequence_codes(alt)
    if len(ref_codes) != len(alt_codes):
        raise ValueError(f"{len(ref_codes)} reference but {len(alt_codes)} alternate sequences")
    unequal = np.flatnonzero(ref_codes.lengths != alt_codes.lengths)
    if unequal.size:
        i = int(unequal[0])
        raise ValueError(f"deltaSVM scores pairs of equal lengths; pair {i} has lengths "
                         f"{int(ref_codes.lengths[i])} and {int(alt_codes.lengths[i])}")
    l = model.l
    rw, aw = _as_windows(ref_codes, l), _as_windows(alt_codes, l)
    changed = np.flatnonzero(rw.fwd != aw.fwd)
    pair = np.repeat(np.arange(len(ref_codes)), rw.count)[changed]
    both = _canonical(np.concatenate([rw.fwd[changed], aw.fwd[changed]]), l)
    unique, index = np.unique(both, return_inverse=True)
    w = _weights_of(model, unique)[index.ravel()]
    delta = w[changed.size:] - w[: changed.size]
    return np.bincount(pair, weights=delta, minlength=len(ref_codes)).astype(np.float64)
