"""The PTB Diagnostic ECG Database as beats labelled healthy control / myocardial infarction."""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ecgbeat._progress import progress_bar
from ecgbeat.beats import check_feature_layout, cut_beats, feature_rows
from ecgbeat.datasets import _cache
from ecgbeat.datasets._base import check_loader_params, get_data_home, record_names
from ecgbeat.datasets._download import (
    download_physionet,
    missing_data_error,
    read_sha256sums,
)
from ecgbeat.datasets._records import (
    DEFAULT_LEADS,
    _lead_key,
    read_header,
    read_lead,
    record_files,
    refuse_gaps,
)
from ecgbeat.exceptions import DataFormatError
from ecgbeat.rhythm import RR_FEATURE_NAMES

__all__ = ["PTBDB_CLASSES", "fetch_ptbdb"]

#: Labels of :func:`fetch_ptbdb` (0 and 1).
PTBDB_CLASSES = ("healthy control", "myocardial infarction")
_DIAGNOSES = {"healthy control": 0, "myocardial infarction": 1}
_DATABASE, _VERSION = "ptbdb", "1.0.0"

PTBDB_DESCR = """\
PTB Diagnostic ECG Database, single heartbeats (Kachuee et al. 2018 segmentation)
----------------------------------------------------------------------------------
549 records of 290 subjects, 15 leads at 1000 Hz (PhysioNet ptbdb 1.0.0). Each beat: one lead
(default "ii") resampled to 125 Hz, scaled to [0, 1] per 10 s window, 1.2 median R-R intervals
from an R peak found by the Pan-Tompkins detector (the database has no beat annotations),
zero-padded to 187 samples. Label from the header's "Reason for admission": 0 healthy control,
1 myocardial infarction; records with any other diagnosis are excluded. groups = patient id.

Attribution (Open Data Commons Attribution License v1.0):
Bousseljot R, Kreiseler D, Schnabel A. Nutzung der EKG-Signaldatenbank CARDIODAT der PTB über
das Internet. Biomedizinische Technik 40(S1):317 (1995).
Goldberger AL et al. PhysioBank, PhysioToolkit, and PhysioNet. Circulation 101(23):e215-e220
(2000).
"""


def _diagnosis(comments: list[str]) -> str | None:
    for line in comments:
        key, _, value = line.partition(":")
        if key.strip().lower() == "reason for admission":
            return value.strip().lower()
    return None


def _locate(folder: Path, record: str) -> Path | None:
    """Record path in the PhysioNet layout (patientNNN/sNNNNxxx) or flat at the top level."""
    for candidate in (folder / record, folder / Path(record).name):
        if candidate.with_name(candidate.name + ".hea").is_file():
            return candidate
    return None


def _wanted_records(records) -> list[str] | None:
    """The records asked for, as text (None: all), or a ValueError that names ``records``.

    Checked before the data folder is looked at: ``records=5`` failed in ``list()`` with "'int'
    object is not iterable", naming nothing, and only after RECORDS was downloaded (or, offline,
    as missing data)."""
    if records is None:
        return None
    # Empty is refused there: not "no usable PTB record in <folder>", as if no data were there.
    wanted = record_names(records, "PTB")
    bad = [r for r in wanted if not isinstance(r, str)]
    if bad:
        raise ValueError(
            "records names PTB records as text ('patient001/s0010_re' or 's0010_re'), "
            f"got {bad[0]!r}"
        )
    return wanted


def _record_list(folder: Path, wanted: list[str] | None, download: bool, base_url) -> list[str]:
    """The records to read: ``wanted`` (from :func:`_wanted_records`) by their listed names,
    or all listed (or, without a RECORDS listing, all on disk)."""
    listing = folder / "RECORDS"
    # Records named and on disk need no listing: nothing to fetch, as for MIT-BIH's files.
    on_disk = wanted is not None and all(_locate(folder, r) is not None for r in wanted)
    if not listing.is_file() and download and not on_disk:
        download_physionet(_DATABASE, _VERSION, ["RECORDS"], folder, base_url=base_url)
    if listing.is_file():
        known = listing.read_text().split()
    else:
        # No RECORDS file: whatever headers are on disk, patient id from the parent folder.
        known = sorted(
            p.relative_to(folder).with_suffix("").as_posix() for p in folder.rglob("*.hea")
        )
    if wanted is None:
        return known
    if not listing.is_file():
        # A record kept flat (s0010_re.hea) and named with its patient folder, as PhysioNet
        # names it ("patient001/s0010_re"): that name is the record's, and tells its patient.
        for r in wanted:
            parts = Path(r).parts  # one folder, a patient's: not "..", nor a path elsewhere
            if r not in known and len(parts) == 2 and parts[0] != ".." and parts[1] in known:
                known[known.index(parts[1])] = r
    by_name = {Path(r).name: r for r in known}
    out = []
    for r in wanted:
        if r in known:
            out.append(r)
        elif r in by_name:
            out.append(by_name[r])
        elif listing.is_file():
            raise ValueError(f"PTB record {r!r} is not listed in {listing}")
        else:  # no listing to name: the records are the headers on disk
            raise ValueError(
                f"PTB record {r!r} is not among the {len(known)} records in {folder} (found by "
                "their .hea files: there is no RECORDS listing)"
            )
    # Once each, as fetch_mitbih reads them: a record named twice (by path and by name) would
    # repeat its beats.
    return list(dict.fromkeys(out))


def _lacks_data(path: Path, lead) -> bool:
    """Whether the data file that holds ``lead`` (the first of the leads asked for that the
    header names) is not on disk (a download cut off after the header). A header that cannot
    be read, or that names none of the leads, is left to the reading, to name why.

    The files of other leads need not be there, as for the reading: a record kept without its
    ``.xyz`` (the Frank leads) was fetched again for lead ii, and offline failed as missing."""
    try:
        header = read_header(path, path.name)
    except (DataFormatError, OSError):
        return False
    names = list(getattr(header, "file_name", None) or [])
    keys = [_lead_key(s) for s in getattr(header, "sig_name", None) or []]
    wanted = DEFAULT_LEADS if lead is None else [lead] if isinstance(lead, str) else lead
    channel = next((keys.index(_lead_key(w)) for w in wanted if _lead_key(w) in keys), None)
    if channel is None or channel >= len(names):
        return False  # "has no lead 'MLII'; its leads are ...", not a download of other files
    name = names[channel]
    return bool(name) and name != "~" and not (path.parent / name).is_file()


def _ensure_record(folder: Path, record: str, download: bool, base_url, lead) -> Path | None:
    path = _locate(folder, record)
    if not download or (path is not None and not _lacks_data(path, lead)):
        return path
    sums_path = folder / "SHA256SUMS.txt"
    if not sums_path.is_file():
        download_physionet(_DATABASE, _VERSION, [], folder, base_url=base_url)
    names = [n for n in read_sha256sums(sums_path) if n.startswith(record + ".")]
    download_physionet(_DATABASE, _VERSION, names, folder, base_url=base_url)
    return _locate(folder, record)


def _build_record(path: Path, lead, name: str, detector: str, cut_params: dict) -> dict:
    signal, fs, lead_name, _ = read_lead(path, lead, name)
    refuse_gaps(signal, fs, lead_name, name)
    seg, rr = cut_beats(signal, fs, detector=detector, name=f"record {name}", **cut_params)
    return {"beats": seg.beats, "rr": rr, "r_peaks": seg.r_peaks}


def fetch_ptbdb(
    data_home: str | os.PathLike | None = None,
    *,
    lead: str | Sequence[str] = "ii",
    records: Sequence[str] | None = None,
    detector: str = "pan-tompkins",
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
    """Load the PTB Diagnostic ECG Database as single beats, healthy control vs infarction.

    Records are read from ``<data_home>/ptbdb/``, either in PhysioNet's layout
    (``patientNNN/sNNNNxxx.hea`` as listed in ``RECORDS``) or flat (``sNNNNxxx.hea``). With
    ``download_if_missing=False`` the records on disk are used (with a warning when some listed
    ones are absent, a ``DataNotFoundError`` when all are); otherwise missing records, and a record's missing data file that holds
    the lead asked for, are downloaded from PhysioNet (the files of other leads need not be
    there).

    Parameters
    ----------
    data_home : str or path-like, optional
        Folder holding ``ptbdb/``; default: ``$ECGBEAT_DATA`` or ``~/ecgbeat_data``.
    lead : str or sequence of str, default="ii"
        Lead name (case-insensitive), or names tried in order.
    records : str or sequence of str, optional
        Records (``"patient001/s0010_re"`` or ``"s0010_re"``; a path is read as its text);
        default: all listed.
    detector : {"pan-tompkins", "threshold"}, default="pan-tompkins"
        R-peak detector (PTB has no beat annotations).
    download_if_missing : bool, default=True
        Download missing records from PhysioNet, verified against its SHA256SUMS.txt.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    progress : bool, optional
        Progress bar; None shows it only when stderr is a terminal.
    cache : bool or path-like, default=True
        As in :func:`fetch_mitbih`.
    base_url : str, optional
        Replaces the PhysioNet URL, as in :func:`fetch_mitbih`.
    target_fs, beat_length, window_seconds, segment_factor, before_r
        Segmentation parameters, see :func:`ecgbeat.beats.segment_beats`.
    refine_radius : float or None, default=None
        Move each detected R peak to the dominant extremum within this many seconds before
        cutting its beat, as in :func:`fetch_mitbih`.
    rhythm : bool, default=False
        Append each beat's 7 R-R interval features (:func:`ecgbeat.rhythm.rr_features`) to its
        row of ``data``; they are in ``rr_features`` either way.
    template : bool, default=False
        Append, after the R-R features (needs ``rhythm``), each beat's 3 template features
        (:func:`ecgbeat.template.template_features`, against the median beat of its record).
    zscores : bool, default=False
        Append, after the template features (needs ``template``), each beat's 2 R-R z-scores
        (:func:`ecgbeat.rhythm.rr_zscores`), for ``HeartbeatCNNClassifier(n_rr_features=12)``.

    Returns
    -------
    data : Bunch
        ``data`` (n_beats, beat_length) float32 (``beat_length + 7`` columns with ``rhythm``,
        ``+ 10`` with ``template`` too, ``+ 12`` with ``zscores``);
        ``rr_features`` (n_beats, 7) R-R interval features (``rr_feature_names``); ``target`` (n_beats,) 0 healthy control,
        1 myocardial infarction; ``target_names`` :data:`PTBDB_CLASSES`; ``groups`` patient id
        (e.g. ``"patient001"``; ``"unknown"``, with a warning, for a record whose patient neither
        the ``RECORDS`` listing, its folder nor ``records`` (``"patient001/s0010_re"``) names);
        ``record`` record path; ``r_peaks`` R-peak sample at 1000 Hz;
        ``excluded`` dict record -> diagnosis of the records left out; ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from ecgbeat.datasets import PTBDB_CLASSES, fetch_ptbdb
    >>> PTBDB_CLASSES
    ('healthy control', 'myocardial infarction')
    >>> ptb = fetch_ptbdb(download_if_missing=False)  # doctest: +SKIP
    >>> ptb.target_names  # doctest: +SKIP
    ['healthy control', 'myocardial infarction']
    """
    check_feature_layout(rhythm, template, zscores)
    # Before any download: a wrong value failed only once the records were fetched and read.
    cut_params = check_loader_params(
        lead=lead,
        detector=detector,
        refine_radius=refine_radius,
        cache=cache,
        base_url=base_url,
        detector_optional=False,
        target_fs=target_fs,
        beat_length=beat_length,
        window_seconds=window_seconds,
        segment_factor=segment_factor,
        before_r=before_r,
    )
    wanted = _wanted_records(records)
    home = get_data_home(data_home)
    folder = home / _DATABASE
    record_headers = ("s[0-9][0-9][0-9][0-9]*.hea", "patient[0-9][0-9][0-9]/s[0-9]*.hea")
    if not folder.is_dir() and any(next(home.glob(p), None) for p in record_headers):
        # data_home named the records' own folder: they were not seen, and the database was
        # downloaded again into <folder>/ptbdb/.
        raise ValueError(
            f"data_home {home} holds the {_DATABASE} records itself; give the folder that "
            f"holds {_DATABASE}/: data_home={str(home.parent)!r} (--data-home on the command "
            "line)"
        )
    if not folder.is_dir() and not download_if_missing:
        raise missing_data_error(
            _DATABASE,
            _VERSION,
            folder,
            ["RECORDS", "the records' .hea/.dat files"],
            "the folder does not exist and downloading is off (download_if_missing=False, or "
            "--no-download)",
        )
    listed = _record_list(folder, wanted, download_if_missing, base_url)
    # The cache's key: the database, lead and detector, and how the beats are cut.
    params = {
        "database": _DATABASE,
        "lead": lead,
        "detector": detector,
        **cut_params,
    }
    cache_dir = _cache.resolve_cache_dir(cache, home)
    sums_path = folder / "SHA256SUMS.txt"
    sums = read_sha256sums(sums_path) if sums_path.is_file() else {}

    parts, excluded, absent = [], {}, []
    for record in progress_bar(listed, total=len(listed), desc="PTB", enabled=progress):
        path = _ensure_record(folder, record, download_if_missing, base_url, lead)
        if path is None:
            if records is not None:
                raise FileNotFoundError(f"PTB record {record}: {folder / record}.hea not found")
            absent.append(record)
            continue
        name = f"ptbdb/{record}"
        diagnosis = _diagnosis(read_header(path, name).comments)
        if diagnosis not in _DIAGNOSES:
            excluded[record] = diagnosis
            continue
        cache_path = None
        if cache_dir is not None:
            # The files the header names too: a multi-segment record's segments (or a signal
            # file of another name) were left out of the key, and their edited samples were
            # served the beats of the old ones.
            rel = path.relative_to(folder).as_posix()
            fingerprints = [
                _cache.file_fingerprint(
                    f, sums.get(f.relative_to(folder).as_posix()) or sums.get(f.name)
                )
                for f in record_files(path)
                if f.is_file()  # another lead's file need not be there
            ]
            key = _cache.cache_key(params, fingerprints)
            cache_path = cache_dir / f"ptbdb-{rel.replace('/', '_')}-{key}.npz"
        arrays = _cache.load_or_build(
            cache_path, functools.partial(_build_record, path, lead, name, detector, cut_params)
        )
        patient = Path(record).parent.name or "unknown"
        parts.append((record, patient, _DIAGNOSES[diagnosis], arrays))
    unknown = [record for record, patient, *_ in parts if patient == "unknown"]
    if unknown:
        # One group for all of them: no patient in two parts of a grouped split, and no word
        # that the patients of "unknown" are not one.
        warnings.warn(
            f"the patient of {len(unknown)} PTB record(s) is unknown ({', '.join(unknown[:3])}"
            f"{'...' if len(unknown) > 3 else ''}: neither a RECORDS listing nor a folder names "
            "their patientNNN); their groups are 'unknown', one group. Put PhysioNet's RECORDS "
            f"file in {folder}, keep the records in their patient folders, or name each with its "
            "patient folder (records=['patient001/s0010_re'])",
            RuntimeWarning,
            stacklevel=2,
        )
    if absent and len(absent) == len(listed):
        # None on disk: "no usable PTB record (healthy control or infarction)", after a warning
        # "using the 0 on disk", said neither that the data are missing nor how to get them.
        raise missing_data_error(
            _DATABASE,
            _VERSION,
            folder,
            [f"{r}.hea" for r in absent],
            "none of the records listed in RECORDS is on disk, and "
            + (
                "none is listed in SHA256SUMS.txt to download"
                if download_if_missing
                else "downloading is off (download_if_missing=False, or --no-download)"
            ),
        )
    if absent:
        warnings.warn(
            f"{len(absent)} of {len(listed)} PTB records are not in {folder}; "
            f"using the {len(listed) - len(absent)} on disk",
            RuntimeWarning,
            stacklevel=2,
        )
    if not parts:
        message = f"no usable PTB record (healthy control or infarction) in {folder}"
        if excluded:
            # The records are there: say what they are, not only that none is usable.
            shown = [f"{r} ({d or 'no reason for admission'})" for r, d in excluded.items()]
            more = f" and {len(shown) - 5} more" if len(shown) > 5 else ""
            message += (
                f": the {len(excluded)} record(s) read are of other diagnoses, which are left "
                f"out: {', '.join(shown[:5])}{more}"
            )
        raise FileNotFoundError(message)

    features = {"rhythm": rhythm, "template": template, "zscores": zscores, "fs": target_fs}
    data = np.concatenate([feature_rows(a["beats"], a["rr"], **features) for *_, a in parts])
    rr = np.concatenate([a["rr"] for *_, a in parts])
    target = np.concatenate([np.full(len(a["beats"]), y, np.int64) for _, _, y, a in parts])
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=list(PTBDB_CLASSES),
        rr_features=rr,
        rr_feature_names=list(RR_FEATURE_NAMES),
        groups=np.concatenate([np.full(len(a["beats"]), p) for _, p, _, a in parts]),
        record=np.concatenate([np.full(len(a["beats"]), r) for r, _, _, a in parts]),
        r_peaks=np.concatenate([a["r_peaks"] for *_, a in parts]),
        excluded=excluded,
        DESCR=PTBDB_DESCR,
    )
