"""Choose the inter-patient recipe on DS1 alone: cross-validation with whole patients held out.

DS2 (de Chazal et al. 2004's test patients) never guides a choice. Every variant here is scored by
``StratifiedGroupKFold`` over the 22 DS1 records: each fold trains on the other records (its own
validation split also by patient, ``fit(..., groups=...)``) and is scored on records it never saw,
per class (Se = recall, +P = precision) and by macro-F1 over N, S, V, F, pooled over the folds.

Variants (``--variants``):

* ``beats``: the beat alone (187 samples), today's input;
* ``rhythm``: the beat plus the 7 R-R interval features of :mod:`ecgbeat.rhythm`
  (``n_rr_features=7``);
* ``rhythm_balanced``: as ``rhythm`` with ``class_weight="balanced"``;
* ``rhythm_refined``: as ``rhythm``, with every R peak (annotated or detected) first moved to its
  dominant extremum within 0.12 s (``refine_radius``, chosen by ``peak_alignment.py``);
* ``rhythm_refined_balanced``: as ``rhythm_refined`` with ``class_weight="balanced"``;
* ``rhythm_refined_augmented``: as ``rhythm_refined`` with ``augmentation="ecg"``;
* ``rhythm_refined_augmented_sqrt``: as ``rhythm_refined_augmented`` with class weights the square
  root of scikit-learn's "balanced" ones (from the training folds' counts), as ``mitbih-ds1`` had:
  plain "balanced" gives DS1's 8 Q beats a weight of about 1,000 (``rhythm_balanced``'s first fold:
  N Se 11 %);
* ``..._template``: as ``rhythm_refined_augmented_sqrt``, with three more columns after the R-R
  features that compare the beat with its recording's median beat (:func:`record_morphology`);
  ``..._template_seed`` and ``..._template_seed2`` repeat it with other seeds, as ``..._seed``
  and ``..._seed2`` do the chosen recipe; ``..._template_loader`` is ``..._template`` as the
  library now makes it (``fetch_mitbih(template=True)``: the median over every beat cut from the
  record, the detector's false detections and non-AAMI beats included, as when a record is
  classified); ``..._template_p`` adds two columns that do for the 0.25 s before R (the P wave,
  absent or abnormal in many S beats, or hidden in the previous T wave of an early one) what the
  template columns do for the beat: correlation and RMS difference with the recording's median
  of that stretch (:func:`p_wave_template`); ``..._template_irregularity`` adds one column, how
  irregular the rhythm just before the beat is (:func:`rhythm_irregularity`): in an irregular
  rhythm (atrial fibrillation, sinus arrhythmia) an early N beat is no sign of an S beat, and the
  held-out DS1 folds' S false positives are mostly such N beats;
* ``..._template_normalized`` and ``..._template_normalized_seed``: as ``..._template_loader``
  without the four R-R columns in seconds (:func:`without_absolute_rr`): the network sees each
  beat's timing only against its recording's mean R-R interval, which is what carries across
  patients, and not the patient's heart rate;
* ``..._relative``: the same, with the beat replaced by the beat minus its recording's median beat;
* ``..._long``: as ``rhythm_refined_augmented_sqrt``, trained for 112 epochs instead of 48 (the
  end of the next cosine cycle: 16 + 32 + 64), since three of its four folds kept the last epoch;
* ``..._resnet``: as ``rhythm_refined_augmented_sqrt`` with the other architecture of the library,
  ``architecture="resnet"`` (Kachuee et al.'s residual network ends in a ``Flatten``: more weights);
* ``..._dropout``: the same with ``dropout=0.5`` in place of 0.05: a network that must carry to
  patients it never saw may gain from a stronger regulariser;
* ``..._ensemble``: the mean probabilities of two models of the chosen recipe, the seeds of
  ``rhythm_refined_augmented_sqrt`` and of ``..._seed`` (a soft vote, as scikit-learn's
  ``VotingClassifier(voting="soft")`` gives); ``..._template_ensemble`` does the same for the
  template recipe as the library makes it (the seeds of ``..._template_loader`` and
  ``..._template_seed``);
* ``..._context``: the beat with the second before its R peak (usually the previous beat, with
  the P wave between them) and the usual 1.2 R-R intervals after it: 312 samples instead of 187;
* ``..._template_lead2`` and ``..._template_lead2_seed``: as ``..._template_loader``, with the
  same beat of the record's other lead (V1 in most records; V2, V4 or V5 in a few) after the
  MLII beat, cut at the same R peaks (:func:`second_lead_beats`): 374 samples instead of 187.
  Published inter-patient systems read both leads (de Chazal et al. 2004); the P wave, whose
  shape tells many S beats from N, is often clearer in V1 than in MLII.
  ``..._template_lead2_template`` keeps the MLII beat alone and adds the other lead's three
  template columns instead (its beat against the median of its record's other-lead beats, the
  rows' beats only);
* ``..._template_rhythm_dense`` (and ``_seed``): the template recipe as the library makes it, with
  the 10 R-R and template columns passed through a dense layer of their own (32 ReLU units)
  before they join the pooled convolutional features (:func:`network_variant`);
* ``..._template_lead2_channels`` (and ``_seed``): the rows of ``..._template_lead2``, read by a
  network that takes the two leads' beats as two channels of one 187-sample input (each
  convolution sees both leads at the same instant) instead of one sequence of 374 samples;
* ``..._template_patient_weights`` (and ``_seed``): the template recipe as the library makes it,
  fitted with sample weights that make the training patients weigh more alike
  (:func:`sqrt_patient_weights`);
* ``..._p``: the same, with each beat starting 0.25 s before its R peak (``before_r``): the beat
  then shows its own P wave, absent or abnormal in many S beats, which a beat cut at its R peak
  cannot show (it still holds up to 1.2 R-R intervals after R, within 187 samples).

Each held-out fold is also scored on beats cut at Pan-Tompkins peaks (``detected``): each detected
beat takes the class of the annotated beat within 150 ms; detections with none are left out of
these scores, and so are the annotated beats that no detection found (``ecgbeat evaluate
--detector`` counts both): every variant is scored on the same detections.

Writes ``experiments/results/ds1_selection.json`` (variants not run keep their earlier results);
``--save-proba DIR`` also keeps each variant's held-out probabilities.

Usage::

    python -m experiments.ds1_selection [--data-home ../shared/data] [--folds 4] [--variants ...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks._common import provenance, sqrt_balanced_class_weight
from ecgbeat import HeartbeatCNNClassifier, networks
from ecgbeat.beats import segment_beats
from ecgbeat.datasets import AAMI_SYMBOLS, fetch_mitbih, read_annotations, read_lead
from ecgbeat.evaluation import aami_metrics
from ecgbeat.qrs import detect_r_peaks, refine_r_peaks
from ecgbeat.rhythm import N_RR_FEATURES, RR_FEATURE_NAMES
from ecgbeat.template import N_TEMPLATE_FEATURES, template_features

# The library's own functions, which the variants call while theirs stand in for them.
_library_inputs, _library_join = networks._inputs, networks._join_rhythm

REPO = Path(__file__).resolve().parents[1]

RHYTHM = {"n_rr_features": N_RR_FEATURES}
#: The R-R columns in seconds, which ``..._template_normalized`` leaves out.
ABSOLUTE_RR = ("rr_pre", "rr_post", "rr_local", "rr_record")
BALANCED = {"class_weight": "balanced"}
VARIANTS = {
    "beats": {"rhythm": False, "refine_radius": None, "params": {}},
    "rhythm": {"rhythm": True, "refine_radius": None, "params": RHYTHM},
    "rhythm_balanced": {"rhythm": True, "refine_radius": None, "params": {**RHYTHM, **BALANCED}},
    "rhythm_refined": {"rhythm": True, "refine_radius": 0.12, "params": RHYTHM},
    "rhythm_refined_balanced": {
        "rhythm": True,
        "refine_radius": 0.12,
        "params": {**RHYTHM, **BALANCED},
    },
    "rhythm_refined_augmented": {
        "rhythm": True,
        "refine_radius": 0.12,
        "params": {**RHYTHM, "augmentation": "ecg"},
    },
    "rhythm_refined_augmented_sqrt": {
        "rhythm": True,
        "refine_radius": 0.12,
        "params": {**RHYTHM, "augmentation": "ecg", "class_weight": "sqrt-balanced"},
    },
    "rhythm_refined_augmented_sqrt_seed": {
        "rhythm": True,
        "refine_radius": 0.12,
        "seed_offset": 100,
        "params": {**RHYTHM, "augmentation": "ecg", "class_weight": "sqrt-balanced"},
    },
    "rhythm_refined_augmented_sqrt_seed2": {
        "rhythm": True,
        "refine_radius": 0.12,
        "seed_offset": 200,
        "params": {**RHYTHM, "augmentation": "ecg", "class_weight": "sqrt-balanced"},
    },
    "rhythm_refined_augmented_sqrt_ratios": {
        "rhythm": True,
        "refine_radius": 0.12,
        "rhythm_columns": "ratios",
        "params": {
            "n_rr_features": N_RR_FEATURES + 2,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_log": {
        "rhythm": True,
        "refine_radius": 0.12,
        "rhythm_columns": "log",
        "params": {**RHYTHM, "augmentation": "ecg", "class_weight": "sqrt-balanced"},
    },
    "rhythm_refined_augmented_sqrt_noval": {
        "rhythm": True,
        "refine_radius": 0.12,
        "params": {
            **RHYTHM,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
            "validation_fraction": 0.0,
        },
    },
    "rhythm_refined_augmented_sqrt_template": {
        "rhythm": True,
        "refine_radius": 0.12,
        "morphology": "template",
        "params": {
            "n_rr_features": N_RR_FEATURES + 3,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_template_seed": {
        "rhythm": True,
        "refine_radius": 0.12,
        "morphology": "template",
        "seed_offset": 100,
        "params": {
            "n_rr_features": N_RR_FEATURES + 3,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_template_seed2": {
        "rhythm": True,
        "refine_radius": 0.12,
        "morphology": "template",
        "seed_offset": 200,
        "params": {
            "n_rr_features": N_RR_FEATURES + 3,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_template_loader": {
        "rhythm": True,
        "template": True,
        "refine_radius": 0.12,
        "params": {
            "n_rr_features": N_RR_FEATURES + N_TEMPLATE_FEATURES,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_template_lead2": {
        "rhythm": True,
        "template": True,
        "refine_radius": 0.12,
        "second_lead": True,
        "params": {
            "n_rr_features": N_RR_FEATURES + N_TEMPLATE_FEATURES,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_template_lead2_seed": {
        "rhythm": True,
        "template": True,
        "refine_radius": 0.12,
        "second_lead": True,
        "seed_offset": 100,
        "params": {
            "n_rr_features": N_RR_FEATURES + N_TEMPLATE_FEATURES,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_template_lead2_template": {
        "rhythm": True,
        "template": True,
        "refine_radius": 0.12,
        "second_lead_template": True,
        "params": {
            "n_rr_features": N_RR_FEATURES + 2 * N_TEMPLATE_FEATURES,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_template_p": {
        "rhythm": True,
        "template": True,
        "refine_radius": 0.12,
        "p_wave_template": True,
        "params": {
            "n_rr_features": N_RR_FEATURES + N_TEMPLATE_FEATURES + 2,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_template_irregularity": {
        "rhythm": True,
        "template": True,
        "refine_radius": 0.12,
        "irregularity": True,
        "params": {
            "n_rr_features": N_RR_FEATURES + N_TEMPLATE_FEATURES + 1,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_template_zscore": {
        "rhythm": True,
        "template": True,
        "refine_radius": 0.12,
        "zscore": True,
        "params": {
            "n_rr_features": N_RR_FEATURES + N_TEMPLATE_FEATURES + 2,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_template_zscore_seed": {
        "rhythm": True,
        "template": True,
        "refine_radius": 0.12,
        "zscore": True,
        "seed_offset": 100,
        "params": {
            "n_rr_features": N_RR_FEATURES + N_TEMPLATE_FEATURES + 2,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_template_normalized": {
        "rhythm": True,
        "template": True,
        "refine_radius": 0.12,
        "drop_absolute_rr": True,
        "params": {
            "n_rr_features": N_RR_FEATURES - len(ABSOLUTE_RR) + N_TEMPLATE_FEATURES,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_template_normalized_seed": {
        "rhythm": True,
        "template": True,
        "refine_radius": 0.12,
        "drop_absolute_rr": True,
        "seed_offset": 100,
        "params": {
            "n_rr_features": N_RR_FEATURES - len(ABSOLUTE_RR) + N_TEMPLATE_FEATURES,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_relative": {
        "rhythm": True,
        "refine_radius": 0.12,
        "morphology": "relative",
        "params": {**RHYTHM, "augmentation": "ecg", "class_weight": "sqrt-balanced"},
    },
    "rhythm_refined_augmented_sqrt_long": {
        "rhythm": True,
        "refine_radius": 0.12,
        "params": {
            **RHYTHM,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
            "epochs": 112,
        },
    },
    "rhythm_refined_augmented_sqrt_resnet": {
        "rhythm": True,
        "refine_radius": 0.12,
        "params": {
            **RHYTHM,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
            "architecture": "resnet",
        },
    },
    "rhythm_refined_augmented_sqrt_dropout": {
        "rhythm": True,
        "refine_radius": 0.12,
        "params": {
            **RHYTHM,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
            "dropout": 0.5,
        },
    },
    "rhythm_refined_augmented_sqrt_ensemble": {
        "rhythm": True,
        "refine_radius": 0.12,
        "ensemble_offsets": [0, 100],
        "params": {**RHYTHM, "augmentation": "ecg", "class_weight": "sqrt-balanced"},
    },
    "rhythm_refined_augmented_sqrt_template_ensemble": {
        "rhythm": True,
        "template": True,
        "refine_radius": 0.12,
        "ensemble_offsets": [0, 100],
        "params": {
            "n_rr_features": N_RR_FEATURES + N_TEMPLATE_FEATURES,
            "augmentation": "ecg",
            "class_weight": "sqrt-balanced",
        },
    },
    "rhythm_refined_augmented_sqrt_context": {
        "rhythm": True,
        "refine_radius": 0.12,
        "before_r": 1.0,
        "beat_length": 312,
        "params": {**RHYTHM, "augmentation": "ecg", "class_weight": "sqrt-balanced"},
    },
    "rhythm_refined_augmented_p": {
        "rhythm": True,
        "refine_radius": 0.12,
        "before_r": 0.25,
        "params": {**RHYTHM, "augmentation": "ecg"},
    },
    "rhythm_refined_augmented_sqrt_p": {
        "rhythm": True,
        "refine_radius": 0.12,
        "before_r": 0.25,
        "params": {**RHYTHM, "augmentation": "ecg", "class_weight": "sqrt-balanced"},
    },
}


#: Changes to the template recipe as the library makes it (``..._template_loader``), tried
#: 2026-12-03, each also with the second seed of the earlier variants (``_seed``).
TEMPLATE_CHANGES = {
    "rhythm_dense": {"network": "rhythm_dense"},
    "lead2_channels": {"second_lead": True, "network": "two_channels"},
    "patient_weights": {"patient_weights": True},
}
for _suffix, _change in TEMPLATE_CHANGES.items():
    _variant = {**VARIANTS["rhythm_refined_augmented_sqrt_template_loader"], **_change}
    VARIANTS[f"rhythm_refined_augmented_sqrt_template_{_suffix}"] = _variant
    VARIANTS[f"rhythm_refined_augmented_sqrt_template_{_suffix}_seed"] = {
        **_variant,
        "seed_offset": 100,
    }


def rhythm_columns(X: np.ndarray, kind: str | None) -> np.ndarray:
    """The rows with their R-R columns as a variant wants them (``None``: as the loader gives them).

    ``"ratios"`` appends ``rr_pre / rr_local`` (how early the beat comes against the rhythm just
    before it) and ``rr_post / rr_pre`` (the pause after it against the interval before it): the
    network sees the seven features side by side and would have to learn these quotients.
    ``"log"`` replaces the seven by their logarithms, in which every quotient is a difference.
    """
    if kind is None:
        return X
    beats, rr = X[:, :-N_RR_FEATURES], X[:, -N_RR_FEATURES:].astype(np.float64)
    if kind == "log":
        return np.hstack([beats, np.log(rr)]).astype(X.dtype)
    premature, pause = rr[:, 0] / rr[:, 2], rr[:, 1] / rr[:, 0]
    return np.hstack([X, np.column_stack([premature, pause])]).astype(X.dtype)


def without_absolute_rr(X: np.ndarray) -> np.ndarray:
    """The rows of the template recipe without its R-R columns in seconds (:data:`ABSOLUTE_RR`).

    Left: the three divided by the recording's mean, and the template columns. The seconds tell
    the network each patient's heart rate, with which, over 22 training patients, it can learn
    which patients have S beats rather than what makes a beat one.
    """
    first = X.shape[1] - N_RR_FEATURES - N_TEMPLATE_FEATURES
    columns = [first + RR_FEATURE_NAMES.index(name) for name in ABSOLUTE_RR]
    return np.delete(X, columns, axis=1)


def record_morphology(X: np.ndarray, groups: np.ndarray, kind: str | None) -> np.ndarray:
    """The rows with the beat compared with its recording's median beat (``None``: unchanged).

    The median beat of a recording is its patient's usual beat; how far a beat departs from it is a
    per-patient normalisation of shape, as the R-R features are one of timing. ``"template"``
    appends three columns (after the R-R ones): the Pearson correlation of the beat with the median
    beat over the first 0.4 s after R (50 samples at 125 Hz) and over 0.75 s (94 samples), and the
    root-mean-square difference over the first 0.4 s. ``"relative"`` replaces the beat by the beat
    minus the median beat.
    """
    if kind is None:
        return X
    n_beat = X.shape[1] - N_RR_FEATURES
    beats, rr = X[:, :n_beat].astype(np.float64), X[:, n_beat:]
    if kind == "template":
        return np.hstack([X, template_features(beats, groups)]).astype(X.dtype)
    template = np.empty_like(beats)
    for group in np.unique(groups):
        rows = groups == group
        template[rows] = np.median(beats[rows], axis=0)
    return np.hstack([beats - template, rr]).astype(X.dtype)


#: The other lead of a MIT-BIH record, in order of preference (V1 in most records).
SECOND_LEADS = ("V1", "V2", "V4", "V5")


def second_lead_beats(data_home, bunch, detector: str | None, refine_radius: float) -> np.ndarray:
    """The beats of each row's record on its other lead, cut at the same R peaks as the rows.

    The R peaks are found as :func:`ecgbeat.datasets.fetch_mitbih` finds them on the first lead
    (annotated or detected there, refined there), so that both beats of a row show one heartbeat.
    """
    folder = Path(data_home) / "mitdb"
    out = np.empty((len(bunch.target), 187), dtype=np.float32)
    for record in np.unique(bunch.groups).tolist():
        first, fs, first_name, _ = read_lead(folder / record, ("MLII", "V5"), record)
        leads = tuple(lead for lead in SECOND_LEADS if lead != first_name)
        second = read_lead(folder / record, leads, record)[0]
        if detector is None:
            samples, symbols = read_annotations(folder / record, "atr", first.size, record, fs)
            peaks = samples[np.isin(symbols, list(AAMI_SYMBOLS))]
        else:
            peaks = detect_r_peaks(first, fs, method=detector)
        peaks = refine_r_peaks(first, fs, peaks, radius=refine_radius)
        segments = segment_beats(second, fs, peaks)
        rows = np.flatnonzero(bunch.groups == record)
        at = np.searchsorted(segments.r_peaks, bunch.r_peaks[rows])
        assert np.array_equal(segments.r_peaks[at], bunch.r_peaks[rows]), record
        out[rows] = segments.beats[at]
    return out


def p_wave_template(before: np.ndarray, groups: np.ndarray, seconds: float = 0.25) -> np.ndarray:
    """Correlation and RMS difference of each beat's ``seconds`` before R with its record's median.

    ``before``: the rows of beats cut ``seconds`` before their R peaks (``before_r``), at 125 Hz.
    """
    width = round(seconds * 125)
    x = before[:, :width].astype(np.float64)
    out = np.empty((len(x), 2))
    for group in np.unique(groups):
        rows = groups == group
        median = np.median(x[rows], axis=0)
        a = x[rows] - x[rows].mean(axis=1, keepdims=True)
        b = median - median.mean()
        norm = np.sqrt((a**2).sum(axis=1) * (b**2).sum())
        out[rows, 0] = np.divide(a @ b, norm, out=np.zeros(len(a)), where=norm > 0)
        out[rows, 1] = np.sqrt(((x[rows] - median) ** 2).mean(axis=1))
    return out


def rhythm_irregularity(r_peaks: np.ndarray, groups: np.ndarray, beats: int = 10) -> np.ndarray:
    """Standard deviation of the (up to) ``beats`` R-R intervals ending at each beat, divided by
    its recording's mean interval (0 for a recording's first beat), from the rows' R peaks."""
    out = np.zeros(len(r_peaks))
    for group in np.unique(groups):
        rows = np.flatnonzero(groups == group)
        rr = np.diff(r_peaks[rows].astype(np.float64))
        rr /= rr.mean() if rr.size else 1.0
        for k, row in enumerate(rows[1:], 1):
            out[row] = rr[max(0, k - beats) : k].std()
    return out


def rhythm_zscores(r_peaks: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``rr_pre`` and ``rr_post`` of each beat as z-scores within its recording: minus the
    recording's mean interval, over the standard deviation of its intervals (from the rows' R
    peaks; the edges take the mean, a z of 0). How early a beat comes against how much this
    patient's rhythm varies: an early beat stands out in a steady rhythm, not in atrial
    fibrillation, whose beats count as N."""
    out = np.zeros((len(r_peaks), 2))
    for group in np.unique(groups):
        rows = np.flatnonzero(groups == group)
        rr = np.diff(r_peaks[rows].astype(np.float64))
        if rr.size < 2 or rr.std() == 0:
            continue
        z = (rr - rr.mean()) / rr.std()
        out[rows[1:], 0] = z
        out[rows[:-1], 1] = z
    return out


def sqrt_patient_weights(groups: np.ndarray) -> np.ndarray:
    """Sample weights that make the patients weigh more alike: ``sqrt(mean count / count)``.

    ``count`` is the number of rows of the beat's record; the weights have mean 1. A record of
    3,000 beats teaches the network six times more than one of 500, and the network learns the
    large records' shapes; a new patient is served by patients weighed more alike. The square
    root tempers it, as the class weights are tempered (``"sqrt-balanced"``): each record's total
    weight goes as the square root of its beats.

    >>> sqrt_patient_weights(np.array(["a"] * 4 + ["b"])).round(3).tolist()
    [0.833, 0.833, 0.833, 0.833, 1.667]
    """
    _, index, counts = np.unique(groups, return_inverse=True, return_counts=True)
    weights = np.sqrt(counts.mean() / counts)[index]
    return weights / weights.mean()


#: Units of the dense layer that ``network="rhythm_dense"`` puts on the R-R and template columns.
RHYTHM_DENSE_UNITS = 32


def _rhythm_dense_join(keras_module, features, rhythm):
    """The convolutional features beside the R-R and template columns passed through a dense layer.

    In the library's network the 10 columns join the 256 pooled convolutional features as they
    are, one input in 27 of the first dense layer's; a layer of their own gives them a share of
    :data:`RHYTHM_DENSE_UNITS` units and lets the network form quotients and thresholds of them
    before the join. Its initial weights are the same in every seed.
    """
    if rhythm is not None:
        seeds = iter([RHYTHM_DENSE_UNITS])
        rhythm = networks._dense(keras_module, RHYTHM_DENSE_UNITS, "rhythm_dense", seeds)(rhythm)
    return _library_join(keras_module, features, rhythm)


def _two_channel_inputs(keras_module, n_samples: int, n_rr_features: int):
    """The network's input with its beat part (two leads' beats, one after the other) as two channels.

    ``n_samples`` is both beats' samples: the first half is the MLII beat, the second the other
    lead's, so that each convolution reads the two leads at the same instant instead of one
    sequence of 374 samples (``_template_lead2``).
    """
    inputs, beat, rhythm = _library_inputs(keras_module, n_samples, n_rr_features)
    beat = keras_module.layers.Reshape((2, n_samples // 2), name="two_leads")(beat)
    beat = keras_module.layers.Permute((2, 1), name="leads_as_channels")(beat)
    return inputs, beat, rhythm


@contextlib.contextmanager
def network_variant(kind: str | None):
    """Build the estimator's networks with a variant's change to ``ecgbeat.networks``.

    The variants are tried here before any becomes an option of the library: the experiment swaps
    the network module's input or join function while its models are built, and puts it back.
    """
    if kind is None:
        yield
        return
    name, replacement = {
        "rhythm_dense": ("_join_rhythm", _rhythm_dense_join),
        "two_channels": ("_inputs", _two_channel_inputs),
    }[kind]
    original = getattr(networks, name)
    setattr(networks, name, replacement)
    try:
        yield
    finally:
        setattr(networks, name, original)


def nsvf_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Accuracy, macro-F1 over N, S, V, F, and Se / +P of each, as the AAMI literature reports."""
    m = aami_metrics(y_true, y_pred, target_names=["N", "S", "V", "F", "Q"])
    keys = ("accuracy", "macro_f1_NSVF", "Se", "+P", "confusion_matrix")
    return {key: m[key] for key in keys} | {
        "support": {c: m["per_class"][c]["support"] for c in m["Se"]}
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=48)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--output", default=str(REPO / "experiments/results/ds1_selection.json"))
    parser.add_argument(
        "--records", nargs="+", help="DS1 records (default: all 22; for a smoke run)"
    )
    parser.add_argument(
        "--save-proba",
        metavar="DIR",
        help="also write each variant's held-out probabilities, classes, records and folds to "
        "DIR/<variant>.npz (for decision rules chosen on DS1, e.g. experiments.ds1_decision)",
    )
    args = parser.parse_args(argv)
    from sklearn.model_selection import StratifiedGroupKFold

    def load(variant, detector=None):
        return fetch_mitbih(
            args.data_home,
            split="inter-patient",
            subset="train",
            progress=False,
            detector=detector,
            records=args.records,
            refine_radius=variant["refine_radius"],
            before_r=variant.get("before_r", 0.0),
            beat_length=variant.get("beat_length", 187),
            rhythm=variant["rhythm"],
            template=variant.get("template", False),
        )

    path = Path(args.output)
    results = json.loads(path.read_text())["results"] if path.exists() else {}
    plain = load(VARIANTS["beats"])
    # The folds depend on the records and classes alone, the same for every variant.
    folds = list(
        StratifiedGroupKFold(args.folds, shuffle=True, random_state=args.seed).split(
            plain.data, plain.target, plain.groups
        )
    )
    for name in args.variants:
        variant = VARIANTS[name]
        ds1, detected = load(variant), load(variant, "pan-tompkins")
        assert np.array_equal(ds1.groups, plain.groups)
        X = rhythm_columns(ds1.data, variant.get("rhythm_columns"))
        X_detected = rhythm_columns(detected.data, variant.get("rhythm_columns"))
        X = record_morphology(X, ds1.groups, variant.get("morphology"))
        X_detected = record_morphology(X_detected, detected.groups, variant.get("morphology"))
        if variant.get("irregularity"):
            X = np.hstack([X, rhythm_irregularity(ds1.r_peaks, ds1.groups)[:, None]])
            X = X.astype(np.float32)
            extra = rhythm_irregularity(detected.r_peaks, detected.groups)[:, None]
            X_detected = np.hstack([X_detected, extra]).astype(np.float32)
        if variant.get("zscore"):
            X = np.hstack([X, rhythm_zscores(ds1.r_peaks, ds1.groups)]).astype(np.float32)
            extra = rhythm_zscores(detected.r_peaks, detected.groups)
            X_detected = np.hstack([X_detected, extra]).astype(np.float32)
        if variant.get("second_lead"):
            # The other lead's beat after the MLII beat, before the R-R and template columns.
            n_beat = X.shape[1] - variant["params"]["n_rr_features"]
            for bunch, detector in ((ds1, None), (detected, "pan-tompkins")):
                rows = X if detector is None else X_detected
                lead2 = second_lead_beats(args.data_home, bunch, detector, variant["refine_radius"])
                rows = np.hstack([rows[:, :n_beat], lead2, rows[:, n_beat:]])
                if detector is None:
                    X = rows
                else:
                    X_detected = rows
        if variant.get("second_lead_template"):
            # The other lead's template columns after the MLII ones.
            for bunch, detector in ((ds1, None), (detected, "pan-tompkins")):
                lead2 = second_lead_beats(args.data_home, bunch, detector, variant["refine_radius"])
                extra = template_features(lead2, bunch.groups)
                if detector is None:
                    X = np.hstack([X, extra]).astype(np.float32)
                else:
                    X_detected = np.hstack([X_detected, extra]).astype(np.float32)
        if variant.get("p_wave_template"):
            # The same beats cut 0.25 s before R: the stretch before each R peak.
            cut_before = {**variant, "before_r": 0.25, "template": False}
            for rows, bunch, detector in ((X, ds1, None), (X_detected, detected, "pan-tompkins")):
                before = load(cut_before, detector)
                assert np.array_equal(before.r_peaks, bunch.r_peaks)
                extra = p_wave_template(before.data, before.groups).astype(rows.dtype)
                if detector is None:
                    X = np.hstack([rows, extra])
                else:
                    X_detected = np.hstack([rows, extra])
        if variant.get("drop_absolute_rr"):
            X, X_detected = without_absolute_rr(X), without_absolute_rr(X_detected)
        y_pred = np.empty_like(ds1.target)
        y_detected = np.empty_like(detected.target)
        held_out_proba = np.zeros((len(ds1.target), len(np.unique(ds1.target))))
        fold_of = np.empty(len(ds1.target), dtype=np.int64)
        per_fold, seconds = [], 0.0
        for k, (train, test) in enumerate(folds):
            params = dict(variant["params"])
            if params.get("class_weight") == "sqrt-balanced":
                params["class_weight"] = sqrt_balanced_class_weight(ds1.target[train])
            weights = None
            if variant.get("patient_weights"):
                weights = sqrt_patient_weights(ds1.groups[train])
            members = []
            for offset in variant.get("ensemble_offsets", [variant.get("seed_offset", 0)]):
                clf = HeartbeatCNNClassifier(
                    **{"epochs": args.epochs, **params}, random_state=args.seed + k + offset
                )
                start = time.perf_counter()
                with network_variant(variant.get("network")):
                    clf.fit(
                        X[train], ds1.target[train], groups=ds1.groups[train], sample_weight=weights
                    )
                seconds += time.perf_counter() - start
                members.append(clf)
            held_out = np.isin(detected.groups, ds1.groups[test])
            # One model, or the mean of the members' probabilities (a soft vote).
            for rows, X_part, out in ((test, X, y_pred), (held_out, X_detected, y_detected)):
                proba = np.mean([m.predict_proba(X_part[rows]) for m in members], axis=0)
                out[rows] = clf.classes_[np.argmax(proba, axis=1)]
                if out is y_pred:
                    held_out_proba[
                        np.ix_(rows, np.searchsorted(np.unique(ds1.target), clf.classes_))
                    ] = proba
                    fold_of[test] = k
            fold = nsvf_metrics(ds1.target[test], y_pred[test])
            per_fold.append(
                {
                    "test_records": sorted(set(ds1.groups[test].tolist())),
                    "best_epoch": clf.best_epoch_,
                    "n_epochs": clf.n_epochs_,
                    "macro_f1_NSVF": fold["macro_f1_NSVF"],
                    "Se": fold["Se"],
                    "+P": fold["+P"],
                }
            )
            print(name, k, per_fold[-1], flush=True)
        results[name] = {
            # Variants not run this time keep their results: each records its own command.
            "command": provenance(__file__, argv)["command"],
            "refine_radius": variant["refine_radius"],
            "before_r": variant.get("before_r", 0.0),
            "beat_length": variant.get("beat_length", 187),
            "params": variant["params"],
            "rhythm_features": variant["rhythm"],
            "rhythm_columns": variant.get("rhythm_columns"),
            "morphology": variant.get("morphology"),
            "template_features": variant.get("template", False),
            "p_wave_template": variant.get("p_wave_template", False),
            "irregularity": variant.get("irregularity", False),
            "zscore": variant.get("zscore", False),
            "drop_absolute_rr": variant.get("drop_absolute_rr", False),
            "second_lead": variant.get("second_lead", False),
            "second_lead_template": variant.get("second_lead_template", False),
            "network": variant.get("network"),
            "patient_weights": variant.get("patient_weights", False),
            "seed_offset": variant.get("seed_offset", 0),
            "ensemble_offsets": variant.get("ensemble_offsets"),
            "train_seconds": round(seconds, 1),
            "pooled": nsvf_metrics(ds1.target, y_pred),
            "pooled_detected": nsvf_metrics(detected.target, y_detected),
            "folds": per_fold,
        }
        print(name, json.dumps(results[name]["pooled"]), flush=True)
        if args.save_proba:
            Path(args.save_proba).mkdir(parents=True, exist_ok=True)
            np.savez_compressed(
                Path(args.save_proba) / f"{name}.npz",
                proba=held_out_proba,
                classes=np.unique(ds1.target),
                target=ds1.target,
                groups=ds1.groups,
                fold=fold_of,
            )
        # Written after each variant, so that a long run that stops keeps what it measured.
        output = {
            "benchmark": (
                f"DS1-only model selection: {args.folds}-fold StratifiedGroupKFold over the DS1 "
                "records (no DS2 beat is read); scores pooled over the held-out folds"
            ),
            **provenance(__file__, argv),
            "results": results,
        }
        path.write_text(json.dumps(output, indent=1) + "\n")
    return output


if __name__ == "__main__":
    main()
