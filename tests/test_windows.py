"""Tests of enhancer_sk.windows: sliding windows over sequences of any length."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from enhancer_sk.exceptions import SequenceInputError
from enhancer_sk.sequence.codes import as_sequence_codes, sequence_codes
from enhancer_sk.sequence.encoders import codes_to_one_hot, one_hot_encode
from enhancer_sk.sequence.windows import SlidingWindows, window_counts

BASES = np.array(list("ACGTN"))


def naive_windows(seq: str, window: int, stride: int) -> list[str]:
    """Reference: the rule of the module docstring, one window at a time."""
    n = len(seq)
    if n >= window:
        starts = list(range(0, n - window + 1, stride))
        if starts[-1] != n - window:
            starts.append(n - window)
        return [seq[s : s + window] for s in starts]
    pad = window - n
    offsets = list(range(pad, -1, -stride))
    if offsets[-1] != 0:
        offsets.append(0)
    return ["N" * o + seq + "N" * (pad - o) for o in offsets]


def decode(codes: np.ndarray) -> list[str]:
    return ["".join(BASES[row]) for row in codes]


def random_sequences(rng, n, low, high):
    return ["".join(rng.choice(list("ACGTN"), rng.integers(low, high + 1))) for _ in range(n)]


@pytest.mark.parametrize("window,stride", [(7, 1), (7, 2), (10, 3), (5, 5), (1, 1)])
def test_windows_match_reference(window, stride):
    rng = np.random.default_rng(window * 10 + stride)
    seqs = random_sequences(rng, 25, 1, 30)
    w = SlidingWindows(seqs, window, stride)
    got = decode(w.codes(0, w.n_windows))
    expected = [win for s in seqs for win in naive_windows(s, window, stride)]
    assert got == expected
    assert w.counts.tolist() == [len(naive_windows(s, window, stride)) for s in seqs]
    assert w.groups().tolist() == [i for i, s in enumerate(seqs) for _ in naive_windows(s, window, stride)]


def test_every_base_of_a_long_sequence_is_covered():
    seq = "ACGTTGCAAC" * 9 + "G"  # 91 bp, window 20, stride 4: 71 % 4 != 0
    w = SlidingWindows([seq], 20, 4)
    starts = w.relative_starts(0, w.n_windows)
    assert starts[0] == 0 and starts[-1] == len(seq) - 20
    covered = np.zeros(len(seq), bool)
    for s in starts:
        covered[s : s + 20] = True
    assert covered.all()


def test_short_sequence_padded_at_every_offset():
    w = SlidingWindows(["ACG"], window=8, stride=2)
    assert decode(w.codes(0, w.n_windows)) == ["NNNNNACG", "NNNACGNN", "NACGNNNN", "ACGNNNNN"]
    assert w.relative_starts(0, w.n_windows).tolist() == [-5, -3, -1, 0]


def test_sequence_of_window_length_gives_one_window():
    w = SlidingWindows(["ACGTA", "CCCCC"], window=5, stride=2)
    assert w.counts.tolist() == [1, 1]
    assert decode(w.codes(0, 2)) == ["ACGTA", "CCCCC"]


def test_cap_keeps_evenly_spaced_windows_with_both_ends():
    seq = "".join(np.random.default_rng(0).choice(list("ACGT"), 120))
    full = naive_windows(seq, 20, 1)  # 101 windows
    w = SlidingWindows([seq], 20, 1, max_windows_per_sequence=5)
    got = decode(w.codes(0, w.n_windows))
    assert len(got) == 5
    assert got == [full[i] for i in (0, 25, 50, 75, 100)]
    centre = SlidingWindows([seq], 20, 1, max_windows_per_sequence=1)
    assert decode(centre.codes(0, 1)) == [full[50]]


def test_cap_only_limits_sequences_with_more_windows():
    seqs = ["A" * 12, "C" * 40]
    counts = window_counts(np.array([12, 40]), 10, 1, max_windows_per_sequence=4)
    assert counts.tolist() == [3, 4]
    assert SlidingWindows(seqs, 10, 1, 4).counts.tolist() == [3, 4]


def test_one_hot_and_batches_agree_with_encoding_module():
    rng = np.random.default_rng(1)
    seqs = random_sequences(rng, 30, 5, 60)
    w = SlidingWindows(seqs, 16, 3)
    full = w.one_hot(0, w.n_windows)
    strings = decode(w.codes(0, w.n_windows))
    np.testing.assert_array_equal(full, one_hot_encode(strings))
    parts, seq_index = zip(*w.iter_batches(batch_size=37))
    assert all(len(p) <= 37 for p in parts)
    np.testing.assert_array_equal(np.concatenate(parts), full)
    np.testing.assert_array_equal(np.concatenate(seq_index), w.groups())


def test_one_hot_input_round_trips():
    seqs = ["ACGTNACGTA", "TTTTNNCCGG"]
    sc = as_sequence_codes(one_hot_encode(seqs))
    assert list(sc.to_strings()) == seqs
    assert as_sequence_codes(sc) is sc
    np.testing.assert_array_equal(codes_to_one_hot(sequence_codes(seqs).codes.reshape(2, 10)), one_hot_encode(seqs))


@pytest.mark.parametrize("bad", [np.zeros((3, 5)), np.zeros((2, 3, 10)), np.zeros((0, 4, 10))])
def test_numeric_input_must_be_one_hot(bad):
    with pytest.raises(SequenceInputError):
        as_sequence_codes(bad)


@pytest.mark.parametrize("kwargs", [{"window": 0}, {"stride": 0}, {"max_windows_per_sequence": 0},
                                    {"window": 2.5}])
def test_invalid_parameters(kwargs):
    with pytest.raises(ValueError):
        SlidingWindows(["ACGT"], **{"window": 3, **kwargs})


def test_streaming_memory_is_independent_of_window_count():
    # 8 sequences of 250 kb: ~1e6 windows of 300 bp; a batch of 512 windows is 2.5 MB of float32
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 4, 8 * 250_000).astype(np.uint8)
    from enhancer_sk.sequence.codes import SequenceCodes

    sc = SequenceCodes(codes, np.arange(8) * 250_000, np.full(8, 250_000))
    w = SlidingWindows(sc, 300, 2)
    assert w.n_windows > 990_000
    shapes = []
    tracemalloc.start()
    try:
        for batch, _ in w.iter_batches(512):
            shapes.append(batch.shape)
            if len(shapes) == 20:
                break
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert shapes == [(512, 4, 300)] * 20
    assert peak < 4 * 512 * 4 * 300 * 4  # a few batches, not 1e6 windows (~4.8 GB)
