"""Saving and loading without pickle: round trip, atomic writes, tampered and hostile files."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pickle
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat.exceptions import ModelFileError
from ecgbeat.persistence import FORMAT_VERSION, read_metadata

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def fitted():
    X, y = make_synthetic_beats(n_per_class=30, n_samples=48, labels=("normal", "PVC", "APB"))
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 3}, class_weight="balanced")
    return clf.fit(X, y), X


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "model.keras"
    fitted[0].save(path)
    return path


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_entries(path: Path, contents: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def forge(keras_file: Path, template: Path, target: Path) -> None:
    """A ``.keras`` written by Keras, plus an ecgbeat.json whose digests are all correct."""
    contents = entries(keras_file)
    metadata = json.loads(entries(template)["ecgbeat.json"])
    metadata.pop("metadata_sha256")
    metadata["sha256"] = {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}
    canonical = json.dumps(metadata, sort_keys=True, separators=(",", ":")).encode()
    metadata["metadata_sha256"] = hashlib.sha256(canonical).hexdigest()
    write_entries(target, {**contents, "ecgbeat.json": json.dumps(metadata).encode()})


def test_round_trip(fitted, saved):
    clf, X = fitted
    restored = HeartbeatCNNClassifier.load(saved)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    assert restored.classes_.tolist() == ["APB", "PVC", "normal"]
    assert restored.classes_.dtype == clf.classes_.dtype
    assert restored.get_params() == clf.get_params()
    assert restored.history_ == clf.history_
    assert (restored.best_epoch_, restored.n_epochs_) == (clf.best_epoch_, clf.n_epochs_)
    assert restored.precision_ == clf.precision_ in {"float32", "mixed_bfloat16"}
    assert restored.n_features_in_ == 48
    # The file carries no pickle: every entry is JSON, HDF5 weights or Keras' JSON config.
    contents = entries(saved)
    assert sorted(contents) == ["config.json", "ecgbeat.json", "metadata.json", "model.weights.h5"]
    assert read_metadata(saved)["format_version"] == FORMAT_VERSION
    # Saving a loaded model again gives an equivalent model.
    again = saved.with_name("again.keras")
    restored.save(again)
    np.testing.assert_array_equal(
        HeartbeatCNNClassifier.load(again).predict_proba(X), clf.predict_proba(X)
    )


def test_feature_names_and_metadata_requests_load_back_as_pickle_keeps_them(tmp_path):
    import pandas as pd
    import sklearn

    X, y = make_synthetic_beats(n_per_class=10, n_samples=24)
    frame = pd.DataFrame(X, columns=[f"s{i}" for i in range(24)])
    clf = HeartbeatCNNClassifier(epochs=1, validation_fraction=0, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        clf.set_fit_request(groups=True).set_score_request(sample_weight="weights")
    clf.fit(frame, y)
    clf.save(tmp_path / "frame.keras")
    restored = HeartbeatCNNClassifier.load(tmp_path / "frame.keras")
    pickled = pickle.loads(pickle.dumps(clf))
    for estimator in (pickled, restored):
        np.testing.assert_array_equal(estimator.feature_names_in_, clf.feature_names_in_)
        assert estimator.feature_names_in_.dtype == object
        with pytest.raises(ValueError, match="feature names should match"):
            estimator.predict(frame.rename(columns=str.upper))
        requests = estimator._get_metadata_request()
        assert requests.fit.requests == {"groups": True, "sample_weight": None}
        assert requests.score.requests == {"sample_weight": "weights"}
    np.testing.assert_array_equal(restored.predict(frame), clf.predict(frame))
    # Saved again, they are still there; a model fitted on an array and without requests has
    # none, as have files written before these fields existed.
    restored.save(tmp_path / "again.keras")
    assert read_metadata(tmp_path / "again.keras")["metadata_requests"] == {
        "fit": {"groups": True},
        "score": {"sample_weight": "weights"},
    }
    plain = HeartbeatCNNClassifier(epochs=1, validation_fraction=0, random_state=0).fit(X, y)
    plain.save(tmp_path / "plain.keras")
    older = _redigested(
        tmp_path / "plain.keras",
        tmp_path / "older.keras",
        lambda m: [m.pop("feature_names_in"), m.pop("metadata_requests")],
    )
    for path in (tmp_path / "plain.keras", older):
        loaded = HeartbeatCNNClassifier.load(path)
        assert not hasattr(loaded, "feature_names_in_")
        assert "_metadata_request" not in vars(loaded)
        assert loaded._get_metadata_request().fit.requests == {
            "groups": None,
            "sample_weight": None,
        }


def test_a_path_parameter_loads_back_as_a_path(saved, tmp_path):
    X, y = make_synthetic_beats(n_per_class=10, n_samples=48, labels=("APB", "PVC", "normal"))
    clf = HeartbeatCNNClassifier(pretrained=saved, epochs=1, validation_fraction=0, random_state=0)
    clf.fit(X, y).save(tmp_path / "tuned.keras")
    restored = HeartbeatCNNClassifier.load(tmp_path / "tuned.keras")
    assert isinstance(restored.pretrained, Path)
    assert restored.get_params() == clf.get_params()
    # A path given as text stays text, and from_pretrained's start is kept as given.
    for start in (str(saved), saved):
        tuned = HeartbeatCNNClassifier.from_pretrained(start)
        tuned.save(tmp_path / "start.keras")
        assert HeartbeatCNNClassifier.load(tmp_path / "start.keras").get_params() == (
            tuned.get_params()
        )


class _FsPath:
    """An ``os.PathLike`` that is not a ``pathlib.Path``, whose ``str`` is not the path."""

    def __init__(self, path):
        self._path = path

    def __fspath__(self):
        return str(self._path)

    def __repr__(self):
        return "_FsPath(...)"


def test_any_os_pathlike_saves_and_loads(fitted, tmp_path):
    # Keras chooses its loader by str(path): an os.PathLike was refused as an unknown format.
    clf, X = fitted
    clf.save(_FsPath(tmp_path / "m.keras"))
    for loaded in (
        HeartbeatCNNClassifier.load(_FsPath(tmp_path / "m.keras")),
        HeartbeatCNNClassifier.from_pretrained(_FsPath(tmp_path / "m.keras")),
    ):
        np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(ModelFileError, match=r"model file '.*nope\.keras' does not exist"):
        HeartbeatCNNClassifier.load(_FsPath(tmp_path / "nope.keras"))
    (tmp_path / "bad.keras").write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match=r"model file '.*bad\.keras' is damaged"):
        HeartbeatCNNClassifier.load(_FsPath(tmp_path / "bad.keras"))


def test_files_from_before_precision_existed_say_float32():
    # The shipped models were saved before the ``precision`` parameter, trained in float32.
    shipped = Path(__file__).resolve().parents[1] / "ecgbeat" / "pretrained" / "mitbih.keras"
    assert "precision" not in read_metadata(shipped)
    assert "precision" not in read_metadata(shipped)["params"]
    assert HeartbeatCNNClassifier.from_pretrained("mitbih").precision_ == "float32"
    # load restores the recipe, which was float32: precision="auto" would make the next fit
    # (clone(load(path)).fit) train in bfloat16 on a CPU that has it.
    restored = HeartbeatCNNClassifier.load(shipped)
    assert (restored.precision, restored.precision_) == ("float32", "float32")


def test_integer_classes_keep_their_dtype(tmp_path):
    X, y = make_synthetic_beats(n_per_class=10, n_samples=24, labels=(3, 7))
    clf = HeartbeatCNNClassifier(epochs=1, validation_fraction=0, random_state=0).fit(X, y)
    clf.save(tmp_path / "int.keras")
    restored = HeartbeatCNNClassifier.load(tmp_path / "int.keras")
    assert restored.classes_.tolist() == [3, 7] and restored.classes_.dtype == clf.classes_.dtype
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))


def test_a_class_weight_dict_loads_with_the_labels_own_keys(tmp_path):
    from sklearn.base import clone

    X, y = make_synthetic_beats(n_per_class=10, n_samples=24, labels=(3, 7))
    params = dict(epochs=1, validation_fraction=0, random_state=0, class_weight={3: 1.0, 7: 2.5})
    clf = HeartbeatCNNClassifier(**params).fit(X, y)
    clf.save(tmp_path / "weighted.keras")
    restored = HeartbeatCNNClassifier.load(tmp_path / "weighted.keras")
    assert restored.class_weight == {3: 1.0, 7: 2.5}
    assert restored.get_params() == clf.get_params()
    clone(restored).fit(X, y)  # the recipe repeats
    # A key for a class that this y lacks (one dict for every fold) keeps its type too.
    clf.set_params(class_weight={3: 1.0, 7: 2.5, 9: 4.0}).fit(X, y)
    clf.save(tmp_path / "weighted.keras")
    restored = HeartbeatCNNClassifier.load(tmp_path / "weighted.keras")
    assert restored.get_params() == clf.get_params()
    assert all(type(key) is int for key in restored.class_weight)
    clone(restored).fit(X, y)


@pytest.mark.parametrize(
    ("labels", "class_weight"),
    [(lambda y: y, {3.0: 1.0, 7.0: 2.5}), (lambda y: y == 7, {0: 1.0, 1: 2.5})],
    ids=["float-keys-of-int-classes", "int-keys-of-bool-classes"],
)
def test_class_weight_keys_equal_to_the_classes_load_back_as_them(tmp_path, labels, class_weight):
    # fit takes 3.0 for the class 3 and 0 for False; the file kept the keys as "3.0" and "0",
    # which load gave back as text: other parameters than saved, and a clone's fit failed.
    from sklearn.base import clone

    X, y = make_synthetic_beats(n_per_class=10, n_samples=24, labels=(3, 7))
    params = dict(epochs=1, validation_fraction=0, random_state=0, class_weight=class_weight)
    clf = HeartbeatCNNClassifier(**params).fit(X, labels(y))
    clf.save(tmp_path / "weighted.keras")
    restored = HeartbeatCNNClassifier.load(tmp_path / "weighted.keras")
    assert restored.get_params() == clf.get_params()
    assert [type(key) for key in restored.class_weight] == [type(c) for c in clf.classes_.tolist()]
    clone(restored).fit(X, labels(y))


def test_long_text_labels_load_back_and_longer_ones_are_refused_before_writing(tmp_path):
    # NumPy text takes 4 bytes a character: the limit is in characters, the same for both.
    X, y = make_synthetic_beats(n_per_class=10, n_samples=24, labels=(3, 7))
    long = np.where(y == 7, "V" * 1100, "N" * 1100)
    clf = HeartbeatCNNClassifier(epochs=1, validation_fraction=0, random_state=0).fit(X, long)
    clf.save(tmp_path / "long.keras")
    assert HeartbeatCNNClassifier.load(tmp_path / "long.keras").classes_.tolist() == sorted(
        set(long.tolist())
    )
    clf.classes_ = np.array(["N", "V" * 4097])
    with pytest.raises(ValueError, match="longer than 4096 characters"):
        clf.save(tmp_path / "longer.keras")
    assert not (tmp_path / "longer.keras").exists()


def test_a_random_state_instance_saves_and_loads_in_its_state(tmp_path):
    # scikit-learn's random_state may be a RandomState: save keeps it as a pickle would.
    X, y = make_synthetic_beats(n_per_class=10, n_samples=24, labels=(3, 7))
    clf = HeartbeatCNNClassifier(epochs=1, validation_fraction=0)
    clf.set_params(random_state=np.random.RandomState(5)).fit(X, y)
    clf.save(tmp_path / "rng.keras")
    restored = HeartbeatCNNClassifier.load(tmp_path / "rng.keras")
    assert isinstance(restored.random_state, np.random.RandomState)
    assert restored.random_state is not clf.random_state
    # The same state: the next draws agree.
    np.testing.assert_array_equal(
        restored.random_state.randint(0, 2**31, size=8), clf.random_state.randint(0, 2**31, size=8)
    )
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))


def test_boolean_and_object_text_classes_load_back(tmp_path):
    # A file that save writes must load: booleans stay booleans, text in an object array (a
    # pandas column) is stored as text and loads back in an object array, as fit made it.
    X, y = make_synthetic_beats(n_per_class=10, n_samples=24, labels=(3, 7))
    for labels, dtype_kind in ((y == 7, "b"), (np.where(y == 7, "V", "N").astype(object), "O")):
        clf = HeartbeatCNNClassifier(epochs=1, validation_fraction=0, random_state=0)
        clf.fit(X, labels)
        clf.save(tmp_path / "labels.keras")
        restored = HeartbeatCNNClassifier.load(tmp_path / "labels.keras")
        assert restored.classes_.dtype.kind == dtype_kind
        assert restored.classes_.tolist() == clf.classes_.tolist()
        np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
        assert restored.predict(X).dtype == clf.predict(X).dtype
    # Labels of mixed types (scikit-learn's own checks refuse them in fit) cannot be stored.
    clf.classes_ = np.array([1, "N"], dtype=object)
    with pytest.raises(ValueError, match="cannot save labels"):
        clf.save(tmp_path / "mixed.keras")
    assert not (tmp_path / "mixed.keras").exists()


class Boom(Exception):
    pass


@pytest.mark.parametrize("when", ["keras save", "metadata", "rename", "ctrl-c"])
def test_failed_save_leaves_the_existing_file_intact(fitted, saved, tmp_path, monkeypatch, when):
    clf = fitted[0]
    target = tmp_path / "model.keras"
    target.write_bytes(saved.read_bytes())
    before = target.read_bytes()
    real_save = type(clf.model_).save

    def partial_keras_save(model, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"PK\x03\x04 half a model")
        raise KeyboardInterrupt if when == "ctrl-c" else Boom("disk full")

    if when in ("keras save", "ctrl-c"):
        monkeypatch.setattr(type(clf.model_), "save", partial_keras_save)
    elif when == "metadata":
        monkeypatch.setattr(
            zipfile.ZipFile, "writestr", lambda *a, **k: (_ for _ in ()).throw(Boom())
        )
    else:
        monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(Boom()))
    with pytest.raises(KeyboardInterrupt if when == "ctrl-c" else Boom):
        clf.save(target)
    monkeypatch.setattr(type(clf.model_), "save", real_save)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"], "temporary file left"
    HeartbeatCNNClassifier.load(target)  # still a sound model


def test_unjsonable_parameter_is_refused_before_writing(fitted, tmp_path):
    clf = fitted[0]
    odd = HeartbeatCNNClassifier(**{**clf.get_params(), "class_weight": {"normal": object()}})
    odd.__dict__.update({k: v for k, v in clf.__dict__.items() if k.endswith("_")})
    odd._setup_inference()
    with pytest.raises(
        TypeError, match=r"cannot save params\['class_weight'\]\['normal'\]: .* object"
    ):
        odd.save(tmp_path / "odd.keras")
    assert list(tmp_path.iterdir()) == []


def test_a_parameter_that_fit_refuses_is_refused_before_writing(fitted, saved, tmp_path):
    # set_params after fit wrote a file that loaded and failed only at predict.
    clf = copy.deepcopy(fitted[0]).set_params(inference_precision="bf16")
    target = tmp_path / "model.keras"
    target.write_bytes(saved.read_bytes())
    with pytest.raises(ValueError, match=r"'inference_precision' parameter .* Got 'bf16'"):
        clf.save(target)
    assert target.read_bytes() == saved.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]


def test_a_model_card_that_is_not_plain_data_is_named_as_such(fitted, tmp_path):
    # It was "cannot save a parameter of type ndarray": no parameter was, and no key was named.
    clf = copy.deepcopy(fitted[0])
    clf.model_card_ = {"notes": "tuned", "thresholds": np.array([0.5, 0.7])}
    with pytest.raises(TypeError, match=r"cannot save the model card\['thresholds'\]: .* ndarray"):
        clf.save(tmp_path / "model.keras")
    assert list(tmp_path.iterdir()) == []


def _flip_weight_byte(contents):
    weights = bytearray(contents["model.weights.h5"])
    weights[len(weights) // 2] ^= 0xFF
    return {**contents, "model.weights.h5": bytes(weights)}


def _edit_json(edit):
    def damage(contents):
        metadata = json.loads(contents["ecgbeat.json"])
        edit(metadata)
        return {**contents, "ecgbeat.json": json.dumps(metadata).encode()}

    return damage


TAMPERING = {
    "weights byte flipped": (_flip_weight_byte, r"model\.weights\.h5 does not match its SHA-256"),
    "config edited": (
        lambda c: {**c, "config.json": c["config.json"].replace(b"relu", b"tanh")},
        r"config\.json does not match its SHA-256",
    ),
    "classes reordered": (
        _edit_json(lambda m: m["classes"].reverse()),
        r"ecgbeat\.json does not match its SHA-256",
    ),
    "parameter edited": (
        _edit_json(lambda m: m["params"].update(epochs=1000)),
        r"ecgbeat\.json does not match its SHA-256",
    ),
    "digest of the metadata removed": (
        _edit_json(lambda m: m.pop("metadata_sha256")),
        r"ecgbeat\.json does not match its SHA-256",
    ),
    "json not json": (
        lambda c: {**c, "ecgbeat.json": b"{not json"},
        r"damaged or not a model file",
    ),
    "json a list": (lambda c: {**c, "ecgbeat.json": b"[1, 2]"}, r"ecgbeat\.json is not ecgbeat's"),
    "no digests": (_edit_json(lambda m: m.update(sha256={})), r"records no checksums"),
    "entry removed": (
        lambda c: {k: v for k, v in c.items() if k != "model.weights.h5"},
        r"lacks \['model\.weights\.h5'\]: it is truncated",
    ),
    "entry added": (
        lambda c: {**c, "extra.py": b"print(1)"},
        r"unexpected entries \['extra\.py'\]",
    ),
    "metadata removed": (
        lambda c: {k: v for k, v in c.items() if k != "ecgbeat.json"},
        r"not a model saved by ecgbeat",
    ),
    "future format": (
        _edit_json(lambda m: m.update(format_version=99)),
        r"format version 99; this ecgbeat reads versions 2",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampered_file_is_refused(saved, tmp_path, case):
    damage, message = TAMPERING[case]
    path = tmp_path / "tampered.keras"
    write_entries(path, damage(entries(saved)))
    before = path.read_bytes()
    with pytest.raises(ModelFileError, match=message) as info:
        HeartbeatCNNClassifier.load(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before


@pytest.mark.parametrize("keep", [0, 10, 0.5, 0.99])
def test_truncated_file_is_refused(saved, tmp_path, keep):
    data = saved.read_bytes()
    n = keep if isinstance(keep, int) else int(len(data) * keep)
    path = tmp_path / "cut.keras"
    path.write_bytes(data[:n])
    with pytest.raises(ModelFileError, match=r"cut\.keras"):
        HeartbeatCNNClassifier.load(path)


def test_a_damaged_compressed_entry_is_a_model_file_error(saved, tmp_path):
    # zlib's own error escaped (the CLI: "error: Error -3 while decompressing data"), naming
    # neither the file nor what was wrong with it.
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as archive:
        info = archive.getinfo("ecgbeat.json")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start] |= 0b110  # the first block's type: 3, which deflate reserves
    path = tmp_path / "damaged.keras"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"damaged\.keras' is damaged or not a model file"):
        HeartbeatCNNClassifier.load(path)


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [(8, 99, "compression method is not supported"), (6, 1, "is encrypted")],
)
def test_an_entry_that_zipfile_cannot_read_is_a_model_file_error(
    saved, tmp_path, field, value, why
):
    # NotImplementedError and RuntimeError escaped: not a ModelFileError, no file named.
    import struct

    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as archive:
        info = archive.getinfo("ecgbeat.json")
    central = data.index(b"ecgbeat.json", data.index(b"PK\x01\x02")) - 46
    # The same field of the local header and of the central directory's entry (2 bytes more
    # in: its "version made by"): the compression method, or the flags (bit 0: encrypted).
    for at in (info.header_offset + field, central + field + 2):
        data[at : at + 2] = struct.pack("<H", value)
    path = tmp_path / "odd.keras"
    path.write_bytes(bytes(data))
    with pytest.raises(
        ModelFileError, match=rf"odd\.keras' is damaged or not a model file: .*{why}"
    ):
        HeartbeatCNNClassifier.load(path)


def test_an_older_format_cannot_skip_the_metadata_digest(saved, tmp_path):
    # Version 1 had no digest of the metadata: a file claiming it could carry edited metadata.
    contents = entries(saved)
    metadata = json.loads(contents["ecgbeat.json"])
    metadata.pop("metadata_sha256")
    metadata["format_version"] = 1
    metadata["classes"].reverse()
    path = tmp_path / "v1.keras"
    write_entries(path, {**contents, "ecgbeat.json": json.dumps(metadata).encode()})
    with pytest.raises(ModelFileError, match=r"format version 1; this ecgbeat reads versions 2"):
        HeartbeatCNNClassifier.load(path)


def _redigested(saved: Path, path: Path, edit) -> Path:
    """A copy of ``saved`` whose metadata ``edit`` changed, with every digest recomputed."""
    contents = entries(saved)
    metadata = json.loads(contents["ecgbeat.json"])
    metadata.pop("metadata_sha256")
    edit(metadata)
    canonical = json.dumps(metadata, sort_keys=True, separators=(",", ":")).encode()
    metadata["metadata_sha256"] = hashlib.sha256(canonical).hexdigest()
    write_entries(path, {**contents, "ecgbeat.json": json.dumps(metadata).encode()})
    return path


BAD_FIELDS = {
    "classes duplicated": (
        lambda m: m.update(classes=["APB", "APB", "normal"]),
        "distinct and sorted",
    ),
    "classes reordered": (
        lambda m: m.update(classes=["normal", "PVC", "APB"]),
        "distinct and sorted",
    ),
    "classes of another type": (lambda m: m.update(classes=[1, 2, 3]), "not all of type"),
    "classes NaN": (
        lambda m: m.update(classes=[0.5, float("nan"), 2.0], classes_dtype="<f8"),
        "do not fit <f8",
    ),
    "classes dtype enormous": (lambda m: m.update(classes_dtype="S300000000"), "classes_dtype"),
    "classes dtype an object": (lambda m: m.update(classes_dtype="|O"), "classes_dtype"),
    "classes as objects a number": (lambda m: m.update(classes_as_objects=1), "classes_as_obj"),
    "classes as objects for numbers": (
        lambda m: m.update(classes=[1, 2, 3], classes_dtype="<i8", classes_as_objects=True),
        "classes_as_objects",
    ),
    "n_features_in text": (lambda m: m.update(n_features_in="48"), "n_features_in"),
    "history of text": (lambda m: m.update(history={"loss": ["low"]}), "history"),
    "best epoch after the last": (lambda m: m.update(best_epoch=99), "best_epoch"),
    "precision unknown": (lambda m: m.update(precision="float8"), "precision"),
    "sampling rate zero": (lambda m: m.update(sampling_rates=[0, 1, 1]), "sampling_rates"),
    "trainable numbers": (lambda m: m.update(trainable=[1, 0]), "trainable"),
    "params a list": (lambda m: m.update(params=[1]), "params"),
    "feature names too few": (lambda m: m.update(feature_names_in=["a"]), "feature_names_in"),
    "feature names numbers": (
        lambda m: m.update(feature_names_in=list(range(48))),
        "feature_names_in",
    ),
    "metadata requests a list": (lambda m: m.update(metadata_requests=[1]), "metadata_requests"),
    "metadata request a number": (
        lambda m: m.update(metadata_requests={"fit": {"groups": 1}}),
        "metadata_requests",
    ),
    "metadata request of unknown metadata": (
        lambda m: m.update(metadata_requests={"fit": {"weights": True}}),
        "fit takes no metadata 'weights'",
    ),
    "path_params not a list": (lambda m: m.update(path_params="pretrained"), "path_params"),
    "path_params naming no parameter": (
        lambda m: m.update(path_params=["no_such"]),
        "does not describe a classifier: KeyError",
    ),
    "path_params naming a number": (
        lambda m: m.update(path_params=["epochs"]),
        "epochs is listed as a path but is not text",
    ),
    # Numbers beyond NumPy's types (a state key below 0) escaped as an OverflowError.
    "random state keys out of range": (
        lambda m: m["params"].update(
            random_state={
                "RandomState": "MT19937",
                "keys": [-1] * 624,
                "pos": 624,
                "has_gauss": 0,
                "cached_gaussian": 0.0,
            }
        ),
        "does not describe a classifier: OverflowError",
    ),
    "random state position beyond a C long": (
        lambda m: m["params"].update(
            random_state={
                "RandomState": "MT19937",
                "keys": [0] * 624,
                "pos": 2**70,
                "has_gauss": 0,
                "cached_gaussian": 0.0,
            }
        ),
        "does not describe a classifier: OverflowError",
    ),
    "metadata request of an unknown method": (
        lambda m: m.update(metadata_requests={"explain": {"groups": True}}),
        "unknown method 'explain'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FIELDS))
def test_metadata_fields_are_checked_on_load(saved, tmp_path, case):
    edit, message = BAD_FIELDS[case]
    path = _redigested(saved, tmp_path / "bad.keras", edit)
    with pytest.raises(ModelFileError, match=message) as info:
        HeartbeatCNNClassifier.load(path)
    assert "bad.keras" in str(info.value)


def test_nan_weights_are_refused(fitted, tmp_path, monkeypatch):
    from ecgbeat import persistence

    def poisoned(weights):
        weights = [w.copy() for w in weights]
        weights[0][0, 0, 0] = np.nan
        return weights

    clf = pickle.loads(pickle.dumps(fitted[0]))
    finite = clf.model_.get_weights()
    clf.model_.set_weights(poisoned(finite))
    with pytest.raises(ValueError, match="NaN or infinite"):
        clf.save(tmp_path / "nan.keras")
    assert not (tmp_path / "nan.keras").exists()
    # A file that holds them all the same (written by other code) is refused by load.
    clf.model_.set_weights(finite)
    copy_of = persistence._weights_only_copy

    def copy_with_nan(model):
        copy = copy_of(model)
        copy.set_weights(poisoned(copy.get_weights()))
        return copy

    monkeypatch.setattr(persistence, "_weights_only_copy", copy_with_nan)
    clf.save(tmp_path / "nan.keras")
    monkeypatch.undo()
    with pytest.raises(ModelFileError, match="NaN or infinite weights"):
        HeartbeatCNNClassifier.load(tmp_path / "nan.keras")


def test_a_compression_bomb_is_refused_before_it_is_inflated(saved, tmp_path):
    path = tmp_path / "bomb.keras"
    contents = entries(saved)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
        archive.writestr("padding.bin", bytes(200 << 20))  # 200 MiB of zeros, about 200 kB packed
    assert path.stat().st_size < 3 << 20
    with pytest.raises(ModelFileError, match="compression bomb"):
        HeartbeatCNNClassifier.load(path)


def test_deeply_nested_metadata_is_a_clear_error(saved, tmp_path):
    contents = entries(saved)
    path = tmp_path / "deep.keras"
    write_entries(path, {**contents, "ecgbeat.json": b"[" * 100_000 + b"]" * 100_000})
    with pytest.raises(ModelFileError, match="damaged or not a model file"):
        HeartbeatCNNClassifier.load(path)


def test_a_folder_or_a_pipe_is_not_a_model_file(tmp_path):
    with pytest.raises(ModelFileError, match="not a regular file"):
        HeartbeatCNNClassifier.load(tmp_path)
    fifo = tmp_path / "pipe.keras"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        HeartbeatCNNClassifier.load(fifo)


def test_forged_metadata_that_contradicts_the_network(saved, tmp_path):
    contents = entries(saved)
    keras_only = tmp_path / "keras_only.keras"
    write_entries(keras_only, {k: v for k, v in contents.items() if k != "ecgbeat.json"})
    path = tmp_path / "forged.keras"
    forge(keras_only, saved, path)
    metadata = json.loads(entries(path)["ecgbeat.json"])
    assert (
        HeartbeatCNNClassifier.load(path).classes_.size == 3
    )  # the forgery itself is a valid file
    for key, value, message in [
        ("classes", ["a", "b"], r"maps 48 samples to 3 classes.*2 classes"),
        ("params", {"no_such_parameter": 1}, r"metadata does not describe a classifier"),
        ("classes_dtype", "not a dtype", r"classes_dtype 'not a dtype' is not"),
    ]:
        template = tmp_path / f"template-{key}.keras"
        edited = {**metadata, key: value}
        if key == "classes":
            edited["sampling_rates"] = [1.0, 1.0]
        edited.pop("metadata_sha256")
        canonical = json.dumps(edited, sort_keys=True, separators=(",", ":")).encode()
        edited["metadata_sha256"] = hashlib.sha256(canonical).hexdigest()
        write_entries(template, {**contents, "ecgbeat.json": json.dumps(edited).encode()})
        with pytest.raises(ModelFileError, match=message):
            HeartbeatCNNClassifier.load(template)
        if key == "classes":  # from_pretrained checks the network against its metadata too
            with pytest.raises(ModelFileError, match=message):
                HeartbeatCNNClassifier.from_pretrained(template)


def test_lambda_layer_with_code_is_refused_and_never_runs(saved, tmp_path):
    marker = tmp_path / "code-ran"
    # A self-contained lambda, as an attacker would write it: the path is a literal in its code.
    code = eval(f"lambda t: (open({str(marker)!r}, 'w').write('the file code ran'), t)[1]")
    inputs = keras.Input((48, 1))
    x = keras.layers.Lambda(code, output_shape=(48, 1))(inputs)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    evil = tmp_path / "evil-keras.keras"
    keras.Model(inputs, outputs).save(evil)
    marker.unlink(missing_ok=True)  # building may have run the payload; only loading matters
    path = tmp_path / "evil.keras"
    forge(evil, saved, path)
    read_metadata(path)  # every digest is correct: only the safe mode stands in the way
    with pytest.raises(ModelFileError, match=r"Keras could not load .*evil\.keras.*Lambda"):
        HeartbeatCNNClassifier.load(path)
    assert not marker.exists()
    # The payload is live: outside safe mode, Keras runs it (this is what safe mode prevents).
    keras.saving.load_model(path, safe_mode=False)(np.zeros((1, 48, 1), np.float32))
    assert marker.read_text() == "the file code ran"


def test_config_importing_another_module_is_refused(saved, tmp_path):
    # A config that names any module to import (here `this`, which prints on import).
    assert "this" not in sys.modules
    contents = entries(saved)
    config = json.loads(contents["config.json"])
    layer = next(la for la in config["config"]["layers"] if la["class_name"] == "Conv1D")
    layer["module"] = "this"
    keras_file = tmp_path / "module.keras"
    write_entries(
        keras_file,
        {
            **{k: v for k, v in contents.items() if k != "ecgbeat.json"},
            "config.json": json.dumps(config).encode(),
        },
    )
    path = tmp_path / "forged-module.keras"
    forge(keras_file, saved, path)
    with pytest.raises(ModelFileError, match="Keras could not load"):
        HeartbeatCNNClassifier.load(path)
    assert "this" not in sys.modules


def test_wrong_suffix_and_missing_file(fitted, saved, tmp_path):
    clf = fitted[0]
    for name in ("model.h5", "model.pkl", "model"):
        with pytest.raises(ValueError, match=r"must end in '\.keras'; got .*" + name):
            clf.save(tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    # A verified file is recognised by its content, not its name.
    renamed = tmp_path / "model.zip"
    renamed.write_bytes(saved.read_bytes())
    assert HeartbeatCNNClassifier.load(renamed).classes_.tolist() == clf.classes_.tolist()
    renamed.unlink()
    with pytest.raises(ModelFileError, match=r"nope\.keras.*does not exist"):
        HeartbeatCNNClassifier.load(tmp_path / "nope.keras")
    pickled = tmp_path / "model.keras"
    pickled.write_bytes(b"\x80\x04\x95 a pickle, not a zip")
    with pytest.raises(ModelFileError, match=r"damaged or not a model file"):
        HeartbeatCNNClassifier.load(pickled)


def test_pickling_a_pretrained_resnet_rebuilds_the_same_network():
    # The shipped resnet has no dropout layer; rebuilt from today's dropout=0.05 it gained one.
    from ecgbeat.datasets import load_sample

    X, _ = load_sample(return_X_y=True)
    clf = HeartbeatCNNClassifier.from_pretrained("mitbih-resnet")
    copy = pickle.loads(pickle.dumps(clf))
    assert [layer.name for layer in copy.model_.layers] == [
        layer.name for layer in clf.model_.layers
    ]
    np.testing.assert_array_equal(copy.predict_proba(X[:200]), clf.predict_proba(X[:200]))


def test_model_files_are_written_and_read_without_the_estimator(tmp_path):
    # The file layer knows nothing of HeartbeatCNNClassifier: a network and its fields, in a
    # fresh process that never imports the estimator's module.
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from ecgbeat.networks import build_network\n"
        "from ecgbeat.persistence import read_model_file, write_model_file\n"
        "model = build_network('cnn', 16, 2, seed=0)\n"
        "fields = {'params': {'epochs': np.int64(3)}, 'classes': ['a', 'b'],\n"
        "          'classes_dtype': '<U1', 'n_features_in': 16, 'history': {'loss': [0.5]},\n"
        "          'best_epoch': 1, 'n_epochs': 1, 'extra': None}\n"
        f"path = write_model_file(model, fields, {str(tmp_path / 'net.keras')!r})\n"
        "loaded, metadata = read_model_file(path)\n"
        "x = np.random.default_rng(0).random((3, 16, 1)).astype('float32')\n"
        "assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))\n"
        "assert metadata['params'] == {'epochs': 3} and metadata['classes'] == ['a', 'b']\n"
        "assert len(metadata['trainable']) == len(model.layers)\n"
        "assert 'ecgbeat.classifier' not in sys.modules, 'the file layer imported the estimator'\n"
    )
    import subprocess

    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"classes_dtype": None}, "classes_dtype None is not"),
        ({"classes": ["a"]}, "classes must be a list of at least 2 labels"),
        ({"classes": ["b", "a"]}, "classes must be distinct and sorted"),
        ({"best_epoch": 5}, "best_epoch 5 and n_epochs 1"),
        ({"history": {"loss": ["low"]}}, "history must map names to lists of numbers"),
    ],
)
def test_fields_that_read_refuses_are_never_written(tmp_path, change, message):
    """write_model_file wrote such a file, which read_model_file then refused, over a file that
    could be read."""
    from ecgbeat.networks import build_network
    from ecgbeat.persistence import read_model_file, write_model_file

    model = build_network("cnn", 16, 2, seed=0)
    fields = {
        "params": {},
        "classes": ["a", "b"],
        "classes_dtype": "<U1",
        "n_features_in": 16,
        "history": {"loss": [0.5]},
        "best_epoch": 1,
        "n_epochs": 1,
        "extra": None,
    }
    path = write_model_file(model, fields, tmp_path / "net.keras")
    before = path.read_bytes()
    with pytest.raises(ValueError, match=rf"cannot save '.*net\.keras': ecgbeat\.json: {message}"):
        write_model_file(model, {**fields, **change}, path)
    assert path.read_bytes() == before
    assert read_model_file(path)[1]["classes"] == ["a", "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.keras"]


def test_a_file_replaced_while_it_loads_gives_one_files_metadata_and_network(tmp_path):
    """The file was read twice, to verify it and then to load the network: a save to the same
    path in between (a training job writing its model as a monitor reloads it) gave the classes
    and parameters of one file with the network of the other."""
    from ecgbeat import persistence

    X, y = make_synthetic_beats(n_per_class=10, n_samples=16)
    first = HeartbeatCNNClassifier(epochs=1, validation_fraction=0, random_state=0).fit(X, y)
    second = HeartbeatCNNClassifier(epochs=1, validation_fraction=0, random_state=1).fit(
        X, np.char.lower(y)
    )
    path, newer = tmp_path / "model.keras", tmp_path / "newer.keras"
    first.save(path)
    second.save(newer)
    load_model = keras.saving.load_model

    def replaced_then_loaded(*args, **kwargs):
        if newer.exists():
            os.replace(newer, path)  # the other process's save, between the two reads
        return load_model(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keras.saving, "load_model", replaced_then_loaded)
        loaded = HeartbeatCNNClassifier.load(path)
    assert not newer.exists()  # the replacement did happen while loading
    np.testing.assert_array_equal(loaded.classes_, first.classes_)
    for weights, expected in zip(
        loaded.model_.get_weights(), first.model_.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(weights, expected)
    assert persistence.read_metadata(path)["classes"] == second.classes_.tolist()


def _foreign(inputs, outputs):
    return keras.Model(inputs, outputs)


#: The fields of a model file around a network that ecgbeat did not build (16 samples, 2 classes).
_FOREIGN_FIELDS = {
    "params": {"architecture": "cnn"},
    "classes": ["a", "b"],
    "classes_dtype": "<U1",
    "n_features_in": 16,
    "history": {},
    "best_epoch": 0,
    "n_epochs": 0,
    "extra": None,
}


def test_a_network_of_another_shape_is_refused_on_loading(tmp_path):
    """A network that write_model_file saved but that takes or gives other shapes loaded, and
    failed only in predict, in TensorFlow's words; a layer of another kind named "beat_part"
    (the rhythm networks' crop) failed as an AttributeError."""
    from ecgbeat.persistence import write_model_file

    fields = dict(_FOREIGN_FIELDS)
    flat, beats = keras.Input((16,)), keras.Input((16, 1))
    for name, model, shapes in [
        (
            "rows",
            _foreign(flat, keras.layers.Dense(2, activation="softmax")(flat)),
            r"\(None, 16\) to",
        ),
        (
            "per sample",
            _foreign(beats, keras.layers.Dense(2, activation="softmax")(beats)),
            r"\(None, 16, 1\) to outputs of shape \(None, 16, 2\)",
        ),
    ]:
        path = write_model_file(model, fields, tmp_path / f"{name}.keras")
        for load in (HeartbeatCNNClassifier.load, HeartbeatCNNClassifier.from_pretrained):
            with pytest.raises(
                ModelFileError, match=rf"{name}\.keras'.*{shapes}.*\(None, 16, 1\) to \(None, 2\)"
            ):
                load(path)
    # A network of no known architecture, whose parameters name none: a KeyError escaped.
    model = _foreign(
        beats, keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(beats))
    )
    path = write_model_file(model, {**fields, "params": {}}, tmp_path / "unnamed.keras")
    with pytest.raises(ModelFileError, match=r"unnamed\.keras'.*parameters name no architecture"):
        HeartbeatCNNClassifier.from_pretrained(path)
    named = keras.layers.Dense(4, name="beat_part")(keras.layers.Flatten()(beats))
    model = _foreign(beats, keras.layers.Dense(2, activation="softmax")(named))
    path = write_model_file(model, fields, tmp_path / "named.keras")
    x = np.random.default_rng(0).random((3, 16))
    for load in (HeartbeatCNNClassifier.load, HeartbeatCNNClassifier.from_pretrained):
        clf = load(path)
        assert clf.n_rr_features == 0
        assert clf.predict_proba(x).shape == (3, 2)


def test_a_network_that_does_not_end_in_a_softmax_is_neither_written_nor_loaded(tmp_path):
    """A network with a linear output was written and loaded: its predict_proba gave numbers
    that were no probabilities (negative, rows not summing to 1)."""
    from ecgbeat.persistence import write_model_file

    fields = dict(_FOREIGN_FIELDS)
    beats = keras.Input((16, 1))
    flat = keras.layers.Flatten()(beats)
    linear = _foreign(beats, keras.layers.Dense(2, name="scores")(flat))
    path = tmp_path / "model.keras"
    path.write_bytes(b"the user's model")
    with pytest.raises(
        ValueError,
        match=r"model\.keras'.*'scores' \(Dense with activation 'linear'\), not a softmax",
    ):
        write_model_file(linear, fields, path)
    assert path.read_bytes() == b"the user's model"
    # A file written before: the same network with metadata whose digests are all correct.
    softmax = _foreign(beats, keras.layers.Dense(2, activation="softmax")(flat))
    template = write_model_file(softmax, fields, tmp_path / "template.keras")
    linear.save(tmp_path / "linear-keras.keras")
    forge(tmp_path / "linear-keras.keras", template, tmp_path / "linear.keras")
    for load in (HeartbeatCNNClassifier.load, HeartbeatCNNClassifier.from_pretrained):
        with pytest.raises(ModelFileError, match=r"linear\.keras'.*'scores'.*not a softmax"):
            load(tmp_path / "linear.keras")
    # A Softmax layer after the scores is a softmax too.
    probabilities = _foreign(beats, keras.layers.Softmax()(keras.layers.Dense(2)(flat)))
    path = write_model_file(probabilities, fields, tmp_path / "softmax-layer.keras")
    proba = HeartbeatCNNClassifier.load(path).predict_proba(np.zeros((3, 16)))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
