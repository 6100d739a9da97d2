"""The ticket page: the whole thread as safe text, attachments, evidence, clock, audit trail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import mail_bytes

from dsr import lifecycle
from dsr.store import find_ticket, utcnow
from web.filters import highlight


def _main(page: str) -> str:
    return page.split('<main id="main"', 1)[1]


def test_mail_from_an_attacker_is_shown_as_text_and_never_as_markup(staff, open_ticket):
    opened = open_ticket("script_injection_request.eml", kinds=("erasure",),
                         evidence={"erasure": ["erase all personal data"]})

    for url in (f"/tickets/{opened.ref}", "/", "/?q=mallory"):
        page = staff.get(url).get_data(as_text=True)
        assert "<script" not in page and "<img" not in page, url
        assert 'href="javascript' not in page and 'onerror="' not in page
        assert "&lt;script&gt;" in page, url
    page = staff.get(f"/tickets/{opened.ref}").get_data(as_text=True)
    assert "Mallory &lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "&lt;a href=&#34;javascript:window.__pwned=&#39;link&#39;&#34;&gt;" in page
    # Links in mail are text, never clickable.
    assert "https://tracker.example.net/track?id=42" in page
    assert 'href="https://tracker' not in page
    # The HTML alternative is never shown: only the text part.
    assert "html part" not in page


def test_attachments_are_listed_with_type_and_size(staff, open_ticket):
    opened = open_ticket("script_injection_request.eml", kinds=("erasure",))
    page = staff.get(f"/tickets/{opened.ref}").get_data(as_text=True)
    assert ('<span class="file-name">&#34;&gt;&lt;img src=x onerror=alert(1)&gt;.pdf</span>'
            in page)
    assert "application/pdf, 78 bytes" in page


def test_evidence_phrases_are_marked_after_escaping(staff, open_ticket):
    opened = open_ticket("script_injection_request.eml", kinds=("erasure",),
                         scores={"erasure": 0.87, "access": 0.12},
                         evidence={"erasure": ["erase all personal data",
                                               'window.__pwned = "body"']})
    page = _main(staff.get(f"/tickets/{opened.ref}").get_data(as_text=True))
    assert "Please <mark>erase all personal data</mark> you hold about me." in page
    assert "&lt;script&gt;<mark>window.__pwned = &#34;body&#34;</mark>;" in page
    assert re.search(r'id="right-erasure" name="rights" value="erasure" checked', page)
    assert 'value="0.870"' in page and ">0.87<" in page and ">0.12<" in page


@pytest.mark.parametrize(("text", "phrases", "expected"), [
    ("a & b amp", ["amp"], "a &amp; b <mark>amp</mark>"),
    ("<b>delete</b> me", ["delete"], "&lt;b&gt;<mark>delete</mark>&lt;/b&gt; me"),
    ("Delete my data, delete it", ["delete"],
     "<mark>Delete</mark> my data, <mark>delete</mark> it"),
    ("erase my data", ["erase my data", "my"], "<mark>erase my data</mark>"),
    ("what personal\ndata you hold", ["personal data"],
     "what <mark>personal\ndata</mark> you hold"),
    ("nothing here", ["", "  "], "nothing here"),
])
def test_highlight_escapes_every_piece_of_text(text, phrases, expected):
    assert str(highlight(text, phrases)) == expected


def test_thread_shows_received_and_sent_mail_oldest_first(staff, open_ticket, store, settings):
    from responders.replies import queue_reply

    opened = open_ticket(kinds=("access",), received_at=utcnow() - timedelta(days=3))
    with store.unit_of_work() as session:
        queue_reply(session, settings, find_ticket(session, opened.ref), "acknowledgement",
                    utcnow(), in_reply_to=opened.message_id)

    page = _main(staff.get(f"/tickets/{opened.ref}").get_data(as_text=True))

    received = page.index("Your company handled the import of a parcel")
    sent = page.index(f"reference {opened.ref}")
    assert received < sent
    assert "Sent by us</span> to m.okafor@example.com · Acknowledgement" in page
    assert "Waiting to be sent" in page


def test_a_reply_joined_by_the_pipeline_appears_with_its_attachment(staff, open_ticket, store,
                                                                    settings,
                                                                    reply_only_classifier):
    from intake.pipeline import Incoming, Services, process

    opened = open_ticket(kinds=("access",), received_at=utcnow() - timedelta(days=3))
    services = Services(settings=settings, store=store, classifier=reply_only_classifier)
    outcome = process(Incoming("test:reply-1", mail_bytes("reply_with_attachment.eml",
                                                          TICKET_REF=opened.ref), utcnow()),
                      services)
    assert (outcome.disposition.value, outcome.ticket_ref) == ("appended", opened.ref)

    page = _main(staff.get(f"/tickets/{opened.ref}").get_data(as_text=True))

    assert "Here is a scan of my passport" in page
    assert "passport-scan.jpg" in page and "image/jpeg, 160 bytes" in page
    assert page.index("Your company handled") < page.index("Here is a scan")
    assert "Message received" in page  # the audit trail records it


def test_deadline_panel_shows_statutory_and_effective_dates_and_the_clock(staff, open_ticket,
                                                                          store, settings):
    opened = open_ticket(kinds=("access",), received_at=utcnow() - timedelta(days=5))
    with store.unit_of_work() as session:
        ticket = find_ticket(session, opened.ref)
        lifecycle.extend(session, ticket, 2, "Several systems to search", "uk", utcnow(), "test")
        lifecycle.pause_for_clarification(session, ticket, "uk", utcnow(), "test", "Which one?")
        statutory, due = ticket.statutory_due_on, ticket.due_on

    page = _main(staff.get(f"/tickets/{opened.ref}").get_data(as_text=True))

    assert f"{statutory:%a %d %b %Y}" in page and f"{due:%a %d %b %Y}" in page
    assert "by 2 months: Several systems to search" in page
    assert "Paused since" in page and "Clock paused" in page
    assert "restart the clock" in page


def test_audit_trail_lists_every_event_with_actor_and_details(staff, open_ticket, store):
    opened = open_ticket(kinds=("access",))
    with store.unit_of_work() as session:
        lifecycle.assign(session, find_ticket(session, opened.ref), "alice", utcnow(), "root")
    page = _main(staff.get(f"/tickets/{opened.ref}").get_data(as_text=True))
    audit = page.split('id="audit-heading"', 1)[1]
    assert audit.index(">Opened<") < audit.index(">Assigned<")
    assert "<td data-label=\"Who\">root</td>" in audit
    assert "<dt>To</dt><dd>alice</dd>" in audit


def test_unknown_ticket_is_404(staff):
    assert staff.get("/tickets/DSR-2026-9999").status_code == 404
    assert staff.get("/tickets/not-a-ref").status_code == 404
