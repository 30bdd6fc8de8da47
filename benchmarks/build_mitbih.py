"""Build all 48 MIT-BIH records from the raw WFDB files and compare with the Kaggle release.

Steps, in one process: (1) a cold build with no cache, R peaks from the reference annotations;
(2) a build into an empty temporary cache, then a cached reload; (3) a cold build with the
default Pan-Tompkins detector (beats labelled by the reference beat within 150 ms) and its
detection Se/+P. Reports class counts against the Kaggle release (difference in %), times and
peak memory (``ru_maxrss``), and writes ``benchmarks/results/build_mitbih.json``.

Usage::

    python -m benchmarks.build_mitbih [--data-home ../shared/data]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._common import peak_rss_mib, provenance
from ecgbeat.datasets import AAMI_CLASSES, fetch_mitbih

KAGGLE = {"N": 90589, "S": 2779, "V": 7236, "F": 803, "Q": 8039}
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULT = Path(__file__).resolve().parent / "results" / "build_mitbih.json"


def class_report(target: np.ndarray) -> dict:
    counts = np.bincount(target, minlength=len(AAMI_CLASSES))
    return {
        name: {
            "count": int(n),
            "kaggle": KAGGLE[name],
            "difference_percent": round(100 * (int(n) - KAGGLE[name]) / KAGGLE[name], 3),
        }
        for name, n in zip(AAMI_CLASSES, counts, strict=True)
    }


def timed(**kwargs):
    start = time.perf_counter()
    bunch = fetch_mitbih(download_if_missing=False, progress=False, **kwargs)
    return bunch, round(time.perf_counter() - start, 3)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    home = args.data_home

    cold, cold_s = timed(data_home=home, cache=False)
    cold_peak = peak_rss_mib()
    print(f"cold build (annotations): {cold.target.size} beats in {cold_s} s, peak {cold_peak} MiB")
    classes = class_report(cold.target)
    for name, row in classes.items():
        diff = row["difference_percent"]
        print(f"  {name}: {row['count']:6d}  Kaggle {row['kaggle']:6d}  {diff:+.3f} %")

    with tempfile.TemporaryDirectory() as cache:
        _, fill_s = timed(data_home=home, cache=cache)
        cached, cached_s = timed(data_home=home, cache=cache)
        cache_mib = round(sum(p.stat().st_size for p in Path(cache).iterdir()) / 2**20, 1)
    assert np.array_equal(cached.data, cold.data)
    print(f"build into empty cache {fill_s} s; cached reload {cached_s} s ({cache_mib} MiB)")

    det, det_s = timed(data_home=home, cache=False, detector="pan-tompkins")
    tp = sum(d["tp"] for d in det.detection.values())
    fn = sum(d["fn"] for d in det.detection.values())
    fp = sum(d["fp"] for d in det.detection.values())
    detection = {
        "tp": tp,
        "fn": fn,
        "fp": fp,
        "se_percent": round(100 * tp / (tp + fn), 3),
        "ppv_percent": round(100 * tp / (tp + fp), 3),
    }
    print(
        f"cold build (Pan-Tompkins): {det.target.size} labelled beats in {det_s} s; "
        f"Se {detection['se_percent']} %, +P {detection['ppv_percent']} %"
    )

    result = {
        "date": datetime.date.today().isoformat(),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
        },
        "command": provenance(__file__, argv)["command"],
        "records": 48,
        "annotations": {
            "beats": int(cold.target.size),
            "kaggle_beats": sum(KAGGLE.values()),
            "classes": classes,
            "cold_seconds": cold_s,
            "peak_rss_mib_after_cold_build": cold_peak,
            "fill_cache_seconds": fill_s,
            "cached_seconds": cached_s,
            "cache_mib": cache_mib,
        },
        "pan_tompkins": {
            "beats": int(det.target.size),
            "classes": class_report(det.target),
            "cold_seconds": det_s,
            "detection": detection,
        },
        "peak_rss_mib": peak_rss_mib(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
