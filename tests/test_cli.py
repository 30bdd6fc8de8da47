"""The ``ecgbeat`` command: every subcommand run in-process through ``main(argv)``.

A tiny model is trained once per session through ``ecgbeat train`` on 250 of the shipped sample
beats (2 epochs), so these tests do not wait for the shipped ``mitbih`` model; when that model
ships, the demo test runs it too.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ecgbeat.cli import main
from ecgbeat.pretrained import list_pretrained

SAMPLE_COUNTS = [1500, 400, 400, 150, 400]  # beats per AAMI class in load_sample()
SHIPPED = "mitbih" in list_pretrained()


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="session")
def sample_csv(tmp_path_factory) -> Path:
    """250 sample beats (50 per class) in the Kaggle CSV layout: 187 samples, then the label."""
    from ecgbeat.datasets import load_sample

    X, y = load_sample(return_X_y=True)
    rows = np.concatenate([np.flatnonzero(y == k)[:50] for k in range(5)])
    path = tmp_path_factory.mktemp("csv") / "beats.csv"
    np.savetxt(path, np.column_stack([X[rows], y[rows]]), delimiter=",", fmt="%.6f")
    return path


@pytest.fixture(scope="session")
def tiny_model(sample_csv, tmp_path_factory) -> Path:
    """A 5-class model trained by ``ecgbeat train`` in a few seconds."""
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    argv = ["-q", "train", "--data", str(sample_csv), "--epochs", "2", "--batch-size", "32"]
    code = main([*argv, "--random-state", "0", "--output", str(path)])
    assert code == 0
    return path


# ------------------------------------------------------------------ help, version, usage errors


def test_help_and_version_do_not_import_tensorflow():
    code = (
        "import sys; from ecgbeat.cli import main; rc = main(['--help']); "
        "print(rc, 'tensorflow' in sys.modules, 'matplotlib' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.strip().splitlines()[-1] == "0 False False"
    for command in ("demo", "predict", "train", "evaluate", "data"):
        assert command in result.stdout
    version = subprocess.run(
        [sys.executable, "-m", "ecgbeat", "--version"], capture_output=True, text=True
    )
    from ecgbeat import __version__

    assert version.returncode == 0
    assert version.stdout.strip() == f"ecgbeat {__version__}"


def test_help_does_not_import_scikit_learn_scipy_or_pandas():
    # The module says that 'ecgbeat --help' answers at once; predict's module imported the
    # datasets package at start-up, and with it scikit-learn, SciPy and pandas (two seconds, in
    # which Ctrl-C was a traceback), for every command and for --help.
    code = (
        "import sys; from ecgbeat.cli import main; rc = main(['predict', '--help']); "
        "print(rc, sorted(m for m in ('sklearn', 'scipy', 'pandas', 'wfdb') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 []"


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("demo", "--no-plot"),
        ("predict", "--annotations"),
        ("train", "--freeze-conv"),
        ("evaluate", "--subset"),
        ("data", "--info"),
    ],
)
def test_every_command_has_help(capsys, command, option):
    code, out, _ = _run(capsys, command, "--help")
    assert code == 0
    assert out.startswith(f"usage: ecgbeat {command}")
    assert option in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "usage: ecgbeat"),
        (("predict",), "the following arguments are required: RECORD"),
        (("train", "--data", "x.csv", "--epochs", "0"), "must be at least 1, got 0"),
        (("evaluate", "m.keras", "--data", "mitbih", "--split", "kfold"), "invalid choice"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
        (("predict", "r", "--plot-start", "-5"), "--plot-start: must be 0 or more, got -5"),
        (("data", "--info", "--data-home", ""), "argument --data-home: empty (''): give a folder"),
        (("evaluate", "m", "--data", "mitbih", "--data-home", " "), "argument --data-home: empty"),
        (("predict", "r", "--plot-start", "nan"), "--plot-start: must be a finite number"),
        (("predict", "r", "--plot-seconds", "inf"), "--plot-seconds: must be a finite number"),
        (("predict", "r.csv", "--fs", "0"), "--fs: must be positive, got 0"),
        (("train", "--data", "x.csv", "--class-names", "N,N,V,F,Q"), "N named twice in"),
        (("evaluate", "m.keras", "--data", "x.csv", "--class-names", "N,,V"), "name 2 of"),
        (("train", "--data", "x.csv", "--class-names", "N,V,"), "name 3 of 'N,V,' is empty"),
    ],
)
def test_usage_errors_exit_2_without_traceback(capsys, argv, message):
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_unknown_model_is_a_clear_error(capsys):
    code, out, err = _run(capsys, "demo", "--model", "no-such-model", "--no-plot")
    assert code == 1
    assert out == ""
    assert "error: no model named 'no-such-model'" in err
    assert "Traceback" not in err
    code, _, err = _run(capsys, "demo", "--model", "missing/model.keras")
    assert code == 1
    assert "model file missing/model.keras not found" in err


def test_a_model_file_named_without_a_folder_or_suffix_is_read(
    capsys, tiny_model, sample_csv, tmp_path, monkeypatch
):
    # It was taken for a shipped name: "no model named 'backup'", though the file was there.
    (tmp_path / "backup").write_bytes(tiny_model.read_bytes())
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "-q", "evaluate", "backup", "--data", str(sample_csv), "--json")
    assert code == 0, err
    assert json.loads(out)["n_beats"] == 250


def test_bad_input_files_are_clear_errors(capsys, tiny_model, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n")
    code, _, err = _run(capsys, "evaluate", str(tiny_model), "--data", str(bad))
    assert code == 1
    assert "expected 188 columns" in err and "Traceback" not in err
    # Options that do not go together are wrong usage, as argparse's own errors: exit 2.
    code, _, err = _run(capsys, "train", "--data", str(bad), "--split", "random", "-o", "x.keras")
    assert code == 2
    assert "--split applies to --data mitbih" in err
    code, _, err = _run(capsys, "train", "--data", str(bad), "-o", "model.h5")
    assert code == 2
    assert "--output must end in .keras" in err
    code, _, err = _run(capsys, "train", "--data", str(bad), "--freeze-conv")
    assert code == 2
    assert "--freeze-conv keeps pretrained convolutions: give --pretrained too" in err


def test_train_tells_wrong_usage_before_an_existing_output(capsys, tmp_path):
    # Before, an existing --output came first: "exists: pass --force" (exit 1), and only with
    # --force given the usage error (exit 2) that had been there all along.
    output = tmp_path / "model.keras"
    output.write_text("the user's model")
    train = ["train", "--data", str(tmp_path / "beats.csv"), "-o", str(output)]
    for extra, message in [
        (["--freeze-conv"], "--freeze-conv keeps pretrained convolutions"),
        (["--split", "random"], "--split applies to --data mitbih"),
        (["--records", "100"], "--records applies to --data mitbih"),
    ]:
        code, _, err = _run(capsys, *train, *extra)
        assert code == 2 and message in err, err
    code, _, err = _run(
        capsys, "train", "--data", "mitbih", "--class-names", "a,b", "-o", str(output)
    )
    assert code == 2 and "--class-names names the labels of a CSV" in err
    assert output.read_text() == "the user's model"


def test_unexpected_errors_are_one_line(capsys, monkeypatch):
    import ecgbeat.cli._parser

    def broken(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(ecgbeat.cli._parser, "cmd_data", broken)
    code, _, err = _run(capsys, "data", "--info")
    assert code == 1
    assert err.strip() == (
        "ecgbeat data: unexpected error: RuntimeError: boom (ECGBEAT_DEBUG=1 shows the traceback)"
    )
    monkeypatch.setenv("ECGBEAT_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main(["data", "--info"])
    # ECGBEAT_DEBUG=0 is off, as an empty value is: it showed the traceback.
    monkeypatch.setenv("ECGBEAT_DEBUG", "0")
    code, _, err = _run(capsys, "data", "--info")
    assert code == 1 and err.startswith("ecgbeat data: unexpected error: RuntimeError: boom")


# ------------------------------------------------------------------ train / evaluate


def test_train_writes_a_model_with_class_names(tiny_model):
    from ecgbeat import HeartbeatCNNClassifier

    clf = HeartbeatCNNClassifier.load(tiny_model)
    assert clf.classes_.tolist() == [0, 1, 2, 3, 4]
    assert clf.n_features_in_ == 187
    assert clf.n_epochs_ == 2
    assert clf.model_card_["target_names"] == ["N", "S", "V", "F", "Q"]
    assert clf.model_card_["data"]["n_train"] == 250
    assert clf.callbacks is None  # the progress bar is not part of the saved model
    # The card's command runs again as written: it said "ecgbeat train -q train --data ...".
    from ecgbeat.cli import build_parser

    command = shlex.split(clf.model_card_["command"])
    assert command[:3] == ["ecgbeat", "-q", "train"]
    args = build_parser().parse_args(command[1:])
    assert (args.output, args.epochs) == (str(tiny_model), 2)


def test_train_on_mitbih_records(capsys, mitdb_dir, tmp_path):
    from ecgbeat import HeartbeatCNNClassifier

    path = tmp_path / "ds1.keras"
    argv = ["-q", "train", "--data", "mitbih", "--data-home", str(mitdb_dir.parent)]
    argv += ["--split", "inter-patient", "--records", "100", "119", "208", "--max-beats", "120"]
    argv += ["--epochs", "1", "--class-weight", "balanced", "--max-class-ratio", "1.5"]
    argv += ["--lr-schedule", "cosine_restarts", "--lr-cycle-epochs", "4"]
    argv += ["--output", str(path)]
    code, out, err = _run(capsys, *argv)
    assert code == 0
    assert out.startswith("trained 1 epoch(s), kept epoch 1") and str(path) in out
    # Asked for by name, record 100 is left out: said, not silently.
    assert "records ['100'] are not in the inter-patient 'train' set (DS1)" in err
    clf = HeartbeatCNNClassifier.load(path)
    # Record 100 is in DS2 (test): only DS1 records 119 and 208 were trained on.
    assert clf.model_card_["data"] == {
        "source": "MIT-BIH",
        "split": "inter-patient",
        "n_train": 120,
        "records": ["119", "208"],
    }
    # Its card says which patients it saw: a DS1 record it was not trained on is new to it (the
    # caution said it had learned from "the DS1 patients among these" of any DS1 record).
    for record, learned in (("101", False), ("119", True)):
        argv = ["-q", "evaluate", str(path), "--data", "mitbih", "--records", record]
        argv += ["--data-home", str(mitdb_dir.parent), "--max-beats", "40", "--json"]
        code, out, err = _run(capsys, *argv)
        assert code == 0, err
        assert ("caution" in json.loads(out)) is learned, record
    assert clf.class_weight == "balanced"
    assert clf.max_class_ratio == 1.5
    assert (clf.lr_schedule, clf.lr_cycle_epochs) == ("cosine_restarts", 4)
    assert clf.history_["learning_rate"] == pytest.approx([2e-3])  # a cycle starts at twice


def test_train_from_a_rhythm_model_cuts_the_beats_as_it_reads_them(capsys, mitdb_dir, tmp_path):
    # Before, the beats were cut without R-R features whatever the start read: the fit failed
    # on the first dense layer's shape, after loading the data; and the saved card lost how the
    # beats are cut (refined peaks), so that evaluate and predict would have cut them otherwise.
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.pretrained import load

    path = tmp_path / "tuned.keras"
    argv = ["-q", "train", "--data", "mitbih", "--data-home", str(mitdb_dir.parent)]
    argv += ["--split", "inter-patient", "--records", "119", "--max-beats", "60", "--epochs", "1"]
    code, _, err = _run(capsys, *argv, "--pretrained", "mitbih-rhythm", "--output", str(path))
    assert code == 0, err
    clf = HeartbeatCNNClassifier.load(path)
    start = load("mitbih-rhythm").metadata["extra"]
    assert clf.n_rr_features == 7 and clf.n_features_in_ == 187 + 7
    assert clf.model_card_["segmentation"] == start["segmentation"]
    assert clf.model_card_["fine_tuned_from"] == "mitbih-rhythm"
    assert clf.model_card_["data"]["n_train"] == 60
    # Its start learned from all 48 records: scored on a DS2 record, the beats are not new to it,
    # though it was fine-tuned on DS1 alone (before, evaluate said nothing of it).
    argv = ["-q", "evaluate", str(path), "--data", "mitbih", "--data-home", str(mitdb_dir.parent)]
    argv += ["--split", "inter-patient", "--records", "100", "--max-beats", "40", "--json"]
    code, out, err = _run(capsys, *argv)
    assert code == 0, err
    caution = json.loads(out)["caution"]
    assert "fine-tuned from mitbih-rhythm, which was trained on all 48 records" in caution
    # A CSV of beats has no R-R intervals: refused before any training, saying why.
    csv_file = tmp_path / "beats.csv"
    csv_file.write_text(",".join(["0.5"] * 187 + ["0"]) + "\n")
    code, _, err = _run(capsys, "train", "--data", str(csv_file), "--pretrained", "mitbih-rhythm")
    assert code == 1 and "a CSV of beats has no recording to take R-R intervals" in err


def test_a_fine_tune_names_its_saved_start_wherever_it_is_evaluated(
    capsys, sample_csv, tiny_model, tmp_path, monkeypatch
):
    # The card named the start as typed ("start.keras"): evaluated from another folder, that
    # named no file (or another model), and the caution that the start had learned from the
    # beats was lost.
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.cli._commands import _trained_on

    start = HeartbeatCNNClassifier.load(tiny_model)
    start.model_card_["data"] = {"source": "MIT-BIH", "split": "random"}
    (tmp_path / "a").mkdir()
    start.save(tmp_path / "a" / "start.keras")
    monkeypatch.chdir(tmp_path / "a")
    argv = ["-q", "train", "--data", str(sample_csv), "--epochs", "1", "--max-beats", "50"]
    code, _, err = _run(capsys, *argv, "--pretrained", "start.keras", "-o", "tuned.keras")
    assert code == 0, err
    monkeypatch.chdir(tmp_path)
    tuned = HeartbeatCNNClassifier.load(tmp_path / "a" / "tuned.keras")
    assert tuned.model_card_["fine_tuned_from"] == str(tmp_path / "a" / "start.keras")
    assert tuned.pretrained == "start.keras"  # the parameter as given, as the command is
    caution = _trained_on(tuned, "inter-patient", "test", None)
    assert caution is not None and "it was fine-tuned from" in caution


def test_a_fine_tune_under_other_class_names_keeps_no_normal_class_of_the_start(
    capsys, sample_csv, tiny_model, tmp_path
):
    # The start's normal class "N" was kept with its labels 0..4, though the data named them
    # a..e: every predict then refused the model ("normal class 'N' is not one of ...").
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.records import resolve_class_names, resolve_normal_class

    start = HeartbeatCNNClassifier.load(tiny_model)
    start.model_card_["normal_class"] = "N"
    start.save(tmp_path / "start.keras")
    argv = ["-q", "train", "--data", str(sample_csv), "--epochs", "1", "--max-beats", "50"]
    argv += ["--class-names", "a,b,c,d,e", "--pretrained", str(tmp_path / "start.keras")]
    code, _, err = _run(capsys, *argv, "-o", str(tmp_path / "tuned.keras"))
    assert code == 0, err
    tuned = HeartbeatCNNClassifier.load(tmp_path / "tuned.keras")
    names = resolve_class_names(tuned)
    assert names == ["a", "b", "c", "d", "e"]
    assert resolve_normal_class(tuned, names, None) is None


def test_ctrl_c_is_told_with_the_command_and_exit_status_130(capsys, monkeypatch):
    from ecgbeat.cli import _commands

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_commands, "load_classifier", interrupted)
    code, _, err = _run(capsys, "evaluate", "mitbih", "--data", "mitbih")
    assert code == 130 and err == "ecgbeat evaluate: interrupted\n"  # was "ecgbeat: ..."


def test_ctrl_c_or_a_broken_tensorflow_while_it_starts_is_one_line(capsys, monkeypatch):
    # TensorFlow takes seconds to import, before the command runs: Ctrl-C there was a
    # traceback through importlib (exit -2), and so was a broken installation.
    import ecgbeat.cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(ecgbeat.cli, "import_tensorflow_quietly", interrupted)
    code, out, err = _run(capsys, "demo", "--no-plot")
    assert (code, out, err) == (130, "", "ecgbeat demo: interrupted\n")

    def broken():
        raise ImportError("libcudart.so.12: cannot open shared object file")

    monkeypatch.setattr(ecgbeat.cli, "import_tensorflow_quietly", broken)
    code, out, err = _run(capsys, "predict", "r.csv")
    assert (code, out) == (1, "")
    assert err == "ecgbeat predict: error: libcudart.so.12: cannot open shared object file\n"


def test_train_refuses_an_architecture_other_than_the_starts(capsys, tmp_path):
    # It was replaced by the start's without a word: a "resnet" asked for, a "cnn" trained.
    path = tmp_path / "m.keras"
    argv = ["train", "--data", "x.csv", "--pretrained", "mitbih", "--output", str(path)]
    code, _, err = _run(capsys, *argv, "--architecture", "resnet")
    assert code == 2 and "--pretrained mitbih is a 'cnn' network" in err
    assert not path.exists()


@pytest.mark.parametrize("bad", ["0.5", "many", "inf", "1e400"])
def test_train_refuses_a_bad_max_class_ratio(capsys, bad):
    code, _, err = _run(capsys, "train", "--data", "x.csv", "--max-class-ratio", bad)
    assert code == 2
    assert "argument --max-class-ratio: " in err and "Traceback" not in err


@pytest.mark.parametrize("bad", ["-1", str(2**32), "1.5"])
def test_train_refuses_a_seed_that_numpy_does_not_take(capsys, bad):
    # Taken, then refused by the estimator once the data were read (exit 1, naming the Python
    # parameter random_state rather than the option).
    code, _, err = _run(capsys, "train", "--data", "x.csv", "--random-state", bad)
    assert code == 2
    assert "argument --random-state: " in err and "Traceback" not in err


def test_evaluate_json_matches_the_model_predictions(capsys, tiny_model, sample_csv):
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import load_heartbeat_csv

    code, out, _ = _run(
        capsys, "-q", "evaluate", str(tiny_model), "--data", str(sample_csv), "--json"
    )
    assert code == 0
    report = json.loads(out)
    X, y = load_heartbeat_csv(sample_csv, return_X_y=True)
    y_pred = HeartbeatCNNClassifier.load(tiny_model).predict(X)
    assert report["n_beats"] == 250
    assert report["accuracy"] == round(float(np.mean(y_pred == y)), 4)
    assert report["labels"] == ["N", "S", "V", "F", "Q"]
    matrix = np.array(report["confusion_matrix"])
    assert matrix.sum(axis=1).tolist() == [50] * 5
    assert matrix.sum(axis=0).tolist() == np.bincount(y_pred, minlength=5).tolist()


def test_a_csv_of_beats_for_a_model_that_refines_peaks_is_used_with_a_warning(
    capsys, tiny_model, sample_csv, tmp_path
):
    # Before, the model's figures on beats cut elsewhere were given without a word, as if the
    # beats were cut at refined R peaks as it reads them.
    from ecgbeat import HeartbeatCNNClassifier

    model = HeartbeatCNNClassifier.load(tiny_model)
    model.model_card_ = {**model.model_card_, "segmentation": {"refine_radius": 0.12}}
    refining = tmp_path / "refining.keras"
    model.save(refining)
    argv = ["--data", str(sample_csv), "--max-beats", "20"]
    code, _, err = _run(capsys, "-q", "evaluate", str(refining), *argv, "--json")
    assert code == 0, err
    warned = [line for line in err.splitlines() if "ecgbeat evaluate: warning:" in line]
    assert len(warned) == 1 and "R peaks refined within 0.12 s" in warned[0], err
    assert f"{sample_csv} holds beats cut already" in warned[0]
    assert warned[0].endswith("they are scored as given")
    train = ["train", *argv, "--pretrained", str(refining), "--epochs", "1"]
    code, _, err = _run(capsys, "-q", *train, "-o", str(tmp_path / "tuned.keras"))
    assert code == 0 and "they are trained on as given" in err, err
    code, _, err = _run(capsys, "-q", "evaluate", str(tiny_model), *argv, "--json")
    assert code == 0 and "warning" not in err, err


def test_a_csv_of_beats_as_long_as_the_models_is_read(capsys, tmp_path):
    # A model of beats of 100 samples (fitted in Python) was refused on a CSV of its own beats:
    # "expected 188 columns (187 samples and the label), found 101".
    from conftest import FAST_PARAMS, make_synthetic_beats

    from ecgbeat import HeartbeatCNNClassifier

    X, y = make_synthetic_beats(n_per_class=20, n_samples=100, labels=(0, 1))
    model = tmp_path / "short.keras"
    # No validation, and a fine-tune of the head alone: what is tested is how the beats are read.
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1, "validation_fraction": 0.0})
    clf.fit(X, y).save(model)
    data = tmp_path / "short.csv"
    np.savetxt(data, np.column_stack([X, y]), delimiter=",", fmt="%.6f")
    argv = ["--data", str(data), "--class-names", "a,b"]
    code, out, err = _run(capsys, "-q", "evaluate", str(model), *argv, "--json")
    assert code == 0, err
    assert json.loads(out)["n_beats"] == 40
    tuned = tmp_path / "tuned.keras"
    train = ["train", *argv, "--pretrained", str(model), "--epochs", "1", "-o", str(tuned)]
    code, _, err = _run(capsys, "-q", *train, "--freeze-conv")
    assert code == 0, err
    assert HeartbeatCNNClassifier.load(tuned).n_features_in_ == 100


def test_max_beats_draws_a_stratified_subsample_whenever_one_can_be_drawn(
    capsys, tiny_model, sample_csv, tmp_path
):
    def supports(*argv):
        code, out, err = _run(capsys, "-q", "evaluate", str(tiny_model), *argv, "--json")
        assert code == 0, err
        report = json.loads(out)
        return [report["per_class"][c]["support"] for c in "NSVFQ"], report["n_beats"]

    # Before, a class without beats (no F here) turned the stratification off: 27, 26, 22, 25.
    rows = np.loadtxt(sample_csv, delimiter=",")
    no_f = tmp_path / "no_f.csv"
    np.savetxt(no_f, rows[rows[:, -1] != 3], delimiter=",", fmt="%.6f")
    assert supports("--data", str(no_f), "--max-beats", "100") == ([25, 25, 25, 0, 25], 100)
    # Before, scikit-learn refused these, in words that named no option ("The test_size = 1
    # should be greater or equal to the number of classes = 5"): fewer beats than classes, or
    # fewer left out.
    for n in (249, 3):
        counts, n_beats = supports("--data", str(sample_csv), "--max-beats", str(n))
        assert n_beats == n and sum(counts) == n


def test_evaluate_on_a_mitbih_split(capsys, tiny_model, mitdb_dir):
    from ecgbeat.datasets import fetch_mitbih

    argv = ["-q", "evaluate", str(tiny_model), "--data", "mitbih", "--records", "100", "119"]
    argv += ["--data-home", str(mitdb_dir.parent), "--split", "random", "--no-download"]
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    test = fetch_mitbih(mitdb_dir.parent, split="random", subset="test", records=["100", "119"])
    assert f"({len(test.target)} beats)" in out
    assert "model " in out and "random split, test part" in out
    # Both macro-F1s, each saying which classes it averages.
    assert any(
        line.startswith("macro-F1") and line.endswith("(N, S, V, F, Q)")
        for line in out.splitlines()
    )
    # The second, over the classes of N, S, V, F that these beats hold (records 100 and 119
    # have no F beat).
    held = [name for code, name in enumerate("NSVF") if np.any(test.target == code)]
    assert held == ["N", "S", "V"]
    assert any(
        line.startswith("macro-F1") and line.endswith("(N, S, V)") for line in out.splitlines()
    )
    v_support = int(np.sum(test.target == 2))
    v_line = next(line for line in out.splitlines() if line.startswith("V "))
    assert int(v_line.split()[-1]) == v_support


def test_evaluate_names_the_records_and_the_draw_it_scored(
    capsys, tiny_model, mitdb_dir, sample_csv
):
    # The data read "MIT-BIH, inter-patient split, test part" for record 100 alone, and a CSV's
    # name for 30 of its beats: a metrics.json read later passed for the whole part or file.
    argv = ["-q", "evaluate", str(tiny_model), "--json", "--data", "mitbih", "--no-download"]
    argv += ["--data-home", str(mitdb_dir.parent), "--split", "inter-patient"]
    code, out, err = _run(capsys, *argv, "--records", "119", "100")  # 119 is DS1: left out
    assert code == 0, err
    assert json.loads(out)["data"] == "MIT-BIH, inter-patient split, test part, record 100"
    argv = ["-q", "evaluate", str(tiny_model), "--json", "--data", str(sample_csv)]
    code, out, err = _run(capsys, *argv, "--max-beats", "30")
    assert code == 0, err
    assert json.loads(out)["data"] == f"{sample_csv}, 30 of its 250 beats drawn at random"
    code, out, err = _run(capsys, *argv, "--max-beats", "250")  # all of them: no draw
    assert json.loads(out)["data"] == str(sample_csv)


@pytest.mark.parametrize(
    ("model", "split", "record", "learned"),
    [
        ("mitbih-ds1", "random", "119", "the DS1 patients among these"),
        ("mitbih-ds1", "random", "100", None),  # a DS2 record: new to the model
        ("mitbih-rhythm", "inter-patient", "100", "trained on all 48 records"),
    ],
)
def test_evaluate_says_when_the_model_learned_from_the_beats(
    capsys, mitdb_dir, model, split, record, learned
):
    # mitbih-rhythm scored 100 % on DS2 "test" beats, as if on new patients, without a word.
    argv = ["evaluate", model, "--data", "mitbih", "--data-home", str(mitdb_dir.parent)]
    argv += ["--split", split, "--records", record, "--max-beats", "40", "--json"]
    code, out, err = _run(capsys, *argv)
    assert code == 0
    caution = json.loads(out).get("caution")
    if learned is None:
        assert caution is None and "learned from" not in err
    else:
        assert learned in caution and "not those of new patients" in caution
        assert f"ecgbeat evaluate: warning: {caution}" in err


def test_evaluate_at_detected_peaks_counts_detections_of_no_beat(capsys, tiny_model, mitdb_dir):
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import fetch_mitbih

    argv = ["-q", "evaluate", str(tiny_model), "--data", "mitbih", "--records", "100", "208"]
    argv += ["--data-home", str(mitdb_dir.parent), "--split", "inter-patient", "--no-download"]
    code, out, _ = _run(capsys, *argv, "--detector", "pan-tompkins", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["data"].endswith(
        "test part, record 100, beats at pan-tompkins peaks (0 missed, scored as misses)"
    )
    assert report["missed_beats"] == 0
    part = fetch_mitbih(
        mitdb_dir.parent,
        split="inter-patient",
        subset="test",
        records=["100", "208"],
        detector="pan-tompkins",
        download_if_missing=False,
    )
    assert set(part.groups) == {"100"} and set(part.unmatched.groups) <= {"100"}
    n_extra = len(part.unmatched.data)
    assert report["n_beats"] == len(part.target) + n_extra
    assert report["per_class"].get("(none)", {"support": 0})["support"] == n_extra
    # Se and +P are the per-class recall and precision, and the N, S, V, F mean is over the
    # classes that record 100 has.
    y_pred = HeartbeatCNNClassifier.load(tiny_model).predict(part.data)
    n_true_n = int(np.sum(part.target == 0))
    assert report["Se"]["N"] == round(float(np.mean(y_pred[part.target == 0] == 0)), 4)
    assert report["per_class"]["N"]["support"] == n_true_n
    present = [c for c in "NSVF" if report["per_class"][c]["support"]]
    f1 = np.mean([report["per_class"][c]["f1"] for c in present])
    assert report["macro_f1_NSVF"] == pytest.approx(f1, abs=1e-4)


def test_evaluate_at_detected_peaks_counts_the_beats_it_missed(
    capsys, tiny_model, mitdb_dir, tmp_path
):
    # A V beat annotated 0.4 s after a beat of record 100, where the detector finds none: it
    # was in no row, and V's Se was over the V beats the detector found.
    import shutil

    import wfdb

    folder = tmp_path / "mitdb"
    folder.mkdir()
    for ext in ("hea", "dat", "atr"):
        shutil.copyfile(mitdb_dir / f"100.{ext}", folder / f"100.{ext}")
    ann = wfdb.rdann(str(mitdb_dir / "100"), "atr")
    samples = np.insert(ann.sample, 501, ann.sample[500] + 144)
    symbols = np.insert(np.array(ann.symbol, dtype=object), 501, "V")
    wfdb.wrann("100", "atr", samples, symbols, write_dir=str(folder))
    argv = ["-q", "evaluate", str(tiny_model), "--data", "mitbih", "--records", "100"]
    argv += ["--data-home", str(tmp_path), "--split", "inter-patient", "--no-download"]
    argv += ["--detector", "pan-tompkins", "--json"]
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    report = json.loads(out)
    assert report["missed_beats"] == 1
    assert report["data"].endswith("peaks (1 missed, scored as misses)")
    # Record 100 has one V beat, found: the other is a V beat predicted "(none)".
    assert report["per_class"]["V"]["support"] == 2
    assert report["labels"][-1] == "(none)"
    assert [row[-1] for row in report["confusion_matrix"]] == [0, 0, 1, 0, 0, 0]
    n_rows = sum(map(sum, report["confusion_matrix"]))
    assert report["n_beats"] == n_rows and report["Se"]["V"] <= 0.5
    # Drawn with the rest by --max-beats: out of every beat, the missed one among them.
    code, out, _ = _run(capsys, *argv, "--max-beats", "40")
    drawn = json.loads(out)
    assert drawn["n_beats"] == 40 == sum(map(sum, drawn["confusion_matrix"]))
    assert drawn["data"].endswith(f", 40 of its {n_rows} beats drawn at random")


@pytest.fixture(scope="module")
def binary_model(sample_csv, tmp_path_factory) -> tuple[Path, Path]:
    """A ``normal, abnormal`` model trained by ``ecgbeat train``, and its CSV (labels 0, 1)."""
    folder = tmp_path_factory.mktemp("binary")
    rows = np.loadtxt(sample_csv, delimiter=",")
    data = folder / "binary.csv"
    np.savetxt(data, rows[rows[:, -1] <= 1][::2], delimiter=",", fmt="%.6f")
    model = folder / "binary.keras"
    argv = ["-q", "train", "--data", str(data), "--class-names", "normal,abnormal"]
    assert main([*argv, "--epochs", "1", "--output", str(model)]) == 0
    return model, data


def test_evaluate_refuses_a_model_of_other_class_names(capsys, binary_model, mitdb_dir):
    model, data = binary_model
    argv = ["-q", "evaluate", str(model), "--data", "mitbih", "--records", "100"]
    code, out, err = _run(capsys, *argv, "--data-home", str(mitdb_dir.parent), "--no-download")
    assert code == 1 and out == ""
    assert "predicts classes ['normal', 'abnormal']" in err
    assert "['N', 'S', 'V', 'F', 'Q']" in err
    code, _, err = _run(capsys, "-q", "evaluate", str(model), "--data", str(data))
    assert code == 1 and "predicts classes ['normal', 'abnormal']" in err
    code, out, _ = _run(
        capsys, "-q", "evaluate", str(model), "--data", str(data), "--class-names",
        "normal,abnormal", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["labels"] == ["normal", "abnormal"]
    # The demo refuses it by the same check.
    code, _, err = _run(capsys, "demo", "--model", str(model), "--no-plot")
    assert code == 1 and "predicts classes ['normal', 'abnormal']" in err


def test_a_model_trained_without_a_class_keeps_its_names(capsys, sample_csv, mitdb_dir, tmp_path):
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.records import resolve_class_names

    rows = np.loadtxt(sample_csv, delimiter=",")
    data = tmp_path / "no_f.csv"
    np.savetxt(data, rows[rows[:, -1] != 3][::2], delimiter=",", fmt="%.6f")  # no F beat
    model = tmp_path / "no_f.keras"
    code, _, _ = _run(capsys, "-q", "train", "--data", str(data), "--epochs", "1", "-o", str(model))
    assert code == 0
    clf = HeartbeatCNNClassifier.load(model)
    assert clf.classes_.tolist() == [0, 1, 2, 4]
    assert resolve_class_names(clf) == ["N", "S", "V", "Q"]
    argv = ["-q", "predict", str(mitdb_dir / "100"), "--model", str(model), "--summary", "--csv"]
    code, out, err = _run(capsys, *argv)
    assert code == 0 and err.startswith("100: ")
    assert {r["label"] for r in _parse_csv(out)} <= {"N", "S", "V", "Q"}
    # Scored on data that has F beats too: the model never says F.
    code, out, _ = _run(capsys, "-q", "evaluate", str(model), "--data", str(sample_csv), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["labels"] == ["N", "S", "V", "F", "Q"]
    y_pred = clf.predict(np.loadtxt(sample_csv, delimiter=",")[:, :-1])
    matrix = np.array(report["confusion_matrix"])
    assert matrix.sum(axis=0).tolist() == np.bincount(y_pred, minlength=5).tolist()
    assert matrix[:, 3].sum() == 0


def test_class_names_are_read_without_the_spaces_around_them(capsys, tiny_model, sample_csv):
    # "N, S, V, F, Q" named the classes " S", " V"...: the model's S, V... were refused as
    # classes the data did not have, and a model trained so wrote columns "p_ S".
    argv = ["-q", "evaluate", str(tiny_model), "--data", str(sample_csv), "--json"]
    code, out, err = _run(capsys, *argv, "--class-names", "N, S, V, F, Q")
    assert code == 0, err
    assert list(json.loads(out)["per_class"]) == ["N", "S", "V", "F", "Q"]
    code, out, err = _run(capsys, *argv, "--class-names", "N,S,V,F ,F")
    assert (code, out) == (2, "")
    assert "F named twice in 'N,S,V,F ,F'" in err


def test_records_that_mitbih_does_not_have_are_wrong_usage(capsys, tiny_model, tmp_path):
    # They were a failure (exit 1) found once the data loaded: evaluate loaded the model first.
    output = str(tmp_path / "m.keras")
    for argv in [
        ("evaluate", str(tiny_model), "--data", "mitbih", "--records", "100", "1000"),
        ("train", "--data", "mitbih", "--records", "1000", "100", "-o", output),
        ("data", "--info", "--records", "100", "1000"),
    ]:
        code, out, err = _run(capsys, *argv, "--data-home", str(tmp_path), "--no-download")
        assert (code, out) == (2, ""), err
        assert err.startswith(
            f"ecgbeat {argv[0]}: error: --records: not MIT-BIH records: ['1000']; the records "
            "are ['100', '101',"
        )
        assert "loading model" not in err
    assert not (tmp_path / "m.keras").exists()


def test_data_that_is_no_file_is_refused_before_the_model_loads(capsys, tiny_model, tmp_path):
    # evaluate loaded the model (seconds), then said "/tmp/... not found" of a folder that is
    # there, and "MITBIH not found" without a word of what --data takes.
    for data, what in [(str(tmp_path), "is a folder"), ("MITBIH", "not found")]:
        code, out, err = _run(capsys, "evaluate", str(tiny_model), "--data", data)
        assert (code, out) == (1, "")
        assert err == (
            f"ecgbeat evaluate: error: --data {data} {what}: give 'mitbih' or a CSV file of "
            "labelled beats\n"
        )


def test_options_of_the_other_kind_of_data_are_refused_not_ignored(
    capsys, tiny_model, sample_csv, tmp_path
):
    # Before, --subset with a CSV and --class-names with MIT-BIH were ignored without a word
    # (the whole CSV scored, MIT-BIH's names kept), and --detector with a CSV was a failure
    # (exit 1) in a message about the model's rhythm features; --split and --records with a
    # CSV were already wrong usage.
    model, csv_file = str(tiny_model), str(sample_csv)
    for argv, message in [
        (("evaluate", model, "--data", csv_file, "--subset", "train"), "--subset applies to"),
        (("evaluate", model, "--data", csv_file, "--detector", "threshold"), "--detector applies"),
        (("evaluate", model, "--data", "mitbih", "--class-names", "a,b"), "--class-names names"),
        (("train", "--data", "mitbih", "--class-names", "a,b", "-o", str(tmp_path / "m.keras")),
         "--class-names names"),
    ]:  # fmt: skip
        code, out, err = _run(capsys, "-q", *argv)
        assert code == 2 and out == "", err
        assert message in err and "Traceback" not in err
    assert not (tmp_path / "m.keras").exists()


def test_detector_needs_whole_records(capsys, tiny_model):
    argv = ["evaluate", str(tiny_model), "--data", "mitbih", "--detector", "pan-tompkins"]
    code, _, err = _run(capsys, *argv)
    assert code != 0 and "--detector needs whole records" in err
    # Told before the model loads: a model that cannot be loaded does not hide it (exit 1).
    for argv, message in [
        (["--data", "mitbih", "--detector", "threshold"], "--detector needs whole records"),
        (["--data", "beats.csv", "--split", "random"], "--split applies to --data mitbih"),
        (["--data", "beats.csv", "--detector", "threshold"], "--detector applies to --data"),
        (["--data", "mitbih", "--class-names", "a,b"], "--class-names names the labels of a CSV"),
    ]:
        code, _, err = _run(capsys, "evaluate", "no-such-model", *argv)
        assert code == 2 and message in err, err


# ------------------------------------------------------------------ demo


def test_demo_reports_on_the_sample_and_draws(capsys, tiny_model, tmp_path):
    picture = tmp_path / "demo.png"
    code, out, err = _run(capsys, "demo", "--model", str(tiny_model), "--out", str(picture))
    assert code == 0
    assert "2850 sample MIT-BIH beats" in out
    for name in ("N", "S", "V", "F", "Q"):
        assert any(line.split()[:1] == [name] for line in out.splitlines())
    assert "macro-F1" in out and "accuracy" in out
    # The confusion matrix's rows add up to the sample's class counts.
    lines = out.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("true\\pred")))
    rows = [list(map(int, line.split()[1:])) for line in lines[start + 1 : start + 6]]
    assert [sum(row) for row in rows] == SAMPLE_COUNTS
    # Why the sample's accuracy is not the README's: it is rebalanced (a model without a card
    # has no whole-test-part figure to quote).
    assert "class-rebalanced (1500 N, 400 S, 400 V, 150 F, 400 Q)" in out
    assert "model card" not in out
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {picture}" in err


def test_demo_quiet_and_no_plot(capsys, tiny_model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "-q", "demo", "--model", str(tiny_model), "--no-plot")
    assert code == 0
    assert "macro-F1" in out
    assert err == ""
    assert list(tmp_path.iterdir()) == []


def test_demo_compares_only_with_the_test_part_the_sample_comes_from(capsys):
    # mitbih-ds1 was scored on DS2 (82.52 %), not on the random split's test part that the
    # sample is drawn from, whose DS1 beats it trained on: the demo quoted that figure as "the
    # whole test part" and said nothing of the beats it had learned.
    code, out, err = _run(capsys, "-q", "demo", "--model", "mitbih-ds1", "--no-plot")
    assert code == 0, err
    assert "model card" not in out and "82.52" not in out
    assert out.rstrip().endswith("its accuracy weighs the rare, harder classes far more.")
    assert err.startswith(
        "ecgbeat demo: warning: the model has learned from the DS1 patients among these: it "
        "was trained on DS1; these figures are not those of new patients"
    )


def test_demo_refuses_a_model_that_reads_beats_cut_otherwise(capsys, tiny_model, tmp_path):
    # A model that reads beats starting before the R peak was scored on the sample's beats,
    # cut at it, without a word; a rhythm model failed on "X has 187 features, but ... 197".
    from ecgbeat import HeartbeatCNNClassifier

    clf = HeartbeatCNNClassifier.from_pretrained(str(tiny_model))
    clf.model_card_ = {**clf.model_card_, "segmentation": {"before_r": 0.1}}
    clf.save(tmp_path / "early.keras")
    for model, how in [
        (str(tmp_path / "early.keras"), "beats that start 0.1 s before the R peak"),
        ("mitbih-rhythm", "R-R features, R peaks refined"),
    ]:
        code, out, err = _run(capsys, "-q", "demo", "--model", model, "--no-plot")
        assert (code, out) == (1, ""), err
        assert err == (
            f"ecgbeat demo: error: model {model} reads {how}; the demo's sample beats are cut at "
            "the annotated R peaks, with nothing else: try the model on a record (ecgbeat "
            "predict) or on MIT-BIH (ecgbeat evaluate --data mitbih)\n"
        )


def test_a_pgf_picture_without_its_tex_is_refused_before_any_work(
    capsys, tiny_model, tmp_path, monkeypatch
):
    # Matplotlib writes .pgf through a TeX installation: without one, the picture passed the
    # check and failed once the work was done ("unexpected error: RuntimeError: 'xelatex' not
    # found").
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no TeX there, whatever the machine has
    picture = tmp_path / "beats.pgf"
    code, out, err = _run(capsys, "-q", "demo", "--model", str(tiny_model), "--out", str(picture))
    assert (code, out) == (1, "")
    assert err == (
        f"ecgbeat demo: error: --out {picture}: Matplotlib writes .pgf pictures with "
        "xelatex, which is not installed: give another format (.png, .pdf, .svg...)\n"
    )
    assert not picture.exists()


def test_demo_refuses_a_picture_name_beside_no_plot(capsys, tmp_path):
    # --out was ignored without a word: the user asked for a picture and got none.
    picture = tmp_path / "beats.png"
    code, out, err = _run(capsys, "demo", "--no-plot", "--out", str(picture))
    assert (code, out) == (2, "")
    assert err == (
        f"ecgbeat demo: error: --out {picture} names the picture that --no-plot leaves out: "
        "give one or the other\n"
    )
    assert not picture.exists()


def test_demo_without_matplotlib_still_reports(capsys, tiny_model, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the [plot] extra were missing
    picture = tmp_path / "demo.png"
    code, out, err = _run(capsys, "demo", "--model", str(tiny_model), "--out", str(picture))
    assert code == 0
    assert "macro-F1" in out
    assert re.search(r'pip install (-e )?"[^"]*\[plot\]"', err)
    assert not picture.exists()
    # One line naming the command, as every warning: it was "\nno picture: ...".
    (line,) = [line for line in err.splitlines() if "no picture" in line]
    assert line.startswith("ecgbeat demo: warning: no picture: pictures need the optional ")
    assert "\n\n" not in err


def test_demo_never_draws_over_its_model(capsys, tiny_model, tmp_path):
    # An output that names the model is wrong usage (docs/cli.md's exit codes), as in predict:
    # a model file is read by its content whatever its name, and --out of that name replaced
    # the model with the picture.
    model = tmp_path / "model.png"
    shutil.copyfile(tiny_model, model)
    before = model.read_bytes()
    code, out, err = _run(capsys, "demo", "--model", str(model), "--out", str(model))
    assert code == 2 and out == "", err
    assert "is the --model file" in err
    assert model.read_bytes() == before


def test_progress_bar_only_on_a_terminal(capsys, tiny_model, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = _run(capsys, "demo", "--model", str(tiny_model), "--no-plot")
    assert code == 0
    assert "classifying" in err and "batch" in err  # tqdm's bar
    code, _, err = _run(capsys, "demo", "--quiet", "--model", str(tiny_model), "--no-plot")
    assert "classifying" not in err


@pytest.mark.skipif(not SHIPPED, reason="the shipped 'mitbih' model is not in this checkout yet")
def test_demo_with_the_shipped_model(capsys):
    code, out, _ = _run(capsys, "-q", "demo", "--no-plot")
    assert code == 0
    accuracy = float(
        next(line for line in out.splitlines() if line.startswith("accuracy")).split()[1]
    )
    assert accuracy > 0.9


# ------------------------------------------------------------------ predict


def _parse_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_predict_record_with_reference_annotations(capsys, tiny_model, mitdb_dir):
    import wfdb

    argv = ["-q", "predict", str(mitdb_dir / "100.hea"), "--model", str(tiny_model)]
    code, out, err = _run(capsys, *argv, "--annotations", "atr")
    assert code == 0, err
    rows = _parse_csv(out)
    ann = wfdb.rdann(str(mitdb_dir / "100"), "atr")
    beats = [s for s, sym in zip(ann.sample, ann.symbol, strict=True) if sym in "NAV"]
    # Every annotated beat but the last (it has no following R-R interval).
    assert [int(r["sample"]) for r in rows] == beats[:-1]
    assert {r["record"] for r in rows} == {"100"}
    # The annotation's class beside the prediction (record 100: 33 A beats are S, 1 V).
    symbols = [sym for sym in ann.symbol if sym in "NAV"][:-1]
    aami = {"N": "N", "A": "S", "V": "V"}
    assert [r["reference"] for r in rows] == [aami[sym] for sym in symbols]
    assert Counter(r["reference"] for r in rows) == {"N": 2238, "S": 33, "V": 1}
    first = rows[0]
    assert float(first["time_s"]) == pytest.approx(int(first["sample"]) / 360, abs=1e-4)
    names = ["N", "S", "V", "F", "Q"]
    proba = np.array([[float(r[f"p_{n}"]) for n in names] for r in rows])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    # The label has the highest probability (the written probabilities are rounded, so two
    # classes can tie there).
    labelled = proba[np.arange(len(rows)), [names.index(r["label"]) for r in rows]]
    np.testing.assert_array_equal(labelled, proba.max(axis=1))


def test_predict_keeps_going_when_a_record_fails(capsys, tiny_model, mitdb_dir, tmp_path):
    table = tmp_path / "beats.csv"
    argv = ["-q", "predict", str(mitdb_dir / "100"), str(tmp_path / "999")]
    argv += ["--model", str(tiny_model), "--output", str(table), "--summary"]
    code, out, err = _run(capsys, *argv)
    assert code == 1
    assert "999: record 999: header file" in err and "not found" in err
    assert "1 of 2 input(s) failed" in err
    rows = _parse_csv(table.read_text())
    assert len(rows) > 2000 and {r["record"] for r in rows} == {"100"}
    # The summary agrees with the table.
    line = next(line for line in out.splitlines() if line.startswith("100:"))
    assert f"{len(rows)} beats" in line
    n_normal = sum(r["label"] == "N" for r in rows)
    assert f"N {n_normal} " in line
    # The burden counts the readable beats only, as the CSV's readable column marks them.
    readable = [r for r in rows if r["readable"] == "1"]
    assert {r["readable"] for r in rows} <= {"0", "1"} and len(readable) > 2000
    assert f"{len(rows) - len(readable)} in unreadable stretches" in line
    n_normal = sum(r["label"] == "N" for r in readable)
    assert f"ectopic burden {100 * (1 - n_normal / len(readable)):.1f} % of the" in line


def test_summary_rounds_the_ectopic_burden_once():
    # 1761 of 2000 beats not N: 88.05 %. Rounding to 4 decimals first, then for display,
    # printed 88.0 % (the double rounding that made CI depend on the CPU's arithmetic).
    from ecgbeat.cli._predict import _format_summary
    from ecgbeat.records import BeatTable

    label = np.array(["N"] * 239 + ["V"] * 1761)
    proba = np.zeros((2000, 2))
    table = BeatTable("r", np.arange(2000) * 300, 360.0, label, proba, ["N", "V"])
    assert table.summary()["ectopic_burden"] == 1 - 239 / 2000
    assert "ectopic burden 88.1 %" in _format_summary(table)


def test_predict_survives_an_unexpected_error_in_one_record(
    capsys, tiny_model, mitdb_dir, monkeypatch
):
    import ecgbeat.records

    real = ecgbeat.records.classify_record

    def flaky(record, *args, **kwargs):
        if str(record).endswith("119"):
            raise IndexError("list index out of range")  # as a third-party reader might
        return real(record, *args, **kwargs)

    monkeypatch.setattr(ecgbeat.records, "classify_record", flaky)
    argv = ["-q", "predict", str(mitdb_dir / "119"), str(mitdb_dir / "100")]
    code, out, err = _run(capsys, *argv, "--model", str(tiny_model), "--annotations", "atr")
    assert code == 1
    assert f"{mitdb_dir / '119'}: IndexError: list index out of range" in err
    assert {row["record"] for row in _parse_csv(out)} == {"100"}


def test_predict_csv_of_beats(capsys, tiny_model, kaggle_dir):
    path = kaggle_dir / "mitbih_test_first10.csv"
    code, out, _ = _run(capsys, "-q", "predict", str(path), "--model", str(tiny_model), "--csv")
    assert code == 0
    rows = _parse_csv(out)
    assert [int(r["sample"]) for r in rows] == list(range(10))
    assert {r["record"] for r in rows} == {"mitbih_test_first10"}
    assert all(r["time_s"] == "" for r in rows)


def test_sigterm_while_writing_leaves_the_output_as_it_was(
    capsys, tiny_model, kaggle_dir, tmp_path, monkeypatch
):
    # SIGTERM (kill, timeout, a job scheduler) ended the process at once: the table half
    # written stayed beside the output as a hidden temporary file. It now stops the command as
    # Ctrl-C does, in one line, with the shell's exit status for it.
    import contextlib
    import signal

    import ecgbeat.records

    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    written = ecgbeat.records.open_text_to_write

    @contextlib.contextmanager
    def terminated_while_writing(*args, **kwargs):
        with written(*args, **kwargs) as stream:
            stream.write("record,sample")
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # it would end pytest
                raise AssertionError("SIGTERM would have ended the process")
            signal.raise_signal(signal.SIGTERM)
            yield stream

    monkeypatch.setattr(ecgbeat.records, "open_text_to_write", terminated_while_writing)
    output = tmp_path / "beats.csv"
    output.write_text("the user's table\n")
    path = kaggle_dir / "mitbih_test_first10.csv"
    code, out, err = _run(
        capsys, "-q", "predict", str(path), "--model", str(tiny_model), "-o", str(output)
    )
    assert (code, out, err) == (143, "", "ecgbeat predict: terminated\n")
    assert output.read_text() == "the user's table\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["beats.csv"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # given back


def test_predict_takes_inputs_after_options(capsys, tiny_model, kaggle_dir, tmp_path):
    path = kaggle_dir / "mitbih_test_first10.csv"
    second = tmp_path / "second.csv"
    second.write_bytes(path.read_bytes())
    code, out, err = _run(
        capsys, "-q", "predict", str(path), "--model", str(tiny_model), str(second), "--csv"
    )
    assert code == 0, err
    rows = _parse_csv(out)
    assert [r["record"] for r in rows] == ["mitbih_test_first10"] * 10 + ["second"] * 10
    # An unknown option among them is still wrong usage, as are stray words of other commands.
    for argv in (
        ("predict", str(path), "--model", str(tiny_model), str(second), "--no-such-option"),
        ("evaluate", "mitbih", "stray", "--data", "beats.csv"),
    ):
        code, _, err = _run(capsys, *argv)
        assert code == 2 and "unrecognized arguments" in err, err


def test_predict_takes_inputs_after_a_double_dash(capsys, tiny_model, kaggle_dir, tmp_path):
    # "--" ends the options, as for every Unix command: a file whose name starts with "-" came
    # after it, and the inputs after an option were refused ("unrecognized arguments").
    path = kaggle_dir / "mitbih_test_first10.csv"
    dashed = tmp_path / "-dashed.csv"
    dashed.write_bytes(path.read_bytes())
    argv = ["-q", "predict", str(path), "--model", str(tiny_model), "--csv", "--", "-dashed.csv"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        code, out, err = _run(capsys, *argv)
    assert code == 0, err
    # (A name that starts with "-" gets a leading "'" in a CSV: no spreadsheet formula.)
    expected = ["mitbih_test_first10"] * 10 + ["'-dashed"] * 10
    assert [r["record"] for r in _parse_csv(out)] == expected


def test_predict_defaults_records_to_the_rhythm_model_and_beats_to_mitbih(
    capsys, mitdb_dir, kaggle_dir
):
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import load_heartbeat_csv
    from ecgbeat.records import DEFAULT_MODEL, classify_record

    path = kaggle_dir / "mitbih_test_first10.csv"
    code, out, _ = _run(capsys, "-q", "predict", str(mitdb_dir / "100"), str(path), "--csv")
    assert code == 0
    rows = _parse_csv(out)
    record_rows = [r for r in rows if r["record"] == "100"]
    expected = classify_record(mitdb_dir / "100", DEFAULT_MODEL)
    assert [r["label"] for r in record_rows] == expected.label.tolist()
    # CSV beats carry no R-R intervals: the beats-only model classifies them.
    X, _ = load_heartbeat_csv(path, return_X_y=True)
    proba = HeartbeatCNNClassifier.from_pretrained("mitbih").predict_proba(X)
    csv_rows = [r for r in rows if r["record"] == "mitbih_test_first10"]
    np.testing.assert_allclose([float(r["p_N"]) for r in csv_rows], proba[:, 0], atol=1e-6)


def test_predict_draws_the_strip(capsys, tiny_model, mitdb_dir, tmp_path):
    picture = tmp_path / "strip.png"
    argv = ["-q", "predict", str(mitdb_dir / "100"), "--model", str(tiny_model)]
    code, out, _ = _run(capsys, *argv, "--annotations", "atr", "--summary", "--plot", str(picture))
    assert code == 0
    assert out.startswith("100: 2272 beats")
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_strip_that_fails_does_not_stop_the_others(
    capsys, tiny_model, mitdb_dir, kaggle_dir, tmp_path, monkeypatch
):
    pytest.importorskip("matplotlib")
    import ecgbeat.plot

    draw = ecgbeat.plot.plot_table_strip

    def fails_for_100(table, *args, **kwargs):
        if table.record == "100":
            raise ValueError("no room to draw")
        return draw(table, *args, **kwargs)

    monkeypatch.setattr(ecgbeat.plot, "plot_table_strip", fails_for_100)
    picture = tmp_path / "strip.png"
    records = [str(mitdb_dir / "100"), str(mitdb_dir / "101")]
    argv = ["-q", "predict", *records, "--model", str(tiny_model), "--summary"]
    code, _, err = _run(capsys, *argv, "--plot", str(picture))
    assert code == 1
    assert f"{records[0]}: strip {tmp_path / 'strip-100.png'} not drawn: no room to draw" in err
    assert "1 of 2 strip(s) not drawn" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["strip-101.png"]
    # Beats from a CSV have no strip: the user is told, not left with no picture and no word.
    beats = str(kaggle_dir / "mitbih_test_first10.csv")
    argv = ["-q", "predict", beats, "--model", str(tiny_model), "--summary"]
    code, _, err = _run(capsys, *argv, "--plot", str(picture))
    assert code == 0 and f"--plot: {beats} holds beats" in err and "no strip to draw" in err
    assert not picture.exists()


def _record_as(source, folder, name):
    """A copy of a WFDB record under another folder and name."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    header = source.with_suffix(".hea").read_text()
    old = source.name
    header = header.replace(f"{old}.dat", f"{name}.dat").replace(f"{old} ", f"{name} ", 1)
    (folder / f"{name}.hea").write_text(header)
    shutil.copy(source.with_suffix(".dat"), folder / f"{name}.dat")
    shutil.copy(source.with_suffix(".atr"), folder / f"{name}.atr")
    return folder / name


def test_predict_tells_apart_records_of_one_name(capsys, tiny_model, mitdb_dir, tmp_path):
    from ecgbeat.records import classify_record

    site1 = _record_as(mitdb_dir / "100", tmp_path / "site1", "100")
    site2 = _record_as(mitdb_dir / "101", tmp_path / "site2", "100")  # another patient
    picture = tmp_path / "strip.png"
    argv = ["-q", "predict", str(site1), str(site2), "--model", str(tiny_model)]
    code, out, _ = _run(capsys, *argv, "--annotations", "atr", "--csv", "--plot", str(picture))
    assert code == 0
    rows = _parse_csv(out)
    for site, source in ((site1, "100"), (site2, "101")):
        expected = classify_record(mitdb_dir / source, str(tiny_model), annotations="atr")
        got = [r for r in rows if r["record"] == str(site)]
        assert [int(r["sample"]) for r in got] == expected.sample.tolist()
        assert [r["label"] for r in got] == expected.label.tolist()
    pictures = sorted(p.name for p in tmp_path.glob("strip-*.png"))
    assert len(pictures) == 2 and all("site1" in n or "site2" in n for n in pictures)
    assert pictures[0] != pictures[1]


def test_a_missing_input_does_not_rename_the_others(capsys, tiny_model, mitdb_dir, tmp_path):
    # Names come from the command line: with site2/100 missing, site1/100's rows were named
    # 100 and its strip strip.png, as if it had been given alone.
    site1 = _record_as(mitdb_dir / "100", tmp_path / "site1", "100")
    picture = tmp_path / "strip.png"
    argv = ["-q", "predict", str(site1), str(tmp_path / "site2" / "100"), "--model"]
    code, out, err = _run(capsys, *argv, str(tiny_model), "--csv", "--plot", str(picture))
    assert code == 1 and "site2" in err
    assert {row["record"] for row in _parse_csv(out)} == {str(site1)}
    assert [p.name for p in tmp_path.glob("strip*.png")] == [
        f"strip-{str(site1).replace('/', '_')}.png"
    ]


def test_a_model_path_that_is_a_folder_is_named_as_such(capsys, mitdb_dir, tmp_path):
    (tmp_path / "model.keras").mkdir()
    argv = ["predict", str(mitdb_dir / "100"), "--model", str(tmp_path / "model.keras")]
    code, _, err = _run(capsys, *argv)
    assert code != 0 and "is not a regular file (a folder" in err
    code, _, err = _run(capsys, "predict", str(mitdb_dir / "100"), "--model", "./absent.keras")
    assert code != 0 and "model file ./absent.keras not found" in err


def test_predict_names_an_input_that_is_a_folder(capsys, tmp_path):
    # A folder named like a CSV or EDF file was "not found", though it is there.
    for name in ("beats.csv", "holter.edf"):
        (tmp_path / name).mkdir()
        code, _, err = _run(capsys, "predict", str(tmp_path / name), "--model", "no-such-model")
        assert code == 1
        assert f"{tmp_path / name} is a folder, not a file" in err and "not found" not in err


def test_predict_refuses_an_input_given_twice(capsys, mitdb_dir):
    record = str(mitdb_dir / "100")
    for argv in ((record, record), (record, record + ".hea")):
        code, _, err = _run(capsys, "predict", *argv, "--model", "no-such-model")
        assert code == 2 and "the same input, given twice" in err, err


def test_predict_on_dask(capsys, tiny_model, mitdb_dir, tmp_path):
    pytest.importorskip("ecgbeat.distributed")
    distributed = pytest.importorskip("distributed")
    # Two records of one name, with a failing one between them: each table keeps its input.
    site1 = _record_as(mitdb_dir / "100", tmp_path / "site1", "100")
    site2 = _record_as(mitdb_dir / "100", tmp_path / "site2", "100")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        argv = ["-q", "predict", str(site1), str(tmp_path / "999"), str(site2)]
        argv += [
            "--model",
            str(tiny_model),
            "--annotations",
            "atr",
            "--dask",
            cluster.scheduler_address,
        ]
        code, out, err = _run(capsys, *argv)
        # A rate that is not the records' own is refused there as here.
        code_fs, _, err_fs = _run(capsys, *argv, "--fs", "500")
    assert code_fs == 1 and "3 of 3 input(s) failed" in err_fs
    assert "header samples it at 360 Hz, not at the 500 Hz given" in err_fs
    assert code == 1
    assert f"{tmp_path / '999'}:" in err and "1 of 3 input(s) failed" in err
    rows = _parse_csv(out)
    assert len(rows) == 2 * 2272
    assert [rows[0]["record"], rows[-1]["record"]] == [str(site1), str(site2)]


# ------------------------------------------------------------------ data


def test_data_info_counts_per_split(capsys, mitdb_dir):
    code, out, _ = _run(capsys, "-q", "data", "--data-home", str(mitdb_dir.parent), "--info")
    assert code == 0
    assert f"data home   {mitdb_dir.parent}" in out
    table = {tuple(line.split()[:2]): line.split()[2:] for line in out.splitlines()[4:]}
    train, test = table[("random", "train")], table[("random", "test")]
    # All 109,446 beats of the Kaggle release, in its class counts, split 80/20.
    assert int(train[-1]) + int(test[-1]) == 109446
    assert int(test[-1]) / 109446 == pytest.approx(0.2, abs=1e-3)
    per_class = [int(train[i]) + int(test[i]) for i in range(1, 6)]
    assert per_class == [90589, 2779, 7236, 803, 8039]
    # de Chazal's inter-patient split: 22 records on each side.
    assert table[("inter-patient", "train")][0] == "22"
    assert table[("inter-patient", "test")][0] == "22"


def test_data_info_on_a_data_home_still_filling_up(capsys, mitdb_dir, tmp_path):
    import shutil

    (tmp_path / "mitdb").mkdir()
    for name in ("100", "101"):
        for ext in ("hea", "dat", "atr"):
            shutil.copy(mitdb_dir / f"{name}.{ext}", tmp_path / "mitdb" / f"{name}.{ext}")
    code, out, _ = _run(capsys, "-q", "data", "--data-home", str(tmp_path), "--info")
    assert code == 0
    assert "(2 headers)" in out and "not available, records are missing" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mitdb"]  # nothing written
    # Building the cache without downloading still fails, naming what is missing.
    code, _, err = _run(capsys, "-q", "data", "--data-home", str(tmp_path), "--no-download")
    assert code != 0 and "102.hea" in err


def test_data_info_on_the_mitdb_folder_itself_prints_only_the_error(capsys, mitdb_dir):
    # Before, --info printed "raw records <mitdb>/mitdb (0 headers)" and an empty cache on
    # stdout, as if they described the data, and then refused the data home.
    argv = ["-q", "data", "--data-home", str(mitdb_dir), "--info", "--records", "100"]
    code, out, err = _run(capsys, *argv)
    assert code == 1
    assert "holds the mitdb records itself" in err and repr(str(mitdb_dir.parent)) in err
    assert out == ""


def test_data_counts_a_paced_record_in_the_random_split(capsys, mitdb_dir):
    # Before, 'ecgbeat data --records 102' failed as a whole (exit 1, "none of the records is in
    # the inter-patient 'all' set"), without the random split's counts, which it has.
    argv = ["-q", "data", "--data-home", str(mitdb_dir.parent), "--info", "--records", "102"]
    code, out, err = _run(capsys, *argv)
    assert code == 0, err
    parts = [tuple(line.split()[:3]) for line in out.splitlines()[5:]]
    assert parts == [("random", "train", "1"), ("random", "test", "1")]
    assert "not in the inter-patient split" in err and "['102']" in err
    # Asked for by name, the inter-patient split still says that it has none of them.
    # Wrong usage of the command line alone (exit 2), before any record is read; it was 1.
    code, _, err = _run(capsys, *argv, "--split", "inter-patient")
    assert code == 2 and "--records: none of the records is in the inter-patient" in err
    # ... and why: it was only "the inter-patient 'all' set", a set the user never named.
    assert "102 is paced, in neither part" in err


def test_evaluate_names_where_records_outside_the_part_are(capsys, mitdb_dir, tmp_path):
    # Before: "none of the records is in the inter-patient 'test' set", naming neither the
    # records nor the part (DS1) that holds them.
    argv = ["-q", "evaluate", "mitbih", "--data", "mitbih", "--data-home", str(mitdb_dir.parent)]
    code, _, err = _run(capsys, *argv, "--split", "inter-patient", "--records", "101", "104")
    assert code == 2
    assert "'test' set (DS2): 101 is in DS1, 104 is paced, in neither part" in err
    # Told before the model loads (seconds), as the other wrong usage is: no model of this
    # name is looked for. It was an error (exit 1) after the model had loaded.
    argv[2] = "no-such-model"
    code, _, err = _run(capsys, *argv, "--split", "inter-patient", "--records", "101")
    assert code == 2 and "'test' set (DS2): 101 is in DS1" in err
    # train reads DS1: DS2's records are not in it.
    argv = ["-q", "train", "--data", "mitbih", "--data-home", str(mitdb_dir.parent), "-o"]
    argv += [str(tmp_path / "m.keras"), "--split", "inter-patient", "--records", "100"]
    code, _, err = _run(capsys, *argv)
    assert code == 2 and "'train' set (DS1): 100 is in DS2" in err
    assert not (tmp_path / "m.keras").exists()


def test_a_reader_that_goes_away_ends_the_command_quietly(capsys, tiny_model, sample_csv):
    import io

    class ClosedPipe(io.StringIO):
        def write(self, text=None):
            raise BrokenPipeError(32, "Broken pipe")

        flush = write

    saved = sys.stdout
    sys.stdout = ClosedPipe()  # `ecgbeat predict beats.csv | head -0`
    try:
        code = main(["-q", "predict", str(sample_csv), "--model", str(tiny_model)])
    finally:
        sys.stdout = saved
    assert code == 141
    assert capsys.readouterr().err == ""


def _main_with_closed(fd: int, argv: list[str]) -> subprocess.CompletedProcess:
    """``main(argv)`` in a process started with file descriptor ``fd`` closed (``>&-`` for 1,
    ``2>&-`` for 2); the other of stdout and stderr is captured."""
    import os

    code = f"import sys; from ecgbeat.cli import main; sys.exit(main({argv!r}))"
    captured = {"stderr" if fd == 1 else "stdout": subprocess.PIPE}
    return subprocess.run(
        [sys.executable, "-c", code], text=True, preexec_fn=lambda: os.close(fd), **captured
    )


def test_a_closed_stderr_keeps_messages_out_of_stdout(tmp_path):
    # With stderr closed (2>&-) Python sets sys.stderr to None, and print(..., file=None)
    # writes to stdout: warnings and progress messages went into the table or JSON.
    argv = ["data", "--info", "--records", "102", "--data-home", str(tmp_path)]
    result = _main_with_closed(2, argv)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == f"data home   {tmp_path}"
    assert "warning" not in result.stdout


def test_a_closed_stdout_is_an_error_not_a_silent_success(tmp_path):
    # With stdout closed (>&-) Python sets sys.stdout to None: print wrote nothing and the
    # command exited 0 with its report lost, and predict's table failed as an "unexpected
    # error: TypeError".
    argv = ["data", "--info", "--records", "102", "--data-home", str(tmp_path)]
    result = _main_with_closed(1, argv)
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("ecgbeat data: error: stdout is closed (>&-)")
    )
    # Usage errors and --help still reach the user, on stderr.
    result = _main_with_closed(1, [("--bogus" if a == "--info" else a) for a in argv])
    assert result.returncode == 2 and "unrecognized arguments: --bogus" in result.stderr


def test_a_broken_pipe_that_is_not_stdout_is_an_error(capsys, monkeypatch):
    from ecgbeat.cli import _parser

    def fails(args):
        raise BrokenPipeError(32, "Broken pipe (a worker's socket)")

    monkeypatch.setattr(_parser, "cmd_data", fails)  # the parser binds the command it names
    code, _, err = _run(capsys, "data", "--info")
    assert code == 1 and "error: [Errno 32] Broken pipe (a worker's socket)" in err


def test_warnings_are_one_line_naming_the_command(capsys, tiny_model, tmp_path):
    t = np.arange(20 * 360) / 360
    ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 20, 0.8))
    np.savetxt(tmp_path / "two.csv", np.column_stack([ecg, -ecg]), delimiter=",")
    argv = ["-q", "predict", str(tmp_path / "two.csv"), "--fs", "360", "--model", str(tiny_model)]
    code, _, err = _run(capsys, *argv, "--summary")
    assert code == 0
    warning = [line for line in err.splitlines() if "warning" in line]
    assert warning and warning[0].startswith("ecgbeat predict: warning: ")
    assert "no column is named as an ECG lead" in warning[0]
    assert ".py:" not in err


def test_train_defaults_are_the_estimators():
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.cli import build_parser

    # The parser repeats the estimator's defaults (it is built without importing scikit-learn):
    # this keeps the two from drifting apart.
    args = build_parser().parse_args(["train", "--data", "mitbih"])
    estimator = HeartbeatCNNClassifier().get_params()
    for name in ("epochs", "batch_size", "learning_rate", "max_class_ratio"):
        assert getattr(args, name) == estimator[name], name
    assert args.architecture is None  # not given: the estimator's default, or --pretrained's
    assert (args.lr_schedule, args.lr_cycle_epochs) == (
        estimator["lr_schedule"],
        estimator["lr_cycle_epochs"],
    )
    assert args.class_weight == "none" and estimator["class_weight"] is None


# ------------------------------------------------------------------ files the user did not ask to lose


def test_predict_refuses_an_output_named_for_a_compression_it_does_not_write(capsys, tmp_path):
    # "-o beats.csv.zip" got plain CSV under a zip name, after the work: pandas.read_csv and
    # unzip then found no archive in it. Refused before any work (a model that does not exist
    # is not even looked for).
    for name in ("beats.csv.zip", "beats.csv.ZST"):
        argv = ["predict", str(tmp_path / "100"), "--model", "no-such-model"]
        code, _, err = _run(capsys, *argv, "-o", str(tmp_path / name))
        assert code == 2 and re.search(
            rf"--output .*{name}: ecgbeat does not write \.{name[-3:].lower()} files; name it "
            r"\.csv, or \.csv\.gz, \.csv\.bz2, \.csv\.xz or \.csv\.lzma",
            err,
        ), err
        assert not (tmp_path / name).exists()


def test_predict_never_writes_over_an_input(capsys, tiny_model, mitdb_dir, tmp_path):
    import shutil

    for ext in ("hea", "dat", "atr"):
        shutil.copy(mitdb_dir / f"100.{ext}", tmp_path / f"100.{ext}")
    raw = (tmp_path / "100.dat").read_bytes()
    for target in ("100.dat", "100.hea", "100.atr"):
        argv = ["predict", str(tmp_path / "100"), "--model", str(tiny_model)]
        code, _, err = _run(capsys, *argv, "-o", str(tmp_path / target))
        assert code != 0 and "is one of the inputs" in err
    assert (tmp_path / "100.dat").read_bytes() == raw
    code, _, err = _run(capsys, "predict", str(tmp_path / "100"), "-o", str(tmp_path))
    assert code != 0 and "is a folder" in err
    # Nor over a signal file that the header names otherwise than the record.
    header = (tmp_path / "100.hea").read_text().replace("100.dat", "signal.dat")
    (tmp_path / "rec.hea").write_text(header.replace("100 ", "rec ", 1))
    shutil.copy(tmp_path / "100.dat", tmp_path / "signal.dat")
    argv = ["predict", str(tmp_path / "rec"), "--model", str(tiny_model)]
    code, _, err = _run(capsys, *argv, "-o", str(tmp_path / "signal.dat"))
    assert code != 0 and "is one of the inputs" in err
    assert (tmp_path / "signal.dat").read_bytes() == raw
    # Nor over the model it reads.
    model = tmp_path / "my.keras"
    shutil.copy(tiny_model, model)
    saved = model.read_bytes()
    argv = ["predict", str(tmp_path / "100"), "--model", str(model), "-o", str(model)]
    code, _, err = _run(capsys, *argv)
    assert code == 2 and "is the --model file" in err
    assert model.read_bytes() == saved


@pytest.mark.skipif(not SHIPPED, reason="the shipped model is not installed")
def test_an_output_named_as_a_shipped_model_is_no_model_file(capsys, tmp_path, monkeypatch):
    # "--model mitbih" reads the shipped model, not a file of that name: "-o mitbih" was
    # refused as "the --model file" all the same.
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "-q", "predict", "missing", "--model", "mitbih", "-o", "mitbih")
    assert code == 1, err
    assert "--model file" not in err and "missing.hea not found" in err
    # A model file of its own is still never written over.
    (tmp_path / "own.keras").write_text("a model")
    code, _, err = _run(capsys, "predict", "missing", "--model", "own.keras", "-o", "own.keras")
    assert code == 2 and "--output own.keras is the --model file" in err
    assert (tmp_path / "own.keras").read_text() == "a model"


def test_predict_checks_the_picture_before_any_work(capsys, mitdb_dir, tmp_path):
    pytest.importorskip("matplotlib")
    import shutil

    for ext in ("hea", "dat", "atr"):
        shutil.copy(mitdb_dir / f"100.{ext}", tmp_path / f"100.{ext}")
    # A model that does not exist: the picture's error comes first, so no work was done.
    base = ["predict", str(tmp_path / "100"), "--model", "no-such-model"]
    for plot, message in (
        ("strip.xyz", r"give a picture name ending in one of .*\.png"),
        ("strip", r"give a picture name ending in"),
    ):
        code, _, err = _run(capsys, *base, "--plot", str(tmp_path / plot))
        assert code != 0 and re.search(message, err), (plot, err)
    # ".raw" is a picture format to Matplotlib and a signal file's name to WFDB.
    header = (tmp_path / "100.hea").read_text().replace("100.dat", "signal.raw")
    (tmp_path / "rec.hea").write_text(header.replace("100 ", "rec ", 1))
    shutil.copy(tmp_path / "100.dat", tmp_path / "signal.raw")
    argv = ["predict", str(tmp_path / "rec"), "--model", "no-such-model"]
    code, _, err = _run(capsys, *argv, "--plot", str(tmp_path / "signal.raw"))
    assert code != 0 and "--plot" in err and "is one of the inputs" in err
    assert (tmp_path / "signal.raw").read_bytes() == (tmp_path / "100.dat").read_bytes()
    (tmp_path / "pictures.png").mkdir()
    code, _, err = _run(capsys, *base, "--plot", str(tmp_path / "pictures.png"))
    assert code != 0 and "is a folder" in err
    same = str(tmp_path / "out.png")
    code, _, err = _run(capsys, *base, "--plot", same, "-o", same)
    assert code != 0 and "--plot and --output are the same file" in err
    assert not (tmp_path / "out.png").exists() and not (tmp_path / "strip").exists()
    # A second run of a command writes again what the first wrote beside the record.
    for option, earlier in (("--plot", "100.png"), ("-o", "100.csv")):
        (tmp_path / earlier).write_text("the first run's")
        code, _, err = _run(capsys, *base, option, str(tmp_path / earlier))
        assert code != 0 and "no model named 'no-such-model'" in err, (option, err)
    code, _, err = _run(
        capsys, "demo", "--model", "no-such-model", "--out", str(tmp_path / "d.xyz")
    )
    assert code != 0 and "--out" in err and "give a picture name" in err


def test_predict_refuses_strip_options_without_a_strip(capsys, mitdb_dir):
    # Before, --plot-start and --plot-seconds without --plot were accepted and ignored: the
    # user asked where the strip goes and got no strip, and no word of it.
    base = ["predict", str(mitdb_dir / "100"), "--model", "no-such-model"]
    for option in ("--plot-start", "--plot-seconds"):
        code, _, err = _run(capsys, *base, option, "5")
        assert code == 2 and f"{option} applies to the strip that --plot draws" in err, err


def test_predict_help_names_every_kind_of_input(capsys):
    # Before, 'ecgbeat --help' and 'predict --help' said WFDB records or CSV files of beats:
    # EDF files and signal files (with --fs), which predict reads, were left out.
    assert main(["--help"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("predict"))
    assert "EDF or signal files" in line, line
    assert main(["predict", "--help"]) == 0
    description = " ".join(capsys.readouterr().out.split("positional arguments")[0].split())
    assert "of EDF/EDF+ files, of signal files (.csv, .npy, with --fs)" in description


def test_predict_refuses_a_npy_signal_without_its_rate(capsys, tmp_path):
    # Before, the rate missing was a failure of the input (exit 1), told after the model had
    # loaded for nothing; a missing option is wrong usage.
    np.save(tmp_path / "sig.npy", np.zeros(3600))
    code, _, err = _run(capsys, "predict", str(tmp_path / "sig.npy"), "--model", "no-such-model")
    assert code == 2 and "sig.npy is a .npy signal, which states no sampling rate" in err, err


def test_predict_help_says_where_the_strip_starts(capsys):
    # Before, --plot-start's default was 'just before the first non-N beat': the strip starts
    # before the first readable beat of another class than the normal one (--normal-class).
    assert main(["predict", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "just before the first readable beat that is not of the normal class" in text


def test_predict_without_dask_installed_says_so_before_loading_the_model(
    capsys, monkeypatch, mitdb_dir
):
    # Before, the missing dask.distributed was told only once the model had loaded and the
    # records were sent to the cluster; here that model does not exist, and was reported.
    monkeypatch.setitem(sys.modules, "distributed", None)  # 'import distributed' fails
    record = str(mitdb_dir / "100")
    argv = ["-q", "predict", record, "--model", "no-such-model", "--dask", "tcp://127.0.0.1:1"]
    code, _, err = _run(capsys, *argv)
    assert code == 1, err
    assert "--dask: running ecgbeat on a Dask cluster needs dask.distributed" in err, err
    assert "no-such-model" not in err


def test_predict_refuses_dask_without_a_record(capsys, kaggle_dir):
    # Before, --dask with only CSV beats (or signal files) was accepted and ignored: they were
    # classified here, not on the cluster named.
    beats = str(kaggle_dir / "mitbih_test_first10.csv")
    argv = ["predict", beats, "--model", "no-such-model", "--dask", "tcp://127.0.0.1:1"]
    code, _, err = _run(capsys, *argv)
    assert code == 2 and "--dask classifies WFDB records" in err, err


def test_predict_checks_each_strip_before_any_work(capsys, mitdb_dir, tmp_path):
    pytest.importorskip("matplotlib")
    import shutil

    for record in ("100", "101"):
        for ext in ("hea", "dat", "atr"):
            shutil.copy(mitdb_dir / f"{record}.{ext}", tmp_path / f"{record}.{ext}")
    # A model that does not exist: the strips' errors come first, so no work was done.
    base = ["predict", str(tmp_path / "100"), str(tmp_path / "101"), "--model", "no-such-model"]
    table = tmp_path / "p-100.png"
    table.write_text("the first run's")
    code, _, err = _run(capsys, *base, "-o", str(table), "--plot", str(tmp_path / "p.png"))
    assert code != 0 and "--plot (the strip of" in err, err
    assert "and --output are the same file" in err and str(table) in err
    assert table.read_text() == "the first run's"
    (tmp_path / "s-101.png").mkdir()
    code, _, err = _run(capsys, *base, "--plot", str(tmp_path / "s.png"))
    assert code != 0 and f"{tmp_path / 's-101.png'} is a folder" in err, err
    # Two inputs whose names, made file names, are one.
    for folder in ("a/b", "a_b"):
        (tmp_path / folder).mkdir(parents=True)
        np.save(tmp_path / folder / "sig.npy", np.zeros(3600))
    signals = [str(tmp_path / "a/b/sig.npy"), str(tmp_path / "a_b/sig.npy")]
    argv = ["predict", *signals, "--fs", "360", "--model", "no-such-model"]
    code, _, err = _run(capsys, *argv, "--plot", str(tmp_path / "s.png"))
    assert code != 0 and "are the same file" in err and "s-" in err, err
    assert "no model named" not in err


def test_a_run_where_every_input_fails_leaves_the_output_alone(capsys, tiny_model, tmp_path):
    out = tmp_path / "beats.csv"
    out.write_text("earlier results\n")
    argv = ["-q", "predict", str(tmp_path / "missing"), "--model", str(tiny_model), "-o", str(out)]
    code, _, err = _run(capsys, *argv)
    assert code == 1 and "1 of 1 input(s) failed" in err
    assert out.read_text() == "earlier results\n"
    assert [p.name for p in tmp_path.iterdir()] == ["beats.csv"]  # no temporary file left
    # Nor does a run whose input held no beat (20 s of a flat line).
    np.savetxt(tmp_path / "flat.csv", np.zeros(20 * 360))
    argv = ["predict", str(tmp_path / "flat.csv"), "--fs", "360", "--model", str(tiny_model)]
    code, _, err = _run(capsys, *argv, "-o", str(out))
    assert code == 0 and "no beats classified" in err
    assert out.read_text() == "earlier results\n"


def test_train_replaces_a_model_only_with_force(capsys, sample_csv, tiny_model, tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(tiny_model.read_bytes())
    argv = ["-q", "train", "--data", str(sample_csv), "--epochs", "1", "--output", str(path)]
    code, _, err = _run(capsys, *argv)
    assert code != 0 and "exists: pass --force" in err
    assert path.read_bytes() == tiny_model.read_bytes()
    code, _, _ = _run(capsys, *argv, "--force")
    assert code == 0 and path.read_bytes() != tiny_model.read_bytes()


def test_train_never_writes_over_the_model_it_starts_from(capsys, sample_csv, tiny_model, tmp_path):
    # With --force the start was replaced by its fine-tune, whose card then named itself as its
    # start: the start, and what it had trained on, were gone.
    path = tmp_path / "model.keras"
    path.write_bytes(tiny_model.read_bytes())
    argv = ["-q", "train", "--data", str(sample_csv), "--epochs", "1", "--max-beats", "50"]
    argv += ["--force", "--pretrained", str(path), "-o", str(tmp_path / "." / "model.keras")]
    code, _, err = _run(capsys, *argv)
    assert code == 2 and "is the --pretrained model" in err
    assert path.read_bytes() == tiny_model.read_bytes()
    # Two names of one file (a hard link) are one model too.
    (tmp_path / "link.keras").hardlink_to(path)
    code, _, err = _run(capsys, *argv[:-1], str(tmp_path / "link.keras"))
    assert code == 2 and "is the --pretrained model" in err
    assert path.read_bytes() == tiny_model.read_bytes()


def test_train_never_writes_over_its_data(capsys, sample_csv, tmp_path):
    # An output that names an input is wrong usage (docs/cli.md's exit codes): a CSV of beats
    # read under a .keras name, or through a symbolic link of that name (a replaced link is
    # written through), was replaced by the model with --force.
    data = tmp_path / "beats.keras"
    shutil.copyfile(sample_csv, data)
    (tmp_path / "link.keras").symlink_to(data)
    before = data.read_bytes()
    for output in (data, tmp_path / "link.keras"):
        argv = ["-q", "train", "--data", str(data), "--epochs", "1", "--force", "-o", str(output)]
        code, _, err = _run(capsys, *argv)
        assert code == 2 and "is the --data file" in err, err
        assert data.read_bytes() == before


def test_an_output_that_cannot_be_written_is_refused_before_any_work(capsys, mitdb_dir, tmp_path):
    (tmp_path / "file").write_text("a file")
    # No such data: an error about the output comes before the data are read.
    train = ["train", "--data", str(tmp_path / "missing.csv"), "--epochs", "1", "--force", "-o"]
    cases = [
        (tmp_path / "file" / "m.keras", f"{tmp_path / 'file'} is a file, not a folder"),
    ]
    if Path("/proc").is_dir():  # a folder that takes no file, even for root
        cases.append((Path("/proc/m.keras"), "cannot write in /proc"))
    for output, message in cases:
        code, _, err = _run(capsys, *train, str(output))
        assert code == 1 and f"--output {output}" in err and message in err, err
        assert ".m.keras." not in err  # never the hidden temporary file
    # predict: before the model loads.
    record = ["predict", str(mitdb_dir / "100"), "--model", "no-such-model"]
    for output, message in cases:
        out = output.with_suffix(".csv")
        code, _, err = _run(capsys, *record, "-o", str(out))
        assert code == 1 and f"--output {out}" in err and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_folder_named_as_a_one_file_output_is_wrong_usage(capsys, mitdb_dir, tmp_path):
    # An existing folder was a failure (exit 1), as was a folder named with its slash that
    # does not exist (-o results/: Path() dropped the slash, and the table was written as a
    # file named results): each output of one file is wrong usage, told before any work.
    for name in ("folder.keras", "folder.csv", "folder.png"):
        (tmp_path / name).mkdir()
    record = ["predict", str(mitdb_dir / "100"), "--model", "no-such-model"]
    train = ["train", "--data", str(tmp_path / "missing.csv"), "--epochs", "1", "--force"]
    demo = ["demo", "--model", "no-such-model"]
    cases = [
        ([*train, "-o", str(tmp_path / "folder.keras")], "--output"),
        ([*record, "-o", str(tmp_path / "folder.csv")], "--output"),
        ([*record, "-o", f"{tmp_path / 'folder.csv'}/"], "--output"),
    ]
    if importlib.util.find_spec("matplotlib") is not None:
        cases += [
            ([*record, "--plot", str(tmp_path / "folder.png")], "--plot"),
            ([*demo, "--out", str(tmp_path / "folder.png")], "--out"),
        ]
    for argv, option in cases:
        code, _, err = _run(capsys, *argv)
        assert code == 2 and f"error: {option} {tmp_path / 'folder.'}" in err, err
        assert "is a folder: give a file name" in err, err
    code, _, err = _run(capsys, *record, "-o", f"{tmp_path / 'results'}/")
    assert code == 2 and "names a folder (it ends in /), which does not exist" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "folder.csv",
        "folder.keras",
        "folder.png",
    ]


def test_a_write_protected_output_is_refused_before_any_work(
    capsys, mitdb_dir, tmp_path, monkeypatch
):
    # Refused when written, it was found only after the training or the classification. Root
    # may write anything: access is answered by the file's mode, as for its owner.
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: bool(os.stat(p).st_mode & 0o200))
    model, table = tmp_path / "kept.keras", tmp_path / "kept.csv"
    for path in (model, table):
        path.write_text("the user's")
        path.chmod(0o444)
    train = ["train", "--data", str(tmp_path / "missing.csv"), "--epochs", "1", "--force"]
    predict = ["predict", str(mitdb_dir / "100"), "--model", "no-such-model"]
    for argv, output in ((train, model), (predict, table)):
        code, _, err = _run(capsys, *argv, "-o", str(output))
        assert code == 1 and f"--output {output} is write-protected" in err, err
        assert output.read_text() == "the user's"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_or_device_output_is_written_into_not_replaced(
    capsys, tiny_model, sample_csv, tmp_path
):
    # -o /dev/null, -o /dev/stdout: the rename put a regular file in the place of /dev/null
    # itself (as root), and anyone else was refused (no temporary file may go in /dev). A named
    # pipe stands in for them here: it must stay a pipe, and its reader get the table.
    pipe = tmp_path / "table.csv"
    os.mkfifo(pipe)
    # Read and write ends open at once, without waiting: the table fits the pipe's buffer.
    reader = os.open(pipe, os.O_RDWR | os.O_NONBLOCK)
    try:
        argv = ["-q", "predict", str(sample_csv), "--model", str(tiny_model), "-o", str(pipe)]
        code, _, err = _run(capsys, *argv)
        assert code == 0, err
        assert stat.S_ISFIFO(os.stat(pipe).st_mode)
        text = os.read(reader, 1 << 20).decode()
    finally:
        os.close(reader)
    rows = _parse_csv(text)
    assert len(rows) == 250 and rows[0]["record"] == "beats"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]  # no temporary file
    from ecgbeat.cli._common import check_writable

    check_writable(os.devnull, "--output")  # not refused for the folder it lies in


def test_train_keeps_a_model_file_that_appears_while_it_trains(
    capsys, sample_csv, tmp_path, monkeypatch
):
    from ecgbeat import HeartbeatCNNClassifier

    path = tmp_path / "model.keras"
    fit = HeartbeatCNNClassifier.fit

    def fit_while_another_writes(self, X, y, **kwargs):
        fitted = fit(self, X, y, **kwargs)
        path.write_text("another run's model")  # as a second 'ecgbeat train' finishing first
        return fitted

    monkeypatch.setattr(HeartbeatCNNClassifier, "fit", fit_while_another_writes)
    argv = ["-q", "train", "--data", str(sample_csv), "--epochs", "1", "--max-beats", "50"]
    code, _, err = _run(capsys, *argv, "-o", str(path))
    assert code == 1 and f"{path} appeared during the training and is left as it was" in err
    assert path.read_text() == "another run's model"
    assert f"the new model is saved as {tmp_path / 'model.new.keras'}" in err
    assert HeartbeatCNNClassifier.load(tmp_path / "model.new.keras").n_epochs_ == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras", "model.new.keras"]


def test_ctrl_c_during_the_training_saves_no_model(
    capsys, sample_csv, tiny_model, tmp_path, monkeypatch
):
    # fit carries on after Ctrl-C with the weights so far: 'ecgbeat train --force' then replaced
    # the user's model with a model of one epoch, said "saved" and exited 0.
    import signal

    from ecgbeat._backend import import_keras
    from ecgbeat.cli import _commands

    class CtrlC(import_keras().callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            signal.raise_signal(signal.SIGINT)  # as the terminal sends it, in the training loop

    monkeypatch.setattr(_commands, "epoch_bar", lambda **_: CtrlC())
    # As in a terminal: a pytest started in the background (`&`) inherits SIGINT ignored, and
    # the command then rightly leaves Ctrl-C alone, which this test is not about.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    path = tmp_path / "model.keras"
    path.write_bytes(tiny_model.read_bytes())
    argv = ["train", "--data", str(sample_csv), "--epochs", "3", "--max-beats", "50", "--force"]
    try:
        code, out, err = _run(capsys, *argv, "-o", str(path))
        handler_after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == 130 and out == ""
    assert f"interrupted after 1 epoch(s); no model saved, {path} is left as it was" in err
    assert path.read_bytes() == tiny_model.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]  # nor a temporary file
    assert handler_after is signal.default_int_handler  # put back


def test_names_from_a_model_cannot_become_spreadsheet_formulas(tmp_path):
    from ecgbeat.records import BeatTable

    label = np.array(['=HYPERLINK("http://x")', "-1", "N"])
    table = BeatTable("@rec", np.array([10, 20, 30]), 360.0, label, np.eye(3), ["=a", "-1", "N"])
    table.to_csv(tmp_path / "t.csv")
    rows = _parse_csv((tmp_path / "t.csv").read_text())
    assert [r["label"] for r in rows] == ['\'=HYPERLINK("http://x")', "-1", "N"]
    assert {r["record"] for r in rows} == {"'@rec"}


def test_class_names_given_twice_are_refused_before_a_table_is_written(tmp_path):
    from types import SimpleNamespace

    from ecgbeat.records import BeatTable, resolve_class_names, write_csv

    table = BeatTable("r", np.array([10, 20]), 360.0, np.array(["N", "N"]), np.eye(2), ["N", "N"])
    with pytest.raises(ValueError, match=r"table r's class names \['N', 'N'\] repeat N"):
        write_csv([table], tmp_path / "t.csv")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="repeat N"):
        table.to_csv(io.StringIO())
    clf = SimpleNamespace(classes_=[0, 1, 2], model_card_={"target_names": ["N", "N", "V"]})
    with pytest.raises(ValueError, match=r"the model card's class names .* repeat N"):
        resolve_class_names(clf)
    with pytest.raises(ValueError, match=r"class_names .* repeat V"):
        resolve_class_names(clf, ["V", "S", "V"])
    with pytest.raises(ValueError, match=r"the classifier's classes .* repeat 1"):
        resolve_class_names(SimpleNamespace(classes_=np.array([1, "1"], dtype=object)))


def test_predict_refuses_a_model_whose_class_names_repeat(capsys, tiny_model, mitdb_dir, tmp_path):
    from ecgbeat import HeartbeatCNNClassifier

    clf = HeartbeatCNNClassifier.load(tiny_model)
    clf.model_card_ = {**clf.model_card_, "target_names": ["N", "N", "V", "F", "Q"]}
    clf.save(tmp_path / "dup.keras")
    out = tmp_path / "beats.csv"
    argv = ["predict", str(mitdb_dir / "100"), "--model", str(tmp_path / "dup.keras")]
    code, _, err = _run(capsys, *argv, "-o", str(out))
    assert code == 1 and not out.exists()
    assert "error: the model card's class names ['N', 'N', 'V', 'F', 'Q'] repeat N" in err


# ------------------------------------------------------------------ the normal class


@pytest.fixture(scope="module")
def integer_label_model(tiny_model, tmp_path_factory):
    """The tiny model without its card: labels 0 to 4, and no class is named N.

    Taken from the session's model: a fit of its own cost seconds for no more."""
    from ecgbeat import HeartbeatCNNClassifier

    clf = HeartbeatCNNClassifier.load(tiny_model)
    del clf.model_card_
    path = tmp_path_factory.mktemp("int") / "int.keras"
    clf.save(path)
    return path


def test_the_burden_needs_a_normal_class(capsys, integer_label_model, mitdb_dir):
    argv = ["-q", "predict", str(mitdb_dir / "100"), "--model", str(integer_label_model)]
    code, _, err = _run(capsys, *argv, "--summary")
    # Wrong usage with this model (exit 2), as an option missing or malformed is: it was 1.
    assert code == 2 and "give --normal-class" in err and "['0', '1', '2', '3', '4']" in err
    code, _, err = _run(capsys, *argv, "--summary", "--normal-class", "N")
    assert code == 2 and "'N' is not one of the classifier's classes" in err
    code, out, _ = _run(capsys, *argv, "--summary", "--normal-class", "0")
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("100:"))
    import re

    # "100: <n> beats, <s> s; 0 <count>  1 <count>  ...; [<u> in unreadable stretches; ]
    # ectopic burden <x> %[ of the <r> readable]"
    counts = dict(pair.split() for pair in line.split("; ")[1].split("  "))
    assert sorted(counts) == ["0", "1", "2", "3", "4"]
    n_beats = sum(map(int, counts.values()))
    ectopic = n_beats - int(counts["0"])
    unreadable = re.search(r"; (\d+) in unreadable stretches;", line)
    unreadable = int(unreadable.group(1)) if unreadable else 0
    burden = float(re.search(r"ectopic burden ([\d.]+) %", line).group(1))
    # Of the readable beats only, whose classes the line does not give: between the shares
    # with every unreadable beat ectopic and with none.
    readable = n_beats - unreadable
    low, high = 100 * (ectopic - unreadable) / readable, 100 * ectopic / readable
    assert low - 0.05 <= burden <= high + 0.05


def test_a_normal_class_that_would_change_nothing_is_refused(capsys, mitdb_dir, tmp_path):
    # Before, --normal-class without --summary or --plot was checked against the model and then
    # changed nothing: the table has no column that depends on it. So with --plot-start, which
    # gives where the strip starts in its place.
    base = ["predict", str(mitdb_dir / "100"), "--model", "no-such-model", "--normal-class", "N"]
    code, _, err = _run(capsys, *base)
    assert code == 2 and "--normal-class N names the normal class" in err, err
    assert "give --summary or --plot too" in err
    code, _, err = _run(capsys, *base, "-o", str(tmp_path / "t.csv"))
    assert code == 2 and "give --summary or --plot too" in err, err
    strip = ["--plot", str(tmp_path / "s.png"), "--plot-start", "5"]
    code, _, err = _run(capsys, *base, *strip)
    assert code == 2 and "which --plot-start gives" in err, err
    # Where it counts, the command goes on to the model (here, none of that name).
    for extra in (["--summary"], ["--plot", str(tmp_path / "s.png")], ["--summary", *strip]):
        code, _, err = _run(capsys, *base, *extra)
        assert code == 1 and "no model named 'no-such-model'" in err, (extra, err)
    assert list(tmp_path.iterdir()) == []


def test_summaries_count_the_named_normal_class():
    from ecgbeat.distributed import RecordsResult
    from ecgbeat.records import BeatTable

    labels = np.array(["ok", "ok", "odd", "ok"])
    table = BeatTable(
        "r", np.arange(4), 100.0, labels, np.zeros((4, 2)), ["odd", "ok"], normal_class="ok"
    )
    assert table.summary()["ectopic_burden"] == 0.25
    unnamed = BeatTable(
        "s", np.arange(4), 100.0, labels, np.zeros((4, 2)), ["odd", "ok"], normal_class=None
    )
    assert unnamed.summary()["ectopic_burden"] is None
    assert RecordsResult([table], {}).summary()["ectopic_burden"] == 0.25
    assert RecordsResult([table, unnamed], {}).summary()["ectopic_burden"] is None


def test_predict_runs_the_network_in_the_precision_asked(capsys, monkeypatch, mitdb_dir):
    from ecgbeat.classifier import HeartbeatCNNClassifier

    seen = []
    original = HeartbeatCNNClassifier.predict_proba

    def spy(self, X):
        seen.append(self.inference_precision)
        return original(self, X)

    monkeypatch.setattr(HeartbeatCNNClassifier, "predict_proba", spy)
    record = str(mitdb_dir / "100")
    code, out, _ = _run(capsys, "-q", "predict", record, "--inference-precision", "bfloat16")
    assert code == 0 and seen == ["bfloat16"]
    bfloat16 = out.splitlines()
    code, out, _ = _run(capsys, "-q", "predict", record)
    assert code == 0 and seen[-1] == "float32"
    # The same beats at the same samples; the classes may differ on a few beats (bfloat16 keeps 8
    # bits of mantissa: 3 in 10,000 on the random split's test part), far fewer than 1 %.
    rows = [line.split(",") for line in out.splitlines()], [line.split(",") for line in bfloat16]
    assert len(rows[0]) == len(rows[1]) > 2000
    assert [r[:3] for r in rows[0]] == [r[:3] for r in rows[1]]
    assert sum(a[3] != b[3] for a, b in zip(*rows, strict=True)) < 0.01 * len(rows[0])


@pytest.mark.parametrize(
    "option", [["--lead", "MLII"], ["--annotations", "atr"], ["--detector", "threshold"]]
)
def test_predict_refuses_record_options_when_every_input_is_beats(capsys, sample_csv, option):
    # Before, CSV beats took these options without a word: they were ignored, and the user
    # believed the beats cut at that lead, those annotations or that detector's peaks.
    code, out, err = _run(capsys, "predict", str(sample_csv), "--model", "no-such-model", *option)
    assert code == 2 and out == "", err
    if option[0] == "--annotations":
        # Only WFDB records have annotation files: not signal files, which --fs would make of
        # the CSV (and which the next refusal then turned down).
        assert "--annotations atr names the annotation files of WFDB records" in err, err
        assert "signal" not in err, err
    else:
        assert f"{option[0]} applies to records and signal files" in err, err


def test_predict_takes_record_options_beside_beats(capsys, sample_csv, mitdb_dir):
    # With a record among the inputs the options are its own: the model is the first failure.
    for option in (["--lead", "MLII"], ["--annotations", "atr"], ["--detector", "threshold"]):
        argv = ["predict", str(sample_csv), str(mitdb_dir / "100"), "--model", "no-such-model"]
        code, _, err = _run(capsys, *argv, *option)
        assert code == 1 and "no-such-model" in err, err


def test_evaluate_where_the_detector_found_no_beat_says_so(
    capsys, tiny_model, mitdb_dir, tmp_path, monkeypatch
):
    # Record 100 with a detector that finds nothing (a lead off): all 2272 beats were missed,
    # and the error blamed the data: "no beats in mitbih".
    import shutil

    from ecgbeat.datasets import _mitbih

    folder = tmp_path / "mitdb"  # a data home of its own: its cache holds these beats alone
    folder.mkdir()
    for ext in ("hea", "dat", "atr"):
        shutil.copyfile(mitdb_dir / f"100.{ext}", folder / f"100.{ext}")
    monkeypatch.setattr(_mitbih, "detect_r_peaks", lambda *args, **kwargs: np.zeros(0, int))
    argv = ["-q", "evaluate", str(tiny_model), "--data", "mitbih", "--records", "100"]
    argv += ["--data-home", str(tmp_path), "--split", "inter-patient", "--no-download"]
    code, out, err = _run(capsys, *argv, "--detector", "pan-tompkins")
    assert code == 1 and not out
    assert "the pan-tompkins detector found none of the 2272 beats" in err
    assert "no beats in mitbih" not in err
    # Drawn from them, the same: the beats drawn are all missed ones.
    code, _, err = _run(capsys, *argv, "--detector", "pan-tompkins", "--max-beats", "5")
    assert code == 1 and "found none of the 5 beats drawn" in err
