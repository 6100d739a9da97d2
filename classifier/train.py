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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifier import MODEL_DIR, Classifier, calibrate, save_tokenizers
from classifier.ensemble import ARCHITECTURE
from classifier.examples import Example, read_examples, split
from classifier.labels import LABELS
from classifier.language import detect_language
from classifier.normalize import model_text

if TYPE_CHECKING:
    from spacy.tokens import Doc

log = logging.getLogger(__name__)
SEED = 20261125
# Three epochs since round 11 (bench/RESULTS.md): with more examples, fewer passes do as well.
# On 6,880 training examples, out of fold over four seeds, five, six and eight epochs scored
# alike (macro-F1 0.9110, 0.9117, 0.9087); on 8,105, four epochs scored 0.9142 and three
# 0.9127; on 10,578, three scored 0.9195. Four no longer fit the two minutes on 11,805.
EPOCHS = 3
BATCH_SIZE = 32
DROPOUT = 0.2
# spaCy's default 0.001 barely moves the sparse bag-of-words weights in a dozen epochs.
LEARN_RATE = 0.005
# Models trained on one half score the other: the data for the cue calibration and label
# bars. Two folds since round 11: on the held-out split they scored as three did (macro-F1
# 0.9503 against 0.9498 on 2,958 mails) in 88 s of training instead of 125 s. On 13,021
# examples training takes 87 s.
FOLDS = 2
# Members of the textcat's mean (ensemble.py), each trained on its own with its own seed.
MEMBERS = 3
# Fits run side by side, one per core (the budget is two minutes on two cores).
WORKERS = 2
# Each member: a bag of words and bigrams (with the cue markers among the words) plus a small
# CNN over NORM (concepts shared across languages, see cues.CONCEPTS), which carries the model
# across languages and wordings it never saw. Round 6 (bench/RESULTS.md) chose width 8 over
# NORM out of fold; round 7, on 4,380 examples, three members beat two for both seeds tried
# (macro-F1 +0.007, a quarter fewer false requests, and the two seeds 0.0002 apart instead
# of 0.003), at 94 s of training and no measurable loss of speed.
TEXTCAT_MODEL: dict[str, Any] = {
    "@architectures": ARCHITECTURE,
    "members": MEMBERS, "width": 8, "embed_rows": [5000], "bow_length": 131072,
    "ngram_size": 2, "attrs": ["NORM"],
}

Progress = Callable[[int, int, float], None]


def build_pipeline(textcat_model: dict[str, Any] | None = None,
                   base: Classifier | None = None) -> tuple[Any, Classifier]:
    """A fresh blank pipeline: cue rules first (they feed the model), then the textcat.

    With `base`, the new pipeline shares its vocabulary and per-language tokenizers, so docs
    made by one fit serve the next (building the tokenizers alone takes ~1 s per fit).
    """
    import spacy

    import classifier.rules  # noqa: F401  registers rightsbot_cues

    nlp = spacy.blank("xx", vocab=base.nlp.vocab) if base else spacy.blank("xx")
    nlp.add_pipe("rightsbot_cues")
    textcat = nlp.add_pipe("textcat_multilabel", config={
        "model": textcat_model or TEXTCAT_MODEL, "threshold": 0.5})
    for label in LABELS:
        textcat.add_label(label)  # type: ignore[attr-defined]
    return nlp, Classifier(nlp, tokenizers=base.tokenizers if base else None)


@dataclass(frozen=True)
class Fit:
    """One member trained on some examples: a unit of work for the pool."""

    fold: int  # -1: all examples (the shipped model)
    member: int
    examples: tuple[Example, ...]
    epochs: int
    textcat_model: dict[str, Any]
    learn_rate: float
    batch_size: int = BATCH_SIZE
    seed: int = SEED


def train(examples: list[Example] | None = None, output: Path | None = MODEL_DIR,
          epochs: int = EPOCHS, progress: Progress | None = None,
          textcat_model: dict[str, Any] | None = None,
          learn_rate: float = LEARN_RATE, folds: int = FOLDS,
          workers: int = WORKERS, seed: int = SEED) -> Classifier:
    """Train on the training split (never the held-out one) and save to `output`.

    With folds > 1, k models trained on k-1 folds first score the fold they did not see; those
    scores fit the cue calibration and the per-label bars (calibrate.py). The shipped model
    is trained on everything. Every model is a mean of members (ensemble.py), each trained
    alone with its own seed, so the fits can run in `workers` processes and still give the
    same model whatever order they finish in.
    """
    if examples is None:
        examples, _ = split(read_examples())
    model_config = dict(textcat_model or TEXTCAT_MODEL)
    members = int(model_config.get("members", 1))
    member_config = {**model_config, "members": 1}
    parts = [(fold, [e for e in examples if _fold(e, folds) != fold],
              [e for e in examples if _fold(e, folds) == fold])
             for fold in (range(folds) if folds > 1 else [])]
    parts.append((-1, examples, []))
    jobs = [Fit(fold, member, tuple(seen), epochs, member_config, learn_rate, seed=seed)
            for fold, seen, _unseen in parts for member in range(members)]
    rows_by_fold: dict[int, list[Any]] = {}

    def score_fold(fold: int, trained: dict[tuple[int, int], bytes]) -> None:
        """The fold's model scores the examples it did not see: rows for the calibration."""
        _, seen, unseen = parts[fold]
        model = _assemble(model_config, [trained[fold, m] for m in range(members)], seen)
        rows_by_fold[fold] = [
            (dict(scored.doc.cats), scored.best_sentence,
             calibrate.cue_tiers([(s.label_, s.id_) for s in scored.doc.spans["cues"]]),
             set(ex.labels))
            for ex, scored in zip(unseen, model.score_docs(_docs(model, unseen)), strict=True)]

    trained = _run_fits(jobs, workers, progress, fold_done=score_fold)
    rows = [row for fold in sorted(rows_by_fold) for row in rows_by_fold[fold]]

    calibration = None
    thresholds = None
    if rows:
        calibration = calibrate.fit(rows)
        # The label bars from the same out-of-fold predictions, as calibrated scores.
        thresholds = calibrate.label_thresholds([
            ({k: calibrate.score(calibration, k, mail[k], tiers.get(k, set()), best[k])
              for k in LABELS}, truth) for mail, best, tiers, truth in rows])
    model = _assemble(model_config, [trained[-1, m] for m in range(members)], examples)
    nlp = model.nlp
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


def _run_fits(jobs: list[Fit], workers: int, progress: Progress | None,
              fold_done: Callable[[int, dict[tuple[int, int], bytes]], None] | None = None,
              ) -> dict[tuple[int, int], bytes]:
    """Every fit's trained member (model bytes), keyed by (fold, member).

    `fold_done(fold, trained)` runs in this process as soon as all of a cross-validation
    fold's members are in, while the workers go on with the later fits: scoring the folds
    used to wait for the last fit and then ran on one core (round 11, bench/RESULTS.md).
    """
    total = sum(job.epochs for job in jobs)
    done = 0
    trained: dict[tuple[int, int], bytes] = {}
    handed: set[int] = set()

    def report(loss: float) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, loss)

    def hand_over_finished_folds() -> None:
        for fold in sorted({job.fold for job in jobs if job.fold >= 0} - handed):
            if all((job.fold, job.member) in trained for job in jobs if job.fold == fold):
                handed.add(fold)
                if fold_done:
                    fold_done(fold, trained)

    if workers <= 1 or len(jobs) == 1:
        try:
            for job in jobs:
                trained[job.fold, job.member] = _fit_member(job, report)
                hand_over_finished_folds()
            return trained
        finally:
            _shared.clear()
    import multiprocessing

    # spawn, not fork: a forked copy of a process with threads (or a half-loaded spaCy) can
    # hang; each worker imports spaCy once (~1 s) and then trains several members.
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        epochs_done = manager.Queue()
        with context.Pool(min(workers, len(jobs))) as pool:
            pending = {(job.fold, job.member): pool.apply_async(_fit_in_worker, (job, epochs_done))
                       for job in jobs}
            finished = 0
            while finished < len(pending):
                message = epochs_done.get()
                if isinstance(message, tuple):  # a fit ended: its (fold, member)
                    finished += 1
                    trained[message] = pending[message].get()  # raises the worker's error
                    hand_over_finished_folds()
                else:
                    report(message)
            return trained


def _fit_in_worker(job: Fit, epochs_done: Any) -> bytes:
    try:
        return _fit_member(job, epochs_done.put)
    finally:
        epochs_done.put((job.fold, job.member))


def _fold(example: Example, folds: int) -> int:
    return hashlib.sha256(example.id.encode()).digest()[2] % folds


def _doc(model: Classifier, example: Example) -> Doc:
    """The example tokenised as production mail is: normalised text, its language's rules."""
    text = model_text(example.subject, example.body)
    return model.make_doc(text, detect_language(text))


def _docs(model: Classifier, examples: list[Example]) -> Iterator[Doc]:
    return (_doc(model, ex) for ex in examples)


def _training_data(nlp: Any, model: Classifier, examples: Sequence[Example],
                   cache: dict[tuple[str, ...], Any] | None = None) -> list[Any]:
    """Training examples: each mail tokenised and cue-marked, with its labels as cats.

    With a cache (one per process, shared vocabulary), a mail becomes a spaCy Example once
    however many fits use it: each training example is in all but one of the training sets
    per member. Making an Example copies every token into its reference doc (0.9 s per fit on
    8,105 mails), so the Examples are cached too; fits only read them (spaCy's update copies
    the predicted doc before it changes anything).
    """
    from spacy.training import Example as SpacyExample

    cues = nlp.get_pipe("rightsbot_cues")
    out = []
    for ex in examples:
        key = (ex.id, ex.subject, ex.body, *ex.labels)
        example = cache.get(key) if cache is not None else None
        if example is None:
            example = SpacyExample.from_dict(cues(_doc(model, ex)), {
                "cats": {k: float(k in ex.labels) for k in LABELS}})
            if cache is not None:
                cache[key] = example
        out.append(example)
    return out


# Per process: the pipeline whose vocabulary and tokenizers all fits here share, and the
# training Examples made so far (see _training_data). Emptied when an in-process training ends.
_shared: dict[str, Any] = {}


def _shared_base() -> tuple[Classifier, dict[tuple[str, ...], Any]]:
    if "base" not in _shared:
        _shared["base"] = build_pipeline()[1]
        _shared["examples"] = {}
    return _shared["base"], _shared["examples"]


def _fit_member(job: Fit, epoch_done: Callable[[float], None]) -> bytes:
    """One seeded training run of a one-member textcat; returns the member's weights."""
    from spacy.util import fix_random_seed, minibatch  # type: ignore[attr-defined]
    from thinc.api import Adam

    # The seed depends on the member only: a member sees the same initial weights and the
    # same shuffles in every fold, whichever process runs it.
    seed = job.seed + 1000 * job.member
    fix_random_seed(seed)
    rng = random.Random(seed)
    base, made = _shared_base()
    nlp, model = build_pipeline(job.textcat_model, base)
    training = _training_data(nlp, model, job.examples, made)
    with nlp.select_pipes(enable=["textcat_multilabel"]):
        nlp.initialize(lambda: training)
        optimizer = Adam(job.learn_rate, use_averages=True, L2=1e-6, grad_clip=1.0)
        for epoch in range(1, job.epochs + 1):
            started = time.monotonic()
            rng.shuffle(training)
            losses: dict[str, float] = {}
            for batch in minibatch(training, size=job.batch_size):  # type: ignore[no-untyped-call]
                nlp.update(batch, sgd=optimizer, drop=DROPOUT, losses=losses)
            loss = losses.get("textcat_multilabel", 0.0)
            epoch_done(loss)
            log.debug("fold %d member %d epoch %d loss %.4f in %.1fs", job.fold, job.member,
                      epoch, loss, time.monotonic() - started)
        # Averaged weights (Polyak averaging) generalise better than the last step's.
        textcat = nlp.get_pipe("textcat_multilabel")
        with textcat.model.use_params(optimizer.averages):
            return bytes(textcat.model.layers[0].to_bytes())


def _assemble(model_config: dict[str, Any], members: list[bytes],
              examples: Sequence[Example]) -> Classifier:
    """A pipeline whose textcat is the mean of the trained members."""
    nlp, model = build_pipeline({**model_config, "members": len(members)})
    # Initialising infers the layer shapes from a few examples; the weights are replaced.
    sample = _training_data(nlp, model, examples[:16])
    with nlp.select_pipes(enable=["textcat_multilabel"]):
        nlp.initialize(lambda: sample)
    mean = nlp.get_pipe("textcat_multilabel").model
    for layer, weights in zip(mean.layers, members, strict=True):
        layer.from_bytes(weights)
    return Classifier(nlp, tokenizers=model.tokenizers)


def print_progress(epoch: int, epochs: int, loss: float) -> None:
    """A bar of the training epochs done (all folds and members), updated in place."""
    width = 40
    filled = width * epoch // max(epochs, 1)
    bar = "#" * filled + "." * (width - filled)
    print(f"\rtraining [{bar}] epoch {epoch}/{epochs} loss {loss:.3f}", end="",
          file=sys.stderr, flush=True)
    if epoch == epochs:
        print(file=sys.stderr)


if __name__ == "__main__":
    started = time.monotonic()
    train(progress=print_progress)
    print(f"trained in {time.monotonic() - started:.1f}s -> {MODEL_DIR}")
