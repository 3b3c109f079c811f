"""DeepEnhancer fine-tuning: pre-train on one data set, fine-tune on another, versus training from scratch.

Usage::

    nice -n 10 python benchmarks/finetune.py [--seeds 3] [--epochs 30] [--threads 2]
        [--n-generic 4000] [--n-target 400] [--n-target-test 2000] [--windows-per-peak 1]
        [--budget-minutes 24] [--skip-synthetic] [--skip-real]

On 2 shared cores the synthetic part took 10 minutes and the real part about
as long; run them as two invocations (``--skip-real``, ``--skip-synthetic``)
to keep each under 25 minutes.  ``--budget-minutes`` starts no seed that would
likely end after it.

DeepEnhancer's central protocol (Min et al. 2017): pre-train on generic
enhancers, then fine-tune on one cell line.  Every network is the project's
``fast`` DeepEnhancer recipe (:func:`enhancer_sk.presets.build_model`, 200-bp
windows).  For each seed (the same seed for every arm of that seed):

* *pre-train*: the recipe as it is (early stopping on its own validation
  split of the *source* training set) on the source set;
* *scratch*: a fresh network trained on the target training set;
* *fine-tune*: the same, starting from the pre-trained weights
  (``init_from``); *fine-tune, frozen conv*: the same with the convolutions
  fixed (``freeze_conv=True``: only the dense layers train);
* *pre-trained only*: the pre-trained network applied to the target test set
  without any target training (how far the source task alone goes).

Scratch and both fine-tunes train for exactly ``--epochs`` epochs (default 30,
the recipe's maximum) on the whole target training set (no validation split,
no early stopping) at the recipe's learning rate, so they differ only in where
they start.  Nothing is chosen on a test set: the epochs, motifs, sizes and
window are fixed in advance.  The CLI equivalent of a fine-tune is ``enhancer-sk
train --model deepenhancer --init-from pre.eskm [--freeze-conv] --epochs 30
--validation-fraction 0`` (no validation split: no early stopping).

Data

(a) synthetic: a *generic* set (``--n-generic`` sequences of 200 bp with
    planted JASPAR motifs CTCF, GATA1, Spi1, CEBPB) and a *cell line* set
    sharing GATA1 and Spi1 plus its own FOXA1 (``--n-target`` training
    sequences; test set of ``--n-target-test`` sequences drawn with another
    seed), two sites per enhancer;
(b) real: iEnhancer-2L layer 1 standard training set (2,968 sequences of
    200 bp; needs ``ENHANCER_SK_DATA``) as the source, LS-GKM's NFE2 GM12878
    ChIP-seq peaks (644 + 644 GC-matched negatives of 235 bp; 69 + 69 test) as
    the target.  The 200-bp window covers the iEnhancer-2L sequences in one
    window and the 235-bp peaks in 18 windows (stride 2, max voting); the
    target arms train on ``--windows-per-peak`` (default 1) of them per peak
    and epoch, re-drawn every epoch (the ``full`` preset's sampling, which
    takes 4), so that an epoch on the peaks costs what it costs on 200-bp
    sequences (all 18 in every epoch would not fit the 25-minute budget on 2
    cores); the test peaks are scored on all their windows.

Scores: AUC (ROC) on the target test set with its 95% stratified bootstrap
interval and the paired interval of the difference to *scratch* of the same
seed (:func:`enhancer_sk.evaluation.bootstrap.paired_bootstrap`, 1,000
resamples of the test sequences), one row per seed and arm, then the mean
+/- sd over the seeds; "learned nothing": the network's own check
(``NotLearningWarning``: one class predicted for the whole training set).
Prints Markdown tables and the machine line.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info  # noqa: E402

from enhancer_sk.evaluation.bootstrap import paired_bootstrap  # noqa: E402
from enhancer_sk.evaluation.metrics import format_table  # noqa: E402
from enhancer_sk.presets import build_model  # noqa: E402

#: Window (bp) of every network: iEnhancer-2L's length, covered 18 times by a 235-bp NFE2 peak.
WINDOW = 200
#: JASPAR matrix ids of the synthetic sets (JASPAR2024 CORE vertebrates, shipped with pyjaspar).
GENERIC_MOTIFS = {"CTCF": "MA0139.2", "GATA1": "MA0035.5", "Spi1": "MA0080.7", "CEBPB": "MA0466.4"}
TARGET_MOTIFS = {"GATA1": "MA0035.5", "Spi1": "MA0080.7", "FOXA1": "MA0148.5"}
#: Arms compared on the target test set, in table order.
ARMS = ("scratch", "fine-tune", "fine-tune, frozen conv", "pre-trained only")


def _jaspar(wanted: dict[str, str]) -> dict[str, np.ndarray]:
    """PFMs of the named JASPAR matrices, by TF name."""
    from enhancer_sk.interpret.motifs import jaspar_motifs

    ids, _, pfms = jaspar_motifs()
    by_id = dict(zip(ids, pfms))
    return {name: by_id[matrix] for name, matrix in wanted.items()}


def synthetic_data(n_generic: int, n_target: int, n_test: int, seed: int) -> dict[str, tuple]:
    """The generic (source), cell line (target) training and target test sets of one seed.

    Parameters
    ----------
    n_generic, n_target, n_test : int
        Sizes of the three sets.
    seed : int
        Seed of the draw; the test set is drawn with ``seed + 1000``.

    Returns
    -------
    dict
        ``{"source": (X, y), "target": (X, y), "test": (X, y)}``.
    """
    from enhancer_sk.datasets.synthetic import make_synthetic_enhancers

    generic, target = _jaspar(GENERIC_MOTIFS), _jaspar(TARGET_MOTIFS)
    common = {"length": WINDOW, "motifs_per_sequence": 2}
    return {
        "source": make_synthetic_enhancers(n_generic, motifs=generic, random_state=seed, **common),
        "target": make_synthetic_enhancers(n_target, motifs=target, random_state=seed + 500, **common),
        "test": make_synthetic_enhancers(n_test, motifs=target, random_state=seed + 1000, **common),
    }


def real_data(windows_per_peak: int = 1) -> dict[str, tuple]:
    """iEnhancer-2L layer 1 (source) and LS-GKM's NFE2 GM12878 peaks (target training and test).

    Parameters
    ----------
    windows_per_peak : int, default=1
        Training windows per peak and epoch of the target arms (``train_windows_per_sequence``).

    Returns
    -------
    dict
        ``{"source": (X, y), "target": (X, y), "test": (X, y), "params": {...}}``.
    """
    from enhancer_sk.datasets import get_data_home
    from enhancer_sk.datasets.ienhancer2l import load_ienhancer2l
    from enhancer_sk.io.labels import read_class_fastas

    folder = Path(get_data_home()) / "lsgkm_tests"
    _, X_tr, y_tr = read_class_fastas({1: folder / "nfe2_gm12878.tr.fa", 0: folder / "nfe2_gm12878.neg.tr.fa"})
    _, X_te, y_te = read_class_fastas({1: folder / "nfe2_gm12878.test.fa",
                                       0: folder / "nfe2_gm12878.neg.test.fa"})
    X_src, y_src = load_ienhancer2l(1, "train", download_if_missing=False)
    # a few windows per peak and epoch, re-drawn every epoch (the full preset's sampling): an epoch on the
    # 235-bp peaks then costs what it costs on 200-bp sequences instead of 18 times as much
    return {"source": (X_src, y_src), "target": (X_tr, y_tr), "test": (X_te, y_te),
            "params": {"train_windows_per_sequence": windows_per_peak}}


def _network(seed: int, threads: int, epochs: int | None = None, **params):
    """The fast DeepEnhancer recipe; with ``epochs``: exactly that many epochs on all the training data.

    Parameters
    ----------
    seed, threads : int
    epochs : int or None
        None: the recipe's own epochs and early stopping (pre-training).
    **params
        Other parameters set on the recipe (``init_from``, ``freeze_conv`` ...).

    Returns
    -------
    DeepEnhancerCNN
        Not fitted.
    """
    model = build_model("deepenhancer", preset="fast", seed=seed, threads=threads, length=WINDOW)
    model.set_params(verbose=0, **params)
    if epochs is not None:
        model.set_params(max_epochs=epochs, train_split=None, patience=None)
    return model


def run_seed(data: dict[str, tuple], seed: int, epochs: int, threads: int) -> tuple[dict, dict]:
    """Test-set probabilities of every arm for one seed, and the seconds each fit took."""
    seconds: dict[str, float] = {}
    X_src, y_src = data["source"]
    X_tr, y_tr = data["target"]
    X_te, _ = data["test"]
    extra = data.get("params", {})
    start = time.perf_counter()
    pretrained = _network(seed, threads).fit(X_src, y_src)
    seconds["pre-train"] = time.perf_counter() - start
    arms = {
        "scratch": _network(seed, threads, epochs, **extra),
        "fine-tune": _network(seed, threads, epochs, init_from=pretrained, **extra),
        "fine-tune, frozen conv": _network(seed, threads, epochs, init_from=pretrained, freeze_conv=True, **extra),
    }
    proba = {}
    for name, model in arms.items():
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X_tr, y_tr)
        seconds[name] = time.perf_counter() - start
        if any(type(w.message).__name__ == "NotLearningWarning" for w in caught):
            seconds[f"{name} learned nothing"] = 1
        proba[name] = model.predict_proba(X_te)[:, 1]
    proba["pre-trained only"] = pretrained.predict_proba(X_te)[:, 1]
    seconds["pre-train epochs"] = len(pretrained.history_)
    return proba, seconds


def _interval(score: float, low: float, high: float) -> str:
    return f"{score:.3f} [{low:.3f}, {high:.3f}]"


def evaluate(name: str, data_of: Callable[[int], dict], seeds: list[int], epochs: int, threads: int,
             deadline: float = float("inf")) -> None:
    """Train every arm for every seed and print the per-seed and the summary tables.

    Parameters
    ----------
    name : str
        Title of the tables.
    data_of : callable
        ``seed -> {"source": (X, y), "target": (X, y), "test": (X, y)}``.
    seeds : list of int
    epochs : int
        Epochs of scratch and of the fine-tunes.
    threads : int
    deadline : float
        ``time.perf_counter()`` after which no further seed starts when the
        last one would not finish before it (the tables then hold the seeds
        done).
    """
    n_test, done = 0, []
    rows, aucs, deltas = [], {a: [] for a in ARMS}, {a: [] for a in ARMS[1:]}
    resolved = {a: [0, 0] for a in ARMS[1:]}  # [better, worse] than scratch, paired interval excluding 0
    for seed in seeds:
        if done and time.perf_counter() + max(done) > deadline:
            print(f"{name}: time budget reached, seeds {', '.join(map(str, seeds[len(done):]))} not run", flush=True)
            break
        start = time.perf_counter()
        data = data_of(seed)
        y_test = data["test"][1]
        n_test = len(y_test)
        proba, seconds = run_seed(data, seed, epochs, threads)
        intervals, differences = paired_bootstrap(y_test, proba, n_resamples=1000, random_state=seed)
        auc = {r["model"]: r for r in intervals if r["metric"] == "AUC"}
        diff = {r["model_b"]: r for r in differences if r["metric"] == "AUC" and r["model_a"] == "scratch"}
        for arm in ARMS:
            row = {"seed": seed, "arm": arm,
                   "AUC [95% CI]": _interval(auc[arm]["score"], auc[arm]["low"], auc[arm]["high"]),
                   "fit s": f"{seconds[arm]:.0f}" if arm in seconds else
                   f"{seconds['pre-train']:.0f} ({seconds['pre-train epochs']} epochs)",
                   "learned nothing": "yes" if f"{arm} learned nothing" in seconds else ""}
            aucs[arm].append(auc[arm]["score"])
            if arm != "scratch":  # paired_bootstrap gives scratch - arm; report arm - scratch
                d = diff[arm]
                row["Δ vs scratch [95% CI]"] = f"{-d['difference']:+.3f} [{-d['high']:+.3f}, {-d['low']:+.3f}]"
                deltas[arm].append(-d["difference"])
                resolved[arm][0] += d["high"] < 0
                resolved[arm][1] += d["low"] > 0
            rows.append(row)
        done.append(time.perf_counter() - start)
        print(f"{name}: seed {seed} done in {done[-1]:.0f} s "
              f"(load avg {os.getloadavg()[0]:.2f})", flush=True)

    seeds = seeds[:len(done)]
    print(f"\n### {name}: per seed (target test set, n={n_test})\n")
    print(format_table(rows, ["seed", "arm", "AUC [95% CI]", "Δ vs scratch [95% CI]", "fit s",
                              "learned nothing"]))
    summary = []
    for arm in ARMS:
        row = {"arm": arm, "AUC mean ± sd": f"{np.mean(aucs[arm]):.3f} ± {np.std(aucs[arm], ddof=1):.3f}"
               if len(seeds) > 1 else f"{aucs[arm][0]:.3f}"}
        if arm != "scratch":
            row["Δ vs scratch mean ± sd"] = (f"{np.mean(deltas[arm]):+.3f} ± {np.std(deltas[arm], ddof=1):.3f}"
                                             if len(seeds) > 1 else f"{deltas[arm][0]:+.3f}")
            row["seeds resolvably better / worse"] = f"{resolved[arm][0]} / {resolved[arm][1]} of {len(seeds)}"
        summary.append(row)
    print(f"\n### {name}: summary over {len(seeds)} seed(s)\n")
    print(format_table(summary, ["arm", "AUC mean ± sd", "Δ vs scratch mean ± sd",
                                 "seeds resolvably better / worse"]))
    print(flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (0, 1, ...)")
    parser.add_argument("--epochs", type=int, default=30,
                        help="epochs of scratch and of both fine-tunes, the same for all (default 30: the fast "
                        "recipe's maximum)")
    parser.add_argument("--n-generic", type=int, default=4000)
    parser.add_argument("--n-target", type=int, default=400)
    parser.add_argument("--n-target-test", type=int, default=2000)
    parser.add_argument("--windows-per-peak", type=int, default=1,
                        help="real data: training windows per NFE2 peak and epoch (re-drawn every epoch)")
    parser.add_argument("--budget-minutes", type=float, default=24.0,
                        help="start no further seed when the run would then likely exceed this")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    deadline = start + 60 * args.budget_minutes
    print(machine_info())
    print(f"\nDeepEnhancer fast preset, {WINDOW}-bp windows; scratch and fine-tunes: {args.epochs} epochs on the "
          f"whole target training set; seeds {', '.join(map(str, range(args.seeds)))}\n", flush=True)
    seeds = list(range(args.seeds))
    if not args.skip_synthetic:
        print(f"## (a) synthetic: generic {'/'.join(GENERIC_MOTIFS)} (n={args.n_generic}) -> cell line "
              f"{'/'.join(TARGET_MOTIFS)} (n={args.n_target}, test n={args.n_target_test})\n", flush=True)
        # each seed draws its own data sets (the data vary with the seed as the networks do)
        evaluate("synthetic", lambda s: synthetic_data(args.n_generic, args.n_target, args.n_target_test, s),
                 seeds, args.epochs, args.threads, deadline)
    if not args.skip_real:
        if not os.environ.get("ENHANCER_SK_DATA"):
            print("ENHANCER_SK_DATA is not set: skipping the real data (iEnhancer-2L -> NFE2).")
        else:
            print("## (b) real: iEnhancer-2L layer 1 (n=2968) -> LS-GKM NFE2 GM12878 (n=1288, test n=138)\n",
                  flush=True)
            data = real_data(args.windows_per_peak)
            evaluate("iEnhancer-2L -> NFE2", lambda s: data, seeds, args.epochs, args.threads, deadline)
    print(f"total run time {time.perf_counter() - start:.0f} s")
    return 0



if __name__ == "__main__":
    sys.exit(main())
