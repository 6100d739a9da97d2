"""Jinja filters: dates, sizes, plain-words labels, and evidence highlighting.

`highlight` is the one place that builds markup from mail text: every piece of the text is
escaped first, and only our own <mark> tags are added around the matched phrases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

STATE_LABELS = {
    "received": "Received", "needs_triage": "Needs triage",
    "awaiting_identity": "Awaiting identity", "in_progress": "In progress",
    "extended": "Extended", "completed": "Completed", "refused": "Refused",
    "withdrawn": "Withdrawn", "not_a_request": "Not a request",
}
RIGHT_LABELS = {
    "access": "Access", "rectification": "Rectification", "erasure": "Erasure",
    "objection": "Objection", "restriction": "Restriction", "withdrawal": "Consent withdrawn",
    "portability": "Portability", "complaint": "Complaint",
}
LANGUAGE_LABELS = {"en": "English", "nl": "Dutch", "de": "German", "fr": "French"}
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class Urgency:
    """Days left in words and a CSS class; the words carry the meaning, the colour helps."""

    text: str
    level: str  # overdue | soon | ok | paused


def urgency(days: int, paused: bool = False) -> Urgency:
    if paused:
        return Urgency(f"Clock paused ({_days(days)} left)", "paused")
    if days < 0:
        return Urgency(f"Overdue by {_days(-days)}", "overdue")
    if days == 0:
        return Urgency("Due today", "soon")
    if days <= DUE_SOON_DAYS:
        return Urgency(f"Due soon: {_days(days)} left", "soon")
    return Urgency(f"{_days(days)} left", "ok")


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def when(value: datetime | None) -> str:
    return value.strftime("%d %b %Y %H:%M UTC") if value else "—"


def day(value: date | datetime | None) -> str:
    return value.strftime("%a %d %b %Y") if value else "—"


def short_day(value: date | datetime | None) -> str:
    return value.strftime("%d %b %Y") if value else "—"


def filesize(size: Any) -> str:
    try:
        number = float(size)
    except (TypeError, ValueError):
        return "unknown size"
    for unit in ("bytes", "KB", "MB"):
        if number < 1024 or unit == "MB":
            return f"{number:.0f} {unit}" if unit == "bytes" else f"{number:.1f} {unit}"
        number /= 1024
    return f"{number:.1f} GB"  # pragma: no cover


def highlight(text: str, phrases: Iterable[str]) -> Markup:
    """`text` escaped, with each evidence phrase (case-insensitive) wrapped in <mark>."""
    spans: list[tuple[int, int]] = []
    for phrase in sorted({p.strip() for p in phrases if p and p.strip()}, key=len, reverse=True):
        # Mail wraps lines: any run of whitespace in the text matches a space in the phrase.
        pattern = r"\s+".join(re.escape(word) for word in phrase.split())
        for found in re.finditer(pattern, text, flags=re.IGNORECASE):
            start, end = found.span()
            if all(end <= s or start >= e for s, e in spans):
                spans.append((start, end))
    out: list[str] = []
    position = 0
    for start, end in sorted(spans):
        out.append(str(escape(text[position:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    out.append(str(escape(text[position:])))
    return Markup("".join(out))  # noqa: S704 - every piece of mail text above went through escape()


def describe(value: Any) -> str:
    """A JSON value from an event or signal as short plain text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(describe(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {describe(v)}" for k, v in value.items()) or "—"
    if value is None or value == "":
        return "—"
    return str(value)


def humanise(key: str) -> str:
    return key.replace("_", " ").capitalize()


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        when=when, day=day, short_day=short_day, filesize=filesize, highlight=highlight,
        describe=describe, humanise=humanise,
        state_label=lambda s: STATE_LABELS.get(s, humanise(str(s))),
        right_label=lambda r: RIGHT_LABELS.get(r, humanise(str(r))),
        language_label=lambda lang: LANGUAGE_LABELS.get(lang, lang or "—"),
    )
    app.jinja_env.globals.update(urgency=urgency)
