"""Validation by patient: ``fit(X, y, groups=...)`` never puts one patient on both sides, alone and
inside scikit-learn's model selection through metadata routing."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn
from conftest import FAST_PARAMS, make_synthetic_beats
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate, train_test_split

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat._training import grouped_validation_split, validation_split


def _patients(n_beats: int, n_patients: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n_patients, n_beats).astype(str)


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.3, 0.5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_patient_on_both_sides(fraction, seed):
    _, y = make_synthetic_beats(n_per_class=100)
    groups = _patients(len(y), 15, seed)
    train, val = validation_split(np.unique(y, return_inverse=True)[1], fraction, seed, groups)
    assert not set(groups[train]) & set(groups[val])
    assert len(train) + len(val) == len(y) and len(np.intersect1d(train, val)) == 0
    # About the asked fraction of the patients: m of k folds, m / k near it.
    assert len(set(groups[val])) == pytest.approx(15 * fraction, abs=2)


@pytest.mark.parametrize("fraction", [0.8, 0.9])
def test_a_fraction_above_one_half_holds_out_that_share_of_the_patients(fraction):
    # round(1 / 0.9) is 1, raised to 2 folds: half the patients were held out, not 90 %.
    y = np.repeat([0, 1], 50)
    groups = np.tile(np.arange(10), 10)
    train, val = grouped_validation_split(y, fraction, 0, groups)
    assert not set(groups[train]) & set(groups[val])
    assert len(val) / len(y) == pytest.approx(fraction)
    assert np.unique(y[train]).tolist() == [0, 1] == np.unique(y[val]).tolist()


@pytest.mark.parametrize("fraction", [0.3, 0.4, 0.6, 0.7])
def test_a_fraction_between_whole_folds_holds_out_that_share_of_the_patients(fraction):
    # One fold of round(1 / fraction): 0.4 was one fold of round(2.5) = 2, half the patients,
    # and every fraction from about 0.34 to 0.66 held out one half. Now m of k folds: 2 of 5.
    y = np.repeat([0, 1], 100)
    groups = np.tile(np.arange(10), 20)
    train, val = grouped_validation_split(y, fraction, 0, groups)
    assert not set(groups[train]) & set(groups[val])
    assert len(set(groups[val])) == round(10 * fraction)
    assert np.unique(y[train]).tolist() == [0, 1] == np.unique(y[val]).tolist()


def _one_fold_of_round_reciprocal(y, fraction, seed, groups):
    """The split as it was before m of k folds: one fold of round(1 / fraction) folds (all but
    one above one half), the first that has every class on both sides."""
    from sklearn.model_selection import StratifiedGroupKFold

    smaller_part = min(fraction, 1 - fraction)
    most = min(len(np.unique(groups)), np.bincount(y).max())
    n_splits = max(2, min(round(1 / smaller_part), most))
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        folds = list(splitter.split(np.zeros(len(y)), y, groups))
    if fraction > 0.5:
        folds = [(val, train) for train, val in folds]
    return next(
        (np.sort(train), np.sort(val))
        for train, val in folds
        if len(np.unique(y[train])) == len(np.unique(y[val])) == len(np.unique(y))
    )


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.25, 0.5, 0.8, 0.9])
@pytest.mark.parametrize("n_patients", [6, 22])
def test_fractions_of_one_fold_split_as_before(fraction, n_patients):
    # The shipped models were trained with validation_fraction=0.1 (the default) and groups:
    # fractions that are one fold (or all but one) still hold out exactly the same beats,
    # also where fewer patients than 1 / fraction cap the folds.
    rng = np.random.default_rng(n_patients)
    y = rng.choice(3, 600, p=[0.7, 0.2, 0.1])
    groups = rng.integers(0, n_patients, len(y))
    for seed in range(3):
        train, val = grouped_validation_split(y, fraction, seed, groups)
        old_train, old_val = _one_fold_of_round_reciprocal(y, fraction, seed, groups)
        assert train.tolist() == old_train.tolist() and val.tolist() == old_val.tolist()


def test_every_class_is_trained_on_when_whole_patients_allow():
    # Class 1 lives in two patients only; a fold that holds both out would never train on it.
    y = np.zeros(200, dtype=int)
    groups = np.repeat(np.arange(20), 10)
    y[groups == 3] = 1
    y[groups == 17] = 1
    for seed in range(10):
        train, val = grouped_validation_split(y, 0.5, seed, groups)
        assert 1 in y[train] and 1 in y[val]  # one of the two patients on each side


def test_a_class_in_one_patient_only_is_trained_on_rather_than_validated():
    y = np.zeros(100, dtype=int)
    groups = np.repeat(np.arange(10), 10)
    y[groups == 4] = 1  # only patient 4 has class 1: it cannot be on both sides
    train, val = grouped_validation_split(y, 0.2, 0, groups)
    assert 1 in y[train] and 1 not in y[val]


def test_a_class_that_cannot_be_trained_on_is_named():
    y = np.repeat([0, 1, 2, 0], 10)
    groups = np.repeat(["a", "b"], 20)  # class 1 only in a, class 2 only in b
    with pytest.warns(UserWarning, match=r"classes \[[12]\] are only in the validation groups"):
        train, val = grouped_validation_split(y, 0.5, 0, groups)
    assert not set(groups[train]) & set(groups[val])
    # In fit, by the user's labels: the warning named the codes, "classes [2]" for 'V'.
    X = make_synthetic_beats(n_per_class=20)[0][: len(y)]
    labels = np.array(["N", "S", "V"])[y]
    with pytest.warns(UserWarning, match=r"classes \['[SV]'\] are only in the validation groups"):
        HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}).fit(X, labels, groups=groups)


def test_classes_smaller_than_the_number_of_folds_still_split():
    # validation_fraction=0.1 asks for 10 folds; no class has 10 beats to stratify them with.
    X, y = make_synthetic_beats(n_per_class=9)
    groups = np.arange(len(y)) % 13
    train, val = grouped_validation_split(y, 0.1, 0, groups)
    assert len(val) and not set(groups[train]) & set(groups[val])
    clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 1}).fit(X, y, groups=groups)
    assert len(clf.history_["val_loss"]) == 1


def test_one_beat_per_class_trains_on_all_with_a_warning():
    # StratifiedGroupKFold refused 2 folds for classes of one beat, in scikit-learn's words.
    y = np.array([0, 1, 2])
    with pytest.warns(UserWarning, match=r"too few beats \(3, one per class\)"):
        train, val = grouped_validation_split(y, 0.2, 0, np.array(["a", "b", "c"]))
    assert train.tolist() == [0, 1, 2] and val is None


def test_one_patient_cannot_be_split_by_patient():
    X, y = make_synthetic_beats()
    with pytest.raises(ValueError, match="at least 2 groups"):
        HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y, groups=np.full(len(y), "p1"))
    # The group as the user wrote it, not NumPy 2's repr (np.int64(7)).
    with pytest.raises(ValueError, match=r"at least 2 groups \(patients\); got 1 \(7\):"):
        grouped_validation_split(np.array([0, 1, 0, 1]), 0.5, 0, np.full(4, 7))


def test_groups_must_match_the_beats():
    X, y = make_synthetic_beats()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y, groups=np.arange(len(y) - 1))


def test_groups_of_the_wrong_shape_are_named(monkeypatch):
    """column_or_1d's warning and error said "y" of the groups: "A column-vector y was passed",
    "y should be a 1d array"."""
    from sklearn.exceptions import DataConversionWarning

    from ecgbeat import _training

    def never(*args, **kwargs):
        raise AssertionError("trained")

    monkeypatch.setattr(_training, "train", never)
    X, y = make_synthetic_beats(n_per_class=5)
    groups = _patients(len(y), 3)
    with pytest.raises(ValueError, match=r"^groups should be a 1d array.*shape \(15, 2\)"):
        HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y, groups=np.c_[groups, groups])
    # A column of groups is raveled, as scikit-learn does, with a warning that names them.
    with (
        pytest.warns(DataConversionWarning, match="A column-vector groups was passed"),
        pytest.raises(AssertionError, match="trained"),
    ):
        HeartbeatCNNClassifier(**FAST_PARAMS).fit(X, y, groups=groups[:, None])


def test_groups_that_cannot_be_told_apart_are_named():
    # A patient column with a missing value (NaN among text) failed in NumPy's sort, as
    # "'<' not supported between instances of 'float' and 'str'".
    y = np.array([0, 1] * 6)
    groups = np.array(["a", "b", "c", np.nan] * 3, dtype=object)
    with pytest.raises(ValueError, match=r"^groups must be all numbers or all text.*float, str"):
        grouped_validation_split(y, 0.5, 0, groups)


def test_missing_groups_are_refused():
    # NumPy counts every NaN as one value: beats of unknown patients were split as one patient.
    y = np.array([0, 1] * 6)
    groups = np.array([1.0, 2.0, 3.0, np.nan] * 3)
    with pytest.raises(ValueError, match=r"^groups must name a group .patient. for every beat; 3 "):
        grouped_validation_split(y, 0.5, 0, groups)


def test_fit_with_groups_holds_out_whole_patients(monkeypatch):
    from ecgbeat import _training

    seen = {}
    real = _training.validation_split

    def spy(y, fraction, seed, groups=None, labels=None):
        seen["split"] = real(y, fraction, seed, groups, labels)
        return seen["split"]

    monkeypatch.setattr(_training, "validation_split", spy)
    X, y = make_synthetic_beats()
    groups = _patients(len(y), 12)
    clf = HeartbeatCNNClassifier(**FAST_PARAMS, validation_fraction=0.25).fit(X, y, groups=groups)
    train, val = seen["split"]
    assert not set(groups[train]) & set(groups[val])
    assert len(clf.history_["val_loss"]) == clf.n_epochs_
    # Without groups the split is by beat, as before: patients fall on both sides.
    HeartbeatCNNClassifier(**FAST_PARAMS, validation_fraction=0.25).fit(X, y)
    train, val = seen["split"]
    assert set(groups[train]) & set(groups[val])


def test_groups_reach_fit_through_metadata_routing(monkeypatch):
    X, y = make_synthetic_beats()
    groups = _patients(len(y), 9)
    received = []
    real_fit = HeartbeatCNNClassifier.fit

    def recording_fit(self, X, y, groups=None):
        received.append(None if groups is None else len(groups))
        return real_fit(self, X, y, groups=groups)

    monkeypatch.setattr(HeartbeatCNNClassifier, "fit", recording_fit)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2}).set_fit_request(groups=True)
        cv = GroupKFold(n_splits=3)
        scores = cross_validate(clf, X, y, cv=cv, params={"groups": groups})
        assert len(scores["test_score"]) == 3
        # Each fold's fit got the groups of its own training beats.
        assert received == [len(y) - len(test) for _, test in cv.split(X, y, groups)]
        received.clear()
        search = GridSearchCV(clf, {"batch_size": [8, 16]}, cv=cv)
        search.fit(X, y, groups=groups)  # routed to the splitter and to every fit
        assert len(received) == 2 * 3 + 1 and None not in received


def test_too_few_beats_to_validate_does_not_claim_a_constant_learning_rate():
    # The warning said "without validation, early stopping or learning-rate decay", but the
    # default cosine schedule anneals the rate without validation: the user believed it constant.
    y = np.array([0, 0, 1])
    with pytest.warns(UserWarning, match="too few beats") as record:
        assert validation_split(y, 0.1, seed=0)[1] is None
    with pytest.warns(UserWarning, match="too few beats") as grouped:
        assert grouped_validation_split(np.array([0, 1]), 0.5, 0, np.array([1, 2]))[1] is None
    for message in (str(record[0].message), str(grouped[0].message)):
        assert "learning-rate decay" not in message
        assert "the last epoch is kept; no early stopping, no decay on plateau" in message


def test_a_class_of_one_beat_is_trained_on_and_the_others_validate():
    # One beat of a rare class among 60 turned validation off for the whole fit: no best epoch,
    # no early stopping. Now that beat is trained on, the rest split stratified, with a warning.
    X, y = make_synthetic_beats(n_per_class=20)
    X, y = np.vstack([X, X[:1]]), np.append(y, "F")
    with pytest.warns(UserWarning, match=r"^class \['F'\] has a single beat: trained on"):
        clf = HeartbeatCNNClassifier(**{**FAST_PARAMS, "epochs": 2}).fit(X, y)
    assert len(clf.history_["val_loss"]) == clf.n_epochs_ == 2
    codes = np.searchsorted(clf.classes_, y)
    with pytest.warns(UserWarning, match=r"^class \[0\] has a single beat"):
        train, val = validation_split(codes, 0.25, 0)
    assert len(train) + len(val) == len(y) and len(y) - 1 in train
    # A quarter of all 61 beats, rounded up, from the other classes alike.
    assert np.bincount(codes[val])[0] == 0 and sorted(np.bincount(codes[val])[1:]) == [5, 5, 6]
    # No class of one beat: the split is the one it was, by train_test_split over every beat.
    plain = np.searchsorted(clf.classes_, y[:-1])
    expected = train_test_split(np.arange(60), test_size=15, stratify=plain, random_state=0)
    assert [part.tolist() for part in validation_split(plain, 0.25, 0)] == [
        sorted(part.tolist()) for part in expected
    ]


def test_missing_groups_among_numbers_of_an_object_array_are_refused():
    # A pandas column of patient numbers with a gap, cast to object: NumPy sorts its NaN among
    # the numbers, and the beats of unknown patients were held out or trained on as one patient.
    y = np.array([0, 1] * 6)
    groups = np.array([1, 2, 3, 4, 5, np.nan] * 2, dtype=object)
    with pytest.raises(ValueError, match="2 are missing"):
        grouped_validation_split(y, 0.5, 0, groups)
