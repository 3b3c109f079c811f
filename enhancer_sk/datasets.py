"""Datasets: the iEnhancer-2L benchmark (fetched with checksums) and a synthetic generator.

iEnhancer-2L
------------
Human enhancers (strong / weak) and non-enhancers, 200 bp each: 2968 training
and 400 independent-test sequences (Liu et al. 2016; the form used by
Enhancer-LSTMAtt).  :func:`load_ienhancer2l` reads six FASTA files from
``<data_home>/ienhancer2l/``.  ``data_home`` is the argument, else the
environment variable ``ENHANCER_SK_DATA``, else ``~/enhancer_sk_data``.
Every file's SHA-256 is verified.  Missing files are fetched from the
Enhancer-LSTMAtt authors' repository at a fixed commit, checked against the
git blob hash of the source file, normalised (multi-line records joined,
upper-cased, headers renamed ``{split}_{class}_{NNNN}``) and checked again
against the SHA-256 of the normalised file.

Known quirk: the 100 strong enhancers of the independent test also appear in
the training set; ``drop_test_duplicates=True`` removes them from training.

Synthetic enhancers
-------------------
:func:`make_synthetic_enhancers` is the project's embedded default: background
DNA with a chosen GC content, and "enhancers" carrying planted transcription
factor motifs (sampled from position frequency matrices, either strand).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state

from .sequences import _CODE_TO_BYTE, iter_fasta, read_fasta, write_fasta

__all__ = [
    "BUILTIN_MOTIFS",
    "IENHANCER2L_FILES",
    "fetch_ienhancer2l",
    "get_data_home",
    "load_ienhancer2l",
    "make_synthetic_enhancers",
]

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


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The folder holding datasets: the argument, ``$ENHANCER_SK_DATA`` or ``~/enhancer_sk_data``."""
    if data_home is None:
        data_home = os.environ.get("ENHANCER_SK_DATA") or Path.home() / "enhancer_sk_data"
    return Path(data_home).expanduser()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


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
            found = _sha256(target)
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
        if _git_blob_sha1(data) != blob_sha1:
            raise OSError(f"download of {url} failed its checksum (git blob {_git_blob_sha1(data)} != {blob_sha1})")
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            raw = Path(tmp) / "raw.fa"
            raw.write_bytes(data)
            out = Path(tmp) / name
            _normalise_download(raw, out, name.removesuffix(".fa"))
            if _sha256(out) != sha256:
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
            if _sha256(path) != sha256:
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


# ----------------------------------------------------------------------------- synthetic


def _consensus_pfm(consensus: str, p: float = 0.85) -> np.ndarray:
    """PFM (4, w) in A, C, G, T order putting ``p`` on each consensus base (N: uniform)."""
    iupac = {"A": "A", "C": "C", "G": "G", "T": "T", "R": "AG", "Y": "CT", "S": "CG", "W": "AT",
             "K": "GT", "M": "AC", "N": "ACGT"}
    pfm = np.zeros((4, len(consensus)))
    for j, ch in enumerate(consensus):
        bases = iupac[ch]
        rest = (1 - p) / (4 - len(bases)) if len(bases) < 4 else 0.0
        for b in range(4):
            pfm[b, j] = p / len(bases) if "ACGT"[b] in bases else rest
        if len(bases) == 4:
            pfm[:, j] = 0.25
    return pfm


#: Built-in motifs: consensus sites of well-known enhancer-binding factors as soft PFMs
#: (85% on the consensus base).  Approximations for synthetic data, not database matrices.
BUILTIN_MOTIFS: dict[str, np.ndarray] = {
    "AP-1": _consensus_pfm("TGASTCA"),
    "CTCF": _consensus_pfm("CCRSYAGRKGGCRS"),
    "GATA": _consensus_pfm("WGATAR"),
    "ETS": _consensus_pfm("ACCGGAAGT"),
    "E-box": _consensus_pfm("CACGTG"),
    "SP/KLF": _consensus_pfm("GGGGCGGGG"),
    "CEBP": _consensus_pfm("TTGCGCAAT"),
    "FOX": _consensus_pfm("TGTTTAC"),
}


def _check_pfm(name, pfm) -> np.ndarray:
    pfm = np.asarray(pfm, dtype=float)
    if pfm.ndim != 2 or pfm.shape[0] != 4 or pfm.shape[1] < 1:
        raise ValueError(f"motif {name!r} must be a (4, width) matrix in A, C, G, T order, got {pfm.shape}")
    if (pfm < 0).any() or (pfm.sum(axis=0) <= 0).any():
        raise ValueError(f"motif {name!r} has negative entries or an empty column")
    return pfm / pfm.sum(axis=0, keepdims=True)


def _sample_from_pfm(pfm: np.ndarray, count: int, rng: np.random.RandomState) -> np.ndarray:
    """``count`` sites sampled from a PFM: codes of shape (count, width)."""
    cum = np.cumsum(pfm, axis=0)  # (4, w)
    u = rng.random_sample((count, pfm.shape[1]))
    return (u[:, None, :] > cum[None, :, :]).sum(axis=1).clip(0, 3).astype(np.uint8)


def make_synthetic_enhancers(
    n_samples: int = 1000,
    length: int | tuple[int, int] = 200,
    *,
    motifs: Mapping[str, np.ndarray] | None = None,
    motifs_per_sequence: int = 3,
    gc: float = 0.42,
    enhancer_gc: float | None = None,
    positive_fraction: float = 0.5,
    background_motif_rate: float = 0.15,
    grades: bool = False,
    random_state=None,
    return_motif_sites: bool = False,
):
    """Generate enhancer-like sequences with planted transcription factor motifs.

    Background sequences are i.i.d. bases with GC content ``gc``.  Enhancers
    have GC content ``enhancer_gc`` and carry motif sites sampled from the
    motifs' position frequency matrices, on either strand at random positions.
    A few background sequences carry one site too (``background_motif_rate``),
    so the task is not trivially separable.

    Parameters
    ----------
    n_samples : int, default=1000
    length : int or (int, int), default=200
        Sequence length, or an inclusive range from which each length is drawn.
    motifs : mapping of name -> array (4, width), optional
        Position frequency (or count) matrices in A, C, G, T order, e.g. from
        JASPAR (pyjaspar).  Default: :data:`BUILTIN_MOTIFS`.
    motifs_per_sequence : int, default=3
        Sites per enhancer (per strong enhancer with ``grades=True``; weak ones
        get half as many, at least one).
    gc : float, default=0.42
        GC content of background sequences.
    enhancer_gc : float or None, default=None
        GC content of enhancers (None: same as ``gc``, so that composition
        alone barely separates the classes and models must find the motifs).
    positive_fraction : float, default=0.5
        Fraction of enhancers.
    background_motif_rate : float, default=0.15
        Probability that a background sequence carries one motif site.
    grades : bool, default=False
        If True, enhancers are split evenly into weak (1) and strong (2), and
        background is 0.
    random_state : int, RandomState or None
    return_motif_sites : bool, default=False
        Also return a list of ``(sequence index, motif name, start, strand)``.

    Returns
    -------
    X : ndarray of str, shape (n_samples,)
    y : ndarray of int, shape (n_samples,)
        1 = enhancer, 0 = background (0/1/2 with ``grades=True``).
    sites : list of tuple
        Only with ``return_motif_sites=True``.
    """
    rng = check_random_state(random_state)
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    if not 0 < positive_fraction < 1:
        raise ValueError(f"positive_fraction must lie in (0, 1), got {positive_fraction}")
    motifs = BUILTIN_MOTIFS if motifs is None else motifs
    if not motifs:
        raise ValueError("motifs must hold at least one motif")
    names = list(motifs)
    pfms = [_check_pfm(name, motifs[name]) for name in names]
    if isinstance(length, (tuple, list)):
        lengths = rng.randint(int(length[0]), int(length[1]) + 1, size=n_samples)
    else:
        lengths = np.full(n_samples, int(length))
    if lengths.min() < max(p.shape[1] for p in pfms):
        raise ValueError("sequences must be at least as long as the longest motif")

    n_pos = int(round(n_samples * positive_fraction))
    y = np.zeros(n_samples, dtype=np.int64)
    pos_idx = rng.permutation(n_samples)[:n_pos]
    y[pos_idx] = 1
    if grades:
        strong = pos_idx[rng.permutation(n_pos)[: n_pos // 2]]
        y[pos_idx] = 1
        y[strong] = 2
    enhancer_gc = gc if enhancer_gc is None else enhancer_gc

    # background bases, vectorised over the whole batch
    total = int(lengths.sum())
    seq_gc = np.where(y > 0, enhancer_gc, gc)
    per_base_gc = np.repeat(seq_gc, lengths)
    u = rng.random_sample(total)
    v = rng.random_sample(total)
    is_gc = u < per_base_gc
    codes = np.where(is_gc, np.where(v < 0.5, 1, 2), np.where(v < 0.5, 0, 3)).astype(np.uint8)
    starts = np.zeros(n_samples, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])

    n_sites = np.where(y == 2, motifs_per_sequence, np.where(y == 1, motifs_per_sequence, 0))
    if grades:
        n_sites = np.where(y == 1, max(1, motifs_per_sequence // 2), n_sites)
    n_sites = n_sites + ((y == 0) & (rng.random_sample(n_samples) < background_motif_rate))
    site_seq = np.repeat(np.arange(n_samples), n_sites)
    site_motif = rng.randint(len(pfms), size=len(site_seq))
    site_strand = rng.random_sample(len(site_seq)) < 0.5
    sites = []
    for m, pfm in enumerate(pfms):
        sel = np.flatnonzero(site_motif == m)
        if not sel.size:
            continue
        w = pfm.shape[1]
        drawn = _sample_from_pfm(pfm, sel.size, rng)
        rc = site_strand[sel]
        drawn[rc] = 3 - drawn[rc][:, ::-1]
        seq_of = site_seq[sel]
        offset = (rng.random_sample(sel.size) * (lengths[seq_of] - w + 1)).astype(np.int64)
        cols = starts[seq_of, None] + offset[:, None] + np.arange(w)[None, :]
        codes[cols] = drawn
        if return_motif_sites:
            sites.extend(
                (int(s), names[m], int(o), "-" if r else "+") for s, o, r in zip(seq_of, offset, rc)
            )
    text = _CODE_TO_BYTE[codes].tobytes().decode("ascii")
    X = np.empty(n_samples, dtype=object)
    X[:] = [text[s : s + n] for s, n in zip(starts.tolist(), lengths.tolist())]
    if return_motif_sites:
        sites.sort()
        return X, y, sites
    return X, y
