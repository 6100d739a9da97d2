"""A long pass renews its mailbox lease as it goes, and stops when another worker holds it:
two pollers never work one folder at once, and the one that stops loses nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

import intake.runner as runner
from dsr.store import utcnow
from dsr.tickets import MailboxState, MailMessage
from intake.mailbox import ImapMailbox

from .mailgen import MailFactory


def test_a_pass_that_loses_its_lease_stops_and_the_rest_is_read_later(
        imap_account, make_services, monkeypatch):
    services = make_services({
        "inbox": {"kind": "imap", "host": imap_account.host, "port": imap_account.port,
                  "security": "none", "user": imap_account.user, "password": "secret"}})
    factory = MailFactory(7)
    imap_account.deliver(*[factory.request("en").raw for _ in range(12)])
    name = ImapMailbox(services.settings.inbox).name
    monkeypatch.setattr(runner, "LEASE_SECONDS", 0)  # renew after every message
    original = runner.process
    handled = []

    def process_then_lose_the_lease(item, services_):  # type: ignore[no-untyped-def]
        outcome = original(item, services_)
        handled.append(item.source_key)
        if len(handled) == 4:  # another host's worker takes the mailbox over
            with services.store.unit_of_work() as session:
                session.execute(update(MailboxState).where(MailboxState.name == name).values(
                    lease_holder="other-host:4242", lease_until=utcnow() + timedelta(hours=1)))
        return outcome

    monkeypatch.setattr(runner, "process", process_then_lose_the_lease)
    first = runner.poll_once(services)

    assert sum(first.counts.values()) == 4 and not first.failures
    with services.store.unit_of_work() as session:
        state = session.get(MailboxState, name)
        assert state.lease_holder == "other-host:4242"  # we did not take it back
        assert session.execute(select(func.count()).select_from(MailMessage)).scalar_one() == 4
    # While the other worker holds it, a pass here reads nothing.
    assert sum(runner.poll_once(services).counts.values()) == 0
    # Its lease runs out (that worker died): the rest is read, nothing twice.
    with services.store.unit_of_work() as session:
        session.execute(update(MailboxState).where(MailboxState.name == name)
                        .values(lease_until=utcnow() - timedelta(seconds=1)))
    monkeypatch.setattr(runner, "LEASE_SECONDS", 300)
    second = runner.poll_once(services)
    assert sum(second.counts.values()) == 8
    with services.store.unit_of_work() as session:
        keys = session.execute(select(MailMessage.source_key)).scalars().all()
    assert len(keys) == len(set(keys)) == 12
