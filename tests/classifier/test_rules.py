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


def _concepts_and_cues(shipped: Classifier, language: str, text: str) -> tuple[set[str], set[str]]:
    doc = shipped.nlp.get_pipe("rightsbot_cues")(shipped.make_doc(text.lower(), language))
    concepts = {concept for _i, concept in doc.user_data["concepts"]}
    return concepts, {span.label_ for span in doc.spans["cues"] if span.id_ != "counter"}


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Please don't delete my data, just stop using it for now."),
    ("en", "Do not erase my account until the dispute is settled."),
    ("nl", "Verwijder mijn gegevens niet, ik heb ze nog nodig."),
    ("nl", "Graag niet verwijderen, alleen niet meer gebruiken."),
    ("de", "Bitte löschen Sie meine Daten nicht, sondern sperren Sie sie."),
    ("de", "Bitte nichts löschen, bis der Streit geklärt ist."),
    ("fr", "Ne supprimez pas mes données, mais ne les utilisez plus."),
    ("fr", "Bloquez mes données svp, sans les effacer."),
    ("en", "I don't want anything deleted at this stage, just tell me what you hold."),
    ("nl", "Ik vraag niet om verwijdering, ik wil alleen weten wat jullie hebben."),
    ("de", "Ich habe nicht um Löschung gebeten."),
    ("en", "To be clear, I am not asking for erasure. Just send me a copy."),
    ("de", "Ob ich später die Löschung verlange, entscheide ich danach."),
])
def test_a_refused_or_deferred_deletion_is_not_delete_and_not_erasure(
        shipped: Classifier, language: str, text: str) -> None:
    concepts, cue_labels = _concepts_and_cues(shipped, language, text)

    assert "not_delete" in concepts
    assert "delete" not in concepts
    assert "erasure" not in cue_labels


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Please delete my data."),
    ("en", "Why did you not delete my data as I asked?"),
    ("en", "I cannot delete the file myself. Please delete my data."),
    ("en", "Not happy at all. Delete my data."),
    ("en", "Don't call me again and delete my data."),
    ("nl", "Kunnen jullie mijn gegevens niet gewoon verwijderen?"),
    ("de", "Bitte löschen Sie nicht nur mein Konto, sondern alle meine Daten."),
    ("fr", "Vous n'avez pas supprimé mes données, supprimez-les maintenant."),
    ("de", "Meine Daten wurden bis heute nicht gelöscht."),
    ("fr", "Mes données n'ont pas été supprimées."),
    ("nl", "Ik kreeg weer post op mijn huisadres. Dus niet verwijderd."),
    ("de", "Die Löschung ist nicht erfolgt."),
    ("en", "Why don't you delete my data?"),
    ("en", "I want my data deleted."),
    ("fr", "Merci de procéder sans délai à l'effacement de mes données."),
])
def test_a_deletion_asked_for_or_missed_stays_delete(shipped: Classifier, language: str,
                                                     text: str) -> None:
    """Asked for, or a complaint that it did not happen: either way the deletion is wanted."""
    concepts, _cue_labels = _concepts_and_cues(shipped, language, text)

    assert "delete" in concepts
    assert "not_delete" not in concepts


def test_a_word_can_belong_to_a_concept_in_one_language_only(shipped: Classifier) -> None:
    """Dutch "wissen" is to erase; German "wissen" is to know, the plainest access wording."""
    dutch, _ = _concepts_and_cues(shipped, "nl", "Graag al mijn gegevens wissen.")
    german, german_cues = _concepts_and_cues(
        shipped, "de", "Ich möchte wissen, was Sie über mich gespeichert haben.")

    assert "delete" in dutch
    assert "delete" not in german
    assert "erasure" not in german_cues


@pytest.mark.parametrize("text", [
    "Ich möchte wissen, was Sie über mich gespeichert haben.",
    "Ich bin gespannt, was Sie über mich gespeichert haben.",
])
def test_german_access_wording_is_not_an_access_counter_cue(shipped: Classifier,
                                                            text: str) -> None:
    """The counter "delete whatever you hold" once matched "wissen, was" and "bin ... was"."""
    doc = shipped.nlp.get_pipe("rightsbot_cues")(shipped.make_doc(text.lower(), "de"))

    assert not [s for s in doc.spans["cues"] if s.label_ == "access" and s.id_ == "counter"]
