"""Shared fixtures: the benchmark data home (every test using it is marked ``data``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _data_home() -> Path | None:
    env = os.environ.get("ENHANCER_SK_DATA")
    if env:
        return Path(env)
    return None


@pytest.fixture(scope="session")
def data_home() -> Path:
    """The folder of the real benchmark data (``$ENHANCER_SK_DATA``); skips when absent."""
    home = _data_home()
    if home is None or not home.is_dir():
        pytest.skip(
            "benchmark data not available: set ENHANCER_SK_DATA to the folder holding "
            f"ienhancer2l/, enhancer_lstmatt_weights/ and gkm_reference/ (e.g. {_DEFAULT_SHARED})"
        )
    return home


@pytest.fixture(scope="session")
def data_path(data_home):
    """``data_path(*parts)``: a path under the data home; skips the test when it is missing."""

    def get(*parts: str) -> Path:
        path = data_home.joinpath(*parts)
        if not path.exists():
            pytest.skip(f"{path} not present in ENHANCER_SK_DATA")
        return path

    return get


#: the file names of LS-GKM's own NFE2 test set (``lsgkm_tests/`` of the data home) start with this
NFE2_PREFIX = "nfe2_gm12878."


@pytest.fixture(scope="session")
def nfe2(data_path):
    """``nfe2(suffix)``: a file of LS-GKM's NFE2 test set by suffix (``model.txt``, ``test.fa`` ...)."""
    return lambda suffix: data_path("lsgkm_tests", NFE2_PREFIX + suffix)


@pytest.fixture(scope="module")
def shipped(nfe2):
    """The model LS-GKM's ``gkmtrain`` wrote for the NFE2 training set, read as a GkmSVM."""
    from enhancer_sk.models.svm.gkm import GkmSVM

    return GkmSVM.from_lsgkm(nfe2("model.txt"), threads=2)


#: the fixtures that give the real data: a test using one (directly or through another fixture) needs it;
#: a test that reads ENHANCER_SK_DATA itself takes ``data_home`` too (it skips without the data)
DATA_FIXTURES = frozenset({"data_home", "data_path"})


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects on the markers
def pytest_collection_modifyitems(config, items):
    """Mark ``data`` every test that uses the real data, so that no such test can go unmarked."""
    for item in items:
        if DATA_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.data)
