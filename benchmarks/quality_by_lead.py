"""What the quality marks of :mod:`ecgbeat.quality` mark on clean recordings, lead by lead.

The thresholds of :mod:`ecgbeat.quality` were set on the clean DS1 records' MLII lead
(``experiments.signal_quality``). A user's device may record another lead. Each record's every
lead goes through the default detector with its quality check
(:func:`ecgbeat.qrs.pan_tompkins_marked`), as ``ecgbeat predict`` reads a recording, and the
share of its windows marked unreadable is recorded, per record and pooled by lead (the paced
records apart). The recordings are the MIT-BIH ones as they are: clean but for their own noisy
stretches, so that most of what is marked is clean signal. No label and no model is used.

Writes ``benchmarks/results/quality_by_lead.json``.

Usage::

    python -m benchmarks.quality_by_lead [--records 100 101 ...]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import wfdb

from benchmarks._common import provenance
from ecgbeat.datasets import MITBIH_PACED, MITBIH_RECORDS, read_lead
from ecgbeat.qrs import pan_tompkins_marked
from ecgbeat.quality import WindowQuality

REPO = Path(__file__).resolve().parents[1]


def lead_quality(path: Path, lead: str, record: str) -> WindowQuality:
    """The quality windows of ``record``'s ``lead``, as ``ecgbeat predict`` reads the lead: the
    default detector's own quality check (``classify_signal``'s marks)."""
    signal, fs, _, _ = read_lead(path, (lead,), record)
    return pan_tompkins_marked(signal, fs)[1]


def marked_share(path: Path, lead: str, record: str) -> float:
    """The share of the windows of ``record``'s ``lead`` that the quality check marks."""
    return float(1 - lead_quality(path, lead, record).readable.mean())


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--records", nargs="+", default=list(MITBIH_RECORDS))
    parser.add_argument("--output", default=str(REPO / "benchmarks/results/quality_by_lead.json"))
    args = parser.parse_args(argv)
    per_record: dict[str, dict[str, float]] = {}
    by_lead: dict[str, list[float]] = {}
    for record in args.records:
        path = Path(args.data_home) / "mitdb" / record
        per_record[record] = {}
        for lead in wfdb.rdheader(str(path)).sig_name:
            share = marked_share(path, lead, record)
            per_record[record][lead] = round(100 * share, 1)
            key = f"{lead} (paced)" if record in MITBIH_PACED else lead
            by_lead.setdefault(key, []).append(share)
    pooled = {
        key: {
            "records": len(shares),
            "windows_marked_percent_median": round(100 * float(np.median(shares)), 1),
            "windows_marked_percent_mean": round(100 * float(np.mean(shares)), 1),
            "records_over_a_quarter_marked": int(np.sum(np.array(shares) > 0.25)),
        }
        for key, shares in sorted(by_lead.items())
    }
    output = {
        "benchmark": "share of quality windows marked unreadable, by lead, on the MIT-BIH "
        "records as they are (clean but for their own noisy stretches)",
        **provenance(__file__, argv),
        "by_lead": pooled,
        "windows_marked_percent": per_record,
    }
    Path(args.output).write_text(json.dumps(output, indent=1) + "\n")
    print(json.dumps(pooled, indent=1))
    return output


if __name__ == "__main__":
    main()
