"""Thread settings: GALAXY_SLOTS, defaults, and restoration after use."""

from __future__ import annotations

import pytest
import torch

from enhancer_sk.threads import available_cpus, limit_threads, resolve_threads


def test_resolve(monkeypatch):
    monkeypatch.delenv("GALAXY_SLOTS", raising=False)
    assert resolve_threads(None) == available_cpus()
    assert resolve_threads(3) == 3
    assert resolve_threads(-1) == available_cpus()
    monkeypatch.setenv("GALAXY_SLOTS", "1")
    assert resolve_threads(None) == 1
    monkeypatch.setenv("GALAXY_SLOTS", "x")
    with pytest.raises(ValueError, match="GALAXY_SLOTS"):
        resolve_threads(None)


def test_limit_threads_restores():
    before = torch.get_num_threads()
    with limit_threads(1) as n:
        assert n == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
