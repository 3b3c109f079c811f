"""The DNA alphabet of the project: letters, integer codes and the reverse complement.

Every representation of a sequence in the project uses one alphabet:

* letters ``A C G T`` and ``N`` (lower case is soft-masking and reads as upper
  case; the IUPAC ambiguity codes ``R Y S W K M B D H V`` read as ``N``);
* integer codes ``A=0 C=1 G=2 T=3 N=4`` (:data:`ALPHABET` order), the input of
  every encoder, of the Enhancer-LSTMAtt embedding and of the gkm kernel;
* one-hot arrays of shape ``(..., 4, length)`` with channels in
  :data:`ALPHABET` order, ``N`` an all-zero column.

In this order the complement of a code ``c < 4`` is ``3 - c``, so the reverse
complement of a one-hot array is a flip of both its channel and its position
axis.  :func:`reverse_complement`, :func:`reverse_complement_codes` and
:func:`reverse_complement_one_hot` are the reverse complement of each
representation.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "ALPHABET",
    "IUPAC_AMBIGUITY",
    "N_CODE",
    "reverse_complement",
    "reverse_complement_codes",
    "reverse_complement_one_hot",
]

#: Bases in the order of the codes 0..3 (``N`` is code 4).
ALPHABET = "ACGT"
#: Code of ``N`` (IUPAC ambiguity codes and padding).
N_CODE = 4
#: IUPAC ambiguity codes, read as ``N``.
IUPAC_AMBIGUITY = "RYSWKMBDHVN"

#: Marks a byte that is not a base nor an IUPAC code in :data:`CODE_TABLE`.
INVALID_CODE = 255
#: byte -> code (A=0, C=1, G=2, T=3, N and IUPAC codes 4, anything else 255); either case.
CODE_TABLE = np.full(256, INVALID_CODE, dtype=np.uint8)
for _code, _base in enumerate(ALPHABET):
    CODE_TABLE[ord(_base)] = _code
    CODE_TABLE[ord(_base.lower())] = _code
for _base in IUPAC_AMBIGUITY:
    CODE_TABLE[ord(_base)] = N_CODE
    CODE_TABLE[ord(_base.lower())] = N_CODE
#: code -> upper-case letter byte
CODE_TO_BYTE = np.frombuffer(b"ACGTN", dtype=np.uint8)
#: code -> code of the complementary base (N stays N)
COMPLEMENT_CODES = np.array([3, 2, 1, 0, N_CODE], dtype=np.uint8)

_COMPLEMENT_LETTERS = str.maketrans("ACGTNacgtnRYSWKMBDHVrykmbdhv", "TGCANtgcanYRSWMKVHDByrmkvhdb")


def reverse_complement(seq):
    """Reverse complement of a sequence, or of each sequence of an array.

    Parameters
    ----------
    seq : str or list / ndarray of str
        Letters ``ACGTN`` (either case) and IUPAC codes, complemented
        accordingly (``R`` <-> ``Y``, ``K`` <-> ``M`` ...).

    Returns
    -------
    str or ndarray of str (object dtype)

    Examples
    --------
    >>> reverse_complement("AACGTN")
    'NACGTT'
    """
    if isinstance(seq, str):
        return seq.translate(_COMPLEMENT_LETTERS)[::-1]
    out = np.empty(len(seq), dtype=object)
    out[:] = [s.translate(_COMPLEMENT_LETTERS)[::-1] for s in seq]
    return out


def reverse_complement_codes(codes):
    """Reverse complement of code arrays (A=0 C=1 G=2 T=3 N=4), positions on the last axis.

    Parameters
    ----------
    codes : ndarray or torch.Tensor of integers, shape (..., length)

    Returns
    -------
    Array of the same type and shape (a torch tensor comes back as int64).

    Examples
    --------
    >>> reverse_complement_codes(np.array([0, 0, 1, 4])).tolist()
    [4, 2, 3, 3]
    """
    if hasattr(codes, "flip"):  # torch tensor
        table = _torch_complement(codes.device)
        return table[codes.long()].flip(-1)
    codes = np.asarray(codes)
    return COMPLEMENT_CODES[codes].astype(codes.dtype, copy=False)[..., ::-1]


@functools.lru_cache(maxsize=8)
def _torch_complement(device):
    import torch

    return torch.as_tensor(COMPLEMENT_CODES.astype(np.int64), device=device)


def reverse_complement_one_hot(x):
    """Reverse complement of one-hot arrays of shape (..., 4, length), channels in ``ACGT`` order.

    Parameters
    ----------
    x : ndarray or torch.Tensor

    Returns
    -------
    Array of the same type and shape (NumPy: contiguous).
    """
    if hasattr(x, "flip"):  # torch tensor
        return x.flip((-2, -1))
    return np.ascontiguousarray(np.asarray(x)[..., ::-1, ::-1])
