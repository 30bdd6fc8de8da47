"""Figures of heartbeats, ECG strips, saliency maps and confusion matrices (matplotlib).

matplotlib is an optional extra (``pip install "ecgbeat[plot]"``); it is imported when a function here
is first called, never by ``import ecgbeat``. Every function returns the matplotlib objects it drew
on, ``(figure, axes)``, so that a caller can restyle or save them; none calls ``plt.show()``.

Classes are coloured the same way in every figure: the AAMI classes by :data:`CLASS_COLORS`
(``N`` grey-blue, ``S`` orange, ``V`` red, ``F`` purple, ``Q`` green), other class names by
matplotlib's ``tab10`` cycle in the order they are given.

Examples
--------
>>> import numpy as np
>>> from ecgbeat.plot import plot_confusion_matrix
>>> fig, ax = plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], class_names=["N", "V"])
>>> ax.get_xlabel()
'Predicted class'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ecgbeat._backend import import_keras, import_tensorflow
from ecgbeat._checks import (
    check_rate,
    check_seconds,
    is_finite_number,
    is_integer,
    refuse_missing_labels,
    refuse_repeated_names,
)
from ecgbeat._install import import_optional
from ecgbeat.evaluation import _checked_labels, named_labels

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ecgbeat.classifier import HeartbeatCNNClassifier

__all__ = [
    "CLASS_COLORS",
    "ERROR_FACE",
    "class_colors",
    "grad_cam",
    "plot_beats_by_class",
    "plot_confusion_matrix",
    "plot_saliency",
    "plot_strip",
    "plot_table_strip",
]

#: Colour of each AAMI class, shared by all figures.
CLASS_COLORS = {
    "N": "#4c72b0",
    "S": "#dd8452",
    "V": "#c44e52",
    "F": "#8172b3",
    "Q": "#55a868",
}
#: Background of a panel whose beat was misclassified: a grey that is no class's colour.
ERROR_FACE = "#e6e6e6"
_TAB10 = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf".split()


def _pyplot():
    """Import pyplot, or say how to install matplotlib."""
    return import_optional(
        "matplotlib.pyplot", "ecgbeat's figures need the optional package matplotlib", "plot"
    )


def class_colors(class_names: Sequence[Any]) -> dict[str, str]:
    """Colour of each class name: the AAMI palette, else the ``tab10`` cycle.

    Parameters
    ----------
    class_names : sequence
        Class names (converted to ``str``).

    Returns
    -------
    dict of str to str
        Class name -> hex colour.

    Examples
    --------
    >>> from ecgbeat.plot import class_colors
    >>> class_colors(["N", "V", "normal"])
    {'N': '#4c72b0', 'V': '#c44e52', 'normal': '#1f77b4'}
    """
    colors, others = {}, 0
    for name in map(str, class_names):
        if name in CLASS_COLORS:
            colors[name] = CLASS_COLORS[name]
        else:
            colors[name] = _TAB10[others % len(_TAB10)]
            others += 1
    return colors


def _names(labels: np.ndarray, class_names: Sequence[str] | None, name: str) -> np.ndarray:
    """Labels as class names: integer codes index ``class_names``; names stay names.

    With ``class_names``, every label must be a code or one of the names: the figures draw the
    classes of ``class_names`` only, and would leave out the beats of any other label. A name
    given twice is refused. ``name`` is the parameter's name, for the errors.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        # One-hot rows (Keras targets) would be read as one label per cell: the beats picked
        # by flat index would be other beats, or past the end.
        raise ValueError(
            f"{name} must be one label per beat, of shape (n_beats,); got shape {labels.shape}"
            " (for one-hot rows, give their argmax)"
        )
    # Before astype(str) makes NaN the class "nan".
    refuse_missing_labels(labels, name)
    if class_names is None:
        return labels.astype(str)
    # As the metrics refuse them: the beats of codes 0 and 2 of ["N", "V", "N"] were one class,
    # drawn in two rows (and twice in the legend) as if they were two.
    refuse_repeated_names([str(n) for n in class_names], "class_names")
    names = np.asarray([str(n) for n in class_names], dtype=object)
    if labels.dtype.kind in "iub":
        # Codes, as the evaluation reads them (ecgbeat.evaluation.named_labels): False, True
        # are 0, 1.
        labels = labels.astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= len(names)):
            raise ValueError(
                f"labels run from {labels.min()} to {labels.max()} but class_names has "
                f"{len(names)} names"
            )
        return names[labels].astype(str)
    text = labels.astype(str)
    unnamed = sorted(set(text.ravel().tolist()) - set(names.tolist()))
    if unnamed:
        raise ValueError(
            f"labels {unnamed} are neither names in class_names {names.tolist()} nor integer "
            f"codes 0..{len(names) - 1} of them"
        )
    return text


def _check_duration(duration: float | None) -> None:
    """The length of a strip, refused unless None or a finite number of seconds above 0."""
    if duration is not None:
        check_seconds(duration, "duration")


def plot_beats_by_class(
    X,
    y,
    *,
    y_pred=None,
    class_names: Sequence[str] | None = None,
    n_per_class: int = 4,
    fs: float = 125.0,
    random_state: int | None = 0,
) -> tuple[Figure, np.ndarray]:
    """Draw example beats of each class in a grid: one row per class, ``n_per_class`` columns.

    With ``y_pred``, each panel's title gives the true and the predicted class, the line takes
    the colour of the predicted class (a legend names the colours), and misclassified beats
    (bold titles marked "wrong", grey panels: no class colour means an error) are shown first
    in each row when there are some (``n_per_class // 4`` of them, but at least one; more when the
    class has too few correctly classified beats to fill the row).

    Parameters
    ----------
    X : array-like of shape (n_beats, n_samples)
        Beats.
    y : array-like of shape (n_beats,)
        True classes (names, or integer codes with ``class_names``).
    y_pred : array-like of shape (n_beats,), optional
        Predicted classes, coded like ``y``.
    class_names : sequence of str, optional
        Names of the integer (or bool) codes ``0..n-1``, each once; rows follow this order.
        Every label must be one of them or its code (a ValueError names the others).
    n_per_class : int, default=4
        Beats drawn per class.
    fs : float, default=125.0
        Sampling frequency of the beats, for the time axis in seconds.
    random_state : int, numpy.random.Generator or None, default=0
        Which beats are drawn (a seed >= 0).

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : ndarray of Axes of shape (n_classes, n_per_class)
        Panels of classes with fewer beats than ``n_per_class`` are left empty and hidden.

    Examples
    --------
    >>> from ecgbeat.datasets import load_sample
    >>> from ecgbeat.plot import plot_beats_by_class
    >>> sample = load_sample()
    >>> fig, axes = plot_beats_by_class(sample.data, sample.target,
    ...                                 class_names=sample.target_names, n_per_class=3)
    >>> axes.shape, axes[2, 0].get_title()
    ((5, 3), 'V')
    """
    plt = _pyplot()
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 3 and X.shape[2] == 1:
        X = X[:, :, 0]
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_beats, n_samples); got {X.shape}")
    if not (is_integer(n_per_class) and n_per_class >= 1):
        raise ValueError(f"n_per_class must be an integer >= 1, got {n_per_class!r}")
    fs = check_rate(fs)
    true = _names(y, class_names, "y")
    if len(true) != len(X):
        raise ValueError(f"X has {len(X)} beats but y has {len(true)} labels")
    pred = None if y_pred is None else _names(y_pred, class_names, "y_pred")
    if pred is not None and len(pred) != len(X):
        raise ValueError(f"X has {len(X)} beats but y_pred has {len(pred)} labels")
    if pred is not None and class_names is None:
        # Named in their common type, as the rows (named_labels) and the metrics compare
        # them: float true classes and integer predictions were "0.0" and "0", every beat wrong.
        both = np.concatenate([np.asarray(y), np.asarray(y_pred)]).astype(str)
        true, pred = both[: len(true)], both[len(true) :]
    # Without names, rows in the labels' own order, as scikit-learn sorts them: code 2 before
    # code 10 (their text, "10" < "2", put the rows out of order).
    order = (
        [str(n) for n in class_names]
        if class_names is not None
        else named_labels(y, y if y_pred is None else y_pred)[1]
    )
    if not order:
        raise ValueError("no beats to draw: y is empty (and no class_names name the rows)")
    colors = class_colors(order)
    # NumPy's own errors ("SeedSequence expects int or sequence of ints for entropy", "expected
    # non-negative integer") named no parameter.
    if not (
        random_state is None
        or isinstance(random_state, np.random.Generator)
        or (is_integer(random_state) and random_state >= 0)
    ):
        raise ValueError(f"random_state must be None or an integer >= 0, got {random_state!r}")
    rng = np.random.default_rng(random_state)
    t = np.arange(X.shape[1]) / fs
    fig, axes = plt.subplots(
        len(order),
        n_per_class,
        figsize=(2.4 * n_per_class, 1.7 * len(order)),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    for row, name in enumerate(order):
        members = np.flatnonzero(true == name)
        if pred is not None:
            wrong = members[pred[members] != name]
            right = members[pred[members] == name]
            # Errors first, but at most a quarter of the row: the grid should show what the
            # errors look like without suggesting that a good model is mostly wrong.
            n_wrong = min(len(wrong), max(1, n_per_class // 4)) if len(wrong) else 0
            n_right = min(len(right), n_per_class - n_wrong)
            # More errors where too few right beats fill the row, and first too, as the
            # docstring says: they were drawn after the right ones ("wrong, right, wrong").
            n_wrong = min(len(wrong), n_per_class - n_right)
            chosen = np.concatenate(
                [rng.permutation(wrong)[:n_wrong], rng.permutation(right)[:n_right]]
            ).astype(int)
        else:
            chosen = rng.permutation(members)[:n_per_class]
        for col in range(n_per_class):
            ax = axes[row, col]
            if col >= len(chosen):
                ax.set_visible(False)
                continue
            index = chosen[col]
            shown = pred[index] if pred is not None else name
            ax.plot(t, X[index], color=colors.get(shown, "black"), linewidth=1.2)
            if pred is None:
                ax.set_title(name)
            elif shown == name:
                ax.set_title(f"true {name} / pred {shown}")
            else:
                ax.set_title(f"true {name} / pred {shown} (wrong)", fontweight="bold")
                ax.set_facecolor(ERROR_FACE)
            ax.grid(alpha=0.3)
        axes[row, 0].set_ylabel(name, rotation=0, ha="right", fontweight="bold")
    for column in axes.T:
        # Shared x axes label only the bottom row; when its panel is hidden (a class with too
        # few beats), the lowest panel drawn carries the time axis instead.
        shown = [ax for ax in column if ax.get_visible()]
        if shown:
            shown[-1].xaxis.set_tick_params(labelbottom=True)
            shown[-1].set_xlabel("Time (s)")
    if pred is not None:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles = [Line2D([], [], color=colors[name], label=name) for name in order]
        handles.append(Patch(facecolor=ERROR_FACE, edgecolor="0.6", label="wrong"))
        fig.legend(handles=handles, loc="outside right upper", title="predicted", fontsize=8)
    return fig, axes


def plot_strip(
    signal,
    fs: float,
    r_peaks,
    labels,
    *,
    class_names: Sequence[str] | None = None,
    start: float = 0.0,
    duration: float | None = 10.0,
    title: str | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Draw an ECG strip with its R peaks marked and coloured by beat class.

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        One lead.
    fs : float
        Sampling frequency in Hz.
    r_peaks : array-like of int
        Sample index of each beat's R peak, strictly increasing, inside the signal (see
        :func:`ecgbeat.signals.check_r_peaks`).
    labels : array-like
        Class of each beat (names, or integer codes with ``class_names``).
    class_names : sequence of str, optional
        Names of the integer (or bool) codes, each once; also fixes the legend's order. Every
        label must be one of them or its code (a ValueError names the others).
    start : float, default=0.0
        Start of the strip in seconds.
    duration : float or None, default=10.0
        Length of the strip in seconds; None draws to the end of the signal.
    title : str, optional
        Title of the axes.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        The signal is ``ax.lines[0]``; each class present in the strip is one marker collection,
        named after its class in the legend.

    Examples
    --------
    >>> import numpy as np
    >>> from ecgbeat.plot import plot_strip
    >>> fs = 360
    >>> t = np.arange(5 * fs) / fs
    >>> r = np.array([180, 540, 900, 1260, 1620])
    >>> ecg = np.exp(-(((t[:, None] - r / fs) / 0.01) ** 2)).sum(axis=1)
    >>> fig, ax = plot_strip(ecg, fs, r, ["N", "N", "V", "N", "N"], duration=None)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['N', 'V']
    """
    plt = _pyplot()
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim != 1:
        raise ValueError(f"signal must be one lead (1-D); got shape {signal.shape}")
    fs = check_rate(fs)
    from ecgbeat.signals import check_r_peaks  # here: it imports scipy.signal

    # Refused, not cast: peak times in seconds, or fractional indices, would be truncated to
    # the first samples and every mark drawn at the start of the strip.
    r_peaks = check_r_peaks(r_peaks, signal.size, name="signal")
    names = _names(labels, class_names, "labels")
    if len(names) != len(r_peaks):
        raise ValueError(f"{len(r_peaks)} R peaks but {len(names)} labels")
    _check_duration(duration)
    if not is_finite_number(start):
        raise ValueError(f"start must be a finite number of seconds, got {start!r}")
    first = max(round(start * fs), 0)
    if duration is not None and round(duration * fs) < 1:
        # Else an empty strip, refused as one that starts "after the end of the signal".
        raise ValueError(
            f"a strip of duration {duration} s holds no sample at {fs:g} Hz: give at least "
            f"{1 / fs:.3g} s"
        )
    last = signal.size if duration is None else min(signal.size, first + round(duration * fs))
    if first >= last:
        raise ValueError(
            f"the strip starts at {start} s, after the end of the signal ({signal.size / fs:.1f} s)"
        )
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(6.0, min(20.0, (last - first) / fs * 1.2)), 3.0))
    else:
        fig = ax.figure
    t = np.arange(first, last) / fs
    ax.plot(t, signal[first:last], color="black", linewidth=0.8)
    inside = (r_peaks >= first) & (r_peaks < last)
    # The legend in the labels' own order (code 2 before 10), as plot_beats_by_class's rows.
    order = (
        [str(n) for n in class_names]
        if class_names is not None
        else named_labels(labels, labels)[1]
    )
    colors = class_colors(order)
    amplitude = signal[first:last]
    finite = amplitude[np.isfinite(amplitude)]
    top, span = (finite.max(), np.ptp(finite)) if finite.size else (1.0, 1.0)
    # All class markers sit in one lane above the trace, where they never hide a waveform.
    lane = top + 0.12 * (span or 1.0)
    for name in order:
        where = inside & (names == name)
        if not where.any():
            continue
        times = r_peaks[where] / fs
        ax.scatter(times, np.full(times.size, lane), color=colors[name], s=30, zorder=3, label=name)
        ax.vlines(times, top, lane, color=colors[name], linewidth=0.6, alpha=0.5)
        for x in times:
            ax.annotate(
                name,
                (x, lane),
                textcoords="offset points",
                xytext=(0, 5),
                ha="center",
                fontsize=7,
                color=colors[name],
            )
    if inside.any():
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, title="class")
    ax.set_ylim(top=lane + 0.15 * (span or 1.0))
    ax.set_xlim(t[0], t[-1])
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Amplitude")
    if title is not None:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    return fig, ax


def plot_table_strip(
    table,
    signal,
    *,
    start: float | None = None,
    duration: float | None = 10.0,
    title: str | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Draw a strip of a classified recording: its lead with the beats of its table.

    Stretches that the table marks unreadable (``table.readable``, see :mod:`ecgbeat.quality`)
    are shaded grey, with "unreadable" in the legend.

    Parameters
    ----------
    table : ecgbeat.records.BeatTable
        The beats of one recording, as :func:`ecgbeat.records.classify_record` and
        :func:`ecgbeat.records.classify_signal` give them (with a sampling rate).
    signal : array-like of shape (n_samples,)
        The lead that was classified, at ``table.fs``.
    start : float, optional
        Start of the strip in seconds. None: a third of the strip (10 s when ``duration`` is
        None) before the first readable beat that is not of the table's normal class, so that
        the strip shows one (0 when there is none).
    duration : float or None, default=10.0
        Length of the strip in seconds; None draws to the end of the signal.
    title : str, optional
        Title of the axes; by default the record and its lead.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the table has no sampling rate, its columns do not hold one entry per beat, the
        signal's length is not that of the recording the table was made from
        (``table.n_samples``, when known), or ``duration`` is neither None nor a positive
        number of seconds.

    Examples
    --------
    >>> import numpy as np
    >>> from ecgbeat.plot import plot_table_strip
    >>> from ecgbeat.records import BeatTable
    >>> fs = 360
    >>> r = np.arange(180, 30 * fs, 360)
    >>> ecg = np.zeros(30 * fs); ecg[r] = 1.0
    >>> label = np.where(np.arange(r.size) == 20, "V", "N")
    >>> table = BeatTable("100", r, fs, label, np.zeros((r.size, 2)), ["N", "V"], lead="MLII")
    >>> fig, ax = plot_table_strip(table, ecg)
    >>> round(ax.get_xlim()[0]), ax.get_title()
    (17, 'record 100, lead MLII')
    """
    if not table.fs > 0:
        raise ValueError(
            f"table {table.record!r} has no sampling rate: its beats were not cut from a recording"
        )
    n_samples = np.shape(signal)[0] if np.ndim(signal) else 0
    if table.n_samples is not None and n_samples != table.n_samples:
        # Another record's lead, or this one at another rate: the marks would sit on beats
        # that they were not computed from.
        raise ValueError(
            f"the signal has {n_samples} samples; table {table.record!r} was made from "
            f"{table.n_samples}: give the lead that the table classified"
        )
    # Before the default start reads it: a duration given as text failed there, in a division.
    _check_duration(duration)
    # One entry per beat in every column, as the table's own methods check: a readable column
    # filtered apart from the beats failed in NumPy ("operands could not be broadcast").
    table._check_columns()
    readable = None if table.readable is None else np.asarray(table.readable, dtype=bool)
    if start is None:
        normal = table.normal_class or "N"
        # Not a beat that noise made up: the first readable one of another class. The labels as
        # text, as the table counts them: a list of labels compared with a name is never equal
        # to it, and the strip started at the first beat, whatever its class.
        shown = (table._labels() != str(normal)) & (True if readable is None else readable)
        abnormal = np.flatnonzero(shown)
        third = (duration if duration is not None else 30.0) / 3
        start = max(0.0, float(table.time[abnormal[0]]) - third) if abnormal.size else 0.0
    lead = f", lead {table.lead}" if table.lead else ""
    fig, ax = plot_strip(
        signal,
        table.fs,
        table.sample,
        table.label,
        class_names=table.class_names,
        start=start,
        duration=duration,
        title=f"record {table.record}{lead}" if title is None else title,
        ax=ax,
    )
    if readable is not None and not readable.all():
        _shade_unreadable(ax, table.time, readable)
    return fig, ax


def _shade_unreadable(ax: Axes, times: np.ndarray, readable: np.ndarray) -> None:
    """Grey spans over the runs of unreadable beats, halfway to their readable neighbours."""
    edges = np.diff(np.r_[0, (~readable).astype(np.int8), 0])
    first, last = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    gaps = np.diff(times)
    left, right = ax.get_xlim()
    label = "unreadable"  # on the first span drawn, wherever the first of the record lies
    for i, j in zip(first, last, strict=True):
        a = times[i] - (gaps[i - 1] / 2 if i > 0 else 0.0)
        b = times[j] + (gaps[j] / 2 if j < gaps.size else 0.0)
        if b >= left and a <= right:
            ax.axvspan(a, b, color="0.85", zorder=0, label=label)
            label = None
    ax.set_xlim(left, right)  # spans past the strip's ends do not widen it
    handles, labels = ax.get_legend_handles_labels()
    if "unreadable" in labels:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)


def _one_beat(beat, dtype) -> np.ndarray:
    """One row of features as a flat array, refused when it holds several beats.

    A row given as ``(1, n)`` or ``(n, 1)`` is one beat. Several rows were read as one: two
    halves of the classifier's length explained as one beat without a word, other sizes
    refused as "X has 80 features", which named neither the parameter nor the cause.
    """
    beat = np.asarray(beat, dtype=dtype)
    if sum(size > 1 for size in beat.shape) > 1:
        raise ValueError(
            f"beat must be one row of shape (n_features,), got shape {beat.shape}: give the "
            "beats one at a time (beat=X[i])"
        )
    return beat.reshape(-1)


def _check_network_classifier(classifier) -> None:
    """Refuse an estimator other than a :class:`~ecgbeat.HeartbeatCNNClassifier`.

    Grad-CAM reads the classifier's network (``model_``): a Pipeline that ends in one, or another
    scikit-learn classifier, failed with "'Pipeline' object has no attribute 'model_'".

    Raises
    ------
    TypeError
        Naming the estimator's type; for a Pipeline, how to reach its classifier.
    """
    from ecgbeat.classifier import HeartbeatCNNClassifier

    if isinstance(classifier, HeartbeatCNNClassifier):
        return
    hint = (
        ": give its last step (pipeline[-1]) and the beat as that step takes it (pipeline[:-1]"
        ".transform(X))"
        if hasattr(classifier, "steps")
        else ""
    )
    raise TypeError(
        "Grad-CAM explains the network of a HeartbeatCNNClassifier, not a "
        f"{type(classifier).__name__}{hint}"
    )


def _last_conv_layer(model) -> str:
    keras = import_keras()

    convs = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv1D)]
    if not convs:
        raise ValueError(f"network {model.name!r} has no Conv1D layer for Grad-CAM")
    return convs[-1]


def grad_cam(
    classifier: HeartbeatCNNClassifier,
    beat,
    *,
    class_index: int | None = None,
    layer: str | None = None,
) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017) of one beat, in 1D: where the network looked.

    The activations of a convolutional layer are weighted by the mean gradient of the class
    score (the output layer's logit, before the softmax, which would flatten the gradient of a
    confident prediction) with respect to each channel, summed over channels, passed through a
    ReLU, interpolated to the beat's length and scaled to a maximum of 1. For a classifier that
    reads R-R features after the beat (``n_rr_features``), the map covers the beat's samples
    only: the convolutions do not read the features.

    Parameters
    ----------
    classifier : HeartbeatCNNClassifier
        A fitted classifier.
    beat : array-like of shape (n_features,)
        One row as the classifier takes it: a beat, then its R-R features if it reads them.
    class_index : int, optional
        Column of ``classifier.classes_`` to explain; the predicted class by default.
    layer : str, optional
        Convolutional layer whose activations are used; the last Conv1D layer by default
        (``conv_8`` of ``"cnn"``, the last convolution of ``"resnet"``).

    Returns
    -------
    ndarray of shape (n_features - n_rr_features,)
        Non-negative saliency over the beat's samples, 1 at its maximum (all zeros when no
        sample supports the class).

    Raises
    ------
    TypeError
        If ``classifier`` is not a :class:`~ecgbeat.HeartbeatCNNClassifier` (a Pipeline that
        ends in one included: give its last step).
    ValueError
        If ``beat`` holds more than one row, the row's length is not the classifier's, it has
        NaN or infinite values, ``class_index`` is not a column of ``classes_``, or ``layer``
        is not a convolution of the network.

    Examples
    --------
    >>> from ecgbeat import HeartbeatCNNClassifier
    >>> from ecgbeat.datasets import load_sample
    >>> from ecgbeat.plot import grad_cam
    >>> clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
    >>> beat = load_sample().data[0]
    >>> cam = grad_cam(clf, beat)
    >>> cam.shape, bool(cam.min() >= 0), float(cam.max())
    ((187,), True, 1.0)
    """
    tf = import_tensorflow()
    from sklearn.utils.validation import check_is_fitted

    _check_network_classifier(classifier)
    check_is_fitted(classifier)
    model = classifier.model_
    beat = _one_beat(beat, np.float32)
    if beat.size != classifier.n_features_in_:
        raise ValueError(
            f"the beat has {beat.size} samples; the classifier was trained on "
            f"{classifier.n_features_in_}"
        )
    bad = np.count_nonzero(~np.isfinite(beat))
    if bad:
        # predict refuses them too; here they spread through the convolutions into a map of
        # NaN, returned as if it were a saliency.
        raise ValueError(f"beat has {bad} NaN or infinite values: its saliency is not defined")
    n_classes = len(classifier.classes_)
    if class_index is not None and not (is_integer(class_index) and 0 <= class_index < n_classes):
        raise ValueError(
            f"class_index must be a column of classes_, 0..{n_classes - 1}, got {class_index!r}"
        )
    keras = import_keras()
    convs = [c.name for c in model.layers if isinstance(c, keras.layers.Conv1D)]
    # None only: "" or 0 named no layer, and were silently read as the default one.
    layer = _last_conv_layer(model) if layer is None else layer
    if layer not in convs:
        raise ValueError(f"the network has no convolution {layer!r}; its convolutions are {convs}")
    output_layer = model.layers[-1]
    sub_model = tf.keras.Model(model.inputs, [model.get_layer(layer).output, output_layer.input])
    kernel, bias = (np.asarray(w) for w in output_layer.get_weights())
    x = tf.constant(beat[None, :, None])
    with tf.GradientTape() as tape:
        activations, hidden = sub_model(x, training=False)
        logits = tf.matmul(hidden, kernel) + bias
        if class_index is None:
            class_index = int(tf.argmax(logits[0]))
        score = logits[:, class_index]
    grads = tape.gradient(score, activations)
    weights = tf.reduce_mean(grads, axis=1)  # (1, channels): importance of each channel
    cam = tf.nn.relu(tf.reduce_sum(activations * weights[:, None, :], axis=-1))[0].numpy()
    # Pooling shortened the layer's time axis; map it back onto the beat's samples (the row
    # without its R-R features, which the convolutions do not read).
    n_beat = beat.size - classifier.n_rr_features
    positions = (np.arange(cam.size) + 0.5) * n_beat / cam.size - 0.5
    cam = np.interp(np.arange(n_beat), positions, cam)
    peak = cam.max()
    return (cam / peak if peak > 0 else cam).astype(np.float64)


def plot_saliency(
    classifier: HeartbeatCNNClassifier,
    beat,
    *,
    class_index: int | None = None,
    layer: str | None = None,
    class_names: Sequence[str] | None = None,
    fs: float = 125.0,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Draw a beat coloured by its Grad-CAM saliency for the predicted (or a chosen) class.

    Parameters
    ----------
    classifier : HeartbeatCNNClassifier
        A fitted classifier.
    beat : array-like of shape (n_features,)
        One row as the classifier takes it: a beat, then its R-R features if it reads them
        (only the beat is drawn).
    class_index : int, optional
        Column of ``classifier.classes_`` to explain; the predicted class by default.
    layer : str, optional
        Convolutional layer for Grad-CAM (see :func:`grad_cam`).
    class_names : sequence of str, optional
        Names of the classes for the title, one per column of ``classifier.classes_``; by
        default the model card's ``target_names`` of a pretrained model, else the classes
        themselves.
    fs : float, default=125.0
        Sampling frequency of the beat.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        The beat is ``ax.lines[0]``; the saliency is a heat strip behind it (``ax.images[0]``,
        whose data is the :func:`grad_cam` map) with a colour bar; the title names the class
        and its probability.

    See Also
    --------
    grad_cam : The saliency values themselves.

    Examples
    --------
    >>> from ecgbeat import HeartbeatCNNClassifier
    >>> from ecgbeat.datasets import load_sample
    >>> from ecgbeat.plot import plot_saliency
    >>> clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
    >>> sample = load_sample()
    >>> beat = sample.data[sample.target == 2][0]  # a ventricular beat
    >>> fig, ax = plot_saliency(clf, beat)
    >>> ax.get_title()  # doctest: +SKIP
    'Grad-CAM for class V (p = 1.00)'
    >>> ax.get_title().startswith("Grad-CAM for class")
    True
    """
    from sklearn.utils.validation import check_is_fitted

    from ecgbeat.records import resolve_class_names

    plt = _pyplot()
    _check_network_classifier(classifier)
    check_is_fitted(classifier)
    fs = check_rate(fs)
    # One name per column of classes_: the names of codes 0..n-1, for a classifier that lacks
    # some of them, would name another class.
    names = resolve_class_names(classifier, class_names)
    beat = _one_beat(beat, np.float64)
    proba = classifier.predict_proba(beat[None, :])[0]
    if class_index is None:
        class_index = int(np.argmax(proba))
    cam = grad_cam(classifier, beat, class_index=class_index, layer=layer)
    beat = beat[: cam.size]  # the beat's samples, without the R-R features after them
    name = names[class_index]
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 3.0), layout="constrained")
    else:
        fig = ax.figure
    t = np.arange(beat.size) / fs
    ax.plot(t, beat, color="black", linewidth=1.2, zorder=3)
    # From 0 or below, to 0 or above: a beat below 0 throughout (max * 1.05 under its max)
    # had its top outside the strip.
    low, high = min(0.0, float(beat.min())), max(0.0, float(beat.max()))
    # One coloured column per sample: the saliency as a heat strip behind the beat.
    image = ax.imshow(
        cam[None, :],
        aspect="auto",
        cmap="magma_r",
        vmin=0.0,
        vmax=1.0,
        alpha=0.6,
        extent=(t[0], t[-1] + 1 / fs, low, high * 1.05 + 1e-9),
        zorder=1,
    )
    fig.colorbar(image, ax=ax, label="Grad-CAM saliency")
    ax.set_title(f"Grad-CAM for class {name} (p = {proba[class_index]:.2f})")
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Amplitude")
    return fig, ax


def plot_confusion_matrix(
    y_true,
    y_pred,
    *,
    class_names: Sequence[str] | None = None,
    normalize: str | None = None,
    cmap: str = "Blues",
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Draw the confusion matrix with scikit-learn's :class:`~sklearn.metrics.ConfusionMatrixDisplay`.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_beats,)
        True and predicted classes.
    class_names : sequence of str, optional
        Names of the integer codes ``0..n-1`` (every code gets a row, even when absent), or of
        text labels, in the order of the rows (see :func:`ecgbeat.evaluation.named_labels`).
    normalize : {None, "true", "pred", "all"}, default=None
        As in :func:`sklearn.metrics.confusion_matrix`.
    cmap : str, default="Blues"
        Colour map.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        Rows are the true classes, columns the predicted ones.

    Raises
    ------
    ValueError
        If there is no beat, ``y_true`` and ``y_pred`` differ in length or are not one label per
        beat (one-hot rows), or a label has no name in ``class_names``.

    Examples
    --------
    >>> from ecgbeat.plot import plot_confusion_matrix
    >>> fig, ax = plot_confusion_matrix(["N", "V", "V"], ["N", "V", "N"])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['N', 'V']
    """
    plt = _pyplot()
    from sklearn.metrics import ConfusionMatrixDisplay

    # As the metrics refuse them: no beat, or one-hot rows, were blamed on the names ("5
    # class_names for 0 labels"), and labels of two lengths got scikit-learn's "inconsistent
    # numbers of samples: [3, 2, 3]".
    y_true, y_pred = _checked_labels(y_true, y_pred)
    # The rows in the names' order, whatever the labels' type (scikit-learn sorts text labels).
    labels, names = named_labels(y_true, y_pred, class_names, name="class_names")
    # The figure scikit-learn would make (plt.subplots()), made here so that it is closed when
    # drawing fails: a refused cmap left it open in pyplot, never returned, for every call.
    created = None
    if ax is None:
        created, ax = plt.subplots()
    try:
        display = ConfusionMatrixDisplay.from_predictions(
            y_true,
            y_pred,
            labels=labels,
            display_labels=names,
            normalize=normalize,
            cmap=cmap,
            ax=ax,
            colorbar=True,
            values_format=".2f" if normalize else "d",
        )
    except BaseException:
        if created is not None:
            plt.close(created)
        raise
    display.ax_.set_xlabel("Predicted class")
    display.ax_.set_ylabel("True class")
    return display.figure_, display.ax_
