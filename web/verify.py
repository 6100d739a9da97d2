"""The requester's identity-check page: GET shows a button, POST confirms (public, no login).

Confirming needs a POST so that mail scanners which follow links cannot confirm for the
requester. The link is signed and expires; the code inside is single-use.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template_string, request

from dsr import lifecycle
from dsr.config import Settings
from dsr.store import Store, utcnow
from responders.verification import code_from_link, find_valid
from web import context

bp = Blueprint("verify", __name__)

PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title></head>
<body><main>
<h1>{{ title }}</h1>
<p>{{ text }}</p>
{% if show_button %}
<form method="post">
  <input type="hidden"
         name="csrf_token" value="{{ csrf_token() if csrf_token is defined else '' }}">
  <button type="submit">{{ button }}</button>
</form>
{% endif %}
</main></body></html>"""

TEXTS = {
    "en": {"ask": "Please confirm that you sent request {ref} from this email address.",
           "button": "Confirm", "title": "Confirm your request",
           "done": "Thank you. Your request {ref} is confirmed; we will now deal with it.",
           "bad": "This link is not valid any more. Please reply to our email instead, "
                  "keeping the code in the subject."},
    "nl": {"ask": "Bevestig dat u verzoek {ref} vanaf dit e-mailadres hebt gestuurd.",
           "button": "Bevestigen", "title": "Bevestig uw verzoek",
           "done": "Dank u. Uw verzoek {ref} is bevestigd; wij gaan ermee aan de slag.",
           "bad": "Deze link is niet meer geldig. Antwoord in plaats daarvan op onze e-mail "
                  "en laat de code in het onderwerp staan."},
    "de": {"ask": "Bitte bestätigen Sie, dass Sie die Anfrage {ref} von dieser E-Mail-Adresse "
                  "gesendet haben.",
           "button": "Bestätigen", "title": "Anfrage bestätigen",
           "done": "Vielen Dank. Ihre Anfrage {ref} ist bestätigt; wir bearbeiten sie jetzt.",
           "bad": "Dieser Link ist nicht mehr gültig. Bitte antworten Sie stattdessen auf unsere "
                  "E-Mail und lassen Sie den Code im Betreff stehen."},
    "fr": {"ask": "Merci de confirmer que vous avez envoyé la demande {ref} depuis cette adresse "
                  "e-mail.",
           "button": "Confirmer", "title": "Confirmez votre demande",
           "done": "Merci. Votre demande {ref} est confirmée ; nous allons maintenant la traiter.",
           "bad": "Ce lien n'est plus valable. Répondez plutôt à notre e-mail en gardant le code "
                  "dans l'objet."},
}


def _store() -> Store:
    return context.store()


def _settings() -> Settings:
    return context.settings()


def _page(lang: str, key: str, ref: str, status: int, show_button: bool = False):  # type: ignore[no-untyped-def]
    texts = TEXTS.get(lang, TEXTS["en"])
    return render_template_string(PAGE, lang=lang, title=texts["title"],
                                  text=texts[key].format(ref=ref), button=texts["button"],
                                  show_button=show_button), status


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify(token: str):  # type: ignore[no-untyped-def]
    settings = _settings()
    code = code_from_link(token, settings.web.secret_key, settings.lifecycle.verification_days)
    if code is None:
        return _page("en", "bad", "", 410)
    now = utcnow()
    with _store().unit_of_work() as session:
        found = find_valid(session, code, now)
        if found is None:
            return _page("en", "bad", "", 410)
        ticket = found.ticket
        if request.method == "GET":
            return _page(ticket.language, "ask", ticket.ref, 200, show_button=True)
        if not lifecycle.is_open(ticket):
            abort(410)
        found.used_at = now
        policy = settings.deadline_policy(ticket.mailbox)
        lifecycle.mark_verified(session, ticket, policy, now, "requester",
                                method="confirmation link")
        return _page(ticket.language, "done", ticket.ref, 200)
