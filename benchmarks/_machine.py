"""Machine description printed by every benchmark (cores, threads, load, versions, date), and a timer."""

from __future__ import annotations

import datetime
import os
import platform
import time


def machine_info() -> str:
    """One line describing where and when a benchmark ran."""
    import numpy as np
    import torch

    from enhancer_sk import __version__
    from enhancer_sk.threads import available_cpus

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{datetime.datetime.now().isoformat(timespec='seconds')} | {platform.node()} | "
        f"{platform.processor() or platform.machine()} | CPUs available {available_cpus()} | "
        f"load avg {load} | python {platform.python_version()} | numpy {np.__version__} | "
        f"torch {torch.__version__} (threads {torch.get_num_threads()}) | enhancer_sk {__version__}"
    )


def best_time(fn, repeats: int) -> float:
    """The shortest wall time of ``repeats`` calls of ``fn()``, in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)
