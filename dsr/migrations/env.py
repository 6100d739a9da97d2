"""Alembic environment: run migrations on the connection Store.migrate() hands over."""

from alembic import context
from sqlalchemy import Connection, create_engine

from dsr.tickets import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # plain `alembic` command line: build our own connection
        engine = create_engine(str(config.attributes.get("connection_url")
                                   or config.get_main_option("sqlalchemy.url")))
        with engine.begin() as own:
            _run(own)
        return
    _run(connection)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
