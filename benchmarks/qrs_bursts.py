"""R-peak detectors on ECG with noise in bursts, scored in the noisy and in the quiet minutes.

As in the MIT-BIH Noise Stress Test Database's protocol (Moody, Muldrow & Mark 1984), noise is
added in two-minute bursts from minute 5 on, alternating with two clean minutes (bursts at
5-7, 9-11, 13-15, ... minutes), to each DS1 record (lead MLII, V5 where absent), at each SNR in
``--snrs`` (dB; the signal power is the variance of the clean lead over the record, the noise is
scaled to it). The noise is generated here (``noise``, documented in the results file), a mix of
equal power of

* baseline wander and muscle-like broadband noise (``qrs_noise.unit_noise``: random 0.05-0.5 Hz
  sinusoids plus respiration; white noise band-passed 20-150 Hz, slowly amplitude-modulated);
* electrode-motion-like noise: a random walk low-passed at 2 Hz (slow electrode drift), steps
  (the baseline jumps, 0.5 per second, then relaxes with a 0.3 s time constant, as a disturbed
  electrode does) and spikes (Gaussian pulses 20-60 ms wide, 1 per second, random sign): the
  part that looks most like QRS complexes.

Each detector is scored beat by beat (one-to-one within 150 ms, ``wfdb``'s
``compare_annotations``) inside the bursts (``noisy``) and in the quiet minutes that follow a
burst (``quiet_after``), pooled over the records. Detectors: ecgbeat's default
(``ecgbeat.qrs.detect_r_peaks``), wfdb's ``xqrs_detect``, and NeuroKit2's ``ecg_peaks`` methods
(``--nk-methods``; skipped with a note when NeuroKit2 is not installed: ``pip install
neurokit2``), all in the same run on the same noisy signals. Time per detector is the total over
the run. Writes ``benchmarks/results/qrs_bursts.json``.

Usage::

    python -m benchmarks.qrs_bursts [--records 100 101 ...] [--snrs 24 18 12 6 0 -6]
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfiltfilt
from wfdb.processing import compare_annotations

from benchmarks._common import provenance
from benchmarks.qrs_noise import BEAT_SYMBOLS, unit_noise
from ecgbeat.datasets import MITBIH_DS1, read_annotations, read_lead
from ecgbeat.qrs import detect_r_peaks

REPO = Path(__file__).resolve().parents[1]

SNRS_DB = (24, 18, 12, 6, 0, -6)
NK_METHODS = ("neurokit", "pantompkins1985", "hamilton2002", "elgendi2010", "kalidas2017",
              "rodrigues2021")  # fmt: skip
BURST_SECONDS, FIRST_BURST_SECONDS = 120.0, 300.0


def electrode_motion(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """Drift, relaxing steps and spikes (see the module docstring), unit variance."""
    drift = sosfiltfilt(butter(2, 2.0, fs=fs, output="sos"), np.cumsum(rng.standard_normal(n)))
    drift -= drift.mean()
    drift /= drift.std() or 1.0
    jumps = np.zeros(n)
    at = np.flatnonzero(rng.random(n) < 0.5 / fs)
    jumps[at] = rng.normal(0, 1, at.size)
    # Each step relaxes exponentially (time constant 0.3 s): the electrode settles again.
    kernel = np.exp(-np.arange(round(2 * fs)) / (0.3 * fs))
    steps = np.convolve(jumps, kernel)[:n]
    spikes = np.zeros(n)
    for centre in np.flatnonzero(rng.random(n) < 1.0 / fs):
        width = rng.uniform(0.02, 0.06) / 2.355 * fs  # FWHM to standard deviation, samples
        half = int(4 * width) + 1
        idx = np.arange(max(0, centre - half), min(n, centre + half))
        spikes[idx] += rng.choice([-1, 1]) * np.exp(-0.5 * ((idx - centre) / width) ** 2)
    parts = [p / (p.std() or 1.0) for p in (drift, steps, spikes)]
    noise = sum(parts)
    noise -= noise.mean()
    return noise / noise.std()


def bursts(n: int, fs: float) -> list[tuple[int, int]]:
    """Sample ranges of the bursts: two minutes on, two off, from minute 5."""
    spans, start = [], FIRST_BURST_SECONDS
    while (start + BURST_SECONDS) * fs <= n:
        spans.append((round(start * fs), round((start + BURST_SECONDS) * fs)))
        start += 2 * BURST_SECONDS
    return spans


def noisy_record(x: np.ndarray, fs: float, snr_db: float, rng: np.random.Generator):
    """``x`` with noise at ``snr_db`` in the bursts, and the bursts."""
    spans = bursts(x.size, fs)
    noise = np.sqrt(0.5) * unit_noise(x.size, fs, rng) + np.sqrt(0.5) * electrode_motion(
        x.size, fs, rng
    )
    noise *= np.sqrt(np.var(x) / 10 ** (snr_db / 10)) / noise.std()
    y = x.copy()
    for a, b in spans:
        y[a:b] += noise[a:b]
    return y, spans


def detectors(nk_methods) -> dict:
    """Name -> function(signal, fs) -> R-peak sample indices."""
    import wfdb.processing

    found = {
        "ecgbeat": lambda x, fs: detect_r_peaks(x, fs),
        "wfdb_xqrs": lambda x, fs: wfdb.processing.xqrs_detect(x, fs=fs, verbose=False),
    }
    try:
        import neurokit2 as nk
    except ImportError:
        return found
    for method in nk_methods:

        def run(x, fs, method=method):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, info = nk.ecg_peaks(nk.ecg_clean(x, sampling_rate=fs), sampling_rate=fs,
                                       method=method)  # fmt: skip
            return np.asarray(info["ECG_R_Peaks"], dtype=np.int64)

        found[f"neurokit2_{method}"] = run
    return found


def counts(ref: np.ndarray, det: np.ndarray, fs: float, spans) -> dict:
    """tp, fn, fp inside the bursts and in the quiet stretches right after them."""
    out = {}
    quiet = [
        (b, a_next) for (_, b), (a_next, _) in zip(spans, [*spans[1:], (None, None)], strict=True)
    ]
    regions = {"noisy": spans, "quiet_after": quiet}
    for region, ranges in regions.items():
        tp = fn = fp = 0
        for a, b in ranges:
            b = b if b is not None else round(a + BURST_SECONDS * fs)
            r, d = ref[(ref >= a) & (ref < b)], det[(det >= a) & (det < b)]
            cmp = compare_annotations(r, d, window_width=round(0.150 * fs))
            tp, fn, fp = tp + cmp.tp, fn + cmp.fn, fp + cmp.fp
        out[region] = {"tp": int(tp), "fn": int(fn), "fp": int(fp)}
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--records", nargs="+", default=sorted(MITBIH_DS1))
    parser.add_argument("--snrs", nargs="+", type=float, default=list(SNRS_DB))
    parser.add_argument("--nk-methods", nargs="*", default=list(NK_METHODS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(REPO / "benchmarks/results/qrs_bursts.json"))
    args = parser.parse_args(argv)
    folder = Path(args.data_home) / "mitdb"
    runs = detectors(args.nk_methods)
    totals = {name: {} for name in runs}
    seconds = dict.fromkeys(runs, 0.0)
    for record in args.records:
        signal, fs, _, _ = read_lead(folder / record, ("MLII", "V5"), record)
        samples, symbols = read_annotations(folder / record, "atr", signal.size, record)
        ref = samples[np.isin(symbols, BEAT_SYMBOLS)]
        for snr in args.snrs:
            rng = np.random.default_rng([args.seed, int(record), round(10 * snr) + 1000])
            noisy, spans = noisy_record(signal, fs, snr, rng)
            for name, detect in runs.items():
                start = time.perf_counter()
                try:
                    det = np.asarray(detect(noisy, fs), dtype=np.int64)
                except Exception as exc:  # a peer that fails on a record scores no detection
                    print(f"{name} failed on {record} at {snr} dB: {exc!r}", flush=True)
                    det = np.zeros(0, dtype=np.int64)
                seconds[name] += time.perf_counter() - start
                for region, c in counts(ref, det, fs, spans).items():
                    pooled = (
                        totals[name]
                        .setdefault(f"{snr:g} dB", {})
                        .setdefault(region, {"tp": 0, "fn": 0, "fp": 0})
                    )
                    for key in c:
                        pooled[key] += c[key]
        print(record, "done", flush=True)
    results = {}
    for name, by_snr in totals.items():
        results[name] = {"seconds": round(seconds[name], 1)}
        for snr, regions in by_snr.items():
            results[name][snr] = {
                region: {
                    **c,
                    "se_percent": round(100 * c["tp"] / max(c["tp"] + c["fn"], 1), 2),
                    "ppv_percent": round(100 * c["tp"] / max(c["tp"] + c["fp"], 1), 2),
                }
                for region, c in regions.items()
            }
    output = {
        "benchmark": "R-peak detectors with noise in 2-minute bursts (NSTDB protocol), scored "
        "inside the bursts and in the quiet minutes after them, pooled over records",
        **provenance(__file__, argv),
        "records": args.records,
        "snrs_db": args.snrs,
        "noise": {
            "seed": args.seed,
            "bursts": "2 min of noise from minute 5, then 2 min clean, alternating",
            "snr": "10 log10(P_signal / P_noise), P_signal = variance of the clean lead over the "
            "record",
            "mix": "equal power: qrs_noise.unit_noise (baseline wander + muscle 20-150 Hz) and "
            "electrode motion (2 Hz low-passed random walk, steps 0.5/s relaxing with 0.3 s, "
            "spikes 1/s of 20-60 ms, each part unit variance)",
        },
        "matching": "one-to-one within 150 ms (wfdb.processing.compare_annotations)",
        "neurokit2": _version("neurokit2"),
        "wfdb": _version("wfdb"),
        "results": results,
    }
    Path(args.output).write_text(json.dumps(output, indent=1) + "\n")
    return output


def _version(package: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(package)
    except Exception:
        return None


if __name__ == "__main__":
    main()
