"""GkmSVM: gapped k-mer kernel speed and iEnhancer-2L results beside simple baselines.

Usage::

    nice -n 10 python benchmarks/gkm.py [--parts kernel ienhancer scale] [--sizes 1000 3000 10000 20000]
        [--threads 2] [--quick] [--scale-sizes 10000 20000 50000] [--scale-solver auto]
        [--length 300] [--compare-at 10000] [--compare-tol 1e-8]

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
scale
    ``GkmSVM.fit`` (l=11, k=7, d=3, ``gkm_esttrunc``, C=1, default ``tol``) on
    n generated sequences of ``--length`` bp (default 300) for each n of
    ``--scale-sizes`` (default 10,000, 20,000 and 50,000) with
    ``solver=--scale-solver`` (default ``auto``), each in its own process, so
    that the peak resident memory (``VmHWM``) is that size's: fit time (wall;
    of which the kernel, and the SVM solve plus the l-mer table; and the CPU
    time of all threads, steadier than wall time on a shared machine), solver
    used, support vectors, peak memory and the memory of the process before
    the fit (interpreter, numba, data), then the
    least-squares slope of log(fit time) on log(n) and the fit times it
    extrapolates to n = 100,000 and 1,000,000 beside the kernel storage
    of each solver there.  Then, at n = ``--compare-at`` (default 10,000;
    0 skips it), the same data fitted with ``solver="dense"`` and
    ``solver="smo"`` at ``tol=--compare-tol`` (default 1e-8, so both reach the
    optimum): both fit times and peak memories, whether the support vectors
    are the same, and the largest differences of the intercepts, dual
    coefficients and decision values (on 2,000 other sequences).  At
    50,000 sequences the SMO path holds the 5 GB float32 triangle: run it
    on a quiet machine with 8 GB free.

Every timing line prints ``os.getloadavg()`` beside it: the machine is shared,
re-run when it is quiet.  Numbers in the README come from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
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


def _scale_worker(n: int, length: int, solver: str, tol: float, threads: int, out: str | None) -> None:
    """One fit in this process; prints a JSON line (and saves the model's numbers to ``out``)."""

    def peak_mb() -> float:
        # VmHWM, the peak resident memory of this program (ru_maxrss would also count the memory of
        # the parent process that the worker was forked from)
        with open("/proc/self/status") as status:
            line = next(x for x in status if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    warm, warm_y = make_synthetic_enhancers(40, 60, random_state=0)
    for warm_solver in ("dense", "smo"):  # numba functions compiled (or loaded from cache) before the timing,
        # with a small l whose 4**l table does not raise the peak memory before the fit
        GkmSVM(l=6, k=4, d=2, threads=threads, solver=warm_solver).fit(warm, warm_y).decision_function(warm)
    from enhancer_sk.models.svm import gkm as gkm_module

    kernel_s = []
    for name in ("_gram", "_gram_triangle"):  # time the kernel inside fit (either solver's)
        original = getattr(gkm_module, name)

        def timed(*args, _original=original, **kwargs):
            t = time.perf_counter()
            out = _original(*args, **kwargs)
            kernel_s.append(time.perf_counter() - t)
            return out

        setattr(gkm_module, name, timed)
    X, y = make_synthetic_enhancers(n, length, random_state=0)
    before = peak_mb()
    model = GkmSVM(threads=threads, solver=solver, tol=tol, **PARAMS)
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(X, y)
    t_fit, c_fit = time.perf_counter() - t0, time.process_time() - c0
    row = {
        "n": n,
        "solver": model.solver_,
        "fit_s": round(t_fit, 1),
        "kernel_s": round(sum(kernel_s), 1),
        "svm_table_s": round(t_fit - sum(kernel_s), 1),
        "fit_cpu_s": round(c_fit, 1),
        "n_SV": len(model.support_),
        "peak_MB": round(peak_mb()),
        "before_fit_MB": round(before),
        "load_avg": _load(),
    }
    if out is not None:
        X_new, _ = make_synthetic_enhancers(2000, length, random_state=1)
        np.savez(
            out,
            support=model.support_,
            dual_coef=model.dual_coef_,
            intercept=model.intercept_,
            decision=model.decision_function(X_new),
        )
    print(json.dumps(row), flush=True)


def _run_worker(n: int, length: int, solver: str, tol: float, threads: int, out: str | None = None) -> dict:
    cmd = [sys.executable, __file__, "--scale-worker", str(n), "--length", str(length), "--scale-solver", solver]
    cmd += ["--compare-tol", repr(tol), "--threads", str(threads)]
    if out is not None:
        cmd += ["--worker-out", out]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_scale(sizes: list[int], length: int, solver: str, compare_at: int, compare_tol: float, threads: int) -> None:
    from enhancer_sk.models.svm._gkm_kernel import _STRIP_BYTES

    rows = []
    if sizes:
        print(f"\n## GkmSVM.fit by n, generated {length}-bp sequences (l=11 k=7 d=3 gkm_esttrunc, solver={solver})\n")
    for n in sizes:
        rows.append(_run_worker(n, length, solver, GkmSVM().tol, threads))
        print(format_table(rows, index_name="n"), "\n", flush=True)
    if len(rows) >= 2:
        n_arr = np.array([r["n"] for r in rows], dtype=float)
        t_arr = np.array([r["fit_s"] for r in rows], dtype=float)
        slope, intercept = np.polyfit(np.log(n_arr), np.log(t_arr), 1)
        print(f"fit time ~ n^{slope:.2f} (least squares on log-log over n = {', '.join(map(str, sizes))})")
        for n in (100_000, 1_000_000):
            t = float(np.exp(intercept) * n**slope)
            dense_gb = 8 * n**2 / 1e9
            smo_gb = (2 * n * (n + 1) + _STRIP_BYTES) / 1e9
            print(
                f"  n = {n:,}: fit about {t:,.0f} s ({t / 3600:.1f} h); kernel storage: dense {dense_gb:,.0f} GB, "
                f"smo {smo_gb:,.0f} GB (float32 triangle + one strip)"
            )
    if compare_at > 0:
        print(f"\n## dense vs smo at n = {compare_at:,}, tol = {compare_tol:g}\n")
        with tempfile.TemporaryDirectory() as tmp:
            runs, models = [], {}
            for s in ("dense", "smo"):
                path = os.path.join(tmp, f"{s}.npz")
                runs.append(_run_worker(compare_at, length, s, compare_tol, threads, out=path))
                models[s] = np.load(path)
                print(format_table(runs, index_name="solver"), "\n", flush=True)
            a, b = models["dense"], models["smo"]
            same = np.array_equal(a["support"], b["support"])
            print(f"same support vectors: {same} ({len(a['support'])} dense, {len(b['support'])} smo)")
            if same:
                print(f"max |dual_coef difference|: {np.abs(a['dual_coef'] - b['dual_coef']).max():.2e}")
            print(f"|intercept difference|: {abs(float(a['intercept']) - float(b['intercept'])):.2e}")
            gap = np.abs(a["decision"] - b["decision"]).max()
            print(f"max |decision value difference| (2,000 new sequences): {gap:.2e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["kernel", "ienhancer"], choices=["kernel", "ienhancer", "scale"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 3000, 10000, 20000])
    parser.add_argument("--threads", type=int, default=None, help="threads (default: GALAXY_SLOTS or all CPUs)")
    parser.add_argument("--data-home", default=None, help="default: $ENHANCER_SK_DATA")
    parser.add_argument("--quick", action="store_true", help="skip the 20,000-sequence kernel")
    parser.add_argument("--scale-sizes", nargs="*", type=int, default=[10000, 20000, 50000])
    parser.add_argument("--scale-solver", default="auto", choices=["auto", "dense", "smo"])
    parser.add_argument("--length", type=int, default=300, help="sequence length of the scale part")
    parser.add_argument("--compare-at", type=int, default=10000, help="n of the dense-vs-smo comparison (0: none)")
    parser.add_argument("--compare-tol", type=float, default=1e-8, help="tol of the dense-vs-smo comparison")
    parser.add_argument("--scale-worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    threads = resolve_threads(args.threads)
    if args.scale_worker is not None:
        _scale_worker(args.scale_worker, args.length, args.scale_solver, args.compare_tol, threads, args.worker_out)
        return 0
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
    if "scale" in args.parts:
        bench_scale(args.scale_sizes, args.length, args.scale_solver, args.compare_at, args.compare_tol, threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
