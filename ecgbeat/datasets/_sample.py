"""A small real sample of MIT-BIH beats that ships with the package."""

from __future__ import annotations

from importlib import resources

import numpy as np
from sklearn.utils import Bunch

from ecgbeat.datasets._mitbih import AAMI_CLASSES, mitbih_patients

__all__ = ["load_sample"]

SAMPLE_NAME = "mitbih_sample"


def load_sample(*, return_X_y: bool = False):
    """Load the bundled sample of real MIT-BIH heartbeats (all five AAMI classes).

    2,850 beats drawn only from the *test* part of the ``"random"`` split of
    :func:`fetch_mitbih` (so a model trained on its train part never saw them), with the
    segmentation of :func:`ecgbeat.beats.segment_beats`. ``tools/make_sample.py``
    regenerates it exactly; its provenance and the ODC-By 1.0 attribution are in ``DESCR``.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``data`` (n_beats, 187) float32 in [0, 1]; ``target`` (n_beats,) int64 AAMI labels;
        ``target_names``; ``groups`` and ``record`` record of each beat; ``patient`` its subject,
        as :func:`fetch_mitbih` gives it; ``r_peaks`` (n_beats,) int64 R-peak sample at 360 Hz; ``symbol`` MIT-BIH annotation symbol; ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from ecgbeat.datasets import load_sample
    >>> sample = load_sample()
    >>> sample.data.shape, sample.target_names
    ((2850, 187), ['N', 'S', 'V', 'F', 'Q'])
    >>> "Open Data Commons Attribution" in sample.DESCR
    True
    """
    folder = resources.files("ecgbeat.datasets") / "data"
    with resources.as_file(folder / f"{SAMPLE_NAME}.npz") as path, np.load(path) as npz:
        arrays = {name: npz[name] for name in npz.files}
    data = arrays["data"]
    target = arrays["target"].astype(np.int64)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=list(AAMI_CLASSES),
        groups=arrays["record"],
        record=arrays["record"].copy(),
        patient=mitbih_patients(arrays["record"]),
        r_peaks=arrays["r_peaks"].astype(np.int64),  # as fetch_mitbih's (stored as int32)
        symbol=arrays["symbol"],
        DESCR=(folder / f"{SAMPLE_NAME}.txt").read_text(encoding="utf-8"),
    )
