"""The rule component: a token matcher over the cue lexicon, marking evidence and features.

Registered as the `rightsbot_cues` factory and run before the text classifier. Each match
becomes a span in doc.spans["cues"] (label = the right, id = the cue's strength): the
evidence staff see. The component also appends marker tokens, one per (right, strength)
found (`__cue_objection_weak__`) and one per right (`__cue_objection__`), so the trained
textcat learns what each kind of cue is worth in context ("bezwaar" in a tax appeal is not
an Art. 21 objection) instead of a fixed weight overriding it. Words of a concept
(cues.CONCEPTS, and cues.LANGUAGE_CONCEPTS for the mail's detected language) get the
concept as NORM and add a `__concept_<name>__` marker. A deletion word that the mail refuses
or puts off ("please don't delete it", "nicht um Löschung gebeten", "eventuell später") gets
the concept `not_delete` instead, and erasure cues through it are dropped.
doc.user_data holds "text_tokens" (the number of real tokens), "concepts" ((token index,
concept) pairs) and "language" (set by Classifier.make_doc).
"""

from __future__ import annotations

from spacy.attrs import LOWER, ORTH, SPACY
from spacy.language import Language
from spacy.strings import StringStore
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from classifier.cues import (
    CONCEPTS,
    COUNTER,
    CUES,
    DEFERRED_AFTER,
    DEFERRED_BEFORE,
    LANGUAGE_CONCEPTS,
    NEGATED_DELETE,
    NEGATION_AFTER,
    NEGATION_BEFORE,
    NOT_DELETE_CONCEPT,
    STRENGTHS,
)

MARKER_PREFIX = "__cue_"
CONCEPT_PREFIX = "__concept_"
# Expanding a cue's little regex must stay small; a runaway pattern is a bug in cues.py.
MAX_EXPANSION = 4000


def expand(regex: str) -> list[str]:
    """Every string a finite regex matches: literals, (a|b), [abc], \\d, \\x escapes and ?.

    The Matcher then compares token text against a set in compiled code, which is two orders
    of magnitude faster than a REGEX predicate called per token.
    """
    options, end = _alternation(regex, 0)
    if end != len(regex):
        raise ValueError(f"unbalanced ')' in cue regex {regex!r}")
    return sorted(set(options))


def _alternation(regex: str, pos: int) -> tuple[list[str], int]:
    branches: list[str] = []
    while True:
        sequence, pos = _sequence(regex, pos)
        branches.extend(sequence)
        if pos < len(regex) and regex[pos] == "|":
            pos += 1
            continue
        return branches, pos


def _sequence(regex: str, pos: int) -> tuple[list[str], int]:
    out = [""]
    while pos < len(regex) and regex[pos] not in "|)":
        atom, pos = _atom(regex, pos)
        if pos < len(regex) and regex[pos] == "?":
            atom = [*atom, ""]
            pos += 1
        out = [head + tail for head in out for tail in atom]
        if len(out) > MAX_EXPANSION:
            raise ValueError(f"cue regex {regex!r} expands to too many strings")
    return out, pos


def _atom(regex: str, pos: int) -> tuple[list[str], int]:
    char = regex[pos]
    if char == "(":
        options, pos = _alternation(regex, pos + 1)
        if pos >= len(regex) or regex[pos] != ")":
            raise ValueError(f"unbalanced '(' in cue regex {regex!r}")
        return options, pos + 1
    if char == "[":
        close = regex.index("]", pos)
        return list(regex[pos + 1:close]), close + 1
    if char == "\\":
        escaped = regex[pos + 1]
        return (list("0123456789") if escaped == "d" else [escaped]), pos + 2
    if char in "*+{.^$":
        raise ValueError(f"cue regex {regex!r} uses {char!r}; only finite patterns are allowed")
    return [char], pos + 1


# One token spec: the set of lower-case word hashes it accepts (None = any token), optional?
Spec = tuple[frozenset[int] | None, bool]


def compile_pattern(pattern: str, strings: StringStore) -> tuple[Spec, ...]:
    """Turn our token-spec string (see cues.py) into hashed word sets."""
    specs: list[Spec] = []
    for spec in pattern.split():
        optional = spec.endswith("?") and len(spec) > 1 and not spec.startswith("~")
        body = spec[:-1] if optional else spec
        if body == "*":
            specs.append((None, True))
            continue
        words = expand(body[1:]) if body.startswith("~") else body.split("|")
        accepted = frozenset(strings.add(w) for w in words if w)
        specs.append((accepted, optional or "" in words))
    if all(optional for _words, optional in specs):
        raise ValueError(f"cue pattern {pattern!r} can match nothing")
    return tuple(specs)


def marker(label: str, strength: str) -> str:
    return f"{MARKER_PREFIX}{label}_{strength}__"


class CueMatcher:
    """Find cue phrases; keep them as evidence spans and hand them to the model as markers.

    Matching is our own: spaCy's Matcher calls a Python predicate for every set-valued token
    pattern at every token, which ran at ~70 mails/s on 2 KB mails with this lexicon. Here
    each pattern is indexed by the words it can start with, so a token costs one dict lookup
    unless it can open a cue.
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        strings = nlp.vocab.strings
        # One entry per distinct (strength, pattern): a counter-cue for every label (a
        # thank-you closing a handled request) is matched once, not once per label.
        self.patterns: list[tuple[tuple[str, ...], str, tuple[Spec, ...]]] = []
        # The word sets a pattern cannot match without: a mail lacking one skips the pattern.
        self.required: list[tuple[frozenset[int], ...]] = []
        self.starts: dict[int, list[int]] = {}
        grouped: dict[tuple[str, str], list[str]] = {}
        for index, (label, strength, pattern) in enumerate(CUES):
            if strength not in STRENGTHS:
                raise ValueError(f"cue {index} ({pattern!r}): unknown strength {strength!r}")
            labels = grouped.setdefault((strength, pattern), [])
            if label not in labels:
                labels.append(label)
        for index, ((strength, pattern), labels) in enumerate(grouped.items()):
            specs = compile_pattern(pattern, strings)
            if specs[0][0] is None:
                raise ValueError(f"cue pattern {pattern!r} must not start with '*'")
            self.patterns.append((tuple(labels), strength, specs))
            self.required.append(tuple(w for w, optional in specs if w and not optional))
            for words, optional in specs:
                for word in words or ():
                    self.starts.setdefault(word, []).append(index)
                if not optional:
                    break
        self.concepts = _concept_table(CONCEPTS, strings)
        # Per language: the shared table plus that language's own words.
        self.language_concepts = {
            language: {**self.concepts, **_concept_table(extra, strings, self.concepts)}
            for language, extra in LANGUAGE_CONCEPTS.items()}
        self.not_delete_norm = f"{CONCEPT_PREFIX}{NOT_DELETE_CONCEPT}__"
        self.negated_delete = {part: frozenset(strings.add(w) for w in expand(spec[1:]))
                               for part, spec in NEGATED_DELETE.items()}
        self.deletion_words = (self.negated_delete["verbs"] | self.negated_delete["participles"]
                               | self.negated_delete["nouns"])

    def matches(self, hashes: list[int]) -> list[tuple[int, int, str, str]]:
        """(start, end, label, strength): the longest match of each cue at each start."""
        found: list[tuple[int, int, str, str]] = []
        starts = self.starts
        words = set(hashes)
        viable: dict[int, bool] = {}
        for i, word in enumerate(hashes):
            candidates = starts.get(word)
            if not candidates:
                continue
            for index in dict.fromkeys(candidates):
                possible = viable.get(index)
                if possible is None:
                    possible = viable[index] = all(
                        not required.isdisjoint(words) for required in self.required[index])
                if not possible:
                    continue
                labels, strength, specs = self.patterns[index]
                end = _longest(specs, 0, hashes, i)
                if end > i:
                    found.extend((i, end, label, strength) for label in labels)
        return found

    def refused_deletions(self, hashes: list[int]) -> set[int]:
        """Positions of deletion words refused or put off: "don't delete", "nicht löschen"."""
        words = self.negated_delete
        out: set[int] = set()
        if self.deletion_words.isdisjoint(hashes):  # most mail: nothing to look at
            return out
        for i, word in enumerate(hashes):
            if word not in self.deletion_words:
                continue
            is_verb, is_noun = word in words["verbs"], word in words["nouns"]
            before, after = _before(i, NEGATION_BEFORE), _after(i, NEGATION_AFTER, len(hashes))
            wanted = (word not in words["participles"]
                      or self._in_clause(hashes, before, words["want"]) >= 0)
            refused = ((wanted and self._negated(hashes, before, words["before"],
                                                 check_tense=not is_noun))
                       or (is_verb and self._negated(hashes, after, words["after"])))
            deferred = any(
                self._in_clause(hashes, positions, words["deferred"]) >= 0
                for positions in (_before(i, DEFERRED_BEFORE),
                                  _after(i, DEFERRED_AFTER, len(hashes))))
            if refused or deferred:
                out.add(i)
        return out

    def _in_clause(self, hashes: list[int], positions: range, wanted: frozenset[int]) -> int:
        """The first position (walking away from the deletion word) holding one of `wanted`
        before the clause ends; -1 if none."""
        for j in positions:
            if hashes[j] in self.negated_delete["clause_end"]:
                return -1
            if hashes[j] in wanted:
                return j
        return -1

    def _negated(self, hashes: list[int], positions: range, negations: frozenset[int],
                 check_tense: bool = True) -> bool:
        """A negation at one of positions, within the clause, that refuses the deletion."""
        words = self.negated_delete
        j = self._in_clause(hashes, positions, negations)
        if j < 0:
            return False
        # "not only delete", "nicht nur löschen"
        if j + 1 < len(hashes) and hashes[j + 1] in words["not_refusal_next"]:
            return False
        # "did you not delete", "can't delete", "wurden bis heute nicht gelöscht"
        if check_tense:
            return self._in_clause(hashes, _before(j, 3), words["not_refusal_before"]) < 0
        return True

    def __call__(self, doc: Doc) -> Doc:
        hashes = doc.to_array(LOWER).tolist()
        found = self.matches(hashes)
        text_tokens = len(doc)
        language = doc.user_data.get("language", "")
        lookup = self.language_concepts.get(language, self.concepts).get
        norms = {i: norm for i, h in enumerate(hashes) if (norm := lookup(h)) is not None}
        refused = self.refused_deletions(hashes)
        if refused:
            norms.update(dict.fromkeys(refused, self.not_delete_norm))
            norms = dict(sorted(norms.items()))
            found = [(start, end, label, strength) for start, end, label, strength in found
                     if label != "erasure" or strength == COUNTER
                     or not any(start <= i < end for i in refused)]
        markers = sorted({marker(label, strength) for _s, _e, label, strength in found}
                         | {f"{MARKER_PREFIX}{label}__" for _s, _e, label, strength in found
                            if strength != COUNTER})
        markers += sorted(set(norms.values()))
        if markers:
            doc = _with_markers(doc, markers)
        for i, norm in norms.items():
            doc[i].norm_ = norm
        by_label: dict[tuple[str, bool], list[Span]] = {}
        for start, end, label, strength in found:
            by_label.setdefault((label, strength == COUNTER), []).append(
                Span(doc, start, end, label=label, span_id=strength))
        # Longest non-overlapping spans per label become the evidence shown to staff; a
        # counter-cue overlapping a cue for the same label is kept beside it, not dropped.
        doc.spans["cues"] = [s for group in by_label.values() for s in filter_spans(group)]
        doc.user_data["text_tokens"] = text_tokens
        doc.user_data["language"] = language
        doc.user_data["concepts"] = [(i, norm[len(CONCEPT_PREFIX):-2])
                                     for i, norm in norms.items()]
        return doc


def _before(i: int, n: int) -> range:
    """The up to n positions before i, nearest first."""
    return range(i - 1, max(-1, i - 1 - n), -1)


def _after(i: int, n: int, length: int) -> range:
    """The up to n positions after i (within the doc), nearest first."""
    return range(i + 1, min(length, i + 1 + n))


def _concept_table(concepts: dict[str, str], strings: StringStore,
                   taken: dict[int, str] | None = None) -> dict[int, str]:
    """Word hash -> the concept's NORM; a word in two concepts is a bug in cues.py."""
    table: dict[int, str] = {}
    for concept, specs_text in concepts.items():
        norm = f"{CONCEPT_PREFIX}{concept}__"
        for spec in specs_text.split():
            for text in expand(spec[1:]) if spec.startswith("~") else [spec]:
                key_hash = strings.add(text)
                for other in (table, taken or {}):
                    if other.get(key_hash, norm) != norm:
                        raise ValueError(f"{text!r} is in two concepts")
                table[key_hash] = norm
    return table


def _longest(specs: tuple[Spec, ...], k: int, hashes: list[int], i: int) -> int:
    """End of the longest match of specs[k:] at token i; -1 when there is none."""
    if k == len(specs):
        return i
    words, optional = specs[k]
    best = _longest(specs, k + 1, hashes, i) if optional else -1
    if i < len(hashes) and (words is None or hashes[i] in words):
        best = max(best, _longest(specs, k + 1, hashes, i + 1))
    return best


def _with_markers(doc: Doc, markers: list[str]) -> Doc:
    """The same tokens with the marker tokens after them (token offsets stay valid)."""
    strings = doc.vocab.strings
    words = [strings[h] for h in doc.to_array(ORTH).tolist()]
    spaces = [bool(s) for s in doc.to_array(SPACY).tolist()]
    if spaces:
        spaces[-1] = True
    return Doc(doc.vocab, words=words + markers, spaces=spaces + [True] * len(markers))


def text_length(doc: Doc) -> int:
    """The number of tokens that came from the mail (markers excluded)."""
    return int(doc.user_data.get("text_tokens", len(doc)))


@Language.factory("rightsbot_cues")
def make_cue_matcher(nlp: Language, name: str) -> CueMatcher:
    return CueMatcher(nlp, name)
