"""The quality marks of :mod:`ecgbeat.quality` against MIT-BIH's own signal-quality annotations.

:mod:`benchmarks.quality_by_lead` found many windows marked unreadable on leads other than MLII
(V1: 12 % on average; all of 101's and 122's). Were those stretches noisy? The reference
annotation files (``.atr``) of the MIT-BIH records hold signal-quality annotations, symbol ``~``
(WFDB's ``NOISE``, "change in signal quality"): the quality one states holds until the next, and
a record starts clean. Its ``subtype`` says which signals: bit ``k`` (the lowest for signal 0,
the header's first lead) set means that signal ``k`` is noisy (WFDB Programmer's Guide,
"Annotation Codes", note 2), and -1 that all are unreadable (WFDB's ``ecgmap.h`` maps a ``NOISE``
of subtype -1, and no other, to the AHA code ``U``, unreadable). Bit ``4 + k`` is read as signal
``k`` unreadable, so that -1 (every bit set) is both signals unreadable; the MIT-BIH files hold
subtypes 0 (clean), 1, 2, 3 (noisy) and -1 only.

Each record's every lead goes through the default detector with its quality check, as in
:mod:`benchmarks.quality_by_lead` (and ``ecgbeat predict``), and each of its 10 s quality windows
gets that signal's reference quality: unreadable if any of its samples lies in a stretch
annotated unreadable, else noisy if any lies in one annotated noisy, else clean. Counted per
record and lead, and pooled per lead over DS1, DS2 and the paced records apart: windows, windows
marked, windows of each reference quality and how many of each are marked. No beat label and no
model is used, and nothing is chosen.

Writes ``benchmarks/results/quality_annotations.json``.

Usage::

    python -m benchmarks.quality_annotations [--records 100 101 ...]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import wfdb

from benchmarks._common import provenance
from benchmarks.quality_by_lead import lead_quality
from ecgbeat.datasets import MITBIH_DS1, MITBIH_DS2, MITBIH_RECORDS

REPO = Path(__file__).resolve().parents[1]

#: The reference qualities, in the order of their codes (0, 1, 2): worst last.
QUALITIES = ("clean", "noisy", "unreadable")


def reference_quality(
    samples: np.ndarray, subtypes: np.ndarray, signal: int, n_samples: int
) -> np.ndarray:
    """Each sample's reference quality for one signal: 0 clean, 1 noisy, 2 unreadable.

    ``samples`` and ``subtypes`` are those of the record's ``~`` annotations; each one's quality
    holds from its sample to the next one's, and the record starts clean.
    """
    order = np.argsort(samples, kind="stable")
    samples, bits = np.asarray(samples)[order], np.asarray(subtypes, dtype=np.int64)[order] & 0xFF
    state = np.where((bits >> (4 + signal)) & 1, 2, np.where((bits >> signal) & 1, 1, 0))
    in_force = np.searchsorted(samples, np.arange(n_samples), side="right")  # 0: none yet
    return np.r_[0, state].astype(np.int8)[in_force]


def lead_counts(
    path: Path, record: str, lead: str, signal: int, annotations: wfdb.Annotation
) -> dict:
    """Windows of one lead, marked or not, by their reference quality."""
    quality = lead_quality(path, lead, record)
    noise = np.asarray(annotations.symbol) == "~"
    reference = reference_quality(
        annotations.sample[noise], annotations.subtype[noise], signal, int(quality.stop[-1])
    )
    window_reference = np.maximum.reduceat(reference, quality.start)  # the worst in each window
    marked = ~quality.readable
    return {
        "windows": len(quality),
        "marked": int(marked.sum()),
        "reference": {
            name: int(np.sum(window_reference == code)) for code, name in enumerate(QUALITIES)
        },
        "marked_by_reference": {
            name: int(np.sum(marked & (window_reference == code)))
            for code, name in enumerate(QUALITIES)
        },
    }


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def pooled(counts: list[dict]) -> dict:
    """The counts of several records' lead summed, and the shares the docs quote."""
    total = {
        "records": len(counts),
        "windows": sum(c["windows"] for c in counts),
        "marked": sum(c["marked"] for c in counts),
        **{f"reference_{q}": sum(c["reference"][q] for c in counts) for q in QUALITIES},
        **{
            f"marked_reference_{q}": sum(c["marked_by_reference"][q] for c in counts)
            for q in QUALITIES
        },
    }
    total["marks_on_reference_clean_percent"] = _percent(
        total["marked_reference_clean"], total["marked"]
    )
    for q in QUALITIES:
        total[f"reference_{q}_marked_percent"] = _percent(
            total[f"marked_reference_{q}"], total[f"reference_{q}"]
        )
    return total


def group(record: str) -> str:
    """DS1, DS2 (de Chazal's split) or the paced records, which neither holds."""
    return "DS1" if record in MITBIH_DS1 else "DS2" if record in MITBIH_DS2 else "paced"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--records", nargs="+", default=list(MITBIH_RECORDS))
    parser.add_argument(
        "--output", default=str(REPO / "benchmarks/results/quality_annotations.json")
    )
    args = parser.parse_args(argv)
    per_record: dict[str, dict[str, dict]] = {}
    by_group: dict[str, dict[str, list[dict]]] = {}
    for record in args.records:
        path = Path(args.data_home) / "mitdb" / record
        annotations = wfdb.rdann(str(path), "atr")
        per_record[record] = {}
        for signal, lead in enumerate(wfdb.rdheader(str(path)).sig_name):
            counts = lead_counts(path, record, lead, signal, annotations)
            per_record[record][lead] = counts
            by_group.setdefault(group(record), {}).setdefault(lead, []).append(counts)
    summary = {
        name: {lead: pooled(counts) for lead, counts in sorted(leads.items())}
        for name, leads in sorted(by_group.items())
    }
    output = {
        "benchmark": "windows marked unreadable by ecgbeat.quality against the MIT-BIH reference "
        "signal-quality annotations (~), by lead, DS1 and DS2 (the paced records apart)",
        **provenance(__file__, argv),
        "rule": "a window is reference-unreadable if any of its samples lies in a stretch "
        "annotated unreadable for its signal, else noisy if any lies in one annotated noisy, "
        "else clean; subtype bit k: signal k noisy, bit 4+k: unreadable, -1: all unreadable",
        "by_group": summary,
        "per_record": per_record,
    }
    Path(args.output).write_text(json.dumps(output, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    return output


if __name__ == "__main__":
    main()
