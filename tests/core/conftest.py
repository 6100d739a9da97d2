"""Core fixtures: a migrated store on SQLite and on PostgreSQL (the `database_url` params)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dsr.store import Store


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    store.migrate()
    yield store
    store.dispose()
