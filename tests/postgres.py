"""A private PostgreSQL server for the test session (Debian's PostgreSQL 15 binaries).

``initdb`` refuses to run as root, so as root the server is created and run as the
``postgres`` user (``runuser -u postgres --``). Its data folder (mode 0700) and Unix socket
live in a temporary folder owned by that user; it listens on no TCP port
(``listen_addresses=''``). Tests get a fresh database each (``create_database``); the server
is stopped and its folder removed at the end of the session. When the server cannot start,
``start`` says why, and the PostgreSQL half of the tests is skipped with that reason.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"


def _bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


@dataclass
class PostgresServer:
    root: Path
    bindir: Path
    as_user: list[str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SERVER_USER}@/{database}?host={self.socket_dir}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=str(self.socket_dir), user=SERVER_USER, dbname="postgres", autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create_database(self, template: str | None = None) -> str:
        """A new database (a copy of ``template`` when given: much faster than migrating)."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._admin(f'CREATE DATABASE "{name}" STRATEGY = FILE_COPY' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                            "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def start() -> PostgresServer | str:
    """A running server, or the reason there is none."""
    bindir = _bindir()
    if bindir is None:
        return "PostgreSQL is not installed (Debian package postgresql: `make test` as root installs it)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is missing (pip install 'psycopg[binary]', part of the test extras)"
    as_user: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} user to run PostgreSQL as"
        as_user = ["runuser", "-u", SERVER_USER, "--"]
    root = Path(tempfile.mkdtemp(prefix="bootimage-pg-"))
    server = PostgresServer(root, bindir, as_user)
    try:
        server.socket_dir.mkdir()
        if owner is not None:
            for path in (root, server.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        os.chmod(root, 0o700)
        init = subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(server.data), "-U", SERVER_USER,
                               "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                              capture_output=True, text=True, timeout=180)
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {(init.stderr or init.stdout).strip()[-500:]}")
        options = (f"-c listen_addresses='' -k {server.socket_dir} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=300")
        started = subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(server.data), "-l",
                                  str(root / "server.log"), "-o", options, "-w", "-t", "60", "start"],
                                 capture_output=True, text=True, timeout=120)
        if started.returncode != 0:
            log = (root / "server.log").read_text(errors="replace")[-500:] if (root / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {(started.stderr or started.stdout).strip()[-300:]} {log}")
        server._admin("SELECT 1")
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        server.stop()
        return f"the private PostgreSQL server did not start: {exc}"
    except Exception as exc:  # a driver error connecting to it
        server.stop()
        return f"the private PostgreSQL server did not answer: {type(exc).__name__}: {exc}"
    return server


def login_url(url: str, login: str, role: str = "Full Administrator", *, scopes: tuple[str, ...] = ()) -> str:
    """``url`` connecting as PostgreSQL login ``login`` (created if missing, made a member of the
    site's group role for ``role``; with ``scopes``, given those scopes), for a site whose
    ``site init`` has run. SQLite URLs come back unchanged (the OS user is the administrator).
    Logins are cluster-wide: a name shared by parallel tests must get the same role there."""
    from urllib.parse import quote

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    import psycopg
    from psycopg import sql

    from console.core.security import pg_role_name
    from console.storage.security_sql import grant_membership

    host = parsed.query["host"]
    with psycopg.connect(host=str(host), user=SERVER_USER, dbname=parsed.database, autocommit=True) as conn:
        code = conn.execute("SELECT site_code FROM site WHERE is_local").fetchone()[0]  # type: ignore[index]
        conn.execute(sql.SQL("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {l}) THEN "
                             "CREATE ROLE {i} LOGIN; END IF; EXCEPTION WHEN duplicate_object OR unique_violation "
                             "THEN NULL; END $$").format(l=sql.Literal(login), i=sql.Identifier(login)))
        conn.execute("INSERT INTO administrator (login, added_at, added_by) VALUES (%s, now(), 'tests') "
                     "ON CONFLICT DO NOTHING", (login,))
        for scope in scopes:
            conn.execute("INSERT INTO administrator_scope (login, scope_name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                         (login, scope))
    from sqlalchemy import create_engine

    engine = create_engine(f"postgresql+psycopg://{SERVER_USER}@/{parsed.database}?host={host}")
    with engine.begin() as conn2:
        grant_membership(conn2, pg_role_name(code, role), login, admin_option=role == "Full Administrator")
    engine.dispose()
    return f"postgresql+psycopg://{quote(login, safe='')}@/{parsed.database}?host={host}"
