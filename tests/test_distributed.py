"""Dask: scans and model selection on a local cluster give the local results."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("distributed", reason="dask.distributed is not installed (extra 'dist': pip install "
                                          "'enhancer_sk[dist]')")

import joblib  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score  # noqa: E402
from tiny import SCAN_CNN, tiny_deepenhancer, tiny_kmer  # noqa: E402

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers  # noqa: E402
from enhancer_sk.genomics.distributed import connect, joblib_on_dask, map_in_order  # noqa: E402
from enhancer_sk.genomics.scanning import scan  # noqa: E402
from enhancer_sk.io.fasta import write_fasta  # noqa: E402
from enhancer_sk.models.svm.kmer import KmerSVM  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def client(cluster):
    with Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def data():
    return make_synthetic_enhancers(90, (60, 100), random_state=1)


@pytest.mark.slow  # ~10 s alone: the same scan on the Dask cluster and locally
def test_scan_on_dask_equals_the_local_scan(tmp_path, cluster, client, data):
    X, y = data
    model = tiny_deepenhancer(**SCAN_CNN).fit(X, y)
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGTN"), n, p=[0.24, 0.24, 0.24, 0.24, 0.04])) for n in (3000, 50, 1234)]
    fasta = tmp_path / "g.fa"
    write_fasta(fasta, ["c1", "tiny", "c2"], seqs, width=60)
    threshold = 0.5
    outputs = {}
    for where in ("local", "dask", "address"):
        kw = {"dask": {"client": client, "max_in_flight": 3}, "address": {"client": cluster.scheduler_address},
              "local": {}}[where]
        summary = scan(model, fasta, bedgraph=tmp_path / f"{where}.bedgraph", calls=tmp_path / f"{where}.bed",
                       step=8, threshold=threshold, chunk_size=400, threads=1, max_n_fraction=0.05, **kw)
        outputs[where] = ((tmp_path / f"{where}.bedgraph").read_text(), (tmp_path / f"{where}.bed").read_text(),
                          summary.windows, summary.skipped_n, summary.short)
    assert outputs["dask"] == outputs["local"] == outputs["address"]
    assert outputs["local"][2] > 300 and outputs["local"][3] > 0 and outputs["local"][4] == ["tiny"]


def test_map_in_order_keeps_the_submission_order(client):
    class Job:
        def __init__(self, i):
            self.codes, self.starts = np.full(3, i), np.arange(i % 4)

    results = list(map_in_order(client, _describe, (Job(i) for i in range(12)), 100, max_in_flight=2))
    assert [r for _, r in results] == [100 + i * 3 + i % 4 for i in range(12)]


def _describe(shared, codes, starts):
    return shared + int(codes.sum()) + len(starts)


def test_cross_validation_and_grid_search_on_dask_equal_local(client, data):
    X, y = data
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    local = cross_val_score(tiny_kmer(), X, y, cv=cv, scoring="roc_auc", n_jobs=1)
    with joblib.parallel_config(backend="dask"):
        remote = cross_val_score(tiny_kmer(), X, y, cv=cv, scoring="roc_auc", n_jobs=-1)
    np.testing.assert_array_equal(remote, local)

    grid = {"k": [2, 3], "C": [0.5, 2.0]}
    local = GridSearchCV(KmerSVM(random_state=0), grid, cv=cv, scoring="roc_auc", n_jobs=1).fit(X, y)
    with joblib_on_dask(client):
        remote = GridSearchCV(KmerSVM(random_state=0), grid, cv=cv, scoring="roc_auc", n_jobs=-1).fit(X, y)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(remote.predict_proba(X[:5]), local.predict_proba(X[:5]))


def test_joblib_on_dask_with_a_scheduler_address(cluster, data):
    X, y = data
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    local = cross_val_score(tiny_kmer(k=2), X, y, cv=cv, n_jobs=1)
    with joblib_on_dask(cluster.scheduler_address) as connected:
        assert connected.scheduler.address == cluster.scheduler_address
        remote = cross_val_score(tiny_kmer(k=2), X, y, cv=cv, n_jobs=-1)
    np.testing.assert_array_equal(remote, local)
    with pytest.raises(ValueError, match="cannot reach a Dask scheduler"):
        connect("tcp://127.0.0.1:9", timeout=1)
