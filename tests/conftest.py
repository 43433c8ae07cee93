"""Shared fixtures: a real SQLite site database per test, the real class metadata."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never touch the user's own site database, data folder or console settings.
_SANDBOX = tempfile.mkdtemp(prefix="bootimage-tests-")
atexit.register(shutil.rmtree, _SANDBOX, ignore_errors=True)
os.environ["XDG_DATA_HOME"] = os.path.join(_SANDBOX, "data")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_SANDBOX, "config")
os.environ["BOOTIMAGE_DB"] = f"sqlite:///{os.path.join(_SANDBOX, 'default-site.db')}"

# real WIM files built with wimlib-imagex; a private smbd for the SMB transport
pytest_plugins = ["tests.wim_fixtures", "tests.servers.smbd"]

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def registry():
    from console.app import load_registry

    return load_registry()


@pytest.fixture(scope="session")
def catalog():
    from console.app import load_catalog

    return load_catalog()


@pytest.fixture
def database_kind(request: pytest.FixtureRequest) -> str:
    """"sqlite" (the default) or "postgresql": the database ``site_db``, ``db_url`` (so ``console``)
    and the CLI's ``cli_db_url`` use. Tests that request ``site_db``, and every test of a module
    marked ``both_databases``, run once on each (``pytest_generate_tests``)."""
    return str(getattr(request, "param", "sqlite"))


def new_site_database(request: pytest.FixtureRequest, database_kind: str, sqlite_file: Path) -> Iterator[str]:
    """The URL of a site database without a site: ``sqlite_file``, or a fresh PostgreSQL
    database (a copy of ``postgres_site_template``) dropped afterwards. A PostgreSQL site keeps
    its content library and secrets file in the user's data and configuration folders: the test
    gets folders of its own (set before the CLI fixtures copy the environment)."""
    if database_kind == "sqlite":
        yield f"sqlite:///{sqlite_file}"
        return
    server = request.getfixturevalue("postgres_server")
    monkeypatch = request.getfixturevalue("monkeypatch")
    home = sqlite_file.parent / "pg-user"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    name = server.create_database(template=request.getfixturevalue("postgres_site_template"))
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, database_kind: str, tmp_path: Path) -> Iterator[str]:
    yield from new_site_database(request, database_kind, tmp_path / "site.db")


@pytest.fixture
def console(db_url: str) -> Iterator:
    """A migrated site database with local site PS1 (what the console creates on first start)."""
    from console.app import ensure_default_site, open_console

    site = open_console(db_url, user="alice@console1")
    ensure_default_site(site)
    yield site
    site.close()


@pytest.fixture
def x64_facts():
    """Image facts as the WIM reader reports them for an x64 WinPE image."""
    from console.core.image_facts import ImageFacts

    return ImageFacts("x64", "10.0.26100.1", "en-US", "<WIM><IMAGE INDEX=\"1\"/></WIM>", 1_048_576, "Microsoft Windows PE (amd64)")


@pytest.fixture
def x64_package(console, x64_facts):
    return console.packages.create(
        name="Boot image (x64)", image_path="/images/boot.wim", image_index=1, image=x64_facts
    ).value


# -- PostgreSQL: a private server for the session (tests/postgres.py) ------------------------

@pytest.fixture(scope="session")
def postgres_server() -> Iterator:
    """A private PostgreSQL server; the test is skipped, with the reason, when it cannot start."""
    from tests import postgres

    server = postgres.start()
    if isinstance(server, str):
        pytest.skip(server)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_site_template(postgres_server) -> str:
    """A PostgreSQL database migrated to the newest schema (no site yet), copied for each test."""
    from console.storage.engine import create_site_engine, upgrade

    name = postgres_server.create_database()
    engine = create_site_engine(postgres_server.url(name))
    upgrade(engine)
    engine.dispose()
    return name


@pytest.fixture
def site_db(request: pytest.FixtureRequest, database_kind: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a site database without a site: a new SQLite file, then a PostgreSQL database
    (already migrated to the newest schema, a copy of ``postgres_site_template``)."""
    yield from new_site_database(request, database_kind, tmp_path / "site.db")


@pytest.fixture
def job_site(site_db: str, monkeypatch: pytest.MonkeyPatch, x64_facts) -> Iterator:
    """A site (SQLite or PostgreSQL) with the job engine's test handler (tests/job_handlers.py)
    installed and packages PS100001-PS100003."""
    from console.app import ensure_default_site, open_console

    monkeypatch.setenv("BOOTIMAGE_JOB_HANDLERS", "tests.job_handlers:handlers")
    console = open_console(site_db, user="alice@console1")
    ensure_default_site(console)
    for n in range(3):
        console.packages.create(name=f"Boot image {n}", image_path=f"/images/boot{n}.wim", image_index=1,
                                image=x64_facts)
    yield console
    console.close()


#: The package-service and driver-catalog tests run on SQLite and on PostgreSQL. By default
#: (`make test`) only this named subset runs on PostgreSQL as well — creating, changing under a
#: version check, concurrent consoles, unique names, queries, folders and the driver catalog's
#: import and queries; `make test-slow` runs every one of them on PostgreSQL.
POSTGRES_DEFAULT_SUBSET = {
    "test_create_assigns_id_type_owner_version_and_metadata_defaults",
    "test_valid_changes_are_saved_and_bump_the_version",
    "test_stale_version_is_refused_naming_who_and_when",
    "test_names_are_unique_in_the_site",
    "test_second_console_sees_the_conflict",
    "test_query_filters_sorts_and_pages",
    "test_search_matches_os_version_and_language_columns",
    "test_folders_and_moving_packages",
    "test_import_puts_every_usable_inf_in_the_catalog",
    "test_queries_filter_by_text_class_architecture_category_and_flags",
    "test_stale_version_is_refused_and_removal_works",
}
POSTGRES_SUBSET_MODULES = {"test_package_service.py", "test_driver_catalog.py"}


DATABASES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run on both databases what asks for ``site_db`` or is in a module marked ``both_databases``
    (unless the test names its databases itself: ``parametrize("database_kind", [...])``)."""
    if "database_kind" not in metafunc.fixturenames:
        return
    if any("database_kind" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize") if m.args):
        return
    if "site_db" in metafunc.fixturenames or metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("database_kind", DATABASES, indirect=True)


def on_postgresql(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("database_kind") == "postgresql"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if (on_postgresql(item) and item.path.name in POSTGRES_SUBSET_MODULES
                and getattr(item, "originalname", item.name) not in POSTGRES_DEFAULT_SUBSET):
            item.add_marker(pytest.mark.slow)
