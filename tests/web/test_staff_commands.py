"""`rightsbot users add/list` and `rightsbot feedback export`, through the real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from dsr.tickets import StaffUser


def _rightsbot(config: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "rightsbot", "--config", str(config), *args],
                          input=stdin, capture_output=True, timeout=60)


def test_users_add_reads_the_password_from_stdin_and_stores_an_argon2_hash(settings, store,
                                                                           anonymous):
    done = _rightsbot(Path(settings.source), "users", "add", "bea", "--role", "admin",
                      stdin=b"a-long-enough-password\n")
    assert done.returncode == 0, done.stderr.decode()
    assert b"added admin bea" in done.stdout
    with store.unit_of_work() as session:
        user = session.execute(select(StaffUser).where(StaffUser.name == "bea")).scalar_one()
        assert (user.role, user.active) == ("admin", True)
        assert user.password_hash.startswith("$argon2id$")
    assert anonymous.post("/login", {"name": "bea", "password": "a-long-enough-password"}
                          ).status_code == 302


def _read_until(fd: int, seen: bytearray, token: bytes, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while token not in seen and time.monotonic() < deadline:
        try:
            seen.extend(os.read(fd, 1024))
        except OSError:  # the child closed the terminal
            return


def test_users_add_on_a_terminal_asks_for_the_password_twice(settings, store):
    controller, terminal = os.openpty()
    # A new session: the child has this terminal as stdin, never the developer's own tty.
    child = subprocess.Popen([sys.executable, "-m", "rightsbot", "--config", settings.source,
                              "users", "add", "cleo"], stdin=terminal, stdout=terminal,
                             stderr=terminal, start_new_session=True)
    os.close(terminal)
    seen = bytearray()
    try:
        _read_until(controller, seen, b"Password:")
        os.write(controller, b"cleo-long-password\n")
        _read_until(controller, seen, b"Again:")
        os.write(controller, b"cleo-long-password\n")
        _read_until(controller, seen, b"added staff cleo")
        assert child.wait(timeout=30) == 0, seen.decode(errors="replace")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(controller)
    with store.unit_of_work() as session:
        assert session.execute(select(StaffUser.role).where(StaffUser.name == "cleo")
                               ).scalar_one() == "staff"


def test_users_add_refuses_a_short_password_or_a_taken_name(settings):
    config = Path(settings.source)
    done = _rightsbot(config, "users", "add", "bea", stdin=b"short\n")
    assert done.returncode == 64 and b"at least 10 characters" in done.stderr
    done = _rightsbot(config, "users", "add", "alice", stdin=b"a-long-enough-password\n")
    assert done.returncode == 64 and b"already a user called 'alice'" in done.stderr


def test_users_list_shows_roles_and_last_login(settings, cli, capsys, staff):
    assert cli(Path(settings.source), "users", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["alice", "staff", "active"]
    assert "never" not in lines[0]          # alice logged in through the staff fixture
    assert lines[1].split()[:3] == ["root", "admin", "active"]
    assert lines[1].endswith("never")


def test_feedback_export_writes_corrections_as_training_examples(settings, cli, staff,
                                                                open_ticket, tmp_path):
    relabelled = open_ticket("erasure_request_nl.eml", kinds=("access",), language="nl")
    open_ticket(kinds=("access",))  # never corrected: not exported
    url = f"/tickets/{relabelled.ref}/labels"
    staff.post(url, {"rights": ["access", "objection"]})
    staff.post(url, {"rights": ["erasure"]})  # the latest correction is the truth
    output = tmp_path / "feedback.jsonl"

    assert cli(Path(settings.source), "feedback", "export", "--output", str(output)) == 0

    (line,) = output.read_text(encoding="utf-8").splitlines()
    example = json.loads(line)
    assert set(example) == {"id", "lang", "subject", "body", "labels"}
    assert example["id"] == f"feedback-{relabelled.ref}"
    assert (example["lang"], example["labels"]) == ("nl", ["erasure"])
    assert example["subject"] == "Verwijderen van mijn gegevens"
    assert "al mijn persoonsgegevens" in example["body"]
    assert "één keer" in example["body"]
