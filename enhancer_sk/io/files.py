"""Atomic output files: written under a temporary name, moved into place at the end.

Every output of the package (tables, FASTA, figures, model bundles, bedGraph,
VCF) goes through :func:`atomic_path`, so an error or an interrupt never leaves
a half-written file behind, and an existing file is only replaced by a
complete one.  The temporary file lives in the target folder (``os.replace``
is atomic within one file system) and gets the permissions a plain ``open``
would give (``0o666`` minus the umask), not the private ``0o600`` of
:func:`tempfile.mkstemp`.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

__all__ = ["atomic_open", "atomic_path", "atomic_write_text"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path next to ``path``, moved onto ``path`` when the block succeeds.

    Parameters
    ----------
    path : str or path-like
        The final file.

    Yields
    ------
    pathlib.Path
        Where to write; it exists (empty) when the block starts.  On an
        exception it is removed and ``path`` is left as it was.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                               suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        # after the writer: some (safetensors) recreate the file with private permissions
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """Open ``path`` for writing through :func:`atomic_path`; gzip when it ends in ``.gz``.

    Parameters
    ----------
    path : str or path-like
    mode : {"w", "wb"}
        Text (UTF-8) or binary.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    with atomic_path(path) as tmp:
        if Path(path).suffix == ".gz":
            fh = gzip.open(tmp, "wt" if mode == "w" else "wb", encoding="utf-8" if mode == "w" else None)
        else:
            fh = open(tmp, mode, encoding="utf-8" if mode == "w" else None)  # noqa: SIM115
        with fh:
            yield fh


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_open(path) as fh:
        fh.write(text)
    return Path(path)
