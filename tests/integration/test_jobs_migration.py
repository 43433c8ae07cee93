"""Migration 0006 (the job engine): old job rows keep their meaning; on PostgreSQL every
migration runs and the schema matches the tables the code maps."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from console.app import open_console
from console.core.jobs import JobState
from console.storage.all_schemas import Base
from console.storage.engine import alembic_config, create_site_engine, current_revision, head_revision, upgrade
from console.storage.text_indexes import not_text_search

OLD_JOBS = [  # context_id, status (0 complete, 1 in progress, 2 error), error code, text
    ("{OK}", 0, 0, ""),
    ("{BAD}", 2, 112, "disk full"),
    ("{HALF}", 1, 0, ""),
]


def test_old_job_rows_keep_their_meaning(db_url):
    """SQLite (PostgreSQL: the test below)."""
    site_db = db_url
    engine = create_site_engine(site_db)
    upgrade(engine, "0005")
    with engine.begin() as conn:
        for context_id, status, code, info in OLD_JOBS:
            conn.execute(text(
                "INSERT INTO job (context_id, package_id, operation, status, progress, max_progress, progress_text, "
                "error_code, extended_error_info, cancel_requested, created_at, updated_at) VALUES "
                "(:c, 'PS100001', 'UpdateImage', :s, 3, 7, 'step 3', :e, :i, 0, '2026-01-02 03:04:05.000000', "
                "'2026-01-02 03:05:00.000000')"), {"c": context_id, "s": status, "e": code, "i": info})
    engine.dispose()
    site = open_console(site_db)
    jobs = {j.context_id: j for j in site.jobs.list()}
    assert jobs["{OK}"].state == JobState.SUCCEEDED and site.packages.query_osd_binary_injection_status("{OK}").status == 0
    assert (jobs["{BAD}"].state, jobs["{BAD}"].error_code, jobs["{BAD}"].extended_error_info) == (
        JobState.FAILED, 112, "disk full")
    assert jobs["{HALF}"].state == JobState.FAILED  # nothing ever ran it: it is not left "in progress" forever
    assert "recorded before the job engine existed" in jobs["{HALF}"].extended_error_info
    assert jobs["{HALF}"].kind == "UpdateImage" and jobs["{HALF}"].queued_at.year == 2026
    assert site.jobs.claim("w", site.jobs.settings(), kinds=["UpdateImage"]) is None
    site.close()


@pytest.mark.filterwarnings("ignore:autogenerate skipping")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_every_migration_runs_on_postgresql_and_matches_the_orm(postgres_server):
    name = postgres_server.create_database()
    try:
        engine = create_site_engine(postgres_server.url(name))
        upgrade(engine, "0005")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO job (context_id, package_id, operation, status, progress, max_progress, progress_text, "
                "error_code, extended_error_info, cancel_requested, created_at, updated_at) VALUES "
                "('{OK}', NULL, 'UpdateImage', 0, 1, 1, 'done', 0, '', false, now(), now())"))
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            # the text-search indexes (pg_trgm GIN) are not ORM metadata
            context = MigrationContext.configure(conn, opts={"include_name": not_text_search})
            assert compare_metadata(context, Base.metadata) == []
            state = conn.execute(text("SELECT state FROM job WHERE context_id = '{OK}'")).scalar()
        assert state == "succeeded"
        with engine.begin() as conn:  # and back: the old table returns with the row
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT status FROM job WHERE context_id = '{OK}'")).scalar() == 0
        engine.dispose()
    finally:
        postgres_server.drop_database(name)
