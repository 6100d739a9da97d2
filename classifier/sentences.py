"""The textcat's scores for a whole mail and for each of its sentences, in one pass.

A mail that asks for two things in two sentences ("... send me a copy. Also take me off your
mailing lists.") gets a diluted score for the second: the model pools the whole mail. Out of
fold, telling the calibration how far the best sentence scores above the mail found rights
that the mail's score alone missed (calibrate.features; bench/RESULTS.md, round 9). Running
every sentence through the pipeline as a doc of its own was three times slower, so this
module computes the sentence scores from the work already done for the mail:

- the bag of n-grams is linear: a sentence's logit is the bias plus the weights of its own
  unigrams and bigrams;
- the CNN's token vectors are computed once for the whole mail (each token sees one
  neighbour either side, so a sentence's first and last token also see the next sentence);
  a sentence pools its own rows with the same attention, sum and residual layers;
- a sentence also gets the marker tokens of the cues and concepts inside it (rules.py), the
  rows the mail's markers got.

The mail's own scores come out of the same arithmetic, equal to spaCy's textcat to float
precision (tests/classifier/test_sentences.py), so the pipeline's textcat is not run a second time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from spacy.attrs import IS_PUNCT, IS_SPACE, ORTH

from classifier.cues import COUNTER
from classifier.rules import CONCEPT_PREFIX, MARKER_PREFIX, marker, text_length

if TYPE_CHECKING:
    from spacy.tokens import Doc
    from thinc.api import Model

# A sentence of fewer words is a greeting, a name or a heading: never scored on its own.
MIN_WORDS = 3
SENTENCE_ENDS = frozenset({".", "!", "?", "...", "?!", "!?", "…"})


@dataclass(frozen=True)
class _Member:
    """One member's layers (spaCy's TextCatEnsemble.v2): (bag of n-grams | CNN) >> output."""

    tok2vec: Any  # token vectors
    sparse: Any  # the bag of n-grams' weights (before its logistic)
    attention: Any  # the CNN's pooling: attention, then a sum ...
    residual: Any  # ... then a residual maxout layer
    output: Any  # linear + logistic over both halves

def members(textcat_model: Model[Any, Any]) -> list[_Member]:
    """The layers of each member of the mean textcat (ensemble.py), by role."""
    out = []
    for member in textcat_model.layers:
        concatenated = member.layers[0]
        linear, cnn = concatenated.layers
        ngrams = _find(linear, "extract_ngrams").attrs
        if (ngrams["ngram_size"], ngrams["attr"]) != (2, ORTH):
            # _ngram_keys builds unigrams and bigrams of ORTH, as train.TEXTCAT_MODEL asks.
            raise ValueError(f"sentence scores need word bigrams, not {ngrams}")
        out.append(_Member(
            tok2vec=member.get_ref("tok2vec"), sparse=_find(linear, "sparse_linear"),
            attention=member.get_ref("attention_layer"), residual=cnn.layers[-1],
            output=member.layers[1]))
    return out


def _find(model: Model[Any, Any], name: str) -> Any:
    for node in model.walk():
        if node.name == name:
            return node
    raise ValueError(f"no {name} layer in {model.name}")


def sentence_ranges(doc: Doc, min_words: int = MIN_WORDS) -> list[tuple[int, int]]:
    """[start, end) token ranges of the sentences with >= min_words words, text tokens only.

    A sentence ends at . ! ? or at a whitespace token with a line break in it.
    """
    return _sentence_ranges(doc, _token_array(doc), min_words)


def characters(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """The [start, end) characters of tokens [start, end) in the doc's text."""
    last = doc[end - 1]
    return doc[start].idx, last.idx + len(last)


def _token_array(doc: Doc) -> np.ndarray:
    return doc.to_array([ORTH, IS_PUNCT, IS_SPACE])


# Token hash -> whether it ends a sentence (hashes are the same in every vocabulary). Only
# punctuation and whitespace tokens are looked up (46 kinds in all our 16,303 examples).
_ENDS: dict[int, bool] = {}


def _sentence_ranges(doc: Doc, array: np.ndarray,
                     min_words: int = MIN_WORDS) -> list[tuple[int, int]]:
    n = text_length(doc)
    if n == 0:
        return []
    orth = array[:n, 0].tolist()
    is_word = (array[:n, 1] | array[:n, 2]) == 0
    words = np.concatenate([[0], np.cumsum(is_word)]).tolist()
    ranges = []
    start = 0
    for i in np.flatnonzero(~is_word).tolist():
        ends = _ENDS.get(orth[i])
        if ends is None:
            text = doc.vocab.strings[orth[i]]
            ends = _ENDS[orth[i]] = text in SENTENCE_ENDS or "\n" in text
        if ends:
            # A full stop belongs to its sentence; a line break to neither.
            end = i if array[i, 2] else i + 1
            if words[end] - words[start] >= min_words:
                ranges.append((start, end))
            start = i + 1
    if words[n] - words[start] >= min_words:
        ranges.append((start, n))
    return ranges


@dataclass
class _Layout:
    """Which rows of the batch each segment pools, and where its sentence segments are."""

    rows: np.ndarray  # row indices into the batch's stacked token rows, segment after segment
    lengths: np.ndarray  # rows per segment
    sentence_slices: list[tuple[int, int]]  # per doc: [first, end) of its sentence segments
    sentences: list[tuple[int, int]]  # the [start, end) tokens of each sentence segment


def _layout(docs: Sequence[Doc], arrays: Sequence[np.ndarray], offsets: np.ndarray) -> _Layout:
    """Every doc whole, then the sentences of each doc that has more than one."""
    rows: list[int] = list(range(int(offsets[-1])))
    lengths = [len(doc) for doc in docs]
    sentence_slices = []
    sentences = []
    for doc, array, base in zip(docs, arrays, offsets[:-1].tolist(), strict=True):
        first = len(lengths)
        ranges = _sentence_ranges(doc, array)
        if len(ranges) > 1:
            for (start, end), extra in zip(ranges, _sentence_markers(doc, array, ranges),
                                           strict=True):
                sentences.append((start, end))
                rows.extend(range(base + start, base + end))
                rows.extend(base + position for position in sorted(extra))
                lengths.append(end - start + len(extra))
        sentence_slices.append((first, len(lengths)))
    return _Layout(np.array(rows), np.array(lengths, dtype="int32"), sentence_slices, sentences)


def _sentence_markers(doc: Doc, array: np.ndarray,
                      ranges: list[tuple[int, int]]) -> list[set[int]]:
    """Per sentence, the positions of the marker tokens for the cues and concepts in it."""
    n = text_length(doc)
    rows = dict(zip(array[n:, 0].tolist(), range(n, len(doc)), strict=True))
    strings = doc.vocab.strings
    starts = [start for start, _end in ranges]
    out: list[set[int]] = [set() for _ in ranges]

    def add(position: int, name: str) -> None:
        sentence = bisect_right(starts, position) - 1
        if sentence >= 0 and position < ranges[sentence][1]:
            row = rows.get(strings[name])
            if row is not None:
                out[sentence].add(row)

    for span in doc.spans.get("cues", []):
        add(span.start, marker(span.label_, span.id_))
        if span.id_ != COUNTER:
            add(span.start, f"{MARKER_PREFIX}{span.label_}__")
    for position, concept in doc.user_data.get("concepts", []):
        add(position, f"{CONCEPT_PREFIX}{concept}__")
    return out


@dataclass(frozen=True)
class Scores:
    """The textcat's scores for a batch of docs; columns in the textcat's label order."""

    mail: np.ndarray  # docs x labels: the whole mail (spaCy's textcat score)
    best: np.ndarray  # docs x labels: the best sentence (the mail's own for one sentence)
    # Per doc and label, the character span of the best sentence when it scores above the
    # whole mail: what the model read as that right, for staff to see.
    best_span: list[list[tuple[int, int] | None]]


def score(textcat_model: Model[Any, Any], docs: Sequence[Doc]) -> Scores:
    """Mail and best-sentence scores for each doc.

    An empty doc scores 0 (spaCy's textcat does the same for an all-empty batch, and thinc's
    n-gram layer fails on a batch that mixes empty and non-empty docs). A mail with fewer
    than two sentences gets its own score as its best sentence's.
    """
    width = textcat_model.get_dim("nO")
    mail = np.zeros((len(docs), width), dtype="f")
    best = np.zeros((len(docs), width), dtype="f")
    spans: list[list[tuple[int, int] | None]] = [[None] * width for _ in docs]
    kept = [i for i, doc in enumerate(docs) if len(doc)]
    if not kept:
        return Scores(mail, best, spans)
    kept_docs = [docs[i] for i in kept]
    arrays = [_token_array(doc) for doc in kept_docs]
    offsets = np.cumsum([0] + [len(doc) for doc in kept_docs])
    layout = _layout(kept_docs, arrays, offsets)
    keys = _ngram_keys([array[:, 0] for array in arrays])
    layers = members(textcat_model)
    total = np.zeros((len(layout.lengths), width), dtype="f")
    for member in layers:
        total += _member_scores(member, kept_docs, layout, keys)
    total /= len(layers)
    first_sentence = len(kept)
    for row, (index, (first, end)) in enumerate(zip(kept, layout.sentence_slices,
                                                    strict=True)):
        mail[index] = total[row]
        if end == first:
            best[index] = total[row]
            continue
        winners = first + total[first:end].argmax(axis=0)
        best[index] = total[winners, np.arange(width)]
        doc = docs[index]
        for label, winner in enumerate(winners.tolist()):
            if best[index, label] > mail[index, label]:
                spans[index][label] = characters(doc, *layout.sentences[winner - first_sentence])
    return Scores(mail, best, spans)


def _ngram_keys(orths: Sequence[np.ndarray]) -> np.ndarray:
    """The bag of n-grams' keys (spaCy's extract_ngrams, ORTH, n <= 2), one slot per row:
    the unigram of every batch row, then the bigram starting at every row (0 at a doc's end).
    """
    from thinc.api import NumpyOps

    ops = NumpyOps()
    unigrams = [orth.astype("uint64") for orth in orths]
    bigrams = [np.concatenate([ops.ngrams(2, u), np.zeros(1, dtype="uint64")])
               if len(u) > 1 else np.zeros(1, dtype="uint64") for u in unigrams]
    return np.concatenate(unigrams + bigrams)


def _member_scores(member: _Member, docs: Sequence[Doc], layout: _Layout,
                   keys: np.ndarray) -> np.ndarray:
    from thinc.types import Ragged

    ops = member.tok2vec.ops
    lengths = ops.asarray1i(layout.lengths)
    # The CNN half: the same attention, sum and residual layers over each segment's rows.
    stacked = ops.xp.concatenate(member.tok2vec.predict(list(docs)))[layout.rows]
    attended = member.attention.predict(Ragged(stacked, lengths))
    cnn = member.residual.predict(ops.reduce_sum(attended.dataXd, lengths))
    # The bag-of-n-grams half: the weights of each key, summed per segment.
    bias = member.sparse.get_param("b")
    weights = member.sparse.predict(
        (keys, np.ones(len(keys), dtype="f"), np.ones(len(keys), dtype="int32"))) - bias
    # Per row of a segment: its unigram's weights, plus the bigram it starts when the
    # segment's next row is the doc's next token (a doc's rows are numbered consecutively,
    # and its last token's bigram slot holds a padding key that is never counted).
    starts = np.concatenate([[0], np.cumsum(layout.lengths)[:-1]])
    follows = np.zeros(len(layout.rows), dtype=bool)
    follows[:-1] = np.diff(layout.rows) == 1
    follows[starts[1:] - 1] = False
    per_row = weights[layout.rows]
    per_row[follows] += weights[len(keys) // 2 + layout.rows[follows]]
    bow = np.add.reduceat(per_row, starts, axis=0) + bias
    # The bag of n-grams' own logistic, as thinc's Logistic layer computes it (clipped).
    joined = np.hstack([ops.sigmoid(bow.astype("f"), inplace=False), cnn]).astype("f")
    return np.asarray(member.output.predict(joined))
