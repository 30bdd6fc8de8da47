"""What several benchmark scripts record the same way: peak memory and where a result came from."""

from __future__ import annotations

import datetime
import os
import platform
import resource
import sys
from pathlib import Path


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
