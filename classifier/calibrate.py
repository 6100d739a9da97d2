"""How much a cue is worth next to the model: a small per-label logistic layer, learned.

The textcat alone learns rare strong cues ("Recht auf Vergessenwerden") slowly, and a fixed
boost turns weak cues ("unsubscribe", "bezwaar") into false requests. So for every label we
fit score = sigmoid(a * logit(model) + b * strong + c * phrase + d * weak + e * counter
+ f * sentence lift + g) on predictions the model made for examples it was not trained on
(k-fold), and store the weights in the model's meta.json. Cues and sentences inform the
score; how much is decided by our data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from classifier.labels import LABELS

FEATURES = ("model", "strong", "phrase", "weak", "counter", "sentence", "bias")
# Models from before sentence scores (round 9) have six weights per label, no "sentence";
# models from before counter-cues (round 6) five, no "counter" either.
EARLIER_FEATURES = {6: ("model", "strong", "phrase", "weak", "counter", "bias"),
                    5: ("model", "strong", "phrase", "weak", "bias")}
Weights = dict[str, list[float]]
# Gentle L2 keeps weights finite when a cue is perfectly separating in our small data.
L2 = 0.05
EPSILON = 1e-4


def cue_tiers(spans: Sequence[tuple[str, str]]) -> dict[str, set[str]]:
    """label -> strengths of the cues found for it, from (label, strength) pairs."""
    out: dict[str, set[str]] = {}
    for label, strength in spans:
        out.setdefault(label, set()).add(strength)
    return out


def features(model: float, strengths: set[str], names: Sequence[str] = FEATURES,
             sentence: float | None = None) -> list[float]:
    """The calibration's inputs for one label.

    "sentence" is how far the mail's best sentence scores above the whole mail (0 when it
    does not, or the mail has one sentence): a second right in a sentence of its own ("...
    send me a copy. Also take me off your lists.") is diluted in the mail's score
    (sentences.py). Out of fold, learned per label, it found such rights without more false
    requests; a fixed blend of the two scores did less well (bench/RESULTS.md, round 9).
    """
    p = min(max(model, EPSILON), 1.0 - EPSILON)
    values = {"model": math.log(p / (1.0 - p)), "bias": 1.0,
              "sentence": max(sentence - model, 0.0) if sentence is not None else 0.0}
    return [values[name] if name in values else float(name in strengths) for name in names]


def score(weights: Weights | None, label: str, model: float, strengths: set[str],
          sentence: float | None = None) -> float:
    """The calibrated score; the model's own score when the model has no calibration."""
    if not weights or label not in weights:
        return model
    names = EARLIER_FEATURES.get(len(weights[label]), FEATURES)
    z = sum(w * x for w, x in zip(weights[label], features(model, strengths, names, sentence),
                                  strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


Row = tuple[Mapping[str, float], Mapping[str, float], Mapping[str, set[str]], set[str]]


def fit(rows: Sequence[Row], iterations: int = 50) -> Weights:
    """Per-label weights by Newton's method.

    rows: (mail scores, best sentence scores, cue tiers, true labels) per mail.
    """
    import numpy as np

    weights: Weights = {}
    for label in LABELS:
        x = np.array([features(mail[label], tiers.get(label, set()), FEATURES, best[label])
                      for mail, best, tiers, _truth in rows])
        y = np.array([float(label in truth) for *_scores, truth in rows])
        w = np.zeros(x.shape[1])
        w[0] = 1.0  # start from "trust the model"
        penalty = L2 * np.eye(x.shape[1])
        penalty[-1, -1] = 0.0  # the bias is not shrunk
        for _ in range(iterations):
            p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
            gradient = x.T @ (p - y) + penalty @ w
            hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty + 1e-9 * np.eye(x.shape[1])
            step = np.linalg.solve(hessian, gradient)
            w -= step
            if float(np.abs(step).max()) < 1e-8:
                break
        weights[label] = [round(float(v), 6) for v in w]
    return weights


# Which labels a ticket shows is a separate question from whether the bot may acknowledge the
# mail on its own: the request threshold (0.9) is a bar for confidence that *some* right is
# invoked, and used as the bar for every label it hid a fifth of the labels that were there.
# Each label gets its own bar, the one with the best F1 on the out-of-fold scores, searched in
# [LABEL_THRESHOLD_MIN, LABEL_THRESHOLD_MAX] (never above the default request threshold, so a
# label that makes a mail a confident request is always shown).
LABEL_THRESHOLD_MIN = 0.10
LABEL_THRESHOLD_MAX = 0.80
# Thresholds whose F1 is within this of the best form a plateau; we take its median, which
# moves less with a handful of examples than the single best point.
PLATEAU = 0.002


def label_thresholds(rows: Sequence[tuple[Mapping[str, float], set[str]]]) -> dict[str, float]:
    """Per-label score bar maximising that label's F1 over (calibrated scores, true labels)."""
    out: dict[str, float] = {}
    steps = round((LABEL_THRESHOLD_MAX - LABEL_THRESHOLD_MIN) * 100)
    grid = [round(LABEL_THRESHOLD_MIN + i / 100, 2) for i in range(steps + 1)]
    for label in LABELS:
        pairs = [(scores[label], label in truth) for scores, truth in rows]
        results = []
        for bar in grid:
            tp = sum(1 for s, y in pairs if s >= bar and y)
            fp = sum(1 for s, y in pairs if s >= bar and not y)
            fn = sum(1 for s, y in pairs if s < bar and y)
            results.append((2 * tp / (2 * tp + fp + fn) if tp else 0.0, bar))
        best = max(f for f, _bar in results)
        plateau = sorted(bar for f, bar in results if f >= best - PLATEAU)
        middle = len(plateau) // 2
        median = (plateau[middle] if len(plateau) % 2
                  else (plateau[middle - 1] + plateau[middle]) / 2)
        out[label] = round(median, 3)
    return out
