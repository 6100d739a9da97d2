"""The staff view: `create_app(settings)` builds the Flask application."""

from __future__ import annotations

import importlib
import logging

from flask import Blueprint, Flask, render_template

from dsr.config import Settings
from web import filters, security

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """The staff web view for `settings`; creating it opens no database connection."""
    settings = settings or Settings()
    app = Flask(__name__)
    app.config["RIGHTSBOT_SETTINGS"] = settings
    app.jinja_env.autoescape = True  # every template, whatever its extension
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    filters.register(app)

    from web import actions, admin, auth, compose, dashboard, register, triage

    login_manager = auth.init_login(app)
    public = []
    verify = _requester_blueprint()
    if verify is not None:
        app.register_blueprint(verify)
        public.append(verify.name)
    security.configure(app, settings, login_manager, public)
    for blueprint in (auth.bp, triage.bp, actions.bp, compose.bp, dashboard.bp, register.bp,
                      admin.bp):
        app.register_blueprint(blueprint)

    @app.get("/healthz")
    def healthz() -> tuple[str, int, dict[str, str]]:
        """For the process supervisor: 503 when the database cannot be reached. Mailbox
        problems are counted, not failed on (a restart does not mend a refused login);
        their details are for logged-in staff only, on the dashboard."""
        from sqlalchemy import text

        from dsr import health
        from dsr.errors import DatabaseUnavailable
        from dsr.store import utcnow
        from web import context

        plain = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
        labels = settings.watched
        try:
            with context.store().unit_of_work() as db:
                db.execute(text("SELECT 1"))
                now = utcnow()
                alerts = sum(len(found) for _, found in health.current_alerts(
                    db, labels, settings.health, now))
                alerts += health.outbox_alert(db, settings.health, now) is not None
        except DatabaseUnavailable:
            return "database unavailable\n", 503, plain
        extra = f"alerts: {alerts}\n" if alerts else ""
        return "ok\n" + extra, 200, plain

    if settings.web.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.web.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,  # type: ignore[method-assign]
                                x_host=hops)

    for code, title, message in (
        (403, "Not allowed", "Your account cannot open this page."),
        (404, "Not found", "There is nothing at this address."),
        (405, "Not allowed", "This page cannot be used that way."),
        (413, "Too large", "That form was too large."),
        (500, "Something went wrong", "The error has been logged. Please try again."),
    ):
        app.register_error_handler(code, _error_page(code, title, message))
    return app


def _requester_blueprint() -> Blueprint | None:
    """web/verify.py (the requester's confirmation page) when it exists: it needs no login."""
    try:
        module = importlib.import_module("web.verify")
    except ModuleNotFoundError as exc:
        if exc.name != "web.verify":
            raise
        return None
    found = [v for v in vars(module).values() if isinstance(v, Blueprint)]
    return found[0] if found else None


def _error_page(code: int, title: str, message: str):  # type: ignore[no-untyped-def]
    def handle(_error: Exception) -> tuple[str, int]:
        return render_template("error.html", title=title, message=message), code

    return handle
