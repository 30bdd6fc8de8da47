"""The compiled prediction step: Keras' numbers, with each convolution fused for oneDNN."""

import numpy as np
import pytest

from ecgbeat._backend import import_keras
from ecgbeat._inference import compile_predict, overflow_limit, refuse_overflowing_input
from ecgbeat.networks import build_network


def _beats(n, length, seed=0):
    return np.random.default_rng(seed).random((n, length, 1), dtype=np.float32)


@pytest.mark.parametrize("architecture", ["cnn", "resnet"])
def test_fused_step_gives_keras_probabilities(architecture):
    model = build_network(architecture, 60, 4, seed=1)
    beats = _beats(300, 60)
    expected = model(beats, training=False).numpy()
    got = np.asarray(compile_predict(model)(beats))
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)
    assert got.shape == (300, 4)


def _consumers(op):
    return [c for out in op.outputs for c in out.consumers()]


def test_every_relu_convolution_is_conv_biasadd_relu_in_one_chain():
    """The pattern oneDNN fuses; Keras' own Conv1D puts a Squeeze and an AddV2 in between."""
    model = build_network("cnn", 60, 3, seed=0)
    graph = compile_predict(model).concrete_function.graph
    convs = [op for op in graph.get_operations() if op.type == "Conv2D"]
    assert len(convs) == 8
    for conv in convs:
        (bias_add,) = _consumers(conv)
        assert bias_add.type == "BiasAdd"
        (relu,) = _consumers(bias_add)
        assert relu.type == "Relu"

    import tensorflow as tf

    plain = tf.function(lambda x: model(x, training=False)).get_concrete_function(
        tf.TensorSpec((None, 60, 1), tf.float32)
    )
    plain_convs = [op for op in plain.graph.get_operations() if op.type == "Conv2D"]
    # Keras' own layer does not hand its convolution straight to a BiasAdd (it reshapes first):
    # the assertions above are what the rewrite adds.
    assert len(plain_convs) == 8
    assert "BiasAdd" not in {_consumers(c)[0].type for c in plain_convs}


def test_step_reads_the_live_weights():
    model = build_network("cnn", 40, 3, seed=0)
    predict = compile_predict(model)
    beats = _beats(20, 40)
    before = np.asarray(predict(beats))
    model.set_weights(build_network("cnn", 40, 3, seed=7).get_weights())
    after = np.asarray(predict(beats))
    assert np.abs(after - before).max() > 1e-3
    np.testing.assert_allclose(after, model(beats, training=False).numpy(), atol=1e-6)


def test_networks_of_one_structure_share_one_traced_step_on_their_own_weights():
    # A fit of a structure already seen pays no tracing: the step is traced on the first network
    # and each later one runs it on its own variables.
    beats = _beats(30, 50)
    first, second = (build_network("cnn", 50, 3, seed=seed) for seed in (11, 12))
    steps = [compile_predict(model) for model in (first, second)]
    assert steps[0].concrete_function is steps[1].concrete_function
    for model, step in zip((first, second), steps, strict=True):
        np.testing.assert_allclose(step(beats), model(beats, training=False), atol=1e-6)
    assert np.abs(np.asarray(steps[0](beats)) - np.asarray(steps[1](beats))).max() > 1e-3
    # Another structure, another step.
    other = compile_predict(build_network("cnn", 51, 3, seed=11))
    assert other.concrete_function is not steps[0].concrete_function


def test_a_network_reading_state_outside_its_variables_gets_a_step_of_its_own():
    # A layer holding a bare TensorFlow variable, which Keras does not list among the model's
    # variables: a shared step would read the first network's value for every network. The two
    # networks have one configuration (fixed names, the value set after construction).
    import keras
    import tensorflow as tf

    from ecgbeat.networks import structure_key

    class Shift(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.shift = tf.Variable(0.0)

        def call(self, x):
            return x + self.shift

    def network(shift):
        inputs = keras.Input((5, 1), name="beats")
        layer = Shift(name="shift")
        layer.shift.assign(shift)
        flat = keras.layers.Flatten(name="flat")(layer(inputs))
        dense = keras.layers.Dense(2, kernel_initializer="ones", name="dense")
        return keras.Model(inputs, dense(flat), name="shifted")

    networks = [network(0.0), network(10.0)]
    assert structure_key(networks[0]) == structure_key(networks[1])
    beats = np.ones((2, 5, 1), dtype=np.float32)
    for model, shift in zip(networks, (0.0, 10.0), strict=True):
        np.testing.assert_allclose(compile_predict(model)(beats), 5 * (1 + shift), rtol=1e-6)


def test_a_shared_step_keeps_no_weights_of_the_network_it_was_traced_on():
    import gc
    import weakref

    template = build_network("cnn", 47, 3, seed=0)
    step = compile_predict(template)
    kernels = [weakref.ref(v.value) for v in template.variables if v.path.endswith("kernel")]
    del template, step
    gc.collect()
    assert kernels and all(kernel() is None for kernel in kernels)


def test_dropout_is_off():
    model = build_network("cnn", 40, 3, seed=0, dropout=0.5)
    predict = compile_predict(model)
    beats = _beats(50, 40)
    np.testing.assert_array_equal(np.asarray(predict(beats)), np.asarray(predict(beats)))
    np.testing.assert_allclose(predict(beats), model(beats, training=False), atol=1e-6)


def test_a_model_without_a_functional_graph_gets_keras_own_step():
    import keras

    model = keras.Sequential([keras.Input((40, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
    predict = compile_predict(model)
    assert predict == model.predict_on_batch
    beats = _beats(5, 40)
    np.testing.assert_allclose(predict(beats), model(beats).numpy(), atol=1e-6)


def test_other_conv1d_settings_give_keras_outputs():
    """Strides, "valid" padding, no bias, a linear and an unfused activation, a skip connection."""
    import keras

    inputs = keras.Input((50, 1))
    a = keras.layers.Conv1D(6, 4, strides=2, padding="valid", activation="relu")(inputs)
    b = keras.layers.Conv1D(6, 3, padding="same", use_bias=False)(a)
    c = keras.layers.Conv1D(6, 3, padding="same", activation="tanh")(b)
    d = keras.layers.Conv1D(6, 3, padding="causal", activation="relu")(keras.layers.Add()([a, c]))
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(d))
    model = keras.Model(inputs, outputs)
    beats = _beats(40, 50)
    predict = compile_predict(model)
    np.testing.assert_allclose(predict(beats), model(beats).numpy(), atol=1e-5, rtol=1e-5)
    graph = predict.concrete_function.graph
    convs = [op for op in graph.get_operations() if op.type == "Conv2D"]
    next_ops = [_consumers(conv)[0].type for conv in convs]
    # The first two are rewritten (the second, with neither bias nor activation, goes straight
    # back to 3D); tanh and causal padding run as Keras layers, with Keras' Squeeze next.
    assert next_ops == ["BiasAdd", "StridedSlice", "Squeeze", "Squeeze"]


@pytest.mark.parametrize("architecture", ["cnn", "resnet"])
def test_bfloat16_step_computes_in_bfloat16_and_stays_close(architecture):
    model = build_network(architecture, 60, 4, seed=1)
    beats = _beats(300, 60)
    expected = np.asarray(compile_predict(model)(beats))
    got = np.asarray(compile_predict(model, "bfloat16")(beats))
    graph = compile_predict(model, "bfloat16").concrete_function.graph
    conv_types = {op.get_attr("T") for op in graph.get_operations() if op.type == "Conv2D"}
    import tensorflow as tf

    assert conv_types == {tf.bfloat16}
    assert got.dtype == np.float32 and np.allclose(got.sum(axis=1), 1, atol=1e-5)
    # bfloat16 keeps 8 bits of mantissa: close to float32, but not the same numbers.
    assert 0 < np.abs(got - expected).max() < 0.05
    with pytest.raises(ValueError, match="precision must be one of"):
        compile_predict(model, "int8")


@pytest.mark.parametrize("ending", ["dense softmax", "softmax layer"])
def test_the_bfloat16_copy_keeps_the_output_layer_of_any_network_in_float32(ending):
    # Only a layer named "output" (ecgbeat's) was kept: a network of one's own, written with
    # write_model_file, gave bfloat16 probabilities (rows summing to 1 within only 2**-8).
    from ecgbeat._inference import bfloat16_copy

    keras = import_keras()
    inputs = keras.Input((40, 1))
    x = keras.layers.Flatten()(keras.layers.Conv1D(4, 5, activation="relu")(inputs))
    if ending == "dense softmax":
        outputs = keras.layers.Dense(3, activation="softmax", name="probs")(x)
    else:
        outputs = keras.layers.Softmax(name="probs")(keras.layers.Dense(3, name="logits")(x))
    model = keras.Model(inputs, outputs)
    copy = bfloat16_copy(model)
    dtypes = {layer.name: layer.compute_dtype for layer in copy.layers[1:]}
    assert dtypes.pop("probs") == "float32"
    assert set(dtypes.values()) == {"bfloat16"}
    got = np.asarray(compile_predict(model, "bfloat16")(_beats(50, 40)))
    assert got.dtype == np.float32 and np.allclose(got.sum(axis=1), 1, atol=1e-5)


def _fitted(**params):
    from ecgbeat import HeartbeatCNNClassifier

    rng = np.random.default_rng(0)
    X = rng.random((160, 60), dtype=np.float32) * 0.4
    y = np.repeat(["normal", "ectopic"], 80)
    X[80:, 20:30] += 0.5
    clf = HeartbeatCNNClassifier(epochs=2, batch_size=32, random_state=0, precision="float32")
    return clf.set_params(**params).fit(X, y), X


def test_inference_precision_is_read_when_predicting_and_round_trips(tmp_path, monkeypatch):
    import pickle

    import ecgbeat.classifier as classifier_module
    from ecgbeat import HeartbeatCNNClassifier

    clf, X = _fitted()
    float32 = clf.predict_proba(X)
    clf.set_params(inference_precision="bfloat16")  # no new fit needed
    bfloat16 = clf.predict_proba(X)
    assert 0 < np.abs(bfloat16 - float32).max() < 0.05
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(bfloat16, axis=1)])
    for copy in (
        pickle.loads(pickle.dumps(clf)),
        HeartbeatCNNClassifier.load(_saved(clf, tmp_path)),
    ):
        assert copy.inference_precision == "bfloat16"
        np.testing.assert_allclose(copy.predict_proba(X), bfloat16, atol=1e-6)
    # "auto": bfloat16 where the CPU has it (and no GPU is seen), float32 elsewhere.
    for training_default, expected in (("mixed_bfloat16", bfloat16), ("float32", float32)):
        monkeypatch.setattr(
            classifier_module, "default_training_precision", lambda d=training_default: d
        )
        clf.set_params(inference_precision="auto")
        np.testing.assert_allclose(clf.predict_proba(X), expected, atol=1e-6)
    clf.set_params(inference_precision="int8")
    with pytest.raises(ValueError, match="inference_precision must be one of"):
        clf.predict(X)


def _saved(clf, folder):
    path = folder / "model.keras"
    clf.save(path)
    return path


def _dense_chain(kernels, biases):
    keras = import_keras()
    inputs = keras.Input((2,))
    x = inputs
    for i, (kernel, bias) in enumerate(zip(kernels, biases, strict=True)):
        layer = keras.layers.Dense(
            np.shape(kernel)[1], activation="relu" if i == 0 else "linear", name=f"d{i}"
        )
        x = layer(x)
        layer.set_weights([np.array(kernel, dtype=np.float32), np.array(bias, dtype=np.float32)])
    return keras.Model(inputs, x)


def test_overflow_limit_is_the_bound_of_the_weights():
    """|d0| <= 3 B + 3: the largest column sum of |W| times the input's bound, plus the largest
    |bias| and a margin of 1 that covers a bounded activation (softmax's 1). Then
    |d1| <= 4 (3 B + 3) + 5 + 1. The limit is where the larger reaches float32's largest number
    over the margin for rounding."""
    model = _dense_chain([[[1.0, -2.0], [-2.0, 1.0]], [[4.0], [0.0]]], [[2.0, -1.0], [5.0]])
    safe = float(np.finfo(np.float32).max) / 2**10
    expected = min((safe - 3.0) / 3.0, (safe - 18.0) / 12.0)
    assert overflow_limit(model) == pytest.approx(expected, rel=1e-12)


def test_overflow_limit_of_an_unknown_layer_is_none():
    keras = import_keras()
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="exponential")(inputs))
    assert overflow_limit(model) is None
    refuse_overflowing_input(np.full((2, 3), 3e38), None)  # no bound known: nothing refused


def test_residual_networks_add_the_bounds_of_their_branches():
    keras = import_keras()
    inputs = keras.Input((2,))
    double = keras.layers.Dense(2, use_bias=False, name="double")
    branch = double(inputs)
    double.set_weights([np.eye(2, dtype=np.float32) * 2])
    model = keras.Model(inputs, keras.layers.Add()([inputs, branch]))
    safe = float(np.finfo(np.float32).max) / 2**10
    # |double| <= 2 B + 1 (no bias; the +1 of its linear activation's margin); |sum| <= 3 B + 1
    assert overflow_limit(model) == pytest.approx((safe - 1.0) / 3.0, rel=1e-12)
