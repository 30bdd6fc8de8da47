"""Choose the thresholds of :mod:`ecgbeat.quality` on clean DS1 records, then see what they mark.

**Choice (clean signal only).** Every clean DS1 record (lead MLII, V5 where absent) is cut into
the quality windows (:data:`ecgbeat.quality.QUALITY_WINDOW` seconds) around the R peaks of the
default detector before its last step (``pan_tompkins(..., hold_back_noise=False)``: that step
reads these thresholds); ``MAX_HF_RATIO`` is the 99.5th percentile of the windows' ``hf_ratio`` and
``MIN_QRS_SNR_DB`` the 0.5th percentile of their ``qrs_snr_db``. No noise model takes part: the
thresholds say "less clean than 99.5 % of these clean windows". The same records resampled to
125 Hz (``scipy.signal.resample_poly``) check that the thresholds read the same at another rate.

**What they mark (not used to choose).** With the whole detector, the same records with noise in two-minute bursts
(``benchmarks.qrs_bursts.noisy_record``, seed 1; the benchmark itself uses seed 0) at each SNR,
and with the electrode-motion part of that noise alone (drift, steps, spikes), which shares the
QRS band: the share of windows marked in the bursts and in the clean minutes, the detector's
false detections that fall in marked windows, and Se / +P over the readable windows.

Writes ``experiments/results/signal_quality.json``.

Usage::

    python -m experiments.signal_quality [--data-home ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly
from wfdb.processing import compare_annotations

from benchmarks._common import provenance
from benchmarks.qrs_bursts import bursts, electrode_motion, noisy_record
from benchmarks.qrs_noise import BEAT_SYMBOLS
from ecgbeat.datasets import MITBIH_DS1, read_annotations, read_lead
from ecgbeat.qrs import detect_r_peaks, pan_tompkins
from ecgbeat.quality import MAX_HF_RATIO, MIN_QRS_SNR_DB, window_quality

REPO = Path(__file__).resolve().parents[1]
SNRS_DB = (12, 6, 0, -6)
PERCENTILE = 99.5


def em_only(x: np.ndarray, fs: float, snr_db: float, rng: np.random.Generator):
    """``x`` with the electrode-motion noise alone at ``snr_db`` in the bursts."""
    spans = bursts(x.size, fs)
    noise = electrode_motion(x.size, fs, rng)
    noise *= np.sqrt(np.var(x) / 10 ** (snr_db / 10)) / noise.std()
    y = x.copy()
    for a, b in spans:
        y[a:b] += noise[a:b]
    return y, spans


def marks(y, fs, ref, spans) -> dict:
    """Counts of windows, beats and false detections, in the bursts and outside, marked or not."""
    r = detect_r_peaks(y, fs)
    quality = window_quality(y, fs, r)
    window_of = np.searchsorted(quality.stop, r, side="right")
    readable = quality.readable[window_of]
    cmp = compare_annotations(ref, r, window_width=round(0.150 * fs))
    true = np.zeros(r.size, dtype=bool)
    true[cmp.matched_test_inds[cmp.matched_test_inds >= 0]] = True
    in_burst = np.zeros(r.size, dtype=bool)
    window_in_burst = np.zeros(len(quality), dtype=bool)
    for a, b in spans:
        in_burst |= (r >= a) & (r < b)
        window_in_burst |= (quality.start < b) & (quality.stop > a)
    ref_in_burst = np.zeros(ref.size, dtype=bool)
    for a, b in spans:
        ref_in_burst |= (ref >= a) & (ref < b)
    out = {}
    for region, beats, windows, refs in (
        ("burst", in_burst, window_in_burst, ref_in_burst),
        ("clean", ~in_burst, ~window_in_burst, ~ref_in_burst),
    ):
        out[region] = {
            "windows": int(windows.sum()),
            "windows_marked": int((windows & ~quality.readable).sum()),
            "reference_beats": int(refs.sum()),
            "tp": int((beats & true).sum()),
            "fp": int((beats & ~true).sum()),
            "tp_readable": int((beats & true & readable).sum()),
            "fp_readable": int((beats & ~true & readable).sum()),
        }
    return out


def add(total: dict, counts: dict) -> None:
    for region, c in counts.items():
        for key, value in c.items():
            total.setdefault(region, {}).setdefault(key, 0)
            total[region][key] += value


def rates(total: dict) -> dict:
    out = {}
    for region, c in total.items():
        fp_marked = c["fp"] - c["fp_readable"]
        out[region] = {
            **c,
            "windows_marked_percent": round(100 * c["windows_marked"] / max(c["windows"], 1), 2),
            "fp_marked_percent": round(100 * fp_marked / max(c["fp"], 1), 1),
            "true_beats_marked_percent": round(
                100 * (c["tp"] - c["tp_readable"]) / max(c["tp"], 1), 2
            ),
            "ppv_percent": round(100 * c["tp"] / max(c["tp"] + c["fp"], 1), 2),
            "ppv_readable_percent": round(
                100 * c["tp_readable"] / max(c["tp_readable"] + c["fp_readable"], 1), 2
            ),
        }
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--records", nargs="+", default=sorted(MITBIH_DS1))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", default=str(REPO / "experiments/results/signal_quality.json"))
    args = parser.parse_args(argv)
    folder = Path(args.data_home) / "mitdb"
    hf, snr, hf_125, snr_125 = [], [], [], []
    noisy = {}
    for record in args.records:
        signal, fs, _, _ = read_lead(folder / record, ("MLII", "V5"), record)
        samples, symbols = read_annotations(folder / record, "atr", signal.size, record)
        ref = samples[np.isin(symbols, BEAT_SYMBOLS)]
        # The detector before its hold-back step, which reads these thresholds itself.
        clean = window_quality(signal, fs, pan_tompkins(signal, fs, hold_back_noise=False))
        hf.append(clean.hf_ratio)
        snr.append(clean.qrs_snr_db)
        low = resample_poly(signal, 25, 72)  # 360 Hz -> 125 Hz
        low_r = pan_tompkins(low, 125.0, hold_back_noise=False)
        low_quality = window_quality(low, 125.0, low_r)
        hf_125.append(low_quality.hf_ratio)
        snr_125.append(low_quality.qrs_snr_db)
        for snr_db in SNRS_DB:
            for kind, make in (("mix", noisy_record), ("electrode_motion", em_only)):
                rng = np.random.default_rng([args.seed, int(record), round(10 * snr_db) + 1000])
                y, spans = make(signal, fs, snr_db, rng)
                add(noisy.setdefault(kind, {}).setdefault(f"{snr_db:g} dB", {}), marks(
                    y, fs, ref, spans))  # fmt: skip
        print(record, "done", flush=True)
    hf, snr = np.concatenate(hf), np.concatenate(snr)
    hf_125, snr_125 = np.concatenate(hf_125), np.concatenate(snr_125)
    chosen = {
        "max_hf_ratio": round(float(np.percentile(hf, PERCENTILE)), 4),
        "min_qrs_snr_db": round(float(np.nanpercentile(snr, 100 - PERCENTILE)), 2),
    }

    def marked(h, s):
        with np.errstate(invalid="ignore"):
            bad = (h > MAX_HF_RATIO) | ~(s >= MIN_QRS_SNR_DB)
        return round(100 * float(bad.mean()), 2)

    output = {
        "experiment": "thresholds of ecgbeat.quality from clean DS1 windows, and what they mark "
        "in noise bursts",
        **provenance(__file__, argv),
        "records": args.records,
        "percentile": PERCENTILE,
        "chosen": chosen,
        "in_library": {"MAX_HF_RATIO": MAX_HF_RATIO, "MIN_QRS_SNR_DB": MIN_QRS_SNR_DB},
        "clean_windows": int(hf.size),
        "clean_windows_marked_percent": {
            "360 Hz": marked(hf, snr),
            "125 Hz": marked(hf_125, snr_125),
        },
        "noise": {
            "seed": args.seed,
            "mix": "benchmarks.qrs_bursts.noisy_record (baseline wander, muscle, electrode "
            "motion, equal power), in 2-minute bursts",
            "electrode_motion": "the electrode-motion part alone (drift, relaxing steps, spikes)",
        },
        "noisy": {kind: {s: rates(t) for s, t in by.items()} for kind, by in noisy.items()},
    }
    Path(args.output).write_text(json.dumps(output, indent=1) + "\n")
    return output


if __name__ == "__main__":
    main()
