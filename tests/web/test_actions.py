"""Every staff action: a CSRF-checked POST that changes the ticket and writes audit events."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from typing import Any

import pytest
from sqlalchemy import select

from dsr.store import find_ticket, utcnow
from dsr.tickets import LabelFeedback, OutboxItem, TicketState


def _ticket(store: Any, ref: str) -> dict[str, Any]:
    with store.unit_of_work() as session:
        t = find_ticket(session, ref)
        return {"state": t.state, "kinds": t.kinds, "events": [(e.kind, e.actor, e.detail)
                                                               for e in t.events],
                "due_on": t.due_on, "identity": t.identity_state, "assignee": t.assignee,
                "paused": t.paused_since, "merged_into": t.merged_into_id, "id": t.id,
                "messages": len(t.messages), "note": t.identity_note}


def _outbox(store: Any, ref: str) -> list[tuple[str, email.message.EmailMessage]]:
    with store.unit_of_work() as session:
        ticket_id = find_ticket(session, ref).id
        items = session.execute(select(OutboxItem).where(OutboxItem.ticket_id == ticket_id)
                                .order_by(OutboxItem.id)).scalars()
        return [(i.purpose, email.message_from_bytes(i.raw, policy=policy.default))
                for i in items]


def _body(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def _new_events(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [kind for kind, _, _ in after["events"][len(before["events"]):]]


def _act(client: Any, ref: str, action: str, **form: Any) -> str:
    """Post an action; return the flash text shown on the ticket page it redirects to."""
    response = client.post(f"/tickets/{ref}/{action}", form)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tickets/{ref}"
    page = client.get(f"/tickets/{ref}").get_data(as_text=True)
    flashes = page.split('<div class="flashes">', 1)
    return flashes[1].split("</div>", 1)[0] if len(flashes) > 1 else ""


def test_correcting_labels_records_feedback_and_an_event(staff, open_ticket, store):
    opened = open_ticket(kinds=("access",))
    before = _ticket(store, opened.ref)

    flash = _act(staff, opened.ref, "labels", rights=["access", "erasure"])

    after = _ticket(store, opened.ref)
    assert "Labels corrected" in flash
    assert after["kinds"] == ["access", "erasure"]
    assert _new_events(before, after) == ["relabelled"]
    assert after["events"][-1][1] == "alice"
    with store.unit_of_work() as session:
        (feedback,) = session.execute(select(LabelFeedback)).scalars()
        assert (feedback.labels_before, feedback.labels_after, feedback.actor) == (
            ["access"], ["access", "erasure"], "alice")
        assert feedback.message_id is not None
    assert "already the ticket" in _act(staff, opened.ref, "labels", rights=["access", "erasure"])
    assert "unknown label" in _act(staff, opened.ref, "labels", rights=["access", "gossip"])
    assert len(_ticket(store, opened.ref)["events"]) == len(after["events"])


def test_confirming_triage_acknowledges_the_first_message(staff, open_ticket, store):
    opened = open_ticket("erasure_request_nl.eml", kinds=("erasure",), language="nl",
                         state=TicketState.NEEDS_TRIAGE)
    before = _ticket(store, opened.ref)

    flash = _act(staff, opened.ref, "confirm")

    after = _ticket(store, opened.ref)
    assert "Confirmed as a request" in flash
    # Erasure needs the address confirmed: the acknowledgement carries the link and code.
    assert after["state"] == TicketState.AWAITING_IDENTITY.value
    assert _new_events(before, after) == ["state_changed", "reply_queued", "state_changed",
                                          "identity_requested"]
    ((purpose, mail),) = _outbox(store, opened.ref)
    assert purpose == "acknowledgement"
    assert "/verify/" in mail.get_body(("plain",)).get_content()
    assert mail["In-Reply-To"] == opened.message_id
    assert f"[{opened.ref}]" in mail["Subject"] and mail["Content-Language"] == "nl"
    # Confirming again is refused by the lifecycle, shown as a message, not an error page.
    assert "is not waiting for triage" in _act(staff, opened.ref, "confirm")


def test_marking_not_a_request_closes_without_mail(staff, open_ticket, store):
    opened = open_ticket(kinds=("complaint",), state=TicketState.NEEDS_TRIAGE)
    _act(staff, opened.ref, "not-request", reason="Sales question")
    after = _ticket(store, opened.ref)
    assert after["state"] == TicketState.NOT_A_REQUEST.value
    assert after["events"][-1][:2] == ("state_changed", "alice")
    assert after["events"][-1][2]["reason"] == "Sales question"
    assert _outbox(store, opened.ref) == []


def test_marking_identity_verified_needs_a_note(staff, open_ticket, store):
    opened = open_ticket(kinds=("access",))
    assert "say how the identity was confirmed" in _act(staff, opened.ref, "identity", note=" ")
    _act(staff, opened.ref, "identity", note="Called the number on file")
    after = _ticket(store, opened.ref)
    assert (after["identity"], after["note"]) == ("verified", "Called the number on file")
    assert after["events"][-1][0] == "identity_verified"


def test_extending_moves_the_deadline_and_tells_the_requester_why(staff, open_ticket, store):
    opened = open_ticket(kinds=("access",), received_at=utcnow() - timedelta(days=3))
    before = _ticket(store, opened.ref)

    flash = _act(staff, opened.ref, "extend", months="2", reason="Records in three archives")

    after = _ticket(store, opened.ref)
    assert "Extended; the new deadline is" in flash
    assert after["state"] == TicketState.EXTENDED.value
    assert after["due_on"] > before["due_on"] + timedelta(days=55)
    assert _new_events(before, after) == ["state_changed", "extended", "reply_queued"]
    ((purpose, mail),) = _outbox(store, opened.ref)
    assert purpose == "extension_notice"
    assert "Records in three archives" in _body(mail)
    assert f"{after['due_on'].day} " in _body(mail)
    assert "already been extended" in _act(staff, opened.ref, "extend", months="1", reason="x")


def test_extending_too_late_is_refused_and_nothing_changes(staff, open_ticket, store):
    opened = open_ticket(kinds=("access",), received_at=utcnow() - timedelta(days=50))
    before = _ticket(store, opened.ref)
    flash = _act(staff, opened.ref, "extend", months="1", reason="Complex")
    assert "Nothing was changed" in flash and "too late to extend" in flash
    assert _ticket(store, opened.ref) == before
    assert _outbox(store, opened.ref) == []


@pytest.mark.parametrize(("outcome", "form", "mail_says"), [
    ("completed", {"reason": "Copy sent by post", "message": "The copy is in the post."},
     "The copy is in the post."),
    ("refused", {"refusal_reason": "manifestly_excessive"}, "the request is manifestly excessive"),
    ("withdrawn", {}, "closed your request"),
])
def test_closing_queues_the_matching_mail(staff, open_ticket, store, outcome, form, mail_says):
    opened = open_ticket(kinds=("erasure",))
    before = _ticket(store, opened.ref)

    flash = _act(staff, opened.ref, "close", outcome=outcome, **form)

    after = _ticket(store, opened.ref)
    assert f"Closed as {outcome}" in flash
    assert after["state"] == outcome
    assert _new_events(before, after) == ["state_changed", "reply_queued"]
    ((purpose, mail),) = _outbox(store, opened.ref)
    assert purpose == outcome and mail_says in " ".join(_body(mail).split())
    assert "cannot go from" in _act(staff, opened.ref, "close", outcome="completed")


def test_refusing_without_a_reason_changes_nothing(staff, open_ticket, store):
    opened = open_ticket(kinds=("erasure",))
    flash = _act(staff, opened.ref, "close", outcome="refused", refusal_reason="")
    assert "a refusal needs one of" in flash
    assert _ticket(store, opened.ref)["state"] == TicketState.RECEIVED.value
    assert _outbox(store, opened.ref) == []


def test_merging_a_duplicate_moves_its_messages(staff, open_ticket, store):
    target = open_ticket(kinds=("access",))
    duplicate = open_ticket(kinds=("erasure",))

    flash = _act(staff, duplicate.ref, "merge", into=target.ref.lower())

    assert f"Merged into {target.ref}" in flash
    dup, into = _ticket(store, duplicate.ref), _ticket(store, target.ref)
    assert dup["state"] == TicketState.WITHDRAWN.value and dup["merged_into"] == into["id"]
    assert (dup["messages"], into["messages"]) == (0, 2)
    assert into["kinds"] == ["access", "erasure"]
    assert into["events"][-1][0] == "merged"
    assert "no ticket with that reference" in _act(staff, target.ref, "merge", into="DSR-2026-0999")
    assert "merged into itself" in _act(staff, target.ref, "merge", into=target.ref)


def test_assigning_to_staff(staff, open_ticket, store):
    opened = open_ticket(kinds=("access",))
    assert "Assigned to root" in _act(staff, opened.ref, "assign", assignee="root")
    assert _ticket(store, opened.ref)["assignee"] == "root"
    assert _ticket(store, opened.ref)["events"][-1][2] == {"from": "", "to": "root"}
    assert "active staff member" in _act(staff, opened.ref, "assign", assignee="mallory")
    assert "Unassigned" in _act(staff, opened.ref, "assign", assignee="")


def test_reply_is_previewed_then_sent(staff, open_ticket, store):
    opened = open_ticket(kinds=("access",))
    url = f"/tickets/{opened.ref}/write/staff_reply"
    assert "Reply to the requester" in staff.get(url).get_data(as_text=True)
    form = {"subject_line": "Your data", "message": "Attached <b>is</b> your data."}

    preview = staff.post(url, {**form, "intent": "preview"}).get_data(as_text=True)

    assert f"[{opened.ref}] Your data" in preview
    assert "Attached &lt;b&gt;is&lt;/b&gt; your data." in preview
    assert _outbox(store, opened.ref) == []
    response = staff.post(url, {**form, "intent": "send"})
    assert response.headers["Location"] == f"/tickets/{opened.ref}"
    ((purpose, mail),) = _outbox(store, opened.ref)
    assert purpose == "staff_reply" and mail["Subject"] == f"[{opened.ref}] Your data"
    assert "Attached <b>is</b> your data." in _body(mail)
    assert _ticket(store, opened.ref)["events"][-1][:2] == ("reply_queued", "alice")
    assert "Write the message first" in staff.post(url, {"intent": "preview"}).get_data(
        as_text=True)
    assert staff.get(f"/tickets/{opened.ref}/write/gossip").status_code == 404


@pytest.mark.parametrize(("asking_for", "state", "event"), [
    ("clarification", TicketState.RECEIVED.value, "clarification_requested"),
    ("identity", TicketState.AWAITING_IDENTITY.value, "identity_requested"),
    ("other", TicketState.RECEIVED.value, "reply_queued"),
])
def test_asking_for_information_sends_the_template_and_moves_the_clock(
        staff, open_ticket, store, asking_for, state, event):
    opened = open_ticket(kinds=("access",))
    url = f"/tickets/{opened.ref}/write/information_request"
    form = {"message": "Which account do you mean?", "asking_for": asking_for}
    assert "Which account do you mean?" in staff.post(url, {**form, "intent": "preview"}
                                                      ).get_data(as_text=True)
    staff.post(url, {**form, "intent": "send"})
    after = _ticket(store, opened.ref)
    assert after["state"] == state
    assert event in [kind for kind, _, _ in after["events"]]
    assert (after["paused"] is not None) == (asking_for == "clarification")  # UK policy
    ((purpose, mail),) = _outbox(store, opened.ref)
    assert purpose == "information_request" and "Which account do you mean?" in _body(mail)


def test_restarting_a_paused_clock(staff, open_ticket, store):
    opened = open_ticket(kinds=("access",))
    assert "the clock is not paused" in _act(staff, opened.ref, "resume")
    staff.post(f"/tickets/{opened.ref}/write/information_request",
               {"message": "Which account?", "asking_for": "clarification", "intent": "send"})
    assert "Clock running again" in _act(staff, opened.ref, "resume")
    after = _ticket(store, opened.ref)
    assert after["paused"] is None and after["events"][-1][0] == "clock_resumed"


def test_the_daily_limit_holds_robots_back_but_never_staff(staff, open_ticket, store, settings):
    from responders.replies import queue_reply

    opened = open_ticket(kinds=("access",))
    with store.unit_of_work() as session:
        ticket = find_ticket(session, opened.ref)
        for _ in range(settings.outgoing.per_recipient_daily_limit):
            queue_reply(session, settings, ticket, "acknowledgement", utcnow())
        # One more automatic mail is held back and the hold is on the audit trail.
        assert not queue_reply(session, settings, ticket, "acknowledgement", utcnow())
        assert ticket.events[-1].kind == "reply_suppressed"

    flash = _act(staff, opened.ref, "extend", months="1", reason="Complex")

    assert "in the outbox" in flash and "NOT queued" not in flash
    after = _ticket(store, opened.ref)
    assert after["state"] == TicketState.EXTENDED.value
    assert after["events"][-1][0] == "reply_queued"


def test_actions_on_an_unknown_ticket_are_404(staff):
    assert staff.post("/tickets/DSR-2026-0404/close", {"outcome": "completed"}).status_code == 404
