"""Issue 6: the SMTP server down, refusing, resetting or stalling. Nothing is lost; 4xx and
network errors wait and retry with backoff; 5xx is parked for staff; a reply the server may
already hold is never sent twice; recovery sends what waited, once."""

from __future__ import annotations

import dataclasses
import email
import re
import socket
import struct
import threading
from collections import Counter
from datetime import timedelta
from email import policy
from typing import Any

import pytest
from servers.real import free_port
from sqlalchemy import select

from dsr.store import utcnow
from dsr.tickets import OutboxItem
from intake.pipeline import Incoming, process
from responders.outbox import BASE_BACKOFF, IN_DOUBT, send_pending

from .mailgen import MailFactory

T0 = utcnow()


def _smtp(smtp: Any, **extra: Any) -> dict[str, dict[str, Any]]:
    return {"outgoing": {"kind": "smtp", "host": smtp.host, "port": smtp.port,
                         "security": "none", "timeout": 2, **extra}}


def _queue_acknowledgements(services: Any, count: int, seed: int = 3) -> list[str]:
    """Requests through the pipeline: each opens a ticket and queues its acknowledgement."""
    factory = MailFactory(seed)
    senders = []
    for n in range(count):
        mail = factory.request("en" if n % 2 else "nl")
        outcome = process(Incoming(f"test:{seed}:{n}", mail.raw, T0), services)
        assert outcome.disposition.value == "opened"
        senders.append(mail.sender)
    return senders


def _outbox(services: Any) -> list[Any]:
    with services.store.unit_of_work() as session:
        return session.execute(select(OutboxItem).order_by(OutboxItem.id)).scalars().all()


def _send(services: Any, at: timedelta = timedelta(0)) -> int:
    settings = services.settings
    return send_pending(services.store, settings.outgoing, settings.organisation.reply_from,
                        now=lambda: T0 + at)


def _recipients(envelopes: list[Any]) -> Counter[str]:
    return Counter(address for e in envelopes for address in e.rcpt_tos)


def test_4xx_waits_with_growing_backoff_then_is_sent_once(make_services, smtp):
    services = make_services(_smtp(smtp), clock=lambda: T0)
    senders = _queue_acknowledgements(services, 3)
    smtp.fail_next("rcpt", 451, times=2)           # the first two: greylisted at RCPT

    assert _send(services) == 1
    waiting = [o for o in _outbox(services) if o.state == "pending"]
    assert len(waiting) == 2
    assert all(o.attempts == 1 and "451" in o.last_error for o in waiting)
    assert all(o.next_attempt_at == T0 + BASE_BACKOFF for o in waiting)

    assert _send(services, timedelta(seconds=10)) == 0   # not due: no traffic at all
    smtp.fail_next("data", 452)                       # the server answers the final dot: 452
    assert _send(services, BASE_BACKOFF) == 1
    (still,) = [o for o in _outbox(services) if o.state == "pending"]
    assert still.attempts == 2 and still.next_attempt_at == T0 + 3 * BASE_BACKOFF  # 30 s, 60 s
    assert _send(services, 3 * BASE_BACKOFF) == 1
    assert {o.state for o in _outbox(services)} == {"sent"}
    assert _recipients(smtp.take()) == Counter(senders)  # each exactly once


def test_5xx_is_parked_shown_to_staff_and_sent_once_after_their_retry(make_services, smtp):
    services = make_services(_smtp(smtp), clock=lambda: T0)
    senders = _queue_acknowledgements(services, 3)
    smtp.fail_next("rcpt", 550)     # mailbox unknown
    assert _send(services) == 2
    smtp.fail_next("data", 554)     # refused after the whole message (content)
    _queue_acknowledgements(services, 1, seed=4)
    assert _send(services) == 0
    parked = [o for o in _outbox(services) if o.state == "parked"]
    assert [o.last_error[:7] for o in parked] == ["SMTP 55", "SMTP 55"]
    assert _send(services, timedelta(days=2)) == 0    # parked stays parked
    delivered = _recipients(smtp.take())
    assert sum(delivered.values()) == 2 and set(delivered) < set(senders)

    client = _staff_client(services)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Mail that could not be delivered" in page
    for item in parked:
        assert item.recipient in page and "SMTP 550" in page and "SMTP 554" in page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        assert client.post(f"/outbox/{item.id}/retry",
                           data={"csrf_token": token}).status_code == 302
    assert "Every mail was delivered" in client.get("/dashboard").get_data(as_text=True)
    # The dashboard's retry makes them due now, by the wall clock.
    assert _send(services, utcnow() - T0 + timedelta(seconds=1)) == 2
    assert _recipients(smtp.take()) == Counter(o.recipient for o in parked)


def _staff_client(services: Any) -> Any:
    from web import create_app
    from web.accounts import create_user

    with services.store.unit_of_work() as session:
        create_user(session, "dana", "dana-staff-password", "staff", utcnow())
    app = create_app(services.settings)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"name": "dana", "password": "dana-staff-password",
                                           "csrf_token": token})
    assert response.status_code == 302
    return client


def test_server_down_then_up_sends_everything_that_waited_once(make_services, smtp):
    down = free_port()  # nothing listens here
    services = make_services(_smtp(smtp, port=down), clock=lambda: T0)
    senders = _queue_acknowledgements(services, 4)
    assert _send(services) == 0
    rows = _outbox(services)
    # One connection attempt per pass, not one per queued mail; nothing lost. A dead server
    # is not the letter's fault: no attempt is counted, so a long outage parks nothing.
    assert [o.attempts for o in rows] == [0, 0, 0, 0]
    assert [o.state for o in rows] == ["pending"] * 4
    assert "unreachable" in rows[0].last_error and "ConnectionRefused" in rows[0].last_error
    for hours in range(1, 25):  # a day of outage, a pass an hour
        assert _send(services, timedelta(hours=hours)) == 0
    assert {(o.state, o.attempts) for o in _outbox(services)} == {("pending", 0)}
    up = dataclasses.replace(services, settings=dataclasses.replace(
        services.settings, outgoing=dataclasses.replace(services.settings.outgoing,
                                                         port=smtp.port)))
    assert _send(up, timedelta(hours=26)) == 4
    assert _recipients(smtp.take()) == Counter(senders)
    assert _send(up, timedelta(hours=27)) == 0


class RawServer:
    """A TCP server that speaks just enough SMTP to misbehave at one chosen moment."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.received: list[bytes] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            self.connections += 1
            self.open.append(conn)
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    @staticmethod
    def _reset(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # RST, not FIN

    def _talk(self, conn: socket.socket) -> None:
        if self.mode == "reset_on_connect":
            return self._reset(conn)
        if self.mode == "silent":
            return  # accepted, never a banner
        reader = conn.makefile("rb")
        conn.sendall(b"220 raw.example ESMTP\r\n")
        for line in reader:
            verb = line[:4].upper()
            if verb == b"DATA":
                if self.mode == "reset_at_data":
                    return self._reset(conn)
                conn.sendall(b"354 go ahead\r\n")
                body = b""
                for data_line in reader:
                    if data_line == b".\r\n":
                        break
                    body += data_line
                self.received.append(body)
                if self.mode == "reset_after_dot":
                    return self._reset(conn)
                return  # silent_after_dot: the reply never comes
            if verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return conn.close()
            conn.sendall(b"250 ok\r\n")
        return None

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()
        for conn in self.open:
            try:
                conn.close()
            except OSError:
                pass


@pytest.fixture
def raw_server():
    servers: list[RawServer] = []

    def start(mode: str) -> RawServer:
        servers.append(RawServer(mode))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.mark.parametrize("mode", ["reset_on_connect", "silent", "reset_at_data"])
def test_resets_and_stalls_before_the_message_is_complete_are_retried(
        make_services, smtp, raw_server, mode):
    bad = raw_server(mode)
    services = make_services(_smtp(smtp, port=bad.port, timeout=1), clock=lambda: T0)
    senders = _queue_acknowledgements(services, 2)
    assert _send(services) == 0
    rows = _outbox(services)
    # No session at all is the server's fault, not the letter's: no attempt is counted.
    # A reset in the middle of DATA counts one against the letter.
    assert {o.state for o in rows} == {"pending"}
    assert rows[0].attempts == (1 if mode == "reset_at_data" else 0)
    assert rows[0].last_error  # the reason is kept for staff
    assert bad.received == []
    good = dataclasses.replace(services, settings=dataclasses.replace(
        services.settings, outgoing=dataclasses.replace(services.settings.outgoing,
                                                         port=smtp.port)))
    assert _send(good, timedelta(hours=1)) == 2
    assert _recipients(smtp.take()) == Counter(senders)


@pytest.mark.parametrize("mode", ["silent_after_dot", "reset_after_dot"])
def test_no_answer_to_the_end_of_data_parks_the_mail_and_never_resends_it(
        make_services, smtp, raw_server, mode):
    """The server has the whole message and may have accepted it: sending it again could
    answer the requester twice, so it waits for staff (DESIGN.md: never two replies)."""
    bad = raw_server(mode)
    services = make_services(_smtp(smtp, port=bad.port, timeout=1), clock=lambda: T0)
    _queue_acknowledgements(services, 1)
    assert _send(services) == 0
    (row,) = _outbox(services)
    assert row.state == "parked" and row.last_error.startswith(IN_DOUBT)
    assert len(bad.received) == 1
    received = email.message_from_bytes(bad.received[0], policy=policy.default)
    assert str(received["Message-ID"]).strip() == row.message_id
    good = dataclasses.replace(services, settings=dataclasses.replace(
        services.settings, outgoing=dataclasses.replace(services.settings.outgoing,
                                                         port=smtp.port)))
    assert _send(good, timedelta(days=1)) == 0
    assert smtp.take() == []
