"""Inference speed: ``predict_proba`` against the reference recipe's ``model.predict``, same weights.

Measures, in one run on the same machine:

* throughput (beats/s) of ``HeartbeatCNNClassifier.predict_proba`` and of the plain Keras
  baseline ``model.predict(X)`` (default batch size 32) on N beats, and that both give the same
  probabilities (max absolute difference);
* the network's floating-point work per beat, the resulting GFLOP/s of both, and their share of
  the cores' peak (measured: a large float32 matrix product through NumPy's BLAS);
* single-beat latency of ``predict_proba`` (a streaming monitor): median and 99th percentile,
  and the same for ``ecgbeat.low_latency.LowLatencyPredictor`` (ONNX Runtime; skipped, and said
  so in the results, when ``ecgbeat[onnx]`` is not installed), with its largest probability
  difference from ``predict_proba`` on the N beats;
* the streaming path (``ecgbeat.streaming.StreamClassifier``, the default model, ONNX Runtime when
  installed): compute per half-second hop that returns a beat (median, p99) and the delay from
  a beat's next R peak to its class, on the first 5 minutes of record 101 (``benchmarks.streaming``
  measures it on longer stretches, with the agreement with the batch path);
* end to end: the 48 MIT-BIH records from raw files (read, detect QRS, segment, classify, mark
  unreadable stretches) to a per-beat table, with nothing cached, through
  ``ecgbeat.distributed.classify_records`` without a cluster (two records in work at once, as
  ``ecgbeat predict`` does); again one record at a time (``classify_record`` in a loop), and
  without the quality marks (``quality=False``), to see what each costs;
* ``inference_precision="bfloat16"`` against float32 ``predict_proba`` (same beats, same run):
  throughput, and how often the predicted classes agree with float32's on the MIT-BIH
  random-split train part (the training-side evidence for ``"auto"``) and test part (``mitbih``, whose test part it is) and on DS2 (``mitbih-ds1-rhythm``,
  whose test patients they are), with the largest probability difference, and the 48 records
  end to end again in bfloat16.

Writes ``benchmarks/results/inference.json``.

Usage::

    python -m benchmarks.inference [--beats 100000] [--data-home ../shared/data] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks._common import best_seconds, latency_ms, peak_rss_mib, provenance

REPO = Path(__file__).resolve().parents[1]


def flops_per_beat(model) -> int:
    """Multiply-adds of the convolutional and dense layers for one beat, times two."""
    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv1D":
            length, out_channels = layer.output.shape[1], layer.output.shape[2]
            kernel = layer.kernel.shape  # (width, in, out)
            total += length * out_channels * kernel[0] * kernel[1]
        elif kind == "Dense":
            total += layer.kernel.shape[0] * layer.kernel.shape[1]
    return 2 * int(total)


def peak_gflops(size: int = 4096, repeat: int = 3) -> dict:
    """The cores' attainable single-precision peak, measured: a large float32 matrix product.

    NumPy's BLAS (an ``sgemm`` on all cores) runs close to the cores' fused-multiply-add limit. It
    is measured rather than computed from ``/proc/cpuinfo`` because neither the boost clock nor the
    FMA width is there: AMD Zen 4, for one, executes AVX-512 on two 256-bit units, half the rate of
    a server Intel core with the same flags.
    """
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    seconds = best_seconds(lambda: a @ b, repeat=repeat)
    return {
        "gflops": round(2 * size**3 / seconds / 1e9, 1),
        "method": f"numpy float32 matmul {size}x{size} @ {size}x{size}, best of {repeat}, "
        f"{os.cpu_count()} cores",
    }


def agreement(clf, X: np.ndarray, precision: str) -> dict:
    """How the classes and probabilities of ``precision`` compare with float32's on ``X``."""
    float32 = clf.set_params(inference_precision="float32").predict_proba(X)
    other = clf.set_params(inference_precision=precision).predict_proba(X)
    clf.set_params(inference_precision="float32")
    same = np.argmax(float32, axis=1) == np.argmax(other, axis=1)
    return {
        "beats": len(X),
        "class_agreement": round(float(same.mean()), 6),
        "beats_that_differ": int((~same).sum()),
        "max_abs_probability_difference": round(float(np.abs(other - float32).max()), 4),
    }


def reduced_precision(clf, X: np.ndarray, float32_seconds: float, args) -> dict:
    """bfloat16 prediction against float32's: speed on ``X``, agreement on both test sets."""
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import fetch_mitbih
    from ecgbeat.records import beat_cutting

    clf.set_params(inference_precision="bfloat16").predict_proba(X[:100])  # build the step
    seconds = best_seconds(lambda: clf.predict_proba(X), repeat=2)
    clf.set_params(inference_precision="float32")
    records = ["100", "232"] if args.quick else None
    # The train part is the evidence for "auto" (training-side data); the test parts are reported.
    random_train = fetch_mitbih(args.data_home, split="random", subset="train", records=records,
                                progress=False)  # fmt: skip
    random_test = fetch_mitbih(args.data_home, split="random", subset="test", records=records,
                               progress=False)  # fmt: skip
    new_patients = HeartbeatCNNClassifier.from_pretrained("mitbih-ds1-rhythm")
    ds2 = fetch_mitbih(args.data_home, split="inter-patient", subset="test", records=records,
                       progress=False, **beat_cutting(new_patients))  # fmt: skip
    return {
        "bfloat16": {
            "beats_per_second": round(len(X) / seconds),
            "speedup_vs_float32": round(float32_seconds / seconds, 2),
            "random_split_train_mitbih": agreement(clf, random_train.data, "bfloat16"),
            "random_split_test_mitbih": agreement(clf, random_test.data, "bfloat16"),
            "ds2_mitbih_ds1_rhythm": agreement(new_patients, ds2.data, "bfloat16"),
        },
    }


def low_latency_predictor(clf, X: np.ndarray, one: np.ndarray, repeats: int) -> dict | str:
    """Single-beat latency of ``LowLatencyPredictor(clf)``, and its largest probability
    difference from ``clf.predict_proba`` on ``X``; a note if ONNX Runtime is not installed."""
    from ecgbeat.low_latency import LowLatencyPredictor

    try:
        predictor = LowLatencyPredictor(clf)
    except ImportError as error:
        return f"not measured: {error}"
    result = latency_ms(lambda: predictor.predict_proba(one), repeats, warmup=1)
    difference = np.abs(predictor.predict_proba(X) - clf.predict_proba(X)).max()
    return {**result, "max_abs_probability_difference": float(difference)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beats", type=int, default=100_000)
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--output", default=str(REPO / "benchmarks/results/inference.json"))
    args = parser.parse_args(argv)
    load_at_start = os.getloadavg()  # other processes on the cores slow every figure
    n_beats = 2_000 if args.quick else args.beats

    from benchmarks.streaming import latency as streaming_latency
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import MITBIH_RECORDS, load_sample
    from ecgbeat.distributed import classify_records
    from ecgbeat.records import DEFAULT_MODEL, classify_record, fitted_classifier

    clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
    sample = load_sample().data
    X = np.resize(sample, (n_beats, sample.shape[1])).astype(np.float32)
    clf.predict_proba(X[:100])
    # Latency first, as in a monitor that runs only ecgbeat: after a Keras model.predict in the
    # same process, one beat takes about 0.2 ms longer (measured 1.44 vs 1.20 ms median).
    one = X[:1]
    repeats = 50 if args.quick else 500
    latency = latency_ms(lambda: clf.predict_proba(one), repeats)
    low_latency = low_latency_predictor(clf, X, one, repeats)

    clf.model_.predict(X[:100], verbose=0)

    ours_s = best_seconds(lambda: clf.predict_proba(X), repeat=2)
    baseline_s = best_seconds(lambda: clf.model_.predict(X, verbose=0), repeat=2)
    max_diff = float(np.abs(clf.predict_proba(X) - clf.model_.predict(X, verbose=0)).max())

    peak_rss = {"after_predict_proba_and_baseline": peak_rss_mib()}
    flops = flops_per_beat(clf.model_)
    peak = peak_gflops(1024 if args.quick else 4096)
    achieved = flops * n_beats / ours_s / 1e9
    baseline_achieved = flops * n_beats / baseline_s / 1e9

    precisions = reduced_precision(clf, X, ours_s, args)

    # The streaming path (ecgbeat.streaming) with the default model: compute per half-second
    # hop, and how long after its next R peak a beat's class comes; in ONNX Runtime too when
    # the low-latency predictor above could be made.
    folder = Path(args.data_home) / "mitdb"
    stream_latency = streaming_latency(
        fitted_classifier(DEFAULT_MODEL),
        folder,
        "101",
        1.0 if args.quick else 5.0,
        low_latency=isinstance(low_latency, dict),
    )

    records = list(MITBIH_RECORDS[:2] if args.quick else MITBIH_RECORDS)
    paths = [str(folder / record) for record in records]
    # The library's path for many records: two in work at once (ecgbeat._overlap).
    start = time.perf_counter()
    tables = classify_records(paths, clf).tables
    end_to_end_s = time.perf_counter() - start
    # The same one record at a time, to see what the overlap gives.
    start = time.perf_counter()
    in_turn = [classify_record(path, clf) for path in paths]
    in_turn_s = time.perf_counter() - start
    same = all(
        np.array_equal(a.sample, b.sample) and np.array_equal(a.proba, b.proba)
        for a, b in zip(tables, in_turn, strict=True)
    )
    # The same without the quality marks (ecgbeat.quality), to see what they cost.
    start = time.perf_counter()
    classify_records(paths, clf, quality=False)
    without_quality_s = time.perf_counter() - start
    clf.set_params(inference_precision="bfloat16")
    start = time.perf_counter()
    tables_bfloat16 = classify_records(paths, clf).tables
    precisions["bfloat16"]["end_to_end_seconds"] = round(time.perf_counter() - start, 2)
    clf.set_params(inference_precision="float32")
    differ = sum(
        int((a.label != b.label).sum()) for a, b in zip(tables, tables_bfloat16, strict=True)
    )
    precisions["bfloat16"]["end_to_end_beats_that_differ"] = differ
    peak_rss["after_end_to_end"] = peak_rss_mib()

    result = {
        "benchmark": "inference: predict_proba vs the reference recipe's model.predict",
        "beats": n_beats,
        "ecgbeat_predict_proba": {
            "seconds": round(ours_s, 3),
            "beats_per_second": round(n_beats / ours_s),
        },
        "baseline_model_predict": {
            "seconds": round(baseline_s, 3),
            "beats_per_second": round(n_beats / baseline_s),
        },
        "speedup": round(baseline_s / ours_s, 2),
        "max_abs_probability_difference": max_diff,
        "flops_per_beat": flops,
        "achieved_gflops": round(achieved, 1),
        "baseline_gflops": round(baseline_achieved, 1),
        "peak": peak,
        "fraction_of_peak": round(achieved / peak["gflops"], 3),
        "baseline_fraction_of_peak": round(baseline_achieved / peak["gflops"], 3),
        "single_beat_latency_ms": {**latency, "low_latency_predictor": low_latency},
        "streaming_latency": stream_latency,
        "end_to_end": {
            "records": len(records),
            "beats": int(sum(len(t) for t in tables)),
            "seconds": round(end_to_end_s, 2),
            "seconds_one_record_at_a_time": round(in_turn_s, 2),
            "same_tables_one_at_a_time": same,
            "seconds_without_quality_marks": round(without_quality_s, 2),
            "steps": "wfdb read (MLII) -> Pan-Tompkins -> segment_beats -> predict_proba, and "
            "the quality marks (ecgbeat.quality) unless said; ecgbeat.distributed."
            "classify_records without a cluster (two records in work at once), and one record "
            "at a time with classify_record",
        },
        "precisions": precisions,
        # ru_maxrss only grows: each figure is the process's peak up to the end of that step.
        "peak_rss_mib": peak_rss,
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        **provenance(__file__, argv),
    }
    if not args.quick:
        Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
