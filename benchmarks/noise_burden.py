"""What the quality marks change when noise comes in bursts: detections and the ectopic burden.

Each DS1 record (lead MLII, V5 where absent) gets the noise of ``benchmarks.qrs_bursts`` (the
same generator and seed: baseline wander, muscle-like noise and electrode motion in two-minute
bursts from minute 5) at each SNR in ``--snrs``, and goes through
:func:`ecgbeat.records.classify_signal` with the default model, as ``ecgbeat predict`` takes a
recording. Pooled over the records, for each SNR and for the clean records:

* detections: Se and +P against the annotated beats (150 ms) over all beats and over the beats
  that the quality marks leave readable, and the share of annotated beats that lie in readable
  stretches;
* the ectopic burden (share of beats not N) over all beats and over the readable ones, against
  the annotated burden of the same records and the burden predicted on the clean records; and
  per record, how far the burden a user reads lies from the annotated one (mean and largest
  absolute difference over the records, in points), over all beats and over readable beats.

The default model (``mitbih-rhythm-template``) was trained on all 48 records, DS1 included: the
figures are about what noise does to its predictions, not about new patients. Writes
``benchmarks/results/noise_burden.json``.

Usage::

    python -m benchmarks.noise_burden [--records 101 106 ...] [--snrs 12 6 0 -6]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
from wfdb.processing import compare_annotations

from benchmarks._common import provenance
from benchmarks.qrs_bursts import noisy_record
from ecgbeat.datasets import AAMI_SYMBOLS, MITBIH_DS1, read_annotations, read_lead
from ecgbeat.records import DEFAULT_MODEL, classify_signal, fitted_classifier

REPO = Path(__file__).resolve().parents[1]
SNRS_DB = (12, 6, 0, -6)


def tally(table, ref: np.ndarray, ref_normal: np.ndarray, fs: float) -> dict:
    """Counts for one record: matched beats and predicted classes, all and readable."""
    cmp = compare_annotations(ref, table.sample, window_width=round(0.150 * fs))
    true = np.zeros(len(table), dtype=bool)
    true[cmp.matched_test_inds[cmp.matched_test_inds >= 0]] = True
    readable = table.readable
    normal = table.label == "N"
    # Annotated beats in readable stretches: the window of each reference beat.
    return {
        "reference_beats": int(ref.size),
        "reference_normal": int(ref_normal.sum()),
        "tp": int(true.sum()),
        "fp": int((~true).sum()),
        "tp_readable": int((true & readable).sum()),
        "fp_readable": int((~true & readable).sum()),
        "beats": len(table),
        "beats_readable": int(readable.sum()),
        "normal": int(normal.sum()),
        "normal_readable": int((normal & readable).sum()),
    }


def rates(c: dict) -> dict:
    def pct(a, b):
        return round(100 * a / b, 2) if b else None

    return {
        **c,
        "se_percent": pct(c["tp"], c["reference_beats"]),
        "ppv_percent": pct(c["tp"], c["tp"] + c["fp"]),
        "ppv_readable_percent": pct(c["tp_readable"], c["tp_readable"] + c["fp_readable"]),
        "beats_unreadable_percent": pct(c["beats"] - c["beats_readable"], c["beats"]),
        "true_beats_readable_percent": pct(c["tp_readable"], c["tp"]),
        "burden_all_percent": pct(c["beats"] - c["normal"], c["beats"]),
        "burden_readable_percent": pct(
            c["beats_readable"] - c["normal_readable"], c["beats_readable"]
        ),
        "burden_annotated_percent": pct(
            c["reference_beats"] - c["reference_normal"], c["reference_beats"]
        ),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--records", nargs="+", default=sorted(MITBIH_DS1))
    parser.add_argument("--snrs", nargs="+", type=float, default=list(SNRS_DB))
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(REPO / "benchmarks/results/noise_burden.json"))
    args = parser.parse_args(argv)
    folder = Path(args.data_home) / "mitdb"
    clf = fitted_classifier(args.model)
    totals: dict[str, dict] = {}
    burdens: dict[str, dict] = {}
    for record in args.records:
        signal, fs, _, _ = read_lead(folder / record, ("MLII", "V5"), record)
        samples, symbols = read_annotations(folder / record, "atr", signal.size, record)
        is_beat = np.isin(symbols, list(AAMI_SYMBOLS))
        ref = samples[is_beat]
        ref_normal = np.array([AAMI_SYMBOLS[s] == 0 for s in symbols[is_beat]])
        runs = {"clean": signal}
        for snr in args.snrs:
            # The benchmark's own noise: same generator, seed and stream per record and SNR.
            rng = np.random.default_rng([args.seed, int(record), round(10 * snr) + 1000])
            runs[f"{snr:g} dB"] = noisy_record(signal, fs, snr, rng)[0]
        for name, x in runs.items():
            table = classify_signal(x, fs, clf, name=record)
            counts = tally(table, ref, ref_normal, fs)
            pooled = totals.setdefault(name, dict.fromkeys(counts, 0))
            for key, value in counts.items():
                pooled[key] += value
            burdens.setdefault(name, {})[record] = {
                "annotated": 100 * (1 - ref_normal.mean()),
                "all": 100 * (1 - counts["normal"] / counts["beats"]),
                "readable": 100 * table.summary()["ectopic_burden"],
            }
        print(record, "done", flush=True)
    output = {
        "benchmark": "detections and ectopic burden with and without the quality marks, DS1 "
        "records with noise in 2-minute bursts (benchmarks.qrs_bursts' noise), pooled",
        **provenance(__file__, argv),
        "model": args.model,
        "records": args.records,
        "noise": {"generator": "benchmarks.qrs_bursts.noisy_record", "seed": args.seed},
        "matching": "one-to-one within 150 ms (wfdb.processing.compare_annotations)",
        "results": {name: rates(c) for name, c in totals.items()},
        "burden_error_points": {
            name: {
                kind: {
                    "mean": round(float(np.mean(gaps)), 2),
                    "max": round(float(np.max(gaps)), 2),
                }
                for kind in ("all", "readable")
                for gaps in [[abs(by[r][kind] - by[r]["annotated"]) for r in args.records]]
            }
            for name, by in burdens.items()
        },
        "burden_per_record_percent": {
            name: {r: {k: round(v, 2) for k, v in b.items()} for r, b in by.items()}
            for name, by in burdens.items()
        },
    }
    Path(args.output).write_text(json.dumps(output, indent=1) + "\n")
    return output


if __name__ == "__main__":
    main()
