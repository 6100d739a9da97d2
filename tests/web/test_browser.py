"""Headless Chromium against the served app: a morning's work; hostile mail runs nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORDS
from sqlalchemy import select

from dsr.store import find_ticket, utcnow
from dsr.tickets import LabelFeedback, OutboxItem, TicketState

pytestmark = pytest.mark.browser


def _log_in(page: Any, base: str, name: str = "alice") -> None:
    page.goto(base + "/")
    assert page.url.startswith(base + "/login?next=")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")


def _seed_queue(open_ticket: Any) -> Any:
    now = utcnow()
    okafor = open_ticket(received_at=now - timedelta(days=6), kinds=("access",),
                         scores={"access": 0.94, "portability": 0.31},
                         evidence={"access": ["what personal data you hold about me",
                                              "send me a copy of everything"]})
    open_ticket("erasure_request_nl.eml", received_at=now - timedelta(days=34),
                kinds=("erasure",), language="nl")
    open_ticket("script_injection_request.eml", received_at=now - timedelta(days=26),
                kinds=("erasure", "complaint"), state=TicketState.NEEDS_TRIAGE)
    open_ticket(received_at=now - timedelta(days=1), kinds=("objection", "withdrawal"))
    return okafor


def test_staff_work_a_ticket_from_login_to_closing(page, live_server, open_ticket, store,
                                                   artifacts: Path):
    okafor = _seed_queue(open_ticket)
    page.set_default_timeout(5000)
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in(page, live_server)

    assert page.locator("table.queue tbody tr").count() == 4
    assert page.locator(".urgency-overdue").first.inner_text().startswith("Overdue by")
    page.screenshot(path=str(artifacts / "queue.png"), full_page=True)

    page.get_by_label("Search").fill("okafor")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name=okafor.ref).click()
    page.wait_for_url(f"{live_server}/tickets/{okafor.ref}")
    assert page.locator("mark", has_text="send me a copy of everything").count() >= 1

    page.get_by_label("Erasure").check()
    page.get_by_role("button", name="Save corrected labels").click()
    assert "Labels corrected" in page.locator(".flash-success").inner_text()

    page.locator("summary", has_text="Extend the deadline").click()
    page.get_by_label("Two more months").check()
    page.get_by_label("Reason (sent to the requester)").fill("Records are held in three archives")
    page.get_by_role("button", name="Extend and notify").click()
    assert "Extended; the new deadline is" in page.locator(".flash-success").inner_text()

    page.get_by_role("link", name="Reply to the requester").click()
    page.get_by_label("Subject").fill("Your request")
    page.get_by_label("Message").fill("We have found your customs records and are collecting them.")
    page.get_by_role("button", name="Preview").click()
    assert "We have found your customs records" in page.locator(".preview .mail-body").inner_text()
    assert f"[{okafor.ref}] Your request" in page.locator(".preview").inner_text()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"{live_server}/tickets/{okafor.ref}")
    page.screenshot(path=str(artifacts / "ticket.png"), full_page=True)

    page.locator("summary", has_text="Close the ticket").click()
    page.get_by_label("Note for the record (completed or withdrawn)").fill("Copy sent")
    page.get_by_role("button", name="Close and notify").click()
    assert page.locator(".ticket-head .state").inner_text() == "Completed"
    page.get_by_role("link", name="Dashboard").click()
    assert page.locator(".stat-value").first.inner_text() == "3"  # open tickets left
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)

    with store.unit_of_work() as session:
        ticket = find_ticket(session, okafor.ref)
        assert (ticket.state, ticket.kinds) == ("completed", ["access", "erasure"])
        assert ticket.extension_months == 2
        purposes = session.execute(select(OutboxItem.purpose).where(
            OutboxItem.ticket_id == ticket.id).order_by(OutboxItem.id)).scalars().all()
        assert purposes == ["extension_notice", "staff_reply", "completed"]
        assert session.execute(select(LabelFeedback)).scalar_one().actor == "alice"
        assert {e.actor for e in ticket.events if e.kind != "opened"} == {"alice"}


def test_hostile_mail_is_shown_as_text_and_runs_nothing(page, live_server, open_ticket,
                                                         artifacts: Path):
    hostile = open_ticket("script_injection_request.eml", kinds=("erasure", "complaint"),
                          state=TicketState.NEEDS_TRIAGE,
                          evidence={"erasure": ["erase all personal data"]})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_default_timeout(5000)
    _log_in(page, live_server)

    for url in ("/", f"/tickets/{hostile.ref}", "/?q=mallory", "/dashboard"):
        page.goto(live_server + url)
        assert page.locator("script").count() == 0, url
        assert page.locator("img").count() == 0, url
        assert page.locator("a[href^='javascript']").count() == 0, url
        assert page.evaluate("typeof window.__pwned") == "undefined", url

    page.goto(f"{live_server}/tickets/{hostile.ref}")
    subject = '<script>window.__pwned="subject"</script> Delete my data'
    assert subject in page.locator(".ticket-subject").inner_text()
    body = page.locator(".mail-in .mail-body").inner_text()
    assert "<img src=\"x\" onerror=\"window.__pwned='onerror'; alert('onerror')\">" in body
    assert "javascript:alert(document.cookie)" in body
    page.get_by_text("open my account").click()  # only text: nothing to follow
    assert page.url == f"{live_server}/tickets/{hostile.ref}"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []
    page.screenshot(path=str(artifacts / "ticket-hostile-mail.png"), full_page=True)


def test_keyboard_users_reach_the_content_with_a_visible_focus(page, live_server, open_ticket,
                                                               artifacts: Path):
    _seed_queue(open_ticket)
    page.set_default_timeout(5000)
    _log_in(page, live_server)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(live_server + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "queue-phone.png"), full_page=True)
