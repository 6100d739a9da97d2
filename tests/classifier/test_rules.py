"""The cue lexicon compiles, and the rule component marks evidence and model features."""

from __future__ import annotations

import pytest
import shipped_model

from classifier import Classifier
from classifier.rules import CueMatcher, expand, text_length

shipped = shipped_model.shipped  # the session fixture


def test_cue_regexes_expand_to_the_words_they_describe() -> None:
    assert expand("delete[ds]?") == ["delete", "deleted", "deletes"]
    assert expand("art(\\.|ikel)? ") == ["art ", "art. ", "artikel "]
    assert expand("d['’]acc[eè]s") == ["d'acces", "d'accès", "d’acces", "d’accès"]


@pytest.mark.parametrize("regex", ["dele.e", "a+", "(open", "x{2}"])
def test_open_ended_cue_regex_is_refused(regex: str) -> None:
    with pytest.raises(ValueError, match="cue regex"):
        expand(regex)


def test_cue_component_adds_markers_after_the_mail_and_spans_on_it(
        shipped: Classifier) -> None:
    cues = shipped.nlp.get_pipe("rightsbot_cues")
    assert isinstance(cues, CueMatcher)
    doc = cues(shipped.make_doc("Ik maak bezwaar tegen de naheffing.", "nl"))

    real = text_length(doc)
    markers = [t.text for t in doc[real:]]
    assert "__cue_objection_weak__" in markers
    assert "__concept_customs__" in markers
    assert all(span.end <= real for span in doc.spans["cues"])
    assert doc[2].norm_ == "__concept_object__"


@pytest.mark.parametrize(("language", "text", "strength"), [
    ("en", "I already unsubscribed twice and you keep sending me the newsletter.", "phrase"),
    ("en", "The unsubscribe link didn't work.", "phrase"),
    ("nl", "Ik heb me al twee keer afgemeld en jullie blijven mailen.", "phrase"),
    ("de", "Trotz Abmeldung kommt Ihr Newsletter weiter.", "phrase"),
    ("fr", "Malgré ma désinscription vous continuez à m'envoyer vos offres.", "phrase"),
    ("en", "We are still getting errors from the portal.", "weak"),
])
def test_contact_after_an_opt_out_is_complaint_evidence(shipped: Classifier, language: str,
                                                        text: str, strength: str) -> None:
    """Round 4: a complaint the sender does not call one; a business "still" stays weak."""
    cues = shipped.nlp.get_pipe("rightsbot_cues")
    doc = cues(shipped.make_doc(text.lower(), language))

    found = {span.id_ for span in doc.spans["cues"] if span.label_ == "complaint"}
    assert strength in found
    if strength == "weak":
        assert found == {"weak"}
