"""The scikit-learn estimator: :class:`HeartbeatCNNClassifier`.

The estimator owns validation, training, prediction and persistence. The Keras graphs come from
:mod:`ecgbeat.networks`; pretrained weights from :mod:`ecgbeat.pretrained`. TensorFlow is imported
only when a network is built or loaded, so ``import ecgbeat`` stays fast.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import logging
import numbers
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._metadata_requests import SIMPLE_METHODS
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_features,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ecgbeat import _training
from ecgbeat import pretrained as pretrained_registry
from ecgbeat._backend import default_training_precision, import_keras
from ecgbeat._checks import is_integer, non_finite_rows, refuse_missing_labels
from ecgbeat._inference import (
    PRECISIONS,
    compile_predict,
    overflow_limit,
    refuse_non_finite_output,
    refuse_overflowing_input,
    warn_if_unscaled,
)
from ecgbeat._warnings import warn_caller
from ecgbeat.augment import check_shift, resolve_augmentation
from ecgbeat.exceptions import ModelFileError
from ecgbeat.networks import (
    ARCHITECTURES,
    build_network,
    feature_layer_names,
    network_structure,
)
from ecgbeat.persistence import (
    MAX_LABEL_ITEMSIZE,
    MAX_LABEL_LENGTH,
    has_finite_weights,
    read_model_file,
    write_model_file,
)

if TYPE_CHECKING:  # pragma: no cover
    import keras

__all__ = ["EARLIER_DEFAULTS", "HeartbeatCNNClassifier"]

_MONITORS = ("val_loss", "val_accuracy")
_LR_SCHEDULES = ("plateau", "cosine_restarts")
_BATCHES_IN_FLIGHT = 2
_STEP_LOCK = threading.Lock()
#: The training recipe before 2026-11-26, in the parameters that changed since: every beat, decay
#: on plateau, one draw per epoch, each architecture's own dropout. Model files written before
#: these parameters existed were trained so (:meth:`HeartbeatCNNClassifier.load` restores them with
#: it; files always record ``dropout`` and ``epochs``), and the benchmarks whose committed results
#: were made with it pin it to reproduce them.
EARLIER_DEFAULTS = {
    "max_class_ratio": None,
    "lr_schedule": "plateau",
    "lr_cycle_epochs": 16,
    "min_steps_per_epoch": 1,
    "dropout": None,
    "train_head_first": False,
}
#: With ``train_head_first``, the whole network's stage trains at ``learning_rate`` over this.
_HEAD_FIRST_RATE_DIVISOR = 10


class _Number(Interval):
    """An :class:`~sklearn.utils._param_validation.Interval` that refuses bools.

    Python counts a bool as an int, so ``Interval`` lets ``epochs=True`` (one epoch),
    ``learning_rate=True`` (1.0) or ``validation_fraction=False`` (nothing held out) through;
    a bool is no count, rate or fraction.
    """

    def is_satisfied_by(self, val):
        return not isinstance(val, bool) and super().is_satisfied_by(val)


# A network whose graph reads state outside its weights traces a predict step of its own (the
# shared steps of ecgbeat._inference are traced once per structure, without this warning).
# TensorFlow counts traces across all Keras models and warns of "retracing" after five; the
# warning is about our design, not the user's code, so it is dropped while ecgbeat predicts.
_predicting = threading.local()


class _OwnRetracingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            getattr(_predicting, "active", False)
            and "triggered tf.function retracing" in record.getMessage()
        )


_RETRACING_FILTER = _OwnRetracingFilter()


@contextlib.contextmanager
def _quiet_retracing():
    logger = logging.getLogger("tensorflow")
    if _RETRACING_FILTER not in logger.filters:
        logger.addFilter(_RETRACING_FILTER)
    previous = getattr(_predicting, "active", False)
    _predicting.active = True
    try:
        yield
    finally:
        _predicting.active = previous


def _random_state_as_data(random_state: np.random.RandomState) -> dict:
    """A ``RandomState`` as JSON data, in the state it is in now (as a pickle would keep it)."""
    name, keys, pos, has_gauss, cached_gaussian = random_state.get_state(legacy=True)
    return {
        "RandomState": name,
        "keys": keys.tolist(),
        "pos": int(pos),
        "has_gauss": int(has_gauss),
        "cached_gaussian": float(cached_gaussian),
    }


def _random_state_from_data(data: dict) -> np.random.RandomState:
    """The inverse of :func:`_random_state_as_data`."""
    random_state = np.random.RandomState()
    keys = np.asarray(data["keys"], dtype=np.uint32)
    random_state.set_state(
        (data["RandomState"], keys, data["pos"], data["has_gauss"], data["cached_gaussian"])
    )
    return random_state


class HeartbeatCNNClassifier(ClassifierMixin, BaseEstimator):
    """Classify single ECG heartbeats with a 1D convolutional network (Keras, TensorFlow backend).

    A scikit-learn classifier: it works in :class:`~sklearn.pipeline.Pipeline`,
    :class:`~sklearn.model_selection.GridSearchCV`, :func:`~sklearn.model_selection.cross_val_score`
    and with :mod:`sklearn.metrics`, and survives ``clone``, ``pickle`` and ``joblib``.

    Training holds out a stratified validation part of the training data and keeps the weights of
    the best validation epoch in memory (no checkpoint file is ever written). By default each
    epoch undersamples any class over three times the median class count (``max_class_ratio``),
    the learning rate follows cosine annealing with warm restarts (``lr_schedule``), the network
    trains with half the reference dropout, and training stops at the end of a cycle that did not
    improve the validation score: on MIT-BIH this reaches the reference macro-F1 several times
    sooner than the reference recipe (see the benchmarks in the documentation).

    Parameters
    ----------
    architecture : {"cnn", "resnet"}, default="cnn"
        ``"cnn"``: the reference network (Conv1D 16,16 / 32,32 / 32,32 / 256,256, global max pool,
        Dense 64, 64; about 255k weights). ``"resnet"``: the residual network of Kachuee et al.
        2018.
    n_rr_features : int, default=0
        Number of rhythm features at the end of each row of ``X``: the last ``n_rr_features``
        columns are not beat samples but values such as the R-R intervals of
        :func:`ecgbeat.rhythm.rr_features` (a beat's timing, which its shape barely shows; what
        tells a premature S beat from an N beat), possibly followed by the template features of
        :func:`ecgbeat.template.template_features` (the beat against its recording's median
        beat), then by the R-R z-scores of :func:`ecgbeat.rhythm.rr_zscores`: 7, 10 or 12 as
        :func:`ecgbeat.beats.feature_rows` lays them out (the layouts that records, streams and
        loaders build). The network reads them beside its convolutional features, before the
        dense head. ``0``: every column is a beat sample.
    epochs : int, default=48
        Maximum number of epochs (with ``max_class_ratio``, an epoch is one draw of the
        undersampled training data, or several when one makes fewer than
        ``min_steps_per_epoch`` steps). 48 is two whole cycles of the default ``lr_schedule``.
    min_steps_per_epoch : int, default=32
        An epoch makes at least this many optimiser steps: when one draw of the training beats
        makes fewer batches, the epoch repeats the draw (each time afresh) until it has enough.
        Without it a few hundred beats make two or three steps an epoch, and training ends
        before the network has left the class prior. Large data sets are unaffected (MIT-BIH:
        about 200 steps an epoch). ``1``: one draw per epoch, whatever the size.
    batch_size : int, default=128
        Beats per gradient step.
    learning_rate : float, default=1e-3
        Learning rate of the Adam optimiser: with ``lr_schedule="cosine_restarts"`` (the
        default) the mean of each cycle, which starts at twice it; with ``"plateau"`` the
        initial rate.
    validation_fraction : float, default=0.1
        Fraction of the training beats held out, stratified by class, to choose the best epoch,
        stop early and, with ``lr_schedule="plateau"``, decay the learning rate (the default
        cosine schedule anneals it either way). A class of a single beat is trained on, not held
        out (with a warning naming it). ``0`` trains for exactly ``epochs`` epochs and
        keeps the last weights (``monitor``, ``early_stopping_patience`` and the decay's
        parameters are then not used; changing them warns).
    monitor : {"val_loss", "val_accuracy"}, default="val_loss"
        Validation quantity that decides the best epoch, the decay and the stop.
    early_stopping_patience : int or None, default=8
        Epochs without improvement before training stops; ``None`` never stops early.
    lr_decay_patience : int or None, default=3
        Epochs without improvement before the learning rate is multiplied by ``lr_decay_factor``;
        ``None`` keeps it constant.
    lr_decay_factor : float, default=0.1
        Factor of the learning-rate decay on plateau.
    lr_schedule : {"cosine_restarts", "plateau"}, default="cosine_restarts"
        How the learning rate changes. ``"plateau"``: it starts at ``learning_rate`` and is
        multiplied by ``lr_decay_factor`` after ``lr_decay_patience`` epochs without improvement.
        ``"cosine_restarts"``: cosine annealing with warm restarts (SGDR, Loshchilov & Hutter
        2017); each cycle falls from twice ``learning_rate`` towards 0 along a cosine, the first
        in ``lr_cycle_epochs`` epochs and each next one in twice as many; epochs left over after
        the last whole cycle that fits in ``epochs`` lengthen that cycle, so training always ends
        annealed (``epochs=20`` is one 20-epoch cycle). The end of a cycle is a well-settled
        network early on, which the next, longer cycle improves on. Only these annealed networks
        at the ends of cycles can be kept (the best by ``monitor``; before the first cycle ends,
        as in an interrupted fit, the best epoch so far), and early stopping judges whole cycles:
        it stops at the end of a cycle that did not improve on the best
        (``early_stopping_patience=None`` turns it off; its number is not used), and
        ``lr_decay_patience`` and ``lr_decay_factor`` are not used (changing them warns). The
        documentation's Training page says how this default was chosen; :data:`EARLIER_DEFAULTS`
        is the recipe of the older shipped models.
    lr_cycle_epochs : int, default=16
        Length of the first cycle of ``lr_schedule="cosine_restarts"``, in epochs. Not used with
        ``"plateau"`` (changing it warns).
    dropout : float or None, default=0.05
        Dropout rate of the network after each pooling block (twice that, at most 0.9, before the
        dense head of ``"cnn"``; ``"resnet"`` has dropout only there, when the rate is not 0). ``None``
        keeps the architecture's published rate: 0.1 for ``"cnn"``, none for ``"resnet"``.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as in scikit-learn's classifiers. A dict may name
        classes that ``y`` lacks (a cross-validation fold without them) when it weights every
        class of ``y``. Weights are finite numbers >= 0, and some class of ``y`` weighs more
        than 0. Only their ratios matter: weights of the beats (times ``sample_weight``, if
        any) whose mean is below 1/16 or above 16 are scaled by the power of 2 that brings it
        nearest 1, as Adam's epsilon would drown the gradients of tiny weights; others (such as
        ``"balanced"``'s, of mean 1) are left as they are.
    max_class_ratio : float >= 1 or None, default=3.0
        Undersample the largest classes afresh in every epoch: a class with more than
        ``max_class_ratio`` times the median class count of the training beats contributes
        only that many beats (a new random draw each epoch, never under 10 % of the class).
        The loss makes up for the changed class mix, so :meth:`predict_proba` still estimates
        the probabilities of the data as given (the rarer classes are not favoured; that is
        ``class_weight``'s job). Data sets where no class has more than three times the median
        count are not changed. ``None`` trains on every beat.
        :attr:`sampling_rates_` shows the rates used.
    augmentation : {"ecg"}, dict or None, default=None
        Change every training beat afresh in every epoch the way a new recording would: R-peak
        jitter, amplitude, baseline drift and noise (:mod:`ecgbeat.augment`; ``"ecg"`` is
        :data:`ecgbeat.augment.DEFAULT_AUGMENTATION`, a dict sets the strengths, e.g.
        ``{"shift": 2, "noise": 0.02}``). The validation beats and rhythm features are never
        changed. ``None``: the beats as given.
    freeze_conv : bool, default=False
        Train only the dense head; the convolutional layers keep their initial (usually
        pretrained) weights. Meant for transfer learning with ``pretrained``.
    train_head_first : bool, default=False
        With ``pretrained`` and ``freeze_conv=False`` (fine-tuning), train in two stages, as
        Keras' transfer-learning guide does: first the dense head alone on the frozen
        convolutional layers (a ``freeze_conv=True`` fit), then the whole network from there at a
        tenth of ``learning_rate``, so that a new, random output layer does not pull the
        pretrained features apart in the first steps (Kumar et al. 2022, "Fine-tuning can distort
        pretrained features"). Each stage runs up to ``epochs`` epochs with the same validation
        beats; :attr:`history_` holds both, one after the other. ``False``: the whole network from
        the start at ``learning_rate``. Not used without ``pretrained`` or with
        ``freeze_conv=True``. The documentation's Results page has the small-data comparison:
        ahead on DS1, behind on DS2's patients, hence not the default.
    pretrained : str, path or None, default=None
        Start ``fit`` from these weights: the name of a model that ships with ecgbeat (see
        :func:`ecgbeat.pretrained.list_pretrained`) or the path of a model saved with
        :meth:`save`. The convolutional and dense layers are copied by their position in the
        network; the output layer too when the labels of ``fit`` are exactly the pretrained
        classes (the same values of the same kind), else it is new and :attr:`classes_` are the
        labels of ``fit``. A relative path is kept as given (by :meth:`save` and ``clone``
        too) and read from the working directory at each ``fit``; the :attr:`model_card_` of the
        fitted model records the start's absolute path (``fine_tuned_from``).
        :meth:`from_pretrained` sets this for you, a relative path made absolute. Rows that look
        like the start's beats with other feature columns than it reads (beats alone for a start
        with rhythm inputs, say) are warned about: the network would read them in its own layout.
    keep_pretrained_classes : bool, default=False
        With ``pretrained``: keep the pretrained output layer and all its classes even when the
        labels of ``fit`` are only some of them (a new patient whose few minutes hold only normal
        beats, say). The labels must then be among the pretrained classes, of the same kind.
    predict_batch_size : int, default=4096
        Beats per batch in :meth:`predict_proba`, which runs two batches at a time: the memory
        that prediction uses beyond the input grows with it.
    precision : {"auto", "float32", "mixed_bfloat16"}, default="auto"
        Arithmetic of training. ``"mixed_bfloat16"`` computes the network's layers in bfloat16
        while keeping the weights and the softmax in float32 (Keras mixed precision); on CPUs
        with bfloat16 instructions (AVX512-BF16 or AMX) this trains about twice as fast. ``"auto"``
        chooses it on such a CPU when TensorFlow sees no GPU, else ``"float32"``;
        :attr:`precision_` says what was used. Prediction follows ``inference_precision``. With ``"auto"``
        the same ``random_state`` gives the same model only on CPUs of the same kind: bfloat16
        rounds differently, so probabilities can differ by a few hundredths between a CPU with
        bfloat16 and one without. Name ``"float32"`` to reproduce a fit on any CPU.
    inference_precision : {"float32", "bfloat16", "auto"}, default="float32"
        Arithmetic of :meth:`predict_proba` and :meth:`predict`. ``"bfloat16"`` runs the layers
        in bfloat16 (the output layer and its softmax stay float32): on CPUs with bfloat16
        instructions it predicts faster, and its classes agree with float32's on all but 1 to
        10 beats in 10,000 (MIT-BIH), with probabilities that differ by up to about 0.1 on beats
        near a decision boundary. Without such instructions TensorFlow emulates bfloat16, which
        is not expected to be faster (not measured).
        ``"auto"`` chooses ``"bfloat16"`` on a CPU with bfloat16 instructions when TensorFlow
        sees no GPU, else ``"float32"``. Read when predicting: ``set_params`` on a fitted
        estimator takes effect without a new fit. The documentation's Benchmarks page has the
        measured speed and agreement.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra Keras callbacks for ``fit``. Their ``self.model`` is the compiled network being
        trained, a copy that the estimator reuses across fits (so that repeated fits do not grow
        in memory); its weights are copied into :attr:`model_` when ``fit`` ends. A
        ``keras.callbacks.ModelCheckpoint`` that saves the whole model stores that copy with the
        estimator's training loss, which Keras cannot rebuild in another process: load such a
        file with ``keras.saving.load_model(path, compile=False)``, or save the weights only.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, dropout, shuffling and validation split. The same integer
        gives identical predictions on a CPU, as long as TensorFlow's global seed is the same:
        the epochs' shuffles and augmentation draws are ``tf.data`` operations, whose seeds
        TensorFlow combines with its global one, so ``tf.random.set_seed`` or
        ``keras.utils.set_random_seed`` called before ``fit`` gives another model. ``fit`` sets no
        global seed; with ``None`` it draws its seeds from NumPy's global generator, as
        scikit-learn's estimators do, which advances it.
    verbose : int, default=0
        0 is silent, 1 prints a progress bar per epoch, 2 one line per epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels known to the classifier; the columns of :meth:`predict_proba` follow them.
    n_features_in_ : int
        Number of columns of ``X`` seen during ``fit``: the beat's samples plus
        ``n_rr_features``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the columns of ``X`` seen during ``fit``. Defined only when ``X`` has column
        names that are all text (a pandas DataFrame); :meth:`predict` then checks them.
    model_ : keras.Model
        The trained network.
    history_ : dict of str to list of float
        Per-epoch training history (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``,
        ``learning_rate``).
    best_epoch_ : int
        Epoch (from 1) whose weights were kept; 0 when training was interrupted (Ctrl-C) in its
        first epoch, which keeps the initial weights.
    precision_ : str
        Arithmetic that training used, ``"float32"`` or ``"mixed_bfloat16"``.
    sampling_rates_ : ndarray of shape (n_classes,)
        Share of each class's training beats that every epoch drew (1.0: all of them); see
        ``max_class_ratio``.
    n_epochs_ : int
        Number of epochs actually run.
    model_card_ : dict
        Present for a shipped or saved model that has a card: what it was trained on, how its
        beats are cut (``segmentation``), its class names and results. After a fit from a
        pretrained start it keeps only what still holds (``fine_tuned_from``, how the beats are
        cut, the data's ``attribution``, and the class names and normal class when the classes
        are the start's); a fit from scratch has none.

    See Also
    --------
    ecgbeat.networks.build_network : The Keras networks.
    sklearn.neural_network.MLPClassifier : A dense network in scikit-learn, with the same idioms.

    Examples
    --------
    >>> import numpy as np
    >>> from ecgbeat import HeartbeatCNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((60, 32)) / 2; X[30:, 10:20] += 0.5  # beats within [0, 1]
    >>> y = np.array(["normal"] * 30 + ["ectopic"] * 30)
    >>> clf = HeartbeatCNNClassifier(epochs=5, batch_size=16, random_state=0).fit(X, y)
    >>> clf.classes_
    array(['ectopic', 'normal'], dtype='<U7')
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: ClassVar[dict] = {
        "architecture": [StrOptions(set(ARCHITECTURES))],
        "n_rr_features": [_Number(numbers.Integral, 0, None, closed="left")],
        "epochs": [_Number(numbers.Integral, 1, None, closed="left")],
        "min_steps_per_epoch": [_Number(numbers.Integral, 1, None, closed="left")],
        "batch_size": [_Number(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [_Number(numbers.Real, 0, None, closed="neither")],
        "validation_fraction": [_Number(numbers.Real, 0, 1, closed="left")],
        "monitor": [StrOptions(set(_MONITORS))],
        "early_stopping_patience": [_Number(numbers.Integral, 1, None, closed="left"), None],
        "lr_decay_patience": [_Number(numbers.Integral, 1, None, closed="left"), None],
        "lr_decay_factor": [_Number(numbers.Real, 0, 1, closed="neither")],
        "lr_schedule": [StrOptions(set(_LR_SCHEDULES))],
        "lr_cycle_epochs": [_Number(numbers.Integral, 1, None, closed="left")],
        "dropout": [_Number(numbers.Real, 0, 1, closed="left"), None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "max_class_ratio": [_Number(numbers.Real, 1, None, closed="left"), None],
        "augmentation": [StrOptions({"ecg"}), dict, None],
        "freeze_conv": ["boolean"],
        "train_head_first": ["boolean"],
        "keep_pretrained_classes": ["boolean"],
        "pretrained": [str, Path, None],
        "predict_batch_size": [_Number(numbers.Integral, 1, None, closed="left")],
        "precision": [StrOptions({"auto", "float32", "mixed_bfloat16"})],
        "inference_precision": [StrOptions({"auto", "float32", "bfloat16"})],
        "callbacks": [list, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        architecture: str = "cnn",
        *,
        n_rr_features: int = 0,
        epochs: int = 48,
        min_steps_per_epoch: int = 32,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        validation_fraction: float = 0.1,
        monitor: str = "val_loss",
        early_stopping_patience: int | None = 8,
        lr_decay_patience: int | None = 3,
        lr_decay_factor: float = 0.1,
        lr_schedule: str = "cosine_restarts",
        lr_cycle_epochs: int = 16,
        dropout: float | None = 0.05,
        class_weight: dict | str | None = None,
        max_class_ratio: float | None = 3.0,
        augmentation: str | dict | None = None,
        freeze_conv: bool = False,
        train_head_first: bool = False,
        pretrained: str | Path | None = None,
        keep_pretrained_classes: bool = False,
        predict_batch_size: int = 4096,
        precision: str = "auto",
        inference_precision: str = "float32",
        callbacks: list | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ) -> None:
        self.architecture = architecture
        self.n_rr_features = n_rr_features
        self.epochs = epochs
        self.min_steps_per_epoch = min_steps_per_epoch
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.monitor = monitor
        self.early_stopping_patience = early_stopping_patience
        self.lr_decay_patience = lr_decay_patience
        self.lr_decay_factor = lr_decay_factor
        self.lr_schedule = lr_schedule
        self.lr_cycle_epochs = lr_cycle_epochs
        self.dropout = dropout
        self.class_weight = class_weight
        self.max_class_ratio = max_class_ratio
        self.augmentation = augmentation
        self.freeze_conv = freeze_conv
        self.train_head_first = train_head_first
        self.pretrained = pretrained
        self.keep_pretrained_classes = keep_pretrained_classes
        self.predict_batch_size = predict_batch_size
        self.precision = precision
        self.inference_precision = inference_precision
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ scikit-learn protocol

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Without a seed each fit draws its own (weights, splits, batches); with one, a fit
        # repeats exactly on CPUs of the same kind (see ``precision``).
        tags.non_deterministic = self.random_state is None
        return tags

    def _warn_inert_parameters(self) -> None:
        """Warn when a parameter was changed that the learning-rate schedule, or the lack of a
        pretrained start or of validation beats, leaves unused."""
        without_start = [
            f"{name}=True"
            for name in ("keep_pretrained_classes", "train_head_first")
            if getattr(self, name) and self.pretrained is None  # True or NumPy's True_
        ]
        if without_start:
            warn_caller(
                f"{', '.join(without_start)} changes nothing without pretrained: it is about "
                "the pretrained start's output layer or stages. Set pretrained (or use "
                "HeartbeatCNNClassifier.from_pretrained) to start from a model",
                UserWarning,
            )
        if self.pretrained is not None and self.freeze_conv and self.train_head_first:
            # The docstring says so, and a user who asked for both believed the network fine-tuned
            # after its head: only the head trained, in one stage, without a word.
            warn_caller(
                "train_head_first=True changes nothing with freeze_conv=True: the convolutional "
                "layers stay frozen, so only the head trains, in one stage. Set freeze_conv=False "
                "to fine-tune the whole network after the head",
                UserWarning,
            )
        defaults = {
            name: parameter.default
            for name, parameter in inspect.signature(type(self).__init__).parameters.items()
        }
        plateau = self.lr_schedule != "cosine_restarts"
        without_validation = []
        if self.validation_fraction == 0:
            # Nothing held out: early_stopping_patience=1 ran every epoch without a word.
            without_validation = [
                name
                for name in ("monitor", "early_stopping_patience")
                + (("lr_decay_patience", "lr_decay_factor") if plateau else ())
                if getattr(self, name) not in (defaults[name], None)
            ]
        if without_validation:
            warn_caller(
                ", ".join(f"{name}={getattr(self, name)!r}" for name in without_validation)
                + " changes nothing with validation_fraction=0: no beats are held out to "
                "monitor, so training runs every epoch and keeps the last weights"
                + (", and the learning rate never decays on plateau" if plateau else "")
                + ". Set validation_fraction > 0 to use them",
                UserWarning,
            )
        if plateau:
            if self.lr_cycle_epochs != defaults["lr_cycle_epochs"]:
                warn_caller(
                    f"lr_cycle_epochs={self.lr_cycle_epochs!r} changes nothing with "
                    f"lr_schedule={self.lr_schedule!r}: it is the length of the first cosine "
                    "cycle. Set lr_schedule='cosine_restarts' to train in cycles",
                    UserWarning,
                )
            return
        changed = [
            f"{name}={getattr(self, name)!r}"
            for name in ("lr_decay_patience", "lr_decay_factor", "early_stopping_patience")
            if getattr(self, name) not in (defaults[name], None) and name not in without_validation
        ]
        if changed:
            warn_caller(
                f"{', '.join(changed)} changes nothing with lr_schedule='cosine_restarts': the "
                "learning rate follows its cosine cycles, and early stopping judges whole cycles "
                "(only early_stopping_patience=None, which turns it off, acts). Set "
                "lr_schedule='plateau' to decay on plateau with these settings",
                UserWarning,
            )

    def _warn_if_unscaled(self, X: np.ndarray) -> None:
        """Warn (once per call) when the beats are not min-max scaled to [0, 1]."""
        n_rr = self.n_rr_features
        # Checked here, where it is used: set_params on a fitted estimator skips fit's check.
        if not is_integer(n_rr) or n_rr < 0:
            raise ValueError(f"n_rr_features must be an integer >= 0, got {n_rr!r}")
        warn_if_unscaled(X[:, : X.shape[1] - int(n_rr)], int(n_rr))

    def _validate_X(self, X, y="no_validation", *, reset: bool, cast: bool = True):
        """Validate beats (and labels); return beats of shape (n_beats, n_samples).

        With ``cast`` the beats are returned as contiguous float32; without, as they came
        (float32 or float64), so that prediction converts batch by batch, never the whole input.
        """
        kwargs = {"reset": reset, "dtype": [np.float32, np.float64], "allow_nd": True}
        validate_y = not (isinstance(y, str) and y == "no_validation")
        try:
            if validate_y:
                X, y = validate_data(self, X, y, **kwargs)
            else:
                X = validate_data(self, X, **kwargs)
        except TypeError:
            # pandas' NA among the labels (a "string" column with a gap): scikit-learn's check
            # for NaN failed on it as "boolean value of NA is ambiguous".
            if validate_y:
                refuse_missing_labels(np.asarray(y, dtype=object), "y")
            raise
        except ValueError as exc:
            if validate_y and str(exc).startswith("Input contains NaN"):
                # A text column with a gap (NaN in an object array): scikit-learn named neither
                # y nor the labels ("Input contains NaN"; for X it says "Input X ...").
                refuse_missing_labels(np.asarray(y, dtype=object), "y")
            n_rr = getattr(self, "n_rr_features", 0)
            wrong_width = "is expecting" in str(exc) and "features as input" in str(exc)
            if reset or not isinstance(n_rr, numbers.Integral) or n_rr < 1 or not wrong_width:
                raise
            # Beats alone (a Kaggle CSV, segment_beats' output) given to a rhythm model: the
            # counts alone do not say which columns are missing.
            n_beat_samples = self.n_features_in_ - n_rr
            if _num_features(X) == n_beat_samples:
                hint = (
                    ": beats alone lack them; ecgbeat.beats.feature_rows appends them, "
                    "classify_record does it for a record"
                )
            else:
                # Rows of another layout (rhythm and template features for a rhythm model):
                # they hold feature columns, and "beats alone" sent the user to look for them.
                hint = (
                    "; ecgbeat.beats.feature_rows makes that layout (rhythm=True for 7 such "
                    "columns, template=True for 10, zscores=True for 12)"
                )
            raise ValueError(
                f"{exc} The model reads {n_beat_samples} beat samples then {n_rr} rhythm "
                f"feature columns (n_rr_features){hint}"
            ) from None
        if X.ndim == 3:
            if X.shape[2] != 1:
                raise ValueError(
                    "X must have shape (n_beats, n_samples) or (n_beats, n_samples, 1); got "
                    f"{X.shape}: only one lead per beat is supported"
                )
            X = X[:, :, 0]
        elif X.ndim != 2:
            raise ValueError(
                "X must have shape (n_beats, n_samples) or (n_beats, n_samples, 1); got "
                f"an array with {X.ndim} dimensions"
            )
        limit = float(np.finfo(np.float32).max)
        if X.dtype == np.float64 and X.size and (X.max() > limit or X.min() < -limit):
            # validate_data accepted these as finite, but float32, the network's type, cannot.
            raise ValueError(
                f"X has values beyond the float32 range (|x| > {limit:.3g}); beats are "
                "expected in [0, 1], as ecgbeat.beats.segment_beats makes them"
            )
        if cast:
            X = np.ascontiguousarray(X, dtype=np.float32)
        return (X, y) if validate_y else X

    def fit(self, X, y, groups=None, sample_weight=None) -> HeartbeatCNNClassifier:
        """Train the network on beats ``X`` with labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_beats, n_samples) or (n_beats, n_samples, 1)
            Beats, one per row (187 samples at 125 Hz, scaled to [0, 1], for the published models),
            followed by ``n_rr_features`` rhythm features when that is set.
        y : array-like of shape (n_beats,)
            Class labels of any one type (integers, strings, booleans...); an object array (a
            pandas column of text) holds text only. At least two classes.
        groups : array-like of shape (n_beats,), default=None
            The patient (or recording) of each beat. With groups, the validation part that
            chooses the best epoch holds whole patients out, never one patient on both sides:
            beats of one patient are near-copies, so a split by beat measures memory, not how
            the network does on a new patient. The split is stratified by class as far as whole
            patients allow (:class:`~sklearn.model_selection.StratifiedGroupKFold`, the ``m`` of
            ``k`` folds whose share ``m / k`` is nearest ``validation_fraction``, 2 of 5 for 0.4,
            chosen so that every class is trained on where possible). Inside :class:`~sklearn.model_selection.GridSearchCV` or
            :func:`~sklearn.model_selection.cross_validate`, route it with metadata routing:
            ``sklearn.set_config(enable_metadata_routing=True)`` and
            ``clf.set_fit_request(groups=True)``.
        sample_weight : array-like of shape (n_beats,), default=None
            A weight >= 0 for each beat, multiplying its loss in training (with the weights of
            ``class_weight``, if any) and in the validation loss that chooses the best epoch
            (with ``monitor="val_accuracy"`` every held-out beat counts alike: Keras' compiled
            accuracy takes no weights); a beat of weight 0 teaches nothing. Only the weights'
            ratios matter: ``fit`` scales them to a mean of 1 (the losses in :attr:`history_` are
            weighted so). Adam, which trains the network, is blind to the scale of the loss but
            for its epsilon, under which weights that sum to 1 over 100,000 beats (1e-5 each)
            would push the gradients, and the network would learn next to nothing. The
            per-epoch draw of ``max_class_ratio`` counts beats, not weights. Weights are not
            equivalent to repeating beats: the batches differ. In a meta-estimator, route it
            with ``clf.set_fit_request(sample_weight=True)``.

        Returns
        -------
        self : HeartbeatCNNClassifier
            The fitted estimator. A fit that fails (bad input, an error while training) leaves
            the estimator exactly as it was before: fitted as before, or unfitted, and a
            ``RandomState`` given as ``random_state`` in the state it was in.
        """
        previous = dict(self.__dict__)
        # A RandomState passed as random_state is part of the estimator: a fit that fails later
        # (in training, or copying pretrained weights) gives it back in the state it was in.
        random_state = self.random_state
        drawn_from = (
            random_state.get_state() if isinstance(random_state, np.random.RandomState) else None
        )
        try:
            return self._fit(X, y, groups, sample_weight)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(previous)
            if drawn_from is not None:
                random_state.set_state(drawn_from)
            raise

    def _fit(self, X, y, groups, sample_weight) -> HeartbeatCNNClassifier:
        self._validate_params()
        X, y = self._validate_X(X, y, reset=True)
        _refuse_non_finite_under_assume_finite(X, "X")
        _refuse_mixed_labels(y)
        check_classification_targets(y)
        if X.shape[1] <= self.n_rr_features:
            raise ValueError(
                f"X has {X.shape[1]} columns but n_rr_features={self.n_rr_features}: each row "
                "must hold a beat of at least one sample before its rhythm features"
            )
        self._warn_if_unscaled(X)
        self._warn_inert_parameters()
        if groups is not None:
            groups = _groups_1d(groups)
            check_consistent_length(y, groups)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
            _refuse_non_finite_under_assume_finite(sample_weight, "sample_weight")
            sample_weight = _mean_one(sample_weight)
        augmentation = resolve_augmentation(self.augmentation)
        if augmentation is not None:
            check_shift(augmentation, X.shape[1] - self.n_rr_features)
        source = self._load_pretrained()
        if source is not None:
            self._warn_if_rows_unlike_start(source, X.shape[1])
        classes = np.unique(y)
        if source is not None:
            source_classes = _source_classes(source)
            if self.keep_pretrained_classes:
                # A new patient may show only some of the pretrained classes: keep the head.
                same_kind = _same_kind(classes, source_classes)
                if not (same_kind and np.isin(classes, source_classes).all()):
                    # Labels of another kind look like the classes ([0.0, 1.0] against
                    # [0, 1, 2, 3, 4], as a pandas column of nullable integers gives): say why.
                    kinds = (
                        ""
                        if same_kind
                        else f": {_kind_in_words(classes)}, where the pretrained classes are "
                        f"{_kind_in_words(source_classes)} (1.0 is not 1, nor '1'); give y as "
                        "labels of their kind"
                    )
                    raise ValueError(
                        f"keep_pretrained_classes=True needs labels among the pretrained classes "
                        f"{source_classes.tolist()}; got {classes.tolist()}{kinds}"
                    )
                classes = source_classes
        if len(classes) < 2:
            raise ValueError(
                f"HeartbeatCNNClassifier needs beats of at least 2 classes; got 1 class "
                f"({classes[:1].tolist()[0]!r})"
            )
        y_encoded = np.searchsorted(classes, y).astype(np.int32)
        sample_weights = self._sample_weights(y, y_encoded, classes)
        if sample_weight is not None:
            class_weights = 1.0 if sample_weights is None else sample_weights
            sample_weights = _near_one(class_weights * sample_weight).astype(np.float32)
            if not sample_weights.any():
                raise ValueError(
                    "sample_weight and class_weight together give every beat weight 0: the "
                    "loss would be 0 and the network would learn nothing"
                )
            sample_weight = sample_weight.astype(np.float32)
        self._check_callbacks()
        # Every check of the input and parameters comes before the draw: a fit refused for bad
        # input does not advance a RandomState passed as random_state.
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(0, 2**31 - 1))

        self._release_model()
        model = self._initial_model(X.shape[1], classes, seed, source)
        precision = default_training_precision() if self.precision == "auto" else self.precision
        config = _training.TrainingConfig.from_params(
            self.get_params(deep=False), augmentation=augmentation, precision=precision
        )

        def train(network, stage_config):
            return _training.train(
                network,
                X,
                y_encoded,
                stage_config,
                n_classes=len(classes),
                seed=seed,
                sample_weights=sample_weights,
                validation_weights=sample_weight,
                groups=groups,
                n_beat_samples=X.shape[1] - self.n_rr_features,
                labels=classes,
            )

        if source is not None and self.train_head_first and not self.freeze_conv:
            # The head first, on the frozen pretrained features; then every layer, gently.
            freeze_features(model)
            result = train(model, config)
            if not result.interrupted:  # an interrupted fit stops here, with the head trained
                whole = self._initial_model(X.shape[1], classes, seed)
                copy_weights_by_structure(model, whole, include_output=True)
                model = whole
                gently = replace(
                    config, learning_rate=config.learning_rate / _HEAD_FIRST_RATE_DIVISOR
                )
                result = _training.joined(result, train(model, gently))
        else:
            result = train(model, config)
        if not has_finite_weights(model):
            # As scikit-learn's MLPClassifier: a diverged network is an error, not a model.
            raise ValueError(
                f"training diverged: the network's weights became NaN or infinite (after "
                f"{result.n_epochs} epoch(s)). Try a smaller learning_rate (it is "
                f"{self.learning_rate:g}) and check that the beats are scaled to [0, 1]"
            )
        self.classes_ = classes
        self.precision_ = precision
        self.sampling_rates_ = result.sampling_rates
        self.model_ = model
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.n_epochs_ = result.n_epochs
        self.__dict__.pop("model_card_", None)
        card = _card_after_fine_tuning(source, classes, self.pretrained)
        if card is not None:
            self.model_card_ = card
        self._setup_inference()
        if result.interrupted:
            warn_caller(
                f"training was interrupted after {result.n_epochs} epoch(s); the estimator keeps "
                f"the weights of the best epoch so far ({result.best_epoch}) and is usable",
                UserWarning,
            )
        self._warn_if_one_class(X, y_encoded, rng)
        if len(np.unique(y_encoded)) > 1:  # one class (a kept pretrained head): nothing to beat
            self._warn_if_not_below_prior(result, weighted=sample_weights is not None)
        return self

    def _warn_if_not_below_prior(self, result: _training.TrainingResult, weighted: bool) -> None:
        """Warn when no epoch's validation loss fell clearly (by 1 %) below that of the class
        frequencies: a network that learned nothing outputs them, give or take a hair.

        ``weighted``: the training beats' losses were weighted (``class_weight`` or
        ``sample_weight``), and the frequencies are of the weights, as the network learns them.
        With held-out beats of a class that training gave no weight, the kept network's loss on
        the other held-out beats is compared (see ``TrainingResult.kept_val_loss``).
        """
        prior_val_loss = result.prior_val_loss
        val_loss = self.history_.get("val_loss")
        if result.kept_val_loss is not None:
            val_loss = [result.kept_val_loss]
        if prior_val_loss is None or not val_loss or min(val_loss) < 0.99 * prior_val_loss:
            return
        # With class_weight="balanced" the figure is the loss of equal shares, not of the counts.
        frequencies = " (of the beats' weights)" if weighted else ""
        if result.kept_val_loss is None:
            loss = "the validation loss never fell"
            figure = f"best: {min(val_loss):.4g}"
        else:
            loss = (
                "on the held-out beats of the classes it trained on (those of a class that "
                "training gave no weight are left out), the kept network's validation loss is not"
            )
            figure = f"it is {result.kept_val_loss:.4g}"
        warn_caller(
            f"{loss} clearly below {prior_val_loss:.4g}, the loss of predicting "
            f"the training class frequencies{frequencies} for every beat ({figure}): what "
            "the network learned does not carry to the held-out beats. Try more epochs or "
            "beats, a smaller learning_rate, and check that the beats are scaled to [0, 1]",
            ConvergenceWarning,
        )

    #: How many training beats the check for a network that learned nothing predicts.
    _CONVERGENCE_SAMPLE = 2000

    def _warn_if_one_class(self, X: np.ndarray, y_encoded: np.ndarray, rng) -> None:
        """Warn when the trained network gives every beat the same class: it learned nothing.

        Training that collapses to the majority class ends without an error, and its accuracy
        can look fine on imbalanced data; a sample of the training beats tells.
        """
        if len(np.unique(y_encoded)) < 2:
            return
        rows = np.arange(len(X))
        if len(rows) > self._CONVERGENCE_SAMPLE:
            rows = np.sort(rng.choice(rows, self._CONVERGENCE_SAMPLE, replace=False))
        # The beats were checked (and their scale warned about) in fit: not again.
        predicted = np.unique(np.argmax(self._network_proba(X[rows]), axis=1))
        if len(predicted) == 1:
            warn_caller(
                f"training ended predicting class {np.asarray(self.classes_[predicted[0]]).tolist()!r} for "
                f"every one of {len(rows)} training beats checked: the network did not learn to "
                "tell the classes apart. Try more epochs (with few beats, max_class_ratio=None "
                "gives each epoch more steps), a larger learning_rate or class_weight='balanced', "
                "and check that the beats are scaled to [0, 1]",
                ConvergenceWarning,
            )

    def _sample_weights(self, y, y_encoded: np.ndarray, classes: np.ndarray) -> np.ndarray | None:
        if self.class_weight is None:
            return None
        present = np.unique(y)
        if isinstance(self.class_weight, dict):
            # As scikit-learn: a class absent from this y may be named (a fold of GroupKFold can
            # lack one), unless a class of y then goes unweighted, which hints at a misspelt key.
            unknown = set(self.class_weight) - set(classes.tolist())
            unweighted = set(present.tolist()) - set(self.class_weight)
            if unknown and unweighted:
                raise ValueError(
                    f"class_weight names classes that are not in y: {sorted(map(str, unknown))}, "
                    f"and gives no weight to {sorted(map(str, unweighted))}; the classes are "
                    f"{classes.tolist()}"
                )
            # Checked before compute_class_weight, which takes any float: a negative weight
            # would train by gradient ascent on its class, NaN would end as "diverged".
            bad = {
                key: weight
                for key, weight in self.class_weight.items()
                if isinstance(weight, bool)
                or not isinstance(weight, numbers.Real)
                or not np.isfinite(weight)
                or weight < 0
            }
            if bad:
                raise ValueError(
                    "class_weight values must be finite numbers >= 0; got "
                    + ", ".join(f"{key!r}: {weight!r}" for key, weight in bad.items())
                )
        weights = compute_class_weight(self.class_weight, classes=present, y=y)
        if not weights.any():
            raise ValueError(
                f"class_weight gives weight 0 to every class of y ({present.tolist()}): the loss "
                "would be 0 and the network would learn nothing; give some class a weight > 0"
            )
        return _near_one(weights[np.searchsorted(present, y)]).astype(np.float32)

    def _check_callbacks(self) -> None:
        """Refuse what is not a Keras callback (a class, text, None), which Keras would refuse
        only when training starts, in words that name neither the parameter nor the item."""
        callback = import_keras().callbacks.Callback
        for index, item in enumerate(self.callbacks or ()):
            if not isinstance(item, callback):
                raise ValueError(
                    f"callbacks[{index}] is {item!r}, not a keras.callbacks.Callback instance"
                    + (" (a class: call it)" if isinstance(item, type) else "")
                )

    def _load_pretrained(self):
        """The pretrained start named by ``pretrained``, checked against ``architecture`` and
        ``n_rr_features``."""
        if self.pretrained is None:
            return None
        try:
            source = pretrained_registry.load(self.pretrained)
        except ModelFileError as error:
            start = Path(self.pretrained)
            if start.is_absolute() or os.path.lexists(start):
                raise
            # The parameter is kept as given (save and clone keep it so): after a load in
            # another folder, "does not exist" did not say where the path had been looked for.
            raise ModelFileError(
                f"pretrained={str(self.pretrained)!r}: {error}; a relative path is read from "
                f"the working directory, {os.getcwd()!r}. Give the start's absolute path "
                "(a model fine-tuned from it records that as model_card_['fine_tuned_from'])"
            ) from error
        if source.architecture != self.architecture:
            raise ValueError(
                f"pretrained model {self.pretrained!r} is a {source.architecture!r} network "
                f"but architecture={self.architecture!r}; set architecture="
                f"{source.architecture!r}"
            )
        n_rr_features = network_structure(source.model)[1]
        if n_rr_features != self.n_rr_features:
            # Else the copy of the weights failed on the dense head's shapes, naming neither.
            raise ValueError(
                f"pretrained model {self.pretrained!r} reads {n_rr_features} rhythm feature "
                f"columns after each beat (n_rr_features={n_rr_features}), but "
                f"n_rr_features={self.n_rr_features!r}; set n_rr_features={n_rr_features}"
            )
        return source

    def _warn_if_rows_unlike_start(self, source, n_columns: int) -> None:
        """Warn when the rows look like the start's beats with other feature columns than it
        reads: beats alone for a start with rhythm inputs, or beats with R-R features for one
        without. The networks take beats of any length, so such a fit ran without a word,
        reading the last beat samples as R-R features, or the features as beat samples."""
        from ecgbeat.rhythm import N_RR_FEATURES, N_RR_ZSCORES
        from ecgbeat.template import N_TEMPLATE_FEATURES

        n_rr = self.n_rr_features  # the start's: _load_pretrained checked it
        beat_length = int(source.metadata["n_features_in"]) - n_rr
        extra = n_columns - beat_length
        with_template = N_RR_FEATURES + N_TEMPLATE_FEATURES
        if extra == n_rr or extra not in (
            0,
            N_RR_FEATURES,
            with_template,
            with_template + N_RR_ZSCORES,
        ):
            return
        rows = (
            f"the start's {beat_length}-sample beats alone"
            if extra == 0
            else f"the start's {beat_length}-sample beats followed by {extra} feature columns"
        )
        if n_rr:
            reads = (
                f"reads {n_rr} rhythm feature columns after each beat (n_rr_features={n_rr}): "
                f"the network would take the last {n_rr} columns of each row as those features "
                f"and the {n_columns - n_rr} before them as the beat"
            )
        else:
            reads = (
                "reads beats alone (n_rr_features=0): the network would take all "
                f"{n_columns} columns as samples of the beat"
            )
        warn_caller(
            f"X has {n_columns} columns, {rows}? Pretrained model {str(self.pretrained)!r} "
            f"{reads}. Give rows as the start reads them ({beat_length} beat samples"
            + (f", then its {n_rr} feature columns" if n_rr else "")
            + "; ecgbeat.records.beat_cutting tells how it cuts them), or start from a model "
            "that reads your columns",
            UserWarning,
        )

    def _initial_model(
        self, n_columns: int, classes: np.ndarray, seed: int, source=None
    ) -> keras.Model:
        """Build the network, starting from the pretrained weights of ``source`` if given."""
        model = build_network(
            self.architecture,
            n_columns - self.n_rr_features,
            len(classes),
            dropout=self.dropout,
            seed=seed,
            n_rr_features=self.n_rr_features,
        )
        if source is not None:
            copy_weights_by_structure(
                source.model, model, include_output=_same_labels(classes, _source_classes(source))
            )
        if self.freeze_conv:
            freeze_features(model)
        return model

    def _setup_inference(self) -> None:
        """Prepare float32 prediction once, in fit, so that predict never changes the estimator."""
        # A compiled step: about 1 ms for one beat where an eager call of the model takes about
        # 20. Built here, not lazily, so that threads never race to build it.
        self._predict_fns = {"float32": compile_predict(self.model_)}
        # From the weights, as the network has them now (reading them costs a few ms: too much
        # for each call of a monitor's single beat).
        self._input_limit = overflow_limit(self.model_)

    def _check_is_fitted(self) -> None:
        """``check_is_fitted``, whose error tells an unfitted estimator with a pretrained start
        how to get the pretrained network itself."""
        try:
            check_is_fitted(self)
        except NotFittedError as exc:
            if self.pretrained is None:
                raise
            # HeartbeatCNNClassifier(pretrained="mitbih"), or a clone of a from_pretrained
            # estimator, reads as a pretrained classifier, but holds only where fit starts.
            raise NotFittedError(
                f"{exc} Its pretrained={self.pretrained!r} is where fit starts, not a fitted "
                "network (clone keeps the start, not the weights): "
                f"HeartbeatCNNClassifier.from_pretrained({str(self.pretrained)!r}) predicts "
                "at once"
            ) from None

    def _predict_step(self):
        """The compiled step of ``inference_precision``; a bfloat16 one is built on first use."""
        precision = self.inference_precision
        if precision not in ("auto", *PRECISIONS):
            raise ValueError(
                f"inference_precision must be one of 'auto', 'float32', 'bfloat16'; got {precision!r}"
            )
        if precision == "auto":
            precision = "bfloat16" if default_training_precision() != "float32" else "float32"
        steps = self._predict_fns
        if precision not in steps:
            with _STEP_LOCK:  # two threads predicting at once build it once
                if precision not in steps:
                    steps[precision] = compile_predict(self.model_, precision)
        return steps[precision]

    def _release_model(self) -> None:
        """Drop the previous network before building a new one, so repeated fits do not grow."""
        for name in ("model_", "_predict_fns", "_input_limit"):
            if name in self.__dict__:
                delattr(self, name)

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class for each beat.

        Parameters
        ----------
        X : array-like of shape (n_beats, n_samples) or (n_beats, n_samples, 1)
            Beats, with as many samples as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_beats, n_classes)
            Class probabilities; columns follow :attr:`classes_`.
        """
        self._check_is_fitted()
        X = self._validate_X(X, reset=False, cast=False)
        self._warn_if_unscaled(X)
        return self._network_proba(X)

    def predict_log_proba(self, X) -> np.ndarray:
        """Natural logarithm of the probability of each class for each beat.

        ``np.log(predict_proba(X))``: a probability that float32 rounds to 0 gives ``-inf``.

        Parameters
        ----------
        X : array-like of shape (n_beats, n_samples) or (n_beats, n_samples, 1)
            Beats, with as many samples as in ``fit``.

        Returns
        -------
        log_proba : ndarray of shape (n_beats, n_classes)
            Log-probabilities; columns follow :attr:`classes_`.

        Examples
        --------
        >>> from ecgbeat import HeartbeatCNNClassifier
        >>> from ecgbeat.datasets import load_sample
        >>> clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
        >>> log_proba = clf.predict_log_proba(load_sample().data[:2])
        >>> log_proba.shape, bool((log_proba <= 0).all())
        ((2, 5), True)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def _network_proba(self, X: np.ndarray) -> np.ndarray:
        """``predict_proba`` of beats already checked (a 2-D array of ``n_features_in_``)."""
        n_beats = X.shape[0]
        proba = np.empty((n_beats, len(self.classes_)), dtype=np.float64)
        step = self.predict_batch_size
        # Checked here, where it is used: set_params on a fitted estimator skips fit's check.
        if not is_integer(step) or step < 1:
            raise ValueError(f"predict_batch_size must be an integer >= 1, got {step!r}")
        step = int(step)

        predict_step = self._predict_step()
        # What overflow does inside the network depends on the CPU's kernels (NaN, or a ReLU that
        # turns NaN into 0 and gives finite, meaningless probabilities): refused beforehand.
        refuse_overflowing_input(X, self._input_limit)

        def predict_batch(start: int) -> None:
            with _quiet_retracing():
                batch = np.ascontiguousarray(X[start : start + step, :, None], dtype=np.float32)
                proba[start : start + step] = predict_step(batch)

        starts = range(0, n_beats, step)
        if len(starts) > 1:
            # Two batches in flight keep both cores busy through the network's small layers,
            # which TensorFlow does not split well: about 3 % more beats per second.
            with ThreadPoolExecutor(_BATCHES_IN_FLIGHT) as pool:
                list(pool.map(predict_batch, starts))
        else:
            for start in starts:
                predict_batch(start)
        refuse_non_finite_output(proba, X)
        # Softmax in float32 sums to 1 within ~1e-7; renormalise so float64 rows sum to 1.
        proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def predict(self, X) -> np.ndarray:
        """Predict the class of each beat.

        Parameters
        ----------
        X : array-like of shape (n_beats, n_samples) or (n_beats, n_samples, 1)
            Beats, with as many samples as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_beats,)
            Predicted labels, from :attr:`classes_`.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | Path) -> None:
        """Save the fitted classifier to a ``.keras`` file, without pickle.

        The file holds the network in Keras' native format plus the estimator's parameters,
        classes and history (and, as a pickle keeps them, the column names of a DataFrame it was
        fitted on and its metadata requests, ``set_fit_request``), with SHA-256 digests;
        :meth:`load` verifies them and loads the network in Keras' safe mode, so loading never
        runs code from the file. A
        ``random_state`` given as a ``RandomState`` is kept in the state it is in now, as a
        pickle keeps it; ``callbacks`` are live objects and are not saved.

        Parameters
        ----------
        path : str or pathlib.Path
            Destination, ending in ``.keras``. Written atomically.

        Raises
        ------
        ValueError
            If a parameter has a value that :meth:`fit` refuses (set with ``set_params`` after
            fit; the error is the one ``fit`` gives, and nothing is written), if
            ``architecture`` or ``n_rr_features`` were changed with ``set_params`` since the
            network was fitted (a file describes its own network, so it is not written), the
            path does not end in ``.keras``, or the network's weights are NaN or infinite.
        TypeError
            If a parameter or the :attr:`model_card_` holds a value that the file cannot keep
            (an object other than a number, text, bool, None, a path, a list or a dict of them;
            ``callbacks`` apart); the error names it by its keys.
        sklearn.exceptions.NotFittedError
            If the classifier is not fitted.

        See Also
        --------
        ecgbeat.persistence : The file format.
        """
        self._check_is_fitted()
        # As fit checks them: set_params(inference_precision="bf16") on a fitted estimator wrote
        # a file that loaded and failed only at predict.
        self._validate_params()
        unlike = self._structure_unlike_network()
        if unlike is not None:
            given, fitted = unlike
            raise ValueError(
                f"cannot save: the parameters say {given}, but the fitted network was built "
                f"with {fitted} (set_params changed them after fit). A saved file describes its "
                f"own network: set_params({fitted}) to save this one, or fit again first"
            )
        params = self.get_params()
        if params.get("callbacks"):
            params["callbacks"] = None  # live callback objects are not data; they are not saved
        if isinstance(self.random_state, np.random.RandomState):
            params["random_state"] = _random_state_as_data(self.random_state)
        if isinstance(params.get("class_weight"), dict):
            # A key equal to a class but of another type (3.0 for the class 3, 0 for False), as
            # fit took it, is written as that class: JSON keeps keys as text, and load reads
            # them back by the classes' text ("3.0" matched no class and stayed text).
            own = {label: label for label in self.classes_.tolist()}
            params["class_weight"] = {
                own.get(key, key): weight for key, weight in params["class_weight"].items()
            }
        classes = self.classes_
        as_objects = classes.dtype == object
        if as_objects:
            # Text labels in an object array (a pandas column) are stored as text.
            if not all(isinstance(label, str) for label in classes):
                raise ValueError(
                    "cannot save labels that are neither all numbers, all booleans nor all "
                    f"text: classes_ holds {sorted({type(c).__name__ for c in classes})}"
                )
            classes = classes.astype(str)
        if classes.dtype.kind == "U" and classes.dtype.itemsize > MAX_LABEL_ITEMSIZE:
            raise ValueError(
                f"cannot save labels longer than {MAX_LABEL_LENGTH} characters: the longest "
                f"has {max(map(len, classes.tolist()))}"
            )
        fields = {
            "estimator": type(self).__name__,
            "params": params,
            "classes": classes.tolist(),
            "classes_dtype": classes.dtype.str,
            # Loaded back as the object array fit made (predict then returns objects too).
            "classes_as_objects": bool(as_objects),
            "n_features_in": int(self.n_features_in_),
            "history": self.history_,
            "best_epoch": int(self.best_epoch_),
            "n_epochs": int(self.n_epochs_),
            # Files written before ``precision`` existed lack it: those were trained in float32.
            "precision": getattr(self, "precision_", "float32"),
            "sampling_rates": getattr(
                self, "sampling_rates_", np.ones(len(self.classes_))
            ).tolist(),
            "extra": getattr(self, "model_card_", None),
            # What pickle keeps too: the columns of a DataFrame fitted on (predict checks them)
            # and the metadata requests (set_fit_request(groups=True)...).
            "feature_names_in": (
                self.feature_names_in_.tolist() if hasattr(self, "feature_names_in_") else None
            ),
            "metadata_requests": self._metadata_requests_as_data(),
            # JSON keeps a path as text: the parameters given as paths become paths again.
            "path_params": sorted(
                name for name, value in params.items() if isinstance(value, Path)
            ),
        }
        write_model_file(self.model_, fields, path)

    def _metadata_requests_as_data(self) -> dict | None:
        """The requests set with ``set_{method}_request``, as JSON data; ``None`` if none."""
        if "_metadata_request" not in self.__dict__:
            return None
        request = self._metadata_request
        # Only what was set: a request left at None is the default of every method, and a file
        # then reads the same as before a method took that metadata (fit's sample_weight).
        data = {
            method: {
                param: alias
                for param, alias in getattr(request, method).requests.items()
                if alias is not None
            }
            for method in SIMPLE_METHODS
        }
        return {method: requests for method, requests in data.items() if requests}

    def _restore_metadata_requests(self, data: dict) -> None:
        """The inverse of :meth:`_metadata_requests_as_data`, as ``set_{method}_request`` sets
        them (without asking for metadata routing to be enabled, which only using them needs)."""
        request = self._get_metadata_request()
        for method, requests in data.items():
            if method not in SIMPLE_METHODS:
                raise ValueError(f"metadata requests of an unknown method {method!r}")
            method_request = getattr(request, method)
            for param, alias in requests.items():
                if param not in method_request.requests:
                    raise ValueError(f"{method} takes no metadata {param!r}")
                method_request.add_request(param=param, alias=alias)
        self._metadata_request = request

    def _structure_unlike_network(self) -> tuple[str, str] | None:
        """``architecture`` and ``n_rr_features`` as the parameters give them and as
        :attr:`model_` was built, each as ``key=value`` text, when the two differ; else None.

        ``set_params(n_rr_features=7)`` on a fitted estimator says how the next fit builds its
        network: saved so, a file would load as an estimator that cuts its rows for a network
        it does not hold.
        """
        architecture, n_rr_features = network_structure(self.model_)
        recorded = {"architecture": self.architecture, "n_rr_features": self.n_rr_features}
        actual = {"architecture": architecture, "n_rr_features": n_rr_features}
        if architecture is None:  # a network of no known architecture: its inputs still tell
            del recorded["architecture"], actual["architecture"]
        if recorded == actual:
            return None
        given = ", ".join(f"{key}={value!r}" for key, value in recorded.items())
        fitted = ", ".join(f"{key}={value!r}" for key, value in actual.items())
        return given, fitted

    @classmethod
    def load(cls, path: str | Path) -> HeartbeatCNNClassifier:
        """Load a classifier saved with :meth:`save`; it is fitted and ready to predict.

        The estimator comes back exactly as saved: weights, fitted attributes and parameters
        (``clone(load(path)).fit(X, y)`` repeats its recipe). To start new training from a saved
        network with today's defaults instead, use :meth:`from_pretrained`.

        Raises :class:`~ecgbeat.exceptions.ModelFileError` for a missing, truncated or
        tampered file.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from ecgbeat import HeartbeatCNNClassifier
        >>> clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
        >>> path = Path(tempfile.mkdtemp()) / "model.keras"
        >>> clf.save(path)
        >>> HeartbeatCNNClassifier.load(path).get_params() == clf.get_params()
        True
        """
        path = Path(path)  # any os.PathLike, named in errors by its path, not its repr
        model, metadata = read_model_file(path)
        try:
            # Files written before ``precision`` existed were trained in float32 (their
            # precision_ says so); "auto" would train the next fit in bfloat16 on a CPU with it.
            params = {**EARLIER_DEFAULTS, "precision": "float32", **metadata["params"]}
            for name in metadata.get("path_params", []):
                if not isinstance(params[name], str):
                    raise TypeError(f"parameter {name} is listed as a path but is not text")
                params[name] = Path(params[name])
            if isinstance(params.get("random_state"), dict):
                params["random_state"] = _random_state_from_data(params["random_state"])
            estimator = cls(**params)
            estimator._set_fitted_state(model, metadata, f"model file {str(path)!r}")
            # As pickle keeps them (from_pretrained starts a new estimator, without them).
            if metadata.get("feature_names_in") is not None:
                estimator.feature_names_in_ = np.asarray(metadata["feature_names_in"], dtype=object)
            if metadata.get("metadata_requests") is not None:
                estimator._restore_metadata_requests(metadata["metadata_requests"])
            if isinstance(estimator.class_weight, dict):
                # JSON keeps a dict's keys as text: give them back the classes' own type.
                labels = {str(label): label for label in estimator.classes_.tolist()}
                estimator.class_weight = {
                    labels[key] if key in labels else _label_from_text(key, estimator.classes_): w
                    for key, w in estimator.class_weight.items()
                }
        except ModelFileError:
            raise
        # OverflowError: a number that NumPy cannot hold (a random_state key below 0 or past
        # 2**32), which is no ValueError.
        except (
            KeyError,
            TypeError,
            ValueError,
            OverflowError,
            AttributeError,
            IndexError,
        ) as error:
            raise ModelFileError(
                f"model file {str(path)!r}: its metadata does not describe a classifier: {error!r}"
            ) from error
        unlike = estimator._structure_unlike_network()
        if unlike is not None:
            # Written before save refused such parameters: they are not the network's.
            given, fitted = unlike
            raise ModelFileError(
                f"model file {str(path)!r}: its parameters say {given}, but its network was "
                f"built with {fitted}. HeartbeatCNNClassifier.from_pretrained(path) reads the "
                "network's own"
            )
        return estimator

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, **params) -> HeartbeatCNNClassifier:
        """A classifier fitted with pretrained weights, ready to predict or to fine-tune.

        ``predict`` works at once. ``fit`` on new data then starts from these weights (transfer
        learning): the convolutional and dense layers are kept, the output layer is replaced
        when the classes differ, and ``freeze_conv=True`` trains only the dense head.
        ``clone`` and ``GridSearchCV`` keep the pretrained start, because it is the
        ``pretrained`` parameter; a relative path is made absolute there, so that a clone
        fitted in another working directory (a joblib worker's, or after ``os.chdir``) starts
        from the same file.

        From the file come the weights, the classes and the parameters that shape the network
        (``architecture``, ``n_rr_features``); every other parameter is today's default or
        given in ``params``: parameters say how the *next* fit trains, and a fine-tune is a new
        fit. :meth:`load` instead restores the saved estimator with its own parameters.

        Parameters
        ----------
        name_or_path : str or pathlib.Path
            The name of a model that ships with ecgbeat (``"mitbih"``, ``"mitbih-ds1"``...; see
            :func:`ecgbeat.pretrained.list_pretrained`) or the path of a model saved with
            :meth:`save`.
        **params
            Other parameters of the estimator, e.g. ``freeze_conv=True, epochs=20``.
            ``architecture`` and ``n_rr_features``, when given, must be the network's, and
            ``pretrained`` must be ``name_or_path``.

        Returns
        -------
        HeartbeatCNNClassifier
            A fitted classifier whose ``pretrained`` parameter is ``name_or_path`` (a relative
            path as an absolute one, of the same type).

        Examples
        --------
        >>> from ecgbeat import HeartbeatCNNClassifier
        >>> from ecgbeat.datasets import load_sample
        >>> clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
        >>> X, y = load_sample(return_X_y=True)
        >>> clf.score(X, y) > 0.9
        True
        """
        source = pretrained_registry.load(name_or_path)
        # The network's structure comes with it, read from the network itself (as the rows it
        # takes are): its architecture and its rhythm inputs.
        structure = {
            "architecture": source.architecture,
            "n_rr_features": network_structure(source.model)[1],
        }
        contradicting = {
            key: value
            for key, value in params.items()
            if key in structure and value != structure[key]
        }
        if contradicting:
            # Such an estimator would cut rows for another network, and no fit could start.
            built = ", ".join(f"{key}={value!r}" for key, value in structure.items())
            given = ", ".join(f"{key}={value!r}" for key, value in contradicting.items())
            raise ValueError(
                f"pretrained model {str(name_or_path)!r} is a network built with {built}; it "
                f"cannot take {given}. These come from the network: leave them out, or fit a "
                "new network without pretrained"
            )
        start = _absolute_start(name_or_path)
        # The start as given or as stored: from_pretrained('start.keras') stores the absolute
        # path, and from_pretrained('start.keras', **its get_params()) was refused for it.
        if "pretrained" in params and str(_absolute_start(params["pretrained"])) != str(start):
            # It was overwritten without a word: the weights came from another start.
            raise ValueError(
                f"from_pretrained({str(name_or_path)!r}) cannot take "
                f"pretrained={params['pretrained']!r}: the start is name_or_path. Leave "
                "pretrained out, or name that start as name_or_path"
            )
        params = {**structure, **params, "pretrained": start}
        estimator = cls(**params)
        estimator._set_fitted_state(
            source.model, source.metadata, f"pretrained model {str(name_or_path)!r}"
        )
        return estimator

    def _set_fitted_state(self, model: keras.Model, metadata: dict[str, Any], where: str) -> None:
        """Adopt a loaded network and the fitted attributes recorded with it.

        Raises :class:`~ecgbeat.exceptions.ModelFileError` (naming ``where``) when the network
        does not take a batch of rows of the recorded number of columns, shape ``(None,
        n_features_in, 1)``, to one probability per recorded class, shape ``(None, n_classes)``.
        """
        classes = np.asarray(metadata["classes"], dtype=np.dtype(metadata["classes_dtype"]))
        if metadata.get("classes_as_objects", False):
            classes = classes.astype(object)
        n_features_in = int(metadata["n_features_in"])
        takes, gives = model.input_shape, model.output_shape
        if not (
            isinstance(takes, tuple)
            and len(takes) == 3
            and takes[0] is None
            and takes[2] == 1
            and isinstance(gives, tuple)
            and len(gives) == 2
            and gives[0] is None
        ):
            # Another kind of network (a file written with write_model_file) failed only in
            # predict, in TensorFlow's words ("Binding inputs to tf.function failed").
            raise ModelFileError(
                f"{where}: the network takes inputs of shape {takes} to outputs of shape "
                f"{gives}; a classifier's network takes a batch of rows of shape (None, "
                f"{n_features_in}, 1) to (None, {len(classes)}), a probability per class"
            )
        n_outputs, n_inputs = gives[1], takes[1]
        if (n_outputs, n_inputs) != (len(classes), n_features_in):
            raise ModelFileError(
                f"{where}: the network maps {n_inputs} samples to {n_outputs} classes, but its "
                f"metadata lists {n_features_in} samples and {len(classes)} classes"
            )
        self.classes_ = classes
        self.n_features_in_ = n_features_in
        self.history_ = {key: list(values) for key, values in metadata["history"].items()}
        self.best_epoch_ = int(metadata["best_epoch"])
        self.n_epochs_ = int(metadata["n_epochs"])
        self.precision_ = str(metadata.get("precision", "float32"))
        # Files written before ``max_class_ratio`` existed were trained on every beat.
        self.sampling_rates_ = np.asarray(
            metadata.get("sampling_rates", np.ones(len(self.classes_))), dtype=np.float64
        )
        for layer, flag in zip(model.layers, metadata["trainable"], strict=True):
            layer.trainable = flag
        if metadata.get("extra") is not None:
            self.model_card_ = metadata["extra"]
        self.model_ = model
        self._setup_inference()

    def __getstate__(self) -> dict[str, Any]:
        # Pickle the weights, not live TensorFlow objects: no process-wide patch of Keras needed.
        state = self.__dict__.copy()
        state.pop("_predict_fns", None)
        state.pop("_input_limit", None)
        model = state.pop("model_", None)
        if model is not None:
            # The network's own configuration, not one rebuilt from today's parameters: a
            # pretrained network may differ from what the parameters would build (the shipped
            # "resnet" has no dropout layer, which the default dropout would add).
            state["_model_config"] = model.get_config()
            state["_model_weights"] = [np.asarray(w) for w in model.get_weights()]
            state["_model_trainable"] = [layer.trainable for layer in model.layers]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        weights = state.pop("_model_weights", None)
        trainable = state.pop("_model_trainable", None)
        config = state.pop("_model_config", None)
        self.__dict__.update(state)
        if weights is not None:
            if config is not None:
                model = import_keras().Model.from_config(config)
            else:  # pickled before the configuration was kept
                model = build_network(
                    self.architecture,
                    self.n_features_in_ - self.n_rr_features,
                    len(self.classes_),
                    dropout=self.dropout,
                    n_rr_features=self.n_rr_features,
                )
            model.set_weights(weights)
            for layer, flag in zip(model.layers, trainable, strict=True):
                layer.trainable = flag
            self.model_ = model
            self._setup_inference()

    def __deepcopy__(self, memo: dict) -> HeartbeatCNNClassifier:
        new = self.__class__.__new__(self.__class__)
        memo[id(self)] = new
        new.__setstate__(copy.deepcopy(self.__getstate__(), memo))
        return new


def _refuse_non_finite_under_assume_finite(values: np.ndarray, name: str) -> None:
    """Refuse NaN or infinite ``values`` (beats or weights), naming the first beat.

    scikit-learn refuses them in ``fit`` unless ``sklearn.set_config(assume_finite=True)``
    skips its check: training then failed as "diverged" (try a smaller learning rate), the
    wrong cause, or, with frozen convolutions, could learn from meaningless features.
    """
    rows = non_finite_rows(values)
    if not rows.size:
        return
    raise ValueError(
        f"{name} holds NaN or infinite values for {len(rows)} beat(s) (the first in row "
        f"{rows[0]}): drop or fill those beats (sklearn.set_config(assume_finite=True) skips "
        "scikit-learn's own check)"
    )


def _mean_one(weights: np.ndarray) -> np.ndarray:
    """Sample weights scaled to a mean of 1 (weights all 0 stay 0).

    Weights of 1 each, and counts that average 1 (a bootstrap's), come back as they are.
    """
    peak = weights.max()
    if peak == 0:
        return weights
    # Down to at most 1 first: the mean of weights near the float64 maximum would overflow.
    scaled = weights / peak
    return scaled / scaled.mean()


def _near_one(weights: np.ndarray) -> np.ndarray:
    """Weights of the beats whose mean is far from 1 scaled by the power of 2 that brings it
    nearest 1; others as they are.

    Adam is blind to the scale of the loss but for its epsilon, under which class weights of
    1e-5 pushed the gradients, and the network learned next to nothing (and float32 makes
    weights of 1e300 infinite). A power of 2 scales exactly. Weights of mean from 1/16 to 16 are
    far from both and come back bit for bit, so that they train as before: ``"balanced"``'s
    (mean 1), ``sample_weight`` after :func:`_mean_one`, and the square roots of
    ``"balanced"`` that trained the shipped models (mean 0.65 on MIT-BIH's DS1).

    >>> _near_one(np.array([1e-5, 3e-5])).tolist()
    [0.65536, 1.96608]
    >>> _near_one(np.array([0.05, 0.15])).tolist()
    [0.05, 0.15]
    """
    peak = weights.max()
    if peak == 0:
        return weights
    # Through the peak's power of 2: the mean of weights near the float64 maximum would overflow.
    _, peak_exponent = np.frexp(peak)
    log_mean = np.log2(np.ldexp(weights, -peak_exponent).mean()) + peak_exponent
    if abs(log_mean) <= _WEIGHTS_LEFT_ALONE:
        return weights
    return np.ldexp(weights, -int(np.round(log_mean)))


#: :func:`_near_one` leaves weights alone whose mean is within this power of 2 of 1.
_WEIGHTS_LEFT_ALONE = 4


def _groups_1d(groups) -> np.ndarray:
    """``groups`` as a 1-D array, a column of them raveled with a warning.

    As :func:`~sklearn.utils.validation.column_or_1d`, whose warning and error name ``y``
    whatever the array: here they name ``groups``.

    Raises
    ------
    ValueError
        If ``groups`` has more than one column.
    """
    groups = check_array(
        groups,
        ensure_2d=False,
        dtype=None,
        input_name="groups",
        ensure_all_finite=False,
        ensure_min_samples=0,
    )
    if groups.ndim == 2 and groups.shape[1] == 1:
        warn_caller(
            "A column-vector groups was passed when a 1d array was expected: one group (patient) "
            "per beat. Please change the shape of groups to (n_beats,), for example using "
            "ravel().",
            DataConversionWarning,
        )
        return groups.ravel()
    if groups.ndim != 1:
        raise ValueError(
            "groups should be a 1d array, one group (patient) per beat; got an array of shape "
            f"{groups.shape} instead"
        )
    return groups


def _refuse_mixed_labels(y: np.ndarray) -> None:
    """Refuse an object array of labels that are not all text.

    scikit-learn takes an object array only as text labels (a pandas column of text): labels
    of mixed kinds (text and numbers, or None among text, as a column with a gap gives) failed
    in NumPy's sort as "'<' not supported between instances of 'str' and 'int'", and numbers
    in an object array as "Unknown label type: unknown", naming neither ``y`` nor the cause.

    Raises
    ------
    ValueError
        Counting the missing labels, if any; else naming the kinds of value found, after
        "Unknown label type", as scikit-learn's checks ask of an object array of numbers.
    """
    if y.dtype != object or all(isinstance(label, str) for label in y.tolist()):
        return
    refuse_missing_labels(y, "y")
    kinds = sorted({type(label).__name__ for label in y.tolist()})
    if len(kinds) > 1:
        raise ValueError(
            "Unknown label type: y must hold labels of one kind, all numbers, all text or all "
            f"booleans, with none missing; got a mix of {', '.join(kinds)}"
        )
    raise ValueError(
        f"Unknown label type: y is an object array of {kinds[0]}, and an object array of "
        "labels must hold text. Give numbers or booleans as an array of their own type (e.g. "
        "np.asarray(y.tolist()))"
    )


def _source_classes(source) -> np.ndarray:
    """The classes of a pretrained start, of their own type."""
    return np.asarray(source.metadata["classes"], dtype=np.dtype(source.metadata["classes_dtype"]))


def _same_labels(classes: np.ndarray, source_classes: np.ndarray) -> bool:
    """Whether a fit's classes are the start's: the same values of the same kind."""
    return _same_kind(classes, source_classes) and np.array_equal(source_classes, classes)


def _absolute_start(name_or_path):
    """A pretrained start's file as an absolute path (of the type given); a name as it is."""
    if pretrained_registry._names_a_file(name_or_path) and not Path(name_or_path).is_absolute():
        # The estimator holds this file's network, and clone and GridSearchCV promise to
        # start from it: kept relative, a clone fitted in another working directory (after
        # os.chdir, or in a joblib worker started before it) read whatever file the name
        # found there, without a word.
        absolute = Path(name_or_path).absolute()
        return absolute if isinstance(name_or_path, os.PathLike) else str(absolute)
    return name_or_path


def _card_after_fine_tuning(source, classes: np.ndarray, pretrained) -> dict | None:
    """What of the start's model card still holds for a network fine-tuned from it.

    How beats are cut (``segmentation``) still holds, since the network reads the same input,
    and so does the start's data ``attribution``: the new weights derive from the start's (ODC-By
    asks every model derived from MIT-BIH data to carry it); the class names and the normal
    class only when the classes are the start's; the data, metrics and command of the start's
    training describe another model and are dropped. A fit from scratch has no card; a fit from
    a start always says which (``fine_tuned_from``), also when nothing else of its card holds.
    """
    if source is None:
        return None
    start = source.metadata.get("extra") or {}
    card = {key: start[key] for key in ("segmentation", "attribution") if key in start}
    if _same_labels(classes, _source_classes(source)):
        # The start's output layer is kept (see _initial_model), and so are its names.
        card.update({key: start[key] for key in ("target_names", "normal_class") if key in start})
    start_name = str(pretrained)
    # A path object is a file, as pretrained_registry.load reads it, even one named like a
    # shipped model (Path("mitbih")): its card named the shipped model, not the weights used.
    if (
        isinstance(pretrained, os.PathLike)
        or start_name not in pretrained_registry.list_pretrained()
    ):
        # A saved start as an absolute path: evaluate reads its card to tell what it learned
        # from, and a relative one, read from another folder, named no file or another model.
        start_name = str(Path(start_name).absolute())
    return {"fine_tuned_from": start_name, **card}


def _label_from_text(text: str, classes: np.ndarray):
    """A label that JSON kept as text (a dict key), back in the kind of ``classes``: a
    ``class_weight`` key may name a class that the fit's ``y`` lacked."""
    parse = {"b": lambda t: {"True": True, "False": False}[t], "i": int, "u": int, "f": float}
    try:
        return parse.get(classes.dtype.kind, str)(text)
    except (KeyError, ValueError):  # not a label of that kind: it stays as it was written
        return text


#: The kinds of :func:`_label_kind`, in words.
_LABEL_KINDS = {"b": "booleans", "i": "integers", "f": "floats", "U": "text", "O": "objects"}


def _label_kind(labels: np.ndarray) -> str | None:
    """The kind of value that a label array holds: a key of :data:`_LABEL_KINDS`, or None.

    Text is text in any array: a pandas column of text is an object array."""
    if labels.dtype.kind == "O" and all(isinstance(label, str) for label in labels):
        return "U"
    return {"b": "b", "i": "i", "u": "i", "f": "f", "U": "U", "S": "U", "O": "O"}.get(
        labels.dtype.kind
    )


def _kind_in_words(labels: np.ndarray) -> str:
    """The kind of :func:`_label_kind` as a word (``"integers"``), else the array's dtype."""
    return _LABEL_KINDS.get(_label_kind(labels), labels.dtype.name)


def _same_kind(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two label arrays hold the same kind of value (1.0 and 1 are different labels)."""
    return _label_kind(a) == _label_kind(b)


def freeze_features(model: keras.Model) -> None:
    """Freeze the convolutional layers of ``model`` (those that ``freeze_conv`` freezes)."""
    for name in feature_layer_names(model):
        model.get_layer(name).trainable = False


def copy_weights_by_structure(source: keras.Model, target: keras.Model, *, include_output: bool):
    """Copy weights from ``source`` to ``target`` layer by layer, matched by position and shape.

    Layers are paired in the order in which they carry weights, never by their (auto-generated)
    names; the output layer is copied only when ``include_output`` is true.

    Raises
    ------
    ValueError
        If the two networks do not have the same structure.
    """
    source_layers = [layer for layer in source.layers if layer.weights]
    target_layers = [layer for layer in target.layers if layer.weights]
    if len(source_layers) != len(target_layers):
        raise ValueError(
            f"cannot copy weights: the source network has {len(source_layers)} layers with "
            f"weights, the target {len(target_layers)}"
        )
    for index, (src, dst) in enumerate(zip(source_layers, target_layers, strict=True)):
        is_output = index == len(target_layers) - 1
        if is_output and not include_output:
            continue
        src_shapes = [tuple(w.shape) for w in src.weights]
        dst_shapes = [tuple(w.shape) for w in dst.weights]
        if src_shapes != dst_shapes:
            raise ValueError(
                f"cannot copy weights of layer {index} ({type(src).__name__}): shapes "
                f"{src_shapes} and {dst_shapes} differ (was the source trained on beats of "
                "another length, or with another n_rr_features?)"
            )
        dst.set_weights(src.get_weights())
