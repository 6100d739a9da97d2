"""Round 3 (extra6-10 examples, new cues): formal letters, hard negatives, every language.

Each mail was written for this test; none is a training or held-out example.
"""

from __future__ import annotations

import pytest
import shipped_model

from classifier import NOT_REQUEST, REQUEST, Classifier

shipped = shipped_model.shipped  # the session fixture

REQUESTS = [
    # (language, subject, body, the right that must be among the labels)
    ("en", "Objection",
     "Dear Sir or Madam,\n\nI ask you to stop processing my personal data. I see no "
     "legitimate reason for you to keep using it for your sales activities.\n\nYours "
     "faithfully,\nConstance Abara", "objection"),
    ("en", "",
     "Please send me all personal data relating to me that your firm keeps, including notes "
     "from phone calls.\n\nPiet Lamont", "access"),
    ("nl", "Recht van bezwaar",
     "Geachte heer, mevrouw,\n\nHierbij maak ik gebruik van mijn recht van bezwaar tegen het "
     "gebruik van mijn gegevens voor uw verkoopacties.\n\nMet vriendelijke groet,\nT. Zwart",
     "objection"),
    ("nl", "Verbetering",
     "Goedemiddag, dit is een verzoek tot verbetering van mijn gegevens: mijn geboortedatum "
     "staat fout in uw bestand, het moet 3 mei 1984 zijn. Groet, Wendela Kroon",
     "rectification"),
    ("de", "Recht auf Auskunft",
     "Sehr geehrte Damen und Herren,\n\nich mache mein Recht auf Auskunft geltend und bitte um "
     "eine Kopie aller Angaben, die Sie zu meiner Person gespeichert haben.\n\nMit freundlichen "
     "Grüßen\nIrmgard Selle", "access"),
    ("de", "Widerspruch",
     "Guten Tag, ich mache von meinem Widerspruchsrecht Gebrauch: Nutzen Sie meine Adresse "
     "nicht mehr für Werbung. Gruß, Bodo Renz", "objection"),
    ("fr", "Opposition",
     "Madame, Monsieur,\n\nJ'exerce mon droit d'opposition : merci de ne plus utiliser mes "
     "coordonnées pour vos campagnes commerciales.\n\nCordialement,\nSolène Achard",
     "objection"),
    ("fr", "Mes données",
     "Bonjour, je vous prie de bien vouloir me communiquer les données me concernant que vous "
     "conservez depuis ma formation chez vous. Merci, Gaëlle Pinot", "access"),
]

BUSINESS = [
    # (language, subject, body): ordinary mail that must never get an acknowledgement
    ("en", "Re: consignment HL-5120",
     "Please keep this consignment on hold in the bonded warehouse until the importer has "
     "paid the duty. Don't release it yet. Thanks, Ivo"),
    ("en", "Friday ops call",
     "Could you take me off the invite for the Friday ops call? I've moved to the Rotterdam "
     "desk. Cheers, Nell"),
    ("nl", "Controle",
     "Onze accountant wil volgende week het douanedossier van 2025 inzien. Kunnen jullie haar "
     "toegang geven tot de aangiftes? Groet, Sjoerd"),
    ("nl", "Afmelden bedrijfsbezoek",
     "Hoi, ik moet me helaas afmelden voor het bedrijfsbezoek aan de terminal op dinsdag. "
     "Groet, Fleur"),
    ("de", "Exkursion Hafen",
     "Hallo, ich muss mich leider von der Exkursion zum Containerterminal abmelden, mein "
     "Termin hat sich verschoben. Gruß, Till"),
    ("de", "Sendung",
     "Bitte halten Sie die Sendung nach Linz im Lager zurück, bis die Zahlung eingegangen ist."),
    ("fr", "Visite de l'entrepôt",
     "Bonjour, je dois me désinscrire de la visite de l'entrepôt jeudi, un imprévu. Merci, "
     "Basile"),
    ("fr", "Facture",
     "Bonjour, la facture 2026-0412 nous a été envoyée deux fois. Merci de supprimer le "
     "doublon. Cordialement, Agnès"),
]


@pytest.mark.parametrize(("language", "subject", "body", "right"), REQUESTS)
def test_formal_and_indirect_requests_get_their_right(shipped: Classifier, language: str,
                                                     subject: str, body: str,
                                                     right: str) -> None:
    verdict = shipped.classify(subject, body)

    assert right in verdict.labels
    assert verdict.decision != NOT_REQUEST
    assert verdict.language == language
    assert verdict.evidence.get(right)


@pytest.mark.parametrize(("language", "subject", "body"), BUSINESS)
def test_holds_visits_and_document_copies_are_not_requests(shipped: Classifier, language: str,
                                                          subject: str, body: str) -> None:
    verdict = shipped.classify(subject, body)

    assert verdict.decision != REQUEST
    assert verdict.language == language


def test_classify_many_keeps_the_vocabulary_flat_after_the_warm_up() -> None:
    """Unseen words are forgotten after each batch (spaCy's memory zone) once warmed up."""
    import classifier

    model = classifier.load()
    model.warmup_mails = 40
    warm_up = [("", f"Please delete my data, customer w{n}q{n * 3}z.") for n in range(40)]
    list(model.classify_many(warm_up, batch_size=20))
    before = len(model.nlp.vocab.strings)
    assert before > len(classifier.load().nlp.vocab.strings)  # the warm-up grew it
    mails = [("", f"Bitte löschen Sie meine Daten, Kundennummer zq{n}xk{n * 7}vb.")
             for n in range(300)]

    verdicts = list(model.classify_many(mails, batch_size=32))

    assert len(model.nlp.vocab.strings) == before
    assert all("erasure" in v.labels for v in verdicts)
    # The same verdicts as one at a time, and as a classifier that never used a zone.
    assert verdicts[5] == model.classify(*mails[5])
    plain = classifier.load()
    plain.warmup_mails = 10**9
    assert list(plain.classify_many(mails[:40])) == verdicts[:40]
