"""Tests of the R-peak detectors."""

from __future__ import annotations

import numpy as np
import pytest

from ecgbeat.exceptions import SignalError
from ecgbeat.qrs import detect_r_peaks, pan_tompkins, threshold_peaks

BEAT_SYMBOLS = list("NLRBAaJSVrFejnE/fQ?")


def beat_match(reference: np.ndarray, detected: np.ndarray, tolerance: int) -> tuple[int, int]:
    """One-to-one matches within ``tolerance`` samples, greedy in time: (tp, n_detected)."""
    tp, j = 0, 0
    used = np.zeros(detected.size, dtype=bool)
    for ref in reference:
        while j < detected.size and detected[j] < ref - tolerance:
            j += 1
        k = j
        while k < detected.size and detected[k] <= ref + tolerance:
            if not used[k]:
                used[k] = True
                tp += 1
                break
            k += 1
    return tp, detected.size


@pytest.mark.parametrize(
    ("record", "min_se", "min_ppv"),
    [("100", 99.9, 99.9), ("105", 99.5, 98.5), ("208", 99.0, 99.5)],
)
def test_pan_tompkins_on_mitbih(mitdb_dir, record, min_se, min_ppv):
    wfdb = pytest.importorskip("wfdb")
    path = str(mitdb_dir / record)
    rec = wfdb.rdrecord(path, channels=[0])
    ann = wfdb.rdann(path, "atr")
    ref = ann.sample[np.isin(ann.symbol, BEAT_SYMBOLS)]
    det = pan_tompkins(rec.p_signal[:, 0], rec.fs)
    tp, n_det = beat_match(ref, det, round(0.150 * rec.fs))
    assert 100 * tp / ref.size >= min_se
    assert 100 * tp / n_det >= min_ppv


def test_pan_tompkins_rejects_t_waves():
    fs = 360
    t = np.arange(20 * fs) / fs
    r = np.arange(0.5, 19.5, 1.0)
    qrs = np.exp(-(((t[:, None] - r) / 0.012) ** 2)).sum(axis=1)
    t_wave = 0.4 * np.exp(-(((t[:, None] - r - 0.3) / 0.06) ** 2)).sum(axis=1)
    peaks = pan_tompkins(qrs + t_wave, fs)
    np.testing.assert_allclose(peaks / fs, r, atol=0.01)


def test_pan_tompkins_search_back_finds_small_beat():
    fs = 250
    t = np.arange(20 * fs) / fs
    r = np.arange(0.5, 19.5, 0.8)
    amp = np.ones(r.size)
    amp[12] = 0.45  # energy 0.2 of the others: under the threshold, over half of it
    ecg = (amp * np.exp(-(((t[:, None] - r) / 0.012) ** 2))).sum(axis=1)
    peaks = pan_tompkins(ecg, fs)
    assert peaks.size == r.size
    assert abs(peaks[12] / fs - r[12]) < 0.01


def test_threshold_rule_misses_small_beats():
    fs = 250
    ecg = np.zeros(10 * fs)
    ecg[[250, 500, 750, 1000]] = [1.0, 0.95, 0.5, 1.0]
    np.testing.assert_array_equal(threshold_peaks(ecg, fs), [250, 500, 1000])
    np.testing.assert_array_equal(detect_r_peaks(ecg, fs, method="threshold"), [250, 500, 1000])


def test_flat_and_short_signals_have_no_peaks():
    assert pan_tompkins(np.zeros(10 * 360), 360).size == 0
    assert pan_tompkins(np.zeros(10), 360).size == 0
    assert threshold_peaks(np.zeros(10 * 360), 360).size == 0


def test_unknown_detector():
    with pytest.raises(ValueError, match="unknown R-peak detector 'foo'"):
        detect_r_peaks(np.zeros(1000), 360, method="foo")


def test_low_sampling_rate_rejected():
    with pytest.raises(SignalError, match="at least 40 Hz"):
        pan_tompkins(np.zeros(1000), 20)
