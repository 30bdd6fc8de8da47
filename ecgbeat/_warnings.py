"""Warnings that point at the user's line, however deep in ecgbeat (and scikit-learn) they rise.

A fixed ``stacklevel`` is right from one caller only: the same check runs from ``fit``,
``predict`` and scikit-learn's ``score``. The warning should name the user's call, so that
``warnings.filterwarnings(..., module=...)`` and the once-per-line registry act on it.
"""

from __future__ import annotations

import os
import sys
import warnings

_ECGBEAT = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _library_folders() -> tuple[str, ...]:
    folders = [_ECGBEAT]
    # scikit-learn's wrappers (score, the fit context) and joblib's loop (cross_val_score,
    # GridSearchCV) stand between the user and the estimator.
    for name in ("sklearn", "joblib"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            folders.append(os.path.dirname(os.path.abspath(module.__file__)) + os.sep)
    return tuple(folders)


def warn_caller(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` at the first frame outside ecgbeat, scikit-learn and joblib.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_caller("look here", UserWarning)
    >>> caught[0].filename.endswith("_warnings.py")
    False
    """
    folders = _library_folders()
    frame, level = sys._getframe(1), 2
    # Up to the first frame outside; in a worker thread, which has none, the outermost one.
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        folders
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
