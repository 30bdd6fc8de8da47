"""What several benchmark scripts measure and record the same way: best-of timing, peak memory and
where a result came from."""

from __future__ import annotations

import datetime
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: The estimator's training defaults before 2026-11-26 (decay on plateau, every beat, the
#: architecture's dropout): the scripts whose committed results were made with them pin them, so
#: that they still reproduce those results. ``train_speed.py`` measures the current defaults.
EARLIER_DEFAULTS = {"lr_schedule": "plateau", "max_class_ratio": None, "dropout": None}


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
        "command": f"python benchmarks/{Path(script).name} " + " ".join(argv or sys.argv[1:]),
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
    }
