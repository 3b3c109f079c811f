"""``enhancer-sk explain``: per-base contributions of a model's predictions, the motifs in them, a report.

The model file (``-m``) is any model of the suite; the sequences come from a
FASTA file (``--fasta``) or from genome regions (``--regions BED --genome
FA``, fetched as they are: strand ``-`` reverse complemented, a region off its
chromosome is an error).  :func:`enhancer_sk.interpret.attribution.attribute`
computes the contribution of every base (``--method``; ``auto`` takes
``gkmexplain`` for a gkm-SVM, DeepLIFT/SHAP with dinucleotide-shuffled
references for a DeepEnhancer CNN and in-silico mutagenesis otherwise), and
:func:`enhancer_sk.interpret.discovery.discover_motifs` (TF-MoDISco, then
Tomtom against JASPAR) the motifs behind them.

Outputs, each optional and written only when the whole run succeeds:

* ``--attributions``: NPZ with ``attributions`` (n, 4, L) float32 actual
  contributions (rows A, C, G, T; zero beyond each sequence's length and at
  N), ``ids``, ``lengths``, ``scores`` and ``method``;
* ``--scores``: TSV, one line per sequence: score, sum of contributions and
  the most important 10-bp window;
* ``--bigwig``: per-base importance (the contribution of the observed base)
  on the genome, with ``--regions``;
* ``--logos``: PNG, contribution logos of the ``--top`` sequences of highest score;
* ``--motif-table`` (TSV), ``--meme`` (MEME minimal format), ``--motif-logos``
  (PNG): the discovered motifs and their best JASPAR match;
* ``--html``: one self-contained report of all of it, beside the model's own
  view (LSTMAtt's attention weights, DeepEnhancer's first-layer kernel motifs).

The last line on stderr is the result, without file paths::

    [explain] 120 sequences explained by deep_lift_shap (DeepEnhancerCNN): 3 motifs, 2 match JASPAR
    (E < 0.05) in 14.2 s

(one line).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ._options import (
    add_model_file_argument,
    add_runtime_arguments,
    command_parser,
    load_model_argument,
    logged_warnings,
    logger,
)

__all__ = ["add_parser", "run"]

#: One line for ``enhancer-sk --help``.
HELP = "explain predictions: per-base contributions, motifs (TF-MoDISco + JASPAR), bigWig, logos, report"
#: The ``enhancer-sk explain --help`` text.
DESCRIPTION = """
Compute the contribution of every base to a model's score (in-silico mutagenesis, DeepLIFT/SHAP,
integrated gradients or GkmExplain), find the motifs behind them with TF-MoDISco and match them to
JASPAR by Tomtom; write the contributions (NPZ), a score table, a bigWig track of genome regions,
contribution logos, the motif table, a MEME file and one HTML report.
"""

METHOD_CHOICES = ("auto", "ism", "deep_lift_shap", "integrated_gradients", "gkmexplain")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "explain", HELP, DESCRIPTION)
    add_model_file_argument(p)
    src = p.add_argument_group("sequences (one source)")
    src.add_argument("--fasta", metavar="FA", help="sequences to explain (FASTA, plain or gzip)")
    src.add_argument("--regions", metavar="BED", help="genome regions to explain (with --genome)")
    src.add_argument("--genome", metavar="FA", help="genome FASTA of --regions (plain or bgzip)")
    me = p.add_argument_group("method")
    me.add_argument("--method", choices=METHOD_CHOICES, default="auto",
                    help="auto (default): gkmexplain for a gkm-SVM, deep_lift_shap for a DeepEnhancer CNN, ism "
                    "(in-silico saturation mutagenesis) for the others")
    me.add_argument("--layer", type=int, choices=(1, 2), default=None,
                    help="two-layer models: explain layer 1 (enhancer vs non-enhancer) or 2 (strong vs weak)")
    me.add_argument("--n-shuffles", type=int, default=20, metavar="N",
                    help="dinucleotide-shuffled references per sequence (deep_lift_shap, integrated_gradients; "
                    "default 20)")
    mo = p.add_argument_group("motifs and pictures")
    mo.add_argument("--top", type=int, default=5, metavar="N",
                    help="contribution logos of the N sequences of highest score (default 5)")
    mo.add_argument("--evalue", type=float, default=0.05,
                    help="Tomtom E-value below which a JASPAR match is reported (default 0.05)")
    mo.add_argument("--jaspar-release", default="JASPAR2024", help="JASPAR release shipped with pyjaspar")
    mo.add_argument("--max-seqlets", type=int, default=2000, metavar="N",
                    help="seqlets per metacluster TF-MoDISco clusters at most (default 2000)")
    out = p.add_argument_group("output (each optional)")
    out.add_argument("--attributions", metavar="NPZ", help="contributions, ids, lengths and scores (NumPy .npz)")
    out.add_argument("--scores", metavar="TSV", help="score, contribution sum and top 10-bp window per sequence")
    out.add_argument("--bigwig", metavar="BW", help="per-base importance on the genome (needs --regions)")
    out.add_argument("--logos", metavar="PNG", help="contribution logos of the --top sequences")
    out.add_argument("--motif-table", metavar="TSV", help="discovered motifs with their best JASPAR match")
    out.add_argument("--meme", metavar="MEME", help="discovered motifs (PFMs) in MEME minimal format")
    out.add_argument("--motif-logos", metavar="PNG", help="logos of the discovered motifs (CWM and PFM)")
    out.add_argument("--html", metavar="HTML", help="self-contained report of everything above")
    add_runtime_arguments(p, seed=True, quiet=True,
                          seed_help="seed of the shuffled references and of TF-MoDISco (default 0)")
    p.set_defaults(func=run)
    return p


def _read_sequences(args: argparse.Namespace, log):
    """ids, sequences and (with --regions) the regions, in the order of the input."""
    from ..io.fasta import read_fasta

    if bool(args.fasta) == bool(args.regions):
        raise ValueError("give the sequences with --fasta, or genome regions with --regions and --genome")
    if args.regions and not args.genome:
        raise ValueError("--regions needs --genome")
    if args.genome and not args.regions:
        raise ValueError("--genome goes with --regions")
    if args.bigwig and not args.regions:
        raise ValueError("--bigwig writes genome coordinates: it needs --regions and --genome")
    if args.fasta:
        ids, X = read_fasta(args.fasta)
        regions = None
        source = "FASTA"
    else:
        from ..io.genome import ReferenceGenome, fetch_regions, read_bed

        regions = read_bed(args.regions)
        with ReferenceGenome(args.genome) as genome:
            ids, X = fetch_regions(genome, regions, on_out_of_bounds="error")
            regions = (regions, dict(genome.chrom_sizes))
        source = "genome regions"
    if len(X) == 0:
        raise ValueError(f"no sequences in {args.fasta or args.regions}")
    lengths = np.fromiter((len(s) for s in X), dtype=np.int64, count=len(X))
    log(f"{len(X)} sequences from {source} ({lengths.min()}-{lengths.max()} bp)")
    return np.asarray(ids, dtype=object), np.asarray(X, dtype=object), lengths, regions


def choose_method(model, method: str) -> str:
    """``--method auto`` resolved for ``model``; an unsupported method is a clear error."""
    from ..interpret.attribution import supported_methods

    supported = supported_methods(model)
    if method == "auto":
        for candidate in ("gkmexplain", "deep_lift_shap", "ism"):
            if candidate in supported:
                return candidate
    if method not in supported:
        raise ValueError(f"--method {method} does not apply to {type(model).__name__}; "
                         f"it supports {', '.join(supported)}")
    return method


def _score_rows(ids, lengths, scores, importance) -> list[dict]:
    from ..interpret.tracks import top_window

    rows = []
    for rid, length, score, imp in zip(ids, lengths, scores, importance):
        start, total = top_window(imp, 10)
        rows.append({"id": rid, "length": int(length), "score": float(score),
                     "contribution_sum": float(imp.sum(dtype=np.float64)),
                     "top_window_start": start + 1, "top_window_end": min(start + 10, int(length)),
                     "top_window_contribution": total})
    return rows


def _write_npz(path, attributions, ids, lengths, scores, method: str, model_class: str) -> None:
    from ..io.files import atomic_path

    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, attributions=attributions.astype(np.float32, copy=False),
                            ids=np.asarray(ids, dtype=str), lengths=np.asarray(lengths, dtype=np.int64),
                            scores=np.asarray(scores, dtype=np.float64), method=np.asarray(method),
                            model=np.asarray(model_class))


def _save_png(fig, path) -> None:
    from ..evaluation.plots import save_figure

    save_figure(fig, path)


def _model_view(model, X_top, names, layer) -> tuple[str, object] | None:
    """The model's own view of the top sequences: LSTMAtt attention, DeepEnhancer kernel motifs."""
    from ..interpret.attribution import pick_layer
    from ..models.nn.deepenhancer import DeepEnhancerCNN
    from ..models.nn.lstmatt import EnhancerLSTMAttClassifier

    est = pick_layer(model, layer)
    if isinstance(est, EnhancerLSTMAttClassifier):
        from matplotlib.figure import Figure

        weights = est.attention_weights(X_top)
        fig = Figure(figsize=(10, 0.9 + 0.9 * len(weights)))
        axes = fig.subplots(len(weights), 1, squeeze=False)[:, 0]
        for ax, w, name in zip(axes, weights, names):
            ax.plot(np.arange(1, len(w) + 1), w, lw=0.8)
            ax.set_title(name, fontsize=8, loc="left")
            ax.set_ylabel("attention", fontsize=7)
            ax.tick_params(labelsize=7)
        fig.tight_layout()
        return "Attention weights of the LSTM branch (positions of the centre-cropped or N-padded input)", fig
    if isinstance(est, DeepEnhancerCNN):
        from ..interpret.motifs import compare_with_jaspar, extract_motifs

        pfms = extract_motifs(est)
        rows = compare_with_jaspar(pfms, evalue_threshold=0.05)
        return "First-layer kernel motifs with a JASPAR match (E < 0.05)", rows
    return None


def run(args: argparse.Namespace) -> int:
    from ..interpret.attribution import attribute, model_scores
    from ..interpret.discovery import discover_motifs
    from ..interpret.tracks import attribution_logos, per_base_importance, write_bigwig
    from ..io.tables import write_tsv
    from ..threads import limit_threads, resolve_threads
    from ._outputs import check_output_paths, write_all_or_none

    log = logger("explain")
    start = time.perf_counter()
    outputs = (args.attributions, args.scores, args.bigwig, args.logos, args.motif_table, args.meme,
               args.motif_logos, args.html)
    check_output_paths(*outputs)
    if args.top < 1:
        raise ValueError(f"--top must be at least 1, got {args.top}")
    if args.n_shuffles < 1:
        raise ValueError(f"--n-shuffles must be at least 1, got {args.n_shuffles}")
    if not args.evalue > 0:
        raise ValueError(f"--evalue must be positive, got {args.evalue}")
    model, info, _ = load_model_argument(args.model_file, log=log)
    log(f"model {args.model_file}: {info['class']}, classes {info['classes']}")
    method = choose_method(model, args.method)
    ids, X, lengths, regions = _read_sequences(args, log)
    threads = resolve_threads(args.threads)
    log(f"method {method}" + (f" ({args.n_shuffles} dinucleotide-shuffled references)"
                              if method in ("deep_lift_shap", "integrated_gradients") else "")
        + f", {threads} thread(s)")
    want_motifs = any((args.motif_table, args.meme, args.motif_logos, args.html))
    with logged_warnings(log), limit_threads(threads), contextlib.redirect_stdout(sys.stderr):
        scores = model_scores(model, X, layer=args.layer)
        attributions = attribute(model, X, method, layer=args.layer, n_shuffles=args.n_shuffles,
                                 threads=threads, random_state=args.seed, verbose=not args.quiet)
        log(f"contributions computed in {time.perf_counter() - start:.1f} s")
        importance = per_base_importance(attributions, lengths)
        motifs = None
        if want_motifs:
            t0 = time.perf_counter()
            motifs = discover_motifs(attributions, X, max_seqlets=args.max_seqlets, jaspar_release=args.jaspar_release,
                                     evalue_threshold=args.evalue, threads=threads, random_state=args.seed,
                                     verbose=not args.quiet)
            log(f"TF-MoDISco: {len(motifs)} motifs in {time.perf_counter() - t0:.1f} s")
        order = np.argsort(-np.asarray(scores), kind="stable")[: args.top]
        names = [f"{ids[i]} (score {scores[i]:.3g})" for i in order]
        logos = None
        if args.logos or args.html:
            logos = attribution_logos(attributions[order], names, lengths=lengths[order],
                                      title=f"Contributions ({method}) of the {len(order)} sequences of highest score")
        view = _model_view(model, X[order], names, args.layer) if args.html else None
    rows = _score_rows(ids, lengths, scores, importance)
    motif_logos = args.motif_logos
    if motif_logos and motifs is not None and len(motifs) == 0:
        log("no motifs found: no motif logos written")
        motif_logos = None
    n_matched = 0 if motifs is None else sum(1 for r in motifs.table(as_frame=False) if r.get("best_match"))

    def bigwig(path):
        regs, sizes = regions
        write_bigwig(path, regs.chrom.tolist(), regs.start.tolist(), regs.strand.tolist(), importance, sizes)

    def html(path):
        _report(path, args, info, method, rows, order, logos, motifs, view, time.perf_counter() - start)

    written = write_all_or_none([
        (args.attributions, lambda path: _write_npz(path, attributions, ids, lengths, scores, method,
                                                    info["class"])),
        (args.scores, lambda path: write_tsv(path, rows)),
        (args.bigwig, bigwig),
        (args.logos, lambda path: _save_png(logos, path)),
        (args.motif_table, lambda path: motifs.write_table(path)),
        (args.meme, lambda path: motifs.write_meme(path)),
        (motif_logos, lambda path: motifs.plot_logos(path)),
        (args.html, html),
    ])
    for path in written:
        log(f"wrote {path}")
    found = "" if motifs is None else (f": {len(motifs)} motifs, {n_matched} match {args.jaspar_release} "
                                       f"(E < {args.evalue:g})")
    log(f"{len(X)} sequences explained by {method} ({info['class']}){found} in {time.perf_counter() - start:.1f} s")
    return 0


def _report(path, args, info, method, rows, order, logos, motifs, view, seconds: float) -> None:
    from ..evaluation.report import HtmlReport

    report = HtmlReport("Explained enhancer predictions")
    report.paragraph(f"Model: {info['class']} (classes {info['classes']}). {len(rows)} sequences; per-base "
                     f"contributions by {_METHOD_WORDS[method]}, summed per position for the score table. "
                     f"Run time {seconds:.1f} s.")
    report.heading(f"The {len(order)} sequences of highest score")
    report.table([rows[i] for i in order])
    if logos is not None:
        report.figure(logos, "Contributions of each base: letters above the line raise the score, below lower it")
    if motifs is not None:
        report.heading("Motifs in the contributions (TF-MoDISco) and their best JASPAR match (Tomtom)")
        table = motifs.table(as_frame=False)
        if table:
            report.table(table)
            with tempfile.TemporaryDirectory() as tmp:
                png = motifs.plot_logos(Path(tmp) / "motifs.png")
                report.figure(png.read_bytes(), "CWM and PFM logos of the discovered motifs, with the best "
                              "JASPAR match")
        else:
            report.paragraph("TF-MoDISco found no recurring motif (too few sequences, or contributions without "
                             "recurring patterns).")
    if view is not None:
        caption, content = view
        report.heading("The model's own view")
        if isinstance(content, list):
            report.paragraph(caption)
            if content:
                report.table(content)
            else:
                report.paragraph("No kernel motif matches JASPAR at E < 0.05.")
        else:
            report.figure(content, caption)
    report.write(path)


_METHOD_WORDS = {
    "ism": "in-silico saturation mutagenesis (each base's effect on the score, centred over the four bases)",
    "deep_lift_shap": "DeepLIFT/SHAP against dinucleotide-shuffled references (tangermeme)",
    "integrated_gradients": "integrated gradients from dinucleotide-shuffled references (captum)",
    "gkmexplain": "GkmExplain (Shrikumar et al. 2019), the gapped k-mer SVM's own decomposition",
}
