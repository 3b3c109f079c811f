"""The VISTA benchmark: loading the real file, and the checksummed fetch path on generated data."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

import enhancer_sk
from enhancer_sk import fetch_vista, load_vista
from enhancer_sk.datasets import vista
from enhancer_sk.datasets._base import git_blob_sha1

# --- the real file (skipped without $ENHANCER_SK_DATA/vista) --------------------------------------


@pytest.fixture(scope="module")
def vista_all(data_home, data_path):
    data_path("vista", "vista.fa.gz")
    return load_vista("all", data_home=data_home, download_if_missing=False)


@pytest.mark.parametrize(
    "split, species, n_pos, n_neg",
    [
        ("all", None, 1126, 994),
        ("all", "human", 882, 817),
        ("all", "Mouse", 244, 177),
        ("test", None, 206, 209),
        ("train", None, 920, 785),
    ],
)
def test_counts(data_home, data_path, split, species, n_pos, n_neg):
    data_path("vista", "vista.fa.gz")
    b = load_vista(split, species, data_home=data_home, download_if_missing=False)
    assert b.target.dtype == np.int64 and set(b.target) == {0, 1}
    assert int(b.target.sum()) == n_pos and int((b.target == 0).sum()) == n_neg
    for key in ("data", "ids", "element", "species", "assembly", "chrom", "start", "end", "coordinates",
                "groups", "split", "tissues", "tissue_counts", "headers"):
        assert len(b[key]) == n_pos + n_neg, key
    if species is not None:
        assert set(b.species) == {species.capitalize()}
    if split != "all":
        assert set(b.split) == {split}


def test_splits_disjoint_and_complete(vista_all, data_home):
    train = load_vista("train", data_home=data_home, download_if_missing=False)
    test = load_vista("test", data_home=data_home, download_if_missing=False)
    assert not set(train.ids) & set(test.ids)
    assert set(train.ids) | set(test.ids) == set(vista_all.ids)
    assert set(test.chrom) == {"chr1", "chr2"} and not {"chr1", "chr2"} & set(train.chrom)
    assert not set(train.groups) & set(test.groups)
    # no sequence occurs in both splits (nor twice at all)
    assert not set(train.data) & set(test.data)
    assert len(set(vista_all.data)) == len(vista_all.data)
    X, y = load_vista("test", data_home=data_home, download_if_missing=False, return_X_y=True)
    assert list(X) == list(test.data) and (y == test.target).all()


def test_sequences_and_ids(vista_all):
    b = vista_all
    assert len(set(b.ids)) == len(b.ids) == 2120
    # "element N" alone repeats across species: the ids carry VISTA's hs / mm prefix
    assert len(set(b.element)) < len(b.element)
    assert {i[:2] for i in b.ids[b.species == "Human"]} == {"hs"}
    assert {i[:2] for i in b.ids[b.species == "Mouse"]} == {"mm"}
    lengths = np.array([len(s) for s in b.data])
    assert lengths.min() == 188 and lengths.max() == 11824
    assert set("".join(b.data)) == set("ACGTN")
    with_n = [i for i, s in zip(b.ids, b.data) if "N" in s]
    assert with_n == ["hs2211"]
    assert list(b.target_names) == ["negative", "positive"] and "Visel" in b.DESCR


def test_coordinates(vista_all):
    b = vista_all
    first = list(b.ids).index("hs1")
    assert (b.chrom[first], b.start[first], b.end[first]) == ("chr16", 86430086, 86430726)
    assert b.coordinates[first] == "chr16:86430087-86430726" and b.assembly[first] == "hg19"
    assert all(h.split("|")[1].strip() == c for h, c in zip(b.headers, b.coordinates))
    assert set(zip(b.species, b.assembly)) == {("Human", "hg19"), ("Mouse", "mm9")}
    # 0-based half-open: end - start is the sequence length for all but 10 elements
    lengths = np.array([len(s) for s in b.data])
    assert (b.end - b.start == lengths).sum() == 2110
    assert (b.start >= 0).all() and (b.end > b.start).all()


def test_groups(vista_all):
    b = vista_all
    assert all(g == f"{s}:{c}" for g, s, c in zip(b.groups, b.species, b.chrom))
    assert "Human:chr3" in set(b.groups) and "Mouse:chrX" in set(b.groups)
    from sklearn.model_selection import GroupKFold

    train = b.split == "train"
    for tr, te in GroupKFold(5).split(b.data[train], b.target[train], groups=b.groups[train]):
        assert not set(b.groups[train][tr]) & set(b.groups[train][te])


def test_tissues(vista_all):
    b = vista_all
    i = list(b.ids).index("hs1")
    assert b.tissues[i] == ["neural tube", "hindbrain (rhombencephalon)", "limb", "cranial nerve"]
    assert b.tissue_counts[i] == [(12, 12), (12, 12), (3, 12), (8, 12)]
    assert all(t == [] for t, y in zip(b.tissues, b.target) if y == 0)
    assert all(len(t) == len(c) for t, c in zip(b.tissues, b.tissue_counts))
    # quirks: a count without its denominator, a positive with no tissue listed
    i = list(b.ids).index("hs1227")
    assert b.tissues[i] == ["midbrain (mesencephalon)"] and b.tissue_counts[i] == [(4, None)]
    i = list(b.ids).index("hs2033")
    assert b.target[i] == 1 and b.tissues[i] == []
    from collections import Counter

    freq = Counter(t for ts in b.tissues for t in ts)
    assert freq["forebrain"] == 354 and freq["heart"] == 184


def test_present_file_is_verified_not_fetched(data_home, data_path, tmp_path):
    data_path("vista", "vista.fa.gz")
    path = fetch_vista(data_home, base_url=(tmp_path / "nowhere").as_uri())
    assert path == data_home / "vista" / "vista.fa.gz"


# --- generated data: the fetch path, checksums, arguments ------------------------------------------

_FAKE = (
    b">Human|chr16:101-110 | element 1 | positive  | neural tube[12/12] | limb[3/]\n"
    b"acgtACGTac\n"
    b">Human|chr1:11-20 | element 2 | negative \n"
    b"ccccGGGGaa\n"
    b">Mouse|chr2:1-12 | element 2 | positive  | heart[5/7] |\n"
    b"ttttaaaa\nccgg\n"
    b">Mouse|chr7:51-58 | element 9 | negative \n"
    b"ACGTACGT\n"
)


@pytest.fixture
def upstream(tmp_path, monkeypatch):
    """A fake upstream repository serving a small VISTA-like file; the expected checksums set to it."""
    root = tmp_path / "upstream"
    (root / "data").mkdir(parents=True)
    (root / "data" / "vista.fa").write_bytes(_FAKE)
    monkeypatch.setattr(vista, "VISTA_GIT_BLOB_SHA1", git_blob_sha1(_FAKE))
    monkeypatch.setattr(vista, "VISTA_SHA256", hashlib.sha256(_FAKE).hexdigest())
    # never the network: a fetch that ignores base_url fails on a missing local file
    monkeypatch.setenv("ENHANCER_SK_VISTA_URL", (tmp_path / "no-upstream").as_uri())
    return root


def test_fetch_from_file_url_then_load(upstream, tmp_path):
    home = tmp_path / "home"
    path = fetch_vista(home, base_url=upstream.as_uri())
    assert path == home / "vista" / "vista.fa.gz"
    raw = path.read_bytes()
    assert raw[:2] == b"\x1f\x8b" and gzip.decompress(raw) == _FAKE
    assert raw == gzip.compress(_FAKE, compresslevel=9, mtime=0)  # reproducible bytes
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary file left
    # present and intact: nothing fetched (upstream may vanish)
    (upstream / "data" / "vista.fa").unlink()
    assert fetch_vista(home, base_url=upstream.as_uri()) == path

    b = load_vista("all", data_home=home, download_if_missing=False)
    assert list(b.ids) == ["hs1", "hs2", "mm2", "mm9"]
    assert list(b.data) == ["ACGTACGTAC", "CCCCGGGGAA", "TTTTAAAACCGG", "ACGTACGT"]
    assert list(b.target) == [1, 0, 1, 0] and list(b.element) == [1, 2, 2, 9]
    assert list(b.split) == ["train", "test", "test", "train"]
    assert list(b.groups) == ["Human:chr16", "Human:chr1", "Mouse:chr2", "Mouse:chr7"]
    assert list(b.start) == [100, 10, 0, 50] and list(b.end) == [110, 20, 12, 58]
    assert list(b.assembly) == ["hg19", "hg19", "mm9", "mm9"]
    assert list(b.tissues) == [["neural tube", "limb"], [], ["heart"], []]
    assert list(b.tissue_counts) == [[(12, 12), (3, None)], [], [(5, 7)], []]
    test = load_vista("TEST", "mouse", data_home=home, download_if_missing=False)
    assert list(test.ids) == ["mm2"]
    X, y = load_vista("train", data_home=home, return_X_y=True)
    assert list(X) == ["ACGTACGTAC", "ACGTACGT"] and y.dtype == np.int64


def test_any_gzip_of_the_content_is_accepted(upstream, tmp_path):
    folder = tmp_path / "home" / "vista"
    folder.mkdir(parents=True)
    with gzip.GzipFile(folder / "vista.fa.gz", "wb", compresslevel=1, mtime=12345) as fh:
        fh.write(_FAKE)
    assert len(load_vista("all", data_home=tmp_path / "home", download_if_missing=False).ids) == 4


def test_load_downloads_when_missing(upstream, tmp_path, monkeypatch):
    monkeypatch.setenv("ENHANCER_SK_VISTA_URL", upstream.as_uri())
    monkeypatch.setenv("ENHANCER_SK_DATA", str(tmp_path / "home"))
    b = load_vista("all")
    assert len(b.ids) == 4 and (tmp_path / "home" / "vista" / "vista.fa.gz").exists()


@pytest.mark.parametrize("bad", ["VISTA_GIT_BLOB_SHA1", "VISTA_SHA256"])
def test_fetch_refuses_bad_download(upstream, tmp_path, monkeypatch, bad):
    monkeypatch.setattr(vista, bad, "0" * len(getattr(vista, bad)))
    with pytest.raises(OSError, match="checksum"):
        fetch_vista(tmp_path / "home", base_url=upstream.as_uri())
    folder = tmp_path / "home" / "vista"
    assert not folder.exists() or not list(folder.iterdir())


def test_fetch_refuses_tampered_upstream(upstream, tmp_path, monkeypatch):
    monkeypatch.setenv("ENHANCER_SK_VISTA_URL", upstream.as_uri())
    (upstream / "data" / "vista.fa").write_bytes(_FAKE.replace(b"acgtACGTac", b"acgtACGTaa"))
    with pytest.raises(OSError, match="checksum"):
        load_vista(data_home=tmp_path / "home", download_if_missing=True)
    assert not (tmp_path / "home" / "vista" / "vista.fa.gz").exists()


def test_modified_file_detected(upstream, tmp_path):
    path = fetch_vista(tmp_path / "home", base_url=upstream.as_uri())
    path.write_bytes(gzip.compress(_FAKE.replace(b"ccccGGGGaa", b"ccccGGGGat")))
    with pytest.raises(OSError, match="corrupt or modified"):
        fetch_vista(tmp_path / "home", base_url=upstream.as_uri())
    with pytest.raises(OSError, match="corrupt or modified"):
        load_vista(data_home=tmp_path / "home")
    path.write_bytes(gzip.compress(_FAKE)[:-20])  # truncated gzip
    with pytest.raises(OSError, match="cannot be decompressed"):
        load_vista(data_home=tmp_path / "home", download_if_missing=False)


def test_argument_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("ENHANCER_SK_VISTA_URL", (tmp_path / "no-upstream").as_uri())
    with pytest.raises(FileNotFoundError, match="download_if_missing"):
        load_vista(data_home=tmp_path, download_if_missing=False)
    with pytest.raises(ValueError, match="split must be one of .*did you mean 'test'"):
        load_vista("tset", data_home=tmp_path)
    with pytest.raises(ValueError, match="species must be one of"):
        load_vista(species="rat", data_home=tmp_path)
    with pytest.raises(ValueError, match="species"):
        load_vista(species=1, data_home=tmp_path)
    assert not (tmp_path / "vista").exists()  # nothing fetched on a bad argument


def test_public_names():
    assert {"load_vista", "fetch_vista"} <= set(enhancer_sk.__all__)
    assert {"load_vista", "fetch_vista"} <= set(enhancer_sk.datasets.__all__)
    assert vista.VISTA_URL == (
        "https://raw.githubusercontent.com/zzz2010/encodeenhancerchallenge/"
        "82d9f5f1711e98f432e86350204fd2cc8f0fd402/data/vista.fa"
    )
