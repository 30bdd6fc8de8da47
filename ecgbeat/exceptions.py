"""Exceptions raised by ecgbeat.

The errors about a signal, a data file or a model file derive from :class:`ECGBeatError`, so a
caller can catch them at once, and also from the built-in exception a Python user would expect
(``ValueError``, ``FileNotFoundError``...), so ordinary ``except ValueError`` code keeps working.
A parameter out of its range or of the wrong type is a plain ``ValueError`` (or ``TypeError``)
naming it, as in scikit-learn, and a record file that is absent a plain ``FileNotFoundError``.

Examples
--------
>>> from ecgbeat.exceptions import ECGBeatError, SignalError
>>> issubclass(SignalError, ValueError) and issubclass(SignalError, ECGBeatError)
True
"""

from __future__ import annotations

__all__ = [
    "DataFormatError",
    "DataNotFoundError",
    "ECGBeatError",
    "InputScaleWarning",
    "ModelFileError",
    "SignalError",
]


class ECGBeatError(Exception):
    """Base class of ecgbeat's errors about a signal, a data file or a model file."""


class SignalError(ECGBeatError, ValueError):
    """A signal cannot be segmented: NaN or inf, too short, wrong shape or sampling rate."""


class DataFormatError(ECGBeatError, ValueError):
    """A data file (WFDB record, annotation, CSV, beat cache) is missing parts or is inconsistent."""


class DataNotFoundError(ECGBeatError, FileNotFoundError):
    """A database is not on disk and cannot be fetched (downloading is off, or the network fails).

    The message names the missing files, the folder searched, how to point ecgbeat at local
    copies, and where PhysioNet publishes the database.
    """


class ModelFileError(ECGBeatError, ValueError):
    """A saved or pretrained model file is missing, truncated, tampered with or incompatible."""


class InputScaleWarning(UserWarning):
    """Beats given to a classifier are not min-max scaled to [0, 1], the scale its networks
    expect: they reach far outside it, or their minima lie far from 0.

    The beats of §III.A of Kachuee et al. 2018 (and of :func:`ecgbeat.beats.segment_beats`) are
    min-max scaled to [0, 1]; beats in millivolts, ADC units or z-scores make the convolutions see
    shapes they never learned. Scale each beat with :func:`sklearn.preprocessing.minmax_scale`
    (``axis=1``), or, in a pipeline, ``FunctionTransformer(minmax_scale, kw_args={"axis": 1})``.
    A rhythm model's rows end in ``n_rr_features`` rhythm columns, which must not be scaled with
    the beat: its warning names a ``ColumnTransformer`` that scales the beat columns alone.
    """
