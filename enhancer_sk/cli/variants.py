"""``enhancer-sk variants``: effect of SNVs and indels on a model's enhancer score.

For every ALT allele of a VCF, the windows centred on REF and on ALT (from the
indexed genome) are scored; the TSV gives both scores, their difference and
the log-odds ratio, with a status per allele (``ref_mismatch`` when REF is
not the genome's base ...).  With ``--method deltasvm`` (a GkmSVM model, e.g. an
LS-GKM model file) every SNV also gets its deltaSVM score (column
``deltasvm``).  See :func:`enhancer_sk.genomics.variants.score_variants`.
The last line on stderr is the result, without file paths::

    [variants] window scores of 12 allele(s) in 0.8 s: 11 ok, 1 ref_mismatch
"""

from __future__ import annotations

import argparse
import collections
import time

from ._options import (
    add_model_file_argument,
    add_runtime_arguments,
    command_parser,
    load_model_argument,
    logger,
    set_runtime,
)

__all__ = ["add_parser", "run"]

#: One line for ``enhancer-sk --help``.
HELP = "score the effect of VCF variants (SNVs, indels) on a model's enhancer score"
#: The ``enhancer-sk variants --help`` text.
DESCRIPTION = """
For every ALT allele of a VCF/BCF file, score the window centred on REF and the window with ALT in
its place (taken from the genome FASTA, plain or bgzip) with a model file from 'enhancer-sk train';
write a TSV: chrom, pos, id, ref, alt, ref_score, alt_score, diff, log_odds_ratio, status,
genome_ref (status ref_mismatch when REF differs from the genome), and optionally the VCF with these
scores as INFO fields. --method deltasvm (gkm-SVM models, also LS-GKM model files) adds the deltaSVM
score of every SNV (column deltasvm, INFO ESK_DELTASVM); the window scores are then NA for a model
without probabilities.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "variants", HELP, DESCRIPTION)
    add_model_file_argument(p)
    p.add_argument("--vcf", required=True, metavar="VCF", help="variants (VCF, bgzip VCF or BCF)")
    p.add_argument("--genome", required=True, metavar="FA", help="reference genome of the VCF (FASTA, plain or bgzip)")
    p.add_argument("-o", "--output", required=True, metavar="TSV", help="output table of variant effects")
    p.add_argument("--vcf-output", metavar="VCF", help="also write the VCF with ESK_* INFO fields "
                   "(.gz: bgzip, .bcf: BCF)")
    p.add_argument("--window", type=int, default=None,
                   help="window length (default: the model's input length; 200 for k-mer models)")
    p.add_argument("--average-strands", action="store_true",
                   help="average each window's score with that of its reverse complement")
    p.add_argument("--method", choices=("window", "deltasvm"), default="window",
                   help="'window': score the windows centred on REF and ALT (default); 'deltasvm': also the "
                   "deltaSVM score of each SNV (gkm-SVM models only)")
    p.add_argument("--batch-size", type=int, default=1024, help="windows scored together (default 1024)")
    add_runtime_arguments(p, quiet=True)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..genomics.variants import iter_variant_effects, write_variant_tsv
    from ..threads import resolve_threads
    from ._outputs import check_output_paths

    log = logger("variants")

    check_output_paths(args.output, args.vcf_output)
    model, info, _ = load_model_argument(args.model_file, log=log)
    log(f"model {args.model_file}: {info['class']}, classes {info['classes']}")
    if args.method == "deltasvm" and info["class"] != "GkmSVM":
        raise ValueError(f"--method deltasvm needs a gkm-SVM (GkmSVM or an LS-GKM model file); the model in "
                         f"{args.model_file!r} is a {info['class']}: use --method window")
    if args.method == "window" and info["class"] == "GkmSVM" and not hasattr(model, "predict_proba"):
        raise ValueError(f"the model in {args.model_file!r} ({info['class']}) gives no probabilities (an LS-GKM "
                         "model file, or trained without probability): score its SNVs with --method deltasvm")
    threads = resolve_threads(args.threads)
    set_runtime(model, threads=threads)
    start = time.perf_counter()
    status: collections.Counter = collections.Counter()

    def counted(effects):
        for e in effects:
            status[e.status] += 1
            yield e

    effects = iter_variant_effects(model, args.vcf, args.genome, window=args.window, batch_size=args.batch_size,
                                   threads=threads, average_strands=args.average_strands,
                                   vcf_output=args.vcf_output, verbose=not args.quiet, method=args.method)
    n = write_variant_tsv(args.output, counted(effects), deltasvm=args.method == "deltasvm")
    if status.get("ref_mismatch"):
        log(f"{status['ref_mismatch']} allele(s) with a REF that differs from {args.genome} were not scored "
            "(status ref_mismatch): is this the genome the VCF was called on?")
    log(f"wrote {args.output}" + (f" and {args.vcf_output}" if args.vcf_output else ""))
    result = (f"{n} allele(s) in {time.perf_counter() - start:.1f} s: "
              + ", ".join(f"{count} {name}" for name, count in status.most_common()))
    print(result)
    log(f"{args.method} scores of {result}")
    return 0
