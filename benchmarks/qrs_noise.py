"""How the default R-peak detector holds up when noise is added to the DS1 records.

Issue 19 asks that :func:`ecgbeat.qrs.detect_r_peaks` (Pan-Tompkins, the default) keep
sensitivity (Se) and positive predictivity (+P) at 99 % or more at 12 dB SNR and at 95 % or more
at 6 dB. This adds synthetic noise to lead MLII (V5 where a record has no MLII) of each DS1 record
at SNR = none (clean), 24, 18, 12, 6 and 0 dB, detects R peaks on the noisy lead and scores them
against the reference beat annotations (symbols ``NLRBAaJSVrFejnE/fQ?``): a detection within
150 ms is a true positive, one-to-one (``wfdb.processing.compare_annotations``); tp, fn and fp are
pooled over the records. DS1 only: what the detector is tuned on is a choice, and DS2 never guides
one. The false positives inside ventricular flutter episodes ("[" to "]", which have no beat
annotations; ANSI/AAMI EC57 leaves them out) are counted and +P is also given without them.

Noise model (numpy/scipy, one seeded generator per record, ``--seed`` 0 by default): the whole
record gets noise (no bursts), made of two parts, each scaled to unit variance and mixed with
**equal power** (each is half the noise power):

* baseline wander: four sinusoids with frequencies drawn uniformly in 0.05-0.5 Hz, amplitudes
  uniformly in 0.5-1 and phases uniformly in [0, 2 pi), plus a respiration-like sinusoid at a
  frequency drawn uniformly in 0.2-0.35 Hz with amplitude 1, its frequency slowly wobbling
  (±10 %, a 0.02 Hz sinusoid) as breathing does;
* muscle-like (EMG) noise: Gaussian white noise band-passed 20-150 Hz (4th-order Butterworth,
  zero phase; the upper edge at most 0.45 fs), amplitude-modulated by ``1 + 0.5 sin(2 pi f t +
  phi)`` with f drawn uniformly in 0.1-0.5 Hz (muscle tension waxing and waning), then brought
  back to unit variance.

The sum is scaled so that SNR = 10 log10(P_signal / P_noise), P_signal being the variance of the
clean lead over the record (its mean removed) and P_noise the variance of the noise. One noise
shape per record serves every SNR (only its scale changes), so the levels differ in noise power
alone.

Most of that noise lies outside the band the detector looks at (it band-passes 5-20 Hz, zero
phase, 2nd order): the wander lies below 0.5 Hz and the muscle noise above 20 Hz. So the script
also reports, per record, the SNR in that band (the clean lead and the noise each passed through
the detector's band-pass) less the nominal SNR, and repeats everything with a harder, *stress*
variant whose muscle noise is band-passed 5-150 Hz instead of 20-150 Hz (the wander unchanged),
so that it overlaps the QRS band; the issue's targets are judged on the specified model.

Writes ``benchmarks/results/qrs_noise.json``: for each noise model, pooled Se/+P per SNR and
per-record Se/+P at 12 and 6 dB.

Usage::

    python -m benchmarks.qrs_noise [--data-home ../shared/data] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfiltfilt
from wfdb.processing import compare_annotations

from benchmarks._common import provenance
from ecgbeat.datasets import (
    MITBIH_DS1,
    read_annotations,
    read_lead,
)
from ecgbeat.qrs import detect_r_peaks

REPO = Path(__file__).resolve().parents[1]

BEAT_SYMBOLS = list("NLRBAaJSVrFejnE/fQ?")
SNRS_DB = (None, 24, 18, 12, 6, 0)  # None: the clean record
PER_RECORD_SNRS_DB = (12, 6)
TARGETS = {12: 99.0, 6: 95.0}  # issue 19: Se and +P at least this, percent


def baseline_wander(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """Four random 0.05-0.5 Hz sinusoids plus a respiration-like 0.2-0.35 Hz one, unit variance."""
    t = np.arange(n) / fs
    freqs = rng.uniform(0.05, 0.5, 4)
    amps = rng.uniform(0.5, 1.0, 4)
    phases = rng.uniform(0, 2 * np.pi, 4)
    wander = (amps[:, None] * np.sin(2 * np.pi * freqs[:, None] * t + phases[:, None])).sum(0)
    # Respiration: its rate wobbles ±10 % over ~50 s; integrate the frequency to get the phase.
    f_resp = rng.uniform(0.2, 0.35) * (1 + 0.1 * np.sin(2 * np.pi * 0.02 * t + rng.uniform(0, 7)))
    wander += np.sin(2 * np.pi * np.cumsum(f_resp) / fs + rng.uniform(0, 2 * np.pi))
    wander -= wander.mean()
    return wander / wander.std()


def muscle_noise(n: int, fs: float, rng: np.random.Generator, low: float = 20.0) -> np.ndarray:
    """Gaussian white noise band-passed ``low``-150 Hz, slowly amplitude-modulated, unit variance."""
    sos = butter(4, [low, min(150.0, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    emg = sosfiltfilt(sos, rng.standard_normal(n))
    t = np.arange(n) / fs
    emg *= 1 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t + rng.uniform(0, 2 * np.pi))
    emg -= emg.mean()
    return emg / emg.std()


def unit_noise(n: int, fs: float, rng: np.random.Generator, low: float = 20.0) -> np.ndarray:
    """Baseline wander and muscle noise mixed with equal power, unit variance in all."""
    wander, muscle = baseline_wander(n, fs, rng), muscle_noise(n, fs, rng, low)
    noise = np.sqrt(0.5) * wander + np.sqrt(0.5) * muscle
    return noise / noise.std()


def in_band_gain_db(clean: np.ndarray, noise: np.ndarray, fs: float) -> float:
    """In-band SNR less nominal SNR, in the detector's 5-20 Hz zero-phase band-pass."""
    sos = butter(2, [5.0, min(20.0, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    signal_part = np.var(sosfiltfilt(sos, clean)) / np.var(clean)
    noise_part = np.var(sosfiltfilt(sos, noise)) / np.var(noise)
    return round(float(10 * np.log10(signal_part / noise_part)), 1)


def score(ref: np.ndarray, det: np.ndarray, fs: float, vfl: list[tuple[int, int]]) -> dict:
    """tp, fn, fp of the detections against the reference beats; fp inside flutter episodes."""
    cmp = compare_annotations(ref, det, window_width=round(0.150 * fs))
    fp = det[cmp.unmatched_test_inds]
    in_vfl = sum(int(((fp >= start) & (fp <= end)).sum()) for start, end in vfl)
    return {"tp": int(cmp.tp), "fn": int(cmp.fn), "fp": int(cmp.fp), "fp_in_vfl": in_vfl}


def rates(counts: dict) -> tuple[float, float]:
    """Se and +P in percent."""
    tp, fn, fp = counts["tp"], counts["fn"], counts["fp"]
    return round(100 * tp / max(tp + fn, 1), 3), round(100 * tp / max(tp + fp, 1), 3)


def label(snr: int | None) -> str:
    return "clean" if snr is None else f"{snr} dB"


MODELS = {"specified": 20.0, "stress_emg_5hz": 5.0}  # muscle noise's lower band edge, Hz


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    folder = Path(args.data_home) / "mitdb"
    pooled = {
        model: {label(snr): {"tp": 0, "fn": 0, "fp": 0, "fp_in_vfl": 0} for snr in SNRS_DB}
        for model in MODELS
    }
    per_record = {model: {label(snr): {} for snr in PER_RECORD_SNRS_DB} for model in MODELS}
    gains = {model: {} for model in MODELS}
    start = time.perf_counter()
    for record in MITBIH_DS1:
        signal, fs, lead, _ = read_lead(folder / record, ("MLII", "V5"), record)
        samples, symbols = read_annotations(folder / record, "atr", signal.size, record)
        ref = samples[np.isin(symbols, BEAT_SYMBOLS)]
        vfl = list(zip(samples[symbols == "["], samples[symbols == "]"], strict=True))
        clean = np.nan_to_num(signal, nan=float(np.nanmean(signal)))
        p_signal = float(np.var(clean))
        clean_counts = score(ref, detect_r_peaks(clean, fs), fs, vfl)
        for model, low in MODELS.items():
            rng = np.random.default_rng([args.seed, int(record)])
            noise = unit_noise(clean.size, fs, rng, low)
            gains[model][record] = in_band_gain_db(clean, noise, fs)
            line = [f"{model} {record} ({lead}, in-band +{gains[model][record]} dB)"]
            for snr in SNRS_DB:
                if snr is None:
                    counts = clean_counts
                else:
                    noisy = clean + np.sqrt(p_signal / 10 ** (snr / 10)) * noise
                    counts = score(ref, detect_r_peaks(noisy, fs), fs, vfl)
                for key, value in counts.items():
                    pooled[model][label(snr)][key] += value
                se, ppv = rates(counts)
                if snr in PER_RECORD_SNRS_DB:
                    per_record[model][label(snr)][record] = [se, ppv, counts["fn"], counts["fp"]]
                line.append(f"{label(snr)} {se:.2f}/{ppv:.2f}")
            print("  ".join(line), flush=True)
    results, targets = {}, {}
    for model in MODELS:
        results[model] = {}
        for name, counts in pooled[model].items():
            se, ppv = rates(counts)
            no_vfl = counts["tp"] + counts["fp"] - counts["fp_in_vfl"]
            results[model][name] = {
                **counts,
                "se_percent": se,
                "ppv_percent": ppv,
                "ppv_percent_excluding_vfl_episodes": round(100 * counts["tp"] / max(no_vfl, 1), 3),
            }
            print(
                f"{model} {name:>6}: Se {se:7.3f} %  +P {ppv:7.3f} %  "
                f"FN {counts['fn']}  FP {counts['fp']}"
            )
        targets[model] = {
            label(snr): {
                "required_percent": need,
                "met": results[model][label(snr)]["se_percent"] >= need
                and results[model][label(snr)]["ppv_percent"] >= need,
            }
            for snr, need in TARGETS.items()
        }
    print("targets:", targets, f"({time.perf_counter() - start:.0f} s)")
    output = {
        "benchmark": (
            "default R-peak detector (Pan-Tompkins) on DS1 records, lead MLII (V5 where absent), "
            "with added baseline wander + muscle-like noise at each SNR; Se/+P pooled over records"
        ),
        **provenance(__file__, argv),
        "records": list(MITBIH_DS1),
        "matching": "one-to-one within 150 ms (wfdb.processing.compare_annotations); references: "
        "beat symbols " + "".join(BEAT_SYMBOLS),
        "noise": {
            "seed": args.seed,
            "snr": "10 log10(P_signal / P_noise), P_signal = variance of the clean lead over the "
            "record (mean removed); noise added to the whole record",
            "mix": "baseline wander and muscle noise, each unit variance, equal power (1:1)",
            "baseline_wander": "4 sinusoids, f ~ U(0.05, 0.5) Hz, amplitude ~ U(0.5, 1), random "
            "phase; plus respiration, f ~ U(0.2, 0.35) Hz wobbling ±10 % at 0.02 Hz, amplitude 1",
            "muscle": "white Gaussian noise, 4th-order Butterworth band-pass 20-150 Hz (zero "
            "phase), amplitude-modulated by 1 + 0.5 sin(2 pi f t + phi), f ~ U(0.1, 0.5) Hz",
            "models": "specified: as above (the issue's targets are judged on it); "
            "stress_emg_5hz: the muscle noise band-passed 5-150 Hz instead, overlapping the "
            "detector's 5-20 Hz band",
        },
        "in_band_snr_gain_db": {
            "what": "SNR after the detector's 5-20 Hz band-pass less the nominal SNR, per record",
            **{model: gains[model] for model in MODELS},
        },
        "targets": targets,
        "pooled": results,
        "per_record_columns": ["se_percent", "ppv_percent", "fn", "fp"],
        "per_record": per_record,
    }
    text = json.dumps(output, indent=1)
    # One line per record: [se, ppv, fn, fp].
    text = re.sub(r"\[\s+([-\d.]+),\s+([-\d.]+),\s+(\d+),\s+(\d+)\s+\]", r"[\1, \2, \3, \4]", text)
    path = REPO / "benchmarks" / "results" / "qrs_noise.json"
    path.write_text(text + "\n")
    return output


if __name__ == "__main__":
    main()
