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
# A worker the console or the CLI starts detached (`worker --until-idle`) on a test's PostgreSQL
# database stops within seconds once that database is dropped, never outliving the test run.
os.environ["BOOTIMAGE_WORKER_UNREACHABLE_SECONDS"] = "20"

# real WIM files built with wimlib-imagex; a private smbd for the SMB transport
pytest_plugins = ["tests.wim_fixtures", "tests.servers.smbd"]

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def resident_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The ``bootimage`` commands of this test process are run by resident command servers whose
    sockets are in a private folder of this session (not the user's), stopped when it ends."""
    import subprocess
    import sys

    from console.cli import resident

    folder = tmp_path_factory.mktemp("resident")
    folder.chmod(0o700)
    previous = os.environ.get(resident.DIR_VARIABLE)
    os.environ[resident.DIR_VARIABLE] = str(folder)
    yield
    subprocess.run([sys.executable, "-m", "console.cli", "resident", "stop"], capture_output=True, timeout=60)
    if previous is None:
        os.environ.pop(resident.DIR_VARIABLE, None)
    else:
        os.environ[resident.DIR_VARIABLE] = previous


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
    site = as_login(site, "alice@console1")
    yield site
    site.close()


def as_login(console, login: str):
    """SQLite: ``console`` itself (its user is the one given to open_console). PostgreSQL: the
    same site opened as login ``login``, a Full Administrator (identity is session_user there);
    ``console`` is closed."""
    from console.app import open_console
    from tests.postgres import login_url

    url = login_url(console.url, login)
    if url == console.url:
        return console
    console.close()
    return open_console(url)


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
    console = as_login(console, "alice@console1")
    for n in range(3):
        console.packages.create(name=f"Boot image {n}", image_path=f"/images/boot{n}.wim", image_index=1,
                                image=x64_facts)
    yield console
    console.close()


#: Storage, service, job-engine and CLI tests run on SQLite and on PostgreSQL (``site_db``, or
#: the module is marked ``both_databases``). Every one of them on PostgreSQL would add about
#: 15 minutes to `make test`; so in the modules listed here only the named tests run on
#: PostgreSQL by default (one or more per behaviour: create/update/delete, unique names,
#: conflicts, folders, drivers, distribution, the CLI's new/list/show/set/delete) and
#: `make test-slow` runs the rest of them on PostgreSQL. The other modules (the job engine,
#: content distribution states, DPs, migrations, concurrency) run wholly on both by default.
POSTGRES_DEFAULT_SUBSET: dict[str, frozenset[str]] = {
    "test_package_service.py": frozenset({
        "test_create_assigns_id_type_owner_version_and_metadata_defaults",
        "test_valid_changes_are_saved_and_bump_the_version",
        "test_stale_version_is_refused_naming_who_and_when",
        "test_names_are_unique_in_the_site",
        "test_second_console_sees_the_conflict",
        "test_query_filters_sorts_and_pages",
        "test_search_matches_os_version_and_language_columns",
        "test_folders_and_moving_packages",
    }),
    "test_driver_catalog.py": frozenset({
        "test_import_puts_every_usable_inf_in_the_catalog",
        "test_queries_filter_by_text_class_architecture_category_and_flags",
        "test_stale_version_is_refused_and_removal_works",
    }),
    "test_cli.py": frozenset({"test_acceptance_walkthrough", "test_set_list_remove_and_classes"}),
    "test_cli_folders.py": frozenset({"test_folder_rename_and_move"}),
    "test_cli_drivers.py": frozenset({"test_show_enable_disable"}),
    "test_cli_validation.py": frozenset({"test_names_are_trimmed_and_over_long_ones_refused"}),
    "test_cli_status.py": frozenset({"test_properties_changed_messages_list_old_and_new_values"}),
    "test_cli_images.py": frozenset({"test_no_image_read_still_records_without_reading"}),
    "test_cli_hostile.py": frozenset({"test_names_stored_before_the_rule_are_printed_escaped"}),
    "test_cli_distribution.py": frozenset({"test_dp_add_list_show_edit_test_remove"}),
    "test_cli_network_boot.py": frozenset({"test_settings_wimboot_is_checked_and_the_menu_settings_are_kept"}),
    "test_revisions.py": frozenset({
        "test_record_build_keeps_the_image_as_the_new_current_revision",
        "test_rollback_makes_the_old_content_current_as_a_new_version",
    }),
    "test_refresh_job.py": frozenset({
        "test_refresh_pkg_source_flag_queues_a_refresh_once_and_reads_back_false",
        "test_a_package_without_a_revision_is_rebuilt_and_one_whose_revision_is_current_is_not",
    }),
    "test_network_boot.py": frozenset({"test_without_wimboot_preflight_says_what_to_fetch_and_where_to_set_it"}),
    "test_boot_media.py": frozenset({"test_a_package_that_was_never_built_is_refused"}),
    "test_image_builds.py": frozenset({
        "test_spec_comes_from_the_package_and_the_site",
        "test_preflight_passes_a_good_package_and_uses_the_known_locales",
        "test_settings_refuse_bad_values_and_keep_the_old_ones",
        "test_cli_preflight_of_a_good_package_exits_0",
    }),
    "test_distribution_job.py": frozenset({
        "test_distribute_puts_the_library_and_the_image_on_the_dp_then_an_update_sends_only_changed_chunks",
    }),
    "test_distribution_faults.py": frozenset({
        "test_two_workers_never_run_a_job_twice_and_the_site_limit_of_dps_served_at_once_holds",
    }),
    "test_concurrency.py": frozenset({
        "test_four_consoles_adding_optional_components_at_once_keep_all_four",
        "test_four_consoles_adding_drivers_at_once_all_succeed_and_keep_all_four",
    }),
    "test_distribution_transports.py": frozenset({
        "test_distribute_puts_library_and_image_on_the_server_and_an_update_sends_only_changed_chunks",
    }),
}


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
        subset = POSTGRES_DEFAULT_SUBSET.get(item.path.name)
        if on_postgresql(item) and subset is not None and getattr(item, "originalname", item.name) not in subset:
            item.add_marker(pytest.mark.slow)
