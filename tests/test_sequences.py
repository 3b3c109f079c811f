"""Sequence input: FASTA reading, normalisation and every bad-input class."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from enhancer_sk._validation import check_training_labels
from enhancer_sk.exceptions import (
    DuplicateIdError,
    EmptyInputError,
    EmptySequenceError,
    InvalidCharacterError,
    MissingLabelError,
    NotFastaError,
    SequenceInputError,
    SingleClassError,
)
from enhancer_sk.io.fasta import iter_fasta_chunks, read_fasta, write_fasta
from enhancer_sk.io.labels import read_class_fastas, read_labelled_fasta
from enhancer_sk.sequence.codes import as_sequences, codes_to_strings, sequence_codes


def _write(path, text, gz=False):
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_read_fasta_plain_and_gzip(tmp_path, gz):
    # gzip is detected from content, not from the name
    path = _write(tmp_path / "x.fa", ">a desc\nacgt\nNNRY\n>b\nGGCC\n", gz=gz)
    ids, seqs = read_fasta(path)
    assert list(ids) == ["a", "b"]
    assert list(seqs) == ["ACGTNNNN", "GGCC"]


def test_read_fasta_crlf(tmp_path):
    path = tmp_path / "x.fa"
    path.write_bytes(b">a\r\nACGT\r\nAC\r\n")
    assert list(read_fasta(path)[1]) == ["ACGTAC"]


def test_as_sequences_inputs(tmp_path):
    path = _write(tmp_path / "x.fa", ">r1\nACGT\n")
    assert list(as_sequences(path)) == ["ACGT"]
    assert list(as_sequences(str(path))) == ["ACGT"]
    assert list(as_sequences(["acgt", "kmbdhvN"])) == ["ACGT", "NNNNNNN"]
    assert list(as_sequences(np.array(["AC", "GT"]))) == ["AC", "GT"]
    assert list(as_sequences(np.array([["AC"], ["GT"]], dtype=object))) == ["AC", "GT"]
    seqs, ids = as_sequences(["AC"], return_ids=True)
    assert list(ids) == ["seq_0"]


@pytest.mark.parametrize(
    "bad, char",
    [("ACG1T", "'1'"), ("ACGTU", "'U'"), ("ACG T", "' '"), ("ACGTE", "'E'"), ("ACGT-", "'-'"), ("ACGé", "'é'")],
)
def test_invalid_character_names_record(bad, char):
    with pytest.raises(InvalidCharacterError, match=r"index 1") as err:
        as_sequences(["ACGT", bad])
    assert char in str(err.value)


def test_invalid_character_in_file_names_record_id(tmp_path):
    path = _write(tmp_path / "x.fa", ">good\nACGT\n>bad_one\nACGTXX\n")
    with pytest.raises(InvalidCharacterError, match="bad_one") as err:
        read_fasta(path)
    assert "'X'" in str(err.value) and "position 5" in str(err.value)


def test_space_inside_sequence_in_file(tmp_path):
    path = _write(tmp_path / "x.fa", ">r1\nACGT\n>r2\nAC GT\n")
    with pytest.raises(InvalidCharacterError, match="r2"):
        read_fasta(path)


def test_protein_file_is_refused(tmp_path):
    path = _write(tmp_path / "x.fa", ">sp|P1\nMKVLQEFW\n")
    with pytest.raises(InvalidCharacterError, match=r"sp\|P1"):
        read_fasta(path)


def test_empty_file(tmp_path):
    with pytest.raises(EmptyInputError, match="empty"):
        read_fasta(_write(tmp_path / "e.fa", ""))
    with pytest.raises(EmptyInputError):
        read_fasta(_write(tmp_path / "e2.fa", "\n\n  \n"))
    with pytest.raises(EmptyInputError):
        as_sequences([])


def test_not_fasta(tmp_path):
    with pytest.raises(NotFastaError, match="first line"):
        read_fasta(_write(tmp_path / "x.txt", "id\tlabel\nr1\t1\n"))
    binary = tmp_path / "b.fa"
    binary.write_bytes(b">x\n\xff\xfe\x00\x01")
    with pytest.raises(NotFastaError, match="not a readable"):
        read_fasta(binary)
    with pytest.raises(NotFastaError, match="directory"):
        read_fasta(tmp_path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such FASTA"):
        read_fasta(tmp_path / "nope.fa")


def test_empty_sequence(tmp_path):
    with pytest.raises(EmptySequenceError, match="'r2'"):
        read_fasta(_write(tmp_path / "x.fa", ">r1\nACGT\n>r2\n>r3\nAC\n"))
    with pytest.raises(EmptySequenceError, match="index 1"):
        as_sequences(["AC", ""])


def test_duplicate_ids(tmp_path):
    with pytest.raises(DuplicateIdError, match="'r1'"):
        read_fasta(_write(tmp_path / "x.fa", ">r1\nACGT\n>r1\nAC\n"))


def test_non_string_items():
    with pytest.raises(SequenceInputError, match="not a string"):
        as_sequences(["AC", 3])
    with pytest.raises(SequenceInputError, match="1-D"):
        as_sequences(np.zeros((2, 3)))


def test_labelled_fasta_tsv(tmp_path):
    fa = _write(tmp_path / "x.fa", ">a\nAC\n>b\nGT\n>c\nAA\n")
    tsv = _write(tmp_path / "y.tsv", "id\tlabel\n# comment\nb\tweak\na\tstrong\nc\tnon\nextra\tnon\n")
    ids, seqs, y = read_labelled_fasta(fa, tsv)
    assert list(ids) == ["a", "b", "c"] and list(y) == ["strong", "weak", "non"]
    tsv2 = _write(tmp_path / "y2.tsv", "a\t1\nb\t0\nc\t1\n")
    assert read_labelled_fasta(fa, tsv2)[2].dtype == np.int64


def test_labelled_fasta_missing_label(tmp_path):
    fa = _write(tmp_path / "x.fa", ">a\nAC\n>b\nGT\n")
    tsv = _write(tmp_path / "y.tsv", "a\t1\n")
    with pytest.raises(MissingLabelError, match="'b'"):
        read_labelled_fasta(fa, tsv)
    dup = _write(tmp_path / "d.tsv", "a\t1\na\t0\nb\t1\n")
    with pytest.raises(DuplicateIdError, match="'a'"):
        read_labelled_fasta(fa, dup)


def test_class_fastas(tmp_path):
    pos = _write(tmp_path / "p.fa", ">p1\nACGT\n>p2\nGG\n")
    neg = _write(tmp_path / "n.fa", ">n1\nTT\n")
    ids, seqs, y = read_class_fastas({1: pos, 0: neg})
    assert list(y) == [1, 1, 0] and y.dtype == np.int64
    neg2 = _write(tmp_path / "n2.fa", ">p1\nTT\n")
    with pytest.raises(DuplicateIdError, match="'p1'"):
        read_class_fastas({"enh": pos, "bg": neg2})


def test_single_class():
    with pytest.raises(SingleClassError, match="only 1"):
        check_training_labels([1, 1, 1])
    with pytest.raises(SequenceInputError, match="3 sequences but 2 labels"):
        check_training_labels([0, 1], n_samples=3)


def test_errors_are_value_errors():
    for cls in (EmptyInputError, NotFastaError, InvalidCharacterError, SingleClassError):
        assert issubclass(cls, ValueError)


def test_write_fasta_roundtrip_atomic(tmp_path):
    path = tmp_path / "out.fa.gz"
    write_fasta(path, ["a", "b"], ["ACGT", "NNAC"], width=2)
    ids, seqs = read_fasta(path)
    assert list(ids) == ["a", "b"] and list(seqs) == ["ACGT", "NNAC"]
    assert [p.name for p in tmp_path.iterdir()] == ["out.fa.gz"]


def test_write_fasta_failure_leaves_nothing(tmp_path):
    path = tmp_path / "out.fa"

    def bad():
        yield "ACGT"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_fasta(path, ["a", "b"], bad())
    assert list(tmp_path.iterdir()) == []


def test_sequence_codes_offsets():
    sc = sequence_codes(["ACG", "TN"])
    assert sc.codes.tolist() == [0, 1, 2, 3, 4]
    assert sc.starts.tolist() == [0, 3] and sc.lengths.tolist() == [3, 2]


# ----------------------------------------------------------------------------- chunked reading


@pytest.mark.parametrize("width", [0, 7, 60])
@pytest.mark.parametrize("gz", [False, True])
def test_iter_fasta_chunks_reassembles_every_record(tmp_path, width, gz):
    rng = np.random.default_rng(width)
    ids = ["one", "two", "three", "four"]
    seqs = ["".join(rng.choice(list("ACGTNacgtRY"), n)) for n in (1, 99, 1000, 2503)]
    path = tmp_path / ("g.fa.gz" if gz else "g.fa")
    write_fasta(path, ids, seqs, width=width)
    for chunk_size, overlap, block in ((10, 3, 5), (100, 99, 64), (5000, 299, 1 << 20), (1, 0, 3)):
        chunks = list(iter_fasta_chunks(path, chunk_size, overlap, block_size=block))
        assert [c.id for c in chunks if c.offset == 0] == ids
        for rid, seq in zip(ids, seqs):
            mine = [c for c in chunks if c.id == rid]
            codes = sequence_codes([seq]).codes
            assert [c.last for c in mine] == [False] * (len(mine) - 1) + [True]
            assert mine[-1].offset + len(mine[-1].codes) == len(seq)
            for k, c in enumerate(mine):
                assert np.array_equal(c.codes, codes[c.offset : c.offset + len(c.codes)])
                if not c.last:
                    assert len(c.codes) == chunk_size
                if k:
                    assert c.offset == mine[k - 1].offset + chunk_size - overlap


def test_iter_fasta_chunks_one_long_line_in_bounded_pieces(tmp_path):
    path = _write(tmp_path / "long.fa", ">chr\n" + "ACGT" * 25_000 + "\n")
    chunks = list(iter_fasta_chunks(path, 4096, 100, block_size=1000))
    assert max(len(c.codes) for c in chunks) == 4096
    assert chunks[-1].offset + len(chunks[-1].codes) == 100_000


def test_iter_fasta_chunks_errors_name_the_record(tmp_path):
    with pytest.raises(InvalidCharacterError, match=r"record 'b'.*'X' at position 7"):
        list(iter_fasta_chunks(_write(tmp_path / "x.fa", ">a\nACGT\n>b\nACG\nTAC\nXA\n"), 2, 1))
    with pytest.raises(NotFastaError, match="first line"):
        list(iter_fasta_chunks(_write(tmp_path / "n.fa", "ACGT\n>a\nAC\n"), 10))
    with pytest.raises(EmptyInputError):
        list(iter_fasta_chunks(_write(tmp_path / "e.fa", "\n"), 10))
    with pytest.raises(EmptySequenceError, match="'a'"):
        list(iter_fasta_chunks(_write(tmp_path / "es.fa", ">a\n>b\nAC\n"), 10))
    with pytest.raises(DuplicateIdError, match="'a'"):
        list(iter_fasta_chunks(_write(tmp_path / "d.fa", ">a\nAC\n>a\nGT\n"), 10))
    with pytest.raises(ValueError, match="overlap"):
        list(iter_fasta_chunks(tmp_path / "d.fa", 10, 10))


def test_codes_to_strings():
    assert codes_to_strings(np.array([[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]])).tolist() == ["ACGTN", "NTGCA"]
