"""`rightsbot train` is deterministic: the same examples give the same scores, exactly."""

from __future__ import annotations

from classifier.examples import read_examples, split
from classifier.train import train

PROBES = [
    ("Delete my data", "Please delete everything you hold about me."),
    ("Quote", "How much for clearing one pallet of tiles from Spain?"),
    ("Widerspruch", "Ich widerspreche der Nutzung meiner Daten für Werbung."),
]


def test_training_twice_on_the_same_examples_gives_identical_scores() -> None:
    examples = sorted(split(read_examples())[0], key=lambda e: e.id)[::25]

    first = train(examples, output=None, epochs=2, folds=2)
    second = train(examples, output=None, epochs=2, folds=2)

    first_scores = [v.scores for v in first.classify_many(PROBES)]
    second_scores = [v.scores for v in second.classify_many(PROBES)]
    assert first_scores == second_scores
    assert first.calibration == second.calibration
    assert first.calibration is not None
    assert first.label_thresholds == second.label_thresholds
    assert first.label_thresholds is not None
    # Not a constant model: the probes do not all get the same scores.
    assert first_scores[0] != first_scores[1]


def test_training_never_sees_the_held_out_split() -> None:
    train_part, heldout = split(read_examples())

    assert heldout and train_part
    assert not {e.id for e in train_part} & {e.id for e in heldout}
    assert all(e.heldout for e in heldout)
