"""Genome scan speed and memory: a synthetic chromosome scanned with the default DeepEnhancerCNN.

Usage::

    nice python benchmarks/scan.py [--length 10e6 50e6] [--chunk-size 250000 1000000] [--threads 2]
        [--window 300] [--step 50] [--per-window-length 100000] [--workdir DIR] [--quick]

What it does
------------
1. Generates (does not download) one chromosome per ``--length``: i.i.d.
   bases with 42 % GC and a 50-kbp run of ``N`` (an assembly gap) every
   10 Mbp, written as a 60-column FASTA in ``--workdir`` (reused when
   present).
2. Scans every chromosome with every ``--chunk-size`` in a fresh process
   (so the peak RSS, ``ru_maxrss``, belongs to that scan alone): the default
   ``DeepEnhancerCNN()`` (4conv2pool4norm, 300-bp windows; random weights,
   speed does not depend on them), windows every ``--step`` bp, batches of
   1,024 windows, bedGraph and calls written.  Prints bases/s, windows/s,
   wall time and peak RSS, and the RSS of the same process before scanning
   (torch and the model loaded), so the scan's own memory is the difference.
3. Times what the scan's driver does alone (reading and windowing the
   FASTA, writing the bedGraph): the rate a Dask cluster cannot exceed.
4. Scores the first ``--per-window-length`` bases both with the shared
   convolutions (the default) and window by window
   (``share_convolutions=False``): windows/s of both paths and the largest
   score difference.

Every line prints the load average: the machine is shared; re-run when it is
quiet.  Numbers in the README come from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info  # noqa: E402

GAP = 50_000
GAP_EVERY = 10_000_000


def load() -> str:
    return "load " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def synthetic_chromosome(path: Path, length: int, seed: int = 0) -> Path:
    """Write a chromosome of ``length`` bases (42 % GC, N gaps) piece by piece (flat memory)."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    alphabet = np.frombuffer(b"ACGTN", dtype=np.uint8)
    tmp = path.with_suffix(".tmp")
    piece = 600_000  # a multiple of the 60-column line
    with open(tmp, "wb") as fh:
        fh.write(f">chrS{length // 1_000_000}M synthetic {length} bp\n".encode())
        for start in range(0, length, piece):
            n = min(piece, length - start)
            codes = rng.choice(4, size=n, p=[0.29, 0.21, 0.21, 0.29]).astype(np.uint8)
            pos = start + np.arange(n)
            codes[(pos % GAP_EVERY) >= GAP_EVERY - GAP] = 4
            text = alphabet[codes].tobytes()
            fh.write(b"\n".join(text[i : i + 60] for i in range(0, n, 60)) + b"\n")
    os.replace(tmp, path)
    return path


def default_model(threads: int):
    from enhancer_sk.models.nn.deepenhancer import DeepEnhancerCNN

    model = DeepEnhancerCNN(random_state=0, threads=threads)
    model.initialize()
    model.classes_ = np.array([0, 1])
    return model


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args) -> None:
    """One scan in this process; prints a JSON line."""
    import torch

    from enhancer_sk.genomics.scanning import scan

    torch.set_num_threads(args.threads)
    model = default_model(args.threads)
    before = peak_rss_mb()
    out = Path(args.child_out)
    t0 = time.perf_counter()
    summary = scan(model, args.child, bedgraph=out / "scores.bedgraph", calls=out / "calls.bed", window=args.window,
                   step=args.step, chunk_size=args.child_chunk, threads=args.threads, batch_size=1024)
    seconds = time.perf_counter() - t0
    print(json.dumps({"bases": summary.bases, "windows": summary.windows, "skipped_n": summary.skipped_n,
                      "seconds": seconds, "rss_before_mb": before, "peak_rss_mb": peak_rss_mb(),
                      "load": os.getloadavg()[0]}))


def per_window_comparison(fasta: Path, length: int, args) -> None:
    import torch

    from enhancer_sk.genomics.scanning import iter_window_scores
    from enhancer_sk.io.fasta import iter_fasta_chunks, write_fasta

    torch.set_num_threads(args.threads)
    chunk = next(iter_fasta_chunks(fasta, length))
    head = Path(args.workdir) / f"head_{length}.fa"
    write_fasta(head, ["head"], ["".join("ACGTN"[c] for c in chunk.codes.tolist())])
    model = default_model(args.threads)
    rows = {}
    for name, shared in (("shared convolutions", True), ("window by window", False)):
        t0 = time.perf_counter()
        scores = np.concatenate([b.score for b in iter_window_scores(
            model, head, window=args.window, step=args.step, threads=args.threads, share_convolutions=shared)])
        seconds = time.perf_counter() - t0
        rows[name] = (scores, seconds)
        print(f"  {name:20s}: {len(scores):,} windows in {seconds:.1f} s = {len(scores) / seconds:,.0f} windows/s, "
              f"{length / seconds:,.0f} bp/s  [{load()}]", flush=True)
    diff = np.abs(rows["shared convolutions"][0] - rows["window by window"][0]).max()
    speedup = rows["window by window"][1] / rows["shared convolutions"][1]
    print(f"  max |score difference| = {diff:.2e}; shared path {speedup:.1f}x faster", flush=True)


def driver_rates(fasta: Path, args) -> None:
    """What the scan's driver does alone (the limit of a Dask scan): read + window the FASTA, write bedGraph."""
    from enhancer_sk.genomics.scanning import WindowScores, _record_jobs, _write_blocks

    t0 = time.perf_counter()
    bases = windows = 0
    for job in _record_jobs(fasta, args.window, args.step, 1_000_000, 0.1):
        bases += job.new_bases
        windows += len(job.starts)
    read = time.perf_counter() - t0
    starts = np.arange(windows, dtype=np.int64) * args.step
    t0 = time.perf_counter()
    with open(Path(args.workdir) / "driver.bedgraph", "w") as fh:
        blocks = (WindowScores("chrS", "chrS", ".", starts[i : i + 20_000], starts[i : i + 20_000] + args.window,
                               np.random.default_rng(i).random(len(starts[i : i + 20_000])))
                  for i in range(0, windows, 20_000))
        for _ in _write_blocks(blocks, fh):
            pass
    write = time.perf_counter() - t0
    (Path(args.workdir) / "driver.bedgraph").unlink()
    print(f"  read + window the FASTA: {bases / read:,.0f} bp/s; write bedGraph: {windows / write:,.0f} lines/s "
          f"({windows * args.step / write:,.0f} bp/s at step {args.step})  [{load()}]", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--length", type=float, nargs="+", default=[10e6, 50e6], help="chromosome lengths (bp)")
    p.add_argument("--chunk-size", type=int, nargs="+", default=[250_000, 1_000_000], help="scan chunk sizes")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--window", type=int, default=300)
    p.add_argument("--step", type=int, default=50)
    p.add_argument("--per-window-length", type=int, default=100_000,
                   help="bases scored by both paths (0: skip the comparison)")
    p.add_argument("--workdir", default=None, help="where the synthetic FASTA files go (default: a temp folder)")
    p.add_argument("--quick", action="store_true", help="1 Mbp and 2 Mbp, chunk sizes 250 kbp and 1 Mbp, 20 kbp "
                   "per-window comparison")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-chunk", type=int, help=argparse.SUPPRESS)
    p.add_argument("--child-out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return
    if args.quick:
        args.length, args.per_window_length = [1e6, 2e6], 20_000
    from enhancer_sk.evaluation.metrics import format_table

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="enhancer_sk_scan_bench_"))
    workdir.mkdir(parents=True, exist_ok=True)
    args.workdir = str(workdir)
    print(machine_info())
    print(f"default DeepEnhancerCNN (4conv2pool4norm), window {args.window}, step {args.step}, batch 1024 windows, "
          f"{args.threads} thread(s)", flush=True)
    rows = []
    for length in [int(x) for x in args.length]:
        t0 = time.perf_counter()
        fasta = synthetic_chromosome(workdir / f"synthetic_{length}.fa", length)
        print(f"chromosome of {length:,} bp: {fasta} ({time.perf_counter() - t0:.0f} s)", flush=True)
        for chunk in args.chunk_size:
            out = Path(tempfile.mkdtemp(dir=workdir))
            cmd = [sys.executable, __file__, "--child", str(fasta), "--child-chunk", str(chunk), "--child-out",
                   str(out), "--threads", str(args.threads), "--window", str(args.window), "--step", str(args.step)]
            start_load = os.getloadavg()[0]
            res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
            row = {
                "length (Mbp)": length / 1e6,
                "chunk (kbp)": chunk / 1e3,
                "windows": f"{res['windows']:,}",
                "seconds": res["seconds"],
                "bases/s": f"{res['bases'] / res['seconds']:,.0f}",
                "windows/s": f"{res['windows'] / res['seconds']:,.0f}",
                "RSS before scan (MB)": res["rss_before_mb"],
                "peak RSS (MB)": res["peak_rss_mb"],
                "load (start/end)": f"{start_load:.2f}/{res['load']:.2f}",
            }
            rows.append(row)
            print("  " + "; ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()),
                  flush=True)
            for f in out.iterdir():
                f.unlink()
            out.rmdir()
    print()
    print(format_table(rows, index_name="length (Mbp)", digits=1))
    print("\ndriver alone (reads the FASTA, writes the outputs; the limit of a scan on a Dask cluster):", flush=True)
    driver_rates(workdir / f"synthetic_{int(args.length[-1])}.fa", args)
    if args.per_window_length:
        print(f"\nshared convolutions vs window by window, first {args.per_window_length:,} bp:", flush=True)
        per_window_comparison(workdir / f"synthetic_{int(args.length[0])}.fa", args.per_window_length, args)
    print(machine_info())


if __name__ == "__main__":
    main()
