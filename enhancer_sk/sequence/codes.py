"""Sequences as flat integer codes, and the one entry point for sequence input.

Whatever an estimator, transformer or command receives as ``X`` goes through
:func:`sequence_codes` (or :func:`as_sequences`, which returns strings), so the
rules below hold everywhere:

* ``X`` is a list / tuple / 1-D NumPy array (or ``(n, 1)`` column) of strings,
  or the path of a FASTA file (plain or gzip-compressed, detected from its
  content, not its name; read by :mod:`enhancer_sk.io.fasta`).
* Lower-case letters are soft-masking: they are upper-cased.
* IUPAC ambiguity codes (``R Y S W K M B D H V``) and ``N`` become ``N``.
* Anything else (digits, protein letters, ``U``, gaps, spaces inside a
  sequence, non-ASCII text) raises :class:`~enhancer_sk.exceptions.InvalidCharacterError`
  naming the record and the character.
* Empty sequences, empty files, files that are not FASTA and duplicate ids
  raise the matching subclass of :class:`~enhancer_sk.exceptions.SequenceInputError`.

Sequences may have different lengths; encoders decide how to bring them to a
fixed length (:mod:`enhancer_sk.sequence.fixed_length`).  Codes follow
:mod:`enhancer_sk.sequence.alphabet` (A=0 C=1 G=2 T=3 N=4).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Union

import numpy as np

from ..exceptions import EmptyInputError, EmptySequenceError, InvalidCharacterError, SequenceInputError
from .alphabet import CODE_TABLE, CODE_TO_BYTE, INVALID_CODE, N_CODE

__all__ = [
    "PathLike",
    "SequenceCodes",
    "SequencesLike",
    "as_sequence_codes",
    "as_sequences",
    "codes_from_strings",
    "codes_to_strings",
    "describe_char",
    "is_sequence_path",
    "sequence_codes",
]

PathLike = Union[str, os.PathLike]  # noqa: UP007 - runtime alias on Python 3.10
SequencesLike = Union[PathLike, Sequence[str], np.ndarray]  # noqa: UP007

def describe_char(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return repr(ch)
    return f"{ch!r} (U+{ord(ch):04X})"


def _record_name(ids: Sequence[str] | None, i: int) -> str:
    return f"record {ids[i]!r}" if ids is not None else f"sequence at index {i}"


class SequenceCodes:
    """Sequences as one flat array of codes (A=0, C=1, G=2, T=3, N=4).

    Attributes
    ----------
    codes : ndarray of uint8, shape (total_length,)
        All sequences concatenated.
    starts : ndarray of int64, shape (n_sequences,)
        Offset of each sequence in ``codes``.
    lengths : ndarray of int64, shape (n_sequences,)
        Length of each sequence.
    ids : list of str or None
        Record ids when the sequences came from a FASTA file.
    """

    __slots__ = ("codes", "starts", "lengths", "ids")

    def __init__(self, codes, starts, lengths, ids=None):
        self.codes = codes
        self.starts = starts
        self.lengths = lengths
        self.ids = ids

    def __len__(self) -> int:
        return len(self.lengths)

    @classmethod
    def from_matrix(cls, codes: np.ndarray, ids=None) -> SequenceCodes:
        """Rows of an (n, length) code matrix as :class:`SequenceCodes` (no copy when already uint8)."""
        codes = np.ascontiguousarray(codes, dtype=np.uint8)
        if codes.ndim != 2:
            raise ValueError(f"codes must be a 2-D (n, length) array, got shape {codes.shape}")
        n, length = codes.shape
        return cls(codes.reshape(-1), np.arange(n, dtype=np.int64) * length, np.full(n, length, dtype=np.int64), ids)

    def to_strings(self) -> np.ndarray:
        """Return the normalised sequences as a 1-D object array of ``str``."""
        text = CODE_TO_BYTE[self.codes].tobytes().decode("ascii")
        ends = self.starts + self.lengths
        out = np.empty(len(self), dtype=object)
        out[:] = [text[s:e] for s, e in zip(self.starts.tolist(), ends.tolist())]
        return out


def codes_from_strings(seqs: Sequence[str], ids: Sequence[str] | None = None) -> SequenceCodes:
    """Vectorised normalisation and validation of a list of strings."""
    n = len(seqs)
    for i, s in enumerate(seqs):
        if not isinstance(s, (str, np.str_)):
            raise SequenceInputError(
                f"{_record_name(ids, i)} is not a string but {type(s).__name__}: "
                "give sequences as strings (or a FASTA path)"
            )
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=n)
    empty = np.flatnonzero(lengths == 0)
    if empty.size:
        raise EmptySequenceError(f"{_record_name(ids, int(empty[0]))} is an empty sequence")
    starts = np.zeros(n, dtype=np.int64)
    if n:
        np.cumsum(lengths[:-1], out=starts[1:])
    text = "".join(seqs)
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as err:
        i = int(np.searchsorted(starts, err.start, side="right") - 1)
        raise InvalidCharacterError(
            f"{_record_name(ids, i)} holds {describe_char(text[err.start])} at position "
            f"{err.start - starts[i] + 1}: only A, C, G, T, N and IUPAC codes are allowed"
        ) from None
    codes = CODE_TABLE[np.frombuffer(raw, dtype=np.uint8)]
    bad = np.flatnonzero(codes == INVALID_CODE)
    if bad.size:
        pos = int(bad[0])
        i = int(np.searchsorted(starts, pos, side="right") - 1)
        raise InvalidCharacterError(
            f"{_record_name(ids, i)} holds {describe_char(text[pos])} at position "
            f"{pos - starts[i] + 1}: only A, C, G, T, N and IUPAC codes are allowed"
        )
    return SequenceCodes(codes, starts, lengths, None if ids is None else list(ids))


def is_sequence_path(X) -> bool:
    """Return True when ``X`` names a file (a ``str`` or path object, not an array)."""
    return isinstance(X, (str, os.PathLike))


def _as_string_list(X) -> list:
    if isinstance(X, np.ndarray):
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if X.ndim != 1:
            raise SequenceInputError(
                f"expected a 1-D array of sequences (or a FASTA path), got an array of shape {X.shape}"
            )
        return X.tolist()
    if isinstance(X, (list, tuple)):
        return list(X)
    if hasattr(X, "to_numpy"):  # pandas Series / single-column DataFrame
        return _as_string_list(np.asarray(X.to_numpy()))
    raise SequenceInputError(
        f"expected sequences as a list or 1-D array of strings, or a FASTA path; got {type(X).__name__}"
    )


def sequence_codes(X: SequencesLike) -> SequenceCodes:
    """Validate sequences and return them as flat integer codes.

    Parameters
    ----------
    X : str, path, list of str or 1-D array of str
        A FASTA path or the sequences themselves.

    Returns
    -------
    SequenceCodes
        Codes A=0, C=1, G=2, T=3, N=4 with offsets and lengths (and ids for files).
    """
    if is_sequence_path(X):
        from ..io.fasta import read_fasta_records

        ids, seqs = read_fasta_records(X)
        return codes_from_strings(seqs, ids)
    seqs = _as_string_list(X)
    if not seqs:
        raise EmptyInputError("no sequences given (empty input)")
    return codes_from_strings(seqs)


def as_sequences(X: SequencesLike, *, return_ids: bool = False):
    """Return normalised sequences (upper case, IUPAC codes as N) as a 1-D array.

    Parameters
    ----------
    X : str, path, list of str or 1-D array of str
        A FASTA path (plain or gzip) or the sequences.
    return_ids : bool, default=False
        Also return the record ids (FASTA ids, or ``"seq_<i>"`` for in-memory input).

    Returns
    -------
    sequences : ndarray of str (object dtype), shape (n_sequences,)
    ids : ndarray of str, shape (n_sequences,)
        Only when ``return_ids`` is True.
    """
    sc = sequence_codes(X)
    seqs = sc.to_strings()
    if not return_ids:
        return seqs
    ids = sc.ids if sc.ids is not None else [f"seq_{i}" for i in range(len(sc))]
    return seqs, np.asarray(ids, dtype=object)


def codes_to_strings(codes: np.ndarray) -> np.ndarray:
    """Sequences of a 2-D code matrix (A=0 C=1 G=2 T=3 N=4) as a 1-D object array of ``str``."""
    codes = np.asarray(codes, dtype=np.uint8)
    if codes.ndim != 2:
        raise ValueError(f"codes must be a 2-D (n, length) array, got shape {codes.shape}")
    n, length = codes.shape
    text = CODE_TO_BYTE[codes].tobytes().decode("ascii")
    out = np.empty(n, dtype=object)
    out[:] = [text[i * length : (i + 1) * length] for i in range(n)]
    return out



def as_sequence_codes(X) -> SequenceCodes:
    """Sequences as :class:`SequenceCodes`, from any input the models take.

    Parameters
    ----------
    X : SequenceCodes, one-hot array or sequences
        Already-coded sequences are returned unchanged; a numeric array (or
        torch tensor) of shape (n, 4, L) is read as one-hot A, C, G, T (an
        all-zero column is ``N``); anything else goes through
        :func:`sequence_codes` (strings or a FASTA path).

    Returns
    -------
    SequenceCodes
    """
    if isinstance(X, SequenceCodes):
        return X
    if hasattr(X, "detach"):  # torch tensor
        X = X.detach().cpu().numpy()
    if isinstance(X, np.ndarray) and X.dtype.kind in "biuf":
        if X.ndim != 3 or X.shape[1] != 4:
            raise SequenceInputError(
                f"a numeric input must be one-hot DNA of shape (n, 4, length), got shape {X.shape}; "
                "pass sequences as strings or a FASTA path otherwise"
            )
        n, _, length = X.shape
        if n == 0 or length == 0:
            raise SequenceInputError(f"empty one-hot input of shape {X.shape}")
        codes = np.argmax(X, axis=1).astype(np.uint8)
        codes[~(X > 0).any(axis=1)] = N_CODE
        return SequenceCodes.from_matrix(codes)
    return sequence_codes(X)
