"""Alembic environment: run against the connection the application passes in."""

from alembic import context
from sqlalchemy import create_engine

from console.storage.all_schemas import Base
from console.storage.text_indexes import not_text_search

config = context.config


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate leaves the text-search indexes alone."""
    return not_text_search(name)


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` command line during development
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///site.db")
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True, include_name=include_name)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_name=include_name)
    context.run_migrations()


run()
