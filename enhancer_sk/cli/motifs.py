"""``enhancer-sk motifs``: first-layer motifs of a DeepEnhancer CNN, logos and JASPAR matches.

The model is either read from a model file (``--model-file``, written by
``enhancer-sk train --model deepenhancer``) or trained here with the training
data and model options of ``enhancer-sk train`` (``--model deepenhancer``,
``--preset full`` by default: the published architecture on 300-bp windows),
optionally saved with ``--save-model``.

Outputs in ``--outdir``: ``motifs.meme`` (MEME minimal format, one motif per
first-layer kernel), ``tomtom.tsv`` (matches in JASPAR CORE vertebrates with
E-value below ``--evalue``) and ``logos/<kernel>.png`` (by default for the
motifs with a match; ``--logos all`` or ``none``).  The last line on stderr
is the result, without file paths::

    [motifs] 16 kernel motifs extracted; 3 match JASPAR2024 CORE vertebrates at E < 0.1 (5 matches);
    3 logos drawn in 4.2 s

(one line).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

from ._options import (
    add_model_file_argument,
    add_runtime_arguments,
    command_parser,
    logged_warnings,
    logger,
    model_file_path,
    set_runtime,
)
from ._training import (
    add_data_arguments,
    add_model_arguments,
    check_labels,
    class_names_of,
    describe_estimator,
    given_data_sources,
    model_from_args,
    read_training_data,
)

__all__ = ["add_parser", "run"]

_log = logger("motifs")


#: One line for ``enhancer-sk --help``.
HELP = "extract DeepEnhancer first-layer motifs, draw logos and match them to JASPAR"
#: The ``enhancer-sk motifs --help`` text.
DESCRIPTION = """
Turn each first-layer kernel of a DeepEnhancer CNN into a position frequency matrix (from all 4^8
8-mers that activate it), write them in MEME format, draw sequence logos and compare them with
JASPAR CORE vertebrates by Tomtom (offline). The model is read from --model-file or trained from
labelled sequences (the options of 'enhancer-sk train').
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "motifs", HELP, DESCRIPTION)
    add_model_file_argument(p, required=False, lsgkm=False)  # a DeepEnhancer CNN's file only
    add_data_arguments(p)
    add_model_arguments(p, two_layer=False, model="deepenhancer", preset="full")
    p.add_argument("--save-model", metavar="PATH", help="save the trained model as a model file")
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
    add_runtime_arguments(p, seed=True, quiet=True, seed_help="seed of the model (default 0)")
    p.set_defaults(func=run)
    return p


def _model(args: argparse.Namespace):
    from ..model_files import describe, load, save
    from ..models.nn.deepenhancer import DeepEnhancerCNN
    from ..threads import limit_threads, resolve_threads

    if args.model != "deepenhancer":
        raise ValueError(f"motifs reads the kernels of a DeepEnhancer CNN; --model {args.model} has none")
    if args.ensemble != 1:
        raise ValueError("motifs reads the kernels of one network; --ensemble does not apply")
    threads = resolve_threads(args.threads)
    if args.model_file is not None:
        data = given_data_sources(args)
        if data:
            raise ValueError(f"give --model-file or training data ({', '.join(data)}), not both")
        _log(f"reading model {args.model_file}")
        model_path = model_file_path(args.model_file, _log)
        info = describe(model_path)
        if info["class"] == "GkmSVM":  # e.g. an LS-GKM model file: no kernels, but l-mer weights
            kind = "an LS-GKM model file (a gkm-SVM)" if "lsgkm_header" in info else "a GkmSVM"
            raise ValueError(f"{args.model_file!r} is {kind}: motifs reads the first-layer kernels of a DeepEnhancer "
                             "CNN; for a gkm-SVM's l-mer weights use 'enhancer-sk export --deltasvm'")
        model = load(model_path, kind=DeepEnhancerCNN)  # motifs reads a DeepEnhancer CNN's kernels
        set_runtime(model, threads=threads)
        return model
    _, X, y, description = read_training_data(args)
    check_labels(y, three_class_hint="motifs trains one binary network: give two classes")
    model = model_from_args(args, length=300)
    set_runtime(model, threads=threads, verbose=0 if args.quiet else 1)
    _log(f"training {describe_estimator(model)} on {description}")
    t0 = time.perf_counter()
    with logged_warnings(_log), limit_threads(threads), \
            contextlib.redirect_stdout(sys.stderr):  # skorch prints epochs on stdout
        model.fit(X, y)
    _log(f"trained in {time.perf_counter() - t0:.1f} s ({len(model.history)} epochs)")
    if args.save_model:
        set_runtime(model, threads=None, verbose=0)
        save(model, args.save_model, class_names=class_names_of(args, y))
        _log(f"model saved to {args.save_model}")
    return model


def run(args: argparse.Namespace) -> int:
    from ..interpret.motifs import compare_with_jaspar, extract_motifs, plot_logos, write_meme, write_tomtom_tsv

    start = time.perf_counter()
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
    drawn = []
    if args.logos != "none":
        t0 = time.perf_counter()
        drawn = [i for i, name in enumerate(names) if args.logos == "all" or name in matched]
        plot_logos(pfms[drawn], outdir / "logos", [names[i] for i in drawn])
        _log(f"{len(drawn)} logos drawn in {time.perf_counter() - t0:.1f} s -> {outdir / 'logos'}")
    print(f"{len(pfms)} kernel motifs; {len(matched)} match JASPAR at E < {args.evalue:g} "
          f"({len(rows)} matches)")
    for r in rows[:10]:
        print(f"  {r['motif']}  {r['jaspar_id']}  {r['tf_name']}  E={r['e_value']:.2g}")
    _log(f"{len(pfms)} kernel motifs extracted; {len(matched)} match {args.jaspar_release} CORE vertebrates at "
         f"E < {args.evalue:g} ({len(rows)} matches); {len(drawn)} logos drawn in {time.perf_counter() - start:.1f} s")
    return 0
