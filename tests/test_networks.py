"""The Keras graph builders: their layers, and the arguments they refuse."""

from __future__ import annotations

import numpy as np
import pytest

from ecgbeat.networks import build_cnn, build_network, build_resnet, structure_key


@pytest.mark.parametrize("architecture", ["cnn", "resnet"])
def test_numpy_integers_build_the_same_network(architecture):
    """n_classes=np.int64(3) (y.max() + 1, say) failed in Keras: "expected a positive integer";
    a NumPy dropout rate stayed in the configuration, another structure to structure_key."""
    plain = build_network(
        architecture,
        40,
        3,
        seed=0,
        n_rr_features=2,
        dropout=0.25 if architecture == "cnn" else None,
    )
    numpy = build_network(
        architecture,
        np.int64(40),
        np.int64(3),
        seed=np.int64(0),
        n_rr_features=np.int32(2),
        dropout=np.float32(0.25) if architecture == "cnn" else None,
    )
    assert numpy.input_shape == plain.input_shape == (None, 42, 1)
    assert numpy.output_shape == plain.output_shape == (None, 3)
    assert numpy.count_params() == plain.count_params()
    assert structure_key(numpy) == structure_key(plain)


@pytest.mark.parametrize("builder", [build_cnn, build_resnet])
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 0}, "n_samples must be an integer >= 1, got 0"),
        ({"n_samples": True}, "n_samples must be an integer >= 1, got True"),
        ({"n_samples": 40.0}, "n_samples must be an integer >= 1, got 40.0"),
        ({"n_classes": 1}, "n_classes must be an integer >= 2, got 1"),
        ({"n_classes": True}, "n_classes must be an integer >= 2, got True"),
        ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\), got 1.0"),
        ({"dropout": -0.1}, r"dropout must be a number in \[0, 1\), got -0.1"),
        ({"dropout": float("nan")}, r"dropout must be a number in \[0, 1\), got nan"),
        ({"dropout": False}, r"dropout must be a number in \[0, 1\), got False"),
        ({"dropout": "0.1"}, r"dropout must be a number in \[0, 1\), got '0.1'"),
        ({"n_rr_features": -1}, "n_rr_features must be an integer >= 0, got -1"),
        ({"n_rr_features": True}, "n_rr_features must be an integer >= 0, got True"),
        ({"seed": -1}, "seed must be an integer >= 0 or None, got -1"),
        ({"seed": 1.5}, "seed must be an integer >= 0 or None, got 1.5"),
    ],
)
def test_bad_arguments_are_named(builder, kwargs, match):
    """Each was built into a network (n_samples=0, dropout=1.0, a resnet's dropout=-0.1 or
    NaN, bools as 0 and 1) or refused by Keras or NumPy in words that name no argument."""
    with pytest.raises(ValueError, match=match):
        builder(**{"n_samples": 40, "n_classes": 3, "seed": 0, **kwargs})


@pytest.mark.parametrize("architecture", ["CNN", None, ["cnn"], {"cnn": 1}])
def test_an_unknown_architecture_is_named(architecture):
    """A list or a dict failed as "unhashable type: 'list'", naming neither the argument nor
    the architectures there are."""
    with pytest.raises(
        ValueError, match=r"unknown architecture .*; choose one of \['cnn', 'resnet'\]"
    ):
        build_network(architecture, 40, 3)
