"""Bringing sequences of any length to one length: centre crop or N padding.

A sequence longer than ``length`` is centre-cropped (``(len - length) // 2``
bases dropped on the left, the rest on the right); a shorter one is padded
with ``N`` (``(length - len) // 2`` on the left, the rest on the right).  With
``length=None`` all sequences must have the same length.  Every encoder with a
``length`` and the Enhancer-LSTMAtt network (whose input length is fixed)
follow this policy.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import SequenceInputError
from .alphabet import N_CODE
from .codes import SequenceCodes

__all__ = ["fixed_length_codes"]


def fixed_length_codes(sc: SequenceCodes, length: int | None) -> np.ndarray:
    """Place sequences into an (n, length) uint8 code matrix (centre crop / N pad).

    Parameters
    ----------
    sc : SequenceCodes
        Validated sequences.
    length : int or None
        Target length; None requires equal lengths.

    Returns
    -------
    ndarray of uint8, shape (n, length), codes A=0 C=1 G=2 T=3 N=4.
    """
    n = len(sc)
    lengths = sc.lengths
    if length is None:
        if n and (lengths != lengths[0]).any():
            i = int(np.flatnonzero(lengths != lengths[0])[0])
            name = f"record {sc.ids[i]!r}" if sc.ids else f"sequence at index {i}"
            raise SequenceInputError(
                f"sequences differ in length ({int(lengths[0])} and {int(lengths[i])} for {name}); "
                "pass a fixed `length` to centre-crop / N-pad them"
            )
        length = int(lengths[0]) if n else 0
    length = int(length)
    if length <= 0:
        raise SequenceInputError(f"length must be a positive integer, got {length}")
    if n and (lengths == length).all():
        return sc.codes.reshape(n, length)
    out = np.full((n, length), N_CODE, dtype=np.uint8)
    crop = np.maximum(lengths - length, 0) // 2
    pad = np.maximum(length - lengths, 0) // 2
    keep = np.minimum(lengths, length)
    # every kept base: record index and position inside the output row
    rows = np.repeat(np.arange(n), keep)
    offs = np.arange(int(keep.sum())) - np.repeat(np.cumsum(keep) - keep, keep)
    src = np.repeat(sc.starts + crop, keep) + offs
    out[rows, np.repeat(pad, keep) + offs] = sc.codes[src]
    return out
