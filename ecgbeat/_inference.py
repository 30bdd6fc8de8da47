"""The compiled prediction step of a fitted network, with each convolution fused for oneDNN.

Keras computes a ``Conv1D`` as ``Conv2D`` between reshapes, then adds the bias and applies the
activation as separate operations. TensorFlow's oneDNN CPU kernels fuse convolution, bias and
ReLU into one pass over memory only when they follow each other directly (``Conv2D`` →
``BiasAdd`` → ``Relu``). :func:`compile_predict` runs the network's own graph with each such layer
written that way: the same arithmetic (identical probabilities on the reference network), with
one pass less over each convolution's output. The step reads the layers' live weights, so it
stays right if they change.

With ``precision="bfloat16"`` the step runs a copy of the network whose layers compute in
bfloat16 (the output layer and its softmax stay float32): on CPUs with bfloat16 instructions
(AVX512-BF16, AMX) oneDNN runs the convolutions about twice as fast. The copy holds the weights
rounded to bfloat16 as they were when it was made.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ecgbeat._backend import import_keras, import_tensorflow
from ecgbeat.networks import OUTPUT_LAYER

if TYPE_CHECKING:  # pragma: no cover
    import keras

__all__ = ["PRECISIONS", "bfloat16_copy", "compile_predict"]

#: The arithmetic :func:`compile_predict` can run a network in.
PRECISIONS = ("float32", "bfloat16")


def compile_predict(model: keras.Model, precision: str = "float32") -> Callable[[Any], Any]:
    """A compiled function from a float32 batch of beats to the network's output, for inference.

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
        is off. The first call traces the step; later calls reuse it.

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
    keras = import_keras()
    tf = import_tensorflow()
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "bfloat16":
        model = bfloat16_copy(model)
    # A private Keras method (keras.src.ops.function.Function, in every Keras 3): the only way to
    # run a functional graph with some layers swapped. Without it, Keras' own step.
    run_graph = getattr(model, "_run_through_graph", None)
    if run_graph is None or len(model.inputs) != 1:
        model.make_predict_function()
        return model.predict_on_batch

    def operation(op):
        if _is_fusable_conv(op, keras):
            return _fused_conv1d(op, keras, tf)
        if isinstance(op, keras.layers.Layer):
            return functools.partial(op, training=False)
        return op

    spec = tf.TensorSpec((None, *model.inputs[0].shape[1:]), tf.float32)

    @tf.function(input_signature=[spec])
    def predict(batch):
        return run_graph(batch, operation_fn=operation)

    return predict


def bfloat16_copy(model: keras.Model) -> keras.Model:
    """A copy of a functional network whose layers compute in bfloat16, for inference.

    Every layer but the inputs and the output layer (:data:`ecgbeat.networks.OUTPUT_LAYER`, whose
    softmax stays float32 so that the probabilities keep float32's resolution) takes the
    ``"bfloat16"`` dtype policy; the weights are copied, rounded to bfloat16.

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
    for layer in config["layers"]:
        if layer["class_name"] != "InputLayer" and layer["config"]["name"] != OUTPUT_LAYER:
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
            layer.kernel[None],
            strides=(1, layer.strides[0]),
            padding=layer.padding.upper(),
        )
        if layer.use_bias:
            y = tf.nn.bias_add(y, layer.bias)
        if relu:
            y = tf.nn.relu(y)
        return y[:, 0]

    return conv
