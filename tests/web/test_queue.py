"""The queue: open tickets by deadline, urgency in words, filters, search, pages."""

from __future__ import annotations

import re
from datetime import timedelta

from dsr.store import utcnow
from dsr.tickets import TicketState


def _refs(page: str) -> list[str]:
    return re.findall(r'class="ref" href="/tickets/(DSR-\d{4}-\d{4})"', page)


def test_queue_lists_open_tickets_soonest_deadline_first_with_days_left_in_words(
        staff, open_ticket):
    now = utcnow()
    relaxed = open_ticket(received_at=now - timedelta(days=2), kinds=("access",))
    overdue = open_ticket("erasure_request_nl.eml", received_at=now - timedelta(days=45),
                          kinds=("erasure",), language="nl")
    soon = open_ticket(received_at=now - timedelta(days=27), kinds=("objection",))

    page = staff.get("/").get_data(as_text=True)

    assert _refs(page) == [overdue.ref, soon.ref, relaxed.ref]
    assert re.search(r'urgency-overdue">Overdue by \d+ days', page)
    assert re.search(r'urgency-soon">(Due soon: \d+ days? left|Due today)', page)
    assert re.search(r'urgency-ok">\d+ days left', page)
    assert "Anouk Visser" in page and "m.okafor@example.com" in page


def test_closed_tickets_leave_the_queue_but_can_be_shown(staff, open_ticket, store):
    from dsr import lifecycle
    from dsr.store import find_ticket

    kept = open_ticket(kinds=("access",))
    closed = open_ticket("erasure_request_nl.eml", kinds=("erasure",))
    with store.unit_of_work() as session:
        lifecycle.close(session, find_ticket(session, closed.ref), TicketState.COMPLETED, "",
                        utcnow(), "test")

    assert _refs(staff.get("/").get_data(as_text=True)) == [kept.ref]
    assert set(_refs(staff.get("/?state=all").get_data(as_text=True))) == {kept.ref, closed.ref}
    assert _refs(staff.get("/?state=completed").get_data(as_text=True)) == [closed.ref]


def test_filters_by_right_language_and_triage(staff, open_ticket):
    access = open_ticket(kinds=("access",))
    dutch = open_ticket("erasure_request_nl.eml", kinds=("erasure",), language="nl")
    triage = open_ticket("script_injection_request.eml", kinds=("complaint",),
                         state=TicketState.NEEDS_TRIAGE)

    assert _refs(staff.get("/?right=access").get_data(as_text=True)) == [access.ref]
    assert _refs(staff.get("/?language=nl").get_data(as_text=True)) == [dutch.ref]
    page = staff.get("/?triage=1").get_data(as_text=True)
    assert _refs(page) == [triage.ref]
    assert "1 needs triage" in staff.get("/").get_data(as_text=True)
    # Nonsense in the query string falls back to the defaults instead of failing.
    assert staff.get("/?state=<script>&right=x&page=-3").status_code == 200


def test_search_by_reference_name_or_address(staff, open_ticket):
    okafor = open_ticket(kinds=("access",))
    visser = open_ticket("erasure_request_nl.eml", kinds=("erasure",))

    assert _refs(staff.get(f"/?q={okafor.ref.lower()}").get_data(as_text=True)) == [okafor.ref]
    assert _refs(staff.get("/?q=visser").get_data(as_text=True)) == [visser.ref]
    assert _refs(staff.get("/?q=OKAFOR@EXAMPLE").get_data(as_text=True)) == [okafor.ref]
    page = staff.get("/?q=%25").get_data(as_text=True)  # a literal %, not a wildcard
    assert _refs(page) == [] and "No tickets match" in page


def test_pagination_keeps_the_filters(staff, open_ticket):
    now = utcnow()
    refs = [open_ticket(received_at=now - timedelta(days=30 - i, hours=i), kinds=("access",)).ref
            for i in range(27)]

    first = staff.get("/?right=access").get_data(as_text=True)
    second = staff.get("/?right=access&page=2").get_data(as_text=True)

    assert _refs(first) == refs[:25] and _refs(second) == refs[25:]
    assert "Page 1 of 2" in first
    assert 'href="/?right=access&amp;page=2"' in first
    assert _refs(staff.get("/?right=access&page=99").get_data(as_text=True)) == refs[25:]
