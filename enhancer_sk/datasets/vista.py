"""The VISTA enhancer benchmark (Visel et al. 2007), fetched with checksums.

Human and mouse non-coding elements tested *in vivo* in transgenic mouse
embryos (E11.5, lacZ reporter) by the VISTA Enhancer Browser: "positive"
elements drove reproducible expression in at least one tissue, "negative" ones
showed none.  2120 elements (Human 882 positive / 817 negative, Mouse 244 / 177)
of 188 to 11,824 bp: real, variable-length sequences on which GC content and
length alone are weak predictors.

:func:`load_vista` reads ``<data_home>/vista/vista.fa.gz`` (see
:func:`~enhancer_sk.datasets.get_data_home`), the 2015 snapshot used by the
ENCODE enhancer challenge, and returns a :class:`~sklearn.utils.Bunch`.  The
SHA-256 of the *decompressed* content is verified, so any gzip of the right
FASTA is accepted.  A missing file is fetched by :func:`fetch_vista` from the
challenge's repository at a fixed commit, checked against the git blob hash and
the SHA-256 of the source, and stored gzip-compressed.

The recommended split is by chromosome: test = every element on ``chr1`` or
``chr2`` (both species; 206 positive / 209 negative), train = the rest (920 /
785); no element is in both.  ``groups`` (``"Human:chr3"`` ...) keeps nearby
elements together in a :class:`~sklearn.model_selection.GroupKFold` inside the
training part.

Known quirks of the file (kept as they are; the file is checksummed):

* ``element N`` is unique only within a species: 366 numbers are used by a
  human and by a mouse element.  ``ids`` are VISTA's own names, ``hs<N>``
  (human) and ``mm<N>`` (mouse), which are unique.
* Sequences are soft-masked (mostly lower case); they are upper-cased.  One
  element (``hs2211``) holds two ``N``.
* Coordinates (hg19 for human, mouse mm9) are written 1-based inclusive
  (``chr16:86430087-86430726`` is 640 bp); for 2110 elements the sequence
  length equals the span, for 10 it does not (by -4 to +3 bp for eight, +237 bp
  for ``hs97``; ``hs2211``'s sequence is 11,824 bp for a 2,299-bp span).
* Three positives write a tissue count without its denominator
  (``midbrain (mesencephalon)[4/]``), and one positive (``hs2033``) lists no
  tissue.

Reference: Visel A, Minovitsky S, Dubchak I, Pennacchio LA (2007). VISTA
Enhancer Browser: a database of tissue-specific human enhancers. Nucleic Acids
Res 35:D88-D92.  Source: https://github.com/zzz2010/encodeenhancerchallenge
(``data/vista.fa``), which carries no licence of its own; the VISTA data are
publicly released by the VISTA Enhancer Browser.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import urllib.request
import zlib
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from .._validation import did_you_mean
from ..io.fasta import open_binary
from ..io.files import atomic_path
from ._base import get_data_home, git_blob_sha1

__all__ = [
    "VISTA_BASE_URL",
    "VISTA_COMMIT",
    "VISTA_GIT_BLOB_SHA1",
    "VISTA_SHA256",
    "VISTA_SOURCE",
    "VISTA_TEST_CHROMOSOMES",
    "VISTA_URL",
    "fetch_vista",
    "load_vista",
]

#: The commit of ``zzz2010/encodeenhancerchallenge`` (the ENCODE enhancer challenge, 2015) the file comes from.
VISTA_COMMIT = "82d9f5f1711e98f432e86350204fd2cc8f0fd402"
#: Where the file is fetched from (fixed commit); ``$ENHANCER_SK_VISTA_URL`` or ``base_url`` override it.
VISTA_BASE_URL = f"https://raw.githubusercontent.com/zzz2010/encodeenhancerchallenge/{VISTA_COMMIT}/"
#: The file's path under the base URL.
VISTA_SOURCE = "data/vista.fa"
#: The full default URL.
VISTA_URL = VISTA_BASE_URL + VISTA_SOURCE
#: Git blob SHA-1 of ``data/vista.fa`` (how GitHub names its content).
VISTA_GIT_BLOB_SHA1 = "f91a5e8b8d376db3855cc75ecbec3ccc737ae808"
#: SHA-256 of the uncompressed FASTA (checked on every load, whatever the gzip around it).
VISTA_SHA256 = "c514d1993609e5330debf72460951bb542cfab63fe3376e5a085606f08f7065b"
#: Chromosomes of the test split (both species).
VISTA_TEST_CHROMOSOMES = ("chr1", "chr2")

_FOLDER = "vista"
_FILENAME = "vista.fa.gz"
_URL_ENV = "ENHANCER_SK_VISTA_URL"
_SPLITS = ("train", "test", "all")
_SPECIES = {"human": "Human", "mouse": "Mouse"}
_ASSEMBLY = {"Human": "hg19", "Mouse": "mm9"}
_ID_PREFIX = {"Human": "hs", "Mouse": "mm"}
_LABELS = {"negative": 0, "positive": 1}
_COORDINATES = re.compile(r"(?P<chrom>[^:\s]+):(?P<start>\d+)-(?P<end>\d+)")
_ELEMENT = re.compile(r"element (?P<number>\d+)")
_TISSUE = re.compile(r"(?P<name>.*?)\s*\[(?P<n>\d*)/(?P<of>\d*)\]")

_DESCR = """\
VISTA enhancer benchmark (2015 snapshot of the VISTA Enhancer Browser)
----------------------------------------------------------------------

Human (hg19) and mouse (mm9) non-coding elements tested in transgenic mouse
embryos (E11.5, lacZ reporter): target 1 = reproducible expression in at least
one tissue ("positive"), 0 = none ("negative").  2120 elements of 188 to
11,824 bp.  Split by chromosome: test = chr1 and chr2 of both species, train =
the rest.  ``start`` is 0-based and ``end`` exclusive (BED); ``coordinates``
keeps VISTA's 1-based inclusive text.

Visel A, Minovitsky S, Dubchak I, Pennacchio LA (2007). VISTA Enhancer
Browser: a database of tissue-specific human enhancers. Nucleic Acids Res
35:D88-D92.  File: zzz2010/encodeenhancerchallenge data/vista.fa at commit
82d9f5f1711e98f432e86350204fd2cc8f0fd402.
"""


def _vista_path(data_home: str | os.PathLike | None) -> Path:
    return get_data_home(data_home) / _FOLDER / _FILENAME


def _read_verified(path: Path) -> bytes:
    """The decompressed content of ``path``, after checking its SHA-256.

    Raises
    ------
    OSError
        When the file cannot be decompressed or its content does not match.
    """
    try:
        with open_binary(path, kind="VISTA FASTA") as fh:
            data = fh.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise OSError(
            f"{path} is corrupt or modified: it cannot be decompressed ({err}); delete it to download it again"
        ) from None
    found = hashlib.sha256(data).hexdigest()
    if found != VISTA_SHA256:
        raise OSError(
            f"{path} is corrupt or modified: SHA-256 of its content {found} instead of {VISTA_SHA256}; "
            "delete it to download it again"
        )
    return data


def fetch_vista(data_home: str | os.PathLike | None = None, *, base_url: str | None = None) -> Path:
    """Make sure the VISTA file is present and intact; download it when missing.

    Parameters
    ----------
    data_home : path, optional
        See :func:`~enhancer_sk.datasets.get_data_home`.  The file is
        ``<data_home>/vista/vista.fa.gz``.
    base_url : str, optional
        Where to fetch from: :data:`VISTA_SOURCE` is appended to it (default
        ``$ENHANCER_SK_VISTA_URL``, else :data:`VISTA_BASE_URL`); any URL
        ``urllib`` opens, including ``file://`` (used by the tests).

    Returns
    -------
    Path
        The file ``<data_home>/vista/vista.fa.gz``.

    Raises
    ------
    OSError
        When a present file's decompressed content does not match
        :data:`VISTA_SHA256` (it is left in place: delete it to download it
        again), or when a download fails its git blob hash or SHA-256 (nothing
        is written).

    Notes
    -----
    A present file may be any gzip (or plain) file of the right content.  A
    download is written gzip-compressed with a zero timestamp, so the stored
    file is the same bytes on every machine, under a temporary name moved into
    place once complete.
    """
    path = _vista_path(data_home)
    if path.exists():
        _read_verified(path)
        return path
    base_url = base_url or os.environ.get(_URL_ENV) or VISTA_BASE_URL
    url = base_url.rstrip("/") + "/" + VISTA_SOURCE
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - fixed https or file URL
        data = response.read()
    blob = git_blob_sha1(data)
    if blob != VISTA_GIT_BLOB_SHA1:
        raise OSError(f"download of {url} failed its checksum (git blob {blob} != {VISTA_GIT_BLOB_SHA1})")
    found = hashlib.sha256(data).hexdigest()
    if found != VISTA_SHA256:
        raise OSError(f"download of {url} failed its checksum (SHA-256 {found} != {VISTA_SHA256})")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return path


def _parse_tissues(fields: list[str], where: str) -> tuple[list[str], list[tuple[int | None, int | None]]]:
    """Tissue names and ``(embryos with the pattern, embryos with any expression)`` counts."""
    names, counts = [], []
    for field in fields:
        if not field:  # a trailing "|"
            continue
        m = _TISSUE.fullmatch(field)
        if m is None:
            raise OSError(f"{where}: unreadable tissue field {field!r}")
        names.append(m["name"])
        counts.append((int(m["n"]) if m["n"] else None, int(m["of"]) if m["of"] else None))
    return names, counts


def _parse(data: bytes, source: Path) -> dict[str, list]:
    """Columns of the VISTA FASTA, in file order."""
    from Bio.SeqIO.FastaIO import SimpleFastaParser

    cols: dict[str, list] = {k: [] for k in (
        "header", "data", "target", "species", "element", "chrom", "start", "end", "tissues", "tissue_counts")}
    for n, (header, seq) in enumerate(SimpleFastaParser(io.StringIO(data.decode("ascii"))), start=1):
        where = f"{source}, record {n} ({header[:60]!r})"
        fields = [f.strip() for f in header.split("|")]
        if len(fields) < 4:
            raise OSError(f"{where}: expected 'species|coordinates | element N | label | tissues...'")
        species, coordinates, element, label = fields[:4]
        m_coord = _COORDINATES.fullmatch(coordinates)
        m_elem = _ELEMENT.fullmatch(element)
        if species not in _ASSEMBLY or m_coord is None or m_elem is None or label not in _LABELS:
            raise OSError(f"{where}: unreadable header")
        names, counts = _parse_tissues(fields[4:], where)
        cols["header"].append(header)
        cols["data"].append(seq.upper())
        cols["target"].append(_LABELS[label])
        cols["species"].append(species)
        cols["element"].append(int(m_elem["number"]))
        cols["chrom"].append(m_coord["chrom"])
        cols["start"].append(int(m_coord["start"]) - 1)  # 1-based inclusive -> 0-based half-open
        cols["end"].append(int(m_coord["end"]))
        cols["tissues"].append(names)
        cols["tissue_counts"].append(counts)
    return cols


def _object_array(values: list) -> np.ndarray:
    """A 1-D object array of arbitrary items (lists stay lists)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _check_choice(name: str, value, options) -> str:
    if not isinstance(value, str) or value.lower() not in options:
        allowed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}{did_you_mean(value, options)}")
    return value.lower()


def load_vista(
    split: str = "train",
    species: str | None = None,
    data_home: str | os.PathLike | None = None,
    *,
    download_if_missing: bool = True,
    return_X_y: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load the VISTA enhancer benchmark (in-vivo tested human and mouse elements).

    Parameters
    ----------
    split : {"train", "test", "all"}, default="train"
        "test": every element on ``chr1`` or ``chr2`` (both species, 415
        elements); "train": the other chromosomes (1705); "all": the 2120
        elements in file order.  Case-insensitive.
    species : {"human", "mouse"} or None, default=None
        Keep one species (case-insensitive); None keeps both.
    data_home : path, optional
        See :func:`~enhancer_sk.datasets.get_data_home`.
    download_if_missing : bool, default=True
        Fetch a missing file (see :func:`fetch_vista`); otherwise raise
        :class:`FileNotFoundError`.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of the Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        One entry per element, in file order, each a 1-D array of length
        ``n`` (the ``object`` arrays hold Python strings or lists):

        data : ndarray of str
            The sequences, upper-cased (A, C, G, T; ``N`` twice in ``hs2211``);
            188 to 11,824 bp.
        target : ndarray of int64
            1 = positive (reproducible expression in at least one tissue), 0 = negative.
        target_names : ndarray of str
            ``["negative", "positive"]`` (index = target).
        ids : ndarray of str
            VISTA's element names, unique: ``"hs<N>"`` (human) or ``"mm<N>"``
            (mouse).  ``element N`` alone is not unique across species.
        element : ndarray of int64
            The ``N`` of ``element N``.
        species : ndarray of str
            ``"Human"`` or ``"Mouse"``.
        assembly : ndarray of str
            ``"hg19"`` (human) or ``"mm9"`` (mouse): the genome of the coordinates.
        chrom, start, end : ndarray of str, int64, int64
            The coordinates BED-style: ``start`` 0-based, ``end`` exclusive
            (``chr16:86430087-86430726`` gives ``start=86430086, end=86430726``).
        coordinates : ndarray of str
            The coordinates as written by VISTA (1-based, inclusive).
        groups : ndarray of str
            Species-qualified chromosome (``"Human:chr3"``): pass as
            ``groups`` to :class:`~sklearn.model_selection.GroupKFold` to
            cross-validate by chromosome.
        split : ndarray of str
            ``"train"`` or ``"test"`` (useful with ``split="all"``).
        tissues : ndarray of list of str
            Tissues with reproducible expression (empty for negatives); a
            multi-label target through
            :class:`~sklearn.preprocessing.MultiLabelBinarizer`.
        tissue_counts : ndarray of list of tuple
            Per tissue, ``(embryos with the pattern, embryos with any reporter
            expression)``; an entry is None when VISTA did not write it
            (``[4/]``).
        headers : ndarray of str
            The FASTA headers, unchanged.
        DESCR : str
            A description of the dataset.

    (data, target) : tuple of ndarray
        With ``return_X_y=True``.

    Raises
    ------
    ValueError
        For an unknown ``split`` or ``species``.
    FileNotFoundError
        When the file is missing and ``download_if_missing=False``.
    OSError
        When the file is corrupt or modified, or a download fails its checksum.

    Notes
    -----
    The ``start`` / ``end`` columns follow the project's (and BED's)
    0-based, half-open convention; VISTA writes ``start + 1`` to ``end``.  For
    10 elements the sequence length differs from ``end - start`` (see the
    module documentation).

    References
    ----------
    Visel A, Minovitsky S, Dubchak I, Pennacchio LA (2007). VISTA Enhancer
    Browser: a database of tissue-specific human enhancers. Nucleic Acids Res
    35:D88-D92.

    Examples
    --------
    >>> from sklearn.model_selection import GroupKFold, cross_val_score
    >>> train = load_vista("train")  # doctest: +SKIP
    >>> train.data.shape, int(train.target.sum())  # doctest: +SKIP
    ((1705,), 920)
    >>> cross_val_score(model, train.data, train.target, groups=train.groups,
    ...                 cv=GroupKFold(5))  # doctest: +SKIP
    """
    split = _check_choice("split", split, _SPLITS)
    if species is not None:
        species = _SPECIES[_check_choice("species", species, tuple(_SPECIES))]
    path = _vista_path(data_home)
    if not path.exists():
        if not download_if_missing:
            raise FileNotFoundError(f"{path} is missing (download_if_missing=False)")
        fetch_vista(data_home)
    cols = _parse(_read_verified(path), path)

    sp = np.asarray(cols["species"], dtype=object)
    chrom = np.asarray(cols["chrom"], dtype=object)
    in_test = np.isin(chrom, VISTA_TEST_CHROMOSOMES)
    keep = np.ones(len(sp), dtype=bool)
    if split != "all":
        keep &= in_test if split == "test" else ~in_test
    if species is not None:
        keep &= sp == species
    start = np.asarray(cols["start"], dtype=np.int64)
    end = np.asarray(cols["end"], dtype=np.int64)
    element = np.asarray(cols["element"], dtype=np.int64)
    bunch = Bunch(
        data=np.asarray(cols["data"], dtype=object),
        target=np.asarray(cols["target"], dtype=np.int64),
        ids=np.asarray([f"{_ID_PREFIX[s]}{e}" for s, e in zip(sp, element)], dtype=object),
        element=element,
        species=sp,
        assembly=np.asarray([_ASSEMBLY[s] for s in sp], dtype=object),
        chrom=chrom,
        start=start,
        end=end,
        coordinates=np.asarray([f"{c}:{s + 1}-{e}" for c, s, e in zip(chrom, start, end)], dtype=object),
        groups=np.asarray([f"{s}:{c}" for s, c in zip(sp, chrom)], dtype=object),
        split=np.where(in_test, "test", "train").astype(object),
        tissues=_object_array(cols["tissues"]),
        tissue_counts=_object_array(cols["tissue_counts"]),
        headers=np.asarray(cols["header"], dtype=object),
    )
    for key in list(bunch):
        bunch[key] = bunch[key][keep]
    if return_X_y:
        return bunch.data, bunch.target
    bunch.target_names = np.asarray(["negative", "positive"], dtype=object)
    bunch.DESCR = _DESCR
    return bunch
