"""Language identification with py3langid, limited to the languages we answer in."""

from __future__ import annotations

import threading
from typing import Any

from classifier.labels import LANGUAGES

FALLBACK = "en"
MIN_CONFIDENCE = 0.6
SAMPLE_CHARS = 400  # the opening of a mail tells its language; the tail only costs time

_lock = threading.Lock()
_loaded: list[Any] = []
_loaders: list[threading.Thread] = []


def _identifier() -> Any:
    with _lock:
        if not _loaded:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(LANGUAGES))
            _loaded.append(identifier)
        return _loaded[0]


def preload() -> None:
    """Start loading the langid model in the background (its LZMA unpacking frees the GIL)."""
    loader = threading.Thread(target=_identifier, name="langid-load", daemon=True)
    _loaders.append(loader)
    loader.start()


def wait_loaded() -> None:
    """Load the langid model now and let the background loader finish.

    Before a fork: a child forked while the loader holds the lock would wait for it forever.
    """
    _identifier()
    while _loaders:
        _loaders.pop().join()


def detect_language(text: str) -> str:
    """One of en/nl/de/fr; English when the text is too short or unclear to tell."""
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < 8:
        return FALLBACK
    language, confidence = _identifier().classify(sample)
    return str(language) if confidence >= MIN_CONFIDENCE else FALLBACK
