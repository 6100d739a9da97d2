"""Score the classifier on the fixed held-out split: per-label P/R/F1, decisions, mistakes.

Per-label scores count the labels the ticket gets (`Classification.labels`: none for a mail
that is not a request), i.e. what staff see. Before label thresholds (round 4) they counted
every label at/above the request threshold whatever the decision; that figure is still
reported as `old_macro_f1` so rounds can be compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from classifier import NOT_REQUEST, REQUEST, Classification, Classifier
from classifier.examples import Example, read_examples, split
from classifier.labels import LABELS


@dataclass
class LabelScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    labels: dict[str, LabelScore] = field(default_factory=lambda: {k: LabelScore() for k in LABELS})
    # The pre-round-4 measure: labels at/above the request threshold on every mail.
    old_labels: dict[str, LabelScore] = field(
        default_factory=lambda: {k: LabelScore() for k in LABELS})
    # Rows: truth (request / not); columns: decision (request / triage / not_request).
    confusion: dict[str, dict[str, int]] = field(default_factory=lambda: {
        t: {"request": 0, "triage": 0, "not_request": 0} for t in ("request", "not")})
    mistakes: list[tuple[float, Example, Classification]] = field(default_factory=list)
    count: int = 0
    # The same measures per language of the example (no mistakes list).
    by_language: dict[str, Report] = field(default_factory=dict)

    @property
    def macro_f1(self) -> float:
        return sum(s.f1 for s in self.labels.values()) / len(self.labels)

    @property
    def macro_f1_present(self) -> float:
        """Macro-F1 over the labels that occur (in truth or prediction): a label absent from a
        small slice would otherwise count as a perfect 1.0."""
        present = [s.f1 for s in self.labels.values() if s.tp + s.fp + s.fn]
        return sum(present) / len(present) if present else 0.0

    @property
    def old_macro_f1(self) -> float:
        return sum(s.f1 for s in self.old_labels.values()) / len(self.old_labels)

    @property
    def request_recall(self) -> float:
        row = self.confusion["request"]
        total = sum(row.values())
        return (row["request"] + row["triage"]) / total if total else 1.0

    @property
    def false_request_rate(self) -> float:
        row = self.confusion["not"]
        total = sum(row.values())
        return row["request"] / total if total else 0.0


def evaluate(classifier: Classifier, examples: Sequence[Example]) -> Report:
    report = Report()
    verdicts = classifier.classify_many((e.subject, e.body) for e in examples)
    for example, verdict in zip(examples, verdicts, strict=True):
        _count(report, example, verdict, classifier.request_threshold)
        _count(report.by_language.setdefault(example.lang, Report()), example, verdict,
               classifier.request_threshold)
        truth = set(example.labels)
        wrong = sum(abs(float(k in truth) - verdict.scores[k]) for k in LABELS)
        dropped = bool(truth) and verdict.decision == NOT_REQUEST
        false_ack = not truth and verdict.decision == REQUEST
        if set(verdict.labels) != truth or dropped or false_ack:
            report.mistakes.append((wrong + 2 * dropped + 2 * false_ack, example, verdict))
    report.mistakes.sort(key=lambda m: -m[0])
    return report


def _count(report: Report, example: Example, verdict: Classification,
           request_threshold: float) -> None:
    report.count += 1
    truth = set(example.labels)
    old = {k for k, s in verdict.scores.items() if s >= request_threshold}
    for scores, chosen in ((report.labels, set(verdict.labels)), (report.old_labels, old)):
        for label in LABELS:
            score = scores[label]
            if label in chosen and label in truth:
                score.tp += 1
            elif label in chosen:
                score.fp += 1
            elif label in truth:
                score.fn += 1
    report.confusion["request" if truth else "not"][verdict.decision] += 1


def format_report(report: Report, worst: int = 12) -> str:
    lines = [f"held-out examples: {report.count}", "",
             f"{'label':<14}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for label, s in report.labels.items():
        lines.append(f"{label:<14}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>8.3f}"
                     f"{s.tp + s.fn:>9}")
    lines += ["", f"macro-F1: {report.macro_f1:.3f} (labels on the ticket; "
              f"{report.old_macro_f1:.3f} counting labels >= the request threshold on every mail)",
              f"request recall (request or triage): {report.request_recall:.3f}",
              f"false requests among non-requests: {report.false_request_rate:.3%}", "",
              "truth \\ decision     request   triage  not_request"]
    for truth, row in report.confusion.items():
        lines.append(f"{truth:<20}{row['request']:>8}{row['triage']:>9}{row['not_request']:>13}")
    lines += ["", "language   mails  macro-F1*  request recall  false requests",
              *(f"{language:<9}{part.count:>7}{part.macro_f1_present:>10.3f}"
                f"{part.request_recall:>16.3f}{part.false_request_rate:>15.2%}"
                for language, part in sorted(report.by_language.items())),
              "* over the labels that occur in that language's examples"]
    lines += ["", f"worst mistakes ({min(worst, len(report.mistakes))} of {len(report.mistakes)}):"]
    for _cost, example, verdict in report.mistakes[:worst]:
        top = ", ".join(f"{k}={v:.2f}" for k, v in sorted(verdict.scores.items(),
                                                         key=lambda kv: -kv[1])[:3])
        lines.append(f"- {example.id} [{example.lang}] truth={list(example.labels) or '-'} "
                     f"decision={verdict.decision} top: {top}")
        lines.append(f"    subject: {example.subject[:80]!r}")
    return "\n".join(lines)


def heldout_report(classifier: Classifier) -> Report:
    _, heldout = split(read_examples())
    return evaluate(classifier, heldout)


if __name__ == "__main__":
    from classifier import load

    print(format_report(heldout_report(load())))
