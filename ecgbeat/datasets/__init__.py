"""Datasets of labelled single heartbeats, in the style of :mod:`sklearn.datasets`.

``fetch_*`` functions read (and if needed download) PhysioNet databases; ``load_*`` functions read
files that ship with the package or that the user has; ``read_*`` functions read one recording's
lead or annotations, as the loaders and :mod:`ecgbeat.records` do. Each returns a :class:`sklearn.utils.Bunch`
(or ``(X, y)`` with ``return_X_y=True``). TensorFlow is never imported here.

Examples
--------
>>> from ecgbeat.datasets import load_sample, AAMI_CLASSES
>>> X, y = load_sample(return_X_y=True)
>>> X.shape[1], AAMI_CLASSES
(187, ('N', 'S', 'V', 'F', 'Q'))
"""

from ecgbeat.datasets._base import get_data_home
from ecgbeat.datasets._heartbeat_csv import load_heartbeat_csv, read_beats_csv
from ecgbeat.datasets._mitbih import (
    AAMI_CLASSES,
    AAMI_SYMBOLS,
    MITBIH_DS1,
    MITBIH_DS2,
    MITBIH_PACED,
    MITBIH_RECORDS,
    MITBIH_SAME_PATIENT,
    RANDOM_SPLIT_SEED,
    UNCLASSED_BEAT_SYMBOLS,
    fetch_mitbih,
    mitbih_patients,
)
from ecgbeat.datasets._ptbdb import PTBDB_CLASSES, fetch_ptbdb
from ecgbeat.datasets._records import (
    DEFAULT_LEADS,
    read_annotations,
    read_header,
    read_lead,
    read_signal,
    record_files,
)
from ecgbeat.datasets._sample import load_sample

__all__ = [
    "AAMI_CLASSES",
    "AAMI_SYMBOLS",
    "DEFAULT_LEADS",
    "MITBIH_DS1",
    "MITBIH_DS2",
    "MITBIH_PACED",
    "MITBIH_RECORDS",
    "MITBIH_SAME_PATIENT",
    "PTBDB_CLASSES",
    "RANDOM_SPLIT_SEED",
    "UNCLASSED_BEAT_SYMBOLS",
    "fetch_mitbih",
    "fetch_ptbdb",
    "get_data_home",
    "load_heartbeat_csv",
    "load_sample",
    "mitbih_patients",
    "read_annotations",
    "read_beats_csv",
    "read_header",
    "read_lead",
    "read_signal",
    "record_files",
]
