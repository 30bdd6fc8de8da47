"""scikit-learn's own estimator checks: the contract HeartbeatCNNClassifier must keep."""

from __future__ import annotations

from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from ecgbeat import HeartbeatCNNClassifier

# Small, fast settings: the checks fit dozens of times on a few hundred tiny samples. 16 epochs
# are the default schedule's first cosine cycle, so that the last epochs settle; twice 3e-3 is
# as high a peak as these two-sample "beats" take without dead units in some fits. Their data sets
# are a few batches, so the floor of 32 steps per epoch (meant for small real data) would make
# every epoch repeat its data several times over: one pass each is enough here.
FAST = dict(epochs=16, batch_size=32, learning_rate=3e-3, random_state=0, min_steps_per_epoch=1)

# Checks expected to fail, with the reason. The goal is to keep this empty.
_ROUNDING = (
    "compares predict_proba across row orders or subsets to 1e-9, below float32's rounding: "
    "on some CPUs a row's float32 result changes in its last bit with its place in the batch "
    "(3e-8 seen); test_rows_are_classified_alone checks the property to float32's precision"
)
EXPECTED_FAILURES: dict[str, str] = {
    "check_methods_sample_order_invariance": _ROUNDING,
    "check_methods_subset_invariance": _ROUNDING,
    "check_sample_weight_equivalence_on_dense_data": (
        "asks that a weight of 2 give the same model as the beat repeated, to float precision: "
        "a network trained by stochastic mini-batches on a random validation split does not "
        "(the batches and the split differ); tests/test_sample_weight.py checks what the "
        "weights do"
    ),
}


@parametrize_with_checks(
    [HeartbeatCNNClassifier(**FAST)],
    expected_failed_checks=lambda estimator: EXPECTED_FAILURES,
)
def test_sklearn_compatible_estimator(estimator, check):
    if check.func.__name__ == "check_classifiers_train":
        # It asks for a training accuracy above 0.83 on blobs. After 16 epochs that was 0.5 to
        # 0.98 from one seed (or one CPU's rounding, or bfloat16) to the next: under 0.83 in 4
        # of 24 fits of seeds 0-7. After two cycles of 16 epochs, 0.90 at the lowest in 32.
        estimator = clone(estimator).set_params(epochs=32)
    check(estimator)


def test_rows_are_classified_alone():
    # What the two checks above ask, to float32's precision: each row's probabilities do not
    # depend on the other rows of the call, their order or their number.
    import numpy as np

    rng = np.random.RandomState(0)
    X = 3 * rng.uniform(size=(20, 3))
    y = X[:, 0].astype(np.int64)
    clf = HeartbeatCNNClassifier(**FAST).fit(X, y)
    proba = clf.predict_proba(X)
    order = rng.permutation(len(X))
    np.testing.assert_allclose(clf.predict_proba(X[order]), proba[order], rtol=1e-5, atol=1e-6)
    for rows in (slice(0, 1), slice(3, 11), slice(5, 20)):
        np.testing.assert_allclose(clf.predict_proba(X[rows]), proba[rows], rtol=1e-5, atol=1e-6)
    top2 = np.sort(proba, axis=1)[:, -2:]
    clear = order[(top2[:, 1] - top2[:, 0])[order] > 1e-4]  # no class decided by a rounding
    np.testing.assert_array_equal(clf.predict(X[clear]), clf.predict(X)[clear])
