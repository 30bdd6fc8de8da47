"""Training-time augmentation (ecgbeat.augment) and the estimator's ``augmentation``."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.augment import DEFAULT_AUGMENTATION, augment_batch, resolve_augmentation


def _spikes(n: int = 400, length: int = 40, at: int = 10, n_rhythm: int = 0):
    beats = np.zeros((n, length + n_rhythm, 1), np.float32)
    beats[:, :30, 0] = 0.2  # a beat of 30 samples, then zero padding
    beats[:, at, 0] = 1.0
    beats[:, length:, 0] = 0.7  # rhythm features
    return beats


def test_shift_moves_each_beat_by_at_most_the_shift_both_ways():
    out = np.asarray(augment_batch(_spikes(), {**_none(), "shift": 3}, n_beat_samples=40, seed=1))
    moved = out[:, :, 0].argmax(axis=1) - 10
    assert set(moved.tolist()) == {-3, -2, -1, 0, 1, 2, 3}
    # The padding moves with the beat and stays zero.
    assert np.all(out[:, 33:, 0] == 0)


def test_scale_wander_and_noise_change_only_the_beat():
    strengths = {"shift": 0, "scale": 0.2, "wander": 0.05, "noise": 0.01}
    beats = _spikes(n_rhythm=5)
    out = np.asarray(augment_batch(beats, strengths, n_beat_samples=40, seed=2))
    np.testing.assert_array_equal(out[:, 40:], beats[:, 40:])  # rhythm features as they were
    np.testing.assert_array_equal(out[:, 30:40], 0)  # padding as it was
    assert not np.allclose(out[:, :30], beats[:, :30])
    # Scaling alone multiplies the spike's height above the median by a factor in [0.8, 1.2].
    scaled = np.asarray(augment_batch(beats, {**_none(), "scale": 0.2}, n_beat_samples=40, seed=3))
    factor = (scaled[:, 10, 0] - 0.2) / 0.8
    assert 0.8 <= factor.min() < 0.85 and 1.15 < factor.max() <= 1.2


def test_a_negative_tail_is_part_of_the_beat():
    # Only the zeros after the beat are padding: the samples after its last positive one (a beat
    # scaled to [-1, 1]) were set to 0 as if they were padding.
    beats = np.zeros((3, 12, 1), np.float32)
    beats[:, :8, 0] = [0.2, 0.5, 1.0, 0.5, 0.0, -0.3, -0.5, -0.2]
    out = np.asarray(augment_batch(beats, {**_none(), "scale": 0.2}, n_beat_samples=12, seed=1))
    assert np.all(out[:, 5:8, 0] < 0)
    np.testing.assert_array_equal(out[:, 8:], 0)


@pytest.mark.parametrize("n_beat_samples", [0, -1, 41, 20.0, True, None])
def test_a_bad_number_of_beat_samples_is_named(n_beat_samples):
    # TensorFlow's errors (slice index out of bounds, indices not in [0, 40), a negative range,
    # an AssertionError for True) named neither the parameter nor the cause.
    with pytest.raises(ValueError, match="n_beat_samples must be an integer in \\[1, 40\\]"):
        augment_batch(_spikes(4), DEFAULT_AUGMENTATION, n_beat_samples=n_beat_samples, seed=0)


@pytest.mark.parametrize("shift", [40, 41, 2**31, 10**12])
def test_a_shift_past_the_beat_is_named(shift):
    # A shift of the beat's length or more moved it out of its row (every sample the edge's),
    # and one past int32 failed inside TensorFlow with "Need minval < maxval".
    with pytest.raises(ValueError, match=r"augmentation\['shift'\] of \d+ samples moves the beat"):
        augment_batch(_spikes(4), {"shift": shift}, n_beat_samples=40, seed=0)
    out = np.asarray(augment_batch(_spikes(4), {"shift": 39}, n_beat_samples=40, seed=0))
    assert out.shape == (4, 40, 1) and np.all(np.isfinite(out))


@pytest.mark.parametrize("shape", [(4, 40), (4, 40, 2), (40,)])
def test_beats_of_another_shape_are_named(shape):
    # TensorFlow's errors ("Index out of range using input dim 2", "ConcatOp: Dimension 2 in
    # both shapes must be equal") named neither beats nor the shape it takes.
    with pytest.raises(ValueError, match=r"beats must have shape \(batch, n_columns, 1\)"):
        augment_batch(np.zeros(shape, np.float32), DEFAULT_AUGMENTATION, n_beat_samples=20)


@pytest.mark.parametrize("dtype", [complex, bool, str])
def test_beats_that_are_not_real_numbers_are_named(dtype):
    # The cast to float32 read bools as numbers and dropped complex values' imaginary part with
    # a mere warning; text failed as "could not convert string to float".
    with pytest.raises(ValueError, match="beats must be real numbers, got dtype"):
        augment_batch(_spikes(4).astype(dtype), DEFAULT_AUGMENTATION, n_beat_samples=40)
    out = augment_batch(_spikes(4).astype(np.float64), DEFAULT_AUGMENTATION, n_beat_samples=40)
    assert out.dtype == "float32"


@pytest.mark.parametrize("seed", [1.5, "a", True, [1, 2, 3], np.array([1.0, 2.0])])
def test_a_bad_seed_is_named(seed):
    # TensorFlow's errors ("Attempt to convert a value (None)...") did not name the seed, and
    # True was seed 1.
    with pytest.raises(ValueError, match="seed must be an integer, a pair of integers"):
        augment_batch(_spikes(4), DEFAULT_AUGMENTATION, n_beat_samples=40, seed=seed)


@pytest.mark.parametrize("seed", [2**63, -(2**63) - 1, 2**70, np.uint64(2**64 - 1)])
def test_a_seed_past_int64_is_named(seed):
    # TensorFlow's "Can't convert Python sequence with out-of-range integer to Tensor" named
    # neither the seed nor its range.
    with pytest.raises(ValueError, match=r"seed must be an integer in \[-2\*\*63, 2\*\*63\)"):
        augment_batch(_spikes(4), DEFAULT_AUGMENTATION, n_beat_samples=40, seed=seed)
    edge = augment_batch(_spikes(4), DEFAULT_AUGMENTATION, n_beat_samples=40, seed=2**63 - 1)
    assert np.asarray(edge).shape == (4, 40, 1)


def test_a_seed_pair_draws_the_same_in_any_integer_dtype():
    # A list is int32 to TensorFlow, a NumPy array int64: the same pair drew otherwise.
    draws = [
        np.asarray(augment_batch(_spikes(4), DEFAULT_AUGMENTATION, n_beat_samples=40, seed=pair))
        for pair in ([5, 1], np.array([5, 1]), np.array([5, 1], np.int32), (5, 1))
    ]
    for other in draws[1:]:
        np.testing.assert_array_equal(other, draws[0])


def test_strengths_are_read_as_the_estimator_reads_them():
    # A dict naming some keys raised KeyError: 'shift'; "ecg" and None, TypeErrors; a negative
    # shift failed inside TensorFlow.
    beats = _spikes(4, n_rhythm=5)
    some = np.asarray(augment_batch(beats, {"noise": 0.02}, n_beat_samples=40, seed=1))
    every = np.asarray(augment_batch(beats, {**_none(), "noise": 0.02}, n_beat_samples=40, seed=1))
    np.testing.assert_array_equal(some, every)
    ecg = augment_batch(beats, "ecg", n_beat_samples=40, seed=1)
    default = augment_batch(beats, DEFAULT_AUGMENTATION, n_beat_samples=40, seed=1)
    np.testing.assert_array_equal(np.asarray(ecg), np.asarray(default))
    np.testing.assert_array_equal(np.asarray(augment_batch(beats, None, n_beat_samples=40)), beats)
    with pytest.raises(ValueError, match=r"augmentation\['shift'\] must be a number >= 0"):
        augment_batch(beats, {"shift": -1}, n_beat_samples=40, seed=1)


def test_same_seed_same_draws():
    beats = _spikes(20)
    a = augment_batch(beats, DEFAULT_AUGMENTATION, n_beat_samples=40, seed=5)
    b = augment_batch(beats, DEFAULT_AUGMENTATION, n_beat_samples=40, seed=5)
    c = augment_batch(beats, DEFAULT_AUGMENTATION, n_beat_samples=40, seed=6)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_a_numpy_integer_seed_is_the_same_seed():
    beats = _spikes(4)
    a = augment_batch(beats, DEFAULT_AUGMENTATION, n_beat_samples=40, seed=5)
    b = augment_batch(beats, DEFAULT_AUGMENTATION, n_beat_samples=40, seed=np.int64(5))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def _none():
    return {"shift": 0, "scale": 0.0, "wander": 0.0, "noise": 0.0}


@pytest.mark.parametrize(
    "value, message",
    [
        ("gaussian", "None, 'ecg' or a dict"),
        ([1, 2], "None, 'ecg' or a dict"),
        ({"jitter": 2}, "unknown keys"),
        ({"shift": 1.5}, "number of samples"),
        ({"noise": -0.1}, ">= 0"),
        ({"noise": float("nan")}, ">= 0"),
        ({"scale": True}, ">= 0"),
        ({"scale": 1.0}, "below 1"),
    ],
)
def test_bad_strengths_are_named(value, message):
    with pytest.raises(ValueError, match=message):
        resolve_augmentation(value)


def test_the_estimator_augments_its_training_beats_only():
    X, y = make_synthetic_beats()
    plain = HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y)
    first = HeartbeatCNNClassifier(**FAST_PARAMS, augmentation="ecg").fit(X, y)
    again = HeartbeatCNNClassifier(**FAST_PARAMS, augmentation="ecg").fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))
    assert not all(
        np.allclose(a, b)
        for a, b in zip(first.model_.get_weights(), plain.model_.get_weights(), strict=True)
    )
    assert first.get_params()["augmentation"] == "ecg"
    with pytest.raises(ValueError, match="unknown keys"):
        HeartbeatCNNClassifier(**FAST_PARAMS, augmentation={"jitter": 1}).fit(X, y)


def test_the_estimator_names_a_shift_past_the_beat_before_training(monkeypatch):
    # Refused inside the training dataset's map, the message came wrapped in TensorFlow's
    # "in user code:" and a traceback, after the network had been built.
    import ecgbeat._training

    def no_training(*args, **kwargs):
        raise AssertionError("training began")

    monkeypatch.setattr(ecgbeat._training, "train", no_training)
    X, y = make_synthetic_beats()
    clf = HeartbeatCNNClassifier(**FAST_PARAMS, augmentation={"shift": X.shape[1]})
    with pytest.raises(ValueError, match=rf"^augmentation\['shift'\] of {X.shape[1]} samples"):
        clf.fit(X, y)
