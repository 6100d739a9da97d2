"""Parsing degrades, never crashes: charsets, HTML-only, broken MIME, hostile headers."""

from __future__ import annotations

from intake.mime import parse


def test_html_only_mail_becomes_text_without_scripts():
    raw = (b"From: a@example.com\r\nSubject: hi\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<p>Please <b>delete</b> my data</p><script>alert(1)</script>"
           b"<a href='https://evil.example/x'>click</a>")
    parsed = parse(raw)
    assert parsed.html_only
    assert "Please delete my data" in parsed.text
    assert "alert" not in parsed.text
    assert "<https://evil.example/x>" in parsed.text


def test_unknown_charset_falls_back_and_is_recorded():
    raw = (b"From: a@example.com\r\nContent-Type: text/plain; charset=x-nonsense\r\n\r\n"
           b"caf\xe9 na\xefve")
    parsed = parse(raw)
    assert parsed.text == "café naïve"
    assert any("x-nonsense" in d for d in parsed.defects)


def test_lying_charset_is_repaired():
    raw = (b"From: a@example.com\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
           + "Löschung".encode())
    assert parse(raw).text == "Löschung"


def test_encoded_word_subject_cannot_smuggle_line_breaks():
    raw = (b"From: x@example.com\r\nSubject: =?utf-8?q?hello=0D=0ABcc=3A_victim=40example=2Ecom?="
           b"\r\n\r\nbody")
    subject = parse(raw).subject
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("hello")


def test_nested_multipart_bomb_is_bounded():
    inner = b"Content-Type: text/plain\r\n\r\nPlease send me my data\r\n"
    for depth in range(100):
        boundary = f"b{depth}".encode()
        inner = (b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n--" + boundary
                 + b"\r\n" + inner + b"\r\n--" + boundary + b"--\r\n")
    parsed = parse(b"From: a@example.com\r\nMIME-Version: 1.0\r\n" + inner)
    assert any("too deep" in d for d in parsed.defects)


def test_attachments_are_metadata_only():
    raw = (b"From: a@example.com\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
           b"Content-Type: text/plain\r\n\r\nSee attached passport.\r\n--zz\r\n"
           b"Content-Type: application/pdf; name=id.pdf\r\n"
           b"Content-Disposition: attachment; filename=id.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--zz--\r\n")
    parsed = parse(raw)
    assert parsed.text.strip() == "See attached passport."
    (attachment,) = parsed.attachments
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "id.pdf", "application/pdf", 9)


def test_missing_boundary_and_truncation_do_not_raise():
    raw = (b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n"
           b"Content-Type: text/plain\r\n\r\nhalf a mess")
    parsed = parse(raw)
    assert parsed.sender == "a@example.com"
    assert parsed.defects


def test_nul_bytes_are_removed_from_text():
    raw = b"From: a@example.com\r\nSubject: x\r\n\r\nplease\x00 delete"
    assert "\x00" not in parse(raw).text


def test_threading_headers_are_collected():
    raw = (b"From: a@example.com\r\nMessage-ID: <m1@example.com>\r\nIn-Reply-To: <ours@x.org>"
           b"\r\nReferences: <r0@x.org> <ours@x.org>\r\n\r\nok")
    parsed = parse(raw)
    assert parsed.message_id == "<m1@example.com>"
    assert parsed.thread_ids == ["<ours@x.org>", "<r0@x.org>"]


def test_forwarding_headers_are_kept_for_the_signals():
    from intake.signals import forwarded

    raw = (b"From: a@example.com\r\nResent-From: relay@forwarder.example\r\n"
           b"X-Forwarded-For: a@example.com info@harbourline.example\r\n\r\nhello")
    assert forwarded(parse(raw))["headers"] == ["resent-from", "x-forwarded-for"]


def test_an_outlook_forward_keeps_the_forwarded_text_but_a_reply_does_not():
    body = (b"Please register this.\r\n\r\nVan: Ann <ann@example.nl>\r\nVerzonden: maandag 9 maart"
            b"\r\nOnderwerp: gegevens\r\n\r\nVerwijder al mijn gegevens.")
    forward = parse(b"From: staff@example.com\r\nSubject: Doorst: gegevens\r\n\r\n" + body)
    reply = parse(b"From: staff@example.com\r\nSubject: Re: gegevens\r\n\r\n" + body)

    assert "Verwijder al mijn gegevens." in forward.new_text
    assert reply.new_text == "Please register this."
