"""``bootimage lock list|release`` and package changes refused while another console holds a lock."""

from __future__ import annotations

import json
import re

from console.core.object_locks import ConsoleId
from tests.integration.conftest import OS_USER


def _gui_console(cli_db_path, user: str = "alice@ws1"):
    """Another administrator's console (this test process) on the CLI's site database."""
    from console.app import open_console

    console = open_console(f"sqlite:///{cli_db_path}", user=user)
    console.context.console = ConsoleId("ws1", 4242)
    return console


def test_changes_are_refused_while_another_console_holds_the_lock(site, cli_db_path):
    site("new", "--path", "/x/boot.wim", "--index", "1", "--name", "Locked", "--no-image-read")
    alice = _gui_console(cli_db_path)
    try:
        assert alice.locks.acquire("PS100001").held
        before = site("show", "PS100001", "--json").stdout
        for args in (("set", "PS100001", "Description=mine"), ("set", "PS100001", "--add-driver", "16777217"),
                     ("remove", "PS100001", "--force")):
            refused = site(*args, check=False)
            assert refused.returncode == 1, refused.stderr
            assert re.fullmatch(
                r"error: PS100001 is locked by alice@ws1 since \d\d:\d\d \(Properties open in their console\); try "
                r"again when they close it, or ask a Full Administrator to release the lock\n", refused.stderr)
        assert site("show", "PS100001", "--json").stdout == before  # nothing changed
        # `unlock` stays WMI's Unlock of site ownership: it neither needs nor touches the object lock
        site("unlock", "PS100001")
        assert alice.locks.get("PS100001") is not None
        listed = json.loads(site("lock", "list", "--json").stdout)
        assert [(row["ObjectID"], row["Holder"], row["Console"], row["Purpose"], row["Expired"]) for row in listed] == [
            ("PS100001", "alice@ws1", "ws1:4242", "Properties", False)]
        assert {"LockID", "AcquiredAt", "HeartbeatAt"} <= listed[0].keys()
        text = site("lock", "list").stdout
        assert "PS100001" in text and "alice@ws1" in text and "ws1:4242" in text
        # the single administrator of a SQLite site is a Full Administrator: the release is audited
        released = json.loads(site("lock", "release", listed[0]["LockID"], "--json").stdout)
        assert released["ObjectID"] == "PS100001" and released["Holder"] == "alice@ws1"
        assert json.loads(site("lock", "list", "--json").stdout) == []
        assert "no object is locked" in site("lock", "list").stdout
        messages = json.loads(site("status", "--package", "PS100001", "--json").stdout)
        assert any(f"released by {OS_USER}" in m["Text"] for m in messages)
        site("set", "PS100001", "Description=mine")
    finally:
        alice.close()


def test_releasing_a_lock_that_is_not_there_is_a_clear_error(site):
    missing = site("lock", "release", "PS100009", check=False)
    assert missing.returncode == 1
    assert missing.stderr == "error: no lock 'PS100009': `bootimage lock list` shows the locks held now\n"


def test_only_a_full_administrator_releases_anothers_lock_from_the_command_line(postgres_server, postgres_site_template,
                                                                                 x64_facts):
    """PostgreSQL: an OSD Manager's `lock release` of another's lock is refused with a clear message."""
    import subprocess
    import uuid

    from console.app import ensure_default_site, open_console
    from console.core.security import OSD_MANAGER
    from tests.integration.conftest import BOOTIMAGE
    from tests.postgres import login_url

    name = postgres_server.create_database(template=postgres_site_template)
    url = postgres_server.url(name)
    try:
        setup = open_console(url)
        ensure_default_site(setup)
        setup.packages.create(name="Locked", image_path="/x/boot.wim", image_index=1, image=x64_facts)
        setup.close()
        alice = open_console(login_url(url, f"alice_{uuid.uuid4().hex[:8]}"))
        alice.context.console = ConsoleId("ws1", 4242)
        assert alice.locks.acquire("PS100001").held
        carol = login_url(url, f"carol_{uuid.uuid4().hex[:8]}", OSD_MANAGER)
        refused = subprocess.run([*BOOTIMAGE, "--db", carol, "lock", "release", "PS100001"], capture_output=True,
                                 text=True, timeout=120)
        assert refused.returncode == 1, refused.stderr
        assert re.fullmatch(
            r"error: you have the Operating System Deployment Manager role on site PS1: only a Full Administrator can "
            rf"release the lock {alice.context.user}@ws1 holds on PS100001 \(since \d\d:\d\d\)\n", refused.stderr)
        assert alice.locks.get("PS100001") is not None
        alice.close()
    finally:
        postgres_server.drop_database(name)
