"""scikit-learn's own estimator checks: the contract HeartbeatCNNClassifier must keep."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from ecgbeat import HeartbeatCNNClassifier

# Small, fast settings: the checks fit dozens of times on a few hundred tiny samples. 16 epochs
# are the default schedule's first cosine cycle, so that the last epochs settle; twice 3e-3 is
# as high a peak as these two-sample "beats" take without dead units in some fits. Their data sets
# are a few batches, so the floor of 32 steps per epoch (meant for small real data) would make
# every epoch repeat its data several times over: one pass each is enough here.
FAST = dict(epochs=16, batch_size=32, learning_rate=3e-3, random_state=0, min_steps_per_epoch=1)

# Checks expected to fail, with the reason. The goal is to keep this empty.
EXPECTED_FAILURES: dict[str, str] = {}


@parametrize_with_checks(
    [HeartbeatCNNClassifier(**FAST)],
    expected_failed_checks=lambda estimator: EXPECTED_FAILURES,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
