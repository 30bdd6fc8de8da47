"""Tests of fetch_mitbih and load_sample on the real MIT-BIH Arrhythmia Database."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from ecgbeat.datasets import (
    AAMI_CLASSES,
    AAMI_SYMBOLS,
    MITBIH_DS1,
    MITBIH_DS2,
    MITBIH_PACED,
    MITBIH_RECORDS,
    MITBIH_SAME_PATIENT,
    RANDOM_SPLIT_SEED,
    _mitbih,
    fetch_mitbih,
    load_sample,
    mitbih_patients,
)
from ecgbeat.exceptions import DataFormatError, SignalError

wfdb = pytest.importorskip("wfdb")

KAGGLE_COUNTS = {"N": 90589, "S": 2779, "V": 7236, "F": 803, "Q": 8039}


def annotated_classes(mitdb_dir, record: str) -> Counter:
    """AAMI class counts straight from the annotation file, less the last beat (see beats.py)."""
    ann = wfdb.rdann(str(mitdb_dir / record), "atr")
    symbols = [s for s in ann.symbol if s in AAMI_SYMBOLS][:-1]
    return Counter(AAMI_CLASSES[AAMI_SYMBOLS[s]] for s in symbols)


def copy_records(source, target, records, *, sums: bool = True):
    """Writable copy of some records (and their SHA256SUMS lines) in ``target/mitdb``."""
    folder = target / "mitdb"
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        for ext in ("hea", "dat", "atr"):
            shutil.copyfile(source / f"{record}.{ext}", folder / f"{record}.{ext}")
    if sums:
        lines = (source / "SHA256SUMS.txt").read_text().splitlines()
        keep = [line for line in lines if line.split()[-1].split(".")[0] in records]
        (folder / "SHA256SUMS.txt").write_text("\n".join(keep) + "\n")
    return folder


@pytest.fixture(scope="module")
def three_records(mitdb_dir):
    return fetch_mitbih(
        mitdb_dir.parent, records=["100", "114", "208"], cache=False, download_if_missing=False
    )


@pytest.fixture(scope="module")
def full_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def full_build(mitdb_dir, full_cache):
    return fetch_mitbih(mitdb_dir.parent, cache=full_cache, download_if_missing=False)


@pytest.fixture(scope="module")
def random_test(mitdb_dir, full_build, full_cache):
    """The test part of the random split, from the beats that full_build cached."""
    return fetch_mitbih(
        mitdb_dir.parent, split="random", subset="test", cache=full_cache, download_if_missing=False
    )


def test_record_counts_match_annotations(mitdb_dir, three_records):
    b = three_records
    assert set(b) >= {"data", "target", "target_names", "DESCR", "groups", "r_peaks", "symbol"}
    assert b.target_names == ["N", "S", "V", "F", "Q"]
    assert b.data.dtype == np.float32 and b.data.shape[1] == 187
    assert 0 <= b.data.min() and b.data.max() <= 1
    assert (b.groups == "100").sum() == 2272  # 2273 annotated beats, the last one dropped
    for record in ("100", "114", "208"):
        got = Counter(AAMI_CLASSES[t] for t in b.target[b.groups == record])
        assert got == annotated_classes(mitdb_dir, record)
    # Record 208 is known for its many PVCs and fusion beats.
    assert Counter(b.target[b.groups == "208"].tolist())[2] == 992
    assert b.lead == {"100": "MLII", "114": "MLII", "208": "MLII"}
    assert "Moody GB, Mark RG" in b.DESCR and "Attribution License v1.0" in b.DESCR


def test_r_peaks_are_the_reference_annotations(mitdb_dir, three_records):
    ann = wfdb.rdann(str(mitdb_dir / "100"), "atr")
    beats = ann.sample[np.isin(ann.symbol, list(AAMI_SYMBOLS))]
    np.testing.assert_array_equal(three_records.r_peaks[three_records.groups == "100"], beats[:-1])


def test_return_X_y(mitdb_dir, three_records):
    X, y = fetch_mitbih(
        mitdb_dir.parent, records=["100"], cache=False, download_if_missing=False, return_X_y=True
    )
    np.testing.assert_array_equal(X, three_records.data[three_records.groups == "100"])
    np.testing.assert_array_equal(y, three_records.target[three_records.groups == "100"])


def test_split_constants():
    assert len(MITBIH_DS1) == len(MITBIH_DS2) == 22
    assert not set(MITBIH_DS1) & set(MITBIH_DS2)
    assert set(MITBIH_DS1) | set(MITBIH_DS2) | set(MITBIH_PACED) == set(MITBIH_RECORDS)
    assert len(MITBIH_RECORDS) == 48


def test_inter_patient_membership(mitdb_dir):
    common = dict(records=["100", "114", "208"], cache=False, download_if_missing=False)
    train = fetch_mitbih(mitdb_dir.parent, split="inter-patient", subset="train", **common)
    test = fetch_mitbih(mitdb_dir.parent, split="inter-patient", subset="test", **common)
    assert set(train.groups) == {"114", "208"}
    assert set(test.groups) == {"100"}
    assert not test.is_test.size or test.is_test.all()
    with pytest.raises(ValueError, match="none of the records"):
        fetch_mitbih(mitdb_dir.parent, split="inter-patient", subset="train", records=["102"])


def test_random_split_is_a_fixed_function_of_record_and_beat(mitdb_dir, three_records):
    common = dict(records=["100", "114", "208"], cache=False, download_if_missing=False)
    everything = fetch_mitbih(mitdb_dir.parent, split="random", **common)
    test = fetch_mitbih(mitdb_dir.parent, split="random", subset="test", **common)
    train = fetch_mitbih(mitdb_dir.parent, split="random", subset="train", **common)
    assert everything.is_test.sum() == test.target.size
    assert train.target.size + test.target.size == three_records.target.size
    keys = {(g, r) for g, r in zip(train.groups, train.r_peaks, strict=True)}
    assert not keys & {(g, r) for g, r in zip(test.groups, test.r_peaks, strict=True)}
    # A record's beats keep their part whichever other records are loaded; record 100 alone
    # (a single V beat) could not be stratified on its own.
    alone = fetch_mitbih(mitdb_dir.parent, split="random", **{**common, "records": ["100"]})
    np.testing.assert_array_equal(alone.is_test, everything.is_test[everything.groups == "100"])
    assert 0.15 < alone.is_test.mean() < 0.25
    # Beats cut at detected peaks take the part of the annotated beat they match.
    detected = fetch_mitbih(
        mitdb_dir.parent, split="random", detector="pan-tompkins", **{**common, "records": ["208"]}
    )
    annotated = everything.r_peaks[everything.groups == "208"]
    distance = np.abs(detected.r_peaks[:, None] - annotated[None, :])
    nearest, matched = distance.argmin(axis=1), distance.min(axis=1) <= 54  # 150 ms
    expected = everything.is_test[everything.groups == "208"][nearest]
    assert matched.mean() > 0.99
    np.testing.assert_array_equal(detected.is_test[matched], expected[matched])


def test_bad_arguments(mitdb_dir):
    with pytest.raises(ValueError, match="needs a split"):
        fetch_mitbih(mitdb_dir.parent, subset="test")
    with pytest.raises(ValueError, match="split must be"):
        fetch_mitbih(mitdb_dir.parent, split="patient")
    with pytest.raises(ValueError, match=r"not MIT-BIH records: \['999'\]"):
        fetch_mitbih(mitdb_dir.parent, records=["999"])
    with pytest.raises(ValueError, match="records is empty"):
        fetch_mitbih(mitdb_dir.parent, records=[])
    # Bytes are one name, not the records 49, 48, 48 ("not MIT-BIH records: ['48', '49']").
    with pytest.raises(ValueError, match=r"not MIT-BIH records: \[\"b'100'\"\]"):
        fetch_mitbih(mitdb_dir.parent, records=b"100")


def test_one_record_named_by_a_numpy_integer():
    records = np.array([100, 114])
    assert _mitbih._select_records(records[0], None, "all") == ["100"]
    assert _mitbih._select_records(records, None, "all") == ["100", "114"]


def test_one_record_named_by_a_path_or_in_a_0d_array_or_by_no_name():
    # A list of paths was read, one path alone failed in a loop ("'PosixPath' object is not
    # iterable"), a 0-d array in NumPy ("iteration over a 0-d array"), a float as "not iterable".
    assert _mitbih._select_records(Path("100"), None, "all") == ["100"]
    assert _mitbih._select_records([Path("100"), Path("114")], None, "all") == ["100", "114"]
    assert _mitbih._select_records(np.array("114"), None, "all") == ["114"]
    assert _mitbih._select_records(np.array(114), None, "all") == ["114"]
    with pytest.raises(TypeError, match=r"records must be .* got 100\.0"):
        _mitbih._select_records(100.0, None, "all")


def _detected(mitdb_dir, record: str, **params):
    """One record's beats cut at the detector's R peaks, built afresh."""
    return fetch_mitbih(
        mitdb_dir.parent,
        records=[record],
        detector="pan-tompkins",
        cache=False,
        download_if_missing=False,
        **params,
    )


def test_detector_labels_and_counts(mitdb_dir):
    b = _detected(mitdb_dir, "100")
    # The last beat sits 9 samples before the end of the record: too close to see.
    assert b.detection["100"] == {"tp": 2272, "fn": 1, "fp": 0}
    assert 2270 <= b.target.size <= 2272
    assert Counter(b.symbol.tolist())["A"] == 33


def test_two_detections_near_one_beat_label_one_row(mitdb_dir):
    # Record 105 (noisy): two beats each had two detections within 150 ms, and both rows took
    # the beat's class. The detector's counts match one to one: so do the rows now.
    b = _detected(mitdb_dir, "105")
    counts = b.detection["105"]
    assert counts["fp"] > 30
    assert b.unmatched.data.shape[0] == counts["fp"]
    # Every detection is one row (but the last, which has no following interval).
    assert b.target.size == counts["tp"] - 1


def test_refined_detections_keep_the_classes_and_the_counts_of_the_detections(mitdb_dir):
    # The rows were matched to the reference beats at their refined peaks, the counts at the
    # detections: on record 208 with refine_radius=0.12 (the shipped models' cut) a true
    # detection moved away from its beat became an "unmatched" row, a false positive in an
    # evaluation (4 such rows against the detector's 3 false detections).
    plain = _detected(mitdb_dir, "208")
    refined = _detected(mitdb_dir, "208", refine_radius=0.12)
    counts = refined.detection["208"]
    assert counts == plain.detection["208"] and counts["fp"] == 3
    assert refined.unmatched.data.shape[0] == counts["fp"]
    assert refined.target.size == counts["tp"] - 1
    # Each row keeps the class (and reference beat) of the detection it was cut at.
    np.testing.assert_array_equal(refined.symbol, plain.symbol)
    assert np.abs(refined.r_peaks - plain.r_peaks).max() <= round(0.12 * 360)


def test_nearest_reference_beat_is_taken_once():
    from ecgbeat.datasets._mitbih import _matched_beats

    found = _matched_beats(np.array([98, 110, 112, 300, 395, 405]), np.array([105, 400]), 20)
    np.testing.assert_array_equal(found, [-1, 0, -1, -1, 1, -1])


def test_a_detection_that_loses_its_nearest_beat_takes_the_next_free_one():
    # Beats 60 samples apart (flutter; 167 ms at 360 Hz), detections at 1000 and 1025: the
    # second lost the beat at 1000 to the first and got no class, though the beat at 1060 lay
    # within 150 ms (54 samples) and nothing else took it; the detector's counts (wfdb's
    # compare_annotations) matched it, so the rows and the counts disagreed.
    from ecgbeat.datasets._mitbih import _matched_beats

    found = _matched_beats(np.array([1000, 1025]), np.array([1000, 1060]), 54)
    np.testing.assert_array_equal(found, [0, 1])
    assert _matched_beats(np.array([], dtype=np.int64), np.array([5]), 54).size == 0
    np.testing.assert_array_equal(_matched_beats(np.array([5]), np.array([], np.int64), 54), [-1])


def test_full_database_matches_kaggle_release(full_build):
    bunch = full_build
    counts = dict(zip(AAMI_CLASSES, np.bincount(bunch.target, minlength=5).tolist(), strict=True))
    assert counts == KAGGLE_COUNTS
    assert bunch.lead["102"] == bunch.lead["104"] == "V5"


def test_cached_full_database_reads_no_record(mitdb_dir, full_build, full_cache, monkeypatch):
    # Every record comes from the cache: reading a signal or cutting a beat would fail.
    def refuse(*args, **kwargs):
        raise AssertionError("a record was read although the cache holds it")

    monkeypatch.setattr(_mitbih, "read_lead", refuse)
    monkeypatch.setattr(_mitbih, "cut_beats", refuse)
    again = fetch_mitbih(mitdb_dir.parent, cache=full_cache, download_if_missing=False)
    np.testing.assert_array_equal(again.data, full_build.data)


def test_random_split_sizes(mitdb_dir, full_build, full_cache, random_test):
    test = random_test
    assert test.target.size == 21890
    for label, name in enumerate(AAMI_CLASSES):
        assert abs((test.target == label).sum() - 0.2 * KAGGLE_COUNTS[name]) <= 1
    # The shipped table is the stratified split of the whole database, as the Kaggle release.
    _, test_idx = train_test_split(
        np.arange(full_build.target.size),
        test_size=0.2,
        stratify=full_build.target,
        random_state=RANDOM_SPLIT_SEED,
    )
    whole = fetch_mitbih(
        mitdb_dir.parent, split="random", cache=full_cache, download_if_missing=False
    )
    np.testing.assert_array_equal(np.flatnonzero(whole.is_test), np.sort(test_idx))


def test_sample_is_from_the_random_test_part(random_test):
    test = random_test
    sample = load_sample()
    assert sample.data.shape == (2850, 187) and sample.data.dtype == np.float32
    counts = np.bincount(sample.target, minlength=5)
    assert counts.tolist() == [1500, 400, 400, 150, 400]
    index = {(g, r): i for i, (g, r) in enumerate(zip(test.groups, test.r_peaks, strict=True))}
    rows = [index[(g, r)] for g, r in zip(sample.groups, sample.r_peaks, strict=True)]
    np.testing.assert_array_equal(test.data[rows], sample.data)
    np.testing.assert_array_equal(test.target[rows], sample.target)
    assert "Moody GB, Mark RG" in sample.DESCR and "Circulation 101(23)" in sample.DESCR
    assert "Open Data Commons Attribution License v1.0" in sample.DESCR
    X, y = load_sample(return_X_y=True)
    assert X.shape == (2850, 187) and set(y.tolist()) == {0, 1, 2, 3, 4}


# Error cases: each names the record and the problem.


def test_missing_record(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"100\.hea"):
        fetch_mitbih(tmp_path, records=["100"], download_if_missing=False)


def test_truncated_data_file(mitdb_dir, tmp_path):
    folder = copy_records(mitdb_dir, tmp_path, ["100"], sums=False)
    data = (folder / "100.dat").read_bytes()
    (folder / "100.dat").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match=r"mitdb/100.*truncated"):
        fetch_mitbih(tmp_path, records=["100"], cache=False, download_if_missing=False)


def test_header_and_data_disagree(mitdb_dir, tmp_path):
    folder = copy_records(mitdb_dir, tmp_path, ["100"], sums=False)
    header = (folder / "100.hea").read_text()
    (folder / "100.hea").write_text(header.replace("100 2 360 650000", "100 2 360 600000", 1))
    with pytest.raises(DataFormatError, match=r"mitdb/100: header and data disagree"):
        fetch_mitbih(tmp_path, records=["100"], cache=False, download_if_missing=False)


def test_annotations_beyond_signal(mitdb_dir, tmp_path):
    folder = copy_records(mitdb_dir, tmp_path, ["100"], sums=False)
    wfdb.wrann("100", "atr", np.array([100, 700000]), np.array(["N", "N"]), write_dir=str(folder))
    with pytest.raises(DataFormatError, match=r"mitdb/100: header and annotations disagree"):
        fetch_mitbih(tmp_path, records=["100"], cache=False, download_if_missing=False)


def test_annotations_at_another_rate_than_the_signal_are_refused(mitdb_dir, tmp_path):
    # An annotation file states the rate its sample numbers count at: written at 250 Hz for
    # this 360 Hz record (each beat at its place in a 250 Hz copy), its numbers were read as
    # 360 Hz samples, every beat placed early, without a word (all fell inside the signal).
    from ecgbeat.datasets import read_annotations

    folder = copy_records(mitdb_dir, tmp_path, ["100"], sums=False)
    ann = wfdb.rdann(str(mitdb_dir / "100"), "atr")
    at_250 = np.round(ann.sample * 250 / 360).astype(np.int64)
    wfdb.wrann("100", "atr", at_250, np.array(ann.symbol), fs=250, write_dir=str(folder))
    rate = r"100\.atr places its annotations at 250 Hz, but the signal is sampled at 360 Hz"
    with pytest.raises(DataFormatError, match=rf"record mitdb/100: .*{rate}"):
        fetch_mitbih(tmp_path, records=["100"], cache=False, download_if_missing=False)
    with pytest.raises(DataFormatError, match=rate):
        read_annotations(folder / "100", "atr", 650000, fs=360)
    # Without fs nothing is compared, and the numbers are the file's.
    samples, _ = read_annotations(folder / "100", "atr", 650000)
    np.testing.assert_array_equal(samples, at_250)


def test_an_annotation_before_the_start_is_the_one_named(mitdb_dir, monkeypatch):
    # The error named the largest sample, inside the signal, for one at a negative sample.
    from types import SimpleNamespace

    from ecgbeat.datasets import read_annotations

    def rdann(record, extension):
        return SimpleNamespace(sample=np.array([-5, 100, 200]), symbol=["N", "N", "N"])

    monkeypatch.setattr(wfdb, "rdann", rdann)
    with pytest.raises(DataFormatError, match=r"annotation at sample -5 but the signal has 650000"):
        read_annotations(mitdb_dir / "100", "atr", 650000)


def test_an_annotation_one_sample_past_the_end_is_left_out(mitdb_dir, tmp_path):
    folder = copy_records(mitdb_dir, tmp_path, ["100"], sums=False)
    ann = wfdb.rdann(str(mitdb_dir / "100"), "atr")
    samples = np.append(ann.sample, 650000)
    symbols = [*ann.symbol, "N"]
    wfdb.wrann("100", "atr", samples, np.array(symbols), write_dir=str(folder))
    with pytest.warns(UserWarning, match=r"mitdb/100: 1 annotation\(s\) of 100\.atr after the end"):
        bunch = fetch_mitbih(tmp_path, records=["100"], cache=False, download_if_missing=False)
    assert (bunch.groups == "100").sum() == 2272  # as from the original file


def test_a_random_split_refuses_annotations_other_than_the_published_ones(mitdb_dir, tmp_path):
    folder = copy_records(mitdb_dir, tmp_path, ["100"], sums=False)
    ann = wfdb.rdann(str(mitdb_dir / "100"), "atr")
    keep = np.arange(len(ann.sample)) != 5  # one beat annotation fewer: every later beat shifts
    wfdb.wrann("100", "atr", ann.sample[keep], np.array(ann.symbol)[keep], write_dir=str(folder))
    with pytest.raises(DataFormatError, match=r"mitdb/100: the annotations hold 2272 beats, "):
        fetch_mitbih(tmp_path, records=["100"], split="random", cache=False)
    assert fetch_mitbih(tmp_path, records=["100"], cache=False).target.size == 2271


def test_a_beat_of_no_aami_class_ends_its_neighbours_intervals(mitdb_dir, tmp_path):
    # An R-on-T beat (r), which MIT-BIH does not hold but other annotations do, is a beat of no
    # AAMI class: no row of its own, but its neighbours' R-R intervals end at it, and a detection
    # of it is no false detection. Both used to treat it as no beat at all.
    folder = copy_records(mitdb_dir, tmp_path, ["100"], sums=False)
    ann = wfdb.rdann(str(mitdb_dir / "100"), "atr")
    symbols = np.array(ann.symbol, dtype=object)
    k = np.flatnonzero(symbols == "N")[100]
    symbols[k] = "r"
    wfdb.wrann("100", "atr", ann.sample, symbols, write_dir=str(folder))
    common = dict(records=["100"], cache=False, download_if_missing=False)
    b = fetch_mitbih(tmp_path, **common)
    r = ann.sample[k]
    assert b.target.size == 2271 and r not in b.r_peaks
    after = np.searchsorted(b.r_peaks, r)
    assert b.rr_features[after - 1, 1] == pytest.approx((r - b.r_peaks[after - 1]) / 360)
    assert b.rr_features[after, 0] == pytest.approx((b.r_peaks[after] - r) / 360)
    found = fetch_mitbih(tmp_path, detector="pan-tompkins", **common)
    assert found.detection["100"]["fp"] == 0
    assert found.unmatched.r_peaks.size == 0


def test_read_lead_of_a_record_named_by_its_header(mitdb_dir):
    # As read_header takes it; wfdb.rdrecord looked for 100.hea.hea, blamed on 100.dat.
    from ecgbeat.datasets import read_lead

    signal, fs, lead, _ = read_lead(mitdb_dir / "100")
    for path in (mitdb_dir / "100.hea", str(mitdb_dir / "100.HEA")):
        signal_h, fs_h, lead_h, _ = read_lead(path, name="100")
        np.testing.assert_array_equal(signal_h, signal)
        assert (fs_h, lead_h) == (fs, lead)


def test_absent_lead(mitdb_dir):
    with pytest.raises(DataFormatError, match=r"record mitdb/100 has no lead 'V9'.*MLII, V5"):
        fetch_mitbih(mitdb_dir.parent, records=["100"], lead="V9", download_if_missing=False)


def test_nan_in_signal(mitdb_dir, tmp_path):
    folder = copy_records(mitdb_dir, tmp_path, ["100"], sums=False)
    raw = bytearray((folder / "100.dat").read_bytes())
    # Format 212 packs two 12-bit samples in 3 bytes; -2048 is WFDB's "invalid sample" (NaN).
    raw[3000] = 0x00
    raw[3001] = (raw[3001] & 0xF0) | 0x08
    (folder / "100.dat").write_bytes(bytes(raw))
    with pytest.raises(
        SignalError,
        match=r"record mitdb/100: lead MLII has no valid value at 1 samples \(the first at sample "
        r"1000, 2\.78 s\): .* samples the record marks invalid",
    ):
        fetch_mitbih(tmp_path, records=["100"], cache=False, download_if_missing=False)


def test_signal_too_short(tmp_path):
    folder = tmp_path / "mitdb"
    folder.mkdir()
    t = np.arange(360) / 360
    wfdb.wrsamp(
        "100",
        fs=360,
        units=["mV"],
        sig_name=["MLII"],
        p_signal=np.sin(t)[:, None],
        fmt=["16"],
        write_dir=str(folder),
    )
    wfdb.wrann("100", "atr", np.array([100, 300]), np.array(["N", "N"]), write_dir=str(folder))
    with pytest.raises(SignalError, match=r"record mitdb/100: too short"):
        fetch_mitbih(tmp_path, records=["100"], cache=False, download_if_missing=False)


def test_records_201_and_202_are_one_patient(mitdb_dir):
    """The database's directory: records 201 and 202 came from the same subject. Grouped by
    record, a split could train on one and test on the other."""
    two = fetch_mitbih(
        mitdb_dir.parent, records=["201", "202", "100"], cache=False, download_if_missing=False
    )
    assert sorted(set(two.patient)) == ["100", "201"]
    np.testing.assert_array_equal(two.patient == "201", np.isin(two.groups, ["201", "202"]))
    np.testing.assert_array_equal(two.patient[two.groups == "100"], "100")
    np.testing.assert_array_equal(mitbih_patients(two.groups), two.patient)
    # Record names of the user's own: the benchmarks leave DS2's 202 out of new patients so.
    assert mitbih_patients(np.array(["202", "114"])).tolist() == ["201", "114"]
    assert MITBIH_SAME_PATIENT == {"202": "201"}


def test_a_beat_the_detector_missed_is_kept_for_the_scores(mitdb_dir, tmp_path):
    # A reference beat with no detection within 150 ms was in no row and nowhere else: Se at
    # detected peaks was over the beats the detector found. Here a V beat annotated between two
    # beats of record 100, 0.4 s after one of them, where the detector finds nothing.
    folder = copy_records(mitdb_dir, tmp_path, ["100"], sums=False)
    ann = wfdb.rdann(str(mitdb_dir / "100"), "atr")
    added = int(ann.sample[500]) + 144
    samples = np.insert(ann.sample, 501, added)
    symbols = np.insert(np.array(ann.symbol, dtype=object), 501, "V")
    wfdb.wrann("100", "atr", samples, symbols, write_dir=str(folder))
    found = fetch_mitbih(
        tmp_path, records=["100"], detector="pan-tompkins", cache=False, download_if_missing=False
    )
    assert found.missed.target.tolist() == [AAMI_SYMBOLS["V"]]
    assert found.missed.symbol.tolist() == ["V"] and found.missed.groups.tolist() == ["100"]
    assert found.missed.r_peaks.tolist() == [added]
    # The detector's counts miss the record's last beat too (9 samples before the end), which
    # no row scores at annotated peaks either: it is no missed beat of the scores.
    assert found.detection["100"]["fn"] == 2
    assert _detected(mitdb_dir, "100").missed.target.size == 0


def test_the_missed_beats_are_those_wfdb_finds_unmatched(mitdb_dir):
    # On a real record with misses, against wfdb's own one-to-one match of the detections.
    from wfdb.processing import compare_annotations

    from ecgbeat.datasets import read_annotations, read_lead
    from ecgbeat.qrs import detect_r_peaks

    found = _detected(mitdb_dir, "105")
    signal, fs, _, _ = read_lead(mitdb_dir / "105", ("MLII", "V5"))
    samples, symbols = read_annotations(mitdb_dir / "105", "atr", signal.size)
    is_aami = np.isin(symbols, list(AAMI_SYMBOLS))
    comparison = compare_annotations(samples[is_aami], detect_r_peaks(signal, fs), 54)
    comparison.compare()
    unmatched = samples[is_aami][comparison.unmatched_ref_inds]
    assert unmatched.size >= 5 and unmatched[-1] != samples[is_aami][-1]
    np.testing.assert_array_equal(found.missed.r_peaks, unmatched)
    expected = [AAMI_SYMBOLS[s] for s in symbols[is_aami][comparison.unmatched_ref_inds]]
    assert found.missed.target.tolist() == expected


def test_a_record_without_a_row_keeps_its_missed_beats_in_its_part(mitdb_dir, monkeypatch):
    # A record of DS2 where the detector finds no beat (a lead off): it has no row, and its
    # missed beats were dropped from the test part as if of a record outside it, though
    # split=None kept all 2272 of them; evaluated so, the part's Se left the record out.
    monkeypatch.setattr(_mitbih, "detect_r_peaks", lambda *args, **kwargs: np.zeros(0, int))
    for split, subset in ((None, "all"), ("inter-patient", "test")):
        found = _detected(mitdb_dir, "100", split=split, subset=subset)
        assert found.target.size == 0
        assert found.missed.target.size == 2272
        assert set(found.missed.groups.tolist()) == {"100"}


def test_a_record_without_an_annotated_beat_has_detections_of_no_beat(mitdb_dir, monkeypatch):
    # A record whose annotations hold no beat (rhythm and noise marks only): at annotated peaks
    # it has no row, and at detected peaks an IndexError ("index -1 is out of bounds for axis 0
    # with size 0") escaped, naming neither the record nor the cause. Every detection is one of
    # no beat: a false positive, and nothing is missed.
    read = _mitbih.read_annotations

    def no_beats(*args, **kwargs):
        samples, symbols = read(*args, **kwargs)
        kept = ~np.isin(symbols, list(AAMI_SYMBOLS))
        return samples[kept], symbols[kept]

    monkeypatch.setattr(_mitbih, "read_annotations", no_beats)
    found = _detected(mitdb_dir, "100")
    assert found.target.size == 0 and found.missed.target.size == 0
    counts = found.detection["100"]
    assert counts["tp"] == counts["fn"] == 0 and counts["fp"] > 2000
    # Every detection but the last (which has no following interval) is a row of no beat.
    assert found.unmatched.data.shape[0] == counts["fp"] - 1
