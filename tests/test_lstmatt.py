"""Tests of enhancer_sk.lstmatt: the Enhancer-LSTMAtt network and its skorch estimator."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from estimator_checks import network_expected_failed_checks
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch.callbacks import EarlyStopping, LRScheduler
from tiny import tiny_lstmatt

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAtt, EnhancerLSTMAttClassifier, PaperBCELoss
from enhancer_sk.sequence.encoders import SequenceTokenizer, tokenize
from enhancer_sk.threads import limit_threads


@pytest.fixture(scope="module")
def data():
    X, y = make_synthetic_enhancers(n_samples=160, length=40, random_state=0)
    return X, y


# ----------------------------------------------------------------------------- the network


def test_default_network_has_the_papers_size():
    module = EnhancerLSTMAtt()
    n = sum(p.numel() for name, p in module.named_parameters() if "bias_hh" not in name)
    n += sum(b.numel() for name, b in module.named_buffers() if "running" in name)
    assert n == 250_921  # the number of values in the authors' Keras weight files


def test_network_shapes_and_attention():
    torch.manual_seed(0)
    module = EnhancerLSTMAtt(sequence_length=30, embedding_dim=5, lstm_units=3, res_filters=4).eval()
    tokens = torch.randint(0, 5, (7, 30))
    assert module(tokens).shape == (7,)
    a = module.attention(tokens)
    assert a.shape == (7, 30)
    assert torch.all(a > 0)
    np.testing.assert_allclose(a.sum(1).numpy(), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match=r"shape \(n, 30\)"):
        module(torch.randint(0, 5, (2, 31)))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lstm_units": 0}, "module__lstm_units"),
        ({"dropout": 1.0}, "module__dropout"),
        ({"n_identity_blocks": -1}, "module__n_identity_blocks"),
        ({"sequence_length": 8}, "too short"),
    ],
)
def test_network_rejects_bad_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EnhancerLSTMAtt(**kwargs)


def test_paper_loss_applies_the_sigmoid_twice():
    logits = torch.tensor([-3.0, 0.5, 4.0])
    target = torch.tensor([0.0, 1.0, 1.0])
    expected = torch.nn.functional.binary_cross_entropy_with_logits(torch.sigmoid(logits), target)
    assert torch.equal(PaperBCELoss()(logits, target), expected)


def test_code_rows_are_centre_cropped_and_padded():
    from enhancer_sk.sequence.codes import SequenceCodes
    from enhancer_sk.sequence.fixed_length import fixed_length_codes

    def fit_token_length(tokens, length):
        return fixed_length_codes(SequenceCodes.from_matrix(tokens), length)

    tokens = np.arange(10).reshape(2, 5) % 4
    np.testing.assert_array_equal(fit_token_length(tokens, 3), tokens[:, 1:4])
    padded = fit_token_length(tokens, 8)
    np.testing.assert_array_equal(padded[:, :1], 4)
    np.testing.assert_array_equal(padded[:, 1:6], tokens)
    np.testing.assert_array_equal(padded[:, 6:], 4)


# ----------------------------------------------------------------------------- inputs


def test_encode_accepts_strings_fasta_and_tokens(tmp_path, data):
    X, _ = data
    clf = tiny_lstmatt()
    expected = tokenize(X[:5], 40)
    np.testing.assert_array_equal(clf.encode(X[:5]), expected)
    write_fasta(tmp_path / "x.fa", [f"s{i}" for i in range(5)], X[:5])
    np.testing.assert_array_equal(clf.encode(str(tmp_path / "x.fa")), expected)
    np.testing.assert_array_equal(clf.encode(expected), expected)
    np.testing.assert_array_equal(clf.encode(X[:5].reshape(-1, 1)), expected)


def test_other_lengths_follow_the_centre_policy():
    clf = tiny_lstmatt()
    long_seq = "A" * 5 + "C" * 40 + "G" * 5
    short_seq = "T" * 30
    np.testing.assert_array_equal(clf.encode([long_seq]), tokenize(["C" * 40]))
    np.testing.assert_array_equal(clf.encode([short_seq]), tokenize(["N" * 5 + short_seq + "N" * 5]))
    np.testing.assert_array_equal(clf.encode(tokenize([long_seq])), tokenize(["C" * 40]))


@pytest.mark.parametrize(
    "X, match",
    [
        (np.full((2, 40), 7), "tokens must lie in 0..4"),
        (np.full((2, 40), 0.5), "non-integer"),
        (np.zeros((2, 4, 40)), "2-D token array"),
    ],
)
def test_bad_token_arrays(X, match):
    with pytest.raises(ValueError, match=match):
        tiny_lstmatt().encode(X)


# ----------------------------------------------------------------------------- estimator


def test_string_labels_and_outputs(data):
    X, y = data
    labels = np.where(y == 1, "enhancer", "background")
    clf = tiny_lstmatt().fit(X, labels)
    assert list(clf.classes_) == ["background", "enhancer"]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-6)
    pred = clf.predict(X)
    assert set(pred) <= {"background", "enhancer"}
    np.testing.assert_array_equal(pred, clf.classes_[(proba[:, 1] > 0.5).astype(int)])
    logits = clf.decision_function(X)
    np.testing.assert_allclose(1 / (1 + np.exp(-logits)), proba[:, 1], atol=1e-6)
    att = clf.attention_weights(X[:9])
    assert att.shape == (9, 40)
    np.testing.assert_allclose(att.sum(1), 1.0, atol=1e-5)
    # the validation accuracy is computed on the encoded targets, whatever the labels
    assert 0.0 < clf.history[-1, "valid_acc"] <= 1.0


def test_partial_fit_continues_and_refuses_unknown_labels(data):
    X, y = data
    labels = np.where(y == 1, "enhancer", "background")
    clf = tiny_lstmatt(max_epochs=1).fit(X, labels)
    before = clf.module_.output.weight.detach().clone()
    clf.partial_fit(X, labels)
    assert len(clf.history) == 2 and not torch.equal(before, clf.module_.output.weight)
    with pytest.raises(ValueError, match="not one of the fitted classes"):
        clf.partial_fit(X[:4], ["enhancer", "x", "background", "enhancer"])
    # a partial_fit from scratch learns the classes of its labels
    fresh = tiny_lstmatt(max_epochs=1).partial_fit(X, labels)
    assert list(fresh.classes_) == ["background", "enhancer"]


@pytest.fixture(scope="module")
def motifs():
    X, y = make_synthetic_enhancers(
        n_samples=400,
        length=40,
        motifs_per_sequence=4,
        background_motif_rate=0.0,
        enhancer_gc=0.55,
        random_state=1,
    )
    return X[:300], y[:300], X[300:], y[300:]


#: settings with which the tiny network learns the synthetic motifs (held-out AUC 0.75-0.83
#: over seeds 0-2 and both label polarities when written)
LEARN = {
    "max_epochs": 10,
    "lr": 3e-3,
    "train_split": None,
    "module__embedding_dim": 8,
    "module__conv_filters": 8,
    "module__res_filters": 8,
    "module__dense_units": 8,
    "module__lstm_units": 8,
}


@pytest.mark.parametrize("positive, negative", [("enh", "bg"), ("a", "b")])
def test_learns_planted_motifs_with_any_label_names(motifs, positive, negative):
    X, y, X_test, y_test = motifs
    clf = tiny_lstmatt(**LEARN).fit(X, np.where(y == 1, positive, negative))
    column = list(clf.classes_).index(positive)
    assert roc_auc_score(y_test, clf.predict_proba(X_test)[:, column]) > 0.7


def test_random_state_is_bitwise_reproducible(data):
    X, y = data
    p1 = tiny_lstmatt(random_state=3).fit(X, y).predict_proba(X)
    p2 = tiny_lstmatt(random_state=3).fit(X, y).predict_proba(X)
    p3 = tiny_lstmatt(random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    assert not np.array_equal(p1, p3)


def test_training_batches_are_shuffled_by_default():
    # skorch's own default is no shuffling: class-sorted files would give one-class batches
    assert EnhancerLSTMAttClassifier().get_params()["iterator_train__shuffle"] is True
    assert EnhancerLSTMAttClassifier(iterator_train__shuffle=False).get_params()["iterator_train__shuffle"] is False
    assert clone(EnhancerLSTMAttClassifier()).get_params()["iterator_train__shuffle"] is True


def test_clone_and_nested_params():
    clf = tiny_lstmatt(module__lstm_units=5, loss="paper")
    params = clf.get_params()
    assert params["module__lstm_units"] == 5 and params["loss"] == "paper"
    copy = clone(clf)
    assert copy.get_params()["module__lstm_units"] == 5
    copy.set_params(module__lstm_units=3)
    assert clf.get_params()["module__lstm_units"] == 5


def test_grid_search_over_module_params(data):
    X, y = data
    grid = GridSearchCV(tiny_lstmatt(max_epochs=1), {"module__lstm_units": [2, 3]}, cv=2, scoring="roc_auc")
    grid.fit(X, y)
    assert grid.best_params_["module__lstm_units"] in (2, 3)
    assert grid.best_estimator_.module_.lstm.hidden_size == grid.best_params_["module__lstm_units"]


def test_pipeline_and_cross_val_score(data):
    X, y = data
    pipe = Pipeline([("tokens", SequenceTokenizer(length=40)), ("net", tiny_lstmatt(max_epochs=1))])
    scores = cross_val_score(pipe, X, y, cv=StratifiedKFold(2), scoring="roc_auc")
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    direct = cross_val_score(tiny_lstmatt(max_epochs=1), X, y, cv=StratifiedKFold(2), scoring="roc_auc")
    np.testing.assert_array_equal(scores, direct)  # the tokenizer step encodes as the net would


def test_loss_option(data):
    X, y = data
    bce = tiny_lstmatt().fit(X, y)
    paper = tiny_lstmatt(loss="paper").fit(X, y)
    assert isinstance(paper.criterion_, PaperBCELoss)
    assert not isinstance(bce.criterion_, PaperBCELoss)
    assert not np.array_equal(bce.predict_proba(X), paper.predict_proba(X))
    with pytest.raises(ValueError, match="did you mean 'paper'"):
        tiny_lstmatt(loss="papr").fit(X, y)


def test_early_stopping_and_lr_schedule(data):
    X, y = data
    clf = tiny_lstmatt(
        max_epochs=30,
        lr=0.05,
        callbacks=[
            ("stop", EarlyStopping(patience=2, load_best=True)),
            ("lr", LRScheduler("StepLR", step_size=1, gamma=0.5, event_name="event_lr")),
        ],
    ).fit(X, y)
    epochs = len(clf.history)
    assert epochs < 30
    lrs = [row["event_lr"] for row in clf.history if "event_lr" in row]
    assert len(lrs) >= epochs - 1 >= 2
    np.testing.assert_allclose(lrs, 0.05 * 0.5 ** np.arange(len(lrs)))
    assert clf.optimizer_.param_groups[0]["lr"] < 0.05


def test_threads_apply_only_during_fit(data):
    X, y = data
    before = torch.get_num_threads()
    seen = []

    class Spy(EarlyStopping):
        def on_epoch_end(self, net, **kwargs):
            seen.append(torch.get_num_threads())

    tiny_lstmatt(threads=1, callbacks=[Spy()]).fit(X, y)
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == before


def test_unfitted_and_multiclass_errors(data):
    X, y = data
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        tiny_lstmatt().attention_weights(X[:2])
    with pytest.raises(ValueError, match="TwoLayerEnhancerClassifier"):
        tiny_lstmatt().fit(X, y % 3 + np.arange(len(y)) % 3)


# ----------------------------------------------------------------------------- sklearn checks

@parametrize_with_checks([tiny_lstmatt(max_epochs=1)], expected_failed_checks=network_expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_parallel_branches_give_the_same_results(data):
    X, y = data
    serial = tiny_lstmatt(threads=1).fit(X, y)
    parallel = tiny_lstmatt(threads=2).fit(X, y)  # "auto": branch tasks on two threads, one intra-op thread each
    assert parallel.module_.parallel_branches and not serial.module_.parallel_branches
    # the same row-block tasks and gradient sums in the same order: a bitwise-equal fit
    p_parallel, a_parallel = parallel.predict_proba(X), parallel.attention_weights(X)
    np.testing.assert_array_equal(serial.predict_proba(X), p_parallel)
    np.testing.assert_array_equal(serial.attention_weights(X), a_parallel)
    parallel.set_params(threads=1)
    np.testing.assert_array_equal(p_parallel, parallel.predict_proba(X))
    np.testing.assert_array_equal(a_parallel, parallel.attention_weights(X))
    forced = tiny_lstmatt(threads=1, parallel_branches=True).fit(X, y)
    np.testing.assert_array_equal(p_parallel, forced.predict_proba(X))
    with pytest.raises(ValueError, match="parallel_branches"):
        tiny_lstmatt(parallel_branches="yes").fit(X, y)


@pytest.mark.parametrize(("lstm_rows", "resnet_rows"), [(4, 6), (5, 13), (32, 64)])
def test_parallel_and_serial_paths_are_bitwise_equal(lstm_rows, resnet_rows):
    """Same row blocks: the two-thread forward and backward equal the one-thread ones, bitwise."""
    torch.manual_seed(0)
    net = EnhancerLSTMAtt(sequence_length=40, lstm_units=8, res_filters=16, conv_filters=8, dropout=0.0)
    net.lstm_chunk_rows, net.resnet_chunk_rows = lstm_rows, resnet_rows
    tokens = torch.randint(0, 5, (13, 40))
    results = []
    for parallel in (False, True):
        net.train()
        net.zero_grad(set_to_none=True)
        net.parallel_branches = parallel
        with limit_threads(1):
            out = net(tokens)
            out.square().sum().backward()
            net.eval()  # the running statistics moved in both runs: compare eval outputs later
            with torch.inference_mode():
                evaluated, attention = net(tokens), net.attention(tokens)
        results.append((out.detach(), [p.grad.clone() for p in net.parameters()], evaluated, attention))
    (out_s, grads_s, eval_s, att_s), (out_p, grads_p, eval_p, att_p) = results
    assert torch.equal(out_s, out_p)
    for g_s, g_p in zip(grads_s, grads_p):
        assert torch.equal(g_s, g_p)
    assert torch.equal(att_s, att_p)
    # evaluation mode: the same network, serial then parallel
    with limit_threads(1), torch.inference_mode():
        net.parallel_branches = False
        ev_s = net(tokens)
        net.parallel_branches = True
        assert torch.equal(ev_s, net(tokens))
    # the blocks change only the rounding against one whole-batch LSTM / ResNet call
    net.zero_grad(set_to_none=True)
    net.train()
    emb_lnc, emb_nlc = net._embed(tokens)
    h, res = net._recurrent(emb_lnc), net._resnet(emb_nlc)
    features = torch.cat([(net._attention_scores(h).unsqueeze(2) * h).sum(0), res], dim=1)
    plain = net.output(torch.relu(net.dense(features))).squeeze(1)
    plain.square().sum().backward()
    torch.testing.assert_close(plain.detach(), out_s, rtol=1e-5, atol=1e-6)
    for p, g in zip(net.parameters(), grads_s):
        # atol: the convolution biases before a training-mode BatchNorm have a zero gradient
        # in exact arithmetic, so theirs is pure rounding noise (~1e-4 here)
        torch.testing.assert_close(p.grad, g, rtol=1e-3, atol=1e-3)


def test_branch_task_errors_propagate():
    """An error in a task on either thread reaches the caller (no hang, no lost exception)."""
    from enhancer_sk.models.nn._branches import run_tasks as _run_tasks

    def boom():
        raise RuntimeError("task failed")

    for parallel in (False, True):
        with pytest.raises(RuntimeError, match="task failed"):
            _run_tasks([lambda: 1, boom, lambda: 3, boom], parallel)
    assert _run_tasks([lambda i=i: i * i for i in range(7)], True) == [i * i for i in range(7)]


def test_reverse_complement_tokens():
    from enhancer_sk.sequence.alphabet import reverse_complement
    from enhancer_sk.sequence.alphabet import reverse_complement_codes as reverse_complement_tokens

    seqs = ["ACGTNAAC", "GGGTTACN"]
    out = reverse_complement_tokens(torch.as_tensor(tokenize(seqs))).numpy()
    np.testing.assert_array_equal(out, tokenize(reverse_complement(seqs)))


def test_reverse_complement_augmentation_and_averaging(data):
    from enhancer_sk.sequence.alphabet import reverse_complement

    X, y = data
    plain = tiny_lstmatt().fit(X, y)
    augmented = tiny_lstmatt(augment_strands=True).fit(X, y)
    again = tiny_lstmatt(augment_strands=True).fit(X, y)
    np.testing.assert_array_equal(augmented.predict_proba(X), again.predict_proba(X))  # seeded
    assert not np.array_equal(plain.predict_proba(X), augmented.predict_proba(X))
    # averaging over both strands makes the prediction strand-symmetric
    augmented.set_params(average_strands=True)
    np.testing.assert_array_equal(augmented.predict_proba(X), augmented.predict_proba(reverse_complement(X)))
    np.testing.assert_allclose(
        augmented.decision_function(X),
        np.log(augmented.predict_proba(X)[:, 1] / augmented.predict_proba(X)[:, 0]),
        atol=1e-4,
    )
