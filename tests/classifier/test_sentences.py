"""Mail and sentence scores from one pass (sentences.py), and how they reach the verdict."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shipped_model

from classifier import LABELS, Classifier, calibrate, sentences

shipped = shipped_model.shipped  # the session fixture

MAILS = [
    ("en", "Hi, please send me a copy of the data you hold about me. Also take me off "
           "your mailing list, I never signed up for it!\n\nThanks, Ann"),
    ("nl", "Goedemiddag,\n\nkunt u mij een offerte sturen voor de inklaring van 3 containers?"
           "\nMet vriendelijke groet,\nPiet"),
    ("de", "Bitte löschen Sie meine Daten. Ich widerrufe meine Einwilligung."),
    ("fr", "Bonjour, je souhaite recevoir une copie de mes données."),
    ("en", "ok"),
    ("en", ""),
    ("en", "Invoice 2291 attached.\n\n\n> On Monday you wrote:\n> please send the HS codes"),
]


def _docs(model: Classifier) -> list:
    cues = model.nlp.get_pipe("rightsbot_cues")
    return [cues(model.make_doc(text.lower(), language)) for language, text in MAILS]


def test_mail_scores_are_spacys_textcat_scores(shipped: Classifier) -> None:
    textcat = shipped.nlp.get_pipe("textcat_multilabel")
    docs = _docs(shipped)
    mail = sentences.score(textcat.model, docs).mail

    non_empty = [i for i, doc in enumerate(docs) if len(doc)]
    expected = textcat.model.predict([docs[i] for i in non_empty])
    np.testing.assert_allclose(mail[non_empty], expected, atol=1e-5)
    assert not mail[[i for i, doc in enumerate(docs) if not len(doc)]].any()


def test_a_mail_of_one_sentence_is_its_own_best_sentence(shipped: Classifier) -> None:
    textcat = shipped.nlp.get_pipe("textcat_multilabel")
    docs = _docs(shipped)
    scores = sentences.score(textcat.model, docs)
    mail, best = scores.mail, scores.best

    single = [i for i, doc in enumerate(docs) if len(sentences.sentence_ranges(doc)) < 2]
    assert single  # "ok", the empty mail and the French one
    np.testing.assert_array_equal(mail[single], best[single])


def test_the_sentence_asking_for_access_scores_access_above_the_mail_of_two_sentences(
        shipped: Classifier) -> None:
    textcat = shipped.nlp.get_pipe("textcat_multilabel")
    cues = shipped.nlp.get_pipe("rightsbot_cues")
    text = ("thank you for the quick delivery of the pallets last week, everything arrived "
            "in good order and the customs papers were complete. could you also send me a "
            "copy of all personal data you keep about me?")
    doc = cues(shipped.make_doc(text, "en"))
    scores = sentences.score(textcat.model, [doc])
    mail, best = scores.mail, scores.best

    access = list(textcat.labels).index("access")
    assert best[0, access] > mail[0, access]


def test_sentences_end_at_stops_and_line_breaks_and_short_ones_are_left_out(
        shipped: Classifier) -> None:
    text = "dear team,\n\nplease delete my account. i moved away!\nkind regards,\nann"
    doc = shipped.make_doc(text, "en")

    found = [doc[start:end].text for start, end in sentences.sentence_ranges(doc)]

    assert found == ["please delete my account.", "i moved away!"]


def test_marker_tokens_are_never_part_of_a_sentence_range(shipped: Classifier) -> None:
    cues = shipped.nlp.get_pipe("rightsbot_cues")
    doc = cues(shipped.make_doc("i object to direct marketing. delete my data please", "en"))

    ranges = sentences.sentence_ranges(doc)

    assert ranges[-1][1] <= len(doc) - 1  # markers follow the text
    assert all(not doc[i].text.startswith("__") for start, end in ranges
               for i in range(start, end))


def test_a_sentence_counts_only_where_it_scores_above_its_mail() -> None:
    weights = {"objection": [1.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0]}

    alone = calibrate.score(weights, "objection", 0.4, set())
    lower = calibrate.score(weights, "objection", 0.4, set(), sentence=0.1)
    higher = calibrate.score(weights, "objection", 0.4, set(), sentence=0.9)

    assert alone == pytest.approx(0.4)
    assert lower == pytest.approx(alone)
    # logit(0.4) + 3 * (0.9 - 0.4)
    assert higher == pytest.approx(1 / (1 + math.exp(-(math.log(0.4 / 0.6) + 1.5))))


def test_a_model_calibrated_before_sentence_scores_ignores_them() -> None:
    six = {"objection": [1.0, 0.0, 0.0, 0.0, -2.0, 0.0]}

    assert calibrate.score(six, "objection", 0.4, set(), sentence=0.95) == pytest.approx(0.4)


def test_calibration_learns_what_a_sentence_is_worth() -> None:
    # Rights that only one sentence shows: the mail scores low, its best sentence high.
    rows = []
    for i in range(200):
        hidden = i % 4 == 0
        mail = {k: 0.2 for k in LABELS}
        best = {k: 0.2 for k in LABELS} | {"objection": 0.9 if hidden else 0.25}
        rows.append((mail, best, {}, {"objection"} if hidden else set()))

    weights = calibrate.fit(rows)

    sentence_weight = weights["objection"][calibrate.FEATURES.index("sentence")]
    assert sentence_weight > 1.0
    assert calibrate.score(weights, "objection", 0.2, set(), 0.9) > 0.5
    assert calibrate.score(weights, "objection", 0.2, set(), 0.25) < 0.5


def test_the_verdict_reads_the_best_sentence(shipped: Classifier) -> None:
    subject, body = "question", ("We received the invoice, thanks, and the pallets arrived "
                                 "on time. Please remove my email address from your "
                                 "newsletter list.")
    sentence_weight = {k: w[calibrate.FEATURES.index("sentence")]
                       for k, w in (shipped.calibration or {}).items()
                       if len(w) == len(calibrate.FEATURES)}
    assert sentence_weight, "the shipped model is calibrated with sentence scores"
    blind = _without_sentences(shipped)

    seeing = shipped.classify(subject, body).scores
    not_seeing = blind.classify(subject, body).scores

    assert all(seeing[k] >= not_seeing[k] - 1e-9 for k in LABELS if sentence_weight[k] >= 0)
    assert any(seeing[k] > not_seeing[k] + 1e-3 for k in LABELS)


def _without_sentences(model: Classifier) -> Classifier:
    """The same model with the sentence weights set to 0."""
    copy = Classifier(model.nlp, model.request_threshold, model.triage_threshold,
                      model.tokenizers)
    at = calibrate.FEATURES.index("sentence")
    copy.calibration = {k: [0.0 if i == at else x for i, x in enumerate(w)]
                        for k, w in (model.calibration or {}).items()}
    return copy


def test_a_sentence_gets_the_markers_of_its_own_words_only(shipped: Classifier) -> None:
    cues = shipped.nlp.get_pipe("rightsbot_cues")
    # "delete it!" is too short to be scored alone; its concept belongs to no sentence.
    doc = cues(shipped.make_doc("thanks for the delivery today. delete it!\n"
                                "we will pay the invoice soon. please erase my data now.", "en"))
    ranges = sentences.sentence_ranges(doc)

    markers = [{doc[i].text for i in rows}
               for rows in sentences._sentence_markers(doc, sentences._token_array(doc), ranges)]

    assert [doc[start:end].text for start, end in ranges] == [
        "thanks for the delivery today.", "we will pay the invoice soon.",
        "please erase my data now."]
    assert "__concept_delete__" not in markers[0] | markers[1]
    assert "__concept_delete__" in markers[2]


def test_a_label_without_a_cue_shows_the_sentence_that_asks_for_it(
        shipped: Classifier) -> None:
    question = ("Daarnaast: wat voor gegevens hebben jullie eigenlijk allemaal over mij "
                "opgeslagen?")
    body = (f"Thanks for sorting the customs papers so fast, the truck left on time.\n\n"
            f"{question} Ik wil dat graag weten.\n\nGroet, Kees")
    cues = shipped.nlp.get_pipe("rightsbot_cues")
    doc = cues(shipped.make_doc(body.lower(), "nl"))
    assert not [span for span in doc.spans["cues"] if span.label_ == "access"]

    verdict = shipped.classify("Re: order 5512", body)

    assert "access" in verdict.labels
    assert verdict.evidence["access"] == (question,)
