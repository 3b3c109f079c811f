"""DeepEnhancerCNN: speed, motif extraction, iEnhancer-2L and any-length voting.

Usage::

    nice python benchmarks/deepenhancer.py [--parts speed motifs ienhancer voting epoch-cost] [--threads N]
        [--max-epochs 30] [--max-windows 8] [--quick]

Parts
-----
speed
    Default architecture (4conv2pool4norm, 300-bp windows): training windows/s
    (one epoch, no validation, sequences of 1,000 bp: 351 windows each at
    stride 2) and prediction windows/s (window extraction, one-hot, forward;
    batches of 512) with the default shared-convolution path and window by
    window, on 1,000-bp and on 200-bp sequences, and ``predict_proba`` end to
    end.
motifs
    ``extract_motifs`` for the 128 first-layer kernels (65,536 8-mers) and the
    Tomtom comparison with JASPAR 2024 CORE vertebrates.
ienhancer
    iEnhancer-2L layer 1 (needs ``ENHANCER_SK_DATA``): trains the default
    architecture on the 2,968 training sequences (200 bp) scored through
    300-bp windows (N-padded at every offset, stride 2, at most
    ``--max-windows`` per sequence in training; all 51 in prediction) and
    with ``window=200`` (one window per sequence); independent test row
    (400 sequences; Sn, Sp, Acc, MCC, AUC at probability 0.5) and wall time.
epoch-cost
    Seconds per epoch of the ``full`` preset (``build_model("deepenhancer",
    preset="full")``: 4 training windows per sequence and epoch, validation
    of the held-out 10% by max over all windows) on ``--epoch-n`` random
    sequences of 600 and of 1,500 bp (best of 3 epochs), and their ratio;
    beside it the windows per epoch of the paper's every-window mode.
voting
    Synthetic enhancers of 150-1,000 bp (``--voting-n`` training sequences,
    4 planted motif sites per enhancer, so a 300-bp window of a long
    enhancer may miss them all): one model trained on windows, then scored
    by max-voting over all windows, by the mean, by max-voting over both
    strands, and by the single central window.

Every timing line prints ``os.getloadavg()`` beside it: the machine is shared,
re-run when it is quiet.  Numbers in the README come from this script.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info  # noqa: E402

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers  # noqa: E402
from enhancer_sk.evaluation.metrics import PAPER_COLUMNS, format_table, paper_scores  # noqa: E402
from enhancer_sk.models.nn.deepenhancer import DeepEnhancerCNN  # noqa: E402
from enhancer_sk.sequence.windows import SlidingWindows  # noqa: E402
from enhancer_sk.threads import available_cpus, limit_threads  # noqa: E402


def load() -> str:
    return "load " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


def random_sequences(n: int, length: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (n, length))
    return ["".join("ACGT"[c] for c in row) for row in codes]


def part_speed(args) -> list[dict]:
    rows = []
    n_train = 8 if args.quick else 24
    X = random_sequences(n_train, 1000, 0)  # 351 windows each
    y = np.arange(n_train) % 2
    n_pred = 8 if args.quick else 40
    for threads in args.speed_threads:
        clf = DeepEnhancerCNN(max_epochs=1, train_split=None, batch_size=128, iterator_valid__batch_size=512,
                              random_state=0, threads=threads)
        n_windows = SlidingWindows(X, 300, 2).n_windows
        t0 = time.perf_counter()
        clf.fit(X, y)
        dt = time.perf_counter() - t0
        rows.append({"threads": threads, "what": "train (fwd+bwd+Adam), batch 128", "windows": n_windows,
                     "seconds": f"{dt:.1f}", "windows/s": f"{n_windows / dt:.0f}", "load": load()})
        log(rows[-1])
        for length, label in ((1000, "1,000-bp"), (200, "200-bp (N-padded, 51 windows each)")):
            Xp = random_sequences(n_pred if length == 1000 else 5 * n_pred, length, 1)
            windows = SlidingWindows(Xp, 300, 2)
            clf.predict_proba(Xp[:1])  # warm-up
            for shared in (True, False):
                if not shared and length == 200:
                    continue  # same per-window cost as the 1,000-bp row
                t0 = time.perf_counter()
                n = sum(len(lg) for lg, _ in clf._iter_window_scores(windows, shared=shared))
                dt = time.perf_counter() - t0
                how = "shared convolutions (default)" if shared else "window by window"
                rows.append({"threads": threads, "what": f"predict {label}: {how}, batch 512", "windows": n,
                             "seconds": f"{dt:.1f}", "windows/s": f"{n / dt:.0f}", "load": load()})
                log(rows[-1])
        t0 = time.perf_counter()
        clf.predict_proba(Xp)
        dt = time.perf_counter() - t0
        rows.append({"threads": threads, "what": "predict_proba end to end (200-bp, max-voting)",
                     "windows": windows.n_windows, "seconds": f"{dt:.1f}",
                     "windows/s": f"{windows.n_windows / dt:.0f}", "load": load()})
        log(rows[-1])
    return rows


def part_epoch_cost(args) -> list[dict]:
    from enhancer_sk.presets import build_model

    rows = []
    n = 60 if args.quick else args.epoch_n
    for length in (600, 1500):
        X = random_sequences(n, length, 2)
        y = np.arange(n) % 2
        clf = build_model("deepenhancer", preset="full", seed=0, threads=args.threads)
        clf.set_params(max_epochs=3, patience=None)
        clf.fit(X, y)
        best = min(clf.history[:, "dur"])
        rows.append({"length": length, "sequences": n, "train windows / epoch": sum(
            clf.history[-1, "batches", :, "train_batch_size"]),
            "every-window mode: windows / epoch": SlidingWindows(X, 300, 2).n_windows * 9 // 10,
            "s / epoch (best of 3)": f"{best:.1f}", "load": load()})
        log(rows[-1])
    rows.append({"length": "1,500 / 600", "s / epoch (best of 3)":
                 f"{float(rows[1]['s / epoch (best of 3)']) / float(rows[0]['s / epoch (best of 3)']):.2f}x"})
    return rows


def part_motifs(args) -> list[dict]:
    import torch

    from enhancer_sk.interpret.motifs import compare_with_jaspar, extract_motifs, jaspar_motifs

    torch.manual_seed(0)
    clf = DeepEnhancerCNN(threads=args.threads).initialize()
    rows = []
    for weighting in ("count", "activation"):
        t0 = time.perf_counter()
        pfms = extract_motifs(clf, weighting)
        dt = time.perf_counter() - t0
        rows.append({"what": f"extract_motifs, 128 kernels, {weighting}", "seconds": f"{dt:.2f}", "load": load()})
        log(rows[-1])
    jaspar_motifs()
    pfms = extract_motifs(clf, threshold=0.8)
    t0 = time.perf_counter()
    compare_with_jaspar(pfms, threads=args.threads)
    dt = time.perf_counter() - t0
    rows.append({"what": "Tomtom 128 motifs vs JASPAR2024 CORE vertebrates (879)", "seconds": f"{dt:.2f}",
                 "load": load()})
    log(rows[-1])
    return rows


def part_ienhancer(args) -> list[dict]:
    from enhancer_sk.datasets.ienhancer2l import load_ienhancer2l

    X, y = load_ienhancer2l(layer=1, split="train", drop_test_duplicates=args.drop_test_duplicates,
                            download_if_missing=False)
    X_test, y_test = load_ienhancer2l(layer=1, split="test", download_if_missing=False)
    if args.quick:
        keep = np.random.default_rng(0).permutation(len(X))[:400]
        X, y = X[keep], y[keep]
    common = dict(max_epochs=args.max_epochs, random_state=0, threads=args.threads, verbose=int(args.verbose))
    rows = []
    for name, clf in (
        (f"window 300 (N-padded, stride 2, <= {args.max_windows} windows/seq in fit, all 51 in predict)",
         DeepEnhancerCNN(window=300, max_windows_per_sequence=args.max_windows, **common)),
        ("window 200 (one window per sequence)", DeepEnhancerCNN(window=200, **common)),
    ):
        row = _fit_score_capped(name, clf, X, y, X_test, y_test)
        rows.append({"train n": len(X), **row})
    return rows


def _fit_score_capped(name, clf, X, y, X_test, y_test) -> dict:
    """Fit with the estimator's window cap, predict on every window (cap lifted)."""
    t0 = time.perf_counter()
    clf.fit(X, y)
    fit_s = time.perf_counter() - t0
    clf.set_params(max_windows_per_sequence=None)
    t0 = time.perf_counter()
    proba = clf.predict_proba(X_test)[:, 1]
    pred_s = time.perf_counter() - t0
    scores = paper_scores(y_test, proba)
    row = {"model": name, **{c: scores[c] for c in PAPER_COLUMNS}, "epochs": len(clf.history),
           "fit s": f"{fit_s:.0f}", "predict s": f"{pred_s:.1f}", "load": load()}
    log(row)
    return row


def part_voting(args) -> list[dict]:
    n = 300 if args.quick else args.voting_n
    X, y = make_synthetic_enhancers(n, (150, 1000), motifs_per_sequence=4, random_state=0)
    X_test, y_test = make_synthetic_enhancers(max(n // 3, 300), (150, 1000), motifs_per_sequence=4, random_state=1)
    clf = DeepEnhancerCNN(max_windows_per_sequence=args.max_windows, max_epochs=args.max_epochs, lr=1e-3,
                          random_state=0, threads=args.threads, verbose=int(args.verbose))
    t0 = time.perf_counter()
    clf.fit(X, y)
    fit_s = time.perf_counter() - t0
    log(f"voting model fitted in {fit_s:.0f} s ({len(clf.history)} epochs, {load()})")
    rows = []
    lengths = np.array([len(s) for s in X_test])
    for name, params in (
        ("max over all windows (paper)", dict(aggregate="max", max_windows_per_sequence=None)),
        ("mean over all windows", dict(aggregate="mean", max_windows_per_sequence=None)),
        ("max over all windows, both strands", dict(aggregate="max", max_windows_per_sequence=None,
                                                    average_strands=True)),
        ("single central window", dict(aggregate="max", max_windows_per_sequence=1)),
    ):
        clf.set_params(**{"average_strands": False, **params})
        t0 = time.perf_counter()
        proba = clf.predict_proba(X_test)[:, 1]
        pred_s = time.perf_counter() - t0
        scores = paper_scores(y_test, proba)
        long = lengths > 600
        rows.append({"scoring": name, **{c: scores[c] for c in PAPER_COLUMNS},
                     "AUC > 600 bp": paper_scores(y_test[long], proba[long])["AUC"],
                     "predict s": f"{pred_s:.1f}", "load": load()})
        log(rows[-1])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", nargs="+", default=["speed", "motifs", "ienhancer", "voting", "epoch-cost"],
                        choices=["speed", "motifs", "ienhancer", "voting", "epoch-cost"])
    parser.add_argument("--epoch-n", type=int, default=500, help="sequences of the epoch-cost part")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads for the motif, iEnhancer and voting parts (default: all CPUs)")
    parser.add_argument("--speed-threads", type=int, nargs="+", default=None,
                        help="thread counts of the speed part (default: 1 and all CPUs; on an "
                        "oversubscribed machine 2 threads can be 10x slower than 1)")
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--max-windows", type=int, default=8,
                        help="training windows per sequence for the 300-bp models (default 8)")
    parser.add_argument("--voting-n", type=int, default=1500, help="training sequences of the voting part")
    parser.add_argument("--drop-test-duplicates", action="store_true")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the script runs")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.max_epochs = min(args.max_epochs, 2)
    if args.speed_threads is None:
        args.speed_threads = sorted({1, available_cpus()})

    print(f"# DeepEnhancerCNN benchmark{' (--quick: small sizes, not for reporting)' if args.quick else ''}")
    with limit_threads(args.threads) as n_threads:
        print(f"# {machine_info()} | torch threads used {n_threads}")
        if "speed" in args.parts:
            print("\n## Speed, default architecture (4conv2pool4norm), 300-bp windows of 1,000-bp sequences")
            print(format_table(part_speed(args)))
        if "motifs" in args.parts:
            print("\n## Motif extraction (128 kernels x 65,536 8-mers) and Tomtom")
            print(format_table(part_motifs(args), index_name="what"))
        if "ienhancer" in args.parts:
            if not os.environ.get("ENHANCER_SK_DATA"):
                print("\n## iEnhancer-2L: skipped (set ENHANCER_SK_DATA)")
            else:
                print(f"\n## iEnhancer-2L layer 1, independent test (400), max_epochs={args.max_epochs}, "
                      f"early stopping (patience 8) on 10% of the training sequences"
                      f"{', training set without test duplicates' if args.drop_test_duplicates else ''}")
                print(format_table(part_ienhancer(args), digits=3))
        if "voting" in args.parts:
            print(f"\n## Any length: synthetic 150-1,000 bp, window 300, <= {args.max_windows} training "
                  f"windows/seq, max_epochs={args.max_epochs}, lr 1e-3")
            print(format_table(part_voting(args), index_name="scoring", digits=3))
        if "epoch-cost" in args.parts:
            print("\n## Epoch cost of the full preset (4 windows per sequence and epoch) by sequence length")
            print(format_table(part_epoch_cost(args), index_name="length"))
    print(f"\n# finished {machine_info()}")


if __name__ == "__main__":
    main()
