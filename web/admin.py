"""Admin-only pages: staff accounts, and the running settings with every secret redacted."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from werkzeug.wrappers import Response

from dsr import casework
from dsr.config import SECTIONS, Settings
from dsr.tickets import StaffUser
from web import context
from web.accounts import ROLES, AccountError, create_user, list_users
from web.security import require_admin

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_admin)
SECRET_KEY_NAMES = re.compile(r"password|secret|token|_command$|credential", re.IGNORECASE)
REDACTED = "•••• (set, hidden)"


@bp.get("/users")
def users() -> str:
    with context.store().unit_of_work() as db:
        rows = [{"id": u.id, "name": u.name, "role": u.role, "active": u.active,
                 "created_at": u.created_at, "last_login_at": u.last_login_at}
                for u in list_users(db)]
    return render_template("admin_users.html", users=rows, roles=ROLES)


@bp.post("/users")
def add_user() -> Response:
    name = request.form.get("name", "")
    try:
        with context.store().unit_of_work() as db:
            user = create_user(db, name, request.form.get("password", ""),
                               request.form.get("role", ""), context.now())
            casework.add_event(db, None, "staff_user_added", context.now(), context.actor(),
                               {"name": user.name, "role": user.role})
    except AccountError as problem:
        flash(f"No user was added: {problem}.", "error")
    else:
        flash(f"Added {name.strip()}.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int) -> Response:
    active = request.form.get("active") == "1"
    with context.store().unit_of_work() as db:
        user = db.get(StaffUser, user_id)
        if user is None or user.name == context.actor():
            flash("You cannot change that account here.", "error")
            return redirect(url_for("admin.users"))
        user.active = active
        casework.add_event(db, None, "staff_user_activated" if active else "staff_user_deactivated",
                           context.now(), context.actor(), {"name": user.name})
        name = user.name
    flash(f"{name} can {'now' if active else 'no longer'} log in.", "success")
    return redirect(url_for("admin.users"))


def redacted_settings(settings: Settings) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every section and key; passwords, keys, commands and URL passwords hidden."""
    out = []
    for section in SECTIONS:
        values = dataclasses.asdict(getattr(settings, section))
        out.append((section, [(key, _shown(section, key, value))
                              for key, value in values.items()]))
    out.append(("general", [("log_level", settings.log_level), ("source", settings.source)]))
    return out


def _shown(section: str, key: str, value: Any) -> str:
    if SECRET_KEY_NAMES.search(key):
        return REDACTED if value else "(not set)"
    if section == "database" and key == "url":
        try:
            return make_url(str(value)).render_as_string(hide_password=True)
        except ArgumentError:
            return REDACTED
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or "(none)"
    return str(value) if value not in ("", None) else "(not set)"


@bp.get("/settings")
def settings_view() -> str:
    return render_template("admin_settings.html", sections=redacted_settings(context.settings()))
