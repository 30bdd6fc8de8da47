"""Measure a shipped model's figures at detected R peaks again, and write them into its card and
the cards that quote it.

A DS1 model's card holds ``test_metrics_detected`` (written by ``tools.train_pretrained``): DS2
scored with beats cut at Pan-Tompkins peaks, the user's path. Those measured before 2026-12-03
left out the reference beats that the detector missed; this measures them again with the model
as shipped (nothing is trained, the weights stay as they are), counting each missed beat as a
false negative of its class, and records the command in ``test_metrics_detected_measured``. The
cards of the models that quote it (``--split all`` models whose ``--twin`` it is) get the same
figures. The cards and ``SHA256SUMS`` (the cards' SHA-256) are written together: a failure on the
way leaves them as they were. With ``--out``, another folder of models and their cards (as
``tools.train_pretrained --out`` writes them), the model scored is the one there, beside its card.

This reads DS2: run it to report a finished model, never to choose.

Usage::

    python -m tools.measure_detected --name mitbih-ds1-rhythm-template [--data-home ../shared/data]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
from pathlib import Path

from ecgbeat import HeartbeatCNNClassifier
from ecgbeat._atomic import replacing
from ecgbeat.datasets import fetch_mitbih
from ecgbeat.records import beat_cutting
from tools._common import cards_manifest, metrics_at_detected_peaks, provenance

REPO = Path(__file__).resolve().parents[1]
#: The shipped models' folder.
PACKAGE = REPO / "ecgbeat" / "pretrained"


def quoting(cards: dict[str, dict], name: str) -> list[str]:
    """The names of the ``cards`` that quote ``name``'s figures as their expected performance."""
    return sorted(
        other
        for other, card in cards.items()
        if f"twin {name!r}" in card.get("expected_on_new_patients", "")
    )


def _weights_of(card: dict, folder: Path, name: str, parser) -> HeartbeatCNNClassifier:
    """The model whose ``card`` is in ``folder``: its weights beside the card, as checked
    against the card's SHA-256 (the shipped model by name, which checks them so)."""
    if folder.resolve() == PACKAGE.resolve():
        return HeartbeatCNNClassifier.from_pretrained(name)
    # Another folder (tools.train_pretrained --out writes a model there): the shipped model of
    # the same name was scored, and its figures written into the card of other weights.
    weights = folder / Path(card["file"]).name
    if not weights.is_file():
        parser.error(f"--name {name!r}: its weights {weights} are missing")
    if hashlib.sha256(weights.read_bytes()).hexdigest() != card["sha256"]:
        parser.error(f"--name {name!r}: {weights} is not the file its card names (SHA-256)")
    return HeartbeatCNNClassifier.from_pretrained(weights)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="a model with a DS2 test part")
    parser.add_argument("--data-home", default=os.environ.get("ECGBEAT_DATA", "../shared/data"))
    parser.add_argument(
        "--out", help="folder of the models and their cards; default: ecgbeat/pretrained"
    )
    args = parser.parse_args(argv)
    out = Path(args.out or PACKAGE)
    cards = {path.stem: json.loads(path.read_text()) for path in sorted(out.glob("*.json"))}
    card = cards.get(args.name)
    if card is None:
        parser.error(f"--name {args.name!r}: no card {args.name}.json in {out}")
    if "test_metrics_detected" not in card or card["data"]["split"] != "inter-patient":
        # A random-split model has no whole records to detect beats in; a model of all 48
        # records has no test part (its card quotes its twin's).
        parser.error(
            f"--name {args.name!r}: its card has no figures at detected peaks of its own to "
            "measure (only the inter-patient models of the new-patients recipes have them)"
        )
    clf = _weights_of(card, out, args.name, parser)
    found = fetch_mitbih(
        data_home=args.data_home,
        split="inter-patient",
        subset="test",
        detector="pan-tompkins",
        **beat_cutting(clf),
    )
    metrics = metrics_at_detected_peaks(clf, found, card["target_names"])
    measured = {
        **provenance(__file__, argv),
        "missed_beats": len(found.missed.target),
        "unmatched_detections": len(found.unmatched.data),
    }
    updated = {}
    for name in [args.name, *quoting(cards, args.name)]:
        # In place, key order kept, so that the diff of a card shows what changed.
        new = {}
        for key, value in cards[name].items():
            if key == "test_metrics_detected_measured":
                continue
            new[key] = metrics if key == "test_metrics_detected" else value
            if key == "test_metrics_detected":
                new["test_metrics_detected_measured"] = measured
        updated[name] = (json.dumps(new, indent=1) + "\n").encode()
    with contextlib.ExitStack() as stack:
        sums_tmp = stack.enter_context(replacing(out / "SHA256SUMS"))
        for name, text in updated.items():
            stack.enter_context(replacing(out / f"{name}.json")).write_bytes(text)
        sums_tmp.write_text(cards_manifest(out, {f"{n}.json": t for n, t in updated.items()}))
    print(json.dumps({"cards": list(updated), "measured": measured, **metrics}, indent=1))
    return {"cards": list(updated), "test_metrics_detected": metrics, "measured": measured}


if __name__ == "__main__":
    main()
