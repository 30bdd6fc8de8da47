"""Lazy imports that leave Python's global random state as it was.

ecgbeat imports TensorFlow only when a network is built or loaded, and its training module (with
``sklearn.model_selection``) only in the first ``fit``, so that ``import ecgbeat`` stays fast.
The first import of TensorFlow, and of ``sklearn.model_selection`` with what it pulls in, draws
from Python's global :mod:`random` generator, so a user's ``random.seed(0)`` sequence would shift
on ecgbeat's first fit; these helpers put the state back.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType


@contextlib.contextmanager
def random_state_kept(module: str) -> Iterator[None]:
    """Around an ``import module``: put :mod:`random`'s global state back after its first import.

    Only the first import draws from the generator; around a module already imported the block
    changes nothing, since restoring the state would rewind draws that other threads made.

    Examples
    --------
    >>> import random
    >>> state = random.getstate()
    >>> with random_state_kept("a_module_not_imported_yet"):
    ...     _ = random.random()
    >>> random.getstate() == state
    True
    """
    if module in sys.modules:
        yield
        return
    state = random.getstate()
    try:
        yield
    finally:
        random.setstate(state)


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
    with random_state_kept("keras"):
        import keras
    return keras


def import_tensorflow() -> ModuleType:
    """The ``tensorflow`` module, imported without moving :mod:`random`."""
    with random_state_kept("tensorflow"):
        import tensorflow
    return tensorflow


def import_tensorflow_quietly() -> ModuleType:
    """The ``tensorflow`` module, imported with its C++ start-up lines held back.

    TensorFlow's native code writes its first log lines (oneDNN notices, "Could not find cuda
    drivers") straight to file descriptor 2 before its logging is configured, where neither
    ``TF_CPP_MIN_LOG_LEVEL`` nor Python can filter them. They go to a temporary file instead and
    are written out after all if the import fails, so that a broken installation still says why
    (not after Ctrl-C: nothing failed, and they would read as the reason it stopped).
    """
    if sys.modules.get("tensorflow") is not None:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            return import_tensorflow()
        except Exception:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


@functools.cache
def cpu_has_bfloat16(cpuinfo_path: str = "/proc/cpuinfo") -> bool:
    """Whether this CPU has bfloat16 arithmetic instructions (AVX512-BF16 or AMX), on Linux.

    Read once per process: a CPU's flags do not change, and ``inference_precision="auto"`` asks
    at every ``predict``, where reading the file of every core's flags again would add to each
    call.
    """
    try:
        with open(cpuinfo_path) as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "").split()
    except OSError:  # not Linux: do not guess
        return False
    return bool({"avx512_bf16", "amx_bf16"} & set(flags))


def default_training_precision() -> str:
    """``"mixed_bfloat16"`` on a CPU with bfloat16 instructions and no GPU, else ``"float32"``.

    On such CPUs oneDNN runs bfloat16 convolutions about twice as fast as float32 ones; elsewhere
    bfloat16 is emulated and slower, and GPUs are left to their own float32 (TF32) paths.

    Examples
    --------
    >>> from ecgbeat._backend import default_training_precision
    >>> default_training_precision() in {"float32", "mixed_bfloat16"}
    True
    """
    if not cpu_has_bfloat16():
        return "float32"
    tf = import_tensorflow()
    return "float32" if tf.config.list_physical_devices("GPU") else "mixed_bfloat16"
