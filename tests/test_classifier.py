"""HeartbeatCNNClassifier: fitting, prediction, reproducibility, persistence and errors."""

from __future__ import annotations

import copy
import gc
import os
import pickle
import random
import warnings
import weakref

import joblib
import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat._inference import overflow_limit


@pytest.fixture(scope="module")
def fitted():
    X, y = make_synthetic_beats()
    return HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y), X, y


def test_fit_sets_learned_attributes_and_predicts(fitted):
    clf, X, y = fitted
    np.testing.assert_array_equal(clf.classes_, ["N", "S", "V"])
    assert clf.n_features_in_ == 64
    assert clf.model_.output_shape == (None, 3)
    assert 1 <= clf.best_epoch_ <= clf.n_epochs_ <= FAST_PARAMS["epochs"]
    assert set(clf.history_) >= {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}
    assert all(len(values) == clf.n_epochs_ for values in clf.history_.values())
    assert clf.score(X, y) == 1.0
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    # Columns follow classes_: the column of each beat's own class holds its largest probability.
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], y)


def test_integer_labels_and_3d_input_are_equivalent():
    X, y = make_synthetic_beats(labels=(7, 3))
    clf2d = HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y)
    clf3d = HeartbeatCNNClassifier(**FAST_PARAMS).fit(X[:, :, None], y)
    np.testing.assert_array_equal(clf2d.classes_, [3, 7])
    np.testing.assert_array_equal(clf2d.predict_proba(X), clf3d.predict_proba(X[:, :, None]))
    assert clf2d.predict(X).dtype == y.dtype


def test_same_random_state_gives_identical_predictions_and_leaves_global_state(beats):
    X, y = beats
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    first = HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y).predict_proba(X)
    second = HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y).predict_proba(X)
    other = HeartbeatCNNClassifier(**{**FAST_PARAMS, "random_state": 1}).fit(X, y)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other.predict_proba(X))
    assert random.getstate() == py_state
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    from tensorflow.python.eager import context

    assert context.global_seed() is None


def _fit_with_snapshots(monitor: str, **params):
    """Fit on synthetic beats; return the estimator, each epoch's ``monitor`` and its weights."""
    import keras

    X, y = make_synthetic_beats(n_per_class=30)
    scores, weights = [], []

    class Snapshot(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            scores.append(logs[monitor])
            weights.append(self.model.get_weights())

    clf = HeartbeatCNNClassifier(**params, monitor=monitor, callbacks=[Snapshot()]).fit(X, y)
    for kept, best in zip(clf.model_.get_weights(), weights[clf.best_epoch_ - 1], strict=True):
        np.testing.assert_array_equal(kept, best)  # the model holds the kept epoch's weights
    return clf, scores


def test_best_weights_are_restored_from_memory_without_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    params = {**FAST_PARAMS, "epochs": 8, "learning_rate": 3e-2, "lr_decay_patience": None}
    clf, val_losses = _fit_with_snapshots("val_loss", **params, lr_schedule="plateau")
    assert list(tmp_path.iterdir()) == []  # no checkpoint file, ever
    assert clf.best_epoch_ == int(np.argmin(val_losses)) + 1


def test_cosine_restarts_keep_the_best_cycle_end(monkeypatch):
    # Cycles of 2 and 4 epochs: only the networks after epochs 2 and 6 can be kept. The scores
    # are set, not trained: which epoch a real fit scores best depends on the CPU's rounding.
    import ecgbeat._training as training

    scripted = [0.4, 0.6, 0.9, 0.8, 0.5, 0.7]  # the top (epoch 3) is mid-cycle
    real_callback = training._best_weights_callback

    def scripted_callback(*args, **kwargs):
        callback = real_callback(*args, **kwargs)
        on_epoch_end = callback.on_epoch_end

        def with_score(epoch, logs=None):
            on_epoch_end(epoch, {**(logs or {}), "val_accuracy": scripted[epoch]})

        callback.on_epoch_end = with_score
        return callback

    monkeypatch.setattr(training, "_best_weights_callback", scripted_callback)
    params = {**FAST_PARAMS, "epochs": 6, "lr_cycle_epochs": 2, "early_stopping_patience": None}
    clf, _ = _fit_with_snapshots("val_accuracy", **params)
    assert clf.history_["val_accuracy"] == scripted
    # Not epoch 3, the best overall, nor epoch 2, the first cycle end: the better cycle end.
    assert clf.best_epoch_ == 6


def test_early_stopping_stops_after_patience():
    X, y = make_synthetic_beats(n_per_class=30)
    # A learning rate of 1e-7 cannot improve the validation loss: stop after 1 + patience epochs.
    clf = HeartbeatCNNClassifier(
        epochs=30,
        learning_rate=1e-7,
        early_stopping_patience=2,
        monitor="val_accuracy",
        lr_schedule="plateau",
        random_state=0,
    ).fit(X, y)
    assert clf.n_epochs_ == 3
    assert clf.best_epoch_ == 1


def test_an_epoch_that_diverged_is_never_kept_even_by_accuracy():
    import keras

    # A diverged network's NaN outputs read as class 0 ("A", two thirds of the held-out beats)
    # and scored 0.67 accuracy against the first epoch's 0.33: monitor="val_accuracy" kept it,
    # and fit failed as "training diverged" with a finite first epoch at hand.
    X, y = make_synthetic_beats(n_per_class=30, labels=("A", "B"))
    X, y = np.vstack([X, X[y == "A"]]), np.concatenate([y, y[y == "A"]])  # A 60, B 30

    class Diverge(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            # Every beat B, by a margin that a learning rate of 1e-9 cannot move.
            kernel = self.model.layers[-1].get_weights()[0]
            self.model.layers[-1].set_weights([np.zeros_like(kernel), np.array([0.0, 50.0])])

        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.set_weights([np.full_like(w, np.nan) for w in self.model.get_weights()])

    clf = HeartbeatCNNClassifier(
        **{**FAST_PARAMS, "epochs": 3, "learning_rate": 1e-9},
        monitor="val_accuracy",
        lr_schedule="plateau",
        early_stopping_patience=None,
        callbacks=[Diverge()],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it learned nothing, and says so
        clf.fit(X, y)
    assert clf.history_["val_accuracy"] == pytest.approx([1 / 3, 2 / 3, 2 / 3])
    assert np.isnan(clf.history_["val_loss"][1:]).all()
    assert clf.best_epoch_ == 1
    assert all(np.isfinite(w).all() for w in clf.model_.get_weights())
    assert (clf.predict(X) == "B").all()


def test_lr_decays_on_plateau():
    X, y = make_synthetic_beats(n_per_class=30)
    clf = HeartbeatCNNClassifier(
        epochs=4,
        learning_rate=1e-7,
        lr_decay_patience=1,
        lr_decay_factor=0.5,
        early_stopping_patience=None,
        lr_schedule="plateau",
        random_state=0,
    ).fit(X, y)
    rates = clf.history_["learning_rate"]
    assert rates[0] == pytest.approx(1e-7)
    assert rates[-1] < rates[0]


def test_no_validation_trains_all_epochs():
    X, y = make_synthetic_beats(n_per_class=20)
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 3}, validation_fraction=0).fit(X, y)
    assert clf.n_epochs_ == clf.best_epoch_ == 3
    assert "val_loss" not in clf.history_


def test_class_weight_changes_the_fit_and_validates_keys(beats):
    X, y = beats
    plain = HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y).model_.get_weights()
    weighted = HeartbeatCNNClassifier(**FAST_PARAMS, class_weight={"N": 5.0, "S": 1, "V": 1})
    # The weights, not the probabilities: both fits may end sure of every toy beat.
    changed = weighted.fit(X, y).model_.get_weights()
    assert not all(np.allclose(a, b) for a, b in zip(changed, plain, strict=True))
    balanced = HeartbeatCNNClassifier(**FAST_PARAMS, class_weight="balanced").fit(X, y)
    assert balanced.score(X, y) == 1.0
    with pytest.raises(ValueError, match=r"not in y.*'Q'.*no weight to.*'N'"):
        HeartbeatCNNClassifier(**FAST_PARAMS, class_weight={"Q": 2.0}).fit(X, y)


def test_class_weight_may_name_a_class_that_this_y_lacks(beats):
    # As scikit-learn's classifiers: one dict for every fold of GroupKFold, some lacking a class.
    X, y = beats
    weights = {"N": 5.0, "S": 1.0, "V": 2.0}
    named = HeartbeatCNNClassifier(**FAST_PARAMS, class_weight={**weights, "Q": 3.0}).fit(X, y)
    exact = HeartbeatCNNClassifier(**FAST_PARAMS, class_weight=weights).fit(X, y)
    assert named.classes_.tolist() == ["N", "S", "V"]
    for a, b in zip(named.model_.get_weights(), exact.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ({"N": -5.0, "S": 1, "V": 1}, r"finite numbers >= 0; got 'N': -5\.0"),
        ({"N": np.nan, "S": 1, "V": 1}, r"finite numbers >= 0; got 'N': nan"),
        ({"N": np.inf, "S": 1, "V": 1}, r"finite numbers >= 0; got 'N': inf"),
        ({"N": "2", "S": 1, "V": 1}, r"finite numbers >= 0; got 'N': '2'"),
        ({"N": 0, "S": 0, "V": 0}, r"class_weight gives weight 0 to every class of y"),
        # Weight only for a class this y lacks: every beat of the fit still weighs 0.
        ({"N": 0, "S": 0, "V": 0, "Q": 1}, r"class_weight gives weight 0 to every class of y"),
    ],
)
def test_class_weight_values_are_checked(beats, weights, match):
    X, y = beats
    with pytest.raises(ValueError, match=match):
        HeartbeatCNNClassifier(**FAST_PARAMS, class_weight=weights).fit(X, y)


@pytest.mark.parametrize("item", ["EarlyStopping", "text", None])
def test_callbacks_that_are_not_callbacks_are_named(beats, item, monkeypatch):
    """A callback class (not an instance), text or None failed in Keras, after the network was
    built, as "set_model() missing 1 required positional argument" or "'str' object has no
    attribute 'set_model'"; no training starts."""
    import keras

    from ecgbeat import _training

    def never(*args, **kwargs):
        raise AssertionError("trained")

    monkeypatch.setattr(_training, "train", never)
    X, y = beats
    item = keras.callbacks.EarlyStopping if item == "EarlyStopping" else item
    clf = HeartbeatCNNClassifier(**FAST_PARAMS, callbacks=[keras.callbacks.History(), item])
    with pytest.raises(ValueError, match=r"callbacks\[1\] is .*, not a keras.callbacks.Callback"):
        clf.fit(X, y)


def test_a_fit_with_callbacks_can_be_cloned_copied_and_pickled(beats):
    import copy
    import pickle

    import keras
    from sklearn.base import clone

    X, y = beats
    history = keras.callbacks.History()
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2}, callbacks=[history]).fit(X, y)
    assert history.epoch == [0, 1]
    # Keras left the callback holding the compiled trainer, whose loss cannot be rebuilt.
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    assert copy.deepcopy(clf).callbacks[0].epoch == [0, 1]
    clone(clf).fit(X, y)

    class ReadsTheModel(keras.callbacks.Callback):
        # As Keras' TensorBoard does with embeddings: set_model may read the model.
        def set_model(self, model):
            super().set_model(model)
            self.n_layers = len(model.layers)

    reader = ReadsTheModel()
    HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}, callbacks=[reader]).fit(X, y)
    assert reader.n_layers > 0 and reader.model is None


def test_a_diverged_fit_is_an_error_and_leaves_the_estimator_as_it_was(beats, tmp_path):
    import keras

    class Diverge(keras.callbacks.Callback):
        # What a far too large learning rate does, without depending on the CPU's arithmetic.
        def on_train_batch_end(self, batch, logs=None):
            self.model.set_weights([np.full_like(w, np.nan) for w in self.model.get_weights()])

    X, y = beats
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2}, callbacks=[Diverge()])
    with pytest.raises(ValueError, match=r"training diverged.*smaller learning_rate"):
        clf.fit(X, y)
    assert not hasattr(clf, "model_")
    # Nor can such a network be saved: load would refuse the file.
    fitted = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}).fit(X, y)
    fitted.model_.set_weights([np.full_like(w, np.nan) for w in fitted.model_.get_weights()])
    with pytest.raises(ValueError, match="NaN or infinite"):
        fitted.save(tmp_path / "nan.keras")
    assert not (tmp_path / "nan.keras").exists()


def test_keyboard_interrupt_keeps_best_weights_and_warns():
    import keras

    X, y = make_synthetic_beats(n_per_class=30)

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 10}, callbacks=[Interrupt()])
    with pytest.warns(UserWarning, match="interrupted after 3 epoch"):
        clf.fit(X, y)
    assert clf.n_epochs_ == 3 and 1 <= clf.best_epoch_ <= 3
    assert clf.predict(X).shape == y.shape


def test_prediction_batches_do_not_change_results(fitted):
    clf, X, _ = fitted
    small_batches = clone(clf).set_params(predict_batch_size=7)
    small_batches.__dict__.update({k: v for k, v in clf.__dict__.items() if k.endswith("_")})
    small_batches._setup_inference()
    np.testing.assert_allclose(small_batches.predict_proba(X), clf.predict_proba(X), atol=1e-6)


def test_refit_releases_the_previous_network(beats):
    X, y = beats
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}).fit(X, y)
    old = weakref.ref(clf.model_)
    clf.fit(X, y)
    gc.collect()
    assert old() is None


# ---------------------------------------------------------------------------- persistence


def test_pickle_joblib_deepcopy_give_identical_probabilities(fitted, tmp_path):
    import keras

    clf, X, _ = fitted
    expected = clf.predict_proba(X)
    reduce_before = keras.Model.__reduce__
    path = tmp_path / "model.joblib"
    joblib.dump(clf, path)
    restored = [pickle.loads(pickle.dumps(clf)), joblib.load(path), copy.deepcopy(clf)]
    for other in restored:
        np.testing.assert_array_equal(other.predict_proba(X), expected)
        assert other.model_ is not clf.model_
        assert other.get_params() == clf.get_params()
    assert keras.Model.__reduce__ is reduce_before  # Keras is not patched process-wide


def test_clone_of_fitted_is_unfitted(fitted):
    clf, X, _ = fitted
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params()
    with pytest.raises(NotFittedError):
        fresh.predict(X)


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("X", "y", "error", "match"),
    [
        (np.full((10, 32), np.nan), np.arange(10) % 2, ValueError, "NaN"),
        (np.full((10, 32), np.inf), np.arange(10) % 2, ValueError, "infinity"),
        (np.zeros((10, 32, 2)), np.arange(10) % 2, ValueError, "one lead per beat"),
        (np.zeros((10, 32, 1, 1)), np.arange(10) % 2, ValueError, "4 dimensions"),
        (np.zeros(32), np.arange(32) % 2, ValueError, "Expected 2D array"),
        (np.zeros((0, 32)), np.zeros(0), ValueError, "0 sample"),
        (np.zeros((10, 0)), np.arange(10) % 2, ValueError, "0 feature"),
        (
            np.zeros((10, 32)),
            np.zeros(10),
            ValueError,
            r"at least 2 classes; got 1 class \(0\.0\)$",
        ),
        (np.zeros((10, 32)), np.arange(9) % 2, ValueError, "inconsistent numbers of samples"),
        (np.zeros((10, 32)), np.linspace(0, 1, 10), ValueError, "Unknown label type"),
        # Failed in NumPy's sort: "'<' not supported between instances of 'str' and 'int'".
        (
            np.zeros((10, 32)),
            np.array(["N", 1] * 5, dtype=object),
            ValueError,
            r"^Unknown label type: y must hold labels of one kind.*got a mix of int, str$",
        ),
        (
            np.zeros((10, 32)),
            np.array(["N", None] * 5, dtype=object),
            ValueError,
            r"^y must name a class for every beat; 5 are missing",
        ),
        # Said "Unknown label type: unknown", as for a mix led by a number.
        (
            np.zeros((10, 32)),
            np.array([0, 1] * 5, dtype=object),
            ValueError,
            r"^Unknown label type: y is an object array of int, .* must hold text",
        ),
        (np.zeros((10, 32)), np.array([1, "N"] * 5, dtype=object), ValueError, "int, str$"),
    ],
)
def test_fit_rejects_bad_input_with_clear_message(X, y, error, match):
    with pytest.raises(error, match=match):
        HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y)


def test_labels_missing_from_a_pandas_text_column_are_counted():
    # pandas' NA failed in scikit-learn's check for NaN: "boolean value of NA is ambiguous".
    pd = pytest.importorskip("pandas")
    y = pd.Series(["N", None, "V", "N", "V"] * 2, dtype="string")
    with pytest.raises(ValueError, match=r"^y must name a class for every beat; 2 are missing"):
        HeartbeatCNNClassifier(**FAST_PARAMS).fit(np.zeros((10, 32)), y)
    # A text column with empty cells, as read_csv gives it: "Input contains NaN", of no input.
    y = pd.Series(["N", np.nan, "V", "N", "V"] * 2)
    with pytest.raises(ValueError, match=r"^y must name a class for every beat; 2 are missing"):
        HeartbeatCNNClassifier(**FAST_PARAMS).fit(np.zeros((10, 32)), y)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"architecture": "lstm"}, "'architecture' parameter .* must be a str among"),
        ({"epochs": 0}, "'epochs' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
        ({"class_weight": "uniform"}, "'class_weight' parameter"),
        ({"monitor": "loss"}, "'monitor' parameter"),
    ],
)
def test_unknown_parameter_values_are_named(params, match):
    X, y = make_synthetic_beats(n_per_class=5)
    with pytest.raises(InvalidParameterError, match=match):
        HeartbeatCNNClassifier(**params).fit(X, y)


#: The numeric parameters, each a count, a rate or a fraction.
_NUMERIC_PARAMETERS = (
    "n_rr_features",
    "epochs",
    "min_steps_per_epoch",
    "batch_size",
    "learning_rate",
    "validation_fraction",
    "early_stopping_patience",
    "lr_decay_patience",
    "lr_decay_factor",
    "lr_cycle_epochs",
    "dropout",
    "max_class_ratio",
    "predict_batch_size",
)


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("name", _NUMERIC_PARAMETERS)
def test_a_bool_is_no_number_of_a_numeric_parameter(name, value):
    """epochs=True trained one epoch, learning_rate=True at 1.0, validation_fraction=False
    held nothing out: a bool is an int to Python, but no count, rate or fraction."""
    X, y = make_synthetic_beats(n_per_class=5)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter .* Got {value} instead"):
        HeartbeatCNNClassifier(**{name: value}).fit(X, y)


@pytest.mark.parametrize("name", _NUMERIC_PARAMETERS)
def test_numpy_scalars_are_numbers_of_a_numeric_parameter(name):
    """A grid of NumPy values (np.arange, np.linspace) sets NumPy scalars: they pass the check."""
    valid = {"validation_fraction": 0.5, "lr_decay_factor": 0.5, "dropout": 0.5}.get(name, 2)
    scalar = np.float64(valid) if isinstance(valid, float) else np.int64(valid)
    HeartbeatCNNClassifier(**{name: scalar})._validate_params()


def test_beats_alone_given_to_a_rhythm_model_are_told_what_is_missing():
    clf = HeartbeatCNNClassifier.from_pretrained("mitbih-rhythm")
    beats = np.zeros((2, 187), dtype=np.float32)
    with pytest.raises(ValueError, match=r"expecting 194 .* 187 beat samples then 7 rhythm"):
        clf.predict(beats)
    # set_params(n_rr_features=np.int64(7)), as a grid of NumPy integers sets it: the same hint.
    clf.n_rr_features = np.int64(7)
    with pytest.raises(ValueError, match=r"187 beat samples then 7 rhythm"):
        clf.predict(beats)


def test_rows_of_another_feature_layout_are_not_called_beats_alone():
    # Rows with rhythm and template features (feature_rows(template=True), 10 columns) given to
    # a rhythm model (7): the error said "beats alone lack them" of rows that hold features.
    clf = HeartbeatCNNClassifier.from_pretrained("mitbih-rhythm")
    rows = np.zeros((2, 197), dtype=np.float32)
    with pytest.raises(ValueError, match="187 beat samples then 7 rhythm") as error:
        clf.predict(rows)
    assert "beats alone" not in str(error.value)
    assert "template=True for 10" in str(error.value)


def test_predict_before_fit_and_wrong_beat_length(fitted):
    clf, X, _ = fitted
    with pytest.raises(NotFittedError):
        HeartbeatCNNClassifier().predict(X)
    with pytest.raises(
        ValueError, match="X has 187 features, but HeartbeatCNNClassifier is expecting 64"
    ):
        clf.predict(np.zeros((3, 187)))
    with pytest.raises(ValueError, match="NaN"):
        clf.predict_proba(np.full((3, 64), np.nan))


def test_short_beats_work_with_every_architecture():
    X, y = make_synthetic_beats(n_per_class=10, n_samples=3)
    for architecture in ("cnn", "resnet"):
        clf = HeartbeatCNNClassifier(architecture, **{**FAST_PARAMS, "epochs": 1}).fit(X, y)
        assert clf.predict_proba(X).shape == (30, 3)


def test_warnings_only_for_tiny_data():
    X, y = make_synthetic_beats(n_per_class=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        # Whole FAST_PARAMS training: after one epoch the network still calls every beat one
        # class, and says so (ConvergenceWarning is a UserWarning).
        HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y)
    with pytest.warns(UserWarning, match="too few beats"):
        HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}).fit(X[:4], y[:4])


def test_environment_not_polluted():
    assert "TF_DETERMINISTIC_OPS" not in os.environ


# ------------------------------------------------------------------ failures leave no trace


def test_a_failed_refit_leaves_the_estimator_as_it_was(beats, monkeypatch):
    X, y = beats
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2}).fit(X, y)
    before = clf.predict_proba(X)
    state = {k: v for k, v in clf.__dict__.items()}
    # Bad input: another beat length, one class.
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X[:, :40], np.full(len(y), "N"))
    # An error in the middle of training.
    from ecgbeat import _training

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(_training, "train", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        clf.fit(X, y)
    assert clf.__dict__.keys() == state.keys()
    assert all(clf.__dict__[k] is v for k, v in state.items())
    assert clf.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    # A first fit that fails leaves it unfitted.
    fresh = HeartbeatCNNClassifier(**FAST_PARAMS)
    with pytest.raises(RuntimeError, match="disk full"):
        fresh.fit(X, y)
    with pytest.raises(NotFittedError):
        fresh.predict(X)


def test_a_failed_fit_does_not_advance_a_random_state_instance(beats, monkeypatch):
    X, y = beats

    def state(rng: np.random.RandomState) -> tuple:
        name, keys, pos, *rest = rng.get_state()
        return (name, keys.tolist(), pos, *rest)

    rng = np.random.RandomState(7)
    before = state(rng)
    # Refused for a bad parameter value, checked only once the labels are known.
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "random_state": rng}, class_weight={"N": -1})
    with pytest.raises(ValueError, match="class_weight"):
        clf.fit(X, y)
    assert state(rng) == before
    # An error in the middle of training, after the draw.
    from ecgbeat import _training

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(_training, "train", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        clf.set_params(class_weight=None).fit(X, y)
    assert state(rng) == before


@pytest.mark.parametrize("size", [0, -1, 2.5, True])
def test_predict_batch_size_is_checked_where_it_is_used(beats, size):
    X, y = beats
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}).fit(X, y)
    clf.set_params(predict_batch_size=size)
    with pytest.raises(ValueError, match="predict_batch_size must be an integer >= 1"):
        clf.predict_proba(X)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_beats_that_overflow_inside_the_network_are_an_error_not_nan(precision):
    """Finite float32 beats near its limit overflowed the network's sums. What that gave depends
    on the CPU's kernels: NaN probabilities (predict then said the first class), or, where a ReLU
    turns NaN into 0, finite but meaningless ones. They are refused, by a bound on the weights."""
    from ecgbeat.exceptions import InputScaleWarning

    clf = HeartbeatCNNClassifier.from_pretrained("mitbih", inference_precision=precision)
    limit = overflow_limit(clf.model_)
    X = np.zeros((3, clf.n_features_in_), dtype=np.float32)
    X[1] = 3e38
    X[2, 5] = -2 * limit
    for method in (clf.predict_proba, clf.predict):
        with (
            pytest.warns(InputScaleWarning),
            pytest.raises(ValueError, match=r"could overflow for 2 beat\(s\) \(the first in row 1"),
        ):
            method(X)
    # Within the bound the sums cannot overflow, whatever the CPU.
    X[1:] = limit / 2
    with pytest.warns(InputScaleWarning):
        assert np.isfinite(clf.predict_proba(X)).all()


@pytest.mark.parametrize("n_rr", ["7", -1, 2.0, True, None])
def test_n_rr_features_is_checked_where_predict_uses_it(fitted, n_rr):
    clf, X, _ = fitted
    clf = copy.deepcopy(clf).set_params(n_rr_features=n_rr)
    with pytest.raises(ValueError, match="n_rr_features must be an integer >= 0"):
        clf.predict_proba(X)


def test_a_network_that_learned_nothing_says_so():
    from sklearn.exceptions import ConvergenceWarning

    # Identical beats with two labels: nothing to learn, every beat gets the same class.
    X = np.full((60, 32), 0.5, dtype=np.float32)
    y = np.array(["N", "V"] * 30)
    with pytest.warns(ConvergenceWarning, match=r"predicting class '(N|V)' for every one of 60"):
        HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2}).fit(X, y)
    # Labels in an object array (a pandas column of text) are named the same way.
    with pytest.warns(ConvergenceWarning, match=r"predicting class '(N|V)' for every one of 60"):
        HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2}).fit(X, y.astype(object))
    # A network that learned says nothing.
    X, y = make_synthetic_beats()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y)


def test_validation_loss_above_the_class_prior_says_so():
    from sklearn.exceptions import ConvergenceWarning

    # Noise beats with random labels: what training memorises cannot carry to held-out beats.
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (200, 32)).astype(np.float32)
    y = rng.choice(["N", "V"], 200)
    with pytest.warns(
        ConvergenceWarning, match="never fell clearly below .* class frequencies"
    ) as got:
        clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "validation_fraction": 0.3}).fit(X, y)
    # The figure it names is the loss of the training frequencies on the held-out beats.
    message = next(str(w.message) for w in got if "class frequencies" in str(w.message))
    prior = float(message.split("below ")[1].split(",")[0])
    assert min(clf.history_["val_loss"]) >= 0.99 * prior
    assert prior == pytest.approx(np.log(2), abs=0.05)
    assert "frequencies for every beat" in message


def test_the_class_prior_of_weighted_beats_is_named_as_such():
    from sklearn.exceptions import ConvergenceWarning

    # With weights, the figure is the loss of the weighted class mix (equal shares, with
    # class_weight="balanced"), not of the counts; the message said "class frequencies" alone.
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (200, 32)).astype(np.float32)
    y = rng.choice(["N", "V"], 200)
    with pytest.warns(ConvergenceWarning, match="never fell clearly below") as got:
        HeartbeatCNNClassifier(
            **{**FAST_PARAMS, "validation_fraction": 0.3}, class_weight="balanced"
        ).fit(X, y)
    message = next(str(w.message) for w in got if "class frequencies" in str(w.message))
    assert "the training class frequencies (of the beats' weights) for every beat" in message


def test_a_class_of_weight_0_does_not_hide_a_network_that_learned_nothing():
    from sklearn.exceptions import ConvergenceWarning

    # The class frequencies give a class of weight 0 no share, so each of its held-out beats
    # cost them -ln(1e-7) = 16: any network came in far below, and a fit that learned nothing
    # said nothing. Here beats of two shapes with labels drawn at random: the network can tell
    # the shapes apart (so that it need not predict one class for every beat, which says so),
    # but what it learns of the labels cannot carry to the held-out beats.
    X, _ = make_synthetic_beats(n_per_class=80, n_samples=32, labels=("a", "b"), seed=1)
    y = np.random.default_rng(1).choice(["N", "V", "S"], len(X))
    params = {**FAST_PARAMS, "validation_fraction": 0.3, "class_weight": {"N": 1, "V": 1, "S": 0}}
    with pytest.warns(ConvergenceWarning, match="classes it trained on") as got:
        HeartbeatCNNClassifier(**params).fit(X, y)
    message = next(str(w.message) for w in got if "classes it trained on" in str(w.message))
    # The figures are of the held-out N and V beats alone: their prior is that of a mix near 1:1.
    prior = float(message.split("clearly below ")[1].split(",")[0])
    kept = float(message.split("(it is ")[1].split(")")[0])
    assert prior == pytest.approx(np.log(2), abs=0.05)
    assert kept >= 0.99 * prior
    # A network that learned says nothing, with a class of weight 0 too.
    X, y = make_synthetic_beats()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        HeartbeatCNNClassifier(**{**params, "class_weight": {"N": 1, "V": 1, "S": 0}}).fit(X, y)


def test_one_class_of_weight_is_not_compared_with_its_class_prior():
    # With every class but one of weight 0, the prior is that class alone, which costs its
    # held-out beats 0: no network comes in below it, and fit warned that what it learned did
    # not carry. As with beats of one class, there is nothing to compare.
    X, y = make_synthetic_beats(n_per_class=20, n_samples=32)
    params = {**FAST_PARAMS, "epochs": 2, "class_weight": {"N": 1, "S": 0, "V": 0}}
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        HeartbeatCNNClassifier(**params).fit(X, y)
    assert not [w for w in got if "clearly below" in str(w.message)]


def test_the_class_example_runs_without_warnings():
    # The first code a user copies: its beats reached 3, so its fit and predict warned that they
    # were not scaled to [0, 1], the very mistake the warning exists to catch.
    import doctest

    finder = doctest.DocTestFinder(recurse=False)
    (example,) = finder.find(HeartbeatCNNClassifier, "HeartbeatCNNClassifier")
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    report = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=DeprecationWarning)  # TensorFlow's own
        runner.run(example, out=report.append)
    assert runner.summarize(verbose=False).failed == 0, "".join(report)


def test_every_fitted_attribute_is_documented():
    # feature_names_in_, set by a fit on a DataFrame (and kept by save and pickle), was missing
    # from the Attributes section.
    pd = pytest.importorskip("pandas")
    X, y = make_synthetic_beats(n_per_class=5)
    frame = pd.DataFrame(X, columns=[f"t{i}" for i in range(X.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a one-epoch fit learns nothing, and says so
        clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}).fit(frame, y)
    fitted = sorted(name for name in vars(clf) if name.endswith("_") and not name.startswith("_"))
    assert "feature_names_in_" in fitted
    attributes = HeartbeatCNNClassifier.__doc__.split("Attributes\n    ----------")[1]
    attributes = attributes.split("See Also")[0]
    assert [name for name in fitted if f"\n    {name} : " not in attributes] == []


def test_nan_beats_are_refused_when_scikit_learn_assumes_finite_input():
    # Under sklearn.set_config(assume_finite=True), which skips scikit-learn's check for NaN,
    # a beat holding NaN got a class (the network's ReLUs and poolings gave finite output).
    import sklearn

    from ecgbeat.datasets import load_sample

    clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
    X = load_sample().data[:4].copy()
    X[2, 40] = np.nan
    with sklearn.config_context(assume_finite=True):
        assert clf.predict(X[:2]).shape == (2,)
        with pytest.raises(ValueError, match=r"X holds NaN in 1 beat\(s\) \(the first in row 2\)"):
            clf.predict(X)
        with pytest.raises(ValueError, match="NaN"):
            clf.predict_proba(X[2:3])


def test_fit_refuses_nan_when_scikit_learn_assumes_finite_input():
    # Under assume_finite=True fit trained on NaN and failed as "training diverged ... Try a
    # smaller learning_rate", the wrong cause; NaN weights likewise.
    import sklearn

    X, y = make_synthetic_beats(n_per_class=10, n_samples=32)
    with_nan = X.copy()
    with_nan[5, 3] = np.nan
    weights = np.ones(len(y))
    weights[7] = np.nan
    clf = HeartbeatCNNClassifier(**FAST_PARAMS)
    with sklearn.config_context(assume_finite=True):
        with pytest.raises(ValueError, match=r"X holds NaN or infinite .* \(the first in row 5\)"):
            clf.fit(with_nan, y)
        with pytest.raises(ValueError, match=r"sample_weight holds NaN .* \(the first in row 7\)"):
            clf.fit(X, y, sample_weight=weights)
    assert not hasattr(clf, "model_")
