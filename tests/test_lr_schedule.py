"""The learning-rate schedules of ``fit``: decay on plateau, and cosine annealing with restarts."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats
from sklearn.utils._param_validation import InvalidParameterError

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat._backend import import_keras
from ecgbeat._training import (
    TrainingResult,
    _best_weights_callback,
    cosine_restarts_rate,
    cycle_last_epochs,
)


def _cosine(step: int, length: int, learning_rate: float) -> float:
    return learning_rate * (1 + math.cos(math.pi * step / length))


def test_cycles_start_at_twice_the_rate_and_double_in_length():
    rates = [cosine_restarts_rate(epoch, 1e-3, 3, 9) for epoch in range(9)]
    expected = [_cosine(i, 3, 1e-3) for i in range(3)] + [_cosine(i, 6, 1e-3) for i in range(6)]
    np.testing.assert_allclose(rates, expected)
    assert rates[0] == 2e-3 and min(rates) > 0  # a cycle ends just above 0, never at it
    assert cycle_last_epochs(3, 9) == {2, 8}
    assert cycle_last_epochs(16, 48) == {15, 47}  # the default: two whole cycles


def test_a_cycle_that_cannot_finish_lengthens_the_one_before():
    # 10 epochs hold a cycle of 3 but not the next of 6 after it: the second runs 7 epochs, so
    # that training ends annealed instead of at twice the rate.
    rates = [cosine_restarts_rate(epoch, 1e-3, 3, 10) for epoch in range(10)]
    expected = [_cosine(i, 3, 1e-3) for i in range(3)] + [_cosine(i, 7, 1e-3) for i in range(7)]
    np.testing.assert_allclose(rates, expected)
    assert cycle_last_epochs(3, 10) == {2, 9}
    # Fewer epochs than the first cycle: one cycle of that many epochs.
    np.testing.assert_allclose(
        [cosine_restarts_rate(epoch, 1e-3, 16, 10) for epoch in range(10)],
        [_cosine(i, 10, 1e-3) for i in range(10)],
    )
    assert cycle_last_epochs(16, 10) == {9}
    assert cycle_last_epochs(3, 8) == {7}  # 3 + 6 > 8: one cycle
    for first, epochs in itertools.product([1, 2, 3, 16], [1, 2, 5, 17, 20, 47, 100]):
        last = cosine_restarts_rate(epochs - 1, 1e-3, first, epochs)
        assert epochs - 1 in cycle_last_epochs(first, epochs)
        assert last < 2e-3 or epochs == 1, (first, epochs)
        assert last <= _cosine(min(first, epochs) - 1, min(first, epochs), 1e-3) + 1e-12


def test_fit_follows_the_cosine_and_ignores_the_plateau_settings_with_a_warning():
    X, y = make_synthetic_beats(n_per_class=30)
    params = {**FAST_PARAMS, "epochs": 6, "lr_cycle_epochs": 2}
    params.update(lr_decay_patience=1, lr_decay_factor=0.01)
    clf = HeartbeatCNNClassifier(**params, lr_schedule="cosine_restarts")
    with pytest.warns(UserWarning, match=r"lr_decay_patience=1, lr_decay_factor=0\.01 changes"):
        clf.fit(X, y)
    lr = clf.learning_rate
    expected = [_cosine(0, 2, lr), _cosine(1, 2, lr), *(_cosine(i, 4, lr) for i in range(4))]
    np.testing.assert_allclose(clf.history_["learning_rate"], expected, rtol=1e-6)
    assert clf.n_epochs_ == 6
    # Only the annealed networks at the ends of the cycles (epochs 2 and 6) can be kept.
    assert clf.best_epoch_ in (2, 6)


def test_cosine_restarts_is_the_default_and_plateau_is_one_parameter_away():
    X, y = make_synthetic_beats(n_per_class=30)
    params = {**FAST_PARAMS, "epochs": 3}
    del params["lr_cycle_epochs"]
    default = HeartbeatCNNClassifier(**params).fit(X, y)
    assert default.lr_schedule == "cosine_restarts" and default.lr_cycle_epochs == 16
    # Three epochs cannot hold the first 16-epoch cycle: they are one cycle of three.
    np.testing.assert_allclose(
        default.history_["learning_rate"], [_cosine(i, 3, 1.5e-3) for i in range(3)], rtol=1e-6
    )
    plateau = HeartbeatCNNClassifier(**params, lr_schedule="plateau").fit(X, y)
    # Decay on plateau never raises the rate, and it starts at learning_rate, not twice it.
    rates = plateau.history_["learning_rate"]
    assert rates[0] == pytest.approx(plateau.learning_rate)
    assert all(b <= a for a, b in itertools.pairwise(rates))


class _FakeNetwork:
    """What the best-weights callback reads from the network in training."""

    def __init__(self) -> None:
        self.stop_training = False
        self.optimizer = type("Optimizer", (), {"learning_rate": 1e-3})()

    def get_weights(self):
        return []


def _stops(val_losses, patience, last_epochs):
    callback = _best_weights_callback(
        import_keras(), "val_loss", patience, TrainingResult(), 0, last_epochs
    )
    network = _FakeNetwork()
    callback.set_model(network)
    stopped_after = []
    for epoch, loss in enumerate(val_losses):
        callback.on_epoch_end(epoch, {"val_loss": loss})
        if network.stop_training:
            stopped_after.append(epoch)
            network.stop_training = False
    return stopped_after


def test_the_history_records_the_rate_each_epoch_trained_at():
    # Decay on plateau lowers the rate at an epoch's end, before the history is written: the
    # epoch still trained at the rate it began with, as Keras' own History records it.
    result = TrainingResult()
    callback = _best_weights_callback(import_keras(), "val_loss", None, result, 0)
    network = _FakeNetwork()
    callback.set_model(network)
    for epoch, rate in enumerate([1e-3, 1e-3, 5e-4]):
        network.optimizer.learning_rate = rate
        callback.on_epoch_begin(epoch)
        callback.on_train_batch_begin(0)
        network.optimizer.learning_rate = rate / 2  # decayed as the epoch ends
        callback.on_epoch_end(epoch, {"val_loss": 1.0})
    assert result.history["learning_rate"] == [1e-3, 1e-3, 5e-4]


def test_the_history_records_a_users_scheduler_in_the_epoch_it_acts():
    keras = import_keras()
    X, y = make_synthetic_beats(n_per_class=10)
    rates = [1e-3, 5e-4, 2.5e-4]
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch, _: rates[epoch])
    params = {**FAST_PARAMS, "epochs": 3, "validation_fraction": 0, "lr_schedule": "plateau"}
    clf = HeartbeatCNNClassifier(**params, lr_decay_patience=None, callbacks=[scheduler])
    clf.fit(X, y)
    assert clf.history_["learning_rate"] == pytest.approx(rates)


def test_early_stopping_judges_whole_cycles():
    # Cycles end after epochs 1 and 5; the second never beats 0.5.
    worse = [1.0, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert _stops(worse, 1, {1, 5}) == [5]
    # Without cycles, patience 1 would have stopped at the first worse epoch (and each after).
    assert _stops(worse, 1, None) == [2, 3, 4, 5]
    # A cycle whose end improves goes on; one that improves only mid-cycle does not; None never
    # stops.
    assert _stops([1.0, 0.5, 0.6, 0.7, 0.4], 1, {1, 4}) == []
    assert _stops([1.0, 0.5, 0.4, 0.7, 0.6], 1, {1, 4}) == [4]
    assert _stops(worse, None, {1, 5}) == []


def _kept(scores, last_epochs, monitor="val_loss"):
    result = TrainingResult()
    callback = _best_weights_callback(import_keras(), monitor, None, result, 0, last_epochs)
    callback.set_model(_FakeNetwork())
    for epoch, score in enumerate(scores):
        callback.on_epoch_end(epoch, {monitor: score})
    return result.best_epoch


def test_cycles_keep_the_best_annealed_network():
    # Epoch 4's loss is the lowest, but mid-cycle: the end of the second cycle (epoch 5) is kept.
    assert _kept([1.0, 0.5, 0.6, 0.3, 0.45], {1, 4}) == 5
    assert _kept([1.0, 0.5, 0.6, 0.3, 0.45], None) == 4
    # The end of the first cycle replaces a better mid-cycle epoch of its own cycle ...
    assert _kept([1.0, 0.3, 0.5], {2}) == 3
    # ... and an earlier cycle end stays when the later one is worse.
    assert _kept([1.0, 0.5, 0.6, 0.3, 0.55], {1, 4}) == 2
    # Before the first cycle ends (an interrupted fit), the best epoch so far stands in.
    assert _kept([1.0, 0.8, 0.9], {5}) == 2
    assert _kept([0.9, 0.95, 0.99, 0.97], {1, 3}, monitor="val_accuracy") == 4


@pytest.mark.parametrize(
    ("name", "bad"), [("lr_schedule", "cosine"), ("lr_cycle_epochs", 0), ("lr_cycle_epochs", 2.5)]
)
def test_invalid_schedule_settings_are_refused(name, bad):
    X, y = make_synthetic_beats(n_per_class=5)
    with pytest.raises(InvalidParameterError, match=name):
        HeartbeatCNNClassifier(**{name: bad}).fit(X, y)


def test_schedule_survives_save_and_load(tmp_path):
    X, y = make_synthetic_beats(n_per_class=10)
    params = {**FAST_PARAMS, "epochs": 2, "lr_schedule": "cosine_restarts", "lr_cycle_epochs": 4}
    clf = HeartbeatCNNClassifier(**params).fit(X, y)
    clf.save(tmp_path / "model.keras")
    restored = HeartbeatCNNClassifier.load(tmp_path / "model.keras")
    assert (restored.lr_schedule, restored.lr_cycle_epochs) == ("cosine_restarts", 4)


def test_files_saved_before_the_schedule_existed_load_as_trained():
    from importlib.resources import files

    # The shipped model files record no lr_schedule or max_class_ratio: they were trained with
    # decay on plateau on every beat, not with today's defaults.
    path = files("ecgbeat.pretrained") / "mitbih.keras"
    clf = HeartbeatCNNClassifier.load(path)
    assert clf.lr_schedule == "plateau" and clf.max_class_ratio is None
    assert HeartbeatCNNClassifier().lr_schedule == "cosine_restarts"


def _assert_inert_warning(params, extra, message, X, y):
    """Fit with ``params`` and ``extra``: one "changes nothing" warning starting with
    ``message`` (none when it is None); the fitted estimator."""
    import warnings

    clf = HeartbeatCNNClassifier(**{**params, **extra})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    inert = [str(w.message) for w in caught if "changes nothing" in str(w.message)]
    assert len(inert) == (message is not None), (extra, inert)
    assert message is None or inert[0].startswith(message)
    return clf


def test_only_parameters_that_act_under_the_schedule_pass_silently():
    X, y = make_synthetic_beats(n_per_class=20)
    params = {**FAST_PARAMS, "epochs": 2}
    cases = [
        (
            {
                "lr_schedule": "plateau",
                "lr_decay_patience": 1,
                "early_stopping_patience": 2,
                "lr_cycle_epochs": 16,  # the default (FAST_PARAMS shortens the cycle)
            },
            None,
        ),
        ({"lr_schedule": "plateau", "lr_cycle_epochs": 4}, "lr_cycle_epochs=4 changes nothing"),
        ({"early_stopping_patience": None}, None),  # turning early stopping off acts
        ({"early_stopping_patience": 3}, "early_stopping_patience=3 changes nothing"),
    ]
    for extra, message in cases:
        _assert_inert_warning(params, extra, message, X, y)


def test_parameters_that_need_validation_warn_without_it():
    # validation_fraction=0 holds nothing out: monitor, early stopping and decay on plateau have
    # nothing to read, and a fit with early_stopping_patience=1 ran every epoch without a word.

    X, y = make_synthetic_beats(n_per_class=10, n_samples=32)
    params = {**FAST_PARAMS, "epochs": 2, "validation_fraction": 0}
    cases = [
        ({}, None),
        (
            {
                "lr_schedule": "plateau",
                "lr_cycle_epochs": 16,
                "monitor": "val_accuracy",
                "early_stopping_patience": 1,
                "lr_decay_patience": 1,
            },
            "monitor='val_accuracy', early_stopping_patience=1, lr_decay_patience=1 changes "
            "nothing with validation_fraction=0",
        ),
        # Named once, not again by the cosine schedule's warning.
        ({"early_stopping_patience": 3}, "early_stopping_patience=3 changes nothing with vali"),
    ]
    for extra, message in cases:
        assert _assert_inert_warning(params, extra, message, X, y).n_epochs_ == 2
