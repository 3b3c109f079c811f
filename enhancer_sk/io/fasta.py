"""FASTA files: streamed, chunked and whole-file reading, and atomic writing.

Files may be plain, gzip or bgzip compressed (detected from their content, not
their name).  :func:`read_fasta` returns normalised sequences (upper case,
IUPAC codes as ``N``; :mod:`enhancer_sk.sequence.codes`); :func:`iter_fasta`
streams the raw records; :func:`iter_fasta_chunks` streams records of any
length (whole chromosomes) as overlapping chunks of codes in bounded memory.
Empty files, files that are not FASTA, empty records, duplicate ids and
characters that are not DNA raise the matching
:class:`~enhancer_sk.exceptions.SequenceInputError`, naming the file and the record.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..exceptions import DuplicateIdError, EmptyInputError, EmptySequenceError, InvalidCharacterError, NotFastaError
from ..sequence.alphabet import CODE_TABLE, INVALID_CODE
from ..sequence.codes import PathLike, codes_from_strings, describe_char

__all__ = [
    "FastaChunk",
    "open_binary",
    "iter_fasta",
    "iter_fasta_chunks",
    "open_text",
    "read_fasta",
    "read_fasta_records",
    "write_fasta",
]

def open_text(
    path: PathLike, *, kind: str = "FASTA", error: type[Exception] = NotFastaError, encoding: str = "ascii"
) -> io.TextIOBase:
    """Open a text input file, plain or gzip (detected from its first bytes).

    Raises ``FileNotFoundError`` for a missing file and ``error`` for a folder,
    both naming the file and the expected ``kind`` of file.
    """
    return io.TextIOWrapper(open_binary(path, kind=kind, error=error), encoding=encoding, errors="strict")


def open_binary(path: PathLike, *, kind: str = "FASTA", error: type[Exception] = NotFastaError):
    """Open an input file for reading bytes, plain or gzip (detected from its first bytes).

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
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")  # noqa: SIM115


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
        with open_binary(path) as fh:
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
                codes = CODE_TABLE[np.frombuffer(raw, dtype=np.uint8)]
                bad = np.flatnonzero(codes == INVALID_CODE)
                if bad.size:
                    ch = bytes(raw[int(bad[0]) : int(bad[0]) + 1]).decode("latin-1")
                    raise InvalidCharacterError(
                        f"record {rid!r} in {name!r} holds {describe_char(ch)} at position "
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
                        f"record {rid!r} in {name!r} holds {describe_char(ch)} inside its sequence: "
                        "only A, C, G, T, N and IUPAC codes are allowed"
                    )
        yield line


def read_fasta_records(path: PathLike) -> tuple[list[str], list[str]]:
    """Ids and raw (not normalised) sequences of a FASTA file; duplicate ids and empty records refused."""
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
    ids, seqs = read_fasta_records(path)
    try:
        sc = codes_from_strings(seqs, ids)
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
