"""Lazy imports of Keras and TensorFlow that leave Python's global random state as it was.

ecgbeat imports TensorFlow only when a network is built or loaded (``import ecgbeat`` stays fast).
TensorFlow's import draws from Python's global :mod:`random` generator, so a user's
``random.seed(0)`` sequence would shift on ecgbeat's first fit; these helpers put the state back.
"""

from __future__ import annotations

import random
import sys
from types import ModuleType


def _import_preserving_random_state(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    state = random.getstate()
    try:
        __import__(name)
    finally:
        random.setstate(state)
    return sys.modules[name]


def import_keras() -> ModuleType:
    """The ``keras`` module (TensorFlow backend), imported without moving :mod:`random`.

    Examples
    --------
    >>> import random
    >>> from ecgbeat._backend import import_keras
    >>> state = random.getstate()
    >>> keras = import_keras()
    >>> random.getstate() == state
    True
    """
    return _import_preserving_random_state("keras")


def import_tensorflow() -> ModuleType:
    """The ``tensorflow`` module, imported without moving :mod:`random`."""
    return _import_preserving_random_state("tensorflow")
