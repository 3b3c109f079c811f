"""Numerical encodings of DNA sequences, as functions and scikit-learn transformers.

All encoders are vectorised NumPy (no Python loop over bases) and accept any
``X`` that :func:`enhancer_sk.sequence.codes.sequence_codes` accepts.
Encoders with a ``length`` centre-crop / N-pad to it
(:mod:`enhancer_sk.sequence.fixed_length`).

* one-hot (:func:`one_hot_encode`, :class:`OneHotEncoder`): shape (n, 4, length),
  channels A, C, G, T, ``N`` an all-zero column;
* codes (:func:`tokenize`, :class:`SequenceTokenizer`): the integer codes
  A=0 C=1 G=2 T=3 N=4 of :mod:`enhancer_sk.sequence.alphabet`, int64 (the
  input of an embedding layer);
* k-mer spectra (:func:`kmer_counts`, :class:`KmerSpectrum`), sparse;
* GC content (:func:`gc_content`, :class:`GCContent`) and length
  (:class:`SequenceLength`): the features of the composition-only and
  length-only baselines.
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import normalize as _sk_normalize
from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import validate_params
from .alphabet import ALPHABET
from .codes import SequenceCodes, SequencesLike, sequence_codes
from .fixed_length import fixed_length_codes

__all__ = [
    "GCContent",
    "KmerSpectrum",
    "OneHotEncoder",
    "SequenceLength",
    "SequenceTokenizer",
    "codes_to_one_hot",
    "gc_content",
    "kmer_counts",
    "kmer_window_index",
    "kmer_reverse_complement_index",
    "one_hot_encode",
    "tokenize",
]


def codes_to_one_hot(codes: np.ndarray, dtype=np.float32) -> np.ndarray:
    """One-hot of an (n, L) code matrix (A=0 C=1 G=2 T=3 N=4): shape (n, 4, L), ``N`` all-zero."""
    codes = np.asarray(codes)
    out = np.empty((codes.shape[0], 4, codes.shape[1]), dtype=dtype)
    for c in range(4):
        np.copyto(out[:, c, :], codes == c, casting="unsafe")
    return out


def one_hot_encode(X: SequencesLike, length: int | None = None, dtype=np.float32) -> np.ndarray:
    """One-hot encode sequences to shape (n, 4, length), channels A, C, G, T.

    ``N`` (and IUPAC codes) give an all-zero column; ``length`` centre-crops /
    N-pads (None: all sequences must have one length).
    """
    return codes_to_one_hot(fixed_length_codes(sequence_codes(X), length), dtype)


def tokenize(X: SequencesLike, length: int | None = None) -> np.ndarray:
    """Integer codes A=0, C=1, G=2, T=3, N=4 as an int64 array of shape (n, length).

    ``length`` centre-crops / N-pads (None: all sequences must have one length).
    """
    return fixed_length_codes(sequence_codes(X), length).astype(np.int64)


class _SequenceTransformer(TransformerMixin, BaseEstimator):
    """Shared scikit-learn plumbing: stateless transformers over sequences."""

    _parameter_constraints: dict = {}

    def fit(self, X, y=None):
        """Check the parameters and the sequences; the transformers learn nothing from the data."""
        validate_params(self)
        sc = sequence_codes(X)
        self.n_features_in_ = 1
        self._fit_codes(sc)
        return self

    def _fit_codes(self, sc):
        pass

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags


class OneHotEncoder(_SequenceTransformer):
    """One-hot encode DNA to float32 arrays of shape (n, 4, length).

    Parameters
    ----------
    length : int or None, default=None
        Output length.  Longer sequences are centre-cropped and shorter ones
        padded with N (all-zero columns).  None: every sequence must have the
        length of the first one seen in ``transform``.
    flatten : bool, default=False
        Return (n, 4 * length) instead, for estimators expecting 2-D input.

    Examples
    --------
    >>> OneHotEncoder().fit_transform(["ACGTN"]).shape
    (1, 4, 5)
    """

    _parameter_constraints: dict = {
        "length": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "flatten": ["boolean"],
    }

    def __init__(self, length: int | None = None, flatten: bool = False):
        self.length = length
        self.flatten = flatten

    def transform(self, X) -> np.ndarray:
        x = one_hot_encode(X, self.length)
        return x.reshape(len(x), -1) if self.flatten else x


class SequenceTokenizer(_SequenceTransformer):
    """Integer codes A=0, C=1, G=2, T=3, N=4 (int64), the input of an embedding layer.

    Parameters
    ----------
    length : int or None, default=None
        Output length (centre crop / N pad); None requires equal lengths.
    """

    _parameter_constraints: dict = {"length": [Interval(numbers.Integral, 1, None, closed="left"), None]}

    def __init__(self, length: int | None = None):
        self.length = length

    def transform(self, X) -> np.ndarray:
        return tokenize(X, self.length)



# ----------------------------------------------------------------------------- k-mers


def kmer_reverse_complement_index(k: int) -> np.ndarray:
    """Index of the reverse complement of every k-mer (2-bit codes, A=0 C=1 G=2 T=3)."""
    idx = np.arange(4**k, dtype=np.int64)
    rc = np.zeros_like(idx)
    for j in range(k):
        digit = (idx >> (2 * j)) & 3
        rc |= (3 - digit) << (2 * (k - 1 - j))
    return rc


def _kmer_names(k: int) -> np.ndarray:
    return np.asarray(["".join(p) for p in itertools.product(ALPHABET, repeat=k)], dtype=object)


def kmer_window_index(codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k-mer index (base 4, A=0 ... T=3, first base most significant) of every window of ``codes``.

    Parameters
    ----------
    codes : array of int, shape (L,)
        Base codes (``N`` = 4), at least ``k`` of them.
    k : int

    Returns
    -------
    index : ndarray of int64, shape (L - k + 1,)
    has_n : ndarray of bool, shape (L - k + 1,)
        Windows holding an ``N`` (their index is meaningless).
    """
    codes = np.asarray(codes, dtype=np.int64)
    m = codes.size - k + 1
    index = np.zeros(m, dtype=np.int64)
    has_n = np.zeros(m, dtype=bool)
    for j in range(k):
        window = codes[j : j + m]
        index = (index << 2) | (window & 3)
        has_n |= window == 4
    return index, has_n


def kmer_counts(sc: SequenceCodes, k: int) -> sp.csr_matrix:
    """Count every k-mer of each sequence: CSR of shape (n, 4**k), int64.

    k-mers containing N are skipped.  Vectorised over the flat code array.
    """
    n = len(sc)
    codes = sc.codes.astype(np.int64)
    total = codes.size
    if total < k:
        return sp.csr_matrix((n, 4**k), dtype=np.int64)
    m = total - k + 1
    index, has_n = kmer_window_index(codes, k)
    rows = np.repeat(np.arange(n), sc.lengths)[:m]
    ends = np.repeat(sc.starts + sc.lengths, sc.lengths)[:m]
    valid = (~has_n) & (np.arange(m) + k <= ends)
    mat = sp.csr_matrix(
        (np.ones(int(valid.sum()), dtype=np.int64), (rows[valid], index[valid])), shape=(n, 4**k)
    )
    mat.sum_duplicates()
    return mat


class KmerSpectrum(_SequenceTransformer):
    """k-mer spectrum features (counts or normalised frequencies), sparse.

    Parameters
    ----------
    k : int or tuple of int, default=3
        A k, or an inclusive range ``(k_min, k_max)``; features of every k are
        stacked side by side.
    canonical_kmers : bool, default=False
        Merge each k-mer with its reverse complement (one column per pair,
        named by the lexicographically smaller one).
    norm : {None, "l1", "l2"}, default=None
        Normalise each row (per k block for "l1": frequencies within each k).
    dtype : numpy dtype, default=np.float64
        Output dtype.

    Attributes
    ----------
    feature_names_ : ndarray of str
        The k-mer of each column.
    """

    _parameter_constraints: dict = {
        "k": "no_validation",  # an int or a (k_min, k_max) pair: checked by KmerSpectrum._ks
        "canonical_kmers": ["boolean"],
        "norm": [StrOptions({"l1", "l2"}), None],
        "dtype": "no_validation",
    }

    def __init__(self, k=3, canonical_kmers: bool = False, norm: str | None = None, dtype=np.float64):
        self.k = k
        self.canonical_kmers = canonical_kmers
        self.norm = norm
        self.dtype = dtype

    def _ks(self) -> list[int]:
        """The k values (the parameters checked first: ``transform`` may run without ``fit``)."""
        validate_params(self)
        k = self.k
        if isinstance(k, (int, np.integer)):
            ks = [int(k)]
        elif len(k) == 2:
            ks = list(range(int(k[0]), int(k[1]) + 1))
        else:
            raise ValueError(f"k must be an int or a (k_min, k_max) pair, got {k!r}")
        if not ks or min(ks) < 1 or max(ks) > 12:
            raise ValueError(f"k must lie in 1..12, got {k!r}")
        return ks

    def _columns(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(column of every k-mer, index of the k-mer naming each column)."""
        if not self.canonical_kmers:
            idx = np.arange(4**k)
            return idx, idx
        rep = np.minimum(np.arange(4**k), kmer_reverse_complement_index(k))
        kept, col = np.unique(rep, return_inverse=True)
        return col, kept

    def _fit_codes(self, sc):
        names = []
        for k in self._ks():
            names.append(_kmer_names(k)[self._columns(k)[1]])
        self.feature_names_ = np.concatenate(names)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        if not hasattr(self, "feature_names_"):
            self._fit_codes(None)
        return self.feature_names_.copy()

    def transform(self, X) -> sp.csr_matrix:
        sc = sequence_codes(X)
        blocks = []
        for k in self._ks():
            counts = kmer_counts(sc, k)
            col, kept = self._columns(k)
            if self.canonical_kmers:
                merge = sp.csr_matrix(
                    (np.ones(4**k), (np.arange(4**k), col)), shape=(4**k, len(kept))
                )
                counts = counts @ merge
            block = counts.astype(self.dtype)
            if self.norm == "l1":
                block = _sk_normalize(block, norm="l1")
            blocks.append(block)
        out = sp.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0].tocsr()
        if self.norm == "l2":
            out = _sk_normalize(out, norm="l2")
        return out.astype(self.dtype)


def gc_content(X: SequencesLike) -> np.ndarray:
    """Fraction of G + C among the non-N bases of each sequence (NaN-free: 0 for all-N)."""
    sc = sequence_codes(X)
    is_gc = ((sc.codes == 1) | (sc.codes == 2)).astype(np.int64)
    is_base = (sc.codes < 4).astype(np.int64)
    n = len(sc)
    rows = np.repeat(np.arange(n), sc.lengths)
    gc = np.bincount(rows, weights=is_gc, minlength=n)
    bases = np.bincount(rows, weights=is_base, minlength=n)
    return np.divide(gc, bases, out=np.zeros(n), where=bases > 0)


class GCContent(_SequenceTransformer):
    """GC content as the single feature, shape (n, 1).

    With a ``LogisticRegression`` it gives the composition-only baseline that
    every enhancer model should beat (enhancers are GC-richer than background).
    """

    def transform(self, X) -> np.ndarray:
        return gc_content(X)[:, None]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(["gc_content"], dtype=object)


class SequenceLength(_SequenceTransformer):
    """The log10 of each sequence's length as the single feature, shape (n, 1).

    With a ``LogisticRegression`` it gives the length-only baseline: on data
    sets where enhancers and controls differ in length, a model can score
    well by length alone.
    """

    def transform(self, X) -> np.ndarray:
        return np.log10(np.maximum(sequence_codes(X).lengths, 1).astype(np.float64))[:, None]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(["log10_length"], dtype=object)
