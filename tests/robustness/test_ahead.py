"""Issue 6, the backlog path: parsing and classifying in a worker process changes speed,
not outcomes; a worker that cannot start only costs speed."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from dsr.tickets import MailMessage, Ticket
from intake.mailbox import ImapMailbox
from intake.runner import poll_imap

from .mailgen import MailFactory


def _inbox(account: Any, **classifier: Any) -> dict[str, dict[str, Any]]:
    sections: dict[str, dict[str, Any]] = {"inbox": {
        "kind": "imap", "host": account.host, "port": account.port, "security": "none",
        "user": account.user, "password": "secret", "batch_size": 50}}
    if classifier:
        sections["classifier"] = classifier
    return sections


def _pass(services: Any, parallel_from: int) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    mailbox = ImapMailbox(services.settings.inbox)
    mailbox.connect()
    try:
        poll_imap(mailbox, services, parallel_from=parallel_from)
    finally:
        mailbox.close()
    with services.store.unit_of_work() as session:
        rows = session.execute(select(MailMessage)).scalars().all()
        return {r.source_key.rsplit(":", 1)[1]: (
            r.disposition, r.ticket.decision if r.ticket else "",
            tuple(r.ticket.kinds) if r.ticket else ()) for r in rows}


def test_the_worker_process_gives_the_same_outcomes_as_one_process(
        imap_account, make_services, caplog):
    caplog.set_level(logging.INFO)
    mails = MailFactory(91).mixed(150)
    imap_account.deliver(*(m.raw for m in mails))
    ahead = _pass(make_services(_inbox(imap_account)), parallel_from=1)
    alone = _pass(make_services(_inbox(imap_account)), parallel_from=10**9)
    assert "worker process(es)" in caplog.text and "chunk(s) in the worker" in caplog.text
    assert len(ahead) == len(mails) and ahead == alone


def test_a_worker_that_cannot_load_its_model_only_costs_speed(
        imap_account, make_services, caplog, tmp_path):
    mails = MailFactory(92).mixed(60)
    imap_account.deliver(*(m.raw for m in mails))
    # The bot's own classifier is the shipped one; the worker is told to load a model that
    # is not there, so its start fails and the bot prepares every chunk itself.
    services = make_services(_inbox(imap_account, model_path=str(tmp_path / "no-model")))
    outcomes = _pass(services, parallel_from=1)
    assert "worker process failed" in caplog.text
    assert len(outcomes) == len(mails) and "failed" not in {d for d, _, _ in outcomes.values()}
    assert caplog.text.count("worker process failed") == 1
    with services.store.unit_of_work() as session:
        opened = set(session.execute(select(Ticket.requester_email)).scalars())
    assert {m.sender for m in mails if m.is_request} <= opened
