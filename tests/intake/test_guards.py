"""Screening: what must never open a ticket or get an automatic answer (RFC 3834 and co.)."""

from __future__ import annotations

import pytest

from intake.guards import screen_reason
from intake.mime import parse

OURS = frozenset({"info@harbourline.example"})


def _mail(headers: str, sender: str = "Someone <someone@example.com>") -> bytes:
    return (f"From: {sender}\r\nSubject: hello\r\n{headers}\r\nplease delete my data\r\n").encode()


@pytest.mark.parametrize(("headers", "sender", "reason"), [
    ("Return-Path: <>\r\n", "x@example.com", "bounce"),
    ("", "MAILER-DAEMON@mx.example.com", "bounce"),
    ("", "postmaster@example.com", "bounce"),
    ("Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n", "x@e.com",
     "bounce"),
    ("X-Failed-Recipients: a@example.com\r\n", "x@example.com", "bounce"),
    ("Auto-Submitted: auto-replied\r\n", "x@example.com", "auto_reply"),
    ("Auto-Submitted: auto-generated\r\n", "x@example.com", "auto_reply"),
    ("X-Autoreply: yes\r\n", "x@example.com", "auto_reply"),
    ("X-Autorespond: yes\r\n", "x@example.com", "auto_reply"),
    ("Precedence: junk\r\n", "x@example.com", "auto_reply"),
    ("Precedence: bulk\r\n", "x@example.com", "list"),
    ("List-Id: <news.example.com>\r\n", "x@example.com", "list"),
    ("List-Unsubscribe: <mailto:u@example.com>\r\n", "x@example.com", "list"),
    ("", "info@harbourline.example", "own_mail"),
])
def test_machine_mail_is_screened(headers, sender, reason):
    assert screen_reason(parse(_mail(headers, sender)), OURS) == reason


@pytest.mark.parametrize("subject", [
    "Automatic reply: your message", "Out of Office: back Monday", "Automatisch antwoord: afwezig",
    "Afwezig: tot 3 januari", "Abwesenheitsnotiz: Urlaub", "Réponse automatique : absent"])
def test_out_of_office_subjects_without_headers_are_screened(subject):
    raw = f"From: x@example.com\r\nSubject: {subject}\r\n\r\nI am away.".encode()
    assert screen_reason(parse(raw), OURS) == "auto_reply"


def test_auto_submitted_no_is_a_person():
    assert screen_reason(parse(_mail("Auto-Submitted: no\r\n")), OURS) is None


def test_a_person_asking_is_not_screened():
    assert screen_reason(parse(_mail("")), OURS) is None
