"""What the tools record the same way as the benchmarks and experiments: where a result came from,
and the class weights of the shipped models' recipes. ``benchmarks._common`` passes them on, so
that the scripts' arrows run one way (experiments and benchmarks use tools, never the reverse)."""

from __future__ import annotations

import datetime
import hashlib
import os
import platform
import shlex
import sys
from pathlib import Path

import numpy as np


def sqrt_balanced_class_weight(y, digits: int | None = None) -> dict[int, float]:
    """The square root of scikit-learn's "balanced" class weights of integer labels ``y``.

    Rare classes count more without the extreme weights that destabilise training (DS1's 8 Q
    beats get about 36 instead of about 1,000). ``digits`` rounds them, as the model cards record
    them.
    """
    from sklearn.utils.class_weight import compute_class_weight

    present = np.unique(y)
    weights = np.sqrt(compute_class_weight("balanced", classes=present, y=y))
    return {
        int(c): float(w if digits is None else round(float(w), digits))
        for c, w in zip(present, weights, strict=True)
    }


def provenance(script: str, argv: list[str] | None) -> dict[str, str]:
    """The command that made a result (``script`` is the script's ``__file__``; the arguments
    quoted as a shell reads them), its date and the machine, as each results file and model card
    records them."""
    return {
        "command": f"python -m {Path(script).parent.name}.{Path(script).stem} "
        # Quoted as a shell reads it back: a folder with a space is one argument.
        + shlex.join(sys.argv[1:] if argv is None else argv),
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "cpu": cpu_description(),
    }


#: CPU flags that decide the speed of reduced precision (bfloat16, int8) in oneDNN.
_PRECISION_FLAGS = ("avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_int8")


def cpu_description(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The CPU's model name and which of its flags decide reduced precision's speed: the same
    script runs about twice as fast in bfloat16 on a CPU with ``avx512_bf16`` as in float32, and
    no faster on one without. "unknown" where ``cpuinfo`` cannot be read (not Linux)."""
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "unknown"
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in text.splitlines()[:40])
    )
    flags = set(fields.get("flags", "").split())
    present = [flag for flag in _PRECISION_FLAGS if flag in flags]
    return f"{fields.get('model name', 'unknown')}; " + (" ".join(present) or "no AVX-512")


def cards_manifest(folder: Path, new_cards: dict[str, bytes]) -> str:
    """The text of ``SHA256SUMS``, the SHA-256 of each model card in ``folder``, once the cards
    in ``new_cards`` (file name -> text) replace or join them: ``ecgbeat.pretrained`` checks each
    card against it."""
    texts = {path.name: path.read_bytes() for path in folder.glob("*.json")} | new_cards
    return "".join(f"{hashlib.sha256(texts[n]).hexdigest()}  {n}\n" for n in sorted(texts))


def metrics_at_detected_peaks(clf, found, target_names) -> dict:
    """:func:`ecgbeat.evaluation.aami_metrics` of ``clf`` on ``found``, a ``fetch_mitbih`` Bunch
    with a ``detector``: the detections of no beat count as false positives of the class ``clf``
    gives them, and the reference beats with no detection as misses of their own, as a user's
    recording would score them."""
    from ecgbeat.evaluation import aami_metrics, with_unmatched_detections

    X, y = with_unmatched_detections(found)
    return aami_metrics(y, clf.predict(X), target_names=target_names, missed=found.missed.target)
