"""Sequence input: FASTA files, labelled data and in-memory sequences.

This module owns every input format of the project.  Whatever an estimator,
transformer or command receives as ``X`` goes through :func:`as_sequences` (or
its lower-level twin :func:`sequence_codes`), so the rules below hold everywhere:

* ``X`` is a list / tuple / 1-D NumPy array (or ``(n, 1)`` column) of strings,
  or the path of a FASTA file (plain or gzip-compressed, detected from its
  content, not its name).
* Lower-case letters are soft-masking: they are upper-cased.
* IUPAC ambiguity codes (``R Y S W K M B D H V``) and ``N`` become ``N``.
* Anything else (digits, protein letters, ``U``, gaps, spaces inside a
  sequence, non-ASCII text) raises :class:`~enhancer_sk.exceptions.InvalidCharacterError`
  naming the record and the character.
* Empty sequences, empty files, files that are not FASTA and duplicate ids
  raise the matching subclass of :class:`~enhancer_sk.exceptions.SequenceInputError`.

Sequences may have different lengths; encoders decide how to bring them to a
fixed length (see :mod:`enhancer_sk.encoding`).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, Union

import numpy as np

from .exceptions import (
    DuplicateIdError,
    EmptyInputError,
    EmptySequenceError,
    InvalidCharacterError,
    MissingLabelError,
    NotFastaError,
    SequenceInputError,
    SingleClassError,
)

__all__ = [
    "ALPHABET",
    "IUPAC_AMBIGUITY",
    "as_sequences",
    "FastaChunk",
    "check_training_labels",
    "codes_to_strings",
    "iter_fasta",
    "iter_fasta_chunks",
    "open_text",
    "is_sequence_path",
    "read_class_fastas",
    "read_fasta",
    "read_labelled_fasta",
    "sequence_codes",
    "write_fasta",
]

PathLike = Union[str, os.PathLike]  # noqa: UP007 - runtime alias on Python 3.10
SequencesLike = Union[PathLike, Sequence[str], np.ndarray]  # noqa: UP007

#: Bases in the order of the internal codes 0..3 (N is code 4).
ALPHABET = "ACGT"
#: IUPAC ambiguity codes, read as N.
IUPAC_AMBIGUITY = "RYSWKMBDHVN"

_INVALID = 255
#: byte -> code (A=0, C=1, G=2, T=3, N/IUPAC=4, anything else 255)
_CODE_TABLE = np.full(256, _INVALID, dtype=np.uint8)
for _i, _b in enumerate(ALPHABET):
    _CODE_TABLE[ord(_b)] = _i
    _CODE_TABLE[ord(_b.lower())] = _i
for _b in IUPAC_AMBIGUITY:
    _CODE_TABLE[ord(_b)] = 4
    _CODE_TABLE[ord(_b.lower())] = 4
#: code -> upper-case byte
_CODE_TO_BYTE = np.frombuffer(b"ACGTN", dtype=np.uint8)


def _describe_char(ch: str) -> str:
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

    def to_strings(self) -> np.ndarray:
        """Return the normalised sequences as a 1-D object array of ``str``."""
        text = _CODE_TO_BYTE[self.codes].tobytes().decode("ascii")
        ends = self.starts + self.lengths
        out = np.empty(len(self), dtype=object)
        out[:] = [text[s:e] for s, e in zip(self.starts.tolist(), ends.tolist())]
        return out


def _codes_from_strings(seqs: Sequence[str], ids: Sequence[str] | None = None) -> SequenceCodes:
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
            f"{_record_name(ids, i)} holds {_describe_char(text[err.start])} at position "
            f"{err.start - starts[i] + 1}: only A, C, G, T, N and IUPAC codes are allowed"
        ) from None
    codes = _CODE_TABLE[np.frombuffer(raw, dtype=np.uint8)]
    bad = np.flatnonzero(codes == _INVALID)
    if bad.size:
        pos = int(bad[0])
        i = int(np.searchsorted(starts, pos, side="right") - 1)
        raise InvalidCharacterError(
            f"{_record_name(ids, i)} holds {_describe_char(text[pos])} at position "
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
        ids, seqs = _read_fasta_raw(X)
        return _codes_from_strings(seqs, ids)
    seqs = _as_string_list(X)
    if not seqs:
        raise EmptyInputError("no sequences given (empty input)")
    return _codes_from_strings(seqs)


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


# ----------------------------------------------------------------------------- FASTA


def open_text(
    path: PathLike, *, kind: str = "FASTA", error: type[Exception] = NotFastaError, encoding: str = "ascii"
) -> io.TextIOBase:
    """Open a text input file, plain or gzip (detected from its first bytes).

    Raises ``FileNotFoundError`` for a missing file and ``error`` for a folder,
    both naming the file and the expected ``kind`` of file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such {kind} file: {str(path)!r}")
    if path.is_dir():
        raise error(f"{str(path)!r} is a directory, not a {kind} file")
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding=encoding, errors="strict")
    return open(path, encoding=encoding, errors="strict")


def iter_fasta(path: PathLike) -> Iterator[tuple[str, str]]:
    """Yield ``(id, raw sequence)`` pairs from a FASTA file, streaming.

    The file is parsed with Biopython; it may be plain or gzip/bgzip compressed.
    Sequences are *not* normalised here (see :func:`read_fasta`).  Raises
    :class:`NotFastaError` if the first non-blank line is not a ``>`` header or
    the file is not text, and :class:`EmptyInputError` if it has no record.
    """
    from Bio.SeqIO.FastaIO import SimpleFastaParser

    name = str(path)
    try:
        with open_text(path) as handle:
            first = ""
            for line in handle:
                if line.strip():
                    first = line
                    break
            if not first:
                raise EmptyInputError(f"FASTA file {name!r} is empty")
            if not first.startswith(">"):
                raise NotFastaError(
                    f"{name!r} is not a FASTA file: the first line should start with '>' "
                    f"but is {first.strip()[:40]!r}"
                )
            handle_rest = _checked_lines(name, first, handle)
            n = 0
            for title, seq in SimpleFastaParser(handle_rest):
                rid = title.split(None, 1)[0] if title.strip() else ""
                if not rid:
                    raise NotFastaError(f"{name!r}: record {n + 1} has an empty header")
                n += 1
                yield rid, seq
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as err:
        raise NotFastaError(f"{name!r} is not a readable FASTA text file ({err})") from None


class FastaChunk(NamedTuple):
    """A stretch of one FASTA record, from :func:`iter_fasta_chunks`."""

    #: record id (first word of the header)
    id: str
    #: 0-based position of ``codes[0]`` in the record
    offset: int
    #: codes A=0 C=1 G=2 T=3 N=4 (uint8)
    codes: np.ndarray
    #: True for the record's last chunk (``offset + len(codes)`` is then the record length)
    last: bool


def _open_binary(path: PathLike):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such FASTA file: {str(path)!r}")
    if path.is_dir():
        raise NotFastaError(f"{str(path)!r} is a directory, not a FASTA file")
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _fasta_pieces(fh, name: str, block_size: int) -> Iterator[tuple[bool, bytes]]:
    """``(True, header)`` and ``(False, sequence bytes)`` pieces of a binary FASTA stream.

    Reads fixed-size blocks, so a record on one very long line costs no more
    memory than a wrapped one.  Sequence pieces may still hold line breaks.
    """
    pending = b""
    at_line_start = True
    seen_header = False
    while True:
        block = fh.read(block_size)
        eof = not block
        data = pending + block
        pending = b""
        pos, n = 0, len(data)
        while pos < n:
            if at_line_start and data[pos] == 0x3E:  # ">"
                nl = data.find(b"\n", pos)
                if nl < 0 and not eof:
                    pending = data[pos:]
                    break
                end = n if nl < 0 else nl
                seen_header = True
                yield True, data[pos + 1 : end]
                pos = end + 1
                continue
            nxt = data.find(b"\n>", pos)
            stop = n if nxt < 0 else nxt + 1
            piece = data[pos:stop]
            if not seen_header:
                if piece.strip():
                    raise NotFastaError(
                        f"{name!r} is not a FASTA file: the first line should start with '>' "
                        f"but is {piece.strip().splitlines()[0][:40]!r}"
                    )
            else:
                yield False, piece
            at_line_start = piece.endswith(b"\n")
            pos = stop
        if eof:
            return


def iter_fasta_chunks(
    path: PathLike, chunk_size: int = 1_000_000, overlap: int = 0, *, block_size: int = 1 << 20
) -> Iterator[FastaChunk]:
    """Stream a FASTA file as overlapping chunks of codes, record by record.

    Memory stays bounded by ``chunk_size`` whatever the length of a record
    (a whole chromosome, wrapped or on one line), so genome-scale scans run
    in flat memory.  Plain, gzip and bgzip files are read (compression
    detected from the content).

    Parameters
    ----------
    path : str or path-like
        FASTA file.
    chunk_size : int, default=1_000_000
        Bases per chunk (the record's last chunk may be shorter; a record
        shorter than this is one chunk).
    overlap : int, default=0
        Bases shared by consecutive chunks of a record: a chunk starts
        ``chunk_size - overlap`` bases after the previous one (e.g.
        ``window - 1`` so that every window lies whole in some chunk).
    block_size : int, default=1 MiB
        Bytes read at a time.

    Yields
    ------
    FastaChunk
        ``(id, offset, codes, last)``; codes upper-cased, IUPAC codes as N.

    Raises
    ------
    EmptyInputError, NotFastaError, EmptySequenceError, DuplicateIdError, InvalidCharacterError
        As :func:`read_fasta`, naming the record (and the position of a bad character).
    """
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if not isinstance(overlap, (int, np.integer)) or not 0 <= overlap < chunk_size:
        raise ValueError(f"overlap must be an integer in [0, chunk_size), got {overlap!r}")
    name = str(path)
    seen: set[str] = set()
    rid: str | None = None
    pieces: list[np.ndarray] = []
    buffered = 0
    offset = 0  # record position of the first buffered base
    read = 0  # bases of the current record read so far

    def flush(final: bool) -> Iterator[FastaChunk]:
        nonlocal pieces, buffered, offset
        while buffered > chunk_size or (final and buffered):
            codes = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
            if final and buffered <= chunk_size:
                pieces, buffered = [], 0
                yield FastaChunk(rid, offset, codes, True)
                return
            yield FastaChunk(rid, offset, codes[:chunk_size], False)
            keep = codes[chunk_size - overlap :]
            pieces, buffered = [keep], len(keep)
            offset += chunk_size - overlap

    try:
        with _open_binary(path) as fh:
            for is_header, piece in _fasta_pieces(fh, name, block_size):
                if is_header:
                    if rid is not None:
                        if read == 0:
                            raise EmptySequenceError(f"record {rid!r} in {name!r} is an empty sequence")
                        yield from flush(True)
                    title = piece.decode("ascii").strip()
                    if not title:
                        raise NotFastaError(f"{name!r}: record {len(seen) + 1} has an empty header")
                    rid = title.split(None, 1)[0]
                    if rid in seen:
                        raise DuplicateIdError(f"duplicate record id {rid!r} in {name!r}")
                    seen.add(rid)
                    pieces, buffered, offset, read = [], 0, 0, 0
                    continue
                raw = piece.translate(None, b"\r\n")
                if not raw:
                    continue
                codes = _CODE_TABLE[np.frombuffer(raw, dtype=np.uint8)]
                bad = np.flatnonzero(codes == _INVALID)
                if bad.size:
                    ch = bytes(raw[int(bad[0]) : int(bad[0]) + 1]).decode("latin-1")
                    raise InvalidCharacterError(
                        f"record {rid!r} in {name!r} holds {_describe_char(ch)} at position "
                        f"{read + int(bad[0]) + 1}: only A, C, G, T, N and IUPAC codes are allowed"
                    )
                pieces.append(codes)
                buffered += len(codes)
                read += len(codes)
                yield from flush(False)
            if rid is None:
                raise EmptyInputError(f"FASTA file {name!r} is empty")
            if read == 0:
                raise EmptySequenceError(f"record {rid!r} in {name!r} is an empty sequence")
            yield from flush(True)
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as err:
        raise NotFastaError(f"{name!r} is not a readable FASTA text file ({err})") from None


def codes_to_strings(codes: np.ndarray) -> np.ndarray:
    """Sequences of a 2-D code matrix (A=0 C=1 G=2 T=3 N=4) as a 1-D object array of ``str``."""
    codes = np.asarray(codes, dtype=np.uint8)
    if codes.ndim != 2:
        raise ValueError(f"codes must be a 2-D (n, length) array, got shape {codes.shape}")
    n, length = codes.shape
    text = _CODE_TO_BYTE[codes].tobytes().decode("ascii")
    out = np.empty(n, dtype=object)
    out[:] = [text[i * length : (i + 1) * length] for i in range(n)]
    return out


def _checked_lines(name: str, first: str, handle) -> Iterator[str]:
    """Yield the file's lines, refusing whitespace inside sequence lines.

    Biopython's parser silently deletes spaces inside sequences; a space there
    usually means a damaged file, so it is an error naming the record.
    """
    yield first
    rid = first[1:].split(None, 1)[0] if first[1:].strip() else "?"
    for line in handle:
        if line.startswith(">"):
            rid = line[1:].split(None, 1)[0] if line[1:].strip() else "?"
        else:
            body = line.strip()
            for ch in (" ", "\t"):
                if ch in body:
                    raise InvalidCharacterError(
                        f"record {rid!r} in {name!r} holds {_describe_char(ch)} inside its sequence: "
                        "only A, C, G, T, N and IUPAC codes are allowed"
                    )
        yield line


def _read_fasta_raw(path: PathLike) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    seqs: list[str] = []
    seen: set[str] = set()
    for rid, seq in iter_fasta(path):
        if rid in seen:
            raise DuplicateIdError(f"duplicate record id {rid!r} in {str(path)!r}")
        seen.add(rid)
        if not seq:
            raise EmptySequenceError(f"record {rid!r} in {str(path)!r} is an empty sequence")
        ids.append(rid)
        seqs.append(seq)
    return ids, seqs


def read_fasta(path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a FASTA file (plain or gzip) into ids and normalised sequences.

    Parameters
    ----------
    path : str or path-like
        The FASTA file.  Compression is detected from the content.

    Returns
    -------
    ids : ndarray of str, shape (n_records,)
        The first word of each header.
    sequences : ndarray of str, shape (n_records,)
        Upper-cased sequences, IUPAC ambiguity codes replaced by ``N``.

    Raises
    ------
    EmptyInputError, NotFastaError, EmptySequenceError, DuplicateIdError, InvalidCharacterError
        On the matching defect, naming the file and the record.
    """
    ids, seqs = _read_fasta_raw(path)
    try:
        sc = _codes_from_strings(seqs, ids)
    except InvalidCharacterError as err:
        raise InvalidCharacterError(f"{err} (in {str(path)!r})") from None
    return np.asarray(ids, dtype=object), sc.to_strings()


def write_fasta(path: PathLike, ids: Iterable[str], sequences: Iterable[str], *, width: int = 0) -> None:
    """Write sequences to a FASTA file (gzip when the name ends in ``.gz``).

    The file is written to a temporary name and renamed at the end, so a failure
    leaves no partial output.  ``width=0`` writes each sequence on one line.
    """
    from .files import atomic_open

    with atomic_open(path) as fh:
        for rid, seq in zip(ids, sequences):
            fh.write(f">{rid}\n")
            if width and width > 0:
                for k in range(0, len(seq), width):
                    fh.write(seq[k : k + width] + "\n")
            else:
                fh.write(seq + "\n")


# ----------------------------------------------------------------------------- labels


def _parse_label(values: list[str]) -> np.ndarray:
    """Labels as int when every value is an integer, else as strings."""
    try:
        return np.asarray([int(v) for v in values], dtype=np.int64)
    except ValueError:
        return np.asarray(values, dtype=object)


def read_labelled_fasta(fasta: PathLike, labels: PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read a FASTA file and a two-column TSV of ``id<TAB>label``.

    The TSV may start with a header line (first field ``id``, ``record_id``,
    ``sequence_id`` or ``name``) and may hold ``#`` comment lines.  Labels that
    are all integers are returned as ``int64``, otherwise as strings.  Ids in
    the TSV that are not in the FASTA are ignored.

    Returns
    -------
    ids, sequences, y : ndarray
        In FASTA order.

    Raises
    ------
    MissingLabelError
        When a FASTA record has no label (naming the first such id).
    DuplicateIdError
        When the TSV gives one id twice.
    """
    ids, seqs = read_fasta(fasta)
    table: dict[str, str] = {}
    with open(labels, newline="", encoding="utf-8") as fh:
        for lineno, row in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if not row or not "".join(row).strip() or row[0].startswith("#"):
                continue
            if len(row) < 2:
                raise MissingLabelError(
                    f"{str(labels)!r} line {lineno}: expected two tab-separated columns (id, label), got {row!r}"
                )
            rid, label = row[0].strip(), row[1].strip()
            if lineno == 1 and rid.lower() in {"id", "record_id", "sequence_id", "name"}:
                continue
            if rid in table:
                raise DuplicateIdError(f"{str(labels)!r} line {lineno}: id {rid!r} is labelled twice")
            table[rid] = label
    missing = [rid for rid in ids if rid not in table]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise MissingLabelError(f"record {missing[0]!r}{more} of {str(fasta)!r} has no label in {str(labels)!r}")
    y = _parse_label([table[rid] for rid in ids])
    return ids, seqs, y


def read_class_fastas(files: Mapping[object, PathLike]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read one FASTA file per class.

    Parameters
    ----------
    files : mapping of label -> FASTA path
        For example ``{"enhancer": "pos.fa", "background": "neg.fa"}`` or
        ``{1: "pos.fa", 0: "neg.fa"}``.

    Returns
    -------
    ids, sequences, y : ndarray
        Records in mapping order, then file order.

    Raises
    ------
    DuplicateIdError
        When one id appears in two files.
    """
    all_ids, all_seqs, all_y = [], [], []
    seen: dict[str, str] = {}
    for label, path in files.items():
        ids, seqs = read_fasta(path)
        for rid in ids:
            if rid in seen:
                raise DuplicateIdError(f"record id {rid!r} appears in both {seen[rid]!r} and {str(path)!r}")
            seen[rid] = str(path)
        all_ids.extend(ids)
        all_seqs.extend(seqs)
        all_y.extend([label] * len(ids))
    if all(isinstance(v, (int, np.integer)) for v in files):
        y = np.asarray(all_y, dtype=np.int64)
    else:
        y = np.asarray(all_y, dtype=object)
    return np.asarray(all_ids, dtype=object), np.asarray(all_seqs, dtype=object), y


def check_training_labels(y, *, n_samples: int | None = None) -> np.ndarray:
    """Check training labels: 1-D, one per sample, at least two classes.

    Returns the labels as a 1-D array.  Raises :class:`SingleClassError` when
    fewer than two classes are present and :class:`SequenceInputError` when the
    count does not match ``n_samples``.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise SequenceInputError(f"labels must be 1-D, got shape {y.shape}")
    if n_samples is not None and len(y) != n_samples:
        raise SequenceInputError(f"{n_samples} sequences but {len(y)} labels")
    classes = np.unique(y)
    if len(classes) < 2:
        only = f" (only {classes[0].item()!r})" if len(classes) else ""
        raise SingleClassError(
            f"training data must hold at least two classes, got {len(classes)} class{only}"
        )
    return y
