"""Logging in and out: Flask-Login sessions over staff accounts, with throttled failures."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.wrappers import Response

from dsr.tickets import StaffUser
from web import context
from web.accounts import StaffAccount, account_of, authenticate
from web.ratelimit import LoginThrottle

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


class StaffLogin(UserMixin):  # type: ignore[misc]
    """The Flask-Login user: a staff account detached from the database session."""

    def __init__(self, account: StaffAccount) -> None:
        self.account = account
        self.name = account.name
        self.role = account.role
        self.is_admin = account.is_admin

    def get_id(self) -> str:
        return f"{self.account.id}:{self.account.session_key}"


def init_login(app: Flask) -> LoginManager:
    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.login_message = "Please log in to see this page."
    manager.login_message_category = "info"
    app.extensions["rightsbot_throttle"] = LoginThrottle(context.store)

    def load_user(user_id: str) -> StaffLogin | None:
        number, _, key = user_id.partition(":")
        if not number.isdigit():
            return None
        with context.store().unit_of_work() as db:
            user = db.get(StaffUser, int(number))
            if user is None or not user.active:
                return None
            account = account_of(user)
        return StaffLogin(account) if account.session_key == key else None

    manager.user_loader(load_user)
    return manager


def _safe_next(target: str | None) -> str:
    """Only a path on this site: `next` must never send someone elsewhere (open redirect)."""
    if target:
        parts = urlsplit(target)
        if (not parts.scheme and not parts.netloc and target.startswith("/")
                and not target.startswith("//") and "\\" not in target):
            return target
    return url_for("triage.queue")


def _throttle() -> LoginThrottle:
    throttle: LoginThrottle = current_app.extensions["rightsbot_throttle"]
    return throttle


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    if request.method == "GET":
        return render_template("login.html", name="")
    name = request.form.get("name", "").strip()[:100]
    password = request.form.get("password", "")
    address = request.remote_addr or "unknown"
    throttle = _throttle()
    if throttle.is_blocked(name, address):
        log.warning("login throttled address=%s", address)
        return render_template("login.html", name=name, throttled=True), 429
    with context.store().unit_of_work() as db:
        user = authenticate(db, name, password, context.now())
        account = account_of(user) if user else None
    if account is None:
        throttle.record_failure(name, address)
        log.warning("login failed address=%s", address)
        flash("That name and password do not match an active account.", "error")
        return render_template("login.html", name=name), 401
    throttle.record_success(name, address)
    session.clear()  # a fresh session for the logged-in person (no fixation)
    login_user(StaffLogin(account))
    session.permanent = True
    log.info("login user=%s", account.name)
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    session.clear()
    flash("You have logged out.", "info")
    return redirect(url_for("auth.login"))
