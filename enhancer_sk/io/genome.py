"""Regions of a reference genome: BED intervals read from an indexed FASTA.

Three pieces, used by the estimators (real flanks instead of ``N`` padding
for short regions) and by genome-scale scoring:

* :func:`read_bed` reads BED3 to BED6 files (plain or gzip; extra columns,
  as in narrowPeak or BED12, are ignored) into :class:`BedRegions`, with
  errors naming the file and the line.
* :class:`ReferenceGenome` opens a FASTA file (plain or BGZF-compressed) for
  random access through `pyfaidx <https://github.com/mdshw5/pyfaidx>`_,
  building its ``.fai`` index (and ``.gzi`` for BGZF) next to the file, or in
  a temporary or given folder when that one is read-only.
* :func:`fetch_regions` returns the sequences of BED regions: normalised like
  every sequence of the project (upper case, IUPAC codes as ``N``), reverse
  complemented on strand ``-``, optionally widened with the genome's real
  flanking bases (``min_length``, ``flank``); regions on unknown
  chromosomes or running off a chromosome's end are reported and skipped,
  clipped, ``N``-padded or refused (``on_out_of_bounds``).

Coordinates are BED's: 0-based, half-open (``start`` included, ``end``
excluded), so the region ``chr1 10 20`` is ``chromosome[10:20]`` in Python.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import warnings
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._validation import did_you_mean
from ..exceptions import (
    BedFormatError,
    DuplicateIdError,
    EmptyInputError,
    GenomeRegionError,
    InvalidCharacterError,
    NotFastaError,
)
from ..sequence.alphabet import reverse_complement
from ..sequence.codes import PathLike, sequence_codes
from .fasta import open_text

__all__ = [
    "BedRegions",
    "FetchReport",
    "ReferenceGenome",
    "RegionProblem",
    "RegionWarning",
    "fetch_regions",
    "read_bed",
]

STRANDS = ("+", "-", ".")
OUT_OF_BOUNDS = ("skip", "clip", "pad", "error")


class RegionWarning(UserWarning):
    """Some regions name an unknown chromosome or run off a chromosome's end."""


# ----------------------------------------------------------------------------- BED


@dataclass(frozen=True, eq=False)
class BedRegions:
    """Genome intervals (0-based, half-open), as parallel arrays.

    Attributes
    ----------
    chrom : ndarray of str (object), shape (n_regions,)
    start, end : ndarray of int64, shape (n_regions,)
        ``start`` included, ``end`` excluded.
    name : ndarray of str (object), shape (n_regions,)
        Unique names; ``chrom:start-end`` (plus ``(+)`` / ``(-)`` when the
        strand is given) when the BED file has none.
    strand : ndarray of str (object), shape (n_regions,)
        ``"+"``, ``"-"`` or ``"."`` (unknown, read as ``"+"``).
    source : str or None
        The file the regions came from (for messages).
    """

    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray
    name: np.ndarray
    strand: np.ndarray
    source: str | None = None

    def __len__(self) -> int:
        return len(self.start)

    @property
    def lengths(self) -> np.ndarray:
        """``end - start`` of every region."""
        return self.end - self.start

    def __getitem__(self, index) -> BedRegions:
        """The regions selected by an integer array, a boolean mask or a slice."""
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return BedRegions(self.chrom[index], self.start[index], self.end[index], self.name[index],
                          self.strand[index], self.source)

    @classmethod
    def from_records(cls, records: Iterable[Sequence], source: str | None = None) -> BedRegions:
        """Regions from ``(chrom, start, end[, name[, strand]])`` tuples, checked like a BED file.

        Parameters
        ----------
        records : iterable of tuples
            Each ``(chrom, start, end)``, ``(chrom, start, end, name)`` or
            ``(chrom, start, end, name, strand)``; a name of ``None`` or
            ``"."`` gets the default name.
        source : str, optional
            Where the records come from, for error messages.

        Returns
        -------
        BedRegions
        """
        where = source or "regions"
        rows = []
        for i, rec in enumerate(records):
            rec = tuple(rec)
            fields = [str(v) if v is not None else "." for v in rec[:3]]
            fields += [str(rec[3]) if len(rec) > 3 and rec[3] is not None else "."]
            fields += ["0", rec[4] if len(rec) > 4 and rec[4] is not None else "."]
            if len(rec) < 3:
                raise BedFormatError(f"{where}: record {i} has {len(rec)} fields; a region needs chrom, start, end")
            rows.append((f"record {i}", fields, len(rec) > 4))
        return _regions_from_rows(rows, where, source)


def _is_header(line: str) -> bool:
    return line.startswith("#") or line.split(None, 1)[0] in ("track", "browser")


def read_bed(path: PathLike) -> BedRegions:
    """Read a BED file (BED3 to BED6, plain or gzip-compressed).

    Columns: chrom, start, end, then optionally name, score (ignored) and
    strand; further columns (narrowPeak, BED12) are ignored.  Fields are
    tab-separated (lines without a tab are split on whitespace).  Blank
    lines and ``track``, ``browser`` and ``#`` lines are skipped.

    Parameters
    ----------
    path : str or path-like
        The BED file; gzip/bgzip compression is detected from the content.

    Returns
    -------
    BedRegions
        In file order.  A missing name (or ``"."``) becomes ``chrom:start-end``
        (with ``(+)`` / ``(-)`` appended when the strand is given, as
        ``bedtools getfasta -s``); a missing strand is ``"."``.

    Raises
    ------
    BedFormatError
        Naming the file and line: fewer than 3 columns, a non-integer
        coordinate, ``start < 0``, ``end <= start``, a strand other than
        ``+``, ``-`` or ``.``, or a file that is not text.
    DuplicateIdError
        When two regions have the same name (naming both lines).
    EmptyInputError
        When the file holds no region.
    """
    path = Path(path)
    where = repr(str(path))
    rows = []
    try:
        with open_text(path, kind="BED", error=BedFormatError, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                text = line.rstrip("\r\n")
                if not text.strip() or _is_header(text):
                    continue
                fields = text.split("\t") if "\t" in text else text.split()
                rows.append((f"line {lineno}", [f.strip() for f in fields], len(fields) >= 6))
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as err:
        raise BedFormatError(f"{where} is not a readable BED text file ({err})") from None
    return _regions_from_rows(rows, where, str(path))


def _regions_from_rows(rows, where: str, source: str | None) -> BedRegions:
    if not rows:
        raise EmptyInputError(f"{where} holds no region")
    chrom, start, end, name, strand = [], [], [], [], []
    seen: dict[str, str] = {}
    for at, fields, has_strand in rows:
        if len(fields) < 3:
            raise BedFormatError(
                f"{where} {at}: {len(fields)} column(s) {fields!r}; BED needs at least 3 "
                "tab-separated columns: chrom, start, end"
            )
        c = fields[0]
        if not c or c == ".":
            raise BedFormatError(f"{where} {at}: empty chromosome name")
        coords = []
        for label, value in (("start", fields[1]), ("end", fields[2])):
            try:
                coords.append(int(value))
            except ValueError:
                raise BedFormatError(
                    f"{where} {at}: {label} {value!r} is not an integer (BED coordinates are 0-based integers)"
                ) from None
        s, e = coords
        if s < 0:
            raise BedFormatError(f"{where} {at}: start {s} is negative (BED coordinates start at 0)")
        if e <= s:
            raise BedFormatError(
                f"{where} {at}: end {e} is not after start {s} (BED intervals are half-open, end > start)"
            )
        st = fields[5] if has_strand and len(fields) >= 6 else "."
        st = st or "."
        if st not in STRANDS:
            raise BedFormatError(f"{where} {at}: strand {st!r} is not one of '+', '-', '.'")
        n = fields[3] if len(fields) >= 4 else "."
        if not n or n == ".":
            n = f"{c}:{s}-{e}" + (f"({st})" if st != "." else "")
        if n in seen:
            raise DuplicateIdError(
                f"{where} {at}: region name {n!r} is already used at {seen[n]}; region names must be unique"
            )
        seen[n] = at
        chrom.append(c)
        start.append(s)
        end.append(e)
        name.append(n)
        strand.append(st)
    return BedRegions(
        np.asarray(chrom, dtype=object),
        np.asarray(start, dtype=np.int64),
        np.asarray(end, dtype=np.int64),
        np.asarray(name, dtype=object),
        np.asarray(strand, dtype=object),
        source,
    )


def _as_regions(regions) -> BedRegions:
    if isinstance(regions, BedRegions):
        return regions
    if isinstance(regions, (str, os.PathLike)):
        return read_bed(regions)
    return BedRegions.from_records(regions)


# ----------------------------------------------------------------------------- genome


class ReferenceGenome:
    """A reference genome FASTA opened for random access (pyfaidx).

    Parameters
    ----------
    path : str or path-like
        FASTA file, plain or compressed with ``bgzip`` (BGZF).  A plain
        gzip file cannot be read at random: recompress it with ``bgzip``.
    index_dir : str or path-like, optional
        Folder for the ``.fai`` (and ``.gzi``) index when none can be
        written next to the FASTA file.  By default the index is read or
        built next to the file; if that folder is read-only, the index is
        built in a temporary folder (removed by :meth:`close`) and a
        :class:`RegionWarning` says so.  Pass ``index_dir`` to keep it.

    Attributes
    ----------
    path : str
    index_path : str
        The ``.fai`` index in use.
    chrom_sizes : dict of str -> int
        Length of every chromosome (the first word of each FASTA header).

    Examples
    --------
    >>> with ReferenceGenome("hg38.fa") as genome:  # doctest: +SKIP
    ...     genome.fetch("chr1", 1000, 1010, strand="-")
    """

    def __init__(self, path: PathLike, *, index_dir: PathLike | None = None):
        self.path = str(path)
        self._tmpdir: str | None = None
        self._fasta = self._open(Path(path), index_dir)
        self.index_path = str(self._fasta.faidx.indexname)
        self.chrom_sizes = {k: int(v.rlen) for k, v in self._fasta.faidx.index.items()}

    def _open(self, path: Path, index_dir):
        if not path.exists():
            raise FileNotFoundError(f"no such genome FASTA file: {str(path)!r}")
        if path.is_dir():
            raise NotFastaError(f"{str(path)!r} is a directory, not a genome FASTA file")
        if not os.access(path, os.R_OK):
            raise PermissionError(f"cannot read the genome FASTA file {str(path)!r} (permission denied)")
        if index_dir is not None:
            index_dir = Path(index_dir)
            index_dir.mkdir(parents=True, exist_ok=True)
            return self._pyfaidx(path, index_dir)
        try:
            return self._pyfaidx(path, None)
        except PermissionError:
            pass
        self._tmpdir = tempfile.mkdtemp(prefix="enhancer_sk_fai_")
        # removed by close(), or when the genome is garbage-collected / at exit
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._tmpdir, ignore_errors=True)
        warnings.warn(
            f"cannot write the index of {str(path)!r} next to it (read-only folder); building it in "
            f"{self._tmpdir} for this session. Index the file once where it is writable "
            "(samtools faidx) or pass index_dir= to keep the index between runs.",
            RegionWarning,
            stacklevel=3,
        )
        try:
            return self._pyfaidx(path, Path(self._tmpdir))
        except BaseException:
            self.close()
            raise

    def _pyfaidx(self, path: Path, index_dir: Path | None):
        import pyfaidx

        kwargs = {}
        if index_dir is not None:
            kwargs["indexname"] = str(index_dir / (path.name + ".fai"))
            kwargs["gzi_indexname"] = str(index_dir / (path.name + ".gzi"))
            # reuse an up-to-date index lying next to the FASTA file
            for suffix, key in ((".fai", "indexname"), (".gzi", "gzi_indexname")):
                beside = Path(str(path) + suffix)
                target = Path(kwargs[key])
                if (beside.exists() and not target.exists()
                        and beside.stat().st_mtime >= path.stat().st_mtime):
                    shutil.copy2(beside, target)
        name = repr(str(path))
        try:
            return pyfaidx.Fasta(str(path), as_raw=True, sequence_always_upper=False, rebuild=True,
                                 build_index=True, **kwargs)
        except pyfaidx.UnsupportedCompressionFormat:
            raise NotFastaError(
                f"{name} is gzip-compressed but not with bgzip (BGZF): a genome needs random access; "
                "recompress it with `gunzip file.fa.gz && bgzip file.fa` (htslib) or decompress it"
            ) from None
        except pyfaidx.FastaIndexingError as err:
            raise NotFastaError(f"{name} cannot be indexed as a FASTA file: {err}".strip()) from None
        except UnicodeDecodeError as err:
            raise NotFastaError(f"{name} is not a FASTA text file ({err})") from None
        except ValueError as err:
            if "Duplicate key" in str(err):
                raise DuplicateIdError(f"{name}: {err} (chromosome names must be unique)") from None
            raise NotFastaError(f"{name} cannot be read as a genome FASTA file: {err}") from None
        except PermissionError:
            raise
        except OSError as err:
            if "may not be writable" in str(err):  # pyfaidx's message when it cannot write the index
                raise PermissionError(str(err)) from None
            raise NotFastaError(f"{name} cannot be read as a genome FASTA file: {err}") from None

    def __enter__(self) -> ReferenceGenome:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __contains__(self, chrom: str) -> bool:
        return chrom in self.chrom_sizes

    def __repr__(self) -> str:
        return f"ReferenceGenome({self.path!r}, {len(self.chrom_sizes)} chromosomes)"

    def close(self) -> None:
        """Close the file (and remove a temporary index)."""
        fasta = getattr(self, "_fasta", None)
        if fasta is not None:
            fasta.close()
        if self._tmpdir is not None:
            self._cleanup()
            self._tmpdir = None

    def check_chrom(self, chrom: str) -> int:
        """Length of ``chrom``; :class:`GenomeRegionError` (with a suggestion) if unknown."""
        try:
            return self.chrom_sizes[chrom]
        except KeyError:
            raise GenomeRegionError(f"chromosome {chrom!r} is not in {self.path!r}{self._hint(chrom)}") from None

    def _hint(self, chrom: str) -> str:
        for alt in (f"chr{chrom}", chrom[3:] if chrom.startswith("chr") else None):
            if alt and alt in self.chrom_sizes:
                return f"; did you mean {alt!r}? (the BED and the genome name chromosomes differently)"
        return did_you_mean(chrom, self.chrom_sizes)

    def raw(self, chrom: str, start: int, end: int) -> str:
        """Bases ``start:end`` of ``chrom`` exactly as in the file (clipped to the chromosome)."""
        size = self.check_chrom(chrom)
        start, end = max(int(start), 0), min(int(end), size)
        if end <= start:
            return ""
        try:
            return self._fasta.faidx.from_file(chrom, start + 1, end)
        except UnicodeDecodeError as err:
            raise NotFastaError(f"{self.path!r}: {chrom}:{start}-{end} holds non-text bytes ({err})") from None

    def fetch(self, chrom: str, start: int, end: int, strand: str = "+") -> str:
        """Normalised sequence of ``chrom:start-end`` (0-based, half-open) on ``strand``.

        Parameters
        ----------
        chrom : str
        start, end : int
            Must satisfy ``0 <= start < end <= chromosome length``.
        strand : {"+", "-", "."}, default="+"
            ``"-"`` returns the reverse complement.

        Returns
        -------
        str
            Upper case; IUPAC ambiguity codes become ``N``.

        Raises
        ------
        GenomeRegionError
            Unknown chromosome, or ``end`` beyond the chromosome's end.
        BedFormatError
            ``start < 0``, ``end <= start`` or an invalid strand.
        """
        ids, seqs = fetch_regions(self, [(chrom, start, end, None, strand)], on_out_of_bounds="error")
        return seqs[0]


# ----------------------------------------------------------------------------- fetching


class RegionProblem(NamedTuple):
    """A region that names an unknown chromosome or runs off a chromosome's end."""

    name: str
    chrom: str
    start: int
    end: int
    #: length of the chromosome, None when it is not in the genome
    chrom_length: int | None
    #: "skipped", "clipped" or "padded"
    action: str

    def describe(self) -> str:
        """One line: the region, what is wrong and what was done."""
        where = f"{self.name} ({self.chrom}:{self.start}-{self.end})"
        if self.chrom_length is None:
            what = f"unknown chromosome {self.chrom!r}"
        else:
            what = f"runs off the end of {self.chrom} (length {self.chrom_length})"
        return f"{where}: {what}; {self.action}"


@dataclass(frozen=True, eq=False)
class FetchReport:
    """What :func:`fetch_regions` did.

    Attributes
    ----------
    intervals : BedRegions
        For every returned sequence, the genome interval it shows (after
        widening and clipping; in ``"pad"`` mode ``start`` may be negative
        and ``end`` beyond the chromosome, where the sequence holds ``N``).
    region_offsets : ndarray of int64
        Where the original region begins in each returned sequence (read on
        its strand).
    problems : list of RegionProblem
        Regions on unknown chromosomes or off a chromosome's end.
    """

    intervals: BedRegions
    region_offsets: np.ndarray
    problems: list


def fetch_regions(
    genome: PathLike | ReferenceGenome,
    regions: PathLike | BedRegions | Iterable[Sequence],
    *,
    min_length: int | None = None,
    flank: int = 0,
    on_out_of_bounds: str = "skip",
    index_dir: PathLike | None = None,
    return_report: bool = False,
):
    """Sequences of genome regions, optionally widened with their real flanks.

    Parameters
    ----------
    genome : str, path-like or ReferenceGenome
        Genome FASTA (plain or bgzip; indexed on first use, see
        :class:`ReferenceGenome`) or an open genome.
    regions : str, path-like, BedRegions or iterable of tuples
        A BED file (see :func:`read_bed`), regions already read, or
        ``(chrom, start, end[, name[, strand]])`` tuples.
    min_length : int, optional
        Regions shorter than this are widened symmetrically to this length
        with the genome's bases around them (an odd extra base goes
        downstream, i.e. the region sits at offset ``(min_length - length) // 2``
        of the sequence on its strand, as :mod:`enhancer_sk.sequence.encoders` centres
        sequences).  For :class:`~enhancer_sk.models.nn.deepenhancer.DeepEnhancerCNN`,
        ``min_length=window`` gives every short region one window of real
        genome instead of ``N`` padding.
    flank : int, default=0
        Bases added on each side of every region (after ``min_length``).
    on_out_of_bounds : {"skip", "clip", "pad", "error"}, default="skip"
        What to do with a region on a chromosome missing from the genome, or
        whose ``end`` lies beyond its chromosome's end: ``"skip"`` leaves it
        out; ``"clip"`` keeps its part on the chromosome; ``"pad"`` fills the
        missing bases with ``N`` so that every sequence has the requested
        length (regions on unknown chromosomes or starting beyond the end
        are still left out); ``"error"`` raises :class:`GenomeRegionError`.
        Every such region is listed in a :class:`RegionWarning` and in the
        report.  Widening (``min_length``, ``flank``) past a chromosome end
        is clipped there (with ``"pad"``: padded with ``N``); that is not a
        problem of the region.
    index_dir : str or path-like, optional
        See :class:`ReferenceGenome` (ignored when ``genome`` is open).
    return_report : bool, default=False
        Also return a :class:`FetchReport`.

    Returns
    -------
    ids : ndarray of str (object), shape (n_fetched,)
        Region names, in input order (left-out regions removed).
    sequences : ndarray of str (object), shape (n_fetched,)
        Upper case, IUPAC codes as ``N``, reverse complemented on strand ``-``.
    report : FetchReport
        Only when ``return_report`` is True.

    Raises
    ------
    GenomeRegionError
        With ``on_out_of_bounds="error"``, for the first bad region; and
        when no region at all could be fetched.
    BedFormatError, DuplicateIdError, NotFastaError, FileNotFoundError
        On unreadable inputs.

    Examples
    --------
    >>> ids, X = fetch_regions("hg38.fa", "enhancers.bed", min_length=300)  # doctest: +SKIP
    """
    if on_out_of_bounds not in OUT_OF_BOUNDS:
        raise ValueError(f"on_out_of_bounds must be one of {OUT_OF_BOUNDS}, got {on_out_of_bounds!r}"
                         f"{did_you_mean(on_out_of_bounds, OUT_OF_BOUNDS)}")
    for label, value, low in (("min_length", min_length, 1), ("flank", flank, 0)):
        if value is not None and (not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low):
            raise ValueError(f"{label} must be an integer >= {low}, got {value!r}")
    regs = _as_regions(regions)
    if isinstance(genome, ReferenceGenome):
        return _fetch(genome, regs, min_length, int(flank), on_out_of_bounds, return_report)
    with ReferenceGenome(genome, index_dir=index_dir) as opened:
        return _fetch(opened, regs, min_length, int(flank), on_out_of_bounds, return_report)


def _fetch(genome: ReferenceGenome, regs: BedRegions, min_length, flank, mode, return_report):
    n = len(regs)
    lengths = regs.lengths
    extra = np.maximum((min_length or 0) - lengths, 0)
    minus = regs.strand == "-"
    # bases added before the region on its own strand: extra // 2 + flank
    upstream = extra // 2 + flank
    downstream = extra - extra // 2 + flank
    left = np.where(minus, downstream, upstream)
    right = np.where(minus, upstream, downstream)
    want_start = regs.start - left
    want_end = regs.end + right
    sizes = np.asarray([genome.chrom_sizes.get(c, -1) for c in regs.chrom.tolist()], dtype=np.int64)
    unknown = sizes < 0
    off_end = ~unknown & (regs.end > sizes)
    beyond = off_end & (regs.start >= sizes)  # nothing of the region on the chromosome

    problems: list[RegionProblem] = []
    keep = np.ones(n, dtype=bool)
    for i in np.flatnonzero(unknown | off_end).tolist():
        chrom = regs.chrom[i]
        if mode == "error":
            where = f"region {regs.name[i]!r} ({chrom}:{regs.start[i]}-{regs.end[i]})"
            src = f" of {regs.source!r}" if regs.source else ""
            if unknown[i]:
                raise GenomeRegionError(
                    f"{where}{src}: chromosome {chrom!r} is not in {genome.path!r}{genome._hint(chrom)}"
                )
            raise GenomeRegionError(
                f"{where}{src} runs off the end of {chrom} (length {sizes[i]}) in {genome.path!r}; "
                "use on_out_of_bounds='skip', 'clip' or 'pad' to fetch the other regions"
            )
        if unknown[i] or beyond[i] or mode == "skip":
            action = "skipped"
            keep[i] = False
        else:
            action = "clipped" if mode == "clip" else "padded with N"
        problems.append(RegionProblem(regs.name[i], chrom, int(regs.start[i]), int(regs.end[i]),
                                      None if unknown[i] else int(sizes[i]), action))
    if problems:
        shown = "; ".join(p.describe() for p in problems[:10])
        more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        src = f" of {regs.source!r}" if regs.source else ""
        warnings.warn(
            f"{len(problems)} region(s){src} not fully in {genome.path!r}: {shown}{more}",
            RegionWarning,
            stacklevel=3,
        )
    idx = np.flatnonzero(keep)
    if not idx.size:
        raise GenomeRegionError(f"none of the {n} region(s) lies on a chromosome of {genome.path!r}")

    got_start = np.maximum(want_start[idx], 0)
    got_end = np.minimum(want_end[idx], sizes[idx])
    raw = [genome.raw(c, s, e) for c, s, e in zip(regs.chrom[idx].tolist(), got_start.tolist(), got_end.tolist())]
    if mode == "pad":
        pad_left = (got_start - want_start[idx]).tolist()
        pad_right = (want_end[idx] - got_end).tolist()
        raw = ["N" * a + s + "N" * b for s, a, b in zip(raw, pad_left, pad_right)]
        got_start, got_end = want_start[idx], want_end[idx]
    names = regs.name[idx]
    try:
        seqs = sequence_codes(raw).to_strings()
    except InvalidCharacterError:
        for name, s in zip(names.tolist(), raw):
            try:
                sequence_codes([s])
            except InvalidCharacterError as err:
                raise InvalidCharacterError(f"region {name!r} of {genome.path!r}: {err}") from None
        raise
    is_minus = minus[idx]
    if is_minus.any():
        seqs[is_minus] = reverse_complement(seqs[is_minus])
    ids = np.asarray(names, dtype=object)
    if not return_report:
        return ids, seqs
    # offset of the region in each sequence, on its strand
    region_start = np.clip(regs.start[idx], got_start, None)
    region_end = np.minimum(regs.end[idx], got_end)
    offsets = np.where(is_minus, got_end - region_end, region_start - got_start)
    intervals = BedRegions(regs.chrom[idx], got_start, got_end, names, regs.strand[idx], regs.source)
    return ids, seqs, FetchReport(intervals, offsets.astype(np.int64), problems)
