"""The staff view: `create_app(settings)` builds the Flask application."""

from __future__ import annotations

from flask import Flask

from dsr.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings()
    app = Flask(__name__)
    app.config["RIGHTSBOT_SETTINGS"] = settings

    @app.get("/")
    def index() -> tuple[str, int, dict[str, str]]:
        body = ("<!doctype html><html lang=en><meta charset=utf-8><title>rightsbot</title>"
                "<h1>rightsbot</h1><p>The bot is running. The staff view comes here.</p>")
        return body, 200, {"Content-Type": "text/html; charset=utf-8"}

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok\n", 200

    return app
