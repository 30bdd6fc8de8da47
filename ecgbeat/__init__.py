"""ecgbeat: classify single ECG heartbeats with scikit-learn estimators around Keras networks.

The public face of the package. Heavy libraries load on first use, not here: scikit-learn when the
estimator is first touched, TensorFlow when a network is first built or loaded. So
``import ecgbeat`` takes a few milliseconds.

Examples
--------
>>> import ecgbeat
>>> ecgbeat.HeartbeatCNNClassifier(architecture="resnet").architecture
'resnet'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecgbeat._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from ecgbeat.classifier import HeartbeatCNNClassifier

__all__ = ["HeartbeatCNNClassifier", "__version__"]


def __getattr__(name: str) -> Any:
    # PEP 562: the estimator's module (and scikit-learn with it) loads on first access.
    if name == "HeartbeatCNNClassifier":
        from ecgbeat.classifier import HeartbeatCNNClassifier

        globals()[name] = HeartbeatCNNClassifier
        return HeartbeatCNNClassifier
    raise AttributeError(f"module 'ecgbeat' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
