"""The shipped model on tricky mails in every language (issue 3).

Each case is a mail written for this test (not a training or held-out example).
"""

from __future__ import annotations

import pytest
import shipped_model

from classifier import REQUEST, TRIAGE, Classifier

shipped = shipped_model.shipped  # the session fixture

REQUESTS = [
    # (language, subject, body, the right that must be among the labels)
    ("en", "", "What do you have on me? I'd like a copy please.\n\nAmelia Stone", "access"),
    ("en", "please stop", "Please stop emailing me, I never asked for your offers.", "objection"),
    ("en", "Old course attendee",
     "Hello, I took one of your courses in 2022. Please erase everything you hold about me.\n"
     "Thanks, Rowan Pike", "erasure"),
    ("en", "My name",
     "Hi, your records spell my surname wrong (Hollis, not Hollins). Please correct it.",
     "rectification"),
    ("en", "consent", "I withdraw my consent to you using my photo in your brochure.",
     "withdrawal"),
    ("nl", "", "Haal mijn gegevens weg uit jullie systeem alsjeblieft. Groet, Fenna", "erasure"),
    ("nl", "Bezwaar", "Ik wil bezwaar maken tegen het gebruik van mijn gegevens voor reclame.",
     "objection"),
    ("nl", "Vraag", "Welke persoonsgegevens hebben jullie van mij? Graag een kopie. Groet, Ruud",
     "access"),
    ("nl", "toestemming", "Ik trek mijn toestemming in voor jullie nieuwsbrief. Groet, Lieke",
     "withdrawal"),
    ("de", "Löschung meiner Daten",
     "Sehr geehrte Damen und Herren, bitte löschen Sie alle Daten, die Sie über mich haben.",
     "erasure"),
    ("de", "Auskunft",
     "Guten Tag, welche personenbezogenen Daten speichern Sie über mich? Bitte um eine Kopie.",
     "access"),
    ("de", "Werbung", "Bitte schicken Sie mir keine Werbung mehr per E-Mail.", "objection"),
    ("fr", "Consentement", "Bonjour, je retire mon consentement à l'utilisation de mes données.",
     "withdrawal"),
    ("fr", "Mes données",
     "Bonjour, merci de supprimer toutes mes données personnelles de vos fichiers.", "erasure"),
    ("fr", "", "Bonjour, je ne veux plus recevoir vos courriels publicitaires. Merci.",
     "objection"),
]

BUSINESS = [
    # (language, subject, body): ordinary mail to info@ that must never get an acknowledgement
    ("en", "Quote for import clearance",
     "Hi, how much would you charge to clear two pallets of bicycle parts from Taiwan into "
     "Felixstowe next month? Regards, Owen"),
    ("en", "Typo on commercial invoice",
     "Hi, the consignee's postcode on the commercial invoice for order 5512 has a typo. "
     "Could you send a corrected version before you lodge the entry? Thanks, Ruth"),
    ("en", "take me off this thread",
     "Hi both, I've handed the Antwerp project to Liam, so please take me off this email "
     "thread. Cheers, Dana"),
    ("nl", "Bezwaar naheffing invoerrechten",
     "Beste, de Douane heeft een naheffing opgelegd voor onze zending schoenen. Kunnen jullie "
     "namens ons bezwaar indienen? Groet, Koen"),
    ("nl", "afmelden cursus",
     "Hoi, ik moet me helaas afmelden voor de cursus douanewaarde van donderdag. Groet, Pim"),
    ("de", "Rechnung",
     "Hallo, auf der Rechnung 2026-311 ist der Betrag falsch. Bitte schicken Sie eine "
     "korrigierte Rechnung. Gruß, Uwe"),
    ("fr", "Devis", "Bonjour, pouvez-vous nous faire un devis pour le dédouanement de trois "
     "conteneurs de meubles venant d'Inde ? Cordialement, Léa"),
]


@pytest.mark.parametrize(("language", "subject", "body", "right"), REQUESTS)
def test_rights_request_gets_its_right_and_a_ticket(shipped: Classifier, language: str,
                                                   subject: str, body: str, right: str) -> None:
    verdict = shipped.classify(subject, body)

    assert right in verdict.labels
    assert verdict.decision in (REQUEST, TRIAGE)
    assert verdict.language == language
    assert verdict.evidence.get(right), "staff must see why"


@pytest.mark.parametrize(("language", "subject", "body"), BUSINESS)
def test_business_mail_is_never_acknowledged_as_a_request(shipped: Classifier, language: str,
                                                         subject: str, body: str) -> None:
    verdict = shipped.classify(subject, body)

    assert verdict.decision != REQUEST
    assert verdict.language == language


def test_mail_invoking_two_rights_gets_both_labels(shipped: Classifier) -> None:
    verdict = shipped.classify(
        "Access and deletion",
        "Hello,\n\nPlease send me a copy of all the personal data you hold about me. "
        "Once I have it, delete all of it.\n\nRegards\nNoor Haddad")

    assert {"access", "erasure"} <= verdict.kinds
    assert verdict.decision == REQUEST


def test_only_the_new_text_of_a_reply_counts(shipped: Classifier) -> None:
    quoted_request = (
        "Thanks, that's all fine - see you at the training on Thursday.\n\n"
        "On Tue, 3 Mar 2026 at 10:12, Ann Vos <ann@example.com> wrote:\n"
        "> Please delete all my personal data and stop emailing me.\n"
        "> Ann")

    verdict = shipped.classify("Re: training", quoted_request)
    unquoted = shipped.classify("", "Please delete all my personal data and stop emailing me.")

    assert verdict.decision != REQUEST
    assert "erasure" not in verdict.labels and "objection" not in verdict.labels
    assert {"erasure", "objection"} <= unquoted.kinds


def test_request_above_quoted_business_mail_is_found(shipped: Classifier) -> None:
    body = ("Ik wil niet langer dat jullie mij mailen. Haal mij van jullie lijst.\n\n"
            "Op di 3 mrt. 2026 om 10:12 schreef Harbourline Verkoop:\n"
            "> Beste klant, bekijk ons nieuwe cursusaanbod voor 2026.\n")

    verdict = shipped.classify("Re: cursusaanbod", body)

    assert "objection" in verdict.labels
    assert verdict.language == "nl"


def test_complaint_is_always_routed_to_triage(shipped: Classifier) -> None:
    verdict = shipped.classify(
        "Data leak",
        "You emailed my passport copy to another customer. I am reporting this to the ICO.")

    assert "complaint" in verdict.labels
    assert verdict.decision == TRIAGE
    assert any("complaint" in reason for reason in verdict.triage_reasons)


def test_scores_cover_every_label_and_stay_probabilities(shipped: Classifier) -> None:
    verdict = shipped.classify("Tariff Watch", "Unsubscribe me from Tariff Watch please.")

    assert set(verdict.scores) == {"access", "rectification", "erasure", "objection",
                                   "restriction", "withdrawal", "portability", "complaint"}
    assert all(0.0 <= s <= 1.0 for s in verdict.scores.values())
    assert list(verdict.labels) == sorted(verdict.labels, key=lambda k: -verdict.scores[k])


def test_a_right_whose_only_cues_are_work_wording_waits_for_staff(shipped: Classifier) -> None:
    # A high score for objection that rests on "off this email thread" (a counter-cue) is
    # not acknowledged on its own: staff see it in triage, with the reason, and the
    # counter-cue itself is never an evidence phrase for the right.
    verdict = shipped.classify("take me off this thread",
                               "Please take me off this email thread, Liam has the project now.")
    assert verdict.decision != REQUEST
    # (with no cue of its own, objection shows the sentence that speaks most for it)
    assert all("off this email thread" not in v for v in verdict.evidence.values())
    if verdict.decision == TRIAGE and verdict.scores["objection"] >= shipped.request_threshold:
        assert any("ordinary work" in reason for reason in verdict.triage_reasons)

    # The same rule never holds back a real opt-out that has a cue of its own.
    opt_out = shipped.classify("Tariff Watch", "Please take me off your newsletter list.")
    assert opt_out.decision == REQUEST and "objection" in opt_out.labels


def test_counter_cues_only_speak_against_a_label() -> None:
    from classifier import calibrate

    weights = {"objection": [1.0, 0.0, 0.0, 0.0, -2.0, 0.0]}
    plain = calibrate.score(weights, "objection", 0.9, set())
    countered = calibrate.score(weights, "objection", 0.9, {"counter"})
    assert countered < plain
    # A model calibrated before counter-cues existed (five weights) still scores.
    old = {"objection": [1.0, 0.0, 0.0, 0.0, 0.0]}
    assert abs(calibrate.score(old, "objection", 0.9, {"counter"}) - 0.9) < 1e-9


def test_the_work_wording_rule_itself(shipped: Classifier) -> None:
    from classifier import LABELS

    scores = {k: 0.0 for k in LABELS} | {"objection": 0.97}
    decision, reasons = shipped._decide(scores, {"objection": {"counter"}})
    assert decision == TRIAGE and "reads like ordinary work" in reasons[0]
    # A cue of the right's own ("unsubscribe me") outweighs the work wording.
    assert shipped._decide(scores, {"objection": {"counter", "phrase"}})[0] == REQUEST
    # Another confident right without work wording still gets its acknowledgement.
    both = scores | {"erasure": 0.95}
    assert shipped._decide(both, {"objection": {"counter"}})[0] == REQUEST


# Access letters that list what Art. 15 entitles the requester to, naming the other rights as
# information only (our own wording, not in the training data).
STATUTORY_ACCESS = [
    ("en", "Request for information about my personal data",
     "Dear Sir or Madam,\n\nI am asking you to confirm whether you process personal data about "
     "me and, if so, to give me a copy of it together with the following information:\n"
     "- why you process it and on what legal basis;\n- which kinds of data you have;\n"
     "- who you have given it to, including anyone outside the UK;\n"
     "- how long you will keep it;\n"
     "- that I may ask you to correct or delete it, to restrict its use or to object to it;\n"
     "- that I may complain to the Information Commissioner;\n"
     "- where you got it from if not from me.\n\nYours faithfully,\nPeter Lang"),
    ("de", "Auskunft über meine Daten",
     "Sehr geehrte Damen und Herren,\n\nbitte teilen Sie mir mit, ob Sie Daten zu meiner Person "
     "verarbeiten. Falls ja, möchte ich eine Kopie dieser Daten und folgende Angaben:\n"
     "1. zu welchen Zwecken Sie die Daten verarbeiten,\n2. an wen Sie sie weitergegeben haben,\n"
     "3. wie lange Sie sie speichern,\n4. dass ich Berichtigung, Löschung oder Einschränkung "
     "verlangen und der Verarbeitung widersprechen kann,\n5. dass ich mich bei einer "
     "Aufsichtsbehörde beschweren kann.\n\nMit freundlichen Grüßen\nAnna Weber"),
    ("nl", "Inzageverzoek",
     "Geachte heer, mevrouw,\n\nGraag ontvang ik van u een overzicht van de persoonsgegevens die "
     "u van mij verwerkt, met daarbij:\n- de doelen van de verwerking;\n- de ontvangers;\n"
     "- hoe lang u ze bewaart;\n- mijn recht om u te vragen ze te verbeteren, te wissen of de "
     "verwerking te beperken, en mijn recht van bezwaar;\n- mijn recht om een klacht in te "
     "dienen bij de Autoriteit Persoonsgegevens.\n\nMet vriendelijke groet,\nJan de Boer"),
    ("fr", "Demande d'accès",
     "Madame, Monsieur,\n\nJe vous prie de me communiquer une copie des données personnelles "
     "que vous détenez à mon sujet, ainsi que :\n- les finalités du traitement ;\n"
     "- les destinataires ;\n- la durée de conservation ;\n- l'existence du droit de demander "
     "la rectification ou l'effacement, ou de s'opposer au traitement ;\n- le droit "
     "d'introduire une réclamation auprès de la CNIL.\n\nCordialement,\nClaire Martin"),
]


@pytest.mark.parametrize(("language", "subject", "body"), STATUTORY_ACCESS)
def test_an_access_letter_listing_the_other_rights_is_access_only(
        shipped: Classifier, language: str, subject: str, body: str) -> None:
    verdict = shipped.classify(subject, body)

    assert verdict.language == language
    assert verdict.decision == REQUEST
    assert verdict.labels == ("access",)


KEEP_MY_DATA = [
    # (language, subject, body, the right it asks for): "don't delete" is not erasure
    ("en", "Hold on to my file",
     "Hello, I am disputing the customs penalty with my solicitor. Please do not delete my "
     "records, but don't use them for anything else until this is settled. Kind regards, "
     "Imogen Hart", "restriction"),
    ("en", "Your CRM",
     "Hi, to be clear I'm not asking you to delete anything. I just want to know what "
     "personal details of mine are in your CRM. Thanks, Carl Dunn", "access"),
    ("nl", "mijn dossier",
     "Beste, verwijder mijn gegevens niet, ik heb ze nodig voor een procedure. Gebruik ze "
     "voorlopig wel nergens meer voor. Groet, Joost Hermans", "restriction"),
    ("de", "Meine Daten",
     "Guten Tag, bitte löschen Sie meine Daten nicht, ich brauche sie noch für ein Verfahren. "
     "Verwenden Sie sie aber bis auf Weiteres nicht mehr. Gruß, Heike Brandt", "restriction"),
    ("fr", "Mon dossier",
     "Bonjour, ne supprimez pas mes données, j'en ai besoin pour un litige, mais cessez de "
     "les utiliser en attendant. Cordialement, Yves Marchand", "restriction"),
]


@pytest.mark.parametrize(("language", "subject", "body", "right"), KEEP_MY_DATA)
def test_a_mail_asking_us_not_to_delete_is_not_erasure(shipped: Classifier, language: str,
                                                       subject: str, body: str,
                                                       right: str) -> None:
    verdict = shipped.classify(subject, body)

    assert verdict.language == language
    assert right in verdict.labels
    assert "erasure" not in verdict.labels
    assert "erasure" not in verdict.evidence
