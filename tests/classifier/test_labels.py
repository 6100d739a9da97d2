"""The classifier's labels are exactly dsr.tickets' RequestKind values, in the same order."""

from __future__ import annotations

import shipped_model  # puts the project root first on sys.path

from classifier.labels import ALWAYS_TRIAGE, LABELS, RIGHTS
from dsr.tickets import SIX_RIGHTS, TRIAGE_ONLY, RequestKind


def test_labels_match_request_kinds() -> None:
    assert RIGHTS == tuple(k.value for k in SIX_RIGHTS)
    assert ALWAYS_TRIAGE == tuple(k.value for k in TRIAGE_ONLY)
    assert set(LABELS) == {k.value for k in RequestKind}
    assert len(LABELS) == len(set(LABELS))


def test_importing_the_classifier_does_not_import_the_ticket_store() -> None:
    import subprocess
    import sys

    code = ("import sys, classifier; "
            "print('sqlalchemy' in sys.modules, 'dsr.tickets' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=shipped_model.ROOT)
    assert done.stdout.split() == ["False", "False"]
