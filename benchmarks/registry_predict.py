"""Throughput of the published two-layer Enhancer-LSTMAtt through the command line, as a web server replacement.

Usage::

    ENHANCER_SK_DATA=... python benchmarks/registry_predict.py [--n 100000] [--threads 2]

Writes ``--n`` generated 200-bp sequences to a temporary FASTA file, makes a
temporary data home holding links to the authors' weights
(``$ENHANCER_SK_DATA/enhancer_lstmatt_weights``; the shared data home is never
written), converts the registry model once (``enhancer-sk describe`` does not;
a first ``predict`` of 10 sequences does, timed apart), then times one
``enhancer-sk predict -m enhancer-lstmatt-ienhancer2l`` of all sequences: wall
time of the whole command (imports and writing the table included) and
sequences per second.  Prints the machine line and a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info  # noqa: E402

from enhancer_sk.datasets._base import get_data_home  # noqa: E402
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers  # noqa: E402
from enhancer_sk.evaluation.metrics import format_table  # noqa: E402
from enhancer_sk.io.fasta import write_fasta  # noqa: E402

NAME = "enhancer-lstmatt-ienhancer2l"


def _predict(fasta: Path, out: Path, env: dict, threads: int) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "enhancer_sk", "predict", "-m", NAME, "--fasta", str(fasta),
                    "-o", str(out), "--threads", str(threads), "--quiet"], env=env, check=True)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    weights = get_data_home() / "enhancer_lstmatt_weights"
    if not (weights / "layer1.h5").exists():
        print(f"no weights in {weights}: set ENHANCER_SK_DATA", file=sys.stderr)
        return 2
    print(machine_info())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "home" / "enhancer_lstmatt_weights").mkdir(parents=True)
        for name in ("layer1.h5", "layer2.h5"):
            (tmp / "home" / "enhancer_lstmatt_weights" / name).symlink_to(weights / name)
        env = {**os.environ, "ENHANCER_SK_DATA": str(tmp / "home")}
        X, _ = make_synthetic_enhancers(args.n, 200, random_state=0)
        write_fasta(tmp / "all.fa", [f"s{i}" for i in range(len(X))], X)
        write_fasta(tmp / "ten.fa", [f"s{i}" for i in range(10)], X[:10])
        first = _predict(tmp / "ten.fa", tmp / "ten.tsv", env, args.threads)
        seconds = _predict(tmp / "all.fa", tmp / "all.tsv", env, args.threads)
        lines = sum(1 for _ in open(tmp / "all.tsv")) - 1
    rows = [{"run": "first predict (10 sequences, converts the model)", "sequences": 10, "seconds": round(first, 1)},
            {"run": "predict", "sequences": lines, "seconds": round(seconds, 1),
             "seq_per_s": round(lines / seconds)}]
    print(f"\n## enhancer-sk predict -m {NAME}, {args.threads} threads, 200-bp sequences\n")
    print(format_table(rows, columns=["run", "sequences", "seconds", "seq_per_s"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
