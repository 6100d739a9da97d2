"""The textcat's model: the mean of a few small, independently trained text classifiers.

One small model trained on a few thousand examples is noisy: two seeds disagree on many
borderline mails, and six changed training texts moved out-of-fold macro-F1 by 0.02
(round 5). The mean of members trained with different seeds is steadier and better: out of
fold, two to five members scored +0.01 to +0.026 macro-F1 over one (bench/RESULTS.md, round
6). Each member is spaCy's TextCatEnsemble (a bag of words and bigrams beside a small CNN over
concept norms); the CNN is the costly part, so members are narrow (width 8).

Members are trained one by one (train.py), then put side by side in this model; the
architecture is registered here so that `spacy.load` can rebuild it from the config.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats2d

ARCHITECTURE = "rightsbot.TextCatMean.v1"


def member_config(width: int, embed_rows: list[int], bow_length: int, ngram_size: int,
                  attrs: list[str], window_size: int = 1, depth: int = 1) -> dict[str, Any]:
    """One member: spaCy's TextCatEnsemble.v2 with our sizes (see train.TEXTCAT_MODEL)."""
    return {
        "@architectures": "spacy.TextCatEnsemble.v2",
        "nO": None,
        "linear_model": {
            "@architectures": "spacy.TextCatBOW.v3",
            "exclusive_classes": False, "ngram_size": ngram_size, "no_output_layer": False,
            "length": bow_length,
        },
        "tok2vec": {
            "@architectures": "spacy.Tok2Vec.v2",
            "embed": {
                "@architectures": "spacy.MultiHashEmbed.v2", "width": width,
                "attrs": attrs, "rows": embed_rows,
                "include_static_vectors": False,
            },
            "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": width,
                       "window_size": window_size, "maxout_pieces": 2, "depth": depth},
        },
    }


@registry.architectures(ARCHITECTURE)  # type: ignore[untyped-decorator]
def build_mean_textcat(members: int, width: int, embed_rows: list[int], bow_length: int,
                       ngram_size: int, attrs: list[str] = ["NORM", "SUFFIX"],  # noqa: B006
                       nO: int | None = None, window_size: int = 1,
                       depth: int = 1) -> Model[Any, Floats2d]:
    """`members` copies of one member architecture; the output is their mean score."""
    if members < 1:
        raise ValueError("a mean of textcat models needs at least one member")
    config = {"model": member_config(width, embed_rows, bow_length, ngram_size, attrs,
                                     window_size, depth)}
    layers = [registry.resolve(config)["model"] for _ in range(members)]
    model: Model[Any, Floats2d] = Model(
        "textcat_mean", _forward, init=_init, layers=layers, dims={"nO": nO},
        attrs={"multi_label": True})
    if nO is not None:
        for layer in layers:
            layer.set_dim("nO", nO)
    # spaCy's textcat looks for an output layer to resize when a label is added late; ours
    # are fixed before initialisation, so the first member's stands in.
    model.set_ref("output_layer", layers[0].get_ref("output_layer"))
    return model


def _init(model: Model[Any, Floats2d], X: Any = None, Y: Any = None) -> None:
    nO = model.get_dim("nO") if model.has_dim("nO") else None
    for layer in model.layers:
        if nO is not None and layer.has_dim("nO") is None:
            layer.set_dim("nO", nO)
        layer.initialize(X=X, Y=Y)
    if not model.has_dim("nO"):
        model.set_dim("nO", model.layers[0].get_dim("nO"))


def _forward(model: Model[Any, Floats2d], docs: Any,
             is_train: bool) -> tuple[Floats2d, Callable[[Floats2d], Any]]:
    outputs = [layer(docs, is_train) for layer in model.layers]
    share = 1.0 / len(outputs)
    mean = outputs[0][0] * share
    for scores, _backprop in outputs[1:]:
        mean = mean + scores * share
    scaled_backprops = [backprop for _scores, backprop in outputs]

    def backprop(d_mean: Floats2d) -> Any:
        for member_backprop in scaled_backprops:
            member_backprop(d_mean * share)
        return []

    return mean, backprop
