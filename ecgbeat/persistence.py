"""Model files without pickle: Keras' native format plus ecgbeat's metadata.

This module reads and writes files; it knows nothing of the estimator, which uses it
(:meth:`HeartbeatCNNClassifier.save <ecgbeat.HeartbeatCNNClassifier.save>` and
:meth:`~ecgbeat.HeartbeatCNNClassifier.load`). A saved model is one ``.keras`` file: the zip
archive that Keras writes (network configuration and weights), with one more entry,
``ecgbeat.json``, that holds the estimator's parameters, its classes,
its training history, the SHA-256 of each Keras entry and, in ``metadata_sha256``, the SHA-256 of
the metadata itself (of ``json.dumps(metadata, sort_keys=True, separators=(",", ":"))`` without
that key). Loading checks those digests, so a damaged, truncated or hand-edited file is refused
with :class:`~ecgbeat.exceptions.ModelFileError`, then rebuilds the network in Keras' safe mode,
which never runs code from the file. The digests are not a signature: whoever can write the file
can recompute them. What makes loading an untrusted file safe is the safe mode, not the digests.

Pickle and joblib files of an estimator work too, but they can run arbitrary code when loaded:
load those only from sources you trust.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from ecgbeat import HeartbeatCNNClassifier
>>> rng = np.random.default_rng(0)
>>> X, y = rng.random((40, 16)), np.repeat([0, 1], 20)
>>> clf = HeartbeatCNNClassifier(epochs=1, random_state=0).fit(X, y)
>>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
>>> clf.save(path)
>>> restored = HeartbeatCNNClassifier.load(path)
>>> bool(np.array_equal(restored.predict_proba(X), clf.predict_proba(X)))
True
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ecgbeat._atomic import replacing
from ecgbeat._backend import import_keras
from ecgbeat._version import __version__
from ecgbeat.exceptions import ModelFileError

if TYPE_CHECKING:  # pragma: no cover
    import keras

__all__ = [
    "FORMAT_VERSION",
    "MAX_LABEL_ITEMSIZE",
    "MAX_LABEL_LENGTH",
    "read_metadata",
    "read_model_file",
    "write_model_file",
]

#: Version of the ``ecgbeat.json`` layout; bumped when it changes incompatibly.
FORMAT_VERSION = 2
#: Versions this ecgbeat reads. Version 1 (files saved before 2026-11-26) had no digest of the
#: metadata, so a file could pass as version 1 to skip that check: it is refused.
READABLE_VERSIONS = (2,)
_METADATA = "ecgbeat.json"
#: Bounds on what a model file may make ecgbeat read: the uncompressed entries together at most
#: this many times the file's size (a compression bomb is refused before it is inflated) plus
#: a margin, and the metadata at most this many bytes.
_MAX_INFLATION, _INFLATION_MARGIN = 20, 1 << 20
_MAX_METADATA_BYTES = 16 << 20
#: The longest text label a file may declare (``classes_dtype``), in characters.
MAX_LABEL_LENGTH = 4096
#: The itemsize of the longest text labels' dtype: NumPy text takes 4 bytes a character.
MAX_LABEL_ITEMSIZE = 4 * MAX_LABEL_LENGTH


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _metadata_digest(metadata: dict[str, Any]) -> str:
    canonical = json.dumps(metadata, sort_keys=True, separators=(",", ":"))
    return _sha256(canonical.encode())


def _jsonable(value: Any, where: str = "a value") -> Any:
    """Parameters and classes as JSON; anything that is not plain data is refused.

    ``where`` names ``value`` in the error: the field and the keys that lead to it.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"cannot save {where}: a value of type {type(value).__name__} ({value!r}); a model file "
        "keeps numbers, text, booleans, None, paths, and lists and dicts of them"
    )


def has_finite_weights(model: keras.Model) -> bool:
    """Whether every weight of ``model`` is a finite number (a diverged network's are not)."""
    return all(np.isfinite(weights).all() for weights in model.get_weights())


def _ends_in_softmax(model: keras.Model) -> bool:
    """Whether ``model`` has one output, computed by a softmax: a probability per class.

    A single-output network's output layer is the last of its layers; it is a ``Softmax`` layer or
    a layer whose activation is the softmax (the ``Dense`` output of ecgbeat's networks).
    """
    keras = import_keras()

    if len(model.outputs) != 1 or not model.layers:
        return False
    last = model.layers[-1]
    if isinstance(last, keras.layers.Softmax):
        return True
    activation = getattr(last, "activation", None)
    return activation is not None and keras.activations.serialize(activation) == "softmax"


def _not_softmax(model: keras.Model) -> str:
    """What ``model`` ends in instead of a softmax, in words."""
    last = model.layers[-1] if model.layers else None
    activation = getattr(last, "activation", None)
    named = (
        f" with activation {getattr(activation, '__name__', activation)!r}" if activation else ""
    )
    ending = f"layer {last.name!r} ({type(last).__name__}{named})" if last else "no layer"
    return (
        f"the network ends in {ending}, not a softmax: its outputs would be read as probabilities "
        "(predict_proba, the training loss) that they are not"
    )


def _weights_only_copy(model: keras.Model) -> keras.Model:
    """An uncompiled copy of ``model``: the file then holds no optimizer state (a third the size)."""
    keras = import_keras()

    # Not keras.models.clone_model: it carries a compiled model's optimizer over to the copy.
    copy = keras.Model.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    for source, target in zip(model.layers, copy.layers, strict=True):
        target.trainable = source.trainable
    return copy


def write_model_file(model: keras.Model, fields: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write a network and the fields that describe it to ``path`` (a ``.keras`` file), atomically.

    An existing file at ``path`` is replaced only once the new one is complete. The network is
    saved without its optimizer state; each layer's ``trainable`` flag, the format version, the
    ecgbeat version and the SHA-256 digests are added to ``fields``.

    Parameters
    ----------
    model : keras.Model
        The network.
    fields : dict
        What the estimator records of itself (``params``, ``classes``, ``classes_dtype``,
        ``n_features_in``, ``history``, ``best_epoch``, ``n_epochs``...), checked before
        anything is written as :func:`read_metadata` checks them when the file is read. Plain
        data only: NumPy scalars and paths are converted, anything else is refused with a
        ``TypeError``.
    path : str or path-like
        Destination; must end in ``.keras``.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        If ``path`` does not end in ``.keras``, the network's weights are NaN or infinite, it
        does not end in a softmax (one probability per class), or ``fields`` are not what
        :func:`read_metadata` reads (a file that could not be loaded is never written, and an
        existing file is left as it is).
    TypeError
        If ``fields`` hold something other than plain data.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"a saved ecgbeat model must end in '.keras'; got {str(path)!r}")
    # Named as the estimator knows them: "extra" is its model_card_.
    fields = {
        key: _jsonable(value, "the model card" if key == "extra" else key)
        for key, value in fields.items()
    }
    if not has_finite_weights(model):
        # read_model_file refuses such a file: never write one.
        raise ValueError("cannot save a network whose weights are NaN or infinite")
    if not _ends_in_softmax(model):
        # read_model_file refuses it too: never write a file that cannot be loaded.
        raise ValueError(f"cannot save {str(path)!r}: {_not_softmax(model)}")
    trainable = [layer.trainable for layer in model.layers]
    try:
        _check_fields({**fields, "trainable": trainable}, f"cannot save {str(path)!r}")
    except ModelFileError as error:
        # read_metadata refuses such fields: the file could never be loaded, and it would have
        # replaced a file that could.
        raise ValueError(str(error)) from None
    with replacing(path, suffix=".keras") as tmp:
        _weights_only_copy(model).save(str(tmp))
        with zipfile.ZipFile(tmp) as archive:
            digests = {name: _sha256(archive.read(name)) for name in archive.namelist()}
        metadata = {
            "format_version": FORMAT_VERSION,
            "ecgbeat_version": __version__,
            **fields,
            "trainable": trainable,
            "sha256": digests,
        }
        metadata["metadata_sha256"] = _metadata_digest(metadata)
        with zipfile.ZipFile(tmp, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_METADATA, json.dumps(metadata, indent=1))
    return path


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """Read and verify the metadata of a saved model, without building the network.

    Raises
    ------
    ModelFileError
        If the file is missing, is not a model saved by ecgbeat, or its contents do not match
        their recorded SHA-256 digests.
    """
    path = Path(path)
    _check_is_file(path)
    return _verified_metadata(path, path)


def _check_is_file(path: Path) -> None:
    if not path.exists():
        raise ModelFileError(f"model file {str(path)!r} does not exist")
    if not path.is_file():
        raise ModelFileError(
            f"model file {str(path)!r} is not a regular file (a folder, pipe or device)"
        )


def _verified_metadata(source: Path, path: Path) -> dict[str, Any]:
    """:func:`read_metadata` of the file ``source``, whose errors name it ``path`` (the user's
    file, when ``source`` is a copy of it)."""
    try:
        with zipfile.ZipFile(source) as archive:
            # Sizes as the archive declares them, checked before anything is inflated; zipfile
            # refuses to read an entry past its declared size.
            declared = sum(info.file_size for info in archive.infolist())
            size = source.stat().st_size
            limit = _MAX_INFLATION * size + _INFLATION_MARGIN
            if declared > limit:
                raise ModelFileError(
                    f"model file {str(path)!r} declares {declared} bytes of content in a file "
                    f"of {size}: refused as a compression bomb"
                )
            names = set(archive.namelist())
            if _METADATA not in names:
                raise ModelFileError(
                    f"{str(path)!r} is not a model saved by ecgbeat (no {_METADATA} inside)"
                )
            if archive.getinfo(_METADATA).file_size > _MAX_METADATA_BYTES:
                raise ModelFileError(f"model file {str(path)!r}: {_METADATA} is too large")
            metadata = json.loads(archive.read(_METADATA))
            if not isinstance(metadata, dict) or not isinstance(metadata.get("sha256"), dict):
                raise ModelFileError(f"model file {str(path)!r}: {_METADATA} is not ecgbeat's")
            digests = metadata["sha256"]
            if not digests:
                raise ModelFileError(f"{str(path)!r} records no checksums; refusing to load it")
            missing = sorted(set(digests) - names)
            if missing:
                raise ModelFileError(f"model file {str(path)!r} lacks {missing}: it is truncated")
            for name, expected in digests.items():
                if _entry_sha256(archive, name) != expected:
                    raise ModelFileError(
                        f"model file {str(path)!r}: {name} does not match its SHA-256; the file "
                        "was modified or damaged"
                    )
            unexpected = sorted(names - set(digests) - {_METADATA})
            if unexpected:
                raise ModelFileError(
                    f"model file {str(path)!r} has unexpected entries {unexpected}"
                )
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,  # a damaged compressed entry, before its CRC is checked
        NotImplementedError,  # an entry compressed by a method that zipfile does not read
        RuntimeError,  # an encrypted entry (and RecursionError, deeply nested JSON)
        EOFError,
        OSError,
        UnicodeDecodeError,
        json.JSONDecodeError,
        KeyError,
        ValueError,
        TypeError,
    ) as error:
        if isinstance(error, ModelFileError):
            raise
        raise ModelFileError(
            f"model file {str(path)!r} is damaged or not a model file: {error}"
        ) from error
    version = metadata.get("format_version")
    if version not in READABLE_VERSIONS:
        raise ModelFileError(
            f"model file {str(path)!r} has format version {version}; this ecgbeat reads "
            f"versions {', '.join(map(str, READABLE_VERSIONS))}"
        )
    if metadata.pop("metadata_sha256", None) != _metadata_digest(metadata):
        raise ModelFileError(
            f"model file {str(path)!r}: {_METADATA} does not match its SHA-256; the file was "
            "modified or damaged"
        )
    _check_fields(metadata, f"model file {str(path)!r}")
    return metadata


def _entry_sha256(archive: zipfile.ZipFile, name: str) -> str:
    """SHA-256 of an archive entry, read in chunks (memory stays bounded whatever its size)."""
    digest = hashlib.sha256()
    with archive.open(name) as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_fields(metadata: dict[str, Any], where: str) -> None:
    """Refuse metadata whose fields are not what the estimator writes.

    The digests only say that the file is as it was written; whoever wrote it could have written
    NaN, duplicated or unsorted classes or values of the wrong type, which would load and predict
    nonsense.
    """

    def fail(message: str):
        raise ModelFileError(f"{where}: {_METADATA}: {message}")

    dtype_text = metadata.get("classes_dtype")
    try:
        dtype = np.dtype(dtype_text) if isinstance(dtype_text, str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in "biufU" or dtype.itemsize > MAX_LABEL_ITEMSIZE:
        fail(
            f"classes_dtype {dtype_text!r} is not a boolean, integer, float or text type of labels"
        )
    classes = metadata.get("classes")
    if not isinstance(classes, list) or len(classes) < 2:
        fail("classes must be a list of at least 2 labels")
    kind_check = {"U": lambda c: isinstance(c, str), "b": lambda c: isinstance(c, bool)}
    if not all(kind_check.get(dtype.kind, _is_number)(c) for c in classes):
        fail(f"classes {classes[:10]} are not all of type {dtype_text}")
    try:
        labels = np.asarray(classes, dtype=dtype)
    except (ValueError, OverflowError):
        fail(f"classes {classes[:10]} do not fit {dtype_text}")
    if labels.tolist() != classes or (dtype.kind == "f" and not np.isfinite(labels).all()):
        fail(f"classes {classes[:10]} do not fit {dtype_text}")
    if not np.array_equal(np.unique(labels), labels):
        fail("classes must be distinct and sorted, as fit makes them")
    as_objects = metadata.get("classes_as_objects", False)
    if not isinstance(as_objects, bool) or (as_objects and dtype.kind != "U"):
        fail(
            f"classes_as_objects must be true or false, and true only for text labels; got {as_objects!r}"
        )
    n_features = metadata.get("n_features_in")
    if not (isinstance(n_features, int) and not isinstance(n_features, bool) and n_features >= 1):
        fail(f"n_features_in must be a positive integer, got {n_features!r}")
    if not isinstance(metadata.get("params"), dict):
        fail("params must be a mapping")
    history = metadata.get("history")
    if not isinstance(history, dict) or not all(
        isinstance(v, list) and all(_is_number(x) for x in v) for v in history.values()
    ):
        fail("history must map names to lists of numbers")
    best, n_epochs = metadata.get("best_epoch"), metadata.get("n_epochs")
    if not (
        isinstance(best, int)
        and isinstance(n_epochs, int)
        and not isinstance(best, bool)
        and not isinstance(n_epochs, bool)
        and 0 <= best <= n_epochs
    ):
        fail(f"best_epoch {best!r} and n_epochs {n_epochs!r} must be integers, 0 <= best <= n")
    if metadata.get("precision", "float32") not in ("float32", "mixed_bfloat16"):
        fail(f"precision {metadata.get('precision')!r} is not float32 or mixed_bfloat16")
    rates = metadata.get("sampling_rates", [1.0] * len(classes))
    if not (
        isinstance(rates, list)
        and len(rates) == len(classes)
        and all(_is_number(r) and 0 < r <= 1 for r in rates)
    ):
        fail("sampling_rates must hold one rate in (0, 1] per class")
    trainable = metadata.get("trainable")
    if not (isinstance(trainable, list) and all(isinstance(t, bool) for t in trainable)):
        fail("trainable must be a list of true/false, one per layer")
    if not isinstance(metadata.get("extra"), dict | None):
        fail("extra (the model card) must be a mapping or null")
    # Fields added on 2026-12-01: files written before lack them, and load as they did then.
    names = metadata.get("feature_names_in")
    if names is not None and not (
        isinstance(names, list)
        and len(names) == n_features
        and all(isinstance(name, str) for name in names)
    ):
        fail(f"feature_names_in must be null or a list of {n_features} column names")
    requests = metadata.get("metadata_requests")
    if requests is not None and not (
        isinstance(requests, dict)
        and all(
            isinstance(method, dict)
            and all(alias is None or isinstance(alias, bool | str) for alias in method.values())
            for method in requests.values()
        )
    ):
        fail("metadata_requests must be null or map methods to {metadata: request}")
    path_params = metadata.get("path_params", [])
    if not (isinstance(path_params, list) and all(isinstance(n, str) for n in path_params)):
        fail("path_params must be a list of parameter names")


def read_model_file(path: str | os.PathLike) -> tuple[keras.Model, dict[str, Any]]:
    """Verify ``path`` and load its network in Keras' safe mode; return it with the metadata.

    The file is read once: the metadata and the network come from the same bytes, even when
    another process saves over ``path`` meanwhile.

    Raises
    ------
    ModelFileError
        As :func:`read_metadata`, and if Keras cannot load the network, its weights are not
        finite, it does not end in a softmax or its layers do not match the metadata.
    """
    keras = import_keras()

    path = Path(path)  # any os.PathLike, named in errors by its path, not its repr
    _check_is_file(path)
    with tempfile.TemporaryDirectory() as folder:
        # The file is read once, into a private copy that is verified and then loaded: read twice,
        # a save to the same path in between (atomic as it is) gave the verified metadata of one
        # file and the network of the other. Named .keras because Keras chooses its loader by the
        # name (.h5: the legacy HDF5 loader); the content is verified as the .keras format.
        copy = Path(folder) / "model.keras"
        try:
            shutil.copyfile(path, copy)
        except OSError as error:
            raise ModelFileError(f"model file {str(path)!r} could not be read: {error}") from error
        metadata = _verified_metadata(copy, path)
        try:
            model = keras.saving.load_model(copy, compile=False, safe_mode=True)
        except Exception as error:
            raise ModelFileError(f"Keras could not load {str(path)!r}: {error}") from error
    if not has_finite_weights(model):
        raise ModelFileError(f"model file {str(path)!r}: the network has NaN or infinite weights")
    if not _ends_in_softmax(model):
        # Written before write_model_file refused it: its predict_proba gave numbers that were
        # no probabilities (negative, not summing to 1) and its classes the argmax of those.
        raise ModelFileError(f"model file {str(path)!r}: {_not_softmax(model)}")
    trainable = metadata["trainable"]
    if len(trainable) != len(model.layers):
        raise ModelFileError(
            f"model file {str(path)!r}: trainable lists {len(trainable)} layers, the network "
            f"has {len(model.layers)}"
        )
    return model, metadata
