"""The training loop behind :meth:`HeartbeatCNNClassifier.fit`.

Kept apart from the estimator so that the estimator reads as the scikit-learn contract and this
module as the Keras mechanics: the stratified validation split, the input pipeline, the best weights
kept in memory, the learning-rate decay, early stopping and a clean stop on Ctrl-C.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from sklearn.model_selection import train_test_split

if TYPE_CHECKING:  # pragma: no cover
    import keras


@dataclass
class TrainingResult:
    """What one training run produced besides the weights left in the model."""

    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int = 0
    n_epochs: int = 0
    interrupted: bool = False


def validation_split(
    y: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Indices of the training and validation beats, stratified by class.

    Returns ``(all indices, None)`` when ``fraction`` is 0, and also, with a warning, when the data
    are too few to hold out at least one beat of each class while training on each class.
    """
    indices = np.arange(len(y))
    if fraction == 0:
        return indices, None
    n_classes = len(np.unique(y))
    n_validation = math.ceil(fraction * len(y))
    counts = np.bincount(y)
    if (
        counts[counts > 0].min() < 2
        or n_validation < n_classes
        or len(y) - n_validation < n_classes
    ):
        warnings.warn(
            f"too few beats ({len(y)}, smallest class {counts[counts > 0].min()}) for a stratified "
            f"validation fraction of {fraction}: training on all of them without validation, "
            "early stopping or learning-rate decay",
            UserWarning,
            stacklevel=4,
        )
        return indices, None
    train_idx, val_idx = train_test_split(
        indices, test_size=n_validation, stratify=y, random_state=seed
    )
    return np.sort(train_idx), np.sort(val_idx)


def _best_weights_callback(keras_module, monitor: str, patience: int | None, result, verbose: int):
    """A callback that keeps the best weights in memory, records history and stops early."""

    class BestWeights(keras_module.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.mode_max = monitor.endswith("accuracy")
            self.best = -np.inf if self.mode_max else np.inf
            self.best_weights = None
            self.wait = 0

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            logs["learning_rate"] = float(
                keras_module.ops.convert_to_numpy(self.model.optimizer.learning_rate)
            )
            for key, value in logs.items():
                result.history.setdefault(key, []).append(float(value))
            result.n_epochs = epoch + 1
            current = logs.get(monitor)
            if current is None:  # no validation: the last epoch is the one kept
                result.best_epoch = epoch + 1
                return
            improved = current > self.best if self.mode_max else current < self.best
            if improved:
                self.best = current
                self.best_weights = self.model.get_weights()
                result.best_epoch = epoch + 1
                self.wait = 0
            else:
                self.wait += 1
                if patience is not None and self.wait >= patience:
                    if verbose:
                        print(
                            f"early stopping after epoch {epoch + 1}; best epoch {result.best_epoch}"
                        )
                    self.model.stop_training = True

        def restore(self) -> None:
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    return BestWeights()


def train(
    model: keras.Model,
    X: np.ndarray,
    y: np.ndarray,
    *,
    n_classes: int,
    sample_weights: np.ndarray | None,
    validation_fraction: float,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    monitor: str,
    early_stopping_patience: int | None,
    lr_decay_patience: int | None,
    lr_decay_factor: float,
    callbacks: list | None,
    seed: int,
    verbose: int,
) -> TrainingResult:
    """Compile and train ``model`` in place; leave the best weights in it.

    ``X`` is float32 of shape (n_beats, n_samples) and ``y`` integer codes ``0..n_classes-1``.
    """
    import keras
    import tensorflow as tf

    train_idx, val_idx = validation_split(y, validation_fraction, seed)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    # Creating the optimizer's variables here rather than inside the traced training step halves
    # the memory that TensorFlow keeps after each fit (about 11 MB instead of 23 per fit).
    model.optimizer.build(model.trainable_variables)
    tensors = (X[train_idx, :, None], y[train_idx])
    if sample_weights is not None:
        tensors += (sample_weights[train_idx],)
    dataset = (
        tf.data.Dataset.from_tensor_slices(tensors)
        .shuffle(len(train_idx), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    validation_data = None
    if val_idx is not None:
        validation_data = (
            tf.data.Dataset.from_tensor_slices((X[val_idx, :, None], y[val_idx]))
            .batch(max(batch_size, 1024))
            .prefetch(tf.data.AUTOTUNE)
        )

    result = TrainingResult()
    best = _best_weights_callback(keras, monitor, early_stopping_patience, result, verbose)
    all_callbacks = [best]
    if validation_data is not None and lr_decay_patience is not None:
        all_callbacks.insert(
            0,
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                mode="max" if monitor.endswith("accuracy") else "min",
                factor=lr_decay_factor,
                patience=lr_decay_patience,
                verbose=int(verbose > 0),
            ),
        )
    all_callbacks += list(callbacks or [])
    try:
        model.fit(
            dataset,
            epochs=epochs,
            validation_data=validation_data,
            callbacks=all_callbacks,
            shuffle=False,  # the dataset reshuffles itself, with the seed
            verbose=verbose,
        )
    except KeyboardInterrupt:
        result.interrupted = True
    if validation_data is not None:
        best.restore()
    return result
