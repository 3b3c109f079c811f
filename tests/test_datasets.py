"""Datasets: iEnhancer-2L loading (real data), the checksummed fetch path, synthetic data."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from enhancer_sk import load_ienhancer2l, make_synthetic_enhancers
from enhancer_sk.datasets._base import git_blob_sha1 as _git_blob_sha1
from enhancer_sk.datasets.ienhancer2l import IENHANCER2L_FILES, fetch_ienhancer2l
from enhancer_sk.io.fasta import read_fasta


@pytest.mark.parametrize(
    "layer, split, n, n_pos",
    [(1, "train", 2968, 1484), (1, "test", 400, 200), (2, "train", 1484, 742), (2, "test", 200, 100)],
)
def test_ienhancer2l_counts(data_home, data_path, layer, split, n, n_pos):
    data_path("ienhancer2l")
    X, y = load_ienhancer2l(layer, split, data_home=data_home)
    assert X.shape == (n,) and y.shape == (n,) and int(y.sum()) == n_pos
    assert {len(s) for s in X} == {200}


def test_ienhancer2l_drop_duplicates(data_home, data_path):
    data_path("ienhancer2l")
    X, y = load_ienhancer2l(1, "train", data_home=data_home, drop_test_duplicates=True)
    assert len(X) == 2868 and int(y.sum()) == 1384
    Xt, _ = load_ienhancer2l(1, "test", data_home=data_home)
    assert not set(X) & set(Xt)
    X2, y2 = load_ienhancer2l(2, "train", data_home=data_home, drop_test_duplicates=True)
    assert len(X2) == 1384 and int(y2.sum()) == 642


def test_ienhancer2l_env_var(data_home, data_path, monkeypatch):
    data_path("ienhancer2l")
    monkeypatch.setenv("ENHANCER_SK_DATA", str(data_home))
    X, y, ids = load_ienhancer2l(2, "test", return_ids=True)
    assert ids[0] == "test_strong_0001" and y[0] == 1 and ids[-1] == "test_weak_0100"


def _fake_source(tmp_path):
    """A fake upstream repository: multi-line, soft-masked FASTA, and its registry entry."""
    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list("ACGTacgt"), 130)) for _ in range(3)]
    text = "".join(f">Chr1_{i}_{i + 130}\n{s[:65]}\n{s[65:]}\n" for i, s in enumerate(seqs))
    src = tmp_path / "upstream" / "data" / "x.txt"
    src.parent.mkdir(parents=True)
    src.write_bytes(text.encode())
    normalised = "".join(f">train_strong_{i:04d}\n{s.upper()}\n" for i, s in enumerate(seqs, start=1))
    files = {
        "train_strong.fa": (
            "data/x.txt",
            _git_blob_sha1(text.encode()),
            hashlib.sha256(normalised.encode()).hexdigest(),
        )
    }
    return tmp_path / "upstream", files, [s.upper() for s in seqs]


def test_fetch_from_file_url_verifies_and_normalises(tmp_path):
    upstream, files, seqs = _fake_source(tmp_path)
    home = tmp_path / "home"
    folder = fetch_ienhancer2l(home, base_url=upstream.as_uri(), files=files)
    ids, got = read_fasta(folder / "train_strong.fa")
    assert list(got) == seqs and ids[0] == "train_strong_0001"
    # second call: present and intact, nothing fetched (upstream may vanish)
    (upstream / "data" / "x.txt").unlink()
    fetch_ienhancer2l(home, base_url=upstream.as_uri(), files=files)


def test_fetch_refuses_bad_checksum(tmp_path):
    upstream, files, _ = _fake_source(tmp_path)
    bad = {k: (src, "0" * 40, sha) for k, (src, _, sha) in files.items()}
    with pytest.raises(OSError, match="checksum"):
        fetch_ienhancer2l(tmp_path / "home", base_url=upstream.as_uri(), files=bad)
    assert not (tmp_path / "home" / "ienhancer2l" / "train_strong.fa").exists()


def test_fetch_detects_modified_file(tmp_path):
    upstream, files, _ = _fake_source(tmp_path)
    folder = fetch_ienhancer2l(tmp_path / "home", base_url=upstream.as_uri(), files=files)
    (folder / "train_strong.fa").write_text(">x\nACGT\n")
    with pytest.raises(OSError, match="corrupt or modified"):
        fetch_ienhancer2l(tmp_path / "home", base_url=upstream.as_uri(), files=files)


def test_registry_is_complete():
    assert set(IENHANCER2L_FILES) == {f"{s}_{c}.fa" for s in ("train", "test") for c in ("strong", "weak", "non")}


def test_load_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download_if_missing"):
        load_ienhancer2l(data_home=tmp_path, download_if_missing=False)
    with pytest.raises(ValueError, match="layer"):
        load_ienhancer2l(layer=3, data_home=tmp_path)


def test_synthetic_reproducible_and_balanced():
    X1, y1 = make_synthetic_enhancers(200, 150, random_state=3)
    X2, y2 = make_synthetic_enhancers(200, 150, random_state=3)
    assert list(X1) == list(X2) and (y1 == y2).all()
    assert y1.sum() == 100 and {len(s) for s in X1} == {150}
    assert set("".join(X1)) <= set("ACGT")


def test_synthetic_sites_are_planted():
    X, y, sites = make_synthetic_enhancers(100, 200, random_state=0, return_motif_sites=True)
    from enhancer_sk.datasets.synthetic import BUILTIN_MOTIFS
    from enhancer_sk.sequence.alphabet import reverse_complement

    for seq_i, name, start, strand in sites[:50]:
        w = BUILTIN_MOTIFS[name].shape[1]
        site = X[seq_i][start : start + w]
        if strand == "-":
            site = reverse_complement(site)
        consensus = "".join("ACGT"[i] for i in BUILTIN_MOTIFS[name].argmax(0))
        # 85% per-position consensus: most positions agree (overlaps can overwrite a few)
        assert sum(a == b for a, b in zip(site, consensus)) >= 0.4 * w
    assert all(y[s] == 1 for s, *_ in sites) or any(y[s] == 0 for s, *_ in sites)


def test_synthetic_grades_lengths_and_custom_motifs():
    X, y = make_synthetic_enhancers(90, (150, 400), grades=True, random_state=0)
    assert set(y) == {0, 1, 2} and min(map(len, X)) >= 150 and max(map(len, X)) <= 400
    pfm = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]], float)  # "ACG"
    X, y = make_synthetic_enhancers(20, 50, motifs={"acg": pfm}, motifs_per_sequence=1,
                                    background_motif_rate=0, random_state=0)
    assert all(("ACG" in s) or ("CGT" in s) for s, yi in zip(X, y) if yi == 1)
    with pytest.raises(ValueError, match="motif"):
        make_synthetic_enhancers(10, motifs={"bad": np.ones((3, 4))})
