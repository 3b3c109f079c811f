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

With ``method="deltasvm"`` (a :class:`~enhancer_sk.models.svm.gkm.GkmSVM`,
e.g. read from an LS-GKM model file) every scored SNV also gets its deltaSVM
score (:func:`~enhancer_sk.models.svm.deltasvm.deltasvm_scores` on the
``2l - 1`` bases centred on it: the summed weight change of the l-mers that
overlap it), in the column ``deltasvm`` (:data:`DELTASVM_COLUMN`; ``NA`` for
indels and unscored alleles) and the INFO field ``ESK_DELTASVM``.  The window
columns are filled as by the default ``method="window"`` when the model has
probabilities, and are ``NA`` otherwise (a model from an LS-GKM file has
none).
"""

from __future__ import annotations

import contextlib
import copy
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
    "DELTASVM_COLUMN",
    "DELTASVM_INFO_FIELD",
    "INFO_FIELDS",
    "METHODS",
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

#: Scoring methods of :func:`score_variants`: the windows' scores, or those plus deltaSVM for SNVs.
METHODS = ("window", "deltasvm")
#: Column added to the TSV by ``method="deltasvm"`` (after :data:`TSV_COLUMNS`).
DELTASVM_COLUMN = "deltasvm"
#: INFO field added to the annotated VCF by ``method="deltasvm"``.
DELTASVM_INFO_FIELD = ("ESK_DELTASVM", "A", "Float",
                       "enhancer_sk: deltaSVM score of each SNV ALT (summed l-mer weight change; alt - ref)")


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
    #: deltaSVM score (``method="deltasvm"``, SNVs only; NaN otherwise)
    deltasvm: float = float("nan")


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


def _records_with_effects(model, records, genome, window: int, scorer: WindowScorer | None,
                          batch_size: int, deltasvm: bool = False) -> Iterator[tuple]:
    """Yield ``(record, [VariantEffect per ALT])`` in VCF order, scoring windows in batches.

    ``scorer`` None: no window scores (NaN); ``deltasvm``: deltaSVM scores of the SNVs too.
    """
    pending: list = []  # (record, rows); a row is a dict with window indices
    windows: list[str] = []
    snvs: tuple[list[str], list[str]] = ([], [])  # the 2l - 1 bases around each SNV, with REF and with ALT

    def flush():
        nonlocal pending, windows, snvs
        scores = np.empty(0)
        if windows and scorer is not None:
            codes = sequence_codes(windows).codes
            scores = scorer(codes, np.arange(len(windows), dtype=np.int64) * window)
        deltas = np.empty(0)
        if snvs[0]:
            from ..models.svm.deltasvm import deltasvm_scores

            deltas = deltasvm_scores(model, *snvs)
        nan = float("nan")
        for record, rows in pending:
            effects = []
            for r in rows:
                ref_s = alt_s = diff = lor = nan
                if r["status"] == "ok" and scorer is not None:
                    ref_s, alt_s = float(scores[r["ref_i"]]), float(scores[r["alt_i"]])
                    diff = alt_s - ref_s
                    lor = float(logit(alt_s) - logit(ref_s))
                delta = float(deltas[r["snv_i"]]) if "snv_i" in r else nan
                effects.append(VariantEffect(record.chrom, int(record.pos), record.id or ".", record.ref, r["alt"],
                                             ref_s, alt_s, diff, lor, r["status"], r["genome_ref"], delta))
            yield record, effects
        pending, windows, snvs = [], [], ([], [])

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
                    if deltasvm and len(ref) == len(alt) == 1:
                        span = 2 * model.l - 1
                        row["snv_i"] = len(snvs[0])
                        snvs[0].append(_window(genome, chrom, start, 1, ref, span))
                        snvs[1].append(_window(genome, chrom, start, 1, _normalised(alt), span))
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
    method: str = "window",
) -> Iterator[VariantEffect]:
    """Stream the :class:`VariantEffect` of every ALT allele of a VCF (see :func:`score_variants`)."""
    from tqdm.auto import tqdm

    from ..io.genome import ReferenceGenome

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    deltasvm = method == "deltasvm"
    if deltasvm:
        from ..models.svm.deltasvm import _check_model

        _check_model(model)  # a fitted GkmSVM with canonical_kmers=True, checked before any reading
    window = default_window(model) if window is None else window
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not deltasvm and not hasattr(model, "predict_proba") and type(model).__name__ == "GkmSVM":
        raise TypeError(f"this {type(model).__name__} gives no probabilities (read from an LS-GKM model file, or "
                        "fitted with probability=False): method='window' scores windows by probability; use "
                        "method='deltasvm'")
    scorer = None
    if not deltasvm or hasattr(model, "predict_proba"):  # deltaSVM alone needs no probabilities
        scorer = WindowScorer(model, int(window), int(batch_size), average_strands, None, threads)
    if deltasvm and threads is not None:
        model = copy.copy(model)  # same fitted state, another thread count
        model.threads = threads
    vcf_in = _open_vcf(vcf)
    try:
        with ReferenceGenome(genome_fasta) as genome, contextlib.ExitStack() as stack:
            out = None
            if vcf_output is not None:
                out = stack.enter_context(_annotated_vcf(vcf_in, vcf_output, os.fspath(vcf), deltasvm))
            bar = stack.enter_context(tqdm(unit="variant", desc="variants", file=sys.stderr, disable=not verbose,
                                           mininterval=1.0))
            for record, effects in _records_with_effects(model, vcf_in, genome, int(window), scorer,
                                                         int(batch_size), deltasvm):
                bar.update(1)
                if out is not None:
                    _annotate(record, effects, out)
                yield from effects
    finally:
        vcf_in.close()


@contextlib.contextmanager
def _annotated_vcf(vcf_in, vcf_output: PathLike, name: str, deltasvm: bool = False):
    """The output VariantFile: the input's header plus :data:`INFO_FIELDS` (and deltaSVM's), written atomically."""
    from ..io.files import atomic_path

    header = vcf_in.header.copy()
    if "END" not in header.info:  # htslib writes END for symbolic alleles
        header.info.add("END", 1, "Integer", "Stop position of the interval")
    for field, number, kind, text in INFO_FIELDS + ((DELTASVM_INFO_FIELD,) if deltasvm else ()):
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
    if ok and not np.isnan(ok[0].ref_score):
        record.info["ESK_REF"] = ok[0].ref_score
        record.info["ESK_ALT"] = tuple(e.alt_score if e.status == "ok" else None for e in effects)
        record.info["ESK_DIFF"] = tuple(e.diff if e.status == "ok" else None for e in effects)
        record.info["ESK_LOR"] = tuple(e.log_odds_ratio if e.status == "ok" else None for e in effects)
    if any(not np.isnan(e.deltasvm) for e in effects):
        record.info[DELTASVM_INFO_FIELD[0]] = tuple(None if np.isnan(e.deltasvm) else e.deltasvm for e in effects)
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
    method: str = "window",
) -> list[VariantEffect]:
    """Score the reference and alternate windows of every SNV and indel of a VCF.

    Parameters
    ----------
    model : fitted classifier
        Any estimator of the project with ``predict_proba`` on DNA strings
        (score: probability of ``classes_[1]``); for ``method="deltasvm"`` a
        :class:`~enhancer_sk.models.svm.gkm.GkmSVM`, with or without
        probabilities.
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
    method : {"window", "deltasvm"}, default="window"
        ``"window"``: the windows' scores (columns :data:`TSV_COLUMNS`).
        ``"deltasvm"``: those (``NA`` when the model has no probabilities) and
        the deltaSVM score of every SNV (column :data:`DELTASVM_COLUMN`,
        INFO field ``ESK_DELTASVM``; ``NA`` for indels), from the ``2l - 1``
        bases centred on it (:func:`~enhancer_sk.models.svm.deltasvm.deltasvm_scores`).

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
                                   average_strands=average_strands, vcf_output=vcf_output, verbose=verbose,
                                   method=method)
    rows: list[VariantEffect] = []
    kept = (rows.append(e) or e for e in effects)
    if output is None:
        for _ in kept:
            pass
    else:
        write_variant_tsv(output, kept, deltasvm=method == "deltasvm")
    return rows


def write_variant_tsv(path: PathLike, effects, *, deltasvm: bool = False) -> int:
    """Write effects as a TSV (:data:`TSV_COLUMNS`, ``NA`` for missing values), atomically; return the row count.

    ``deltasvm``: add the column :data:`DELTASVM_COLUMN` last.
    """
    from ..io.files import atomic_open

    n = 0
    with atomic_open(path) as fh:
        fh.write("\t".join(TSV_COLUMNS + ((DELTASVM_COLUMN,) if deltasvm else ())) + "\n")
        for e in effects:
            n += 1
            fields = [e.chrom, str(e.pos), e.id, e.ref, e.alt, _format(e.ref_score), _format(e.alt_score),
                      _format(e.diff), _format(e.log_odds_ratio), e.status, e.genome_ref or "NA"]
            if deltasvm:
                fields.append(_format(e.deltasvm))
            fh.write("\t".join(fields) + "\n")
    return n
