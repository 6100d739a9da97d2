"""Language identification with py3langid, limited to the languages we answer in."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from classifier.labels import LANGUAGES

FALLBACK = "en"
MIN_CONFIDENCE = 0.6
SAMPLE_CHARS = 2000


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str) -> str:
    """One of en/nl/de/fr; English when the text is too short or unclear to tell."""
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < 8:
        return FALLBACK
    language, confidence = _identifier().classify(sample)
    return str(language) if confidence >= MIN_CONFIDENCE else FALLBACK
