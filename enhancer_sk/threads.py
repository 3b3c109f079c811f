"""How many CPU threads the project's compute uses, applied only while it runs.

Every estimator and command takes ``threads``: ``None`` means ``GALAXY_SLOTS``
when that environment variable is set (Galaxy's way of telling a tool its share
of the machine), otherwise the CPUs available to this process.  The setting is
applied for the duration of a ``fit`` / ``predict`` call and the previous
values are restored afterwards, so a library user's own torch / BLAS settings
are left alone.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = ["available_cpus", "resolve_threads", "limit_threads", "numba_threads"]


def available_cpus() -> int:
    """CPUs this process may run on (affinity mask where the OS tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return max(1, os.cpu_count() or 1)


def resolve_threads(threads: int | None = None) -> int:
    """Turn a ``threads`` setting into a positive count.

    Parameters
    ----------
    threads : int or None
        A positive count; ``None`` or ``0`` read ``GALAXY_SLOTS`` and fall back
        to :func:`available_cpus`; a negative value ``-k`` means all CPUs but
        ``k - 1`` (as joblib's ``n_jobs``).

    Returns
    -------
    int
    """
    if threads is None or threads == 0:
        slots = os.environ.get("GALAXY_SLOTS", "").strip()
        if slots:
            try:
                return max(1, int(slots))
            except ValueError:
                raise ValueError(f"GALAXY_SLOTS must be an integer, got {slots!r}") from None
        return available_cpus()
    threads = int(threads)
    if threads < 0:
        return max(1, available_cpus() + 1 + threads)
    return threads


@contextlib.contextmanager
def limit_threads(threads: int | None = None) -> Iterator[int]:
    """Context manager: run torch (and BLAS, through threadpoolctl) on ``threads`` threads.

    Yields the resolved count.  Previous settings are restored on exit.
    """
    n = resolve_threads(threads)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        torch = None
    from threadpoolctl import threadpool_limits

    old = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None and old != n:
            torch.set_num_threads(n)
        with threadpool_limits(limits=n):
            yield n
    finally:
        if torch is not None and old is not None and torch.get_num_threads() != old:
            torch.set_num_threads(old)


@contextlib.contextmanager
def numba_threads(threads: int | None = None) -> Iterator[int]:
    """Context manager: run numba's parallel loops on ``threads`` threads (at most numba's pool size).

    Yields the count used.  The previous setting is restored on exit.
    """
    import numba

    n = min(resolve_threads(threads), numba.config.NUMBA_NUM_THREADS)
    old = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(old)
