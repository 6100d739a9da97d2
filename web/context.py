"""What every view needs from the application: the settings, the store, the clock, the actor."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import cast

from flask import current_app
from flask_login import current_user

from dsr.config import Settings
from dsr.store import Store, utcnow

_store_lock = threading.Lock()


def settings() -> Settings:
    return cast(Settings, current_app.config["RIGHTSBOT_SETTINGS"])


def store() -> Store:
    """The app's Store, made on first use (creating the app touches no database)."""
    extensions = current_app.extensions
    with _store_lock:
        if "rightsbot_store" not in extensions:
            extensions["rightsbot_store"] = Store(settings().database.url)
    return cast(Store, extensions["rightsbot_store"])


def now() -> datetime:
    """Naive UTC, as everything is stored."""
    return utcnow()


def actor() -> str:
    """The logged-in staff member's name, for audit events."""
    return str(current_user.name)
