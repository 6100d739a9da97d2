"""Issue 6: values taken from a mail (display name, subject, Message-ID) can never add
headers or recipients to what we send. Through the whole pipeline: IMAP in, SMTP out."""

from __future__ import annotations

import email
from email import policy

import pytest

from dsr.store import utcnow
from responders.compose import build_message
from responders.outbox import queue

EXPECTED_HEADERS = {"from", "to", "subject", "date", "message-id", "in-reply-to", "references",
                    "auto-submitted", "x-auto-response-suppress", "x-rightsbot", "content-type",
                    "content-transfer-encoding", "mime-version", "content-language"}
BODY = "Please delete all my personal data from your systems.\r\n"


def _request(n: int, sender_header: str, subject: str, message_id: str) -> bytes:
    return (f"From: {sender_header}\r\nTo: info@harbourline.example\r\nSubject: {subject}\r\n"
            f"Date: Wed, 25 Nov 2026 10:00:0{n} +0000\r\nMessage-ID: {message_id}\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{BODY}").encode()


ATTACKS = {
    # RFC 2047: a CR LF "Bcc:" hidden in encoded words, in the name and in the subject.
    "eve1@example.com": _request(
        1, "=?utf-8?q?Eve=0D=0ABcc=3A_victim1=40evil=2Eexample?= <eve1@example.com>",
        "=?utf-8?b?RGVsZXRlIG15IGRhdGENCkJjYzogdmljdGltMUBldmlsLmV4YW1wbGU=?=",
        "<attack1@example.com>"),
    # An unknown charset leaves the encoded word undecoded; Python 3.11.7 would decode it
    # when the name is put back into a header (CVE-2024-6923).
    "eve2@example.com": _request(
        2, "=?utf-8?q?Eve=0D=0ABcc=3A_victim2=40evil=2Eexample=0D=0A?= =?x-unknown?b?AAAA?="
           " <eve2@example.com>", "Erasure\t=?x-unknown?q?x?=", "<attack2@example.com>"),
    # Inside a quoted string an encoded word is not decoded on the way in.
    "eve3@example.com": _request(
        3, "\"=?utf-8?q?Eve=0D=0ABcc=3A_victim3=40evil=2Eexample?=\" <eve3@example.com>",
        "Erasure =?utf-8?q?=0D=0ACc=3A_victim3b=40evil=2Eexample?=", "<attack3@example.com>"),
    # Raw UTF-8 line separators and control characters.
    "eve4@example.com": _request(
        4, "\"Eve\u2028Bcc: victim4@evil.example\u0085Cc: victim4b@evil.example\x0b\x0c\" "
           "<eve4@example.com>", "Erasure\u2029Bcc: victim4c@evil.example",
        "<attack4@example.com>"),
    # The Message-ID comes back in In-Reply-To and References.
    "eve5@example.com": _request(
        5, "Eve Five <eve5@example.com>", "Erasure",
        "<=?utf-8?q?a=0D=0ABcc=3A_victim5=40evil=2Eexample?=@example.com>"),
    # A second address hidden in the From header.
    "eve6@example.com": _request(
        6, "Eve <eve6@example.com>, victim6@evil.example", "Erasure", "<attack6@example.com>"),
}


def test_crafted_names_subjects_and_ids_add_no_header_and_no_recipient(
        imap_account, imap_config, smtp, cli):
    imap_account.deliver(*ATTACKS.values())
    assert cli(imap_config, "poll", "--once") == 0
    envelopes = smtp.take()
    assert sorted(rcpt for e in envelopes for rcpt in e.rcpt_tos) == sorted(ATTACKS)
    for envelope in envelopes:
        (rcpt,) = envelope.rcpt_tos
        assert envelope.mail_from == "info@harbourline.example"
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        # eve5's Message-ID is dropped on the way in (an encoded word in an id), so her
        # reply has no threading headers; everyone else's has them all.
        expected = EXPECTED_HEADERS - ({"in-reply-to", "references"} if rcpt == "eve5@example.com"
                                       else set())
        keys = [k.lower() for k in message.keys()]
        assert set(keys) == expected and len(keys) == len(expected), (rcpt, head)
        assert [a.addr_spec for a in message["To"].addresses] == [rcpt]
        for name in ("Bcc", "Cc", "Resent-To", "Resent-Bcc"):
            assert message[name] is None
        assert b"\0" not in head and b"\r\n\r\n" not in head
        for line in head.split(b"\r\n"):
            # Each line is a header we set, or a folded continuation of one.
            assert line[:1] in (b" ", b"\t") or line.split(b":", 1)[0].lower().decode() \
                in EXPECTED_HEADERS, (rcpt, line)


@pytest.mark.parametrize("name", [
    "=?utf-8?q?Eve=0D=0ABcc=3A_victim=40evil=2Eexample?=",
    "=?utf-8?q?Eve=0D=0ABcc=3A_victim=40evil=2Eexample=0D=0A?= =?x-unknown?b?AAAA?=",
])
def test_the_outbox_refuses_a_message_whose_bytes_carry_a_header_it_was_not_given(name):
    """Two gates for a name that did not come through intake.mime: compose.safe_header breaks
    up encoded words, and queue() refuses bytes that carry a header the message was not
    given (Python 3.11.7 decodes encoded words, CR/LF included, when it writes a header:
    CVE-2024-6923)."""
    from email.headerregistry import Address
    from email.message import EmailMessage

    composed = build_message(sender="info@harbourline.example", sender_name="Harbourline",
                             recipient="eve@example.com", recipient_name=name, subject="s",
                             body="b", message_id="<m@harbourline.example>", language="en")
    assert b"\r\nBcc:" not in composed.as_bytes(policy=policy.SMTP)
    raw = EmailMessage()  # the same name written without safe_header
    raw["From"] = "info@harbourline.example"
    raw["To"] = Address(display_name=name, addr_spec="eve@example.com")
    raw["Subject"] = "s"
    raw["Message-ID"] = "<m2@harbourline.example>"
    raw.set_content("b")
    if b"\r\nBcc:" in raw.as_bytes(policy=policy.SMTP):
        with pytest.raises(ValueError, match="bcc"):
            queue(None, None, "acknowledgement", raw, utcnow())  # type: ignore[arg-type]

