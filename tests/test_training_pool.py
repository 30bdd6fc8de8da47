"""Repeated fits reuse one compiled training step, so memory stays flat, and results do not change."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

import numpy as np
import pytest
from conftest import FAST_PARAMS, make_synthetic_beats

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat._training import TRAINERS, TrainerPool


@pytest.fixture
def empty_pool():
    TRAINERS.clear()
    yield TRAINERS
    TRAINERS.clear()


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _tracing_count(train_function) -> int:
    """Traces of the tf.functions inside Keras' training function (it closes over them)."""
    return sum(
        cell.cell_contents.experimental_get_tracing_count()
        for cell in train_function.__closure__ or ()
        if hasattr(cell.cell_contents, "experimental_get_tracing_count")
    )


def _tracing_counts(pool: TrainerPool) -> list[int]:
    """Traces of the training step of each idle network in ``pool``."""
    return [
        _tracing_count(trainer.train_function)
        for trainers in pool._idle.values()
        for trainer in trainers
    ]


def test_fits_of_one_structure_share_one_traced_training_step(empty_pool):
    X, y = make_synthetic_beats()
    for seed in range(3):
        HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2, "random_state": seed}).fit(X, y)
    # One idle network whose training step was traced once for all three fits.
    assert _tracing_counts(empty_pool) == [1]
    # Another structure (a frozen feature extractor) gets a network of its own.
    HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2, "freeze_conv": True}).fit(X, y)
    assert sorted(_tracing_counts(empty_pool)) == [1, 1]


def test_a_reused_network_gives_exactly_the_fresh_result(empty_pool):
    X, y = make_synthetic_beats()
    params = {**FAST_PARAMS, "dropout": 0.3, "epochs": 4}
    fresh = HeartbeatCNNClassifier(**params).fit(X, y)  # pool empty: a new network
    # Dirty the pooled network's weights, optimizer state and dropout seeds with other fits.
    HeartbeatCNNClassifier(**{**params, "random_state": 7, "learning_rate": 0.01}).fit(X, y)
    reused = HeartbeatCNNClassifier(**params).fit(X, y)
    assert _tracing_counts(empty_pool) == [1]
    np.testing.assert_array_equal(reused.predict_proba(X), fresh.predict_proba(X))
    assert reused.history_ == fresh.history_
    assert reused.model_ is not fresh.model_


def test_concurrent_fits_in_threads_match_serial_fits(empty_pool):
    X, y = make_synthetic_beats()
    seeds = [0, 1]
    serial = [
        HeartbeatCNNClassifier(**{**FAST_PARAMS, "random_state": s}).fit(X, y).predict_proba(X)
        for s in seeds
    ]
    results: dict[int, np.ndarray] = {}

    def fit(seed: int) -> None:
        clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "random_state": seed}).fit(X, y)
        results[seed] = clf.predict_proba(X)

    threads = [threading.Thread(target=fit, args=(s,)) for s in seeds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for seed, expected in zip(seeds, serial, strict=True):
        np.testing.assert_array_equal(results[seed], expected)
    assert len(_tracing_counts(empty_pool)) <= 2


def test_pool_keeps_at_most_max_idle_networks():
    import keras

    pool = TrainerPool(max_idle=2)
    for units in (3, 4, 5):
        inputs = keras.Input((8, 1))
        model = keras.Model(inputs, keras.layers.Dense(units)(keras.layers.Flatten()(inputs)))
        with pool.borrow(model, learning_rate=1e-3):
            pass
    assert sum(map(len, pool._idle.values())) == 2
    pool.clear()
    assert not pool._idle


def test_a_failed_fit_does_not_return_its_network(empty_pool):
    X, y = make_synthetic_beats()

    import keras

    class Boom(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        HeartbeatCNNClassifier(**{**FAST_PARAMS, "callbacks": [Boom()]}).fit(X, y)
    assert _tracing_counts(empty_pool) == []


def test_repeated_fits_do_not_grow_memory(empty_pool):
    # Each fit of a fresh Keras model leaves about 11-18 MB behind in TensorFlow (traced steps
    # it never frees); with the pool the steps are traced once and later fits add nothing.
    X, y = make_synthetic_beats(n_per_class=30)
    params = {**FAST_PARAMS, "epochs": 1}
    rss = []
    for seed in range(14):
        clf = HeartbeatCNNClassifier(**{**params, "random_state": seed}).fit(X, y)
        clf.predict_proba(X)
        del clf
        gc.collect()
        rss.append(_rss_mib())
    slope = np.polyfit(np.arange(6, 14), rss[6:], 1)[0]
    assert slope < 2.5, f"memory grows {slope:.1f} MiB per fit: {np.round(rss, 1).tolist()}"


def test_first_fit_leaves_python_random_state_alone():
    # In a fresh process, the first fit imports TensorFlow and scikit-learn's model_selection,
    # both of which draw from Python's global random generator on import.
    code = (
        "import random, sys\n"
        "import numpy as np\n"
        "from ecgbeat import HeartbeatCNNClassifier\n"
        "random.seed(3); state = random.getstate()\n"
        "X = np.random.default_rng(0).random((20, 32)); y = np.arange(20) % 2\n"
        "HeartbeatCNNClassifier(epochs=1, batch_size=8, random_state=0).fit(X, y)\n"
        "assert {'tensorflow', 'sklearn.model_selection'} <= set(sys.modules)\n"
        "assert random.getstate() == state, 'random state moved'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)


# ---------------------------------------------------------------------------- precision


def test_cpu_bfloat16_detection_reads_the_cpu_flags(tmp_path):
    from ecgbeat._backend import cpu_has_bfloat16

    with_bf16 = tmp_path / "with"
    with_bf16.write_text("processor : 0\nflags : fpu avx2 avx512f avx512_bf16 fma\n")
    without = tmp_path / "without"
    without.write_text("processor : 0\nflags : fpu avx2 avx512f fma\n")
    assert cpu_has_bfloat16(str(with_bf16))
    assert not cpu_has_bfloat16(str(without))
    assert not cpu_has_bfloat16(str(tmp_path / "absent"))
    # Read once: inference_precision="auto" asks at every predict, and the flags stay.
    with_bf16.write_text("processor : 0\nflags : fpu avx2 fma\n")
    assert cpu_has_bfloat16(str(with_bf16))


@pytest.mark.parametrize("has_bf16, expected", [(True, "mixed_bfloat16"), (False, "float32")])
def test_auto_precision_follows_the_cpu(monkeypatch, empty_pool, has_bf16, expected):
    from ecgbeat import _backend

    monkeypatch.setattr(_backend, "cpu_has_bfloat16", lambda: has_bf16)
    X, y = make_synthetic_beats()
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}).fit(X, y)
    assert clf.precision_ == expected


def test_mixed_bfloat16_trains_in_bfloat16_and_predicts_in_float32(empty_pool):
    X, y = make_synthetic_beats()
    mixed = HeartbeatCNNClassifier(**FAST_PARAMS, precision="mixed_bfloat16").fit(X, y)
    plain = HeartbeatCNNClassifier(**FAST_PARAMS, precision="float32").fit(X, y)
    assert mixed.precision_ == "mixed_bfloat16" and plain.precision_ == "float32"
    assert mixed.score(X, y) == 1.0
    # The estimator's network is float32 whatever the training arithmetic...
    assert {layer.dtype_policy.name for layer in mixed.model_.layers} == {"float32"}
    assert mixed.predict_proba(X).dtype == np.float64
    # ...the training copies are kept apart, the bfloat16 one computing in bfloat16 but for its
    # softmax, and the two trainings differ (bfloat16 rounds the activations).
    trainers = {key[2]: nets[0] for key, nets in empty_pool._idle.items()}
    assert set(trainers) == {"mixed_bfloat16", "float32"}
    policies = [layer.dtype_policy.name for layer in trainers["mixed_bfloat16"].layers]
    assert policies[-1] == "float32" and "mixed_bfloat16" in policies[1:-1]
    assert not np.array_equal(mixed.predict_proba(X), plain.predict_proba(X))


def test_a_new_structure_traces_its_training_step_once(empty_pool, monkeypatch):
    import keras

    traced = []
    train_step = keras.Model.train_step

    def counted(self, data):
        traced.append(self)  # runs only while TensorFlow traces the step
        return train_step(self, data)

    monkeypatch.setattr(keras.Model, "train_step", counted)
    X, y = make_synthetic_beats()
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2}).fit(X, y)
    # Keras builds its compiled metrics in the first trace; a step that created variables
    # would be traced a second time.
    assert len(traced) == 1
    assert clf.n_epochs_ == 2


def test_a_global_keras_dtype_policy_changes_nothing(empty_pool):
    """With keras.mixed_precision.set_global_policy("mixed_float16") set for other models, the
    networks were built in float16 and their loss scaler's scale reset to 0: every fit failed as
    "training diverged" (and "mixed_bfloat16" predicted in bfloat16 despite
    inference_precision="float32")."""
    import keras

    X, y = make_synthetic_beats(n_per_class=10)
    params = {**FAST_PARAMS, "epochs": 2}
    expected = HeartbeatCNNClassifier(**params).fit(X, y).predict_proba(X)
    empty_pool.clear()  # the training copy, too, is made under the global policy
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        clf = HeartbeatCNNClassifier(**params).fit(X, y)
        assert keras.mixed_precision.global_policy().name == "mixed_float16"  # put back
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert {layer.dtype_policy.name for layer in clf.model_.layers} == {"float32"}
    np.testing.assert_array_equal(clf.predict_proba(X), expected)
