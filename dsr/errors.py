"""The error types every part of rightsbot shares."""


class DsrError(Exception):
    """Base of every error rightsbot raises on purpose."""


class ConfigError(DsrError):
    """The configuration is wrong; raised at start-up only, naming the key and the file."""


class TransientError(DsrError):
    """Retry later: a refused connection, SMTP 4xx, a locked database, a full disk."""


class DatabaseUnavailable(TransientError):
    """The database cannot be reached or is locked: nothing can be recorded until it is back."""


class AuthenticationFailed(TransientError):
    """The server refused our credentials (password or OAuth token): staff must act."""


class UnusableMessage(DsrError):
    """The email itself is the problem (no sender, not a message at all)."""


class IllegalTransition(DsrError):
    """A ticket was asked to move to a state its current state does not allow."""
