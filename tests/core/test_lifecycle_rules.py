"""Lifecycle rules on a real SQLite store: extension window, Art. 12A clock, closure, states."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dsr import casework, lifecycle
from dsr.errors import IllegalTransition
from dsr.tickets import TicketState


def _open(session, received: datetime, policy: str = "uk", kinds=("access",)):
    new = casework.NewTicket(requester_email="jo@example.com", requester_name="Jo",
                             language="en", received_at=received, kinds=kinds,
                             state=TicketState.RECEIVED, decision="request")
    return casework.open_ticket(session, new, policy, received)


def test_extension_within_the_first_month_moves_the_deadline_and_is_audited(migrated_store):
    with migrated_store.unit_of_work() as session:
        ticket = _open(session, datetime(2026, 3, 10, 9))
        assert ticket.due_on == date(2026, 4, 10)
        lifecycle.extend(session, ticket, 2, "250 boxes of archived files to search", "uk",
                         datetime(2026, 4, 9, 12), "alice")
        assert ticket.due_on == date(2026, 6, 10)
        assert ticket.state == "extended"
        assert ticket.statutory_due_on == date(2026, 4, 10)
        kinds = [e.kind for e in ticket.events]
        assert kinds[-1] == "extended" and "state_changed" in kinds


def test_extension_after_the_first_month_is_refused(migrated_store):
    with migrated_store.unit_of_work() as session:
        ticket = _open(session, datetime(2026, 3, 10, 9))
        with pytest.raises(IllegalTransition, match="too late"):
            lifecycle.extend(session, ticket, 1, "complex", "uk", datetime(2026, 4, 11, 9), "al")
        with pytest.raises(IllegalTransition, match="reason"):
            lifecycle.extend(session, ticket, 1, "  ", "uk", datetime(2026, 3, 20, 9), "al")
        with pytest.raises(IllegalTransition, match="one or two"):
            lifecycle.extend(session, ticket, 3, "x", "uk", datetime(2026, 3, 20, 9), "al")


def test_uk_clock_runs_from_identity_confirmation(migrated_store):
    with migrated_store.unit_of_work() as session:
        ticket = _open(session, datetime(2026, 3, 10, 9))
        lifecycle.request_identity(session, ticket, datetime(2026, 3, 10, 9), "bot")
        assert ticket.state == "awaiting_identity"
        lifecycle.mark_verified(session, ticket, "uk", datetime(2026, 3, 20, 15), "requester")
        assert ticket.due_on == date(2026, 4, 20)          # one month from confirmation
        assert ticket.statutory_due_on == date(2026, 4, 10)  # from receipt, for reference
        assert ticket.state == "in_progress"


def test_eu_clock_runs_from_receipt_whatever_happens(migrated_store):
    with migrated_store.unit_of_work() as session:
        ticket = _open(session, datetime(2026, 3, 10, 9), policy="eu")
        lifecycle.request_identity(session, ticket, datetime(2026, 3, 10, 9), "bot")
        lifecycle.mark_verified(session, ticket, "eu", datetime(2026, 3, 20, 15), "requester")
        lifecycle.pause_for_clarification(session, ticket, "eu", datetime(2026, 3, 21), "al")
        lifecycle.resume_clock(session, ticket, "eu", datetime(2026, 3, 30), "requester")
        assert ticket.due_on == date(2026, 4, 10)


def test_uk_clarification_pause_adds_the_waiting_days(migrated_store):
    with migrated_store.unit_of_work() as session:
        ticket = _open(session, datetime(2026, 3, 10, 9))
        lifecycle.pause_for_clarification(session, ticket, "uk", datetime(2026, 3, 12), "alice",
                                          "Which years do you mean?")
        lifecycle.resume_clock(session, ticket, "uk", datetime(2026, 3, 19), "requester")
        assert ticket.paused_days == 7
        assert ticket.due_on == date(2026, 4, 17)


def test_refusal_needs_a_known_reason_and_closed_tickets_stay_closed(migrated_store):
    with migrated_store.unit_of_work() as session:
        ticket = _open(session, datetime(2026, 3, 10, 9))
        with pytest.raises(IllegalTransition, match="refusal needs"):
            lifecycle.close(session, ticket, TicketState.REFUSED, "because", datetime(2026, 3, 11),
                            "al")
        lifecycle.close(session, ticket, TicketState.REFUSED, "manifestly_excessive",
                        datetime(2026, 3, 11), "al")
        assert ticket.closed_at is not None
        with pytest.raises(IllegalTransition):
            lifecycle.close(session, ticket, TicketState.COMPLETED, "", datetime(2026, 3, 12), "a")
        with pytest.raises(IllegalTransition):
            lifecycle.extend(session, ticket, 1, "x", "uk", datetime(2026, 3, 12), "al")


def test_complaints_get_a_thirty_day_acknowledgement_clock(migrated_store):
    with migrated_store.unit_of_work() as session:
        ticket = _open(session, datetime(2026, 3, 10, 9), kinds=("complaint",))
        assert ticket.complaint_ack_due_on == date(2026, 4, 9)


def test_merge_moves_messages_and_closes_the_duplicate(migrated_store):
    with migrated_store.unit_of_work() as session:
        first = _open(session, datetime(2026, 3, 10, 9))
        second = _open(session, datetime(2026, 3, 11, 9), kinds=("erasure",))
        lifecycle.merge(session, second, first, datetime(2026, 3, 12), "alice")
        assert second.merged_into_id == first.id and second.state == "withdrawn"
        assert sorted(first.kinds) == ["access", "erasure"]
        assert first.events[-1].kind == "merged"
