"""Output files of the commands: checked before any work, written all or none.

Every writer used here (``comparison.write_tsv``, ``plots.save_figure``,
``model_files.save`` ...) writes to a temporary file and renames it, so no
reader sees half a file; :func:`write_all_or_none` adds that when one output
of a command fails, the outputs it already wrote are removed again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["check_output_paths", "write_all_or_none"]


def check_output_paths(*paths: str | None) -> None:
    """Fail early (before any work) when an output's folder is missing, or two outputs are one file."""
    given = [Path(p) for p in paths if p]
    for path in given:
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise FileNotFoundError(f"folder of output {str(path)!r} does not exist")
        if path.is_dir():
            raise ValueError(f"output {str(path)!r} is a folder")
    resolved = [p.resolve() for p in given]
    if len(set(resolved)) != len(resolved):
        raise ValueError("two outputs name the same file")


def write_all_or_none(writers: Sequence[tuple[str | None, Callable[[str], object]]]) -> list[Path]:
    """Run ``writer(path)`` for every ``(path, writer)`` whose path is given.

    When a writer raises, the files written before it are deleted and the
    error propagates.  Returns the paths written.
    """
    written: list[Path] = []
    try:
        for path, writer in writers:
            if not path:
                continue
            writer(path)
            written.append(Path(path))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written
