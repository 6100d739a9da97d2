"""Round 4: which labels a ticket shows is decided per label, apart from the decision.

The request threshold says whether the bot may acknowledge a mail alone; each label has its own
bar (chosen on out-of-fold predictions at training) for whether it goes on the ticket.
"""

from __future__ import annotations

import pytest
import shipped_model

from classifier import NOT_REQUEST, REQUEST, TRIAGE, Classifier, calibrate
from classifier.evaluate import LabelScore, Report, evaluate, format_report
from classifier.examples import Example
from classifier.labels import ALWAYS_TRIAGE, LABELS, RIGHTS

shipped = shipped_model.shipped  # the session fixture


def _copy(model: Classifier, thresholds: dict[str, float] | None) -> Classifier:
    """The shipped pipeline with other label thresholds (the shared one is left alone)."""
    other = Classifier(model.nlp, model.request_threshold, model.triage_threshold,
                       model.tokenizers)
    other.label_thresholds = thresholds
    return other


def _scores(**given: float) -> dict[str, float]:
    return {label: given.get(label, 0.0) for label in LABELS}


def test_label_thresholds_maximise_f1_on_the_rows_given() -> None:
    # access: positives score 0.3..0.6, negatives 0.0..0.2: any bar in (0.2, 0.3] is perfect.
    rows = [({**_scores(), "access": 0.3 + i / 100}, {"access"}) for i in range(31)]
    rows += [({**_scores(), "access": i / 100}, set()) for i in range(21)]

    bars = calibrate.label_thresholds(rows)

    assert set(bars) == set(LABELS)
    assert 0.2 < bars["access"] <= 0.3
    assert all(calibrate.LABEL_THRESHOLD_MIN <= bar <= calibrate.LABEL_THRESHOLD_MAX
               for bar in bars.values())


def test_shipped_model_has_a_bar_for_every_label(shipped: Classifier) -> None:
    bars = shipped.label_thresholds

    assert bars is not None and set(bars) == set(LABELS)
    assert all(calibrate.LABEL_THRESHOLD_MIN <= bar <= calibrate.LABEL_THRESHOLD_MAX
               for bar in bars.values())


def test_a_request_shows_every_label_at_its_bar_not_only_the_confident_one(
        shipped: Classifier) -> None:
    model = _copy(shipped, {label: 0.4 for label in LABELS})
    scores = _scores(access=0.95, erasure=0.5, objection=0.3)

    decision, _reasons = model._decide(scores)

    assert decision == REQUEST
    assert model._labels(scores, decision) == ("access", "erasure")


def test_the_right_that_makes_a_request_confident_is_always_shown(shipped: Classifier) -> None:
    model = _copy(shipped, {label: 0.8 for label in LABELS})
    model.request_threshold = 0.7
    scores = _scores(objection=0.75)

    decision, _reasons = model._decide(scores)

    assert decision == REQUEST
    assert model._labels(scores, decision) == ("objection",)


def test_complaint_on_the_ticket_always_sends_it_to_triage(shipped: Classifier) -> None:
    model = _copy(shipped, {label: 0.3 for label in LABELS})
    for label in ALWAYS_TRIAGE:
        scores = _scores(access=0.95, **{label: 0.35})

        decision, reasons = model._decide(scores)

        assert decision == TRIAGE
        assert label in model._labels(scores, decision)
        assert any(label in reason for reason in reasons)


def test_a_faint_candidate_below_its_bar_stays_off_the_ticket(shipped: Classifier) -> None:
    model = _copy(shipped, {label: 0.5 for label in LABELS})
    scores = _scores(restriction=0.2)

    decision, _reasons = model._decide(scores)

    assert decision == TRIAGE
    assert model._labels(scores, decision) == ()
    assert model._labels(_scores(), NOT_REQUEST) == ()


def test_without_label_thresholds_the_old_behaviour_stays(shipped: Classifier) -> None:
    model = _copy(shipped, None)
    scores = _scores(access=0.9, erasure=0.6, complaint=0.1)

    assert model._labels(scores, REQUEST) == ("access",)
    assert model._labels(scores, TRIAGE) == ("access", "erasure", "complaint")
    assert model._decide(_scores(access=0.9, complaint=0.45))[0] == REQUEST


@pytest.mark.parametrize("right", RIGHTS)
def test_every_right_bar_lets_a_confident_request_name_it(shipped: Classifier,
                                                         right: str) -> None:
    scores = _scores(**{right: shipped.request_threshold})

    decision, _reasons = shipped._decide(scores)

    assert decision == REQUEST
    assert right in shipped._labels(scores, decision)


def test_triage_evidence_covers_candidates_off_the_ticket(shipped: Classifier) -> None:
    verdict = shipped.classify("question", "Can you tell me whether you still keep any notes "
                               "about me, and maybe stop the calls? Not sure what I want yet.")

    assert set(verdict.labels) <= set(verdict.evidence) or verdict.decision != TRIAGE
    if verdict.decision == TRIAGE:
        assert all(verdict.scores[k] >= shipped.triage_threshold for k in verdict.evidence)


def test_evaluate_counts_the_labels_on_the_ticket(shipped: Classifier) -> None:
    examples = [
        Example("t-1", "en", "Delete my data", "Please delete everything you hold about me.",
                ("erasure",)),
        Example("t-2", "en", "Quote", "How much for clearing one pallet of tiles from Spain?",
                ()),
        Example("t-3", "en", "Copy and delete", "Please send me a copy of all the personal "
                "data you hold about me. Once I have it, delete all of it.",
                ("access", "erasure")),
    ]
    verdicts = list(shipped.classify_many((e.subject, e.body) for e in examples))

    report = evaluate(shipped, examples)

    shown = sum(len(v.labels) for v in verdicts)
    assert sum(s.tp + s.fp for s in report.labels.values()) == shown
    assert sum(s.tp + s.fn for s in report.labels.values()) == 3


def test_evaluate_reports_each_language_on_its_own(shipped: Classifier) -> None:
    examples = [
        Example("t-1", "en", "Delete my data", "Please delete everything you hold about me.",
                ("erasure",)),
        Example("t-2", "nl", "Offerte", "Wat kost het inklaren van twee pallets tegels uit "
                "Spanje?", ()),
        Example("t-3", "nl", "Mijn gegevens", "Verwijder al mijn persoonsgegevens uit jullie "
                "systemen, alstublieft.", ("erasure",)),
    ]

    report = evaluate(shipped, examples)

    assert sorted(report.by_language) == ["en", "nl"]
    assert [report.by_language[k].count for k in ("en", "nl")] == [1, 2]
    assert sum(part.confusion["not"]["not_request"] + part.confusion["not"]["triage"]
               + part.confusion["not"]["request"] for part in report.by_language.values()) == 1
    assert "language   mails" in format_report(report)


def test_a_language_slice_counts_only_the_labels_that_occur_in_it() -> None:
    report = Report()
    report.labels["erasure"] = LabelScore(tp=1, fp=1)  # F1 2/3; the seven others never occur

    assert report.macro_f1_present == pytest.approx(2 / 3)
    assert report.macro_f1 == pytest.approx((2 / 3 + 7) / 8)  # absent labels count as 1.0
