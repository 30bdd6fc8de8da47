"""One beat or a few, classified in about a tenth of a millisecond: a bedside monitor's case.

``HeartbeatCNNClassifier.predict_proba`` is built for throughput: it validates its input as
scikit-learn does and runs TensorFlow's compiled step, whose fixed cost per call is about 1 ms,
however few the beats. :class:`LowLatencyPredictor` exports a fitted classifier's network once to
ONNX (Keras' own exporter) and runs it in ONNX Runtime's CPU provider, whose cost per call is
about 0.17 ms for one beat on the 2 cores measured (``benchmarks/results/inference.json``). It
computes in float32, as ``inference_precision="float32"`` does: probabilities agree with
``predict_proba``'s to about 1e-6. For many beats at once, ``predict_proba`` stays faster.

It needs the optional extra ``pip install ecgbeat[onnx]`` (``onnxruntime`` and ``tf2onnx``).

Examples
--------
>>> from ecgbeat import HeartbeatCNNClassifier
>>> from ecgbeat.datasets import load_sample
>>> from ecgbeat.low_latency import LowLatencyPredictor
>>> clf = HeartbeatCNNClassifier.from_pretrained("mitbih")
>>> monitor = LowLatencyPredictor(clf)
>>> beat = load_sample().data[0]
>>> monitor.predict(beat).tolist() == clf.predict(beat[None]).tolist()
True
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from scipy.sparse import issparse
from sklearn.utils.validation import _check_feature_names, check_is_fitted

from ecgbeat._backend import import_tensorflow
from ecgbeat._checks import is_integer
from ecgbeat._inference import (
    overflow_limit,
    refuse_non_finite_output,
    refuse_overflowing_input,
    warn_if_unscaled,
)
from ecgbeat._install import import_optional

__all__ = ["LowLatencyPredictor"]

_INPUT = "beats"


class LowLatencyPredictor:
    """A fitted classifier's network in ONNX Runtime, for one beat or a few at a time.

    Parameters
    ----------
    classifier : HeartbeatCNNClassifier
        A fitted classifier. Its network is exported when the predictor is made; later changes
        to the classifier (a new ``fit``) do not reach the predictor. The predictor computes in
        float32 whatever the classifier's ``inference_precision``.
    threads : int, default=1
        ONNX Runtime's intra-op threads. One is fastest for a single beat; more help batches.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The classifier's classes; the columns of :meth:`predict_proba` follow them.
    n_features_in_ : int
        Columns of each row (the beat's samples and its feature columns).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        The classifier's, defined only when it was fitted on a DataFrame: a DataFrame given to
        :meth:`predict_proba` must then have these columns, in this order, as the classifier
        requires.
    onnx_model : bytes
        The exported network (see the property).

    Raises
    ------
    ImportError
        If ``onnxruntime`` or ``tf2onnx`` is not installed.
    sklearn.exceptions.NotFittedError
        If ``classifier`` is not fitted.
    TypeError
        If ``classifier`` has no Keras network (``model_``): another kind of estimator.

    Notes
    -----
    The predictor pickles as the ONNX graph (bytes) and its settings; the session is rebuilt
    when it is unpickled, which needs ONNX Runtime only (not tf2onnx, the exporter).
    ``predict_proba`` may be called from several threads at once (ONNX Runtime's sessions
    allow concurrent runs).

    Examples
    --------
    >>> from ecgbeat import HeartbeatCNNClassifier
    >>> from ecgbeat.datasets import load_sample
    >>> from ecgbeat.low_latency import LowLatencyPredictor
    >>> monitor = LowLatencyPredictor(HeartbeatCNNClassifier.from_pretrained("mitbih"))
    >>> monitor.predict_proba(load_sample().data[:3]).shape
    (3, 5)
    """

    def __init__(self, classifier, *, threads: int = 1) -> None:
        if not is_integer(threads) or threads < 1:
            raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
        check_is_fitted(classifier)
        if getattr(classifier, "model_", None) is None:
            # Any other fitted estimator failed on a missing n_features_in_ or model_ (an
            # AttributeError that named neither the predictor nor what it needs).
            raise TypeError(
                "LowLatencyPredictor exports a fitted HeartbeatCNNClassifier's Keras network "
                f"(its model_); {type(classifier).__name__} has none"
            )
        _import_runtime()
        self.threads = int(threads)
        self.classes_ = np.asarray(classifier.classes_)
        self.n_features_in_ = int(classifier.n_features_in_)
        n_rr = classifier.get_params()["n_rr_features"]
        if not is_integer(n_rr) or not 0 <= n_rr < self.n_features_in_:
            raise ValueError(
                f"the classifier's n_rr_features must be an integer in [0, {self.n_features_in_}),"
                f" its rows' feature columns; got {n_rr!r}"
            )
        # The beat's columns of a row, whose scale predict_proba checks as the classifier does.
        self._n_beat_samples = self.n_features_in_ - int(n_rr)
        if hasattr(classifier, "feature_names_in_"):
            self.feature_names_in_ = np.asarray(classifier.feature_names_in_, dtype=object)
        self._graph = _export(classifier.model_, self.n_features_in_)
        # The network's own bound, from the weights it was exported with.
        self._input_limit = overflow_limit(classifier.model_)
        self._session = self._make_session()

    @property
    def onnx_model(self) -> bytes:
        """The exported network, a serialised ONNX model (to save, or to run elsewhere).

        Its input is ``beats``, float32 of shape ``(n, n_features_in_, 1)``; its output the
        class probabilities.
        """
        return self._graph

    def _make_session(self):
        # ONNX Runtime alone: tf2onnx only exports, and a predictor unpickled on a monitor that
        # has no exporter installed was refused for want of it.
        onnxruntime = import_optional(
            "onnxruntime", "LowLatencyPredictor needs ONNX Runtime", "onnx"
        )
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        return onnxruntime.InferenceSession(
            self._graph, options, providers=["CPUExecutionProvider"]
        )

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_session"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._session = self._make_session()

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class for each row.

        Parameters
        ----------
        X : array-like of shape (n_beats, n_features_in_), (n_beats, n_features_in_, 1) or (n_features_in_,)
            Rows as the classifier reads them; one row alone is one beat.

        Returns
        -------
        proba : ndarray of shape (n_beats, n_classes), float32
            Class probabilities; columns follow :attr:`classes_`.

        Raises
        ------
        ValueError
            If ``X`` has another number of columns, NaN or infinite values, or values so large
            that the network's output is not finite; or if it is a DataFrame whose columns are
            not those of the DataFrame that the classifier was fitted on, in that order.
        TypeError
            If ``X`` is a sparse matrix (the classifier refuses it too).

        Warns
        -----
        ecgbeat.exceptions.InputScaleWarning
            If the beats are not min-max scaled to [0, 1], as the classifier warns.
        """
        if hasattr(X, "columns") and hasattr(self, "feature_names_in_"):
            # As the classifier: columns in another order would be read as the wrong samples.
            # Only for a DataFrame: arrays, a monitor's usual input, carry no names to check.
            _check_feature_names(self, X, reset=False)
        if issparse(X):
            # NumPy reads a sparse matrix as one object, which said only "X must hold numbers:
            # setting an array element with a sequence".
            raise TypeError(
                "X is a sparse matrix, but the network reads dense rows: pass X.toarray(), "
                "as the classifier asks"
            )
        try:
            rows = np.asarray(X)
            # Cast to float, complex numbers would only warn and lose their imaginary parts.
            if np.iscomplexobj(rows):
                raise TypeError("complex values are not ECG samples")
            rows = rows.astype(np.float64, copy=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"X must hold numbers: {exc}") from exc
        if rows.ndim == 1:
            rows = rows[None]
        if rows.ndim == 3 and rows.shape[2] == 1:  # as the classifier takes them too
            rows = rows[:, :, 0]
        if rows.ndim != 2 or rows.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has shape {np.shape(X)}; expected rows of {self.n_features_in_} columns, "
                "as the classifier was fitted on"
            )
        with np.errstate(over="ignore"):  # told below as the error, not warned about first
            rows32 = rows.astype(np.float32)
        if not np.isfinite(rows32).all():  # one pass when all is well; the cause sought after
            if not np.isfinite(rows).all():
                raise ValueError("X contains NaN or infinite values")
            raise ValueError("X holds values too large for float32, the network's input type")
        n_beat_samples = getattr(self, "_n_beat_samples", None)  # older pickles: unknown
        if n_beat_samples is not None:
            # Beats in mV or ADC units were classified without a word, where predict_proba
            # warns: the networks read beats scaled to [0, 1].
            warn_if_unscaled(rows[:, :n_beat_samples], rows.shape[1] - n_beat_samples)
        refuse_overflowing_input(rows, getattr(self, "_input_limit", None))  # older pickles: none
        proba = self._session.run(None, {_INPUT: rows32[:, :, None]})[0]
        refuse_non_finite_output(proba, rows)
        return proba

    def predict(self, X) -> np.ndarray:
        """The class of each row, from :attr:`classes_` (see :meth:`predict_proba`)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _import_runtime():
    needs = "LowLatencyPredictor needs ONNX Runtime and tf2onnx"
    onnxruntime = import_optional("onnxruntime", needs, "onnx")
    import_optional("tf2onnx", needs, "onnx")  # Keras' ONNX exporter needs it
    return onnxruntime


def _export(model, n_features: int) -> bytes:
    """The network as an ONNX graph with one float32 input ``beats`` of shape (n, n_features, 1)."""
    tf = import_tensorflow()
    signature = [tf.TensorSpec((None, n_features, 1), tf.float32, name=_INPUT)]
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        # tf2onnx's NumPy and protobuf deprecation notices are about tf2onnx, not the user's code.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        path = Path(folder) / "network.onnx"
        model.export(os.fspath(path), format="onnx", verbose=False, input_signature=signature)
        return path.read_bytes()
