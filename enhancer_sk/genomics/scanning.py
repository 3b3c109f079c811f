"""Genome scans: score sliding windows along chromosomes or BED regions.

:func:`scan` streams over a FASTA file of any size (plain, gzip or bgzip),
cuts every record into windows of ``window`` bp every ``step`` bp, scores
them with any fitted classifier of the project (the probability of
``classes_[1]``) and writes

* a **bedGraph** of window scores (``chrom start end score``, 0-based
  half-open, one line per scored window), and
* a **BED** of enhancer calls: runs of overlapping or book-ended windows
  scoring at least ``threshold``, merged, with the maximum score and the best
  window (see :data:`CALL_COLUMNS`).

Memory stays flat in the length of the chromosomes: records are read in
chunks of ``chunk_size`` bases (:func:`enhancer_sk.io.fasta.iter_fasta_chunks`)
overlapping by ``window - 1`` bases, so every window lies whole in exactly
one chunk, and each chunk is scored in batches of ``batch_size`` windows.

Window positions, on a sequence of length ``L >= window``: ``0, step,
2 * step, ...`` up to ``L - window`` and, when ``L - window`` is not a
multiple of ``step``, also the window flush with the end (``L - window``),
so every base is covered (the convention of :mod:`enhancer_sk.sequence.windows`).
Sequences shorter than the window are skipped (counted in the summary);
windows with more than ``max_n_fraction`` of ``N`` are skipped.

Models: a :class:`~enhancer_sk.models.nn.deepenhancer.DeepEnhancerCNN` whose window is
the scan's window runs its convolutions once over each batch's stretch of
sequence and applies its dense layers at every window position
(:meth:`~enhancer_sk.models.nn.deepenhancer.DeepEnhancerCNN.window_proba`; equal to
window-by-window scoring up to float rounding).  Every other classifier
(KmerSVM, GkmSVM, EnhancerLSTMAttClassifier, pipelines ...) gets the window
strings, batch by batch, through its ``predict_proba``.

Decision values (``decision=True``): the score of a window is the model's
``decision_function`` (positive for ``classes_[1]``; for a GkmSVM, LS-GKM's
``gkmpredict`` score) instead of a probability: the way to scan with a model
that has no probabilities, such as a GkmSVM read from an LS-GKM model file.
Calls are then the windows whose decision value is at least ``threshold``
(default 0, the SVM's decision boundary).

With ``regions`` (a BED file) and an indexed genome FASTA, only the regions
are scanned, each on its strand (``-``: the reverse complement, windows
laid from the region's end); regions shorter than the window are widened to
one window with the genome's flanks; regions on unknown chromosomes or off
a chromosome's end are reported (:class:`~enhancer_sk.io.genome.RegionWarning`
and :attr:`ScanSummary.problems`) and skipped or clipped.

With ``client`` (a ``dask.distributed.Client`` or a scheduler address) the
chunks run as Dask tasks; the output is the same as on one machine.

False discovery rate (``fdr`` and ``background`` in :func:`scan`): instead of a
raw threshold, every window gets a split-conformal p-value against the scores
of background sequences (a FASTA of negatives scored with the same model and
window, :func:`~enhancer_sk.evaluation.conformal.conformal_pvalues`), and the
windows called are those Benjamini-Hochberg rejects at level ``fdr``
(:func:`~enhancer_sk.evaluation.conformal.conformal_fdr_threshold`); they are
then merged as usual.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..io.fasta import FastaChunk, iter_fasta_chunks
from ..sequence.alphabet import reverse_complement_codes
from ..sequence.codes import PathLike, codes_to_strings, sequence_codes
from ..threads import limit_threads

__all__ = [
    "CALL_COLUMNS",
    "DEFAULT_WINDOW",
    "EnhancerCall",
    "ScanSummary",
    "WindowScorer",
    "WindowScores",
    "default_window",
    "iter_window_scores",
    "merge_calls",
    "scan",
    "window_starts",
]


#: Window length for models without a fixed input length (k-mer SVMs, pipelines).
DEFAULT_WINDOW = 200

#: Columns of the calls BED file (BED9 + 2): the best window is the "thick" part.
CALL_COLUMNS = (
    "chrom", "start", "end", "name", "score", "strand", "best_start", "best_end", "itemRgb",
    "max_score", "n_windows",
)


# ----------------------------------------------------------------------------- windows


def default_window(model) -> int:
    """The window a model scores best: its input length, else :data:`DEFAULT_WINDOW`.

    ``DeepEnhancerCNN.window``; ``EnhancerLSTMAttClassifier.sequence_length_``;
    in a pipeline, the ``length`` of its first step that has one (e.g.
    ``OneHotEncoder(length=...)``); otherwise 200.
    """
    window = getattr(model, "window", None)
    if isinstance(window, (int, np.integer)) and window > 0:
        return int(window)
    try:
        length = model.sequence_length_
    except (AttributeError, TypeError):
        length = None
    if isinstance(length, (int, np.integer)) and length > 0:
        return int(length)
    for _, step in getattr(model, "steps", []):
        length = getattr(step, "length", None)
        if isinstance(length, (int, np.integer)) and length > 0:
            return int(length)
    return DEFAULT_WINDOW


def window_starts(offset: int, length: int, window: int, step: int, last: bool) -> np.ndarray:
    """Starts (in sequence coordinates) of the windows a chunk owns.

    A chunk covering ``offset .. offset + length`` of a sequence owns the
    windows ``s = k * step`` with ``offset <= s <= offset + length - window``;
    the sequence's last chunk also owns the window flush with the sequence's
    end.  With chunks overlapping by ``window - 1`` bases every window of the
    sequence is owned by exactly one chunk.

    Examples
    --------
    >>> window_starts(0, 1000, 300, 200, last=True).tolist()
    [0, 200, 400, 600, 700]
    """
    if length < window:
        return np.empty(0, dtype=np.int64)
    first = -(-offset // step) * step
    starts = np.arange(first, offset + length - window + 1, step, dtype=np.int64)
    end_start = offset + length - window
    if last and (end_start % step) and (not starts.size or starts[-1] != end_start):
        starts = np.append(starts, end_start)
    return starts


# ----------------------------------------------------------------------------- scoring


class WindowScorer:
    """Scores windows of a coded sequence with a fitted classifier (picklable; runs on Dask workers).

    Parameters
    ----------
    model : fitted classifier
        Any binary estimator with ``predict_proba`` on DNA strings; its
        ``classes_[1]`` is the enhancer class.  A two-layer model
        (:class:`~enhancer_sk.models.meta.two_layer.TwoLayerEnhancerClassifier`) scores
        with its first layer, P(enhancer).
    window : int
    batch_size : int
        Windows scored together.
    average_strands : bool
        Average the scores (probabilities or decision values) of both strands.
    share_convolutions : bool or None
        Use the model's ``window_proba`` (shared convolutions) when it has
        one and its window is ``window``; None: whenever possible (never
        with ``decision=True``).
    threads : int or None
        Threads while scoring (the model's ``threads`` too, when it has one).
    decision : bool, default=False
        Score windows by the model's ``decision_function`` (positive for
        ``classes_[1]``) instead of the probability: for binary models
        without probabilities, e.g. a GkmSVM read from an LS-GKM model file.
    """

    def __init__(self, model, window: int, batch_size: int = 1024, average_strands: bool = False,
                 share_convolutions: bool | None = None, threads: int | None = None, decision: bool = False):
        decision = bool(decision)
        shared_ok = hasattr(model, "window_proba") and getattr(model, "window", None) == window and not decision
        if share_convolutions and not shared_ok:
            raise ValueError(
                f"share_convolutions=True needs a DeepEnhancerCNN whose window is the scan's window ({window}) "
                f"and probabilities (decision=False); {type(model).__name__} has window="
                f"{getattr(model, 'window', None)!r}, decision={decision}"
            )
        if decision:
            if hasattr(model, "predict_layer_proba") or not hasattr(model, "decision_function"):
                raise TypeError(f"{type(model).__name__} has no single decision value: decision=True needs a "
                                "binary classifier with decision_function (e.g. a GkmSVM or KmerSVM)")
        elif not hasattr(model, "predict_proba"):
            hint = (" (e.g. a GkmSVM read from an LS-GKM model file): pass decision=True to scan its decision "
                    "values" if hasattr(model, "decision_function") else "")
            raise TypeError(f"{type(model).__name__} has no predict_proba{hint}; scan needs a fitted classifier "
                            "with probabilities or decision values")
        classes = getattr(model, "classes_", None)
        if classes is not None and len(classes) != 2 and not hasattr(model, "predict_layer_proba"):
            raise ValueError(f"scan needs a binary classifier (enhancer vs not); this one has {len(classes)} "
                             f"classes {list(classes)}")
        if threads is not None and "threads" in getattr(model, "__dict__", {}):
            model = copy.copy(model)  # same fitted state, another thread count
            model.threads = threads
        self.model = model
        self.window = int(window)
        self.batch_size = int(batch_size)
        self.average_strands = bool(average_strands)
        self.uses_window_proba = shared_ok
        self.shared = shared_ok if share_convolutions is None else bool(share_convolutions)
        self.threads = threads
        self.decision = decision

    def __call__(self, codes: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """P(``classes_[1]``), or the decision value, of every window ``codes[s:s + window]``, s in ``starts``."""
        starts = np.asarray(starts, dtype=np.int64)
        if not starts.size:
            return np.empty(0, dtype=np.float64)
        with limit_threads(self.threads):
            if self.uses_window_proba:
                return self.model.window_proba(codes, starts, batch_size=self.batch_size,
                                               average_strands=self.average_strands or None,
                                               shared=self.shared)
            out = np.empty(len(starts), dtype=np.float64)
            offsets = np.arange(self.window, dtype=np.int64)
            for a in range(0, len(starts), self.batch_size):
                win = codes[starts[a : a + self.batch_size, None] + offsets[None, :]]
                p = self._proba(win)
                if self.average_strands:
                    p = (p + self._proba(reverse_complement_codes(win))) / 2
                out[a : a + len(win)] = p
            return out

    def _proba(self, win: np.ndarray) -> np.ndarray:
        X = codes_to_strings(win)
        if self.decision:
            return np.asarray(self.model.decision_function(X), dtype=np.float64).reshape(-1)
        if hasattr(self.model, "predict_layer_proba"):  # two-layer model: layer 1, P(enhancer)
            return np.asarray(self.model.predict_layer_proba(X), dtype=np.float64)[:, 0]
        return np.asarray(self.model.predict_proba(X), dtype=np.float64)[:, 1]


def _score_job(scorer: WindowScorer, codes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """One chunk's scores (the task run locally or on a Dask worker)."""
    return scorer(codes, starts)


# ----------------------------------------------------------------------------- jobs


class _Job(NamedTuple):
    """Windows of one chunk of one scanned sequence (a FASTA record or a region on its strand)."""

    source: str  # record id or region name
    chrom: str
    strand: str  # "." for records
    origin: int  # genome position of sequence position 0 ("+"/"."), or the region's end ("-")
    offset: int  # sequence position of codes[0]
    codes: np.ndarray  # cropped to the windows' span
    starts: np.ndarray  # window starts relative to codes
    new_bases: int  # bases not seen in the previous chunk (progress)
    skipped_n: int  # windows skipped for N
    first: bool
    last: bool
    short: bool  # the sequence is shorter than the window


def _chunk_job(chunk: FastaChunk, source: str, chrom: str, strand: str, origin: int, window: int, step: int,
               max_n: float, previous_end: int) -> _Job:
    codes = chunk.codes
    rel = window_starts(chunk.offset, len(codes), window, step, chunk.last) - chunk.offset
    skipped = 0
    if rel.size:
        n_before = np.concatenate([[0], np.cumsum(codes == 4, dtype=np.int64)])
        n_count = n_before[rel + window] - n_before[rel]
        keep = n_count <= max_n * window
        skipped = int((~keep).sum())
        rel = rel[keep]
    lo = int(rel.min()) if rel.size else 0
    hi = int(rel.max()) + window if rel.size else 0
    end = chunk.offset + len(codes)
    return _Job(source, chrom, strand, origin, chunk.offset + lo, codes[lo:hi], rel - lo,
                end - max(previous_end, chunk.offset), skipped, chunk.offset == 0, chunk.last,
                chunk.offset == 0 and chunk.last and len(codes) < window)


def _record_jobs(fasta: PathLike, window: int, step: int, chunk_size: int, max_n: float) -> Iterator[_Job]:
    previous_end = 0
    for chunk in iter_fasta_chunks(fasta, chunk_size, window - 1):
        if chunk.offset == 0:
            previous_end = 0
        job = _chunk_job(chunk, chunk.id, chunk.id, ".", 0, window, step, max_n, previous_end)
        previous_end = chunk.offset + len(chunk.codes)
        yield job


def _scan_intervals(genome, regions, window: int) -> tuple[list, list]:
    """Regions to scan as (name, chrom, start, end, strand), and the problems found."""
    from ..io.genome import RegionProblem

    intervals, problems = [], []
    for chrom, start, end, name, strand in zip(regions.chrom.tolist(), regions.start.tolist(),
                                               regions.end.tolist(), regions.name.tolist(),
                                               regions.strand.tolist()):
        size = genome.chrom_sizes.get(chrom)
        if size is None:
            problems.append(RegionProblem(name, chrom, start, end, None, "skipped"))
            continue
        if end > size:
            action = "skipped" if start >= size else "clipped"
            problems.append(RegionProblem(name, chrom, start, end, size, action))
            if action == "skipped":
                continue
            end = size
        if end - start < window:
            if size < window:
                problems.append(RegionProblem(name, chrom, start, end, size,
                                              f"skipped (chromosome shorter than the {window} bp window)"))
                continue
            extra = window - (end - start)
            before = extra - extra // 2 if strand == "-" else extra // 2  # extra // 2 upstream on its strand
            start = min(max(start - before, 0), size - window)
            end = start + window
        intervals.append((name, chrom, start, end, strand))
    return intervals, problems


def _region_chunks(genome, chrom: str, start: int, end: int, strand: str, name: str, chunk_size: int,
                   overlap: int) -> Iterator[FastaChunk]:
    from ..exceptions import InvalidCharacterError

    length = end - start
    offset = 0
    while True:
        n = min(chunk_size, length - offset)
        a, b = (end - offset - n, end - offset) if strand == "-" else (start + offset, start + offset + n)
        raw = genome.raw(chrom, a, b)
        try:
            codes = sequence_codes([raw]).codes
        except InvalidCharacterError as err:
            raise InvalidCharacterError(f"region {name!r} ({chrom}:{a}-{b}) of {genome.path!r}: {err}") from None
        if strand == "-":
            codes = reverse_complement_codes(codes)
        last = offset + n >= length
        yield FastaChunk(name, offset, np.ascontiguousarray(codes), last)
        if last:
            return
        offset += chunk_size - overlap


def _region_jobs(genome, intervals, window: int, step: int, chunk_size: int, max_n: float) -> Iterator[_Job]:
    for name, chrom, start, end, strand in intervals:
        origin = end if strand == "-" else start
        previous_end = 0
        for chunk in _region_chunks(genome, chrom, start, end, strand, name, chunk_size, window - 1):
            yield _chunk_job(chunk, name, chrom, strand, origin, window, step, max_n, previous_end)
            previous_end = chunk.offset + len(chunk.codes)


# ----------------------------------------------------------------------------- results


class WindowScores(NamedTuple):
    """Scores of the windows of one chunk of a scanned sequence, in scan order.

    ``start`` / ``end`` are genome coordinates (0-based, half-open).  On a
    ``-`` region windows run from the region's end, so coordinates decrease.
    """

    source: str
    chrom: str
    strand: str
    start: np.ndarray
    end: np.ndarray
    score: np.ndarray


class EnhancerCall(NamedTuple):
    """Overlapping (or book-ended) windows scoring at least the threshold, merged."""

    chrom: str
    start: int
    end: int
    name: str
    strand: str
    max_score: float
    best_start: int
    best_end: int
    n_windows: int

    def bed_fields(self) -> list[str]:
        """The fields of a line of the calls BED file (:data:`CALL_COLUMNS`)."""
        return [self.chrom, str(self.start), str(self.end), self.name,
                str(int(round(1000 * min(max(self.max_score, 0.0), 1.0)))), self.strand,
                str(self.best_start), str(self.best_end), "0", f"{self.max_score:.6g}", str(self.n_windows)]


@dataclass
class ScanSummary:
    """What :func:`scan` did.

    Attributes
    ----------
    window, step : int
        Window length and step of the scan.
    sequences : int
        Records (or regions) scanned.
    bases : int
        Bases read.
    windows : int
        Windows scored.
    skipped_n : int
        Windows skipped for holding more than ``max_n_fraction`` of ``N``.
    short : list of str
        Sequences shorter than the window (not scanned).
    calls : int
        Enhancer calls written.
    problems : list of RegionProblem
        Regions on unknown chromosomes or off a chromosome's end.
    seconds : float
    fdr : float or None
        The false discovery rate of the calls (:func:`scan` with ``fdr``).
    background_windows : int
        Background windows the p-values were calibrated on (with ``fdr``).
    score_cutoff : float or None
        The score at and above which windows were called (with ``fdr``: the
        Benjamini-Hochberg cutoff, ``inf`` when nothing is called).
    """

    window: int = 0
    step: int = 0
    sequences: int = 0
    bases: int = 0
    windows: int = 0
    skipped_n: int = 0
    short: list = field(default_factory=list)
    calls: int = 0
    problems: list = field(default_factory=list)
    seconds: float = 0.0
    fdr: float | None = None
    background_windows: int = 0
    score_cutoff: float | None = None

    @property
    def bases_per_second(self) -> float:
        return self.bases / self.seconds if self.seconds > 0 else float("nan")

    @property
    def windows_per_second(self) -> float:
        return self.windows / self.seconds if self.seconds > 0 else float("nan")

    def __str__(self) -> str:
        parts = [
            f"{self.sequences} sequence(s), {self.bases:,} bp, {self.windows:,} windows of {self.window} bp "
            f"(step {self.step}) in {self.seconds:.1f} s ({self.bases_per_second:,.0f} bp/s, "
            f"{self.windows_per_second:,.0f} windows/s)",
            f"{self.calls} call(s)",
        ]
        if self.fdr is not None:
            parts[-1] += (f" at FDR {self.fdr:g} (score >= {self.score_cutoff:.6g}, p-values from "
                          f"{self.background_windows:,} background windows)")
        if self.skipped_n:
            parts.append(f"{self.skipped_n:,} window(s) skipped for N")
        if self.short:
            parts.append(f"{len(self.short)} sequence(s) shorter than the window skipped")
        if self.problems:
            parts.append(f"{len(self.problems)} region(s) not fully on the genome")
        return "; ".join(parts)


def merge_calls(blocks: Iterable[WindowScores], threshold: float = 0.5) -> Iterator[EnhancerCall]:
    """Merge the windows scoring ``>= threshold`` into calls, streaming.

    Windows of one sequence (record or region) join a call while they
    overlap or touch it (``bedtools merge`` of the windows above the
    threshold); a call never spans two sequences.  Calls are named
    ``<sequence>_<k>`` (k from 1 within each sequence).
    """
    current: list | None = None  # [chrom, start, end, strand, max, best_start, best_end, n]
    source = None
    count = 0

    def close() -> EnhancerCall:
        nonlocal current, count
        count += 1
        c, current = current, None
        return EnhancerCall(c[0], c[1], c[2], f"{source}_{count}", c[3], c[4], c[5], c[6], c[7])

    for block in blocks:
        if block.source != source:
            if current is not None:
                yield close()
            source, count = block.source, 0
        hits = np.flatnonzero(block.score >= threshold)
        for st, en, v in zip(block.start[hits].tolist(), block.end[hits].tolist(), block.score[hits].tolist()):
            if current is not None and (st > current[2] or en < current[1]):
                yield close()
            if current is None:
                current = [block.chrom, st, en, block.strand, v, st, en, 1]
                continue
            current[1], current[2] = min(current[1], st), max(current[2], en)
            current[7] += 1
            if v > current[4]:
                current[4], current[5], current[6] = v, st, en
    if current is not None:
        yield close()


# ----------------------------------------------------------------------------- driver


def _check_scan_params(window, step, batch_size, chunk_size, max_n_fraction) -> None:
    for name, value in (("window", window), ("step", step), ("batch_size", batch_size), ("chunk_size", chunk_size)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if chunk_size < window:
        raise ValueError(f"chunk_size ({chunk_size}) must be at least the window ({window}); "
                         "use chunks of many windows (e.g. 1,000,000 bp)")
    if not 0 <= max_n_fraction <= 1:
        raise ValueError(f"max_n_fraction must lie in [0, 1], got {max_n_fraction!r}")


def _fai_total(fasta: PathLike) -> int | None:
    """Total length from a ``.fai`` index next to the FASTA (for the progress bar), if any."""
    fai = Path(str(fasta) + ".fai")
    try:
        with open(fai) as fh:
            return sum(int(line.split("\t")[1]) for line in fh if line.strip())
    except (OSError, ValueError, IndexError):
        return None


def _progress(verbose: bool, total: int | None):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="bp", unit_scale=True, desc="scan", file=sys.stderr, disable=not verbose,
                smoothing=0.1, mininterval=1.0)


def iter_window_scores(
    model,
    fasta: PathLike,
    *,
    regions=None,
    window: int | None = None,
    step: int = 50,
    batch_size: int = 1024,
    threads: int | None = None,
    average_strands: bool = False,
    max_n_fraction: float = 0.1,
    chunk_size: int = 1_000_000,
    share_convolutions: bool | None = None,
    client=None,
    max_in_flight: int | None = None,
    verbose: bool = False,
    summary: ScanSummary | None = None,
    decision: bool = False,
) -> Iterator[WindowScores]:
    """Score every window of a FASTA file (or of BED regions of a genome), streaming.

    The parameters are checked when this is called; the FASTA file is read
    as the returned iterator is consumed, one :class:`WindowScores` per chunk,
    in file (or region) order.  :func:`scan` writes these scores to files.

    Parameters
    ----------
    model : fitted classifier
        Any estimator of the project (or pipeline) with ``predict_proba`` on
        DNA strings; the score of a window is the probability of
        ``classes_[1]``.  A :class:`~enhancer_sk.models.nn.deepenhancer.DeepEnhancerCNN`
        shares its convolutions between overlapping windows.
    fasta : str or path-like
        FASTA file, plain, gzip or bgzip; streamed record by record in
        chunks.  With ``regions``: the genome, plain or bgzip (indexed by
        pyfaidx on first use).
    regions : str, path-like, BedRegions or iterable of tuples, optional
        Scan only these regions (BED, 0-based half-open), each on its
        strand; see the module documentation.
    window : int, optional
        Window length; default: the model's input length
        (:func:`default_window`).
    step : int, default=50
        Distance between window starts.  For a DeepEnhancerCNN, a multiple
        of the product of its pooling sizes (4 for the default) shares the
        most work.
    batch_size : int, default=1024
        Windows scored together (memory per batch ~ ``batch_size * step``
        bases of activations).
    threads : int, optional
        CPU threads (None: ``GALAXY_SLOTS`` or all CPUs; one per task on a
        Dask cluster).
    average_strands : bool, default=False
        Average every window's probability with that of its reverse
        complement (a DeepEnhancerCNN with ``average_strands=True``
        always does).
    max_n_fraction : float, default=0.1
        Skip windows with more than this fraction of ``N`` (assembly gaps).
    chunk_size : int, default=1_000_000
        Bases per chunk (and per Dask task); memory use is proportional to
        it, not to the chromosome length.
    share_convolutions : bool, optional
        Force (True) or disable (False, window-by-window scoring, slower) the
        DeepEnhancerCNN's shared convolutions; default: whenever possible.
    client : dask.distributed.Client or str, optional
        Run the chunks as tasks on this Dask cluster (or on the scheduler at
        this address); results equal the local run's.
    max_in_flight : int, optional
        Chunks submitted to the cluster at a time (default: twice the
        workers' threads); bounds the driver's memory.
    verbose : bool, default=False
        Progress bar (bases/s) on stderr.
    summary : ScanSummary, optional
        Updated as the scan goes (its ``window`` and ``step`` set first).
    decision : bool, default=False
        Score every window by the model's ``decision_function`` (positive
        for ``classes_[1]``; a GkmSVM's is LS-GKM's score) instead of the
        probability: for binary models without probabilities, such as a
        GkmSVM read from an LS-GKM model file.  A DeepEnhancerCNN then
        scores window by window (its decision value is the logit).

    Returns
    -------
    iterator of WindowScores
    """
    window = default_window(model) if window is None else window
    _check_scan_params(window, step, batch_size, chunk_size, max_n_fraction)
    if summary is None:
        summary = ScanSummary()
    summary.window, summary.step = window, step
    if client is not None and threads is None:
        threads = 1  # one thread per task: the cluster's workers provide the parallelism
    scorer = WindowScorer(model, window, batch_size, average_strands, share_convolutions, threads, decision)
    return _window_scores(scorer, fasta, regions, step, chunk_size, max_n_fraction, client, max_in_flight,
                          verbose, summary)


def _window_scores(scorer: WindowScorer, fasta, regions, step: int, chunk_size: int, max_n_fraction: float,
                   client, max_in_flight: int | None, verbose: bool, summary: ScanSummary) -> Iterator[WindowScores]:
    window = scorer.window
    distributed = client is not None
    genome = own_client = None
    t0 = time.perf_counter()
    try:
        if isinstance(client, str):
            from .distributed import connect

            client = own_client = connect(client)
        if regions is not None:
            from ..io.genome import ReferenceGenome, RegionWarning, _as_regions

            regs = _as_regions(regions)
            genome = ReferenceGenome(fasta)
            intervals, problems = _scan_intervals(genome, regs, window)
            summary.problems.extend(problems)
            if problems:
                shown = "; ".join(p.describe() for p in problems[:10])
                more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
                warnings.warn(f"{len(problems)} region(s) not fully in {genome.path!r}: {shown}{more}",
                              RegionWarning, stacklevel=2)
            total = sum(e - s for _, _, s, e, _ in intervals)
            jobs = _region_jobs(genome, intervals, window, step, chunk_size, max_n_fraction)
        else:
            total = _fai_total(fasta)
            jobs = _record_jobs(fasta, window, step, chunk_size, max_n_fraction)
        with _progress(verbose, total) as bar:
            if distributed:
                from .distributed import map_in_order

                results = map_in_order(client, _score_job, jobs, scorer, max_in_flight=max_in_flight)
            else:
                results = ((job, _score_job(scorer, job.codes, job.starts)) for job in jobs)
            for job, scores in results:
                if job.first:
                    summary.sequences += 1
                    if job.short:
                        summary.short.append(job.source)
                summary.bases += job.new_bases
                summary.windows += len(scores)
                summary.skipped_n += job.skipped_n
                summary.seconds = time.perf_counter() - t0
                bar.update(job.new_bases)
                if not len(scores):
                    continue
                pos = job.offset + job.starts
                if job.strand == "-":
                    start = job.origin - pos - window
                else:
                    start = job.origin + pos
                yield WindowScores(job.source, job.chrom, job.strand, start, start + window, scores)
        summary.seconds = time.perf_counter() - t0
    finally:
        if genome is not None:
            genome.close()
        if own_client is not None:
            own_client.close()




def scan(
    model,
    fasta: PathLike,
    *,
    bedgraph: PathLike | None = None,
    calls: PathLike | None = None,
    threshold: float | None = None,
    decision: bool = False,
    fdr: float | None = None,
    background=None,
    pvalues: PathLike | None = None,
    **options,
) -> ScanSummary:
    """Scan a genome (or BED regions of it) with a fitted enhancer classifier.

    Parameters
    ----------
    model : fitted classifier
        As :func:`iter_window_scores`.
    fasta : str or path-like
        As :func:`iter_window_scores`.
    bedgraph : str or path-like, optional
        Output bedGraph of window scores (gzip when the name ends in
        ``.gz``).  One line per scored window: ``chrom start end score``;
        windows overlap when ``step < window`` (for a bigWig, pass
        ``step=window`` or average them with ``bedtools``).
    calls : str or path-like, optional
        Output BED of enhancer calls (columns :data:`CALL_COLUMNS`):
        windows scoring ``>= threshold`` that overlap or touch, merged; BED
        score ``round(1000 * max_score)`` (``max_score`` clipped to [0, 1]
        first: for decision values, 1000 at and beyond the SVM's margin);
        ``best_start`` / ``best_end`` (BED's thickStart / thickEnd) the best
        window; ``max_score``; ``n_windows``.
    threshold : float, optional
        Score of an enhancer call: a probability in [0, 1], default 0.5;
        with ``decision=True`` any decision value, default 0 (the decision
        boundary).
    decision : bool, default=False
        Score windows by the model's decision value instead of the
        probability (see :func:`iter_window_scores`); the bedGraph's track
        line then says ``decision values``.
    fdr : float in (0, 1), optional
        Call windows by false discovery rate instead of ``threshold`` (give
        one or the other): every window's conformal p-value against the
        ``background`` scores, ``(1 + #{background >= score}) / (n + 1)``, and
        the windows Benjamini-Hochberg rejects at level ``fdr``, merged.  The
        FDR is over windows; a window is a false discovery when it is
        background.  Valid when the genome's background windows are
        exchangeable with the background sequences (same composition and
        length distribution: e.g. GC-matched negatives of the same window).
        The smallest p-value is ``1 / (n + 1)``: calling among ``m`` windows
        needs ``n`` of the order of ``m / fdr`` background windows or strong
        enhancers in number.  The window scores are held in memory until
        the scan ends (about 24 bytes per window).
    background : str, path-like or sequences, optional
        With ``fdr``: background (negative) sequences, a FASTA path or
        strings, scored like the genome (same model, window, strands,
        ``max_n_fraction``) in non-overlapping windows (sequences shorter than
        the window are skipped).
    pvalues : str or path-like, optional
        With ``fdr``: output bedGraph of the window p-values.
    **options
        The scan settings of :func:`iter_window_scores`: ``regions``,
        ``window``, ``step``, ``batch_size``, ``threads``, ``average_strands``,
        ``max_n_fraction``, ``chunk_size``, ``share_convolutions``, ``client``,
        ``max_in_flight``, ``verbose``.

    Returns
    -------
    ScanSummary

    Examples
    --------
    >>> summary = scan(model, "hg38.fa.gz", bedgraph="scores.bedgraph", calls="calls.bed")  # doctest: +SKIP
    """
    from ..io.files import atomic_open

    if fdr is not None:
        if threshold is not None:
            raise ValueError("give threshold or fdr, not both: with fdr, windows are called by their p-values")
        if isinstance(fdr, bool) or not isinstance(fdr, (int, float, np.floating)) or not 0 < fdr < 1:
            raise ValueError(f"fdr must be a number in (0, 1), got {fdr!r}")
        if background is None:
            raise ValueError("fdr needs background sequences (negatives) to calibrate the window p-values on")
    elif background is not None or pvalues is not None:
        raise ValueError("background and pvalues go with fdr (calls by false discovery rate)")
    else:
        if threshold is None:
            threshold = 0.0 if decision else 0.5
        if decision:
            if not np.isfinite(threshold):
                raise ValueError(f"threshold must be a finite decision value, got {threshold!r}")
        elif not 0 <= threshold <= 1:
            raise ValueError(f"threshold must lie in [0, 1] (a probability), got {threshold!r}; decision values "
                             "(decision=True) take any threshold")
    summary = ScanSummary()
    blocks = iter_window_scores(model, fasta, summary=summary, decision=decision, **options)  # checks the options
    null_scores = None
    if fdr is not None:
        from ..evaluation.conformal import conformal_fdr_threshold

        null_scores = _background_scores(model, background, summary.window, decision, options)
        blocks = list(blocks)  # Benjamini-Hochberg needs every window's p-value
        scores = np.concatenate([b.score for b in blocks]) if blocks else np.empty(0)
        threshold = conformal_fdr_threshold(null_scores, scores, fdr)
        summary.fdr, summary.background_windows, summary.score_cutoff = float(fdr), len(null_scores), threshold
    with contextlib.ExitStack() as outputs:  # the files appear complete, or none
        graph = outputs.enter_context(atomic_open(bedgraph)) if bedgraph is not None else None
        bed = outputs.enter_context(atomic_open(calls)) if calls is not None else None
        pgraph = outputs.enter_context(atomic_open(pvalues)) if pvalues is not None else None
        if graph is not None:
            kind = ", decision values" if decision else ""
            graph.write(f'track type=bedGraph name="enhancer_sk scan" description="window {summary.window} bp, '
                        f'step {summary.step}{kind}"\n')
        if pgraph is not None:
            pgraph.write(f'track type=bedGraph name="enhancer_sk scan p-values" description="window '
                         f'{summary.window} bp, step {summary.step}, conformal p-values against '
                         f'{summary.background_windows} background windows"\n')
            blocks = _write_pvalues(blocks, pgraph, null_scores)
        if bed is not None:
            bed.write("#" + "\t".join(CALL_COLUMNS) + "\n")
        for call in merge_calls(_write_blocks(blocks, graph), threshold):
            summary.calls += 1
            if bed is not None:
                bed.write("\t".join(call.bed_fields()) + "\n")
    return summary


def _background_scores(model, background, window: int, decision: bool, options: dict) -> np.ndarray:
    """Scores of the background sequences' non-overlapping windows, scored as the genome's windows are."""
    seqs = sequence_codes(background)
    starts = [s + np.arange(0, n - window + 1, window, dtype=np.int64) for s, n in zip(seqs.starts, seqs.lengths)]
    starts = np.concatenate(starts) if starts else np.empty(0, dtype=np.int64)
    n_before = np.concatenate([[0], np.cumsum(seqs.codes == 4, dtype=np.int64)])
    starts = starts[n_before[starts + window] - n_before[starts] <= options.get("max_n_fraction", 0.1) * window]
    if not len(starts):
        raise ValueError(f"no background window to calibrate on: no background sequence of {window} bp or more "
                         "(with few enough N)")
    scorer = WindowScorer(model, window, options.get("batch_size", 1024), options.get("average_strands", False),
                          options.get("share_convolutions"), options.get("threads"), decision)
    return scorer(seqs.codes, starts)


def _write_pvalues(blocks: Iterable[WindowScores], graph, null_scores: np.ndarray) -> Iterator[WindowScores]:
    from ..evaluation.conformal import conformal_pvalues

    for block in blocks:
        p = conformal_pvalues(null_scores, None, block.score)
        graph.write("".join(f"{block.chrom}\t{s}\t{e}\t{v:.6g}\n" for s, e, v in
                            zip(block.start.tolist(), block.end.tolist(), p.tolist())))
        yield block


def _write_blocks(blocks: Iterable[WindowScores], graph) -> Iterator[WindowScores]:
    for block in blocks:
        if graph is not None:
            chrom = block.chrom
            graph.write("".join(f"{chrom}\t{s}\t{e}\t{v:.6g}\n" for s, e, v in
                                zip(block.start.tolist(), block.end.tolist(), block.score.tolist())))
        yield block
