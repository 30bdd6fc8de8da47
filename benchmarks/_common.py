"""What the benchmark and experiment scripts measure and record the same way: best-of timing, peak
memory, and (from ``tools._common``, which the tools share) where a result came from, the
square-root-balanced class weights and a model's metrics at detected R peaks."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable

import numpy as np

from tools._common import metrics_at_detected_peaks, provenance, sqrt_balanced_class_weight

__all__ = [
    "best_seconds",
    "latency_ms",
    "metrics_at_detected_peaks",
    "peak_rss_mib",
    "provenance",
    "sqrt_balanced_class_weight",
]


def best_seconds(fn: Callable[[], object], repeat: int = 1) -> float:
    """The shortest wall time of ``repeat`` calls of ``fn``: the least disturbed by other work."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def latency_ms(call: Callable[[], object], repeat: int, warmup: int = 0) -> dict[str, float]:
    """Median and 99th percentile of ``repeat`` timed calls of ``call`` (after ``warmup``
    untimed ones), in milliseconds: a single beat's latency, as the results files record it."""
    for _ in range(warmup):
        call()
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return {
        "median": round(1e3 * float(np.median(seconds)), 3),
        "p99": round(1e3 * float(np.percentile(seconds, 99)), 3),
    }


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports ``ru_maxrss`` in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
