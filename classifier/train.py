"""Train the textcat_multilabel pipeline from our examples, deterministically.

`rightsbot train` (or `python -m classifier.train`) writes classifier/model/.
"""

from __future__ import annotations

import logging
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from classifier import MODEL_DIR, Classifier
from classifier.examples import Example, read_examples, split
from classifier.labels import LABELS
from classifier.language import detect_language
from classifier.normalize import model_text

log = logging.getLogger(__name__)
SEED = 20261125
EPOCHS = 14
TEXTCAT_MODEL = {
    "@architectures": "spacy.TextCatEnsemble.v2",
    "nO": None,
    "linear_model": {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": False, "ngram_size": 2, "no_output_layer": False, "length": 262144,
    },
    "tok2vec": {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {
            "@architectures": "spacy.MultiHashEmbed.v2", "width": 64,
            "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"], "rows": [5000, 2500, 2500, 1000],
            "include_static_vectors": False,
        },
        "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": 64,
                   "window_size": 1, "maxout_pieces": 3, "depth": 2},
    },
}

Progress = Callable[[int, int, float], None]


def build_pipeline() -> tuple[object, Classifier]:
    import spacy

    import classifier.rules  # noqa: F401  registers rightsbot_cues

    nlp = spacy.blank("xx")
    textcat = nlp.add_pipe("textcat_multilabel", config={"model": TEXTCAT_MODEL, "threshold": 0.5})
    for label in LABELS:
        textcat.add_label(label)  # type: ignore[attr-defined]
    nlp.add_pipe("rightsbot_cues")
    return nlp, Classifier(nlp)


def train(examples: list[Example] | None = None, output: Path | None = MODEL_DIR,
          epochs: int = EPOCHS, progress: Progress | None = None) -> Classifier:
    """Train on the training split (never the held-out one) and save to `output`."""
    from spacy.training import Example as SpacyExample
    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(SEED)
    rng = random.Random(SEED)
    if examples is None:
        examples, _ = split(read_examples())
    nlp, wrapper = build_pipeline()
    training = []
    for ex in examples:
        text = model_text(ex.subject, ex.body)
        doc = wrapper.make_doc(text, detect_language(text))
        cats = {label: float(label in ex.labels) for label in LABELS}
        training.append(SpacyExample.from_dict(doc, {"cats": cats}))
    with nlp.select_pipes(enable=["textcat_multilabel"]):  # type: ignore[attr-defined]
        optimizer = nlp.initialize(lambda: training)  # type: ignore[attr-defined]
        for epoch in range(1, epochs + 1):
            started = time.monotonic()
            rng.shuffle(training)
            losses: dict[str, float] = {}
            for batch in minibatch(training, size=16):
                nlp.update(batch, sgd=optimizer, drop=0.2, losses=losses)  # type: ignore[attr-defined]
            loss = losses.get("textcat_multilabel", 0.0)
            if progress:
                progress(epoch, epochs, loss)
            log.debug("epoch %d loss %.4f in %.1fs", epoch, loss, time.monotonic() - started)
    nlp.meta["name"] = "rightsbot_dsr"  # type: ignore[attr-defined]
    nlp.meta["version"] = time.strftime("%Y.%m.%d") + f"-{len(examples)}"  # type: ignore[attr-defined]
    nlp.meta["description"] = "GDPR rights request classifier trained on rightsbot's own examples"  # type: ignore[attr-defined]
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        nlp.to_disk(output)  # type: ignore[attr-defined]
    return Classifier(nlp)  # type: ignore[arg-type]


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
