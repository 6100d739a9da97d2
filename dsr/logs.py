"""Logging set-up: one line per event on stderr, identifiers only, never bodies."""

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Send log records to stderr once per entry point."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_rightsbot", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler._rightsbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Third-party libraries are chatty at INFO and may log addresses; keep them at WARNING.
    for noisy in ("imapclient", "apscheduler", "waitress", "werkzeug", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
