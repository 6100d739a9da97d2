"""`rightsbot classify --jsonl`: JSON lines in, one verdict per line out, in order."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LINES = [
    {"id": "a1", "subject": "Verwijderen", "body": "Verwijder al mijn gegevens alstublieft."},
    {"id": 7, "subject": "Quote", "body": "Price for one customs entry, please?"},
    {"id": "no-subject", "body": "Ich möchte wissen, welche Daten Sie über mich speichern."},
]
FIELDS = {"id", "labels", "scores", "decision", "language", "evidence"}


def test_jsonl_stream_returns_one_verdict_per_line_with_the_contract_fields(
        tmp_path: Path) -> None:
    config = tmp_path / "rightsbot.toml"
    config.write_text('[web]\nsecret_key = "x"\n', encoding="utf-8")
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in LINES) + "\n\n"

    done = subprocess.run(
        [sys.executable, "-m", "rightsbot", "--config", str(config), "classify", "--jsonl"],
        input=stdin.encode(), capture_output=True, cwd=tmp_path, timeout=120, check=False)

    assert done.returncode == 0, done.stderr.decode()
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [row["id"] for row in out] == ["a1", 7, "no-subject"]
    for row in out:
        assert set(row) == FIELDS
        assert row["decision"] in {"request", "triage", "not_request"}
        assert row["language"] in {"en", "nl", "de", "fr"}
        assert len(row["scores"]) == 8
        assert set(row["evidence"]) <= set(row["labels"])
    assert "erasure" in out[0]["labels"] and out[0]["language"] == "nl"
    assert out[1]["decision"] == "not_request" and out[1]["labels"] == []
    assert "access" in out[2]["labels"] and out[2]["language"] == "de"


def test_two_worker_processes_give_the_same_lines_as_one(tmp_path: Path) -> None:
    config = tmp_path / "rightsbot.toml"
    config.write_text('[web]\nsecret_key = "x"\n', encoding="utf-8")
    lines = [{"id": n, **{k: v for k, v in line.items() if k != "id"}}
             for n, line in enumerate(LINES * 120)]
    lines.insert(5, {"id": "empty", "subject": "", "body": ""})
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"

    outputs = []
    for workers in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-m", "rightsbot", "--config", str(config), "classify", "--jsonl",
             "--workers", workers],
            input=stdin.encode(), capture_output=True, cwd=tmp_path, timeout=300, check=False)
        assert done.returncode == 0, done.stderr.decode()
        outputs.append(done.stdout.decode().splitlines())

    assert len(outputs[0]) == len(lines) == 361
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0][5])["decision"] == "not_request"
