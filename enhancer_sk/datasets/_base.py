"""Where datasets live and how their files are checked.

Datasets are read from a *data home*: the ``data_home`` argument of a loader,
else the environment variable ``ENHANCER_SK_DATA``, else ``~/enhancer_sk_data``.
Every file is checked against its SHA-256 before use; a loader fetches a
missing file (only when asked, never in the tests) and checks it again.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["get_data_home", "git_blob_sha1", "sha256_of"]


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The folder holding datasets: the argument, ``$ENHANCER_SK_DATA`` or ``~/enhancer_sk_data``."""
    if data_home is None:
        data_home = os.environ.get("ENHANCER_SK_DATA") or Path.home() / "enhancer_sk_data"
    return Path(data_home).expanduser()


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_blob_sha1(data: bytes) -> str:
    """Git's blob hash of ``data`` (how GitHub names a file's content), hex."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
