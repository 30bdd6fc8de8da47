"""Concurrency and signals: predict_proba from many threads, and a real Ctrl-C during fit."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats

from ecgbeat import HeartbeatCNNClassifier

N_THREADS = 8
N_SAMPLES = 32  # short beats keep the network cheap; the code path is the one of 187 samples


@pytest.fixture(scope="module")
def fitted():
    X, y = make_synthetic_beats(n_per_class=20, n_samples=N_SAMPLES)
    # Small batches: each call runs many of them, so the threads' batches interleave.
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2}, predict_batch_size=250)
    return clf.fit(X, y)


def test_predict_proba_from_8_threads_equals_one_thread(fitted):
    rng = np.random.default_rng(0)
    beats, _ = make_synthetic_beats(n_per_class=700, n_samples=N_SAMPLES, seed=1)  # 2100 beats
    reference = fitted.predict_proba(beats)
    # Each call gets its own order of the beats, so a result handed to the wrong caller, or
    # batches mixed between callers, cannot go unnoticed.
    orders = [rng.permutation(len(beats)) for _ in range(3 * N_THREADS)]
    barrier = threading.Barrier(N_THREADS)

    def predict(order):
        try:
            barrier.wait(timeout=60)  # start together: the calls really overlap
        except threading.BrokenBarrierError:
            pass
        return order, fitted.predict_proba(beats[order])

    for _ in range(3):  # rounds
        with ThreadPoolExecutor(N_THREADS) as pool:
            results = list(pool.map(predict, orders[:N_THREADS]))
        orders = orders[N_THREADS:]
        for order, proba in results:
            # Not bitwise: a beat's batch mates (another order) may take another kernel path,
            # which rounds otherwise; a result handed to the wrong caller is off by far more.
            np.testing.assert_allclose(proba, reference[order], rtol=0, atol=1e-5)
    assert np.abs(reference - reference[rng.permutation(len(beats))]).max() > 0.1  # mix-ups show


def test_ctrl_c_during_fit_keeps_the_best_weights_and_warns():
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is handled by someone else in this process")
    import keras

    X, y = make_synthetic_beats(n_per_class=30, n_samples=N_SAMPLES)
    weights_by_epoch = {}
    main = threading.get_ident()

    class SendCtrlC(keras.callbacks.Callback):
        """Record each epoch's weights; after the first, send SIGINT from another thread."""

        def on_epoch_end(self, epoch, logs=None):
            weights_by_epoch[epoch + 1] = self.model.get_weights()
            if epoch == 0:
                timer = threading.Timer(0.05, signal.pthread_kill, (main, signal.SIGINT))
                timer.daemon = True
                timer.start()

    epochs = 500  # far more than can run before the signal lands
    clf = HeartbeatCNNClassifier(
        **{**FAST_PARAMS, "epochs": epochs},
        early_stopping_patience=None,
        lr_schedule="plateau",  # every epoch is a candidate, not only the ends of cosine cycles
        callbacks=[SendCtrlC()],
    )
    with pytest.warns(UserWarning, match=r"interrupted after \d+ epoch.*best epoch so far"):
        clf.fit(X, y)
    assert 1 <= clf.n_epochs_ < epochs
    assert 1 <= clf.best_epoch_ <= clf.n_epochs_
    # The model holds exactly the weights of the best epoch, which it reports.
    for kept, best in zip(clf.model_.get_weights(), weights_by_epoch[clf.best_epoch_], strict=True):
        np.testing.assert_array_equal(kept, best)
    best_val_loss = min(clf.history_["val_loss"])
    assert clf.history_["val_loss"][clf.best_epoch_ - 1] == best_val_loss
    # Usable: it predicts, and Ctrl-C works as before for the rest of the session.
    proba = clf.predict_proba(X)
    assert proba.shape == (90, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_mid_epoch_without_validation_keeps_the_last_whole_epoch():
    import keras

    X, y = make_synthetic_beats(n_per_class=30, n_samples=N_SAMPLES)
    weights_by_epoch = {}

    class CtrlCInThirdEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            weights_by_epoch[epoch + 1] = self.model.get_weights()

        def on_train_batch_end(self, batch, logs=None):
            if len(weights_by_epoch) == 2 and batch == 2:  # some steps into the third
                raise KeyboardInterrupt

    clf = HeartbeatCNNClassifier(
        **FAST_PARAMS, validation_fraction=0, callbacks=[CtrlCInThirdEpoch()]
    )
    with pytest.warns(UserWarning, match=r"interrupted after 2 epoch"):
        clf.fit(X, y)
    assert clf.best_epoch_ == clf.n_epochs_ == 2
    # The weights it reports, not those of the third epoch's first steps.
    for kept, last in zip(clf.model_.get_weights(), weights_by_epoch[2], strict=True):
        np.testing.assert_array_equal(kept, last)


def test_ctrl_c_in_the_first_epoch_keeps_the_start_it_reports():
    import keras

    X, y = make_synthetic_beats(n_per_class=30, n_samples=N_SAMPLES)
    start = {}

    class CtrlCInFirstEpoch(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            start["weights"] = self.model.get_weights()

        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise KeyboardInterrupt

    clf = HeartbeatCNNClassifier(**FAST_PARAMS, callbacks=[CtrlCInFirstEpoch()])
    with pytest.warns(UserWarning, match=r"interrupted after 0 epoch.*so far \(0\)"):
        clf.fit(X, y)
    assert clf.best_epoch_ == clf.n_epochs_ == 0
    for kept, initial in zip(clf.model_.get_weights(), start["weights"], strict=True):
        np.testing.assert_array_equal(kept, initial)


# ------------------------------------------------------------------ records two at a time


def test_each_overlapped_keeps_order_errors_and_two_in_flight():
    from ecgbeat._overlap import each_overlapped

    lock, running, most = threading.Lock(), [0], [0]
    # The first two calls can only return once both have started: two in flight, for sure.
    both = threading.Barrier(2, timeout=30)

    def work(x):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        if x < 2:
            both.wait()
        with lock:
            running[0] -= 1
        if x == 3:
            raise OSError("record 3: truncated")
        return 10 * x

    out = list(each_overlapped(work, range(6)))
    assert [item for item, _, _ in out] == list(range(6))
    assert [result for _, result, _ in out] == [0, 10, 20, None, 40, 50]
    assert isinstance(out[3][2], OSError) and all(e is None for i, _, e in out if i != 3)
    assert most[0] == 2  # never more than two
    assert [r for _, r, _ in each_overlapped(lambda x: 10 * x, [1, 2], in_flight=1)] == [10, 20]
    assert list(each_overlapped(work, [])) == []
    with pytest.raises(ValueError, match="in_flight must be an integer >= 1"):
        next(each_overlapped(work, [1], in_flight=0))


def test_a_consumer_that_stops_early_starts_no_more_work():
    from ecgbeat._overlap import each_overlapped

    called = []
    results = each_overlapped(called.append, range(100))
    next(results)
    results.close()  # as when ecgbeat predict is interrupted
    assert len(called) <= 3  # the first, the one in flight, the one started when it was taken


def test_ctrl_c_while_an_epoch_is_recorded_waits_for_the_record(monkeypatch):
    # Ctrl-C landing between an epoch's history and its best weights (in the get_weights of the
    # epoch's end) left the history and best_epoch_ at epoch 2 and the network at epoch 1.
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is handled by someone else in this process")
    import keras

    X, y = make_synthetic_beats(n_per_class=30, n_samples=N_SAMPLES)
    taken = []  # the weights that the end of epoch 2 takes
    real_get_weights = keras.Model.get_weights

    class ArmAtEpoch2(keras.callbacks.Callback):
        armed = False

        def on_epoch_begin(self, epoch, logs=None):
            ArmAtEpoch2.armed = epoch == 1

    def get_weights(model):
        weights = real_get_weights(model)
        if ArmAtEpoch2.armed:
            ArmAtEpoch2.armed = False
            taken.append(weights)
            signal.raise_signal(signal.SIGINT)  # Ctrl-C, in the middle of the record
        return weights

    monkeypatch.setattr(keras.Model, "get_weights", get_weights)
    clf = HeartbeatCNNClassifier(
        **{**FAST_PARAMS, "epochs": 50}, validation_fraction=0.0, callbacks=[ArmAtEpoch2()]
    )
    with pytest.warns(UserWarning, match=r"interrupted after 2 epoch"):
        clf.fit(X, y)
    monkeypatch.undo()
    assert len(taken) == 1
    assert clf.n_epochs_ == clf.best_epoch_ == len(clf.history_["loss"]) == 2
    for kept, at_epoch_2 in zip(clf.model_.get_weights(), taken[0], strict=True):
        np.testing.assert_array_equal(kept, at_epoch_2)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
