"""Labelled sequences: one FASTA file per class, or one FASTA file and a label table.

Labels that are all integers are returned as ``int64``, otherwise as strings.
Ids must be unique across the files of one data set; a record without a label
is an error naming it.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping

import numpy as np

from ..exceptions import DuplicateIdError, MissingLabelError
from ..sequence.codes import PathLike
from .fasta import read_fasta

__all__ = ["read_class_fastas", "read_labelled_fasta"]

def _parse_label(values: list[str]) -> np.ndarray:
    """Labels as int when every value is an integer, else as strings."""
    try:
        return np.asarray([int(v) for v in values], dtype=np.int64)
    except ValueError:
        return np.asarray(values, dtype=object)


def read_labelled_fasta(fasta: PathLike, labels: PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read a FASTA file and a two-column TSV of ``id<TAB>label``.

    The TSV may start with a header line (first field ``id``, ``record_id``,
    ``sequence_id`` or ``name``) and may hold ``#`` comment lines.  Labels that
    are all integers are returned as ``int64``, otherwise as strings.  Ids in
    the TSV that are not in the FASTA are ignored.

    Returns
    -------
    ids, sequences, y : ndarray
        In FASTA order.

    Raises
    ------
    MissingLabelError
        When a FASTA record has no label (naming the first such id).
    DuplicateIdError
        When the TSV gives one id twice.
    """
    ids, seqs = read_fasta(fasta)
    table: dict[str, str] = {}
    with open(labels, newline="", encoding="utf-8") as fh:
        for lineno, row in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if not row or not "".join(row).strip() or row[0].startswith("#"):
                continue
            if len(row) < 2:
                raise MissingLabelError(
                    f"{str(labels)!r} line {lineno}: expected two tab-separated columns (id, label), got {row!r}"
                )
            rid, label = row[0].strip(), row[1].strip()
            if lineno == 1 and rid.lower() in {"id", "record_id", "sequence_id", "name"}:
                continue
            if rid in table:
                raise DuplicateIdError(f"{str(labels)!r} line {lineno}: id {rid!r} is labelled twice")
            table[rid] = label
    missing = [rid for rid in ids if rid not in table]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise MissingLabelError(f"record {missing[0]!r}{more} of {str(fasta)!r} has no label in {str(labels)!r}")
    y = _parse_label([table[rid] for rid in ids])
    return ids, seqs, y


def read_class_fastas(files: Mapping[object, PathLike]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read one FASTA file per class.

    Parameters
    ----------
    files : mapping of label -> FASTA path
        For example ``{"enhancer": "pos.fa", "background": "neg.fa"}`` or
        ``{1: "pos.fa", 0: "neg.fa"}``.

    Returns
    -------
    ids, sequences, y : ndarray
        Records in mapping order, then file order.

    Raises
    ------
    DuplicateIdError
        When one id appears in two files.
    """
    all_ids, all_seqs, all_y = [], [], []
    seen: dict[str, str] = {}
    for label, path in files.items():
        ids, seqs = read_fasta(path)
        for rid in ids:
            if rid in seen:
                raise DuplicateIdError(f"record id {rid!r} appears in both {seen[rid]!r} and {str(path)!r}")
            seen[rid] = str(path)
        all_ids.extend(ids)
        all_seqs.extend(seqs)
        all_y.extend([label] * len(ids))
    if all(isinstance(v, (int, np.integer)) for v in files):
        y = np.asarray(all_y, dtype=np.int64)
    else:
        y = np.asarray(all_y, dtype=object)
    return np.asarray(all_ids, dtype=object), np.asarray(all_seqs, dtype=object), y
