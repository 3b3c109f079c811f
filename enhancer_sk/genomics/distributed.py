"""Running the project's work on a Dask cluster (optional extra ``dist``).

Two kinds of work spread over a cluster:

* **Model selection** (``cross_val_score``, ``cross_validate``,
  ``GridSearchCV`` ... of any project estimator) through joblib's Dask
  backend: inside :func:`joblib_on_dask` (or
  ``joblib.parallel_config(backend="dask")`` with a connected client) each
  fit of a fold / parameter set is a Dask task.  Give the estimator
  ``threads=1`` (or the workers' threads) so the tasks do not oversubscribe
  the workers' cores.
* **Genome scans**: :func:`enhancer_sk.genomics.scanning.scan` with ``client=``
  sends every chunk as a task (:func:`map_in_order`); the driver reads the
  FASTA and writes the outputs, so their order and content equal the local
  run's.

A cluster is a running ``dask scheduler`` with ``dask worker`` processes
(address ``tcp://host:8786``), or a ``dask.distributed.LocalCluster`` on one
machine.  Estimators travel to the workers pickled in memory by Dask (as
joblib does for local processes); nothing is written to disk.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator

__all__ = ["connect", "joblib_on_dask", "map_in_order"]

_MISSING = (
    "Dask's distributed scheduler is not installed: pip install 'enhancer_sk[dist]' "
    "(or pip install 'dask[distributed]')"
)


def _distributed():
    try:
        import distributed
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(_MISSING) from err
    return distributed


def connect(address: str, timeout: float = 30):
    """A ``dask.distributed.Client`` connected to the scheduler at ``address`` (e.g. ``tcp://10.0.0.5:8786``)."""
    distributed = _distributed()
    try:
        return distributed.Client(address, timeout=timeout)
    except OSError as err:
        raise ValueError(f"cannot reach a Dask scheduler at {address!r}: {err}") from None


@contextlib.contextmanager
def joblib_on_dask(client=None):
    """Context manager: joblib (hence scikit-learn's ``n_jobs``) runs its tasks on a Dask cluster.

    Parameters
    ----------
    client : dask.distributed.Client, str or None
        A connected client, a scheduler address, or None for the current
        default client.

    Examples
    --------
    >>> with joblib_on_dask("tcp://scheduler:8786"):  # doctest: +SKIP
    ...     scores = cross_val_score(KmerSVM(), X, y, cv=10, n_jobs=-1)
    """
    import joblib

    _distributed()
    own = connect(client) if isinstance(client, str) else None
    try:
        if own is not None:
            with own.as_current(), joblib.parallel_config(backend="dask"):
                yield own
        else:
            with joblib.parallel_config(backend="dask"):
                yield client
    finally:
        if own is not None:
            own.close()


def _cluster_threads(client) -> int:
    try:
        return max(1, sum(int(w.get("nthreads", 1)) for w in client.scheduler_info()["workers"].values()))
    except Exception:  # noqa: BLE001 - an unknown cluster shape only changes the default
        return 1


def map_in_order(
    client, func: Callable, jobs: Iterable, shared, *, max_in_flight: int | None = None
) -> Iterator[tuple]:
    """Run ``func(shared, job.codes, job.starts)`` for every job on the cluster; yield ``(job, result)`` in order.

    ``shared`` (e.g. the fitted model) is sent to every worker once.  At
    most ``max_in_flight`` jobs (default: twice the cluster's threads) are
    submitted at a time, so the jobs' data never pile up in the driver's
    memory, and results come back in submission order.
    """
    _distributed()
    limit = max_in_flight if max_in_flight else 2 * _cluster_threads(client)
    if limit < 1:
        raise ValueError(f"max_in_flight must be positive, got {max_in_flight!r}")
    [shared_future] = client.scatter([shared], broadcast=True, hash=False)
    pending: deque = deque()
    try:
        for job in jobs:
            pending.append((job, client.submit(func, shared_future, job.codes, job.starts, pure=False)))
            if len(pending) >= limit:
                job0, future = pending.popleft()
                yield job0, future.result()
        while pending:
            job0, future = pending.popleft()
            yield job0, future.result()
    finally:
        for _, future in pending:
            future.cancel()
        shared_future.cancel()
