"""Outgoing headers cannot be injected; threading and RFC 3834 marks are always present."""

from __future__ import annotations

import email
from email import policy

import pytest

from responders.compose import KINDS, build_message, render, safe_header
from responders.replies import REFUSAL_TEXT


def test_values_from_a_mail_cannot_add_headers_or_recipients():
    msg = build_message(
        sender="info@harbourline.example", sender_name="Privacy",
        recipient="jo@example.com", recipient_name="Jo\r\nBcc: victim@example.com",
        subject="[DSR-2026-0001] Re: hi\r\nBcc: victim@example.com\nX-Evil: 1",
        body="text", message_id="<a@harbourline.example>", language="en",
        in_reply_to="<x@example.com>\r\nBcc: victim@example.com")
    wire = msg.as_bytes(policy=policy.SMTP)
    reparsed = email.message_from_bytes(wire, policy=policy.default)
    assert reparsed["Bcc"] is None and reparsed["X-Evil"] is None
    assert [a.addr_spec for a in reparsed["To"].addresses] == ["jo@example.com"]
    assert b"\r\nBcc:" not in wire


def test_auto_submitted_and_threading_headers():
    msg = build_message(sender="info@harbourline.example", sender_name="P", recipient="a@b.example",
                        recipient_name="", subject="s", body="b", message_id="<m@h.example>",
                        language="nl", in_reply_to="<r@b.example>", references=("<r0@b.example>",))
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["In-Reply-To"] == "<r@b.example>"
    assert msg["References"] == "<r0@b.example> <r@b.example>"
    assert msg["Content-Language"] == "nl"


def test_safe_header_removes_control_characters():
    assert safe_header("a\r\nb\tc\x00d") == "a b c d"


def test_templates_render_in_each_language_with_subject_line():
    context = {"ref": "DSR-2026-0007", "name": "", "rights": ["x"], "received": "1",
               "due": "2", "organisation": "H", "regulator_name": "R", "regulator_url": "U",
               "reply_from": "i@h"}
    for language in ("en", "nl", "de", "fr"):
        subject, body = render("acknowledgement", language, context)
        assert subject and "DSR-2026-0007" in body and "U" in body


def test_missing_language_falls_back_to_english():
    subject, _ = render("withdrawn", "es", {"ref": "R", "name": "", "organisation": "H"})
    assert subject == "Your request has been withdrawn"


@pytest.mark.parametrize("language", ["en", "nl", "de", "fr"])
def test_every_reply_kind_exists_in_every_language_we_serve(language):
    from responders.compose import environment

    env = environment("")
    for kind in KINDS:
        env.get_template(f"{language}/{kind}.txt.j2")  # TemplateNotFound fails the test
    refusal = REFUSAL_TEXT[language]
    assert set(refusal) == set(REFUSAL_TEXT["en"])


def test_encoded_words_in_staff_text_cannot_inject_headers():
    """CVE-2024-6923: Python < 3.11.10 decodes encoded words, CR/LF included, when folding."""
    assert "=?" not in safe_header("x =?utf-8?q?a=0D=0ABcc:_v@example.com?= y")
    msg = build_message(sender="info@harbourline.example", sender_name="P",
                        recipient="jo@example.com", recipient_name="=?utf-8?q?J=0D=0ABcc:_v@e.x?=",
                        subject="=?utf-8?q?hi=0D=0ABcc:_victim@example.com?=", body="b",
                        message_id="<m@h.example>", language="en")
    reparsed = email.message_from_bytes(msg.as_bytes(policy=policy.SMTP), policy=policy.default)
    assert reparsed["Bcc"] is None
