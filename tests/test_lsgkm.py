"""LS-GKM parity: model files both ways, gkmtrain-compatible training and CV, deltaSVM, the CLI.

The real-data tests (marked ``data``) use LS-GKM's own test set, NFE2 peaks in GM12878
(``$ENHANCER_SK_DATA/lsgkm_tests``, see its README): the shipped model, gkmpredict's scores and
gkmtrain's cross-validation scores with their folds.  The others use a tiny model fitted on generated
sequences.
"""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
from sklearn.model_selection import PredefinedSplit, cross_val_predict
from tiny import tiny_gkm, tiny_kmer

from enhancer_sk.cli import main
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.exceptions import ModelFileError
from enhancer_sk.io.fasta import read_fasta, write_fasta
from enhancer_sk.model_files import describe, load, save
from enhancer_sk.model_files.lsgkm import is_lsgkm_file, read_lsgkm
from enhancer_sk.models.svm.deltasvm import deltasvm_scores, deltasvm_weights, write_deltasvm_weights
from enhancer_sk.models.svm.gkm import GkmSVM
from enhancer_sk.sequence.alphabet import reverse_complement

#: the parameters of the shipped model (its header) and gkmtrain's defaults for the rest (-c 1 -e 0.001, no -s)
GKMTRAIN = {"l": 10, "k": 6, "d": 3, "kernel": "gkm_esttrunc", "C": 1.0, "tol": 1e-3, "shrinking": False}


def _scores(path) -> tuple[list[str], np.ndarray]:
    """ids and scores of a gkmpredict output (``id<TAB>score``) or a cvpred file (first two columns)."""
    rows = [line.split("\t") for line in path.read_text().splitlines() if line]
    return [r[0] for r in rows], np.array([float(r[1]) for r in rows])


def _brute_force_deltasvm(model, ref: str, alt: str) -> float:
    """Sum over the l-mers that overlap the variant of decision(alt l-mer) - decision(ref l-mer)."""
    l = model.l
    total = 0.0
    for i in range(len(ref) - l + 1):
        if ref[i : i + l] != alt[i : i + l]:
            a, r = model.decision_function([alt[i : i + l], ref[i : i + l]])
            total += a - r
    return total


def _snvs(l: int, n: int, seed: int) -> tuple[list[str], list[str]]:
    """n random (ref, alt) pairs of 2l - 1 (+ extra) bases differing at one position."""
    rng = np.random.default_rng(seed)
    refs, alts = [], []
    for i in range(n):
        ref = "".join(rng.choice(list("ACGT"), 2 * l - 1 + i % 4))
        pos = int(rng.integers(0, len(ref)))
        alt = ref[:pos] + rng.choice([b for b in "ACGT" if b != ref[pos]]) + ref[pos + 1 :]
        refs.append(ref)
        alts.append(alt)
    return refs, alts


# ----------------------------------------------------------------------------- tiny models (no data)


@pytest.fixture(scope="module")
def synthetic():
    return make_synthetic_enhancers(n_samples=120, length=60, random_state=0)


@pytest.fixture(scope="module")
def tiny(synthetic):
    X, y = synthetic
    return tiny_gkm().fit(X, y)


@pytest.fixture
def tiny_file(tmp_path, tiny):
    path = tmp_path / "tiny.model.txt"
    tiny.to_lsgkm(path)
    return path


def test_tiny_model_round_trips_through_lsgkm(tmp_path, tiny, tiny_file, synthetic):
    X, _ = synthetic
    text = tiny_file.read_text().splitlines()
    assert text[:5] == ["svm_type c_svc", "kernel_type gkm_esttrunc", "L 6", "k 4", "d 2"]
    assert text[5:8] == ["nr_class 2", f"total_sv {len(tiny.dual_coef_)}", f"rho {-tiny.intercept_!r}"]
    assert text[8] == "label 1 0"  # classes_[1] first
    n_pos = int((tiny.dual_coef_ > 0).sum())
    assert text[9] == f"nr_sv {n_pos} {len(tiny.dual_coef_) - n_pos}" and text[10] == "SV"
    assert is_lsgkm_file(tiny_file)
    back = GkmSVM.from_lsgkm(tiny_file)
    assert back.get_params()["l"] == 6 and back.kernel == "gkm_esttrunc" and back.canonical_kmers
    np.testing.assert_array_equal(back.classes_, tiny.classes_)
    assert back.intercept_ == tiny.intercept_
    # the same support vectors and alphas, exactly (positives written first)
    assert sorted(zip(back.support_sequences_, back.dual_coef_)) == sorted(zip(tiny.support_sequences_,
                                                                              tiny.dual_coef_))
    np.testing.assert_allclose(back.decision_function(X), tiny.decision_function(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(back.predict(X), tiny.predict(X))
    # a model read from a file writes that file again, byte for byte
    back.to_lsgkm(tmp_path / "again.model.txt")
    assert (tmp_path / "again.model.txt").read_bytes() == tiny_file.read_bytes()


def test_labels_other_than_integers_become_1_and_minus_1(tmp_path, synthetic):
    X, y = synthetic
    model = tiny_gkm().fit(X, np.where(y == 1, "enhancer", "background"))
    model.to_lsgkm(tmp_path / "m.txt")
    back = GkmSVM.from_lsgkm(tmp_path / "m.txt")
    assert "label 1 -1" in (tmp_path / "m.txt").read_text()
    np.testing.assert_array_equal(back.classes_, [-1, 1])
    np.testing.assert_array_equal(back.predict(X) == 1, model.predict(X) == "enhancer")


def test_flipped_label_line_keeps_lsgkm_predictions(tmp_path, tiny_file, synthetic):
    X, _ = synthetic
    text = tiny_file.read_text()
    flipped = tmp_path / "flipped.txt"
    flipped.write_text(text.replace("label 1 0", "label 0 1"))
    a, b = GkmSVM.from_lsgkm(tiny_file), GkmSVM.from_lsgkm(flipped)
    score = a.decision_function(X)  # gkmpredict's score of both files
    np.testing.assert_array_equal(b.classes_, [0, 1])
    np.testing.assert_allclose(b.decision_function(X), -score, atol=1e-12)
    np.testing.assert_array_equal(b.predict(X), np.where(score > 0, 0, 1))  # LS-GKM: score > 0 means label[0]


def test_no_reverse_complement_writes_norc(tmp_path, synthetic):
    X, y = synthetic
    model = tiny_gkm(canonical_kmers=False).fit(X, y)
    model.to_lsgkm(tmp_path / "norc.txt")
    assert (tmp_path / "norc.txt").read_text().splitlines()[5] == "norc 1"
    back = GkmSVM.from_lsgkm(tmp_path / "norc.txt")
    assert back.canonical_kmers is False
    np.testing.assert_allclose(back.decision_function(X), model.decision_function(X), atol=1e-12)
    with pytest.raises(ValueError, match="canonical_kmers=True"):
        deltasvm_scores(back, ["ACGTACGTACG"], ["ACGTAGGTACG"])


def test_probabilities_are_unavailable_and_say_why(tiny_file, synthetic):
    X, _ = synthetic
    model = GkmSVM.from_lsgkm(tiny_file)
    assert not hasattr(model, "predict_proba") and not hasattr(model, "predict_log_proba")
    with pytest.raises(AttributeError, match="LS-GKM model file, which holds no Platt sigmoid"):
        model.predict_proba(X)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        model.nonsense  # noqa: B018
    assert model.predict(X).shape == (len(X),)
    model.set_params(probability=True).fit(X, *synthetic[1:])  # a refit forgets the file
    assert not hasattr(model, "lsgkm_header_") and model.predict_proba(X).shape == (len(X), 2)


def test_platt_sigmoid_travels_as_proba_and_probb(tmp_path, synthetic):
    X, y = synthetic
    model = tiny_gkm(probability=True, random_state=0).fit(X, y)
    model.to_lsgkm(tmp_path / "p.txt")
    lines = (tmp_path / "p.txt").read_text().splitlines()
    a, b = model.platt_.tolist()
    assert lines[9] == f"probA {-a!r}" and lines[10] == f"probB {-b!r}"
    back = GkmSVM.from_lsgkm(tmp_path / "p.txt")
    np.testing.assert_allclose(back.predict_proba(X), model.predict_proba(X), atol=1e-12)


def test_gzip_and_model_files_load(tmp_path, tiny, tiny_file, synthetic):
    X, _ = synthetic
    tiny.to_lsgkm(tmp_path / "tiny.model.txt.gz")
    with gzip.open(tmp_path / "tiny.model.txt.gz", "rt") as fh:
        assert fh.read() == tiny_file.read_text()
    for path in (tiny_file, tmp_path / "tiny.model.txt.gz"):
        model = load(path)
        assert isinstance(model, GkmSVM)
        np.testing.assert_allclose(model.decision_function(X), tiny.decision_function(X), atol=1e-12)
        info = describe(path)
        assert info["class"] == "GkmSVM" and info["classes"] == [0, 1] and info["params"]["l"] == 6
        assert info["lsgkm_header"]["kernel_type"] == "gkm_esttrunc"
    with pytest.raises(ModelFileError, match="LS-GKM model file"):
        load(tiny_file, kind=type(tiny_kmer()))
    # read from LS-GKM, the model saves and loads as a model file like a fitted one
    model = GkmSVM.from_lsgkm(tiny_file)
    save(model, tmp_path / "m.eskm")
    again = load(tmp_path / "m.eskm")
    assert again.lsgkm_header_ == model.lsgkm_header_ and not hasattr(again, "predict_proba")
    np.testing.assert_array_equal(again.decision_function(X), model.decision_function(X))
    assert not is_lsgkm_file(tmp_path / "m.eskm") and not is_lsgkm_file(tmp_path / "missing.txt")


@pytest.mark.parametrize("head", [b"k\n\x00\x00\x00\x00\x00\x00{", b"L \x00\x00", b"d\t\xf0\x9f", b"svm_type \xff"])
def test_binary_files_are_not_taken_for_lsgkm_models(tmp_path, head):
    # a safetensors file's 8-byte length prefix can read as a one-letter header item (0x0a6b: "k\n")
    path = tmp_path / "model.eskm"
    path.write_bytes(head + b" svm_type c_svc\n" + bytes(range(256)))
    assert not is_lsgkm_file(path)


def _edit(text: str, line: int, new: str | None) -> str:
    """``text`` with its 1-based ``line`` replaced (None: removed)."""
    lines = text.splitlines()
    if new is None:
        del lines[line - 1]
    else:
        lines[line - 1] = new
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("line", "new", "message"), [
    (1, "svm_type nu_svc", r"line 1: svm_type 'nu_svc' is not supported"),
    (2, "kernel_type wgkm", r"line 2: kernel_type wgkm \(gkmtrain -t 4, centre-weighted gkm\) is not supported"),
    (2, "kernel_type gkmrbf", r"line 2: .*-t 3"),
    (2, "kernel_type gkm_cnt_rbf", r"line 2: .*-t 6"),
    (2, "kernel_type magic", r"line 2: unknown kernel_type 'magic'"),
    (3, "L 13", r"line 3: L must lie in \[1, 12\], got 13"),
    (4, "k seven", r"line 4: k must be an integer, got 'seven'"),
    (5, "d 2 3", r"line 5: d needs 1 value, got 2"),
    (6, "nr_class 3", r"line 6: nr_class 3: only binary models"),
    (6, "colour blue", r"line 6: unknown header item 'colour'"),
    (6, "L 6", r"line 6: L given twice \(first on line 3\)"),
    (8, "rho nan", r"line 8: rho must be finite"),
    (9, "label 1 1", r"line 9: the two labels are equal"),
    (10, "nr_sv 1 2", r"line 10: nr_sv 1 \+ 2 differs from total_sv"),
    (12, "0.5 ACGTXACGT", r"line 12: support vector holds 'X' at position 5"),
    (12, "0.5", r"line 12: a support vector line is 'alpha sequence', got 1 fields"),
    (12, "abc ACGT", r"line 12: alpha must be a number, got 'abc'"),
    (8, None, r"line 10: the header has no rho line"),
])
def test_malformed_files_name_the_line(tmp_path, tiny_file, line, new, message):
    bad = tmp_path / "bad.model.txt"
    bad.write_text(_edit(tiny_file.read_text(), line, new))
    with pytest.raises(ModelFileError, match=message):
        GkmSVM.from_lsgkm(bad)
    with pytest.raises(ModelFileError, match=message):
        load(bad)


def test_truncated_and_overlong_files(tmp_path, tiny_file):
    lines = tiny_file.read_text().splitlines()
    n = len(lines)
    (tmp_path / "short.txt").write_text("\n".join(lines[:-2]) + "\n")
    with pytest.raises(ModelFileError, match=rf"line {n - 2}: {n - 13} support vectors, but total_sv says {n - 11}"):
        read_lsgkm(tmp_path / "short.txt")
    (tmp_path / "long.txt").write_text("\n".join([*lines, lines[-1]]) + "\n")
    with pytest.raises(ModelFileError, match=rf"line {n + 1}: more support vectors than total_sv"):
        read_lsgkm(tmp_path / "long.txt")
    (tmp_path / "header.txt").write_text("\n".join(lines[:8]) + "\n")
    with pytest.raises(ModelFileError, match="no SV line"):
        read_lsgkm(tmp_path / "header.txt")
    with pytest.raises(FileNotFoundError):
        GkmSVM.from_lsgkm(tmp_path / "missing.model.txt")


def test_deltasvm_tiny_model_equals_brute_force_and_weight_file(tmp_path, tiny):
    refs, alts = _snvs(tiny.l, 40, seed=1)
    got = deltasvm_scores(tiny, refs, alts)
    want = [_brute_force_deltasvm(tiny, r, a) for r, a in zip(refs, alts)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    np.testing.assert_allclose(deltasvm_scores(tiny, alts, refs), -got, atol=1e-12)
    assert deltasvm_scores(tiny, refs[:3], refs[:3]).tolist() == [0.0, 0.0, 0.0]
    lmers, weights = deltasvm_weights(tiny)
    assert len(lmers) == (4**6 + 4**3) // 2 and list(lmers) == sorted(lmers)
    assert all(s <= reverse_complement(s) for s in lmers)
    np.testing.assert_array_equal(weights, tiny.decision_function(list(lmers)))
    n = write_deltasvm_weights(tiny, tmp_path / "w.txt")
    rows = [line.split("\t") for line in (tmp_path / "w.txt").read_text().splitlines()]
    assert n == len(rows) == len(lmers) and [r[0] for r in rows] == list(lmers)
    np.testing.assert_array_equal([float(r[1]) for r in rows], weights)  # read back exactly
    with pytest.raises(ValueError, match="equal lengths"):
        deltasvm_scores(tiny, ["ACGTACGTAC"], ["ACGTACGTA"])
    with pytest.raises(TypeError, match="needs a GkmSVM"):
        deltasvm_scores(tiny_kmer(), refs, alts)


def test_cli_export_and_predict_tiny(tmp_path, tiny, synthetic, capsys):
    X, y = synthetic
    save(tiny, tmp_path / "gkm.eskm")
    assert main(["export", "-m", str(tmp_path / "gkm.eskm"), "--lsgkm", str(tmp_path / "out.model.txt"),
                 "--deltasvm", str(tmp_path / "w.txt")]) == 0
    back = GkmSVM.from_lsgkm(tmp_path / "out.model.txt")
    np.testing.assert_allclose(back.decision_function(X), tiny.decision_function(X), atol=1e-12)
    assert len((tmp_path / "w.txt").read_text().splitlines()) == (4**6 + 4**3) // 2
    save(tiny_kmer().fit(X, y), tmp_path / "kmer.eskm")
    capsys.readouterr()
    assert main(["export", "-m", str(tmp_path / "kmer.eskm"), "--lsgkm", str(tmp_path / "k.txt")]) == 2
    assert "holds a KmerSVM: only GkmSVM models" in capsys.readouterr().err and not (tmp_path / "k.txt").exists()
    assert main(["export", "-m", str(tmp_path / "gkm.eskm")]) == 2
    assert "nothing to export" in capsys.readouterr().err
    # predict with the LS-GKM model file: decision values, labelled by their sign
    write_fasta(tmp_path / "q.fa", [f"s{i}" for i in range(10)], list(X[:10]))
    assert main(["predict", "-m", str(tmp_path / "out.model.txt"), "--fasta", str(tmp_path / "q.fa"),
                 "-o", str(tmp_path / "p.tsv"), "--threads", "1"]) == 0
    assert "LS-GKM model file" in capsys.readouterr().err
    rows = [line.split("\t") for line in (tmp_path / "p.tsv").read_text().splitlines()]
    assert rows[0] == ["id", "decision", "label"]
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]], tiny.decision_function(X[:10]), rtol=1e-5)
    assert [int(r[2]) for r in rows[1:]] == tiny.predict(X[:10]).tolist()


# ----------------------------------------------------------------------------- LS-GKM's NFE2 test set (data)


@pytest.fixture(scope="module")
def training(nfe2):
    _, pos = read_fasta(nfe2("tr.fa"))
    _, neg = read_fasta(nfe2("neg.tr.fa"))
    return np.concatenate([pos, neg]), np.r_[np.ones(len(pos), int), -np.ones(len(neg), int)]


@pytest.fixture(scope="module")
def fitted(training):
    X, y = training
    return GkmSVM(**GKMTRAIN, threads=2).fit(X, y)


@pytest.mark.parametrize("name", ["test", "neg.test"])
def test_shipped_model_reproduces_gkmpredict(nfe2, shipped, name):
    ids, X = read_fasta(nfe2(f"{name}.fa"))
    pred_ids, want = _scores(nfe2(f"{name}.pred.txt"))
    assert list(ids) == pred_ids
    got = shipped.decision_function(X)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)  # measured 4.8e-6 (the files keep 6 digits)
    np.testing.assert_array_equal(shipped.predict(X), np.where(got > 0, 1, -1))


def test_shipped_model_header_and_state(nfe2, shipped):
    assert shipped.get_params()["l"] == 10 and shipped.k == 6 and shipped.d == 3
    assert shipped.kernel == "gkm_esttrunc" and shipped.canonical_kmers and not shipped.probability
    assert shipped.intercept_ == -0.379216 and len(shipped.dual_coef_) == 958
    assert shipped.lsgkm_header_["nr_sv"] == "435 523" and shipped.lsgkm_header_["label"] == "1 -1"
    assert (shipped.dual_coef_[:435] > 0).all() and (shipped.dual_coef_[435:] < 0).all()
    assert not hasattr(shipped, "support_") and not hasattr(shipped, "predict_proba")


def test_shipped_model_round_trips(tmp_path, nfe2, shipped):
    source = nfe2("model.txt")
    shipped.to_lsgkm(tmp_path / "lsgkm.txt", precision="lsgkm")  # gkmtrain's own number formatting
    assert (tmp_path / "lsgkm.txt").read_bytes() == source.read_bytes()
    shipped.to_lsgkm(tmp_path / "exact.txt")
    back = GkmSVM.from_lsgkm(tmp_path / "exact.txt", threads=2)
    np.testing.assert_array_equal(back.dual_coef_, shipped.dual_coef_)
    np.testing.assert_array_equal(back.support_sequences_, shipped.support_sequences_)
    assert back.intercept_ == shipped.intercept_
    _, X = read_fasta(nfe2("test.fa"))
    np.testing.assert_array_equal(back.decision_function(X), shipped.decision_function(X))
    # gzip: the same model
    with open(source, "rb") as src, gzip.open(tmp_path / "m.txt.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    np.testing.assert_array_equal(load(tmp_path / "m.txt.gz").decision_function(X), shipped.decision_function(X))


@pytest.mark.slow  # ~10 s: the Gram matrix of 1288 sequences
@pytest.mark.parametrize("name", ["test", "neg.test"])
def test_fit_reproduces_gkmtrain(nfe2, shipped, fitted, name):
    _, X = read_fasta(nfe2(f"{name}.fa"))
    _, want = _scores(nfe2(f"{name}.pred.txt"))
    diff = np.abs(fitted.decision_function(X) - want).max()
    assert diff < 1e-3  # measured 2.0e-4
    assert set(fitted.support_sequences_) == set(shipped.support_sequences_)  # 958 support vectors
    assert abs(fitted.intercept_ - shipped.intercept_) < 1e-4  # the file's rho has 6 digits
    alpha = dict(zip(shipped.support_sequences_, shipped.dual_coef_))
    assert max(abs(a - alpha[s]) for s, a in zip(fitted.support_sequences_, fitted.dual_coef_)) < 1e-2


@pytest.mark.slow
def test_fitted_model_round_trips(tmp_path, fitted, nfe2):
    fitted.to_lsgkm(tmp_path / "fitted.model.txt")
    back = GkmSVM.from_lsgkm(tmp_path / "fitted.model.txt", threads=2)
    assert back.intercept_ == fitted.intercept_
    assert sorted(zip(back.support_sequences_, back.dual_coef_)) == sorted(zip(fitted.support_sequences_,
                                                                              fitted.dual_coef_))
    _, X = read_fasta(nfe2("test.fa"))
    np.testing.assert_allclose(back.decision_function(X), fitted.decision_function(X), rtol=0, atol=1e-12)


@pytest.mark.slow  # ~30 s: five fits
def test_cross_validation_with_cvpred_folds(nfe2, training):
    X, y = training
    rows = [line.split("\t") for line in nfe2("cvpred.txt").read_text().splitlines()]
    ids = [*read_fasta(nfe2("tr.fa"))[0], *read_fasta(nfe2("neg.tr.fa"))[0]]
    assert [r[0] for r in rows] == ids and [int(float(r[2])) for r in rows] == y.tolist()
    want = np.array([float(r[1]) for r in rows])
    folds = np.array([int(r[3]) for r in rows]) - 1
    got = cross_val_predict(GkmSVM(**GKMTRAIN, threads=2), X, y, cv=PredefinedSplit(folds),
                            method="decision_function")
    assert np.abs(got - want).max() < 1e-3  # measured 3.5e-4


def test_deltasvm_shipped_model_equals_brute_force(tmp_path, shipped):
    refs, alts = _snvs(shipped.l, 30, seed=2)
    got = deltasvm_scores(shipped, refs, alts)
    want = [_brute_force_deltasvm(shipped, r, a) for r, a in zip(refs, alts)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    n = write_deltasvm_weights(shipped, tmp_path / "nfe2.weights.txt")
    assert n == (4**10 + 4**5) // 2
    with open(tmp_path / "nfe2.weights.txt") as fh:
        first = [next(fh).rstrip("\n").split("\t") for _ in range(3)]
    assert [r[0] for r in first] == ["AAAAAAAAAA", "AAAAAAAAAC", "AAAAAAAAAG"]
    np.testing.assert_array_equal([float(r[1]) for r in first],
                                  shipped.decision_function(["AAAAAAAAAA", "AAAAAAAAAC", "AAAAAAAAAG"]))


def test_cli_export_and_predict_with_the_shipped_model(tmp_path, nfe2, capsys):
    assert main(["export", "-m", str(nfe2("model.txt")), "--lsgkm", str(tmp_path / "copy.model.txt"),
                 "--precision", "lsgkm"]) == 0
    assert (tmp_path / "copy.model.txt").read_bytes() == nfe2("model.txt").read_bytes()
    assert main(["predict", "-m", str(nfe2("model.txt")), "--fasta", str(nfe2("test.fa")),
                 "-o", str(tmp_path / "p.tsv"), "--threads", "2"]) == 0
    rows = [line.split("\t") for line in (tmp_path / "p.tsv").read_text().splitlines()]
    assert rows[0] == ["id", "decision", "label"]
    ids, want = _scores(nfe2("test.pred.txt"))
    assert [r[0] for r in rows[1:]] == ids
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]], want, rtol=0, atol=1e-5)
    assert "writing decision values" in capsys.readouterr().err


def test_cli_variants_deltasvm_with_an_lsgkm_file(tmp_path, tiny_file):
    pytest.importorskip("pysam", reason="pysam is not installed (extra 'variants')")
    rng = np.random.default_rng(5)
    chrom = "".join(rng.choice(list("ACGT"), 300))
    write_fasta(tmp_path / "genome.fa", ["chr1"], [chrom], width=60)
    other = {"A": "C", "C": "G", "G": "T", "T": "A"}
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1,length=300>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
             f"chr1\t101\tsnv\t{chrom[100]}\t{other[chrom[100]]}\t.\tPASS\t.",
             f"chr1\t151\tdel\t{chrom[150:153]}\t{chrom[150]}\t.\tPASS\t."]
    (tmp_path / "v.vcf").write_text("\n".join(lines) + "\n")
    assert main(["variants", "-m", str(tiny_file), "--vcf", str(tmp_path / "v.vcf"), "--genome",
                 str(tmp_path / "genome.fa"), "-o", str(tmp_path / "e.tsv"), "--method", "deltasvm", "--quiet",
                 "--threads", "1"]) == 0
    rows = [line.split("\t") for line in (tmp_path / "e.tsv").read_text().splitlines()]
    assert rows[0][-1] == "deltasvm" and rows[1][5] == "NA" and rows[2][-1] == "NA"  # no probabilities; indel
    model = GkmSVM.from_lsgkm(tiny_file)
    ref = chrom[100 - 5 : 106]
    alt = ref[:5] + other[chrom[100]] + ref[6:]
    assert float(rows[1][-1]) == pytest.approx(_brute_force_deltasvm(model, ref, alt), abs=1e-5)


def test_cli_variants_deltasvm_refuses_other_models(tmp_path, capsys):
    pytest.importorskip("pysam", reason="pysam is not installed (extra 'variants')")
    X, y = make_synthetic_enhancers(40, 60, random_state=0)
    save(tiny_kmer().fit(X, y), tmp_path / "kmer.eskm")
    write_fasta(tmp_path / "genome.fa", ["chr1"], ["ACGT" * 50], width=60)
    (tmp_path / "v.vcf").write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                                    "chr1\t10\tsnv\tC\tA\t.\tPASS\t.\n")
    assert main(["variants", "-m", str(tmp_path / "kmer.eskm"), "--vcf", str(tmp_path / "v.vcf"), "--genome",
                 str(tmp_path / "genome.fa"), "-o", str(tmp_path / "e.tsv"), "--method", "deltasvm"]) == 2
    assert "needs a gkm-SVM" in capsys.readouterr().err and not (tmp_path / "e.tsv").exists()


def test_cli_variants_window_method_needs_probabilities(tmp_path, tiny_file, capsys):
    pytest.importorskip("pysam", reason="pysam is not installed (extra 'variants')")
    write_fasta(tmp_path / "genome.fa", ["chr1"], ["ACGT" * 30], width=60)
    (tmp_path / "v.vcf").write_text("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=120>\n"
                                    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t5\t.\tA\tG\t.\tPASS\t.\n")
    assert main(["variants", "-m", str(tiny_file), "--vcf", str(tmp_path / "v.vcf"), "--genome",
                 str(tmp_path / "genome.fa"), "-o", str(tmp_path / "e.tsv"), "--quiet"]) == 2
    assert "--method deltasvm" in capsys.readouterr().err and not (tmp_path / "e.tsv").exists()


def test_cli_scan_with_the_shipped_model_gives_gkmpredict_scores(tmp_path, nfe2, capsys):
    # one 236-bp window per 236-bp test sequence (60 of the 69; the shorter ones are skipped): its score is
    # gkmpredict's score of the sequence
    assert main(["scan", "-m", str(nfe2("model.txt")), "--fasta", str(nfe2("test.fa")), "--window", "236",
                 "--step", "236", "--bedgraph", str(tmp_path / "s.bedgraph"), "--calls", str(tmp_path / "c.bed"),
                 "--threads", "2", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "scanning decision values" in captured.err and "9 sequence(s) shorter than the window" in captured.out
    rows = [line.split("\t") for line in (tmp_path / "s.bedgraph").read_text().splitlines()[1:]]
    want = dict(zip(*_scores(nfe2("test.pred.txt"))))
    assert len(rows) == 60 and all(r[1:3] == ["0", "236"] for r in rows)
    np.testing.assert_allclose([float(r[3]) for r in rows], [want[r[0]] for r in rows], rtol=0, atol=1e-5)
    calls = [line.split("\t") for line in (tmp_path / "c.bed").read_text().splitlines()[1:]]
    assert sorted(c[0] for c in calls) == sorted(r[0] for r in rows if want[r[0]] >= 0)
