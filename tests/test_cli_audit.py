"""``enhancer-sk audit``: overlaps across a train/test split and the GC-only and length-only baselines."""

from __future__ import annotations

import csv
import os
import time

import numpy as np
import pytest

from enhancer_sk.cli import main
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.sequence.alphabet import reverse_complement


def _random(rng, n: int, length: int, gc: float = 0.5) -> list[str]:
    p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return ["".join(rng.choice(list("ACGT"), size=length, p=p)) for _ in range(n)]


def _summary(path) -> dict[str, str]:
    with open(path, newline="") as fh:
        return {r["check"]: r["value"] for r in csv.DictReader(fh, delimiter="\t")}


def _write(tmp_path, name, seqs):
    path = tmp_path / f"{name}.fa"
    write_fasta(path, [f"{name}{i}" for i in range(len(seqs))], seqs)
    return str(path)


def test_planted_copies_and_gc_baseline(tmp_path, capsys):
    rng = np.random.default_rng(0)
    pos, neg = _random(rng, 60, 200, gc=0.6), _random(rng, 60, 200, gc=0.4)
    near = list(pos[2])
    for i in range(0, 200, 20):  # 10 substitutions: identity 0.95
        near[i] = "A" if near[i] != "A" else "C"
    test_pos = [pos[0], reverse_complement(pos[1]), "".join(near), *_random(rng, 17, 200, gc=0.6)]
    test_neg = _random(rng, 20, 200, gc=0.4)
    files = {n: _write(tmp_path, n, s) for n, s in
             {"pos": pos, "neg": neg, "tpos": test_pos, "tneg": test_neg}.items()}
    argv = ["audit", "--positive", files["pos"], "--negative", files["neg"], "--test-positive", files["tpos"],
            "--test-negative", files["tneg"], "--summary", str(tmp_path / "s.tsv"),
            "--overlaps", str(tmp_path / "o.tsv"), "--html", str(tmp_path / "r.html")]
    assert main(argv) == 0
    summary = _summary(tmp_path / "s.tsv")
    assert summary["test sequences with an exact copy in training"] == "1"
    assert summary["test sequences with a reverse-complement copy in training"] == "1"
    assert summary["test sequences with a near copy in training (identity >= 0.9)"] == "1"
    assert float(summary["GC content only, fitted on training: test AUROC"]) > 0.9
    assert float(summary["length only, fitted on training: test AUROC"]) == 0.5
    assert (tmp_path / "o.tsv").read_text().count("\n") == 1 + 3
    html = (tmp_path / "r.html").read_text()
    assert html.isascii() and "Benchmark audit" in html
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("[audit] 40 test sequences: 1 exact, 1 reverse-complement, 1 near") and "/" not in last


def test_test_data_required(tmp_path, capsys):
    rng = np.random.default_rng(1)
    pos, neg = _write(tmp_path, "p", _random(rng, 10, 50)), _write(tmp_path, "n", _random(rng, 10, 50))
    assert main(["audit", "--positive", pos, "--negative", neg, "--summary", str(tmp_path / "s.tsv")]) == 2
    assert "give the test data" in capsys.readouterr().err.strip().splitlines()[-1]
    assert not (tmp_path / "s.tsv").exists()


@pytest.mark.skipif(not os.environ.get("ENHANCER_SK_DATA"), reason="needs the iEnhancer-2L data (ENHANCER_SK_DATA)")
def test_ienhancer2l_layer1(tmp_path, capsys):
    """The benchmark's leak (the test's 100 strong enhancers are in training) and its GC floor, in < 10 s."""
    from enhancer_sk.datasets.ienhancer2l import load_ienhancer2l

    files = {}
    for split in ("train", "test"):
        X, y = load_ienhancer2l(layer=1, split=split)
        files[f"{split}_pos"] = _write(tmp_path, f"{split}_pos", X[y == 1])
        files[f"{split}_neg"] = _write(tmp_path, f"{split}_neg", X[y == 0])
    start = time.perf_counter()
    assert main(["audit", "--positive", files["train_pos"], "--negative", files["train_neg"],
                 "--test-positive", files["test_pos"], "--test-negative", files["test_neg"],
                 "--summary", str(tmp_path / "s.tsv")]) == 0
    assert time.perf_counter() - start < 10
    summary = _summary(tmp_path / "s.tsv")
    assert summary["test sequences with an exact copy in training"] == "100"
    assert summary["overlapping pairs with the same label on both sides"] == "100"
    assert float(summary["GC content only, fitted on training: test AUROC"]) == pytest.approx(0.815, abs=5e-4)
    assert summary["sequence lengths (bp)"] == "200-200"
