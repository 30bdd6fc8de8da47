"""Training-time augmentation of beats with what a new recording brings.

A beat from another patient, device or detector differs from the training beats in ways that do
not change its class: its R peak a few samples off, another amplitude, a drifting baseline, noise.
:func:`augment_batch` draws such changes afresh for every beat of every batch, on the beat's
samples only (rhythm features and the zero padding after the beat are left alone: the padding's
length carries the beat's R-R interval).

The strengths (:data:`DEFAULT_AUGMENTATION`, the estimator's ``augmentation="ecg"``):

``shift``
    the beat moves by up to this many samples either way (R-peak jitter; at 125 Hz, 3 samples are
    24 ms), fewer than the beat's ``n_beat_samples``; samples moved in from outside repeat the
    beat's edge;
``scale``
    the amplitude about the row's median (the median of the ``n_beat_samples`` columns, zero
    padding included: 0 for a beat shorter than half the row; of an even number of columns, the
    upper of the two middle values) changes by a factor in ``[1 - scale, 1 + scale]``;
``wander``
    a straight baseline drift, up to this much (in the beat's [0, 1] units) over the whole row,
    so less over a beat shorter than the row;
``noise``
    Gaussian noise of a standard deviation up to this much.

Examples
--------
>>> import numpy as np
>>> from ecgbeat.augment import augment_batch, resolve_augmentation
>>> beats = np.zeros((4, 20, 1), np.float32); beats[:, 5:15, 0] = 0.5
>>> out = augment_batch(beats, resolve_augmentation("ecg"), n_beat_samples=20, seed=0)
>>> # The padding stays zero (past sample 15 + 3: the padding moves with the beat).
>>> tuple(out.shape), bool(np.all(np.asarray(out)[:, 18:] == 0))
((4, 20, 1), True)
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np

from ecgbeat._backend import import_tensorflow
from ecgbeat._checks import is_integer, is_real_dtype

__all__ = ["DEFAULT_AUGMENTATION", "augment_batch", "resolve_augmentation"]

#: The strengths of ``augmentation="ecg"``.
DEFAULT_AUGMENTATION = {"shift": 3, "scale": 0.15, "wander": 0.05, "noise": 0.01}


def resolve_augmentation(augmentation) -> dict[str, float] | None:
    """The strengths of an ``augmentation`` parameter, checked; ``None`` for no augmentation.

    ``None`` is none, ``"ecg"`` is :data:`DEFAULT_AUGMENTATION`, a mapping names some of its keys
    (the others are 0).

    Examples
    --------
    >>> resolve_augmentation({"noise": 0.02})
    {'shift': 0, 'scale': 0.0, 'wander': 0.0, 'noise': 0.02}
    """
    if augmentation is None:
        return None
    if isinstance(augmentation, str):
        if augmentation != "ecg":
            raise ValueError(f"augmentation must be None, 'ecg' or a dict, got {augmentation!r}")
        return dict(DEFAULT_AUGMENTATION)
    if not isinstance(augmentation, Mapping):
        raise ValueError(
            f"augmentation must be None, 'ecg' or a dict, got {type(augmentation).__name__}"
        )
    unknown = sorted(set(augmentation) - set(DEFAULT_AUGMENTATION))
    if unknown:
        raise ValueError(
            f"augmentation has unknown keys {unknown}; the keys are {list(DEFAULT_AUGMENTATION)}"
        )
    resolved = {}
    for key in DEFAULT_AUGMENTATION:
        value = augmentation.get(key, 0)
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not np.isfinite(value)
            or value < 0
        ):
            raise ValueError(f"augmentation[{key!r}] must be a number >= 0, got {value!r}")
        if key == "shift" and value != int(value):
            raise ValueError(f"augmentation['shift'] is a number of samples, got {value!r}")
        resolved[key] = int(value) if key == "shift" else float(value)
    if resolved["scale"] >= 1:
        raise ValueError(f"augmentation['scale'] must be below 1, got {resolved['scale']}")
    return resolved


def check_shift(strengths: dict[str, float], n_beat_samples: int) -> None:
    """Refuse a resolved ``strengths["shift"]`` of ``n_beat_samples`` or more.

    Such a shift moved the beat out of its row (the edge sample throughout), and one past int32
    failed inside TensorFlow ("Need minval < maxval"). The estimator checks it before training:
    inside a dataset's ``map`` the error comes wrapped in TensorFlow's "in user code".

    Examples
    --------
    >>> check_shift(resolve_augmentation("ecg"), 187)
    >>> check_shift({"shift": 200}, 187)
    Traceback (most recent call last):
    ...
    ValueError: augmentation['shift'] of 200 samples moves the beat out of its 187 samples: it must be below 187
    """
    if strengths["shift"] >= n_beat_samples:
        raise ValueError(
            f"augmentation['shift'] of {strengths['shift']} samples moves the beat out of its "
            f"{n_beat_samples} samples: it must be below {n_beat_samples}"
        )


def augment_batch(beats, strengths: dict[str, float], *, n_beat_samples: int, seed=None):
    """A randomly changed copy of a batch of beats (a TensorFlow function of the batch).

    Parameters
    ----------
    beats : tensor of shape (batch, n_columns, 1), float32
        Rows of ``X``: the beat's samples, then any rhythm features.
    strengths : dict, "ecg" or None
        As :func:`resolve_augmentation` takes it (a dict may name some of the keys; None: the
        beats as they are).
    n_beat_samples : int
        How many leading columns are the beat; the rest are left as they are.
    seed : int, tensor of shape (2,) or None
        Seed of the draws (a stateless seed pair inside a dataset's ``map``). None is seed 0:
        the same draws at every call; pass a new seed for new draws.

    Returns
    -------
    tensor of shape (batch, n_columns, 1)

    Raises
    ------
    ValueError
        If ``beats`` is not real numbers of shape (batch, n_columns, 1), ``strengths`` is refused by
        :func:`resolve_augmentation` or shifts by ``n_beat_samples`` or more, ``n_beat_samples``
        is not an integer from 1 to the number of columns, or ``seed`` not an integer in
        [-2**63, 2**63), a pair of integers or None.
    """
    # Checked here too: a dict naming some keys ({"noise": 0.02}) raised KeyError: 'shift', and
    # a negative shift failed inside TensorFlow ("Need minval < maxval").
    strengths = resolve_augmentation(strengths) or {key: 0 for key in DEFAULT_AUGMENTATION}
    tf = import_tensorflow()
    if not tf.is_tensor(beats):
        kind = np.asarray(beats).dtype
        if not is_real_dtype(kind):
            # The cast to float32 read bools as numbers, and dropped complex values' imaginary
            # part with a mere warning.
            raise ValueError(f"beats must be real numbers, got dtype {kind}")
    beats = tf.convert_to_tensor(beats, tf.float32)
    rank, channels = beats.shape.rank, beats.shape[-1] if beats.shape.rank else None
    if (rank is not None and rank != 3) or channels not in (1, None):
        # TensorFlow's own errors ("Index out of range using input dim 2", "ConcatOp:
        # Dimension 2 in both shapes must be equal") named neither the parameter nor its shape.
        raise ValueError(
            f"beats must have shape (batch, n_columns, 1), got shape {tuple(beats.shape)}"
        )
    # TensorFlow's own errors (a slice or gather out of bounds, a negative range) name neither
    # the parameter nor the cause; a bool is no count.
    n_columns = beats.shape[1] if beats.shape.rank == 3 else None  # None: known when run
    if (
        not is_integer(n_beat_samples)
        or n_beat_samples < 1
        or (n_columns is not None and n_beat_samples > n_columns)
    ):
        raise ValueError(
            f"n_beat_samples must be an integer in [1, {n_columns or 'n_columns'}] (the beat's "
            f"leading columns), got {n_beat_samples!r}"
        )
    check_shift(strengths, n_beat_samples)
    # A NumPy integer (``rng.integers(...)``) is an int too, not a seed pair.
    if seed is None or is_integer(seed):
        if seed is not None and not -(2**63) <= int(seed) < 2**63:
            # TensorFlow's "Can't convert Python sequence with out-of-range integer" named neither.
            raise ValueError(f"seed must be an integer in [-2**63, 2**63), got {seed!r}")
        seed = tf.constant([0 if seed is None else int(seed), 0], tf.int64)
    else:
        # TensorFlow's own errors for a float, text or a bool ("Attempt to convert a value
        # (None)...") name neither the parameter nor what it takes.
        try:
            pair = tf.convert_to_tensor(seed)
        except (TypeError, ValueError):
            pair = None
        if pair is None or not pair.dtype.is_integer or pair.shape.as_list() not in ([2], [None]):
            raise ValueError(
                f"seed must be an integer, a pair of integers (shape (2,)) or None, got {seed!r}"
            )
        # In int64, as an int seed is: the draws of a pair depend on its dtype, and [5, 1] (int32
        # as a list) drew otherwise than np.array([5, 1]) (int64).
        seed = tf.cast(pair, tf.int64)
    seeds = tf.random.experimental.stateless_split(seed, 5)
    batch = tf.shape(beats)[0]
    beat, rest = beats[:, :n_beat_samples, 0], beats[:, n_beat_samples:, :]
    # The beat runs up to its last non-zero sample; the zero padding after it stays zero. Not
    # its last positive one: the negative tail of a beat not scaled to [0, 1] is no padding.
    nonzero = tf.cast(beat != 0, tf.int32)
    inside = tf.reverse(tf.cumsum(tf.reverse(nonzero, [1]), axis=1), [1]) > 0
    positions = tf.range(n_beat_samples)[None, :]

    shift_max = int(strengths["shift"])
    if shift_max:
        shift = tf.random.stateless_uniform(
            [batch, 1], seeds[0], -shift_max, shift_max + 1, dtype=tf.int32
        )
        source = tf.clip_by_value(positions - shift, 0, n_beat_samples - 1)
        beat = tf.gather(beat, source, batch_dims=1)
        inside = tf.gather(inside, source, batch_dims=1)
    if strengths["scale"]:
        factor = 1.0 + tf.random.stateless_uniform(
            [batch, 1], seeds[1], -strengths["scale"], strengths["scale"]
        )
        # Over the row, padding included, as the shipped models were trained (about the beat's
        # own median would change their recipe).
        median = tf.sort(beat, axis=1)[:, n_beat_samples // 2][:, None]
        beat = median + (beat - median) * factor
    if strengths["wander"]:
        slope = tf.random.stateless_uniform(
            [batch, 1], seeds[2], -strengths["wander"], strengths["wander"]
        )
        beat += slope * tf.cast(positions, tf.float32) / max(n_beat_samples - 1, 1)
    if strengths["noise"]:
        sigma = tf.random.stateless_uniform([batch, 1], seeds[3], 0.0, strengths["noise"])
        beat += sigma * tf.random.stateless_normal(tf.shape(beat), seeds[4])
    beat = tf.where(inside, beat, 0.0)
    return tf.concat([beat[:, :, None], rest], axis=1)
