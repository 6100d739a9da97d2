"""The dashboard: deadlines at a glance, requests per month, how well we keep time, failed mail."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from dsr import casework, health, lifecycle
from dsr.tickets import (
    CLOSED_STATES,
    LabelFeedback,
    OutboxItem,
    RequestKind,
    Ticket,
    TicketState,
)
from web import context
from web.charts import horizontal_bars, stacked_columns
from web.filters import RIGHT_LABELS

bp = Blueprint("dashboard", __name__)
MONTHS_SHOWN = 12
RATE_WINDOW = timedelta(days=365)
OUTCOMES = (TicketState.COMPLETED.value, TicketState.REFUSED.value, TicketState.WITHDRAWN.value)
BUCKETS = (("Overdue", "overdue", None, -1), ("Due in 0–7 days", "soon", 0, 7),
           ("8–14 days", "ok", 8, 14), ("15–30 days", "ok", 15, 30),
           ("More than 30 days", "ok", 31, None))


@dataclass(frozen=True)
class Timeliness:
    closed: int
    on_time: int
    median_days: float | None

    @property
    def rate(self) -> int | None:
        return round(100 * self.on_time / self.closed) if self.closed else None


def _bucket(days: int) -> str:
    for label, _css, low, high in BUCKETS:
        if (low is None or days >= low) and (high is None or days <= high):
            return label
    return BUCKETS[-1][0]  # pragma: no cover


def _open_by_days_left(db: Session, today: date) -> list[tuple[str, int, str]]:
    open_states = [s.value for s in TicketState if s not in CLOSED_STATES]
    tickets = db.execute(select(Ticket).where(Ticket.state.in_(open_states))).scalars()
    counts = Counter(_bucket(lifecycle.days_left(t, today)) for t in tickets)
    return [(label, counts.get(label, 0), f"bucket-{css}") for label, css, _, _ in BUCKETS]


def _months(today: date) -> list[date]:
    first = today.replace(day=1)
    out = []
    for _ in range(MONTHS_SHOWN):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return out[::-1]


def _per_month(db: Session, today: date) -> list[tuple[str, dict[str, int]]]:
    months = _months(today)
    start = datetime.combine(months[0], datetime.min.time())
    counts: dict[date, Counter[str]] = {m: Counter() for m in months}
    tickets = db.execute(select(Ticket).where(
        Ticket.received_at >= start, Ticket.state != TicketState.NOT_A_REQUEST.value,
        Ticket.merged_into_id.is_(None))).scalars()
    for ticket in tickets:
        month = ticket.received_at.date().replace(day=1)
        if month in counts:
            counts[month].update(ticket.kinds)
    return [(m.strftime("%b %y"), dict(counts[m])) for m in months]


# How each month's tickets came out of the classifier, for staff to watch the model drift.
VERDICTS = (("answered", "Acknowledged automatically, labels kept"),
            ("triaged", "Sent to staff (triage), labels kept"),
            ("corrected", "Labels corrected by staff"))


def _verdicts_per_month(db: Session, today: date) -> list[tuple[str, dict[str, int]]]:
    months = _months(today)
    start = datetime.combine(months[0], datetime.min.time())
    corrected = set(db.execute(select(LabelFeedback.ticket_id).distinct()).scalars())
    counts: dict[date, Counter[str]] = {m: Counter() for m in months}
    rows = db.execute(select(Ticket.id, Ticket.received_at, Ticket.decision).where(
        Ticket.received_at >= start, Ticket.merged_into_id.is_(None)))
    for ticket_id, received_at, decision in rows:
        month = received_at.date().replace(day=1)
        if month in counts:
            kind = ("corrected" if ticket_id in corrected else
                    "answered" if decision == "request" else "triaged")
            counts[month][kind] += 1
    return [(m.strftime("%b %y"), dict(counts[m])) for m in months]


def _timeliness(db: Session, now: datetime) -> Timeliness:
    closed = db.execute(select(Ticket).where(
        Ticket.state.in_(OUTCOMES), Ticket.closed_at >= now - RATE_WINDOW,
        Ticket.merged_into_id.is_(None))).scalars().all()
    done = [t for t in closed if t.closed_at is not None]
    on_time = sum(1 for t in done if t.closed_at and t.closed_at.date() <= t.due_on)
    durations = [(t.closed_at - t.received_at).total_seconds() / 86400 for t in done
                 if t.closed_at]
    median = round(statistics.median(durations), 1) if durations else None
    return Timeliness(len(done), on_time, median)


def _parked(db: Session) -> list[dict[str, object]]:
    items = db.execute(select(OutboxItem).where(OutboxItem.state == "parked")
                       .order_by(OutboxItem.created_at)).scalars()
    return [{"id": i.id, "ref": i.ticket.ref if i.ticket else "", "purpose": i.purpose,
             "recipient": i.recipient, "attempts": i.attempts, "error": i.last_error,
             "created_at": i.created_at} for i in items]


@dataclass(frozen=True)
class MailboxHealth:
    name: str
    kind: str
    last_success_at: datetime | None
    last_error: str
    alerts: list[health.Alert]

    @property
    def status(self) -> str:
        if self.alerts:
            return "alert"
        return "failing" if self.last_error else "ok"


def _mailboxes(db: Session, now: datetime) -> tuple[list[MailboxHealth], list[health.Alert]]:
    """Every configured mailbox, read or not yet, with what dsr.health says about it; and
    every alert (the SMTP connection's OAuth token included)."""
    settings = context.settings()
    known = {state.label: (state, alerts) for state, alerts in
             health.current_alerts(db, settings.watched, settings.health, now)}
    out = []
    for inbox in settings.inboxes:
        state, alerts = known.get(inbox.name, (None, []))
        out.append(MailboxHealth(inbox.name, inbox.kind,
                                 state.last_success_at if state else None,
                                 state.last_error if state else "", alerts))
    return out, [alert for _, alerts in known.values() for alert in alerts]


@bp.get("/dashboard")
def dashboard() -> str:
    now = context.now()
    with context.store().unit_of_work() as db:
        mailboxes, alerts = _mailboxes(db, now)
        stuck = health.outbox_alert(db, context.settings().health, now)
        by_days_left = _open_by_days_left(db, now.date())
        per_month = _per_month(db, now.date())
        verdicts = _verdicts_per_month(db, now.date())
        timeliness = _timeliness(db, now)
        parked = _parked(db)
    series = [k.value for k in RequestKind]
    return render_template(
        "dashboard.html", deadline_chart=horizontal_bars(by_days_left),
        month_chart=stacked_columns(per_month, series), per_month=per_month, series=series,
        verdict_chart=stacked_columns(verdicts, [k for k, _ in VERDICTS]), verdicts=verdicts,
        verdict_labels=dict(VERDICTS),
        right_labels=RIGHT_LABELS, timeliness=timeliness, parked=parked, mailboxes=mailboxes,
        mailbox_alerts=alerts + ([stuck] if stuck else []),
        open_total=sum(v for _, v, _ in by_days_left),
        register_from=now.date().replace(month=1, day=1), register_to=now.date())


@bp.post("/outbox/<int:item_id>/retry")
def retry_delivery(item_id: int) -> Response:
    """A parked mail (the server refused it) goes back to the sender job, with an event."""
    now = context.now()
    with context.store().unit_of_work() as db:
        item = db.get(OutboxItem, item_id)
        if item is None:
            abort(404)
        if item.state != "parked":
            flash("That mail is not parked any more.", "error")
            return redirect(url_for("dashboard.dashboard"))
        casework.add_event(db, item.ticket, "delivery_retried", now, context.actor(),
                           {"purpose": item.purpose, "last_error": item.last_error[:500],
                            "attempts": item.attempts})
        item.state, item.attempts, item.next_attempt_at = "pending", 0, now
    flash("The mail will be tried again within a minute.", "success")
    return redirect(url_for("dashboard.dashboard"))
