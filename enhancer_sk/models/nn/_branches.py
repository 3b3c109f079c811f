"""Enhancer-LSTMAtt's two branches as row-block tasks on one or two threads (forward and backward).

The recurrent branch (small sequential LSTM steps) gains little from a second
intra-op thread, and two intra-op threads spin badly when the partner core is
busy.  With two threads, :class:`~enhancer_sk.models.nn.lstmatt.EnhancerLSTMAtt`
instead cuts each batch's branch work into fixed tasks and runs them on two
threads (the calling thread and one worker), each on one intra-op thread, in
the forward and in the backward pass:

* the Bi-LSTM on blocks of :data:`LSTM_CHUNK_ROWS` rows (rows of an LSTM are
  independent; 32-row blocks keep its working set in the L2 cache and were the
  cheapest per sequence on one thread, ``benchmarks/lstmatt_speed.py --chunks``);
* the ResNet on the whole batch when training (BatchNorm batch statistics
  couple the rows), on blocks of :data:`RESNET_CHUNK_ROWS` rows in evaluation
  mode without gradients (running statistics: rows independent).

Both threads take the next task from one list (longest first), so the work
balances itself whatever the relative speed of the branches on the machine.
The tasks, and the order in which the LSTM weight gradients of the blocks are
summed, do not depend on the threads: one thread runs the same tasks in the
same order, and results are bitwise identical.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

__all__ = ["LSTM_CHUNK_ROWS", "RESNET_CHUNK_ROWS", "ParallelBranches", "join_blocks", "row_blocks", "run_tasks"]

#: Rows per Bi-LSTM task.
LSTM_CHUNK_ROWS = 32
#: Rows per ResNet task in evaluation mode without gradients.
RESNET_CHUNK_ROWS = 64

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _branch_pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="enhancer_sk-branch")
        return _POOL


def _forget_pool_after_fork() -> None:  # a forked child must not use the parent's thread
    global _POOL
    _POOL = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def row_blocks(n: int, size: int) -> list[slice]:
    """Consecutive row slices of at most ``size`` rows covering ``range(n)``."""
    size = max(1, int(size))
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def join_blocks(parts: list[torch.Tensor], dim: int = 0) -> torch.Tensor:
    """The row blocks ``parts`` concatenated along ``dim`` (no copy for a single block)."""
    return torch.cat(parts, dim=dim) if len(parts) > 1 else parts[0]


def run_tasks(tasks: list, parallel: bool) -> list:
    """Results of the callables ``tasks``, in order; with ``parallel`` two threads share them.

    The calling thread and the worker thread each take the next task until none
    is left; the worker runs with the caller's grad / inference mode.  A task's
    result does not depend on the thread that ran it.
    """
    results: list = [None] * len(tasks)
    if not parallel or len(tasks) < 2:
        for i, task in enumerate(tasks):
            results[i] = task()
        return results
    lock = threading.Lock()
    state = {"next": 0, "failed": False}

    def drain() -> None:
        while True:
            with lock:
                i = state["next"]
                if i >= len(tasks) or state["failed"]:
                    return
                state["next"] = i + 1
            try:
                results[i] = tasks[i]()
            except BaseException:
                state["failed"] = True
                raise

    grad = torch.is_grad_enabled()
    inference = torch.is_inference_mode_enabled()

    def worker() -> None:
        with torch.inference_mode(inference), torch.set_grad_enabled(grad):
            drain()

    future = _branch_pool().submit(worker)
    try:
        drain()
    finally:
        future.result()
    return results


class ParallelBranches(torch.autograd.Function):
    """Both branches forward and backward as tasks on one or two threads (see above).

    The branches' own parameters receive their gradients inside this function's
    backward (the ResNet's through autograd, the LSTM's summed over the row
    blocks in block order); the function returns the gradients of its two
    inputs, the embedding views.
    """

    @staticmethod
    def forward(ctx, emb_lnc, emb_nlc, module, parallel):
        blocks = row_blocks(emb_lnc.shape[1], module.lstm_chunk_rows)
        lstm_in = [emb_lnc.detach()[:, b].requires_grad_() for b in blocks]
        res_in = emb_nlc.detach().requires_grad_()

        def resnet():
            with torch.enable_grad():
                return module._resnet(res_in)

        def lstm(x):
            def task():
                with torch.enable_grad():
                    return module._recurrent(x)

            return task

        res_out, *lstm_out = run_tasks([resnet] + [lstm(x) for x in lstm_in], parallel)
        ctx.graph = (lstm_in, lstm_out, res_in, res_out, parallel, module)
        h = join_blocks(lstm_out, dim=1)
        return h.detach(), res_out.detach()

    @staticmethod
    def backward(ctx, grad_h, grad_res):
        lstm_in, lstm_out, res_in, res_out, parallel, module = ctx.graph
        del ctx.graph
        if grad_h is None:
            grad_h = torch.zeros(lstm_out[0].shape[0], sum(h.shape[1] for h in lstm_out), lstm_out[0].shape[2])
        grad_res = torch.zeros_like(res_out) if grad_res is None else grad_res
        params = [p for p in module.lstm.parameters() if p.requires_grad]

        def resnet():
            torch.autograd.backward(res_out, grad_res)

        def lstm(x, h, rows):
            return lambda: torch.autograd.grad(h, [x, *params], grad_h[:, rows], allow_unused=True)

        offsets = np.cumsum([0] + [h.shape[1] for h in lstm_out])
        tasks = [resnet] + [
            lstm(x, h, slice(offsets[i], offsets[i + 1])) for i, (x, h) in enumerate(zip(lstm_in, lstm_out))
        ]
        _, *lstm_grads = run_tasks(tasks, parallel)
        for j, p in enumerate(params):  # block order, whatever thread computed each block
            parts = [g[1 + j] for g in lstm_grads if g[1 + j] is not None]
            if not parts:
                continue
            total = parts[0]
            for part in parts[1:]:
                total = total + part
            p.grad = total if p.grad is None else p.grad + total
        grad_lstm = join_blocks([g[0] for g in lstm_grads], dim=1)
        return grad_lstm, res_in.grad, None, None
