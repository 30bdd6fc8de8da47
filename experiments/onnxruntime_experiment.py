"""Experiment: ONNX Runtime against ecgbeat's Keras path, in float32 and in int8.

The shipped ``mitbih`` network, exported by :class:`ecgbeat.low_latency.LowLatencyPredictor`
(Keras' own ONNX export, tf2onnx under TensorFlow) and run in ONNX Runtime's CPU provider (all
graph optimisations, 2 intra-op threads for throughput, 1 for latency), against
``predict_proba`` on the same beats in one run:

* float32: throughput, the largest probability difference, single-beat latency;
* int8: the same graph quantised statically by ONNX Runtime's tools (QDQ format, weights int8 per
  channel, activations uint8), calibrated on 1,000 beats of the random split's *training* part;
  throughput, single-beat latency, and how often its classes agree with float32
  ``predict_proba``'s on the random split's test part (issue 24's target: 99.9 %).

Needs ``pip install ecgbeat[onnx]``. Writes ``experiments/results/onnxruntime_experiment.json``.

Usage::

    python -m experiments.onnxruntime_experiment [--beats 100000] [--data-home ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._common import best_seconds, latency_ms, provenance

REPO = Path(__file__).resolve().parents[1]


def quantized_int8(graph: bytes, calibration: np.ndarray) -> bytes:
    """``graph`` quantised statically to int8 (QDQ), activation ranges from ``calibration``."""
    from onnxruntime import quantization

    class Beats(quantization.CalibrationDataReader):
        def __init__(self):
            self.batches = iter(
                {"beats": calibration[i : i + 100, :, None]}
                for i in range(0, len(calibration), 100)
            )

        def get_next(self):
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as folder:
        source, prepared, target = (Path(folder) / n for n in ("f.onnx", "p.onnx", "q.onnx"))
        source.write_bytes(graph)
        quantization.quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantization.quantize_static(
            str(prepared),
            str(target),
            Beats(),
            quant_format=quantization.QuantFormat.QDQ,
            per_channel=True,
            activation_type=quantization.QuantType.QUInt8,
            weight_type=quantization.QuantType.QInt8,
        )
        return target.read_bytes()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beats", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    args = parser.parse_args(argv)
    load_at_start = os.getloadavg()

    import onnxruntime

    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import fetch_mitbih
    from ecgbeat.low_latency import LowLatencyPredictor

    clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
    data = fetch_mitbih(args.data_home, split="random", progress=False)
    train, test = data.data[~data.is_test], data.data[data.is_test]
    calibration = train[np.random.default_rng(0).choice(len(train), 1000, replace=False)]
    X = np.resize(test, (args.beats, test.shape[1])).astype(np.float32)

    start = time.perf_counter()
    float32 = LowLatencyPredictor(clf, threads=2)
    export_s = time.perf_counter() - start
    start = time.perf_counter()
    int8_graph = quantized_int8(float32.onnx_model, calibration)
    quantize_s = time.perf_counter() - start

    def session(graph: bytes, threads: int):
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        return onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    sessions = {
        "float32": (session(float32.onnx_model, 2), session(float32.onnx_model, 1)),
        "int8": (session(int8_graph, 2), session(int8_graph, 1)),
    }

    def run(sess, beats: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [
                sess.run(None, {"beats": beats[i : i + args.batch, :, None]})[0]
                for i in range(0, len(beats), args.batch)
            ]
        )

    def single_beat_ms(fn) -> dict:
        """Latency of ``fn`` on one beat at a time, 500 different beats."""
        beats = (X[i : i + 1] for i in range(500))
        return latency_ms(lambda: fn(next(beats)), 500)

    clf.predict_proba(X[:5000])
    keras_s = best_seconds(lambda: clf.predict_proba(X), repeat=2)
    expected_test = clf.predict_proba(test)
    result = {
        "experiment": "ONNX Runtime (float32, int8) vs ecgbeat's Keras predict_proba, mitbih",
        "beats": args.beats,
        "versions": {"onnxruntime": onnxruntime.__version__},
        "export_seconds": round(export_s, 2),
        "int8_quantisation_seconds": round(quantize_s, 2),
        "keras_predict_proba": {
            "beats_per_second": round(args.beats / keras_s),
            "single_beat_latency_ms": single_beat_ms(clf.predict_proba),
        },
    }
    for name, (throughput, single) in sessions.items():
        run(throughput, X[:5000])
        seconds = best_seconds(lambda s=throughput: run(s, X), repeat=2)
        proba = run(throughput, test)
        result[f"onnxruntime_{name}"] = {
            "beats_per_second": round(args.beats / seconds),
            "vs_keras_predict_proba": round(keras_s / seconds, 2),
            "single_beat_latency_ms": single_beat_ms(
                lambda beat, s=single: s.run(None, {"beats": beat[:, :, None]})
            ),
            "random_split_test_class_agreement": round(
                float(np.mean(proba.argmax(1) == expected_test.argmax(1))), 5
            ),
            "max_abs_probability_difference": float(np.abs(proba - expected_test).max()),
        }
        print(name, result[f"onnxruntime_{name}"], flush=True)
    result["load_average_at_start"] = load_at_start
    result["load_average_at_end"] = os.getloadavg()
    result.update(provenance(__file__, argv))
    out = REPO / "experiments/results/onnxruntime_experiment.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
