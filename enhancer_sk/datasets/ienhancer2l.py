"""The iEnhancer-2L benchmark (Liu et al. 2016), fetched with checksums.

Human enhancers (strong / weak) and non-enhancers, 200 bp each: 2968 training
and 400 independent-test sequences (the form used by Enhancer-LSTMAtt).
:func:`load_ienhancer2l` reads six FASTA files from ``<data_home>/ienhancer2l/``
(see :func:`~enhancer_sk.datasets.get_data_home`).  Every file's SHA-256 is
verified.  Missing files are fetched from the Enhancer-LSTMAtt authors'
repository at a fixed commit, checked against the git blob hash of the source
file, normalised (multi-line records joined, upper-cased, headers renamed
``{split}_{class}_{NNNN}``) and checked again against the SHA-256 of the
normalised file.

Known quirk: the 100 strong enhancers of the independent test also appear in
the training set; ``drop_test_duplicates=True`` removes them from training.
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..io.fasta import iter_fasta, read_fasta, write_fasta
from ._base import get_data_home, git_blob_sha1, sha256_of

__all__ = ["IENHANCER2L_BASE_URL", "IENHANCER2L_FILES", "fetch_ienhancer2l", "load_ienhancer2l"]

#: Where the iEnhancer-2L files are fetched from (the Enhancer-LSTMAtt authors' repository, fixed commit).
IENHANCER2L_BASE_URL = (
    "https://raw.githubusercontent.com/feng-123/Enhancer-LSTMAtt/1ce3e7535284ddf122c49d7c77f3fa7860205f5d/"
)

#: file -> (source path under the base URL, git blob SHA-1 of the source, SHA-256 of the normalised file)
IENHANCER2L_FILES: dict[str, tuple[str, str, str]] = {
    "train_strong.fa": (
        "data/layer2/strong_742.txt",
        "4b1e98c048b472bd24a36a1267098e688e74fe49",
        "986628eaebd4db791fa73ff1957fa5f38ffb730ca895bea03fcd97a4dcc86034",
    ),
    "train_weak.fa": (
        "data/layer2/weak_742.txt",
        "f4b5f5660a4620f110fee7179ffcd656efd759d2",
        "d44c97a14f31994b6e5d9fc7099dc153541a1da584dcc06fe31ffebd24250797",
    ),
    "train_non.fa": (
        "data/layer1/non.cv.txt",
        "8472554d623f9ef0cffded986882fe8464020636",
        "242ad4cf8f631c1dff70bc6dc0b92401f035e2505ff29eaa54effe82a1635b75",
    ),
    "test_strong.fa": (
        "data/layer2/strong_100.txt",
        "f00d678dee5f49d92f4bea64e12601ad893589cb",
        "45e65f5330779fa0df684d6bb9b72a05bd9b07db64bc7cb6ab5e307b5d805fc3",
    ),
    "test_weak.fa": (
        "data/layer2/weak_100.txt",
        "396fb958a1e4483a8805ead043e54d944e5433eb",
        "fbb0628d96a175f1657fdc8c03c899996fd0a1e9f8ff3f846bbc7007afeb9ee1",
    ),
    "test_non.fa": (
        "data/layer1/non.ind.txt",
        "8fb6e505f976d89542320a90490c32df52fa05ad",
        "9c847cf25f0a05ae78e3b2cc3b2acc06f67836dd4fa8e14eeac27b44a44b8e45",
    ),
}


def _normalise_download(raw_path: Path, out_path: Path, prefix: str) -> None:
    """Join multi-line records, upper-case, rename headers ``{prefix}_{NNNN}``."""
    seqs = [seq.upper() for _, seq in iter_fasta(raw_path)]
    ids = [f"{prefix}_{i:04d}" for i in range(1, len(seqs) + 1)]
    write_fasta(out_path, ids, seqs)


def fetch_ienhancer2l(
    data_home: str | os.PathLike | None = None,
    *,
    base_url: str | None = None,
    files: Mapping[str, tuple[str, str, str]] | None = None,
) -> Path:
    """Make sure the iEnhancer-2L files are present and intact; download what is missing.

    Parameters
    ----------
    data_home : path, optional
        See :func:`get_data_home`.  Files live in ``<data_home>/ienhancer2l/``.
    base_url : str, optional
        Where to fetch from (default :data:`IENHANCER2L_BASE_URL`); any URL
        ``urllib`` opens, including ``file://`` (used by the tests).
    files : mapping, optional
        Override of :data:`IENHANCER2L_FILES` (tests).

    Returns
    -------
    Path
        The ``ienhancer2l`` folder.

    Raises
    ------
    OSError
        When a checksum does not match (the bad file is not kept).
    """
    files = IENHANCER2L_FILES if files is None else files
    base_url = base_url or os.environ.get("ENHANCER_SK_IENHANCER2L_URL") or IENHANCER2L_BASE_URL
    folder = get_data_home(data_home) / "ienhancer2l"
    for name, (source, blob_sha1, sha256) in files.items():
        target = folder / name
        if target.exists():
            found = sha256_of(target)
            if found != sha256:
                raise OSError(
                    f"{target} is corrupt or modified: SHA-256 {found} instead of {sha256}; "
                    "delete it to download it again"
                )
            continue
        folder.mkdir(parents=True, exist_ok=True)
        url = base_url.rstrip("/") + "/" + source
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - fixed https or file URL
            data = response.read()
        if git_blob_sha1(data) != blob_sha1:
            raise OSError(f"download of {url} failed its checksum (git blob {git_blob_sha1(data)} != {blob_sha1})")
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            raw = Path(tmp) / "raw.fa"
            raw.write_bytes(data)
            out = Path(tmp) / name
            _normalise_download(raw, out, name.removesuffix(".fa"))
            if sha256_of(out) != sha256:
                raise OSError(f"normalised {name} does not match its SHA-256 {sha256}")
            os.replace(out, target)
    return folder


def load_ienhancer2l(
    layer: int = 1,
    split: str = "train",
    data_home: str | os.PathLike | None = None,
    drop_test_duplicates: bool = False,
    *,
    return_ids: bool = False,
    download_if_missing: bool = True,
):
    """Load the iEnhancer-2L benchmark.

    Parameters
    ----------
    layer : {1, 2}, default=1
        1: enhancers (strong + weak) = 1 vs non-enhancers = 0 (2968 train / 400
        test).  2: strong = 1 vs weak = 0 (1484 / 200).
    split : {"train", "test"}, default="train"
    data_home : path, optional
        See :func:`get_data_home`.
    drop_test_duplicates : bool, default=False
        Remove from the training set the sequences that also occur in the
        independent test (the 100 strong enhancers of the test are copies of
        training records), for a leak-free protocol.  Ignored for ``split="test"``.
    return_ids : bool, default=False
        Also return the record ids.
    download_if_missing : bool, default=True
        Fetch missing files (see :func:`fetch_ienhancer2l`); otherwise raise.

    Returns
    -------
    X : ndarray of str, shape (n,)
    y : ndarray of int, shape (n,)
    ids : ndarray of str, shape (n,)
        Only with ``return_ids=True``.

    Examples
    --------
    >>> X, y = load_ienhancer2l(layer=1, split="test")  # doctest: +SKIP
    >>> X.shape, y.mean()  # doctest: +SKIP
    ((400,), 0.5)
    """
    if layer not in (1, 2):
        raise ValueError(f"layer must be 1 or 2, got {layer!r}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    folder = get_data_home(data_home) / "ienhancer2l"
    if download_if_missing:
        fetch_ienhancer2l(data_home)
    else:
        for name, (_, _, sha256) in IENHANCER2L_FILES.items():
            path = folder / name
            if not path.exists():
                raise FileNotFoundError(f"{path} is missing (download_if_missing=False)")
            if sha256_of(path) != sha256:
                raise OSError(f"{path} is corrupt or modified (SHA-256 mismatch)")

    parts = [("strong", 1), ("weak", 1 if layer == 1 else 0)]
    if layer == 1:
        parts.append(("non", 0))
    ids, X, y = [], [], []
    for cls, label in parts:
        rid, seqs = read_fasta(folder / f"{split}_{cls}.fa")
        ids.extend(rid)
        X.extend(seqs)
        y.extend([label] * len(seqs))
    ids_a = np.asarray(ids, dtype=object)
    X_a = np.asarray(X, dtype=object)
    y_a = np.asarray(y, dtype=np.int64)
    if drop_test_duplicates and split == "train":
        test_seqs: set[str] = set()
        for cls in ("strong", "weak", "non"):
            test_seqs.update(read_fasta(folder / f"test_{cls}.fa")[1])
        keep = np.fromiter((s not in test_seqs for s in X_a), dtype=bool, count=len(X_a))
        ids_a, X_a, y_a = ids_a[keep], X_a[keep], y_a[keep]
    return (X_a, y_a, ids_a) if return_ids else (X_a, y_a)
