"""Admin pages: staff accounts and the running settings with secrets redacted."""

from __future__ import annotations

import dataclasses

from conftest import StaffClient
from sqlalchemy import select

from dsr.store import Store
from dsr.tickets import StaffUser, TicketEvent
from web import create_app


def test_admin_adds_a_user_who_can_then_log_in(admin, anonymous, store):
    response = admin.post("/admin/users", {"name": "bea", "role": "staff",
                                           "password": "bea-long-password"})
    assert response.status_code == 302
    assert "Added bea" in admin.get("/admin/users").get_data(as_text=True)
    with store.unit_of_work() as session:
        user = session.execute(select(StaffUser).where(StaffUser.name == "bea")).scalar_one()
        assert user.password_hash.startswith("$argon2id$")
        assert "bea-long-password" not in user.password_hash
        event = session.execute(select(TicketEvent).order_by(TicketEvent.id.desc())).scalars(
        ).first()
        assert (event.kind, event.actor, event.detail) == ("staff_user_added", "root",
                                                           {"name": "bea", "role": "staff"})
    assert anonymous.post("/login", {"name": "bea", "password": "bea-long-password"}
                          ).status_code == 302


def test_weak_or_duplicate_users_are_refused(admin):
    admin.post("/admin/users", {"name": "bea", "role": "staff", "password": "short"})
    assert "at least 10 characters" in admin.get("/admin/users").get_data(as_text=True)
    admin.post("/admin/users", {"name": "alice", "role": "staff", "password": "x" * 12})
    assert "already a user called" in admin.get("/admin/users").get_data(as_text=True)
    admin.post("/admin/users", {"name": "eve", "role": "owner", "password": "x" * 12})
    assert "role must be one of" in admin.get("/admin/users").get_data(as_text=True)


def test_admin_cannot_lock_themselves_out(admin, store):
    with store.unit_of_work() as session:
        root_id = session.execute(select(StaffUser.id).where(StaffUser.name == "root")
                                  ).scalar_one()
    admin.post(f"/admin/users/{root_id}/active", {"active": "0"})
    assert "cannot change that account" in admin.get("/admin/users").get_data(as_text=True)
    assert admin.get("/admin/users").status_code == 200


def test_settings_page_hides_every_secret(settings):
    secret_settings = dataclasses.replace(  # fake secrets, to prove none is shown
        settings,
        web=dataclasses.replace(settings.web, secret_key="web-secret-value"),  # noqa: S106
        inbox=dataclasses.replace(settings.inbox, password="imap-secret-value",  # noqa: S106
                                  password_command="pass show imap-secret-command"),  # noqa: S106
        outgoing=dataclasses.replace(settings.outgoing, password="smtp-secret-value"),  # noqa: S106
        database=dataclasses.replace(
            settings.database, url="postgresql+psycopg://bot:db-secret-value@db.example/rb"),
    )
    app = create_app(secret_settings)
    app.testing = True
    # Nothing listens at that database URL: the app works on the test database instead.
    test_store = Store(settings.database.url)
    app.extensions["rightsbot_store"] = test_store
    admin = StaffClient(app.test_client()).login("root")

    page = admin.get("/admin/settings").get_data(as_text=True)
    test_store.dispose()

    for secret in ("web-secret-value", "imap-secret-value", "imap-secret-command",
                   "smtp-secret-value", "db-secret-value"):
        assert secret not in page
    assert "postgresql+psycopg://bot:***@db.example/rb" in page
    assert "Harbourline Customs" in page
    assert page.count("(set, hidden)") >= 4

