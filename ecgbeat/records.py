"""Classify every beat of a raw recording: WFDB record -> R peaks -> beats -> a per-beat table.

This is the path a user's own recording takes: read one lead with wfdb, find the R peaks with the
QRS detector (or take them from an annotation file), cut the beats as in Kachuee et al. 2018 and
classify them. The result is a :class:`BeatTable`, one row per beat, that writes itself as CSV.

Examples
--------
>>> import numpy as np
>>> from ecgbeat.records import BeatTable
>>> table = BeatTable(record="100", sample=np.array([370, 662]), fs=360.0,
...                   label=np.array(["N", "N"]), proba=np.array([[0.9, 0.1], [0.8, 0.2]]),
...                   class_names=["N", "V"])
>>> table.time.round(3).tolist()
[1.028, 1.839]
>>> table.counts()
{'N': 2, 'V': 0}
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ecgbeat._atomic import replacing
from ecgbeat._checks import check_flag, check_rate, is_integer, refuse_repeated_names
from ecgbeat._warnings import warn_caller
from ecgbeat.datasets import DEFAULT_LEADS
from ecgbeat.datasets._compressed import (
    COMPRESSED_SUFFIXES,
    decompression_errors,
    is_csv,
    open_text,
    open_text_to_write,
)
from ecgbeat.datasets._records import record_path
from ecgbeat.exceptions import DataFormatError

if TYPE_CHECKING:  # pragma: no cover
    from ecgbeat.classifier import HeartbeatCNNClassifier

__all__ = [
    "DEFAULT_LEADS",
    "DEFAULT_MODEL",
    "BeatTable",
    "beat_cutting",
    "beats_name",
    "check_record_rate",
    "classify_beats",
    "classify_file",
    "classify_record",
    "classify_signal",
    "concat_tables",
    "ectopic_burden",
    "fitted_classifier",
    "input_kind",
    "record_path",
    "resolve_class_names",
    "resolve_normal_class",
    "spreadsheet_text",
    "write_atomic",
    "write_csv",
]

#: The shipped model that classifies recordings by default: trained on all 48 MIT-BIH records
#: with the new-patients recipe (refined R peaks, R-R and template features, validation by
#: record: 201 and 202, one patient, were two groups); its card quotes its DS1 twin's results
#: on new patients.
DEFAULT_MODEL = "mitbih-rhythm-template"


@dataclass
class BeatTable:
    """One row per classified beat of a recording.

    Attributes
    ----------
    record : str
        Record name.
    sample : ndarray of int
        Index of each beat's R peak in the original signal.
    fs : float
        Sampling frequency of the original signal, in Hz.
    label : ndarray
        Predicted class of each beat (names, e.g. ``"N"``, ``"V"``).
    proba : ndarray of shape (n_beats, n_classes)
        Class probabilities; columns follow ``class_names``.
    class_names : list of str
        Names of the probability columns.
    lead : str
        The lead that was classified.
    normal_class : str or None
        The class that counts as normal in the ectopic burden (``"N"`` for the AAMI classes);
        ``None`` when the classifier names none, and then there is no burden.
    reference : ndarray of str or None
        The AAMI class (N, S, V, F, Q) of each beat's reference annotation, when the R peaks
        came from an annotation file (``classify_record(..., annotations="atr")``), empty for
        a beat of no AAMI class (``B``, ``?``, ``n``, ``r``); else None.
        Written as the ``reference`` column of the CSV, beside the prediction.
    readable : ndarray of bool or None
        Whether each beat lies in a stretch of the signal that can be read beat by beat
        (:func:`ecgbeat.quality.readable_beats`); None when not assessed (beats without a
        signal around them, or ``quality=False``). Written as the ``readable`` column (1 or
        0); the ectopic burden counts only readable beats.
    n_samples : int or None
        Length of the recording, in samples; None when unknown (beats without their signal).
    """

    record: str
    sample: np.ndarray
    fs: float
    label: np.ndarray
    proba: np.ndarray
    class_names: list[str]
    lead: str = ""
    extra: dict = field(default_factory=dict)
    normal_class: str | None = "N"
    reference: np.ndarray | None = None
    readable: np.ndarray | None = None
    n_samples: int | None = None

    @property
    def time(self) -> np.ndarray:
        """Time of each R peak in seconds from the start of the recording."""
        return np.asarray(self.sample, dtype=np.float64) / self.fs

    def __len__(self) -> int:
        return len(self.sample)

    def counts(self) -> dict[str, int]:
        """Number of beats predicted in each class.

        Raises
        ------
        ValueError
            If a label is none of ``class_names``: its beats were counted in no class, and the
            ectopic burden left them out without a word.
        """
        self._check_columns()
        labels = self._labels()
        unknown = sorted(set(labels.tolist()) - {str(name) for name in self.class_names})
        if unknown:
            raise ValueError(
                f"table {self.record}: label {unknown[0]!r} is none of the class names "
                f"{[str(name) for name in self.class_names]}: relabel every column alike"
            )
        return self._counts(labels)

    def _check_columns(self) -> None:
        """Raise unless every column has one entry per beat (per ``sample``), and ``proba`` one
        column per class name.

        The columns are plain arrays that can be filtered one by one: a ``label`` filtered and a
        ``sample`` not was counted beat by label (more beats than the table has), written as
        many rows as ``sample`` has (the other labels silently lost), and a ``proba`` of another
        width failed in the middle of a CSV, after the rows of the tables before it.

        Raises
        ------
        ValueError
            Naming the table, the column and both lengths.

        Examples
        --------
        >>> table = BeatTable(record="100", sample=np.array([370, 662]), fs=360.0,
        ...                   label=np.array(["N"]), proba=np.array([[0.9, 0.1]]),
        ...                   class_names=["N", "V"])
        >>> table._check_columns()
        Traceback (most recent call last):
        ...
        ValueError: table 100: label has 1 entries for the 2 beats of sample: filter every column alike
        """
        n_beats = len(self)
        columns = {"label": self.label, "reference": self.reference, "readable": self.readable}
        for column, values in columns.items():
            if values is not None and len(values) != n_beats:
                raise ValueError(
                    f"table {self.record}: {column} has {len(values)} entries for the "
                    f"{n_beats} beats of sample: filter every column alike"
                )
        shape = np.shape(self.proba)
        # No beats: an empty proba of any shape is none.
        if n_beats == 0 and np.size(self.proba) == 0:
            return
        if shape != (n_beats, len(self.class_names)):
            raise ValueError(
                f"table {self.record}: proba has shape {shape}, not one row per beat of sample "
                f"and one column per class name ({n_beats}, {len(self.class_names)})"
            )

    def _labels(self) -> np.ndarray:
        """The labels as an array of text, as :meth:`rows` writes them: a list of labels compared
        with a name is never equal to it, nor is the integer 0 to the class name ``"0"``, and
        every count came out 0."""
        return np.asarray(self.label).astype(str)

    def _counts(self, labels: np.ndarray) -> dict[str, int]:
        return {name: int(np.sum(labels == str(name))) for name in self.class_names}

    def duration(self) -> float:
        """The recording's length in seconds; without it, the time of the last beat (0 without
        beats; NaN for beats without times, whose ``fs`` is NaN)."""
        if self.fs != self.fs:
            return float("nan")
        if self.n_samples is not None:
            return self.n_samples / self.fs
        return float(self.time[-1]) if len(self) else 0.0

    def summary(self) -> dict:
        """Beats per class and the ectopic burden: the share of readable beats not normal.

        ``counts`` are over all beats; ``unreadable_beats`` is how many lie in unreadable
        stretches (None when the table has no ``readable`` marks), and ``readable_counts``
        counts the others per class. The burden is the share of readable beats not in
        ``normal_class``: every other class counts as ectopic (for the AAMI classes: S, V, F
        and Q), and beats found in noise do not. Without a normal class, or without a readable
        beat to count, the burden is ``None`` (a share of no beats is no 0 %); else
        :func:`ectopic_burden`, exact. ``duration_s`` is ``None`` for beats without times
        (a CSV of beats), so that the summary is valid JSON.
        """
        counts = self.counts()  # checks the columns
        readable_counts = counts
        if self.readable is not None:
            readable_counts = self._counts(self._labels()[np.asarray(self.readable, dtype=bool)])
        burden = None
        if self.normal_class is not None:
            if self.normal_class not in self.class_names:
                raise ValueError(
                    f"normal_class {self.normal_class!r} is not one of the classes "
                    f"{self.class_names}"
                )
            n_readable = sum(readable_counts.values())
            if n_readable:
                burden = ectopic_burden(readable_counts[self.normal_class], n_readable)
        return {
            # As text, as rows() writes it: a table named by a path (classify_signal(...,
            # name=Path(...))) gave a summary that json.dumps refused, and one named 100 a
            # number where the CSV has the text "100".
            "record": str(self.record),
            "beats": len(self),
            # NaN is no JSON value: json.dumps would write a NaN that JSON readers refuse.
            "duration_s": None if self.fs != self.fs else round(self.duration(), 1),
            "counts": counts,
            "unreadable_beats": (
                # As booleans, as readable_counts and rows() read them: a mark of 2 (truthy)
                # was counted as two readable beats, and another beat's 0 lost from this count.
                None
                if self.readable is None
                else int(np.count_nonzero(~np.asarray(self.readable, dtype=bool)))
            ),
            "readable_counts": readable_counts,
            "normal_class": self.normal_class,
            "ectopic_burden": burden,
        }

    def rows(self) -> list[dict]:
        """The table as a list of dictionaries (record, sample, time_s, label, p_<class>...).

        ``reference`` follows ``label`` when the table has reference classes, then ``readable``
        (1 or 0) when it has readability marks; ``time_s`` is empty for beats without a time (a
        table of beats from a CSV, whose ``fs`` is NaN).
        """
        self._check_columns()
        rows = []
        for i in range(len(self)):
            row = {
                # str(): a record named by a number (name=100) or a path failed here, at writing.
                "record": spreadsheet_text(str(self.record)),
                "sample": int(self.sample[i]),
                # Beats without R peaks (rows of a CSV of beats, fs NaN) have no time.
                "time_s": round(float(self.sample[i]) / self.fs, 4) if self.fs == self.fs else "",
                "label": spreadsheet_text(str(self.label[i])),
            }
            if self.reference is not None:
                # As the label: a user's table may carry any text here.
                row["reference"] = spreadsheet_text(str(self.reference[i]))
            if self.readable is not None:
                row["readable"] = int(bool(self.readable[i]))
            row.update(
                {
                    f"p_{name}": round(float(p), 6)
                    for name, p in zip(self.class_names, self.proba[i], strict=True)
                }
            )
            rows.append(row)
        return rows

    def to_csv(self, path: str | os.PathLike | io.TextIOBase, *, header: bool = True) -> None:
        """Write the table as CSV to a path (atomically) or an open text stream (:func:`write_csv`)."""
        write_csv([self], path, header=header)


def spreadsheet_text(text: str) -> str:
    """``text`` as a CSV cell that a spreadsheet shows as text, never runs as a formula.

    Class and record names can come from a stranger's model file or file name; a cell that starts
    with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel and
    LibreOffice (CSV injection), so it gets a leading ``'``. Numbers (``-1``, ``+2.5``) stay as
    they are.

    Examples
    --------
    >>> spreadsheet_text("=HYPERLINK(1)"), spreadsheet_text("-1"), spreadsheet_text("N")
    ("'=HYPERLINK(1)", '-1', 'N')
    """
    if not text or text[0] not in "=+-@\t\r":
        return text
    try:
        float(text)
    except ValueError:
        return "'" + text
    return text


def write_atomic(path: Path, write, *, exclusive: bool = False) -> None:
    """Call ``write(stream)`` on a temporary text file beside ``path``, then rename it to ``path``.

    A reader never sees a half-written file, an interrupted run leaves no partial file that looks
    complete, and a failure leaves whatever was at ``path`` as it was. A new file gets the user's
    usual permissions, a replaced one keeps its own, and a symbolic link stays a link to the new
    contents. The text is written as UTF-8, whatever the locale, and compressed when the
    suffix of ``path`` says so (``beats.csv.gz``, ``.bz2``, ``.xz``, ``.lzma``), as ecgbeat
    reads it back; the suffix of another compression (``.zip``, ``.zst``...) is refused
    (pandas and unzip would find no archive in it). With ``exclusive``, only a new file is
    written: a file at ``path`` when the text is complete (one that appeared meanwhile) stays,
    and ``FileExistsError`` is raised (:func:`ecgbeat._atomic.replacing`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.csv"
    >>> write_atomic(target, lambda stream: stream.write("a,b"))
    >>> target.read_text()
    'a,b'
    """
    # UTF-8, as ecgbeat reads CSV files: in the locale's encoding a record or class name such as
    # "José" failed to write under an ASCII locale (UnicodeEncodeError), and was written in
    # cp1252 on Windows, which a UTF-8 reader garbles.
    # Compressed as the name says: plain text under a .gz name was written without a word, and
    # read_beats_csv, gzip and pandas then refused it as no gzip data.
    _refuse_unwritten_compression(path)
    with (
        replacing(path, exclusive=exclusive) as tmp,
        open_text_to_write(tmp, compress_as=path) as stream,
    ):
        write(stream)


#: Suffixes of compression formats that ecgbeat does not write (pandas reads them as such).
_UNWRITTEN_COMPRESSION = (".zip", ".zst", ".7z", ".tar", ".tgz")


def _refuse_unwritten_compression(path: str | os.PathLike) -> None:
    """Refuse a file name that says a compression ecgbeat does not write (``beats.csv.zip``).

    Such a file got plain text under its name without a word, which pandas (that infers the
    compression from the name), unzip and ecgbeat itself then refused as no archive.

    Raises
    ------
    ValueError
        Naming the file, its suffix and the suffixes that are written compressed.

    Examples
    --------
    >>> _refuse_unwritten_compression("beats.csv.gz")
    >>> _refuse_unwritten_compression("beats.csv.zip")
    Traceback (most recent call last):
    ...
    ValueError: beats.csv.zip: ecgbeat does not write .zip files; name it .csv, or .csv.gz, .csv.bz2, .csv.xz or .csv.lzma to compress it
    """
    suffix = Path(path).suffix.lower()
    if suffix in _UNWRITTEN_COMPRESSION:
        raise ValueError(
            f"{path}: ecgbeat does not write {suffix} files; name it .csv, or "
            f"{', '.join('.csv' + s for s in COMPRESSED_SUFFIXES[:-1])} or "
            f".csv{COMPRESSED_SUFFIXES[-1]} to compress it"
        )


def ectopic_burden(n_normal: int, n_beats: int) -> float:
    """The share of beats that are not normal: ``1 - n_normal / n_beats`` (0 without beats).

    The exact share, not rounded: whoever displays it rounds it once (rounding here and again for
    display would turn 0.822545 into 82.2 % instead of 82.3 %).

    Raises
    ------
    ValueError
        If either count is not an integer >= 0, or ``n_normal`` exceeds ``n_beats``.

    Examples
    --------
    >>> ectopic_burden(90, 120), ectopic_burden(0, 0)
    (0.25, 0.0)
    """
    # Counts swapped or from different tables gave a share below 0 (ectopic_burden(130, 120)
    # was -0.083) or past 1 (a negative count), which no burden can be.
    for name, count in (("n_normal", n_normal), ("n_beats", n_beats)):
        if not (is_integer(count) and count >= 0):
            raise ValueError(f"{name} must be a count of beats, an integer >= 0, got {count!r}")
    if n_normal > n_beats:
        raise ValueError(
            f"n_normal ({n_normal}) exceeds n_beats ({n_beats}): the normal beats are some of "
            "the beats"
        )
    return 1.0 - n_normal / n_beats if n_beats else 0.0


def write_csv(
    tables: Iterable[BeatTable],
    destination: str | os.PathLike | io.TextIOBase,
    *,
    header: bool = True,
) -> None:
    """Write tables as one CSV: one header line, then every table's rows, table after table.

    The columns are ``record, sample, time_s, label``, then ``reference`` when any table has
    reference classes, ``readable`` when any has readability marks, then ``p_<class>`` for every
    class of any table (empty where a table lacks it). A path is written atomically (:func:`write_atomic`): an existing file is replaced only
    by a complete one; a path ending in ``.gz``, ``.bz2`` or ``.xz`` is compressed so.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> table = BeatTable(record="100", sample=np.array([370]), fs=360.0, label=np.array(["N"]),
    ...                   proba=np.array([[0.9, 0.1]]), class_names=["N", "V"])
    >>> stream = io.StringIO()
    >>> write_csv([table], stream)
    >>> print(stream.getvalue(), end="")
    record,sample,time_s,label,p_N,p_V
    100,370,1.0278,N,0.9,0.1
    """
    # Read three times (names, columns, rows): a generator of tables, read up by the first,
    # wrote a header and not one row.
    tables = list(tables)
    for table in tables:
        # Two p_<name> columns of one name: one class's probabilities would be lost. As text,
        # as the columns are named: classes 1 and "1" wrote p_1 twice, both with one's values.
        refuse_repeated_names(
            [str(name) for name in table.class_names], f"table {table.record}'s class names"
        )
        # Every table before any row: a stream is written as it goes, and a table out of step
        # found at its turn left the rows of the tables before it, as if they were all.
        table._check_columns()
    if isinstance(destination, (str, os.PathLike)):
        write_atomic(Path(destination), lambda stream: write_csv(tables, stream, header=header))
        return
    fields = ["record", "sample", "time_s", "label"]
    if any(table.reference is not None for table in tables):
        fields.append("reference")  # the annotation's class, beside the prediction
    if any(table.readable is not None for table in tables):
        fields.append("readable")
    for table in tables:
        fields += [f"p_{n}" for n in table.class_names if f"p_{n}" not in fields]
    writer = csv.DictWriter(destination, fieldnames=fields, lineterminator="\n")
    if header:
        writer.writeheader()
    for table in tables:
        writer.writerows(table.rows())


def concat_tables(tables: Sequence[BeatTable]) -> list[dict]:
    """Rows of several tables, one after the other."""
    return [row for table in tables for row in table.rows()]


def classify_record(
    record: str | os.PathLike,
    classifier: HeartbeatCNNClassifier | str = DEFAULT_MODEL,
    *,
    lead: str | Sequence[str] | None = None,
    annotations: str | None = None,
    detector: str = "pan-tompkins",
    refine_radius: float | str | None = "model",
    class_names: Sequence[str] | None = None,
    normal_class: str | None = None,
    quality: bool = True,
) -> BeatTable:
    """Classify every beat of a WFDB record.

    Parameters
    ----------
    record : str or path-like
        Path of the record without extension (``data/100`` for ``data/100.hea`` and ``.dat``);
        its header's path (``data/100.hea``) is taken as the record.
    classifier : HeartbeatCNNClassifier or str, default=DEFAULT_MODEL
        A fitted classifier, or the name of a pretrained model; by default
        :data:`DEFAULT_MODEL`, the model for new patients' recordings.
    lead : str, sequence of str or None, default=None
        The lead to classify, or names tried in order. None: :data:`DEFAULT_LEADS` (the lead
        the shipped models were trained on first), then the record's first ECG lead (``ECG1``,
        ``V2``...), with a warning that names it.
    annotations : str, optional
        Extension of an annotation file (e.g. ``"atr"``) whose beat annotations give the R peaks
        (and each beat's ``reference`` class in the table: empty for the beats that the AAMI
        table leaves out, :data:`ecgbeat.datasets.UNCLASSED_BEAT_SYMBOLS`); by default the QRS
        detector finds them.
    detector : str, default="pan-tompkins"
        QRS detector when ``annotations`` is not given (see :func:`ecgbeat.qrs.detect_r_peaks`);
        another than the default beside ``annotations``, which give the R peaks, is refused.
    refine_radius : float, None or "model", default="model"
        Move each R peak to the dominant extremum within this many seconds before cutting its
        beat (:func:`ecgbeat.beats.cut_beats`). ``"model"``: as the classifier's training beats
        were cut, which its model card records (none for a model without a card).
    class_names : sequence of str, optional
        Names of the classifier's classes; by default the model card's ``target_names`` for a
        pretrained model, else the classes themselves.
    normal_class : str, optional
        The class (by name; a class that is not text, such as ``0`` of integer classes, by its
        text) that is normal in the ectopic burden; by default the model card's
        ``normal_class`` (with ``class_names``, the name given to that class), else ``"N"`` when there is a class of that name, else none (the
        summary then has no burden).
    quality : bool, default=True
        Mark the beats of stretches too noisy to read (:func:`ecgbeat.quality.window_quality`
        around the R peaks; with the default detector, around every peak it found, as its last
        step saw them): the table's ``readable`` column, and the ectopic burden counts only
        readable beats; a warning when over half the beats are marked (the thresholds, set on
        clean MLII leads, also mark clean stretches of other leads and of paced recordings).
        False: every beat counts, and the table has no marks.

    Returns
    -------
    BeatTable
        One row per beat.

    Raises
    ------
    SignalError
        If the lead has samples without a value: a gap between the segments of a multi-segment
        record, or samples the record marks invalid.
    DataFormatError
        If the record's files do not match its header, or the annotations do not match the
        signal (beyond its end) or are not one per beat (a beat marked twice, out of order).

    Examples
    --------
    >>> from ecgbeat.records import classify_record
    >>> table = classify_record("path/to/mitdb/100")  # doctest: +SKIP
    >>> table.summary()["counts"]  # doctest: +SKIP
    {'N': 2237, 'S': 33, 'V': 1, 'F': 0, 'Q': 0}
    """
    from ecgbeat.beats import check_refine_radius
    from ecgbeat.datasets import read_annotations, read_lead
    from ecgbeat.datasets._records import refuse_gaps

    check_refine_radius(refine_radius, model=True)  # before the record is read
    check_flag(quality, "quality")
    if annotations is not None:
        from ecgbeat.beats import refuse_detector_beside_r_peaks

        refuse_detector_beside_r_peaks(detector, f"annotations={annotations!r}")
    path = record_path(record)
    name = path.name
    signal, fs, lead_name, _ = read_lead(path, lead, name)
    refuse_gaps(
        signal,
        fs,
        lead_name,
        name,
        "Only a continuous lead can be classified: classify its valid stretches apart "
        "(ecgbeat.datasets.read_lead, then classify_signal on each; their samples count from "
        "each stretch's start)",
    )
    r_peaks = reference = None
    if annotations is not None:
        from ecgbeat.datasets import AAMI_CLASSES, AAMI_SYMBOLS, UNCLASSED_BEAT_SYMBOLS

        samples, symbols = read_annotations(path, annotations, len(signal), name, fs)
        # Every beat is an R peak, with or without an AAMI class: a beat left out would make
        # its neighbours' R-R intervals span it, as if the heart had paused.
        is_beat = np.isin(symbols, [*AAMI_SYMBOLS, *UNCLASSED_BEAT_SYMBOLS])
        r_peaks = samples[is_beat]
        _refuse_repeated_beats(r_peaks, symbols[is_beat], f"{path.name}.{annotations}", name)
        reference = np.array(
            [AAMI_CLASSES[AAMI_SYMBOLS[s]] if s in AAMI_SYMBOLS else "" for s in symbols[is_beat]],
            dtype=str,
        )
    table = classify_signal(
        signal,
        fs,
        classifier,
        r_peaks=r_peaks,
        detector=detector,
        refine_radius=refine_radius,
        class_names=class_names,
        normal_class=normal_class,
        name=name,
        lead=lead_name,
        quality=quality,
    )
    if reference is not None:
        # Beat i is cut at annotated beat i; the last annotated beat has no beat of its own.
        table.reference = reference[: len(table)]
    return table


def _refuse_repeated_beats(samples: np.ndarray, symbols: np.ndarray, file: str, name: str) -> None:
    """Refuse beat annotations that are not one per R peak, in time order.

    An annotation file may mark one beat twice (on each of two channels, or by two annotators)
    or list its annotations out of order; the R peaks taken from it were refused as
    ``r_peaks must be strictly increasing``, a parameter the caller never gave, naming neither
    the annotation file nor the sample.

    Raises
    ------
    DataFormatError
        Naming the record, the annotation file, the samples and their symbols.

    Examples
    --------
    >>> _refuse_repeated_beats(np.array([10, 300, 300]), np.array(["N", "N", "V"]), "r.atr", "r")
    Traceback (most recent call last):
    ...
    ecgbeat.exceptions.DataFormatError: record r: annotation file r.atr marks the beat at sample 300 twice ('N' and 'V'; one annotation per channel or annotator?): give an annotation file of one beat annotation per R peak
    """
    steps = np.diff(samples)
    if not np.any(steps <= 0):
        return
    k = int(np.flatnonzero(steps <= 0)[0])
    first, then = int(samples[k]), int(samples[k + 1])
    if first == then:
        problem = (
            f"marks the beat at sample {first} twice ({str(symbols[k])!r} and "
            f"{str(symbols[k + 1])!r}; one annotation per channel or annotator?)"
        )
    else:
        problem = f"lists its beat annotations out of order (sample {then} after sample {first})"
    raise DataFormatError(
        f"record {name}: annotation file {file} {problem}: give an annotation file of one beat "
        "annotation per R peak"
    )


def classify_signal(
    signal,
    fs: float,
    classifier: HeartbeatCNNClassifier | str = DEFAULT_MODEL,
    *,
    r_peaks=None,
    detector: str = "pan-tompkins",
    refine_radius: float | str | None = "model",
    class_names: Sequence[str] | None = None,
    normal_class: str | None = None,
    name: str = "signal",
    lead: str = "",
    quality: bool = True,
) -> BeatTable:
    """Classify every beat of one ECG lead given as an array, at any sampling rate.

    The same steps as :func:`classify_record` (R peaks, beats cut as the classifier's training
    beats were, R-R features where the classifier takes them), for a signal from anywhere: a
    CSV or NumPy export, an EDF file read by another library, a device's stream.

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        One lead, in any unit (beats are scaled to [0, 1] as they are cut).
    fs : float
        Its sampling frequency in Hz (40 Hz or more; beats are resampled to 125 Hz).
    classifier : HeartbeatCNNClassifier or str, default=DEFAULT_MODEL
        A fitted classifier, or the name of a pretrained model.
    r_peaks : array-like of int, optional
        R-peak sample indices (e.g. from annotations); by default ``detector`` finds them.
    detector, refine_radius, class_names, normal_class, quality
        As in :func:`classify_record`.
    name : str, default="signal"
        The table's record name, also used in error messages.
    lead : str, default=""
        The lead's name, recorded in the table.

    Returns
    -------
    BeatTable
        One row per beat.

    Examples
    --------
    >>> import numpy as np
    >>> from ecgbeat.records import classify_signal
    >>> fs = 500
    >>> t = np.arange(30 * fs) / fs
    >>> ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 30, 0.8))
    >>> table = classify_signal(ecg, fs, "mitbih")
    >>> len(table), table.fs
    (36, 500.0)
    """
    from ecgbeat.beats import (
        check_refine_radius,
        cut_beats,
        feature_rows,
        refuse_detector_beside_r_peaks,
    )
    from ecgbeat.qrs import detect_r_peaks, pan_tompkins_marked
    from ecgbeat.quality import window_quality
    from ecgbeat.signals import check_r_peaks, check_signal

    check_refine_radius(refine_radius, model=True)  # before the model loads
    quality = check_flag(quality, "quality")
    if r_peaks is not None:
        refuse_detector_beside_r_peaks(detector, "r_peaks", name)
    classifier = fitted_classifier(classifier)
    # Told before the R peaks are found and the beats cut: a wrong class_names or normal_class
    # was refused only after that work, seconds on a long recording.
    names = resolve_class_names(classifier, class_names)
    resolve_normal_class(classifier, names, normal_class)
    cut = beat_cutting(classifier)
    features = {key: cut.pop(key) for key in ("rhythm", "template", "zscores")}
    if refine_radius != "model":
        cut["refine_radius"] = refine_radius
    signal, fs = check_signal(signal, fs, name=name)
    marks = None
    given = r_peaks is not None
    if given:
        # Checked before the heart-rate warning reads their intervals: repeated peaks (a median
        # interval of 0) divided by zero there, and unordered ones warned of a negative rate.
        r_peaks = check_r_peaks(r_peaks, signal.size, name)
    elif quality and detector == "pan-tompkins":
        # The detector's quality check marks the beats too (one check, not two).
        r_peaks, marks = pan_tompkins_marked(signal, fs)
    else:
        # Found here, not in cut_beats, so that the quality check sees every peak: the last one
        # has no beat of its own, but its QRS complex is no noise.
        r_peaks = detect_r_peaks(signal, fs, method=detector)
    _warn_if_implausible_rate(r_peaks, fs, name, given=given)
    segments, rr = cut_beats(signal, fs, r_peaks, name=name, **cut)
    X = feature_rows(segments.beats, rr, **features)
    table = classified_table(
        X,
        classifier,
        names,
        normal_class,
        record=name,
        sample=segments.r_peaks,
        fs=float(fs),
        lead=lead,
        n_samples=len(signal),
    )
    if quality:
        if marks is None:
            marks = window_quality(signal, fs, r_peaks)
        table.readable = marks.readable_at(segments.r_peaks)
        _warn_if_mostly_unreadable(table.readable, name)
    return table


#: Above this share of a recording's beats marked unreadable, the user is told why it may be.
MOSTLY_UNREADABLE = 0.5


def _warn_if_mostly_unreadable(readable: np.ndarray, name: str) -> None:
    """Warn when most beats of a recording lie in stretches marked unreadable: either the
    recording is that noisy, or the quality thresholds, set on clean MLII leads, do not suit its
    lead (on clean MIT-BIH records they mark all of V1 in 101 and 122, and most of the paced
    102's and 104's V2 and 102's V5: ``benchmarks.quality_by_lead``). The burden then counts a
    few beats, and the summary alone does not say why."""
    unreadable = 1 - float(np.mean(readable)) if readable.size else 0.0
    if unreadable > MOSTLY_UNREADABLE:
        warn_caller(
            f"{name}: {unreadable:.0%} of the beats lie in stretches marked unreadable, and the "
            "ectopic burden counts only the others. The quality thresholds were set on clean "
            "MLII leads: on other leads (V1, V2, V5) and on paced recordings they also mark "
            "clean stretches. If this recording is clean, classify it without the marks "
            "(quality=False; ecgbeat predict --no-quality)",
            UserWarning,
        )


#: Heart rates (beats a minute, the median over a recording) beyond which fs is likely wrong.
PLAUSIBLE_HEART_RATES = (30.0, 300.0)


def _warn_if_implausible_rate(r_peaks, fs: float, name: str, *, given: bool = False) -> None:
    """Warn when the R peaks come at a heart rate no recording has: a signal given a wrong
    sampling rate (a 360 Hz export read at 125 Hz beats at 25 a minute) is classified as
    plausible-looking nonsense, since the rate is the one thing the file does not say. Warn
    too when there is no R peak at all, or one: an empty table would look like a recording
    without beats. ``given``: the R peaks came from the caller (``r_peaks``) or the annotations,
    not the detector, whose causes the warning then does not suggest."""
    r_peaks = np.asarray(r_peaks)
    if given and r_peaks.size < 2:
        warn_caller(
            # Said of both sources: "in the annotations" was said of the r_peaks of a caller
            # of classify_signal, who gave no annotations.
            f"{name}: {'no R peak' if r_peaks.size == 0 else 'one R peak only'} given (r_peaks, "
            "or the beat symbols of the annotations), so no beat to classify (a beat needs the "
            "next R peak)",
            UserWarning,
        )
    elif r_peaks.size == 0:
        warn_caller(
            f"{name}: no R peak found, so no beat to classify (a flat signal, another lead, "
            "or the wrong sampling rate?)",
            UserWarning,
        )
    elif r_peaks.size == 1:
        # A beat is cut from its R peak to the next one's: the one peak gives none, and the
        # empty table came without a word.
        warn_caller(
            f"{name}: one R peak only, so no beat to classify (a beat needs the next R peak): "
            "a recording of a few seconds, a flat signal, or another lead?",
            UserWarning,
        )
    if r_peaks.size < 10:
        return
    rate = 60.0 * fs / float(np.median(np.diff(r_peaks)))
    low, high = PLAUSIBLE_HEART_RATES
    if not low <= rate <= high:
        warn_caller(
            f"{name}: the R peaks come {rate:.0f} times a minute (median), outside "
            f"{low:.0f}-{high:.0f}: is the sampling rate right? ({fs:g} Hz was given)",
            UserWarning,
        )


def classify_beats(
    beats,
    classifier: HeartbeatCNNClassifier | str | os.PathLike = "mitbih",
    *,
    name: str = "beats",
    class_names: Sequence[str] | None = None,
    normal_class: str | None = None,
) -> BeatTable:
    """Classify beats that were cut already (rows of a CSV, the reference 187-sample format).

    Such beats have no recording around them: the table's ``sample`` is the row number, its
    ``fs`` is NaN and its times are empty. Without R-R intervals the default is ``"mitbih"``, the
    model of beats alone.

    Parameters
    ----------
    beats : array-like of shape (n_beats, n_samples)
        One beat per row, as the classifier takes them (``n_features_in_`` samples).
    classifier : HeartbeatCNNClassifier, str or path-like, default="mitbih"
        A fitted classifier, or the name or ``.keras`` file of a pretrained model. Any other
        fitted classifier with ``predict_proba`` and ``classes_`` and one output per beat (a
        scikit-learn classifier fitted on such rows, a
        :class:`~ecgbeat.low_latency.LowLatencyPredictor`; not a multi-output one, which is
        refused) classifies them too;
        without a model card its classes are named as text (``"0"``, ``"1"``...) unless
        ``class_names`` names them.
    name : str, default="beats"
        The table's record name.
    class_names, normal_class
        As in :func:`classify_record`.

    Returns
    -------
    BeatTable
        One row per beat.

    Examples
    --------
    >>> from ecgbeat.datasets import load_sample
    >>> from ecgbeat.records import classify_beats
    >>> table = classify_beats(load_sample().data[:3])
    >>> table.label.tolist(), table.rows()[0]["time_s"]
    (['N', 'N', 'N'], '')
    """
    classifier = fitted_classifier(classifier)
    # Told before the beats are classified (seconds for many), as classify_signal tells them:
    # a wrong normal_class was refused only once every beat had been through the network.
    names = resolve_class_names(classifier, class_names)
    resolve_normal_class(classifier, names, normal_class)
    beats = np.asarray(beats, dtype=np.float32)
    n_features = getattr(classifier, "n_features_in_", None)
    if len(beats) == 0 and (
        beats.ndim != 2 or (n_features is not None and beats.shape[1] != n_features)
    ):
        # With rows the classifier refuses another shape; without, an empty table came back
        # for beats of any shape, as if the right ones had held no beat.
        raise ValueError(
            f"{name}: beats must be an array of shape (n_beats, {n_features}), one beat of "
            f"{n_features} samples per row; got shape {beats.shape}"
        )
    return classified_table(
        beats,
        classifier,
        names,
        normal_class,
        record=name,
        sample=np.arange(len(beats)),
        fs=float("nan"),
        lead="",
    )


def beats_name(path: str | os.PathLike) -> str:
    """The record name of a CSV of beats: its name without ``.csv`` (nor ``.csv.gz``...).

    Examples
    --------
    >>> beats_name("data/beats.csv"), beats_name("data/mitbih_test.csv.gz")
    ('beats', 'mitbih_test')
    """
    path = Path(path)
    return Path(path.stem).stem if path.suffix.lower() in COMPRESSED_SUFFIXES else path.stem


def input_kind(path: str | os.PathLike, fs: float | None = None) -> str:
    """What a file holds, as :func:`classify_file` reads it: ``"record"``, ``"signal"``, ``"beats"``.

    An EDF or ``.npy`` file is a signal; a CSV is a signal (one column per lead) when its
    sampling rate ``fs`` is given, else a table of beats (one per row; also compressed,
    ``beats.csv.gz``, as :func:`ecgbeat.datasets.read_beats_csv` reads it); anything else is a
    WFDB record (its path without extension, or its ``.hea`` file).

    Examples
    --------
    >>> [input_kind(p) for p in ("mitdb/100", "mitdb/100.hea", "holter.edf", "beats.csv")]
    ['record', 'record', 'signal', 'beats']
    >>> input_kind("lead.csv", fs=500), input_kind("beats.csv.gz")
    ('signal', 'beats')
    """
    suffix = Path(path).suffix.lower()
    if suffix in (".edf", ".npy") or (is_csv(path) and fs is not None):
        return "signal"
    # beats.csv.gz is no record named beats.csv: read_beats_csv decompresses it.
    return "beats" if is_csv(path) else "record"


def check_record_rate(record: str | os.PathLike, fs: float | None) -> None:
    r"""Refuse a sampling rate given for a WFDB record other than its header's, as for an EDF
    file: a rate given otherwise than the file's own is a mistake.

    Only the header is read, so that the mistake is told before the record is classified.

    Parameters
    ----------
    record : str or path-like
        The record (without extension, or its ``.hea`` file), as named in the message.
    fs : float or None
        The rate given; ``None`` (none given) always passes, without reading the header.

    Raises
    ------
    ValueError
        If ``fs`` is not a finite number of Hz > 0 (told before the header is read).
    DataFormatError
        If ``fs`` differs from the rate of the record's header, or the header cannot be read.
    FileNotFoundError
        If ``fs`` is given and the record has no header.
    ImportError
        If ``fs`` is given and wfdb (``pip install ecgbeat[data]``) is missing.

    Examples
    --------
    >>> import os, tempfile
    >>> record = os.path.join(tempfile.mkdtemp(), "100")
    >>> with open(record + ".hea", "w") as f:
    ...     _ = f.write("100 1 360 650000\n100.dat 212 200 11 1024 995 -22131 0 MLII\n")
    >>> check_record_rate(record, 360)
    >>> check_record_rate(record, 250)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecgbeat.exceptions.DataFormatError: .../100: the record's header samples it at 360 Hz, not at the 250 Hz given: leave the rate out for WFDB records
    """
    if fs is None:
        return
    # As for a signal's rate: text failed in np.isclose with a UFuncTypeError naming neither
    # fs nor the record, and True was compared as 1 Hz.
    fs = check_rate(fs)
    from ecgbeat.datasets import read_header

    header_fs = float(read_header(record).fs)
    if not np.isclose(fs, header_fs):
        raise DataFormatError(
            f"{record}: the record's header samples it at {header_fs:g} Hz, not at the "
            f"{fs:g} Hz given: leave the rate out for WFDB records"
        )


def classify_file(
    path: str | os.PathLike,
    classifier: HeartbeatCNNClassifier | str | None = None,
    *,
    fs: float | None = None,
    lead: str | Sequence[str] | None = None,
    annotations: str | None = None,
    detector: str = "pan-tompkins",
    class_names: Sequence[str] | None = None,
    normal_class: str | None = None,
    quality: bool = True,
) -> BeatTable:
    """Classify every beat of a file, whatever it holds (see :func:`input_kind`).

    A WFDB record goes through :func:`classify_record`, a signal file (EDF; CSV or ``.npy`` at
    ``fs``) through :func:`ecgbeat.datasets.read_signal` and :func:`classify_signal`, a CSV of
    beats through :func:`ecgbeat.datasets.read_beats_csv` and :func:`classify_beats`. This is what
    ``ecgbeat predict`` does with each of its inputs.

    Parameters
    ----------
    path : str or path-like
        A WFDB record (without extension, or its ``.hea`` file), an EDF file, a CSV or ``.npy``
        signal (with ``fs``), or a CSV of beats (without ``fs``).
    classifier : HeartbeatCNNClassifier, str or None, default=None
        A fitted classifier or a pretrained model's name. None: :data:`DEFAULT_MODEL` for
        recordings, ``"mitbih"`` for beats (which carry no R-R intervals).
    fs : float, optional
        Sampling rate of a CSV or ``.npy`` signal in Hz. A WFDB record and an EDF file state
        their own; a different ``fs`` is refused.
    lead, annotations, detector, class_names, normal_class, quality
        As in :func:`classify_record` (``annotations`` for WFDB records only; ``lead``,
        ``detector`` and ``quality`` for recordings: beats from a CSV are cut already, and have
        no signal around them to assess).

    Returns
    -------
    BeatTable
        One row per beat.

    Raises
    ------
    ValueError
        If ``annotations`` is given for a file that is not a WFDB record, ``lead`` or another
        ``detector`` than the default for a CSV of beats, ``fs`` for a WFDB record or EDF file
        that states another rate, or a classifier that reads R-R features or beats that start
        before the R peak for a CSV of beats.

    Warns
    -----
    UserWarning
        For a CSV of beats and a classifier that cuts its beats at refined R peaks: they are
        classified as given.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from ecgbeat.datasets import load_sample
    >>> path = os.path.join(tempfile.mkdtemp(), "beats.csv")
    >>> np.savetxt(path, load_sample().data[:2], delimiter=",")
    >>> classify_file(path).label.tolist()
    ['N', 'N']
    """
    path = Path(path)
    # Checked for every kind: a CSV of beats takes no quality marks, but quality="no" (truthy
    # text) passed there silently, where a recording refuses it.
    check_flag(quality, "quality")
    kind = input_kind(path, fs)
    if kind == "record":
        check_record_rate(path, fs)
        return classify_record(
            record_path(path),
            DEFAULT_MODEL if classifier is None else classifier,
            lead=lead,
            annotations=annotations,
            detector=detector,
            class_names=class_names,
            normal_class=normal_class,
            quality=quality,
        )
    if annotations is not None:
        raise ValueError(
            f"{path}: annotations come from WFDB annotation files; a {kind} file has none"
        )
    if kind == "signal":
        from ecgbeat.datasets import read_signal

        signal, signal_fs, lead_name = read_signal(path, lead, fs)
        return classify_signal(
            signal,
            signal_fs,
            DEFAULT_MODEL if classifier is None else classifier,
            detector=detector,
            class_names=class_names,
            normal_class=normal_class,
            name=path.name,
            lead=lead_name,
            quality=quality,
        )
    from ecgbeat.datasets import read_beats_csv

    # As 'ecgbeat predict --lead/--detector' with beats alone: ignored, the user would believe
    # the beats read from that lead, or cut at that detector's R peaks (the default detector
    # cannot be told from one not given).
    for parameter, given in (("lead", lead is not None), ("detector", detector != "pan-tompkins")):
        if given:
            raise ValueError(
                f"{path}: {parameter} applies to records and signal files, and a CSV of beats "
                "holds beats cut already (give fs if the CSV is a signal, one column per lead): "
                f"leave {parameter} out"
            )
    classifier = fitted_classifier("mitbih" if classifier is None else classifier)
    n_rr = int(_parameters(classifier).get("n_rr_features", 0))
    if n_rr:
        # As 'ecgbeat train' and 'evaluate' refuse such a model for a CSV, before reading it:
        # read_beats_csv would call its rows beats of n_features_in_ samples.
        raise ValueError(
            f"{path}: the model reads {n_rr} R-R interval features after each beat, and a CSV "
            "of beats has no recording to take R-R intervals from: classify it with a model "
            "of beats alone, such as 'mitbih'"
        )
    cutting = beat_cutting(classifier)
    if cutting["before_r"]:
        # As 'ecgbeat evaluate' and 'demo' refuse such a model for beats cut at their R peak:
        # it classified them shifted by its before_r, without a word.
        raise ValueError(
            f"{path}: the model reads beats that start {cutting['before_r']:g} s before the R "
            "peak (its card), and a CSV of beats holds beats cut already: classify the "
            "recording they were cut from, or the beats with a model of beats cut at the R peak"
        )
    if cutting["refine_radius"] is not None:
        # Not refused: beats cut elsewhere may be cut well; but the user must know.
        warn_caller(
            f"{path}: the model cuts its beats at R peaks refined within "
            f"{cutting['refine_radius']:g} s (its card); a CSV holds beats cut already, which "
            "ecgbeat cannot refine: they are classified as given",
            UserWarning,
        )
    # Before the file is read, as for a recording.
    resolve_normal_class(classifier, resolve_class_names(classifier, class_names), normal_class)
    try:
        beats = read_beats_csv(path, classifier.n_features_in_)
    except DataFormatError as exc:
        raise DataFormatError(f"{exc}{_not_beats_hint(path, classifier)}") from exc
    return classify_beats(
        beats,
        classifier,
        name=beats_name(path),
        class_names=class_names,
        normal_class=normal_class,
    )


def _not_beats_hint(path: Path, classifier) -> str:
    """What a CSV that failed to read as beats may be instead, for its error: a signal given
    without its rate reads as rows of a few values, not beats of ``n_features_in_``."""
    if not is_csv(path):
        return ""
    try:
        with decompression_errors(path), open_text(path, errors="replace") as stream:
            n_columns = len(stream.readline().split(","))
    except (OSError, DataFormatError):  # a damaged file: its own error says so
        return ""
    if n_columns >= classifier.n_features_in_:
        return ""
    return (
        "; without a sampling rate a CSV holds beats, one per row: for a signal, one column "
        "per lead, give its rate (fs=..., --fs HZ)"
    )


def fitted_classifier(
    classifier: HeartbeatCNNClassifier | str | os.PathLike,
) -> HeartbeatCNNClassifier:
    """``classifier`` itself, or the pretrained model it names (a name or a ``.keras`` path,
    as text or path-like).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``classifier`` is an estimator that is not fitted.
    TypeError
        If ``classifier`` is neither a name nor a path nor a classifier (no ``predict_proba``),
        or has no ``classes_``.
    ValueError
        If ``classifier`` predicts several outputs per beat (a multi-output classifier).

    Examples
    --------
    >>> fitted_classifier("mitbih").classes_.tolist()
    [0, 1, 2, 3, 4]
    """
    # A pathlib.Path too: it came back as the classifier, and failed later on its missing
    # classes_ (an AttributeError naming neither the path nor the parameter).
    if isinstance(classifier, (str, os.PathLike)):
        from ecgbeat.classifier import HeartbeatCNNClassifier

        return HeartbeatCNNClassifier.from_pretrained(classifier)
    # An unfitted estimator (or None) failed later with "object has no attribute 'classes_'",
    # naming neither the parameter nor the problem, where scikit-learn says NotFittedError.
    if not hasattr(classifier, "predict_proba"):
        raise TypeError(
            "classifier must be a fitted classifier, a pretrained model's name or a .keras "
            f"file, got {type(classifier).__name__}"
        )
    if hasattr(classifier, "fit"):  # an estimator; anything else that classifies is taken
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(classifier)
    classes = getattr(classifier, "classes_", None)
    if classes is None:
        # It failed with "object has no attribute 'classes_'": the table names each beat's
        # class by them, and cannot know which class a column of predict_proba is without them.
        raise TypeError(
            f"classifier must have classes_, the classes that the columns of its predict_proba "
            f"follow (they name each beat's class); {type(classifier).__name__} has none"
        )
    if any(np.ndim(c) for c in classes):
        # A multi-output classifier (classes_ holds an array per output) gave a table of
        # nested labels without a word, or an IndexError, depending on the number of beats.
        raise ValueError(
            f"classifier {type(classifier).__name__} predicts {len(classes)} outputs per beat "
            "(its classes_ holds one array of classes per output); a beat table takes one "
            "class per beat: fit it on one label per beat"
        )
    return classifier


def classified_table(X, classifier, names, normal_class, **where) -> BeatTable:
    """The BeatTable of rows ``X`` classified by ``classifier`` (``where``: record, sample...).

    ``classifier`` is anything with ``predict_proba`` and ``classes_`` (a fitted classifier, or
    the :class:`ecgbeat.low_latency.LowLatencyPredictor` of one); ``names`` name its classes.
    """
    if len(X):
        proba = classifier.predict_proba(X)
        codes = np.argmax(proba, axis=1)
    else:
        proba = np.zeros((0, len(names)))
        codes = np.zeros(0, dtype=int)
    return BeatTable(
        **where,
        label=np.asarray(names, dtype=object)[codes].astype(str),
        proba=proba,
        class_names=list(names),
        normal_class=resolve_normal_class(classifier, names, normal_class),
    )


def _parameters(classifier) -> dict:
    """``classifier.get_params()``, which say (with its model card) how its beats are cut.

    Anything with ``predict_proba`` and ``classes_`` classifies cut beats
    (:func:`classify_beats`), but beats cut from a recording need the estimator's parameters: a
    :class:`~ecgbeat.low_latency.LowLatencyPredictor` failed with "'LowLatencyPredictor' object
    has no attribute 'get_params'".
    """
    if not hasattr(classifier, "get_params"):
        raise TypeError(
            f"classifier must be a fitted estimator whose parameters and model card say how its "
            f"beats are cut, got {type(classifier).__name__}, which keeps neither: pass the "
            "classifier itself (for a LowLatencyPredictor, the one it was made from)"
        )
    return classifier.get_params()


def beat_cutting(classifier) -> dict:
    """How ``classifier``'s beats are cut, as its training beats were (its model card says).

    Returns the keyword arguments that :func:`ecgbeat.beats.cut_beats` (``refine_radius``,
    ``before_r``), :func:`ecgbeat.beats.feature_rows` (``rhythm``: append the R-R features;
    ``template``: then the template features; ``zscores``: then the R-R z-scores) and the
    loaders (all five) take. The classifier's ``n_rr_features`` tells the columns: 0 (the beat
    alone), 7 (the R-R features of :func:`ecgbeat.rhythm.rr_features`), 10 (those and the 3 of
    :func:`ecgbeat.template.template_features`) or 12 (those and the 2 of
    :func:`ecgbeat.rhythm.rr_zscores`). A model without a card was trained on beats as the paper
    cuts them.

    Raises
    ------
    ValueError
        If the classifier reads another number of feature columns.

    Examples
    --------
    >>> from ecgbeat import HeartbeatCNNClassifier
    >>> beat_cutting(HeartbeatCNNClassifier(n_rr_features=10))
    {'refine_radius': None, 'before_r': 0.0, 'rhythm': True, 'template': True, 'zscores': False}
    """
    from ecgbeat.rhythm import N_RR_FEATURES, N_RR_ZSCORES
    from ecgbeat.template import N_TEMPLATE_FEATURES

    n_rr = int(_parameters(classifier).get("n_rr_features", 0))
    with_template = N_RR_FEATURES + N_TEMPLATE_FEATURES
    layouts = (0, N_RR_FEATURES, with_template, with_template + N_RR_ZSCORES)
    if n_rr not in layouts:
        raise ValueError(
            f"the classifier reads {n_rr} feature columns per beat; records give "
            f"{N_RR_FEATURES} (the R-R features of ecgbeat.rhythm.rr_features), "
            f"{with_template} (those and the template features of "
            f"ecgbeat.template.template_features) or {layouts[-1]} (those and the R-R "
            "z-scores of ecgbeat.rhythm.rr_zscores)"
        )
    segmentation = (getattr(classifier, "model_card_", None) or {}).get("segmentation", {})
    return {
        "refine_radius": segmentation.get("refine_radius"),
        "before_r": segmentation.get("before_r", 0.0),
        "rhythm": n_rr > 0,
        "template": n_rr >= with_template,
        "zscores": n_rr == layouts[-1],
    }


def resolve_normal_class(
    classifier, names: Sequence[str], normal_class: str | None = None
) -> str | None:
    """The class that counts as normal: ``normal_class``, the card's, ``"N"``, or ``None``.

    The card's is the name of its class in ``names`` (the names given, ``class_names``, name
    the classes otherwise than the card).

    Examples
    --------
    >>> resolve_normal_class(None, ["N", "S", "V"]), resolve_normal_class(None, ["0", "1"])
    ('N', None)
    >>> resolve_normal_class(None, ["0", "1"], 0)  # a class itself is named by its text
    '0'
    """
    if normal_class is not None and not isinstance(normal_class, str):
        # The names are the classes as text (resolve_class_names): the class 0 of a classifier
        # of classes [0, 1] was refused as "not one of the classifier's classes ['0', '1']".
        normal_class = str(normal_class)
    if normal_class is None:
        card = getattr(classifier, "model_card_", None) or {}
        normal_class = card.get("normal_class")
        if normal_class is not None:
            # The card names it as the card names the classes: under the names given
            # (class_names=["normal", ...]) it is the name of the same class, and 'N' was
            # refused as none of them though the user gave no normal class.
            own = resolve_class_names(classifier)
            if normal_class in own and len(own) == len(names):
                normal_class = names[own.index(normal_class)]
        else:
            normal_class = "N" if "N" in names else None
    if normal_class is not None and normal_class not in names:
        raise ValueError(
            f"normal class {normal_class!r} is not one of the classifier's classes {list(names)}"
        )
    return normal_class


def resolve_class_names(classifier, class_names: Sequence[str] | None = None) -> list[str]:
    """The names of ``classifier``'s classes, as tables, plots and reports show them.

    ``class_names`` if given (one per class); else, when the classes are integer codes into the
    model card's ``target_names`` (the shipped models: ``N, S, V, F, Q``), the names they index,
    also when the training data lacked a class (classes ``0, 1, 2, 4``: ``N, S, V, Q``); else
    the classes themselves, as text.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> clf = SimpleNamespace(classes_=[0, 1], model_card_={"target_names": ["N", "V"]})
    >>> resolve_class_names(clf), resolve_class_names(clf, ["normal", "ectopic"])
    (['N', 'V'], ['normal', 'ectopic'])
    >>> resolve_class_names(SimpleNamespace(classes_=[0, 2], model_card_={"target_names": "NSV"}))
    ['N', 'V']
    """
    if class_names is not None:
        if len(class_names) != len(classifier.classes_):
            raise ValueError(
                f"class_names has {len(class_names)} names but the classifier has "
                f"{len(classifier.classes_)} classes"
            )
        names = [str(n) for n in class_names]
        refuse_repeated_names(names, "class_names")
        return names
    card = getattr(classifier, "model_card_", None) or {}
    target_names = card.get("target_names")
    if target_names is not None and all(
        isinstance(c, (int, np.integer)) and not isinstance(c, bool) and 0 <= c < len(target_names)
        for c in classifier.classes_
    ):
        # 'ecgbeat train' names every label of its data; a class without a training beat is
        # missing from classes_, and the others keep their codes.
        names = [str(target_names[int(c)]) for c in classifier.classes_]
        refuse_repeated_names(names, "the model card's class names")
        return names
    # Distinct classes, but 1 and "1" are one name as text.
    names = [str(c) for c in classifier.classes_]
    refuse_repeated_names(names, "the classifier's classes")
    return names
