"""Smoke runs of the benchmark and experiment scripts, so that they cannot rot (the full runs are
by hand)."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def _script(name: str):
    """A benchmark, tool or experiment script as a module (``benchmarks.transfer``...)."""
    return importlib.import_module(name if "." in name else f"benchmarks.{name}")


SCRIPTS = sorted(
    f"{path.parent.name}.{path.stem}"
    for folder in ("benchmarks", "tools", "experiments")
    for path in (REPO / folder).glob("*.py")
    if not path.stem.startswith("_")
)


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_script_imports(name):
    # Most scripts have no smoke run; an import that moved away must still fail here.
    assert callable(_script(name).main)


def test_transfer_script_runs_on_ptb_layout(ptbdb_dir, tmp_path):
    """The PTB table's script runs unchanged on PTB records: here the fixture and a control copy."""
    folder = tmp_path / "ptbdb"
    folder.mkdir()
    for suffix in ("hea", "dat", "xyz"):
        shutil.copy(ptbdb_dir / f"s0010_re.{suffix}", folder / f"s0010_re.{suffix}")
        shutil.copy(ptbdb_dir / f"s0010_re.{suffix}", folder / f"s9999_re.{suffix}")
    header = (folder / "s0010_re.hea").read_text()
    control = header.replace("s0010_re", "s9999_re").replace(
        "Reason for admission: Myocardial infarction", "Reason for admission: Healthy control"
    )
    (folder / "s9999_re.hea").write_text(control)
    (folder / "RECORDS").write_text("s0010_re\ns9999_re\n")
    output = tmp_path / "transfer.json"
    result = _script("transfer").main(
        ["--target", "ptbdb", "--data-home", str(tmp_path), "--quick", "--output", str(output)]
    )
    assert set(result["results"]) == {"from_scratch", "freeze_conv", "full_fine_tune"}
    assert result["n_train"] + result["n_test"] > 80
    for row in result["results"].values():
        assert 0.0 <= row["accuracy"] <= 1.0
    assert json.loads(output.read_text())["target"] == "ptbdb"


def test_transfer_script_runs_on_patients(mitdb_dir, tmp_path):
    output = tmp_path / "patients.json"
    result = _script("transfer").main(
        ["--data-home", str(mitdb_dir.parent), "--quick", "--output", str(output)]
    )
    assert set(result["results"]) == {
        "no_adaptation",
        "from_scratch",
        "freeze_conv",
        "full_fine_tune",
    }
    assert result["n_test_beats"] > 2000
    assert result["results"]["no_adaptation"]["accuracy"] > 0.5


def test_transfer_adapts_to_new_patients_only():
    from ecgbeat.datasets import MITBIH_DS2

    records = _script("transfer").patient_records()
    # DS2's record 202 is the patient of DS1's 201, on which the start model (mitbih-ds1) trained.
    assert records == [r for r in MITBIH_DS2 if r != "202"] and len(records) == 21
    assert _script("transfer").patient_records(quick=True) == list(MITBIH_DS2[:2])


def test_transfer_smoke_run_leaves_the_committed_results_alone(monkeypatch, tmp_path):
    # --quick is a smoke test: like the other benchmarks' quick runs it writes only where
    # --output says, never over benchmarks/results/transfer_<target>.json.
    transfer = _script("transfer")
    monkeypatch.setattr(transfer, "REPO", tmp_path)
    monkeypatch.setattr(transfer, "run_patients", lambda args: {"results": {}})
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    transfer.main(["--quick"])
    assert not list(tmp_path.rglob("*.json"))
    transfer.main(["--quick", "--output", str(tmp_path / "smoke.json")])
    command = json.loads((tmp_path / "smoke.json").read_text())["command"]
    assert command.startswith("python -m benchmarks.transfer --quick --output ")


def _labels_of(matrix):
    """True and predicted codes of the beats that a confusion matrix counts."""
    matrix = np.asarray(matrix)
    true, pred = np.nonzero(matrix)
    counts = matrix[true, pred]
    return np.repeat(true, counts), np.repeat(pred, counts)


#: The confusion matrix of the freeze_conv row of transfer_patients.json as first committed
#: (2026-11-26; the file at commit 1066e1c).
FREEZE_CONV_PATIENTS = [
    [36729, 137, 29, 9, 1],
    [420, 1167, 17, 3, 0],
    [103, 1, 2499, 83, 0],
    [39, 0, 20, 229, 0],
    [5, 0, 2, 0, 0],
]


def test_transfer_macro_f1_is_the_mean_of_the_unrounded_f1s():
    # That freeze_conv row (FREEZE_CONV_PATIENTS): its four F1s rounded to 4
    # digits average to 0.8729, the F1s themselves to 0.8728 (as f1_score(average="macro")).
    y_true, y_pred = _labels_of(FREEZE_CONV_PATIENTS)
    from sklearn.metrics import f1_score

    row = _script("transfer").pooled_row(y_true, y_pred, ["N", "S", "V", "F", "Q"])
    exact = f1_score(y_true, y_pred, labels=[0, 1, 2, 3], average="macro")
    assert row["macro_f1_NSVF"] == round(exact, 4) == 0.8728
    assert row["accuracy"] == 0.9791 and row["S"] == {"Se": 0.7262, "+P": 0.8943}


def test_evaluate_pretrained_takes_the_mean_of_the_unrounded_f1s():
    # A beat-only card (no "Se") with macro_f1_NSVF, as the shipped mitbih-ds1's (an earlier
    # tools.train_pretrained wrote it; today's writes "Se" too): its macro_f1_NSVF from
    # aami_metrics. The mean of the rounded F1s (0.8729 here) reported a mismatch.
    y_true, y_pred = _labels_of(FREEZE_CONV_PATIENTS)
    names = ["N", "S", "V", "F", "Q"]
    card_metrics = _script("evaluate_pretrained").card_metrics
    measured = card_metrics(y_true, y_pred, {"accuracy": 0, "macro_f1_NSVF": 0}, names)
    assert measured["macro_f1_NSVF"] == 0.8728
    assert "Se" not in measured and measured["per_class"]["S"]["f1"] == 0.8015
    assert "macro_f1_NSVF" not in card_metrics(y_true, y_pred, {"accuracy": 0}, names)


@pytest.mark.parametrize("twin", ["no-such-model", "mitbih"])
def test_train_pretrained_checks_the_twin_before_training(twin, monkeypatch, tmp_path, capsys):
    # The card of a model trained on all records quotes its twin's DS2 metrics: a twin that
    # does not exist, or has no DS2 metrics (mitbih: the random split), is refused at once,
    # not after the training.
    tool = _script("tools.train_pretrained")

    def loaded(*args, **kwargs):
        raise AssertionError("the data were loaded")

    monkeypatch.setattr(tool, "fetch_mitbih", loaded)
    argv = ["--name", "x", "--split", "all", "--recipe", "new-patients", "--twin", twin]
    with pytest.raises(SystemExit) as caught:
        tool.main([*argv, "--out", str(tmp_path)])
    assert caught.value.code == 2 and f"--twin {twin!r}" in capsys.readouterr().err


def test_results_record_the_command_that_ran(mitdb_dir, tmp_path, monkeypatch):
    from benchmarks._common import provenance

    monkeypatch.setattr("sys.argv", ["pytest", "-k", "something"])
    assert provenance("benchmarks/x.py", [])["command"] == "python -m benchmarks.x "
    assert provenance("benchmarks/x.py", None)["command"] == "python -m benchmarks.x -k something"
    folder = tmp_path / "mitdb"
    folder.mkdir()
    for suffix in ("hea", "dat", "atr"):
        (folder / f"100.{suffix}").symlink_to(mitdb_dir / f"100.{suffix}")
    (folder / "RECORDS").write_text("100\n")
    argv = ["--mitdb", str(folder), "--output", str(tmp_path / "q.json")]
    result = _script("qrs_detection").main(argv)
    assert result["command"] == "python -m benchmarks.qrs_detection " + " ".join(argv)
    assert result["total"]["reference_beats"] == 2273


def test_provenance_names_the_cpu_and_its_reduced_precision_flags(tmp_path):
    from tools._common import cpu_description

    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512f avx512_bf16\n"
    )
    assert cpu_description(str(info)) == "AMD EPYC; avx512f avx512_bf16"
    info.write_text("processor\t: 0\nmodel name\t: Old\nflags\t\t: fpu avx2\n")
    assert cpu_description(str(info)) == "Old; no AVX-512"
    assert cpu_description(str(tmp_path / "absent")) == "unknown"


def test_inter_patient_writes_where_output_says(monkeypatch, tmp_path):
    # The committed results stay as they are unless the run is meant to replace them.
    bench = _script("inter_patient")
    per_class = {c: {"recall": 0.5, "precision": 0.25} for c in "NSVF"}
    metrics = {"accuracy": 0.9, "macro_f1_NSVF": 0.6, "macro_f1": 0.5}
    metrics |= {"per_class": per_class, "confusion_matrix": [[1]]}
    card = {"command": "c", "date": "d", "training": {}, "test_metrics": metrics}
    monkeypatch.setattr(bench.train_pretrained, "main", lambda argv: card)
    committed = bench.RESULT.read_bytes()
    output = tmp_path / "new" / "inter_patient.json"
    bench.main(["--recipes", "ecgbeat", "--output", str(output)])
    assert bench.RESULT.read_bytes() == committed
    written = json.loads(output.read_text())["results"]
    assert set(written) == {"ecgbeat"} and written["ecgbeat"]["Se"]["S"] == 0.5


def test_inference_benchmark_quick(mitdb_dir):
    result = _script("inference").main(["--quick", "--data-home", str(mitdb_dir.parent)])
    assert result["max_abs_probability_difference"] < 1e-5
    low_latency = result["single_beat_latency_ms"]["low_latency_predictor"]
    assert low_latency["median"] > 0 and low_latency["max_abs_probability_difference"] < 1e-5
    assert result["end_to_end"]["beats"] > 4000
    assert result["end_to_end"]["seconds_without_quality_marks"] > 0
    assert result["end_to_end"]["same_tables_one_at_a_time"] is True
    stream = result["streaming_latency"]
    assert "tensorflow" in stream  # and "onnxruntime" where ecgbeat[onnx] is installed
    for engine in {"tensorflow", "onnxruntime"} & set(stream):
        assert stream[engine]["calls_with_beats"] > 50  # a minute of record 101
        # A beat comes after its next R peak is final: 1.5 s old, at the next half-second hop.
        assert 1.5 <= stream[engine]["seconds_after_next_r_peak"]["max"] <= 2.0
    assert result["flops_per_beat"] > 1e7
    # Timings are reported, never compared: how fast each path runs depends on the CPU (a
    # bfloat16 machine runs the network above the float32 peak) and on its load.
    assert result["peak"]["gflops"] > 0 and result["achieved_gflops"] > 0
    assert result["fraction_of_peak"] == pytest.approx(
        result["achieved_gflops"] / result["peak"]["gflops"], rel=0.05, abs=0.002
    )
    assert result["baseline_fraction_of_peak"] > 0
    peaks = result["peak_rss_mib"]
    assert 0 < peaks["after_predict_proba_and_baseline"] <= peaks["after_end_to_end"]
    bfloat16 = result["precisions"]["bfloat16"]
    assert bfloat16["beats_per_second"] > 0
    assert bfloat16["end_to_end_seconds"] > 0
    assert 0 <= bfloat16["end_to_end_beats_that_differ"] < 0.01 * result["end_to_end"]["beats"]
    for part in ("random_split_train_mitbih", "random_split_test_mitbih", "ds2_mitbih_ds1_rhythm"):
        scores = bfloat16[part]
        assert scores["beats"] > 500  # records 100 and 232: in both test sets
        assert 0 < scores["max_abs_probability_difference"] < 0.5
        assert scores["beats_that_differ"] == round(
            (1 - scores["class_agreement"]) * scores["beats"]
        )


def test_train_speed_benchmark_quick(mitdb_dir):
    result = _script("train_speed").main(
        ["--quick", "--with-earlier-defaults", "--data-home", str(mitdb_dir.parent)]
    )
    for name in ("baseline", "ecgbeat", "ecgbeat_earlier_defaults"):
        run = result["results"][name]
        assert run["epochs_run"] == 1
        assert 0.0 <= run["final"]["macro_f1"] <= 1.0
        assert run["per_epoch"][0]["train_seconds"] > 0
        assert run["peak_rss_mib_so_far"] > 0
    ours, earlier = result["results"]["ecgbeat"], result["results"]["ecgbeat_earlier_defaults"]
    assert ours["precision"] in {"float32", "mixed_bfloat16"}
    # The defaults undersample the largest classes; the earlier defaults drew every beat.
    assert len(ours["sampling_rates"]) == 5 and min(ours["sampling_rates"]) < 1.0
    assert ours["settings"]["lr_schedule"] == "cosine_restarts"
    assert earlier["sampling_rates"] == [1.0] * 5
    assert (
        earlier["settings"]["lr_schedule"] == "plateau" and earlier["settings"]["dropout"] is None
    )
    assert 0 < ours["beats_per_epoch"] < earlier["beats_per_epoch"]
    assert earlier["beats_per_epoch"] < result["results"]["baseline"]["beats_per_epoch"] * 1.12


def test_training_variants_benchmark_quick(mitdb_dir):
    from ecgbeat._training import TRAINERS

    # Both of the experiment's options in one run: averaging Adam's weights, and the restarts.
    data_home = str(mitdb_dir.parent)
    params = '{"epochs": 3, "batch_size": 64}'
    options = ["--name", "smoke", "--params", params, "--adam-ema", "0.9", "--cosine-restarts", "1"]
    run = _script("experiments.training_variants").main(
        ["--quick", *options, "--data-home", data_home]
    )
    assert [e["epoch"] for e in run["per_epoch"]] == [1, 2, 3]
    assert 0.0 <= run["final"]["macro_f1"] <= 1.0 and run["adam_ema_momentum"] == 0.9
    assert set(run["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 3 for values in run["history"].values())
    # Cycles of 1 and then 2 epochs from twice the learning rate: 2e-3, 2e-3 (restart), 1e-3.
    np.testing.assert_allclose(run["learning_rates"], [2e-3, 2e-3, 1e-3], rtol=1e-6)
    assert run["cosine_restarts_first_cycle"] == 1
    import keras

    # The experiment's averaging optimizer is gone: later fits get the estimator's own Adam.
    assert keras.optimizers.Adam.__name__ == "Adam"
    assert not any(TRAINERS._idle.values())


def test_soak_benchmark_quick(tmp_path):
    out = tmp_path / "soak.json"
    result = _script("soak").main(["--beats", "3000", "--chunk", "1000", "--out", str(out)])
    summary = result["summary"]
    assert result["complete"] and summary["beats_done"] == 3000
    assert [chunk["beats"] for chunk in result["chunks"]] == [1000, 2000, 3000]
    assert sum(summary["predicted_class_counts"].values()) == 3000
    assert summary["rss_max_mib"] >= summary["rss_first_chunk_mib"] > 0
    assert json.loads(out.read_text())["summary"]["beats_done"] == 3000
    # The command that ran, as documented (not this process's own command line).
    assert result["command"] == f"python -m benchmarks.soak --beats 3000 --chunk 1000 --out {out}"


def test_predict_memory_benchmark_quick(tmp_path):
    out = tmp_path / "predict_memory.json"
    result = _script("predict_memory").main(["--beats", "5000", "--output", str(out)])
    assert result["beats"] == 5000 and result["input_mib"] == round(5000 * 187 * 4 / 2**20, 1)
    assert result["peak_rss_mib"] >= result["rss_before_mib"] > 0
    assert json.loads(out.read_text())["beats"] == 5000


def test_predict_memory_benchmark_measures_the_batch_size_asked_for(tmp_path):
    # The docs' smaller-batch memory check runs through this option and is read back from its file.
    out = tmp_path / "predict_memory.json"
    argv = ["--beats", "3000", "--predict-batch-size", "1024", "--output", str(out)]
    result = _script("predict_memory").main(argv)
    assert result["predict_batch_size"] == 1024
    assert json.loads(out.read_text())["predict_batch_size"] == 1024
    assert result["command"] == "python -m benchmarks.predict_memory " + " ".join(argv)


def test_training_profile_benchmark_quick():
    run = _script("experiments.training_profile").main(["--quick"])
    assert run["train_beats_per_second"]["best"] > 0
    # The largest convolution's backward pass is among the ops found, under its layer's name.
    found = {(op["layer"], op["op"]) for op in run["top_ops"]}
    assert any(layer == "conv_8 (backward)" for layer, _ in found)
    assert any(layer == "conv_8" and "Conv2D" in op for layer, op in found)
    # Op time is part of what the compute threads did, and no thread is busier than the wall.
    total = sum(op["us_per_beat"] for op in run["top_ops"])
    assert 0 < total <= run["op_time_us_per_beat"] + 0.5
    assert run["compute_thread_busy_share"]
    assert all(0 < share <= 1 for share in run["compute_thread_busy_share"])


def test_ds1_selection_quick(mitdb_dir, tmp_path):
    output = tmp_path / "ds1.json"
    argv = ["--data-home", str(mitdb_dir.parent), "--folds", "2", "--epochs", "1"]
    records = ["101", "106", "108", "119", "203", "208"]
    argv += ["--records", *records, "--output", str(output)]
    result = _script("experiments.ds1_selection").main(
        [*argv, "--variants", "rhythm_refined_augmented"]
    )
    row = result["results"]["rhythm_refined_augmented"]
    assert row["refine_radius"] == 0.12 and row["params"]["n_rr_features"] == 7
    assert len(row["folds"]) == 2
    held_out = [set(fold["test_records"]) for fold in row["folds"]]
    assert held_out[0].isdisjoint(held_out[1]) and held_out[0] | held_out[1] == set(records)
    assert sum(row["pooled"]["support"].values()) > 6000
    assert json.loads(output.read_text())["results"].keys() == {"rhythm_refined_augmented"}


def test_ds1_selection_patient_weights_weigh_each_record_as_the_root_of_its_beats():
    weights = _script("experiments.ds1_selection").sqrt_patient_weights
    groups = np.array(["201"] * 900 + ["100"] * 100 + ["232"] * 400)
    w = weights(groups)
    assert w.mean() == pytest.approx(1.0)
    totals = [w[groups == record].sum() for record in ("201", "100", "232")]
    # 900, 100 and 400 beats weigh as 30 : 10 : 20, the square roots of their counts.
    assert totals[0] / totals[1] == pytest.approx(3.0)
    assert totals[2] / totals[1] == pytest.approx(2.0)
    # Within a record every beat weighs the same.
    assert np.ptp(w[groups == "232"]) == 0


def test_ds1_selection_network_variants_change_the_network_and_put_the_library_back():
    from ecgbeat import networks

    selection = _script("experiments.ds1_selection")
    library = (networks._inputs, networks._join_rhythm)
    with selection.network_variant("rhythm_dense"):
        model = networks.build_network("cnn", 187, 5, seed=0, n_rr_features=10)
    assert model.get_layer("rhythm_dense").output.shape == (None, 32)
    assert model.get_layer("with_rhythm").output.shape == (None, 256 + 32)
    with selection.network_variant("two_channels"):
        model = networks.build_network("cnn", 2 * 187, 5, seed=0, n_rr_features=10)
    # The first convolution reads 187 instants of 2 leads, not 374 of one.
    assert model.get_layer("conv_1").input.shape == (None, 187, 2)
    with pytest.raises(RuntimeError), selection.network_variant("two_channels"):
        raise RuntimeError("a fit that fails")
    assert (networks._inputs, networks._join_rhythm) == library
    plain = networks.build_network("cnn", 187, 5, seed=0, n_rr_features=10)
    assert "rhythm_dense" not in [layer.name for layer in plain.layers]


def test_new_patients_report_quick(mitdb_dir, tmp_path):
    output = tmp_path / "report.json"
    argv = ["--model", "mitbih-ds1", "--data-home", str(mitdb_dir.parent), "--records", "100"]
    result = _script("new_patients_report").main([*argv, "--output", str(output)])["results"]
    assert set(result["shift"]) == {str(k) for k in range(-3, 4)}
    assert result["shift"]["0"]["accuracy"] == result["annotated"]["accuracy"]
    assert result["detected"]["unmatched_detections"] >= 0
    burden = result["record_208"]
    assert burden["beats_annotated"] == 2955 and abs(burden["beats_detected"] - 2955) < 50
    assert 0.4 < burden["ectopic_burden_annotated"] < 0.5


def test_new_patients_report_shift_range_is_that_of_the_unrounded_accuracies():
    report = _script("new_patients_report")
    # Rounded to 4 digits they would read 0.9015 and 0.9017: 0.02 points apart, not 0.01.
    assert report.range_points([0.901549, 0.90166, 0.9016]) == 0.01


def test_new_patients_report_names_its_output_after_the_model():
    default_output = _script("new_patients_report").default_output
    results = REPO / "benchmarks" / "results"
    assert default_output("mitbih-ds1") == results / "new_patients_mitbih-ds1.json"
    # A model file: its name, not its path under results/ (the write failed after the run).
    assert default_output("runs/x.keras") == results / "new_patients_x.json"


def test_small_data_draws_keep_the_class_mix():
    draw = _script("small_data").draw
    y = np.array(["N"] * 900 + ["S"] * 30 + ["V"] * 69 + ["F"] * 1)
    rows = draw(y, 100, np.random.default_rng(0))
    assert len(rows) == len(set(rows)) == 100
    counts = {c: int((y[rows] == c).sum()) for c in "NSVF"}
    # Each class at its share, two beats at least where there are two; N fills the rest.
    assert counts == {"N": 90, "S": 3, "V": 7, "F": 0} or counts == {
        "N": 89,
        "S": 3,
        "V": 7,
        "F": 1,
    }


def test_small_data_report_tests_on_patients_that_no_draw_came_from():
    from ecgbeat.datasets import MITBIH_DS1, MITBIH_DS2

    split_records = _script("small_data").split_records
    train, test = split_records("report")
    assert sorted(train) == sorted(MITBIH_DS1)
    # DS2's record 202 is the patient of DS1's 201: no new patient for a model trained on DS1.
    assert test == sorted(set(MITBIH_DS2) - {"202"})
    train, test = split_records("select")
    assert not set(train) & set(test) and set(train) | set(test) == set(MITBIH_DS1)


def test_small_data_benchmark_quick(mitdb_dir, tmp_path):
    import subprocess
    import sys

    # In its own process: the reference recipe seeds the process's global random state. One
    # task of the two that --quick runs: each task's fits trace networks of their own.
    output = tmp_path / "small.json"
    argv = [sys.executable, "-m", "benchmarks.small_data", "--quick", "--tasks", "binary-str-100"]
    argv += ["--data-home", str(mitdb_dir.parent), "--output", str(output)]
    subprocess.run(argv, check=True, capture_output=True, timeout=600, cwd=REPO)
    result = json.loads(output.read_text())["runs"]["defaults"]  # select mode, as named
    assert result["training_records"] == ["201", "208"]
    assert set(result["results"]) == {"binary-str-100"}
    task = result["results"]["binary-str-100"]
    assert sum(task["train_classes"].values()) == task["train_beats"] == 100
    assert set(task["train_classes"]) == {"abnormal", "normal"}
    for row in ("reference", "defaults", "freeze_conv", "fine_tune"):
        assert 0 <= task[row]["accuracy_min"] <= task[row]["accuracy_mean"] <= 1
        assert 0 <= task[row]["macro_f1_mean"] <= 1
        assert task[row]["single_class_fits"] in (0, 1)


def test_small_data_refuses_a_row_it_does_not_run(capsys):
    # The row probe_then_fine_tune, since renamed, was skipped without a word: the command
    # quoted in docs/results.md then ran the other rows only.
    with pytest.raises(SystemExit) as caught:
        _script("small_data").main(["--rows", "fine_tune", "probe_then_fine_tune"])
    assert caught.value.code == 2
    assert "invalid choice: 'probe_then_fine_tune'" in capsys.readouterr().err


def test_small_data_ptb_task_labels_beats_by_lead(ptbdb_dir):
    # The other task of --quick: the PTB fixture's beats of four leads, earlier 60 % to train.
    name, size, (X, y), (X_test, y_test) = _script("small_data").ptb_task(str(ptbdb_dir.parent))
    assert name == "ptbdb-leads" and size == len(y) == len(X)
    assert set(y) == set(y_test) == {"i", "ii", "v1", "v6"}
    assert X.shape[1] == X_test.shape[1] == 187
    assert 0.55 < len(y) / (len(y) + len(y_test)) < 0.65


def test_qrs_bursts_quick(mitdb_dir, tmp_path):
    bench = _script("qrs_bursts")
    # The bursts: two minutes on and two off from minute 5, within the record.
    spans = bench.bursts(30 * 60 * 360, 360.0)
    assert spans[0] == (300 * 360, 420 * 360) and spans[1][0] == 540 * 360
    assert len(spans) == 6 and spans[-1] == (25 * 60 * 360, 27 * 60 * 360)
    argv = ["--data-home", str(mitdb_dir.parent), "--records", "100", "--snrs", "-6"]
    result = bench.main([*argv, "--nk-methods", "--output", str(tmp_path / "b.json")])
    assert set(result["results"]) == {"ecgbeat", "wfdb_xqrs"}
    ours = result["results"]["ecgbeat"]["-6 dB"]
    # Record 100 holds 2,273 beats; the scored minutes hold most of them.
    scored = sum(ours[region]["tp"] + ours[region]["fn"] for region in ours)
    assert 1500 < scored < 2273
    # The noise is strong enough to cost precision inside the bursts, and the detector hears
    # every beat again in the quiet minutes after them.
    assert ours["noisy"]["ppv_percent"] < 95
    assert ours["quiet_after"]["se_percent"] >= 99


def test_single_beat_latency_experiment_quick(tmp_path):
    out = tmp_path / "latency.json"
    run = _script("experiments.single_beat_latency").main(["--repeat", "5", "--output", str(out)])
    # The NumPy forward pass is the network: the same probabilities, to float32 rounding.
    assert run["max_abs_probability_difference"]["numpy"] < 1e-5
    assert run["max_abs_probability_difference"]["xla"] < 1e-5
    assert set(run["latency_ms"]) == {"predict_proba", "compiled_step", "xla", "numpy"}
    assert all(t["median"] > 0 for t in run["latency_ms"].values())
    assert json.loads(out.read_text())["target_ms"] == 0.2


def test_noise_burden_quick(mitdb_dir, tmp_path):
    argv = ["--data-home", str(mitdb_dir.parent), "--records", "101", "--snrs", "-6"]
    result = _script("noise_burden").main([*argv, "--output", str(tmp_path / "n.json")])
    clean, noisy = result["results"]["clean"], result["results"]["-6 dB"]
    # Noise in bursts at -6 dB makes the detector invent beats; the marks leave them out.
    assert noisy["ppv_percent"] < 95 < noisy["ppv_readable_percent"]
    assert noisy["beats_unreadable_percent"] > 20 > clean["beats_unreadable_percent"]
    # The burden read from readable beats stays nearer the annotated one than over all beats.
    error = result["burden_error_points"]["-6 dB"]
    assert error["readable"]["mean"] < error["all"]["mean"]


def test_signal_quality_experiment_quick(mitdb_dir, tmp_path):
    argv = ["--data-home", str(mitdb_dir.parent), "--records", "101", "112"]
    run = _script("experiments.signal_quality").main([*argv, "--output", str(tmp_path / "q.json")])
    assert run["chosen"]["max_hf_ratio"] > 0 and run["chosen"]["min_qrs_snr_db"] > 0
    # Muscle and electrode motion at -6 dB: every burst window is marked; clean ones rarely.
    burst = run["noisy"]["mix"]["-6 dB"]["burst"]
    assert burst["windows_marked_percent"] == 100.0
    assert run["noisy"]["mix"]["-6 dB"]["clean"]["windows_marked_percent"] < 10


def test_ds1_decision_finds_an_offset_that_holds_in_every_fold(tmp_path):
    # Probabilities that understate S by the same factor in every fold: the nested offsets find
    # it on the other folds and the held-out fold gains.
    rng = np.random.default_rng(0)
    y = rng.choice(5, size=4000, p=[0.7, 0.1, 0.1, 0.05, 0.05])
    proba = np.full((y.size, 5), 0.05)
    proba[np.arange(y.size), y] = 0.8
    s_beats = y == 1
    proba[s_beats, 1], proba[s_beats, 0] = 0.3, 0.55  # S beats look N by a margin
    path = tmp_path / "p.npz"
    np.savez(
        path, proba=proba, classes=np.arange(5), target=y, groups=y, fold=np.arange(y.size) % 4
    )
    run = _script("experiments.ds1_decision").main(
        ["--proba", str(path), "--output", str(tmp_path / "d.json")]
    )
    assert run["plain"]["Se"]["S"] == 0.0
    assert run["nested"]["Se"]["S"] == 1.0
    assert run["nested"]["macro_f1_NSVF"] > run["plain"]["macro_f1_NSVF"]
    assert all(0.5 < fold["offsets_S_V_F"][0] for fold in run["folds"])


def test_signal_path_quick_against_the_same_checkout(mitdb_dir, tmp_path):
    # Against itself: the two checkouts' results must be found equal, and every figure filled.
    bench = _script("signal_path")
    argv = ["--data-home", str(mitdb_dir.parent), "--records", "100", "--rounds", "1"]
    argv += [
        "--stream-minutes",
        "0.5",
        "--against",
        str(REPO),
        "--output",
        str(tmp_path / "s.json"),
    ]
    result = bench.main(argv)
    assert result["same_peaks_marks_and_rows"] and result["same_stream_tables"]
    for side in ("this", "against"):
        assert result[side]["records"] == 1 and result[side]["seconds_total"] > 0
        assert set(result[side]["seconds"]) == {"read", "detect_and_quality", "cut_and_columns"}
        stream = result[side]["stream"]
        assert stream["hops_with_beats"] > 10 and stream["beats"] > 25
        assert 0 < stream["compute_ms_median"] <= stream["compute_ms_p99"]
    assert json.loads((tmp_path / "s.json").read_text())["against_path_commit"]


def test_quality_by_lead_quick(mitdb_dir, tmp_path):
    argv = ["--data-home", str(mitdb_dir.parent), "--records", "101", "102"]
    result = _script("quality_by_lead").main([*argv, "--output", str(tmp_path / "q.json")])
    marked = result["windows_marked_percent"]
    assert set(marked) == {"101", "102"} and set(marked["102"]) == {"V5", "V2"}
    # 101's V1 is clean but its QRS complexes are small: every window falls under the MLII
    # threshold; its MLII lead has hardly any marked.
    assert marked["101"]["V1"] == 100.0 and marked["101"]["MLII"] < 5
    assert result["by_lead"]["V5 (paced)"]["records"] == 1
    assert json.loads((tmp_path / "q.json").read_text())["by_lead"] == result["by_lead"]


def test_quality_annotations_reference_quality_decodes_subtypes():
    reference_quality = _script("quality_annotations").reference_quality
    # ~ annotations: signal 0 noisy (bit 0), signal 1 noisy and unreadable (bits 1 and 5), all
    # unreadable (-1), clean again (0); the quality before the first one is clean.
    samples, subtypes = np.array([10, 20, 30, 40]), np.array([1, 0x22, -1, 0])
    first = reference_quality(samples, subtypes, 0, 50)
    second = reference_quality(samples, subtypes, 1, 50)
    assert first.tolist() == [0] * 10 + [1] * 10 + [0] * 10 + [2] * 10 + [0] * 10
    assert second.tolist() == [0] * 20 + [2] * 20 + [0] * 10


def test_quality_annotations_quick(mitdb_dir, tmp_path):
    argv = ["--data-home", str(mitdb_dir.parent), "--records", "101"]
    result = _script("quality_annotations").main([*argv, "--output", str(tmp_path / "q.json")])
    counts = result["per_record"]["101"]
    # 101's .atr: MLII (signal 0) noisy for 3.7 s (subtype 1) inside one window, both signals
    # unreadable for 1 s (subtype -1) across the boundary of two windows.
    assert counts["MLII"]["reference"] == {"clean": 178, "noisy": 1, "unreadable": 2}
    assert counts["V1"]["reference"] == {"clean": 179, "noisy": 0, "unreadable": 2}
    # Every window of 101's V1 is marked (test_quality_by_lead_quick), on the clean ones too.
    assert counts["V1"]["marked_by_reference"] == {"clean": 179, "noisy": 0, "unreadable": 2}
    pooled = result["by_group"]["DS1"]["V1"]
    assert pooled["records"] == 1 and pooled["marks_on_reference_clean_percent"] == 98.9
    assert pooled["reference_noisy_marked_percent"] is None  # no reference-noisy window
    assert counts["MLII"]["marked"] < 9
    assert json.loads((tmp_path / "q.json").read_text())["by_group"] == result["by_group"]
