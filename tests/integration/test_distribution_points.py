"""Distribution points and groups on SQLite and on PostgreSQL: add, edit under a version check,
unique names (also from two consoles at once), remove saying what the DP holds, test connection
against a real folder, and group membership."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from console.app import open_console
from console.core.distribution import DistributionPoint, DpState, TransportKind
from console.core.errors import ConflictError, DuplicateNameError, NotFoundError, ValidationError
from console.core.jobs import JobKind
from tests.postgres import login_url


def quiet(console):
    """No detached worker for the jobs a test queues (the tests look at the queued jobs)."""
    console.content.after_queue = lambda: None
    console.dp_groups.after_queue = lambda: None
    return console


@pytest.fixture
def site(job_site):
    return quiet(job_site)


def folder_dp(tmp_path, name="DP01.contoso.com", **fields) -> DistributionPoint:
    root = tmp_path / name.lower()
    root.mkdir(exist_ok=True)
    return DistributionPoint(name=name, transport=TransportKind.FOLDER, address=str(root), **fields)


def test_add_stores_every_field_and_takes_the_site_code(site, tmp_path):
    dp = site.distribution_points.add(folder_dp(tmp_path, description=" Hub ", pxe=True, rate_limit_kbps=512,
                                                 schedule="c" * 8 + "o" * 16, concurrency=4)).value
    got = site.distribution_points.get("dp01.CONTOSO.com")
    assert got == dp
    assert (got.name, got.site_code, got.description, got.pxe, got.rate_limit_kbps, got.concurrency) == (
        "DP01.contoso.com", "PS1", "Hub", True, 512, 4)
    assert got.schedule == "c" * 8 + "o" * 16 and not got.open_at(3) and got.open_at(9)
    assert got.version == 1 and got.id is not None
    assert got.nal_path == '["Display=\\\\DP01.contoso.com\\"]MSWNET:["SMS_SITE=PS1"]\\\\DP01.contoso.com\\'
    assert [d.name for d in site.distribution_points.list()] == ["DP01.contoso.com"]
    assert "Distribution point DP01.contoso.com (folder" in site.status.query(kind="distribution")[0].text


@pytest.mark.parametrize(("transport", "address", "message"), [
    ("folder", "relative/path", "give an absolute path"),
    ("smb", "dp01\\share", "give \\\\\\\\server"),
    ("smb", "\\\\dp01:99999\\share", "give \\\\\\\\server"),
    ("ssh", "dp01:relative", "give \\[user@\\]host\\[:port\\]:/absolute/path"),
    ("ssh", "user@:/srv", "give \\[user@\\]host"),
])
def test_an_address_in_the_wrong_form_for_its_transport_is_refused(site, transport, address, message):
    dp = DistributionPoint(name="DP02", transport=TransportKind(transport), address=address)
    with pytest.raises(ValidationError, match=message):
        site.distribution_points.add(dp)
    assert site.distribution_points.list() == []


def test_addresses_are_kept_in_their_normal_form(site):
    smb = site.distribution_points.add(DistributionPoint(name="DP03", transport=TransportKind.SMB,
                                                         address="//dp03.contoso.com:4450/Content$/lib/")).value
    assert smb.address == "\\\\dp03.contoso.com:4450\\Content$\\lib"
    ssh = site.distribution_points.add(DistributionPoint(name="DP04", transport=TransportKind.SSH,
                                                         address="deploy@[::1]:2222:/srv/dp")).value
    assert ssh.address == "deploy@[::1]:2222:/srv/dp"


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "DP 01"}, "use letters, digits"),
    ({"schedule": "o" * 23}, "give 24 letters"),
    ({"rate_limit_kbps": -1}, "or 0 for unlimited"),
    ({"concurrency": 0}, "give 1 to 64"),
    ({"library_root": "../x"}, "give a folder under the address"),
])
def test_bad_fields_are_refused_with_what_to_give(site, tmp_path, fields, message):
    with pytest.raises(ValidationError, match=message):
        site.distribution_points.add(replace(folder_dp(tmp_path), **fields))
    assert site.distribution_points.list() == []


def test_names_are_unique_without_regard_to_case(site, tmp_path):
    site.distribution_points.add(folder_dp(tmp_path))
    with pytest.raises(ValidationError, match=r"already a distribution point named 'dp01\.CONTOSO\.COM'"):
        site.distribution_points.add(folder_dp(tmp_path, "dp01.CONTOSO.COM"))
    site.distribution_points.add(folder_dp(tmp_path, "DP02"))
    with pytest.raises(DuplicateNameError, match="already a distribution point named 'dp02'"):
        site.distribution_points.edit("DP01.contoso.com", name="dp02")
    assert sorted(d.name for d in site.distribution_points.list()) == ["DP01.contoso.com", "DP02"]


def test_two_consoles_adding_one_name_at_once_make_one_dp(site, tmp_path):
    results: list[str] = []
    consoles = [quiet(open_console(login_url(site.url, f"user{i}@console{i}"), user=f"user{i}@console{i}")) for i in range(4)]
    barrier = threading.Barrier(len(consoles), timeout=30)

    def add(console, i):
        barrier.wait()
        try:
            console.distribution_points.add(folder_dp(tmp_path, "DP09" if i % 2 else "dp09"))
            results.append("added")
        except ValidationError as exc:
            results.append(exc.message)

    threads = [threading.Thread(target=add, args=(c, i)) for i, c in enumerate(consoles)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for c in consoles:
        c.close()
    assert results.count("added") == 1 and len(results) == 4
    assert all("already a distribution point named" in r for r in results if r != "added")
    assert [d.name.lower() for d in site.distribution_points.list()] == ["dp09"]


def test_a_stale_version_is_refused_naming_who_changed_it(site, tmp_path):
    dp = site.distribution_points.add(folder_dp(tmp_path)).value
    bob = quiet(open_console(login_url(site.url, "bob@console2"), user="bob@console2"))
    try:
        bob.distribution_points.edit(dp.name, expected_version=dp.version, description="Bob's")
    finally:
        bob.close()
    with pytest.raises(ConflictError, match=r"changed by bob@console2 at .* \(your version 1, current version 2\)"):
        site.distribution_points.edit(dp.name, expected_version=dp.version, pxe=True)
    got = site.distribution_points.get(dp.name)
    assert (got.description, got.pxe, got.version) == ("Bob's", False, 2)


def test_edit_refuses_unknown_fields_and_bad_values_and_keeps_the_dp(site, tmp_path):
    dp = site.distribution_points.add(folder_dp(tmp_path)).value
    with pytest.raises(ValidationError, match="'id' cannot be changed"):
        site.distribution_points.edit(dp.name, id=5)
    with pytest.raises(ValidationError, match="give 24 letters"):
        site.distribution_points.edit(dp.name, schedule="always")
    assert site.distribution_points.get(dp.name) == dp


def test_remove_says_what_the_dp_holds_and_force_removes_its_records(site, tmp_path):
    dp = site.distribution_points.add(folder_dp(tmp_path)).value
    site.content.add_distribution_points("PS100001", [dp.name])
    site.content.add_distribution_points("PS100002", [dp.name])
    assert site.distribution_points.holdings(dp.name) == ["PS100001", "PS100002"]
    with pytest.raises(ValidationError, match="holds 2 packages \\(PS100001, PS100002\\)"):
        site.distribution_points.remove(dp.name)
    assert site.content.summary("PS100001").targeted == 1
    with pytest.raises(ValidationError, match="holds 2 packages: its name is its identity"):
        site.distribution_points.edit(dp.name, name="DP99")
    site.distribution_points.edit(dp.name, name="dp01.contoso.COM")  # the case of its name may change
    site.distribution_points.remove(dp.name, force=True)
    assert site.distribution_points.list() == []
    assert site.content.summary("PS100001").targeted == 0
    jobs = [j for j in site.jobs.list() if j.kind == JobKind.DISTRIBUTE]
    assert len(jobs) == 2 and {j.state for j in jobs} == {"cancelled"}
    assert jobs[0].extended_error_info == "distribution point dp01.contoso.COM was removed from the site"
    with pytest.raises(NotFoundError, match="no distribution point named"):
        site.distribution_points.get(dp.name)


def test_test_connection_writes_reads_back_deletes_a_probe_and_records_free_space(site, tmp_path):
    dp = site.distribution_points.add(folder_dp(tmp_path)).value
    report = site.distribution_points.test(dp.name)
    assert report.ok, report.message
    assert "wrote, read back and deleted a probe file" in report.message and report.free_bytes
    assert list((tmp_path / "dp01.contoso.com").rglob("*probe*")) == []
    stored = site.distribution_points.get(dp.name)
    assert stored.free_bytes == report.free_bytes and stored.last_contact is not None


def test_test_connection_names_the_step_that_failed(site, tmp_path):
    dp = replace(folder_dp(tmp_path), address=str(tmp_path / "missing" / "dp"))
    report = site.distribution_points.test(dp)
    assert not report.ok
    assert report.message.startswith("DP01.contoso.com: could not")


def test_a_password_needs_a_secrets_store_and_a_folder_takes_none(site, tmp_path):
    with pytest.raises(ValidationError, match="a folder distribution point takes no password"):
        site.distribution_points.add(folder_dp(tmp_path), password="secret")
    assert site.distribution_points.list() == []


def test_groups_fan_out_to_members_added_later(site, tmp_path):
    for n in (1, 2, 3):
        site.distribution_points.add(folder_dp(tmp_path, f"DP0{n}"))
    group = site.dp_groups.add("Europe", "EU servers", ["DP01", "dp02"]).value
    assert group.members == ("DP01", "DP02")
    queued = site.content.add_groups("PS100001", ["europe"]).value
    assert queued.dps == ("DP01", "DP02") and len(queued.context_ids) == 2
    assert site.content.summary("PS100001").targeted == 2
    added = site.dp_groups.add_members("Europe", ["DP03"]).value
    assert added.changed == ("DP03",) and len(added.context_ids) == 1
    row = site.content.row("PS100001", "dp03")
    assert row is not None and row.state == DpState.INSTALL_PENDING and row.via_groups == ("Europe",)
    jobs = [j for j in site.jobs.list(package_id="PS100001") if j.kind == JobKind.DISTRIBUTE]
    assert sorted(j.payload["dp"] for j in jobs) == ["DP01", "DP02", "DP03"]
    assert {j.payload["action"] for j in jobs} == {"install"}
    assert site.distribution_points.get("DP03").groups == ("Europe",)
    # a DP in two groups gets the package once
    site.dp_groups.add("Hubs", members=["DP03"])
    site.content.add_groups("PS100001", ["Hubs"])
    assert site.content.summary("PS100001").targeted == 3
    assert site.distribution_points.get("DP03").groups == ("Europe", "Hubs")
    # removing a member keeps its content
    site.dp_groups.remove_members("Europe", ["DP03"])
    assert site.content.row("PS100001", "DP03").via_groups == ("Hubs",)
    assert site.dp_groups.get("Europe").members == ("DP01", "DP02")


def test_group_names_unique_versions_checked_and_unknown_members_refused(site, tmp_path):
    site.distribution_points.add(folder_dp(tmp_path, "DP01"))
    group = site.dp_groups.add("Europe", members=["DP01"]).value
    with pytest.raises(ValidationError, match="already a distribution point group named 'EUROPE'"):
        site.dp_groups.add("EUROPE")
    with pytest.raises(NotFoundError, match="no distribution point named 'DP77'"):
        site.dp_groups.add_members("Europe", ["DP77"])
    site.dp_groups.edit("Europe", expected_version=group.version, description="EU")
    with pytest.raises(ConflictError, match="your version 1, current version 2"):
        site.dp_groups.edit("Europe", expected_version=group.version, new_name="EU")
    site.dp_groups.remove("Europe")
    assert site.dp_groups.list() == []
    assert site.distribution_points.get("DP01").groups == ()


def test_smb_dp_password_is_tested_before_saving_then_kept_in_the_secrets_file(console, smb_server):
    import shutil

    (smb_server.share / "dp-model").mkdir(exist_ok=True)
    shutil.chown(smb_server.share / "dp-model", smb_server.user, smb_server.user)
    dp = DistributionPoint(name="DP07", transport=TransportKind.SMB, address=smb_server.address("dp", "dp-model"),
                           username=smb_server.user)
    wrong = console.distribution_points.test(dp, password="not-the-password")
    assert not wrong.ok and wrong.details["cause"] == "auth"
    typed = console.distribution_points.test(dp, password=smb_server.password)
    assert typed.ok, typed.message
    assert console.open_secrets().password("dp:dp07") is None  # a typed password is stored nowhere
    added = console.distribution_points.add(dp, password=smb_server.password).value
    assert added.credential == "dp:dp07"
    assert console.open_secrets().password("dp:dp07") == smb_server.password
    assert console.distribution_points.test("DP07").ok
    console.distribution_points.remove("DP07")
    assert console.open_secrets().password("dp:dp07") is None  # removing the DP forgets its password


def test_a_refused_edit_leaves_the_stored_password_as_it_was(console):
    quiet(console)
    dp = console.distribution_points.add(DistributionPoint(name="DP08", transport=TransportKind.SSH,
                                                           address="deploy@dp08.contoso.com:/srv/dp"),
                                         password="first").value
    console.distribution_points.edit("DP08", description="moved")
    with pytest.raises(ConflictError):
        console.distribution_points.edit("DP08", expected_version=dp.version, password="second")
    assert console.open_secrets().password("dp:dp08") == "first"
    changed = console.distribution_points.edit("DP08", password="third").value
    assert changed.version == dp.version + 1  # a password-only change is recorded; the row is not rewritten
    assert console.open_secrets().password("dp:dp08") == "third"
    assert console.status.query(kind="distribution")[0].text == "Distribution point DP08 changed (password)"
