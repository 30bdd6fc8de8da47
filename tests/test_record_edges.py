"""Real records' edges: leads named otherwise than MLII, annotations just past the signal's end."""

from __future__ import annotations

import numpy as np
import pytest

from ecgbeat.datasets import read_lead
from ecgbeat.datasets._records import is_ecg_lead
from ecgbeat.exceptions import DataFormatError
from ecgbeat.records import classify_record

wfdb = pytest.importorskip("wfdb")

FS = 250


def _ecg(seconds: float = 30.0) -> np.ndarray:
    t = np.arange(round(seconds * FS)) / FS
    return sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, seconds, 0.8))


def _record(folder, names, *, beats=None, symbols=None):
    """A WFDB record of the named signals (ECG-like where the name is an ECG lead), with beats
    annotated ``symbols`` (all N by default)."""
    rng = np.random.default_rng(0)
    ecg = _ecg()
    signals = np.column_stack(
        [ecg if is_ecg_lead(n) else rng.standard_normal(ecg.size) for n in names]
    )
    wfdb.wrsamp(
        "rec",
        fs=FS,
        units=["mV"] * len(names),
        sig_name=list(names),
        p_signal=signals,
        fmt=["16"] * len(names),
        write_dir=str(folder),
    )
    if beats is not None:
        symbols = ["N"] * len(beats) if symbols is None else symbols
        wfdb.wrann("rec", "atr", np.asarray(beats), np.array(symbols), write_dir=str(folder))
    return folder / "rec", ecg.size


def test_without_a_preferred_lead_the_first_ecg_lead_is_used_and_named(tmp_path):
    path, _ = _record(tmp_path, ["RESP", "ECG1", "ECG2"])
    with pytest.warns(UserWarning, match=r"none of the leads MLII, .*; classifying ECG1"):
        table = classify_record(path, "mitbih")
    assert table.lead == "ECG1" and len(table) >= 30


def test_a_record_given_by_its_header_is_the_record(tmp_path):
    path, _ = _record(tmp_path, ["MLII"])
    by_name, by_header = (classify_record(p, "mitbih") for p in (path, f"{path}.hea"))
    assert by_header.record == by_name.record and len(by_name) >= 30
    np.testing.assert_array_equal(by_header.sample, by_name.sample)
    np.testing.assert_array_equal(by_header.proba, by_name.proba)


def test_a_preferred_lead_still_comes_first_and_a_named_lead_is_never_replaced(tmp_path):
    path, _ = _record(tmp_path, ["ECG1", "V5"])
    assert classify_record(path, "mitbih").lead == "V5"
    with pytest.raises(DataFormatError, match=r"no lead 'V9'; its leads are ECG1, V5"):
        classify_record(path, "mitbih", lead="V9")


def test_a_record_without_any_ecg_lead_is_refused(tmp_path):
    path, _ = _record(tmp_path, ["RESP", "ABP"])
    with pytest.raises(DataFormatError, match=r"and no other ECG lead; its leads are RESP, ABP"):
        classify_record(path, "mitbih")


def test_an_annotation_just_past_the_end_is_left_out_with_a_count(tmp_path):
    n = _ecg().size
    beats = [round(c * FS) for c in np.arange(0.4, 30, 0.8)] + [n]
    path, _ = _record(tmp_path, ["MLII"], beats=beats)
    with pytest.warns(UserWarning, match=r"1 annotation\(s\) of rec\.atr after the end"):
        table = classify_record(path, "mitbih", annotations="atr")
    # Every annotation inside the signal is a beat (the last one is dropped by segmentation).
    assert len(table) == len(beats) - 2


def test_beats_without_an_aami_class_are_beats_with_an_empty_reference(tmp_path):
    # B, ?, n and r (other databases than MIT-BIH) were left out before, so that the next
    # beat's R-R interval spanned two beats, as after a pause. A flutter wave (!) is no beat.
    beats = [round(c * FS) for c in np.arange(0.4, 30, 0.8)]
    symbols = ["N"] * len(beats)
    symbols[5:9] = ["B", "?", "n", "r"]
    path, _ = _record(tmp_path, ["MLII"], beats=[*beats, beats[-1] + 10], symbols=[*symbols, "!"])
    table = classify_record(path, "mitbih", annotations="atr")
    np.testing.assert_array_equal(table.sample, beats[:-1])
    assert table.reference.tolist() == ["N"] * 5 + [""] * 4 + ["N"] * (len(beats) - 10)


def test_a_beat_annotated_twice_is_refused_naming_the_annotation_file(tmp_path):
    # One beat marked twice (once per channel, or by two annotators) was refused as
    # "r_peaks must be strictly increasing": a parameter no one gave, naming no file or sample.
    beats = [round(c * FS) for c in np.arange(0.4, 30, 0.8)]
    twice = [*beats[:5], beats[4], *beats[5:]]
    symbols = ["N"] * 5 + ["V"] + ["N"] * (len(beats) - 5)
    path, _ = _record(tmp_path, ["MLII"], beats=twice, symbols=symbols)
    with pytest.raises(
        DataFormatError,
        match=rf"record rec: annotation file rec\.atr marks the beat at sample {beats[4]} "
        r"twice \('N' and 'V'",
    ):
        classify_record(path, "mitbih", annotations="atr")
    # A non-beat annotation at a beat's sample (a rhythm change) is no second beat.
    path, _ = _record(tmp_path, ["MLII"], beats=twice, symbols=["N"] * 5 + ["+"] + symbols[6:])
    np.testing.assert_array_equal(
        classify_record(path, "mitbih", annotations="atr").sample, beats[:-1]
    )


def test_the_beat_symbols_are_wfdbs_but_the_flutter_wave():
    from wfdb.io.annotation import ann_label_table, is_qrs

    from ecgbeat.datasets import AAMI_SYMBOLS, UNCLASSED_BEAT_SYMBOLS

    table = ann_label_table
    qrs = set(table.symbol[[is_qrs[code] for code in table.label_store]])
    assert qrs - {"!"} == set(AAMI_SYMBOLS) | UNCLASSED_BEAT_SYMBOLS
    assert not set(AAMI_SYMBOLS) & UNCLASSED_BEAT_SYMBOLS


def test_annotations_far_past_the_end_still_mean_a_mismatch(tmp_path):
    n = _ecg().size
    path, _ = _record(tmp_path, ["MLII"], beats=[100, 400, n + 10 * FS])
    with pytest.raises(DataFormatError, match="header and annotations disagree"):
        classify_record(path, "mitbih", annotations="atr")


def test_classify_signal_takes_any_rate_like_a_record(tmp_path):
    from ecgbeat.records import classify_signal

    path, _ = _record(tmp_path, ["MLII"])
    from_record = classify_record(path, "mitbih")
    at_250 = classify_signal(_ecg(), FS, "mitbih", name="rec", lead="MLII")
    np.testing.assert_array_equal(at_250.sample, from_record.sample)
    np.testing.assert_allclose(at_250.proba, from_record.proba, atol=1e-4)
    # The same heart at 500 Hz: the same beats, at twice the sample indices.
    t = np.arange(30 * 2 * FS) / (2 * FS)
    ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 30, 0.8))
    at_500 = classify_signal(ecg, 2 * FS, "mitbih")
    assert len(at_500) == len(at_250) and at_500.fs == 500.0
    np.testing.assert_allclose(at_500.time, at_250.time, atol=0.01)


def test_signal_files_name_their_columns_or_are_numbered(tmp_path):
    from ecgbeat.datasets._records import read_signal_file

    ecg = _ecg(5)
    t = np.arange(ecg.size) / FS
    (tmp_path / "h.csv").write_text(
        "time,RESP,ECG1\n" + "\n".join(f"{a},{0.0},{b}" for a, b in zip(t, ecg, strict=True))
    )
    signal, lead = read_signal_file(tmp_path / "h.csv")
    assert lead == "ECG1"
    np.testing.assert_allclose(signal, ecg, rtol=1e-12)
    assert read_signal_file(tmp_path / "h.csv", "resp")[1] == "RESP"
    np.save(tmp_path / "two.npy", np.column_stack([ecg, -ecg]))
    signal, lead = read_signal_file(tmp_path / "two.npy", "2")
    assert lead == "2" and signal[0] == -ecg[0]
    with pytest.warns(UserWarning, match="no column is named as an ECG lead.*reading '1'"):
        assert read_signal_file(tmp_path / "two.npy")[1] == "1"
    np.save(tmp_path / "wide.npy", np.zeros((3, 1000)))
    with pytest.raises(DataFormatError, match=r"one column per lead .* shape \(3, 1000\)"):
        read_signal_file(tmp_path / "wide.npy")
    with pytest.raises(DataFormatError, match=r"has no column 'V9'; its columns are time, RESP"):
        read_signal_file(tmp_path / "h.csv", "V9")


def test_a_long_csv_signal_is_read_without_holding_its_text(tmp_path):
    # The whole text, then a string per line, were held beside the numbers: about five times
    # their size, so that a day's Holter export ran out of memory where its numbers fit.
    import tracemalloc

    from ecgbeat.datasets import read_signal

    n = 200_000
    t = np.arange(n) / FS
    columns = np.column_stack([t, np.sin(t), np.cos(t)])
    path = tmp_path / "holter.csv"
    np.savetxt(path, columns, delimiter=",", header="time,MLII,V5", comments="", fmt="%.4f")
    tracemalloc.start()
    try:
        signal, fs, lead = read_signal(path, fs=FS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (lead, fs, signal.shape) == ("MLII", FS, (n,))
    np.testing.assert_allclose(signal, np.round(np.sin(t), 4))
    # The numbers of every column (NumPy's parse, which grows its array as it reads) and the
    # lead taken from them; the text and its lines took 4.9 times the numbers' size.
    assert peak < 3 * columns.nbytes


def test_a_header_written_as_a_comment_by_numpy_names_the_columns(tmp_path):
    # np.savetxt writes its header as "# MLII,V5": read as the names "# MLII" and "V5", the
    # lead V5 was classified without a word, and a line of description above the names
    # ("# recorded at 500 Hz") refused the file as "1 names in the header, 2 columns".
    from ecgbeat.datasets import read_signal

    mlii, v5 = _ecg(5), -0.5 * _ecg(5)
    path = tmp_path / "lead.csv"
    for header in ("MLII,V5", "recorded at 250 Hz\nMLII,V5"):
        np.savetxt(path, np.column_stack([mlii, v5]), delimiter=",", header=header)
        signal, _, lead = read_signal(path, fs=FS)
        assert lead == "MLII"
        np.testing.assert_allclose(signal, mlii)
        signal, _, lead = read_signal(path, "V5", fs=FS)
        assert lead == "V5"
        np.testing.assert_allclose(signal, v5)
    # A comment that names no columns (another count of fields) is no header.
    np.savetxt(path, np.column_stack([mlii, v5]), delimiter=",", header="recorded at 250 Hz")
    with pytest.warns(UserWarning, match="reading '1', the first that is not a clock"):
        signal, _, lead = read_signal(path, fs=FS)
    assert lead == "1"
    np.testing.assert_allclose(signal, mlii)


def test_a_quoted_column_name_with_a_comma_is_one_name(tmp_path):
    # The csv module (and spreadsheets) write a name that holds a comma in double quotes; the
    # header was split at every comma: "5 names in the header, 3 columns".
    from ecgbeat.datasets._records import read_signal_file

    ecg = _ecg(5)
    t = np.arange(ecg.size) / FS
    rows = "\n".join(f"{a},{b},{-b}" for a, b in zip(t, ecg, strict=True))
    (tmp_path / "q.csv").write_text('"Time, s",MLII,"V5, mV"\n' + rows)
    signal, lead = read_signal_file(tmp_path / "q.csv")
    assert lead == "MLII"
    np.testing.assert_allclose(signal, ecg, rtol=1e-12)
    signal, lead = read_signal_file(tmp_path / "q.csv", "V5, mV")
    assert lead == "V5, mV"
    np.testing.assert_allclose(signal, -ecg, rtol=1e-12)


def test_leads_named_with_an_ecg_or_lead_word_are_the_preferred_leads(tmp_path):
    # EDF+'s standard labels ("ECG II") and spreadsheets' "Lead II (mV)": lead II is read, not
    # the first lead, which was read without a word before.
    import warnings

    from ecgbeat.datasets import read_lead
    from ecgbeat.datasets._records import read_signal_file

    ecg = _ecg(5)
    rows = "\n".join(f"{-b},{b},{2 * b}" for b in ecg)
    for header in (
        "ECG I,ECG II,ECG V5",
        "Lead I (mV),Lead II (mV),Lead V5 (mV)",
        "EKG_I,EKG_II,x",
        "ECG Lead I,ECG Lead II,ECG Lead V5",  # was "ECG Lead I", the first, with a warning
    ):
        (tmp_path / "l.csv").write_text(header + "\n" + rows)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            signal, lead = read_signal_file(tmp_path / "l.csv")
        assert lead == header.split(",")[1]
        np.testing.assert_allclose(signal, ecg, rtol=1e-12)
    # Several ECG leads, none of them a preferred one: the first, with a warning that names it.
    (tmp_path / "e.csv").write_text("ECG1,ECG2\n" + "\n".join(f"{b},{-b}" for b in ecg))
    with pytest.warns(UserWarning, match=r"has none of the leads MLII, .*; reading 'ECG1'"):
        assert read_signal_file(tmp_path / "e.csv")[1] == "ECG1"
    path, _ = _record(tmp_path, ["ECG I", "ECG II"])
    assert read_lead(path)[2] == "ECG II"
    assert read_lead(path, "II")[2] == "ECG II"
    path, _ = _record(tmp_path, ["ECG Lead I", "ECG Lead II"])
    assert read_lead(path)[2] == "ECG Lead II"


def test_a_lead_named_with_a_lead_word_or_unit_is_an_ecg_lead(tmp_path):
    # "Lead V1" was no ECG lead: a record with it and a respiration signal was refused as having
    # "no other ECG lead", and a CSV's respiration column before it was read as the ECG.
    from ecgbeat.datasets._records import read_signal_file

    assert is_ecg_lead("Lead V1") and is_ecg_lead("V1 (mV)") and not is_ecg_lead("Resp (l)")
    ecg = _ecg(5)
    resp = np.sin(np.arange(ecg.size) / FS)
    (tmp_path / "l.csv").write_text(
        "Resp,Lead V1\n" + "\n".join(f"{a},{b}" for a, b in zip(resp, ecg, strict=True))
    )
    signal, lead = read_signal_file(tmp_path / "l.csv")
    assert lead == "Lead V1"
    np.testing.assert_allclose(signal, ecg, rtol=1e-12)
    path, _ = _record(tmp_path, ["Resp", "Lead V1"])
    with pytest.warns(UserWarning, match="classifying Lead V1, its first ECG lead"):
        assert read_lead(path)[2] == "Lead V1"


def test_a_lead_named_without_its_ecg_or_lead_word_is_found_in_signal_files(tmp_path):
    # --lead II read a record's "ECG II", and the default choice read a CSV's "ECG II (mV)" as
    # II, but lead="II" on that CSV, or on an EDF file's "ECG II", failed with "has no column".
    from ecgbeat.datasets._records import read_signal, read_signal_file

    ecg = _ecg(5)
    rows = "\n".join(f"{t},{-b},{b}" for t, b in zip(range(ecg.size), ecg, strict=True))
    (tmp_path / "l.csv").write_text("Time (s),ECG V1 (mV),ECG II (mV)\n" + rows)
    for lead in ("II", "ii", "Lead II", ["V5", "II"]):
        signal, name = read_signal_file(tmp_path / "l.csv", lead)
        assert name == "ECG II (mV)"
        np.testing.assert_allclose(signal, ecg, rtol=1e-12)
    assert read_signal_file(tmp_path / "l.csv", "V1")[1] == "ECG V1 (mV)"
    # The name as written still comes first, and a name that fits two columns is refused.
    (tmp_path / "two.csv").write_text("II,ECG II,Lead II\n" + rows)
    assert read_signal_file(tmp_path / "two.csv", "ECG II")[1] == "ECG II"
    (tmp_path / "amb.csv").write_text("V1,ECG II,Lead II\n" + rows)
    with pytest.raises(DataFormatError, match=r"'II' could be any of the columns ECG II, Lead II"):
        read_signal_file(tmp_path / "amb.csv", "II")
    _edf(tmp_path / "e.edf", {"ECG V1": (-ecg, float(FS)), "ECG II": (ecg, float(FS))})
    assert read_signal(tmp_path / "e.edf", "II")[2] == "ECG II"


def test_a_clock_that_repeats_values_is_not_read_as_the_ecg(tmp_path):
    # Seconds written to 0.01 at 250 Hz repeat values (0.00, 0.00, 0.01...): the clock was
    # taken for the ECG, its staircase cut into beats, because its values did not strictly
    # increase.
    from ecgbeat.datasets._records import read_signal_file

    ecg = _ecg(5)
    t = np.arange(ecg.size) / FS
    rows = "\n".join(f"{a:.2f},{b}" for a, b in zip(t, ecg, strict=True))
    for header in ("", "sec,ch\n"):
        (tmp_path / "s.csv").write_text(header + rows)
        with pytest.warns(UserWarning, match="no column is named as an ECG lead"):
            signal, lead = read_signal_file(tmp_path / "s.csv")
        assert lead == ("2" if not header else "ch")
        np.testing.assert_allclose(signal, ecg, rtol=1e-12)


def test_a_row_of_units_under_the_names_is_passed_over(tmp_path):
    # PhysioNet's CSV export: names in single quotes, then a row of units. It was refused as
    # "could not convert string \"'seconds'\"".
    from ecgbeat.datasets._records import read_signal_file

    ecg = _ecg(2)
    rows = "\n".join(f"{k / FS:.3f},{b},{-b}" for k, b in enumerate(ecg))
    for head in ("'Elapsed time','MLII','V5'\n'seconds','mV','mV'\n", "Time,ECG II,V1\n\ns,mV,\n"):
        (tmp_path / "s.csv").write_text(head + rows)
        signal, lead = read_signal_file(tmp_path / "s.csv")
        assert lead in ("MLII", "ECG II")
        np.testing.assert_allclose(signal, ecg, rtol=1e-12)
    # A first row without values is a sample, refused as one, not passed over as units.
    (tmp_path / "n.csv").write_text("time,MLII,V5\nnan,nan,nan\n" + rows)
    assert np.isnan(read_signal_file(tmp_path / "n.csv", "MLII")[0][0])


def test_a_rate_that_the_files_clock_contradicts_is_warned_of(tmp_path):
    # A 250 Hz export read at 500 Hz was classified without a word, though its clock column
    # stepped by 4 ms.
    import warnings

    from ecgbeat.datasets import read_signal

    ecg = _ecg(2)
    t = np.arange(ecg.size) / FS
    for name, scale in (("time", 1.0), ("Time (ms)", 1e3), ("2", 1.0)):
        rows = "\n".join(f"{a * scale:.3f},{b}" for a, b in zip(t, ecg, strict=True))
        header, lead = ("", "2") if name == "2" else (f"{name},ECG\n", "ECG")
        (tmp_path / "s.csv").write_text(header + rows)
        with pytest.warns(UserWarning, match=r"steps by .* not by a sample of the 500 Hz given"):
            read_signal(tmp_path / "s.csv", lead, fs=500)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            np.testing.assert_allclose(read_signal(tmp_path / "s.csv", lead, fs=FS)[0], ecg)
    # A sample counter says nothing of the rate.
    (tmp_path / "c.csv").write_text(
        "sample,ECG\n" + "\n".join(f"{k},{b}" for k, b in enumerate(ecg))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_signal(tmp_path / "c.csv", fs=500)


def test_a_clock_written_as_a_date_and_time_is_named_in_the_error(tmp_path):
    # Devices write their clock as text: the error quoted the value alone, and did not say
    # that the column, a clock that ecgbeat does not need, is what to leave out.
    from ecgbeat.datasets._records import read_signal_file

    rows = "\n".join(f"2024-01-01 10:00:{k / FS:06.3f},{b}" for k, b in enumerate(_ecg(1)))
    (tmp_path / "s.csv").write_text("Timestamp,ECG\n" + rows)
    with pytest.raises(
        DataFormatError,
        match=r"at row 1, column 1; column 'Timestamp' is a clock written as text: leave it out",
    ):
        read_signal_file(tmp_path / "s.csv")
    # A file of tabs is one column named "Time\tECG": its separator is the problem, not a clock.
    (tmp_path / "t.csv").write_text("Time\tECG\n0.0\t0.5\n0.004\t0.6\n")
    with pytest.raises(DataFormatError, match=r"separated by '\\t'.*commas\)$"):
        read_signal_file(tmp_path / "t.csv")


def test_a_clock_column_is_never_read_as_the_ecg(tmp_path):
    # Spreadsheet exports name their columns with units and quotes, and clocks in many ways.
    from ecgbeat.datasets._records import read_signal_file

    ecg = _ecg(5)
    t = np.arange(ecg.size) / FS
    rows = "\n".join(f"{a},{b},{-b}" for a, b in zip(t, ecg, strict=True))
    for header, expected in (
        ('"Time (s)","MLII (mV)","V5 (mV)"', '"MLII (mV)"'),
        ("timestamp,lead_x,other", None),  # a clock by name, then no lead name: warned
        ("elapsed time [s],a,b", None),
    ):
        (tmp_path / "s.csv").write_text(header + "\n" + rows)
        if expected is None:
            with pytest.warns(UserWarning, match="no column is named as an ECG lead"):
                signal, lead = read_signal_file(tmp_path / "s.csv")
            assert lead == header.split(",")[1]
        else:
            signal, lead = read_signal_file(tmp_path / "s.csv")
            assert lead.strip('"') == expected.strip('"')
        np.testing.assert_allclose(signal, ecg, rtol=1e-12)
    assert read_signal_file(tmp_path / "s.csv", "B")[1] == "b"
    # A name as written wins over one without its unit; a name that could be two is refused.
    (tmp_path / "u.csv").write_text(
        "II (adu),II (mV)\n" + "\n".join(f"{1000 * b},{b}" for b in ecg)
    )
    signal, lead = read_signal_file(tmp_path / "u.csv", "ii (mV)")
    assert lead == "II (mV)"
    np.testing.assert_allclose(signal, ecg, rtol=1e-12)
    with pytest.raises(DataFormatError, match="could be any of the columns II \\(adu\\), II"):
        read_signal_file(tmp_path / "u.csv", "II")
    # pandas' to_csv names unnamed columns 0, 1, 2: a header, not a first sample.
    (tmp_path / "p.csv").write_text("0,1,2\n" + rows)
    with pytest.warns(UserWarning, match="reading '2'"):  # column 1 is the clock t
        signal, lead = read_signal_file(tmp_path / "p.csv")
    np.testing.assert_allclose(signal, ecg, rtol=1e-12)
    # A clock by its values, whatever its name; and a file of clocks alone is refused.
    (tmp_path / "n.csv").write_text("a,b\n" + "\n".join(f"{k},{v}" for k, v in enumerate(ecg)))
    with pytest.warns(UserWarning, match="reading 'b'"):
        assert read_signal_file(tmp_path / "n.csv")[1] == "b"
    (tmp_path / "c.csv").write_text("time,ms\n" + "\n".join(f"{a},{1000 * a}" for a in t))
    with pytest.raises(DataFormatError, match="every column is a clock"):
        read_signal_file(tmp_path / "c.csv")


def test_the_header_of_a_pandas_series_or_two_columns_is_no_sample(tmp_path):
    from ecgbeat.datasets._records import read_signal_file

    # Series.to_csv(index=False) heads its column 0 (two unnamed columns 0,1): the header was
    # read as a first sample, and every beat's sample and time came one sample late.
    ecg = np.round(np.sin(np.arange(500) / 20.0) + 0.5, 6)
    lines = "\n".join(f"{v:.6f}" for v in ecg)
    (tmp_path / "series.csv").write_text("0\n" + lines + "\n")
    signal, _ = read_signal_file(tmp_path / "series.csv")
    np.testing.assert_array_equal(signal, ecg)
    pairs = "\n".join(f"{v:.6f},{-v:.6f}" for v in ecg)
    (tmp_path / "two.csv").write_text("0,1\n" + pairs + "\n")
    with pytest.warns(UserWarning, match="reading '1'"):
        signal, lead = read_signal_file(tmp_path / "two.csv")
    np.testing.assert_array_equal(signal, ecg)
    assert lead == "1"
    # Over whole numbers (ADC units) 0 may be the first sample, as before: it is kept.
    counts = "\n".join(str(int(v * 200)) for v in ecg)
    (tmp_path / "adc.csv").write_text("0\n" + counts + "\n")
    with pytest.warns(UserWarning, match=r"adc\.csv: the first row, 0, is read as the first"):
        signal, _ = read_signal_file(tmp_path / "adc.csv")
    assert signal.shape == (501,) and signal[0] == 0 and signal[1] == int(ecg[0] * 200)


def test_predict_classifies_a_csv_signal_at_500_hz(tmp_path, capsys):
    from ecgbeat.cli import main

    t = np.arange(30 * 500) / 500
    ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 30, 0.8))
    np.savetxt(tmp_path / "ecg.csv", ecg[:, None], delimiter=",")
    np.save(tmp_path / "ecg.npy", ecg)
    argv = ["-q", "predict", str(tmp_path / "ecg.csv"), str(tmp_path / "ecg.npy")]
    code = main([*argv, "--fs", "500", "--model", "mitbih", "--summary"])
    out = capsys.readouterr().out
    assert code == 0
    assert "ecg.csv: 36 beats" in out and "ecg.npy: 36 beats" in out
    # A .npy needs its rate: a missing option, wrong usage (exit 2), told before the model
    # loads; a CSV without --fs holds beats, and this one is no beat file.
    code = main(["-q", "predict", str(tmp_path / "ecg.npy"), "--model", "mitbih"])
    assert code == 2 and "states no sampling rate: give it with --fs" in capsys.readouterr().err


def test_a_rate_given_for_a_record_must_be_its_own(mitdb_dir, tmp_path, capsys):
    from ecgbeat.cli import main

    record = str(mitdb_dir / "100")
    argv = ["-q", "predict", record, "--annotations", "atr", "--model", "mitbih-rhythm"]
    assert main([*argv, "--fs", "500", "--summary"]) == 1
    err = capsys.readouterr().err
    assert "header samples it at 360 Hz, not at the 500 Hz given" in err
    assert main([*argv, "--fs", "360", "--summary"]) == 0  # its own rate is no mistake
    # Beside a CSV signal, --fs is the CSV's rate: the record keeps its own.
    t = np.arange(20 * 250) / 250
    ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 20, 0.8))
    np.savetxt(tmp_path / "lead.csv", ecg[:, None], delimiter=",")
    argv = ["-q", "predict", record, str(tmp_path / "lead.csv"), "--model", "mitbih-rhythm"]
    assert main([*argv, "--fs", "250", "--summary"]) == 0
    out = capsys.readouterr().out
    assert "100: 2272 beats, 1805.6 s" in out and "lead.csv: 24 beats, 20.0 s" in out
    # Compressed, the same signal: it was refused ("must end in .csv, .npy or .edf").
    import gzip

    gz = tmp_path / "lead.CSV.GZ"
    gz.write_bytes(gzip.compress((tmp_path / "lead.csv").read_bytes()))
    argv = ["-q", "predict", str(gz), "--model", "mitbih-rhythm", "--fs", "250", "--summary"]
    assert main(argv) == 0
    assert "lead.CSV.GZ: 24 beats, 20.0 s" in capsys.readouterr().out


def test_a_wrong_rate_for_a_record_is_refused_before_the_record_is_read(
    tmp_path, monkeypatch, capsys
):
    import ecgbeat.records as records
    from ecgbeat.cli import main

    _record(tmp_path, ["MLII"])

    def never(*args, **kwargs):
        raise AssertionError("the record was classified before its rate was checked")

    monkeypatch.setattr(records, "classify_record", never)
    with pytest.raises(DataFormatError, match="samples it at 250 Hz, not at the 500 Hz given"):
        records.classify_file(tmp_path / "rec.hea", "mitbih", fs=500)
    # On a Dask cluster too: no record is sent that would fail the check.
    pytest.importorskip("ecgbeat.distributed")
    monkeypatch.setattr("ecgbeat.distributed.classify_records", never)
    argv = ["-q", "predict", str(tmp_path / "rec"), "--model", "mitbih", "--fs", "500"]
    assert main([*argv, "--dask", "tcp://127.0.0.1:1"]) == 1
    err = capsys.readouterr().err
    assert "samples it at 250 Hz, not at the 500 Hz given" in err
    assert "1 of 1 input(s) failed" in err


def test_a_bad_csv_is_named_once_in_plain_words(tmp_path, capsys):
    from ecgbeat.cli import main

    bad = tmp_path / "wrongcols.csv"
    bad.write_text("1,2,3\n4,5\n")
    assert main(["-q", "predict", str(bad), "--model", "mitbih"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"ecgbeat predict: {bad}: not a CSV of numbers: the number of columns changed from 3 "
        "to 2 at row 2; without a sampling rate a CSV holds beats, one per row: for a signal, "
        "one column per lead, give its rate (fs=..., --fs HZ)"
    )
    # An empty signal file: one line that says so, no NumPy warning before it.
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["-q", "predict", str(empty), "--fs", "360", "--model", "mitbih"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"ecgbeat predict: {empty}: the file holds no samples"


def test_missing_inputs_fail_before_the_model_loads(tmp_path, capsys, monkeypatch):
    from ecgbeat import cli
    from ecgbeat.cli import _predict

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded although no input exists")

    monkeypatch.setattr(_predict, "load_classifier", no_model)
    code = cli.main(["-q", "predict", str(tmp_path / "999"), str(tmp_path / "x.csv")])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err == [
        f"ecgbeat predict: {tmp_path / '999'}: record 999: header file {tmp_path / '999.hea'} "
        "not found",
        f"ecgbeat predict: {tmp_path / 'x.csv'} not found",
        "ecgbeat predict: 2 of 2 input(s) failed",
    ]


def _edf(path, signals: dict[str, tuple[np.ndarray, float]], annotations=()) -> None:
    """An EDF+ file of the named signals, each at its own rate (written by edfio)."""
    edfio = pytest.importorskip("edfio")
    edf = edfio.Edf(
        [
            edfio.EdfSignal(data, fs, label=name, physical_dimension="mV")
            for name, (data, fs) in signals.items()
        ],
        annotations=[edfio.EdfAnnotation(onset, None, text) for onset, text in annotations],
    )
    edf.write(path)


def test_an_edf_holter_export_is_read_with_its_own_rate_and_lead(tmp_path):
    from ecgbeat.datasets._records import read_signal
    from ecgbeat.records import classify_signal

    # EDF+ as Holters export it: an ECG lead, a slower motion channel, an annotation channel.
    ecg = _ecg()
    motion = np.linspace(0, 1, 30 * 25)
    _edf(
        tmp_path / "holter.edf",
        {"Accel": (motion, 25.0), "ECG II": (ecg, float(FS))},
        annotations=[(1.0, "recording start")],
    )
    signal, fs, lead = read_signal(tmp_path / "holter.edf")
    assert (fs, lead) == (FS, "ECG II") and signal.size == ecg.size
    # 16-bit samples over the signal's range: within one digital step of the original.
    np.testing.assert_allclose(signal, ecg, atol=(ecg.max() - ecg.min()) / 65535 + 1e-12)
    assert read_signal(tmp_path / "holter.edf", "accel")[1:] == (25.0, "Accel")
    from_edf = classify_signal(signal, fs, "mitbih")
    from_array = classify_signal(ecg, FS, "mitbih")
    np.testing.assert_array_equal(from_edf.sample, from_array.sample)
    with pytest.raises(DataFormatError, match=r"samples lead ECG II at 250 Hz, not at the 500 Hz"):
        read_signal(tmp_path / "holter.edf", fs=500)
    with pytest.raises(DataFormatError, match=r"has no column 'V9'; its columns are Accel, ECG II"):
        read_signal(tmp_path / "holter.edf", "V9")


def test_an_edf_with_gaps_between_its_data_records_is_refused(tmp_path):
    import re

    from ecgbeat.datasets._records import read_signal

    _edf(tmp_path / "c.edf", {"ECG II": (_ecg(), float(FS))}, annotations=[(0.5, "start")])
    data = (tmp_path / "c.edf").read_bytes()
    header = int(data[184:192])
    # EDF+D, stated in the header's reserved field: continuous, it is read as EDF+C is.
    discontinuous = data[:192] + b"EDF+D".ljust(44) + data[236:]
    (tmp_path / "d.edf").write_bytes(discontinuous)
    assert read_signal(tmp_path / "d.edf")[0].size == _ecg().size
    # A minute's gap before the 11th data record (1 s each): each record's time-keeping
    # annotation "+k" says when it starts.
    body = re.sub(
        rb"\+(\d+)(?=\x14\x14\x00)",
        lambda m: b"+%d" % (int(m[1]) + 60) if int(m[1]) >= 10 else m[0],
        discontinuous[header:],
    )
    (tmp_path / "gap.edf").write_bytes(discontinuous[:header] + body)
    with pytest.raises(DataFormatError, match=r"gap\.edf: an EDF\+D file with gaps"):
        read_signal(tmp_path / "gap.edf")


def test_predict_reads_edf_and_refuses_a_broken_one(tmp_path, capsys):
    from ecgbeat.cli import main

    _edf(tmp_path / "rec.edf", {"ECG1": (_ecg(), float(FS))})
    (tmp_path / "broken.edf").write_bytes(b"0       this is no EDF header")
    argv = ["-q", "predict", str(tmp_path / "rec.edf"), str(tmp_path / "broken.edf")]
    code = main([*argv, "--model", "mitbih", "--summary"])
    captured = capsys.readouterr()
    assert code == 1  # one input failed, the other was classified
    assert "rec.edf: 36 beats" in captured.out  # as the same signal from a CSV
    assert f"{tmp_path / 'broken.edf'}: not a readable EDF/EDF+ file" in captured.err


def test_edf_without_its_reader_says_how_to_install_it(tmp_path, monkeypatch):
    import sys

    from ecgbeat.datasets._records import read_signal

    _edf(tmp_path / "rec.edf", {"ECG1": (_ecg(), float(FS))})
    monkeypatch.setitem(sys.modules, "edfio", None)
    with pytest.raises(ImportError, match=r'pip install (-e )?"[^"]*\[edf\]"'):
        read_signal(tmp_path / "rec.edf")


def test_one_csv_writer_joins_tables_of_any_classes_and_any_origin(tmp_path):
    import io

    from ecgbeat.records import BeatTable, write_csv

    annotated = BeatTable(
        record="100",
        sample=np.array([360, 720]),
        fs=360.0,
        label=np.array(["N", "V"]),
        proba=np.array([[0.75, 0.25], [0.125, 0.875]]),
        class_names=["N", "V"],
        reference=np.array(["N", "S"]),
    )
    from_csv = BeatTable(  # beats from a CSV: no R peaks, no times, other classes
        record="beats",
        sample=np.array([0]),
        fs=float("nan"),
        label=np.array(["S"]),
        proba=np.array([[0.5, 0.5]]),
        class_names=["N", "S"],
    )
    stream = io.StringIO()
    write_csv([annotated, from_csv], stream)
    assert stream.getvalue().splitlines() == [
        "record,sample,time_s,label,reference,p_N,p_V,p_S",
        "100,360,1.0,N,N,0.75,0.25,",
        "100,720,2.0,V,S,0.125,0.875,",
        "beats,0,,S,,0.5,,0.5",
    ]
    # A table writes itself with the same writer, to a path atomically.
    annotated.to_csv(tmp_path / "100.csv")
    stream = io.StringIO()
    write_csv([annotated], stream)
    assert (tmp_path / "100.csv").read_text() == stream.getvalue()


def test_classify_file_reads_each_kind_of_input_as_its_own_function_does(tmp_path):
    from ecgbeat.datasets import load_sample
    from ecgbeat.records import classify_beats, classify_file, classify_signal, input_kind

    record, _ = _record(tmp_path, ["MLII"])
    np.save(tmp_path / "lead.npy", _ecg())
    np.savetxt(tmp_path / "beats.csv", load_sample().data[:5], delimiter=",")
    kinds = [input_kind(p, fs) for p, fs in [(record, None), (f"{record}.hea", None),
             (tmp_path / "lead.npy", FS), (tmp_path / "beats.csv", None)]]  # fmt: skip
    assert kinds == ["record", "record", "signal", "beats"]

    from_hea = classify_file(f"{record}.hea", "mitbih")
    assert from_hea.record == "rec" and from_hea.lead == "MLII"
    np.testing.assert_array_equal(from_hea.label, classify_record(record, "mitbih").label)
    from_npy = classify_file(tmp_path / "lead.npy", "mitbih", fs=FS)
    expected = classify_signal(_ecg(), FS, "mitbih")
    np.testing.assert_array_equal(from_npy.sample, expected.sample)
    np.testing.assert_allclose(from_npy.proba, expected.proba, atol=1e-6)
    # Beats carry no R-R intervals: without a classifier, the model of beats alone.
    beats = classify_file(tmp_path / "beats.csv")
    assert beats.record == "beats" and np.isnan(beats.fs)
    np.testing.assert_array_equal(beats.label, classify_beats(load_sample().data[:5]).label)

    with pytest.raises(ValueError, match=r"lead\.npy: annotations come from WFDB"):
        classify_file(tmp_path / "lead.npy", "mitbih", fs=FS, annotations="atr")
    with pytest.raises(DataFormatError, match="sampling rate"):
        classify_file(tmp_path / "lead.npy", "mitbih")


def test_a_csv_signal_given_without_its_rate_is_told_to_need_one(tmp_path):
    from ecgbeat.records import classify_file

    # A signal exported as CSV (a time column, a lead) reads as beats without fs: the error
    # must say what would read it, not only that its rows are short beats.
    path = tmp_path / "lead.csv"
    t = np.arange(10 * FS) / FS
    np.savetxt(path, np.column_stack([t, _ecg(10)]), delimiter=",", header="time,MLII", comments="")
    with pytest.raises(DataFormatError, match=r"rows have 2 values.*give its rate \(fs="):
        classify_file(path, "mitbih")


def test_a_csv_of_beats_is_refused_by_a_model_that_reads_rr_features(tmp_path):
    from ecgbeat.datasets import load_sample
    from ecgbeat.records import classify_file

    path = tmp_path / "beats.csv"
    np.savetxt(path, load_sample().data[:3], delimiter=",")
    # Not "the model takes beats of 197 samples": the rows are beats, the model wants more.
    with pytest.raises(ValueError, match=r"beats\.csv: the model reads 10 R-R interval features"):
        classify_file(path, "mitbih-rhythm-template")


def test_a_csv_of_beats_for_a_model_of_beats_cut_otherwise_is_told(tmp_path, recwarn):
    # Before, a model whose beats start before the R peak, or are cut at refined peaks,
    # classified beats cut already without a word ('ecgbeat evaluate' refused the first).
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import load_sample
    from ecgbeat.records import classify_file

    path = tmp_path / "beats.csv"
    np.savetxt(path, load_sample().data[:3], delimiter=",")
    model = HeartbeatCNNClassifier.from_pretrained("mitbih")
    card = model.model_card_
    model.model_card_ = {**card, "segmentation": {"before_r": 0.1}}
    with pytest.raises(ValueError, match=r"beats\.csv: the model reads beats that start 0\.1 s"):
        classify_file(path, model)
    model.model_card_ = {**card, "segmentation": {"refine_radius": 0.12}}
    with pytest.warns(UserWarning, match=r"within 0\.12 s.*they are classified as given"):
        assert len(classify_file(path, model)) == 3
    model.model_card_ = card
    recwarn.clear()
    assert len(classify_file(path, model)) == 3
    assert not [w for w in recwarn if "as given" in str(w.message)]


def test_predict_reads_a_compressed_csv_of_beats_as_beats(tmp_path, capsys):
    import gzip

    from ecgbeat.cli import main
    from ecgbeat.datasets import load_sample

    sample = load_sample()
    rows = np.column_stack([sample.data[:4], sample.target[:4]])  # the Kaggle layout
    np.savetxt(tmp_path / "beats.csv", rows, delimiter=",")
    with gzip.open(tmp_path / "kaggle.csv.gz", "wb") as stream:
        stream.write((tmp_path / "beats.csv").read_bytes())
    # read_beats_csv decompresses it; it is no WFDB record named kaggle.csv.gz.
    code = main(["-q", "predict", str(tmp_path / "kaggle.csv.gz"), str(tmp_path / "beats.csv")])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(lines) == 9
    kaggle = [line.split(",", 1) for line in lines if line.startswith("kaggle,")]
    plain = [line.split(",", 1) for line in lines if line.startswith("beats,")]
    assert len(kaggle) == 4 and [row[1] for row in kaggle] == [row[1] for row in plain]


def test_the_summary_gives_the_recordings_length_not_the_last_beats_time():
    from ecgbeat.records import BeatTable, classify_signal

    fs = 250
    t = np.arange(30 * fs) / fs
    ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 20, 0.8))  # then flat
    table = classify_signal(ecg, fs, "mitbih")
    assert table.n_samples == ecg.size and table.time[-1] < 20
    assert table.summary()["duration_s"] == 30.0
    # Beats without their signal (a CSV of beats) have no length: the last beat's time.
    beats = BeatTable("b", np.array([250, 500]), 250.0, np.array(["N", "N"]), np.eye(2), ["N", "V"])
    assert beats.summary()["duration_s"] == 2.0


def test_the_summary_of_beats_without_times_is_valid_json():
    import json

    from ecgbeat.records import BeatTable

    def no_nan(constant):
        raise ValueError(f"{constant} is no JSON value")

    # A CSV of beats: no R peaks, so no times and no length (fs NaN), with or without beats.
    for n in (2, 0):
        beats = BeatTable(
            "beats", np.arange(n), float("nan"), np.array(["N", "V"][:n]), np.eye(2)[:n], ["N", "V"]
        )
        summary = json.loads(json.dumps(beats.summary()), parse_constant=no_nan)
        assert summary["duration_s"] is None and summary["beats"] == n


def test_the_summary_of_a_table_named_by_a_path_or_a_number_is_json_of_its_name():
    # The record was given back as it was: json.dumps refused a Path ("Object of type PosixPath
    # is not JSON serializable"), and the summary named 100 a number where the CSV has "100".
    import json
    from pathlib import Path

    from ecgbeat.records import BeatTable

    for name in (100, Path("data") / "100"):
        table = BeatTable(name, np.array([370]), 360.0, np.array(["N"]), np.eye(2)[:1], ["N", "V"])
        summary = json.loads(json.dumps(table.summary()))
        assert summary["record"] == str(name) == table.rows()[0]["record"]


def test_annotations_name_an_extension_not_a_path(mitdb_dir, capsys):
    from ecgbeat.cli import main
    from ecgbeat.datasets import read_annotations

    for wrong in ("../x.atr", ".atr", "100.atr", ""):
        with pytest.raises(ValueError, match="the annotation file's extension, such as 'atr'"):
            read_annotations(mitdb_dir / "100", wrong, 650000)
    argv = [
        "-q",
        "predict",
        str(mitdb_dir / "100"),
        "--annotations",
        "100.atr",
        "--model",
        "mitbih",
    ]
    assert main(argv) == 1
    assert "not a file name or path; got '100.atr'" in capsys.readouterr().err


def test_a_heart_rate_no_recording_has_asks_whether_the_rate_is_right(tmp_path):
    # A 360 Hz export read at 125 Hz beat 25 times a minute: classified, without a word.
    import warnings

    from ecgbeat.records import classify_signal

    ecg = _ecg(60)  # 75 beats a minute at FS
    with pytest.warns(UserWarning, match=r"times a minute \(median\), outside 30-300: is the"):
        classify_signal(ecg, FS * 125 / 360, "mitbih", quality=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert len(classify_signal(ecg, FS, "mitbih", quality=False)) > 60
    # No R peak at all: an empty table, said so (it looked like a recording without beats).
    with pytest.warns(UserWarning, match="no R peak found, so no beat to classify"):
        assert len(classify_signal(np.zeros(5000), 360, "mitbih")) == 0
    # One R peak gives no beat either (a beat needs the next one): it came without a word.
    ecg = _ecg(5.0)
    one_bump = np.exp(-(((np.arange(5 * FS) / FS - 2.5) / 0.012) ** 2))
    with pytest.warns(UserWarning, match="one R peak only, so no beat to classify"):
        assert len(classify_signal(one_bump, FS, "mitbih", quality=False)) == 0
    # R peaks given (r_peaks, annotations) are not blamed on a flat signal or the lead: they
    # are few. Nor are r_peaks said to come from annotations, which a caller did not give.
    for given in ([100], []):
        with pytest.warns(UserWarning, match=r"R peak.* given \(r_peaks, or the beat symbols of"):
            assert len(classify_signal(ecg, FS, "mitbih", r_peaks=given, quality=False)) == 0
    path, _ = _record(tmp_path, ["MLII"], beats=[100])
    with pytest.warns(UserWarning, match=r"one R peak only given \(r_peaks, or the beat symbols"):
        assert len(classify_record(path, "mitbih", annotations="atr")) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert len(classify_signal(ecg, FS, "mitbih", r_peaks=[100, 300], quality=False)) == 1


def test_a_record_named_by_its_data_file_or_folder_is_told_what_to_name(tmp_path, capsys):
    # "header file .../100.dat.hea not found" did not say that the record has no extension.
    from ecgbeat.cli import main

    _record(tmp_path, ["MLII"])
    (dat,) = tmp_path.glob("*.dat")
    assert main(["predict", str(dat)]) == 1
    err = capsys.readouterr().err
    assert f"name the record without extension, {dat.with_suffix('')}" in err
    assert main(["predict", str(tmp_path)]) == 1
    assert f"{tmp_path} is a folder; name a record in it" in capsys.readouterr().err


def test_a_signal_file_given_as_a_record_is_told_to_go_to_classify_file(tmp_path):
    # classify_record("holter.edf") advised to export the file as a .csv, .npy or .edf file,
    # which it already was.
    from ecgbeat.records import classify_record

    for name in ("holter.edf", "lead.csv", "lead.npy"):
        (tmp_path / name).write_text("0\n")
        with pytest.raises(FileNotFoundError, match=r"is a signal or beats file.*classify_file"):
            classify_record(tmp_path / name, "mitbih")


def test_a_file_of_a_kind_not_read_is_told_which_kinds_are(tmp_path, capsys):
    # A signal exported as .txt or .tsv is taken for a WFDB record: "header file
    # holter.txt.hea not found" told of a lost file, never which files ecgbeat reads.
    from ecgbeat.cli import main
    from ecgbeat.records import classify_file

    path = tmp_path / "holter.txt"
    np.savetxt(path, _ecg())
    kinds = r"reads a signal from a \.csv, \.npy or \.edf file, and beats from a \.csv file"
    with pytest.raises(FileNotFoundError, match=rf"holter\.txt is a file of its own.*{kinds}"):
        classify_file(path, "mitbih", fs=FS)
    assert main(["predict", str(path), "--fs", str(FS)]) == 1
    assert "holter.txt is a file of its own, no WFDB record" in capsys.readouterr().err
    # A record that is not there is still only not there.
    with pytest.raises(FileNotFoundError) as missing:
        classify_file(tmp_path / "100", "mitbih")
    assert str(missing.value).endswith("100.hea not found")


def test_repeated_or_unordered_r_peaks_are_refused_as_such_before_any_warning():
    # Peaks given twice each (a median interval of 0) raised ZeroDivisionError in the heart-rate
    # check, and unordered ones warned of a negative heart rate before being refused.
    import warnings

    from ecgbeat.exceptions import SignalError
    from ecgbeat.records import classify_signal

    ecg = _ecg(30)
    peaks = np.array([round(c * FS) for c in np.arange(0.4, 30, 0.8)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for bad in (np.repeat(peaks, 2), peaks[::-1]):
            with pytest.raises(SignalError, match="r_peaks must be strictly increasing"):
                classify_signal(ecg, FS, "mitbih", r_peaks=bad, quality=False)


def test_a_table_counts_labels_given_as_a_list_or_as_integer_codes():
    # A list of labels compared with a class name is never equal to it (nor the code 0 to the
    # name "0"): every count, and the burden, came out of no beats at all.
    from ecgbeat.records import BeatTable

    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    as_list = BeatTable("r", [10, 20, 30], 250.0, ["N", "V", "N"], proba, ["N", "V"])
    as_list.readable = [True, True, False]
    summary = as_list.summary()
    assert summary["counts"] == {"N": 2, "V": 1}
    assert summary["readable_counts"] == {"N": 1, "V": 1} and summary["ectopic_burden"] == 0.5
    codes = BeatTable("r", np.array([10, 20, 30]), 250.0, np.array([0, 1, 0]), proba, ["0", "1"])
    codes.normal_class = "0"
    assert codes.counts() == {"0": 2, "1": 1}
    assert codes.summary()["ectopic_burden"] == pytest.approx(1 / 3)


def test_the_csv_writer_writes_every_row_of_a_generator_of_tables(tmp_path):
    # The writer read its tables three times: a generator, read up by the check of the class
    # names, wrote a header without p_ columns and not one row (to a stream or a file).
    import io

    from ecgbeat.records import BeatTable, write_csv

    tables = [
        BeatTable(name, np.array([370, 662]), 360.0, np.array(["N", "V"]), np.eye(2), ["N", "V"])
        for name in ("100", "101")
    ]
    expected = io.StringIO()
    write_csv(tables, expected)
    assert len(expected.getvalue().splitlines()) == 5
    stream = io.StringIO()
    write_csv((table for table in tables), stream)
    assert stream.getvalue() == expected.getvalue()
    write_csv(iter(tables), tmp_path / "beats.csv")
    assert (tmp_path / "beats.csv").read_text() == expected.getvalue()


def test_a_table_of_a_record_named_by_a_number_or_a_path_writes_its_name():
    # spreadsheet_text indexed the name: a record named 100 failed when written, with
    # "'int' object is not subscriptable".
    import io
    from pathlib import Path

    from ecgbeat.records import BeatTable

    for name in (100, Path("data") / "100"):
        table = BeatTable(name, np.array([370]), 360.0, np.array(["N"]), np.eye(2)[:1], ["N", "V"])
        stream = io.StringIO()
        table.to_csv(stream)
        assert stream.getvalue().splitlines()[1].startswith(f"{name},370,")


def test_a_model_file_given_as_a_path_is_loaded_as_its_name_as_text_is():
    from pathlib import Path

    import ecgbeat.pretrained
    from ecgbeat.datasets import load_sample
    from ecgbeat.records import classify_beats, fitted_classifier

    path = Path(ecgbeat.pretrained.__file__).parent / "mitbih.keras"
    clf = fitted_classifier(path)
    assert clf.classes_.tolist() == [0, 1, 2, 3, 4]
    beats = load_sample().data[:3]
    np.testing.assert_array_equal(
        classify_beats(beats, path).label, classify_beats(beats, str(path)).label
    )


def test_an_unfitted_classifier_is_refused_as_not_fitted(tmp_path):
    # It failed with "'HeartbeatCNNClassifier' object has no attribute 'classes_'", after a
    # record had been read whole, where scikit-learn says NotFittedError; None likewise.
    from sklearn.exceptions import NotFittedError

    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.records import classify_beats, classify_file, classify_signal

    path, _ = _record(tmp_path, ["MLII"])
    beats = tmp_path / "beats.csv"
    np.savetxt(beats, np.zeros((2, 187)), delimiter=",")
    for classify in (
        lambda clf: classify_signal(_ecg(), FS, clf),
        lambda clf: classify_beats(np.zeros((2, 187)), clf),
        lambda clf: classify_record(path, clf),
        lambda clf: classify_file(beats, clf),
    ):
        with pytest.raises(NotFittedError, match="HeartbeatCNNClassifier instance is not fitted"):
            classify(HeartbeatCNNClassifier())
        with pytest.raises(TypeError, match="classifier must be a fitted classifier, a pretrained"):
            classify(42)


def test_a_classifier_whose_classes_a_table_cannot_name_is_refused():
    # A multi-output classifier (classes_ holds an array per output) gave a table of nested
    # labels without a word when there were as many beats as outputs, else an IndexError; one
    # without classes_ failed with "object has no attribute 'classes_'".
    from types import SimpleNamespace

    from sklearn.neighbors import KNeighborsClassifier

    from ecgbeat.records import classify_beats

    rng = np.random.default_rng(0)
    X = rng.random((20, 187))
    y = np.c_[np.arange(20) % 2, 1 + np.arange(20) % 2]  # outputs of classes [0, 1], [1, 2]
    multi_output = KNeighborsClassifier(n_neighbors=1).fit(X, y)
    for n_beats in (2, 5):
        with pytest.raises(ValueError, match=r"predicts 2 outputs per beat.*one label per beat"):
            classify_beats(X[:n_beats], multi_output)
    unnamed = SimpleNamespace(predict_proba=lambda rows: np.full((len(rows), 2), 0.5))
    with pytest.raises(TypeError, match=r"must have classes_.*SimpleNamespace has none"):
        classify_beats(X[:2], unnamed)
    # A classifier of one output per beat is taken, its classes named as text.
    single = KNeighborsClassifier(n_neighbors=1).fit(X, y[:, 0])
    assert classify_beats(X[:3], single).label.tolist() == ["0", "1", "0"]


def test_a_classifier_without_parameters_is_refused_where_beats_are_cut(tmp_path):
    # A LowLatencyPredictor (predict_proba, classes_, no get_params) failed with
    # "'LowLatencyPredictor' object has no attribute 'get_params'", naming no way out.
    from types import SimpleNamespace

    from ecgbeat.records import classify_file, classify_signal

    path, _ = _record(tmp_path, ["MLII"])
    beats = tmp_path / "beats.csv"
    np.savetxt(beats, np.zeros((2, 187)), delimiter=",")
    predictor = SimpleNamespace(
        predict_proba=lambda X: np.full((len(X), 2), 0.5), classes_=np.array([0, 1])
    )
    for classify in (
        lambda clf: classify_signal(_ecg(), FS, clf),
        lambda clf: classify_record(path, clf),
        lambda clf: classify_file(beats, clf),
    ):
        with pytest.raises(TypeError, match=r"got SimpleNamespace, which keeps neither: pass"):
            classify(predictor)


def test_wrong_class_names_or_normal_class_for_beats_are_told_before_any_is_classified(
    tmp_path, monkeypatch
):
    # As for a recording: a wrong normal_class was refused only once every beat had been
    # through the network (and a CSV of beats read whole).
    from types import SimpleNamespace

    import ecgbeat.records as records

    calls = []
    clf = SimpleNamespace(
        classes_=np.array(["N", "V"]),
        n_features_in_=187,
        get_params=lambda: {"n_rr_features": 0},
        predict_proba=lambda X: calls.append(len(X)) or np.tile([0.9, 0.1], (len(X), 1)),
    )
    path = tmp_path / "beats.csv"
    np.savetxt(path, np.zeros((3, 187)), delimiter=",")
    read = []
    monkeypatch.setattr(
        "ecgbeat.datasets.read_beats_csv", lambda *args: read.append(args) or np.zeros((3, 187))
    )
    for classify in (
        lambda **given: records.classify_beats(np.zeros((3, 187)), clf, **given),
        lambda **given: records.classify_file(path, clf, **given),
    ):
        with pytest.raises(ValueError, match=r"normal class 'Q' is not one of .*\['N', 'V'\]"):
            classify(normal_class="Q")
        with pytest.raises(ValueError, match="class_names has 3 names but the classifier has 2"):
            classify(class_names=["a", "b", "c"])
    assert calls == [] and read == []
    table = records.classify_file(path, clf, normal_class="V")
    assert (len(read), calls, table.summary()["ectopic_burden"]) == (1, [3], 1.0)


def test_the_normal_class_of_integer_or_boolean_classes_is_the_class_itself():
    # The table names classes by their text: normal_class=0 for classes [0, 1] was refused as
    # "not one of the classifier's classes ['0', '1']".
    from types import SimpleNamespace

    from ecgbeat.records import classify_beats, resolve_normal_class

    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.6, 0.4]])
    for classes, normal in (([0, 1], 0), (np.array([3, 7]), np.int64(3)), ([False, True], False)):
        clf = SimpleNamespace(classes_=classes, predict_proba=lambda X: proba[: len(X)])
        table = classify_beats(np.zeros((4, 187)), clf, normal_class=normal)
        assert table.normal_class == str(normal)
        assert table.summary()["ectopic_burden"] == 0.25
    with pytest.raises(ValueError, match=r"normal class '2' is not one of"):
        resolve_normal_class(None, ["0", "1"], 2)


def test_a_table_whose_columns_are_out_of_step_is_refused_before_any_row_is_written():
    # A label filtered and a sample not was counted beat by label and written as many rows as
    # sample has; a proba of another width failed halfway, after the rows of the tables before.
    import io

    from ecgbeat.records import BeatTable, write_csv

    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    good = BeatTable(
        "a", np.array([10, 20, 30]), 250.0, np.array(["N", "V", "N"]), proba, ["N", "V"]
    )
    more_labels = BeatTable(
        "b", np.array([10, 20]), 250.0, np.array(["N", "V", "V"]), proba, ["N", "V"]
    )
    wider = BeatTable(
        "c", np.array([10, 20, 30]), 250.0, good.label, np.c_[proba, proba], ["N", "V"]
    )
    fewer_marks = BeatTable("d", good.sample, 250.0, good.label, proba, ["N", "V"], readable=[True])
    for table, message in (
        (more_labels, r"table b: label has 3 entries for the 2 beats"),
        (wider, r"table c: proba has shape \(3, 4\)"),
        (fewer_marks, r"table d: readable has 1 entries for the 3 beats"),
    ):
        stream = io.StringIO()
        with pytest.raises(ValueError, match=message):
            write_csv([good, table], stream)
        assert stream.getvalue() == ""
        with pytest.raises(ValueError, match=message):
            table.summary()
    empty = BeatTable("e", np.zeros(0, int), 250.0, np.zeros(0, str), np.zeros((0, 0)), ["N", "V"])
    assert empty.summary()["counts"] == {"N": 0, "V": 0}


def test_class_names_alike_as_text_are_refused_as_columns_of_one_name():
    # Classes 1 and "1" are two classes but one p_1 column: the CSV wrote p_1 twice, both
    # with the same class's probabilities, and the other's were lost.
    import io

    from ecgbeat.records import BeatTable, write_csv

    table = BeatTable("x", np.array([5]), 250.0, np.array(["1"]), np.array([[0.1, 0.9]]), [1, "1"])
    stream = io.StringIO()
    with pytest.raises(ValueError, match=r"table x's class names \['1', '1'\] repeat 1"):
        write_csv([table], stream)
    assert stream.getvalue() == ""


def test_a_wrong_refine_radius_is_told_by_its_name_before_the_record_is_read(tmp_path):
    # The peak refinement refused it as "radius must be a number of seconds >= 0": no such
    # parameter, and neither 'model' nor None named.
    from ecgbeat.records import classify_signal

    for bad in ("auto", -0.1, float("nan"), True):
        with pytest.raises(ValueError, match=r"refine_radius must be .* or 'model'.*, got"):
            classify_signal(_ecg(5.0), FS, "mitbih", refine_radius=bad, quality=False)
        # The record is never read: a missing one is not what is told.
        with pytest.raises(ValueError, match=r"^refine_radius must be"):
            classify_record(tmp_path / "absent", "mitbih", refine_radius=bad)
    assert len(classify_signal(_ecg(5.0), FS, "mitbih", refine_radius=0, quality=False)) > 0


def test_a_lead_given_for_a_csv_of_beats_is_refused_and_left_to_the_records_beside_it(
    tmp_path, capsys
):
    # classify_file ignored it: the user believed the beats read from that lead.
    from ecgbeat.cli import main
    from ecgbeat.datasets import load_sample
    from ecgbeat.records import classify_file

    record, _ = _record(tmp_path, ["MLII"])
    np.savetxt(tmp_path / "beats.csv", load_sample().data[:3], delimiter=",")
    with pytest.raises(ValueError, match=r"beats\.csv: lead applies to records and signal"):
        classify_file(tmp_path / "beats.csv", "mitbih", lead="MLII")
    with pytest.raises(ValueError, match=r"beats\.csv: detector applies to records and sig"):
        classify_file(tmp_path / "beats.csv", "mitbih", detector="threshold")
    # Beside a record, 'ecgbeat predict --lead' is the record's: the beats are classified too.
    argv = ["-q", "predict", str(tmp_path / "beats.csv"), str(record), "--model", "mitbih"]
    code = main([*argv, "--lead", "MLII", "--summary"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "beats: 3 beats" in out and "rec: " in out
    code = main([*argv, "--detector", "threshold", "--summary"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "beats: 3 beats" in out and "rec: " in out


def test_annotations_beside_a_csv_of_beats_are_the_records(tmp_path, capsys):
    # The CSV of beats failed ("annotations ... not a WFDB record") beside a record whose R
    # peaks --annotations names, where --lead and --detector are left to the record.
    from ecgbeat.cli import main
    from ecgbeat.datasets import load_sample
    from ecgbeat.qrs import detect_r_peaks

    record, _ = _record(tmp_path, ["MLII"], beats=detect_r_peaks(_ecg(), FS))
    np.savetxt(tmp_path / "beats.csv", load_sample().data[:3], delimiter=",")
    argv = ["-q", "predict", str(tmp_path / "beats.csv"), str(record), "--model", "mitbih"]
    code = main([*argv, "--annotations", "atr", "--summary"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "beats: 3 beats" in out and "rec: " in out


def test_a_rate_that_is_no_number_is_refused_for_a_record_as_for_a_signal(tmp_path):
    # Text failed in np.isclose with a UFuncTypeError naming neither fs nor the record, and
    # True was compared as 1 Hz: a signal's rate is refused as such.
    from ecgbeat.records import check_record_rate, classify_file

    record, _ = _record(tmp_path, ["MLII"])
    for bad in (str(FS), True, float("nan"), -FS):
        with pytest.raises(ValueError, match=r"^fs must be a finite number of Hz > 0, got"):
            classify_file(record, "mitbih", fs=bad)
    check_record_rate(record, np.float32(FS))  # its own rate, of any number type


def test_a_csv_file_is_written_as_utf8_whatever_the_locale(tmp_path):
    # Written in the locale's encoding, a name such as "José" failed under an ASCII locale
    # (UnicodeEncodeError) and came out in cp1252 on Windows, which UTF-8 readers garble.
    import os
    import subprocess
    import sys

    script = (
        "import numpy as np, sys\n"
        "from ecgbeat.records import BeatTable\n"
        # Escaped: the command line itself is ASCII under that locale.
        "n, c = 'Jos\\u00e9', '\\u00b5'\n"
        "t = BeatTable(n, np.array([1]), 360.0, np.array([c]), np.ones((1, 1)), [c])\n"
        "t.to_csv(sys.argv[1])\n"
    )
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}
    env["PYTHONCOERCECLOCALE"] = "0"  # else Python makes the C locale UTF-8 itself
    out = tmp_path / "beats.csv"
    done = subprocess.run(
        [sys.executable, "-c", script, str(out)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().decode("utf-8").splitlines()[1] == "José,1,0.0028,µ,1.0"


def test_wrong_class_names_or_normal_class_are_told_before_any_peak_is_found(monkeypatch):
    # They were refused only once the recording had been searched for R peaks and cut.
    import ecgbeat.beats
    import ecgbeat.qrs
    from ecgbeat.records import classify_signal

    def no_work(*args, **kwargs):
        raise AssertionError("the recording was searched before the wrong names were told")

    for module, function in ((ecgbeat.qrs, "pan_tompkins_marked"), (ecgbeat.qrs, "detect_r_peaks")):
        monkeypatch.setattr(module, function, no_work)
    monkeypatch.setattr(ecgbeat.beats, "cut_beats", no_work)
    with pytest.raises(ValueError, match="class_names has 2 names but the classifier has 5"):
        classify_signal(_ecg(5.0), FS, "mitbih", class_names=["N", "V"])
    with pytest.raises(ValueError, match="normal class 'X' is not one of the classifier's"):
        classify_signal(_ecg(5.0), FS, "mitbih", normal_class="X", quality=False)


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2", ".CSV.XZ"])
def test_a_csv_path_with_a_compressed_suffix_is_written_compressed(tmp_path, suffix):
    # Plain text went under a .gz name without a word, and read_beats_csv, gzip and pandas then
    # refused the file as no gzip data.
    import io

    from ecgbeat.datasets._compressed import open_text
    from ecgbeat.records import BeatTable, write_csv

    table = BeatTable("r", np.array([5, 9]), 250.0, np.array(["N", "V"]), np.eye(2), ["N", "V"])
    expected = io.StringIO()
    write_csv([table], expected)
    path = tmp_path / f"beats{suffix}"
    table.to_csv(path)
    magic = {".gz": b"\x1f\x8b", ".bz2": b"BZh", ".xz": b"\xfd7zXZ"}[path.suffix.lower()]
    assert path.read_bytes().startswith(magic)
    with open_text(path) as stream:
        assert stream.read() == expected.getvalue()
    plain = tmp_path / "beats.csv"
    table.to_csv(plain)
    assert plain.read_text(encoding="utf-8") == expected.getvalue()


def test_a_csv_path_ending_in_lzma_is_written_as_lzma_not_xz(tmp_path):
    # ".lzma" is read (and so written) as a compressed suffix, but was written in the .xz
    # format: unlzma, and xz --format=lzma, refused it as "File format not recognized".
    import lzma

    from ecgbeat.datasets._compressed import open_text, open_text_to_write

    path = tmp_path / "beats.csv.lzma"
    with open_text_to_write(path) as stream:
        stream.write("record,class\n100,N\n")
    raw = path.read_bytes()
    assert lzma.decompress(raw, format=lzma.FORMAT_ALONE) == b"record,class\n100,N\n"
    with open_text(path) as stream:  # and read back as it was written
        assert stream.read() == "record,class\n100,N\n"


def test_quality_must_be_true_or_false(tmp_path):
    # Text is truthy: quality="no" marked the beats without a word.
    from ecgbeat.records import classify_signal
    from ecgbeat.streaming import StreamClassifier

    for bad in ("no", "False", 0, None):
        with pytest.raises(ValueError, match=r"^quality must be True or False, got"):
            classify_signal(_ecg(5.0), FS, "mitbih", quality=bad)
        with pytest.raises(ValueError, match=r"^quality must be True or False, got"):
            classify_record(tmp_path / "absent", "mitbih", quality=bad)  # before it is read
        with pytest.raises(ValueError, match=r"^quality must be True or False, got"):
            StreamClassifier(FS, "mitbih", quality=bad)
    table = classify_signal(_ecg(5.0), FS, "mitbih", quality=np.False_)
    assert len(table) > 0 and table.readable is None


def test_a_lead_of_several_samples_per_frame_is_read_not_refused(tmp_path):
    # WFDB's "16x2": MLII at two samples per frame beside V5 at one, in one data file. Its
    # size was checked as one sample per signal per frame, and the record refused as damaged.
    n = 10 * FS
    mlii = np.round(1000 * np.sin(2 * np.pi * np.arange(2 * n) / (2 * FS)))
    v5 = np.round(1000 * np.cos(2 * np.pi * np.arange(n) / FS))
    frames = np.column_stack([mlii[0::2], mlii[1::2], v5]).astype("<i2")
    frames.tofile(tmp_path / "rec.dat")
    (tmp_path / "rec.hea").write_text(
        f"rec 2 {FS} {n}\nrec.dat 16x2 1000 16 0 0 0 0 MLII\nrec.dat 16 1000 16 0 0 0 0 V5\n"
    )
    signal, fs, lead, _ = read_lead(tmp_path / "rec", "V5")
    assert (lead, fs, signal.shape) == ("V5", FS, (n,))
    np.testing.assert_allclose(signal, v5 / 1000)
    signal, fs, lead, _ = read_lead(tmp_path / "rec", "MLII")
    assert (lead, fs, signal.shape) == ("MLII", FS, (n,))
    # A file one frame short is still cut short, and counted in frames.
    (tmp_path / "rec.dat").write_bytes(frames[:-1].tobytes())
    with pytest.raises(DataFormatError, match=r"truncated.*2500 frames of 3 samples"):
        read_lead(tmp_path / "rec", "V5")


def test_a_multi_segment_record_is_read_joined_with_its_segments_files(tmp_path):
    # wfdb reads its header as a MultiRecord, which names its leads in the segments' headers:
    # read_lead failed with "'NoneType' object is not iterable", record_files with an
    # AttributeError.
    from ecgbeat.datasets import record_files

    ecg = _ecg(20.0)
    both = np.column_stack([-ecg[:2500], ecg[:2500]])
    wfdb.wrsamp("a", fs=FS, units=["mV"] * 2, sig_name=["V1", "MLII"], p_signal=both,
                fmt=["16"] * 2, write_dir=str(tmp_path))  # fmt: skip
    wfdb.wrsamp("b", fs=FS, units=["mV"], sig_name=["MLII"], p_signal=ecg[3000:, None],
                fmt=["16"], write_dir=str(tmp_path))  # fmt: skip
    # A variable layout: the layout header, then V1 and MLII, a gap of 2 s, then MLII alone.
    (tmp_path / "lay.hea").write_text(
        f"lay 2 {FS} 0\n~ 0 200 16 0 0 0 0 MLII\n~ 0 200 16 0 0 0 0 V1\n"
    )
    (tmp_path / "rec.hea").write_text(f"rec/4 2 {FS} 5000\nlay 0\na 2500\n~ 500\nb 2000\n")
    signal, fs, lead, _ = read_lead(tmp_path / "rec")
    assert (lead, fs, signal.shape) == ("MLII", FS, (5000,))
    expected = np.concatenate([ecg[:2500], np.full(500, np.nan), ecg[3000:]])
    np.testing.assert_allclose(signal, expected, atol=0.005)
    v1, _, lead, _ = read_lead(tmp_path / "rec", "V1")
    assert lead == "V1" and np.isnan(v1[2500:]).all()
    np.testing.assert_allclose(v1[:2500], -ecg[:2500], atol=0.005)
    assert [p.name for p in record_files(tmp_path / "rec")] == [
        "a.dat", "a.hea", "b.dat", "b.hea", "lay.hea", "rec.hea"
    ]  # fmt: skip
    # A segment's data cut short is named, as a record's is.
    (tmp_path / "b.dat").write_bytes((tmp_path / "b.dat").read_bytes()[:-2])
    with pytest.raises(DataFormatError, match=r"record rec: data file .*b\.dat is truncated"):
        read_lead(tmp_path / "rec")


def test_a_record_with_a_gap_between_its_segments_is_refused_naming_the_gap(tmp_path):
    # read_lead gives NaN in the gap, and classify_record refused the record as "rec: 500 NaN
    # or infinite sample(s), the first at index 2500", NaN that no file of the record holds.
    from types import SimpleNamespace

    from ecgbeat.exceptions import SignalError

    ecg = _ecg(20.0)
    for name, part in (("a", ecg[:2500]), ("b", ecg[3000:])):
        wfdb.wrsamp(name, fs=FS, units=["mV"], sig_name=["MLII"], p_signal=part[:, None],
                    fmt=["16"], write_dir=str(tmp_path))  # fmt: skip
    (tmp_path / "lay.hea").write_text(f"lay 1 {FS} 0\n~ 0 200 16 0 0 0 0 MLII\n")
    (tmp_path / "rec.hea").write_text(f"rec/4 1 {FS} 5000\nlay 0\na 2500\n~ 500\nb 2000\n")
    clf = SimpleNamespace(
        classes_=np.array(["N", "V"]),
        get_params=lambda: {"n_rr_features": 0},
        predict_proba=lambda X: np.tile([0.9, 0.1], (len(X), 1)),
    )
    with pytest.raises(
        SignalError,
        match=r"record rec: lead MLII has no valid value at 500 samples \(the first at sample "
        r"2500, 10\.00 s\): a gap between the record's segments, or samples the record marks "
        r"invalid",
    ):
        classify_record(tmp_path / "rec", clf)


def test_a_table_is_not_written_as_plain_text_under_a_zip_name(tmp_path):
    # beats.csv.zip got plain CSV without a word: pandas.read_csv (which infers the compression
    # from the name) and unzip refused it as no zip file.
    from ecgbeat.records import BeatTable

    table = BeatTable(record="100", sample=np.array([370]), fs=360.0, label=np.array(["N"]),
                      proba=np.array([[0.9, 0.1]]), class_names=["N", "V"])  # fmt: skip
    for name in ("beats.csv.zip", "beats.csv.zst", "beats.tar"):
        with pytest.raises(ValueError, match=r"beats.*: ecgbeat does not write \.\w+ files"):
            table.to_csv(tmp_path / name)
        assert not (tmp_path / name).exists()
    table.to_csv(tmp_path / "beats.csv.xz")
    assert (tmp_path / "beats.csv.xz").read_bytes()[:6] == b"\xfd7zXZ\x00"


def test_the_cards_normal_class_follows_the_class_names_given():
    # The card names its normal class by its own target names: with the classes renamed
    # (class_names=...), the model was refused as "normal class 'N' is not one of the
    # classifier's classes ['normal', 'ectopic']", though no normal_class was given.
    from types import SimpleNamespace

    from ecgbeat.records import resolve_class_names, resolve_normal_class

    clf = SimpleNamespace(
        classes_=np.array([0, 1]), model_card_={"target_names": ["V", "N"], "normal_class": "N"}
    )
    names = resolve_class_names(clf, ["ectopic", "normal"])
    assert resolve_normal_class(clf, names) == "normal"
    assert resolve_normal_class(clf, resolve_class_names(clf)) == "N"
    assert resolve_normal_class(clf, names, "ectopic") == "ectopic"  # given: as given
    # Names that swap the card's: its normal class is the class, not the text.
    assert resolve_normal_class(clf, resolve_class_names(clf, ["N", "V"])) == "V"


def test_a_label_of_no_class_is_not_left_out_of_the_counts_and_burden():
    # A label relabelled ("VEB") was counted in no class: 1 beat of 2 counted, and a burden of
    # 0 % where half the beats are ectopic.
    from ecgbeat.records import BeatTable

    table = BeatTable(record="100", sample=np.array([370, 662]), fs=360.0,
                      label=np.array(["N", "VEB"]), proba=np.array([[0.9, 0.1], [0.2, 0.8]]),
                      class_names=["N", "V"])  # fmt: skip
    for count in (table.counts, table.summary):
        with pytest.raises(ValueError, match=r"table 100: label 'VEB' is none of the class "
                           r"names \['N', 'V'\]"):  # fmt: skip
            count()
    table.label = np.array(["N", "V"])
    assert table.summary()["ectopic_burden"] == 0.5


def test_a_reference_class_is_written_as_text_never_a_formula():
    # The record and label cells were guarded against CSV injection, the reference not.
    import io

    from ecgbeat.records import BeatTable

    table = BeatTable(record="100", sample=np.array([370]), fs=360.0, label=np.array(["N"]),
                      proba=np.array([[0.9, 0.1]]), class_names=["N", "V"],
                      reference=np.array(["=HYPERLINK(1)"]))  # fmt: skip
    stream = io.StringIO()
    table.to_csv(stream)
    assert stream.getvalue().splitlines()[1] == "100,370,1.0278,N,'=HYPERLINK(1),0.9,0.1"


def test_the_unreadable_count_reads_the_marks_as_the_readable_counts_do():
    from ecgbeat.records import BeatTable

    table = BeatTable(record="100", sample=np.array([370, 662]), fs=360.0,
                      label=np.array(["N", "V"]), proba=np.array([[0.9, 0.1], [0.2, 0.8]]),
                      class_names=["N", "V"], readable=np.array([2, 0]))  # fmt: skip
    summary = table.summary()
    # 2 - (2 + 0): no unreadable beat, beside one readable beat of two.
    assert summary["unreadable_beats"] == 1
    assert summary["readable_counts"] == {"N": 1, "V": 0}
    assert [row["readable"] for row in table.rows()] == [1, 0]


def test_no_beats_of_the_wrong_shape_are_taken_for_no_beats():
    # With rows, beats of 100 samples are refused; without, an empty table came back.
    import re
    from types import SimpleNamespace

    from ecgbeat.records import classify_beats

    clf = SimpleNamespace(classes_=np.array(["N", "V"]), n_features_in_=187,
                          predict_proba=lambda X: np.tile([0.9, 0.1], (len(X), 1)))  # fmt: skip
    for shape in ((0, 100), (0,), (0, 187, 2)):
        message = r"beats: beats must be an array of shape \(n_beats, 187\).*got shape "
        with pytest.raises(ValueError, match=message + re.escape(str(shape))):
            classify_beats(np.zeros(shape), clf)
    assert len(classify_beats(np.zeros((0, 187)), clf)) == 0


def test_a_record_with_upper_case_extensions_is_told_to_rename_them(tmp_path):
    # Named by its header, "REC.HEA", the record was said to have no header "REC.hea": wfdb
    # opens only lower-case extensions, and the file beside it was not mentioned.
    _record(tmp_path, ["MLII"])
    for file in list(tmp_path.iterdir()):
        file.rename(file.with_name(file.stem.upper() + file.suffix.upper()))
    for given in (tmp_path / "REC.HEA", tmp_path / "REC"):
        with pytest.raises(FileNotFoundError, match=r"REC\.hea not found: there is REC\.HEA.*"
                           r"rename the record's files to lower-case extensions"):  # fmt: skip
            read_lead(given)


def test_a_compressed_table_beside_a_record_is_no_file_of_the_record(tmp_path, capsys):
    # 100.csv.gz (as --output writes it) was listed as a file of record 100 (its suffix .gz is
    # no table's), so predicting the record again into it was refused: "one of the inputs".
    from ecgbeat.cli import main
    from ecgbeat.datasets import record_files

    path, _ = _record(tmp_path, ["MLII"])
    for name in ("rec.csv.gz", "rec.JSON.XZ", "rec.png", "rec.dat.gz"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in record_files(path)] == ["rec.dat", "rec.dat.gz", "rec.hea"]
    output = tmp_path / "rec.csv.gz"
    output.unlink()
    for _ in range(2):
        assert main(["predict", str(path), "--output", str(output)]) == 0
        assert "wrote" in capsys.readouterr().err


def test_a_gzip_table_names_the_table_not_the_temporary_file_in_its_header(tmp_path):
    # Written to a temporary file then renamed, the gzip header kept the temporary name
    # (".beats.csv.gz.x1y2.tmp"), which 7-Zip and "gunzip -N" extract to.
    import gzip

    from ecgbeat.records import BeatTable

    table = BeatTable("r", np.array([5, 9]), 250.0, np.array(["N", "V"]), np.eye(2), ["N", "V"])
    for name, stored in (("beats.csv.gz", b"beats.csv"), ("BEATS.CSV.GZ", b"BEATS.CSV")):
        path = tmp_path / name
        table.to_csv(path)
        data = path.read_bytes()
        assert data[3] & 0x08  # FNAME: the name of the file compressed follows the header
        assert data[10:].split(b"\0", 1)[0] == stored
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            assert stream.read().startswith("record,sample")


def test_an_annotation_extension_in_the_other_case_is_named_as_written(tmp_path):
    # "annotation file rec.ATR not found", with rec.atr beside it (and the other way round).
    from ecgbeat.datasets import read_annotations

    path, n = _record(tmp_path, ["MLII"], beats=[100, 300, 500])
    with pytest.raises(FileNotFoundError, match=r"rec\.ATR not found: there is rec\.atr; give "
                       r"its extension as it is written, 'atr'"):  # fmt: skip
        read_annotations(path, "ATR", n)
    (tmp_path / "rec.atr").rename(tmp_path / "rec.ATR")
    with pytest.raises(FileNotFoundError, match=r"there is rec\.ATR; .* written, 'ATR'"):
        read_annotations(path, "atr", n)
    samples, _ = read_annotations(path, "ATR", n)
    assert samples.tolist() == [100, 300, 500]


def test_a_detector_beside_the_r_peaks_it_would_find_is_refused(tmp_path, capsys, monkeypatch):
    # The annotations (or r_peaks) give the R peaks: the detector was ignored without a word,
    # and the user believed the beats cut at its peaks.
    from ecgbeat import cli
    from ecgbeat.cli import _predict
    from ecgbeat.records import classify_signal

    path, _ = _record(tmp_path, ["MLII"], beats=np.arange(100, 7000, 200))
    with pytest.raises(ValueError, match=r"detector 'threshold' finds the R peaks that annot"):
        classify_record(path, "mitbih", annotations="atr", detector="threshold")
    with pytest.raises(ValueError, match=r"signal: detector 'threshold' finds the R peaks that r_"):
        classify_signal(
            _ecg(), FS, "mitbih", r_peaks=np.arange(100, 7000, 200), detector="threshold"
        )

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded for a command line that is wrong usage")

    monkeypatch.setattr(_predict, "load_classifier", no_model)
    argv = ["-q", "predict", str(path), "--annotations", "atr", "--model", "mitbih"]
    assert cli.main([*argv, "--detector", "threshold"]) == 2
    err = capsys.readouterr().err
    assert "--detector finds the R peaks that --annotations atr gives" in err


def test_annotations_for_signal_files_alone_are_wrong_usage(tmp_path, capsys, monkeypatch):
    # Signal files have no annotation files: the model loaded, then each input failed (exit 1).
    from ecgbeat import cli
    from ecgbeat.cli import _predict

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded for a command line that is wrong usage")

    monkeypatch.setattr(_predict, "load_classifier", no_model)
    signal = tmp_path / "lead.csv"
    np.savetxt(signal, _ecg(10), delimiter=",")
    argv = ["-q", "predict", str(signal), "--fs", str(FS), "--annotations", "atr"]
    assert cli.main(argv) == 2
    assert "none of the inputs is one (signal files have none)" in capsys.readouterr().err


def test_classify_file_checks_quality_for_a_csv_of_beats_too(tmp_path):
    # A recording refuses quality="no" (text is truthy); a CSV of beats took it silently.
    from ecgbeat.datasets import load_sample
    from ecgbeat.records import classify_file

    np.savetxt(tmp_path / "beats.csv", load_sample().data[:3], delimiter=",")
    with pytest.raises(ValueError, match="quality"):
        classify_file(tmp_path / "beats.csv", "mitbih", quality="no")
    assert len(classify_file(tmp_path / "beats.csv", "mitbih", quality=False)) == 3


def test_a_record_in_the_data_folder_named_relatively_is_pointed_there(
    tmp_path, mitdb_dir, monkeypatch
):
    # "ecgbeat predict mitdb/100" with the database in $ECGBEAT_DATA: "header file
    # mitdb/100.hea not found", naming neither the working folder nor the data folder.
    from ecgbeat.records import classify_record

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("ECGBEAT_DATA", str(mitdb_dir.parent))
    with pytest.raises(FileNotFoundError) as error:
        classify_record("mitdb/100", "mitbih")
    message = str(error.value)
    assert f"not found in the working folder {work}" in message
    assert (
        f"the data folder has {mitdb_dir / '100.hea'}: name the record {mitdb_dir / '100'}"
        in message
    )
    monkeypatch.setenv("ECGBEAT_DATA", str(tmp_path))  # no mitdb/ there
    with pytest.raises(FileNotFoundError, match="not found in the working folder") as error:
        classify_record("mitdb/100", "mitbih")
    assert "data folder" not in str(error.value)


@pytest.mark.parametrize(
    ("n_normal", "n_beats", "message"),
    [
        (130, 120, r"n_normal \(130\) exceeds n_beats \(120\)"),
        (-1, 120, "n_normal must be a count of beats, an integer >= 0, got -1"),
        (10, -5, "n_beats must be a count of beats, an integer >= 0, got -5"),
        (2.5, 10, "n_normal must be a count of beats, an integer >= 0, got 2.5"),
    ],
)
def test_ectopic_burden_refuses_counts_that_are_no_share(n_normal, n_beats, message):
    # Before, 130 normal beats of 120 gave a burden of -0.083, and a negative count one past 1.
    from ecgbeat.records import ectopic_burden

    with pytest.raises(ValueError, match=message):
        ectopic_burden(n_normal, n_beats)
    assert ectopic_burden(np.int64(90), 120) == 0.25
