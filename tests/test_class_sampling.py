"""Per-epoch undersampling of dominant classes (``max_class_ratio``) and the loss that undoes it."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats
from sklearn.utils._param_validation import InvalidParameterError

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat._training import MIN_SAMPLING_RATE, class_sampling_rates


def test_rates_cut_only_classes_above_the_ratio_times_the_median():
    y = np.repeat([0, 1, 2, 3], [900, 60, 40, 10])  # median count 50
    assert class_sampling_rates(y, 4, 3.0).tolist() == [150 / 900, 1.0, 1.0, 1.0]
    assert class_sampling_rates(y, 4, 20.0).tolist() == [1.0, 1.0, 1.0, 1.0]
    assert class_sampling_rates(y, 4, None).tolist() == [1.0, 1.0, 1.0, 1.0]


def test_rates_never_fall_below_the_floor_and_ignore_absent_classes():
    y = np.repeat([0, 2, 3], [100_000, 10, 10])  # class 1 absent: the median is of 3 classes
    rates = class_sampling_rates(y, 4, 3.0)
    assert rates.tolist() == [MIN_SAMPLING_RATE, 1.0, 1.0, 1.0]


def test_balanced_or_two_class_data_are_never_undersampled():
    assert class_sampling_rates(np.repeat([0, 1, 2], 50), 3, 1.0).tolist() == [1.0] * 3
    # With two classes the median is the mean, which the larger class never triples.
    assert class_sampling_rates(np.repeat([0, 1], [999, 1]), 2, 3.0).tolist() == [1.0, 1.0]


def test_each_epoch_draws_a_fresh_seeded_subset():
    from ecgbeat._backend import import_tensorflow
    from ecgbeat._training import epoch_indices

    tf = import_tensorflow()
    y = np.repeat([0, 1], [2000, 100])
    rates = np.array([0.25, 1.0])

    def epochs(seed):
        dataset = epoch_indices(tf, y, rates, seed)
        assert int(dataset.cardinality()) == 600  # known to Keras: a fixed number of steps
        return [[int(row) for row in dataset] for _ in range(3)]

    first = epochs(seed=7)
    for rows in first:
        assert len(set(rows)) == 600  # no row twice
        assert np.bincount(y[rows]).tolist() == [500, 100]  # a quarter of N, all of the rest
        assert rows != sorted(rows)  # shuffled, not class after class
    assert first[0] != first[1] != first[2]  # another draw each epoch
    assert set(first[0]) != set(first[1])
    assert epochs(seed=7) == first  # the same draws for the same seed
    assert epochs(seed=8) != first


def _noise_beats(counts, seed=0, n_samples=32):
    """Beats whose class cannot be told from the signal: the best posterior is the prior."""
    rng = np.random.default_rng(seed)
    y = np.repeat(["N", "S", "V"], counts)
    X = rng.random((len(y), n_samples)).astype(np.float32)
    return X, y[rng.permutation(len(y))]


@pytest.mark.parametrize("max_class_ratio", [3.0, None])
def test_probabilities_estimate_the_class_mix_as_given(max_class_ratio):
    # N is 600 of 680 beats (88 %). Undersampled to 3 x 40 per epoch, the beats trained on are
    # 60 % N; a plain loss would learn that mix, while the shifted loss learns the true one.
    X, y = _noise_beats([600, 40, 40])
    params = {**FAST_PARAMS, "epochs": 15, "batch_size": 32}
    clf = HeartbeatCNNClassifier(**params, max_class_ratio=max_class_ratio).fit(X, y)
    # The training part, after the stratified 10 % validation split, holds 540, 36 and 36 beats:
    # N is cut to 3 x 36 = 108 beats per epoch.
    assert clf.classes_.tolist() == ["N", "S", "V"]
    expected_rates = [108 / 540, 1.0, 1.0] if max_class_ratio else [1.0, 1.0, 1.0]
    assert clf.sampling_rates_.tolist() == pytest.approx(expected_rates)
    X_new, _ = _noise_beats([600, 40, 40], seed=1)
    mean_proba = clf.predict_proba(X_new).mean(axis=0)
    assert mean_proba[0] == pytest.approx(600 / 680, abs=0.05)


def _step_counter():
    """A Keras callback whose ``steps`` lists the optimiser steps of each epoch."""
    from keras.callbacks import Callback

    class CountSteps(Callback):
        def on_train_begin(self, logs=None):
            self.steps = []

        def on_epoch_begin(self, epoch, logs=None):
            self.steps.append(0)

        def on_train_batch_end(self, batch, logs=None):
            self.steps[-1] += 1

    return CountSteps()


def test_an_undersampled_epoch_takes_fewer_steps():
    X, y = _noise_beats([600, 40, 40])
    counts = {}
    for ratio in (3.0, None):
        counter = _step_counter()
        params = {**FAST_PARAMS, "epochs": 3, "batch_size": 8, "early_stopping_patience": None}
        HeartbeatCNNClassifier(**params, max_class_ratio=ratio, callbacks=[counter]).fit(X, y)
        counts[ratio] = counter.steps
    # 612 training beats make 77 steps of 8; 108 + 36 + 36 = 180 beats make 23.
    assert counts[None] == [77, 77, 77]
    assert counts[3.0] == [23, 23, 23]


def test_small_data_epochs_repeat_their_draw_up_to_min_steps_per_epoch():
    X, y = _noise_beats([600, 40, 40])
    params = {**FAST_PARAMS, "epochs": 2, "batch_size": 8, "early_stopping_patience": None}
    assert HeartbeatCNNClassifier().min_steps_per_epoch == 32
    steps = {}
    for minimum in (1, 32, 50, 23, 10):
        counter = _step_counter()
        HeartbeatCNNClassifier(
            **{**params, "min_steps_per_epoch": minimum}, callbacks=[counter]
        ).fit(X, y)
        steps[minimum] = counter.steps
    # One draw is 23 steps (as above): 32 and 50 take two and three draws; 23 or fewer, one.
    assert steps == {1: [23, 23], 32: [46, 46], 50: [69, 69], 23: [23, 23], 10: [23, 23]}
    # Every beat drawn: 612 beats make 77 steps, more than 32.
    counter = _step_counter()
    HeartbeatCNNClassifier(**params, max_class_ratio=None, callbacks=[counter]).fit(X, y)
    assert counter.steps == [77, 77]


def test_repeated_draws_are_fresh_draws():
    # With two draws an epoch, the epoch sees more distinct N beats than one draw holds.
    import tensorflow as tf

    from ecgbeat._training import class_sampling_rates, epoch_indices

    y = np.array([0] * 600 + [1] * 40 + [2] * 40)
    rates = class_sampling_rates(y, 3, 3.0)
    one_draw = list(epoch_indices(tf, y, rates, seed=0).as_numpy_iterator())
    two_draws = list(epoch_indices(tf, y, rates, seed=0).repeat(2).as_numpy_iterator())
    assert len(two_draws) == 2 * len(one_draw)
    n_first, n_second = (np.asarray(part) for part in np.split(np.array(two_draws), 2))
    assert len(set(n_first[n_first < 600]) | set(n_second[n_second < 600])) > len(
        set(n_first[n_first < 600])
    )


def test_undersampled_fits_are_reproducible():
    X, y = _noise_beats([600, 40, 40])
    params = {**FAST_PARAMS, "epochs": 3, "batch_size": 32, "max_class_ratio": 3.0}
    a = HeartbeatCNNClassifier(**params).fit(X, y)
    b = HeartbeatCNNClassifier(**params).fit(X, y)
    assert a.sampling_rates_.min() < 1
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.history_ == b.history_


def test_data_without_a_dominant_class_train_exactly_as_without_sampling():
    X, y = make_synthetic_beats()
    a = HeartbeatCNNClassifier(**FAST_PARAMS, max_class_ratio=1.0).fit(X, y)
    b = HeartbeatCNNClassifier(**FAST_PARAMS, max_class_ratio=None).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.sampling_rates_.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("bad", [0.5, 0, -1.0, "many"])
def test_invalid_max_class_ratio_is_refused(bad):
    X, y = make_synthetic_beats(n_per_class=5)
    with pytest.raises(InvalidParameterError, match="max_class_ratio"):
        HeartbeatCNNClassifier(max_class_ratio=bad).fit(X, y)


def test_sampling_rates_survive_save_and_load(tmp_path):
    X, y = _noise_beats([600, 40, 40])
    params = {**FAST_PARAMS, "epochs": 1, "max_class_ratio": 3.0}
    clf = HeartbeatCNNClassifier(**params).fit(X, y)
    assert clf.sampling_rates_.min() < 1
    clf.save(tmp_path / "model.keras")
    restored = HeartbeatCNNClassifier.load(tmp_path / "model.keras")
    np.testing.assert_array_equal(restored.sampling_rates_, clf.sampling_rates_)
    assert restored.max_class_ratio == clf.max_class_ratio == 3.0


def test_undersampling_is_the_default_and_none_draws_every_beat():
    X, y = _noise_beats([600, 40, 40])
    params = {**FAST_PARAMS, "epochs": 1}
    clf = HeartbeatCNNClassifier(**params).fit(X, y)
    # 90 % of the beats train: 540 N against a median of 36, capped at 3 * 36.
    assert clf.max_class_ratio == 3.0
    np.testing.assert_allclose(clf.sampling_rates_, [108 / 540, 1.0, 1.0])
    every = HeartbeatCNNClassifier(**params, max_class_ratio=None).fit(X, y)
    assert every.sampling_rates_.tolist() == [1.0, 1.0, 1.0]


def test_models_saved_before_sampling_existed_say_they_used_every_beat():
    clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
    assert clf.sampling_rates_.tolist() == [1.0] * 5


def test_the_loss_moves_a_network_that_is_sure_and_wrong():
    # From clipped probabilities the loss had no gradient there: a new head on a pretrained
    # network that started so never moved (whether it did start so depended on the CPU's
    # rounding of the pretrained weights).
    import tensorflow as tf

    from ecgbeat._backend import import_keras
    from ecgbeat._training import _prior_shifted_crossentropy

    keras = import_keras()
    loss = _prior_shifted_crossentropy(keras, 2)
    logits = tf.Variable([[40.0, -40.0]])

    @tf.function
    def value_and_gradient():
        with tf.GradientTape() as tape:
            value = loss(tf.constant([1]), keras.activations.softmax(logits))
        return value, tape.gradient(value, logits)

    value, gradient = value_and_gradient()
    assert float(value) == pytest.approx(80.0, rel=1e-5)
    np.testing.assert_allclose(gradient.numpy(), [[1.0, -1.0]], atol=1e-6)
