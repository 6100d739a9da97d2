"""The `shipped` fixture: classifier/model loaded once per session.

Not a conftest.py: the other test modules import helpers with `from conftest import ...`, and
a second module named conftest here would shadow tests/conftest.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/conftest.py puts tests/ first on sys.path, where this folder would shadow the real
# `classifier` package as an empty namespace package; the project root must come first.
ROOT = str(Path(__file__).resolve().parents[2])
if sys.path[0] != ROOT:
    sys.path.insert(0, ROOT)
if getattr(sys.modules.get("classifier"), "__file__", None) is None:
    sys.modules.pop("classifier", None)

import classifier  # noqa: E402


@pytest.fixture(scope="session")
def shipped() -> classifier.Classifier:
    """classifier/model with the default thresholds: what `rightsbot train` ships."""
    return classifier.load()
