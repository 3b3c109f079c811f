"""Fixed-length windows over sequences of any length, streamed in batches.

DeepEnhancer (Min et al. 2017) trains and predicts on windows of a fixed
length (300 bp) and handles sequences of other lengths by sliding a window
along them.  This module does the sliding, vectorised and without ever
holding all windows at once:

* a sequence at least ``window`` long gives the windows starting at
  ``0, stride, 2 * stride, ...`` and, when the last start is not a multiple of
  ``stride``, also the window flush with its end (so every base is covered);
* a shorter sequence (its flanks are unknown) is padded with ``N`` into every
  window that contains it whole: the sequence sits at offsets
  ``window - len, window - len - stride, ..., 0`` of the window (the offset 0,
  flush left, is always included);
* ``max_windows_per_sequence`` keeps at most that many windows per sequence,
  evenly spaced over the full set (first and last included; a cap of 1 keeps
  the central window).

The sequences are laid out once as one flat ``uint8`` code array (``N`` padding
included); a window is a row of a strided view of that array
(``numpy.lib.stride_tricks.sliding_window_view``), so materialising a batch of
windows costs one fancy-indexing copy of ``batch * window`` bytes.  Window
indices are computed per batch from per-sequence counts, so the memory used
is independent of the number of windows.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .alphabet import N_CODE
from .codes import SequenceCodes, SequencesLike, as_sequence_codes
from .encoders import codes_to_one_hot

__all__ = ["SlidingWindows", "window_counts"]


def _check_window_params(window, stride, max_windows_per_sequence) -> tuple[int, int, int | None]:
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    if not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}")
    cap = max_windows_per_sequence
    if cap is not None and (not isinstance(cap, (int, np.integer)) or cap < 1):
        raise ValueError(f"max_windows_per_sequence must be None or a positive integer, got {cap!r}")
    return int(window), int(stride), None if cap is None else int(cap)


def _full_counts(lengths: np.ndarray, window: int, stride: int) -> np.ndarray:
    span = np.abs(lengths - window)
    return span // stride + 1 + (span % stride != 0)


def window_counts(
    lengths: np.ndarray, window: int, stride: int = 2, max_windows_per_sequence: int | None = None
) -> np.ndarray:
    """Number of windows of each sequence.

    Parameters
    ----------
    lengths : array of int
        Sequence lengths.
    window, stride : int
        Window length and step.
    max_windows_per_sequence : int or None
        Cap on the count (None: no cap).

    Returns
    -------
    ndarray of int64, shape (n_sequences,)
    """
    window, stride, cap = _check_window_params(window, stride, max_windows_per_sequence)
    counts = _full_counts(np.asarray(lengths, dtype=np.int64), window, stride)
    return counts if cap is None else np.minimum(counts, cap)


class SlidingWindows:
    """All windows of a set of sequences, indexable and streamable in batches.

    Parameters
    ----------
    X : sequences, FASTA path, SequenceCodes or one-hot array
        See :func:`~enhancer_sk.sequence.codes.as_sequence_codes`.
    window : int, default=300
        Window length.
    stride : int, default=2
        Step between window starts (DeepEnhancer uses 2).
    max_windows_per_sequence : int or None, default=None
        Keep at most this many (evenly spaced) windows per sequence.

    Attributes
    ----------
    n_sequences : int
    n_windows : int
    counts : ndarray of int64, shape (n_sequences,)
        Windows per sequence; windows of sequence ``i`` are numbered
        ``offsets[i] .. offsets[i] + counts[i] - 1``.
    offsets : ndarray of int64, shape (n_sequences,)
    ids : list of str or None
        Record ids when the sequences came from a FASTA file.

    Examples
    --------
    >>> w = SlidingWindows(["ACGTACGTAC"], window=4, stride=3)
    >>> w.counts.tolist(), w.codes(0, w.n_windows).tolist()
    ([3], [[0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]])
    >>> SlidingWindows(["AC"], window=4, stride=1).codes(0, 3).tolist()
    [[4, 4, 0, 1], [4, 0, 1, 4], [0, 1, 4, 4]]
    """

    def __init__(
        self,
        X: SequencesLike | SequenceCodes | np.ndarray,
        window: int = 300,
        stride: int = 2,
        max_windows_per_sequence: int | None = None,
    ):
        self.window, self.stride, self.max_windows_per_sequence = _check_window_params(
            window, stride, max_windows_per_sequence
        )
        sc = as_sequence_codes(X)
        self.ids = sc.ids
        lengths = sc.lengths.astype(np.int64)
        n = len(lengths)
        self.n_sequences = n
        self._lengths = lengths
        self._span = np.abs(lengths - self.window)
        self._full = _full_counts(lengths, self.window, self.stride)
        cap = self.max_windows_per_sequence
        self.counts = self._full if cap is None else np.minimum(self._full, cap)
        self.offsets = np.zeros(n, dtype=np.int64)
        if n:
            np.cumsum(self.counts[:-1], out=self.offsets[1:])
        self.n_windows = int(self.counts.sum())
        # flat strip: per sequence, N * pad + sequence + N * pad (pad = window - length when short)
        pad = np.maximum(self.window - lengths, 0)
        strip_len = lengths + 2 * pad
        self._strip_starts = np.zeros(n, dtype=np.int64)
        if n:
            np.cumsum(strip_len[:-1], out=self._strip_starts[1:])
        strip = np.full(int(strip_len.sum()), N_CODE, dtype=np.uint8)
        total = int(lengths.sum())
        within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        src = np.repeat(sc.starts.astype(np.int64), lengths) + within
        dest = np.repeat(self._strip_starts + pad, lengths) + within
        strip[dest] = sc.codes[src]
        self._strip = strip
        self._view = sliding_window_view(strip, self.window) if strip.size >= self.window else None

    def __len__(self) -> int:
        return self.n_windows

    def window_index(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Sequence index and start inside the sequence's padded strip of windows ``start..stop-1``."""
        k = np.arange(start, stop, dtype=np.int64)
        return self._locate(k)

    def _locate(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if k.size and (k.min() < 0 or k.max() >= self.n_windows):
            raise IndexError(f"window index out of range 0..{self.n_windows - 1}")
        seq = np.searchsorted(self.offsets, k, side="right") - 1
        rank = k - self.offsets[seq]
        full, count, span = self._full[seq], self.counts[seq], self._span[seq]
        capped = count < full
        j = rank.copy()
        if capped.any():
            c = count[capped]
            f = full[capped]
            r = rank[capped]
            denom = np.maximum(c - 1, 1)
            evenly = np.floor(r * (f - 1) / denom + 0.5).astype(np.int64)
            j[capped] = np.where(c == 1, (f - 1) // 2, evenly)
        return seq, np.minimum(j * self.stride, span)

    def _absolute(self, seq: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self._strip_starts[seq] + t

    def relative_starts(self, start: int, stop: int) -> np.ndarray:
        """Start of windows ``start..stop-1`` relative to their sequence.

        A negative value ``-p`` means the window begins with ``p`` padding ``N``.
        """
        seq, t = self.window_index(start, stop)
        return t - np.maximum(self.window - self._lengths[seq], 0)

    def segment_codes(self, seq: np.ndarray, start: np.ndarray, length: np.ndarray, width: int) -> np.ndarray:
        """Stretches ``start:start + length`` of the padded strips of sequences ``seq``.

        Returns uint8 codes of shape (len(seq), width), ``N``-padded on the
        right beyond each stretch (``width >= length.max()``).
        """
        out = np.full((len(seq), width), N_CODE, dtype=np.uint8)
        src = self._strip_starts[seq] + start
        for i, (s, n) in enumerate(zip(src.tolist(), np.asarray(length).tolist())):
            out[i, :n] = self._strip[s : s + n]
        return out

    def codes_at(self, k: np.ndarray) -> np.ndarray:
        """Codes of the windows numbered ``k``: uint8 array of shape (len(k), window)."""
        seq, t = self._locate(np.asarray(k, dtype=np.int64))
        return self._view[self._absolute(seq, t)]

    def codes(self, start: int, stop: int) -> np.ndarray:
        """Codes of windows ``start..stop-1``: uint8 array of shape (stop - start, window)."""
        return self.codes_at(np.arange(start, stop, dtype=np.int64))

    def one_hot(self, start: int, stop: int, dtype=np.float32) -> np.ndarray:
        """One-hot of windows ``start..stop-1``: shape (stop - start, 4, window)."""
        return codes_to_one_hot(self.codes(start, stop), dtype)

    def sequence_of(self, start: int, stop: int) -> np.ndarray:
        """Sequence index of windows ``start..stop-1``."""
        return np.searchsorted(self.offsets, np.arange(start, stop, dtype=np.int64), side="right") - 1

    def groups_at(self, k: np.ndarray) -> np.ndarray:
        """Sequence index of the windows numbered ``k``."""
        return np.searchsorted(self.offsets, np.asarray(k, dtype=np.int64), side="right") - 1

    def groups(self) -> np.ndarray:
        """Sequence index of every window, shape (n_windows,) (for grouped splits)."""
        return np.repeat(np.arange(self.n_sequences, dtype=np.int64), self.counts)

    def iter_batches(self, batch_size: int = 1024, dtype=np.float32) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(one_hot, sequence_index)`` batches covering every window in order.

        ``one_hot`` has shape (b, 4, window); memory per batch is
        ``b * 4 * window`` values, whatever the total number of windows.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        for start in range(0, self.n_windows, batch_size):
            stop = min(start + batch_size, self.n_windows)
            yield self.one_hot(start, stop, dtype), self.sequence_of(start, stop)
