"""How much a cue is worth next to the model: a small per-label logistic layer, learned.

The textcat alone learns rare strong cues ("Recht auf Vergessenwerden") slowly, and a fixed
boost turns weak cues ("unsubscribe", "bezwaar") into false requests. So for every label we
fit score = sigmoid(a * logit(model) + b * strong + c * phrase + d * weak + e) on predictions
the model made for examples it was not trained on (k-fold), and store the weights in the
model's meta.json. Cues inform the score; how much is decided by our data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from classifier.labels import LABELS

FEATURES = ("model", "strong", "phrase", "weak", "bias")
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


def features(model: float, strengths: set[str]) -> list[float]:
    p = min(max(model, EPSILON), 1.0 - EPSILON)
    return [math.log(p / (1.0 - p)), float("strong" in strengths),
            float("phrase" in strengths), float("weak" in strengths), 1.0]


def score(weights: Weights | None, label: str, model: float, strengths: set[str]) -> float:
    """The calibrated score; the model's own score when the model has no calibration."""
    if not weights or label not in weights:
        return model
    z = sum(w * x for w, x in zip(weights[label], features(model, strengths), strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def fit(rows: Sequence[tuple[Mapping[str, float], Mapping[str, set[str]], set[str]]],
        iterations: int = 50) -> Weights:
    """Per-label weights by Newton's method from (model scores, cue tiers, true labels)."""
    import numpy as np

    weights: Weights = {}
    for label in LABELS:
        x = np.array([features(s[label], t.get(label, set())) for s, t, _ in rows])
        y = np.array([float(label in truth) for _s, _t, truth in rows])
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
