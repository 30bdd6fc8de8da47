"""Experiment, not a feature: would ONNX Runtime predict faster than ecgbeat's Keras path?

Exports the shipped ``mitbih`` network with Keras' own ONNX export (``model.export(...,
format="onnx")``, tf2onnx under TensorFlow), runs it in ONNX Runtime's CPU provider (all graph
optimisations, 2 intra-op threads) and compares, on the same 100,000 beats in one run:
throughput against ``predict_proba``, the largest probability difference, and single-beat latency.

It needs two packages that are not ecgbeat dependencies (``pip install onnxruntime tf2onnx``),
so it is not among the benchmarks that CI smoke-tests. Writes
``experiments/results/onnxruntime_experiment.json``.

Usage::

    python -m experiments.onnxruntime_experiment [--beats 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._common import best_seconds, provenance

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beats", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=4096)
    args = parser.parse_args(argv)
    load_at_start = os.getloadavg()

    import onnxruntime
    import tensorflow as tf

    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import load_sample

    clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
    sample = load_sample().data
    X = np.resize(sample, (args.beats, sample.shape[1])).astype(np.float32)

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mitbih.onnx"
        signature = [tf.TensorSpec((None, X.shape[1], 1), tf.float32, name="beats")]
        clf.model_.export(str(path), format="onnx", verbose=False, input_signature=signature)
        serialized = path.read_bytes()
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = os.cpu_count() or 1
    session = onnxruntime.InferenceSession(serialized, options, providers=["CPUExecutionProvider"])
    export_s = time.perf_counter() - start

    def ort_predict(beats: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [
                session.run(None, {"beats": beats[i : i + args.batch, :, None]})[0]
                for i in range(0, len(beats), args.batch)
            ]
        )

    ort_predict(X[:5000])
    clf.predict_proba(X[:5000])
    keras_s = best_seconds(lambda: clf.predict_proba(X), repeat=2)
    ort_s = best_seconds(lambda: ort_predict(X), repeat=2)
    max_diff = float(np.abs(ort_predict(X) - clf.predict_proba(X)).max())

    def latency_ms(fn) -> dict:
        times = []
        for i in range(300):
            start = time.perf_counter()
            fn(X[i : i + 1])
            times.append(time.perf_counter() - start)
        return {
            "median": round(1e3 * float(np.median(times)), 3),
            "p99": round(1e3 * float(np.percentile(times, 99)), 3),
        }

    result = {
        "experiment": "ONNX Runtime vs ecgbeat's Keras predict_proba, shipped mitbih network",
        "beats": args.beats,
        "versions": {"onnxruntime": onnxruntime.__version__, "tensorflow": tf.__version__},
        "export_and_session_seconds": round(export_s, 2),
        "keras_predict_proba_beats_per_second": round(args.beats / keras_s),
        "onnxruntime_beats_per_second": round(args.beats / ort_s),
        "onnxruntime_vs_keras": round(keras_s / ort_s, 2),
        "max_abs_probability_difference": max_diff,
        "single_beat_latency_ms": {
            "keras_predict_proba": latency_ms(clf.predict_proba),
            "onnxruntime": latency_ms(lambda beat: session.run(None, {"beats": beat[:, :, None]})),
        },
        "load_average_at_start": load_at_start,
        **provenance(__file__, argv),
    }
    out = REPO / "experiments/results/onnxruntime_experiment.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
