"""Classifier labels are RequestKind values; checked at import so the two never drift."""

from dsr.tickets import SIX_RIGHTS, TRIAGE_ONLY, RequestKind

LABELS: tuple[str, ...] = tuple(k.value for k in (*SIX_RIGHTS, *TRIAGE_ONLY))
RIGHTS: tuple[str, ...] = tuple(k.value for k in SIX_RIGHTS)
ALWAYS_TRIAGE: tuple[str, ...] = tuple(k.value for k in TRIAGE_ONLY)
LANGUAGES: tuple[str, ...] = ("en", "nl", "de", "fr")

assert set(LABELS) == {k.value for k in RequestKind}, "classifier labels drifted from RequestKind"
