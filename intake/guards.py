"""Screening: mail that must never open a ticket or get an automatic answer.

RFC 3834 (Auto-Submitted), RFC 3464 delivery status notifications, RFC 2369/2919 list
headers, and the vendor headers Exchange and others add to out-of-office replies.
"""

from __future__ import annotations

import re

from intake.mime import ParsedMessage

_BOUNCE_LOCALPARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "bounce",
                                "bounces", "mailerdaemon"})
_AUTO_PRECEDENCE = frozenset({"junk", "auto_reply", "auto-reply"})
_LIST_PRECEDENCE = frozenset({"bulk", "list"})
# Subject prefixes of out-of-office replies whose sender forgot the headers.
_AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?reply|out of (the )?office|autoreply|"
    r"automatisch antwoord|afwezig(heidsmelding)?|niet aanwezig|"
    r"automatische antwort|abwesenheitsnotiz|abwesend|"
    r"réponse automatique|reponse automatique|absence du bureau|absent)\b\s*[:\-]",
    re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable|undelivered mail|delivery status notification|"
    r"mail delivery (failed|failure|system)|returned mail|onbestelbaar|niet bezorgd|"
    r"unzustellbar|non remis|non distribuable)\b", re.IGNORECASE)


def is_bounce(msg: ParsedMessage) -> bool:
    """A delivery status notification or a message from a mailer daemon."""
    if msg.return_path == "":
        return True  # null reverse-path <>: only DSNs and MDNs use it (RFC 5321 4.5.5)
    local = msg.sender.split("@", 1)[0]
    if local in _BOUNCE_LOCALPARTS:
        return True
    if msg.content_type in ("multipart/report", "message/delivery-status"):
        return True
    if "x-failed-recipients" in msg.headers:
        return True
    return bool(_BOUNCE_SUBJECT.match(msg.subject)) and not msg.sender


def is_auto_reply(msg: ParsedMessage) -> bool:
    """Auto-Submitted other than `no`, vendor auto-reply headers, or an OOO subject."""
    headers = msg.headers
    auto = headers.get("auto-submitted", "no").split(";", 1)[0].strip().lower()
    if auto and auto != "no":
        return True
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return True
    suppress = headers.get("x-auto-response-suppress", "").lower()
    if any(token in suppress for token in ("oof", "autoreply", "all")):
        return True
    if headers.get("precedence", "").strip().lower() in _AUTO_PRECEDENCE:
        return True
    return bool(_AUTO_SUBJECT.match(msg.subject))


def is_list_mail(msg: ParsedMessage) -> bool:
    """Newsletters and mailing lists (List-Id, List-Unsubscribe, List-Post, Precedence)."""
    if msg.headers.get("precedence", "").strip().lower() in _LIST_PRECEDENCE:
        return True
    return any(h in msg.headers for h in ("list-id", "list-unsubscribe", "list-post",
                                          "feedback-id"))


def is_from_us(msg: ParsedMessage, our_addresses: frozenset[str]) -> bool:
    """Our own outgoing mail come back round: never answer ourselves."""
    return msg.sender in our_addresses or "x-rightsbot" in msg.headers


def screen_reason(msg: ParsedMessage, our_addresses: frozenset[str]) -> str | None:
    """Why this message must not be answered, or None when it may be."""
    if is_from_us(msg, our_addresses):
        return "own_mail"
    if is_bounce(msg):
        return "bounce"
    if is_list_mail(msg):
        return "list"
    if is_auto_reply(msg):
        return "auto_reply"
    return None
