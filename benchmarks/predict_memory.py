"""Peak memory of ``predict_proba`` on millions of beats, beyond the input array itself.

Fits nothing: builds the reference CNN with the shipped ``"mitbih"`` weights, creates N beats
(float32, a realistic mix of the shipped sample beats with noise), measures resident memory
before and after prediction (peak from ``/proc/self/status`` VmHWM) and writes
``benchmarks/results/predict_memory.json``.

Usage::

    python -m benchmarks.predict_memory --beats 2000000
    python -m benchmarks.predict_memory --beats 400000 --predict-batch-size 2048 \
        --output benchmarks/results/predict_memory_400k_batch2048.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks._common import provenance

REPO = Path(__file__).resolve().parents[1]


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    Path("/proc/self/clear_refs").write_text("5")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beats", type=int, default=2_000_000)
    parser.add_argument("--output", default=str(REPO / "benchmarks/results/predict_memory.json"))
    # The peak grows with the beats in flight: a smaller batch trades speed for memory.
    parser.add_argument("--predict-batch-size", type=int, default=None, metavar="N")
    args = parser.parse_args(argv)

    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import load_sample

    clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
    if args.predict_batch_size is not None:
        clf.set_params(predict_batch_size=args.predict_batch_size)
    sample = load_sample().data
    clf.predict_proba(sample[:10])  # warm up TensorFlow outside the measurement
    rng = np.random.default_rng(0)
    X = np.empty((args.beats, sample.shape[1]), dtype=np.float32)
    for start in range(0, args.beats, len(sample)):
        chunk = sample[: min(len(sample), args.beats - start)]
        X[start : start + len(chunk)] = chunk + rng.normal(0, 0.01, chunk.shape)
    input_mib = X.nbytes / 2**20
    load_at_start = os.getloadavg()  # other processes on the cores slow the beats per second
    _reset_peak()
    before_kib = _status_kib("VmRSS")
    start = time.perf_counter()
    proba = clf.predict_proba(X)
    seconds = time.perf_counter() - start
    peak_kib = _status_kib("VmHWM")
    result = {
        "benchmark": "predict_proba peak memory beyond the input",
        "beats": args.beats,
        "input_mib": round(input_mib, 1),
        "output_mib": round(proba.nbytes / 2**20, 1),
        "rss_before_mib": round(before_kib / 1024, 1),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "peak_beyond_input_mib": round((peak_kib - before_kib) / 1024, 1),
        "seconds": round(seconds, 1),
        "beats_per_second": round(args.beats / seconds),
        "predict_batch_size": clf.predict_batch_size,
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        **provenance(__file__, argv),
    }
    Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
