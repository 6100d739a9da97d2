"""Our labelled examples (classifier/examples/*.jsonl) and the fixed held-out split."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from classifier.labels import LABELS

EXAMPLES_DIR = Path(__file__).parent / "examples"
# One example in five is held out, chosen by a hash of its id: adding examples never moves
# an old one across the split, and training never sees the held-out ones.
HELDOUT_BUCKETS = 5


@dataclass(frozen=True)
class Example:
    id: str
    lang: str
    subject: str
    body: str
    labels: tuple[str, ...]

    @property
    def heldout(self) -> bool:
        digest = hashlib.sha256(self.id.encode()).digest()
        return digest[0] % HELDOUT_BUCKETS == 0


def read_examples(directory: Path = EXAMPLES_DIR) -> list[Example]:
    """Every example, checked: unknown labels or duplicate ids fail loudly."""
    seen: set[str] = set()
    out: list[Example] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            unknown = set(row["labels"]) - set(LABELS)
            if unknown or row["id"] in seen:
                raise ValueError(f"{path.name}:{number}: bad labels {unknown} or repeated id")
            seen.add(row["id"])
            out.append(Example(row["id"], row["lang"], row["subject"], row["body"],
                               tuple(sorted(row["labels"]))))
    return out


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    train = [e for e in examples if not e.heldout]
    heldout = [e for e in examples if e.heldout]
    return train, heldout


def iter_jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
