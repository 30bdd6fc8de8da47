"""The tools that build what ships (``tools/``), run on tiny fakes: no data, no training."""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from sklearn.utils import Bunch


def _tool():
    return importlib.import_module("tools.train_pretrained")


class FakeClassifier:
    """Stands in for HeartbeatCNNClassifier: records its parameters and fit, trains nothing."""

    instances: ClassVar[list] = []

    def __init__(self, **params):
        self.params = {"precision": "auto", **params}
        FakeClassifier.instances.append(self)

    def get_params(self, deep=True):
        return dict(self.params)

    def _validate_params(self):
        pass

    def fit(self, X, y, groups=None):
        self.fit_groups = groups
        self.classes_ = np.unique(y)
        self.best_epoch_, self.n_epochs_ = 1, 2
        # What precision="auto" gives on a CPU with bfloat16 instructions.
        self.precision_ = (
            "mixed_bfloat16" if self.params["precision"] == "auto" else (self.params["precision"])
        )
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def save(self, path):
        path.write_bytes(b"weights")


def _fake_beats(*args, split=None, subset="all", detector=None, **kwargs):
    records = np.array(["101", "201", "202", "100", "103"])
    groups = np.repeat(records, 4)
    data = Bunch(
        data=np.zeros((groups.size, 3), dtype=np.float32),
        target=np.tile([0, 1, 2, 3], records.size),
        target_names=["N", "S", "V", "F", "Q"],
        groups=groups,
        record=groups,
        patient=np.where(groups == "202", "201", groups),
    )
    if split is not None:
        data.is_test = np.isin(groups, ["100", "103"])
    if detector is not None:
        data.unmatched = Bunch(data=np.zeros((1, 3), dtype=np.float32))
        data.missed = Bunch(target=np.array([2]))
    return data


@pytest.fixture
def tool(monkeypatch):
    module = _tool()
    FakeClassifier.instances.clear()
    monkeypatch.setattr(module, "fetch_mitbih", _fake_beats)
    monkeypatch.setattr(module, "HeartbeatCNNClassifier", FakeClassifier)
    return module


@pytest.mark.parametrize(
    "option",
    [
        ["--epochs", "5"],
        ["--batch-size", "32"],
        ["--learning-rate", "0.01"],
        ["--monitor", "val_accuracy"],
        ["--early-stopping-patience", "2"],
        ["--lr-decay-patience", "1"],
        ["--max-class-ratio", "2"],
    ],
)
def test_options_of_the_earlier_recipe_are_refused_with_the_new_patients_recipe(
    tool, tmp_path, capsys, option
):
    # The new-patients recipe trains with the estimator's current defaults: --epochs 5 was
    # dropped without a word (48 epochs trained) while the card's command said --epochs 5.
    argv = ["--name", "x", "--split", "inter-patient", "--recipe", "new-patients", *option]
    with pytest.raises(SystemExit) as caught:
        tool.main([*argv, "--out", str(tmp_path)])
    assert caught.value.code == 2 and option[0] in capsys.readouterr().err
    assert not FakeClassifier.instances and not list(tmp_path.iterdir())


def test_the_earlier_recipe_trains_with_the_options_given_and_its_defaults(tool, tmp_path):
    card = tool.main(["--name", "x", "--split", "random", "--epochs", "5", "--out", str(tmp_path)])
    training = card["training"]
    assert training["epochs"] == 5 and training["batch_size"] == 128
    assert training["learning_rate"] == 1e-3 and training["monitor"] == "val_loss"
    assert training["early_stopping_patience"] == 8 and training["lr_decay_patience"] == 3
    assert training["max_class_ratio"] is None
    assert json.loads((tmp_path / "x.json").read_text())["training"]["epochs"] == 5


@pytest.mark.parametrize(
    "argv",
    [
        # The twin has the R-R features only; this recipe adds the template features.
        ["--recipe", "new-patients-template", "--class-weight", "sqrt-balanced"],
        # The twin was trained with the sqrt-balanced class weights.
        ["--recipe", "new-patients"],
        ["--recipe", "new-patients", "--class-weight", "sqrt-balanced", "--architecture", "resnet"],
    ],
)
def test_a_twin_of_another_recipe_is_refused(tool, tmp_path, capsys, argv):
    # The card quotes the twin's DS2 metrics as those of "its DS1 twin (same recipe)": a twin
    # trained otherwise was quoted all the same.
    twin = ["--twin", "mitbih-ds1-rhythm", "--out", str(tmp_path)]
    with pytest.raises(SystemExit) as caught:
        tool.main(["--name", "x", "--split", "all", *argv, *twin])
    assert caught.value.code == 2 and "--twin 'mitbih-ds1-rhythm'" in capsys.readouterr().err
    assert not FakeClassifier.instances and not list(tmp_path.iterdir())


def test_a_twin_of_the_same_recipe_is_quoted(tool, tmp_path):
    from ecgbeat.pretrained import model_card

    argv = ["--name", "x", "--split", "all", "--recipe", "new-patients-template"]
    argv += ["--class-weight", "sqrt-balanced", "--twin", "mitbih-ds1-rhythm-template"]
    card = tool.main([*argv, "--out", str(tmp_path)])
    assert card["test_metrics"] == model_card("mitbih-ds1-rhythm-template")["test_metrics"]


def test_a_twin_s_figures_at_detected_peaks_keep_how_they_were_measured(
    tool, tmp_path, monkeypatch
):
    # tools.measure_detected records in a DS1 card, and in the cards that quote it, the command
    # that measured its figures at detected peaks again; a model trained on all records took the
    # twin's figures without it, and its card no longer said they were measured so.
    from ecgbeat.pretrained import model_card

    twin = dict(model_card("mitbih-ds1-rhythm-template"))
    measured = {"command": "python -m tools.measure_detected --name x", "missed_beats": 126}
    twin["test_metrics_detected_measured"] = measured
    monkeypatch.setattr(tool, "model_card", lambda name: twin)
    argv = ["--name", "x", "--split", "all", "--recipe", "new-patients-template"]
    argv += ["--class-weight", "sqrt-balanced", "--twin", "mitbih-ds1-rhythm-template"]
    card = tool.main([*argv, "--out", str(tmp_path)])
    assert card["test_metrics_detected"] == twin["test_metrics_detected"]
    assert card["test_metrics_detected_measured"] == measured
    keys = list(card)
    assert keys.index("test_metrics_detected_measured") == keys.index("test_metrics_detected") + 1


def test_a_twin_is_refused_where_the_card_quotes_none(tool, tmp_path, capsys):
    # Only a model trained on all records quotes a twin: elsewhere --twin was dropped unseen.
    argv = ["--name", "x", "--split", "inter-patient", "--recipe", "new-patients"]
    with pytest.raises(SystemExit) as caught:
        tool.main([*argv, "--twin", "mitbih-ds1-rhythm", "--out", str(tmp_path)])
    assert caught.value.code == 2 and "--twin" in capsys.readouterr().err
    assert not FakeClassifier.instances


def test_the_card_records_the_arithmetic_the_model_was_trained_in(tool, tmp_path):
    # precision="auto" trains in bfloat16 on a CPU with bfloat16 instructions, in float32
    # elsewhere: the card said "auto", not which.
    argv = ["--name", "x", "--split", "inter-patient", "--recipe", "new-patients"]
    card = tool.main([*argv, "--out", str(tmp_path)])
    assert card["training"]["precision"] == "mixed_bfloat16"
    assert json.loads((tmp_path / "x.json").read_text())["training"]["precision"] == (
        "mixed_bfloat16"
    )


def test_the_card_at_detected_peaks_counts_the_beats_the_detector_missed(tool, tmp_path):
    # The card's figures at detected peaks were over the beats the detector found: the one V
    # beat it missed (the fake data's) was in none of them.
    argv = ["--name", "x", "--split", "inter-patient", "--recipe", "new-patients"]
    detected = tool.main([*argv, "--out", str(tmp_path)])["test_metrics_detected"]
    # The fake detector's beats: five records of one beat of N, S, V and F each, one detection
    # of no beat, and the missed V beat; the fake model calls every row N.
    assert detected["per_class"]["V"]["support"] == 6
    assert [row[-1] for row in detected["confusion_matrix"]] == [0, 0, 1, 0, 0, 0]
    assert detected["accuracy"] == round(5 / 22, 4)


def test_the_earlier_recipe_trains_in_float32_as_the_shipped_models_were(tool, tmp_path):
    # The beat-only models were trained before precision existed, in float32; the earlier
    # recipe, "the shipped models' recipe", trained in bfloat16 on a CPU with bfloat16
    # instructions (precision="auto").
    card = tool.main(["--name", "x", "--split", "random", "--out", str(tmp_path)])
    assert FakeClassifier.instances[-1].params["precision"] == "float32"
    assert card["training"]["precision"] == "float32"


def test_the_card_says_how_the_validation_part_was_held_out(tool, tmp_path):
    # The new-patients recipe holds whole patients out of the epoch's choice (records 201 and
    # 202 together); the models of 2026-11-29/30 held whole records out. The card said neither.
    argv = ["--name", "x", "--split", "all", "--recipe", "new-patients-template"]
    argv += ["--class-weight", "sqrt-balanced", "--twin", "mitbih-ds1-rhythm-template"]
    card = tool.main([*argv, "--out", str(tmp_path)])
    assert card["training"]["validation_groups"] == "patient"
    groups = FakeClassifier.instances[-1].fit_groups
    assert "202" not in groups and (groups == "201").sum() == 8
    earlier = tool.main(["--name", "y", "--split", "random", "--out", str(tmp_path)])
    assert earlier["training"]["validation_groups"] is None
    assert FakeClassifier.instances[-1].fit_groups is None


def _digest(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_failure_while_writing_leaves_the_model_card_and_manifest_as_they_were(
    tool, tmp_path, monkeypatch
):
    # The weights were replaced first, then the card written: a card that failed to write (here
    # a value JSON cannot hold; a full disk, an interrupt) left the new weights beside the old
    # card, whose SHA-256 no longer matched them, and the shipped model no longer loaded.
    argv = ["--name", "x", "--split", "random", "--out", str(tmp_path)]
    tool.main(argv)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert set(before) == {"x.keras", "x.json", "SHA256SUMS"}
    assert json.loads(before["x.json"])["sha256"] == _digest(tmp_path / "x.keras")

    class Unwritable(FakeClassifier):
        def save(self, path):
            path.write_bytes(b"other weights")

        def get_params(self, deep=True):
            return {**super().get_params(), "learning_rate": np.float32(1e-3)}

    monkeypatch.setattr(tool, "HeartbeatCNNClassifier", Unwritable)
    with pytest.raises(TypeError, match="JSON serializable"):
        tool.main([*argv, "--overwrite"])
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_the_manifest_lists_every_card_of_the_folder(tool, tmp_path):
    tool.main(["--name", "x", "--split", "random", "--out", str(tmp_path)])
    tool.main(["--name", "y", "--split", "random", "--out", str(tmp_path)])
    lines = (tmp_path / "SHA256SUMS").read_text().splitlines()
    assert lines == [f"{_digest(tmp_path / n)}  {n}" for n in ("x.json", "y.json")]


@pytest.mark.parametrize("name", ["sub/x", "x.keras", "../x", ".x", "x y", ""])
def test_a_name_the_registry_cannot_load_is_refused(tool, tmp_path, capsys, name):
    # ecgbeat.pretrained loads a model by the name of a card in its folder, and reads a name
    # with a "/" or ending in ".keras" as a path: "sub/x" was written where no card is looked
    # for, "x.keras" as x.keras.keras, which load("x.keras") never finds.
    with pytest.raises(SystemExit) as caught:
        tool.main(["--name", name, "--split", "random", "--out", str(tmp_path / "out")])
    assert caught.value.code == 2 and "--name" in capsys.readouterr().err
    assert not FakeClassifier.instances and not (tmp_path / "out").exists()


def _fake_database(*args, **kwargs):
    from ecgbeat.datasets import MITBIH_RECORDS

    groups = np.repeat(np.array(MITBIH_RECORDS), 10)
    return Bunch(target=np.tile([0, 0, 0, 1, 2], groups.size // 5), groups=groups)


@pytest.fixture
def split_tool(monkeypatch, tmp_path):
    module = importlib.import_module("tools.make_random_split")
    monkeypatch.setattr(module, "fetch_mitbih", _fake_database)
    monkeypatch.setattr(module, "OUT", tmp_path / "mitbih_random_split.npz")
    return module


def _table(path):
    with np.load(path) as npz:
        return {record: npz[record] for record in npz.files}


def test_make_random_split_replaces_a_different_table_only_when_asked(split_tool, capsys):
    # The shipped table fixes every shipped model's test part: a fresh build that differs (a
    # scikit-learn that shuffles otherwise, other annotation files) replaced it without a word,
    # and every card's n_test and metrics then described another split.
    beats = _fake_database()
    fresh = split_tool.random_split_table(beats.target, beats.groups)
    shipped = {record: np.zeros_like(flags) for record, flags in fresh.items()}
    np.savez_compressed(split_tool.OUT, **shipped)
    before = split_tool.OUT.read_bytes()
    with pytest.raises(SystemExit) as caught:
        split_tool.main([])
    assert caught.value.code == 2 and "--overwrite" in capsys.readouterr().err
    assert split_tool.OUT.read_bytes() == before
    assert split_tool.main(["--overwrite"]) == 0
    written = _table(split_tool.OUT)
    assert written.keys() == fresh.keys()
    assert all(np.array_equal(written[r], fresh[r]) for r in fresh)
    assert split_tool.main([]) == 0  # the same table again: nothing to replace


def test_make_random_split_writes_a_missing_table(split_tool):
    assert split_tool.main([]) == 0 and split_tool.OUT.is_file()


def _fake_sample(n):
    arrays = {"data": np.full((n, 3), 0.5, dtype=np.float32), "target": np.zeros(n, np.int8)}
    return arrays, f"ecgbeat sample: {n} beats\n"


@pytest.fixture
def sample_tool(monkeypatch, tmp_path):
    module = importlib.import_module("tools.make_sample")
    monkeypatch.setattr(module, "OUT_DIR", tmp_path)
    return module


def _files(folder):
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_make_sample_writes_the_beats_and_their_description_together(
    sample_tool, tmp_path, monkeypatch
):
    # The beats were written, then their description: a description that failed to write left
    # the new beats beside the old text (their counts and records), or a truncated file.
    monkeypatch.setattr(sample_tool, "build", lambda data_home: _fake_sample(4))
    assert sample_tool.main([]) == 0
    before = _files(tmp_path)
    assert set(before) == {"mitbih_sample.npz", "mitbih_sample.txt"}
    arrays, _ = _fake_sample(5)
    monkeypatch.setattr(sample_tool, "build", lambda data_home: (arrays, "beats \udc80\n"))
    with pytest.raises(UnicodeEncodeError):
        sample_tool.main(["--overwrite"])
    assert _files(tmp_path) == before


def test_make_sample_replaces_a_different_sample_only_when_asked(
    sample_tool, tmp_path, monkeypatch, capsys
):
    # The shipped sample is what load_sample gives every user: a fresh build that differs (a
    # changed split table, other records) replaced it without a word.
    monkeypatch.setattr(sample_tool, "build", lambda data_home: _fake_sample(4))
    assert sample_tool.main([]) == 0
    before = _files(tmp_path)
    assert sample_tool.main([]) == 0 and _files(tmp_path) == before  # the same sample again
    monkeypatch.setattr(sample_tool, "build", lambda data_home: _fake_sample(5))
    with pytest.raises(SystemExit) as caught:
        sample_tool.main([])
    assert caught.value.code == 2 and "--overwrite" in capsys.readouterr().err
    assert _files(tmp_path) == before
    assert sample_tool.main(["--overwrite"]) == 0
    assert (tmp_path / "mitbih_sample.txt").read_text() == _fake_sample(5)[1]


def test_the_recorded_command_runs_again_as_it_ran():
    # A folder with a space was recorded unquoted: the card's command named two arguments.
    from tools._common import provenance

    argv = ["--name", "x", "--data-home", "/data/my ecg", "--class-weight", "it's"]
    command = provenance("tools/train_pretrained.py", argv)["command"]
    assert command.startswith("python -m tools.train_pretrained ")
    import shlex

    assert shlex.split(command)[3:] == argv
    assert provenance("tools/x.py", [])["command"] == "python -m tools.x "


def test_an_unknown_class_weighting_is_refused_before_the_data_are_loaded(
    tool, tmp_path, capsys, monkeypatch
):
    # "sqrt_balanced" reached the estimator, which refused it only once the whole database had
    # been loaded and cut.
    def loaded(*args, **kwargs):
        raise AssertionError("the data were loaded")

    monkeypatch.setattr(tool, "fetch_mitbih", loaded)
    argv = ["--name", "x", "--split", "random", "--class-weight", "sqrt_balanced"]
    with pytest.raises(SystemExit) as caught:
        tool.main([*argv, "--out", str(tmp_path)])
    assert caught.value.code == 2 and "--class-weight" in capsys.readouterr().err


def test_an_existing_card_is_not_replaced_unless_asked(tool, tmp_path, capsys):
    # Only the weights were looked for: a card of that name (its weights not there, or named
    # otherwise) was replaced without --overwrite.
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(SystemExit) as caught:
        tool.main(["--name", "x", "--split", "random", "--out", str(tmp_path)])
    assert caught.value.code == 2 and "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "x.json").read_text() == "{}" and not FakeClassifier.instances


@pytest.mark.parametrize("where", ["a file", "a folder named as the card"])
def test_an_out_folder_that_cannot_take_the_model_is_refused_before_the_data_are_loaded(
    tool, tmp_path, capsys, monkeypatch, where
):
    # --out named a file (or a card there could not be replaced): the tool loaded the database,
    # trained for hours and evaluated, then failed writing, and the trained model was lost.
    def loaded(*args, **kwargs):
        raise AssertionError("the data were loaded")

    monkeypatch.setattr(tool, "fetch_mitbih", loaded)
    out = tmp_path / "out"
    if where == "a file":
        out.write_text("a file")
    else:
        (out / "x.json").mkdir(parents=True)
    argv = ["--name", "x", "--split", "random", "--overwrite", "--out", str(out)]
    with pytest.raises(SystemExit) as caught:
        tool.main(argv)
    assert caught.value.code == 2 and f"--out {out}" in capsys.readouterr().err
    assert not FakeClassifier.instances


@pytest.mark.parametrize(
    "option", [["--epochs", "0"], ["--learning-rate", "-0.001"], ["--max-class-ratio", "0.5"]]
)
def test_an_option_the_estimator_refuses_is_refused_before_the_data_are_loaded(
    tmp_path, capsys, monkeypatch, option
):
    # The estimator checked its parameters only in fit: --epochs 0 failed after the whole
    # database had been read and cut.
    module = _tool()

    def loaded(*args, **kwargs):
        raise AssertionError("the data were loaded")

    monkeypatch.setattr(module, "fetch_mitbih", loaded)
    argv = ["--name", "x", "--split", "random", *option, "--out", str(tmp_path)]
    with pytest.raises(SystemExit) as caught:
        module.main(argv)
    name = option[0][2:].replace("-", "_")
    assert caught.value.code == 2 and f"'{name}' parameter" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "option", [["--overwrite"], ["--out", "OUT"], ["--out", "OUT", "--overwrite"]]
)
def test_options_of_saving_are_refused_with_no_save(tool, tmp_path, capsys, monkeypatch, option):
    # --no-save accepted --out and --overwrite and ignored them: no model was written where asked.
    def loaded(*args, **kwargs):
        raise AssertionError("the data were loaded")

    monkeypatch.setattr(tool, "fetch_mitbih", loaded)
    option = [str(tmp_path) if word == "OUT" else word for word in option]
    with pytest.raises(SystemExit) as caught:
        tool.main(["--name", "x", "--split", "random", "--no-save", *option])
    err = capsys.readouterr().err
    assert caught.value.code == 2 and "--no-save writes no model" in err
    assert all(word in err for word in option if word.startswith("--"))
    assert not FakeClassifier.instances and not list(tmp_path.iterdir())


class _FakeShipped:
    """Stands in for a shipped model: calls every beat N, and records what was loaded."""

    loaded: ClassVar[list] = []

    @classmethod
    def from_pretrained(cls, name):
        cls.loaded.append(name)
        return cls()

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


def _cards_folder(folder: Path) -> Path:
    """A DS1 model's card, the card of the model that quotes it, and an unrelated one."""
    from tools._common import cards_manifest

    metrics = {"accuracy": 0.5}
    folder.mkdir()
    (folder / "a-ds1.keras").write_bytes(b"weights")
    sha256 = hashlib.sha256(b"weights").hexdigest()
    ds1 = {"name": "a-ds1", "file": "a-ds1.keras", "target_names": ["N", "S", "V", "F", "Q"]}
    ds1 |= {"data": {"split": "inter-patient"}, "test_metrics_detected": metrics, "sha256": sha256}
    quoting = {**ds1, "name": "a", "data": {"split": "all"}}
    quoting["expected_on_new_patients"] = "the DS2 metrics of its DS1 twin 'a-ds1' (same recipe)"
    other = {"name": "b", "data": {"split": "random"}, "test_metrics": metrics}
    for card in (ds1, quoting, other):
        (folder / f"{card['name']}.json").write_text(json.dumps(card, indent=1) + "\n")
    (folder / "SHA256SUMS").write_text(cards_manifest(folder, {}))
    return folder


@pytest.fixture
def measure(monkeypatch):
    module = importlib.import_module("tools.measure_detected")
    _FakeShipped.loaded.clear()
    monkeypatch.setattr(module, "fetch_mitbih", _fake_beats)
    monkeypatch.setattr(module, "HeartbeatCNNClassifier", _FakeShipped)
    monkeypatch.setattr(module, "beat_cutting", lambda clf: {})
    return module


def test_measure_detected_rewrites_the_card_and_those_that_quote_it(measure, tmp_path):
    folder = _cards_folder(tmp_path / "cards")
    other_before = (folder / "b.json").read_bytes()
    result = measure.main(["--name", "a-ds1", "--out", str(folder)])
    assert result["cards"] == ["a-ds1", "a"]
    ds1 = json.loads((folder / "a-ds1.json").read_text())
    quoting = json.loads((folder / "a.json").read_text())
    # The fake's 20 rows, its one detection of no beat and its one missed V beat, all called N.
    detected = ds1["test_metrics_detected"]
    assert detected["per_class"]["V"]["support"] == 6 and detected["accuracy"] == round(5 / 22, 4)
    assert quoting["test_metrics_detected"] == detected
    measured = ds1["test_metrics_detected_measured"]
    assert measured["missed_beats"] == 1 and measured["unmatched_detections"] == 1
    assert measured["command"].startswith("python -m tools.measure_detected --name a-ds1")
    # In place: the keys keep their order, the measurement after the figures.
    assert list(ds1)[-3:] == ["test_metrics_detected", "test_metrics_detected_measured", "sha256"]
    assert (folder / "b.json").read_bytes() == other_before
    sums = dict(line.split()[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines())
    for path in folder.glob("*.json"):
        assert sums[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
    # Run again, the measurement is replaced, not added twice.
    measure.main(["--name", "a-ds1", "--out", str(folder)])
    assert (
        list(json.loads((folder / "a.json").read_text())).count("test_metrics_detected_measured")
        == 1
    )


@pytest.mark.parametrize(
    ("name", "message"), [("b", "no figures at detected peaks"), ("c", "no card c.json")]
)
def test_measure_detected_refuses_a_model_without_figures_at_detected_peaks(
    measure, tmp_path, capsys, name, message
):
    folder = _cards_folder(tmp_path / "cards")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(SystemExit) as caught:
        measure.main(["--name", name, "--out", str(folder)])
    assert caught.value.code == 2 and message in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_measure_detected_scores_the_model_beside_the_card(measure, tmp_path):
    # --out names a folder of models and cards (tools.train_pretrained --out writes one): the
    # shipped model of that name was scored, and its figures written into the card of the
    # weights beside it. They are those weights now, checked against the card.
    folder = _cards_folder(tmp_path / "cards")
    measure.main(["--name", "a-ds1", "--out", str(folder)])
    assert _FakeShipped.loaded == [folder / "a-ds1.keras"]
    # Weights that are not the card's are refused, and nothing is written.
    (folder / "a-ds1.keras").write_bytes(b"other weights")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(SystemExit) as caught:
        measure.main(["--name", "a-ds1", "--out", str(folder)])
    assert caught.value.code == 2
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert len(_FakeShipped.loaded) == 1
