"""Pretrained heartbeat models that ship inside the package, and the loader behind ``pretrained``.

Each shipped model is a ``<name>.keras`` file written by :meth:`HeartbeatCNNClassifier.save` and a
``<name>.json`` model card: the data and split it was trained on, the preprocessing, the training
settings, its measured test metrics and the SHA-256 of the ``.keras`` file, checked on every load.
The weights were trained on data from PhysioNet's MIT-BIH Arrhythmia Database (ODC-By 1.0; see
:data:`ATTRIBUTION`).

Examples
--------
>>> from ecgbeat.pretrained import list_pretrained, model_card
>>> "mitbih" in list_pretrained()
True
>>> model_card("mitbih")["classes"]
[0, 1, 2, 3, 4]
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecgbeat.exceptions import ModelFileError
from ecgbeat.networks import network_structure
from ecgbeat.persistence import read_model_file

if TYPE_CHECKING:  # pragma: no cover
    import keras

__all__ = ["ATTRIBUTION", "PretrainedModel", "list_pretrained", "load", "model_card"]

_HERE = Path(__file__).resolve().parent
#: The card's keys about its weights file, which the card in that file does not hold.
_FILE_KEYS = ("file", "sha256")

#: The manifest of the cards' SHA-256, written with them by tools/train_pretrained.py.
_SUMS = "SHA256SUMS"

#: Attribution that travels with every model trained on MIT-BIH data (ODC-By 1.0).
ATTRIBUTION = (
    "Trained on the MIT-BIH Arrhythmia Database (PhysioNet), Open Data Commons Attribution "
    "License v1.0. Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng in "
    "Med and Biol 20(3):45-50 (2001). Goldberger AL et al. PhysioBank, PhysioToolkit, and "
    "PhysioNet. Circulation 101(23):e215-e220 (2000)."
)


@dataclass(frozen=True)
class PretrainedModel:
    """A loaded pretrained network with what is known about it."""

    model: keras.Model
    architecture: str
    classes: list
    metadata: dict[str, Any]


def list_pretrained() -> list[str]:
    """Names of the models that ship with ecgbeat.

    Examples
    --------
    >>> from ecgbeat.pretrained import list_pretrained
    >>> isinstance(list_pretrained(), list)
    True
    """
    return sorted(p.name[: -len(".json")] for p in _HERE.glob("*.json"))


def model_card(name: str) -> dict[str, Any]:
    """The model card of the shipped model ``name``.

    Examples
    --------
    >>> from ecgbeat.pretrained import model_card
    >>> model_card("mitbih")["architecture"]
    'cnn'
    """
    # Only the names of the cards shipped here: a path-like name never reaches another file.
    if name not in list_pretrained():
        raise ValueError(f"no pretrained model named {name!r}; ecgbeat ships {list_pretrained()}")
    path = _HERE / f"{name}.json"
    try:
        text = path.read_bytes()
        if _card_digests().get(path.name) != hashlib.sha256(text).hexdigest():
            raise ValueError(f"its SHA-256 is not the one in {_SUMS}")
        card = json.loads(text)
        if not (isinstance(card.get("file"), str) and isinstance(card.get("sha256"), str)):
            raise ValueError("it names no weights file and digest")
    except (OSError, ValueError, AttributeError, RecursionError) as error:
        raise ModelFileError(
            f"the model card of pretrained model {name!r} ({path}) is damaged: {error}; "
            "reinstall ecgbeat"
        ) from error
    return card


def _card_digests() -> dict[str, str]:
    """The SHA-256 of each shipped card, from the folder's manifest (file name -> digest)."""
    try:
        lines = (_HERE / _SUMS).read_text().splitlines()
    except OSError:
        return {}
    return {fields[1]: fields[0] for fields in (line.split() for line in lines) if len(fields) == 2}


def _verified_path(name: str) -> Path:
    card = model_card(name)
    path = _HERE / Path(card["file"]).name  # a card names a file beside it, nothing else
    if not path.is_file():
        raise ModelFileError(f"the weights of pretrained model {name!r} ({path}) are missing")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != card["sha256"]:
        raise ModelFileError(
            f"the weights of pretrained model {name!r} ({path}) do not match the SHA-256 of its "
            f"model card ({digest} != {card['sha256']}); reinstall ecgbeat"
        )
    return path


def _names_a_file(name_or_path: str | os.PathLike) -> bool:
    """Whether :func:`load` reads ``name_or_path`` as a file's path, not a shipped model's name.

    A shipped name first; any other name of a file is a path (``"model.h5"`` in the working
    folder was "no pretrained model named 'model.h5'", though ``HeartbeatCNNClassifier.load``
    reads it). A path object, a ``.keras`` name and a name with a folder are always paths.

    Examples
    --------
    >>> from pathlib import Path
    >>> _names_a_file("mitbih"), _names_a_file("mitbih.keras"), _names_a_file(Path("mitbih"))
    (False, True, True)
    """
    name = str(name_or_path)
    return (
        isinstance(name_or_path, os.PathLike)
        or name.endswith(".keras")
        or os.sep in name
        or (name not in list_pretrained() and os.path.lexists(name))
    )


def load(name_or_path: str | os.PathLike) -> PretrainedModel:
    """Load a shipped model by name, or a model saved with ``HeartbeatCNNClassifier.save``.

    Checksums are verified and the network is loaded in Keras' safe mode: loading never runs
    code from a file.

    Parameters
    ----------
    name_or_path : str or path-like
        A name from :func:`list_pretrained`, or the path of a file saved with
        ``HeartbeatCNNClassifier.save`` (a name that is both means the shipped model).

    Returns
    -------
    PretrainedModel
    """
    name = str(name_or_path)
    is_path = _names_a_file(name_or_path)
    path = Path(name_or_path) if is_path else _verified_path(name)
    model, metadata = read_model_file(path)
    if not is_path:
        # The card beside the weights, checked against SHA256SUMS, is the model's card. The copy
        # in the weights file is the card as it was trained: cards mended since (the DS1 models'
        # "22 other patients"; figures at detected peaks measured again) kept the old one there,
        # and model_card_ showed it.
        card = model_card(name)
        metadata["extra"] = {key: value for key, value in card.items() if key not in _FILE_KEYS}
    # The network says what it is; a file's parameters could say otherwise (written before save
    # refused parameters changed after fit).
    architecture = network_structure(model)[0] or metadata["params"].get("architecture")
    if not isinstance(architecture, str):
        # A network that no builder of ecgbeat made, written without the parameter (by
        # write_model_file): a KeyError escaped, naming neither the file nor what it lacks.
        raise ModelFileError(
            f"model file {str(path)!r}: its network is none of ecgbeat's architectures, and its "
            f"parameters name no architecture (got {architecture!r})"
        )
    return PretrainedModel(
        model=model,
        architecture=architecture,
        classes=metadata["classes"],
        metadata=metadata,
    )
