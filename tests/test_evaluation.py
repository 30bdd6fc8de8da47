"""The metrics of ecgbeat.evaluation: each class's figures under its own name."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from ecgbeat.evaluation import aami_metrics, classification_metrics

AAMI = ["N", "S", "V", "F", "Q"]
# Six N beats, one S beat called N, the rest right.
TRUE = ["N"] * 6 + ["S", "V", "V", "F", "Q"]
PRED = ["N"] * 6 + ["N", "V", "V", "F", "Q"]


def _recall_and_support(metrics):
    return {name: (m["recall"], m["support"]) for name, m in metrics["per_class"].items()}


def test_text_labels_are_named_by_themselves_in_the_order_of_the_names():
    # Before, the names were laid over the labels' sorted order (F, N, Q, S, V): "S" reported
    # the six N beats.
    metrics = classification_metrics(TRUE, PRED, target_names=AAMI)
    assert metrics["labels"] == AAMI
    assert _recall_and_support(metrics) == {
        "N": (1.0, 6),
        "S": (0.0, 1),
        "V": (1.0, 2),
        "F": (1.0, 1),
        "Q": (1.0, 1),
    }
    assert metrics["confusion_matrix"][1] == [1, 0, 0, 0, 0]  # the S beat, called N
    codes = {name: k for k, name in enumerate(AAMI)}
    as_codes = classification_metrics(
        [codes[c] for c in TRUE], [codes[c] for c in PRED], target_names=AAMI
    )
    assert as_codes == metrics


def test_aami_metrics_take_text_labels():
    metrics = aami_metrics(np.array(TRUE), np.array(PRED), target_names=AAMI)
    assert metrics["Se"] == {"N": 1.0, "S": 0.0, "V": 1.0, "F": 1.0}
    assert metrics["+P"]["N"] == pytest.approx(6 / 7, abs=1e-4)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "names", "message"),
    [
        ([0, 1, 2, 2], [0, 1, 2, 0], ["N", "S"], r"labels \[0, 1, 2\] are not all codes 0\.\.1"),
        (["N", "X"], ["N", "N"], AAMI, r"labels \['X'\] are not in target_names"),
        ([1.0, 2.0, 3.0], [1.0, 2.0, 2.0], ["a", "b"], "2 target_names for 3 labels"),
    ],
)
def test_a_label_without_a_name_is_refused(y_true, y_pred, names, message):
    # Before, integer codes past the names left the per-class rows (but not the accuracy).
    with pytest.raises(ValueError, match=message):
        classification_metrics(y_true, y_pred, target_names=names)


def test_other_labels_are_named_in_their_sorted_order():
    metrics = classification_metrics([2.0, 1.0, 1.0], [2.0, 1.0, 2.0], target_names=["low", "high"])
    assert _recall_and_support(metrics) == {"low": (0.5, 2), "high": (1.0, 1)}


def test_display_names_that_are_no_label_name_the_sorted_text_labels():
    # As before 2026-12-01: names for display, none of them a label, one for each label.
    metrics = classification_metrics(
        ["N", "V", "N"], ["N", "V", "V"], target_names=["Normal", "Ventricular"]
    )
    assert _recall_and_support(metrics) == {"Normal": (0.5, 2), "Ventricular": (1.0, 1)}
    with pytest.raises(ValueError, match="are named by themselves, or all by display names"):
        classification_metrics(["N", "V"], ["N", "N"], target_names=["Normal", "V"])


def test_no_scored_class_in_the_data_gives_no_nsvf_mean_not_nan():
    # Before, the mean of no F1 was NaN (with NumPy's "Mean of empty slice" warning), which
    # 'ecgbeat evaluate --json' printed as NaN: not JSON.
    import json
    import warnings

    from ecgbeat.evaluation import format_report

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics = aami_metrics([4, 4, 4], [4, 0, 4], target_names=AAMI)
    assert metrics["macro_f1_NSVF"] is None
    assert metrics["Se"] == {} and metrics["+P"] == {}
    assert json.loads(json.dumps(metrics, allow_nan=False))["macro_f1_NSVF"] is None
    report = format_report(metrics)
    assert "macro-F1   none   (N, S, V, F: no beat of these classes)" in report.splitlines()


def test_report_names_the_classes_its_nsvf_mean_averages():
    # Before, a record without S or F beats printed "macro-F1 0.6667 (N, S, V, F)" beside a
    # mean of N's and V's F1 alone.
    from ecgbeat.evaluation import format_report

    metrics = aami_metrics([0, 0, 2, 2], [0, 2, 2, 2], target_names=AAMI)
    assert sorted(metrics["Se"]) == ["N", "V"]
    line = f"macro-F1   {metrics['macro_f1_NSVF']:.4f}   (N, V)"
    assert line in format_report(metrics).splitlines()
    every = aami_metrics([0, 1, 2, 3], [0, 1, 2, 3], target_names=AAMI)
    assert "macro-F1   1.0000   (N, S, V, F)" in format_report(every).splitlines()


@pytest.mark.parametrize("names", [AAMI, None])
def test_no_beat_is_refused_as_such(names):
    # Before, with names, empty lists (float arrays) were refused as "5 target_names for 0
    # labels: give one name for each label", blaming the names.
    with pytest.raises(ValueError, match="hold no beat: there is nothing to score"):
        classification_metrics([], [], target_names=names)
    if names is not None:
        with pytest.raises(ValueError, match="hold no beat"):
            aami_metrics([], [], target_names=names)


@pytest.mark.parametrize(("y_true", "y_pred"), [([], [0, 2]), ([0, 2], []), ([0, 1, 2], [0, 1])])
def test_labels_of_two_lengths_are_refused_as_such(y_true, y_pred):
    # Before, an empty list beside labels was refused as "5 target_names for 2 labels [0.0,
    # 2.0]: give one name for each label", blaming the names.
    with pytest.raises(ValueError, match=r"labels and y_pred \d+: give one of each per beat"):
        classification_metrics(y_true, y_pred, target_names=AAMI)
    with pytest.raises(ValueError, match="give one of each per beat"):
        aami_metrics(y_true, y_pred, target_names=AAMI)


@pytest.mark.parametrize(
    ("y_true", "y_pred"), [([0, 1, 2, 2], [0, 1, 2, 0]), (["N", "V"], ["N", "N"])]
)
def test_a_name_given_twice_is_refused(y_true, y_pred):
    # Before, per_class kept one N of two (the other's figures lost) and format_report printed
    # that row twice, counting 5 beats of 4.
    with pytest.raises(ValueError, match=r"target_names \['N', 'V', 'N'\] repeat N"):
        classification_metrics(y_true, y_pred, target_names=["N", "V", "N"])


def test_nsvf_mean_is_of_the_unrounded_f1s():
    # N's F1 is 0.5 and S's 2/3: their mean is 0.58333, which the mean of the rounded F1s
    # (0.5, 0.6667) put at 0.5834.
    y_true, y_pred = [0, 0, 1, 5], [0, 1, 1, 0]
    m = aami_metrics(y_true, y_pred, target_names=["N", "S", "V", "F", "Q"])
    expected = f1_score(y_true, y_pred, labels=[0, 1], average="macro", zero_division=0)
    assert m["macro_f1_NSVF"] == round(float(expected), 4) == 0.5833


@pytest.mark.parametrize("digits", [-1, 2.5, True, "4"])
def test_a_bad_number_of_digits_is_refused_by_name(digits):
    # -1 rounded every figure to 0.0 and True to one digit; 2.5 failed in round() with
    # "'float' object cannot be interpreted as an integer".
    with pytest.raises(ValueError, match="digits must be an integer >= 0"):
        classification_metrics([0, 1], [0, 1], target_names=["N", "V"], digits=digits)


def test_macro_f1_at_detected_peaks_averages_the_models_classes_not_none():
    # Detections of no beat (code 5, "(none)") count against the classes they are called, but
    # "(none)" itself, which no model predicts (F1 always 0), was averaged in: with every beat
    # right but one false detection, the 5-class macro-F1 was 5/6 of its value.
    from ecgbeat.evaluation import format_report

    y_true = [0, 0, 0, 1, 2, 3, 4, 5]
    y_pred = [0, 0, 0, 1, 2, 3, 4, 2]
    metrics = aami_metrics(y_true, y_pred, target_names=AAMI)
    expected = f1_score(y_true, y_pred, labels=range(5), average="macro", zero_division=0)
    assert metrics["macro_f1"] == round(expected, 4) == 0.9333
    assert metrics["per_class"]["(none)"]["support"] == 1
    assert metrics["+P"]["V"] == 0.5
    assert "macro-F1   0.9333   (N, S, V, F, Q)" in format_report(metrics).splitlines()


@pytest.mark.parametrize("score", [classification_metrics, aami_metrics])
def test_one_hot_labels_are_refused_as_such_not_blamed_on_the_names(score):
    # Before, one-hot rows on both sides were read as the labels 0.0 and 1.0 and refused as "5
    # target_names for 2 labels [0.0, 1.0]: give one name for each label", blaming the names;
    # on one side, as "y_true has 15 labels and y_pred 3" (15 cells, not labels).
    one_hot = np.eye(5)[[0, 1, 2]]
    with pytest.raises(ValueError, match=r"y_true must be one label per beat.*\(3, 5\)"):
        score(one_hot, one_hot, target_names=AAMI)
    with pytest.raises(ValueError, match=r"y_true must be one label per beat.*\(3, 5\)"):
        score(one_hot, [0, 1, 1], target_names=AAMI)
    with pytest.raises(ValueError, match=r"y_pred must be one label per beat.*argmax"):
        score([0, 1, 2], one_hot, target_names=AAMI)


@pytest.mark.parametrize("score", [classification_metrics, aami_metrics])
def test_a_column_of_labels_is_one_label_per_beat(score):
    # Before, a column of true labels beside a flat list of predictions was refused as "y_true
    # has 3 labels and y_pred 3" (aami_metrics: NumPy's "all the input arrays must have same
    # number of dimensions"); scikit-learn's metrics read a column as one label per beat.
    column = np.array([[0], [1], [2]])
    metrics = score(column, [0, 1, 1], target_names=AAMI)
    assert metrics == score([0, 1, 2], [0, 1, 1], target_names=AAMI)
    assert metrics["per_class"]["V"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert metrics["confusion_matrix"][2] == [0, 1, 0, 0, 0]


def test_scored_classes_that_are_no_class_name_are_refused():
    # Before, with the classes named otherwise, there was no NSVF mean and the report said
    # "no beat of these classes" of beats of every class.
    names = ["Normal", "SVEB", "VEB", "Fusion", "Unknown"]
    with pytest.raises(ValueError, match=r"none of the scored classes \['N', 'S', 'V', 'F'\]"):
        aami_metrics([0, 1, 2, 3], [0, 1, 2, 2], target_names=names)
    metrics = aami_metrics([0, 1, 2, 3], [0, 1, 2, 2], target_names=names, scored=["Normal", "VEB"])
    assert metrics["Se"] == {"Normal": 1.0, "VEB": 1.0}
    assert metrics["macro_f1_NSVF"] == round((1.0 + 2 / 3) / 2, 4) == 0.8333


@pytest.mark.parametrize("names", [AAMI, None])
def test_missing_labels_are_refused_by_name(names):
    # A pandas column of classes holds NaN where one is missing: among names NumPy's sort
    # failed with "'<' not supported between instances of 'float' and 'str'", and among codes
    # the names were blamed ("5 target_names for 4 labels") or scikit-learn said "Input y_true
    # contains NaN".
    with_nan = np.array(["N", np.nan, "V"], dtype=object)
    with pytest.raises(
        ValueError,
        match=r"y_true must name a class for every beat; 1 is missing \(None, NaN or pandas' NA\)",
    ):
        classification_metrics(with_nan, ["N", "N", "V"], target_names=names)
    with pytest.raises(ValueError, match=r"y_pred must name a class for every beat; 2 are missing"):
        classification_metrics([0, 1, 2], [0.0, np.nan, np.nan], target_names=names)
    with pytest.raises(ValueError, match=r"y_pred must name a class for every beat; 1 is missing"):
        classification_metrics(["N", "V"], np.array(["N", None], dtype=object))


def test_labels_missing_as_pandas_na_or_a_numpy_nan_are_counted():
    # Not counted: a "string" column's NA, and a float32 NaN among names, failed in the sort as
    # "the labels mix NAType and str values" (float32 and str), blaming no missing label.
    pd = pytest.importorskip("pandas")
    with_na = pd.Series(["N", None, "V", None], dtype="string")
    with pytest.raises(
        ValueError,
        match=r"^y_true must name a class for every beat; 2 are missing \(None, NaN or pand",
    ):
        classification_metrics(with_na, ["N", "N", "V", "V"])
    with_nan = np.array(["N", np.float32("nan"), "V"], dtype=object)
    with pytest.raises(
        ValueError, match=r"^y_pred must name a class for every beat; 1 is missing \("
    ):
        classification_metrics(["N", "N", "V"], with_nan, target_names=["N", "V"])


def test_labels_that_mix_names_and_numbers_are_refused_as_such():
    # NumPy's sort failed: "'<' not supported between instances of 'int' and 'str'".
    mixed = np.array(["N", 2, "V"], dtype=object)
    with pytest.raises(ValueError, match="the labels mix int and str values"):
        classification_metrics(mixed, ["N", "N", "V"], target_names=AAMI)


def test_report_names_the_classes_its_all_class_mean_counts_as_0():
    # Before, N and V right with no S, F or Q beat printed "macro-F1 0.4000 (N, S, V, F, Q)"
    # beside rows of 0.0000 for S, F and Q, with no word that they had no beat at all.
    from ecgbeat.evaluation import format_report

    metrics = aami_metrics([0, 0, 2], [0, 0, 2], target_names=AAMI)
    assert metrics["macro_f1"] == 0.4
    lines = format_report(metrics).splitlines()
    at = lines.index("macro-F1   0.4000   (N, S, V, F, Q)")
    assert lines[at + 1].strip() == "(S, F, Q: no beat, true or predicted, counted as F1 0)"
    # A class predicted but not true, or true but not predicted, has a real F1 of 0.
    some = classification_metrics([0, 0, 1], [0, 2, 0], target_names=["N", "S", "V"])
    assert "no beat, true or predicted" not in format_report(some)
    every = aami_metrics([0, 1, 2, 3, 4], [0, 1, 2, 3, 4], target_names=AAMI)
    assert "no beat, true or predicted" not in format_report(every)


@pytest.mark.parametrize("code", [5, 6])
def test_a_prediction_beyond_the_names_is_refused(code):
    # Before, a predicted code 5 of 5 names was scored as the class "(none)" (detections of no
    # beat, which no model predicts) without a word, and 6 was blamed on target_names [..., '(none)'].
    with pytest.raises(ValueError, match=rf"y_pred holds codes \[{code}\], beyond the codes 0..4"):
        aami_metrics([0, 0, 1], [0, code, 1], target_names=AAMI)
    # In y_true, code 5 is a detection of no beat, as with_unmatched_detections labels it.
    assert aami_metrics([0, 5, 1], [0, 0, 1], target_names=AAMI)["labels"][-1] == "(none)"


def test_missed_beats_are_false_negatives_of_their_class():
    # Two rows of N, one V, one detection of no beat (code 5), and two V beats no detection found.
    m = aami_metrics([0, 0, 2, 5], [0, 1, 2, 0], target_names=AAMI, missed=[2, 2])
    assert m["Se"] == {"N": 0.5, "V": round(1 / 3, 4)}
    assert m["+P"] == {"N": 0.5, "V": 1.0}
    assert m["accuracy"] == round(2 / 6, 4)
    assert m["per_class"]["V"]["support"] == 3
    # The "(none)" column holds the misses of each class, its row the detections of no beat.
    assert m["labels"][-1] == "(none)"
    assert [row[-1] for row in m["confusion_matrix"]] == [0, 0, 2, 0, 0, 0]
    assert m["confusion_matrix"][-1] == [1, 0, 0, 0, 0, 0]
    # F1 of V: 2 * 1 / (3 true + 1 predicted); of N: 2 * 1 / (2 true + 2 predicted).
    assert m["macro_f1_NSVF"] == round((0.5 + 0.5) / 2, 4)
    assert aami_metrics([0, 2], [0, 2], target_names=AAMI, missed=[])["Se"]["V"] == 1.0


@pytest.mark.parametrize(
    ("missed", "y_true", "message"),
    [
        ([5], [0, 2], r"missed holds codes \[5\], beyond the codes 0..4"),
        ([-1], [0, 2], r"missed holds codes \[-1\]"),
        (["V"], [0, 2], r"missed holds labels of kind <U1 beside y_true of kind int"),
        ([2], ["N", "V"], r"both must be integer codes of target_names"),
        ([[2]], [0, 2], r"missed must be one label per beat"),
    ],
)
def test_missed_beats_that_cannot_be_scored_are_refused(missed, y_true, message):
    with pytest.raises(ValueError, match=message):
        aami_metrics(y_true, y_true, target_names=AAMI, missed=missed)
