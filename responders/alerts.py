"""Mail staff when a mailbox is unhealthy (dsr.health decides what counts).

Each alert kind per mailbox is mailed once, then again only after repeat_alert_hours while
it lasts; when it clears, it is forgotten, so the next occurrence is mailed at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dsr.config import Settings
from dsr.health import Alert, current_alerts, outbox_alert
from responders.compose import build_message, new_message_id
from responders.outbox import queue

log = logging.getLogger(__name__)


def queue_health_alerts(session: Session, settings: Settings, now: datetime) -> list[Alert]:
    """Queue a mail for each alert due to be (re)sent; returns the alerts mailed."""
    labels = settings.watched
    repeat = timedelta(hours=settings.health.repeat_alert_hours)
    staff = settings.organisation.staff_address
    mailed: list[Alert] = []
    for state, alerts in current_alerts(session, labels, settings.health, now):
        sent = dict(state.alerts_sent or {})
        active = {alert.kind for alert in alerts}
        for kind in list(sent):
            if kind not in active:
                del sent[kind]  # cleared: the next occurrence is news again
        for alert in alerts:
            last = sent.get(alert.kind)
            if last and now - datetime.fromisoformat(last) < repeat:
                continue
            log.warning("health alert: %s", alert.message)
            if not staff:
                continue  # nobody to mail; the dashboard and the log show it
            _queue_alert(session, settings, alert, now)
            sent[alert.kind] = now.isoformat(timespec="seconds")
            mailed.append(alert)
        if sent != (state.alerts_sent or {}):
            state.alerts_sent = sent
    stuck = outbox_alert(session, settings.health, now)
    if stuck is not None:
        log.warning("health alert: %s", stuck.message)  # on the dashboard; a mail would wait too
    return mailed


def _queue_alert(session: Session, settings: Settings, alert: Alert, now: datetime) -> None:
    org = settings.organisation
    domain = org.reply_from.rsplit("@", 1)[1]
    body = (f"{alert.message}\n\nWhile this lasts, requests sent to this mailbox are not "
            "being read and their deadlines keep running.\nThe dashboard shows the current "
            "state of every mailbox.\n")
    message = build_message(
        sender=org.reply_from, sender_name="rightsbot", recipient=org.staff_address,
        recipient_name="", subject=f"rightsbot alert: mailbox {alert.mailbox}: {alert.kind}",
        body=body, message_id=new_message_id(domain, f"alert.{alert.kind}"),
        language="en", now=now, auto_submitted="auto-generated")
    queue(session, None, "health_alert", message, now)
