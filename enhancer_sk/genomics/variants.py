"""Variant effects: how much a SNV or indel changes a window's enhancer score.

For every ALT allele of every VCF record, :func:`score_variants` scores two
windows of the model's length taken from an indexed genome FASTA: the
reference window, centred on the REF allele, and the alternate window, the
same genome with ALT in place of REF, centred on ALT (an indel shifts the
flanks so that both windows keep the model's length).  It reports the
reference score, the alternate score, their difference (alt - ref) and the
log-odds ratio ``logit(alt) - logit(ref)``, as a TSV (:data:`TSV_COLUMNS`)
and, optionally, as INFO fields of a copy of the VCF (:data:`INFO_FIELDS`).

The VCF is read with `pysam <https://github.com/pysam-developers/pysam>`_
(optional extra ``variants``): plain, bgzip or BCF.  The genome is read
through :class:`~enhancer_sk.io.genome.ReferenceGenome` (pyfaidx).

Every allele gets a ``status``:

``ok``
    Scored.  Windows running off a chromosome's end are padded with ``N``.
``ref_mismatch``
    REF differs from the genome at that position (column ``genome_ref``
    shows the genome's bases): not scored, since the two windows would not
    differ by the variant alone.
``unknown_chrom``, ``off_chrom``
    The chromosome is not in the genome, or the variant lies beyond its end.
``symbolic``
    ALT is symbolic (``<DEL>``, ``*``, a breakend, ``.``): no sequence to score.
``too_long``
    REF or ALT is longer than the window.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..models._proba import logit
from ..sequence.alphabet import ALPHABET, IUPAC_AMBIGUITY
from ..sequence.codes import PathLike, sequence_codes
from .scanning import WindowScorer, default_window

__all__ = [
    "INFO_FIELDS",
    "TSV_COLUMNS",
    "VariantEffect",
    "iter_variant_effects",
    "score_variants",
    "write_variant_tsv",
]


#: Columns of the TSV written by :func:`score_variants`.
TSV_COLUMNS = ("chrom", "pos", "id", "ref", "alt", "ref_score", "alt_score", "diff", "log_odds_ratio", "status",
               "genome_ref")

#: INFO fields added to the annotated VCF: (id, Number, Type, description).
INFO_FIELDS = (
    ("ESK_REF", "1", "Float", "enhancer_sk: enhancer score of the window centred on REF"),
    ("ESK_ALT", "A", "Float", "enhancer_sk: enhancer score of the window centred on each ALT"),
    ("ESK_DIFF", "A", "Float", "enhancer_sk: ALT score minus REF score"),
    ("ESK_LOR", "A", "Float", "enhancer_sk: log-odds ratio logit(ALT score) - logit(REF score)"),
    ("ESK_STATUS", "A", "String", "enhancer_sk: ok, ref_mismatch, unknown_chrom, off_chrom, symbolic or too_long"),
)


class VariantEffect(NamedTuple):
    """The scores of one ALT allele (one row of the TSV)."""

    chrom: str
    #: 1-based position, as in the VCF
    pos: int
    id: str
    ref: str
    alt: str
    ref_score: float
    alt_score: float
    diff: float
    log_odds_ratio: float
    status: str
    #: the genome's bases at REF's position (differs from ``ref`` on a mismatch)
    genome_ref: str


def _pysam():
    try:
        import pysam
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("reading VCF files needs pysam: pip install 'enhancer_sk[variants]'") from err
    return pysam


def _window(genome, chrom: str, start: int, ref_len: int, allele: str, window: int) -> str:
    """Genome around ``start .. start + ref_len`` with ``allele`` in place of it, centred, ``window`` long."""
    left = (window - len(allele)) // 2
    right = window - len(allele) - left
    a, b = start - left, start + ref_len + right
    before = genome.raw(chrom, a, start)
    after = genome.raw(chrom, start + ref_len, b)
    before = "N" * (left - len(before)) + before
    after = after + "N" * (right - len(after))
    return before + allele + after


def _symbolic(alt: str) -> bool:
    """ALT without a sequence: ``<DEL>``, ``*``, ``.``, breakends (or anything but bases)."""
    return not alt or not set(alt.upper()) <= set(ALPHABET + IUPAC_AMBIGUITY)


def _normalised(allele: str) -> str:
    """Upper case, IUPAC ambiguity codes as N (as the genome's bases are read)."""
    return allele.upper().translate(_TO_N)


_TO_N = str.maketrans(IUPAC_AMBIGUITY, "N" * len(IUPAC_AMBIGUITY))


def _open_vcf(vcf: PathLike):
    pysam = _pysam()
    path = os.fspath(vcf)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such VCF file: {path!r}")
    try:
        return pysam.VariantFile(path)
    except (OSError, ValueError) as err:
        raise ValueError(f"{path!r} is not a readable VCF/BCF file ({err})") from None


def _records_with_effects(model, records, genome, window: int, scorer: WindowScorer,
                          batch_size: int) -> Iterator[tuple]:
    """Yield ``(record, [VariantEffect per ALT])`` in VCF order, scoring windows in batches."""
    pending: list = []  # (record, rows); a row is a dict with window indices
    windows: list[str] = []

    def flush():
        nonlocal pending, windows
        scores = np.empty(0)
        if windows:
            codes = sequence_codes(windows).codes
            scores = scorer(codes, np.arange(len(windows), dtype=np.int64) * window)
        for record, rows in pending:
            effects = []
            for r in rows:
                if r["status"] == "ok":
                    ref_s, alt_s = float(scores[r["ref_i"]]), float(scores[r["alt_i"]])
                    diff = alt_s - ref_s
                    lor = float(logit(alt_s) - logit(ref_s))
                else:
                    ref_s = alt_s = diff = lor = float("nan")
                effects.append(VariantEffect(record.chrom, int(record.pos), record.id or ".", record.ref, r["alt"],
                                             ref_s, alt_s, diff, lor, r["status"], r["genome_ref"]))
            yield record, effects
        pending, windows = [], []

    for record in records:
        chrom, start, ref = record.chrom, int(record.start), _normalised(record.ref or "N")
        alts = record.alts or (".",)
        size = genome.chrom_sizes.get(chrom)
        genome_ref = ""
        status = "ok"
        if size is None:
            status = "unknown_chrom"
        elif start + len(ref) > size:
            status = "off_chrom"
        else:
            genome_ref = sequence_codes([genome.raw(chrom, start, start + len(ref))]).to_strings()[0]
            if genome_ref != ref:
                status = "ref_mismatch"
            elif len(ref) > window:
                status = "too_long"
        rows = []
        ref_i = None
        for alt in alts:
            row = {"alt": alt, "genome_ref": genome_ref, "status": status}
            if status == "ok":
                if _symbolic(alt):
                    row["status"] = "symbolic"
                elif len(alt) > window:
                    row["status"] = "too_long"
                else:
                    if ref_i is None:
                        ref_i = len(windows)
                        windows.append(_window(genome, chrom, start, len(ref), ref, window))
                    row["ref_i"] = ref_i
                    row["alt_i"] = len(windows)
                    windows.append(_window(genome, chrom, start, len(ref), _normalised(alt), window))
            rows.append(row)
        pending.append((record, rows))
        if len(windows) >= batch_size:
            yield from flush()
    yield from flush()


def _format(v: float) -> str:
    return "NA" if np.isnan(v) else f"{v:.6g}"


def iter_variant_effects(
    model,
    vcf: PathLike,
    genome_fasta: PathLike,
    *,
    window: int | None = None,
    batch_size: int = 1024,
    threads: int | None = None,
    average_strands: bool = False,
    vcf_output: PathLike | None = None,
    verbose: bool = False,
) -> Iterator[VariantEffect]:
    """Stream the :class:`VariantEffect` of every ALT allele of a VCF (see :func:`score_variants`)."""
    from tqdm.auto import tqdm

    from ..io.genome import ReferenceGenome

    window = default_window(model) if window is None else window
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    scorer = WindowScorer(model, int(window), int(batch_size), average_strands, None, threads)
    vcf_in = _open_vcf(vcf)
    try:
        with ReferenceGenome(genome_fasta) as genome, contextlib.ExitStack() as stack:
            out = None
            if vcf_output is not None:
                out = stack.enter_context(_annotated_vcf(vcf_in, vcf_output, os.fspath(vcf)))
            bar = stack.enter_context(tqdm(unit="variant", desc="variants", file=sys.stderr, disable=not verbose,
                                           mininterval=1.0))
            for record, effects in _records_with_effects(model, vcf_in, genome, int(window), scorer,
                                                         int(batch_size)):
                bar.update(1)
                if out is not None:
                    _annotate(record, effects, out)
                yield from effects
    finally:
        vcf_in.close()


@contextlib.contextmanager
def _annotated_vcf(vcf_in, vcf_output: PathLike, name: str):
    """The output VariantFile: the input's header plus :data:`INFO_FIELDS`, written atomically."""
    from ..io.files import atomic_path

    header = vcf_in.header.copy()
    if "END" not in header.info:  # htslib writes END for symbolic alleles
        header.info.add("END", 1, "Integer", "Stop position of the interval")
    for field, number, kind, text in INFO_FIELDS:
        if field in header.info:
            raise ValueError(f"{name!r} already has INFO field {field}")
        header.info.add(field, number, kind, text)
    suffix = Path(vcf_output).suffix
    mode = "wz" if suffix in (".gz", ".bgz") else ("wb" if suffix == ".bcf" else "w")
    with atomic_path(vcf_output) as tmp:
        out = _pysam().VariantFile(str(tmp), mode, header=header)
        try:
            yield out
        finally:
            out.close()


def _annotate(record, effects: list[VariantEffect], out) -> None:
    record.translate(out.header)
    ok = [e for e in effects if e.status == "ok"]
    if ok:
        record.info["ESK_REF"] = ok[0].ref_score
        record.info["ESK_ALT"] = tuple(e.alt_score if e.status == "ok" else None for e in effects)
        record.info["ESK_DIFF"] = tuple(e.diff if e.status == "ok" else None for e in effects)
        record.info["ESK_LOR"] = tuple(e.log_odds_ratio if e.status == "ok" else None for e in effects)
    record.info["ESK_STATUS"] = tuple(e.status for e in effects)
    out.write(record)


def score_variants(
    model,
    vcf: PathLike,
    genome_fasta: PathLike,
    *,
    output: PathLike | None = None,
    vcf_output: PathLike | None = None,
    window: int | None = None,
    batch_size: int = 1024,
    threads: int | None = None,
    average_strands: bool = False,
    verbose: bool = False,
) -> list[VariantEffect]:
    """Score the reference and alternate windows of every SNV and indel of a VCF.

    Parameters
    ----------
    model : fitted classifier
        Any estimator of the project with ``predict_proba`` on DNA strings
        (score: probability of ``classes_[1]``).
    vcf : str or path-like
        VCF (plain or bgzip) or BCF file.
    genome_fasta : str or path-like
        The reference genome the VCF was called on (plain or bgzip FASTA;
        indexed on first use).
    output : str or path-like, optional
        TSV of the effects (:data:`TSV_COLUMNS`; ``NA`` for unscored alleles).
    vcf_output : str or path-like, optional
        Copy of the VCF with the INFO fields :data:`INFO_FIELDS` (bgzip when
        the name ends in ``.gz``, BCF for ``.bcf``).
    window : int, optional
        Window length; default: the model's input length
        (:func:`~enhancer_sk.genomics.scanning.default_window`).
    batch_size : int, default=1024
        Windows scored together.
    threads : int, optional
        CPU threads (None: ``GALAXY_SLOTS`` or all CPUs).
    average_strands : bool, default=False
        Average each window's probability over both strands.
    verbose : bool, default=False
        Progress bar on stderr.

    Returns
    -------
    list of VariantEffect
        One per ALT allele, in VCF order (use :func:`iter_variant_effects`
        to stream a very large VCF without holding the rows).

    Examples
    --------
    >>> effects = score_variants(model, "calls.vcf.gz", "hg38.fa", output="effects.tsv")  # doctest: +SKIP
    """
    effects = iter_variant_effects(model, vcf, genome_fasta, window=window, batch_size=batch_size, threads=threads,
                                   average_strands=average_strands, vcf_output=vcf_output, verbose=verbose)
    rows: list[VariantEffect] = []
    kept = (rows.append(e) or e for e in effects)
    if output is None:
        for _ in kept:
            pass
    else:
        write_variant_tsv(output, kept)
    return rows


def write_variant_tsv(path: PathLike, effects) -> int:
    """Write effects as a TSV (:data:`TSV_COLUMNS`, ``NA`` for missing values), atomically; return the row count."""
    from ..io.files import atomic_open

    n = 0
    with atomic_open(path) as fh:
        fh.write("\t".join(TSV_COLUMNS) + "\n")
        for e in effects:
            n += 1
            fh.write("\t".join([e.chrom, str(e.pos), e.id, e.ref, e.alt, _format(e.ref_score),
                                _format(e.alt_score), _format(e.diff), _format(e.log_odds_ratio), e.status,
                                e.genome_ref or "NA"]) + "\n")
    return n
