"""Which reply a ticket gets, in the requester's language, queued with loop safety."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from dsr import casework
from dsr.config import Settings
from dsr.tickets import Ticket
from responders.compose import build_message, new_message_id, render, template_language
from responders.outbox import queue, sent_today

log = logging.getLogger(__name__)

RIGHT_NAMES: dict[str, dict[str, str]] = {
    "en": {"access": "access to your personal data (a copy and information about its use)",
           "rectification": "correction of your personal data",
           "erasure": "erasure of your personal data",
           "objection": ("objection to the processing of your personal data, "
                         "including direct marketing"),
           "restriction": "restriction of the processing of your personal data",
           "withdrawal": "withdrawal of your consent",
           "portability": "a copy of your data in a portable format",
           "complaint": "a complaint about how we handle personal data"},
    "nl": {"access": "inzage in uw persoonsgegevens (een kopie en informatie over het gebruik)",
           "rectification": "correctie van uw persoonsgegevens",
           "erasure": "verwijdering van uw persoonsgegevens",
           "objection": ("bezwaar tegen de verwerking van uw persoonsgegevens, "
                         "ook voor direct marketing"),
           "restriction": "beperking van de verwerking van uw persoonsgegevens",
           "withdrawal": "intrekking van uw toestemming",
           "portability": "uw gegevens in een overdraagbaar formaat",
           "complaint": "een klacht over hoe wij met persoonsgegevens omgaan"},
    "de": {"access": "Auskunft über Ihre personenbezogenen Daten (Kopie und Informationen)",
           "rectification": "Berichtigung Ihrer personenbezogenen Daten",
           "erasure": "Löschung Ihrer personenbezogenen Daten",
           "objection": "Widerspruch gegen die Verarbeitung Ihrer Daten, auch zu Werbezwecken",
           "restriction": "Einschränkung der Verarbeitung Ihrer Daten",
           "withdrawal": "Widerruf Ihrer Einwilligung",
           "portability": "Ihre Daten in einem übertragbaren Format",
           "complaint": "eine Beschwerde über unseren Umgang mit personenbezogenen Daten"},
    "fr": {"access": "l'accès à vos données personnelles (copie et informations sur leur usage)",
           "rectification": "la rectification de vos données personnelles",
           "erasure": "l'effacement de vos données personnelles",
           "objection": "l'opposition au traitement de vos données, y compris la prospection",
           "restriction": "la limitation du traitement de vos données",
           "withdrawal": "le retrait de votre consentement",
           "portability": "vos données dans un format portable",
           "complaint": "une réclamation sur notre traitement des données personnelles"},
}
REFUSAL_TEXT: dict[str, dict[str, str]] = {
    "en": {"manifestly_unfounded": "the request is manifestly unfounded",
           "manifestly_excessive": "the request is manifestly excessive",
           "identity_not_confirmed": "we could not confirm your identity",
           "exemption": "an exemption in data protection law applies"},
    "nl": {"manifestly_unfounded": "het verzoek kennelijk ongegrond is",
           "manifestly_excessive": "het verzoek buitensporig is",
           "identity_not_confirmed": "wij uw identiteit niet konden vaststellen",
           "exemption": "een uitzondering in de privacywetgeving van toepassing is"},
    "de": {"manifestly_unfounded": "die Anfrage offenkundig unbegründet ist",
           "manifestly_excessive": "die Anfrage offenkundig exzessiv ist",
           "identity_not_confirmed": "wir Ihre Identität nicht bestätigen konnten",
           "exemption": "eine gesetzliche Ausnahme im Datenschutzrecht greift"},
    "fr": {"manifestly_unfounded": "votre demande est manifestement infondée",
           "manifestly_excessive": "votre demande est manifestement excessive",
           "identity_not_confirmed": "nous n'avons pas pu confirmer votre identité",
           "exemption": "une exception prévue par la législation sur la protection des "
                        "données s'applique"},
}
MONTHS = {
    "en": "January February March April May June July August September October November December",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}


def long_date(day: date, language: str) -> str:
    months = MONTHS.get(language, MONTHS["en"]).split()
    return f"{day.day} {months[day.month - 1]} {day.year}"


def ticket_context(settings: Settings, ticket: Ticket, language: str) -> dict[str, Any]:
    names = RIGHT_NAMES.get(language, RIGHT_NAMES["en"])
    org = settings.organisation
    return {
        "ref": ticket.ref, "name": ticket.requester_name,
        "rights": [names[k] for k in ticket.kinds],
        "received": long_date(ticket.received_at.date(), language),
        "due": long_date(ticket.due_on, language), "organisation": org.name,
        "regulator_name": org.regulator_name, "regulator_url": org.regulator_url,
        "reply_from": settings.reply_address(ticket.mailbox)[0],
    }


def queue_reply(session: Session, settings: Settings, ticket: Ticket, kind: str, now: datetime,
                in_reply_to: str | None = None, references: tuple[str, ...] = (),
                extra: dict[str, Any] | None = None, actor: str = casework.SYSTEM) -> bool:
    """Render `kind` for the ticket's requester into the outbox; False if the loop limit hit."""
    recipient = ticket.requester_email
    limit = settings.outgoing.per_recipient_daily_limit
    # The limit stops loops between robots; a mail a person on staff writes is never held.
    if actor == casework.SYSTEM and sent_today(session, recipient, now) >= limit:
        casework.add_event(session, ticket, "reply_suppressed", now, actor,
                           {"kind": kind, "why": f"more than {limit} automatic mails in 24 h"})
        log.warning("ticket=%s reply %s suppressed by the per-recipient limit", ticket.ref, kind)
        return False
    override = settings.organisation.template_dir
    language = template_language(kind, ticket.language, override)
    context = ticket_context(settings, ticket, language) | (extra or {})
    subject, body = render(kind, language, context, override)
    # The address the requester wrote to answers: privacy@ tickets get replies from privacy@.
    reply_from, reply_name = settings.reply_address(ticket.mailbox)
    domain = reply_from.rsplit("@", 1)[1]
    message = build_message(
        sender=reply_from, sender_name=reply_name, recipient=recipient,
        recipient_name=ticket.requester_name, subject=f"[{ticket.ref}] {subject}", body=body,
        message_id=new_message_id(domain, f"{ticket.ref}.{kind}"), language=language,
        in_reply_to=in_reply_to, references=references, now=now)
    item = queue(session, ticket, kind, message, now)
    casework.add_event(session, ticket, "reply_queued", now, actor,
                       {"kind": kind, "language": language, "message_id": item.message_id})
    return True




# Rights whose answer discloses or changes data: confirm control of the address first.
IDENTITY_KINDS = frozenset({"access", "rectification", "erasure", "restriction", "portability"})


def acknowledgement_kind(ticket: Ticket) -> str:
    """A complaint alone gets its own acknowledgement; anything else the rights one."""
    kinds = set(ticket.kinds)
    if "complaint" in kinds and not kinds & (IDENTITY_KINDS | {"objection", "withdrawal"}):
        return "complaint_acknowledgement"
    return "acknowledgement"


def needs_identity_check(ticket: Ticket) -> bool:
    return bool(set(ticket.kinds) & IDENTITY_KINDS) and ticket.identity_state == "unverified"


def _first_message_id(ticket: Ticket) -> str | None:
    incoming = [m for m in ticket.messages if m.direction == "in" and m.message_id]
    return incoming[0].message_id if incoming else None


def acknowledge(session: Session, settings: Settings, ticket: Ticket, now: datetime,
                in_reply_to: str | None = None, references: tuple[str, ...] = (),
                actor: str = casework.SYSTEM) -> bool:
    """Acknowledge a new (or newly confirmed) ticket; where identity must be confirmed, the
    same mail carries the signed link and the reply code (one mail, not two)."""
    from dsr import lifecycle

    in_reply_to = in_reply_to or _first_message_id(ticket)
    extra: dict[str, Any] = {"verify_url": "", "code": "", "expires": ""}
    kind = acknowledgement_kind(ticket)
    check = settings.lifecycle.identity_check == "auto" and needs_identity_check(ticket)
    if check:
        extra = _identity_context(session, settings, ticket, kind, now)
    sent = queue_reply(session, settings, ticket, kind, now, in_reply_to=in_reply_to,
                       references=references, actor=actor, extra=extra)
    if check:
        lifecycle.request_identity(session, ticket, now, actor, "control of the email address")
    return sent


def _identity_context(session: Session, settings: Settings, ticket: Ticket, kind: str,
                      now: datetime) -> dict[str, Any]:
    from responders.verification import issue_check

    check = issue_check(session, ticket, settings.web.secret_key, now,
                        settings.lifecycle.verification_days)
    base = settings.web.base_url.rstrip("/") or f"http://{settings.web.host}:{settings.web.port}"
    language = template_language(kind, ticket.language, settings.organisation.template_dir)
    return {"verify_url": f"{base}/verify/{check.link_token}", "code": check.code,
            "expires": long_date(check.expires_at.date(), language)}


def queue_identity_check(session: Session, settings: Settings, ticket: Ticket, now: datetime,
                         actor: str = casework.SYSTEM) -> bool:
    """A separate identity check (e.g. staff resend): a new link and code; the ticket waits."""
    from dsr import lifecycle

    extra = _identity_context(session, settings, ticket, "identity_check", now)
    sent = queue_reply(session, settings, ticket, "identity_check", now,
                       in_reply_to=_first_message_id(ticket), actor=actor, extra=extra)
    lifecycle.request_identity(session, ticket, now, actor, "control of the email address")
    return sent


def confirm_marketing_opt_out(session: Session, settings: Settings, ticket: Ticket,
                              now: datetime, in_reply_to: str | None = None,
                              references: tuple[str, ...] = ()) -> bool:
    """Art. 21(3) fast path: suppress the address at once and confirm; no identity check."""
    casework.suppress(session, ticket.requester_email, "marketing objection", ticket, now)
    ticket.identity_state = "not_needed"
    return queue_reply(session, settings, ticket, "marketing_confirmation", now,
                       in_reply_to=in_reply_to, references=references,
                       extra={"address": ticket.requester_email})
