"""Odd inputs: empty mails, a 1 MB one-line body, HTML, evidence in the sender's spelling."""

from __future__ import annotations

import shipped_model

from classifier import NOT_REQUEST, Classifier
from classifier.normalize import MAX_MODEL_CHARS, html_to_text, model_text, new_text

shipped = shipped_model.shipped  # the session fixture


def test_empty_subject_and_body_is_not_a_request(shipped: Classifier) -> None:
    verdict = shipped.classify("", "")

    assert verdict.decision == NOT_REQUEST
    assert verdict.labels == ()
    assert verdict.evidence == {}
    assert verdict.language == "en"


def test_an_empty_mail_among_others_in_one_batch_gets_its_own_verdict(
        shipped: Classifier) -> None:
    # thinc's n-gram layer failed on a batch mixing an empty doc with others: one empty mail
    # in a --jsonl stream or a backlog import took its whole batch down.
    mails = [("", "Please delete my personal data."), ("", ""), (" ", "\n\n"),
             ("", "Löschen Sie meine Daten.")]

    verdicts = list(shipped.classify_many(mails, batch_size=4))

    assert [v.decision for v in verdicts[1:3]] == [NOT_REQUEST, NOT_REQUEST]
    assert verdicts[1].scores == verdicts[2].scores == shipped.classify("", "").scores
    assert verdicts[0].scores == shipped.classify("", "Please delete my personal data.").scores
    assert "erasure" in verdicts[3].labels


def test_one_megabyte_single_line_body_gets_a_verdict(shipped: Classifier) -> None:
    body = "Please delete my personal data. " + "x" * (1024 * 1024)

    verdict = shipped.classify("", body)

    assert verdict.decision in {"request", "triage", "not_request"}
    assert len(model_text("", body)) <= MAX_MODEL_CHARS


def test_evidence_keeps_the_senders_own_capitals(shipped: Classifier) -> None:
    verdict = shipped.classify("", "I WANT YOU TO DELETE MY PERSONAL DATA NOW.")

    assert "erasure" in verdict.labels
    assert any(phrase.isupper() for phrase in verdict.evidence["erasure"])


def test_classify_many_streams_verdicts_in_input_order(shipped: Classifier) -> None:
    mails = iter([("", "Stop emailing me."), ("Invoice", "Invoice 55 attached."),
                  ("", "Löschen Sie meine Daten.")] * 50)

    verdicts = list(shipped.classify_many(mails, batch_size=16))

    assert len(verdicts) == 150
    assert verdicts[1].decision == NOT_REQUEST
    assert [v.language for v in verdicts[:3]] == ["en", "en", "de"]
    assert verdicts[0].scores == verdicts[3].scores


def test_new_text_cuts_quoted_history_in_each_client_style() -> None:
    replies = [
        "Fine.\n\nOn Tue, 3 Mar 2026 at 10:12, X <x@example.com> wrote:\n> delete my data",
        "Prima.\n\nOp di 3 mrt. 2026 om 10:12 schreef X:\n> verwijder mijn gegevens",
        "Gut.\n\nAm 03.03.2026 um 10:12 schrieb X:\n> löschen Sie meine Daten",
        "Bien.\n\nLe mar. 3 mars 2026 à 10:12, X a écrit :\n> supprimez mes données",
        "Ok.\n\n-----Original Message-----\nFrom: X\nSent: Tuesday\n\ndelete my data",
        "Ok.\n\nVan: X\nVerzonden: dinsdag\nOnderwerp: y\n\nverwijder mijn gegevens",
    ]

    assert [new_text(r) for r in replies] == ["Fine.", "Prima.", "Gut.", "Bien.", "Ok.", "Ok."]


def test_forwarded_request_is_kept_for_classification() -> None:
    body = ("FYI\n\n---------- Forwarded message ---------\nFrom: Ann <ann@example.com>\n"
            "Subject: data\n\nPlease erase my data.")

    assert "Please erase my data." in new_text(body)


def test_outlook_and_apple_forwards_keep_the_forwarded_request() -> None:
    # Outlook opens a forward with the same header block as a reply; the subject tells them apart.
    outlook = ("Hi team, see below.\n-- \nJens\n\nFrom: Ann <ann@example.com>\n"
               "Sent: Monday, 9 March 2026 10:02\nTo: Jens\nSubject: data\n\nPlease erase my data.")
    apple = ("Passing this on.\n\nBegin forwarded message:\n\nFrom: Ann <ann@example.com>\n"
             "Subject: data\n\nBitte löschen Sie meine Daten.")

    for subject in ("FW: data", "Fwd: data", "WG: data", "TR: data", "Doorst: data"):
        assert "Please erase my data." in new_text(outlook, subject), subject
    assert "Bitte löschen Sie meine Daten." in new_text(apple)
    assert "Please erase my data." in model_text("FW: data", outlook)


def test_a_reply_to_a_forward_still_drops_the_history() -> None:
    body = "Done, thanks.\n\nFrom: Jens\nSent: Monday\nSubject: FW: data\n\nPlease erase my data."

    assert new_text(body, "Re: FW: data") == "Done, thanks."
    assert new_text(body, "data") == "Done, thanks."


def test_html_body_becomes_text_with_quotes_marked() -> None:
    text = html_to_text("<p>Delete&nbsp;my data</p><blockquote>old mail</blockquote>"
                        "<script>x()</script>")

    assert "Delete my data" in text
    assert "> old mail" in text
    assert "x()" not in text


def test_a_reply_with_new_text_is_read_without_the_old_threads_subject() -> None:
    # "Re: Your data has been deleted" is our own confirmation; the reply decides, not it.
    text = model_text("Re: Your data has been deleted", "Thanks, that is all I needed.")
    assert text == "Thanks, that is all I needed."
    # Even a one-word reply is read alone ("Re: Afmelding bevestigd" / "top, dank"); a reply
    # with no new text keeps the subject, and so does a mail that is not a reply.
    assert model_text("Re: Afmelding bevestigd", "top, dank") == "top, dank"
    assert model_text("Re: unsubscribe", "").startswith("Re: unsubscribe")
    assert model_text("Delete my data", "Thanks, that is all.").startswith("Delete my data")
