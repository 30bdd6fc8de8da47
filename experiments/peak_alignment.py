"""Where detected and annotated R peaks meet, with and without refinement, on the DS1 records.

A model trained on beats cut at the cardiologists' annotations meets, in use, beats cut at a
detector's peaks. Both are passed through :func:`ecgbeat.qrs.refine_r_peaks` (the dominant
extremum within a radius); this measures, for each radius, how far each annotated beat's refined
peak lies from the nearest refined Pan-Tompkins peak (beats with a detection within 150 ms), over
all beats and over V beats (wide PVCs, where the detector's energy peak strays most). DS1 only:
the radius is a choice, and DS2 never guides one.

Writes ``experiments/results/peak_alignment.json``.

Usage::

    python -m experiments.peak_alignment [--data-home ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from benchmarks._common import provenance
from ecgbeat.datasets import AAMI_SYMBOLS, MITBIH_DS1, read_annotations, read_lead
from ecgbeat.qrs import detect_r_peaks, refine_r_peaks

REPO = Path(__file__).resolve().parents[1]

RADII = (0.0, 0.05, 0.08, 0.1, 0.12, 0.15)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    args = parser.parse_args(argv)
    folder = Path(args.data_home) / "mitdb"
    distances = {radius: [] for radius in RADII}
    v_distances = {radius: [] for radius in RADII}
    for record in MITBIH_DS1:
        signal, fs, _, _ = read_lead(folder / record, ("MLII", "V5"), record)
        samples, symbols = read_annotations(folder / record, "atr", signal.size, record)
        is_beat = np.isin(symbols, list(AAMI_SYMBOLS))
        reference, is_v = samples[is_beat], np.isin(symbols[is_beat], list("VE"))
        detected = detect_r_peaks(signal, fs)
        for radius in RADII:
            ref = refine_r_peaks(signal, fs, reference, radius=radius)
            det = refine_r_peaks(signal, fs, detected, radius=radius)
            pos = np.clip(np.searchsorted(det, ref), 1, len(det) - 1)
            gap = np.minimum(np.abs(det[pos - 1] - ref), np.abs(det[pos] - ref))
            matched = gap <= 0.150 * fs
            distances[radius].append(gap[matched])
            v_distances[radius].append(gap[matched & is_v])
    results = {}
    for radius in RADII:
        every, v = np.concatenate(distances[radius]), np.concatenate(v_distances[radius])
        results[f"{radius:g}"] = {
            "beats": int(every.size),
            "within_1_sample": round(float(np.mean(every <= 1)), 4),
            "within_3_samples": round(float(np.mean(every <= 3)), 4),
            "mean_samples": round(float(every.mean()), 2),
            "V_beats": int(v.size),
            "V_within_3_samples": round(float(np.mean(v <= 3)), 4),
            "V_mean_samples": round(float(v.mean()), 2),
        }
        print(radius, results[f"{radius:g}"], flush=True)
    output = {
        "benchmark": (
            "distance (samples at 360 Hz) from each annotated beat's refined peak to the nearest "
            "refined Pan-Tompkins peak, DS1 records, by refinement radius (seconds; 0 = none)"
        ),
        **provenance(__file__, argv),
        "results": results,
    }
    path = REPO / "experiments" / "results" / "peak_alignment.json"
    path.write_text(json.dumps(output, indent=1) + "\n")
    return output


if __name__ == "__main__":
    main()
