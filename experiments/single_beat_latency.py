"""Experiment, not a feature: which path classifies one beat fastest, for a bedside monitor?

Issue 24 asks for a single-beat path of at most 0.2 ms (median). ``predict_proba`` on one beat
pays Keras' and TensorFlow's per-call overhead, not arithmetic: the ``mitbih`` network does 12.6
MFLOP per beat, about 0.07 ms at the cores' float32 peak. Measured here, in one run, on the same
beat, each path 500 times after a warm-up:

* ``predict_proba``: the estimator (input checks, then its compiled, oneDNN-fused step);
* ``compiled step``: that step called directly on a float32 array;
* ``xla``: the network in a ``tf.function(jit_compile=True)`` for batches of one beat, called
  through its concrete function on a tensor (no checks, no NumPy conversion);
* ``numpy``: the ``"cnn"`` network's forward pass written in NumPy (im2col and one matrix product
  per convolution), which must equal the network's probabilities.

ONNX Runtime's single-beat latency (0.14 ms) is in ``onnxruntime_experiment.json``; it needs two
packages outside ecgbeat's dependencies. Writes ``experiments/results/single_beat_latency.json``.

Usage::

    python -m experiments.single_beat_latency [--repeat 500]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchmarks._common import latency_ms, provenance

REPO = Path(__file__).resolve().parents[1]
CONVS = [f"conv_{i}" for i in range(1, 9)]
POOLED_AFTER = {"conv_2", "conv_4", "conv_6"}


def numpy_forward(weights: dict, beats: np.ndarray) -> np.ndarray:
    """The reference ``"cnn"`` network (no rhythm input) in NumPy: probabilities of ``beats``."""

    def conv(x, kernel, bias):  # "same" padding, stride 1, ReLU
        width = kernel.shape[0]
        padded = np.pad(x, ((0, 0), (width // 2, width - 1 - width // 2), (0, 0)))
        cols = sliding_window_view(padded, width, axis=1).transpose(0, 1, 3, 2)
        y = cols.reshape(x.shape[0], x.shape[1], -1) @ kernel.reshape(-1, kernel.shape[2]) + bias
        return np.maximum(y, 0, out=y)

    def pool(x):  # MaxPooling1D(2, padding="same")
        if x.shape[1] % 2:
            x = np.concatenate([x, x[:, -1:]], axis=1)
        return x.reshape(x.shape[0], -1, 2, x.shape[2]).max(axis=2)

    h = beats[:, :, None]
    for name in CONVS:
        h = conv(h, *weights[name])
        if name in POOLED_AFTER:
            h = pool(h)
    h = h.max(axis=1)
    for name in ("dense_1", "dense_2"):
        h = np.maximum(h @ weights[name][0] + weights[name][1], 0)
    z = h @ weights["output"][0] + weights["output"][1]
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=500)
    parser.add_argument(
        "--output", default=str(REPO / "experiments/results/single_beat_latency.json")
    )
    args = parser.parse_args(argv)
    load_at_start = os.getloadavg()

    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat._backend import import_tensorflow
    from ecgbeat.datasets import load_sample

    tf = import_tensorflow()
    clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
    beats = load_sample().data[:64].astype(np.float32)
    one = beats[:1]
    step = clf._predict_fns["float32"]
    batch = np.ascontiguousarray(one[:, :, None])
    model = clf.model_

    @tf.function(jit_compile=True, input_signature=[tf.TensorSpec((1, *batch.shape[1:]))])
    def xla(x):
        return model(x, training=False)

    xla_call = xla.get_concrete_function()
    tensor = tf.constant(batch)
    weights = {
        layer.name: [np.asarray(w) for w in layer.get_weights()]
        for layer in model.layers
        if layer.weights
    }
    expected = clf.predict_proba(beats)
    result = {
        "experiment": "single-beat latency of four prediction paths, mitbih network, one run",
        "max_abs_probability_difference": {
            "numpy": float(np.abs(numpy_forward(weights, beats) - expected).max()),
            "xla": float(np.abs(np.asarray(xla(batch)) - expected[:1]).max()),
        },
        "latency_ms": {
            "predict_proba": latency_ms(lambda: clf.predict_proba(one), args.repeat, warmup=20),
            "compiled_step": latency_ms(lambda: step(batch), args.repeat, warmup=20),
            "xla": latency_ms(lambda: xla_call(tensor), args.repeat, warmup=20),
            "numpy": latency_ms(lambda: numpy_forward(weights, one), args.repeat, warmup=20),
        },
        "target_ms": 0.2,
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        **provenance(__file__, argv),
    }
    Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
