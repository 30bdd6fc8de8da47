"""fit(X, y, sample_weight=...): per-beat weights, checked, combined with class_weight, routed."""

import numpy as np
import pytest
import sklearn
from conftest import FAST_PARAMS, make_synthetic_beats
from sklearn.model_selection import cross_validate

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat._training import class_prior_loss


def test_weights_choose_which_labels_are_learned():
    """Each beat twice, once with its class and once with the next class's label: the weights
    alone decide which of the two contradicting rules the network learns."""
    X, y = make_synthetic_beats()
    shifted = np.select([y == "N", y == "S", y == "V"], ["S", "V", "N"], default="")
    X_both = np.vstack([X, X + 0.02 * np.random.default_rng(1).standard_normal(X.shape)])
    X_both = X_both.astype(np.float32)
    y_both = np.concatenate([y, shifted])
    first = np.r_[np.ones(len(y)), np.zeros(len(y))]
    for weights, truth in ((first, y), (1 - first, shifted)):
        clf = HeartbeatCNNClassifier(**FAST_PARAMS).fit(X_both, y_both, sample_weight=weights)
        assert np.mean(clf.predict(X) == truth) >= 0.9


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (-np.ones(120), "Negative values in data passed to `?sample_weight"),
        (np.ones(5), r"sample_weight.shape == \(5,\), expected \(120,\)"),
        (np.full(120, np.nan), "Input sample_weight contains NaN"),
        (np.zeros(120), "Sample weights must contain at least one non-zero number"),
    ],
)
def test_bad_weights_are_refused_before_training(weights, message):
    X, y = make_synthetic_beats()
    clf = HeartbeatCNNClassifier(**FAST_PARAMS)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y, sample_weight=weights)
    assert not hasattr(clf, "classes_")


def test_only_the_ratios_of_the_weights_matter(monkeypatch):
    """Weights that sum to 1 over 100,000 beats, 1e-5 each, learned next to nothing (Adam is
    blind to the scale of the loss but for its epsilon): fit scales the weights to a mean of 1."""
    from ecgbeat import _training

    X, y = make_synthetic_beats()
    relative = np.where(y == "N", 3.0, 1.0)
    seen = []

    def spy(*args, sample_weights=None, validation_weights=None, **kwargs):
        seen.append((sample_weights, validation_weights))
        raise AssertionError("spied")

    with monkeypatch.context() as patch:
        patch.setattr(_training, "train", spy)
        for scale in (1.0, 1e-5, 1e300):
            with pytest.raises(AssertionError, match="spied"):
                HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y, sample_weight=scale * relative)
    expected = relative / relative.mean()  # N has 3 of every 5 units: 1.8 and 0.6
    for trained, validated in seen:
        np.testing.assert_allclose(trained, expected, rtol=1e-6)
        np.testing.assert_allclose(validated, expected, rtol=1e-6)
    clf = HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y, sample_weight=np.full(len(y), 1e-5))
    assert clf.score(X, y) == 1.0


def test_weights_that_class_weight_zeroes_everywhere_are_refused():
    X, y = make_synthetic_beats()
    clf = HeartbeatCNNClassifier(**FAST_PARAMS, class_weight={"N": 0.0, "S": 1.0, "V": 1.0})
    with pytest.raises(ValueError, match="together give every beat weight 0"):
        clf.fit(X, y, sample_weight=(y == "N").astype(float))


def test_weights_are_routed_by_metadata_routing():
    """cross_validate hands each fold its slice of the weights: all zero, the fit refuses them."""
    X, y = make_synthetic_beats()
    with sklearn.config_context(enable_metadata_routing=True):
        clf = HeartbeatCNNClassifier(**FAST_PARAMS).set_fit_request(sample_weight=True)
        clf.set_score_request(sample_weight=False)
        with pytest.raises(ValueError, match="at least one non-zero number"):
            cross_validate(
                clf, X, y, cv=2, params={"sample_weight": np.zeros(len(y))}, error_score="raise"
            )


def test_the_prior_loss_weights_the_held_out_beats_as_keras_does():
    """Keras averages weight * loss over the beats: a held-out beat of weight 0 counts as a 0."""
    y = np.array([0, 0, 0, 1])
    full = class_prior_loss(y, y, np.ones(2))
    halved = class_prior_loss(y, y, np.ones(2), val_weights=np.array([1.0, 1.0, 1.0, 0.0]))
    assert halved == pytest.approx(-3 * np.log(0.75) / 4)
    assert full == pytest.approx((-3 * np.log(0.75) - np.log(0.25)) / 4)


@pytest.mark.parametrize(("counted", "part"), [(0, "left for training"), (1, "held out for")])
def test_a_split_that_leaves_one_part_weightless_is_not_made(counted, part):
    """One patient of ten counts, and the validation split holds out one (group 0, with this
    seed). Held out alone, the training part would learn nothing; the others held out, their
    losses would all be 0, and the first epoch would be kept as the best."""
    X, y = make_synthetic_beats()
    groups = np.arange(len(y)) % 10
    weights = (groups == counted).astype(float)
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2})
    with pytest.warns(UserWarning, match=f"beats {part}.* all have weight 0: training on all"):
        clf.fit(X, y, groups=groups, sample_weight=weights)
    assert "val_loss" not in clf.history_
    assert clf.best_epoch_ == clf.n_epochs_ == 2


@pytest.mark.parametrize("with_sample_weight", [False, True])
def test_only_the_ratios_of_the_class_weights_matter(monkeypatch, with_sample_weight):
    """Class weights of 1e-6 (with sample weights of mean 1 or without) fell under Adam's
    epsilon and the network learned next to nothing: fit scales the weights of the beats by
    the power of 2 that brings their mean nearest 1, and leaves weights of mean from 1/16 to 16
    as they were, bit for bit."""
    from sklearn.utils.class_weight import compute_class_weight

    from ecgbeat import _training

    X, y = make_synthetic_beats()
    sample_weight = np.where(y == "S", 2.0, 1.0) if with_sample_weight else None
    tiny = {"N": 1e-6, "S": 2e-6, "V": 1e-6}
    clf = HeartbeatCNNClassifier(**FAST_PARAMS, class_weight=tiny)
    assert clf.fit(X, y, sample_weight=sample_weight).score(X, y) == 1.0

    seen = []

    def spy(*args, sample_weights=None, **kwargs):
        seen.append(sample_weights)
        raise AssertionError("spied")

    monkeypatch.setattr(_training, "train", spy)
    # Mean 0.55: as the square roots of "balanced" that trained the shipped models (0.65).
    for class_weight in (tiny, "balanced", {"N": 0.45, "S": 0.6, "V": 0.6}):
        with pytest.raises(AssertionError, match="spied"):
            HeartbeatCNNClassifier(**FAST_PARAMS, class_weight=class_weight).fit(
                X, y, sample_weight=sample_weight
            )
    scaled, balanced, ordinary = seen
    relative = np.where(y == "S", 4.0 if with_sample_weight else 2.0, 1.0)  # 2e-6, times 2
    np.testing.assert_allclose(scaled / relative, scaled[0] / relative[0], rtol=1e-6)
    assert 0.5 < scaled.mean() < 2
    # Mean near 1 already: the very weights fit gave before.
    expected = compute_class_weight("balanced", classes=np.unique(y), y=y)
    expected = expected[np.searchsorted(np.unique(y), y)].astype(np.float32)
    if with_sample_weight:
        weights = sample_weight / sample_weight.mean()
        expected = (expected * weights).astype(np.float32)
        ordinary_expected = (
            np.select([y == "N", y == "S"], [0.45, 0.6], 0.6).astype(np.float32) * weights
        ).astype(np.float32)
    else:
        ordinary_expected = np.select([y == "N", y == "S"], [0.45, 0.6], 0.6).astype(np.float32)
    assert balanced.tobytes() == expected.tobytes()
    assert ordinary.tobytes() == ordinary_expected.tobytes()
