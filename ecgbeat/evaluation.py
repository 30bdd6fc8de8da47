"""Metrics for heartbeat classification, as reported in ecgbeat's tables and model cards.

Plain scikit-learn metrics, gathered in one dictionary: accuracy, macro-F1, and per class the
precision (positive predictivity, +P), recall (sensitivity, Se), F1 and support, plus the confusion
matrix. The AAMI literature speaks of Se and +P; they are recall and precision.

Examples
--------
>>> from ecgbeat.evaluation import classification_metrics
>>> m = classification_metrics([0, 0, 1, 1], [0, 1, 1, 1], target_names=["N", "V"])
>>> m["accuracy"], m["per_class"]["V"]["precision"]
(0.75, 0.6667)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from ecgbeat._checks import is_integer, refuse_missing_labels, refuse_repeated_names

__all__ = [
    "AAMI_SCORED",
    "aami_metrics",
    "classification_metrics",
    "format_report",
    "named_labels",
    "with_unmatched_detections",
]

#: The AAMI classes scored in the inter-patient literature (Q, rare and ill-defined, is left out of
#: the mean; de Chazal et al. 2004).
AAMI_SCORED = ("N", "S", "V", "F")


def named_labels(
    y_true, y_pred, target_names: Sequence[str] | None = None, *, name: str = "target_names"
) -> tuple[np.ndarray, list[str]]:
    """The labels to score, in order, and their names (see :func:`classification_metrics`).

    Integer labels are codes ``0..n-1`` of ``target_names`` (every code, present or not); text
    labels are named by themselves, in the order of ``target_names`` (or, when no name is a
    label, by display names in the labels' sorted order, one each); other labels (floats) get
    the names in their sorted order.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_beats,)
        True and predicted labels.
    target_names : sequence of str, optional
        The classes' names; None: each label is its own name.
    name : str, default="target_names"
        The caller's name for ``target_names``, for the errors.

    Returns
    -------
    labels : ndarray
        The labels, in the order of the names.
    names : list of str

    Raises
    ------
    ValueError
        If a label is missing (None, NaN or pandas' NA), the labels mix names and numbers, a label has no
        name in ``target_names``, or a name is given twice.

    Examples
    --------
    >>> named_labels(["V", "N"], ["N", "N"], ["N", "S", "V"])
    (array(['N', 'S', 'V'], dtype='<U1'), ['N', 'S', 'V'])
    """
    refuse_missing_labels(y_true, "y_true")
    refuse_missing_labels(y_pred, "y_pred")
    both = np.concatenate([np.asarray(y_true), np.asarray(y_pred)])
    try:
        labels = np.unique(both)
    except TypeError:
        # Names and numbers in one object array cannot be sorted; NumPy's error ("'<' not
        # supported between instances of 'int' and 'str'") named neither labels nor cause.
        kinds = sorted({type(v).__name__ for v in both.ravel()})
        raise ValueError(
            f"the labels mix {' and '.join(kinds)} values, which cannot be ordered: give "
            "every class as a name, or every class as an integer code"
        ) from None
    if target_names is not None:
        refuse_repeated_names(target_names, name)
    if target_names is None:
        names = [str(label) for label in labels]
    elif labels.dtype.kind in "iub":
        if labels.size and (labels.min() < 0 or labels.max() >= len(target_names)):
            raise ValueError(
                f"labels {labels.tolist()} are not all codes 0..{len(target_names) - 1} of "
                f"{name} {list(target_names)}"
            )
        labels, names = np.arange(len(target_names)), [str(n) for n in target_names]
    elif labels.dtype.kind in "USO":
        named = set(labels.tolist()) & set(target_names)
        unnamed = sorted(set(labels.tolist()) - set(target_names))
        if not named and len(target_names) == labels.size:
            # Names for display, none of them a label: they name the sorted labels, as before.
            names = [str(n) for n in target_names]
        elif unnamed:
            raise ValueError(
                f"labels {unnamed} are not in {name} {list(target_names)}: text labels "
                "are named by themselves, or all by display names in their sorted order"
            )
        else:
            labels, names = np.asarray(target_names), [str(n) for n in target_names]
    else:
        if len(target_names) != labels.size:
            raise ValueError(
                f"{len(target_names)} {name} for {labels.size} labels {labels.tolist()}: "
                "give one name for each label, in their sorted order"
            )
        names = [str(n) for n in target_names]
    return labels, names


def _checked_labels(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """``y_true`` and ``y_pred`` as arrays of one label per beat, refused unless they can be scored.

    A column of labels, of shape ``(n_beats, 1)``, is read as its one label per beat, as
    scikit-learn's metrics read it.

    Raises
    ------
    ValueError
        If either holds more than one label per beat (one-hot rows), there is no beat, or they
        differ in length; naming the problem, not the class names.

    Examples
    --------
    >>> y_true, y_pred = _checked_labels([[0], [2]], [0, 1])
    >>> y_true.tolist(), y_pred.tolist()
    ([0, 2], [0, 1])
    """
    arrays = []
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        labels = np.asarray(labels)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.ndim != 1:
            # One-hot rows were read as labels 0.0 and 1.0, and the names blamed ("5
            # target_names for 2 labels [0.0, 1.0]"), or failed in scikit-learn with
            # "multilabel-indicator is not supported"; a single label in "zero-dimensional
            # arrays cannot be concatenated".
            raise ValueError(
                f"{name} must be one label per beat, of shape (n_beats,); got shape "
                f"{labels.shape} (for one-hot rows, give their argmax)"
            )
        arrays.append(labels)
    y_true, y_pred = arrays
    if not y_true.size and not y_pred.size:
        # Empty lists are float arrays: named_labels would blame the names ("5 target_names for
        # 0 labels"), when what is wrong is that there is nothing to score.
        raise ValueError("y_true and y_pred hold no beat: there is nothing to score")
    if y_true.size != y_pred.size:
        # Else one empty list (a float array) got the names blamed: "5 target_names for 2
        # labels [0.0, 2.0]: give one name for each label".
        raise ValueError(
            f"y_true has {y_true.size} labels and y_pred {y_pred.size}: give one of each per beat"
        )
    return y_true, y_pred


def classification_metrics(
    y_true, y_pred, *, target_names: Sequence[str] | None = None, digits: int = 4
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision / recall / F1 / support and the confusion matrix.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_beats,)
        True and predicted labels.
    target_names : sequence of str, optional
        The classes' names, used as keys, in their order: of the codes ``0..n-1`` for integer
        labels, of the labels themselves (every one of them, in any order) for text labels, or
        display names of the sorted text labels when none of them is a label. Other labels
        (floats) are named in their sorted order, one name each.
    digits : int, default=4
        Rounding of the reported numbers.

    Returns
    -------
    dict
        ``accuracy``, ``macro_f1``, ``per_class`` (name -> precision, recall, f1, support),
        ``labels`` and ``confusion_matrix`` (rows true, columns predicted). A precision or
        recall with nothing to divide by (a class never predicted, or without a true beat) is 0,
        as scikit-learn's ``zero_division=0`` gives it; ``support`` and the confusion matrix
        tell such a 0 from a measured one. ``macro_f1`` is the mean F1 of every class in
        ``labels``, as scikit-learn's ``f1_score(labels=..., average="macro",
        zero_division=0)``: a named class that neither ``y_true`` nor
        ``y_pred`` holds (F beats in a record without any) counts as 0, so that figures over
        different data average the same classes. :func:`aami_metrics`' ``macro_f1_NSVF``
        averages only the scored classes that occur.

    Raises
    ------
    ValueError
        If a label has no name in ``target_names``, a name is given twice, there is no
        beat to score, ``y_true`` and ``y_pred`` differ in length or are not one label per
        beat (one-hot rows), or ``digits`` is not an integer >= 0.

    Examples
    --------
    >>> from ecgbeat.evaluation import classification_metrics
    >>> m = classification_metrics(["N", "V", "S"], ["N", "V", "N"], target_names=["N", "S", "V"])
    >>> m["labels"], m["per_class"]["S"]["recall"], m["per_class"]["N"]["support"]
    (['N', 'S', 'V'], 0.0, 1)
    """
    if not (is_integer(digits) and digits >= 0):
        # round() took True as 1 digit and -1 as tens (every figure 0.0), and failed for 2.5
        # with "'float' object cannot be interpreted as an integer", naming no parameter.
        raise ValueError(f"digits must be an integer >= 0, got {digits!r}")
    y_true, y_pred = _checked_labels(y_true, y_pred)
    labels, names = named_labels(y_true, y_pred, target_names)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), digits),
        "macro_f1": round(
            float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)), digits
        ),
        "per_class": {
            name: {
                "precision": round(float(p), digits),
                "recall": round(float(r), digits),
                "f1": round(float(f), digits),
                "support": int(s),
            }
            for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)
        },
        "labels": names,
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def aami_metrics(
    y_true,
    y_pred,
    *,
    target_names: Sequence[str],
    scored: Sequence[str] = AAMI_SCORED,
    missed=None,
) -> dict[str, Any]:
    """:func:`classification_metrics` plus the literature's summary: macro-F1 over N, S, V, F.

    Adds ``macro_f1_NSVF`` (the mean F1 of the ``scored`` classes that occur in ``y_true`` or
    ``missed``; None when none does), and ``Se`` and ``+P`` (recall and precision of each scored
    class that occurs), as AAMI-style tables report them. A label beyond
    ``target_names`` in ``y_true`` (for example a detection that matches no reference beat) is a
    class of its own, named ``"(none)"``: whatever a model calls it counts against that class's
    precision. ``macro_f1`` then averages the F1 of the ``target_names`` classes alone: no model
    predicts ``"(none)"``, so its F1 is always 0 and would only pull the mean down.

    ``missed`` holds the integer labels of reference beats that no detection found (with
    :func:`ecgbeat.datasets.fetch_mitbih`'s ``detector``, ``bunch.missed.target``): each is a
    beat of its class predicted ``"(none)"``, a false negative that lowers its class's Se and
    the accuracy, as AAMI EC57 counts a missed beat. Without them, the figures at detected
    peaks would be over the beats that the detector found.

    Raises
    ------
    ValueError
        As :func:`classification_metrics`, if none of the ``scored`` classes is one of
        ``target_names``, if ``y_pred`` holds a code beyond ``target_names``, and if ``missed``
        holds anything but codes of ``target_names`` or ``y_true`` holds text labels beside it.

    Examples
    --------
    >>> from ecgbeat.evaluation import aami_metrics
    >>> names = ["N", "S", "V", "F", "Q"]
    >>> m = aami_metrics([0, 0, 1, 2, 5], [0, 1, 1, 2, 2], target_names=names)
    >>> m["Se"]["N"], m["+P"]["V"], m["macro_f1_NSVF"]
    (0.5, 0.5, 0.6667)
    >>> aami_metrics([0, 2], [0, 2], target_names=names, missed=[2])["Se"]
    {'N': 1.0, 'V': 0.5}
    """
    y_true, y_pred = _checked_labels(y_true, y_pred)
    names = list(target_names)
    missed = _checked_missed(missed, y_true, len(names))
    if not set(scored) & set(names):
        # Else no mean, and the report's "no beat of these classes", for beats of every class:
        # the classes were named otherwise ("Normal", "SVEB", ...), not absent.
        raise ValueError(
            f"none of the scored classes {list(scored)} is in target_names {names}: give "
            "scored= the names of the classes to average"
        )
    model_classes = len(names)
    if y_pred.dtype.kind in "iu" and y_pred.size and y_pred.max() >= model_classes:
        # A prediction of code len(target_names) was scored as the class "(none)", which no
        # model predicts (predictions of a model of more classes, or of other codes, passed
        # without a word), and a higher code was blamed on a "(none)" name the caller never gave.
        beyond = sorted(set(y_pred[y_pred >= model_classes].tolist()))
        raise ValueError(
            f"y_pred holds codes {beyond}, beyond the codes 0..{model_classes - 1} of "
            f"target_names {names}: a prediction is one of the model's classes"
        )
    if missed.size:
        # Checked above against the model's codes: the "(none)" predicted here is not a model's.
        y_true = np.concatenate([y_true, missed])
        y_pred = np.concatenate([y_pred, np.full(missed.size, model_classes)])
    codes = np.concatenate([y_true, y_pred])
    if codes.dtype.kind in "iu" and codes.size and codes.max() >= len(names):
        names.append("(none)")
    metrics = classification_metrics(y_true, y_pred, target_names=names)
    per_class = metrics["per_class"]
    present = [c for c in scored if c in per_class and per_class[c]["support"] > 0]
    # The mean of the unrounded F1s, as f1_score(average="macro") gives it: the mean of the
    # rounded ones was off in the last digit (N 0.5, S 0.66667 gave 0.5834, not 0.5833). From
    # the confusion matrix at hand, as scikit-learn computes it: 2 TP / (true + predicted).
    counts = np.asarray(metrics["confusion_matrix"])
    with np.errstate(divide="ignore", invalid="ignore"):
        f1_each = 2 * np.diag(counts) / (counts.sum(axis=0) + counts.sum(axis=1))
    f1 = dict(zip(metrics["labels"], f1_each.tolist(), strict=True))
    if len(names) > model_classes:
        # Over the model's classes, as f1_score(labels=their codes, average="macro",
        # zero_division=0) gives it (the unmatched detections still count as false positives of
        # the classes they were called): "(none)" made a fifth of a 5-class mean always 0.
        metrics["macro_f1"] = round(float(np.nan_to_num(f1_each[:model_classes]).mean()), 4)
    # No scored beat (a record of paced beats only): no mean, rather than NaN, which is no JSON.
    metrics["macro_f1_NSVF"] = (
        round(float(np.mean([f1[c] for c in present])), 4) if present else None
    )
    metrics["Se"] = {c: per_class[c]["recall"] for c in present}
    metrics["+P"] = {c: per_class[c]["precision"] for c in present}
    return metrics


def _checked_missed(missed, y_true: np.ndarray, n_classes: int) -> np.ndarray:
    """``missed`` (see :func:`aami_metrics`) as an integer array, refused unless it can be scored."""
    if missed is None:
        return np.zeros(0, dtype=np.int64)
    labels = np.asarray(missed)
    if labels.ndim != 1:
        raise ValueError(
            f"missed must be one label per beat, of shape (n_missed,); got shape {labels.shape}"
        )
    if not labels.size:
        return labels.astype(np.int64)
    if labels.dtype.kind not in "iu" or (y_true.size and y_true.dtype.kind not in "iu"):
        # A missed beat is predicted "(none)", the code after the model's classes: text labels
        # have no such code, and one named "(none)" could be a caller's class.
        raise ValueError(
            f"missed holds labels of kind {labels.dtype} beside y_true of kind {y_true.dtype}: "
            "both must be integer codes of target_names"
        )
    if labels.min() < 0 or labels.max() >= n_classes:
        beyond = sorted(set(labels[(labels < 0) | (labels >= n_classes)].tolist()))
        raise ValueError(
            f"missed holds codes {beyond}, beyond the codes 0..{n_classes - 1} of target_names: "
            "a missed beat is a reference beat of one of the classes"
        )
    return labels


def with_unmatched_detections(bunch) -> tuple[np.ndarray, np.ndarray]:
    """The rows and labels that score a model at detected R peaks, false detections included.

    ``bunch`` is what :func:`ecgbeat.datasets.fetch_mitbih` returns with a ``detector``: its beats
    carry the class of the reference beat each detection matched, and ``bunch.unmatched`` holds
    the rows of detections that matched none. Those rows get the label ``len(target_names)``,
    which :func:`aami_metrics` scores as the class ``"(none)"``: whatever the model calls them
    lowers the precision (+P) of that class, as a false detection would in the user's table.
    The beats the detector missed have no row: pass ``bunch.missed.target`` to
    :func:`aami_metrics`' ``missed``.

    Returns
    -------
    X : ndarray of shape (n_beats + n_unmatched, n_features)
    y : ndarray of shape (n_beats + n_unmatched,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.utils import Bunch
    >>> found = Bunch(data=np.zeros((3, 4)), target=np.array([0, 2, 0]), target_names=["N", "S", "V"],
    ...               unmatched=Bunch(data=np.ones((1, 4))))
    >>> X, y = with_unmatched_detections(found)
    >>> X.shape, y.tolist()
    ((4, 4), [0, 2, 0, 3])
    """
    extra = bunch.get("unmatched")
    if extra is None or not len(extra.data):
        return bunch.data, bunch.target
    X = np.concatenate([bunch.data, extra.data])
    y = np.concatenate([bunch.target, np.full(len(extra.data), len(bunch.target_names))])
    return X, y


def format_report(metrics: dict[str, Any], *, title: str | None = None) -> str:
    """A classification report (per class, accuracy, macro-F1) and the confusion matrix as text.

    A class that no beat has, true or predicted, is named under the all-class macro-F1, which
    counts its F1 as 0.

    Parameters
    ----------
    metrics : dict
        The result of :func:`classification_metrics` or :func:`aami_metrics`.
    title : str, optional
        A first line.

    Returns
    -------
    str

    Examples
    --------
    >>> from ecgbeat.evaluation import classification_metrics, format_report
    >>> m = classification_metrics([0, 0, 1, 1], [0, 1, 1, 1], target_names=["N", "V"])
    >>> print(format_report(m))  # doctest: +NORMALIZE_WHITESPACE
    class  precision  recall      f1  support
    N         1.0000  0.5000  0.6667        2
    V         0.6667  1.0000  0.8000        2
    <BLANKLINE>
    accuracy   0.7500   (4 beats)
    macro-F1   0.7333
    <BLANKLINE>
    confusion matrix (rows: true class, columns: predicted class)
    true\\pred  N  V
    N          1  1
    V          0  2
    """
    names = list(metrics["labels"])
    width = max([5, *map(len, names)])
    lines = [] if title is None else [title, ""]
    lines.append(f"{'class':<{width}}  precision  recall      f1  support")
    total = 0
    for name in names:
        row = metrics["per_class"][name]
        total += row["support"]
        lines.append(
            f"{name:<{width}}  {row['precision']:9.4f}  {row['recall']:6.4f}  {row['f1']:6.4f}"
            f"  {row['support']:7d}"
        )
    lines += [
        "",
        f"accuracy   {metrics['accuracy']:.4f}   ({total} beats)",
        f"macro-F1   {metrics['macro_f1']:.4f}"
        + (
            f"   ({', '.join(n for n in names if n != '(none)')})"
            if "macro_f1_NSVF" in metrics
            else ""
        ),
    ]
    # A class that no beat has, true or predicted, has no F1 of its own: the mean counts it as
    # 0 (see classification_metrics), which the report showed as a plain 0.0000 row, a mean
    # lowered without a word (N and V right, no S, F or Q beat: "macro-F1 0.4000").
    matrix = metrics["confusion_matrix"]
    empty = [
        name
        for i, name in enumerate(names)
        if name != "(none)" and not any(matrix[i]) and not any(row[i] for row in matrix)
    ]
    if empty:
        lines.append(f"{'':11}({', '.join(empty)}: no beat, true or predicted, counted as F1 0)")
    if metrics.get("macro_f1_NSVF") is not None:
        # The scored classes that the beats hold, which aami_metrics averaged (its Se's keys):
        # "(N, S, V, F)" beside a mean of N and V alone would misstate it.
        averaged = ", ".join(metrics.get("Se") or ("N", "S", "V", "F"))
        lines.append(f"macro-F1   {metrics['macro_f1_NSVF']:.4f}   ({averaged})")
    elif "macro_f1_NSVF" in metrics:
        lines.append("macro-F1   none   (N, S, V, F: no beat of these classes)")
    lines += [
        "",
        "confusion matrix (rows: true class, columns: predicted class)",
    ]
    cell = max([len(n) for n in names] + [len(str(v)) for r in matrix for v in r])
    head = "true\\pred"
    first = max(len(head), width)
    lines.append(f"{head:<{first}}  " + " ".join(f"{n:>{cell}}" for n in names))
    for name, row in zip(names, matrix, strict=True):
        lines.append(f"{name:<{first}}  " + " ".join(f"{v:>{cell}}" for v in row))
    return "\n".join(lines)
