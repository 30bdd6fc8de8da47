"""The compiled prediction step of a fitted network, with each convolution fused for oneDNN.

Keras computes a ``Conv1D`` as ``Conv2D`` between reshapes, then adds the bias and applies the
activation as separate operations. TensorFlow's oneDNN CPU kernels fuse convolution, bias and
ReLU into one pass over memory only when they follow each other directly (``Conv2D`` →
``BiasAdd`` → ``Relu``). :func:`compile_predict` runs the network's own graph with each such layer
written that way: the same arithmetic (identical probabilities on the reference network), with
one pass less over each convolution's output. The step is traced once for each network
structure and reads the weights of the network it serves at each call, so it stays right if they
change.

With ``precision="bfloat16"`` the step runs a copy of the network whose layers compute in
bfloat16 (the output layer and its softmax stay float32): on CPUs with bfloat16 instructions
(AVX512-BF16, AMX) oneDNN runs the convolutions about twice as fast. The copy holds the weights
rounded to bfloat16 as they were when it was made.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ecgbeat._backend import import_keras, import_tensorflow
from ecgbeat._checks import non_finite_rows
from ecgbeat._warnings import warn_caller
from ecgbeat.exceptions import InputScaleWarning
from ecgbeat.networks import structure_key

if TYPE_CHECKING:  # pragma: no cover
    import keras

__all__ = [
    "PRECISIONS",
    "bfloat16_copy",
    "compile_predict",
    "overflow_limit",
    "refuse_non_finite_output",
    "refuse_overflowing_input",
    "warn_if_unscaled",
]

#: The arithmetic :func:`compile_predict` can run a network in.
PRECISIONS = ("float32", "bfloat16")


def refuse_non_finite_output(proba: np.ndarray, X: np.ndarray) -> None:
    """Refuse a network's output that is not finite, naming the rows of ``X`` that gave it.

    Beats within float32's range can still overflow the network's sums (values near 1e38): NaN
    probabilities would make ``predict`` return the first class without a word.

    Raises
    ------
    ValueError
        If a row of ``proba`` holds NaN or an infinite value.

    Examples
    --------
    >>> import numpy as np
    >>> refuse_non_finite_output(np.array([[0.2, 0.8]]), np.zeros((1, 3)))
    >>> refuse_non_finite_output(np.array([[np.nan, np.nan]]), np.full((1, 3), 3e38))
    Traceback (most recent call last):
    ...
    ValueError: the network's output is not finite for 1 beat(s) (the first in row 0, whose ...
    """
    rows = non_finite_rows(proba)
    if not rows.size:
        return
    raise ValueError(
        f"the network's output is not finite for {len(rows)} beat(s) (the first in row "
        f"{rows[0]}, whose largest value is {float(np.abs(X[rows[0]]).max()):.3g}): "
        "their values overflow the network's float32 arithmetic; beats are expected in "
        "[0, 1], as ecgbeat.beats.segment_beats makes them"
    )


#: How far beyond [0, 1] beats may reach before fit and predict (and
#: LowLatencyPredictor) warn that they are not scaled.
_SCALE_MARGIN = 0.5
#: How far from 0 the typical beat's minimum may lie (min-max scaled, it is 0): a beat in mV
#: less an offset stays within the margin above, yet is no scaled beat.
_MINIMUM_MARGIN = 0.35


def warn_if_unscaled(beats: np.ndarray, n_rr_features: int = 0) -> None:
    """Warn (once per call) when ``beats`` (rows of samples, no feature columns) are not min-max
    scaled to [0, 1]: they reach far beyond it, or the typical beat's minimum lies far from 0
    (beats in mV less an offset).

    Also :class:`ecgbeat.low_latency.LowLatencyPredictor`'s check, so it is kept cheap for one
    beat (a bedside monitor's call).

    Parameters
    ----------
    beats : ndarray of shape (n_beats, n_samples)
        The beats' samples, without the feature columns that follow them in a row.
    n_rr_features : int, default=0
        How many feature columns follow the beats in the user's rows: the advice then scales
        the beat columns alone.

    Warns
    -----
    InputScaleWarning
        If the beats reach beyond [-0.5, 1.5], or their minima lie (median) more than 0.35
        from 0.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from ecgbeat._inference import warn_if_unscaled
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_unscaled(np.array([[0.0, 1.0, 0.5]]))
    ...     warn_if_unscaled(np.array([[-2.0, 3.0, 0.5]]))
    >>> [type(w.message).__name__ for w in caught]
    ['InputScaleWarning']
    """
    if not beats.size:
        return
    minima = beats.min(axis=1)  # one pass: the lowest value is the lowest of these
    low, high = float(minima.min()), float(beats.max())
    # np.median costs about 20 us, a tenth of the predictor's whole call on one beat.
    typical_minimum = float(minima[0]) if minima.size == 1 else float(np.median(minima))
    in_range = -_SCALE_MARGIN <= low and high <= 1 + _SCALE_MARGIN
    if in_range and abs(typical_minimum) <= _MINIMUM_MARGIN:
        return
    what = (
        f"the beats' minima lie about {typical_minimum:.3g} (median over the beats), not at 0"
        if in_range
        else f"the beats range from {low:.3g} to {high:.3g}"
    )
    if n_rr_features:
        # Scaling whole rows, as the advice for beats alone does, would squash the rhythm
        # columns into the beat's range (or let them set it), and no warning would follow.
        n_beat = beats.shape[1]
        how = (
            f"scale the beats alone, not the {n_rr_features} rhythm columns after them "
            f"(n_rr_features), which scaling whole rows would flatten: "
            f"sklearn.preprocessing.minmax_scale(X[:, :{n_beat}], axis=1) for the beat "
            "columns, or ColumnTransformer([('beats', FunctionTransformer(minmax_scale, "
            f"kw_args={{'axis': 1}}), slice(0, {n_beat}))], remainder='passthrough') in a "
            "pipeline"
        )
    else:
        how = (
            "scale them with sklearn.preprocessing.minmax_scale(X, axis=1), or "
            "FunctionTransformer(minmax_scale, kw_args={'axis': 1}) in a pipeline"
        )
    warn_caller(
        f"{what}, but the network expects each "
        "beat min-max scaled to [0, 1] (Kachuee et al. 2018, as segment_beats makes "
        f"them); {how}",
        InputScaleWarning,
    )


# The largest value the bound of overflow_limit lets any layer reach: float32's largest finite
# number over a margin that covers the rounding of the sums (and of bfloat16 weights, 2**-8).
_SAFE_MAGNITUDE = float(np.finfo(np.float32).max) / 2**10
# Layers whose output is no larger in magnitude than their largest input.
_MAGNITUDE_KEEPING = (
    "InputLayer",
    "Dropout",
    "MaxPooling1D",
    "GlobalMaxPooling1D",
    "AveragePooling1D",
    "GlobalAveragePooling1D",
    "Flatten",
    "Reshape",
    "Cropping1D",
    "ZeroPadding1D",
    "Concatenate",
    "ReLU",
)
# Activations no larger in magnitude than their input, or than 1.
_BOUNDED_ACTIVATIONS = ("linear", "relu", "softmax", "sigmoid", "tanh")


def overflow_limit(model: keras.Model) -> float | None:
    """The largest input magnitude for which no sum in ``model`` can overflow float32.

    Found from the weights alone, so it does not depend on the CPU: a bound ``a * B + c`` on the
    magnitude of every layer's values for inputs within ``[-B, B]``, taken through the graph
    (a convolution or dense layer multiplies it by its largest sum of absolute weights into one
    unit and adds its largest bias; pooling, dropout and ReLU keep it; an addition adds its
    inputs'). The network computes every beat within the limit without overflow. Beyond it,
    what overflow does depends on the CPU's kernels (NaN, or a ReLU that turns NaN into 0 and
    gives finite but meaningless probabilities), so such beats are refused
    (:func:`refuse_overflowing_input`).

    Parameters
    ----------
    model : keras.Model
        A functional Keras network.

    Returns
    -------
    limit : float or None
        The limit, or None when a layer of ``model`` is of a kind that the bound does not know.

    Examples
    --------
    >>> from ecgbeat.networks import build_network
    >>> from ecgbeat._inference import overflow_limit
    >>> 1e20 < overflow_limit(build_network("cnn", 40, 3, seed=0)) < 1e38
    True
    """
    nodes_by_depth = getattr(model, "_nodes_by_depth", None)
    if not nodes_by_depth:
        return None
    bounds: dict[int, tuple[float, float]] = {}  # id(node) -> (a, c)
    worst: list[tuple[float, float]] = []
    for depth in sorted(nodes_by_depth, reverse=True):  # inputs first
        for node in nodes_by_depth[depth]:
            inputs = [bounds.get(id(parent)) for parent in node.parent_nodes]
            if any(bound is None for bound in inputs):
                return None
            bound = _layer_bound(node.operation, inputs or [(1.0, 0.0)])
            if bound is None:
                return None
            bounds[id(node)] = bound
            worst.append(bound)
    limits = [(_SAFE_MAGNITUDE - c) / a for a, c in worst if a > 0]
    if any(c >= _SAFE_MAGNITUDE for _, c in worst) or not limits:
        return None
    return float(min(limits))


def _layer_bound(layer, inputs: list[tuple[float, float]]) -> tuple[float, float] | None:
    """The bound ``(a, c)`` on ``layer``'s output magnitude from those on its inputs."""
    kind = type(layer).__name__
    a = max(bound[0] for bound in inputs)
    c = max(bound[1] for bound in inputs)
    if kind in _MAGNITUDE_KEEPING:
        return a, c
    if kind == "Add":
        return sum(bound[0] for bound in inputs), sum(bound[1] for bound in inputs)
    if kind == "Activation" or kind in ("Conv1D", "Dense"):
        activation = getattr(layer.activation, "__name__", None)
        if activation not in _BOUNDED_ACTIVATIONS:
            return None
        if kind == "Activation":
            return a, c + 1.0
        kernel = np.abs(np.asarray(layer.kernel, dtype=np.float64))
        gain = float(kernel.reshape(-1, kernel.shape[-1]).sum(axis=0).max())
        bias = (
            float(np.abs(np.asarray(layer.bias, dtype=np.float64)).max()) if layer.use_bias else 0.0
        )
        return gain * a, gain * c + bias + 1.0
    if kind == "BatchNormalization":
        scale = np.asarray(layer.gamma, dtype=np.float64) if layer.scale else 1.0
        scale = np.abs(
            scale / np.sqrt(np.asarray(layer.moving_variance, np.float64) + layer.epsilon)
        )
        gain = float(np.max(scale))
        shift = float(np.abs(np.asarray(layer.moving_mean, np.float64)).max())
        beta = float(np.abs(np.asarray(layer.beta, np.float64)).max()) if layer.center else 0.0
        return gain * a, gain * (c + shift) + beta
    return None


def refuse_overflowing_input(X: np.ndarray, limit: float | None) -> None:
    """Refuse rows of ``X`` beyond :func:`overflow_limit`, or holding NaN, naming the first.

    Raises
    ------
    ValueError
        If a value of ``X`` exceeds ``limit`` in magnitude (None: no limit is known), or is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> refuse_overflowing_input(np.zeros((2, 3)), 1e30)
    >>> refuse_overflowing_input(np.full((1, 3), 3e38), 1e30)
    Traceback (most recent call last):
    ...
    ValueError: the network's float32 sums could overflow for 1 beat(s) (the first in row 0, ...
    """
    if not X.size:
        return
    peaks = np.maximum(X.max(axis=1), -X.min(axis=1))
    missing = np.flatnonzero(np.isnan(peaks))
    if missing.size:
        # Only under sklearn.set_config(assume_finite=True), which skips scikit-learn's check:
        # the network's ReLUs and poolings turn NaN into finite, meaningless probabilities.
        raise ValueError(
            f"X holds NaN in {len(missing)} beat(s) (the first in row {missing[0]}); the "
            "network would give them finite, meaningless probabilities: drop or fill those "
            "beats (sklearn.set_config(assume_finite=True) skips scikit-learn's own check)"
        )
    if limit is None:
        return
    rows = np.flatnonzero(peaks > limit)
    if not rows.size:
        return
    raise ValueError(
        f"the network's float32 sums could overflow for {len(rows)} beat(s) (the first in row "
        f"{rows[0]}, whose largest value is {float(peaks[rows[0]]):.3g}; its weights keep the "
        f"sums finite up to {limit:.3g}): beats are expected in [0, 1], as "
        "ecgbeat.beats.segment_beats makes them"
    )


def compile_predict(model: keras.Model, precision: str = "float32") -> Callable[[Any], Any]:
    """A compiled function from a float32 batch of beats to the network's output, for inference.

    The step is traced once per network structure (:func:`ecgbeat.networks.structure_key`) and
    kept for the process (the last 32 structures); each network runs it on its own variables. So
    a new fit of a structure already seen pays no tracing (about 0.2-0.4 s), and a grid search
    does not leave a traced graph behind for every fit.

    Parameters
    ----------
    model : keras.Model
        A functional Keras network with one input. Other models (or a Keras without the graph
        runner this relies on) get Keras' own ``predict_on_batch``, which gives the same numbers.
    precision : {"float32", "bfloat16"}, default="float32"
        The arithmetic of the layers: ``"bfloat16"`` runs :func:`bfloat16_copy` of ``model``.

    Returns
    -------
    predict : callable
        ``predict(batch)`` for a float32 array of shape ``(n, *model.input_shape[1:])``; dropout
        is off. It reads the network's weights at each call, so it follows later changes to them
        (a bfloat16 step reads its copy's).

    Examples
    --------
    >>> import numpy as np
    >>> from ecgbeat.networks import build_network
    >>> from ecgbeat._inference import compile_predict
    >>> model = build_network("cnn", 40, 3, seed=0)
    >>> beats = np.random.default_rng(0).random((2, 40, 1), dtype=np.float32)
    >>> bool(np.allclose(compile_predict(model)(beats), model.predict_on_batch(beats), atol=1e-6))
    True
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "bfloat16":
        model = bfloat16_copy(model)
    # A private Keras method (keras.src.ops.function.Function, in every Keras 3): the only way to
    # run a functional graph with some layers swapped. Without it, Keras' own step.
    if getattr(model, "_run_through_graph", None) is None or len(model.inputs) != 1:
        model.make_predict_function()
        return model.predict_on_batch
    variables = [variable.value for variable in model.variables]
    shared = _shared_step(model)
    if shared is None:
        return _own_step(model)
    return _Step(shared, variables)


class _Step:
    """One network's prediction: the step its structure shares, run on this network's variables."""

    __slots__ = ("_variables", "concrete_function")

    def __init__(self, concrete_function, variables: list) -> None:
        self.concrete_function = concrete_function
        self._variables = variables

    def __call__(self, batch):
        return self.concrete_function(batch, self._variables)


#: Traced steps by network structure, the most recently used last; ``None`` for a structure
#: whose graph reads state that is not among its variables (it gets a step of its own).
_SHARED_STEPS: OrderedDict[tuple, Any] = OrderedDict()
_SHARED_STEPS_KEPT = 32
_SHARED_STEPS_LOCK = threading.Lock()


def _shared_step(model: keras.Model):
    """The concrete step of ``model``'s structure, traced on ``model`` the first time.

    Networks match by their configuration and their variables' shapes and dtypes, so a layer
    must keep in its configuration whatever else its computation depends on (every built-in
    Keras layer does; the networks of :mod:`ecgbeat.networks` have no other kind).
    """
    variables = tuple((tuple(v.shape), str(v.dtype)) for v in model.variables)
    key = (structure_key(model), variables)
    with _SHARED_STEPS_LOCK:  # tracing under the lock: threads never trace a structure twice
        if key in _SHARED_STEPS:
            _SHARED_STEPS.move_to_end(key)
            return _SHARED_STEPS[key]
        step = _trace_shared_step(model)
        _SHARED_STEPS[key] = step
        while len(_SHARED_STEPS) > _SHARED_STEPS_KEPT:
            _SHARED_STEPS.popitem(last=False)
        return step


def _trace_shared_step(template: keras.Model):
    """A step whose variables are an argument: Keras' stateless scope maps ``template``'s onto
    them while the graph is traced, so the graph holds none of ``template``'s weights."""
    keras = import_keras()
    tf = import_tensorflow()
    template_variables = list(template.variables)
    operation = _operation_fn(keras, tf)
    run_graph = template._run_through_graph

    def predict(batch, variables):
        mapping = list(zip(template_variables, variables, strict=True))
        with keras.StatelessScope(state_mapping=mapping):
            return run_graph(batch, operation_fn=operation)

    spec = tf.TensorSpec((None, *template.inputs[0].shape[1:]), tf.float32)
    variables = [variable.value for variable in template_variables]
    concrete = tf.function(predict).get_concrete_function(spec, variables)
    # Anything captured would be read from the template by every network: not shareable.
    return None if concrete.captured_inputs else concrete


def _own_step(model: keras.Model):
    """A step traced for ``model`` alone, reading its variables as captured state."""
    keras = import_keras()
    tf = import_tensorflow()
    operation = _operation_fn(keras, tf)
    spec = tf.TensorSpec((None, *model.inputs[0].shape[1:]), tf.float32)

    @tf.function(input_signature=[spec])
    def predict(batch):
        return model._run_through_graph(batch, operation_fn=operation)

    return predict


def _operation_fn(keras, tf) -> Callable:
    """How each operation of the graph runs: fusable convolutions rewritten, dropout off."""

    def operation(op):
        if _is_fusable_conv(op, keras):
            return _fused_conv1d(op, keras, tf)
        if isinstance(op, keras.layers.Layer):
            return functools.partial(op, training=False)
        return op

    return operation


def bfloat16_copy(model: keras.Model) -> keras.Model:
    """A copy of a functional network whose layers compute in bfloat16, for inference.

    Every layer but the inputs and the output layer (the layer that computes the network's
    output, whatever its name; its softmax stays float32 so that the probabilities keep
    float32's resolution) takes the ``"bfloat16"`` dtype policy; the weights are copied, rounded
    to bfloat16.

    Examples
    --------
    >>> from ecgbeat.networks import build_network
    >>> from ecgbeat._inference import bfloat16_copy
    >>> copy = bfloat16_copy(build_network("cnn", 40, 3, seed=0))
    >>> copy.get_layer("conv_1").compute_dtype, copy.get_layer("output").compute_dtype
    ('bfloat16', 'float32')
    """
    keras = import_keras()
    config = model.get_config()
    # By the graph, not by ecgbeat's name for it: the output layer of a network that ecgbeat did
    # not build (read from a file) computed its softmax in bfloat16, probabilities of 8 bits.
    outputs = {
        entry for entry in keras.tree.flatten(config["output_layers"]) if isinstance(entry, str)
    }
    for layer in config["layers"]:
        if layer["class_name"] != "InputLayer" and layer["config"]["name"] not in outputs:
            layer["config"]["dtype"] = "bfloat16"
    copy = keras.Model.from_config(config)
    for target, source in zip(copy.weights, model.weights, strict=True):
        target.assign(keras.ops.cast(source, target.dtype))
    return copy


def _is_fusable_conv(op, keras) -> bool:
    return (
        type(op) is keras.layers.Conv1D
        and op.compute_dtype in PRECISIONS
        and op.data_format == "channels_last"
        and op.padding in ("same", "valid")
        and op.dilation_rate == (1,)
        and op.groups == 1
        and op.activation in (keras.activations.relu, keras.activations.linear)
    )


def _fused_conv1d(layer, keras, tf) -> Callable:
    relu = layer.activation is keras.activations.relu

    def conv(x):
        # Keras casts a layer's input to its compute dtype in __call__, which this bypasses.
        x = tf.cast(x, layer.compute_dtype)
        # (n, length, channels) as (n, 1, length, channels): a 2D convolution of height 1.
        y = tf.nn.conv2d(
            x[:, None],
            # Not kernel[None]: slicing a variable ties it to the graph, which would keep the
            # weights of the network a shared step was traced on alive.
            tf.expand_dims(layer.kernel, 0),
            strides=(1, layer.strides[0]),
            padding=layer.padding.upper(),
        )
        if layer.use_bias:
            y = tf.nn.bias_add(y, layer.bias)
        if relu:
            y = tf.nn.relu(y)
        return y[:, 0]

    return conv
