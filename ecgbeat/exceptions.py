"""Exceptions raised by ecgbeat.

Every error that ecgbeat raises on purpose derives from :class:`ECGBeatError`, so a caller can catch
them all at once, and also from the built-in exception a Python user would expect (``ValueError``,
``FileNotFoundError``...), so ordinary ``except ValueError`` code keeps working.

Examples
--------
>>> from ecgbeat.exceptions import ECGBeatError, SignalError
>>> issubclass(SignalError, ValueError) and issubclass(SignalError, ECGBeatError)
True
"""

from __future__ import annotations

__all__ = [
    "DataFormatError",
    "ECGBeatError",
    "ModelFileError",
    "SignalError",
]


class ECGBeatError(Exception):
    """Base class of every error that ecgbeat raises on purpose."""


class SignalError(ECGBeatError, ValueError):
    """A signal cannot be segmented: NaN or inf, too short, wrong shape or sampling rate."""


class DataFormatError(ECGBeatError, ValueError):
    """A data file (WFDB record, annotation, CSV, beat cache) is missing parts or is inconsistent."""


class ModelFileError(ECGBeatError, ValueError):
    """A saved or pretrained model file is missing, truncated, tampered with or incompatible."""
