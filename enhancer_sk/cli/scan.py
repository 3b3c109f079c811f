"""``enhancer-sk scan``: score sliding windows along a genome (or BED regions of it) with a model file.

Outputs: a bedGraph of window scores (``--bedgraph``) and a BED of enhancer
calls, the windows scoring at least ``--threshold`` merged when they overlap
(``--calls``; columns in :data:`enhancer_sk.genomics.scanning.CALL_COLUMNS`).  The
scores are probabilities; with ``--decision``, and for a binary model without
probabilities (an LS-GKM model file), decision values (for a gkm-SVM,
gkmpredict's score), and the threshold's default is then 0 instead of 0.5.  The
FASTA is streamed in chunks, so memory does not grow with chromosome length;
with ``--fdr`` (and ``--background``), windows are called by Benjamini-Hochberg
on conformal p-values against background sequences instead of ``--threshold``
(the window scores are then held in memory);
``--scheduler`` runs the chunks on a Dask cluster.  See
:func:`enhancer_sk.genomics.scanning.scan`.  The last line on stderr is the
result, without file paths::

    [scan] scanned 2 sequence(s), 20,000 bp, 394 windows of 200 bp (step 50) in 0.4 s (...); 3 call(s); done in 0.5 s
"""

from __future__ import annotations

import argparse
import time
import warnings

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
HELP = "scan a genome (FASTA, or BED regions of it) with a model: bedGraph of window scores, BED of calls"
#: The ``enhancer-sk scan --help`` text.
DESCRIPTION = """
Slide a window along every record of a FASTA file (plain, gzip or bgzip; streamed in chunks) or
along the regions of a BED file (each on its strand; the genome then plain or bgzip), score every
window with a model file from 'enhancer-sk train' (or an LS-GKM model file), and write a bedGraph
of the window scores and a BED of enhancer calls (windows scoring at least --threshold, merged). The
scores are probabilities, or decision values with --decision and for models without probabilities
(LS-GKM model files: gkmpredict's score; threshold default 0). A DeepEnhancer model shares its
convolutions between overlapping windows. With --fdr ALPHA and --background FA (negative sequences,
scored in windows like the genome), every window gets a conformal p-value against the background
scores and the windows called are those Benjamini-Hochberg rejects at false discovery rate ALPHA.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "scan", HELP, DESCRIPTION)
    add_model_file_argument(p)
    p.add_argument("--fasta", required=True, metavar="FA", help="genome or sequences to scan (FASTA)")
    p.add_argument("--regions", metavar="BED", help="scan only these regions of --fasta (BED, 0-based; strand "
                   "'-' scans the reverse complement; regions shorter than the window get one window)")
    p.add_argument("--bedgraph", metavar="FILE", help="output bedGraph of window scores (.gz: gzip)")
    p.add_argument("--calls", metavar="FILE", help="output BED of merged enhancer calls")
    p.add_argument("--window", type=int, default=None,
                   help="window length (default: the model's input length; 200 for k-mer models)")
    p.add_argument("--step", type=int, default=50, help="distance between window starts (default 50)")
    p.add_argument("--threshold", type=float, default=None,
                   help="score of an enhancer call (default 0.5 for probabilities, 0 for decision values)")
    p.add_argument("--fdr", type=float, default=None, metavar="ALPHA",
                   help="call windows at this false discovery rate (Benjamini-Hochberg on conformal p-values "
                   "against --background) instead of --threshold")
    p.add_argument("--background", metavar="FA",
                   help="with --fdr: background (negative) sequences, FASTA, scored like the genome's windows "
                   "(for valid p-values, drawn like the genome's background: e.g. GC-matched)")
    p.add_argument("--pvalues", metavar="FILE", help="with --fdr: output bedGraph of window p-values (.gz: gzip)")
    p.add_argument("--decision", action="store_true",
                   help="score windows by the decision value (LS-GKM's score for a gkm-SVM) instead of the "
                   "probability (the default for models without probabilities, e.g. LS-GKM model files)")
    p.add_argument("--max-n", type=float, default=0.1, metavar="FRACTION",
                   help="skip windows with more than this fraction of N (default 0.1)")
    p.add_argument("--average-strands", action="store_true",
                   help="average each window's score with that of its reverse complement")
    p.add_argument("--batch-size", type=int, default=1024, help="windows scored together (default 1024)")
    p.add_argument("--chunk-size", type=int, default=1_000_000,
                   help="bases read (and sent to a Dask worker) at a time (default 1000000)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address (e.g. tcp://10.0.0.5:8786): run the chunks on that cluster "
                   "(needs the 'dist' extra)")
    add_runtime_arguments(p, quiet=True)
    p.set_defaults(func=run)
    return p


def _use_decision(model, name: str, asked: bool, log) -> bool:
    """Whether to scan decision values: when asked, and for a binary model without probabilities."""
    has_decision = hasattr(model, "decision_function") and not hasattr(model, "predict_layer_proba")
    if asked and not has_decision:
        raise ValueError(f"the model ({name}) has no single decision value: --decision needs a binary classifier "
                         "with decision values (SVMs, networks); scan without --decision")
    if asked:
        return True
    if hasattr(model, "predict_proba"):
        return False
    if not has_decision:
        raise ValueError(f"the model ({name}) gives neither probabilities nor decision values: scan cannot use it")
    log("the model gives no probabilities (an LS-GKM model file, or trained without probability): scanning "
        "decision values (threshold default 0)")
    return True


def run(args: argparse.Namespace) -> int:
    from ..genomics.scanning import scan
    from ..io.genome import RegionWarning
    from ..threads import resolve_threads
    from ._outputs import check_output_paths

    log = logger("scan")

    if not args.bedgraph and not args.calls and not args.pvalues:
        raise ValueError("give at least one output: --bedgraph FILE and/or --calls FILE")
    if args.fdr is not None and not args.background:
        raise ValueError("--fdr needs --background FA: negative sequences to calibrate the window p-values on")
    if args.fdr is None and (args.background or args.pvalues):
        raise ValueError("--background and --pvalues go with --fdr ALPHA")
    if args.fdr is not None and args.threshold is not None:
        raise ValueError("give --threshold or --fdr, not both")
    check_output_paths(args.bedgraph, args.calls, args.pvalues)
    model, info, _ = load_model_argument(args.model_file, log=log)
    if "lsgkm_header" in info:
        log(f"model {args.model_file}: LS-GKM model file ({info['lsgkm_header'].get('kernel_type')}), read as a "
            f"GkmSVM with classes {info['classes']}")
    else:
        log(f"model {args.model_file}: {info['class']}, classes {info['classes']}")
    decision = _use_decision(model, info["class"], args.decision, log)
    threads = 1 if args.scheduler and args.threads is None else resolve_threads(args.threads)
    set_runtime(model, threads=threads)
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else f"{threads} thread(s)"
    log(f"scanning {args.fasta}" + (f" regions of {args.regions}" if args.regions else "") + f" on {where}")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RegionWarning)  # each region problem is logged below
        summary = scan(
            model, args.fasta, bedgraph=args.bedgraph, calls=args.calls, regions=args.regions, window=args.window,
            step=args.step, batch_size=args.batch_size, threads=threads, average_strands=args.average_strands,
            max_n_fraction=args.max_n, threshold=args.threshold, decision=decision, chunk_size=args.chunk_size,
            client=args.scheduler, verbose=not args.quiet, fdr=args.fdr, background=args.background,
            pvalues=args.pvalues,
        )
    for problem in summary.problems[:20]:
        log(f"region {problem.describe()}")
    if len(summary.problems) > 20:
        log(f"... and {len(summary.problems) - 20} more region problems")
    if summary.short:
        shown = ", ".join(summary.short[:10]) + (" ..." if len(summary.short) > 10 else "")
        log(f"{len(summary.short)} sequence(s) shorter than the {summary.window}-bp window not scanned: {shown}")
    for path in (args.bedgraph, args.calls, args.pvalues):
        if path:
            log(f"wrote {path}")
    print(summary)
    log(f"scanned {summary}; done in {time.perf_counter() - start:.1f} s")
    return 0
