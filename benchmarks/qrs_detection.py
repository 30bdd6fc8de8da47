"""Measure the default R-peak detector against the MIT-BIH reference beat annotations.

Standard beat-by-beat match: a detection within 150 ms of a reference beat annotation is a true
positive (one-to-one matching, ``wfdb.processing.compare_annotations``); only beat annotation
symbols are references. Lead MLII (signal 0, signal 1 in record 114; records 102 and 104 have no
MLII and use V5, signal 0) over all 48 records. Writes ``benchmarks/results/qrs_detection.json``.

Usage::

    python -m benchmarks.qrs_detection [--mitdb /path/to/mitdb] [--method pan-tompkins]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import wfdb
from wfdb.processing import compare_annotations

from benchmarks._common import provenance
from ecgbeat.qrs import detect_r_peaks

BEAT_SYMBOLS = frozenset("N L R B A a J S V r F e j n E / f Q ?".split())
DEFAULT_MITDB = Path(__file__).resolve().parents[2] / "shared" / "data" / "mitdb"
RESULT = Path(__file__).resolve().parent / "results" / "qrs_detection.json"


def evaluate_record(path: Path, method: str) -> dict:
    """Detect R peaks on the MLII lead of one record and match them to the reference beats."""
    header = wfdb.rdheader(str(path))
    lead = header.sig_name.index("MLII") if "MLII" in header.sig_name else 0
    rec = wfdb.rdrecord(str(path), channels=[lead], return_res=32)
    ann = wfdb.rdann(str(path), "atr")
    ref = np.array(
        [s for s, sym in zip(ann.sample, ann.symbol, strict=True) if sym in BEAT_SYMBOLS]
    )
    t0 = time.perf_counter()
    det = detect_r_peaks(rec.p_signal[:, 0], rec.fs, method=method)
    seconds = time.perf_counter() - t0
    cmp = compare_annotations(ref, det, window_width=round(0.150 * rec.fs))
    # Ventricular flutter/fibrillation episodes ("[" to "]") have no beat annotations; ANSI/AAMI
    # EC57 leaves them out of QRS detection statistics. Count the false positives inside them.
    symbols = np.asarray(ann.symbol)
    fp = det[cmp.unmatched_test_inds]
    in_vfl = np.zeros(fp.size, dtype=bool)
    starts, ends = ann.sample[symbols == "["], ann.sample[symbols == "]"]
    for start, end in zip(starts, ends, strict=True):
        in_vfl |= (fp >= start) & (fp <= end)
    return {
        "record": path.name,
        "lead": rec.sig_name[0],
        "reference_beats": int(ref.size),
        "detections": int(det.size),
        "tp": int(cmp.tp),
        "fn": int(cmp.fn),
        "fp": int(cmp.fp),
        "fp_in_vfl_episodes": int(in_vfl.sum()),
        "se_percent": round(100 * cmp.tp / ref.size, 3),
        "ppv_percent": round(100 * cmp.tp / max(det.size, 1), 3),
        "detect_seconds": round(seconds, 4),
    }


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark and write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mitdb", type=Path, default=DEFAULT_MITDB)
    parser.add_argument("--method", default="pan-tompkins")
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    records = (args.mitdb / "RECORDS").read_text().split()
    rows = []
    for name in records:
        row = evaluate_record(args.mitdb / name, args.method)
        rows.append(row)
        print(
            f"{name}: Se {row['se_percent']:7.3f} %  +P {row['ppv_percent']:7.3f} %  "
            f"FN {row['fn']:4d}  FP {row['fp']:4d}"
        )
    tp = sum(r["tp"] for r in rows)
    fn = sum(r["fn"] for r in rows)
    fp = sum(r["fp"] for r in rows)
    total = {
        "reference_beats": tp + fn,
        "detections": tp + fp,
        "tp": tp,
        "fn": fn,
        "fp": fp,
        "se_percent": round(100 * tp / (tp + fn), 3),
        "ppv_percent": round(100 * tp / (tp + fp), 3),
        "detect_seconds": round(sum(r["detect_seconds"] for r in rows), 3),
    }
    fp_vfl = sum(r["fp_in_vfl_episodes"] for r in rows)
    total["fp_in_vfl_episodes"] = fp_vfl
    total["ppv_percent_excluding_vfl_episodes"] = round(100 * tp / (tp + fp - fp_vfl), 3)
    print(
        f"TOTAL: Se {total['se_percent']:.3f} %  +P {total['ppv_percent']:.3f} %  "
        f"FN {fn}  FP {fp}  detection {total['detect_seconds']} s"
    )
    print(
        f"{fp_vfl} FP inside ventricular flutter episodes; +P without them "
        f"{total['ppv_percent_excluding_vfl_episodes']:.3f} %"
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
        "method": args.method,
        "matching": "one-to-one within 150 ms of a reference beat annotation "
        "(wfdb.processing.compare_annotations); references: beat symbols "
        + " ".join(sorted(BEAT_SYMBOLS)),
        "lead": "MLII (signal 1 in record 114; V5 in 102 and 104, which have no MLII)",
        "total": total,
        "records": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
