"""Progress bars on stderr (tqdm, from the optional extra ``data``), for loaders, the CLI and
training: shown when stderr is a terminal, and nothing at all without tqdm."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from ecgbeat._backend import import_keras

T = TypeVar("T")


def _tqdm(enabled: bool | None):
    """tqdm's class when a bar is wanted (None: when stderr is a terminal) and tqdm is there."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is in the [data] extra; without it there is no bar, nothing else
        return None
    return tqdm


def progress_bar(
    items: Iterable[T], *, total: int, desc: str, unit: str = "record", enabled: bool | None = None
) -> Iterator[T]:
    """``items``, with a bar that moves as they are consumed (see the module docstring).

    Examples
    --------
    >>> list(progress_bar(range(3), total=3, desc="counting", enabled=False))
    [0, 1, 2]
    """
    tqdm = _tqdm(enabled)
    if tqdm is None:
        yield from items
        return
    yield from tqdm(items, total=total, desc=desc, unit=unit, leave=False)


def epoch_bar(epochs: int, *, enabled: bool | None = None):
    """A Keras callback that moves a bar once per epoch and shows the losses; None for no bar."""
    tqdm = _tqdm(enabled)
    if tqdm is None:
        return None
    keras = import_keras()

    class EpochBar(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = tqdm(total=epochs, desc="training", unit="epoch", leave=False)

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            shown = {k: f"{v:.4f}" for k, v in logs.items() if k in ("loss", "val_loss")}
            self.bar.set_postfix(shown)
            self.bar.update(1)

        def on_train_end(self, logs=None):
            self.bar.close()

    return EpochBar()
