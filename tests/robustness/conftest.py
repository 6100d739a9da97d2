"""Fixtures for the robustness tests: the shipped classifier, a store per test, the real CLI."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[2]
# tests/ (on sys.path first, for `servers` and `conftest`) has folders named like our
# packages; a regular package anywhere on the path wins over them, so the project goes on it.
if str(PROJECT) not in sys.path:
    sys.path.append(str(PROJECT))

from conftest import write_config  # noqa: E402

from dsr.config import Settings, load_settings  # noqa: E402
from dsr.store import Store  # noqa: E402

HOSTILE = Path(__file__).resolve().parents[1] / "messages" / "hostile"


@pytest.fixture(scope="session")
def shipped_classifier() -> Any:
    """classifier/model as shipped, loaded once."""
    import classifier

    return classifier.load()


@pytest.fixture
def make_services(tmp_path: Path, shipped_classifier: Any) -> Iterator[Callable[..., Any]]:
    """Services over a fresh SQLite database, with the shipped classifier and real settings."""
    from intake.pipeline import Services

    stores: list[Store] = []

    def make(sections: dict[str, dict[str, Any]] | None = None, **replace: Any) -> Any:
        settings = load_settings(write_config(tmp_path, sections or {}), {})
        store = Store(settings.database.url)
        store.migrate()
        stores.append(store)
        services = Services(settings=settings, store=store, classifier=shipped_classifier)
        return dataclasses.replace(services, **replace) if replace else services

    yield make
    for store in stores:
        store.dispose()


def settings_for(config: Path) -> Settings:
    return load_settings(config, {})


def rightsbot(config: Path, *args: str, timeout: float = 300,
              **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    """`python -m rightsbot --config CONFIG ARGS`, as an operator or cron would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSBOT_")}
    return subprocess.run([sys.executable, "-m", "rightsbot", "--config", str(config), *args],
                          capture_output=True, timeout=timeout, cwd=PROJECT, env=env, **kwargs)


def start_rightsbot(config: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSBOT_")}
    return subprocess.Popen([sys.executable, "-m", "rightsbot", "--config", str(config), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=PROJECT,
                            env=env)
