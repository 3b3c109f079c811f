"""Atomic output files."""

from __future__ import annotations

import gzip
import os
import stat

import pytest

from enhancer_sk.io.files import atomic_open, atomic_path, atomic_write_text


def test_written_in_full_with_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "out.tsv", "a\tb\n")
    finally:
        os.umask(old)
    assert path.read_text() == "a\tb\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not mkstemp's private 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.tsv"]


def test_model_files_get_umask_permissions_too(tmp_path):
    """safetensors recreates the file it writes with private permissions; the final file follows the umask."""
    from enhancer_sk import KmerSVM, save
    from enhancer_sk.datasets import make_synthetic_enhancers

    X, y = make_synthetic_enhancers(40, random_state=0)
    old = os.umask(0o022)
    try:
        save(KmerSVM(k=2, probability=False).fit(X, y), tmp_path / "m.eskm")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.eskm").stat().st_mode) == 0o644


def test_error_leaves_no_file_and_keeps_the_old_one(tmp_path):
    new = tmp_path / "new.txt"
    with pytest.raises(RuntimeError), atomic_open(new) as fh:
        fh.write("half")
        raise RuntimeError("interrupted")
    assert not new.exists()
    old = tmp_path / "old.txt"
    old.write_text("complete")
    with pytest.raises(KeyboardInterrupt), atomic_path(old) as tmp:
        tmp.write_text("partial")
        raise KeyboardInterrupt
    assert old.read_text() == "complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]


def test_gzip_by_suffix_and_binary(tmp_path):
    with atomic_open(tmp_path / "x.txt.gz") as fh:
        fh.write("ACGT\n")
    assert gzip.decompress((tmp_path / "x.txt.gz").read_bytes()) == b"ACGT\n"
    with atomic_open(tmp_path / "x.bin", "wb") as fh:
        fh.write(b"\x00\x01")
    assert (tmp_path / "x.bin").read_bytes() == b"\x00\x01"
    with pytest.raises(ValueError, match="mode"):
        with atomic_open(tmp_path / "y", "a"):
            pass


def test_figure_with_an_unknown_suffix_is_png(tmp_path):
    from enhancer_sk.evaluation.plots import new_figure, save_figure

    fig = new_figure()
    fig.add_subplot().plot([0, 1], [0, 1])
    path = save_figure(fig, tmp_path / "dataset_1.dat")  # Galaxy's output names
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    save_figure(fig, tmp_path / "curve.svg")
    assert (tmp_path / "curve.svg").read_text().lstrip().startswith("<?xml")
