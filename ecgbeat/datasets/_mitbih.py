"""The MIT-BIH Arrhythmia Database as labelled beats (AAMI classes)."""

from __future__ import annotations

import functools
import numbers
import os
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ecgbeat._progress import progress_bar
from ecgbeat._warnings import warn_caller
from ecgbeat.beats import check_feature_layout, cut_beats, feature_rows
from ecgbeat.datasets import _cache
from ecgbeat.datasets._base import check_loader_params, get_data_home, record_names
from ecgbeat.datasets._download import (
    download_physionet,
    missing_data_error,
    read_sha256sums,
)
from ecgbeat.datasets._records import read_annotations, read_lead, refuse_gaps
from ecgbeat.exceptions import DataFormatError
from ecgbeat.qrs import detect_r_peaks
from ecgbeat.rhythm import RR_FEATURE_NAMES

__all__ = [
    "AAMI_CLASSES",
    "AAMI_SYMBOLS",
    "MITBIH_DS1",
    "MITBIH_DS2",
    "MITBIH_PACED",
    "MITBIH_RECORDS",
    "RANDOM_SPLIT_SEED",
    "UNCLASSED_BEAT_SYMBOLS",
    "fetch_mitbih",
]

#: The 48 records of the database.
MITBIH_RECORDS = (
    "100 101 102 103 104 105 106 107 108 109 111 112 113 114 115 116 117 118 119 121 122 123 124 "
    "200 201 202 203 205 207 208 209 210 212 213 214 215 217 219 220 221 222 223 228 230 231 232 "
    "233 234"
).split()
#: AAMI EC57 heartbeat classes, in label order (labels 0..4).
AAMI_CLASSES = ("N", "S", "V", "F", "Q")
#: MIT-BIH beat annotation symbol -> AAMI label. Symbols not listed (the beats of
#: :data:`UNCLASSED_BEAT_SYMBOLS`, and the non-beat annotations such as + ~ | x) are not beats
#: of an AAMI class, and the loaders give them no row (the unclassed beats still end their
#: neighbours' R-R intervals).
AAMI_SYMBOLS = {
    **dict.fromkeys("NLRej", 0),
    **dict.fromkeys("AaJS", 1),
    **dict.fromkeys("VE", 2),
    "F": 3,
    **dict.fromkeys("/fQ", 4),
}
#: WFDB's other beat annotation symbols (``wfdb.io.annotation.is_qrs``), which the AAMI table
#: leaves out: a bundle branch block beat of no stated side, an unclassifiable beat, a
#: supraventricular escape beat and an R-on-T ventricular beat. MIT-BIH holds none; other
#: databases do (the St Petersburg INCART database). They are beats without an AAMI class. The
#: ventricular flutter wave ``!`` is not a beat: AAMI EC57 leaves flutter episodes out.
UNCLASSED_BEAT_SYMBOLS = frozenset("B?nr")
#: Paced records, excluded from the inter-patient split.
MITBIH_PACED = ("102", "104", "107", "217")
#: de Chazal et al. (2004) inter-patient split: DS1 (training) and DS2 (test).
MITBIH_DS1 = tuple(
    "101 106 108 109 112 114 115 116 118 119 122 124 "
    "201 203 205 207 208 209 215 220 223 230".split()
)
MITBIH_DS2 = tuple(
    "100 103 105 111 113 117 121 123 200 202 210 "
    "212 213 214 219 221 222 228 231 232 233 234".split()
)
#: Records that come from the patient of another record, by the database's directory: 201 and
#: 202 are one subject, whom de Chazal's split keeps on both sides (201 in DS1, 202 in DS2). The
#: ``patient`` of :func:`fetch_mitbih` maps them so (:func:`mitbih_patients`).
MITBIH_SAME_PATIENT = {"202": "201"}
#: Seed of the Kaggle-style stratified random 80/20 split.
RANDOM_SPLIT_SEED = 20180517
_DATABASE, _VERSION = "mitdb", "1.0.0"
_EXTENSIONS = ("hea", "dat", "atr")

MITBIH_DESCR = """\
MIT-BIH Arrhythmia Database, single heartbeats (Kachuee et al. 2018 segmentation)
----------------------------------------------------------------------------------
48 half-hour two-lead ambulatory ECG records of 47 subjects, 360 Hz (PhysioNet mitdb 1.0.0).
Each beat: one lead (MLII; V5 in records 102 and 104, which have no MLII) resampled to 125 Hz,
scaled to [0, 1] per 10 s window, 1.2 median R-R intervals from the R peak of the reference
annotation, zero-padded to 187 samples. Labels: AAMI classes N (N L R e j), S (A a J S), V (V E),
F (F), Q (/ f Q); other annotation symbols are skipped. The last beat of each record is dropped
(as in the Kaggle release: 109,446 of the 109,494 beats).

Splits: "random" is a stratified 80/20 split of all beats (seed {seed}, as the Kaggle release
was made: beats of one patient fall in both parts, so it overstates real-world accuracy), made
once over the whole database and shipped as a table, so that a beat's part does not depend on
which records are loaded;
"inter-patient" is de Chazal et al. (2004): DS1 for training, DS2 for testing, paced records
102 104 107 217 excluded.

Attribution (Open Data Commons Attribution License v1.0):
Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng in Med and Biol
20(3):45-50 (2001).
Goldberger AL, Amaral LAN, Glass L, Hausdorff JM, Ivanov PCh, Mark RG, Mietus JE, Moody GB,
Peng C-K, Stanley HE. PhysioBank, PhysioToolkit, and PhysioNet: Components of a New Research
Resource for Complex Physiologic Signals. Circulation 101(23):e215-e220 (2000).
License: Open Data Commons Attribution License v1.0.
""".replace("{seed}", str(RANDOM_SPLIT_SEED))


def mitbih_patients(records) -> np.ndarray:
    """The patient of each MIT-BIH record name: the name itself, but ``"201"`` for ``"202"``
    (:data:`MITBIH_SAME_PATIENT`), to pass as ``groups`` where no patient may be on both sides.

    Examples
    --------
    >>> mitbih_patients(["100", "201", "202"]).tolist()
    ['100', '201', '201']
    """
    patients = np.array(records, dtype=str)
    for record, patient in MITBIH_SAME_PATIENT.items():
        patients[patients == record] = patient
    return patients


def inter_patient_part(subset: str) -> tuple[str, ...]:
    """The records of a part of the inter-patient split: ``"train"`` DS1, ``"test"`` DS2,
    ``"all"`` both (no paced record)."""
    return {"train": MITBIH_DS1, "test": MITBIH_DS2, "all": MITBIH_DS1 + MITBIH_DS2}[subset]


def _select_records(records, split, subset) -> list[str]:
    if subset not in ("all", "train", "test"):
        raise ValueError(f"subset must be 'all', 'train' or 'test', got {subset!r}")
    if split is None and subset != "all":
        raise ValueError(f"subset={subset!r} needs a split ('random' or 'inter-patient')")
    if split not in (None, "random", "inter-patient"):
        raise ValueError(f"split must be None, 'random' or 'inter-patient', got {split!r}")
    if records is None:
        chosen = list(MITBIH_RECORDS)
    else:
        # One record may be named by an integer too, NumPy's as well (an element of an array
        # of records); bytes are refused below, as no record's name.
        if not isinstance(records, str | bytes | numbers.Integral | os.PathLike | Iterable):
            raise TypeError(
                f"records must be a record's name or a list of names (such as '100'), got "
                f"{records!r}"
            )
        chosen = [str(r) for r in record_names(records, "MIT-BIH")]
        unknown = sorted(set(chosen) - set(MITBIH_RECORDS))
        if unknown:
            raise ValueError(f"not MIT-BIH records: {unknown}; the records are {MITBIH_RECORDS}")
    if split == "inter-patient":
        allowed = inter_patient_part(subset)
        outside = sorted({r for r in chosen if r not in allowed})
        chosen = [r for r in chosen if r in allowed]
        held = {"train": "DS1", "test": "DS2", "all": "DS1 and DS2: no paced record"}[subset]
        if not chosen:
            # Name the records and why each is out: "the 'all' set" alone left a user who
            # never asked for 'all' guessing (ecgbeat data --split inter-patient --records 102).
            part = {**dict.fromkeys(MITBIH_DS1, "in DS1"), **dict.fromkeys(MITBIH_DS2, "in DS2")}
            where = ", ".join(f"{r} is {part.get(r, 'paced, in neither part')}" for r in outside)
            raise ValueError(
                f"none of the records is in the inter-patient {subset!r} set ({held}): {where}"
            )
        if records is not None and outside:
            # Asked for by name, and left out: say so, or the figures seem to be of them too.
            warn_caller(
                f"records {outside} are not in the inter-patient {subset!r} set ({held}) and "
                "are left out",
                UserWarning,
            )
    return sorted(dict.fromkeys(chosen))


def _ensure_files(folder: Path, records: list[str], download: bool, base_url: str | None) -> None:
    missing = [
        f"{r}.{ext}"
        for r in records
        for ext in _EXTENSIONS
        if not (folder / f"{r}.{ext}").is_file()
    ]
    if not missing:
        return
    if all((folder.parent / name).is_file() for name in missing):
        # data_home named the records' own folder: they were not seen, and the database was
        # downloaded again into <folder>/mitdb/.
        raise ValueError(
            f"data_home {folder.parent} holds the {_DATABASE} records itself; give the folder "
            f"that holds {_DATABASE}/: data_home={str(folder.parent.parent)!r} (--data-home on "
            "the command line)"
        )
    if not download:
        raise missing_data_error(
            _DATABASE,
            _VERSION,
            folder,
            missing,
            "downloading is off (download_if_missing=False, or --no-download)",
        )
    download_physionet(_DATABASE, _VERSION, missing, folder, base_url=base_url)


def _matched_beats(r_peaks: np.ndarray, samples: np.ndarray, tolerance: float) -> np.ndarray:
    """Index of the annotated beat (of ``samples``, sorted) matched to each R peak, or -1.

    The one-to-one match within ``tolerance`` samples that ``wfdb.processing.compare_annotations``
    makes, the one the detector's counts (:func:`_detection_counts`) come from: a second peak
    near one beat is a false positive, not a second beat of its class, and a peak whose
    nearest beat a nearer peak took is matched to the next beat within reach, if that is free.
    """
    from wfdb.processing import compare_annotations

    matched = np.full(r_peaks.size, -1)
    if r_peaks.size == 0 or samples.size == 0:
        return matched
    cmp = compare_annotations(samples, r_peaks, window_width=round(tolerance))
    beats = np.flatnonzero(cmp.matching_sample_nums >= 0)
    matched[cmp.matching_sample_nums[beats]] = beats
    return matched


def _build_record(folder: Path, record: str, lead, detector, cut_params) -> dict[str, np.ndarray]:
    name = f"mitdb/{record}"
    signal, fs, lead_name, _ = read_lead(folder / record, lead, name)
    refuse_gaps(signal, fs, lead_name, name)
    samples, symbols = read_annotations(folder / record, "atr", signal.size, name, fs)
    # Every beat is an R peak, with or without an AAMI class: a beat left out would make its
    # neighbours' R-R intervals span it, and a detection of it a false one.
    is_beat = np.isin(symbols, [*AAMI_SYMBOLS, *UNCLASSED_BEAT_SYMBOLS])
    peaks, peak_symbols = samples[is_beat], symbols[is_beat]
    # The random split's table counts the beats of an AAMI class only: each beat's place there.
    is_aami = np.isin(peak_symbols, list(AAMI_SYMBOLS))
    aami_index = np.where(is_aami, np.cumsum(is_aami) - 1, -1)
    cut = {"name": f"record {name}", **cut_params}
    if detector is None:
        seg, rr = cut_beats(signal, fs, peaks, **cut)
        beat_symbols = peak_symbols[:-1]
        beat_index = aami_index[:-1]
        detected = np.zeros(0, dtype=np.int64)
        missed = np.zeros(peaks.size, dtype=bool)
    else:
        detected = detect_r_peaks(signal, fs, method=detector)
        seg, rr = cut_beats(signal, fs, detected, **cut)
        # Row i is cut at detection i (refined, it moves, and keeps its order): matched where
        # it was detected, with all the detections, as the detector's counts match them. At
        # the refined peaks a true detection could fall out of reach of its beat, an
        # "unmatched" row that the counts call no false detection.
        matched = _matched_beats(detected, peaks, 0.150 * fs)
        nearest = matched[: len(seg.r_peaks)]
        # -1, no beat, takes the blank appended: indexing the beats with it failed on a record
        # without any.
        beat_symbols = np.append(peak_symbols, "")[nearest]
        beat_index = np.append(aami_index, -1)[nearest]
        # The beats that the annotated rows score (every beat of an AAMI class but the
        # record's last, which has no following interval to cut) that no detection found:
        # left out, a model's Se at detected peaks would be over the beats the detector found.
        # (The beat of the last detection, which has no row either, was found: not missed.)
        missed = is_aami.copy()
        missed[-1:] = False
        missed[matched[matched >= 0]] = False
    return {
        "beats": seg.beats,
        "rr": rr,
        "r_peaks": seg.r_peaks,
        # The annotation symbol of each row's beat; "" for a detection of no annotated beat.
        "symbol": beat_symbols,
        # Which beat of an AAMI class (in annotation order) each row is; -1 for none.
        "beat_index": beat_index,
        "n_annotated": np.array(int(is_aami.sum())),
        "lead": np.array(lead_name),
        "detected": detected,
        "reference": peaks,
        "missed_symbol": peak_symbols[missed],
        "missed_r_peaks": peaks[missed],
    }


def fetch_mitbih(
    data_home: str | os.PathLike | None = None,
    *,
    split: str | None = None,
    subset: str = "all",
    lead: str | Sequence[str] = ("MLII", "V5"),
    records: Sequence[str] | None = None,
    detector: str | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
    progress: bool | None = None,
    cache: bool | str | os.PathLike = True,
    base_url: str | None = None,
    target_fs: float = 125.0,
    beat_length: int = 187,
    window_seconds: float = 10.0,
    segment_factor: float = 1.2,
    before_r: float = 0.0,
    refine_radius: float | None = None,
    rhythm: bool = False,
    template: bool = False,
    zscores: bool = False,
):
    """Load the MIT-BIH Arrhythmia Database as AAMI-labelled single beats.

    Raw WFDB records are read from ``<data_home>/mitdb/`` (downloaded from PhysioNet if missing
    and allowed), segmented by :func:`ecgbeat.beats.segment_beats` and cached under
    ``<data_home>/cache/``.

    Parameters
    ----------
    data_home : str or path-like, optional
        Folder holding ``mitdb/``; default: ``$ECGBEAT_DATA`` or ``~/ecgbeat_data``.
    split : {None, "random", "inter-patient"}, default=None
        None: no split. "random": stratified 80/20 split of all beats (Kaggle style, seed
        :data:`RANDOM_SPLIT_SEED`), made once over the whole database: each beat has its part
        whichever ``records`` are loaded. "inter-patient": de Chazal et al. 2004, :data:`MITBIH_DS1`
        for training, :data:`MITBIH_DS2` for testing (paced records excluded).
    subset : {"all", "train", "test"}, default="all"
        Part of the split to return; "all" returns both parts (the ``is_test`` field tells them
        apart). Needs a split unless "all".
    lead : str or sequence of str, default=("MLII", "V5")
        Lead name, or names tried in order. Records 102 and 104 have no MLII; the default uses V5
        there so that all 48 records are read, as the Kaggle release did.
    records : str or sequence of str, optional
        Records to read, by name (``"100"``; a number or a path is read as its text); default:
        all 48; with the inter-patient split, those of the subset.
    detector : {None, "pan-tompkins", "threshold"}, default=None
        None takes the R peaks from the reference annotations. A detector name finds them with
        :func:`ecgbeat.qrs.detect_r_peaks` instead; each detected beat then gets the class of the
        reference beat within 150 ms, matched one to one as ``wfdb.processing.compare_annotations``
        matches them for the detector's counts; detections with
        no such beat are left out of ``data`` (they are in ``unmatched``), and so are the
        detections of beats of no AAMI class (:data:`UNCLASSED_BEAT_SYMBOLS`), which are in
        neither. Reference beats that no detection found are in ``missed``.
    download_if_missing : bool, default=True
        Download missing files from PhysioNet (verified against its SHA256SUMS.txt).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch. With a ``detector``, these are the rows
        of the detected beats alone: scores at detected peaks need the Bunch's ``unmatched``
        and ``missed`` too (:func:`ecgbeat.evaluation.with_unmatched_detections`).
    progress : bool, optional
        Progress bar (tqdm) while building; None shows it only when stderr is a terminal.
    cache : bool or path-like, default=True
        True caches the built beats under ``<data_home>/cache`` (per-user cache folder if that
        cannot be written), a path caches there, False disables the cache.
    base_url : str, optional
        Replaces the PhysioNet URL (``https://physionet.org/files``), e.g. a mirror: an http(s),
        ftp or file URL (a local folder: ``pathlib.Path(folder).as_uri()``).
    target_fs, beat_length, window_seconds, segment_factor, before_r
        Segmentation parameters, see :func:`ecgbeat.beats.segment_beats`.
    refine_radius : float or None, default=None
        Move each R peak (annotated or detected) to the dominant extremum of the lead within
        this many seconds before cutting its beat (:func:`ecgbeat.qrs.refine_r_peaks`): one
        fiducial point for annotated and detected peaks. ``None`` keeps the peaks as they are, as
        the Kaggle release did.
    rhythm : bool, default=False
        Append each beat's R-R interval features (:func:`ecgbeat.rhythm.rr_features`, from the
        R peaks that cut the beats: annotated or detected) to its row of ``data``, for
        ``HeartbeatCNNClassifier(n_rr_features=7)``. They are in ``rr_features`` either way.
    template : bool, default=False
        Append, after the R-R features (needs ``rhythm``), each beat's 3 template features
        (:func:`ecgbeat.template.template_features`: the beat against the median of all the beats
        cut from its record), for ``HeartbeatCNNClassifier(n_rr_features=10)``.
    zscores : bool, default=False
        Append, after the template features (needs ``template``), each beat's 2 R-R z-scores
        (:func:`ecgbeat.rhythm.rr_zscores`: ``rr_pre`` and ``rr_post`` against the spread of its
        record's intervals), for ``HeartbeatCNNClassifier(n_rr_features=12)``.

    Returns
    -------
    data : Bunch
        ``data`` (n_beats, beat_length) float32 in [0, 1] (``beat_length + 7`` columns with
        ``rhythm``, ``+ 10`` with ``template`` too, ``+ 12`` with ``zscores``); ``rr_features``
        (n_beats, 7) float32 R-R interval features, columns named by ``rr_feature_names``;
        ``target`` (n_beats,) int64 AAMI labels 0..4; ``target_names`` ``["N", "S", "V", "F", "Q"]``; ``groups`` and ``record``
        (n_beats,) record name of each beat (the patient, except records 201 and 202 which are one
        subject); ``patient`` (n_beats,) the subject of each beat: its record, but ``"201"`` for
        record 202, to pass as ``groups`` where no patient may be on both sides; ``r_peaks`` (n_beats,) R-peak sample at 360 Hz; ``symbol`` (n_beats,) the MIT-BIH
        annotation symbol; ``lead`` dict record -> lead read; ``is_test`` (n_beats,) bool when a
        split is given; ``DESCR`` with the attribution. With ``detector``, also ``detection``:
        per-record true positives, false negatives and false positives (150 ms match), and
        (but in a part of the random split) ``unmatched`` and ``missed``. ``unmatched``: a Bunch
        of the rows (``data``), records (``groups``) and R peaks (``r_peaks``) of the detections
        that match no reference beat, so that an evaluation can count what a model says of them
        as false positives; ``missed``: a Bunch of the AAMI labels (``target``), symbols
        (``symbol``), records (``groups``) and annotated R peaks (``r_peaks``) of the reference
        beats that no detection matched (within 150 ms, one to one; of the beats the annotated
        rows score: every beat of an AAMI class but each record's last), so that an evaluation
        can count them as false negatives of their class (``aami_metrics(...,
        missed=missed.target)``).
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from ecgbeat.datasets import MITBIH_DS1, fetch_mitbih
    >>> len(MITBIH_DS1), MITBIH_DS1[:3]
    (22, ('101', '106', '108'))
    >>> beats = fetch_mitbih(records=["100"])  # doctest: +SKIP
    >>> beats.data.shape, beats.target_names  # doctest: +SKIP
    ((2272, 187), ['N', 'S', 'V', 'F', 'Q'])
    """
    check_feature_layout(rhythm, template, zscores)
    selected = _select_records(records, split, subset)
    # Before any download: a wrong value failed only once the records were fetched and read.
    cut_params = check_loader_params(
        lead=lead,
        detector=detector,
        refine_radius=refine_radius,
        cache=cache,
        base_url=base_url,
        detector_optional=True,
        target_fs=target_fs,
        beat_length=beat_length,
        window_seconds=window_seconds,
        segment_factor=segment_factor,
        before_r=before_r,
    )
    home = get_data_home(data_home)
    folder = home / _DATABASE
    _ensure_files(folder, selected, download_if_missing, base_url)
    params = {
        "database": _DATABASE,
        "lead": lead,
        "detector": detector,
        **cut_params,
    }
    cache_dir = _cache.resolve_cache_dir(cache, home)
    sums_path = folder / "SHA256SUMS.txt"
    sums = read_sha256sums(sums_path) if sums_path.is_file() else {}

    parts = []
    for record in progress_bar(selected, total=len(selected), desc="MIT-BIH", enabled=progress):
        path = None
        if cache_dir is not None:
            fingerprints = [
                _cache.file_fingerprint(folder / f"{record}.{ext}", sums.get(f"{record}.{ext}"))
                for ext in _EXTENSIONS
            ]
            path = cache_dir / f"mitdb-{record}-{_cache.cache_key(params, fingerprints)}.npz"
        build = functools.partial(_build_record, folder, record, lead, detector, cut_params)
        arrays = _cache.load_or_build(path, build)
        parts.append((record, arrays))
    features = {"rhythm": rhythm, "template": template, "zscores": zscores, "fs": target_fs}
    return _assemble(parts, split, subset, detector, return_X_y, features)


def _assemble(parts, split, subset, detector, return_X_y, features):
    """The Bunch of the records' beats; ``features``: keywords of ``feature_rows``."""
    beats, rrs, symbols, r_peaks, groups, leads, detection = [], [], [], [], [], {}, {}
    in_test_part = []
    unmatched = {"data": [], "groups": [], "r_peaks": []}
    missed = {"symbol": [], "groups": [], "r_peaks": []}
    for record, arrays in parts:
        keep = np.isin(arrays["symbol"], list(AAMI_SYMBOLS))
        # Every beat cut from the record shapes its median beat (the template features), as
        # when the record is classified without annotations.
        rows = feature_rows(arrays["beats"], arrays["rr"], **features)
        if detector is not None:
            # Detections with no reference beat within 150 ms: false positives of the detector.
            # (A detection of a beat of no AAMI class is a beat, though not a row to score.)
            extra = arrays["symbol"] == ""
            unmatched["data"].append(rows[extra])
            unmatched["groups"].append(np.full(int(extra.sum()), record, dtype="U3"))
            unmatched["r_peaks"].append(arrays["r_peaks"][extra])
            missed["symbol"].append(arrays["missed_symbol"])
            missed["groups"].append(np.full(arrays["missed_symbol"].size, record, dtype="U3"))
            missed["r_peaks"].append(arrays["missed_r_peaks"])
        beats.append(rows[keep])
        rrs.append(arrays["rr"][keep])
        symbols.append(arrays["symbol"][keep])
        r_peaks.append(arrays["r_peaks"][keep])
        groups.append(np.full(int(keep.sum()), record, dtype="U3"))
        if split == "random":
            in_test_part.append(
                _random_split_flags(record, arrays["beat_index"][keep], int(arrays["n_annotated"]))
            )
        leads[record] = str(arrays["lead"])
        if detector is not None:
            detection[record] = _detection_counts(arrays, 0.150 * 360)
    data = np.concatenate(beats)
    rr = np.concatenate(rrs)
    symbol = np.concatenate(symbols)
    target = _aami_codes(symbol)
    groups = np.concatenate(groups)
    r_peaks = np.concatenate(r_peaks)
    is_test = None
    if split == "random":
        is_test = np.concatenate(in_test_part) if in_test_part else np.zeros(0, dtype=bool)
    elif split == "inter-patient":
        is_test = np.isin(groups, MITBIH_DS2)
    if is_test is not None and subset != "all":
        keep = is_test if subset == "test" else ~is_test
        data, rr, target, symbol, groups, r_peaks, is_test = (
            a[keep] for a in (data, rr, target, symbol, groups, r_peaks, is_test)
        )
    if return_X_y:
        return data, target
    bunch = Bunch(
        data=data,
        target=target,
        target_names=list(AAMI_CLASSES),
        rr_features=rr,
        rr_feature_names=list(RR_FEATURE_NAMES),
        groups=groups,
        record=groups.copy(),
        patient=mitbih_patients(groups),
        r_peaks=r_peaks,
        symbol=symbol,
        lead=leads,
        DESCR=MITBIH_DESCR,
    )
    if is_test is not None:
        bunch.is_test = is_test
    if detector is not None:
        bunch.detection = detection
        # A part of the random split of beats has no place for detections that match no beat.
        if split != "random" or subset == "all":
            # The part's records, not those with rows: a record where nothing was detected has
            # none, and its missed beats are still the part's.
            parts_kept = inter_patient_part(subset) if split == "inter-patient" else None
            bunch.unmatched = Bunch(**_in_part(unmatched, parts_kept))
            missed = _in_part(missed, parts_kept)
            missed["target"] = _aami_codes(missed["symbol"])
            bunch.missed = Bunch(**missed)
    return bunch


def _aami_codes(symbols: np.ndarray) -> np.ndarray:
    """The AAMI class code (0..4) of each MIT-BIH beat symbol."""
    return np.array([AAMI_SYMBOLS[s] for s in symbols.tolist()], dtype=np.int64)


def _in_part(columns: dict, records) -> dict[str, np.ndarray]:
    """The per-record ``columns`` joined, kept to ``records`` (all of them when None)."""
    joined = {key: np.concatenate(value) for key, value in columns.items()}
    if records is None:
        return joined
    in_part = np.isin(joined["groups"], records)
    return {key: value[in_part] for key, value in joined.items()}


@functools.cache
def _random_split_table() -> dict[str, np.ndarray]:
    """The shipped random split: per record, True for each beat of the test part.

    Made by ``tools/make_random_split.py`` from the stratified split of the whole database,
    so that a beat's part never depends on which other records were loaded.
    """
    folder = resources.files("ecgbeat.datasets") / "data"
    with resources.as_file(folder / "mitbih_random_split.npz") as path, np.load(path) as npz:
        return {record: npz[record] for record in npz.files}


def _random_split_flags(record: str, beat_index: np.ndarray, n_annotated: int) -> np.ndarray:
    """Test-part flags of one record's rows, from their place among its annotated beats."""
    flags = _random_split_table()[record]
    if n_annotated != flags.size + 1:
        # Another annotation file would shift every beat's place: refuse rather than mislabel.
        raise DataFormatError(
            f"mitdb/{record}: the annotations hold {n_annotated} beats, the published record "
            f"{flags.size + 1}, so split='random' cannot place them; use the PhysioNet "
            "annotation file, or split='inter-patient' or split=None"
        )
    # The record's last annotated beat is in neither part of the published split (it has no
    # following interval to cut); a detected beat matched to it goes to the training part.
    return np.append(flags, False)[beat_index]


def _detection_counts(arrays, tolerance: float) -> dict[str, int]:
    """True positives, false negatives and false positives of the detector on a record.

    The standard one-to-one beat-by-beat match (``wfdb.processing.compare_annotations``).
    """
    from wfdb.processing import compare_annotations

    ref, det = arrays["reference"], arrays["detected"]
    if ref.size == 0 or det.size == 0:
        return {"tp": 0, "fn": int(ref.size), "fp": int(det.size)}
    cmp = compare_annotations(ref, det, window_width=round(tolerance))
    return {"tp": int(cmp.tp), "fn": int(cmp.fn), "fp": int(cmp.fp)}
