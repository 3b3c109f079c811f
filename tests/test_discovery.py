"""Tests of enhancer_sk.interpret.discovery: TF-MoDISco on attributions, Tomtom naming, outputs.

The recovery test needs no model: sequences carry JASPAR motifs planted by
:func:`make_synthetic_enhancers`, and the "attributions" are the one-hot
sequence times 1 on the planted sites (small noise elsewhere), so the patterns
modisco finds must be the planted motifs.  modisco compiles its numba kernels
on first use in a process (tens of seconds on a loaded machine); one module
fixture pays for it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.interpret.discovery import (
    MOTIF_TABLE_COLUMNS,
    MotifResult,
    _is_actual,
    _one_hot_right_padded,
    discover_motifs,
)
from enhancer_sk.interpret.motifs import jaspar_motifs
from enhancer_sk.sequence.encoders import one_hot_encode

#: Planted JASPAR 2024 matrices: GATA1, CTCF, Spi1.
PLANTED = ("MA0035.5", "MA0139.2", "MA0080.7")
FAMILIES = {"MA0035.5": "GATA", "MA0139.2": "CTCF", "MA0080.7": "SPI"}


def family(tf_name: str) -> str | None:
    """The planted family a JASPAR TF name belongs to (GATA1..6, CTCF, Spi1/SPIB), else None."""
    return next((fam for fam in FAMILIES.values() if tf_name.upper().startswith(fam)), None)


def planted_attributions(n: int, length: int = 200, seed: int = 0):
    ids, _names, pfms = jaspar_motifs("JASPAR2024")
    by_id = dict(zip(ids, pfms))
    motifs = {jid: by_id[jid] for jid in PLANTED}
    X, _y, sites = make_synthetic_enhancers(
        n, length, motifs=motifs, motifs_per_sequence=3, positive_fraction=0.8, return_motif_sites=True,
        random_state=seed,
    )
    weight = np.random.RandomState(seed).normal(0, 0.05, size=(n, length)).astype(np.float32)
    for s, jid, start, _strand in sites:
        weight[s, start:start + motifs[jid].shape[1]] = 1.0
    return one_hot_encode(X) * weight[:, None, :], X, sites, motifs


@pytest.fixture(scope="module")
def planted():
    attributions, X, sites, motifs = planted_attributions(300)
    result = discover_motifs(attributions, X, random_state=0)
    return attributions, X, sites, motifs, result


def test_recovers_planted_jaspar_motifs(planted):
    *_, result = planted
    table = result.table()
    assert list(table.columns) == list(MOTIF_TABLE_COLUMNS)
    assert set(table["metacluster"]) == {"pos"}  # the planted signal is positive only
    assert (table["n_seqlets"] >= 20).all()
    for jid in PLANTED:  # a Tomtom hit to the planted matrix itself, significant
        evalues = [hit["e_value"] for hits in result.matches for hit in hits if hit["jaspar_id"] == jid]
        assert evalues and min(evalues) < 0.05, f"{jid} not recovered:\n{table}"
    assert set(PLANTED) <= set(table["best_match"])
    # every pattern is one of the planted motifs (or a relative in JASPAR: GATA2 for GATA1)
    assert None not in [family(name) for name in table["match_name"]], table
    assert {family(name) for name in table["match_name"]} == set(FAMILIES.values())


def test_seqlets_lie_on_planted_sites(planted):
    _attr, _X, sites, motifs, result = planted
    footprint = {}
    for s, jid, start, _strand in sites:
        footprint.setdefault(jid, set()).update((s, p) for p in range(start, start + motifs[jid].shape[1]))
    for i, name in enumerate(result.names):
        planted_id = next(jid for jid, fam in FAMILIES.items() if fam == family(result.best_match(i)["tf_name"]))
        seqlets = result.seqlets[i]
        assert len(seqlets) == result.n_seqlets[i]
        assert (seqlets["end"] - seqlets["start"] == result.pfms[i].shape[1]).all()
        assert set(seqlets["strand"]) <= {"+", "-"}
        inside = [
            np.mean([(s["sequence"], p) in footprint[planted_id] for p in range(s["start"], s["end"])])
            for s in seqlets
        ]
        assert np.mean(inside) > 0.8, name


def test_matrices_and_result_shapes(planted):
    *_, result = planted
    assert len(result) == len(result.names) == len(result.pfms) == len(result.cwms) == len(result.seqlets)
    for pfm, cwm, hcwm in zip(result.pfms, result.cwms, result.hypothetical_cwms):
        assert pfm.shape == cwm.shape == hcwm.shape and pfm.shape[0] == 4
        np.testing.assert_allclose(pfm.sum(axis=0), 1.0)
        assert cwm.sum() > 0  # positive metacluster
        np.testing.assert_allclose(hcwm, cwm)  # actual contributions were given
    assert all(name.startswith("pos_pattern_") for name in result.names)
    # the seqlet locations (strand included) rebuild each pattern's PFM and CWM
    attributions, X = planted[0], planted[1]
    one_hot = one_hot_encode(X)
    for i in range(len(result)):
        windows, contribs = [], []
        for s in result.seqlets[i]:
            w, c = one_hot[s["sequence"], :, s["start"]:s["end"]], attributions[s["sequence"], :, s["start"]:s["end"]]
            if s["strand"] == "-":
                w, c = w[::-1, ::-1], c[::-1, ::-1]
            windows.append(w)
            contribs.append(c)
        np.testing.assert_allclose(np.mean(windows, axis=0), result.pfms[i], atol=1e-6)
        np.testing.assert_allclose(np.mean(contribs, axis=0), result.cwms[i], atol=1e-5)
    frame = result.seqlet_table()
    assert len(frame) == result.n_seqlets.sum()


def test_meme_tsv_and_logos(planted, tmp_path):
    from memelite.io import read_meme

    *_, result = planted
    meme = result.write_meme(tmp_path / "motifs.meme")
    read = read_meme(str(meme))
    assert list(read) == result.names
    for pfm, (_key, matrix) in zip(result.pfms, read.items()):
        np.testing.assert_allclose(matrix, pfm, atol=1e-5)

    tsv = result.write_table(tmp_path / "motifs.tsv")
    lines = tsv.read_text().splitlines()
    assert lines[0].split("\t") == list(MOTIF_TABLE_COLUMNS)
    assert len(lines) == len(result) + 1
    assert {line.split("\t")[4] for line in lines[1:]} >= set(PLANTED)

    png = result.plot_logos(tmp_path / "logos.png", motifs=result.names[:1])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="unknown motifs"):
        result.plot_logos(tmp_path / "x.png", motifs=["nope"])


def test_deterministic_with_random_state(planted):
    attributions, X, *_, result = planted
    again = discover_motifs(attributions, X, random_state=0)
    assert again.names == result.names
    np.testing.assert_array_equal(again.n_seqlets, result.n_seqlets)
    for a, b in zip(again.pfms, result.pfms):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(again.seqlets, result.seqlets):
        np.testing.assert_array_equal(np.sort(a, order=["sequence", "start"]), np.sort(b, order=["sequence", "start"]))


def test_all_zero_attributions_give_empty_result(tmp_path):
    from memelite.io import read_meme

    X, _ = make_synthetic_enhancers(50, 60, random_state=0)
    with pytest.warns(UserWarning, match="all zero"):
        result = discover_motifs(np.zeros((50, 4, 60), np.float32), X)
    assert isinstance(result, MotifResult) and len(result) == 0
    assert list(result.table().columns) == list(MOTIF_TABLE_COLUMNS)
    assert result.table(as_frame=False) == []
    result.write_meme(tmp_path / "empty.meme")
    assert read_meme(str(tmp_path / "empty.meme")) == {}
    assert (tmp_path / "t.tsv").exists() is False
    result.write_table(tmp_path / "t.tsv")
    assert (tmp_path / "t.tsv").read_text().splitlines() == ["\t".join(MOTIF_TABLE_COLUMNS)]
    with pytest.raises(ValueError, match="no motifs"):
        result.plot_logos(tmp_path / "empty.png")


def test_no_seqlets_warns_instead_of_failing():
    X, _ = make_synthetic_enhancers(40, 60, random_state=0)
    one_hot = one_hot_encode(X)
    spike = np.zeros_like(one_hot)
    spike[:, :, 30] = one_hot[:, :, 30]  # one position: nothing for modisco's null to fit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = discover_motifs(spike, X, random_state=0)
    assert len(result) == 0
    assert any(issubclass(w.category, UserWarning) for w in caught)


def test_shape_mismatch_names_both_shapes():
    X, _ = make_synthetic_enhancers(10, 60, random_state=0)
    with pytest.raises(ValueError, match=r"\(12, 4, 60\).*10 sequences"):
        discover_motifs(np.ones((12, 4, 60), np.float32), X)
    with pytest.raises(ValueError, match=r"\(10, 4, 50\).*\(10, 4, 60\)"):
        discover_motifs(np.ones((10, 4, 50), np.float32), X)
    with pytest.raises(ValueError, match=r"\(10, 4, 60\).*\(10, 4, 61\)"):
        discover_motifs(np.ones((10, 4, 60), np.float32), np.zeros((10, 4, 61), np.float32))
    with pytest.raises(ValueError, match=r"shape \(n, 4, L\)"):
        discover_motifs(np.ones((10, 60), np.float32), X)
    with pytest.raises(ValueError, match="shorter than a seqlet"):
        discover_motifs(np.ones((10, 4, 60), np.float32)[:, :, :20], [s[:20] for s in X])


def test_variable_lengths_are_right_padded():
    X = ["ACGT", "GG", "TTTAC"]
    one_hot = _one_hot_right_padded(X, 3, 6, (3, 4, 6))
    assert one_hot.shape == (3, 4, 6)
    np.testing.assert_array_equal(one_hot.argmax(axis=1)[0, :4], [0, 1, 2, 3])
    np.testing.assert_array_equal(one_hot.sum(axis=1), [[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0]])
    np.testing.assert_array_equal(one_hot[1, 2, :2], [1, 1])


def test_actual_or_hypothetical_is_detected():
    one_hot = one_hot_encode(["ACGTN", "GGCCA"])
    scores = np.random.RandomState(0).normal(size=one_hot.shape).astype(np.float32)
    assert _is_actual(one_hot * scores, one_hot)
    assert not _is_actual(scores, one_hot)  # hypothetical: every base scored
