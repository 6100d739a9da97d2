"""Which rights does a mail invoke? `classify(subject, body) -> Classification`.

A spaCy pipeline on a per-language blank tokenizer: the `rightsbot_cues` rule component marks
cue phrases (the evidence staff see, and marker tokens the model learns from), then a trained
`textcat_multilabel` gives each label a score, for the whole mail and for each of its
sentences (sentences.py, from the same pass), and a per-label logistic layer learned from
held-back predictions (calibrate.py) weighs the cue strengths and how far the best sentence
scores above the mail against it. No cue decides on its own, so "Bezwaar naheffing" or
"unsubscribe me from this thread" can stay business mail. The model reads lower-cased text;
evidence is cut from the original text.
"""

from __future__ import annotations

import threading
import zlib
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from classifier import calibrate, sentences
from classifier.cues import COUNTER, LABEL_CONCEPTS
from classifier.labels import ALWAYS_TRIAGE, LABELS, LANGUAGES, RIGHTS
from classifier.language import detect_language, preload
from classifier.normalize import model_text

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import TextCategorizer
    from spacy.tokenizer import Tokenizer
    from spacy.tokens import Doc

MODEL_DIR = Path(__file__).parent / "model"
TOKENIZER_DIR = "tokenizers"
# Chosen on out-of-fold predictions for the training split, not on the held-out split (see
# bench/RESULTS.md): a low triage bar so requests reach staff, a high bar for the automatic
# acknowledgement. rightsbot passes dsr.config's ClassifierSettings values explicitly.
DEFAULT_REQUEST_THRESHOLD = 0.9
DEFAULT_TRIAGE_THRESHOLD = 0.05
REQUEST, TRIAGE, NOT_REQUEST = "request", "triage", "not_request"
TEXTCAT = "textcat_multilabel"
ALWAYS_TRIAGE_BAR = 0.5
MAX_EVIDENCE = 5
# Mails classified outside spaCy's memory zone to warm the tokenizer cache (see classify_many):
# ~2 MB of mail; the vocabulary grows by their new words once, and no more after that.
WARMUP_MAILS = 1000


@dataclass(frozen=True)
class Classification:
    """The verdict on one mail, labels best first.

    labels: for a request or triage, every label at/above its own label threshold (chosen on
    out-of-fold predictions at training, see calibrate.label_thresholds), plus for a request
    the rights that made it confident; none for not_request. These are the ticket's kinds.
    scores has every label; evidence covers the labels and, on a triage mail, every other
    candidate at/above the triage threshold, so staff see why it might apply.
    """

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


class Scored(NamedTuple):
    """A doc through the pipeline (doc.cats: the whole mail's scores) and its best sentences."""

    doc: Doc
    best_sentence: dict[str, float]  # label -> the best sentence's score
    best_sentence_span: dict[str, tuple[int, int]]  # label -> its characters, if above the mail


class Classifier:
    """A loaded pipeline plus the decision thresholds."""

    def __init__(self, nlp: Language, request_threshold: float = DEFAULT_REQUEST_THRESHOLD,
                 triage_threshold: float = DEFAULT_TRIAGE_THRESHOLD,
                 tokenizers: Mapping[str, Tokenizer] | None = None) -> None:
        self.nlp = nlp
        self.request_threshold = request_threshold
        self.triage_threshold = triage_threshold
        self.version = str(nlp.meta.get("version", "0"))
        self.calibration: calibrate.Weights | None = nlp.meta.get("calibration")
        # A model trained before label thresholds existed used the decision bars for labels.
        self.label_thresholds: dict[str, float] | None = nlp.meta.get("label_thresholds")
        self.warmup_mails = WARMUP_MAILS
        self._unzoned = 0
        self._lock = threading.Lock()
        self.tokenizers: Mapping[str, Tokenizer] = (
            tokenizers if tokenizers else build_tokenizers(nlp))

    def classify(self, subject: str, body: str) -> Classification:
        return next(iter(self.classify_many([(subject, body)])))

    def classify_many(self, mails: Iterable[tuple[str, str]],
                      batch_size: int = 64) -> Iterator[Classification]:
        """Classify a stream of (subject, body) lazily, in batches through the pipeline.

        Batches run inside spaCy's memory zone (spaCy >= 3.8): the words of a mail that the
        model never saw are forgotten once its verdict is made, so a long-running intake does
        not grow the vocabulary. Verdicts hold plain Python values only. The first
        `warmup_mails` mails of a process run outside it: inside a zone spaCy's tokenizer
        caches nothing, and without a warm cache of common words it runs at half speed.
        So the vocabulary grows while those mails fill the cache, then stays flat.
        """
        zone = getattr(self.nlp, "memory_zone", None)
        iterator = iter(mails)
        while True:
            batch = list(islice(iterator, max(batch_size, 1)))
            if not batch:
                return
            texts = []
            for subject, body in batch:
                text = model_text(subject or "", body or "")
                texts.append((text, detect_language(text)))
            # A zone is global to the vocabulary: words another thread adds while it is open
            # vanish when it closes, so one batch at a time.
            with self._lock:
                # A tokenizer built inside a zone would lose its strings when the zone closes.
                for language in {language for _text, language in texts}:
                    self._tokenizer(language)
                if zone is None or self._unzoned < self.warmup_mails:
                    self._unzoned += len(texts)
                    verdicts = self._classify_texts(texts, batch_size)
                else:
                    with zone():
                        verdicts = self._classify_texts(texts, batch_size)
            yield from verdicts

    def _classify_texts(self, texts: list[tuple[str, str]],
                        batch_size: int) -> list[Classification]:
        docs = (self.make_doc(text, language) for text, language in texts)
        return [self._verdict(scored, text, language)
                for scored, (text, language)
                in zip(self.score_docs(docs, batch_size), texts, strict=True)]

    def _tokenizer(self, language: str) -> Tokenizer:
        return self.tokenizers.get(language) or self.tokenizers["en"]

    def make_doc(self, text: str, language: str) -> Doc:
        """Tokenise lower-cased text with the language's own rules, in the pipeline's vocab."""
        doc: Doc = self._tokenizer(language)(_lower_same_length(text))
        # The cue component reads it: a few words mean different things per language.
        doc.user_data["language"] = language
        return doc

    def score_docs(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Scored]:
        """Each doc through the rule components, with doc.cats the textcat's scores for the
        whole mail, and its best sentences (sentences.py).
        """
        from spacy.util import minibatch

        stream: Iterable[Doc] = docs
        for name, component in self.nlp.pipeline:
            if name != TEXTCAT:
                stream = map(component, stream)
        textcat = cast("TextCategorizer", self.nlp.get_pipe(TEXTCAT))
        labels = tuple(textcat.labels)
        for batch in minibatch(stream, size=max(batch_size, 1)):  # type: ignore[no-untyped-call]
            scores = sentences.score(textcat.model, batch)
            for doc, mail, best, spans in zip(batch, scores.mail.tolist(), scores.best.tolist(),
                                              scores.best_span, strict=True):
                doc.cats = dict(zip(labels, mail, strict=True))
                yield Scored(doc, dict(zip(labels, best, strict=True)),
                             {label: span for label, span in zip(labels, spans, strict=True)
                              if span is not None})

    def _verdict(self, scored: Scored, text: str, language: str) -> Classification:
        doc = scored.doc
        tiers = calibrate.cue_tiers([(s.label_, s.id_) for s in doc.spans.get("cues", [])])
        scores = {label: calibrate.score(self.calibration, label, float(doc.cats.get(label, 0.0)),
                                         tiers.get(label, set()), scored.best_sentence.get(label))
                  for label in LABELS}
        decision, reasons = self._decide(scores, tiers)
        labels = self._labels(scores, decision)
        # On a triage ticket staff also see why the other candidates might apply.
        shown = labels if decision != TRIAGE else tuple(
            sorted((k for k in LABELS if k in labels or scores[k] >= self.triage_threshold),
                   key=lambda k: -scores[k]))
        evidence = _cue_evidence(doc, text)
        # No cue for a label: the sentence the model scored highest for it, when one stands
        # out from the mail; else the sentence with the most words of the label's concepts.
        for label, (start, end) in scored.best_sentence_span.items():
            if label in shown and not evidence.get(label):
                evidence[label] = [text[start:end].strip()[:200]]
        missing = tuple(k for k in shown if not evidence.get(k))
        if missing:
            evidence.update(self._sentence_evidence(doc, text, missing))
        return Classification(
            labels=labels, scores=scores,
            evidence={k: tuple(evidence[k]) for k in shown if evidence.get(k)},
            language=language, decision=decision, model_version=self.version,
            triage_reasons=reasons)

    def _label_bar(self, label: str) -> float:
        """The score at which a label goes on the ticket (request or triage)."""
        if self.label_thresholds is None or label not in self.label_thresholds:
            return self.request_threshold
        return max(self.triage_threshold, self.label_thresholds[label])

    def _labels(self, scores: Mapping[str, float], decision: str) -> tuple[str, ...]:
        """The ticket's kinds: every label at/above its own bar, best first.

        The decision bars say whether the bot may act alone; they are not the bars for which
        rights a mail invokes. A right at/above the request threshold is always among them
        (it made the mail a confident request, or would have but for a complaint). A model
        without label thresholds keeps the old behaviour: a request names the rights
        at/above the request threshold, triage every label at/above the triage threshold.
        """
        if decision == NOT_REQUEST:
            return ()
        if self.label_thresholds is None:
            floor = self.request_threshold if decision == REQUEST else self.triage_threshold
            chosen = [k for k in LABELS if scores[k] >= floor]
        else:
            chosen = [k for k in LABELS if scores[k] >= self._label_bar(k)
                      or (k in RIGHTS and scores[k] >= self.request_threshold)]
        return tuple(sorted(chosen, key=lambda k: -scores[k]))

    def _decide(self, scores: Mapping[str, float],
                tiers: Mapping[str, set[str]] | None = None) -> tuple[str, tuple[str, ...]]:
        confident = [k for k in RIGHTS if scores[k] >= self.request_threshold]
        doubtful = [k for k in LABELS
                    if self.triage_threshold <= scores[k] < self.request_threshold]
        # Complaint and portability send a ticket to staff when they are likely (>= 0.5, or
        # at their label bar if that is lower: a label on the ticket is always checked), not
        # when they are a faint candidate beside a confident right; alone a faint one is
        # "doubtful" below, which is triage as well.
        special = [k for k in ALWAYS_TRIAGE
                   if scores[k] >= max(self.triage_threshold,
                                       min(ALWAYS_TRIAGE_BAR, self._label_bar(k)))]
        if special:
            return TRIAGE, tuple(f"{k} is always checked by staff" for k in special)
        # A confident right whose only cues are counter-cues ("take me off this thread",
        # "keep the consignment on hold") reads like ordinary work: a person confirms it
        # before anyone gets an acknowledgement (round 6: 3 of 29 false requests out of fold,
        # 11 of 2551 requests to triage instead).
        work = [k for k in confident if tiers is not None and COUNTER in tiers.get(k, set())
                and not tiers.get(k, set()) & {"strong", "phrase"}]
        if confident and len(work) == len(confident):
            return TRIAGE, tuple(f"{k} is likely ({scores[k]:.2f}) but reads like ordinary work"
                                 for k in work)
        if confident:
            return REQUEST, ()
        if doubtful:
            return TRIAGE, tuple(f"{k} is uncertain ({scores[k]:.2f})" for k in doubtful)
        return NOT_REQUEST, ()

    def _sentence_evidence(self, doc: Doc, text: str,
                           labels: tuple[str, ...]) -> dict[str, list[str]]:
        """No cue matched: show the sentence with the most words of the label's concepts."""
        ranges = sentences.sentence_ranges(doc, min_words=1)
        starts = [start for start, _end in ranges]
        hits: dict[tuple[str, int], int] = {}
        for index, concept in doc.user_data.get("concepts", []):
            sentence = bisect_right(starts, index) - 1
            for label in labels:
                if concept in LABEL_CONCEPTS[label]:
                    hits[label, sentence] = hits.get((label, sentence), 0) + 1
        out: dict[str, list[str]] = {}
        for label in labels:
            counts = [hits.get((label, i), 0) for i in range(len(ranges))]
            best = max(counts, default=0)
            if best:
                start, end = sentences.characters(doc, *ranges[counts.index(best)])
                out[label] = [text[start:end].strip()[:200]]
            else:
                out[label] = [text[:200].strip()]
        return out


def _lower_same_length(text: str) -> str:
    """Lower-case without moving character offsets (a few letters grow when lower-cased)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _cue_evidence(doc: Doc, text: str) -> dict[str, list[str]]:
    """Cue spans per label, strong ones first, in the sender's own spelling."""
    rank = {"strong": 0, "phrase": 1, "weak": 2}
    # A counter-cue ("take me off this thread") speaks against its label: never evidence.
    spans = sorted((s for s in doc.spans.get("cues", []) if s.id_ in rank),
                   key=lambda s: (rank[s.id_], s.start))
    out: dict[str, list[str]] = {}
    for span in spans:
        phrase = text[span.start_char:span.end_char]
        phrases = out.setdefault(span.label_, [])
        if phrase not in phrases and len(phrases) < MAX_EVIDENCE:
            phrases.append(phrase)
    return out


def build_tokenizers(nlp: Language, path: Path | None = None) -> dict[str, Tokenizer]:
    """One tokenizer per language, sharing the pipeline's vocabulary.

    Saved with the model: importing spaCy's French language data alone takes seconds.
    """
    return {language: _build_tokenizer(nlp, language, path) for language in LANGUAGES}


def _build_tokenizer(nlp: Language, language: str, path: Path | None) -> Tokenizer:
    import spacy
    from spacy.tokenizer import Tokenizer

    saved = path / TOKENIZER_DIR / f"{language}.bin" if path else None
    if saved is not None and saved.exists():
        data = zlib.decompress(saved.read_bytes())
    else:
        tokenizer = cast("Tokenizer", spacy.blank(language).tokenizer)
        # French's token_match is a 1.5 MB regex of hyphenated words ("arc-en-ciel"):
        # compiling it takes seconds at every start and our cues never need it.
        tokenizer.token_match = None
        # The model reads lower-cased text, so special cases with capitals never apply;
        # dropping them halves the start-up time of the Dutch tokenizer.
        tokenizer.rules = {k: v for k, v in (tokenizer.rules or {}).items() if k == k.lower()}
        data = tokenizer.to_bytes(exclude=["vocab"])
    return Tokenizer(nlp.vocab).from_bytes(data, exclude=["vocab"])


class LazyTokenizers(Mapping[str, "Tokenizer"]):
    """The saved per-language tokenizers, each built the first time a mail needs it.

    Building all four costs ~0.5 s (the Dutch one alone ~0.35 s: its special cases compile
    slowly), most of a cold start; a process that only ever sees English mail never pays
    for the others.
    """

    def __init__(self, nlp: Language, path: Path) -> None:
        self._nlp = nlp
        self._path = path
        self._built: dict[str, Tokenizer] = {}
        self._lock = threading.Lock()

    def __getitem__(self, language: str) -> Tokenizer:
        tokenizer = self._built.get(language)
        if tokenizer is not None:
            return tokenizer
        if language not in LANGUAGES:
            raise KeyError(language)
        with self._lock:
            if language not in self._built:
                self._built[language] = _build_tokenizer(self._nlp, language, self._path)
            return self._built[language]

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


def save_tokenizers(tokenizers: Mapping[str, Tokenizer], path: Path) -> None:
    folder = path / TOKENIZER_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for language, tokenizer in tokenizers.items():
        data = tokenizer.to_bytes(exclude=["vocab"])
        (folder / f"{language}.bin").write_bytes(zlib.compress(data, 9))


def load(path: Path | str | None = None, request_threshold: float = DEFAULT_REQUEST_THRESHOLD,
         triage_threshold: float = DEFAULT_TRIAGE_THRESHOLD) -> Classifier:
    """Load the trained pipeline (the one shipped in classifier/model by default)."""
    preload()
    import spacy

    # Registers the textcat's architecture and the rightsbot_cues factory for spacy.load.
    import classifier.ensemble
    import classifier.rules  # noqa: F401

    model_path = Path(path) if path else MODEL_DIR
    if not (model_path / "meta.json").exists():
        from dsr.errors import ConfigError

        raise ConfigError(f"no trained classifier at {model_path}: run `rightsbot train`")
    nlp = spacy.load(model_path)
    return Classifier(nlp, request_threshold, triage_threshold,
                      LazyTokenizers(nlp, model_path))


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    return load()


def classify(subject: str, body: str) -> Classification:
    """Classify one mail with the shipped model and default thresholds."""
    return default_classifier().classify(subject, body)
