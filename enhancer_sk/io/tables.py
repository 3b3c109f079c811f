"""Tab-separated tables: the one way the project formats and writes a table cell.

Floats are written with 6 significant digits (:func:`format_cell`), NaN as
``NA``; everything else as ``str``.  Tables are written atomically
(:mod:`enhancer_sk.io.files`), so a reader never sees half a table.
"""

from __future__ import annotations

import csv
import io
import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .files import atomic_write_text

__all__ = ["format_cell", "table_text", "write_tsv"]


def format_cell(value, digits: int = 6) -> str:
    """A table cell: floats with ``digits`` significant digits (NaN as ``NA``), the rest as ``str``."""
    if isinstance(value, (float, np.floating)):
        return "NA" if math.isnan(value) else f"{float(value):.{digits}g}"
    return str(value)


def table_text(rows: Sequence[Mapping[str, object]], columns: Sequence[str] | None = None) -> str:
    """Records as tab-separated text with a header line."""
    if columns is None:
        columns = list(dict.fromkeys(c for r in rows for c in r))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t", lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([format_cell(r.get(c, "")) for c in columns])
    return buf.getvalue()


def write_tsv(path: str | os.PathLike | None, rows: Sequence[Mapping[str, object]],
              columns: Sequence[str] | None = None) -> Path | None:
    """Write records as a tab-separated table with a header, atomically (None or "-": standard output).

    Parameters
    ----------
    path : str, path-like or None
        The file; ``None`` or ``"-"`` writes to standard output.
    rows : sequence of mappings
        One mapping per row (missing cells are empty).
    columns : sequence of str, optional
        Column order (default: the keys in order of first appearance).

    Returns
    -------
    Path or None
        The path written (None for standard output).
    """
    text = table_text(rows, columns)
    if path is None or str(path) == "-":
        sys.stdout.write(text)
        return None
    return atomic_write_text(Path(path), text)
