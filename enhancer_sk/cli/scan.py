"""``enhancer-sk scan``: score sliding windows along a genome (or BED regions of it) with a model file.

Outputs: a bedGraph of window scores (``--bedgraph``) and a BED of enhancer
calls, the windows scoring at least ``--threshold`` merged when they overlap
(``--calls``; columns in :data:`enhancer_sk.genomics.scanning.CALL_COLUMNS`).  The
FASTA is streamed in chunks, so memory does not grow with chromosome length;
``--scheduler`` runs the chunks on a Dask cluster.  See
:func:`enhancer_sk.genomics.scanning.scan`.
"""

from __future__ import annotations

import argparse
import time
import warnings

from ._options import add_model_file_argument, add_runtime_arguments, command_parser, logger, set_runtime

__all__ = ["add_parser", "run"]

#: One line for ``enhancer-sk --help``.
HELP = "scan a genome (FASTA, or BED regions of it) with a model: bedGraph of window scores, BED of calls"
#: The ``enhancer-sk scan --help`` text.
DESCRIPTION = """
Slide a window along every record of a FASTA file (plain, gzip or bgzip; streamed in chunks) or
along the regions of a BED file (each on its strand; the genome then plain or bgzip), score every
window with a model file from 'enhancer-sk train', and write a bedGraph of the window scores and a
BED of enhancer calls (windows scoring at least --threshold, merged). A DeepEnhancer model shares
its convolutions between overlapping windows.
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
    p.add_argument("--threshold", type=float, default=0.5,
                   help="score of an enhancer call (probability, default 0.5)")
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


def run(args: argparse.Namespace) -> int:
    from ..genomics.scanning import scan
    from ..io.genome import RegionWarning
    from ..model_files import describe, load
    from ..threads import resolve_threads
    from ._outputs import check_output_paths

    log = logger("scan")

    if not args.bedgraph and not args.calls:
        raise ValueError("give at least one output: --bedgraph FILE and/or --calls FILE")
    check_output_paths(args.bedgraph, args.calls)
    info = describe(args.model_file)
    log(f"model {args.model_file}: {info['class']}, classes {info['classes']}")
    model = load(args.model_file)
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
            max_n_fraction=args.max_n, threshold=args.threshold, chunk_size=args.chunk_size,
            client=args.scheduler, verbose=not args.quiet,
        )
    for problem in summary.problems[:20]:
        log(f"region {problem.describe()}")
    if len(summary.problems) > 20:
        log(f"... and {len(summary.problems) - 20} more region problems")
    if summary.short:
        shown = ", ".join(summary.short[:10]) + (" ..." if len(summary.short) > 10 else "")
        log(f"{len(summary.short)} sequence(s) shorter than the {summary.window}-bp window not scanned: {shown}")
    for path in (args.bedgraph, args.calls):
        if path:
            log(f"wrote {path}")
    log(f"done in {time.perf_counter() - start:.1f} s")
    print(summary)
    return 0
