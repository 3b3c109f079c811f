"""Explaining predictions: speed of the attribution methods, planted-motif recovery, iEnhancer-2L motifs.

Usage::

    nice -n 10 python benchmarks/explain.py [--parts speed recovery ienhancer] [--threads 2]
        [--n 1000] [--length 200]

``speed``: ``--n`` generated sequences of ``--length`` bp, one fitted model
of each kind (trained briefly on generated data: speed does not depend on how
well a model learned), timed with ``--threads`` threads:

* DeepLIFT/SHAP with 20 dinucleotide-shuffled references for DeepEnhancer
  (``deep_lift_shap``) and Enhancer-LSTMAtt (which has no DeepLIFT rule for its
  LSTM gates: ``integrated_gradients`` from the same 20 references);
* gkm ISM (through the l-mer table) and GkmExplain for a GkmSVM (l=10, k=6,
  d=3, LS-GKM's defaults);
* batched ISM for DeepEnhancer and Enhancer-LSTMAtt, against a naive loop
  (one mutant per ``decision_function`` call) timed on ``--naive`` sequences;
  these and LSTMAtt's integrated gradients run on the first ``--n-slow``
  sequences, and their time is also given scaled to ``--n``;
* the peak resident memory of the process (``VmHWM``).

``recovery``: models trained on generated sequences with planted JASPAR
motifs (GATA1 MA0035, CTCF MA0139, SPI1 MA0080 by default) explain the
held-out positives: the fraction of their top-contribution 10-bp windows
that overlap a planted site, and the motifs :func:`discover_motifs` returns
with their best JASPAR match (E < 0.05), for DeepEnhancer, GkmSVM and
Enhancer-LSTMAtt.

``ienhancer``: iEnhancer-2L layer 1 (``ENHANCER_SK_DATA``): each model
(``build_model`` recipes gkm, deepenhancer and lstmatt, ``fast`` preset for
the networks) fitted on the training set explains its 1,484 training
enhancers (GkmExplain, DeepLIFT/SHAP, ISM for LSTMAtt: integrated gradients
would take about 50 min); the motif table of each.

Prints Markdown tables and the machine line.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info  # noqa: E402

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers  # noqa: E402
from enhancer_sk.evaluation.metrics import format_table  # noqa: E402
from enhancer_sk.interpret.attribution import attribute  # noqa: E402
from enhancer_sk.interpret.discovery import discover_motifs  # noqa: E402
from enhancer_sk.interpret.tracks import per_base_importance, top_window  # noqa: E402
from enhancer_sk.presets import build_model  # noqa: E402

PLANTED = {"MA0035": "GATA1", "MA0139": "CTCF", "MA0080": "SPI1"}


def peak_mb() -> float:
    """Peak resident memory of this process (VmHWM), MB."""
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _naive_ism(model, seqs) -> np.ndarray:
    """One mutant per ``decision_function`` call: the loop batched ISM replaces."""
    out = []
    for seq in seqs:
        ref = float(model.decision_function([seq])[0])
        delta = np.zeros((4, len(seq)))
        for j, base in enumerate(seq):
            for b, alt in enumerate("ACGT"):
                if alt != base:
                    delta[b, j] = float(model.decision_function([seq[:j] + alt + seq[j + 1:]])[0]) - ref
        out.append(delta)
    return np.stack(out)


def _models(threads: int, length: int, *, random_state: int = 0, epochs: int = 3, n_train: int = 600,
            motifs=None):
    """gkm, deepenhancer and lstmatt fitted on generated sequences (fast presets, a few epochs)."""
    X, y = make_synthetic_enhancers(n_train, length, motifs=motifs, random_state=random_state)
    models = {
        "DeepEnhancer": build_model("deepenhancer", preset="fast", seed=random_state, threads=threads,
                                    length=length).set_params(max_epochs=epochs, verbose=0),
        "Enhancer-LSTMAtt": build_model("lstmatt", preset="fast", seed=random_state, threads=threads,
                                        length=length).set_params(max_epochs=epochs, verbose=0),
        "GkmSVM": build_model("gkm", threads=threads).set_params(l=10, k=6, d=3),
    }
    for name, model in models.items():
        _, seconds = _timed(lambda m=model: m.fit(X, y))
        print(f"# {name} fitted on {len(X)} sequences in {seconds:.1f} s", file=sys.stderr, flush=True)
    return models


def bench_speed(args) -> None:
    models = _models(args.threads, args.length)
    X, _ = make_synthetic_enhancers(args.n, args.length, random_state=1)
    rows = []
    # the slow runs (one forward pass per mutant; LSTM backward passes) on the first --n-slow sequences
    runs = [("DeepEnhancer", "deep_lift_shap", len(X)), ("GkmSVM", "ism", len(X)), ("GkmSVM", "gkmexplain", len(X)),
            ("Enhancer-LSTMAtt", "integrated_gradients", args.n_slow), ("DeepEnhancer", "ism", args.n_slow),
            ("Enhancer-LSTMAtt", "ism", args.n_slow)]
    if args.only:
        runs = [r for r in runs if f"{r[0]}:{r[1]}" in args.only]
    for name, method, n in runs:
        part = X[:n]
        _, seconds = _timed(lambda n=name, m=method, p=part: attribute(models[n], p, m, threads=args.threads,
                                                                        random_state=0))
        row = {"model": name, "method": method, "sequences": len(part), "seconds": round(seconds, 2),
               "seq_per_s": round(len(part) / seconds, 1),
               f"s per {len(X)} (scaled)": round(seconds * len(X) / len(part), 1), "peak_MB": round(peak_mb())}
        if method == "ism" and name != "GkmSVM":
            few = X[: args.naive]
            _, naive = _timed(lambda m=models[name], f=few: _naive_ism(m, f))
            row["naive seq_per_s"] = round(len(few) / naive, 2)
            row["speed-up"] = round(naive / len(few) / (seconds / len(part)), 1)
        rows.append(row)
        print(f"# {name} {method}: {seconds:.1f} s for {len(part)}", file=sys.stderr, flush=True)
    print(f"\n## Speed: {args.length}-bp sequences, {args.threads} threads (the last three on the first "
          f"{args.n_slow}, scaled to {len(X)})\n")
    print(format_table(rows, columns=["model", "method", "sequences", "seconds", "seq_per_s",
                                      f"s per {len(X)} (scaled)", "naive seq_per_s", "speed-up", "peak_MB"]))


def _jaspar(ids):
    from enhancer_sk.interpret.motifs import jaspar_motifs

    names, tfs, pfms = jaspar_motifs("JASPAR2024")
    wanted = {}
    for jid, tf, pfm in zip(names, tfs, pfms):
        base = jid.split(".")[0]
        if base in ids and base not in wanted:
            wanted[base] = (jid, tf, np.asarray(pfm, dtype=float))
    return wanted


def bench_recovery(args) -> None:
    planted = _jaspar(PLANTED)
    motifs = {f"{tf}_{base}": pfm for base, (jid, tf, pfm) in planted.items()}
    models = _models(args.threads, args.length, random_state=2, epochs=args.epochs, n_train=args.n_train,
                     motifs=motifs)
    X, y, sites = make_synthetic_enhancers(args.n, args.length, motifs=motifs, random_state=3,
                                           return_motif_sites=True)
    covered = {}
    for i, name, start, _strand in sites:
        width = motifs[name].shape[1]
        covered.setdefault(i, []).append((start, start + width))
    positives = np.flatnonzero(y == 1)
    rows, tables = [], []
    for name, model in models.items():
        method = {"DeepEnhancer": "deep_lift_shap", "Enhancer-LSTMAtt": "integrated_gradients",
                  "GkmSVM": "gkmexplain"}[name]
        attr, seconds = _timed(lambda m=model, me=method: attribute(m, X[positives], me, threads=args.threads,
                                                                     random_state=0))
        hits = 0
        for k, imp in zip(positives, per_base_importance(attr)):
            start, _ = top_window(imp, 10)
            hits += any(start < e and start + 10 > s for s, e in covered.get(int(k), []))
        result = discover_motifs(attr, X[positives], threads=args.threads, random_state=0)
        found = {}
        for row in result.table(as_frame=False):
            if row["best_match"]:
                base = row["best_match"].split(".")[0]
                if base in PLANTED and (base not in found or row["evalue"] < found[base]):
                    found[base] = row["evalue"]
            tables.append({"model": name, **row})
        rows.append({"model": name, "method": method, "positives": len(positives),
                     "top_window_on_site": round(hits / len(positives), 3),
                     **{f"{PLANTED[b]} E": (f"{found[b]:.2g}" if b in found else "not found") for b in PLANTED},
                     "seconds": round(seconds, 1)})
        print(f"# recovery {name}: {rows[-1]}", file=sys.stderr, flush=True)
    print(f"\n## Planted-motif recovery: {len(positives)} held-out positives of {args.length} bp\n")
    print(format_table(rows, columns=["model", "method", "positives", "top_window_on_site",
                                      *[f"{PLANTED[b]} E" for b in PLANTED], "seconds"]))
    print("\n## Motifs found\n")
    print(format_table(tables, columns=["model", "motif", "n_seqlets", "best_match", "match_name", "evalue",
                                        "consensus"]))


def bench_ienhancer(args) -> None:
    from enhancer_sk.datasets.ienhancer2l import load_ienhancer2l

    X, y = load_ienhancer2l(1, "train", args.data_home)
    # what each model learned: its contributions on the training enhancers (the 200 test enhancers give
    # TF-MoDISco too few seqlets)
    X_test = X[y == 1]
    recipes = {"GkmSVM": ("gkm", "gkmexplain"), "DeepEnhancer": ("deepenhancer", "deep_lift_shap"),
               "Enhancer-LSTMAtt": ("lstmatt", "ism")}
    tables = []
    for name, (recipe, method) in recipes.items():
        model = build_model(recipe, preset="fast", seed=0, threads=args.threads, length=200)
        if hasattr(model, "max_epochs"):
            model.set_params(verbose=0)
        _, fit_s = _timed(lambda m=model: m.fit(X, y))
        attr, attr_s = _timed(lambda m=model, me=method: attribute(m, X_test, me, threads=args.threads,
                                                                    random_state=0))
        result, motif_s = _timed(lambda a=attr: discover_motifs(a, X_test, threads=args.threads, random_state=0))
        print(f"# iEnhancer-2L {name}: fit {fit_s:.0f} s, {method} {attr_s:.0f} s, motifs {motif_s:.0f} s",
              file=sys.stderr, flush=True)
        rows = result.table(as_frame=False)
        if not rows:
            tables.append({"model": name, "method": method, "motif": "(none)"})
        tables += [{"model": name, "method": method, **r} for r in rows]
    print(f"\n## iEnhancer-2L layer 1: motifs in the contributions of the {len(X_test)} training enhancers\n")
    print(format_table(tables, columns=["model", "method", "motif", "n_seqlets", "width", "best_match",
                                        "match_name", "evalue", "consensus"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["speed", "recovery"],
                        choices=["speed", "recovery", "ienhancer"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n", type=int, default=1000, help="sequences explained (default 1000)")
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--n-slow", type=int, default=100,
                        help="sequences of the slow runs (network ISM, LSTMAtt gradients; default 100)")
    parser.add_argument("--naive", type=int, default=3, help="sequences of the naive ISM loop (default 3)")
    parser.add_argument("--n-train", type=int, default=2000, help="training sequences of recovery (default 2000)")
    parser.add_argument("--epochs", type=int, default=15, help="network epochs of recovery (default 15)")
    parser.add_argument("--only", nargs="+", metavar="MODEL:METHOD",
                        help="speed: only these runs, e.g. DeepEnhancer:deep_lift_shap GkmSVM:ism")
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args()
    print(machine_info())
    for part in args.parts:
        {"speed": bench_speed, "recovery": bench_recovery, "ienhancer": bench_ienhancer}[part](args)
    print(f"\n# peak memory {peak_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
