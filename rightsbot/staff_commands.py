"""`rightsbot users ...` and `rightsbot feedback ...`: the staff-facing commands."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add this module's subcommands to the `rightsbot` parser."""
    _ = (sub, argparse)
