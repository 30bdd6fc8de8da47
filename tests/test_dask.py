"""ecgbeat.distributed: model selection through joblib's Dask backend and batch classification.

The cluster tests share one ``LocalCluster`` of two worker processes with one thread each, the
smallest cluster that shows work really leaving this process. Most of their time is TensorFlow
starting in each worker.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.distributed import (
    RecordsResult,
    classify_records,
    dask_backend,
    limit_tensorflow_threads,
)
from ecgbeat.records import BeatTable, classify_record

AAMI = ["N", "S", "V", "F", "Q"]


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.CRITICAL,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def record_classifier():
    """A 5-class network for 187-sample beats, fitted in seconds on real beats of the sample."""
    from ecgbeat.datasets import load_sample

    X, y = load_sample(return_X_y=True)
    return HeartbeatCNNClassifier(
        epochs=1, batch_size=32, validation_fraction=0, random_state=0
    ).fit(X[::10], y[::10])


@pytest.fixture
def records(mitdb_dir, tmp_path):
    """Two real MIT-BIH records and a third whose data file is cut in half, in tmp_path."""
    for name in ("100", "119", "103"):
        for ext in ("hea", "dat", "atr"):
            shutil.copy(mitdb_dir / f"{name}.{ext}", tmp_path)
    data = (tmp_path / "103.dat").read_bytes()
    (tmp_path / "103.dat").write_bytes(data[: len(data) // 2])
    return [str(tmp_path / name) for name in ("100", "103", "119")]


def _table(record, labels, proba):
    return BeatTable(
        record=record,
        sample=np.arange(len(labels)) * 360 + 100,
        fs=360.0,
        label=np.array(labels),
        proba=np.array(proba),
        class_names=["N", "V"],
        lead="MLII",
    )


def test_import_loads_neither_dask_nor_tensorflow():
    code = (
        "import sys, ecgbeat, ecgbeat.distributed; "
        "print(sorted(m for m in ('dask', 'distributed', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_without_dask_local_path_works_and_cluster_path_says_how_to_install(
    monkeypatch, mitdb_dir, record_classifier
):
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    record = str(mitdb_dir / "100")
    result = classify_records([record], record_classifier, annotations="atr", class_names=AAMI)
    assert result.errors == {}
    assert (
        len(result.tables[0]) == 2272
    )  # 2273 annotated beats, less the last (no R-R interval follows it)
    with pytest.raises(ImportError, match=r'pip install (-e )?"[^"]*\[dask\]"'):
        classify_records([record], record_classifier, client="tcp://127.0.0.1:8786")
    with pytest.raises(ImportError, match=r"dask\.distributed"):
        with dask_backend("tcp://127.0.0.1:8786"):
            pass


def test_records_result_rows_summary_and_csv(tmp_path):
    result = RecordsResult(
        tables=[
            _table("100", ["N", "V", "N"], [[0.9, 0.1], [0.3, 0.7], [0.8, 0.2]]),
            _table("119", ["V"], [[0.4, 0.6]]),
        ],
        errors={"data/103": "DataFormatError: truncated"},
    )
    summary = result.summary()
    assert (summary["records"], summary["classified"], summary["failed"]) == (3, 2, 1)
    assert summary["beats"] == 4
    assert summary["counts"] == {"N": 2, "V": 2}
    assert summary["ectopic_burden"] == 0.5
    assert [s["record"] for s in summary["per_record"]] == ["100", "119"]
    assert [r["record"] for r in result.rows()] == ["100", "100", "100", "119"]

    stream = io.StringIO()
    result.to_csv(stream)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "record,sample,time_s,label,p_N,p_V"
    assert lines[2] == "100,460,1.2778,V,0.3,0.7"
    assert len(lines) == 5  # one header, four beats

    result.to_csv(tmp_path / "all.csv")
    assert (tmp_path / "all.csv").read_text().replace("\r\n", "\n") == stream.getvalue().replace(
        "\r\n", "\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.csv"]  # no temporary file left


def test_classify_records_refuses_ambiguous_inputs(tmp_path):
    with pytest.raises(ValueError, match="more than once"):
        classify_records(["a/100", "a/100"], "unused")
    with pytest.raises(ValueError, match="more than once"):  # the record and its header
        classify_records(["a/100", "a/100.hea"], "unused")
    with pytest.raises(ValueError, match="more than once"):  # relative and absolute
        classify_records(["a/100", str(Path("a/100").absolute())], "unused")
    with pytest.raises(ValueError, match="more than once"):
        classify_records(["a/100", "a/../a/100"], "unused")
    with pytest.raises(ValueError, match=r"same name.*\['100'\]"):
        classify_records(["a/100", "b/100"], "unused", output_dir=tmp_path)
    with pytest.raises(ValueError, match="positive integer"):
        limit_tensorflow_threads(None, threads=0)


def test_classify_records_takes_one_record_as_a_string(monkeypatch, tmp_path):
    # A str is a sequence of str: read as one, "mitdb/123" would be 9 records of one letter.
    import ecgbeat.distributed as module

    def classify(record, classifier, **options):
        return _table(os.path.basename(record), ["N"], [[0.9, 0.1]])

    monkeypatch.setattr(module, "classify_record", classify)
    monkeypatch.setattr(module, "fitted_classifier", lambda classifier: classifier)
    for record in ("mitdb/123", tmp_path / "123"):
        result = classify_records(record, "a fitted classifier")
        assert result.errors == {}
        assert [table.record for table in result.tables] == ["123"]


def test_classify_records_names_records_of_one_name_in_two_folders_as_given(monkeypatch):
    # site1/100 and site2/100 were both "100": one CSV (to_csv) mixed their rows, and nothing
    # told which beat came from which recording.
    import ecgbeat.distributed as module

    def classify(record, classifier, **options):
        return _table(os.path.basename(record), ["N"] * 2, [[0.9, 0.1]] * 2)

    monkeypatch.setattr(module, "classify_record", classify)
    monkeypatch.setattr(module, "fitted_classifier", lambda classifier: classifier)
    result = classify_records(["site1/100", "site2/100.hea", "site1/101"], "a classifier")
    assert [table.record for table in result.tables] == ["site1/100", "site2/100.hea", "101"]
    stream = io.StringIO()
    result.to_csv(stream)
    records = [line.split(",")[0] for line in stream.getvalue().splitlines()[1:]]
    assert records == ["site1/100"] * 2 + ["site2/100.hea"] * 2 + ["101"] * 2
    summary = result.summary()["per_record"]
    assert [record["record"] for record in summary] == ["site1/100", "site2/100.hea", "101"]


def test_classify_records_names_a_failed_record_as_given(monkeypatch):
    import ecgbeat.distributed as module

    def classify(record, classifier, **options):
        raise FileNotFoundError(f"record {os.path.basename(record)}: no such file")

    monkeypatch.setattr(module, "classify_record", classify)
    monkeypatch.setattr(module, "fitted_classifier", lambda classifier: classifier)
    records = ["data/100.hea", Path("data") / "101"]
    result = classify_records(records, "a fitted classifier")
    assert list(result.errors) == ["data/100.hea", os.fspath(Path("data") / "101")]
    assert result.errors["data/100.hea"] == "FileNotFoundError: record 100: no such file"


def test_thread_limit_takes_numpy_integers_and_refuses_bools():
    pytest.importorskip("distributed")

    class Client:
        """Records the plugin; runs nothing (no worker, no TensorFlow)."""

        def register_plugin(self, plugin, name=None):
            self.plugin = plugin

        def run(self, function):
            return {}

    client = Client()
    limit_tensorflow_threads(client, threads=np.int64(2))
    assert client.plugin.threads == 2 and type(client.plugin.threads) is int
    with pytest.raises(ValueError, match="positive integer"):
        limit_tensorflow_threads(client, threads=True)


def test_grid_search_on_dask_matches_serial_and_limits_tensorflow_threads(client):
    X, y = make_synthetic_beats(n_per_class=12)
    # The workers do not share the test run's fixed precision="auto": name the arithmetic.
    # 8 steps an epoch, not the 2 that 18 beats make: after 20 epochs of 2, the score of the
    # grid's second point was 0.33 to 0.83 from one seed to the next (and so from one CPU's
    # rounding to another's); of 8, 0.67 to 1.0.
    params = {**FAST_PARAMS, "validation_fraction": 0, "precision": "float32"}
    params["min_steps_per_epoch"] = 8
    estimator = HeartbeatCNNClassifier(**params)
    grid = {"epochs": [1, 20]}
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    with dask_backend(client) as active:
        assert active is client
        on_dask = GridSearchCV(estimator, grid, cv=cv, refit=False).fit(X, y)
    serial = GridSearchCV(estimator, grid, cv=cv, refit=False, n_jobs=1).fit(X, y)

    scores = serial.cv_results_["mean_test_score"]
    assert (
        scores[1] > scores[0] + 0.3
    )  # the grid points really differ: best_params_ means something
    np.testing.assert_array_equal(on_dask.cv_results_["mean_test_score"], scores)
    assert on_dask.best_params_ == serial.best_params_ == {"epochs": 20}

    # The fits ran TensorFlow on both workers, so these are the sizes its live pools have.
    def pools():
        import tensorflow as tf

        return (
            tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads(),
        )

    assert client.run(pools) == {address: (1, 1) for address in client.scheduler_info()["workers"]}


def test_classify_records_on_cluster_matches_local_and_reports_broken_record(
    client, records, record_classifier, tmp_path
):
    out = tmp_path / "csv"
    missing = str(tmp_path / "999")
    # A scheduler address, as the command line passes it.
    result = classify_records(
        [*records, missing],
        record_classifier,
        client=client.scheduler.address,
        class_names=AAMI,
        output_dir=out,
    )

    assert sorted(result.errors) == sorted([records[1], missing])
    assert result.errors[records[1]].startswith("DataFormatError: record 103: data file")
    assert "truncated" in result.errors[records[1]]
    assert result.errors[missing].startswith("FileNotFoundError: record 999")
    assert [t.record for t in result.tables] == ["100", "119"]

    for table, path in zip(result.tables, [records[0], records[2]], strict=True):
        local = classify_record(path, record_classifier, class_names=AAMI)
        assert len(table) == len(local) > 1800
        np.testing.assert_array_equal(table.sample, local.sample)
        np.testing.assert_array_equal(table.label, local.label)
        np.testing.assert_allclose(table.proba, local.proba, rtol=0, atol=1e-6)
        assert table.proba[:, 0].std() > 1e-3  # the probabilities vary, so the match is not trivial
        stream = io.StringIO()
        local.to_csv(stream)
        written = (out / f"{table.record}.csv").read_text().splitlines()
        expected = stream.getvalue().splitlines()
        assert len(written) == len(expected) and written[0] == expected[0]
        for got, want in zip(written[1:], expected[1:], strict=True):
            # The same text but for the probabilities' last printed digit: the cluster's
            # arithmetic may round otherwise than this process's.
            got, want = got.split(","), want.split(",")
            assert got[:5] == want[:5]
            np.testing.assert_allclose(np.float64(got[5:]), np.float64(want[5:]), atol=2e-6)
    assert sorted(p.name for p in out.iterdir()) == ["100.csv", "119.csv"]


def test_classify_records_on_cluster_raises_the_workers_warnings_here(
    client, mitdb_dir, record_classifier, tmp_path
):
    # They went to the worker's log: the user was never told that the record was classified
    # from another lead than MLII, as classify_record tells it here.
    wfdb = pytest.importorskip("wfdb")
    lead = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=3600, channels=[0]).p_signal
    wfdb.wrsamp(
        "ecg1",
        fs=360,
        units=["mV"],
        sig_name=["ECG1"],
        p_signal=lead,
        fmt=["16"],
        write_dir=str(tmp_path),
    )
    with pytest.warns(UserWarning, match=r"record ecg1 has none of the leads .*classifying ECG1"):
        result = classify_records(
            [str(tmp_path / "ecg1")], record_classifier, client=client, class_names=AAMI
        )
    assert result.errors == {} and len(result.tables[0]) > 5


def test_classify_records_refuses_what_is_not_an_open_client(monkeypatch):
    distributed = pytest.importorskip("distributed")
    import ecgbeat.distributed as module

    monkeypatch.setattr(module, "fitted_classifier", lambda classifier: classifier)
    # Not a client: said so, not "'bool' object has no attribute 'register_plugin'".
    for client in (True, 8786):
        with pytest.raises(TypeError, match=r"client must be a distributed\.Client"):
            classify_records(["a/100"], "a fitted classifier", client=client)
        with pytest.raises(TypeError, match=r"client must be a distributed\.Client"):
            with dask_backend(client):
                pass
    # A closed client: said so, not "'NoneType' object has no attribute ...".
    closed = _closed_client(distributed)
    with pytest.raises(ValueError, match="client is closed"):
        classify_records(["a/100"], "a fitted classifier", client=closed)
    with pytest.raises(ValueError, match="client is closed"):
        with dask_backend(closed):
            pass


def test_thread_limit_refuses_what_is_not_an_open_client():
    distributed = pytest.importorskip("distributed")
    # "'str' object has no attribute 'register_plugin'" for an address (which dask_backend
    # takes), the same for None, and "IOLoop is closed" for a closed client.
    for client in ("tcp://127.0.0.1:8786", None, 8786):
        with pytest.raises(TypeError, match=r"client must be a distributed\.Client .*got"):
            limit_tensorflow_threads(client)
    with pytest.raises(ValueError, match="client is closed"):
        limit_tensorflow_threads(_closed_client(distributed), threads=1)


def _closed_client(distributed):
    """A client of a cluster without workers, closed."""
    with distributed.LocalCluster(
        n_workers=0, processes=False, dashboard_address=None, silence_logs=logging.CRITICAL
    ) as cluster:
        closed = distributed.Client(cluster)
        closed.close()
    return closed


def test_classify_records_refuses_an_output_dir_that_is_a_file_before_the_work(
    monkeypatch, tmp_path
):
    import ecgbeat.distributed as module

    classified = []
    monkeypatch.setattr(module, "classify_record", lambda record, *a, **k: classified.append(1))
    monkeypatch.setattr(module, "fitted_classifier", lambda classifier: classifier)
    (tmp_path / "beats").write_text("not a folder")
    # Else every record is classified, then each fails with "cannot write CSV: FileExistsError".
    for out in (tmp_path / "beats", tmp_path / "beats" / "csv"):
        with pytest.raises(ValueError, match=r"output_dir .* is a file"):
            classify_records(["a/100", "a/101"], "a fitted classifier", output_dir=out)
    assert classified == []


def test_classify_records_never_replaces_a_csv_in_output_dir_unasked(monkeypatch, tmp_path):
    import ecgbeat.distributed as module

    classified = []

    def classify(record, *args, **kwargs):
        classified.append(record)
        return BeatTable(
            record=Path(record).name,
            sample=np.array([10]),
            fs=360.0,
            label=np.array(["N"]),
            proba=np.ones((1, 1)),
            class_names=["N"],
        )

    monkeypatch.setattr(module, "classify_record", classify)
    monkeypatch.setattr(module, "fitted_classifier", lambda classifier: classifier)
    mine = tmp_path / "100.csv"
    mine.write_text("my own export of record 100")
    # The user's file was replaced by the table without a word.
    with pytest.raises(FileExistsError, match=r"100\.csv.*overwrite=True"):
        classify_records(["a/100", "a/101"], "a fitted classifier", output_dir=tmp_path)
    assert classified == []  # refused before any work
    assert mine.read_text() == "my own export of record 100"
    with pytest.raises(ValueError, match="overwrite must be True or False"):
        classify_records(["a/100"], "a fitted classifier", output_dir=tmp_path, overwrite="no")

    result = classify_records(
        ["a/100", "a/101"], "a fitted classifier", output_dir=tmp_path, overwrite=True
    )
    assert [table.record for table in result.tables] == ["100", "101"]
    assert mine.read_text().startswith("record,")
    assert (tmp_path / "101.csv").exists()


def test_classify_records_keeps_the_table_of_a_record_whose_csv_cannot_be_written(
    monkeypatch, tmp_path
):
    import ecgbeat.distributed as module

    def classify(record, *args, **kwargs):
        return _table(Path(record).name, ["N", "V"], [[0.9, 0.1], [0.3, 0.7]])

    monkeypatch.setattr(module, "classify_record", classify)
    monkeypatch.setattr(module, "fitted_classifier", lambda classifier: classifier)
    (tmp_path / "101.csv").mkdir()  # a folder where 101's CSV goes: the write fails
    # The record was classified, then dropped from the result as if it had failed, its table
    # (an hour's work on a long recording) lost.
    with pytest.warns(UserWarning, match=r"RecordsResult\.unwritten.*a/101: cannot write CSV"):
        result = classify_records(
            ["a/100", "a/101"], "a fitted classifier", output_dir=tmp_path, overwrite=True
        )
    assert [table.record for table in result.tables] == ["100", "101"]
    assert result.errors == {}
    assert list(result.unwritten) == ["a/101"]
    assert result.unwritten["a/101"].startswith("cannot write CSV: IsADirectoryError")
    summary = result.summary()
    assert (summary["classified"], summary["failed"], summary["beats"]) == (2, 0, 4)
    assert list(summary["unwritten"]) == ["a/101"]
    assert (tmp_path / "100.csv").read_text().startswith("record,")


def test_records_result_has_no_unreadable_count_without_marks():
    # quality=False: no beat was checked, as each record's summary says (None), not "0 unreadable".
    unmarked = [_table("100", ["N", "V"], [[0.9, 0.1], [0.3, 0.7]]), _table("119", ["N"], [[1, 0]])]
    summary = RecordsResult(tables=unmarked).summary()
    assert [s["unreadable_beats"] for s in summary["per_record"]] == [None, None]
    assert summary["unreadable_beats"] is None
    assert summary["ectopic_burden"] == pytest.approx(1 / 3)
    # With marks, the records' unreadable beats add up, and the burden is over the readable ones.
    unmarked[0].readable = np.array([True, False])
    unmarked[1].readable = np.array([True])
    summary = RecordsResult(tables=unmarked).summary()
    assert summary["unreadable_beats"] == 1
    assert summary["ectopic_burden"] == 0.0


def test_classify_records_keeps_a_csv_that_appears_in_output_dir_during_the_run(
    monkeypatch, tmp_path
):
    # The folder was checked before the work, and each CSV written when its record was done:
    # a file that came in between (another run into the folder, the user's own export) was
    # replaced without a word, overwrite=False notwithstanding.
    import ecgbeat.distributed as module

    def classify(record, *args, **kwargs):
        name = Path(record).name
        if name == "101":  # another program writes 101.csv while 101 is classified
            (tmp_path / "101.csv").write_text("my own export of record 101")
        return _table(name, ["N", "V"], [[0.9, 0.1], [0.3, 0.7]])

    monkeypatch.setattr(module, "classify_record", classify)
    monkeypatch.setattr(module, "fitted_classifier", lambda classifier: classifier)
    with pytest.warns(UserWarning, match=r"RecordsResult\.unwritten.*a/101: cannot write CSV"):
        result = classify_records(["a/100", "a/101"], "a fitted classifier", output_dir=tmp_path)
    assert (tmp_path / "101.csv").read_text() == "my own export of record 101"
    assert [table.record for table in result.tables] == ["100", "101"]
    assert list(result.unwritten) == ["a/101"]
    assert result.unwritten["a/101"].startswith("cannot write CSV: FileExistsError")
    assert (tmp_path / "100.csv").read_text().startswith("record,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["100.csv", "101.csv"]  # no temporary


def test_classify_records_refuses_options_no_record_can_be_classified_with(monkeypatch):
    # The same for every record: each record was read, then failed with the same message in
    # result.errors, and the call came back as if the records were at fault.
    from types import SimpleNamespace

    import ecgbeat.distributed as module

    classified = []
    monkeypatch.setattr(module, "classify_record", lambda record, *a, **k: classified.append(1))
    monkeypatch.setattr(module, "fitted_classifier", lambda classifier: classifier)
    classifier = SimpleNamespace(classes_=np.array(["N", "V"]))
    refused = [
        ({"detector": "nope"}, r"unknown R-peak detector 'nope'; choose one of"),
        ({"detector": ["pan-tompkins"]}, r"unknown R-peak detector \['pan-tompkins'\]"),
        ({"annotations": "atr", "detector": "threshold"}, r"'threshold' finds the R peaks"),
        ({"quality": "no"}, r"quality must be True or False, got 'no'"),
        ({"class_names": ["N", "S", "V"]}, r"class_names has 3 names but the classifier has 2"),
        ({"normal_class": "X"}, r"normal class 'X' is not one of the classifier's classes"),
    ]
    for options, message in refused:
        with pytest.raises(ValueError, match=message):
            classify_records(["a/100", "a/101"], classifier, **options)
    assert classified == []
    classify_records(["a/100"], classifier, annotations="atr", class_names=["a", "b"])
    classify_records(["a/101"], classifier, detector="threshold", normal_class="N")
    assert classified == [1, 1]


def test_classify_records_on_cluster_takes_a_warning_made_an_error_as_the_records_failure(
    monkeypatch,
):
    # Under "-W error", a worker's warning raised again here ended the whole run: the tables of
    # the other records were lost. Without a cluster, it is that record's error.
    import warnings

    distributed = pytest.importorskip("distributed")
    import ecgbeat.distributed as module

    def classify(record, classifier, **options):  # as a worker gives it: its warnings kept
        name = Path(record).name
        kept = [(f"record {name} has none of the leads", UserWarning)] if name == "101" else []
        return _table(name, ["N"], [[0.9, 0.1]]), kept

    monkeypatch.setattr(module, "_classify_record_keeping_warnings", classify)
    monkeypatch.setattr(module, "_register_plugin", lambda *args, **kwargs: {})
    monkeypatch.setattr(module, "fitted_classifier", lambda classifier: classifier)
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as cluster,
        distributed.Client(cluster) as client,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("error")
        records = ["a/100", "a/101", "a/102"]
        result = classify_records(records, "a fitted classifier", client=client)
    assert [table.record for table in result.tables] == ["100", "102"]
    assert result.errors == {"a/101": "UserWarning: record 101 has none of the leads"}
