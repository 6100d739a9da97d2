"""The rule component: a spaCy Matcher over the cue lexicon, marking evidence spans.

Registered as the `rightsbot_cues` factory; it puts each match in doc.spans["cues"] with the
label as span label, and the strongest weight per label in doc._.cue_weights.
"""

from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from classifier.cues import CUES

if not Doc.has_extension("cue_weights"):
    Doc.set_extension("cue_weights", default=None)


def compile_pattern(pattern: str) -> list[dict[str, Any]]:
    """Turn our token-spec string (see cues.py) into a spaCy Matcher pattern."""
    tokens: list[dict[str, Any]] = []
    for spec in pattern.split():
        optional = spec.endswith("?") and len(spec) > 1 and not spec.startswith("~")
        if spec.startswith("~") and spec.endswith("?") and not spec.endswith(")?"):
            # "~abc?" means the regex abc? ; a trailing "?" after ")" stays regex too.
            pass
        body = spec[:-1] if optional else spec
        if body == "*":
            tokens.append({"OP": "?"})
            continue
        if body.startswith("~"):
            regex = body[1:]
            re.compile(regex)
            token: dict[str, Any] = {"LOWER": {"REGEX": f"^(?:{regex})$"}}
        else:
            token = {"LOWER": {"IN": body.split("|")}}
        if optional:
            token["OP"] = "?"
        tokens.append(token)
    return tokens


class CueMatcher:
    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.weights: dict[str, tuple[str, float]] = {}
        for index, (label, weight, pattern) in enumerate(CUES):
            key = f"{label}#{index}"
            self.matcher.add(key, [compile_pattern(pattern)])
            self.weights[key] = (label, weight)

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        best: dict[str, float] = {}
        for match_id, start, end in self.matcher(doc):
            label, weight = self.weights[doc.vocab.strings[match_id]]
            spans.append(Span(doc, start, end, label=label))
            best[label] = max(best.get(label, 0.0), weight)
        # Longest non-overlapping spans per label become the evidence shown to staff.
        by_label: dict[str, list[Span]] = {}
        for span in spans:
            by_label.setdefault(span.label_, []).append(span)
        doc.spans["cues"] = [s for group in by_label.values() for s in filter_spans(group)]
        doc._.cue_weights = best
        return doc


@Language.factory("rightsbot_cues")
def make_cue_matcher(nlp: Language, name: str) -> CueMatcher:
    return CueMatcher(nlp, name)
