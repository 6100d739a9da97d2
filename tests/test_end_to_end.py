"""Mail in, ticket opened, acknowledgement out: IMAP, Maildir and the MTA pipe (issue 2)."""

from __future__ import annotations

import email
import json
import shutil
import subprocess
import sys
from email import policy
from pathlib import Path

from conftest import MESSAGES, store_for, write_config
from sqlalchemy import func, select

from dsr.tickets import Disposition, MailMessage, OutboxItem, Ticket

FIVE = ("access_request_en.eml", "erasure_request_nl.eml", "newsletter.eml", "bounce_dsn.eml",
        "auto_reply_ooo.eml")
REQUEST_IDS = {"<CAF1x9q-access-okafor@mail.example.com>": ("en", "m.okafor@example.com"),
               "<20261123100245.visser@example.nl>": ("nl", "anouk.visser@example.nl")}


def _tickets(config: Path) -> list[Ticket]:
    with store_for(config).unit_of_work() as session:
        tickets = list(session.execute(select(Ticket).order_by(Ticket.id)).scalars())
        for t in tickets:
            _ = t.kinds
        return tickets


def _count(config: Path, model: type) -> int:
    with store_for(config).unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _check_acknowledgements(raw_messages: list[bytes], tickets: list[Ticket]) -> None:
    refs = {t.requester_email: t.ref for t in tickets}
    seen = set()
    for raw in raw_messages:
        msg = email.message_from_bytes(raw, policy=policy.default)
        language, requester = REQUEST_IDS[msg["In-Reply-To"]]
        assert msg["To"].addresses[0].addr_spec == requester
        assert msg["Content-Language"] == language
        assert f"[{refs[requester]}]" in msg["Subject"]
        assert msg["Auto-Submitted"] == "auto-replied"
        assert msg["In-Reply-To"] in msg["References"]
        body = msg.get_body(("plain",)).get_content()
        assert refs[requester] in body
        assert ("Wij hebben" in msg["Subject"]) == (language == "nl")
        seen.add(requester)
    assert seen == {"m.okafor@example.com", "anouk.visser@example.nl"}


def test_imap_poll_opens_two_tickets_and_answers_only_requests(imap_account, imap_config, smtp,
                                                               cli, database_url, monkeypatch):
    monkeypatch.setenv("RIGHTSBOT_DATABASE__URL", database_url)  # SQLite and PostgreSQL
    imap_account.deliver(*FIVE)

    assert cli(imap_config, "poll", "--once") == 0

    tickets = _tickets(imap_config)
    assert sorted(t.kinds[0] for t in tickets) == ["access", "erasure"]
    assert {t.language for t in tickets} == {"en", "nl"}
    assert all(t.ref.startswith("DSR-2026-") for t in tickets)
    envelopes = smtp.take()
    assert len(envelopes) == 2
    _check_acknowledgements([e.content for e in envelopes], tickets)
    # Nothing was marked read: staff still see all five as new.
    assert all(b"\\Seen" not in f for f in imap_account.flags().values())
    assert len(imap_account.flags()) == 5
    with store_for(imap_config).unit_of_work() as session:
        ignored = session.execute(select(MailMessage.reason).where(
            MailMessage.disposition == Disposition.IGNORED.value)).scalars().all()
    assert sorted(ignored) == ["auto_reply", "bounce", "list"]

    # A second pass changes nothing: no new ticket, no second mail, nothing re-recorded.
    assert cli(imap_config, "poll", "--once") == 0
    assert len(_tickets(imap_config)) == 2
    assert smtp.take() == []
    assert _count(imap_config, MailMessage) == 5
    assert _count(imap_config, OutboxItem) == 2


def test_maildir_flow_writes_acknowledgements_to_the_outbox_folder(tmp_path, cli):
    config = write_config(tmp_path, {})
    assert cli(config, "init") == 0
    for name in FIVE:
        shutil.copy(MESSAGES / name, tmp_path / "mail" / "new" / name)

    assert cli(config, "poll", "--once") == 0

    tickets = _tickets(config)
    assert len(tickets) == 2
    written = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(written) == 2
    _check_acknowledgements([p.read_bytes() for p in written], tickets)
    # Handled messages move new/ -> cur/ without the Seen flag, as a mail reader would.
    assert list((tmp_path / "mail" / "new").iterdir()) == []
    assert all(p.name.endswith(":2,") for p in (tmp_path / "mail" / "cur").iterdir())

    assert cli(config, "poll", "--once") == 0
    assert len(_tickets(config)) == 2
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


def _ingest(config: Path, data: bytes, *extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "rightsbot", "--config", str(config), "ingest",
                           *extra, "-"], input=data, capture_output=True, timeout=120)


def test_pipe_ingest_on_stdin(tmp_path, smtp):
    config = write_config(tmp_path, {"outgoing": {"kind": "smtp", "host": smtp.host,
                                                  "port": smtp.port, "security": "none"}})
    for name in FIVE:
        done = _ingest(config, (MESSAGES / name).read_bytes())
        assert done.returncode == 0, done.stderr.decode()
    tickets = _tickets(config)
    assert len(tickets) == 2
    envelopes = smtp.take()
    assert len(envelopes) == 2
    _check_acknowledgements([e.content for e in envelopes], tickets)
    # The MTA retrying the same delivery is harmless.
    assert _ingest(config, (MESSAGES / FIVE[0]).read_bytes()).returncode == 0
    assert len(_tickets(config)) == 2
    assert smtp.take() == []


def test_ingest_backlog_uses_the_given_receipt_time(tmp_path):
    config = write_config(tmp_path, {})
    done = _ingest(config, (MESSAGES / "access_request_en.eml").read_bytes(),
                   "--received", "2026-01-31T09:00:00+00:00")
    assert done.returncode == 0, done.stderr.decode()
    (ticket,) = _tickets(config)
    assert ticket.received_at.isoformat() == "2026-01-31T09:00:00"
    # 31 January + one month = 28 February 2026, a Saturday -> Monday 2 March (UK policy).
    assert ticket.due_on.isoformat() == "2026-03-02"


def test_ingest_exits_tempfail_when_it_cannot_store(tmp_path):
    """A database that cannot be reached must make the MTA keep the mail and retry (75)."""
    from servers.real import free_port

    config = write_config(tmp_path, {"database": {
        "url": f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/rightsbot"}})
    done = _ingest(config, (MESSAGES / "access_request_en.eml").read_bytes())
    assert done.returncode == 75
    assert b"database" in done.stderr.lower()


def test_garbage_is_kept_logged_and_does_not_stop_the_batch(imap_account, imap_config, smtp,
                                                           cli, caplog):
    # (An empty message cannot be APPENDed; the pipe test below covers the empty file.)
    imap_account.deliver("not_mime.bin", "broken_charset_erasure_nl.eml", "access_request_en.eml")
    assert cli(imap_config, "poll", "--once") == 0

    with store_for(imap_config).unit_of_work() as session:
        rows = session.execute(select(MailMessage).order_by(MailMessage.id)).scalars().all()
        outcomes = [(r.disposition, r.reason, len(r.raw), r.size) for r in rows]
    dispositions = [o[0] for o in outcomes]
    assert dispositions.count("unusable") >= 1
    assert dispositions.count("opened") == 2          # the broken-charset request and the EN one
    assert all(raw_len == size for _, _, raw_len, size in outcomes)   # raw bytes kept
    assert "disposition=unusable" in caplog.text
    assert len(smtp.take()) == 2
    kinds = sorted(k for t in _tickets(imap_config) for k in t.kinds)
    assert "erasure" in kinds and "access" in kinds


def test_empty_and_non_mime_input_through_the_pipe(tmp_path):
    config = write_config(tmp_path, {})
    for name in ("empty.eml", "not_mime.bin"):
        done = _ingest(config, (MESSAGES / name).read_bytes())
        assert done.returncode == 0, done.stderr.decode()
        assert b"disposition=unusable" in done.stderr
    with store_for(config).unit_of_work() as session:
        sizes = session.execute(select(MailMessage.size, MailMessage.disposition)).all()
    assert sorted(sizes) == [(0, "unusable"), ((MESSAGES / "not_mime.bin").stat().st_size,
                                               "unusable")]


def test_a_failing_step_quarantines_one_message_and_the_batch_goes_on(imap_account, tmp_path,
                                                                       smtp, cli):
    """A broken English template makes the EN acknowledgement fail; the NL request still works."""
    broken = tmp_path / "templates" / "en"
    broken.mkdir(parents=True)
    (broken / "acknowledgement.txt.j2").write_text("Subject: x\n{{ no_such_value }}\n")
    config = write_config(tmp_path, {
        "organisation": {"template_dir": str(tmp_path / "templates")},
        "inbox": {"kind": "imap", "host": imap_account.host, "port": imap_account.port,
                  "security": "none", "user": imap_account.user, "password": "secret"},
        "outgoing": {"kind": "smtp", "host": smtp.host, "port": smtp.port, "security": "none"},
    })
    imap_account.deliver("access_request_en.eml", "erasure_request_nl.eml")
    assert cli(config, "poll", "--once") == 0
    with store_for(config).unit_of_work() as session:
        rows = session.execute(select(MailMessage.disposition, MailMessage.error)
                               .order_by(MailMessage.id)).all()
    assert rows[0][0] == "failed" and "no_such_value" in rows[0][1]
    assert rows[1][0] == "opened"
    assert len(smtp.take()) == 1
    # Quarantined messages are not retried by every pass (they would fail the same way).
    assert cli(config, "poll", "--once") == 0
    assert _count(config, MailMessage) == 2


def test_tickets_json_lists_what_was_opened(tmp_path, cli, capsys):
    config = write_config(tmp_path, {})
    assert cli(config, "init") == 0
    shutil.copy(MESSAGES / "erasure_request_nl.eml", tmp_path / "mail" / "new" / "x.eml")
    assert cli(config, "poll", "--once") == 0
    capsys.readouterr()
    assert cli(config, "tickets", "--json") == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["rights"] == ["erasure"] and row["language"] == "nl"
    assert row["requester"] == "anouk.visser@example.nl"
    assert set(row) >= {"reference", "state", "rights", "requester", "language", "received",
                        "deadline"}


def test_a_backlog_import_of_many_files_shows_progress(tmp_path, cli, capsys):
    config = write_config(tmp_path, {})
    assert cli(config, "init") == 0
    files = [str(MESSAGES / name) for name in FIVE]
    assert cli(config, "ingest", "--received", "2026-11-02T09:00:00Z", *files) == 0
    progress = [line for line in capsys.readouterr().err.splitlines()
                if line.startswith("ingest: ")]
    assert progress[-1].startswith("ingest: 5/5 (")
    assert "ignored=3" in progress[-1] and "opened=2" in progress[-1]  # list, bounce, OOO
    assert {t.received_at.isoformat() for t in _tickets(config)} == {"2026-11-02T09:00:00"}
