"""Pretrained starts and transfer learning: from_pretrained, freeze_conv, head replacement."""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV

from ecgbeat import HeartbeatCNNClassifier, pretrained
from ecgbeat.exceptions import ModelFileError
from ecgbeat.networks import feature_layer_names


@pytest.fixture(scope="module")
def source_model(tmp_path_factory):
    """A 3-class model saved to disk: the pretrained start of these tests."""
    X, y = make_synthetic_beats()
    clf = HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y)
    path = tmp_path_factory.mktemp("pretrained") / "source.keras"
    clf.save(path)
    return path, clf


class InitialWeights(keras.callbacks.Callback):
    """Record every layer's weights as training begins (its first stage, when there are two)."""

    def on_train_begin(self, logs=None):
        if not hasattr(self, "weights"):
            self.weights = {layer.name: layer.get_weights() for layer in self.model.layers}


class Stages(keras.callbacks.Callback):
    """Record, for each training stage, which layers train and the epochs it ran."""

    def __init__(self):
        super().__init__()
        self.trainable, self.epochs = [], []

    def on_train_begin(self, logs=None):
        self.trainable.append({layer.name: layer.trainable for layer in self.model.layers})
        self.epochs.append(0)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs[-1] += 1


def test_from_pretrained_is_fitted_and_predicts_like_the_source(source_model):
    path, source = source_model
    X, y = make_synthetic_beats(n_per_class=10, seed=3)
    clf = HeartbeatCNNClassifier.from_pretrained(path)
    assert clf.pretrained == path
    np.testing.assert_array_equal(clf.classes_, source.classes_)
    np.testing.assert_array_equal(clf.predict_proba(X), source.predict_proba(X))
    assert clf.score(X, y) == 1.0


def test_load_restores_the_estimator_and_from_pretrained_starts_a_new_one(source_model):
    # The rule: parameters say how the next fit trains. load gives back the saved estimator,
    # parameters included; from_pretrained takes only the network from the file (its weights and
    # what shapes it) and today's defaults, or the caller's, for everything else.
    path, source = source_model
    assert HeartbeatCNNClassifier.load(path).get_params() == source.get_params()
    started = HeartbeatCNNClassifier.from_pretrained(path, epochs=3).get_params()
    expected = {
        **HeartbeatCNNClassifier().get_params(),
        "architecture": source.architecture,
        "n_rr_features": source.n_rr_features,
        "epochs": 3,
        "pretrained": path,
    }
    assert started == expected
    assert source.get_params()["batch_size"] != expected["batch_size"]  # the rule is visible


def test_fit_same_classes_starts_from_all_pretrained_weights(source_model):
    path, source = source_model
    X, y = make_synthetic_beats(n_per_class=10, seed=4)
    record = InitialWeights()
    HeartbeatCNNClassifier.from_pretrained(path, epochs=1, callbacks=[record]).fit(X, y)
    for layer in source.model_.layers:
        for got, expected in zip(record.weights[layer.name], layer.get_weights(), strict=True):
            np.testing.assert_array_equal(got, expected)


def test_new_classes_replace_only_the_output_layer(source_model):
    path, source = source_model
    X, y = make_synthetic_beats(n_per_class=15, labels=("normal", "abnormal"), seed=5)
    record = InitialWeights()
    clf = HeartbeatCNNClassifier.from_pretrained(path, **FAST_PARAMS, callbacks=[record])
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.classes_, ["abnormal", "normal"])
    assert clf.model_.get_layer("output").get_weights()[0].shape == (64, 2)
    for name in [*feature_layer_names(source.model_), "dense_1", "dense_2"]:
        for got, expected in zip(
            record.weights[name], source.model_.get_layer(name).get_weights(), strict=True
        ):
            np.testing.assert_array_equal(got, expected)
    assert clf.score(X, y) == 1.0


def test_freeze_conv_keeps_convolutional_weights_exactly(source_model):
    path, source = source_model
    X, y = make_synthetic_beats(n_per_class=15, labels=("normal", "abnormal"), seed=6)
    clf = HeartbeatCNNClassifier.from_pretrained(path, **FAST_PARAMS, freeze_conv=True).fit(X, y)
    for name in feature_layer_names(source.model_):
        for after, before in zip(
            clf.model_.get_layer(name).get_weights(),
            source.model_.get_layer(name).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(after, before)
    dense_after = clf.model_.get_layer("dense_1").get_weights()[0]
    assert not np.array_equal(dense_after, source.model_.get_layer("dense_1").get_weights()[0])
    # Unfrozen fine-tuning does move the convolutions.
    full = HeartbeatCNNClassifier.from_pretrained(path, **FAST_PARAMS).fit(X, y)
    conv_after = full.model_.get_layer("conv_8").get_weights()[0]
    assert not np.array_equal(conv_after, source.model_.get_layer("conv_8").get_weights()[0])


def test_clone_and_grid_search_keep_the_pretrained_start(source_model):
    path, _ = source_model
    X, y = make_synthetic_beats(n_per_class=12, labels=("normal", "abnormal"), seed=7)
    clf = HeartbeatCNNClassifier.from_pretrained(path, **{**FAST_PARAMS, "epochs": 2})
    assert clone(clf).pretrained == path
    search = GridSearchCV(clf, {"freeze_conv": [True, False]}, cv=2).fit(X, y)
    assert search.best_estimator_.pretrained == path
    assert len(search.cv_results_["params"]) == 2
    # A frozen search candidate really kept the pretrained convolutions.
    frozen = clone(clf).set_params(freeze_conv=True).fit(X, y)
    np.testing.assert_array_equal(
        frozen.model_.get_layer("conv_1").get_weights()[0],
        HeartbeatCNNClassifier.load(path).model_.get_layer("conv_1").get_weights()[0],
    )


def test_architecture_and_length_mismatch_are_clear_errors(source_model):
    path, _ = source_model
    X, y = make_synthetic_beats(n_per_class=10)
    with pytest.raises(ValueError, match="is a 'cnn' network but architecture='resnet'"):
        HeartbeatCNNClassifier("resnet", pretrained=path, epochs=1).fit(X, y)
    X_long, y_long = make_synthetic_beats(n_per_class=10, n_samples=80)
    clf = HeartbeatCNNClassifier("resnet", pretrained=None, epochs=1, random_state=0)
    clf.fit(X_long, y_long)
    resnet_path = path.parent / "resnet.keras"
    clf.save(resnet_path)
    with pytest.raises(ValueError, match="another length"):
        HeartbeatCNNClassifier("resnet", pretrained=resnet_path, epochs=1).fit(X, y)


def test_a_start_with_other_rhythm_inputs_names_n_rr_features():
    # HeartbeatCNNClassifier(pretrained="mitbih-rhythm") with the default n_rr_features=0 failed
    # "cannot copy weights of layer 8 (Dense): shapes [(263, 64), (64,)] and [(256, 64), (64,)]
    # differ": neither the setting nor its value was named, as architecture's are.
    X, y = make_synthetic_beats(n_per_class=10, n_samples=194)
    for n_rr in (0, 3):
        clf = HeartbeatCNNClassifier(pretrained="mitbih-rhythm", n_rr_features=n_rr, epochs=1)
        with pytest.raises(
            ValueError, match=rf"\(n_rr_features=7\), but n_rr_features={n_rr}; set n_rr_features=7"
        ):
            clf.fit(X, y)
        assert not hasattr(clf, "classes_")


@pytest.mark.parametrize(
    ("start", "extra", "told"),
    [
        # Beats alone for a start with R-R inputs: their last 7 samples were read as R-R features.
        ("mitbih-rhythm", 0, "the start's 187-sample beats alone"),
        # R-R features (or those and the template's) after the beats of a start without: read
        # as samples of the beat.
        ("mitbih", 7, "followed by 7 feature columns"),
        ("mitbih-rhythm", 10, "followed by 10 feature columns"),
    ],
)
def test_rows_in_another_layout_than_the_starts_are_warned_about(start, extra, told):
    X, y = make_synthetic_beats(n_per_class=4, n_samples=187 + extra)
    clf = HeartbeatCNNClassifier.from_pretrained(start, epochs=1, validation_fraction=0)
    with pytest.raises(UserWarning, match=rf"X has {187 + extra} columns, .*{told}\? .*'{start}'"):
        with warnings.catch_warnings():
            warnings.filterwarnings("error", "X has", UserWarning)
            clf.fit(X, y)
    # The rows the start reads, and beats of another length (another rate), are not.
    n_rr = clf.n_rr_features
    for n_columns in (187 + n_rr, 150 + n_rr):
        X, y = make_synthetic_beats(n_per_class=4, n_samples=n_columns)
        with warnings.catch_warnings():
            warnings.filterwarnings("error", "X has", UserWarning)
            clf.fit(X, y)


def test_from_pretrained_refuses_a_structure_that_is_not_the_networks(source_model):
    # The network's structure comes from the file: a contradicting parameter made an estimator
    # that cut rows for another network (beat_cutting appended R-R features to a beats-only
    # network), that save refused and that no fit could start.
    path, source = source_model
    for changed in ({"n_rr_features": 7}, {"architecture": "resnet"}):
        with pytest.raises(ValueError, match=r"network .*architecture='cnn', n_rr_features=0"):
            HeartbeatCNNClassifier.from_pretrained(path, **changed)
    # The network's own values may be given.
    clf = HeartbeatCNNClassifier.from_pretrained(path, architecture="cnn", n_rr_features=0)
    X, _ = make_synthetic_beats(n_per_class=5)
    np.testing.assert_array_equal(clf.predict_proba(X), source.predict_proba(X))


def test_from_pretrained_refuses_another_start_given_as_pretrained(source_model):
    # from_pretrained(path, pretrained="mitbih") set pretrained to path without a word: the
    # weights, classes and every later fit came from another start than the one named.
    path, _ = source_model
    with pytest.raises(ValueError, match=r"pretrained='mitbih'.*name_or_path"):
        HeartbeatCNNClassifier.from_pretrained(path, pretrained="mitbih")
    # The same start, as text or as a path, may be given.
    clf = HeartbeatCNNClassifier.from_pretrained(path, pretrained=str(path))
    assert clf.pretrained == path


def test_a_relative_start_not_found_at_fit_says_where_it_was_read_from(tmp_path, source_model):
    # The parameter is kept as given: after save and load in another folder, clone(...).fit
    # said only "model file 'source.keras' does not exist", not where it had looked.
    path, _ = source_model
    X, y = make_synthetic_beats(n_per_class=10)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(path.parent)
        tuned = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}, pretrained="source.keras")
        tuned.fit(X, y).save(tmp_path / "tuned.keras")
    loaded = HeartbeatCNNClassifier.load(tmp_path / "tuned.keras")
    assert loaded.pretrained == "source.keras"
    assert loaded.model_card_["fine_tuned_from"] == str(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        with pytest.raises(ModelFileError) as caught:
            clone(loaded).fit(X, y)
    message = str(caught.value)
    assert "pretrained='source.keras'" in message and "does not exist" in message
    assert f"relative path is read from the working directory, {str(tmp_path)!r}" in message
    assert "fine_tuned_from" in message


def test_a_relative_start_of_from_pretrained_is_the_same_file_in_another_folder(
    tmp_path, source_model
):
    # The estimator holds this file's network and clone promises its start, but the relative
    # name was kept: a clone fitted in another working directory (a joblib worker's, or after
    # os.chdir) started from the file of that name there, without a word.
    path, _ = source_model
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(path, tmp_path / "elsewhere" / path.name)
    X, y = make_synthetic_beats(n_per_class=10)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(path.parent)
        as_text = HeartbeatCNNClassifier.from_pretrained(path.name, **{**FAST_PARAMS, "epochs": 1})
        as_path = HeartbeatCNNClassifier.from_pretrained(Path(path.name))
    assert as_text.pretrained == str(path) and as_path.pretrained == path
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path / "elsewhere")
        tuned = clone(as_text).fit(X, y)
    assert tuned.model_card_["fine_tuned_from"] == str(path)
    # A shipped model's name stays a name.
    assert HeartbeatCNNClassifier.from_pretrained("mitbih").pretrained == "mitbih"


def test_from_pretrained_takes_the_parameters_of_a_model_from_the_same_relative_start(
    tmp_path, source_model
):
    # from_pretrained('start.keras') stores the start's absolute path: given back with
    # get_params() (to make the same model again), it was refused as another start.
    path, _ = source_model
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(path.parent)
        first = HeartbeatCNNClassifier.from_pretrained(path.name)
        again = HeartbeatCNNClassifier.from_pretrained(path.name, **first.get_params())
        assert again.pretrained == str(path)
        (tmp_path / "other.keras").write_bytes(path.read_bytes())
        with pytest.raises(ValueError, match="the start is name_or_path"):
            HeartbeatCNNClassifier.from_pretrained(path.name, pretrained=tmp_path / "other.keras")


def test_unknown_name_and_checksum_mismatch(tmp_path, monkeypatch, source_model):
    path, _ = source_model
    with pytest.raises(ValueError, match="no pretrained model named 'nope'"):
        HeartbeatCNNClassifier.from_pretrained("nope")
    shutil.copy(path, tmp_path / "toy.keras")
    card = {"name": "toy", "file": "toy.keras", "architecture": "cnn", "sha256": "0" * 64}
    (tmp_path / "toy.json").write_text(json.dumps(card))
    digest = hashlib.sha256((tmp_path / "toy.json").read_bytes()).hexdigest()
    (tmp_path / "SHA256SUMS").write_text(f"{digest}  toy.json\n")
    monkeypatch.setattr(pretrained, "_HERE", tmp_path)
    assert pretrained.list_pretrained() == ["toy"]
    with pytest.raises(ModelFileError, match="do not match the SHA-256 of its model card"):
        HeartbeatCNNClassifier.from_pretrained("toy")


def test_fine_tuning_on_a_subset_of_the_pretrained_classes_keeps_the_head(source_model):
    path, source = source_model
    X, y = make_synthetic_beats(n_per_class=15, seed=8)
    only_normal = y == "N"
    clf = HeartbeatCNNClassifier.from_pretrained(
        path, epochs=1, validation_fraction=0, keep_pretrained_classes=True
    )
    clf.fit(X[only_normal], y[only_normal])
    np.testing.assert_array_equal(clf.classes_, source.classes_)
    assert clf.predict_proba(X).shape == (len(X), 3)
    # With held-out beats of that one class, the loss of its frequency is 0: no network can
    # beat it, and not learning is no reason to warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.set_params(validation_fraction=0.2).fit(X[only_normal], y[only_normal])
    assert "val_loss" in clf.history_
    with pytest.raises(ValueError, match="at least 2 classes; got 1 class"):
        HeartbeatCNNClassifier(epochs=1).fit(X[only_normal], y[only_normal])


def test_model_cards_are_reached_by_name_only_and_damage_is_named(tmp_path, monkeypatch):
    for name in ("../pretrained/mitbih", "/etc/passwd", "mitbih.json"):
        with pytest.raises(ValueError, match="no pretrained model named"):
            pretrained.model_card(name)
    folder = tmp_path / "pretrained"
    shutil.copytree(Path(pretrained.__file__).parent, folder)
    monkeypatch.setattr(pretrained, "_HERE", folder)
    (folder / "mitbih.json").write_text('{"file": "mitbih.keras"')
    with pytest.raises(ModelFileError, match=r"model card of pretrained model 'mitbih'.*damaged"):
        pretrained.model_card("mitbih")
    # A card whose digest matches the manifest but that names no weights.
    (folder / "mitbih.json").write_text('{"architecture": "cnn"}')
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    digest = hashlib.sha256((folder / "mitbih.json").read_bytes()).hexdigest()
    lines = [f"{digest}  mitbih.json" if line.endswith(" mitbih.json") else line for line in sums]
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    with pytest.raises(ModelFileError, match="names no weights file"):
        HeartbeatCNNClassifier.from_pretrained("mitbih")
    # A card edited in place: refused by its digest.
    card = json.loads((Path(pretrained.__file__).parent / "mitbih-ds1.json").read_text())
    card["test_metrics"]["accuracy"] = 0.999
    (folder / "mitbih-ds1.json").write_text(json.dumps(card))
    with pytest.raises(ModelFileError, match="SHA-256 is not the one in SHA256SUMS"):
        pretrained.model_card("mitbih-ds1")


@pytest.mark.parametrize("name", ["mitbih-ds1", "mitbih"])
def test_a_shipped_models_card_is_the_one_beside_its_weights(name):
    # model_card_ was the copy inside the weights file, the card as it was trained: the DS1
    # cards mended since (they said "22 other patients") kept the old text there.
    card = pretrained.model_card(name)
    clf = HeartbeatCNNClassifier.from_pretrained(name)
    assert clf.model_card_ == {k: v for k, v in card.items() if k not in ("file", "sha256")}
    assert "22 other patients" not in json.dumps(clf.model_card_)


def test_a_model_file_is_recognised_by_its_content_not_its_name(
    source_model, tmp_path, monkeypatch
):

    path, clf = source_model
    h5 = tmp_path / "model.h5"
    h5.write_bytes(path.read_bytes())
    X, _ = make_synthetic_beats(n_per_class=5)
    np.testing.assert_array_equal(
        HeartbeatCNNClassifier.load(h5).predict_proba(X), clf.predict_proba(X)
    )
    # Named as a relative path without a folder: from_pretrained read it as a shipped name
    # ("no pretrained model named 'model.h5'"), though load reads it.
    monkeypatch.chdir(tmp_path)
    np.testing.assert_array_equal(
        HeartbeatCNNClassifier.from_pretrained("model.h5").predict_proba(X), clf.predict_proba(X)
    )
    hdf5 = tmp_path / "legacy.h5"
    hdf5.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(1000))  # an HDF5 signature, not ours
    with pytest.raises(ModelFileError, match="damaged or not a model file"):
        HeartbeatCNNClassifier.load(hdf5)


@pytest.mark.parametrize(
    "labels",
    [np.array([1.0, 2.0]), np.array(["a", "b"]), np.array([True, False]), np.array([0, 1])],
)
def test_classes_are_the_users_labels_unless_asked_to_keep_the_pretrained_ones(labels):
    # mitbih's classes are 0..4: labels {1.0, 2.0} or {0, 1} used to keep its 5-class head
    # and map onto S and V (issue 20); now the classes are exactly the user's labels.
    X, _ = make_synthetic_beats(n_per_class=10, n_samples=187)
    y = np.resize(labels, len(X))
    clf = HeartbeatCNNClassifier.from_pretrained("mitbih", epochs=1).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    assert clf.classes_.dtype.kind == np.unique(y).dtype.kind
    assert clf.predict_proba(X).shape == (len(X), 2)
    with pytest.raises(ValueError, match="keep_pretrained_classes=True needs labels among"):
        HeartbeatCNNClassifier.from_pretrained(
            "mitbih", epochs=1, keep_pretrained_classes=True
        ).fit(X, y.astype(str))


@pytest.mark.parametrize(
    ("labels", "kind"),
    [(np.array([0.0, 1.0]), "floats"), (np.array(["0", "1"]), "text")],
)
def test_labels_of_another_kind_than_the_kept_classes_are_told_so(labels, kind):
    # [0.0, 1.0] (a pandas column of nullable integers gives floats) against the classes
    # [0, 1, 2, 3, 4] looked like labels among them: the error said only that they were not.
    X, _ = make_synthetic_beats(n_per_class=10, n_samples=187)
    match = (
        rf"^keep_pretrained_classes=True needs labels among the pretrained classes "
        rf"\[0, 1, 2, 3, 4\]; got .*: {kind}, where the pretrained classes are integers"
    )
    with pytest.raises(ValueError, match=match):
        HeartbeatCNNClassifier.from_pretrained(
            "mitbih", epochs=1, keep_pretrained_classes=True
        ).fit(X, np.resize(labels, len(X)))


def test_the_same_labels_keep_the_pretrained_output_layer(source_model):
    path, source = source_model
    X, y = make_synthetic_beats(n_per_class=10, seed=3)
    # Text labels as NumPy text, and as a pandas column holds them (an object array).
    for labels in (y, y.astype(object)):
        recorder = InitialWeights()
        HeartbeatCNNClassifier.from_pretrained(path, epochs=1, callbacks=[recorder]).fit(X, labels)
        for a, b in zip(
            recorder.weights["output"],
            source.model_.get_layer("output").get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)
    normal = np.full((y == "N").sum(), "N", dtype=object)
    kept = HeartbeatCNNClassifier.from_pretrained(
        path, epochs=1, validation_fraction=0, keep_pretrained_classes=True
    ).fit(X[y == "N"], normal)
    np.testing.assert_array_equal(kept.classes_, source.classes_)


def test_a_fit_keeps_only_what_still_holds_of_the_starts_card(source_model, tmp_path):
    path, _ = source_model
    X, y = make_synthetic_beats(n_per_class=10, seed=3)
    start = HeartbeatCNNClassifier.load(path)
    start.model_card_ = {
        "segmentation": {"refine_radius": 0.12},
        "target_names": ["normal", "supra", "ventricular"],
        "normal_class": "N",
        "data": {"source": "MIT-BIH", "n_train": 87556},
        "test_metrics": {"accuracy": 0.99},
    }
    start.save(tmp_path / "carded.keras")
    tuned = HeartbeatCNNClassifier.from_pretrained(tmp_path / "carded.keras", epochs=1).fit(X, y)
    # The same classes: the beats are cut and named as before; the start's data and metrics
    # describe another model.
    assert tuned.model_card_ == {
        "fine_tuned_from": str(tmp_path / "carded.keras"),
        "segmentation": {"refine_radius": 0.12},
        "target_names": ["normal", "supra", "ventricular"],
        "normal_class": "N",
    }
    binary = np.where(y == "N", "N", "X")
    tuned.fit(X, binary)
    assert tuned.model_card_ == {
        "fine_tuned_from": str(tmp_path / "carded.keras"),
        "segmentation": {"refine_radius": 0.12},
    }
    tuned.set_params(pretrained=None).fit(X, binary)
    assert not hasattr(tuned, "model_card_")
    # A start without a card: which start it was still holds (it was left out, no card at all).
    plain = HeartbeatCNNClassifier.from_pretrained(path, epochs=1).fit(X, binary)
    assert plain.model_card_ == {"fine_tuned_from": str(path)}
    # A start named by a relative path is named by its absolute one: read from another folder,
    # the relative name found no file (or another model) and what the start learned was lost.
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(path.parent)
        relative = HeartbeatCNNClassifier.from_pretrained(path.name, epochs=1).fit(X, binary)
    assert relative.model_card_ == {"fine_tuned_from": str(path)}
    # Float labels 0.0, 1.0 are not a start's integer classes 0, 1: a new head, no old names.
    Xi, yi = make_synthetic_beats(n_per_class=10, labels=(0, 1))
    coded = HeartbeatCNNClassifier(epochs=1, validation_fraction=0).fit(Xi, yi)
    coded.model_card_ = {"target_names": ["N", "V"], "segmentation": {}}
    coded.save(tmp_path / "coded.keras")
    start = HeartbeatCNNClassifier.from_pretrained(tmp_path / "coded.keras", epochs=1)
    assert "target_names" in start.fit(Xi, yi).model_card_
    assert "target_names" not in start.fit(Xi, yi.astype(float)).model_card_


def test_a_fine_tuned_models_card_keeps_the_attribution_of_the_starts_data(source_model, tmp_path):
    # The new weights derive from the start's, which were trained on MIT-BIH data: ODC-By asks
    # every derived model to carry the attribution, and it was dropped with the start's metrics.
    path, _ = source_model
    X, y = make_synthetic_beats(n_per_class=10, seed=3)
    start = HeartbeatCNNClassifier.load(path)
    start.model_card_ = {"attribution": pretrained.ATTRIBUTION, "test_metrics": {"accuracy": 1}}
    start.save(tmp_path / "attributed.keras")
    tuned = HeartbeatCNNClassifier.from_pretrained(tmp_path / "attributed.keras", epochs=1)
    # Also with other classes, whose new output layer still sits on the start's features.
    for labels in (y, np.where(y == "N", "N", "X")):
        assert tuned.fit(X, labels).model_card_ == {
            "fine_tuned_from": str(tmp_path / "attributed.keras"),
            "attribution": pretrained.ATTRIBUTION,
        }
    tuned.save(tmp_path / "tuned.keras")
    assert HeartbeatCNNClassifier.load(tmp_path / "tuned.keras").model_card_["attribution"] == (
        pretrained.ATTRIBUTION
    )


def test_a_start_given_as_a_path_object_named_like_a_shipped_model_is_that_file(
    source_model, tmp_path, monkeypatch
):
    # Path("mitbih") is a file, as pretrained.load reads it; the card named the shipped model,
    # whose training data evaluate then reported as the tuned model's.
    path, _ = source_model
    shutil.copyfile(path, tmp_path / "mitbih")
    monkeypatch.chdir(tmp_path)
    X, y = make_synthetic_beats(n_per_class=10, seed=3)
    tuned = HeartbeatCNNClassifier.from_pretrained(Path("mitbih"), epochs=1)
    assert tuned.classes_.tolist() == ["N", "S", "V"]  # the file's, not the shipped 0-4
    tuned.fit(X, y)
    assert tuned.model_card_ == {"fine_tuned_from": str(tmp_path / "mitbih")}
    shipped = HeartbeatCNNClassifier.from_pretrained("mitbih", epochs=1).fit(X, y)
    assert shipped.model_card_["fine_tuned_from"] == "mitbih"


def test_fine_tuning_trains_the_head_first_then_every_layer_at_a_tenth_of_the_rate(source_model):
    path, source = source_model
    X, y = make_synthetic_beats(n_per_class=15, labels=("normal", "abnormal"), seed=7)
    stages = Stages()
    clf = HeartbeatCNNClassifier.from_pretrained(
        path, **FAST_PARAMS, train_head_first=True, callbacks=[stages]
    )
    clf.fit(X, y)
    convolutions = feature_layer_names(source.model_)
    assert len(stages.trainable) == 2
    head, whole = stages.trainable
    assert not any(head[name] for name in convolutions) and head["dense_1"] and head["output"]
    assert all(whole.values())
    assert all(layer.trainable for layer in clf.model_.layers)
    # Both stages are in the history, one after the other, and the best epoch is the second's.
    first = stages.epochs[0]
    assert clf.n_epochs_ == sum(stages.epochs) == len(clf.history_["loss"])
    assert first < clf.best_epoch_ <= clf.n_epochs_
    rates = np.array(clf.history_["learning_rate"])
    # Cosine cycles start at twice the rate: 2 * 1.5e-3 in the first stage, a tenth in the second.
    np.testing.assert_allclose(rates[0], 2 * FAST_PARAMS["learning_rate"], rtol=1e-6)
    np.testing.assert_allclose(rates[first], 2 * FAST_PARAMS["learning_rate"] / 10, rtol=1e-6)
    assert rates[first:].max() <= rates[0] / 10 * (1 + 1e-6)
    # The second stage moved the pretrained convolutions; the first had kept them.
    conv_after = clf.model_.get_layer("conv_8").get_weights()[0]
    assert not np.array_equal(conv_after, source.model_.get_layer("conv_8").get_weights()[0])
    assert clf.score(X, y) == 1.0


def test_ctrl_c_early_in_the_second_stage_keeps_and_reports_the_first_stages_best(source_model):
    path, _ = source_model
    X, y = make_synthetic_beats(n_per_class=15, labels=("normal", "abnormal"), seed=7)

    class CtrlCInSecondStage(Stages):
        def on_train_begin(self, logs=None):
            super().on_train_begin(logs)
            self.start = self.model.get_weights()  # the second stage's: the first's best

        def on_train_batch_end(self, batch, logs=None):
            if len(self.epochs) == 2 and batch == 0:  # after its first step
                raise KeyboardInterrupt

    stages = CtrlCInSecondStage()
    clf = HeartbeatCNNClassifier.from_pretrained(
        path, **FAST_PARAMS, train_head_first=True, lr_schedule="plateau", callbacks=[stages]
    )
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X, y)
    first_stage_epochs = stages.epochs[0]
    assert clf.n_epochs_ == first_stage_epochs and stages.epochs[1] == 0
    val_loss = clf.history_["val_loss"]
    assert clf.best_epoch_ == 1 + int(np.argmin(val_loss))  # the first stage's best, not its last
    for kept, start in zip(clf.model_.get_weights(), stages.start, strict=True):
        np.testing.assert_array_equal(kept, start)


@pytest.mark.parametrize(
    "params",
    [{}, {"freeze_conv": True, "train_head_first": True}],
    ids=["all-layers-at-once", "frozen"],
)
def test_one_stage_when_not_fine_tuning_head_first(source_model, params):
    path, _ = source_model
    X, y = make_synthetic_beats(n_per_class=15, labels=("normal", "abnormal"), seed=7)
    stages = Stages()
    clf = HeartbeatCNNClassifier.from_pretrained(path, **FAST_PARAMS, **params, callbacks=[stages])
    clf.fit(X, y)
    assert len(stages.trainable) == 1
    convolutions_train = stages.trainable[0]["conv_8"]
    assert convolutions_train == (not params.get("freeze_conv", False))
    assert clf.n_epochs_ == stages.epochs[0] == len(clf.history_["loss"])
    np.testing.assert_allclose(
        clf.history_["learning_rate"][0], 2 * FAST_PARAMS["learning_rate"], rtol=1e-6
    )


def _written_with_params(path, params_of, target):
    """``path``'s network and metadata written to ``target`` with the parameters
    ``params_of(params)``, as another (older) version of ecgbeat could have written them."""
    from ecgbeat.persistence import read_model_file, write_model_file

    model, metadata = read_model_file(path)
    written_by_the_writer = ("format_version", "ecgbeat_version", "trainable", "sha256")
    fields = {
        key: value
        for key, value in metadata.items()
        if key not in (*written_by_the_writer, "metadata_sha256")
    }
    return write_model_file(model, {**fields, "params": params_of(metadata["params"])}, target)


def test_train_head_first_round_trips_and_older_files_load_with_one_stage(source_model, tmp_path):
    """The setting is saved with the model; files written before it existed load with False."""
    path, _ = source_model

    def without_it(params):
        return {k: v for k, v in params.items() if k != "train_head_first"}

    older = _written_with_params(path, without_it, tmp_path / "older.keras")
    assert HeartbeatCNNClassifier.load(older).train_head_first is False
    newer = _written_with_params(
        path, lambda params: {**without_it(params), "train_head_first": True}, tmp_path / "n.keras"
    )
    assert HeartbeatCNNClassifier.load(newer).train_head_first is True


@pytest.mark.parametrize(
    ("changed", "match"),
    [
        ({"n_rr_features": 7}, r"say architecture='cnn', n_rr_features=7, but .* n_rr_features=0"),
        (
            {"architecture": "resnet"},
            r"say architecture='resnet', .* built with architecture='cnn'",
        ),
    ],
)
def test_save_refuses_parameters_that_describe_another_network(
    source_model, tmp_path, changed, match
):
    """set_params on a fitted estimator says how the next fit builds; a file says what it holds."""
    path, _ = source_model
    clf = HeartbeatCNNClassifier.from_pretrained(path).set_params(**changed)
    target = tmp_path / "changed.keras"
    with pytest.raises(ValueError, match=match):
        clf.save(target)
    assert not target.exists()
    clf.set_params(architecture="cnn", n_rr_features=0).save(target)
    restored = HeartbeatCNNClassifier.load(target)
    assert (restored.architecture, restored.n_rr_features) == ("cnn", 0)


def test_a_file_whose_parameters_contradict_its_network(source_model, tmp_path):
    """Files that older versions wrote after such a set_params: load refuses them, and
    from_pretrained reads the structure from the network, so they still start a fit."""
    from ecgbeat.records import beat_cutting

    path, source = source_model
    older = _written_with_params(
        path,
        lambda params: {**params, "architecture": "resnet", "n_rr_features": 7},
        tmp_path / "older.keras",
    )
    with pytest.raises(ModelFileError, match=r"parameters say architecture='resnet', n_rr_f"):
        HeartbeatCNNClassifier.load(older)
    clf = HeartbeatCNNClassifier.from_pretrained(older)
    assert (clf.architecture, clf.n_rr_features) == ("cnn", 0)
    assert beat_cutting(clf)["rhythm"] is False
    X, y = make_synthetic_beats(n_per_class=10, seed=3)
    np.testing.assert_array_equal(clf.predict_proba(X), source.predict_proba(X))
    clf.set_params(**{**FAST_PARAMS, "epochs": 1}).fit(X, y)  # the weights copy over


@pytest.mark.parametrize(
    "params",
    [
        {"keep_pretrained_classes": True},
        {"train_head_first": True},
        # NumPy's True, as a grid of np.array([True, False]) gives it, is True too.
        {"keep_pretrained_classes": np.True_},
        {"train_head_first": np.True_},
    ],
)
def test_start_parameters_without_a_start_warn_that_they_change_nothing(params):
    # They were taken without a word: the user believed the head kept or trained first.
    X = np.random.default_rng(0).random((6, 187))
    name = next(iter(params))
    with pytest.warns(UserWarning, match=f"{name}=True changes nothing without pretrained"):
        with pytest.raises(ValueError, match="at least 2 classes"):  # stops before training
            HeartbeatCNNClassifier(**params).fit(X, np.zeros(6))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # with a start, no such warning
        with pytest.raises(ValueError, match=r"at least 2 classes|labels among the pretrained"):
            HeartbeatCNNClassifier(pretrained="mitbih", **params).fit(X, np.full(6, 7))


def test_train_head_first_with_frozen_convolutions_warns_that_it_changes_nothing():
    # Documented as not used with freeze_conv=True, but taken without a word: the user believed
    # the whole network was fine-tuned after the head.
    X = np.random.default_rng(0).random((6, 187))
    params = {"pretrained": "mitbih", "train_head_first": True}
    with pytest.warns(UserWarning, match="train_head_first=True changes nothing with freeze_conv"):
        with pytest.raises(ValueError, match="at least 2 classes"):  # stops before training
            HeartbeatCNNClassifier(**params, freeze_conv=True).fit(X, np.full(6, 7))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # fine-tuning in two stages: no warning
        with pytest.raises(ValueError, match="at least 2 classes"):
            HeartbeatCNNClassifier(**params).fit(X, np.full(6, 7))


def test_an_unfitted_pretrained_start_says_how_to_get_the_pretrained_network(tmp_path):
    # HeartbeatCNNClassifier(pretrained="mitbih") and a clone of from_pretrained("mitbih") read
    # as pretrained classifiers; their predict said only "not fitted yet. Call 'fit'".
    from ecgbeat.datasets import load_sample

    X = load_sample().data[:3]
    start = HeartbeatCNNClassifier.from_pretrained("mitbih")
    told = r"not fitted yet.*pretrained='mitbih' is where fit starts.*from_pretrained\('mitbih'\)"
    for unfitted in (HeartbeatCNNClassifier(pretrained="mitbih"), clone(start)):
        with pytest.raises(NotFittedError, match=told):
            unfitted.predict(X)
        with pytest.raises(NotFittedError, match=told):
            unfitted.save(tmp_path / "model.keras")
    assert not (tmp_path / "model.keras").exists()
    assert start.predict(X).shape == (3,)  # the original keeps its network
    with pytest.raises(NotFittedError) as plain:
        HeartbeatCNNClassifier().predict(X)
    assert "pretrained" not in str(plain.value)
