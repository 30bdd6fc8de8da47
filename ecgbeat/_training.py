"""The training loop behind :meth:`HeartbeatCNNClassifier.fit`.

Kept apart from the estimator so that the estimator reads as the scikit-learn contract and this
module as the Keras mechanics: the stratified validation split, the input pipeline, the best weights
kept in memory, the learning-rate decay, early stopping, a clean stop on Ctrl-C, and the per-epoch
undersampling of the largest classes with the loss that makes up for it.
"""

from __future__ import annotations

import math
import signal
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

from ecgbeat._backend import import_keras, import_tensorflow, random_state_kept
from ecgbeat._checks import group_codes
from ecgbeat._warnings import warn_caller
from ecgbeat.networks import structure_key

if TYPE_CHECKING:  # pragma: no cover
    import keras


@dataclass
class TrainingResult:
    """What one training run produced besides the weights left in the model."""

    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int = 0
    n_epochs: int = 0
    interrupted: bool = False
    sampling_rates: np.ndarray | None = None
    #: The validation loss of a network that outputs the training class frequencies whatever the
    #: beat: a network whose validation loss never falls below it learned nothing that carries.
    prior_val_loss: float | None = None
    #: Set when some held-out beats are of a class that the training mix lacks (weight 0, or no
    #: training beat): the kept network's loss on the other held-out beats, on which alone
    #: ``prior_val_loss`` is then taken. The frequencies give such a class no share, and its
    #: beats cost them -ln(1e-7) = 16 each, which any network beats by far: compared over every
    #: held-out beat, a network that learned nothing passed.
    kept_val_loss: float | None = None


def joined(first: TrainingResult, second: TrainingResult) -> TrainingResult:
    """One result for two training stages run one after the other (the second's weights kept).

    The histories follow each other, epochs counted on through both: ``best_epoch`` is the
    second stage's best, counted after the first stage's epochs, or the first stage's best when
    the second kept no epoch of its own (0: interrupted in its first epoch, it kept its start).

    Examples
    --------
    >>> a = TrainingResult({"loss": [0.9, 0.5]}, best_epoch=2, n_epochs=2)
    >>> b = TrainingResult({"loss": [0.4, 0.3, 0.35]}, best_epoch=2, n_epochs=3)
    >>> ab = joined(a, b)
    >>> ab.history["loss"], ab.best_epoch, ab.n_epochs
    ([0.9, 0.5, 0.4, 0.3, 0.35], 4, 5)
    """
    keys = list(dict.fromkeys([*first.history, *second.history]))
    return TrainingResult(
        history={key: [*first.history.get(key, []), *second.history.get(key, [])] for key in keys},
        # A second stage interrupted in its first epoch keeps its start: the first's best.
        best_epoch=first.n_epochs + second.best_epoch if second.best_epoch else first.best_epoch,
        n_epochs=first.n_epochs + second.n_epochs,
        interrupted=first.interrupted or second.interrupted,
        sampling_rates=second.sampling_rates,
        prior_val_loss=second.prior_val_loss,
        kept_val_loss=second.kept_val_loss,
    )


#: A class is never cut below this share of its training beats per epoch, so that an epoch stays
#: a sizeable unit for early stopping and learning-rate decay even under extreme imbalance.
MIN_SAMPLING_RATE = 0.1


def _model_selection():
    """:mod:`sklearn.model_selection`, imported without moving :mod:`random`'s global state: its
    import draws from it, and a user's seeded ``random`` must not change because a model trained."""
    with random_state_kept("sklearn.model_selection"):
        import sklearn.model_selection
    return sklearn.model_selection


def class_sampling_rates(
    y: np.ndarray, n_classes: int, max_class_ratio: float | None
) -> np.ndarray:
    """Share of each class's training beats that one epoch draws.

    A class with more than ``max_class_ratio`` times the median count of the classes present is
    drawn at the rate that brings it down to that many beats (never below
    :data:`MIN_SAMPLING_RATE`); every other class, and every class when ``max_class_ratio`` is
    None, at rate 1.

    Examples
    --------
    >>> import numpy as np
    >>> class_sampling_rates(np.array([0] * 90 + [1] * 6 + [2] * 4), 3, 3.0).round(3).tolist()
    [0.2, 1.0, 1.0]
    """
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    rates = np.ones(n_classes)
    if max_class_ratio is None:
        return rates
    cap = max_class_ratio * np.median(counts[counts > 0])
    large = counts > cap
    rates[large] = np.maximum(cap / counts[large], MIN_SAMPLING_RATE)
    return rates


def cosine_restarts_rate(epoch: int, learning_rate: float, first_cycle: int, epochs: int) -> float:
    """The learning rate of ``epoch`` (from 0 to ``epochs - 1``) under cosine annealing with restarts.

    Each cycle falls from ``2 * learning_rate`` towards 0 along a cosine, so that its mean is
    ``learning_rate``; the first lasts ``first_cycle`` epochs and each next one twice as long
    (SGDR, Loshchilov & Hutter 2017). The end of a cycle is a well-annealed network; the restart
    lets the next, longer cycle improve on it. Epochs left over after the last whole cycle that
    fits in ``epochs`` lengthen that cycle rather than start one that cannot finish, so training
    always ends annealed: ``epochs=10`` with ``first_cycle=16`` is one 10-epoch cycle, and
    ``epochs=20`` one 20-epoch cycle.

    Examples
    --------
    >>> [round(cosine_restarts_rate(e, 1.0, 2, 6), 2) for e in range(6)]
    [2.0, 1.0, 2.0, 1.71, 1.0, 0.29]
    >>> [round(cosine_restarts_rate(e, 1.0, 2, 5), 2) for e in range(5)]
    [2.0, 1.81, 1.31, 0.69, 0.19]
    """
    start, length = _cycle_of(epoch, first_cycle, epochs)
    return learning_rate * (1 + math.cos(math.pi * (epoch - start) / length))


def cycle_last_epochs(first_cycle: int, epochs: int) -> set[int]:
    """The epochs (from 0, below ``epochs``) that end a cycle of :func:`cosine_restarts_rate`.

    The last epoch always ends one.

    >>> sorted(cycle_last_epochs(2, 10))
    [1, 9]
    >>> sorted(cycle_last_epochs(2, 14))
    [1, 5, 13]
    """
    return {
        epoch for epoch in range(epochs) if sum(_cycle_of(epoch, first_cycle, epochs)) == epoch + 1
    }


def _cycle_of(epoch: int, first_cycle: int, epochs: int) -> tuple[int, int]:
    """The first epoch and the length of the cycle that ``epoch`` belongs to."""
    start, length = 0, first_cycle
    while True:
        if start + 3 * length > epochs:  # the next cycle would not end in time: run to the end
            return start, epochs - start
        if epoch < start + length:
            return start, length
        start, length = start + length, 2 * length


#: What training without validation means, in the warnings that say so. Not "without learning-rate
#: decay": the default cosine schedule anneals the rate all the same; only decay on plateau needs
#: the validation loss.
_WITHOUT_VALIDATION = "the last epoch is kept; no early stopping, no decay on plateau"


def validation_split(
    y: np.ndarray,
    fraction: float,
    seed: int,
    groups: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Indices of the training and validation beats, stratified by class.

    A class of a single beat cannot be on both sides: it is trained on, and the other classes
    are split, with a warning naming it (``labels``, the class of each code in ``y``; default
    the codes). Returns ``(all indices, None)`` when ``fraction`` is 0, and also, with a
    warning, when the data are too few to hold out at least one beat of each class of two beats
    or more while training on each, or when a single beat's class leaves one class to split (a
    validation loss of one class would favour the network that calls every beat that class;
    data of one class alone, a patient's beats for a pretrained head, are split). With
    ``groups``, whole groups (patients) are held out: see :func:`grouped_validation_split`.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> y = np.array([0] * 10 + [1] * 10 + [2])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     train, val = validation_split(y, 0.2, seed=0, labels=np.array(["N", "V", "F"]))
    >>> np.bincount(y[val], minlength=3).tolist(), 20 in train
    ([3, 2, 0], True)
    >>> str(caught[0].message).split(":")[0]
    "class ['F'] has a single beat"
    """
    indices = np.arange(len(y))
    if fraction == 0:
        return indices, None
    if groups is not None:
        return grouped_validation_split(y, fraction, seed, groups, labels)
    counts = np.bincount(y)
    single = np.flatnonzero(counts == 1)
    splittable = indices[counts[y] > 1]
    n_classes = np.count_nonzero(counts > 1)
    n_validation = math.ceil(fraction * len(y))
    if (
        n_classes == 0
        # Held out alone, one class beside a single beat of another would validate a network
        # that calls every beat that class; one class alone (a patient's beats, all N, for a
        # pretrained head) is validated as before.
        or (single.size and n_classes < 2)
        or n_validation < n_classes
        or len(splittable) - n_validation < n_classes
    ):
        warn_caller(
            f"too few beats ({len(y)}, smallest class {counts[counts > 0].min()}) for a stratified "
            f"validation fraction of {fraction}: training on all of them without validation "
            f"({_WITHOUT_VALIDATION})",
            UserWarning,
        )
        return indices, None
    if single.size:
        # Rather than no validation at all (no best epoch, no early stopping) for one rare beat.
        names = (single if labels is None else np.asarray(labels)[single]).tolist()
        warn_caller(
            f"class{'es' if len(names) > 1 else ''} {names} "
            f"{'have' if len(names) > 1 else 'has'} a single beat: trained on, not held out for "
            f"validation, which the other classes are (stratified, fraction {fraction})",
            UserWarning,
        )
    train_idx, val_idx = _model_selection().train_test_split(
        splittable, test_size=n_validation, stratify=y[splittable], random_state=seed
    )
    train_idx = np.concatenate([train_idx, np.flatnonzero(np.isin(y, single))])
    return np.sort(train_idx), np.sort(val_idx)


def grouped_validation_split(
    y: np.ndarray,
    fraction: float,
    seed: int,
    groups: np.ndarray,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Indices of the training and validation beats, no group on both sides.

    ``m`` of the ``k`` folds of :class:`~sklearn.model_selection.StratifiedGroupKFold` are held
    out (:func:`held_out_folds`: ``m / k`` as near ``fraction`` as whole folds allow, 1 of 10 for
    0.1, 2 of 5 for 0.4, 9 of 10 for 0.9): about ``fraction`` of the groups, with class
    proportions as close to the whole as whole groups allow. The candidates are the ``m``
    folds in a row (above one half, the ``k - m`` trained on) from each fold on; the
    first that leaves every class both in training and in validation is taken, else the first
    that trains on every class, else (with a warning naming the classes: ``labels``, the class
    of each code in ``y``; default the codes) the first. With one
    beat per class, nothing can be held out: ``(all indices, None)`` with a warning, as
    :func:`validation_split` does with too few beats.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1] * 5)
    >>> groups = np.repeat(np.arange(10), 2)
    >>> train, val = grouped_validation_split(y, 0.2, seed=0, groups=groups)
    >>> sorted(set(groups[train]) & set(groups[val]))
    []
    >>> len(val), np.unique(y[val]).tolist()
    (4, [0, 1])
    """
    n_groups = len(group_codes(groups, "group (patient)")[0])
    if n_groups < 2:
        raise ValueError(
            f"a validation split by groups needs at least 2 groups (patients); got 1 "
            f"({groups[:1].tolist()[0]!r}): give beats of more patients, groups=None, or "
            "validation_fraction=0"
        )
    # StratifiedGroupKFold refuses more folds than the largest class has beats.
    largest_class = int(np.unique(y, return_counts=True)[1].max())
    if largest_class < 2:
        warn_caller(
            f"too few beats ({len(y)}, one per class) to hold out whole groups for validation: "
            f"training on all of them without validation ({_WITHOUT_VALIDATION})",
            UserWarning,
        )
        return np.arange(len(y)), None
    n_held_out, n_splits = held_out_folds(fraction, min(n_groups, largest_class))
    splitter = _model_selection().StratifiedGroupKFold(
        n_splits=n_splits, shuffle=True, random_state=seed
    )
    classes = np.unique(y)
    with warnings.catch_warnings():
        # Classes rarer than the number of folds are expected here: whole patients decide.
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        fold_of = np.empty(len(y), dtype=np.intp)
        for fold, (_, rows) in enumerate(splitter.split(np.zeros(len(y)), y, groups)):
            fold_of[rows] = fold
    # Above one half the folds trained on are the ones in a row, so that one fold held out, or
    # all but one, is fold i alone or all but fold i, in the order of the folds.
    above_half = fraction > 0.5
    in_a_row = n_splits - n_held_out if above_half else n_held_out
    folds = []
    for first in range(n_splits):
        in_run = (fold_of - first) % n_splits < in_a_row
        run, rest = np.flatnonzero(in_run), np.flatnonzero(~in_run)
        folds.append((run, rest) if above_half else (rest, run))
    for needs_validation in (True, False):
        for train_idx, val_idx in folds:
            trains_all = np.isin(classes, y[train_idx]).all()
            if trains_all and (not needs_validation or np.isin(classes, y[val_idx]).all()):
                return np.sort(train_idx), np.sort(val_idx)
    train_idx, val_idx = folds[0]
    missing = classes[~np.isin(classes, y[train_idx])]
    if labels is not None:
        missing = np.asarray(labels)[missing]
    warn_caller(
        f"every class is in too few groups to train on all of them with whole groups held out "
        f"for validation: classes {missing.tolist()} are only in the validation groups and are "
        "not trained on; give more patients or set validation_fraction=0",
        UserWarning,
    )
    return np.sort(train_idx), np.sort(val_idx)


#: The most folds :func:`held_out_folds` cuts the groups into, unless one fold of more is nearer.
MAX_FOLDS = 10


def held_out_folds(fraction: float, max_splits: int) -> tuple[int, int]:
    """``(m, k)``: hold out ``m`` of ``k`` folds, ``m / k`` as near ``fraction`` as can be.

    ``k`` is from 2 to ``max_splits`` (the groups, and the beats of the largest class, that
    :class:`~sklearn.model_selection.StratifiedGroupKFold` can share out; 2 at least), and at
    most :data:`MAX_FOLDS` or ``round(1 / fraction)`` (``round(1 / (1 - fraction))`` above one
    half), whichever is more, so that a small fraction is still one fold of many. Of equally
    near shares, the fewest folds: 0.1 is 1 of 10, 0.25 1 of 4, as ``round(1 / fraction)`` gave;
    0.4 is 2 of 5 where that gave 1 of 2.

    Examples
    --------
    >>> [held_out_folds(f, 100) for f in (0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.9)]
    [(1, 10), (1, 5), (1, 4), (3, 10), (2, 5), (1, 2), (9, 10)]
    >>> held_out_folds(0.05, 100), held_out_folds(0.4, 3), held_out_folds(0.1, 6)
    ((1, 20), (1, 3), (1, 6))
    """
    smaller_part = min(fraction, 1 - fraction)
    most = max(2, min(max(MAX_FOLDS, round(1 / smaller_part)), max_splits))
    # The nearest m of each k; shares within rounding of the nearest count as equal, so that the
    # fewest folds win.
    candidates = [(min(max(round(fraction * k), 1), k - 1), k) for k in range(2, most + 1)]
    nearest = min(abs(m / k - fraction) for m, k in candidates)
    return next((m, k) for m, k in candidates if abs(m / k - fraction) <= nearest + 1e-9)


def epoch_indices(tf, y: np.ndarray, rates: np.ndarray, seed: int):
    """A dataset of row indices: each epoch, a fresh random ``round(rate * count)`` of each class.

    The draws are seeded by ``seed`` and the rows come shuffled. The size of an epoch is fixed,
    so Keras knows how many steps an epoch has.
    """
    parts = []
    for label, rate in enumerate(rates):
        rows = np.flatnonzero(y == label)
        if len(rows):
            parts.append(
                tf.data.Dataset.from_tensor_slices(rows)
                .shuffle(len(rows), seed=seed + label, reshuffle_each_iteration=True)
                .take(max(1, round(rate * len(rows))))
            )
    indices = parts[0]
    for part in parts[1:]:
        indices = indices.concatenate(part)
    n_drawn = int(indices.cardinality())
    return indices.shuffle(n_drawn, seed=seed, reshuffle_each_iteration=True)


def _softmax_logits(probabilities):
    """The logits of a softmax's output tensor, as TensorFlow's Keras finds them; else None."""
    logits = getattr(probabilities, "_keras_logits", None)
    if logits is not None:
        return logits
    op = getattr(probabilities, "op", None)
    if op is not None and getattr(op, "type", None) == "Softmax" and len(op.inputs) == 1:
        return op.inputs[0]
    return None


def _prior_shifted_crossentropy(keras_module, n_classes: int):
    """Cross-entropy for training on undersampled classes, as a Keras loss.

    Drawing class ``c`` at rate ``r_c`` multiplies its prior by ``r_c``, so the posterior of the
    data trained on is ``r_c p(c|x)`` renormalised. The loss scores that shifted posterior,
    ``softmax(log p + log r)``, while the network keeps outputting ``p``: what it learns is the
    posterior of the data as they are, with nothing to correct at prediction (Saerens et al. 2002;
    Menon et al. 2021, "logit adjustment"). The rates live in a variable, so one compiled training
    step serves every fit; with all rates 1 this is the ordinary sparse cross-entropy.
    """
    ops = keras_module.ops

    class PriorShiftedCrossEntropy(keras_module.losses.Loss):
        def __init__(self) -> None:
            super().__init__(name="sparse_categorical_crossentropy")
            self.log_rates = keras_module.Variable(
                np.zeros(n_classes, dtype=np.float32), trainable=False, name="log_rates"
            )

        def call(self, y_true, y_pred):
            y_true = ops.reshape(ops.cast(y_true, "int32"), (-1, 1))
            logits = _softmax_logits(y_pred)
            if logits is not None:
                # As Keras' own loss does for a softmax output: from its logits. Clipped
                # probabilities give no gradient where the network is sure and wrong (a new
                # head on a pretrained network can start so), and such a fit never moved.
                log_probabilities = ops.log_softmax(ops.cast(logits, y_pred.dtype), axis=-1)
            else:
                log_probabilities = ops.log(ops.clip(y_pred, 1e-7, 1.0))
            log_shifted = log_probabilities + self.log_rates
            picked = ops.take_along_axis(log_shifted, y_true, axis=-1)[:, 0]
            return ops.logsumexp(log_shifted, axis=-1) - picked

    return PriorShiftedCrossEntropy()


class TrainerPool:
    """Compiled training networks kept for reuse across fits, one kind per network structure.

    TensorFlow keeps part of every traced training step for the life of the process, even after
    the model is gone (tensorflow/tensorflow#62854: about 11-18 MB per ``fit`` of the reference
    network), so a long grid search would grow without bound. Training instead happens in a
    network borrowed from this pool, whose traced steps are reused: the fresh network's weights
    (and dropout seed states) are copied in, the optimizer is reset, and after training the
    weights are copied back. Each fit therefore computes exactly what it would in a fresh network.

    Networks are matched by their configuration with seeds removed, including which layers are
    trainable. A borrowed network is used by one fit at a time; concurrent fits of the same kind
    get networks of their own. At most ``max_idle`` idle networks are kept, the least recently
    used dropped first.
    """

    def __init__(self, max_idle: int = 16) -> None:
        self.max_idle = max_idle
        self._idle: OrderedDict[tuple[str, str, str], list] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(model: keras.Model, precision: str) -> tuple[str, str, str]:
        """What two networks must share for one compiled training step to serve both."""
        trainable = "".join("1" if layer.trainable else "0" for layer in model.layers)
        return structure_key(model), trainable, precision

    def _take(self, key: tuple[str, str, str]):
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                self._idle.move_to_end(key)
                return idle.pop()
        return None

    def _give_back(self, key: tuple[str, str, str], trainer) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(trainer)
            self._idle.move_to_end(key)
            while sum(map(len, self._idle.values())) > self.max_idle:
                oldest = next(iter(self._idle))
                self._idle[oldest].pop(0)
                if not self._idle[oldest]:
                    del self._idle[oldest]

    def clear(self) -> None:
        """Drop every idle network (those in use are dropped when their fit ends)."""
        with self._lock:
            self._idle.clear()

    @contextmanager
    def borrow(
        self,
        model: keras.Model,
        learning_rate: float,
        precision: str = "float32",
        sampling_rates: np.ndarray | None = None,
    ) -> Iterator[keras.Model]:
        """A compiled network holding ``model``'s weights; its trained weights go back to ``model``.

        ``precision`` is a Keras dtype policy for the copy's layers (``"float32"`` or
        ``"mixed_bfloat16"``); the last layer stays float32, so the softmax and the loss do too.
        The copy's weights are float32 either way, like ``model``'s. ``sampling_rates``, one per
        class (default all 1), are the rates at which the training data draw each class; the
        loss makes up for them.
        """
        keras = import_keras()
        n_classes = model.output_shape[-1]

        key = self.key(model, precision)
        trainer = self._take(key)
        if trainer is None:
            trainer = _compiled_copy(keras, model, precision, learning_rate, n_classes)
        _copy_variables(model, trainer)
        for variable in trainer.optimizer.variables:
            variable.assign(keras.ops.zeros_like(variable))
        trainer.optimizer.learning_rate = learning_rate
        rates = np.ones(n_classes) if sampling_rates is None else sampling_rates
        trainer.loss.log_rates.assign(np.log(rates).astype(np.float32))
        # If the fit raises, the code below does not run: the network is not returned to the
        # pool (its state is unknown) and ``model`` keeps its initial weights.
        yield trainer
        _copy_variables(trainer, model)
        self._give_back(key, trainer)


def _compiled_copy(
    keras, model: keras.Model, precision: str, learning_rate: float, n_classes: int
) -> keras.Model:
    """A compiled copy of ``model`` for :class:`TrainerPool`, its layers in ``precision`` but
    the last, with its optimizer's variables and its metrics built."""
    last = model.layers[-1]

    def clone_layer(layer):
        config = layer.get_config()
        config["dtype"] = "float32" if layer is last else precision
        return layer.__class__.from_config(config)

    trainer = keras.models.clone_model(model, clone_function=clone_layer)
    for source_layer, layer in zip(model.layers, trainer.layers, strict=True):
        layer.trainable = source_layer.trainable
    trainer.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=_prior_shifted_crossentropy(keras, n_classes),
        metrics=["accuracy"],
        jit_compile=False,
        # ``precision`` chose the layers' arithmetic; a global "mixed_float16" policy of the
        # user's would wrap the optimizer in a loss scaler whose scale borrow() resets to 0.
        auto_scale_loss=False,
    )
    # Creating the optimizer's variables here, not inside the traced step, keeps them out of the
    # graph that TensorFlow retains. And the compiled metrics' (Keras builds them in the first
    # traced step when no distribution strategy is set): a step that creates variables is traced
    # a second time, so a new structure's first fit would trace its training step twice.
    trainer.optimizer.build(trainer.trainable_variables)
    trainer.compute_metrics(
        None, np.zeros(1, dtype=np.int64), np.full((1, n_classes), 1 / n_classes)
    )
    trainer.reset_metrics()
    return trainer


def _copy_variables(source: keras.Model, target: keras.Model) -> None:
    """Assign every variable of ``source`` (weights and dropout seed states) to ``target``."""
    pairs = list(zip(source.variables, target.variables, strict=True))
    for a, b in pairs:
        if tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype:
            raise RuntimeError(f"networks differ: {a.path} {a.shape} vs {b.path} {b.shape}")
    for a, b in pairs:
        b.assign(a)


#: The process's pool, used by every :func:`train`.
TRAINERS = TrainerPool()


def _held_out_weights(
    y_val: np.ndarray,
    rates: np.ndarray,
    validation_weights: np.ndarray | None,
    val_idx: np.ndarray,
) -> np.ndarray | None:
    """The weights of the held-out beats' losses, None when all are 1.

    With undersampling, each beat's class's sampling rate scores them with what training
    minimises: the loss on the class mix that the epochs draw. The user's sample weights
    multiply that.
    """
    weights = rates[y_val] if bool((rates < 1).any()) else None
    if validation_weights is not None:
        held_out = validation_weights[val_idx]
        weights = held_out if weights is None else weights * held_out
    return None if weights is None else np.asarray(weights, dtype=np.float32)


def _trained_mix(
    y_train: np.ndarray, rates: np.ndarray, sample_weights: np.ndarray | None = None
) -> np.ndarray:
    """Each class's share of what the epochs draw: class counts (of sample weights) times rates."""
    drawn = np.bincount(y_train, weights=sample_weights, minlength=rates.size) * rates
    return drawn / drawn.sum()


def class_prior_loss(
    y_train: np.ndarray,
    y_val: np.ndarray,
    rates: np.ndarray,
    sample_weights: np.ndarray | None = None,
    val_weights: np.ndarray | None = None,
) -> float:
    """Validation loss of a network that learned nothing: it outputs the class mix it trained on.

    That mix is what the epochs draw (class counts times ``rates``), each beat counted with its
    sample weight (class weights make the rare classes weigh more, and a network that learned
    nothing then predicts them more often). The held-out beats are scored as in training: with
    undersampling, weighted by their class's rate (see :func:`_prior_shifted_crossentropy`), and
    by ``val_weights``, their sample weights.

    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 1])
    >>> round(class_prior_loss(y, y, np.ones(2)), 4)  # -(3 ln 0.75 + ln 0.25) / 4
    0.5623
    >>> round(class_prior_loss(y, y, np.ones(2), np.array([1.0, 1, 1, 3])), 4)  # mix 1:1
    0.6931
    """
    log_prior = np.log(np.maximum(_trained_mix(y_train, rates, sample_weights), 1e-7))
    undersampled = bool((rates < 1).any())
    weights = rates[y_val] if undersampled else np.ones(len(y_val))
    if val_weights is not None:
        weights = weights * val_weights
    # Keras averages the weighted losses over the beats.
    return float(np.mean(weights * -log_prior[y_val]))


@contextmanager
def ctrl_c_held() -> Iterator[None]:
    """Hold Ctrl-C until the block ends, then raise it: the block's bookkeeping is never cut in two.

    An epoch's end records its history, then the best weights and epoch: Ctrl-C in between left
    a history whose best validation loss was not the best epoch's. Only in the main thread with
    Python's own handler (another thread never gets KeyboardInterrupt; a handler of the user's is
    left alone).
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    received = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if received:
        raise KeyboardInterrupt


def _best_weights_callback(
    keras_module,
    monitor: str,
    patience: int | None,
    result,
    verbose: int,
    cycle_ends: set[int] | None = None,
):
    """A callback that keeps the best weights in memory, records history and stops early.

    With ``cycle_ends`` (the epochs, from 0, that end a learning-rate cycle), only the annealed
    networks at those epochs are candidates (SGDR's snapshots): the best epoch so far stands in
    only until the first cycle ends. Early stopping then stops at a cycle end that did not
    improve on the best; ``patience`` only says whether to stop early at all (``None``: never).
    An epoch whose validation loss is not finite is never a candidate, whatever ``monitor``.
    """

    mode_max = monitor.endswith("accuracy")
    worst = -np.inf if mode_max else np.inf
    first_cycle_end = min(cycle_ends) if cycle_ends is not None else None

    class BestWeights(keras_module.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.best = worst
            self.best_weights = None
            self.wait = 0

        def _rate(self) -> float:
            return float(keras_module.ops.convert_to_numpy(self.model.optimizer.learning_rate))

        def on_train_begin(self, logs=None):
            # Epoch 0, what a fit interrupted before its first epoch ends reports keeping.
            self.start_weights = self.model.get_weights()

        def on_train_batch_begin(self, batch, logs=None):
            # The rate this epoch trains at, once every callback's on_epoch_begin (a user's
            # scheduler among them) has set it: decay on plateau lowers it at the epoch's end,
            # before this callback's on_epoch_end runs.
            if batch == 0:
                self.epoch_rate = self._rate()

        def on_epoch_end(self, epoch, logs=None):
            with ctrl_c_held():
                self._record(epoch, logs)

        def _record(self, epoch, logs) -> None:
            logs = dict(logs or {})
            logs["learning_rate"] = getattr(self, "epoch_rate", None) or self._rate()
            for key, value in logs.items():
                result.history.setdefault(key, []).append(float(value))
            result.n_epochs = epoch + 1
            current = logs.get(monitor)
            if current is None:  # no validation: the last epoch is the one kept
                result.best_epoch = epoch + 1
                # Kept, not read off the network at the end: Ctrl-C in the next epoch leaves
                # the network part-way through it.
                self.best_weights = self.model.get_weights()
                return
            at_cycle_end = cycle_ends is not None and epoch in cycle_ends
            if epoch == first_cycle_end:
                # Mid-cycle weights, taken at a high learning rate, give way to the first
                # annealed ones even where their validation score happened to be better.
                self.best = worst
            candidate = cycle_ends is None or at_cycle_end or epoch < first_cycle_end
            # A network that diverged (NaN weights) has a NaN validation loss, but an accuracy:
            # argmax reads every NaN row as class 0, so it scored that class's share and could
            # beat the finite epochs under monitor="val_accuracy"; fit then refused the kept
            # network as diverged.
            finite = all(math.isfinite(logs[key]) for key in ("val_loss", monitor) if key in logs)
            improved = (
                candidate and finite and (current > self.best if mode_max else current < self.best)
            )
            if improved:
                self.best = current
                self.best_weights = self.model.get_weights()
                result.best_epoch = epoch + 1
                self.wait = 0
            else:
                self.wait += 1
            if cycle_ends is None:
                stop = patience is not None and self.wait >= patience
            else:
                # A restart makes the validation score worse on purpose: judge whole cycles.
                stop = patience is not None and at_cycle_end and not improved
            if stop:
                if verbose:
                    print(f"early stopping after epoch {epoch + 1}; best epoch {result.best_epoch}")
                self.model.stop_training = True

        def restore(self, interrupted: bool = False) -> None:
            weights = self.best_weights
            if weights is None and interrupted:
                weights = getattr(self, "start_weights", None)
            if weights is not None:
                self.model.set_weights(weights)

    return BestWeights()


@dataclass(frozen=True)
class TrainingConfig:
    """How one fit trains: the estimator's training parameters, resolved.

    The fields are :class:`~ecgbeat.HeartbeatCNNClassifier`'s parameters of the same names (see
    its docstring), except that ``augmentation`` holds strengths
    (:func:`ecgbeat.augment.resolve_augmentation`), ``precision`` is ``"float32"`` or
    ``"mixed_bfloat16"`` (never ``"auto"``) and ``callbacks`` is a tuple.

    Examples
    --------
    >>> from ecgbeat import HeartbeatCNNClassifier
    >>> params = HeartbeatCNNClassifier(epochs=5).get_params()
    >>> config = TrainingConfig.from_params(params, precision="float32", augmentation=None)
    >>> config.epochs, config.batch_size, config.lr_schedule
    (5, 128, 'cosine_restarts')
    """

    epochs: int
    batch_size: int
    learning_rate: float
    validation_fraction: float
    monitor: str
    early_stopping_patience: int | None
    lr_schedule: str
    lr_cycle_epochs: int
    lr_decay_patience: int | None
    lr_decay_factor: float
    max_class_ratio: float | None
    min_steps_per_epoch: int
    augmentation: dict[str, float] | None
    precision: str
    callbacks: tuple
    verbose: int

    @classmethod
    def from_params(cls, params: dict, **resolved) -> TrainingConfig:
        """The fields found among ``params`` (others are ignored), then ``resolved`` over them.

        ``callbacks`` becomes a tuple (``None``: none).
        """
        names = {f.name for f in fields(cls)}
        chosen = {**{k: v for k, v in params.items() if k in names}, **resolved}
        chosen["callbacks"] = tuple(chosen.get("callbacks") or ())
        return cls(**chosen)


def train(
    model: keras.Model,
    X: np.ndarray,
    y: np.ndarray,
    config: TrainingConfig,
    *,
    n_classes: int,
    seed: int,
    sample_weights: np.ndarray | None = None,
    validation_weights: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    n_beat_samples: int | None = None,
    labels: np.ndarray | None = None,
) -> TrainingResult:
    """Train ``model`` in place (through a pooled compiled copy); leave the best weights in it.

    ``X`` is float32 of shape (n_beats, n_samples) and ``y`` integer codes ``0..n_classes-1``.
    Each epoch draws the classes at :func:`class_sampling_rates` (afresh, seeded by ``seed``).
    ``config.lr_schedule`` is ``"plateau"`` (decay on plateau) or ``"cosine_restarts"``
    (:func:`cosine_restarts_rate`, first cycle ``config.lr_cycle_epochs``).
    ``config.augmentation`` changes the first ``n_beat_samples`` columns of every training batch
    (:func:`ecgbeat.augment.augment_batch`), never the validation beats. ``sample_weights``
    weight the training beats' losses, ``validation_weights`` (the user's sample weights, without
    the class weights) the held-out beats'. ``labels``, the class of each code, name classes in
    warnings.
    """
    keras = import_keras()
    tf = import_tensorflow()

    train_idx, val_idx = validation_split(
        y, config.validation_fraction, seed, groups, labels=labels
    )
    if val_idx is not None and sample_weights is not None and validation_weights is not None:
        weightless = [
            f"the {len(rows)} beats {part} all have weight 0"
            for part, rows, weights in (
                ("held out for validation", val_idx, validation_weights),
                ("left for training", train_idx, sample_weights),
            )
            if not weights[rows].any()
        ]
        if weightless:
            # Held out: every loss 0, and the first epoch kept as the best. Trained: nothing learned.
            warn_caller(
                f"with sample_weight, {weightless[0]}: training on all the beats without "
                f"validation ({_WITHOUT_VALIDATION})",
                UserWarning,
            )
            train_idx, val_idx = np.arange(len(y)), None
    rates = class_sampling_rates(y[train_idx], n_classes, config.max_class_ratio)
    undersampled = bool((rates < 1).any())
    tensors = (X[train_idx, :, None], y[train_idx])
    if sample_weights is not None:
        tensors += (sample_weights[train_idx],)
    if undersampled:
        columns = tuple(tf.constant(column) for column in tensors)
        dataset = (
            epoch_indices(tf, y[train_idx], rates, seed)
            .batch(config.batch_size)
            .map(lambda rows: tuple(tf.gather(column, rows) for column in columns))
        )
    else:
        dataset = (
            tf.data.Dataset.from_tensor_slices(tensors)
            .shuffle(len(train_idx), seed=seed, reshuffle_each_iteration=True)
            .batch(config.batch_size)
        )
    if config.augmentation is not None:
        from ecgbeat.augment import augment_batch

        # One stateless seed pair per batch, new draws every epoch, all from ``seed``.
        batch_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip(dataset, batch_seeds).map(
            lambda batch, pair: (
                augment_batch(
                    batch[0], config.augmentation, n_beat_samples=n_beat_samples, seed=pair
                ),
                *batch[1:],
            )
        )
    n_batches = int(dataset.cardinality())
    if n_batches < config.min_steps_per_epoch:
        # Each repetition draws (and shuffles, and augments) afresh.
        dataset = dataset.repeat(-(-config.min_steps_per_epoch // n_batches))
    dataset = dataset.prefetch(tf.data.AUTOTUNE)

    def held_out(rows: np.ndarray):
        validation = (X[rows, :, None], y[rows])
        held_out_weights = _held_out_weights(y[rows], rates, validation_weights, rows)
        if held_out_weights is not None:
            validation += (held_out_weights,)
        return (
            tf.data.Dataset.from_tensor_slices(validation)
            .batch(max(config.batch_size, 1024))
            .prefetch(tf.data.AUTOTUNE)
        )

    validation_data = None if val_idx is None else held_out(val_idx)
    result = TrainingResult(sampling_rates=rates)
    scored = None  # the held-out rows of the classes trained on, when not all are
    if val_idx is not None:
        train_weights = None if sample_weights is None else sample_weights[train_idx]
        mix = _trained_mix(y[train_idx], rates, train_weights)
        rows = val_idx[mix[y[val_idx]] > 0]
        # One class of weight in training (the others weigh 0): its frequencies, all of it,
        # cost its held-out beats 0, which no network beats, and fit warned that what the network
        # learned did not carry. As with beats of one class, there is nothing to compare.
        if np.count_nonzero(mix) >= 2 and rows.size:
            result.prior_val_loss = class_prior_loss(
                y[train_idx],
                y[rows],
                rates,
                train_weights,
                None if validation_weights is None else validation_weights[rows],
            )
            if rows.size < val_idx.size:
                scored = rows
    restarts = config.lr_schedule == "cosine_restarts"
    best = _best_weights_callback(
        keras,
        config.monitor,
        config.early_stopping_patience,
        result,
        config.verbose,
        cycle_last_epochs(config.lr_cycle_epochs, config.epochs) if restarts else None,
    )
    all_callbacks = [best]
    if restarts:
        all_callbacks.insert(
            0,
            keras.callbacks.LearningRateScheduler(
                lambda epoch, _: cosine_restarts_rate(
                    epoch, config.learning_rate, config.lr_cycle_epochs, config.epochs
                )
            ),
        )
    elif validation_data is not None and config.lr_decay_patience is not None:
        all_callbacks.insert(
            0,
            keras.callbacks.ReduceLROnPlateau(
                monitor=config.monitor,
                mode="max" if config.monitor.endswith("accuracy") else "min",
                factor=config.lr_decay_factor,
                patience=config.lr_decay_patience,
                verbose=int(config.verbose > 0),
            ),
        )
    all_callbacks += list(config.callbacks)
    with TRAINERS.borrow(model, config.learning_rate, config.precision, rates) as trainer:
        try:
            trainer.fit(
                dataset,
                epochs=config.epochs,
                validation_data=validation_data,
                callbacks=all_callbacks,
                shuffle=False,  # the dataset reshuffles itself, with the seed
                verbose=config.verbose,
            )
        except KeyboardInterrupt:
            result.interrupted = True
        finally:
            # Keras leaves each callback holding the pooled trainer: the user's callbacks are
            # the estimator's parameter, and clone, pickle and deepcopy would carry it along.
            # Not through set_model, which a callback may override to read the model.
            for callback in config.callbacks:
                if getattr(callback, "_model", None) is trainer:
                    callback._model = None
        if validation_data is not None or result.interrupted:
            best.restore(result.interrupted)
        if scored is not None:
            if result.interrupted:
                result.prior_val_loss = None  # no loss of the kept network to compare it with
            else:
                try:
                    scores = trainer.evaluate(held_out(scored), verbose=0, return_dict=True)
                    result.kept_val_loss = float(scores["loss"])
                except KeyboardInterrupt:  # the trained network is kept, as in training
                    result.interrupted = True
                    result.prior_val_loss = None
    return result
