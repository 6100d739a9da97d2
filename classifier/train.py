"""Train the textcat_multilabel pipeline from our examples, deterministically.

`rightsbot train` (or `python -m classifier.train`) writes classifier/model/. The same seed,
examples and library versions give the same model, score for score.
"""

from __future__ import annotations

import hashlib
import logging
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifier import MODEL_DIR, Classifier, calibrate, save_tokenizers
from classifier.examples import Example, read_examples, split
from classifier.labels import LABELS
from classifier.language import detect_language
from classifier.normalize import model_text

if TYPE_CHECKING:
    from spacy.tokens import Doc

log = logging.getLogger(__name__)
SEED = 20261125
EPOCHS = 12
BATCH_SIZE = 16
DROPOUT = 0.2
# spaCy's default 0.001 barely moves the sparse bag-of-words weights in a dozen epochs.
LEARN_RATE = 0.005
# Models trained on 2 of 3 folds score the third: the data for the cue calibration.
FOLDS = 3
# A bag of words and bigrams (with the cue markers among the words) plus a small CNN over
# NORM (concepts shared across languages, see cues.CONCEPTS) and suffixes, which carries the
# model to inflections it never saw. Sizes are
# kept small for speed (>= 500 mails/s on 2 cores) and a model of a few MB.
TEXTCAT_MODEL: dict[str, Any] = {
    "@architectures": "spacy.TextCatEnsemble.v2",
    "nO": None,
    "linear_model": {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": False, "ngram_size": 2, "no_output_layer": False,
        "length": 131072,
    },
    "tok2vec": {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {
            "@architectures": "spacy.MultiHashEmbed.v2", "width": 16,
            "attrs": ["NORM", "SUFFIX"], "rows": [5000, 2000],
            "include_static_vectors": False,
        },
        "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": 16,
                   "window_size": 1, "maxout_pieces": 2, "depth": 1},
    },
}

Progress = Callable[[int, int, float], None]


def build_pipeline(textcat_model: dict[str, Any] | None = None) -> tuple[Any, Classifier]:
    """A fresh blank pipeline: cue rules first (they feed the model), then the textcat."""
    import spacy

    import classifier.rules  # noqa: F401  registers rightsbot_cues

    nlp = spacy.blank("xx")
    nlp.add_pipe("rightsbot_cues")
    textcat = nlp.add_pipe("textcat_multilabel", config={
        "model": textcat_model or TEXTCAT_MODEL, "threshold": 0.5})
    for label in LABELS:
        textcat.add_label(label)  # type: ignore[attr-defined]
    return nlp, Classifier(nlp)


def train(examples: list[Example] | None = None, output: Path | None = MODEL_DIR,
          epochs: int = EPOCHS, progress: Progress | None = None,
          textcat_model: dict[str, Any] | None = None,
          learn_rate: float = LEARN_RATE, folds: int = FOLDS) -> Classifier:
    """Train on the training split (never the held-out one) and save to `output`.

    With folds > 1, k models trained on k-1 folds first score the fold they did not see; those
    scores fit the cue calibration and the per-label bars (calibrate.py). The shipped model
    is trained on everything.
    """
    if examples is None:
        examples, _ = split(read_examples())
    total = epochs * (folds + 1 if folds > 1 else 1)
    done = 0

    def step(epoch: int, loss: float) -> None:
        if progress:
            progress(done + epoch, total, loss)

    calibration = None
    thresholds = None
    if folds > 1:
        rows = []
        for fold in range(folds):
            seen = [e for e in examples if _fold(e, folds) != fold]
            unseen = [e for e in examples if _fold(e, folds) == fold]
            _nlp, model = _fit(seen, epochs, step, textcat_model, learn_rate)
            done += epochs
            for ex, doc in zip(unseen, model.nlp.pipe(_docs(model, unseen)), strict=True):
                spans = [(s.label_, s.id_) for s in doc.spans["cues"]]
                rows.append(({k: float(doc.cats[k]) for k in LABELS},
                             calibrate.cue_tiers(spans), set(ex.labels)))
        calibration = calibrate.fit(rows)
        # The label bars from the same out-of-fold predictions, as calibrated scores.
        thresholds = calibrate.label_thresholds([
            ({k: calibrate.score(calibration, k, cats[k], tiers.get(k, set())) for k in LABELS},
             truth) for cats, tiers, truth in rows])
    nlp, model = _fit(examples, epochs, step, textcat_model, learn_rate)
    nlp.meta["name"] = "rightsbot_dsr"
    nlp.meta["version"] = time.strftime("%Y.%m.%d") + f"-{len(examples)}"
    nlp.meta["description"] = "GDPR rights request classifier trained on rightsbot's own examples"
    if calibration is not None:
        nlp.meta["calibration"] = calibration
    if thresholds is not None:
        nlp.meta["label_thresholds"] = thresholds
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        nlp.to_disk(output)
        save_tokenizers(model.tokenizers, output)
    return Classifier(nlp, tokenizers=model.tokenizers)


def _fold(example: Example, folds: int) -> int:
    return hashlib.sha256(example.id.encode()).digest()[2] % folds


def _docs(model: Classifier, examples: list[Example]) -> Iterator[Doc]:
    for ex in examples:
        text = model_text(ex.subject, ex.body)
        yield model.make_doc(text, detect_language(text))


def _fit(examples: list[Example], epochs: int, step: Callable[[int, float], None],
         textcat_model: dict[str, Any] | None, learn_rate: float) -> tuple[Any, Classifier]:
    """One seeded training run of the textcat on `examples`."""
    from spacy.training import Example as SpacyExample
    from spacy.util import fix_random_seed, minibatch  # type: ignore[attr-defined]
    from thinc.api import Adam

    fix_random_seed(SEED)
    rng = random.Random(SEED)
    nlp, model = build_pipeline(textcat_model)
    cues = nlp.get_pipe("rightsbot_cues")
    training = []
    for ex, doc in zip(examples, _docs(model, examples), strict=True):
        cats = {label: float(label in ex.labels) for label in LABELS}
        training.append(SpacyExample.from_dict(cues(doc), {"cats": cats}))
    with nlp.select_pipes(enable=["textcat_multilabel"]):
        nlp.initialize(lambda: training)
        optimizer = Adam(learn_rate, use_averages=True, L2=1e-6, grad_clip=1.0)
        for epoch in range(1, epochs + 1):
            started = time.monotonic()
            rng.shuffle(training)
            losses: dict[str, float] = {}
            for batch in minibatch(training, size=BATCH_SIZE):  # type: ignore[no-untyped-call]
                nlp.update(batch, sgd=optimizer, drop=DROPOUT, losses=losses)
            loss = losses.get("textcat_multilabel", 0.0)
            step(epoch, loss)
            log.debug("epoch %d loss %.4f in %.1fs", epoch, loss, time.monotonic() - started)
        # Averaged weights (Polyak averaging) generalise better than the last step's.
        with nlp.use_params(optimizer.averages):
            averaged = nlp.to_bytes()
        nlp.from_bytes(averaged)
    return nlp, model


def print_progress(epoch: int, epochs: int, loss: float) -> None:
    bar = "#" * epoch + "." * (epochs - epoch)
    print(f"\rtraining [{bar}] epoch {epoch}/{epochs} loss {loss:.3f}", end="", file=sys.stderr,
          flush=True)
    if epoch == epochs:
        print(file=sys.stderr)


if __name__ == "__main__":
    started = time.monotonic()
    train(progress=print_progress)
    print(f"trained in {time.monotonic() - started:.1f}s -> {MODEL_DIR}")
