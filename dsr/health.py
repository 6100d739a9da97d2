"""Mailbox health: what each pass records, and which alerts staff should see.

Every poller writes its outcome to the mailbox's MailboxState row, so with several workers
the picture is shared: a mailbox that no worker has read for N minutes is stale whoever was
supposed to read it. The rules here are pure; the web view shows them, responders mail them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dsr.config import HealthSettings
from dsr.tickets import MailboxState, OutboxItem

STALE, LOGIN, TOKEN, STUCK = "stale", "login", "token", "stuck"
_WAITING = ("pending", "sending")  # outbox rows not yet delivered (responders.outbox states)


@dataclass(frozen=True)
class Alert:
    mailbox: str          # the configured name staff know ("info", "privacy")
    kind: str             # STALE, LOGIN or TOKEN
    message: str


def _state(session: Session, key: str, label: str, now: datetime) -> MailboxState:
    state = session.get(MailboxState, key)
    if state is None:
        state = MailboxState(name=key, uidvalidity=0, last_uid=0, alerts_sent={})
        session.add(state)
    state.label = label
    if state.watched_since is None:
        state.watched_since = now
    state.last_attempt_at = now
    return state


def record_success(session: Session, key: str, label: str, now: datetime,
                   token_expires_at: datetime | None = None) -> None:
    state = _state(session, key, label, now)
    state.last_success_at = now
    state.failing_since = None
    state.last_error = ""
    state.login_failed = False
    if token_expires_at is not None:
        state.token_expires_at = token_expires_at


def record_failure(session: Session, key: str, label: str, now: datetime, error: str,
                   login_failed: bool) -> None:
    state = _state(session, key, label, now)
    if state.failing_since is None:
        state.failing_since = now
    state.last_error = error[:1000]
    state.login_failed = login_failed


def record_token_expiry(session: Session, key: str, label: str,
                        expires_at: datetime) -> None:
    """Only when the refresh token expires (the SMTP connection: its failures show as
    waiting mail, see outbox_alert, so nothing here goes stale)."""
    state = session.get(MailboxState, key)
    if state is None:
        state = MailboxState(name=key, uidvalidity=0, last_uid=0, alerts_sent={})
        session.add(state)
    state.label = label
    state.token_expires_at = expires_at


def alerts_for(state: MailboxState, health: HealthSettings, now: datetime) -> list[Alert]:
    label = state.label or state.name
    found: list[Alert] = []
    # Never read at all counts from when we started watching it.
    reference = state.last_success_at or state.watched_since
    if reference is not None and now - reference > timedelta(minutes=health.stale_after_minutes):
        minutes = int((now - reference).total_seconds() // 60)
        when = "never read successfully" if state.last_success_at is None else \
            f"not read successfully since {reference:%Y-%m-%d %H:%M} UTC"
        detail = f": {state.last_error}" if state.last_error else ""
        found.append(Alert(label, STALE, f"Mailbox {label} {when} ({minutes} min){detail}"))
    if state.login_failed:
        found.append(Alert(label, LOGIN, f"Login to mailbox {label} is refused: "
                           f"{state.last_error or 'no detail'}. Check its password or token."))
    if state.token_expires_at is not None and \
            state.token_expires_at - now < timedelta(days=health.token_warning_days):
        left = (state.token_expires_at - now).days
        expired = "has expired" if left < 0 else f"expires in {left} day(s)"
        found.append(Alert(label, TOKEN, f"The OAuth refresh token for mailbox {label} "
                           f"{expired} ({state.token_expires_at:%Y-%m-%d}): sign in again "
                           "to renew the consent before mail stops."))
    return found


def current_alerts(session: Session, labels: tuple[str, ...], health: HealthSettings,
                   now: datetime) -> list[tuple[MailboxState, list[Alert]]]:
    """(state, alerts) for each configured mailbox that has a state row.

    Rows of mailboxes no longer configured are ignored; where a mailbox moved (another host
    or folder, so another key, same name), its most recently tried row speaks for it."""
    rows = session.execute(select(MailboxState).where(MailboxState.label.in_(labels))
                           .order_by(MailboxState.label)).scalars().all()
    latest: dict[str, MailboxState] = {}
    for state in rows:
        known = latest.get(state.label)
        if known is None or (state.last_attempt_at or datetime.min) > \
                (known.last_attempt_at or datetime.min):
            latest[state.label] = state
    return [(latest[label], alerts_for(latest[label], health, now))
            for label in labels if label in latest]


def outbox_alert(session: Session, health: HealthSettings, now: datetime) -> Alert | None:
    """Outgoing mail waiting longer than stale_after_minutes: SMTP down or refusing us.

    Shown on the dashboard and logged; not mailed, since the mail would wait in the same queue.
    """
    waiting, oldest = session.execute(
        select(func.count(), func.min(OutboxItem.created_at))
        .where(OutboxItem.state.in_(_WAITING))).one()
    if not waiting or oldest is None or \
            now - oldest <= timedelta(minutes=health.stale_after_minutes):
        return None
    error = session.execute(
        select(OutboxItem.last_error).where(OutboxItem.state.in_(_WAITING),
                                            OutboxItem.last_error != "")
        .order_by(OutboxItem.created_at).limit(1)).scalar()
    minutes = int((now - oldest).total_seconds() // 60)
    detail = f" Last error: {error}" if error else ""
    return Alert("outgoing", STUCK, f"{waiting} outgoing mail(s) not delivered, the oldest "
                 f"for {minutes} min: acknowledgements are not reaching requesters.{detail}")
