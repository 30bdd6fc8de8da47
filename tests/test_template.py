"""Template features (ecgbeat.template): each beat against its recording's median beat, by hand
and on real records, and the rows that loaders and ``classify_record`` build with them."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FAST_PARAMS

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.beats import cut_beats, feature_rows
from ecgbeat.records import beat_cutting
from ecgbeat.rhythm import N_RR_FEATURES
from ecgbeat.template import (
    N_TEMPLATE_FEATURES,
    TEMPLATE_FEATURE_NAMES,
    compare_with_template,
    template_features,
)

N_FEATURES = N_RR_FEATURES + N_TEMPLATE_FEATURES

# ------------------------------------------------------------------ the features, by hand


def _shapes(n_usual: int = 4):
    t = np.arange(187) / 125
    usual = np.exp(-(((t - 0.05) / 0.02) ** 2)) + 0.3 * np.exp(-(((t - 0.35) / 0.08) ** 2))
    odd = np.exp(-(((t - 0.09) / 0.05) ** 2))
    return np.vstack([np.tile(usual, (n_usual, 1)), odd]), usual, odd


def test_each_beat_against_the_median_beat():
    beats, usual, odd = _shapes()
    f = template_features(beats)
    assert f.shape == (5, N_TEMPLATE_FEATURES) and f.dtype == np.float32
    assert len(TEMPLATE_FEATURE_NAMES) == N_TEMPLATE_FEATURES
    # Four of five beats are the usual one: the median beat is that beat.
    np.testing.assert_allclose(f[:4], [[1, 1, 0]] * 4, atol=1e-6)
    # The odd one, by hand: 0.4 s and 0.75 s at 125 Hz are 50 and 94 samples.
    assert f[4, 0] == pytest.approx(np.corrcoef(odd[:50], usual[:50])[0, 1], abs=1e-6)
    assert f[4, 1] == pytest.approx(np.corrcoef(odd[:94], usual[:94])[0, 1], abs=1e-6)
    assert f[4, 2] == pytest.approx(np.sqrt(np.mean((odd[:50] - usual[:50]) ** 2)), abs=1e-6)
    assert f[4, 0] < 0.9 and f[4, 2] > 0.1


def test_each_recording_has_its_own_median_beat():
    beats, _, odd = _shapes(n_usual=2)
    two = np.vstack([beats[:2], np.tile(odd, (3, 1))])  # record a: usual x2; record b: odd x3
    f = template_features(two, groups=["a", "a", "b", "b", "b"])
    np.testing.assert_allclose(f, [[1, 1, 0]] * 5, atol=1e-6)
    # Pooled into one recording, the usual beats are the odd ones out.
    assert template_features(two)[:2, 0].max() < 0.9


def test_the_window_follows_the_sampling_rate():
    beats, *_ = _shapes()
    at_250 = np.repeat(beats, 2, axis=1)  # the same beats at twice the rate
    np.testing.assert_allclose(
        template_features(at_250, fs=250), template_features(beats), atol=2e-3
    )


def test_a_flat_beat_has_no_correlation_rather_than_nan():
    beats = np.vstack([np.zeros(187), np.hanning(187), np.hanning(187)])
    f = template_features(beats)
    assert np.isfinite(f).all() and f[0, 0] == 0.0 and f[0, 2] > 0


def test_flat_beats_against_a_flat_template_have_no_correlation():
    # A flat line's mean is off its value by a rounding error: two flat lines of 0.3 were
    # correlated 1.0 (or -1.0), where the columns promise 0 for a flat beat or template.
    flat = np.full((3, 187), 0.3)
    assert template_features(flat)[:, :2].tolist() == [[0.0, 0.0]] * 3
    assert compare_with_template(flat, np.full(187, 0.3))[:, :2].tolist() == [[0.0, 0.0]] * 3
    assert (
        compare_with_template(np.tile(np.hanning(187), (2, 1)), np.full(187, 0.3))[:, :2].tolist()
        == [[0.0, 0.0]] * 2
    )


@pytest.mark.parametrize(
    "beats, kwargs, message",
    [
        (np.zeros(187), {}, "2-D"),
        (np.full((2, 187), np.nan), {}, "NaN"),
        # Complex samples lost their imaginary part in the cast, with a mere warning.
        (np.ones((2, 187), complex), {}, r"beats must be finite real numbers.*complex128"),
        (np.zeros((2, 187)), {"groups": [1]}, "one entry per beat"),
        (np.zeros((2, 187)), {"fs": 0}, "fs must be"),
        (np.zeros((2, 187)), {"fs": 1.0}, "fewer than 2 samples in the 0.4 s"),  # was NaN
        (np.zeros((2, 60)), {}, "shorter than the 0.75 s"),
        # A gap in a recording column: NumPy's sort failed ("'<' not supported between ...").
        (np.zeros((2, 187)), {"groups": ["a", None]}, "all numbers or all text.*NoneType, str"),
        # Every NaN was one recording: beats of unknown recordings shared a median beat.
        (np.zeros((2, 187)), {"groups": [1.0, np.nan]}, "name a recording for every beat; 1 "),
    ],
)
def test_bad_input_is_named(beats, kwargs, message):
    with pytest.raises(ValueError, match=message):
        template_features(beats, **kwargs)


def test_a_template_kept_by_the_caller_gives_the_same_columns():
    beats, usual, odd = _shapes()
    median = np.median(beats, axis=0)
    np.testing.assert_array_equal(compare_with_template(beats, median), template_features(beats))
    # Against another template: the usual beat now stands out, the odd one matches.
    f = compare_with_template(beats, odd, fs=125)
    assert f.shape == (5, N_TEMPLATE_FEATURES) and f.dtype == np.float32
    np.testing.assert_allclose(f[4], [1, 1, 0], atol=1e-6)
    assert f[0, 0] == pytest.approx(np.corrcoef(usual[:50], odd[:50])[0, 1], abs=1e-6)
    # Only the compared 0.75 s (94 samples) of the template are read.
    np.testing.assert_array_equal(
        compare_with_template(beats, median[:94]), template_features(beats)
    )


@pytest.mark.parametrize(
    "beats, template, message",
    [
        (np.zeros(187), np.zeros(187), "beats must be a 2-D"),
        (np.zeros((2, 187)), np.zeros((1, 187)), "template must be a 1-D"),
        (np.zeros((2, 187)), np.full(187, np.inf), "template must be finite"),
        (np.zeros((2, 187)), np.ones(187, complex), "template must be finite real"),
        (np.zeros((2, 187)), np.zeros(60), "template of 60 samples is shorter"),
        (np.zeros((2, 60)), np.zeros(187), "beats of 60 samples are shorter"),
    ],
)
def test_bad_template_input_is_named(beats, template, message):
    with pytest.raises(ValueError, match=message):
        compare_with_template(beats, template)


def test_feature_rows_lay_out_beat_rhythm_template():
    beats, *_ = _shapes()
    rr = np.arange(5 * N_RR_FEATURES, dtype=np.float32).reshape(5, N_RR_FEATURES)
    assert feature_rows(beats, rr).shape == (5, 187)
    rows = feature_rows(beats, rr, rhythm=True, template=True)
    np.testing.assert_array_equal(rows[:, 187 : 187 + N_RR_FEATURES], rr)
    expected = template_features(beats)
    np.testing.assert_allclose(rows[:, -N_TEMPLATE_FEATURES:], expected, atol=1e-6)
    with pytest.raises(ValueError, match="pass rhythm=True too"):
        feature_rows(beats, rr, template=True)
    with pytest.raises(ValueError, match="rr has 4 rows for 5 beats"):
        feature_rows(beats, rr[:4], rhythm=True)
    # Another width made rows of another layout, without a word.
    for bad in (rr[:, :5], rr[:, 0]):
        with pytest.raises(ValueError, match="rr must have the 7 columns of rr_features"):
            feature_rows(beats, bad, rhythm=True, template=True)


def test_feature_rows_refuse_beats_that_are_no_table_and_rr_that_is_no_rows():
    # One beat as a 1-D array was taken for 187 beats of one sample ("rr has 7 rows for 187
    # beats"), or without rhythm came back as a 1-D row; rr=None raised a TypeError.
    beats, *_ = _shapes()
    rr = np.zeros((5, N_RR_FEATURES), np.float32)
    with pytest.raises(ValueError, match=r"beats must be 2-D.*got shape \(187,\)"):
        feature_rows(beats[0], rr[0], rhythm=True)
    with pytest.raises(ValueError, match=r"beats must be 2-D.*got shape \(187,\)"):
        feature_rows(beats[0], np.zeros(187))
    with pytest.raises(ValueError, match=r"rr has no rows \(shape \(\)\) for 5 beats"):
        feature_rows(beats, None)


@pytest.mark.parametrize("flag", ["rhythm", "template", "zscores"])
@pytest.mark.parametrize("value", ["no", "False", 1, None])
def test_feature_rows_refuse_a_layout_flag_that_is_not_a_bool(flag, value):
    # Text is truthy: rhythm="no" appended the R-R columns without a word.
    from ecgbeat.beats import check_feature_layout

    beats, rr = np.ones((5, 187)), np.ones((5, N_RR_FEATURES))
    flags = {"rhythm": True, "template": True, "zscores": False, flag: value}
    with pytest.raises(ValueError, match=rf"^{flag} must be True or False, got {value!r}$"):
        feature_rows(beats, rr, **flags)
    with pytest.raises(ValueError, match=rf"^{flag} must be True or False"):
        check_feature_layout(**flags)
    assert feature_rows(beats, rr, rhythm=np.True_).shape == (5, 194)


@pytest.mark.parametrize(
    "what, dtype", [("beats", complex), ("beats", str), ("beats", bool), ("rr", complex)]
)
def test_feature_rows_refuse_values_that_are_not_real_numbers(what, dtype):
    # The cast to float32 read text ("0.5") and bools as numbers and dropped the imaginary part
    # of complex values with a mere warning: rows of another meaning, without an error.
    given = {"beats": np.ones((5, 187)), "rr": np.ones((5, N_RR_FEATURES))}
    given[what] = given[what].astype(dtype)
    with pytest.raises(ValueError, match=rf"{what} must be real numbers, got dtype"):
        feature_rows(given["beats"], given["rr"], rhythm=True)
    assert feature_rows(np.ones((5, 187), np.int16), np.ones((5, 7)), rhythm=True).shape == (5, 194)


def test_beat_cutting_reads_the_layout_from_n_rr_features():
    assert beat_cutting(HeartbeatCNNClassifier(n_rr_features=N_RR_FEATURES))["template"] is False
    cut = beat_cutting(HeartbeatCNNClassifier(n_rr_features=N_FEATURES))
    assert cut["rhythm"] is True and cut["template"] is True
    with pytest.raises(ValueError, match="reads 8 feature columns"):
        beat_cutting(HeartbeatCNNClassifier(n_rr_features=8))


# ------------------------------------------------------------------ real records


def _load(mitdb_dir, **kwargs):
    from ecgbeat.datasets import fetch_mitbih

    return fetch_mitbih(mitdb_dir.parent, cache=False, download_if_missing=False, **kwargs)


def test_ventricular_beats_of_record_208_stand_out_from_its_median_beat(mitdb_dir):
    pytest.importorskip("wfdb")
    bunch = _load(mitdb_dir, records=["208"], rhythm=True, template=True)
    assert bunch.data.shape[1] == 187 + N_FEATURES
    f = bunch.data[:, -N_TEMPLATE_FEATURES:]
    normal, ventricular = f[bunch.target == 0], f[bunch.target == 2]
    assert len(ventricular) > 900  # 208 has about 990 PVCs
    # Nine in ten PVCs correlate less with the record's median beat than nine in ten N beats.
    assert np.percentile(ventricular[:, 0], 90) < np.percentile(normal[:, 0], 10)
    assert np.median(ventricular[:, 2]) > 2 * np.median(normal[:, 2])


def test_the_loader_compares_with_every_beat_cut_from_the_record(mitdb_dir):
    pytest.importorskip("wfdb")
    from ecgbeat.datasets import AAMI_SYMBOLS, read_annotations, read_lead

    bunch = _load(mitdb_dir, records=["208"], rhythm=True, template=True, refine_radius=0.12)
    signal, fs, _, _ = read_lead(mitdb_dir / "208", ("MLII", "V5"), "208")
    samples, symbols = read_annotations(mitdb_dir / "208", "atr", signal.size, "208")
    # Record 208's beat annotations are all AAMI beats: the loader keeps every beat it cuts.
    assert np.isin(symbols, list(AAMI_SYMBOLS)).sum() == len(bunch.target) + 1
    segments, _ = cut_beats(
        signal, fs, samples[np.isin(symbols, list(AAMI_SYMBOLS))], refine_radius=0.12
    )
    expected = template_features(segments.beats)
    np.testing.assert_allclose(bunch.data[:, -N_TEMPLATE_FEATURES:], expected, atol=1e-6)
    with pytest.raises(ValueError, match="pass rhythm=True too"):
        _load(mitdb_dir, records=["208"], template=True)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # one epoch
def test_classify_record_feeds_the_template_of_the_record(mitdb_dir):
    pytest.importorskip("wfdb")
    from ecgbeat.records import classify_record

    bunch = _load(mitdb_dir, records=["100"], rhythm=True, template=True)
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}, n_rr_features=N_FEATURES)
    clf.fit(bunch.data[:300], bunch.target[:300])
    table = classify_record(mitdb_dir / "100", clf, annotations="atr")
    # The annotated path gives the rows fetch_mitbih gives (all beat symbols are AAMI in 100).
    np.testing.assert_allclose(table.proba, clf.predict_proba(bunch.data), atol=1e-6)


def test_ptb_rows_carry_the_template_too(ptbdb_dir):
    pytest.importorskip("wfdb")
    from ecgbeat.datasets import fetch_ptbdb

    kwargs = dict(records=["s0010_re"], cache=False, download_if_missing=False, return_X_y=True)
    plain, _ = fetch_ptbdb(ptbdb_dir.parent, **kwargs)
    X, _ = fetch_ptbdb(ptbdb_dir.parent, rhythm=True, template=True, **kwargs)
    assert X.shape == (len(plain), plain.shape[1] + N_FEATURES)
    np.testing.assert_allclose(X[:, -N_TEMPLATE_FEATURES:], template_features(plain), atol=1e-6)
    with_z, _ = fetch_ptbdb(ptbdb_dir.parent, rhythm=True, template=True, zscores=True, **kwargs)
    np.testing.assert_array_equal(with_z[:, : X.shape[1]], X)
    assert with_z.shape[1] == X.shape[1] + 2 and np.abs(with_z[:, -2:]).max() > 0


# ------------------------------------------------------------------ the R-R z-scores after them


def test_zscores_follow_the_template_columns():
    from ecgbeat.rhythm import N_RR_ZSCORES, rr_zscores

    beats, *_ = _shapes()
    rr = np.abs(np.random.default_rng(0).normal(1, 0.2, (5, N_RR_FEATURES))).astype(np.float32)
    rows = feature_rows(beats, rr, rhythm=True, template=True, zscores=True)
    assert rows.shape == (5, 187 + N_FEATURES + N_RR_ZSCORES)
    np.testing.assert_array_equal(
        rows[:, : 187 + N_FEATURES], feature_rows(beats, rr, rhythm=True, template=True)
    )
    np.testing.assert_allclose(rows[:, -N_RR_ZSCORES:], rr_zscores(rr), atol=1e-6)
    with pytest.raises(ValueError, match="pass rhythm=True and template=True too"):
        feature_rows(beats, rr, rhythm=True, zscores=True)
    cut = beat_cutting(HeartbeatCNNClassifier(n_rr_features=N_FEATURES + N_RR_ZSCORES))
    assert cut["rhythm"] and cut["template"] and cut["zscores"]
    assert beat_cutting(HeartbeatCNNClassifier(n_rr_features=N_FEATURES))["zscores"] is False
    with pytest.raises(ValueError, match="or 12 \\(those and the R-R z-scores"):
        beat_cutting(HeartbeatCNNClassifier(n_rr_features=11))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # one epoch
def test_loader_and_classify_record_give_the_zscores_of_the_record(mitdb_dir):
    pytest.importorskip("wfdb")
    from ecgbeat.records import classify_record
    from ecgbeat.rhythm import N_RR_ZSCORES, rr_features

    bunch = _load(mitdb_dir, records=["119"], rhythm=True, template=True, zscores=True)
    assert bunch.data.shape[1] == 187 + N_FEATURES + N_RR_ZSCORES
    # By hand: every interval of the record (its annotated beats are all AAMI beats).
    intervals = np.diff(np.r_[bunch.r_peaks, _last_beat(mitdb_dir, "119")]) / 360
    mean, std = intervals.mean(), intervals.std()
    pre = np.r_[mean, intervals[:-1]]
    np.testing.assert_allclose(bunch.data[:, -2], (pre - mean) / std, atol=1e-4)
    np.testing.assert_allclose(bunch.data[:, -1], (intervals - mean) / std, atol=1e-4)
    np.testing.assert_allclose(
        bunch.rr_features,
        rr_features(np.r_[bunch.r_peaks, _last_beat(mitdb_dir, "119")], 360)[:-1],
        atol=1e-6,
    )
    assert bunch.data[bunch.target == 2, -2].mean() < -1  # 119's PVCs come early
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}, n_rr_features=N_FEATURES + 2)
    clf.fit(bunch.data[:300], bunch.target[:300])
    table = classify_record(mitdb_dir / "119", clf, annotations="atr")
    np.testing.assert_allclose(table.proba, clf.predict_proba(bunch.data), atol=1e-6)


def _last_beat(mitdb_dir, record):
    from ecgbeat.datasets import AAMI_SYMBOLS, read_annotations

    samples, symbols = read_annotations(mitdb_dir / record, "atr", 650000, record)
    return samples[np.isin(symbols, list(AAMI_SYMBOLS))][-1]
