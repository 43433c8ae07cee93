"""``bootimage audit`` filters and streams the audit (SQLite and PostgreSQL, as a subprocess)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from console.app import ensure_default_site, open_console
from tests.conftest import REPO


def bootimage(url: str, *args: str, user: str = "bob@cli") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOOTIMAGE_DB": url, "BOOTIMAGE_USER": user}
    return subprocess.run([sys.executable, "-m", "console.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=REPO)


@pytest.fixture
def audited_site(site_db: str, x64_facts) -> str:
    console = open_console(site_db, user="alice@console1")
    ensure_default_site(console)
    for n in (1, 2):
        console.packages.create(name=f"Boot image {n}", image_path="/images/boot.wim", image_index=1, image=x64_facts)
    console.packages.put("PS100001", {"Description": "by alice"})
    console.close()
    done = bootimage(site_db, "set", "PS100002", "Description=by bob")
    assert done.returncode == 0, done.stderr
    return site_db


def audit_json(url: str, *args: str) -> list[dict]:
    done = bootimage(url, "audit", "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_audit_filters_by_package_user_action_since_and_limit(audited_site):
    postgres = make_url(audited_site).get_backend_name() == "postgresql"
    package = audit_json(audited_site, "--package", "PS100002")
    assert [(r["Action"], r["PackageID"]) for r in package] == [("changed", "PS100002"), ("created", "PS100002")]
    assert package[0]["Changes"] == {"Description": ["", "by bob"]}
    changed = audit_json(audited_site, "--action", "changed")
    assert [r["ObjectId"] for r in changed] == ["PS100002", "PS100001"]  # newest first
    bob = package[0]["Login"]  # the database's login on PostgreSQL, the command's user on SQLite
    assert bob == ("postgres" if postgres else bob)
    by_bob = audit_json(audited_site, "--user", bob, "--action", "changed")
    assert "PS100002" in {r["ObjectId"] for r in by_bob} and {r["Login"] for r in by_bob} == {bob}
    assert audit_json(audited_site, "--user", "nobody@nowhere") == []
    assert audit_json(audited_site, "--since", "2999-01-01T00:00") == []
    assert len(audit_json(audited_site, "--since", "2000-01-01")) == len(audit_json(audited_site))
    assert len(audit_json(audited_site, "--limit", "1")) == 1
    text = bootimage(audited_site, "audit", "--package", "PS100002").stdout
    assert "Description: (empty) -> by bob" in text
    # the Client column names the command as it is run, not python's __main__.py
    assert re.fullmatch(rf"{re.escape(socket.gethostname())} bootimage\[\d+\]", package[0]["Client"]), package[0]["Client"]
    assert f"{socket.gethostname()} bootimage[" in text and "__main__" not in text


def test_long_values_are_cut_in_the_table_and_whole_in_json(site_db, x64_facts):
    from dataclasses import replace

    xml = "<WIM>" + "".join(f'<IMAGE INDEX="{n}">\r\n<NAME>Microsoft Windows PE (amd64)</NAME></IMAGE>'
                            for n in range(1, 40)) + "</WIM>"
    console = open_console(site_db, user="alice@console1")
    ensure_default_site(console)
    console.packages.create(name="Lab", image_path="/images/boot.wim", image=replace(x64_facts, image_property=xml))
    console.close()
    done = bootimage(site_db, "audit", "--package", "PS100001")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) < 250, max(lines, key=len)
    [shown] = [line.strip() for line in lines if "ImageProperty:" in line]
    assert shown.startswith("ImageProperty: (empty) -> <WIM><IMAGE INDEX=\"1\"> <NAME>Microsoft") and shown.endswith("…")
    [created] = audit_json(site_db, "--package", "PS100001")
    assert created["Changes"]["ImageProperty"] == [None, xml]


@pytest.mark.parametrize(("args", "message"), [
    (("--since", "yesterday"), "'yesterday' is not a time such as 2026-12-01T10:00"),
    (("--action", "renamed"), "invalid choice: 'renamed'"),
    (("--limit", "0"), "--limit"),
])
def test_bad_audit_arguments_are_usage_errors(tmp_path, args, message):
    done = bootimage(f"sqlite:///{tmp_path / 'site.db'}", "audit", *args)
    assert done.returncode == 2 and message in done.stderr
