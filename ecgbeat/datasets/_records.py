"""Reading one lead and the beat annotations of a WFDB record, with checks that name the record."""

from __future__ import annotations

import csv
import glob
import itertools
import math
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from ecgbeat._checks import check_rate
from ecgbeat._install import import_optional
from ecgbeat._warnings import warn_caller
from ecgbeat.datasets._base import get_data_home, import_wfdb
from ecgbeat.datasets._compressed import (
    content_suffix,
    decompression_errors,
    is_csv,
    open_text,
    refuse_archive,
)
from ecgbeat.exceptions import DataFormatError, SignalError

# Bits per sample of the WFDB storage formats, to check a data file's size against its header.
_FORMAT_BITS = {"8": 8, "16": 16, "24": 24, "32": 32, "61": 16, "80": 8, "160": 16, "212": 12}


def _check_data_size(path: Path, header, name: str, lead: str | None = None) -> None:
    """Compare each data file's size with what the header says it holds.

    A signal may hold several samples per frame (``16x2`` in its header: a lead sampled at
    twice the record's frame rate); its samples count as many times in its file. With
    ``lead``, only the files that hold a signal of that name: the others are not read (PTB's
    Frank leads, in ``.xyz`` beside the ``.dat``, need not be there to read lead ii)."""
    per_frame = header.samps_per_frame or [1] * len(header.file_name)
    sig_names = header.sig_name or [None] * len(header.file_name)
    for file_name in dict.fromkeys(header.file_name):
        if file_name == "~":  # no data: the layout header of a multi-segment record
            continue
        channels = [i for i, f in enumerate(header.file_name) if f == file_name]
        if lead is not None and lead not in [sig_names[i] for i in channels]:
            continue
        fmt = str(header.fmt[channels[0]])
        data = path.parent / file_name
        if not data.is_file():
            raise FileNotFoundError(f"record {name}: data file {data} not found")
        bits = _FORMAT_BITS.get(fmt)
        if bits is None or header.sig_len is None:
            continue
        offset = (header.byte_offset or [0])[channels[0]] or 0
        samples_per_frame = sum(int(per_frame[i] or 1) for i in channels)
        expected = offset + -(-header.sig_len * samples_per_frame * bits // 8)
        layout = f"{header.sig_len} samples x {len(channels)} signals"
        if samples_per_frame != len(channels):
            layout = f"{header.sig_len} frames of {samples_per_frame} samples"
        actual = data.stat().st_size
        if actual < expected:
            raise DataFormatError(
                f"record {name}: data file {data} is truncated: {actual} bytes, but the header "
                f"({layout}, format {fmt}) needs {expected}"
            )
        if actual > expected:
            raise DataFormatError(
                f"record {name}: header and data disagree: {data} has {actual} bytes, the "
                f"header ({layout}, format {fmt}) describes {expected}"
            )


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
#: A signal line's gain field: gain, then optionally (baseline) and /units.
_GAIN = re.compile(rf"{_NUMBER}(?:\([-+]?\d+\))?(?:/\S*)?")


def _check_against_text(header, lines: list[str], hea: Path, name: str) -> None:
    """Refuse a header that wfdb read differently from what its text says.

    wfdb's parser matches each field with a pattern and falls back on defaults where a field does
    not match: a sampling frequency of ``-1`` or ``nan`` became 250 Hz, a gain of ``200x`` became
    200, and a data file named ``é100.dat`` became ``100.dat``, another record's data.
    """
    record = lines[0].split()
    if len(record) > 2:
        fs_text = record[2].split("/")[0]
        try:
            fs = float(fs_text)
        except ValueError:
            fs = math.nan
        # (0 is read as 0, and refused where the signal is checked: below 40 Hz.)
        if not (math.isfinite(fs) and fs >= 0):
            raise DataFormatError(
                f"record {name}: header {hea} gives the sampling frequency as {fs_text!r}; it "
                "must be a positive number of Hz"
            )
        if header.fs != fs:
            raise DataFormatError(
                f"record {name}: header {hea} gives the sampling frequency {fs_text!r}, read "
                f"as {header.fs}"
            )
    for i, line in enumerate(lines[1 : 1 + header.n_sig]):
        fields = line.split()
        if fields[0] != header.file_name[i]:
            raise DataFormatError(
                f"record {name}: header {hea}, signal {i + 1}: file name {fields[0]!r} is read as "
                f"{header.file_name[i]!r}; use a plain file name"
            )
        if len(fields) > 2 and not _GAIN.fullmatch(fields[2]):
            raise DataFormatError(
                f"record {name}: header {hea}, signal {i + 1}: {fields[2]!r} is not a gain "
                "(a number, then optionally (baseline) and /units)"
            )


def record_path(record: str | os.PathLike) -> Path:
    """The path of a WFDB record without extension, given it with or without ``.hea``.

    Examples
    --------
    >>> record_path("mitdb/100.hea").as_posix(), record_path("mitdb/100").as_posix()
    ('mitdb/100', 'mitdb/100')
    """
    path = Path(record)
    return path.with_suffix("") if path.suffix.lower() == ".hea" else path


def _segments(path: Path, header, name: str) -> list[tuple[Path, object]]:
    """The path and header of each segment of a multi-segment record (a gap, ``~``, has none),
    read and checked as a record's; ``[]`` for a record of one segment."""
    if getattr(header, "n_seg", None) is None:
        return []
    return [
        (path.parent / seg, read_header(path.parent / seg, f"{name}/{seg}"))
        for seg in header.seg_name
        if seg != "~"
    ]


def _other_case(path: Path) -> Path | None:
    """A file beside ``path`` whose name is ``path``'s in other case (``100.ATR`` for
    ``100.atr``), or None."""
    try:
        return next(
            f for f in path.parent.iterdir() if f.name.lower() == path.name.lower() and f != path
        )
    except (OSError, StopIteration):
        return None


def missing_header(path: Path, name: str) -> str:
    """The error of a record whose header is not there, with what was likely meant: the record
    named by one of its other files (``100.dat``), a folder of records, or a file of a kind that
    ecgbeat does not read (``holter.txt``)."""
    hea = path.with_name(path.name + ".hea")
    message = f"record {name}: header file {hea} not found"
    if not hea.is_absolute():
        # A record is a path, never looked up in the data folder: "mitdb/100" with the
        # database in ~/ecgbeat_data was "not found", naming neither folder.
        message += f" in the working folder {os.getcwd()}"
        in_home = get_data_home() / hea
        if in_home.is_file():
            message += f"; the data folder has {in_home}: name the record {in_home.with_suffix('')}"
            return message
    if path.is_dir():
        return f"{message}: {path} is a folder; name a record in it, e.g. {path / '100'}"
    if path.is_file() and path.with_suffix(".hea").is_file():
        return f"{message}: name the record without extension, {path.with_suffix('')}"
    other = _other_case(hea)
    if other is not None:
        # ("100.HEA", from a case-insensitive file system): wfdb opens "<record>.hea" only.
        return (
            f"{message}: there is {other.name}, but WFDB reads the header as {hea.name}, in "
            "lower case: rename the record's files to lower-case extensions (.hea, .dat, .atr)"
        )
    if path.is_file() and (is_csv(path) or path.suffix.lower() in (".npy", ".edf")):
        # A file that ecgbeat reads, given where a record goes (classify_record("holter.edf")):
        # the advice below, to export it as one of these, was no advice.
        return (
            f"{message}: {path} is a signal or beats file, no WFDB record (a header and its "
            "data files): classify it with ecgbeat.records.classify_file, or read its lead with "
            "ecgbeat.datasets.read_signal (a CSV or .npy signal with its rate, fs=...)"
        )
    if path.is_file():
        # A file of another kind (holter.txt, lead.tsv, beats.npz): only the missing header was
        # told, as if the file were a record with a file lost, never which files ecgbeat reads.
        return (
            f"{message}: {path} is a file of its own, no WFDB record (a header and its data "
            "files); ecgbeat reads a signal from a .csv, .npy or .edf file, and beats from a "
            ".csv file: export it as one of these"
        )
    return message


def read_header(record: str | os.PathLike, name: str | None = None):
    r"""The header of a WFDB record (``wfdb.rdheader``), with errors that name the record.

    Reads the ``.hea`` file alone: a record's sampling rate, length and leads, without its
    signals. The header is checked against its text where wfdb reads it silently wrong.

    Parameters
    ----------
    record : str or path-like
        Path of the record without extension (``data/100`` for ``data/100.hea``), or of its
        ``.hea`` file.
    name : str, optional
        The record's name in messages; by default the path's last part.

    Returns
    -------
    wfdb.Record or wfdb.MultiRecord
        The header, as ``wfdb.rdheader`` returns it (``fs``, ``sig_len``, ``sig_name``...);
        a multi-segment record's is a ``wfdb.MultiRecord``.

    Raises
    ------
    FileNotFoundError
        If the header file is not there.
    DataFormatError
        If it cannot be read, or contradicts itself.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "rec.hea"), "w") as f:
    ...     _ = f.write("rec 1 250 5000\nrec.dat 16 200 16 0 0 0 0 MLII\n")
    >>> header = read_header(os.path.join(folder, "rec"))
    >>> header.fs, header.sig_len, header.sig_name
    (250, 5000, ['MLII'])
    >>> read_header(os.path.join(folder, "rec.hea")).fs  # or named by its header file
    250
    """
    wfdb = import_wfdb()
    path = record_path(record)
    name = path.name if name is None else name
    hea = path.with_name(path.name + ".hea")
    if not hea.is_file():
        raise FileNotFoundError(missing_header(path, name))
    try:
        text = hea.read_text(errors="replace")
    except OSError as exc:
        raise DataFormatError(f"record {name}: cannot read header {hea}: {exc}") from exc
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        # wfdb would fail with an IndexError ("list index out of range").
        raise DataFormatError(f"record {name}: header {hea} is empty (no record line)")
    try:
        header = wfdb.rdheader(str(path))
    except Exception as exc:
        raise DataFormatError(f"record {name}: cannot read header {hea}: {exc}") from exc
    if getattr(header, "n_seg", None) is None:
        # wfdb reads as many signal lines as the record line declares and fails later, cryptically.
        if len(lines) - 1 != header.n_sig:
            raise DataFormatError(
                f"record {name}: header {hea} declares {header.n_sig} signal(s) but describes "
                f"{len(lines) - 1}"
            )
        _check_against_text(header, lines, hea, name)
    return header


# Files beside a record that are not WFDB files: what ecgbeat and other tools write of it.
_NOT_RECORD_FILES = {
    ".csv", ".json", ".txt", ".keras", ".npy", ".npz", ".edf",
    ".png", ".jpg", ".jpeg", ".pdf", ".svg", ".svgz", ".eps", ".ps", ".tif", ".tiff", ".webp",
}  # fmt: skip


def record_files(record: str | os.PathLike) -> list[Path]:
    r"""The files of a WFDB record on disk: the files of its name (header, signals, annotations;
    not tables, pictures or other files that tools write beside it, such as ``100.csv``,
    ``100.csv.gz`` or ``100.png``), and the signal files that its header names (a header
    ``rec.hea`` may keep its samples in ``signal.dat``).

    Parameters
    ----------
    record : str or path-like
        The record's path without extension (``data/100``), or its header (``data/100.hea``).

    Returns
    -------
    list of pathlib.Path
        Sorted. A header that cannot be read names no signal file; reading the record then
        fails with the reason.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "rec.hea").write_text("rec 1 360 10\nsignal.dat 16 200 11 0 0 0 0 MLII\n")
    >>> [path.name for path in record_files(folder / "rec")]
    ['rec.hea', 'signal.dat']
    """
    path = record_path(record)
    files = {
        file
        for file in path.parent.glob(glob.escape(path.name) + ".*")
        if content_suffix(file.name) not in _NOT_RECORD_FILES
    }
    try:
        header = read_header(path, path.name)
    except (DataFormatError, OSError, ImportError):
        return sorted(files)
    try:
        segments = _segments(path, header, path.name)
    except (DataFormatError, OSError, ImportError):
        segments = []
    for file_path, file_header in [(path, header), *segments]:
        if file_header is not header:  # a segment: its header, and the data files it names
            files.add(file_path.with_name(file_path.name + ".hea"))
        names = getattr(file_header, "file_name", None) or []
        files.update(path.parent / name for name in names if name and name != "~")
    return sorted(files)


#: Leads tried in order when none is named: the lead the pretrained models were trained on first.
DEFAULT_LEADS = ("MLII", "II", "ii", "V5", "ML2")

#: Signal names that are ECG leads, besides names that contain "ECG" or "EKG" (lower case).
_ECG_LEAD_NAMES = frozenset(
    ["i", "ii", "iii", "avr", "avl", "avf", "mli", "mlii", "mliii", "ml2"]
    + [f"{prefix}{k}" for prefix in ("v", "mv", "cm") for k in range(1, 7)]
)


def is_ecg_lead(signal_name: str | None) -> bool:
    """Whether a signal's name is that of an ECG lead (``ECG1``, ``II``, ``V5``, ``MLII``,
    ``Lead V1 (mV)``...).

    >>> [is_ecg_lead(n) for n in ("ECG1", "ecg", "MLII", "V5", "Lead V1", "RESP", "ABP", None)]
    [True, True, True, True, True, False, False, False]
    """
    lower = (signal_name or "").strip().lower()
    # A lead named with its unit or a "Lead" word ("Lead V1") was no ECG lead: a record's
    # lead was not found, and a CSV's respiration column before it was read instead.
    return "ecg" in lower or "ekg" in lower or _lead_key(signal_name) in _ECG_LEAD_NAMES


def refuse_gaps(
    signal: np.ndarray,
    fs: float,
    lead_name: str,
    name: str,
    remedy: str = "Beats are cut from a continuous lead only: leave the record out (records=...)",
) -> None:
    """Refuse a lead from :func:`read_lead` with samples without a value, naming them: NaN in a
    multi-segment record's gaps and where the record marks samples invalid. Beats cannot be cut
    across them, and :func:`ecgbeat.signals.check_signal` refused them as "NaN or infinite
    sample(s)", NaN that no file of the record holds. ``remedy`` says what to do instead (by
    default, as the loaders read the record).

    Examples
    --------
    >>> refuse_gaps(np.r_[0.0, np.nan, 1.0], 250.0, "MLII", "rec", "Leave it out.")
    Traceback (most recent call last):
    ...
    ecgbeat.exceptions.SignalError: record rec: lead MLII has no valid value at 1 samples (the first at sample 1, 0.00 s): a gap between the record's segments, or samples the record marks invalid. Leave it out.
    """
    invalid = np.flatnonzero(np.isnan(signal))
    if invalid.size:
        raise SignalError(
            f"record {name}: lead {lead_name} has no valid value at {invalid.size} samples "
            f"(the first at sample {invalid[0]}, {invalid[0] / fs:.2f} s): a gap between the "
            f"record's segments, or samples the record marks invalid. {remedy}"
        )


def read_lead(
    path: str | os.PathLike,
    lead: str | Sequence[str] | None = None,
    name: str | None = None,
) -> tuple[np.ndarray, float, str, object]:
    """Read one lead of a WFDB record, checked against its header.

    Parameters
    ----------
    path : str or path-like
        Record path without extension (``mitdb/100`` for ``mitdb/100.hea`` and ``.dat``), or of
        its ``.hea`` file. A multi-segment record is read whole, its segments joined (NaN in its
        gaps and where a segment lacks the lead).
    lead : str, sequence of str or None, default=None
        Lead name, or names tried in order (case-insensitive; a leading ``ECG``, ``EKG`` or
        ``Lead`` word left out: ``ECG II`` is II). None: :data:`DEFAULT_LEADS`, then the
        record's first ECG lead (``ECG1``, ``V2``...), with a warning naming it.
    name : str, optional
        Record name for error messages; by default the file name of ``path``.

    Returns
    -------
    signal : ndarray of shape (n_samples,), float64
        The lead in physical units (NaN where the record marks samples invalid). A lead of
        several samples per frame (``16x2`` in the header) is averaged over each frame, as
        ``wfdb.rdrecord`` reads it: one sample per frame.
    fs : float
        The record's frame rate.
    lead_name : str
        The lead read.
    header : wfdb.Record or wfdb.MultiRecord
        The header, for its comments.

    Raises
    ------
    DataFormatError
        If the record has none of the leads asked for, or its files do not match its header.
    FileNotFoundError
        If the record's header, or the data file that holds the lead, is not there (the files
        of its other leads need not be).
    ValueError
        If ``lead`` is not a name or a non-empty list of names.

    Examples
    --------
    >>> from ecgbeat.datasets import read_lead
    >>> signal, fs, lead, header = read_lead("mitdb/100")  # doctest: +SKIP
    >>> fs, lead  # doctest: +SKIP
    (360.0, 'MLII')
    """
    wfdb = import_wfdb()
    # Its .hea named, as read_header takes it: wfdb.rdrecord would look for 100.hea.hea.
    path = record_path(path)
    name = path.name if name is None else name
    header = read_header(path, name)
    # A multi-segment record names its leads in its segments' headers (the first is the
    # layout of a record whose segments hold different leads).
    segments = _segments(path, header, name)
    sig_names = list((segments[0][1] if segments else header).sig_name or [])
    if lead is None:
        wanted = list(DEFAULT_LEADS)
    else:
        wanted = _wanted_leads(lead)
    # A signal line may leave out its description (the lead's name): such a lead has no name.
    keys = [_lead_key(s) for s in sig_names]
    channel = next((keys.index(_lead_key(c)) for c in wanted if _lead_key(c) in keys), None)
    if channel is None and lead is None:
        channel = next((i for i, n in enumerate(sig_names) if is_ecg_lead(n)), None)
        if channel is not None:
            warnings.warn(
                f"record {name} has none of the leads {', '.join(DEFAULT_LEADS)}; classifying "
                f"{sig_names[channel]}, its first ECG lead (name one with lead=..., "
                "--lead on the command line)",
                UserWarning,
                stacklevel=3,
            )
    if channel is None:
        raise DataFormatError(
            f"record {name} has no lead {' or '.join(map(repr, wanted))}"
            + (" and no other ECG lead" if lead is None else "")
            + f"; its leads are {', '.join(s or '(unnamed)' for s in sig_names)}"
        )
    for file_path, file_header in segments or [(path, header)]:
        _check_data_size(file_path, file_header, name, sig_names[channel])
    try:
        if segments:
            # By name: the segments of a variable layout hold the leads in their own orders.
            record = wfdb.rdrecord(str(path), channel_names=[sig_names[channel]], return_res=64)
        else:
            record = wfdb.rdrecord(str(path), channels=[channel], return_res=64)
    except Exception as exc:
        data = ", ".join(
            str(path.parent / f)
            for _, h in segments or [(path, header)]
            for f in dict.fromkeys(h.file_name)
            if f != "~"
        )
        raise DataFormatError(f"record {name}: cannot read signal data {data}: {exc}") from exc
    return record.p_signal[:, 0], float(record.fs), sig_names[channel], header


def read_signal(
    path: str | os.PathLike, lead: str | Sequence[str] | None = None, fs: float | None = None
) -> tuple[np.ndarray, float, str]:
    """One lead of a signal file and its sampling rate: CSV, NumPy ``.npy`` or EDF/EDF+.

    An EDF file states its sampling rate; ``fs``, if given, must agree with it. CSV and ``.npy``
    files hold none: ``fs`` is required. A CSV holds one column per lead, with or without a header
    line of lead names; a ``.npy`` array is one lead or one column per lead.

    Parameters
    ----------
    path : str or path-like
        The file; its suffix (``.edf``, ``.csv``, ``.npy``) says how to read it. A CSV may be
        compressed (``.csv.gz``, ``.csv.bz2``, ``.csv.xz``).
    lead : str, sequence of str or None, default=None
        The lead (column name, or EDF signal label) or names tried in order; by default the
        preferred leads (:data:`DEFAULT_LEADS`), then the first ECG lead.
    fs : float, optional
        Sampling rate in Hz: required for CSV and ``.npy``, checked for EDF.

    Returns
    -------
    signal : ndarray of shape (n_samples,), float64
    fs : float
    lead_name : str

    Raises
    ------
    DataFormatError
        If the file cannot be read as a signal, has no such lead, or ``fs`` is missing or wrong.
    FileNotFoundError
        If the file is not there.
    ValueError
        If ``fs`` is given and is not a finite number > 0, or ``lead`` is not a name or a
        non-empty list of names.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from ecgbeat.datasets import read_signal
    >>> path = os.path.join(tempfile.mkdtemp(), "lead.npy")
    >>> np.save(path, np.zeros(500))
    >>> signal, fs, lead = read_signal(path, fs=250)
    >>> signal.shape, fs
    ((500,), 250.0)
    """
    if fs is not None:
        # Returned as the rate, 0, -1 or NaN made every later step wrong; text failed in float().
        check_rate(fs)
    path = Path(path)
    if path.suffix.lower() == ".edf":
        signal, file_fs, name = read_edf_file(path, lead)
        if fs is not None and not np.isclose(fs, file_fs):
            raise DataFormatError(
                f"{path}: the file samples lead {name} at {file_fs:g} Hz, not at the {fs:g} Hz "
                "given: leave the rate out for EDF files"
            )
        return signal, file_fs, name
    if fs is None:
        raise DataFormatError(
            f"{path} is a signal file: give its sampling rate (fs=... in Python, --fs HZ on the "
            "command line)"
        )
    signal, name = read_signal_file(path, lead, fs)
    return signal, float(fs), name


def read_edf_file(
    path: Path, lead: str | Sequence[str] | None = None
) -> tuple[np.ndarray, float, str]:
    """One lead of an EDF or EDF+ recording (the usual Holter export), in its physical unit.

    Read by ``edfio`` (``pip install "ecgbeat[edf]"``); leads sampled at different rates are
    fine, each keeps its own. ``lead`` chooses the lead as in :func:`read_signal_file`; EDF+
    annotation channels are not leads.

    Returns
    -------
    signal : ndarray of shape (n_samples,), float64
    fs : float
        The lead's sampling rate, from the file.
    lead_name : str
    """
    edfio = import_optional("edfio", "reading EDF files needs the optional package 'edfio'", "edf")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    try:
        edf = edfio.read_edf(path)
        signals = list(edf.signals)
        continuous = edf.is_continuous
    except Exception as exc:  # edfio's errors name no file; say which one failed
        raise DataFormatError(f"{path}: not a readable EDF/EDF+ file ({exc})") from exc
    if not continuous:
        # edfio joins the data records as if they followed each other: the samples after a gap
        # would get wrong times, and the R-R interval across it would be wrong.
        raise DataFormatError(
            f"{path}: an EDF+D file with gaps between its data records; ecgbeat reads "
            "continuous recordings: export each continuous stretch as a file of its own"
        )
    if not signals:
        raise DataFormatError(f"{path}: the EDF file holds no signal")
    names = [signal.label.strip() or str(k + 1) for k, signal in enumerate(signals)]
    column = _choose_column(path, names, lead)
    data = np.asarray(signals[column].data, dtype=np.float64)
    if not data.size:
        raise DataFormatError(f"{path}: lead {names[column]} holds no samples")
    return data, float(signals[column].sampling_frequency), names[column]


def read_signal_file(
    path: Path, lead: str | Sequence[str] | None = None, fs: float | None = None
) -> tuple[np.ndarray, str]:
    """One lead of a signal exported as CSV (also ``.csv.gz``...) or NumPy ``.npy``, one column
    per lead.

    A CSV may start with a header row naming its columns (a row of units under it, without a
    digit, is passed over; also as a comment, ``# MLII,V5``, as NumPy's ``savetxt`` writes it;
    lines that start with ``#`` are comments); without one, and
    in ``.npy`` files, the columns are named ``"1"``, ``"2"``... ``lead`` names the column
    (case-insensitive), or names tried in order; None tries :data:`DEFAULT_LEADS`, then the
    first column whose name is an ECG lead, then the first column that is not a clock
    (``time``, ``timestamp``, ``t``, ``sample``..., or values that never fall), with a
    warning when there are several columns. Names match without regard to case, quotes or a
    trailing unit (``"MLII (mV)"`` is MLII), then also without a leading ``ECG``, ``EKG`` or
    ``Lead`` word (EDF+'s ``ECG II`` is II, as for :func:`read_lead`). Where several columns are
    ECG leads and none of them is one of those, the first is read, with a warning. The file
    holds no sampling rate: the caller knows it (``fs``). A clock column (values that never
    fall) whose step is no sample at ``fs``, in seconds, milliseconds, microseconds or
    nanoseconds, is warned of: the rate given is likely wrong.

    Returns
    -------
    signal : ndarray of shape (n_samples,), float64
    lead_name : str
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            values = np.load(path, allow_pickle=False)
        except (ValueError, EOFError) as exc:  # EOFError: an empty file (NumPy names no file)
            raise DataFormatError(f"{path}: not a NumPy array of numbers ({exc})") from exc
        names = None
    elif is_csv(path):
        refuse_archive(path)
        try:
            with decompression_errors(path), open_text(path) as stream:
                values, names = _read_csv_columns(path, stream)
        except UnicodeDecodeError as exc:  # names no file
            raise DataFormatError(
                f"{path}: not UTF-8 text ({exc}); save it as a UTF-8 CSV"
            ) from exc
    else:
        raise DataFormatError(f"{path}: a signal file must end in .csv (or .csv.gz), .npy or .edf")
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    if not values.size:
        raise DataFormatError(f"{path}: the file holds no samples")
    if values.ndim != 2 or values.shape[0] < values.shape[1]:
        raise DataFormatError(
            f"{path}: expected one column per lead and one row per sample, got shape {values.shape}"
        )
    # Complex numbers are numbers too: cast to float64, they lost their imaginary part.
    if not np.issubdtype(values.dtype, np.number) or np.iscomplexobj(values):
        raise DataFormatError(f"{path}: the signal must be real numbers, got {values.dtype}")
    names = names or [str(k + 1) for k in range(values.shape[1])]
    if len(names) != values.shape[1]:
        raise DataFormatError(
            f"{path}: {len(names)} names in the header, {values.shape[1]} columns"
        )
    # A clock never falls, and repeats values where it is written with fewer decimals than
    # its step (seconds to 0.01 at 250 Hz): an ECG column rises and falls.
    increasing = (
        [
            bool(np.all(np.diff(values[:, k]) >= 0) and values[-1, k] > values[0, k])
            for k in range(values.shape[1])
        ]
        if values.shape[0] > 2
        else None
    )
    column = _choose_column(path, names, lead, increasing)
    if fs is not None and increasing is not None:
        _warn_if_clock_disagrees(path, values, names, increasing, column, fs)
    return values[:, column].astype(np.float64), names[column]


def _warn_if_clock_disagrees(
    path: Path, values: np.ndarray, names: list[str], increasing: list[bool], column: int, fs
) -> None:
    """Warn when a clock column's step is no sample of ``fs`` in any unit of time: a 250 Hz
    export read with --fs 500 was classified at twice its heart rate's time scale without a
    word, though its own clock said otherwise."""
    clocks = [k for k in range(len(names)) if k != column and increasing[k]]
    if not clocks:
        return
    k = clocks[0]
    # The mean step: a clock written with fewer decimals than its step repeats values.
    step = (values[-1, k] - values[0, k]) / (values.shape[0] - 1)
    if step == 1.0:
        return  # a sample counter: no unit of time
    if any(np.isclose(unit / step, fs, rtol=0.02) for unit in (1.0, 1e3, 1e6, 1e9)):
        return
    warn_caller(
        f"{path}: column {names[k]!r} steps by {step:.6g} a sample ({1 / step:.6g} Hz if in "
        f"seconds, {1e3 / step:.6g} Hz if in milliseconds), not by a sample of the {fs:g} Hz "
        "given: check the rate (fs=..., --fs)",
        UserWarning,
    )


def _read_csv_columns(path: Path, stream: IO[str]) -> tuple[np.ndarray, list[str] | None]:
    """The numbers of a CSV signal read from ``stream``, and its header's column names (None
    without a header).

    Read line by line, as NumPy parses them: the whole text and a string per line, held at once
    beside the numbers, took about five times their size (a day's Holter export at 1 kHz,
    gigabytes of text, ran out of memory where its numbers fit).

    A first row of the numbers ``0, 1, 2...`` is pandas' header of unnamed columns; ``0`` or
    ``0,1`` (a Series, or two columns) only when the next row is written as floats (``0.25``):
    over whole numbers it may be the first sample, and is read as one, with a warning.

    Lines that start with ``#`` are comments, as NumPy reads the rows; the names may be in the
    last one before the first row (``# MLII,V5``: NumPy's ``savetxt(..., header=...)``) when
    it names as many columns as the rows have.

    Raises
    ------
    DataFormatError
        If a row holds something other than numbers.
    """
    # The header as a comment was read as the names "# MLII" and "V5": lead V5 was classified
    # without a word, and a description above it ("# recorded at 500 Hz") refused the file as
    # "1 names in the header, 2 columns".
    comment, line = None, ""
    for line in stream:  # through the first line that is neither blank nor a comment
        text = line.strip()
        if text.startswith("#"):
            comment = text[1:]
        elif text:
            break
    else:
        line = ""
    first = first_row([line])[1]
    try:
        [float(v) for v in first]
    except ValueError:
        # Single quotes too: PhysioNet's CSV export names its columns 'Elapsed time','MLII'.
        names, rows = [v.strip().strip("\"'") for v in first], _after_units_row(stream)
    else:
        # Numbers; pandas' to_csv names unnamed columns 0, 1, 2...: a header, no names. Else
        # the first row of samples, read as NumPy reads the others (its fields are numbers).
        names = None if comment is None else _commented_names(comment, len(first))
        header = numbered_header(first)
        if not header and numbered_header(first, shortest=1) and all(map(str.isdigit, first)):
            # One or two unnamed columns get the header 0 (0,1) too, as a pandas Series of a
            # lead (to_csv(index=False)) has: read as a sample, it shifted the signal by one.
            # It is told from samples 0 (0,1) by the next row, written as floats are.
            line, read = _next_data_line(stream)
            header = line is not None and _written_as_floats(line)
            stream = itertools.chain(read, stream)
            if not header and read:
                # Over whole numbers (ADC units) it may be either: read as a sample, as any
                # first row of numbers is, but not without a word.
                warn_caller(
                    f"{path}: the first row, {','.join(first)}, is read as the first sample; "
                    "if it is the header that pandas writes over unnamed columns "
                    "(Series.to_csv), name the columns in it (MLII...) or leave it out "
                    "(header=False)",
                    UserWarning,
                )
        rows = stream if header else itertools.chain([",".join(first)], stream)
    try:
        with warnings.catch_warnings():
            # An empty file is refused below, in words; NumPy's warning would say it twice.
            warnings.filterwarnings("ignore", "loadtxt: input contained no data")
            # (A field in double quotes is a field: csv.QUOTE_ALL writes numbers so.)
            values = np.loadtxt(rows, delimiter=",", ndmin=2, quotechar='"')
    except UnicodeDecodeError:
        raise  # a ValueError too, told by the caller as not UTF-8
    except ValueError as exc:
        reason = loadtxt_reason(exc).rstrip(".")
        column = re.search(r"could not convert string .* at row \d+, column (\d+)", str(exc))
        k = int(column.group(1)) - 1 if column else -1
        if names and len(names) > 1 and 0 <= k < len(names) and _is_clock(names[k]):
            # Devices write the clock as a date and time: the column, not the file, is the
            # problem, and the rate that ecgbeat reads instead is the caller's. (One name is
            # a file of another separator, "Time\tII", whose whole header is that name.)
            reason += (
                f"; column {names[k]!r} is a clock written as text: leave it out, ecgbeat "
                "reads the samples' times from the sampling rate"
            )
        raise DataFormatError(
            f"{path}: not a CSV of numbers, one column per lead ({reason})"
        ) from exc
    return values, names


def _after_units_row(stream: Iterable[str]) -> Iterable[str]:
    """The rows after a CSV's header, without a row of units under the names (PhysioNet's
    export writes 'seconds','mV' there): a row without a digit is no samples, and was refused
    as "could not convert string 'seconds'"."""
    line, read = _next_data_line(stream)
    # (Not "nan,nan": a sample without a value is refused as one.)
    if (
        line is not None
        and any(first_row([line])[1])
        and not re.search(r"\d|nan|inf", line, re.IGNORECASE)
    ):
        read.pop()  # the row of units
    return itertools.chain(read, stream)


def _next_data_line(stream: Iterable[str]) -> tuple[str | None, list[str]]:
    """The next line of ``stream`` that holds data (neither blank nor a ``#`` comment), None at
    its end, and the lines read up to it, it included: to put back before the rest."""
    read = []
    for line in stream:
        read.append(line)
        if line.strip() and not line.lstrip().startswith("#"):
            return line, read
    return None, read


def _commented_names(comment: str, n_columns: int) -> list[str] | None:
    """The column names in a comment line (without its ``#``), or None when it is no header:
    another number of fields than the rows' columns, numbers, or nothing.

    Examples
    --------
    >>> _commented_names(" MLII,V5", 2), _commented_names(" recorded at 500 Hz", 2)
    (['MLII', 'V5'], None)
    """
    fields = first_row([comment])[1]
    if len(fields) != n_columns or not any(fields):
        return None
    try:
        [float(v) for v in fields]
    except ValueError:
        return [v.strip().strip('"') for v in fields]
    return None


def first_row(lines: Iterable[str]) -> tuple[int, list[str]]:
    """The number of lines before a CSV's first row that is not blank, and that row's fields,
    without the spaces and the double quotes around them (``"0.5"`` is a number, as the rows
    read it; ``"V5, mV"`` is one name, as the csv module writes a name that holds a comma).

    NumPy's ``loadtxt`` skips blank lines among the rows, yet its ``skiprows`` counts them: a
    header after a blank line was read as data. ``(n_lines, [])`` when every line is blank.

    Examples
    --------
    >>> first_row(["", "  ", '"MLII", "V5, mV"', "1,2"])
    (2, ['MLII', 'V5, mV'])
    """
    count = 0
    for count, line in enumerate(lines, start=1):
        if line.strip():
            fields = next(csv.reader([line.strip()], skipinitialspace=True))
            return count - 1, [field.strip() for field in fields]
    return count, []


def loadtxt_reason(exc: ValueError) -> str:
    """NumPy's reason for refusing a CSV, told to the file's reader: the row of a value it
    cannot read counted from 1, as every other message counts rows (NumPy counts those from 0,
    though their columns from 1, and the rows of a changed column count from 1), without its
    advice to Python callers ("use `usecols`...").

    Examples
    --------
    >>> loadtxt_reason(ValueError("could not convert string 'x' to float64 at row 0, column 2."))
    "could not convert string 'x' to float64 at row 1, column 2."
    >>> loadtxt_reason(ValueError("could not convert string '1;2' to float64 at row 0, column 1."))
    "could not convert string '1;2' to float64 at row 1, column 1: the values are separated by ';', and ecgbeat reads them separated by commas"
    """
    reason = str(exc).split("; use `usecols`")[0]
    reason = re.sub(
        r"(could not convert string .* at row )(\d+)(, column \d+)",
        lambda m: f"{m.group(1)}{int(m.group(2)) + 1}{m.group(3)}",
        reason,
    )
    # A file of another separator (a spreadsheet's ';' where the decimal mark is a comma, or a
    # tab) is one field per line: say so, where NumPy only quoted the line.
    # (NumPy cuts a long line short, without its closing quote.)
    value = re.match(r"could not convert string '(.*?)'? to ", reason)
    # NumPy quotes a tab as the two characters \t.
    found = {";": ";", "\\t": "\t", "|": "|"}
    separator = next((c for q, c in found.items() if value and q in value.group(1)), None)
    if separator is not None:
        reason = (
            f"{reason.rstrip('.')}: the values are separated by {separator!r}, and ecgbeat reads "
            "them separated by commas"
        )
    return reason


def numbered_header(fields: Sequence[str], shortest: int = 3) -> bool:
    """Whether a CSV's first row is the column numbers ``0, 1, 2...`` that pandas' ``to_csv``
    writes for unnamed columns (from ``shortest`` columns: shorter rows could be data)."""
    try:
        values = [float(field) for field in fields]
    except ValueError:
        return False
    return len(values) >= shortest and values == list(range(len(values)))


def _written_as_floats(line: str) -> bool:
    """Whether every field of a CSV row is a number written with a point or an exponent, as
    pandas and NumPy write floats (``0.25``, ``1e-05``), not as a whole number (``0``)."""
    fields = first_row([line])[1]
    return bool(fields) and all(re.search(r"[.eE]", field) for field in fields)


_CLOCKS = {"t", "times", "seconds", "s", "sample", "samples", "index", "ms", "elapsed"}


def _column_name(name: str) -> str:
    """A column's name as written, without case, quotes or surrounding spaces."""
    return name.strip().strip("\"'").strip().lower()


def _column_key(name: str) -> str:
    """A column's name as matched: case, quotes and a trailing unit left out (``MLII (mV)``)."""
    return re.sub(r"\s*[(\[][^()\[\]]*[)\]]$", "", _column_name(name)).strip()


def _lead_key(name: str | None) -> str:
    """A lead's name as matched with the leads asked for: a column's key (:func:`_column_key`)
    without a leading ``ECG``, ``EKG`` or ``Lead`` word, so that ``ECG II`` (EDF+'s standard
    label), ``Lead II (mV)`` and ``ECG Lead II`` are lead II."""
    return re.sub(r"^(?:(?:ecg|ekg|lead)[\s_:-]+)+(?=\S)", "", _column_key(name or ""))


def _wanted_leads(lead: str | Sequence[str]) -> list[str]:
    """The leads asked for, in order: a name or names. An empty list was "no lead ;", a number
    a TypeError from ``list()``."""
    wanted = [lead] if isinstance(lead, str) else lead
    if not isinstance(wanted, Sequence | np.ndarray) or not len(wanted):
        raise ValueError(f"lead must be a lead's name or a non-empty list of names, got {lead!r}")
    bad = [w for w in wanted if not isinstance(w, str)]
    if bad:
        raise ValueError(
            f"lead must name leads as text (a column without a name is lead '2'), got {bad[0]!r}"
        )
    return list(wanted)


def _is_clock(name: str) -> bool:
    key = _column_key(name)
    return key in _CLOCKS or key.startswith(("time", "elapsed"))


def _choose_column(
    path: Path,
    names: list[str],
    lead: str | Sequence[str] | None,
    increasing: Sequence[bool] | None = None,
) -> int:
    """Index of the lead to read among ``names`` (see :func:`read_signal_file`).

    ``increasing`` marks the columns whose values never fall: a clock by its values,
    whatever its name."""
    keys = [_column_key(n) for n in names]
    if lead is None:
        lead_keys = [_lead_key(n) for n in names]
        named = [lead_keys.index(w.lower()) for w in DEFAULT_LEADS if w.lower() in lead_keys]
        if named:
            return named[0]
        ecg = [k for k, key in enumerate(keys) if is_ecg_lead(key)]
        if len(ecg) > 1:
            warn_caller(
                f"{path} has none of the leads {', '.join(DEFAULT_LEADS)}; reading "
                f"{names[ecg[0]]!r}, its first ECG lead. Name the lead to read (lead=..., "
                "--lead) if that is not the one",
                UserWarning,
            )
        if ecg:
            return ecg[0]
        signals = [
            k
            for k, n in enumerate(names)
            if not _is_clock(n) and not (increasing is not None and increasing[k])
        ]
        if not signals:
            raise DataFormatError(
                f"{path}: every column is a clock by its name or its values ({', '.join(names)}): "
                "none holds an ECG lead"
            )
        if len(names) > 1:
            warn_caller(
                f"{path}: no column is named as an ECG lead (MLII, II, V5, ECG...); reading "
                f"{names[signals[0]]!r}, the first that is not a clock. Name the lead to read "
                "(lead=..., --lead) if that is not the ECG",
                UserWarning,
            )
        return signals[0]
    wanted = _wanted_leads(lead)
    column = None
    for w in wanted:
        # The name as written first ("II (mV)" beside "II (adu)"), then without its unit, then
        # without a leading ECG or Lead word too, as read_lead matches a record's leads: lead
        # II is the column "ECG II (mV)" that the default choice reads as II.
        for key in (_column_name, _column_key, _lead_key):
            found = [k for k, n in enumerate(names) if key(n) == key(w)]
            if len(found) > 1 and key is not _column_name:
                raise DataFormatError(
                    f"{path}: {w!r} could be any of the columns "
                    f"{', '.join(names[k] for k in found)}; name one as written"
                )
            if found:
                column = found[0]
                break
        if column is not None:
            break
    if column is None:
        raise DataFormatError(
            f"{path} has no column {' or '.join(map(repr, wanted))}; its columns are "
            f"{', '.join(names)}"
        )
    return column


def read_annotations(
    path: str | os.PathLike,
    extension: str,
    n_samples: int,
    name: str | None = None,
    fs: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample indices and symbols of a record's annotations, checked against its length.

    With ``fs``, annotations less than one second past the end of the signal (a beat whose
    signal was cut off, or an end rounded up in a conversion) are left out with a warning that
    counts them; annotations further out, or before the start, mean that the header and the
    annotations disagree, and raise, as does an annotation file that states another sampling
    rate than ``fs``.

    Parameters
    ----------
    path : str or path-like
        Record path without extension.
    extension : str
        The annotation file's extension (``"atr"``).
    n_samples : int
        Length of the record's signal.
    name : str, optional
        Record name for error messages; by default the file name of ``path``.
    fs : float, optional
        Sampling rate of the signal, in Hz.

    Returns
    -------
    samples : ndarray of int64
    symbols : ndarray of str
        wfdb's annotation symbols (``"N"``, ``"V"``, ``"+"``...).

    Examples
    --------
    >>> from ecgbeat.datasets import read_annotations
    >>> samples, symbols = read_annotations("mitdb/100", "atr", 650000)  # doctest: +SKIP
    >>> symbols[:3].tolist()  # doctest: +SKIP
    ['+', 'N', 'N']
    """
    wfdb = import_wfdb()
    path = Path(path)
    name = path.name if name is None else name
    if not re.fullmatch(r"[A-Za-z0-9_]+", str(extension)):
        raise ValueError(
            f"annotations must be the annotation file's extension, such as 'atr' for "
            f"{name}.atr, not a file name or path; got {extension!r}"
        )
    ann_path = path.with_name(f"{path.name}.{extension}")
    if not ann_path.is_file():
        message = f"record {name}: annotation file {ann_path} not found"
        other = _other_case(ann_path)
        if other is not None:  # wfdb opens the extension as given, in its case
            message += (
                f": there is {other.name}; give its extension as it is written, "
                f"{other.name[len(path.name) + 1 :]!r}"
            )
        raise FileNotFoundError(message)
    try:
        ann = wfdb.rdann(str(path), extension)
    except Exception as exc:
        raise DataFormatError(f"record {name}: cannot read annotations {ann_path}: {exc}") from exc
    ann_fs = getattr(ann, "fs", None)
    if fs is not None and ann_fs is not None and not math.isclose(ann_fs, fs, rel_tol=1e-9):
        # An annotation file states the rate its sample numbers count at (wfdb.wrann's fs; the
        # header's when it states none): read at the signal's rate, they marked other moments
        # (at 360 Hz for a lead at 500 Hz: every beat early), without a word while in range.
        raise DataFormatError(
            f"record {name}: {ann_path} places its annotations at {ann_fs:g} Hz, but the "
            f"signal is sampled at {fs:g} Hz: its sample numbers would mark other moments. "
            "Write the annotations at the signal's rate"
        )
    samples = np.asarray(ann.sample, dtype=np.int64)
    symbols = np.asarray(ann.symbol, dtype="U2")
    if samples.size == 0:
        # A record without a single annotation is an empty or damaged file, not a record without
        # beats: loading it silently would drop the record from the data set.
        raise DataFormatError(f"record {name}: annotation file {ann_path} holds no annotations")
    past_end = samples >= n_samples
    if fs is not None and past_end.any() and samples.max() < n_samples + fs:
        warnings.warn(
            f"record {name}: {int(past_end.sum())} annotation(s) of {ann_path.name} after the "
            f"end of the signal ({n_samples} samples) left out",
            UserWarning,
            stacklevel=3,
        )
        samples, symbols = samples[~past_end], symbols[~past_end]
    outside = samples[(samples < 0) | (samples >= n_samples)]
    if outside.size:
        # The first one outside, not the largest: a negative one was reported as the last.
        raise DataFormatError(
            f"record {name}: header and annotations disagree: {ann_path} has an annotation at "
            f"sample {outside[0]} but the signal has {n_samples} samples"
        )
    return samples, symbols
