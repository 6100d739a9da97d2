"""One typed Settings object, read from rightsbot.toml and RIGHTSBOT_* environment variables.

`load_settings(path, environ)` is the only way in: every entry point calls it once and passes
the parts down. A wrong, unknown or missing key fails at start with the key and the file named.
"""

from __future__ import annotations

import dataclasses
import shlex
import subprocess
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dsr.errors import ConfigError

ENV_PREFIX = "RIGHTSBOT_"
OUTGOING = "outgoing"  # the health name of the SMTP connection


@dataclass(frozen=True)
class OrganisationSettings:
    name: str = "Example Ltd"
    reply_from: str = "info@example.org"
    reply_name: str = "Example Ltd privacy team"
    # Other addresses that are us: mail from them is never answered (loop guard).
    own_addresses: tuple[str, ...] = ()
    regulator_name: str = "the Information Commissioner's Office (ICO)"
    regulator_url: str = "https://ico.org.uk/make-a-complaint/"
    staff_address: str = ""
    # A folder whose <lang>/<kind>.txt.j2 files override the shipped reply templates.
    template_dir: str = ""


@dataclass(frozen=True)
class InboxSettings:
    # Shown to staff and used in alerts; required and unique with [[mailboxes]].
    name: str = "inbox"
    kind: Literal["maildir", "imap"] = "maildir"
    path: Path = Path("var/mail")
    host: str = ""
    port: int = 993
    security: Literal["ssl", "starttls", "none"] = "ssl"
    user: str = ""
    password: str = ""
    password_command: str = ""
    folder: str = "INBOX"
    idle: bool = True
    poll_interval: int = 60
    batch_size: int = 200
    timeout: float = 30.0
    # Certificates are always verified; ca_file adds a private CA (it does not switch it off).
    ca_file: str = ""
    # "xoauth2" (Microsoft 365, Gmail): token_command prints an access token, or JSON with
    # access_token, expires_in and refresh_token_expires_at; run again when it expires.
    auth: Literal["password", "xoauth2"] = "password"
    token_command: str = ""
    # Replies to mail from this mailbox come from this address (default organisation.reply_from).
    reply_from: str = ""
    reply_name: str = ""
    # "classify": the classifier decides; "all_requests": a dedicated privacy address, where
    # nothing the classifier doubts is dropped: every screened-in mail is at least triaged.
    policy: Literal["classify", "all_requests"] = "classify"
    # Deadline calendar for tickets from this mailbox (default [deadlines].policy).
    deadline_policy: Literal["", "uk", "eu", "nl"] = ""


@dataclass(frozen=True)
class OutgoingSettings:
    kind: Literal["folder", "smtp"] = "folder"
    path: Path = Path("var/outbox")
    host: str = ""
    port: int = 587
    security: Literal["ssl", "starttls", "none"] = "starttls"
    user: str = ""
    password: str = ""
    password_command: str = ""
    timeout: float = 30.0
    ca_file: str = ""
    auth: Literal["password", "xoauth2"] = "password"
    token_command: str = ""
    # The sender checks the outbox this often (seconds): an acknowledgement leaves within it.
    send_interval: int = 1
    max_attempts: int = 10
    # At most this many automatic mails to one address per day: no loop can run away.
    per_recipient_daily_limit: int = 5


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/rightsbot.sqlite3"


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8025
    secret_key: str = ""
    secret_key_command: str = ""
    base_url: str = ""
    # How many reverse proxies in front set X-Forwarded-For/-Proto/-Host: trust that many
    # hops (login throttling then counts the client's address, not the proxy's). 0: none.
    trusted_proxies: int = 0


@dataclass(frozen=True)
class ClassifierSettings:
    model_path: str = ""
    # A label at or above request_threshold opens a ticket and acknowledges it; at or above
    # triage_threshold (but below request) it opens a needs-triage ticket with no reply.
    # Chosen on out-of-fold predictions over the training split (classifier/LABELING.md):
    # a very low triage bar so that almost no request is dropped, a high request bar so
    # that few customers asking for a quote get a rights acknowledgement.
    request_threshold: float = 0.9
    triage_threshold: float = 0.05


@dataclass(frozen=True)
class DeadlineSettings:
    policy: Literal["uk", "eu", "nl"] = "uk"


@dataclass(frozen=True)
class LifecycleSettings:
    # "auto": the bot asks the requester to confirm control of the address (link or code)
    # for rights that need it; "manual": staff decide per ticket.
    identity_check: Literal["auto", "manual"] = "auto"
    verification_days: int = 14
    # A new request from the same address within this many days is flagged as repeated.
    repeat_window_days: int = 30
    # The daily staff digest lists tickets due within this many days, and overdue ones.
    reminder_days: int = 7
    digest_hour: int = 8
    # The authserv-id of our own receiving server: only its Authentication-Results count.
    trusted_authserv_id: str = ""


@dataclass(frozen=True)
class RetentionSettings:
    # Closed tickets and their raw mail are reduced to a minimal register entry this long
    # after closure (the privacy notice promises six years).
    years_after_closure: int = 6
    # Attachments (identity documents) are removed from stored mail once identity is confirmed.
    delete_attachments_after_verification: bool = True


@dataclass(frozen=True)
class HealthSettings:
    # Staff are alerted (dashboard and mail to organisation.staff_address) when a mailbox has
    # not been read successfully for this long, when its login fails, and this many days
    # before an OAuth refresh token is expected to expire.
    stale_after_minutes: int = 30
    token_warning_days: int = 14
    # The same alert is mailed again at most this often.
    repeat_alert_hours: int = 24


@dataclass(frozen=True)
class Settings:
    organisation: OrganisationSettings = field(default_factory=OrganisationSettings)
    inbox: InboxSettings = field(default_factory=InboxSettings)
    outgoing: OutgoingSettings = field(default_factory=OutgoingSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    web: WebSettings = field(default_factory=WebSettings)
    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)
    deadlines: DeadlineSettings = field(default_factory=DeadlineSettings)
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    health: HealthSettings = field(default_factory=HealthSettings)
    # Every mailbox rightsbot reads: [inbox] alone, or the [[mailboxes]] list (then inbox is
    # the first of them). Each is polled on its own; one failing does not stop the others.
    mailboxes: tuple[InboxSettings, ...] = ()
    log_level: str = "INFO"
    source: str = "<defaults>"

    @property
    def inboxes(self) -> tuple[InboxSettings, ...]:
        return self.mailboxes or (self.inbox,)

    @property
    def watched(self) -> tuple[str, ...]:
        """Names whose health staff are shown: every mailbox, and "outgoing" when SMTP uses
        an OAuth token (its refresh token can expire too)."""
        names = tuple(inbox.name for inbox in self.inboxes)
        return (*names, OUTGOING) if self.outgoing.auth == "xoauth2" else names

    def inbox_named(self, name: str) -> InboxSettings:
        """The mailbox a ticket came from; the first one for unknown or empty names."""
        for inbox in self.inboxes:
            if inbox.name == name:
                return inbox
        return self.inboxes[0]

    def reply_address(self, mailbox: str) -> tuple[str, str]:
        """(address, display name) that replies on a ticket from `mailbox` come from."""
        inbox = self.inbox_named(mailbox)
        return (inbox.reply_from or self.organisation.reply_from,
                inbox.reply_name or self.organisation.reply_name)

    def deadline_policy(self, mailbox: str) -> str:
        return self.inbox_named(mailbox).deadline_policy or self.deadlines.policy

    @property
    def our_addresses(self) -> frozenset[str]:
        own = {a.lower() for a in self.organisation.own_addresses}
        own.add(self.organisation.reply_from.lower())
        for inbox in self.inboxes:
            if inbox.reply_from:
                own.add(inbox.reply_from.lower())
            if inbox.user and "@" in inbox.user:
                own.add(inbox.user.lower())
        return frozenset(own)


SECTIONS: dict[str, type[Any]] = {
    f.name: f.type if isinstance(f.type, type) else typing.get_type_hints(Settings)[f.name]
    for f in dataclasses.fields(Settings)
    if f.name not in ("log_level", "source", "mailboxes")
}


def load_settings(path: Path | None, environ: Mapping[str, str]) -> Settings:
    """Read `path` (may be missing when None), overlay RIGHTSBOT_<SECTION>__<KEY>, validate."""
    source = str(path) if path else "<defaults>"
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found (run `rightsbot init`)") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    raw = _overlay_environment(raw, environ, source)
    base_dir = path.parent.resolve() if path else Path.cwd()
    return _build(raw, source, base_dir)


def _overlay_environment(raw: dict[str, Any], environ: Mapping[str, str],
                         source: str) -> dict[str, Any]:
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        rest = name[len(ENV_PREFIX):].lower()
        if rest == "log_level":
            merged["log_level"] = value
            continue
        section, sep, key = rest.partition("__")
        if not sep or section not in SECTIONS:
            raise ConfigError(f"environment variable {name}: unknown setting (expected "
                              f"{ENV_PREFIX}<SECTION>__<KEY>, sections: {', '.join(SECTIONS)})")
        merged.setdefault(section, {})[key] = _EnvString(value)
    return merged


class _EnvString(str):
    """A value from the environment: converted to the field's type, not taken as-is."""


def _build(raw: dict[str, Any], source: str, base_dir: Path) -> Settings:
    unknown = set(raw) - set(SECTIONS) - {"log_level", "mailboxes"}
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(f"{source}: unknown key '{key}' (sections: {', '.join(SECTIONS)})")
    parts: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        table = raw.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: '{section}' must be a table ([{section}])")
        parts[section] = _build_section(cls, section, table, source, base_dir)
    log_level = str(raw.get("log_level", "INFO")).upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"{source}: log_level must be DEBUG, INFO, WARNING or ERROR")
    mailboxes = _build_mailboxes(raw, source, base_dir)
    if mailboxes:
        if "inbox" in raw:
            raise ConfigError(f"{source}: use either [inbox] or [[mailboxes]], not both")
        parts["inbox"] = mailboxes[0]
    settings = Settings(**parts, mailboxes=mailboxes, log_level=log_level, source=source)
    _check_required(settings)
    return _resolve_secrets(settings)


def _build_section(cls: type[Any], section: str, table: dict[str, Any], source: str,
                   base_dir: Path) -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in table:
        if key not in names:
            raise ConfigError(f"{source}: unknown key '{section}.{key}' "
                              f"(known: {', '.join(sorted(names))})")
    values = {}
    for key, value in table.items():
        values[key] = _coerce(value, hints[key], f"{section}.{key}", source)
        if hints[key] is Path and not values[key].is_absolute():
            values[key] = base_dir / values[key]
    if section == "database":
        url = values.get("url", DatabaseSettings.url)
        values["url"] = _absolute_sqlite_url(url, base_dir)
    elif hints.get("path") is Path and "path" not in values:
        values["path"] = base_dir / cls.path
    return cls(**values)


def _build_mailboxes(raw: dict[str, Any], source: str,
                     base_dir: Path) -> tuple[InboxSettings, ...]:
    tables = raw.get("mailboxes", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{source}: 'mailboxes' must be a list of tables ([[mailboxes]])")
    mailboxes: list[InboxSettings] = []
    for number, table in enumerate(tables, 1):
        if not table.get("name"):
            raise ConfigError(f"{source}: mailbox {number} needs a 'name' ([[mailboxes]])")
        mailboxes.append(_build_section(InboxSettings, f"mailboxes.{table['name']}", table,
                                        source, base_dir))
    names = [m.name for m in mailboxes]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: mailbox names must be unique (got {', '.join(names)})")
    return tuple(mailboxes)


def _absolute_sqlite_url(url: str, base_dir: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str(base_dir / url[len(prefix):])
    return url


def _coerce(value: Any, hint: Any, key: str, source: str) -> Any:
    from_env = isinstance(value, _EnvString)
    origin = typing.get_origin(hint)
    try:
        if origin is Literal:
            allowed = typing.get_args(hint)
            if value not in allowed:
                raise ValueError(f"must be one of {', '.join(map(repr, allowed))}")
            return str(value)
        if origin in (tuple, types.GenericAlias) or hint == tuple[str, ...]:
            if from_env:
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError("must be a list of strings")
            return tuple(value)
        if hint is bool:
            if from_env:
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
            return value
        if hint is int:
            if isinstance(value, bool):
                raise ValueError("must be a whole number")
            return int(value)
        if hint is float:
            if isinstance(value, bool):
                raise ValueError("must be a number")
            return float(value)
        if hint is Path:
            if not isinstance(value, str):
                raise ValueError("must be a path string")
            return Path(value).expanduser()
        if hint is str:
            if not isinstance(value, str):
                raise ValueError("must be a string")
            return str(value)
    except ValueError as exc:
        origin_text = "environment" if from_env else source
        raise ConfigError(f"{origin_text}: '{key}' {exc} (got {value!r})") from None
    raise ConfigError(f"{source}: '{key}' has an unsupported type")  # pragma: no cover


def _check_required(settings: Settings) -> None:
    src = settings.source
    for inbox in settings.inboxes:
        where = f"mailboxes.{inbox.name}" if settings.mailboxes else "inbox"
        if inbox.kind == "imap":
            for key in ("host", "user"):
                if not getattr(inbox, key):
                    raise ConfigError(f"{src}: '{where}.{key}' is required when "
                                      f"{where}.kind = \"imap\"")
        if inbox.auth == "xoauth2":
            for key in ("token_command", "user"):
                if not getattr(inbox, key):
                    raise ConfigError(f"{src}: '{where}.{key}' is required when "
                                      f"{where}.auth = \"xoauth2\"")
        if inbox.reply_from and "@" not in inbox.reply_from:
            raise ConfigError(f"{src}: '{where}.reply_from' must be an email address")
    if settings.outgoing.auth == "xoauth2":
        for key in ("token_command", "user"):
            if not getattr(settings.outgoing, key):
                raise ConfigError(f"{src}: 'outgoing.{key}' is required when "
                                  "outgoing.auth = \"xoauth2\"")
    if settings.outgoing.kind == "smtp" and not settings.outgoing.host:
        raise ConfigError(f"{src}: 'outgoing.host' is required when outgoing.kind = \"smtp\"")
    if "@" not in settings.organisation.reply_from:
        raise ConfigError(f"{src}: 'organisation.reply_from' must be an email address")
    if not 0 < settings.classifier.triage_threshold <= settings.classifier.request_threshold <= 1:
        raise ConfigError(f"{src}: 'classifier.triage_threshold' must be > 0 and <= "
                          "'classifier.request_threshold' <= 1")


def _resolve_secrets(settings: Settings) -> Settings:
    """Run password_command / secret_key_command once, at start-up."""
    def secret(section: str, obj: Any, value_key: str, command_key: str) -> Any:
        command = getattr(obj, command_key)
        if not command or getattr(obj, value_key):
            return obj
        try:
            done = subprocess.run(shlex.split(command), capture_output=True, text=True,
                                  timeout=30, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ConfigError(f"{settings.source}: '{section}.{command_key}' "
                              f"failed: {exc}") from None
        return dataclasses.replace(obj, **{value_key: done.stdout.strip()})

    mailboxes = tuple(secret(f"mailboxes.{m.name}", m, "password", "password_command")
                      for m in settings.mailboxes)
    return dataclasses.replace(
        settings,
        mailboxes=mailboxes,
        inbox=mailboxes[0] if mailboxes else secret("inbox", settings.inbox, "password",
                                                    "password_command"),
        outgoing=secret("outgoing", settings.outgoing, "password", "password_command"),
        web=secret("web", settings.web, "secret_key", "secret_key_command"),
    )
