"""Keras graph builders for heartbeat classification, one function per architecture.

This module knows nothing about training, data or scikit-learn: each builder takes the length of a
beat and the number of classes and returns a fresh, uncompiled :class:`keras.Model`. The estimator in
:mod:`ecgbeat.classifier` chooses a builder through :data:`ARCHITECTURES` and owns everything else.

Every layer that carries weights has a fixed name (``conv_1``, ``dense_1``, ``output``...) and a fixed
position, so that pretrained weights can be matched to a new network by its structure.

All convolutions and poolings use ``"same"`` padding, so a network accepts beats of any length of at
least one sample: the reference 187 samples, or a recording at another rate. The number of weights
does not depend on the length for ``"cnn"`` (about 255k with 5 classes); ``"resnet"`` ends in a
``Flatten``, so its dense head grows with the length.

Examples
--------
>>> from ecgbeat.networks import build_network
>>> model = build_network("cnn", n_samples=187, n_classes=5, seed=0)
>>> model.output_shape
(None, 5)
>>> model.count_params()
254901
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from ecgbeat._backend import import_keras
from ecgbeat._checks import is_finite_number, is_integer

if TYPE_CHECKING:  # pragma: no cover - typing only; keras is imported lazily
    import keras

__all__ = [
    "ARCHITECTURES",
    "build_cnn",
    "build_network",
    "build_resnet",
    "feature_layer_names",
    "network_structure",
    "structure_key",
]

#: Name of the final softmax layer, the one replaced when a pretrained network learns new classes.
OUTPUT_LAYER = "output"
#: The name of each architecture's network: a network says what it is (see network_structure).
NETWORK_NAMES = {"cnn": "heartbeat_cnn", "resnet": "heartbeat_resnet"}


def _integer(name: str, value, minimum: int) -> int:
    """``value`` as a Python int (Keras refuses NumPy's for ``units``), checked."""
    if not is_integer(value) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _checked(n_samples, n_classes, dropout, seed, n_rr_features):
    """The builders' arguments, checked and as Python numbers (Keras takes NumPy's badly:
    ``Dense(np.int64(3))`` is refused, and a NumPy rate stays in the network's configuration,
    where :func:`structure_key` takes it for another structure).

    Without the check, Keras builds what makes no sense (no sample, one class, a dropout of 1
    or a bool as 0 or 1) or refuses it in words that name no argument.
    """
    if not (is_finite_number(dropout) and 0 <= dropout < 1):
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    if seed is not None and (not is_integer(seed) or seed < 0):
        raise ValueError(f"seed must be an integer >= 0 or None, got {seed!r}")
    return (
        _integer("n_samples", n_samples, 1),
        _integer("n_classes", n_classes, 2),
        float(dropout),
        None if seed is None else int(seed),
        _integer("n_rr_features", n_rr_features, 0),
    )


def _seeds(seed: int | None) -> Iterator[int | None]:
    """Yield one seed per random layer, so the same ``seed`` builds the same network."""
    rng = np.random.default_rng(seed)
    while True:
        yield None if seed is None else int(rng.integers(0, 2**31 - 1))


def _conv(
    keras_module,
    filters: int,
    kernel: int,
    name: str,
    seeds: Iterator[int | None],
    activation: str | None = "relu",
):
    return keras_module.layers.Conv1D(
        filters,
        kernel,
        padding="same",
        activation=activation,
        kernel_initializer=keras_module.initializers.GlorotUniform(seed=next(seeds)),
        name=name,
    )


def _dense(keras_module, units: int, name: str, seeds: Iterator[int | None], activation="relu"):
    return keras_module.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=keras_module.initializers.GlorotUniform(seed=next(seeds)),
        name=name,
    )


def _inputs(keras_module, n_samples: int, n_rr_features: int):
    """The network's one input, and its beat and rhythm parts.

    With rhythm features the input is the beat followed by ``n_rr_features`` values (one row of
    ``X``, as the estimator receives it); built-in cropping layers split it, so that the network
    stays one input, a plain Keras graph that loads in safe mode.
    """
    inputs = keras_module.Input(shape=(n_samples + n_rr_features, 1), name="beat")
    if n_rr_features == 0:
        return inputs, inputs, None
    beat = keras_module.layers.Cropping1D((0, n_rr_features), name="beat_part")(inputs)
    rhythm = keras_module.layers.Cropping1D((n_samples, 0), name="rhythm_part")(inputs)
    return inputs, beat, keras_module.layers.Flatten(name="rhythm")(rhythm)


def _join_rhythm(keras_module, features, rhythm):
    """The convolutional features, with the rhythm features beside them when there are any."""
    if rhythm is None:
        return features
    return keras_module.layers.Concatenate(name="with_rhythm")([features, rhythm])


def _in_float32(builder: Callable[..., keras.Model]) -> Callable[..., keras.Model]:
    """Make ``builder`` build its layers in float32, whatever Keras' global dtype policy is.

    A process that called ``keras.mixed_precision.set_global_policy("mixed_float16")`` (for
    other models) would otherwise build these networks in that policy: their training failed as
    "diverged" and prediction ignored ``inference_precision``. The estimator's ``precision`` and
    ``inference_precision`` choose the arithmetic. Keras keeps the policy per thread, and it is
    put back when the network is built.
    """

    @functools.wraps(builder)
    def build(*args, **kwargs):
        policy = import_keras().mixed_precision
        previous = policy.global_policy()
        policy.set_global_policy("float32")
        try:
            return builder(*args, **kwargs)
        finally:
            policy.set_global_policy(previous)

    return build


@_in_float32
def build_cnn(
    n_samples: int = 187,
    n_classes: int = 5,
    *,
    dropout: float = 0.1,
    seed: int | None = None,
    n_rr_features: int = 0,
) -> keras.Model:
    """Build the reference heartbeat CNN.

    Conv1D 16, 16 (kernel 5) → max pool → 32, 32 (kernel 3) → max pool → 32, 32 (kernel 3) → max
    pool → 256, 256 (kernel 3) → global max pool → dropout → Dense 64, 64 → softmax, with ReLU
    activations and dropout ``dropout`` after each pooling block (twice that before the dense head,
    as in the reference project, at most 0.9).

    Parameters
    ----------
    n_samples : int, default=187
        Length of one beat.
    n_classes : int, default=5
        Number of output classes.
    dropout : float, default=0.1
        Dropout rate after each convolutional block; the head uses ``2 * dropout``, at most 0.9
        (a rate of 1 would drop every activation).
    seed : int or None, default=None
        Seed of the weight initialisers and dropout masks; ``None`` draws fresh ones.
    n_rr_features : int, default=0
        Number of rhythm features (:mod:`ecgbeat.rhythm`) that follow the beat in each input row;
        they join the convolutional features before the dense head.

    Returns
    -------
    keras.Model
        An uncompiled model mapping ``(batch, n_samples + n_rr_features, 1)`` to class
        probabilities.

    Examples
    --------
    >>> from ecgbeat.networks import build_cnn
    >>> build_cnn(187, 2, seed=0).output_shape
    (None, 2)
    """
    n_samples, n_classes, dropout, seed, n_rr_features = _checked(
        n_samples, n_classes, dropout, seed, n_rr_features
    )
    keras = import_keras()

    seeds = _seeds(seed)
    inputs, x, rhythm = _inputs(keras, n_samples, n_rr_features)
    blocks = [(16, 5), (32, 3), (32, 3), (256, 3)]
    conv_index = 0
    for block_index, (filters, kernel) in enumerate(blocks, start=1):
        for _ in range(2):
            conv_index += 1
            x = _conv(keras, filters, kernel, f"conv_{conv_index}", seeds)(x)
        if block_index < len(blocks):
            x = keras.layers.MaxPooling1D(2, padding="same", name=f"pool_{block_index}")(x)
            x = keras.layers.Dropout(dropout, seed=next(seeds), name=f"dropout_{block_index}")(x)
    x = keras.layers.GlobalMaxPooling1D(name="global_pool")(x)
    x = keras.layers.Dropout(min(2 * dropout, 0.9), seed=next(seeds), name="dropout_head")(x)
    x = _join_rhythm(keras, x, rhythm)
    x = _dense(keras, 64, "dense_1", seeds)(x)
    x = _dense(keras, 64, "dense_2", seeds)(x)
    outputs = _dense(keras, n_classes, OUTPUT_LAYER, seeds, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=NETWORK_NAMES["cnn"])


@_in_float32
def build_resnet(
    n_samples: int = 187,
    n_classes: int = 5,
    *,
    dropout: float = 0.0,
    seed: int | None = None,
    n_rr_features: int = 0,
) -> keras.Model:
    """Build the residual network of Kachuee, Fazeli and Sarrafzadeh (2018), arXiv:1805.00794.

    Conv1D 32 (kernel 5), then five residual blocks (two Conv1D 32, kernel 5, a skip connection,
    ReLU, max pool 5 with stride 2), then Dense 32, 32 and a softmax.

    Parameters
    ----------
    n_samples : int, default=187
        Length of one beat.
    n_classes : int, default=5
        Number of output classes.
    dropout : float, default=0.0
        Dropout rate before the dense head (the paper uses none).
    seed : int or None, default=None
        Seed of the weight initialisers and dropout masks.
    n_rr_features : int, default=0
        Number of rhythm features that follow the beat in each input row, as in
        :func:`build_cnn`.

    Returns
    -------
    keras.Model
        An uncompiled model mapping ``(batch, n_samples + n_rr_features, 1)`` to class
        probabilities.

    Examples
    --------
    >>> from ecgbeat.networks import build_resnet
    >>> build_resnet(187, 5, seed=0).output_shape
    (None, 5)
    """
    n_samples, n_classes, dropout, seed, n_rr_features = _checked(
        n_samples, n_classes, dropout, seed, n_rr_features
    )
    keras = import_keras()

    seeds = _seeds(seed)
    inputs, beat, rhythm = _inputs(keras, n_samples, n_rr_features)
    x = _conv(keras, 32, 5, "conv_1", seeds)(beat)
    conv_index = 1
    for block_index in range(1, 6):
        shortcut = x
        conv_index += 1
        x = _conv(keras, 32, 5, f"conv_{conv_index}", seeds)(x)
        conv_index += 1
        # No activation before the skip: ReLU comes after the addition, as in the paper.
        x = _conv(keras, 32, 5, f"conv_{conv_index}", seeds, activation=None)(x)
        x = keras.layers.Add(name=f"skip_{block_index}")([x, shortcut])
        x = keras.layers.Activation("relu", name=f"relu_{block_index}")(x)
        x = keras.layers.MaxPooling1D(5, strides=2, padding="same", name=f"pool_{block_index}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, seed=next(seeds), name="dropout_head")(x)
    x = _join_rhythm(keras, x, rhythm)
    x = _dense(keras, 32, "dense_1", seeds)(x)
    x = _dense(keras, 32, "dense_2", seeds)(x)
    outputs = _dense(keras, n_classes, OUTPUT_LAYER, seeds, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=NETWORK_NAMES["resnet"])


#: Builders by the name the estimator's ``architecture`` parameter takes.
ARCHITECTURES: dict[str, Callable[..., keras.Model]] = {"cnn": build_cnn, "resnet": build_resnet}


def build_network(
    architecture: str,
    n_samples: int,
    n_classes: int,
    *,
    dropout: float | None = None,
    seed: int | None = None,
    n_rr_features: int = 0,
) -> keras.Model:
    """Build the network named ``architecture`` (a key of :data:`ARCHITECTURES`).

    Parameters
    ----------
    architecture : {"cnn", "resnet"}
        Which network to build.
    n_samples : int
        Length of one beat.
    n_classes : int
        Number of output classes.
    dropout : float or None, default=None
        Dropout rate; ``None`` keeps the architecture's own default.
    seed : int or None, default=None
        Seed of the weight initialisers and dropout masks.
    n_rr_features : int, default=0
        Number of rhythm features that follow the beat in each input row (see
        :func:`build_cnn`); ``n_samples`` counts the beat alone.

    Returns
    -------
    keras.Model
        An uncompiled model.

    Examples
    --------
    >>> from ecgbeat.networks import build_network
    >>> build_network("resnet", 187, 3, seed=1).name
    'heartbeat_resnet'
    >>> build_network("cnn", 187, 5, seed=0, n_rr_features=7).input_shape
    (None, 194, 1)
    """
    try:
        builder = ARCHITECTURES[architecture]
    except (KeyError, TypeError):  # TypeError: a list or dict, which no key can equal
        raise ValueError(
            f"unknown architecture {architecture!r}; choose one of {sorted(ARCHITECTURES)}"
        ) from None
    kwargs = {} if dropout is None else {"dropout": dropout}
    return builder(n_samples, n_classes, seed=seed, n_rr_features=n_rr_features, **kwargs)


def feature_layer_names(model: keras.Model) -> list[str]:
    """Names of the convolutional layers of ``model``, in order: those that ``freeze_conv`` freezes.

    Examples
    --------
    >>> from ecgbeat.networks import build_cnn, feature_layer_names
    >>> feature_layer_names(build_cnn(seed=0))[:2]
    ['conv_1', 'conv_2']
    """
    return [layer.name for layer in model.layers if layer.name.startswith("conv_")]


def network_structure(model: keras.Model) -> tuple[str | None, int]:
    """The ``architecture`` and ``n_rr_features`` that ``model`` was built with, read from it.

    The architecture is ``None`` for a network that none of :data:`ARCHITECTURES` builds.

    Examples
    --------
    >>> from ecgbeat.networks import build_network, network_structure
    >>> network_structure(build_network("resnet", 187, 5, seed=0, n_rr_features=7))
    ('resnet', 7)
    """
    by_name = {name: architecture for architecture, name in NETWORK_NAMES.items()}
    layers = {layer.name: layer for layer in model.layers}
    # The rhythm features are the columns that the "beat_part" crop cuts off (see _inputs).
    # Another network's layer of that name is no crop (one that write_model_file saved).
    cropping = getattr(layers.get("beat_part"), "cropping", None)
    n_rr_features = int(cropping[1]) if cropping is not None else 0
    return by_name.get(model.name), n_rr_features


def structure_key(model: keras.Model) -> str:
    """What two networks share when one compiled TensorFlow step can serve both.

    The network's configuration (layers, shapes, dtypes) as JSON, with every ``seed`` entry
    removed: networks built alike with other seeds, or holding other weights, get the same key.

    Examples
    --------
    >>> from ecgbeat.networks import build_network, structure_key
    >>> structure_key(build_network("cnn", 40, 3, seed=0)) == structure_key(
    ...     build_network("cnn", 40, 3, seed=1)
    ... )
    True
    >>> structure_key(build_network("cnn", 40, 3)) == structure_key(build_network("cnn", 41, 3))
    False
    """
    return json.dumps(_without_seeds(model.get_config()), sort_keys=True, default=str)


def _without_seeds(config):
    """``config`` with every ``seed`` entry removed."""
    if isinstance(config, dict):
        return {key: _without_seeds(value) for key, value in config.items() if key != "seed"}
    if isinstance(config, list | tuple):
        return [_without_seeds(value) for value in config]
    return config
