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
