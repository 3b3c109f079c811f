"""``enhancer-sk motifs``: first-layer motifs of a DeepEnhancer CNN, logos and JASPAR matches.

The model is either read from a file written by
:func:`enhancer_sk.deepenhancer.save_deepenhancer` (``--model``; safetensors
weights + JSON parameters, no pickle) or trained here from labelled sequences
(``--fasta`` + ``--labels``, or ``--positive`` + ``--negative``), optionally
saved with ``--save-model``.

Outputs in ``--outdir``: ``motifs.meme`` (MEME minimal format, one motif per
first-layer kernel), ``tomtom.tsv`` (matches in JASPAR CORE vertebrates with
E-value below ``--evalue``) and ``logos/<kernel>.png`` (by default for the
motifs with a match; ``--logos all`` or ``none``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    from ..models.nn.deepenhancer import ARCHITECTURES

    p = subparsers.add_parser(
        "motifs",
        help="extract DeepEnhancer first-layer motifs, draw logos and match them to JASPAR",
        description="Turn each first-layer kernel of a DeepEnhancer CNN into a position frequency "
        "matrix (from all 4^8 8-mers that activate it), write them in MEME format, draw sequence "
        "logos and compare them with JASPAR CORE vertebrates by Tomtom (offline). The model is read "
        "from --model or trained from labelled sequences.",
    )
    src = p.add_argument_group("model (one of)")
    src.add_argument("--model", metavar="FILE", help="model file written by --save-model (safetensors)")
    src.add_argument("--fasta", metavar="FA", help="training sequences (with --labels)")
    src.add_argument("--labels", metavar="TSV", help="two columns: record id, label (with --fasta)")
    src.add_argument("--positive", metavar="FA", help="enhancer sequences (with --negative)")
    src.add_argument("--negative", metavar="FA", help="background sequences (with --positive)")
    tr = p.add_argument_group("training (when no --model)")
    tr.add_argument("--architecture", default="4conv2pool4norm", choices=sorted(ARCHITECTURES))
    tr.add_argument("--window", type=int, default=300, help="window length in bp (default 300)")
    tr.add_argument("--stride", type=int, default=2, help="step between windows (default 2)")
    tr.add_argument("--max-windows-per-sequence", type=int, default=None, metavar="N",
                    help="at most N windows per sequence (default: all)")
    tr.add_argument("--max-epochs", type=int, default=30, help="default 30")
    tr.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate (default 1e-4)")
    tr.add_argument("--save-model", metavar="FILE", help="save the trained model (safetensors, no pickle)")
    mo = p.add_argument_group("motifs")
    mo.add_argument("--outdir", required=True, help="output folder (created)")
    mo.add_argument("--weighting", choices=["count", "activation"], default="count",
                    help="count each activating k-mer once or weight it by its activation (default count)")
    mo.add_argument("--threshold", type=float, default=0.0,
                    help="keep k-mers above this fraction of the kernel's maximum activation "
                    "(default 0: every positive activation, as the paper)")
    mo.add_argument("--fold-batch-norm", action="store_true",
                    help="measure activations after the first batch normalisation")
    mo.add_argument("--evalue", type=float, default=0.1, help="Tomtom E-value threshold (default 0.1)")
    mo.add_argument("--jaspar-release", default="JASPAR2024", help="JASPAR release shipped with pyjaspar")
    mo.add_argument("--logos", choices=["matched", "all", "none"], default="matched",
                    help="draw logos of the motifs with a JASPAR match (default), of all motifs, or none "
                    "(about 0.3 s per logo)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: GALAXY_SLOTS or all)")
    p.add_argument("--verbose", action="store_true", help="per-epoch training log on stderr")
    p.set_defaults(func=run)
    return p


def _log(msg: str) -> None:
    print(f"[motifs] {msg}", file=sys.stderr, flush=True)


def _model(args: argparse.Namespace):
    from ..io.labels import read_class_fastas, read_labelled_fasta
    from ..models.nn.deepenhancer import DeepEnhancerCNN, load_deepenhancer, save_deepenhancer

    given = {
        "--model": args.model is not None,
        "--fasta/--labels": args.fasta is not None or args.labels is not None,
        "--positive/--negative": args.positive is not None or args.negative is not None,
    }
    if sum(given.values()) != 1:
        raise ValueError("give exactly one of --model FILE, --fasta FA --labels TSV, --positive FA --negative FA")
    if args.model is not None:
        _log(f"reading model {args.model}")
        return load_deepenhancer(args.model, threads=args.threads)
    if given["--fasta/--labels"]:
        if args.fasta is None or args.labels is None:
            raise ValueError("--fasta and --labels go together")
        _, X, y = read_labelled_fasta(args.fasta, args.labels)
    else:
        if args.positive is None or args.negative is None:
            raise ValueError("--positive and --negative go together")
        _, X, y = read_class_fastas({1: args.positive, 0: args.negative})
    model = DeepEnhancerCNN(
        args.architecture, window=args.window, stride=args.stride,
        max_windows_per_sequence=args.max_windows_per_sequence, max_epochs=args.max_epochs, lr=args.lr,
        random_state=args.seed, threads=args.threads, verbose=int(args.verbose),
    )
    _log(f"training {args.architecture} on {len(X)} sequences ({args.max_epochs} epochs at most)")
    t0 = time.perf_counter()
    model.fit(X, y)
    _log(f"trained in {time.perf_counter() - t0:.1f} s ({len(model.history)} epochs)")
    if args.save_model:
        save_deepenhancer(model, args.save_model)
        _log(f"model saved to {args.save_model}")
    return model


def run(args: argparse.Namespace) -> int:
    from ..interpret.motifs import compare_with_jaspar, extract_motifs, plot_logos, write_meme, write_tomtom_tsv

    model = _model(args)
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    pfms, n_sites = extract_motifs(
        model, args.weighting, threshold=args.threshold, fold_batch_norm=args.fold_batch_norm,
        return_counts=True,
    )
    names = [f"kernel_{i:03d}" for i in range(len(pfms))]
    write_meme(outdir / "motifs.meme", pfms, names, n_sites)
    _log(f"{len(pfms)} motifs extracted in {time.perf_counter() - t0:.2f} s -> {outdir / 'motifs.meme'}")
    t0 = time.perf_counter()
    rows = compare_with_jaspar(pfms, names, release=args.jaspar_release, evalue_threshold=args.evalue,
                               threads=args.threads)
    write_tomtom_tsv(outdir / "tomtom.tsv", rows)
    matched = sorted({r["motif"] for r in rows})
    _log(f"Tomtom vs {args.jaspar_release} CORE vertebrates in {time.perf_counter() - t0:.1f} s -> "
         f"{outdir / 'tomtom.tsv'}")
    if args.logos != "none":
        t0 = time.perf_counter()
        drawn = [i for i, name in enumerate(names) if args.logos == "all" or name in matched]
        plot_logos(pfms[drawn], outdir / "logos", [names[i] for i in drawn])
        _log(f"{len(drawn)} logos drawn in {time.perf_counter() - t0:.1f} s -> {outdir / 'logos'}")
    print(f"{len(pfms)} kernel motifs; {len(matched)} match JASPAR at E < {args.evalue:g} "
          f"({len(rows)} matches)")
    for r in rows[:10]:
        print(f"  {r['motif']}  {r['jaspar_id']}  {r['tf_name']}  E={r['e_value']:.2g}")
    return 0
