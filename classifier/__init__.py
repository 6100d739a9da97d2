"""Which rights does a mail invoke? `classify(subject, body) -> Classification`.

A spaCy pipeline: a per-language blank tokenizer, a trained `textcat_multilabel`, and the
`rightsbot_cues` rule component whose matches are the evidence staff see. A cue also lifts
the model's score: score = 1 - (1 - model) * (1 - cue weight).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from classifier.labels import ALWAYS_TRIAGE, LABELS, RIGHTS
from classifier.language import detect_language
from classifier.normalize import model_text

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MODEL_DIR = Path(__file__).parent / "model"
DEFAULT_REQUEST_THRESHOLD = 0.5
DEFAULT_TRIAGE_THRESHOLD = 0.2
REQUEST, TRIAGE, NOT_REQUEST = "request", "triage", "not_request"


@dataclass(frozen=True)
class Classification:
    """The verdict on one mail: labels at/above the triage threshold, best first."""

    labels: tuple[str, ...]
    scores: Mapping[str, float]
    evidence: Mapping[str, tuple[str, ...]]
    language: str
    decision: str
    model_version: str = ""
    triage_reasons: tuple[str, ...] = field(default=())

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self.labels)

    def as_json(self) -> dict[str, object]:
        return {"labels": list(self.labels),
                "scores": {k: round(v, 4) for k, v in self.scores.items()},
                "decision": self.decision, "language": self.language,
                "evidence": {k: list(v) for k, v in self.evidence.items()},
                "model_version": self.model_version}


class Classifier:
    """A loaded pipeline plus the decision thresholds."""

    def __init__(self, nlp: Language, request_threshold: float = DEFAULT_REQUEST_THRESHOLD,
                 triage_threshold: float = DEFAULT_TRIAGE_THRESHOLD) -> None:
        import spacy

        self.nlp = nlp
        self.request_threshold = request_threshold
        self.triage_threshold = triage_threshold
        self.version = str(nlp.meta.get("version", "0"))
        self._tokenizers = {lang: spacy.blank(lang).tokenizer for lang in ("en", "nl", "de", "fr")}

    def classify(self, subject: str, body: str) -> Classification:
        return next(iter(self.classify_many([(subject, body)])))

    def classify_many(self, mails: Iterable[tuple[str, str]],
                      batch_size: int = 64) -> Iterator[Classification]:
        """Classify a stream of (subject, body) with nlp.pipe batching."""
        languages: list[str] = []

        def docs() -> Iterator[Doc]:
            for subject, body in mails:
                text = model_text(subject or "", body or "")
                language = detect_language(text)
                languages.append(language)
                yield self.make_doc(text, language)

        for index, doc in enumerate(self._pipe(docs(), batch_size)):
            yield self._verdict(doc, languages[index])

    def make_doc(self, text: str, language: str) -> Doc:
        """Tokenise with the language's own rules, into the pipeline's vocabulary."""
        from spacy.tokens import Doc

        tokens = self._tokenizers.get(language, self._tokenizers["en"])(text)
        return Doc(self.nlp.vocab, words=[t.text for t in tokens],
                   spaces=[bool(t.whitespace_) for t in tokens])

    def _pipe(self, docs: Iterable[Doc], batch_size: int) -> Iterator[Doc]:
        stream: Iterable[Doc] = docs
        for _name, component in self.nlp.pipeline:
            if hasattr(component, "pipe"):
                stream = component.pipe(stream, batch_size=batch_size)
            else:
                stream = (component(d) for d in stream)
        return iter(stream)

    def _verdict(self, doc: Doc, language: str) -> Classification:
        cue_weights: dict[str, float] = doc._.cue_weights or {}
        scores: dict[str, float] = {}
        for label in LABELS:
            model = float(doc.cats.get(label, 0.0))
            cue = cue_weights.get(label, 0.0)
            scores[label] = 1.0 - (1.0 - model) * (1.0 - cue)
        evidence: dict[str, list[str]] = {}
        for span in doc.spans.get("cues", []):
            phrases = evidence.setdefault(span.label_, [])
            if span.text not in phrases and len(phrases) < 5:
                phrases.append(span.text)
        labels = tuple(sorted((k for k, s in scores.items() if s >= self.triage_threshold),
                              key=lambda k: -scores[k]))
        decision, reasons = self._decide(scores)
        if labels and not any(evidence.get(k) for k in labels):
            evidence.update(self._sentence_evidence(doc, labels))
        return Classification(
            labels=labels, scores=scores,
            evidence={k: tuple(v) for k, v in evidence.items() if k in labels},
            language=language, decision=decision, model_version=self.version,
            triage_reasons=reasons)

    def _decide(self, scores: Mapping[str, float]) -> tuple[str, tuple[str, ...]]:
        confident = [k for k in RIGHTS if scores[k] >= self.request_threshold]
        doubtful = [k for k in LABELS if self.triage_threshold <= scores[k] < self.request_threshold]
        special = [k for k in ALWAYS_TRIAGE if scores[k] >= self.triage_threshold]
        if special:
            return TRIAGE, tuple(f"{k} is always checked by staff" for k in special)
        if confident:
            return REQUEST, ()
        if doubtful:
            return TRIAGE, tuple(f"{k} is uncertain ({scores[k]:.2f})" for k in doubtful)
        return NOT_REQUEST, ()

    def _sentence_evidence(self, doc: Doc, labels: tuple[str, ...]) -> dict[str, list[str]]:
        """No cue matched: show staff the sentence the model scores highest for each label."""
        sentences = [s.strip() for s in doc.text.replace("\n", ". ").split(". ") if len(s.strip()) > 3]
        if len(sentences) < 2:
            return {k: [doc.text[:200]] for k in labels}
        sentences = sentences[:40]
        textcat = self.nlp.get_pipe("textcat_multilabel")
        scored = list(textcat.pipe(self.make_doc(s, "en") for s in sentences))
        out: dict[str, list[str]] = {}
        for label in labels:
            best = max(range(len(scored)), key=lambda i: scored[i].cats.get(label, 0.0))
            out[label] = [sentences[best][:200]]
        return out


def load(path: Path | str | None = None, request_threshold: float = DEFAULT_REQUEST_THRESHOLD,
         triage_threshold: float = DEFAULT_TRIAGE_THRESHOLD) -> Classifier:
    """Load the trained pipeline (the one shipped in classifier/model by default)."""
    import spacy

    import classifier.rules  # noqa: F401  registers the rightsbot_cues factory

    model_path = Path(path) if path else MODEL_DIR
    if not (model_path / "meta.json").exists():
        from dsr.errors import ConfigError

        raise ConfigError(f"no trained classifier at {model_path}: run `rightsbot train`")
    return Classifier(spacy.load(model_path), request_threshold, triage_threshold)


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    return load()


def classify(subject: str, body: str) -> Classification:
    """Classify one mail with the shipped model and default thresholds."""
    return default_classifier().classify(subject, body)
