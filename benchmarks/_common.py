"""What the benchmark, tool and experiment scripts measure and record the same way: best-of timing,
peak memory and where a result came from."""

from __future__ import annotations

import datetime
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def sqrt_balanced_class_weight(y, digits: int | None = None) -> dict[int, float]:
    """The square root of scikit-learn's "balanced" class weights of integer labels ``y``.

    Rare classes count more without the extreme weights that destabilise training (DS1's 8 Q
    beats get about 36 instead of about 1,000). ``digits`` rounds them, as the model cards record
    them.
    """
    from sklearn.utils.class_weight import compute_class_weight

    present = np.unique(y)
    weights = np.sqrt(compute_class_weight("balanced", classes=present, y=y))
    return {
        int(c): float(w if digits is None else round(float(w), digits))
        for c, w in zip(present, weights, strict=True)
    }


def best_seconds(fn: Callable[[], object], repeat: int = 1) -> float:
    """The shortest wall time of ``repeat`` calls of ``fn``: the least disturbed by other work."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports ``ru_maxrss`` in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def provenance(script: str, argv: list[str] | None) -> dict[str, str]:
    """The command that made a result (``script`` is the benchmark's ``__file__``), its date and
    the machine, as each results file records them."""
    return {
        "command": f"python -m {Path(script).parent.name}.{Path(script).stem} "
        + " ".join(argv or sys.argv[1:]),
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
    }
