"""Dashboard numbers and charts, failed deliveries, and the CSV register of requests."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from conftest import open_ticket_from_mail
from sqlalchemy import select

from dsr import lifecycle
from dsr.store import find_ticket, utcnow
from dsr.tickets import OutboxItem, TicketState
from web.register import neutralise


def _close(store, ref, when):
    with store.unit_of_work() as session:
        lifecycle.close(session, find_ticket(session, ref), TicketState.COMPLETED, "",
                        when, "test")


def test_dashboard_counts_open_tickets_by_days_left_and_timeliness(staff, open_ticket, store):
    now = utcnow()
    open_ticket(received_at=now - timedelta(days=40), kinds=("access",))       # overdue
    open_ticket(received_at=now - timedelta(days=27), kinds=("erasure",))      # due soon
    on_time = open_ticket(received_at=now - timedelta(days=20), kinds=("access", "erasure"))
    late = open_ticket(received_at=now - timedelta(days=60), kinds=("objection",))
    _close(store, on_time.ref, now - timedelta(days=10))   # after 10 days
    _close(store, late.ref, now)                           # after 60 days, past the deadline

    page = staff.get("/dashboard").get_data(as_text=True)

    assert '<span class="stat-value">2</span> <span class="stat-label">open tickets' in page
    assert "50%</span>" in page and "1 of 2 closed in the last year" in page
    assert '<span class="stat-value">35.0</span>' in page  # median of 10 and 60 days
    assert "Open tickets by days left: Overdue 1; Due in 0–7 days 1; 8–14 days 0" in page
    assert '<svg class="chart"' in page and "<script" not in page
    this_month = now.strftime("%b %y")
    assert f"<title>{this_month}: " in page or f">{this_month}<" in page


def test_requests_per_month_table_counts_each_right(staff, open_ticket):
    now = utcnow()
    open_ticket(received_at=now, kinds=("access", "erasure"))
    open_ticket(received_at=now, kinds=("erasure",))
    page = staff.get("/dashboard").get_data(as_text=True)
    table = page.split('class="numbers"', 1)[1]
    row = table.split(f'<th scope="row">{now:%b %y}</th>', 1)[1].split("</tr>", 1)[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    # Columns in RequestKind order: access, rectification, erasure, ...
    assert cells[:3] == ["1", "0", "2"]


def test_parked_mail_is_listed_and_can_be_retried(staff, open_ticket, store, settings):
    from responders.replies import queue_reply

    opened = open_ticket(kinds=("access",))
    with store.unit_of_work() as session:
        queue_reply(session, settings, find_ticket(session, opened.ref), "acknowledgement",
                    utcnow())
        item = session.execute(select(OutboxItem)).scalar_one()
        item.state, item.attempts, item.last_error = "parked", 3, "SMTP 550 <no such user>"
        item_id = item.id

    page = staff.get("/dashboard").get_data(as_text=True)
    assert "SMTP 550 &lt;no such user&gt;" in page and opened.ref in page

    response = staff.post(f"/outbox/{item_id}/retry", {})

    assert response.status_code == 302
    with store.unit_of_work() as session:
        item = session.get(OutboxItem, item_id)
        assert (item.state, item.attempts) == ("pending", 0)
        event = find_ticket(session, opened.ref).events[-1]
        assert (event.kind, event.actor) == ("delivery_retried", "alice")
    staff.post(f"/outbox/{item_id}/retry", {})
    assert "not parked any more" in staff.get("/dashboard").get_data(as_text=True)
    assert staff.post("/outbox/999/retry", {}).status_code == 404


def test_register_csv_covers_the_date_range(staff, open_ticket, store):
    now = utcnow()
    old = open_ticket(received_at=now - timedelta(days=400), kinds=("access",))
    recent = open_ticket("erasure_request_nl.eml", received_at=now - timedelta(days=3),
                         kinds=("erasure", "objection"))
    _close(store, recent.ref, now)
    first = (now - timedelta(days=10)).date().isoformat()

    response = staff.get(f"/register.csv?from={first}&to={now.date().isoformat()}")

    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["reference", "received", "rights", "requester_name", "requester_email",
                       "state", "deadline", "closed", "outcome"]
    assert [r[0] for r in rows[1:]] == [recent.ref]
    assert rows[1][2:7] == ["erasure; objection", "Anouk Visser", "anouk.visser@example.nl",
                            "completed", find_deadline(store, recent.ref)]
    assert rows[1][7].startswith(now.date().isoformat())
    assert old.ref not in response.get_data(as_text=True)
    assert staff.get("/register.csv?from=2026-13-01").status_code == 400
    assert staff.get("/register.csv?from=2026-05-01&to=2026-01-01").status_code == 400


def find_deadline(store, ref):
    with store.unit_of_work() as session:
        return find_ticket(session, ref).due_on.isoformat()


def test_register_csv_neutralises_formulas_from_mail(staff, store, settings):
    raw = (b"From: =?utf-8?q?=3DHYPERLINK=28=22http://evil.example=22=29?= "
           b"<attacker@example.net>\r\nSubject: delete\r\nMessage-ID: <f@example.net>\r\n\r\n"
           b"Please delete my data.\r\n")
    open_ticket_from_mail(store, settings, raw, kinds=("erasure",))

    today = utcnow().date()
    text = staff.get(f"/register.csv?from={today - timedelta(days=7)}&to={today}"
                     ).get_data(as_text=True)

    assert "'=HYPERLINK(" in text
    assert ",=HYPERLINK" not in text and '"=HYPERLINK' not in text


def test_neutralise_prefixes_every_formula_start():
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert neutralise(cell) == "'" + cell
    assert neutralise("Anouk") == "Anouk" and neutralise("") == ""


def test_mailbox_problems_are_shown_on_the_dashboard_escaped(staff, store, anonymous):
    from dsr import health

    now = utcnow()
    with store.unit_of_work() as session:
        health.record_failure(session, "maildir:/x", "inbox", now - timedelta(hours=2),
                              "IMAP login refused: <script>alert(1)</script>", login_failed=True)

    page = staff.get("/dashboard").get_data(as_text=True)

    assert 'role="alert"' in page and "Mailbox problems" in page
    assert "Login to mailbox inbox is refused" in page
    assert "never read successfully (120 min)" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    # The supervisor's endpoint counts problems but shows no detail to anyone.
    health_page = anonymous.get("/healthz").get_data(as_text=True)
    assert health_page == "ok\nalerts: 2\n" and "refused" not in health_page


def test_a_healthy_mailbox_shows_when_it_was_last_read(staff, store):
    from dsr import health

    with store.unit_of_work() as session:
        health.record_success(session, "maildir:/x", "inbox", utcnow())
    page = staff.get("/dashboard").get_data(as_text=True)
    assert "Mailbox problems" not in page
    assert 'class="mailbox-ok"' in page and ">reading<" in page


def test_outgoing_mail_stuck_behind_a_dead_smtp_server_is_shown(staff, store, settings,
                                                                 open_ticket):
    from responders.replies import queue_reply

    opened = open_ticket(kinds=("access",))
    with store.unit_of_work() as session:  # its acknowledgement waits in the outbox
        assert queue_reply(session, settings, find_ticket(session, opened.ref),
                           "acknowledgement", utcnow())
    page = staff.get("/dashboard").get_data(as_text=True)
    assert "not delivered" not in page  # just queued: nothing to worry about yet
    with store.unit_of_work() as session:
        for item in session.execute(select(OutboxItem)).scalars():
            item.created_at = utcnow() - timedelta(hours=3)
            item.last_error = "SMTP smtp.example.org:587 unreachable: ConnectionRefusedError"
    page = staff.get("/dashboard").get_data(as_text=True)
    assert "outgoing mail(s) not delivered, the oldest for 180 min" in page
    assert "ConnectionRefusedError" in page


def test_the_classifier_chart_counts_answered_triaged_and_corrected_tickets(staff, open_ticket):
    from dsr.tickets import TicketState

    now = utcnow()
    open_ticket(received_at=now - timedelta(minutes=3), kinds=("access",))
    open_ticket(received_at=now - timedelta(minutes=2), kinds=("erasure",),
                state=TicketState.NEEDS_TRIAGE)
    corrected = open_ticket(received_at=now - timedelta(minutes=1), kinds=("objection",))
    staff.fresh_token()
    staff.post(f"/tickets/{corrected.ref}/labels", {"rights": ["objection", "withdrawal"]})

    page = staff.get("/dashboard").get_data(as_text=True)
    section = page[page.index('id="verdict-heading"'):page.index('id="mailboxes-heading"')]
    this_month = now.strftime("%b %y")
    row = section[section.index(f'<th scope="row">{this_month}</th>'):]
    assert row.startswith(f'<th scope="row">{this_month}</th><td>1</td><td>1</td><td>1</td>')
    assert f"<title>{this_month}: 1 Labels corrected by staff</title>" in section
