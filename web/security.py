"""Browser-facing protections: cookie flags, CSRF, security headers, login everywhere.

Every page needs a logged-in user except the few named in PUBLIC_ENDPOINTS and the
requester-facing blueprints passed to `require_login`; admin pages add `require_admin`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta

from flask import Flask, Response, abort, render_template, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from dsr.config import Settings

log = logging.getLogger(__name__)
csrf = CSRFProtect()

# No inline scripts or styles anywhere: all CSS comes from /static, and there is no script.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: Flask-WTF checks the Referer of HTTPS form posts.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
PUBLIC_ENDPOINTS = frozenset({"auth.login", "healthz", "static"})


def is_https(settings: Settings) -> bool:
    return settings.web.base_url.lower().startswith("https://")


def configure(app: Flask, settings: Settings, login_manager: LoginManager,
              public_blueprints: Iterable[str] = ()) -> None:
    """Secret key, cookie flags, login everywhere, CSRF and the response headers."""
    secret = settings.web.secret_key
    if not secret:
        # Safe but forgetful: sessions end when the process restarts.
        log.warning("web.secret_key is not set: using a random key for this process only")
        secret = secrets.token_urlsafe(32)
    https = is_https(settings)
    app.config.update(
        SECRET_KEY=secret,
        SESSION_COOKIE_NAME="rightsbot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        PREFERRED_URL_SCHEME="https" if https else "http",
        MAX_CONTENT_LENGTH=1_000_000,
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        SESSION_PROTECTION="strong",
    )
    # Login first, CSRF second: an anonymous post is sent to /login, not answered with 400.
    _require_login(app, login_manager, public_blueprints)
    csrf.init_app(app)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if https:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static":
            # Pages carry requesters' personal data: never keep them in a cache.
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        return render_template("error.html", title="The form had expired",
                               message="Please go back, reload the page and try again."), 400


def _require_login(app: Flask, login_manager: LoginManager,
                   public_blueprints: Iterable[str]) -> None:
    """Send anyone not logged in to /login, on every endpoint that is not public."""
    public = frozenset(public_blueprints)

    @app.before_request
    def check_login() -> Response | None:
        if request.endpoint in PUBLIC_ENDPOINTS or request.blueprint in public:
            return None
        if current_user.is_authenticated:
            return None
        return login_manager.unauthorized()  # type: ignore[no-any-return]


def require_admin() -> None:
    """A blueprint's before_request: staff without the admin role get 403."""
    if not (current_user.is_authenticated and current_user.is_admin):
        abort(403)
