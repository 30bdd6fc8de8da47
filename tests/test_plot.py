"""Figures of ecgbeat.plot, drawn headlessly (Agg) and checked by their content."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from ecgbeat.exceptions import InputScaleWarning  # noqa: E402
from ecgbeat.plot import (  # noqa: E402
    CLASS_COLORS,
    ERROR_FACE,
    class_colors,
    grad_cam,
    plot_beats_by_class,
    plot_confusion_matrix,
    plot_saliency,
    plot_strip,
)

NAMES = ["N", "S", "V", "F", "Q"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = buffer.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def test_import_does_not_load_matplotlib():
    code = "import sys, ecgbeat.plot; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False"


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install (-e )?"[^"]*\[plot\]"'):
        plot_strip(np.zeros(100), 100, [10], ["N"])


def test_class_colors_are_fixed_for_aami_and_cycle_otherwise():
    assert class_colors(NAMES) == CLASS_COLORS
    colors = class_colors(["normal", "abnormal"])
    assert colors["normal"] != colors["abnormal"]


def test_beats_by_class_grid():
    rng = np.random.default_rng(0)
    X = rng.random((40, 50))
    y = np.array([0] * 20 + [2] * 17 + [3] * 3)  # no S or Q beats, only 3 F beats
    fig, axes = plot_beats_by_class(X, y, class_names=NAMES, n_per_class=4)
    assert axes.shape == (5, 4)
    assert [axes[r, 0].get_ylabel() for r in range(5)] == NAMES
    visible = [[ax.get_visible() for ax in row] for row in axes]
    assert visible == [[True] * 4, [False] * 4, [True] * 4, [True, True, True, False], [False] * 4]
    assert axes[2, 1].get_title() == "V"
    line = axes[2, 1].lines[0]
    assert to_hex(line.get_color()) == CLASS_COLORS["V"]
    # Each panel draws one of the class's beats, on a time axis in seconds at 125 Hz.
    assert any(np.allclose(line.get_ydata(), X[i]) for i in np.flatnonzero(y == 2))
    assert line.get_xdata()[1] == pytest.approx(1 / 125)
    _png(fig)


def test_beats_by_class_shows_errors_first_marked_apart_from_the_class_colours():
    rng = np.random.default_rng(1)
    X = rng.random((30, 20))
    y = np.array(["N"] * 20 + ["V"] * 10)
    y_pred = y.copy()
    y_pred[[0, 1, 2]] = "V"  # three normal beats predicted V
    fig, axes = plot_beats_by_class(X, y, y_pred=y_pred, n_per_class=4)
    titles = [ax.get_title() for ax in axes[0]]
    assert titles == ["true N / pred V (wrong)"] + ["true N / pred N"] * 3  # one error in four
    # The error is marked by a grey panel and a bold title, not by a colour a class also has.
    faces = [to_hex(ax.get_facecolor()) for ax in axes[0]]
    assert faces == [ERROR_FACE] + ["#ffffff"] * 3
    assert ERROR_FACE not in CLASS_COLORS.values()
    assert axes[0, 0].title.get_fontweight() == "bold"
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["N", "V", "wrong"]
    assert to_hex(axes[0, 0].lines[0].get_color()) == CLASS_COLORS["V"]
    assert to_hex(axes[0, 3].lines[0].get_color()) == CLASS_COLORS["N"]
    assert any(np.allclose(axes[0, 0].lines[0].get_ydata(), X[i]) for i in (0, 1, 2))
    assert all(ax.get_title() == "true V / pred V" for ax in axes[1])
    # A class with no correct prediction fills its row with errors.
    y_pred[20:] = "N"
    fig, axes = plot_beats_by_class(X, y, y_pred=y_pred, n_per_class=4)
    assert [ax.get_title() for ax in axes[1]] == ["true V / pred N (wrong)"] * 4
    _png(fig)


def test_beats_by_class_compares_float_classes_with_integer_predictions_by_value():
    # y 0.0 and y_pred 0 were named "0.0" and "0": every beat was drawn as misclassified.
    X = np.zeros((4, 10))
    _fig, axes = plot_beats_by_class(X, [0.0, 0.0, 1.0, 1.0], y_pred=[0, 0, 1, 0], n_per_class=2)
    titles = sorted(ax.get_title() for ax in axes.ravel())
    assert titles == [
        "true 0.0 / pred 0.0",
        "true 0.0 / pred 0.0",
        "true 1.0 / pred 0.0 (wrong)",
        "true 1.0 / pred 1.0",
    ]


def test_beats_by_class_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="X has 3 beats but y has 2 labels"):
        plot_beats_by_class(np.zeros((3, 10)), [0, 1])
    # Matplotlib's "Number of rows/columns must be a positive integer" named neither argument.
    with pytest.raises(ValueError, match="no beats to draw: y is empty"):
        plot_beats_by_class(np.zeros((0, 10)), [])
    with pytest.raises(ValueError, match=r"n_per_class must be an integer >= 1, got 2\.5"):
        plot_beats_by_class(np.zeros((2, 10)), ["N", "V"], n_per_class=2.5)
    with pytest.raises(ValueError, match=r"n_per_class must be an integer >= 1, got True"):
        plot_beats_by_class(np.zeros((2, 10)), ["N", "V"], n_per_class=True)
    for seed in ("a", -1, 1.5):
        with pytest.raises(ValueError, match=r"random_state must be None or an integer >= 0"):
            plot_beats_by_class(np.zeros((2, 10)), ["N", "V"], random_state=seed)


def test_one_hot_labels_are_refused_naming_the_parameter():
    # One-hot rows were read cell by cell: beats picked by flat index, past the end of X or
    # (for the first rows) other classes' beats, drawn under the wrong row.
    X = np.zeros((6, 10))
    one_hot = np.eye(2, dtype=int)[[0, 0, 0, 1, 1, 1]]
    with pytest.raises(ValueError, match=r"y must be one label per beat.*got shape \(6, 2\)"):
        plot_beats_by_class(X, one_hot, class_names=["N", "V"])
    with pytest.raises(ValueError, match=r"y_pred must be one label per beat"):
        plot_beats_by_class(X, one_hot.argmax(1), y_pred=one_hot, class_names=["N", "V"])
    signal, fs, r = _toy_ecg()
    with pytest.raises(ValueError, match=r"labels must be one label per beat"):
        plot_strip(signal, fs, r, np.eye(2, dtype=int)[np.zeros(r.size, int)], class_names="NV")


def _toy_ecg(fs=250, seconds=12):
    t = np.arange(seconds * fs) / fs
    r = np.arange(fs // 2, t.size - fs // 2, int(0.8 * fs))
    signal = np.exp(-(((t[:, None] - r / fs) / 0.012) ** 2)).sum(axis=1)
    return signal, fs, r


def test_strip_colours_beats_by_class():
    signal, fs, r = _toy_ecg()
    labels = np.array(["N"] * len(r))
    labels[[2, 5]] = "V"
    labels[3] = "S"
    fig, ax = plot_strip(signal, fs, r, labels, class_names=NAMES, start=1.0, duration=5.0)
    trace = ax.lines[0]
    np.testing.assert_allclose(trace.get_ydata(), signal[fs : 6 * fs])
    assert trace.get_xdata()[0] == pytest.approx(1.0)
    # One marker collection per class present, in class order, in the class's colour.
    markers = [c for c in ax.collections if c.get_label() in NAMES]
    assert [c.get_label() for c in markers] == ["N", "S", "V"]
    for collection in markers:
        assert to_hex(collection.get_facecolor()[0]) == CLASS_COLORS[collection.get_label()]
    inside = (r >= fs) & (r < 6 * fs)
    n_shown = sum(len(c.get_offsets()) for c in markers)
    assert n_shown == inside.sum()
    v_times = sorted(markers[2].get_offsets()[:, 0])
    assert v_times == pytest.approx(sorted(r[[2, 5]] / fs))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["N", "S", "V"]
    assert ax.get_xlabel() == "Time (s)"
    _png(fig)


def test_strip_integer_labels_and_errors():
    signal, fs, r = _toy_ecg()
    _, ax = plot_strip(signal, fs, r, np.zeros(len(r), int), class_names=NAMES, title="rec")
    assert ax.get_title() == "rec"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["N"]
    with pytest.raises(ValueError, match="R peaks but"):
        plot_strip(signal, fs, r, ["N"])
    with pytest.raises(ValueError, match="after the end of the signal"):
        plot_strip(signal, fs, r, ["N"] * len(r), start=60.0)
    # NaN or infinite starts raised "cannot convert float NaN to integer" or an OverflowError.
    for start in (float("nan"), float("inf"), -float("inf"), None, False):
        with pytest.raises(ValueError, match="start must be a finite number of seconds"):
            plot_strip(signal, fs, r, ["N"] * len(r), start=start)


def test_a_strip_shorter_than_a_sample_is_refused_as_such():
    # It was refused as starting "at 0.0 s, after the end of the signal".
    signal, fs, r = _toy_ecg()
    with pytest.raises(ValueError, match=r"duration 0\.001 s holds no sample") as info:
        plot_strip(signal, fs, r, ["N"] * len(r), duration=0.001)
    assert "after the end" not in str(info.value)


def test_confusion_matrix_counts_and_labels():
    y_true = [0, 0, 0, 1, 2, 2, 4]
    y_pred = [0, 0, 2, 1, 2, 0, 4]
    fig, ax = plot_confusion_matrix(y_true, y_pred, class_names=NAMES)
    assert [t.get_text() for t in ax.get_xticklabels()] == NAMES
    assert [t.get_text() for t in ax.get_yticklabels()] == NAMES
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Predicted class", "True class")
    cells = np.array([int(t.get_text()) for t in ax.texts]).reshape(5, 5)
    expected = np.zeros((5, 5), int)
    for t, p in zip(y_true, y_pred, strict=True):
        expected[t, p] += 1
    np.testing.assert_array_equal(cells, expected)
    fig, ax = plot_confusion_matrix(y_true, y_pred, class_names=NAMES, normalize="true")
    assert ax.texts[0].get_text() == "0.67"
    _png(fig)


def test_confusion_matrix_of_text_labels_keeps_the_names_order():
    # scikit-learn sorts text labels (F, N, Q, S, V); the rows were named N, S, V, F, Q over
    # them, and a row named S counted the N beats.
    codes = [0, 0, 0, 1, 2, 2, 4]
    y_true = [NAMES[c] for c in codes]
    y_pred = [NAMES[c] for c in [0, 0, 2, 1, 2, 0, 4]]
    _, ax = plot_confusion_matrix(y_true, y_pred, class_names=NAMES)
    _, by_code = plot_confusion_matrix(codes, [0, 0, 2, 1, 2, 0, 4], class_names=NAMES)
    assert [t.get_text() for t in ax.get_yticklabels()] == NAMES
    assert [t.get_text() for t in ax.texts] == [t.get_text() for t in by_code.texts]
    with pytest.raises(ValueError, match=r"labels \['X'\] are not in class_names"):
        plot_confusion_matrix(["N", "X"], ["N", "N"], class_names=NAMES)


@pytest.fixture(scope="module")
def bump_model():
    """A network trained to tell a noisy flat beat from one with a bump at a random place."""
    from ecgbeat import HeartbeatCNNClassifier

    rng = np.random.default_rng(0)
    n, length = 120, 96
    X = 0.1 * rng.standard_normal((n, length)).astype(np.float32)
    centres = rng.integers(15, length - 15, n)
    t = np.arange(length)
    for i in range(n // 2, n):
        X[i] += np.exp(-0.5 * ((t - centres[i]) / 3.0) ** 2)
    y = np.repeat(["flat", "bump"], n // 2)
    # One pass over the beats an epoch (min_steps_per_epoch=1): 7 steps, not 32 draws.
    clf = HeartbeatCNNClassifier(
        epochs=16, batch_size=16, learning_rate=3e-3, min_steps_per_epoch=1, random_state=0
    )
    clf.fit(X, y)
    assert clf.score(X, y) == 1.0
    return clf, X[n // 2 :], centres[n // 2 :]


def test_grad_cam_peaks_at_the_bump(bump_model):
    clf, bumps, centres = bump_model
    bump_class = int(np.flatnonzero(clf.classes_ == "bump")[0])
    errors = []
    for beat, centre in zip(bumps[:12], centres[:12], strict=True):
        cam = grad_cam(clf, beat, class_index=bump_class)
        assert cam.shape == (96,)
        assert cam.min() >= 0 and cam.max() == pytest.approx(1.0)
        errors.append(abs(int(np.argmax(cam)) - int(centre)))
    # The saliency follows the bump wherever it is (pooling blurs it by a few samples).
    assert max(errors) <= 8, errors
    # The default explains the predicted class, here the bump.
    np.testing.assert_allclose(
        grad_cam(clf, bumps[0]), grad_cam(clf, bumps[0], class_index=bump_class)
    )


def test_grad_cam_checks_its_input(bump_model):
    clf = bump_model[0]
    with pytest.raises(ValueError, match="the beat has 10 samples"):
        grad_cam(clf, np.zeros(10))
    # A map of NaN was returned as a saliency.
    with pytest.raises(ValueError, match="beat has 1 NaN or infinite values"):
        grad_cam(clf, np.r_[np.nan, np.zeros(95)])
    with pytest.raises(ValueError, match="the network has no convolution 'conv_99'"):
        grad_cam(clf, np.zeros(96), layer="conv_99")
    dense = next(layer.name for layer in clf.model_.layers if "dense" in layer.name)
    with pytest.raises(ValueError, match=f"no convolution '{dense}'; its convolutions are"):
        grad_cam(clf, np.zeros(96), layer=dense)
    # A falsy name is no layer of the network, not the default one.
    for name in ("", 0):
        with pytest.raises(ValueError, match=f"no convolution {name!r}; its convolutions are"):
            grad_cam(clf, np.zeros(96), layer=name)
    for column in (2, -1, 1.0, True):
        with pytest.raises(ValueError, match=r"class_index must be a column of classes_, 0\.\.1"):
            grad_cam(clf, np.zeros(96), class_index=column)


def test_plot_saliency_draws_beat_and_map(bump_model):
    clf, bumps, _ = bump_model
    fig, ax = plot_saliency(clf, bumps[0])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), bumps[0], rtol=1e-6)
    np.testing.assert_allclose(ax.images[0].get_array()[0], grad_cam(clf, bumps[0]))
    p = clf.predict_proba(bumps[:1])[0].max()
    assert ax.get_title() == f"Grad-CAM for class bump (p = {p:.2f})"
    assert len(fig.axes) == 2  # the beat and the colour bar
    _png(fig)
    # The heat strip lies behind the whole beat, one below 0 throughout (unscaled) included.
    below = -np.abs(bumps[0]) - 0.5
    with pytest.warns(InputScaleWarning, match="min-max scaled"):
        _fig, ax = plot_saliency(clf, below)
    _left, _right, bottom, top = ax.images[0].get_extent()
    assert bottom <= below.min() and top >= below.max()


def test_grad_cam_on_resnet():
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.networks import build_network

    # Grad-CAM needs a network, not a trained one: an untrained resnet, adopted as fitted.
    clf = HeartbeatCNNClassifier("resnet")
    clf.model_ = build_network("resnet", 40, 2, seed=0)
    clf.classes_, clf.n_features_in_ = np.array([0, 1]), 40
    convs = [layer.name for layer in clf.model_.layers if "conv" in type(layer).__name__.lower()]
    rng = np.random.default_rng(0)
    beat = rng.random(40).astype(np.float32)
    cam = grad_cam(clf, beat, class_index=1)
    assert cam.shape == (40,) and cam.min() >= 0 and cam.max() <= 1
    # The default layer is the network's last convolution.
    np.testing.assert_allclose(cam, grad_cam(clf, beat, class_index=1, layer=convs[-1]))
    other = grad_cam(clf, beat, class_index=1, layer=convs[0])
    assert not np.allclose(cam, other)


def test_a_table_strip_starts_before_the_first_beat_of_another_class():
    from ecgbeat.plot import plot_table_strip
    from ecgbeat.records import BeatTable

    fs = 250
    r = np.arange(125, 60 * fs, 250)
    ecg = np.zeros(60 * fs)
    ecg[r] = 1.0
    label = np.where(np.arange(r.size) == 40, "abnormal", "normal")
    table = BeatTable("rec", r, fs, label, np.zeros((r.size, 2)), ["abnormal", "normal"],
                      normal_class="normal", lead="II")  # fmt: skip
    _, ax = plot_table_strip(table, ecg, duration=6.0)
    # Beat 40 is at 40.5 s: the strip starts a third of its length (2 s) before it.
    assert ax.get_xlim()[0] == pytest.approx(38.5, abs=0.01)
    assert ax.get_title() == "record rec, lead II"
    _, ax = plot_table_strip(table, ecg, start=5.0, title="mine")
    assert ax.get_xlim()[0] == pytest.approx(5.0, abs=0.01) and ax.get_title() == "mine"
    no_rate = BeatTable("beats", np.arange(3), float("nan"), label[:3], np.zeros((3, 2)),
                        ["abnormal", "normal"])  # fmt: skip
    with pytest.raises(ValueError, match="'beats' has no sampling rate"):
        plot_table_strip(no_rate, ecg)


def test_a_table_strip_shades_unreadable_stretches_and_skips_their_beats():
    from matplotlib.patches import Rectangle

    from ecgbeat.plot import plot_table_strip
    from ecgbeat.records import BeatTable

    fs = 250
    r = np.arange(125, 60 * fs, 250)  # a beat a second, at 0.5, 1.5, ... s
    ecg = np.zeros(60 * fs)
    ecg[r] = 1.0
    # Beats 10-19 lie in noise and were called abnormal; beat 40 is a readable abnormal one.
    label = np.where((np.arange(r.size) == 40) | ((r >= 10 * fs) & (r < 20 * fs)), "ab", "n")
    readable = ~((r >= 10 * fs) & (r < 20 * fs))
    table = BeatTable("rec", r, fs, label, np.zeros((r.size, 2)), ["ab", "n"],
                      normal_class="n", readable=readable)  # fmt: skip
    # The strip starts before beat 40, not before the made-up beats of the noise.
    _, ax = plot_table_strip(table, ecg, duration=6.0)
    assert ax.get_xlim()[0] == pytest.approx(38.5, abs=0.01)
    assert "unreadable" not in [t.get_text() for t in ax.get_legend().get_texts()]
    # Over the noise: one grey span from halfway before beat 10 to halfway after beat 19.
    _, ax = plot_table_strip(table, ecg, start=8.0, duration=14.0)
    spans = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(spans) == 1
    x0 = spans[0].get_x()
    assert x0 == pytest.approx(10.0) and x0 + spans[0].get_width() == pytest.approx(20.0)
    assert ax.get_xlim() == pytest.approx((8.0, 22.0), abs=0.01)
    assert "unreadable" in [t.get_text() for t in ax.get_legend().get_texts()]
    # A later unreadable stretch, when the first lies outside the strip, is named too.
    later = readable & ~((r >= 50 * fs) & (r < 52 * fs))
    table.readable = later
    _, ax = plot_table_strip(table, ecg, start=45.0, duration=10.0)
    assert len([p for p in ax.patches if isinstance(p, Rectangle)]) == 1
    assert "unreadable" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_table_strip_refuses_a_signal_of_another_recording():
    from ecgbeat.plot import plot_strip, plot_table_strip
    from ecgbeat.records import BeatTable

    fs = 250
    r = np.arange(125, 60 * fs, 250)
    ecg = np.zeros(60 * fs)
    ecg[r] = 1.0
    table = BeatTable("rec", r, fs, np.full(r.size, "n"), np.zeros((r.size, 1)), ["n"],
                      n_samples=ecg.size)  # fmt: skip
    with pytest.raises(ValueError, match="the signal has 7500 samples; table 'rec' was made"):
        plot_table_strip(table, ecg[::2])
    for duration in (0.0, -3.0, float("nan"), True, "5"):
        with pytest.raises(ValueError, match="duration must be a positive number of seconds"):
            plot_strip(ecg, fs, r, ["n"] * r.size, duration=duration)
        # The table's strip too, before its default start reads the duration (a TypeError).
        with pytest.raises(ValueError, match="duration must be a positive number of seconds"):
            plot_table_strip(table, ecg, duration=duration)


def test_grad_cam_of_a_rhythm_network_covers_the_beat_only():
    # The R-R features after the beat do not reach the convolutions: the map was stretched
    # over them too, 7 columns late at its end, and plot_saliency drew them as ECG samples.
    from ecgbeat import HeartbeatCNNClassifier
    from ecgbeat.datasets import load_sample

    clf = HeartbeatCNNClassifier.from_pretrained("mitbih-rhythm")
    assert clf.n_features_in_ == 194 and clf.n_rr_features == 7
    row = np.r_[load_sample().data[0], np.ones(7)]  # a beat at the recording's usual rhythm
    cam = grad_cam(clf, row)
    assert cam.shape == (187,) and cam.max() == pytest.approx(1.0)
    _, ax = plot_saliency(clf, row)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), row[:187], rtol=1e-6)
    np.testing.assert_allclose(ax.images[0].get_array()[0], cam)


def test_labels_that_class_names_do_not_name_are_refused_not_left_out():
    # A label outside class_names had no row, marker or legend entry: its beats vanished from
    # the figure without a word (and float or bool codes made every beat vanish).
    signal, fs, r = _toy_ecg()
    labels = np.array(["N"] * len(r))
    labels[3] = "X"
    with pytest.raises(ValueError, match=r"labels \['X'\] are neither names in class_names"):
        plot_strip(signal, fs, r, labels, class_names=["N", "V"])
    with pytest.raises(ValueError, match=r"labels \['0\.0', '1\.0'\] are neither names"):
        plot_beats_by_class(np.zeros((4, 10)), [0.0, 1.0, 0.0, 1.0], class_names=["N", "V"])
    with pytest.raises(ValueError, match=r"labels \['X'\] are neither names"):
        plot_beats_by_class(
            np.zeros((4, 10)), ["N", "V"] * 2, y_pred=["N", "X"] * 2, class_names=["N", "V"]
        )
    # Bool labels are codes, as the evaluation reads them: False is the first name.
    abnormal = np.arange(len(r)) % 3 == 0
    _, ax = plot_strip(signal, fs, r, abnormal, class_names=["normal", "abnormal"], duration=None)
    drawn = {c.get_label(): len(c.get_offsets()) for c in ax.collections}
    assert drawn["normal"] == (~abnormal).sum() and drawn["abnormal"] == abnormal.sum()


def test_beats_by_class_keeps_its_time_axis_when_the_last_row_is_empty():
    # Shared x axes label the bottom row only: with no Q beats (a hidden last row) the grid had
    # no time axis at all, neither ticks nor "Time (s)".
    X = np.random.default_rng(0).random((23, 50))
    y = np.array([0] * 20 + [3] * 3)  # F has 3 beats, Q none
    fig, axes = plot_beats_by_class(X, y, class_names=NAMES, n_per_class=4)
    fig.canvas.draw()

    def time_axis(ax):
        ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_visible()]
        return ax.get_xlabel() == "Time (s)" and any(ticks)

    # Each column's lowest panel drawn carries it: F's first three, N's in the last column.
    assert [time_axis(axes[3, col]) for col in range(3)] == [True] * 3
    assert time_axis(axes[0, 3]) and not time_axis(axes[0, 0])


def test_strip_refuses_r_peaks_that_are_not_sample_indices_of_the_signal():
    # Peak times in seconds were cast to int: every mark piled up on the strip's first samples.
    signal, fs, r = _toy_ecg()
    labels = ["N"] * len(r)
    with pytest.raises(ValueError, match="r_peaks must be integer sample indices"):
        plot_strip(signal, fs, r / fs, labels)
    with pytest.raises(ValueError, match=r"r_peaks must lie in \[0, 2999\]"):
        plot_strip(signal, fs, r + 500, labels)  # peaks of a longer recording
    _, ax = plot_strip(signal, fs, r.astype(float), labels, duration=None)  # whole floats
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 0], r / fs)


def test_plot_saliency_takes_one_class_name_per_class(bump_model):
    # The title took class_names[column]: the names of codes 0..n-1 (N, S, V for classes_
    # [0, 2]) named column 1 "S", and too few names raised an IndexError.
    clf, bumps, _ = bump_model
    for names in (["x"], ["a", "b", "c"]):
        with pytest.raises(ValueError, match=f"class_names has {len(names)} names but the"):
            plot_saliency(clf, bumps[0], class_names=names)
    bump_class = int(np.flatnonzero(clf.classes_ == "bump")[0])
    names = ["the bump" if c == "bump" else "flat" for c in clf.classes_]
    _, ax = plot_saliency(clf, bumps[0], class_names=names)
    assert ax.get_title().startswith("Grad-CAM for class the bump")
    assert (
        plot_saliency(clf, bumps[0], class_index=1 - bump_class)[1]
        .get_title()
        .startswith("Grad-CAM for class flat")
    )


def test_a_sampling_rate_that_is_not_a_positive_number_is_refused():
    # plot_beats_by_class drew the beats at negative or NaN times for fs <= 0, without a word.
    for fs in (0, -125, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="fs must be a finite number of Hz > 0"):
            plot_beats_by_class(np.zeros((2, 10)), ["N", "V"], fs=fs)
        with pytest.raises(ValueError, match="fs must be a finite number of Hz > 0"):
            plot_strip(np.zeros(1000), fs, [100], ["N"])
    with pytest.raises(ValueError, match="fs must be a finite number of Hz > 0, got True"):
        plot_beats_by_class(np.zeros((2, 10)), ["N", "V"], fs=True)  # drew at 1 Hz


def test_integer_labels_without_names_keep_their_numeric_order():
    # Sorted as text, code 10 came before code 2: rows and legend out of order.
    codes = [0, 2, 10]
    _fig, axes = plot_beats_by_class(np.zeros((3, 10)), codes, n_per_class=1)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["0", "2", "10"]
    signal, fs, r = _toy_ecg()
    labels = np.resize(codes, r.size)
    _fig, ax = plot_strip(signal, fs, r, labels, duration=None)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "2", "10"]


def test_confusion_matrix_errors_name_class_names():
    # They named target_names, the parameter of ecgbeat.evaluation, not of this function.
    for y_pred, names in ((["N", "X"], ["N", "V"]), ([0, 2], ["N", "V"]), ([0.0, 1.0], ["N"])):
        with pytest.raises(ValueError, match="class_names") as info:
            plot_confusion_matrix(y_pred[:1] * 2, y_pred, class_names=names)
        assert "target_names" not in str(info.value)


def test_confusion_matrix_refuses_unscorable_labels_as_the_metrics_do():
    # Before, no beat and one-hot rows were blamed on the names ("5 class_names for 0 labels",
    # "5 class_names for 2 labels [0.0, 1.0]"), and labels of two lengths got scikit-learn's
    # "inconsistent numbers of samples: [3, 2, 3]".
    with pytest.raises(ValueError, match="hold no beat: there is nothing to score"):
        plot_confusion_matrix([], [], class_names=NAMES)
    with pytest.raises(ValueError, match="y_true has 3 labels and y_pred 2"):
        plot_confusion_matrix([0, 1, 2], [0, 1], class_names=NAMES)
    one_hot = np.eye(5)[[0, 1]]
    with pytest.raises(ValueError, match=r"y_true must be one label per beat.*\(2, 5\)"):
        plot_confusion_matrix(one_hot, one_hot, class_names=NAMES)
    assert plt.get_fignums() == []
    # A column of labels is one label per beat, as for the metrics.
    _fig, ax = plot_confusion_matrix(np.array([[0], [2]]), [0, 1], class_names=NAMES)
    assert [t.get_text() for t in ax.get_yticklabels()] == NAMES


def test_a_table_strip_reads_list_labels_and_refuses_columns_of_other_lengths():
    from ecgbeat.plot import plot_table_strip
    from ecgbeat.records import BeatTable

    fs = 250
    r = np.arange(125, 60 * fs, 250)
    ecg = np.zeros(60 * fs)
    ecg[r] = 1.0
    label = ["abnormal" if k == 40 else "normal" for k in range(r.size)]
    table = BeatTable("rec", r, fs, label, np.zeros((r.size, 2)), ["abnormal", "normal"],
                      normal_class="normal")  # fmt: skip
    # A list of labels compared with "normal" was never equal to it: the strip started at the
    # first beat (0 s), not 2 s before beat 40 (40.5 s).
    _, ax = plot_table_strip(table, ecg, duration=6.0)
    assert ax.get_xlim()[0] == pytest.approx(38.5, abs=0.01)
    # A readable column of another length failed in NumPy: "operands could not be broadcast".
    table.readable = np.ones(r.size - 1, dtype=bool)
    with pytest.raises(ValueError, match=r"readable has 59 entries for the 60 beats"):
        plot_table_strip(table, ecg)


@pytest.mark.parametrize("bad", [{"cmap": "Bluez"}, {"normalize": "rows"}])
def test_a_confusion_matrix_that_cannot_be_drawn_leaves_no_figure_open(bad):
    # Before, a refused cmap failed after scikit-learn had made the figure: left open in pyplot,
    # never returned to be closed (matplotlib warns past 20 of them).
    with pytest.raises(ValueError, match=r"Bluez|normalize"):
        plot_confusion_matrix([0, 1], [0, 1], class_names=["N", "V"], **bad)
    assert plt.get_fignums() == []
    fig, ax = plot_confusion_matrix([0, 1], [0, 1], class_names=["N", "V"])
    assert plt.get_fignums() == [fig.number] and ax.figure is fig


def test_beats_by_class_shows_every_error_of_a_row_before_its_right_beats():
    # A class with one right beat of four: the errors that fill the row were drawn after it
    # ("wrong, right, wrong, wrong"), though errors come first in each row.
    X = np.arange(40.0).reshape(4, 10)
    _fig, axes = plot_beats_by_class(
        X, [0, 0, 0, 0], y_pred=[1, 1, 0, 1], class_names=["N", "V"], n_per_class=4
    )
    titles = [ax.get_title() for ax in axes[0]]
    assert titles == ["true N / pred V (wrong)"] * 3 + ["true N / pred N"]
    np.testing.assert_array_equal(axes[0, 3].lines[0].get_ydata(), X[2])
    drawn = sorted(int(ax.lines[0].get_ydata()[0]) // 10 for ax in axes[0])
    assert drawn == [0, 1, 2, 3]  # each beat once


def test_a_class_name_given_twice_is_refused():
    # Before, the beats of codes 0 and 2 of ["N", "V", "N"] were drawn as one class, in two
    # rows (each with both beats) and twice in a strip's legend.
    names = ["N", "V", "N"]
    with pytest.raises(ValueError, match=r"class_names \['N', 'V', 'N'\] repeat N"):
        plot_beats_by_class(np.zeros((3, 10)), [0, 1, 2], class_names=names)
    with pytest.raises(ValueError, match=r"class_names \['N', 'V', 'N'\] repeat N"):
        plot_strip(np.zeros(1000), 100, [100, 300, 500], [0, 1, 2], class_names=names)
    assert plt.get_fignums() == []


def test_several_beats_are_refused_not_read_as_one_row(bump_model):
    # Two halves of beats (2, 48) were read as one row of 96 samples, the classifier's length,
    # and explained as one beat without a word.
    clf, bumps, _ = bump_model
    halves = bumps[:2, :48]
    for explain in (grad_cam, plot_saliency):
        with pytest.raises(ValueError, match=r"beat must be one row .* got shape \(2, 48\)"):
            explain(clf, halves)
    # One row, as a row or a column, is one beat.
    for row in (bumps[:1], bumps[0][:, None]):
        np.testing.assert_array_equal(grad_cam(clf, row), grad_cam(clf, bumps[0]))
    assert plt.get_fignums() == []


def test_missing_labels_are_refused_not_drawn_as_a_class_nan():
    # A strip drew NaN labels as a class "nan"; names with NaN failed in NumPy's sort.
    signal, r = np.zeros(1000), [100, 300, 500]
    with pytest.raises(
        ValueError,
        match=r"labels must name a class for every beat; 1 is missing \(None, NaN or pandas' NA\)",
    ):
        plot_strip(signal, 100, r, [0.0, np.nan, 1.0])
    with_nan = np.array(["N", np.nan, "V"], dtype=object)
    with pytest.raises(ValueError, match="labels must name a class for every beat; 1 is missing"):
        plot_strip(signal, 100, r, with_nan)
    with pytest.raises(ValueError, match="y_pred must name a class for every beat; 1 is missing"):
        plot_beats_by_class(np.zeros((3, 10)), ["N", "V", "N"], y_pred=with_nan)
    with pytest.raises(ValueError, match="y_true must name a class for every beat; 1 is missing"):
        plot_confusion_matrix(with_nan, ["N", "N", "V"])
    assert plt.get_fignums() == []


def test_an_estimator_without_a_network_is_refused_by_its_type(bump_model):
    # A Pipeline ending in the classifier failed with "'Pipeline' object has no attribute
    # 'model_'", naming neither the cause nor how to reach the classifier.
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    clf, bumps, _ = bump_model
    pipeline = make_pipeline(FunctionTransformer(), clf)
    for explain in (grad_cam, plot_saliency):
        with pytest.raises(TypeError, match=r"not a Pipeline: give its last step \(pipeline\[-1\]"):
            explain(pipeline, bumps[0])
        with pytest.raises(TypeError, match=r"HeartbeatCNNClassifier, not a DummyClassifier$"):
            explain(DummyClassifier().fit(bumps, np.zeros(len(bumps))), bumps[0])
    np.testing.assert_array_equal(grad_cam(pipeline[-1], bumps[0]), grad_cam(clf, bumps[0]))
    assert plt.get_fignums() == []
