"""`bootimage dp …`, `dp-group …`, `distribute`, `content …` and `refresh` as separate processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess

import pytest

from tests.integration.conftest import BOOTIMAGE

pytestmark = pytest.mark.both_databases

PASSWORD = "Sm8-Very*Secret-Pa55"


@pytest.fixture
def dps(site, tmp_path):
    """A site with package PS100001 and folder DPs DP01, DP02."""
    site("new", "--path", "/images/boot.wim", "--index", "1", "--name", "Boot A", "--no-image-read")
    for name in ("DP01", "DP02"):
        (tmp_path / name).mkdir()
        site("dp", "add", name, "--transport", "folder", "--address", str(tmp_path / name))
    return site


def as_json(result) -> object:
    return json.loads(result.stdout)


def test_dp_add_list_show_edit_test_remove(site, tmp_path):
    (tmp_path / "dp1").mkdir()
    added = as_json(site("dp", "add", "DP01.contoso.com", "--transport", "folder", "--address", str(tmp_path / "dp1"),
                         "--pxe", "--rate-limit", "512", "--schedule", "c" * 6 + "o" * 18, "--concurrency", "4",
                         "--description", "Hub", "--json"))
    assert (added["ServerName"], added["IsPXE"], added["TransferRate"], added["Concurrency"], added["SiteCode"]) == (
        "DP01.contoso.com", True, 512, 4, "PS1")
    assert added["NALPath"] == '["Display=\\\\DP01.contoso.com\\"]MSWNET:["SMS_SITE=PS1"]\\\\DP01.contoso.com\\'
    listed = as_json(site("dp", "list", "--json"))
    assert [(d["ServerName"], d["Targeted"]) for d in listed] == [("DP01.contoso.com", 0)]
    assert "DP01.contoso.com  folder" in site("dp", "list").stdout
    edited = as_json(site("dp", "edit", "dp01.contoso.com", "--no-pxe", "--description", "Main hub", "--json"))
    assert (edited["IsPXE"], edited["Description"], edited["Version"]) == (False, "Main hub", 2)
    stale = site("dp", "edit", "DP01.contoso.com", "--pxe", "--expected-version", "1", check=False)
    assert stale.returncode == 1 and "your version 1, current version 2" in stale.stderr
    probe = as_json(site("dp", "test", "DP01.contoso.com", "--json"))
    assert probe["ok"] and probe["FreeSpace"] > 0
    assert as_json(site("dp", "show", "DP01.contoso.com", "--json"))["FreeSpace"] == probe["FreeSpace"]
    assert site("dp", "remove", "DP01.contoso.com", check=False).stderr.startswith("error: refusing to remove")
    site("dp", "remove", "DP01.contoso.com", "--force")
    assert as_json(site("dp", "list", "--json")) == []


@pytest.mark.parametrize(("args", "message"), [
    (["--transport", "folder", "--address", "relative"], "error: folder address 'relative': give an absolute path"),
    (["--transport", "ssh", "--address", "host"], "error: SSH address 'host': give [user@]host[:port]:/absolute/path"),
    (["--transport", "folder", "--address", "/srv", "--schedule", "open"], "error: schedule 'open': give 24 letters"),
])
def test_dp_add_refuses_bad_input_with_one_line(site, args, message):
    result = site("dp", "add", "DP01", *args, check=False)
    assert result.returncode == 1 and result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert as_json(site("dp", "list", "--json")) == []


def test_unreachable_dp_test_fails_with_the_step_and_exit_1(site, tmp_path):
    (tmp_path / "gone").mkdir()
    site("dp", "add", "DP01", "--transport", "folder", "--address", str(tmp_path / "gone"))
    (tmp_path / "gone").rmdir()
    result = site("dp", "test", "DP01", check=False)
    assert result.returncode == 1 and result.stderr.startswith("error: DP01: could not connect:")


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)  # about the SQLite file
def test_the_database_holds_no_password(site, cli_db_path, tmp_path):
    secrets = tmp_path / "secrets" / "site-secrets.json"
    site("settings", "--secrets-file", str(secrets))
    env = {**os.environ, "BOOTIMAGE_DB": f"sqlite:///{cli_db_path}"}
    result = subprocess.run([*BOOTIMAGE, "dp", "add", "DP05", "--transport", "smb", "--address",
                             "\\\\127.0.0.1:4450\\content", "--username", "deploy", "--password-stdin", "--json"],
                            input=PASSWORD + "\n", capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    dp = json.loads(result.stdout)
    assert dp["CredentialReference"] == "dp:dp05" and PASSWORD not in result.stdout
    subprocess.run([*BOOTIMAGE, "dp", "edit", "DP05", "--password-stdin"], input=PASSWORD + "2\n",
                   capture_output=True, text=True, env=env, timeout=120, check=True)
    # the secrets file has it (mode 0600), the database file and its WAL do not, in no table
    assert oct(secrets.stat().st_mode & 0o777) == "0o600"
    assert PASSWORD.encode() in secrets.read_bytes()
    # every byte of the database file and its WAL, then every table
    for path in cli_db_path.parent.glob(cli_db_path.name + "*"):
        assert PASSWORD.encode() not in path.read_bytes(), path
    with sqlite3.connect(cli_db_path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                assert not any(PASSWORD in str(v) for v in row), table
        columns = [c[1] for c in db.execute("PRAGMA table_info(distribution_point)")]
    assert not [c for c in columns if "password" in c]


def test_password_for_a_folder_dp_and_empty_stdin_are_refused(site, cli_db_url, tmp_path):
    env = {**os.environ, "BOOTIMAGE_DB": cli_db_url}
    empty = subprocess.run([*BOOTIMAGE, "dp", "add", "DP06", "--transport", "ssh", "--address", "h:/srv",
                            "--password-stdin"], input="", capture_output=True, text=True, env=env, timeout=120)
    assert empty.returncode == 1 and empty.stderr == "error: --password-stdin: standard input holds no password\n"
    folder = subprocess.run([*BOOTIMAGE, "dp", "add", "DP06", "--transport", "folder", "--address", str(tmp_path),
                             "--password-stdin"], input="x\n", capture_output=True, text=True, env=env, timeout=120)
    assert folder.returncode == 1 and "a folder distribution point takes no password" in folder.stderr
    assert as_json(site("dp", "list", "--json")) == []


def test_groups_distribute_and_content_status(dps, tmp_path):
    group = as_json(dps("dp-group", "add", "Europe", "--member", "DP01", "--description", "EU", "--json"))
    assert group["Members"] == ["DP01"]
    queued = as_json(dps("distribute", "PS100001", "--group", "Europe", "--dp", "DP02", "--no-worker", "--json"))
    assert queued["DistributionPoints"] == ["DP02", "DP01"] and len(queued["ContextIDs"]) == 2
    (tmp_path / "DP03").mkdir()
    dps("dp", "add", "DP03", "--transport", "folder", "--address", str(tmp_path / "DP03"))
    member = as_json(dps("dp-group", "add-member", "Europe", "DP03", "--no-worker", "--json"))
    assert member["Changed"] == ["DP03"] and len(member["ContextIDs"]) == 1
    status = as_json(dps("content", "status", "PS100001", "--json"))
    assert (status["Targeted"], status["NumberInProgress"], status["Total"]) == (3, 3, 3)
    assert [(i["ServerName"], i["StateName"], i["ViaGroups"]) for i in status["Items"]] == [
        ("DP01", "INSTALL_PENDING", ["Europe"]), ("DP02", "INSTALL_PENDING", []), ("DP03", "INSTALL_PENDING", ["Europe"])]
    assert "Installed on 0 of 3 distribution points, 3 in progress" in dps("content", "status").stdout
    assert as_json(dps("dp-group", "show", "Europe", "--json"))["Packages"] == ["PS100001"]
    jobs = as_json(dps("job", "list", "--package", "PS100001", "--json"))
    assert sorted((j["Kind"], j["Payload"]["dp"], j["Payload"]["action"]) for j in jobs) == [
        ("distribute", "DP01", "install"), ("distribute", "DP02", "install"), ("distribute", "DP03", "install")]
    on_dp = as_json(dps("content", "status", "--dp", "DP03", "--json"))
    assert [i["PackageID"] for i in on_dp["Items"]] == ["PS100001"]
    dps("dp-group", "remove-member", "Europe", "DP03")
    dps("dp-group", "remove", "Europe", "--force")
    assert as_json(dps("dp-group", "list", "--json")) == []


def test_content_actions_and_refresh(dps):
    dps("distribute", "PS100001", "--dp", "DP01", "DP02", "--no-worker")
    assert len(as_json(dps("content", "validate", "PS100001", "--no-worker", "--json"))["ContextIDs"]) == 2
    dps("content", "redistribute", "PS100001", "--dp", "DP01", "--no-worker")
    removed = as_json(dps("content", "remove", "PS100001", "--dp", "dp02", "--no-worker", "--json"))
    assert removed["DistributionPoints"] == ["DP02"]
    states = {i["ServerName"]: i["StateName"]
              for i in as_json(dps("content", "status", "PS100001", "--json"))["Items"]}
    assert states == {"DP01": "INSTALL_PENDING", "DP02": "REMOVAL_PENDING"}
    pending = as_json(dps("content", "status", "PS100001", "--state", "removal-pending", "--json"))
    assert [i["ServerName"] for i in pending["Items"]] == ["DP02"] and pending["Total"] == 1
    refresh = as_json(dps("refresh", "PS100001", "--no-worker", "--json"))
    job = as_json(dps("job", "status", refresh["ContextID"], "--json"))
    assert (job["Kind"], job["State"], job["PackageID"]) == ("refresh", "queued", "PS100001")
    missing = dps("content", "redistribute", "PS100001", "--dp", "DP09", check=False)
    assert missing.returncode == 1 and missing.stderr.startswith("error: there is no distribution point named 'DP09'")
    held = dps("dp", "remove", "DP01", check=False)
    assert held.returncode == 1 and "holds 1 package (PS100001)" in held.stderr
    unknown = dps("distribute", "PS1FFFFF", "--dp", "DP01", check=False)
    assert unknown.returncode == 1 and "no boot image package 'PS1FFFFF'" in unknown.stderr
    usage = dps("content", "remove", "PS100001", check=False)
    assert usage.returncode == 2


def test_class_metadata_from_the_command_line(site):
    text = site("class", "SMS_DistributionPointInfo").stdout
    assert "ServerName" in text and "TransferRate" in text
    assert "INSTALL_RETRYING" in site("class", "SMS_PackageStatusDistPointsSummarizer", "--mof").stdout


def test_content_status_by_dp_is_paged_searched_and_filtered(dps, tmp_path):
    (tmp_path / "DP03").mkdir()
    dps("dp", "add", "DP03", "--transport", "folder", "--address", str(tmp_path / "DP03"))
    dps("distribute", "PS100001", "--dp", "DP01", "--dp", "DP03", "--no-worker")
    page = as_json(dps("content", "status", "--by-dp", "--offset", "1", "--limit", "1", "--json"))
    assert page["Total"] == 3 and [i["ServerName"] for i in page["Items"]] == ["DP02"]
    assert page["Items"][0]["Targeted"] == 0
    found = as_json(dps("content", "status", "--by-dp", "--search", "dp03", "--json"))
    assert found["Total"] == 1 and found["Items"][0]["NumberInProgress"] == 1
    busy = as_json(dps("content", "status", "--by-dp", "--show", "in-progress", "--json"))
    assert [i["ServerName"] for i in busy["Items"]] == ["DP01", "DP03"]
    text = dps("content", "status", "--by-dp", "--limit", "2").stdout
    assert "DP01" in text and "(2 of 3 shown; --offset/--limit for more)" in text
    wrong = dps("content", "status", "PS100001", "--by-dp", check=False)
    assert wrong.returncode == 2 and wrong.stderr.startswith("error: --by-dp lists every distribution point's")


def test_dp_key_file_is_checked_when_added_or_changed(site, tmp_path):
    """A missing, unreadable or wrong key file is refused at `dp add`/`dp edit` with what is wrong
    (before, it was accepted and the distribution failed as "authentication refused")."""
    ssh = ["--transport", "ssh", "--address", "deploy@dp02.contoso.com:/srv/dp"]
    missing = site("dp", "add", "DP02", *ssh, "--key-file", "/nonexistent", check=False)
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: the SSH key file /nonexistent does not exist; give the path of the "
                                     "private key"), missing.stderr
    public = tmp_path / "id_ed25519.pub"
    public.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH7 deploy@ws1\n")
    assert "holds a public key; give the private key (the file without .pub)" in \
        site("dp", "add", "DP02", *ssh, "--key-file", str(public), check=False).stderr
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    assert f"the SSH key file {other} is not a private key" in \
        site("dp", "add", "DP02", *ssh, "--key-file", str(other), check=False).stderr
    assert as_json(site("dp", "list", "--json")) == []
    key = tmp_path / "id_ed25519"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
    key.chmod(0o600)
    site("dp", "add", "DP02", *ssh, "--key-file", str(key))
    refused = site("dp", "edit", "DP02", "--key-file", str(tmp_path / "gone"), check=False)
    assert refused.returncode == 1 and f"the SSH key file {tmp_path / 'gone'} does not exist" in refused.stderr
    assert as_json(site("dp", "show", "DP02", "--json"))["CredentialReference"] == str(key)
    key.unlink()  # gone since: other changes are still saved; the transport names the key file
    site("dp", "edit", "DP02", "--description", "Branch")
    probe = site("dp", "test", "DP02", check=False)
    assert probe.returncode == 1
    assert f"the SSH key file {key} does not exist" in probe.stdout + probe.stderr
    assert "authentication refused" not in probe.stdout + probe.stderr
