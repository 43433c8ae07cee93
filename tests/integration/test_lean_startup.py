"""Start-up and the CLI stay lean: the modules a path does not need are never imported.

Checked without timing, in whole processes: the process writes ``sys.modules`` to a file
at exit (an ``atexit`` hook set by the test's wrapper), so a test can say "opening an
up-to-date site never imports Alembic" and "``bootimage show ID --json`` never imports lxml".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from console.cli import resident
from console.storage.engine import alembic_config, create_site_engine, current_revision, head_revision, known_revisions

from .conftest import BOOTIMAGE, Run

#: never needed to read a package: migrations, WIM reading, image building, drivers, the ADK,
#: DP transports, the content library (lxml is: the class metadata is XML, read in ~10 ms)
HEAVY = ("alembic", "mako", "console.wim", "console.servicing", "console.drivers", "console.adk",
         "console.distribution.connect", "console.distribution.dp_content", "console.distribution.remote_library",
         "console.distribution.smb", "console.distribution.ssh", "asyncssh", "smbprotocol", "keyring", "console.content")


#: runs a module or code like ``python -m``/``-c`` and writes the names in sys.modules at exit
WRAPPER = """
import atexit, runpy, sys
out, kind, target = sys.argv[1:4]
def dump():
    with open(out, "w") as f:
        f.write("\\n".join(sorted(sys.modules)))
atexit.register(dump)
sys.argv = [target, *sys.argv[4:]]
if kind == "-m":
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    exec(compile(target, "<test>", "exec"), {"__name__": "__main__"})
"""


def heavy_in(modules: set[str], prefixes: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def traced(args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``python -m MODULE ARGS`` or ``python -c CODE`` (``args``) and the modules it imported."""
    out = tmp_path / "modules.txt"
    env = {resident.ENABLE_VARIABLE: "0", **env}  # the command's own process, unless a test says otherwise
    proc = subprocess.run([sys.executable, "-c", WRAPPER, str(out), *args], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, set(out.read_text().split())


def test_head_revision_without_alembic_is_alembics_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert head_revision() == script.get_current_head()
    chain = [r.revision for r in script.walk_revisions()]  # newest first
    assert known_revisions() == list(reversed(chain))


def test_show_json_imports_neither_alembic_nor_xml_nor_transports(site: Run, cli_db_path: Path) -> None:
    pid = site("new", "--no-image-read", "--path", "/nowhere/boot.wim", "--index", "1", "--name", "Lean").stdout.strip()
    env = {**os.environ, "BOOTIMAGE_DB": f"sqlite:///{cli_db_path}"}
    proc, modules = traced([*BOOTIMAGE[1:], "show", pid, "--json"], env, cli_db_path.parent)
    assert '"Name":"Lean"' in proc.stdout
    assert "console.cli.packages" in modules  # the trace did see the command run
    assert heavy_in(modules) == []


def test_a_command_a_resident_server_runs_costs_its_own_process_no_database_layer(site: Run, cli_db_path: Path,
                                                                                  tmp_path: Path) -> None:
    pid = site("new", "--no-image-read", "--path", "/nowhere/boot.wim", "--index", "1", "--name", "Lean").stdout.strip()
    env = {**os.environ, "BOOTIMAGE_DB": f"sqlite:///{cli_db_path}", resident.ENABLE_VARIABLE: "1",
           resident.DIR_VARIABLE: str(tmp_path / "resident")}
    status = [*BOOTIMAGE, "resident", "status", "--json"]
    try:
        traced([*BOOTIMAGE[1:], "list"], env, tmp_path)  # starts the server
        deadline = time.monotonic() + 60
        while not json.loads(subprocess.run(status, env=env, capture_output=True, timeout=60).stdout)["servers"]:
            assert time.monotonic() < deadline, "the resident server did not start"
            time.sleep(0.1)
        proc, modules = traced([*BOOTIMAGE[1:], "show", pid, "--json"], env, tmp_path)
    finally:
        subprocess.run([*BOOTIMAGE, "resident", "stop"], env=env, capture_output=True, timeout=60)
    assert '"Name":"Lean"' in proc.stdout  # the server's child wrote it, to this process's stdout
    assert heavy_in(modules, ("sqlalchemy", "argparse", "console.cli.packages", "console.app", "lxml")) == []


def test_list_json_imports_neither_alembic_nor_transports(site: Run, cli_db_path: Path) -> None:
    site("new", "--no-image-read", "--path", "/nowhere/boot.wim", "--index", "1", "--name", "Lean")
    env = {**os.environ, "BOOTIMAGE_DB": f"sqlite:///{cli_db_path}"}
    proc, modules = traced([*BOOTIMAGE[1:], "list", "--json"], env, cli_db_path.parent)
    assert '"Name":"Lean"' in proc.stdout
    assert heavy_in(modules) == []


def test_opening_an_up_to_date_site_does_not_import_alembic(site: Run, cli_db_path: Path) -> None:
    code = ("import sys; from console.app import open_console; "
            f"c = open_console('sqlite:///{cli_db_path}'); print(c.sites.local().code)")
    proc, modules = traced(["-c", code], dict(os.environ), cli_db_path.parent)
    assert proc.stdout.strip() == "PS1"
    assert heavy_in(modules, ("alembic", "mako")) == []


def test_a_site_behind_head_is_still_migrated_on_open(tmp_path: Path) -> None:
    from console.storage.engine import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_site_engine(url)
    upgrade(engine, "0008")
    engine.dispose()
    code = f"from console.app import open_console; open_console({url!r})"
    _proc, modules = traced(["-c", code], dict(os.environ), tmp_path)
    assert "alembic" in modules  # migrating needs it
    engine = create_site_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_a_site_from_a_newer_console_is_refused_without_migrating(tmp_path: Path) -> None:
    from console.app import open_console
    from console.storage.engine import DatabaseError, upgrade

    url = f"sqlite:///{tmp_path / 'new.db'}"
    engine = create_site_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(DatabaseError, match="schema version 9999, newer than this console knows"):
        open_console(url)
