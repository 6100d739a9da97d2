"""`rightsbot train` is deterministic: the same examples give the same scores, exactly."""

from __future__ import annotations

from classifier import Classifier
from classifier.examples import read_examples, split
from classifier.train import LEARN_RATE, TEXTCAT_MODEL, Fit, _assemble, _fit_member, train

PROBES = [
    ("Delete my data", "Please delete everything you hold about me."),
    ("Quote", "How much for clearing one pallet of tiles from Spain?"),
    ("Widerspruch", "Ich widerspreche der Nutzung meiner Daten für Werbung."),
]


def test_training_twice_on_the_same_examples_gives_identical_scores() -> None:
    examples = sorted(split(read_examples())[0], key=lambda e: e.id)[::25]

    # Once with the fits spread over two worker processes, once all in this one: the members
    # are seeded per member, so the order the fits finish in does not matter.
    first = train(examples, output=None, epochs=2, folds=2, workers=2)
    second = train(examples, output=None, epochs=2, folds=2, workers=1)

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


def test_the_textcat_scores_the_mean_of_its_independently_trained_members() -> None:
    examples = sorted(split(read_examples())[0], key=lambda e: e.id)[::40]
    member_config = {**TEXTCAT_MODEL, "members": 1}
    members = [_fit_member(Fit(-1, m, tuple(examples), 1, member_config, LEARN_RATE),
                           lambda _loss: None)
               for m in range(2)]

    both = _assemble(TEXTCAT_MODEL | {"members": 2}, members, examples)
    alone = [_assemble(member_config, [weights], examples) for weights in members]

    def raw_scores(model: Classifier) -> list[dict[str, float]]:
        docs = model.nlp.pipe(model.make_doc(f"{s}\n\n{b}", "en") for s, b in PROBES)
        return [dict(doc.cats) for doc in docs]

    mean, first, second = raw_scores(both), *(raw_scores(m) for m in alone)
    assert first != second  # two seeds, two different members
    for m, a, b in zip(mean, first, second, strict=True):
        assert all(abs(m[k] - (a[k] + b[k]) / 2) < 1e-6 for k in m)
