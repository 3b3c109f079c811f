"""EnhancerLSTMAttClassifier speed: epoch time, prediction throughput, behaviour under CPU load.

Usage::

    nice python benchmarks/lstmatt_speed.py [--threads 2] [--epochs 2] [--quick] [--no-load-test] [--chunks]

What it measures (default architecture, 200-bp sequences; the iEnhancer-2L layer-1
training set when ``ENHANCER_SK_DATA`` is set, else 2,968 random sequences):

* training epoch time (skorch ``history[:, "dur"]``, no validation split) at batch 32
  and 64, for each thread mode:

  - ``serial/1``: both branches on one thread (``threads=1``);
  - ``serial/T``: both branches one after the other on T intra-op threads
    (``parallel_branches=False``);
  - ``branches/T``: the branch tasks (the ResNet, and the Bi-LSTM on 32-row
    blocks) shared by two threads, T/2 intra-op threads each
    (``parallel_branches="auto"``, the default for T >= 2);

* prediction throughput (``predict_proba``, batch 256, sequences/s);
* the achieved fraction of the float32 peak: FLOPs counted from the network
  (forward per sequence; a training step counted as 3 x forward) over the
  measured time, against ``--peak-gflops`` (default 180, the issue's figure
  for 2 cores) and against a measured large-matmul rate;
* ``--chunks``: on one thread, the cost per sequence of the Bi-LSTM and of the
  ResNet branch (forward + backward in training, forward in evaluation) for
  several row-block sizes: the basis of ``LSTM_CHUNK_ROWS`` and
  ``RESNET_CHUNK_ROWS``;
* CPU-load test: the same epoch (on ``--load-n`` sequences) while ``--load-procs``
  busy-looping processes compete for the cores, for each mode; the ratio to the
  unloaded time shows whether training degrades gracefully.

Every line prints ``os.getloadavg()``: the machine is shared; re-run when quiet.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info  # noqa: E402

from enhancer_sk.evaluation.metrics import format_table  # noqa: E402
from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAtt, EnhancerLSTMAttClassifier  # noqa: E402
from enhancer_sk.threads import limit_threads  # noqa: E402


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def log(msg) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- FLOPs


def forward_flops(module: EnhancerLSTMAtt) -> float:
    """Multiply-adds x 2 of one sequence's forward pass (convolutions, LSTMs, head)."""
    flops = 0.0
    length = module.sequence_length
    emb = module.embedding.embedding_dim

    def conv(c, length_out):
        return 2.0 * length_out * c.out_channels * c.in_channels * c.kernel_size[0]

    stem = module.stem.conv
    flops += conv(stem, length)
    pooled = length - 1
    down_len = (pooled - module.down.conv1.conv.kernel_size[0]) // 2 + 1
    flops += conv(module.down.conv1.conv, down_len) + conv(module.down.shortcut.conv, down_len)
    flops += conv(module.down.conv2.conv, down_len)
    for block in module.identity:
        flops += conv(block.conv1.conv, down_len) + conv(block.conv2.conv, down_len)
    h = module.lstm.hidden_size
    inp = emb
    for _ in range(module.lstm.num_layers):
        flops += 2 * length * 2.0 * 4 * h * (inp + h)  # 2 directions
        inp = 2 * h
    flops += 2.0 * length * 2 * h * 2  # attention scores and weighted sum
    flops += 2.0 * module.dense.in_features * module.dense.out_features + 2.0 * module.dense.out_features
    return flops


def matmul_gflops(threads: int, seconds: float = 1.0) -> float:
    """Float32 rate of a large matmul on ``threads`` threads (best of a few runs)."""
    import torch

    with limit_threads(threads):
        a = torch.randn(1024, 1024)
        b = torch.randn(1024, 1024)
        torch.mm(a, b)
        best = 0.0
        t_end = time.perf_counter() + seconds
        while time.perf_counter() < t_end:
            t0 = time.perf_counter()
            for _ in range(4):
                torch.mm(a, b)
            dt = time.perf_counter() - t0
            best = max(best, 4 * 2.0 * 1024**3 / dt / 1e9)
    return best


# ----------------------------------------------------------------------------- data


def training_data(n: int, seed: int = 0):
    home = os.environ.get("ENHANCER_SK_DATA")
    if home and (Path(home) / "ienhancer2l" / "train_strong.fa").exists():
        from enhancer_sk.datasets.ienhancer2l import load_ienhancer2l

        X, y = load_ienhancer2l(layer=1, split="train", data_home=home, download_if_missing=False)
        if n < len(X):
            idx = np.random.default_rng(seed).permutation(len(X))[:n]
            X, y = X[idx], y[idx]
        return X, y, "iEnhancer-2L layer 1 train"
    rng = np.random.default_rng(seed)
    X = np.array(["".join("ACGT"[c] for c in row) for row in rng.integers(0, 4, (n, 200))], dtype=object)
    return X, np.arange(n) % 2, "random 200-bp sequences"


# ----------------------------------------------------------------------------- measurements

MODES = {
    "serial/1": {"threads": 1, "parallel_branches": False},
    "serial/T": {"parallel_branches": False},
    "branches/T": {"parallel_branches": True},
}


def mode_params(mode: str, threads: int) -> dict:
    params = dict(MODES[mode])
    params.setdefault("threads", threads)
    return params


def epoch_times(X, y, batch_size: int, epochs: int, **params) -> list[float]:
    clf = EnhancerLSTMAttClassifier(
        max_epochs=epochs, batch_size=batch_size, train_split=None, random_state=0, **params
    )
    clf.fit(X, y)
    return [float(d) for d in clf.history[:, "dur"]]


def predict_rate(X, **params) -> float:
    clf = EnhancerLSTMAttClassifier(batch_size=256, random_state=0, **params).initialize()
    clf.predict_proba(X[:256])  # warm-up
    best = 0.0
    for _ in range(2):
        t0 = time.perf_counter()
        clf.predict_proba(X)
        best = max(best, len(X) / (time.perf_counter() - t0))
    return best


def block_costs(sizes=(8, 16, 24, 32, 48, 64, 128, 256), repeats: int = 5) -> list[dict]:
    """Per-sequence cost (microseconds) of each branch on one thread, by rows per call."""
    import torch

    def best_of(fn, calls: int) -> float:
        fn()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            times.append((time.perf_counter() - t0) / calls)
        return min(times)

    torch.manual_seed(0)
    net = EnhancerLSTMAtt()
    rows = []
    with limit_threads(1):
        tokens = torch.randint(0, 4, (max(sizes), net.sequence_length))
        with torch.no_grad():
            emb_lnc, emb_nlc = net._embed(tokens)
        for n in sizes:
            calls = max(2, 256 // n)
            lstm_in, res_in = emb_lnc[:, :n], emb_nlc[:n]

            def lstm_train(lstm_in=lstm_in):
                x = lstm_in.clone().requires_grad_()
                net._recurrent(x).sum().backward()

            def resnet_train(res_in=res_in):
                x = res_in.clone().requires_grad_()
                net._resnet(x).sum().backward()

            net.train()
            lstm_t, res_t = best_of(lstm_train, calls), best_of(resnet_train, calls)
            net.eval()
            with torch.inference_mode():
                lstm_e = best_of(lambda x=lstm_in: net._recurrent(x), calls)
                res_e = best_of(lambda x=res_in: net._resnet(x), calls)
            rows.append(
                {
                    "rows per call": n,
                    "Bi-LSTM fwd+bwd (us/seq)": f"{lstm_t / n * 1e6:.0f}",
                    "ResNet fwd+bwd (us/seq)": f"{res_t / n * 1e6:.0f}",
                    "Bi-LSTM eval (us/seq)": f"{lstm_e / n * 1e6:.0f}",
                    "ResNet eval (us/seq)": f"{res_e / n * 1e6:.0f}",
                    "load": load(),
                }
            )
            log(rows[-1])
    return rows


def _spin(stop_at: float) -> None:  # a CPU hog for the load test
    x = 0
    while time.time() < stop_at:
        x += 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="T of the serial/T and branches/T modes")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per measurement (min and mean reported)")
    parser.add_argument("--n-train", type=int, default=2968)
    parser.add_argument("--n-predict", type=int, default=4096)
    parser.add_argument("--peak-gflops", type=float, default=180.0)
    parser.add_argument("--load-n", type=int, default=640, help="sequences per epoch in the CPU-load test")
    parser.add_argument("--load-procs", type=int, default=2, help="busy-looping processes in the CPU-load test")
    parser.add_argument("--no-load-test", action="store_true")
    parser.add_argument("--chunks", action="store_true", help="also time each branch by rows per call (1 thread)")
    parser.add_argument("--quick", action="store_true", help="640 training sequences, 1 epoch, small load test")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_train, args.epochs, args.n_predict, args.load_n = 640, 1, 1024, 320

    print(f"# {machine_info()}")
    X, y, source = training_data(args.n_train)
    print(f"# training data: {len(X)} x 200 bp ({source}); epochs scaled to 2,968 sequences")
    module = EnhancerLSTMAtt()
    fwd = forward_flops(module)
    mm = matmul_gflops(args.threads)
    print(
        f"# forward {fwd / 1e6:.1f} MFLOP/sequence, training step 3 x forward; peak {args.peak_gflops:.0f} GFLOP/s "
        f"(given), large matmul on {args.threads} threads {mm:.0f} GFLOP/s (measured, load {load()})"
    )
    scale = 2968 / len(X)
    rows = []
    for batch_size in (32, 64):
        for mode in MODES:
            params = mode_params(mode, args.threads)
            times = epoch_times(X, y, batch_size, args.epochs, **params)
            best = min(times) * scale
            gflops = 3 * fwd * 2968 / best / 1e9
            rows.append(
                {
                    "what": f"train epoch, batch {batch_size}",
                    "mode": mode.replace("T", str(args.threads)),
                    "s/epoch (min)": f"{best:.2f}",
                    "s/epoch (mean)": f"{np.mean(times) * scale:.2f}",
                    "GFLOP/s": f"{gflops:.0f}",
                    "of peak": f"{gflops / args.peak_gflops:.0%}",
                    "of matmul": f"{gflops / mm:.0%}",
                    "load": load(),
                }
            )
            log(rows[-1])
    Xp = np.concatenate([X] * int(np.ceil(args.n_predict / len(X))))[: args.n_predict]
    for mode in MODES:
        rate = predict_rate(Xp, **mode_params(mode, args.threads))
        gflops = fwd * rate / 1e9
        rows.append(
            {
                "what": "predict_proba, batch 256",
                "mode": mode.replace("T", str(args.threads)),
                "seq/s": f"{rate:.0f}",
                "GFLOP/s": f"{gflops:.0f}",
                "of peak": f"{gflops / args.peak_gflops:.0%}",
                "of matmul": f"{gflops / mm:.0%}",
                "load": load(),
            }
        )
        log(rows[-1])
    print(format_table(rows))

    if args.chunks:
        print("# one thread, cost per sequence by rows per call (best of 5)")
        print(format_table(block_costs()))

    if not args.no_load_test:
        # a random subset: the data are sorted by class, so the first records hold one class
        keep = np.random.default_rng(0).permutation(len(X))[: args.load_n]
        Xl, yl = X[keep], y[keep]
        scale_l = 2968 / len(Xl)
        rows = []
        for mode in MODES:
            params = mode_params(mode, args.threads)
            quiet = min(epoch_times(Xl, yl, 64, 1, **params)) * scale_l
            ctx = mp.get_context("spawn")
            procs = [ctx.Process(target=_spin, args=(time.time() + 600,)) for _ in range(args.load_procs)]
            for p in procs:
                p.start()
            try:
                time.sleep(1.0)
                busy = min(epoch_times(Xl, yl, 64, 1, **params)) * scale_l
                busy_load = load()
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.join()
            rows.append(
                {
                    "what": f"train epoch, batch 64, +{args.load_procs} busy processes",
                    "mode": mode.replace("T", str(args.threads)),
                    "s/epoch alone": f"{quiet:.2f}",
                    "s/epoch loaded": f"{busy:.2f}",
                    "slowdown": f"{busy / quiet:.1f}x",
                    "load": busy_load,
                }
            )
            log(rows[-1])
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
