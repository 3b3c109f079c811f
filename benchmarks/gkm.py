"""GkmSVM: gapped k-mer kernel speed and iEnhancer-2L results beside simple baselines.

Usage::

    nice -n 10 python benchmarks/gkm.py [--parts kernel ienhancer] [--sizes 1000 3000 10000 20000]
        [--threads 2] [--quick]

Parts
-----
kernel
    Generated 200-bp sequences (``make_synthetic_enhancers``: half carry
    planted motifs, labelled 1): for each size n, the wall time of the
    normalised Gram matrix (l=11, k=7, d=3, ``gkm_esttrunc``), of the SVM
    solve on it (``SVC(kernel="precomputed")``), of the l-mer table build
    and of predicting 400 sequences through the table.  Their first three
    sum to ``GkmSVM.fit`` (which runs exactly these steps).  ``--quick``
    skips n = 20,000.
ienhancer
    iEnhancer-2L layers 1 and 2 (needs ``ENHANCER_SK_DATA``), under the
    standard protocol and with the training copies of test sequences dropped
    (``drop_test_duplicates=True``): fit and predict wall times and
    independent-test Sn/Sp/Acc/MCC/AUC of the ``gkm`` (LS-GKM's defaults),
    ``gc`` and ``kmer`` recipes of :mod:`enhancer_sk.presets`; for
    layer 1 standard, also LS-GKM's own test decision values
    (``gkm_reference/lsgkm_layer1_test_decision_values.tsv``) and the largest
    difference from ours.  Decision values are thresholded at 0,
    probabilities at 0.5.

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

from enhancer_sk.datasets.ienhancer2l import load_ienhancer2l
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers  # noqa: E402
from enhancer_sk.evaluation.metrics import PAPER_COLUMNS, format_table, paper_scores  # noqa: E402
from enhancer_sk.models.svm._gkm_kernel import GkmKernel  # noqa: E402
from enhancer_sk.models.svm.gkm import GkmSVM  # noqa: E402
from enhancer_sk.presets import build_model  # noqa: E402
from enhancer_sk.threads import resolve_threads  # noqa: E402

PARAMS = {"l": 11, "k": 7, "d": 3, "kernel": "gkm_esttrunc"}


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def bench_kernel(sizes: list[int], threads: int) -> None:
    from sklearn.svm import SVC

    kernel = GkmKernel(threads=threads, **PARAMS)
    print("\n## Kernel and fit time, generated 200-bp sequences (l=11 k=7 d=3 gkm_esttrunc)\n")
    rows = []
    X_new, _ = make_synthetic_enhancers(400, 200, random_state=1)
    for n in sizes:
        X, y = make_synthetic_enhancers(n, 200, random_state=0)
        t0 = time.perf_counter()
        G = kernel.gram(X)
        t_gram = time.perf_counter() - t0
        load_gram = _load()
        t0 = time.perf_counter()
        svc = SVC(kernel="precomputed", cache_size=500).fit(G, y)
        t_svc = time.perf_counter() - t0
        del G
        norms = np.sqrt(kernel.self_kernel(X[svc.support_]))
        t0 = time.perf_counter()
        table = kernel.lmer_table(X[svc.support_], svc.dual_coef_[0] / norms)
        t_table = time.perf_counter() - t0
        t0 = time.perf_counter()
        raw = kernel.table_scores(X_new, table)
        raw / np.sqrt(kernel.self_kernel(X_new))
        t_pred = time.perf_counter() - t0
        rows.append(
            {
                "n": n,
                "gram_s": round(t_gram, 2),
                "svm_s": round(t_svc, 2),
                "table_s": round(t_table, 2),
                "fit_total_s": round(t_gram + t_svc + t_table, 2),
                "predict_400_s": round(t_pred, 3),
                "n_SV": len(svc.support_),
                "load_avg": load_gram,
            }
        )
        print(format_table(rows, index_name="n"), "\n", flush=True)


def _scores(model, X) -> tuple[np.ndarray, float]:
    if hasattr(model, "decision_function"):
        return model.decision_function(X), 0.0
    return model.predict_proba(X)[:, 1], 0.5


def bench_ienhancer(data_home: str | None, threads: int) -> None:
    models = {
        "GkmSVM": lambda: build_model("gkm", threads=threads).set_params(**PARAMS),
        "GC content + LR": lambda: build_model("gc"),
        "KmerSVM": lambda: build_model("kmer"),
    }
    for layer in (1, 2):
        for drop in (False, True):
            protocol = "drop_test_duplicates" if drop else "standard"
            X, y = load_ienhancer2l(layer, "train", data_home, drop_test_duplicates=drop)
            X_test, y_test, ids = load_ienhancer2l(layer, "test", data_home, return_ids=True)
            print(f"\n## iEnhancer-2L layer {layer}, {protocol}: train {len(X)}, test {len(X_test)}\n")
            rows = []
            for name, make in models.items():
                model = make()
                t0 = time.perf_counter()
                model.fit(X, y)
                t_fit = time.perf_counter() - t0
                t0 = time.perf_counter()
                score, threshold = _scores(model, X_test)
                t_pred = time.perf_counter() - t0
                row = {"model": name, **paper_scores(y_test, score, threshold=threshold)}
                row.update({"fit_s": round(t_fit, 2), "predict_s": round(t_pred, 3), "load_avg": _load()})
                rows.append(row)
                if name == "GkmSVM" and layer == 1 and not drop:
                    ours = score
            if layer == 1 and not drop:
                ref = _lsgkm_reference(data_home, ids)
                if ref is not None:
                    rows.append({"model": "LS-GKM (its own output)", **paper_scores(y_test, ref, threshold=0.0)})
                    print(f"max |GkmSVM - LS-GKM| decision value: {np.abs(ours - ref).max():.2e}")
            columns = ["model", *PAPER_COLUMNS, "fit_s", "predict_s", "load_avg"]
            print(format_table(rows, columns=columns), "\n", flush=True)


def _lsgkm_reference(data_home, ids) -> np.ndarray | None:
    from enhancer_sk.datasets._base import get_data_home

    path = get_data_home(data_home) / "gkm_reference" / "lsgkm_layer1_test_decision_values.tsv"
    if not path.exists():
        return None
    values = dict(line.split("\t") for line in path.read_text().splitlines() if line.strip())
    return np.array([float(values[i]) for i in ids])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["kernel", "ienhancer"], choices=["kernel", "ienhancer"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 3000, 10000, 20000])
    parser.add_argument("--threads", type=int, default=None, help="threads (default: GALAXY_SLOTS or all CPUs)")
    parser.add_argument("--data-home", default=None, help="default: $ENHANCER_SK_DATA")
    parser.add_argument("--quick", action="store_true", help="skip the 20,000-sequence kernel")
    args = parser.parse_args(argv)
    threads = resolve_threads(args.threads)
    import numba

    print("# benchmarks/gkm.py")
    print(machine_info())
    print(f"numba {numba.__version__}, kernel threads {threads}, niceness {os.nice(0)}")
    # compile (or load from cache) the numba functions outside the timings
    warm, warm_y = make_synthetic_enhancers(40, 60, random_state=0)
    GkmSVM(threads=threads, **PARAMS).fit(warm, warm_y).decision_function(warm)
    if "kernel" in args.parts:
        sizes = [n for n in args.sizes if not (args.quick and n > 10000)]
        bench_kernel(sizes, threads)
    if "ienhancer" in args.parts:
        bench_ienhancer(args.data_home, threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
