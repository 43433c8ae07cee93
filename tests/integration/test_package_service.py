"""BootImagePackages against a real SQLite site database: creation, validation, concurrency."""

from __future__ import annotations

import pytest

from console.core.errors import (
    ConflictError,
    DuplicateNameError,
    NotFoundError,
    NotImplementedYetError,
    PackageLockedError,
    ReadOnlyPropertyError,
    UnknownPropertyError,
    ValidationError,
)
from console.core.ports import PackageQuery


def unchanged(console, package):
    """The stored package equals ``package`` (nothing was saved)."""
    return console.packages.get(package["PackageID"], lazy=True) == package


def test_create_assigns_id_type_owner_version_and_metadata_defaults(console, x64_package):
    pkg = x64_package
    assert pkg["PackageID"] == "PS100001"
    assert pkg["PackageType"] == 258
    assert pkg["SourceSite"] == "PS1"
    assert len(pkg["SedoObjectVersion"]) == 36
    assert pkg["ScratchSpace"] == 512 and pkg["Priority"] == 2 and pkg["ForcedDisconnectDelay"] == 5
    assert pkg["Architecture"] == "x64" and pkg["ImageOSVersion"] == "10.0.26100.1"
    assert pkg["PackageSize"] == 1_048_576 and pkg["SecuredScopeNames"] == ("Default",)
    assert pkg["SourceDate"] is not None


def test_package_ids_are_hex_and_never_reused(console):
    ids = [console.packages.create(name=f"Image {i}", image_path="/x.wim").value["PackageID"] for i in range(11)]
    assert ids[9] == "PS10000A" and ids[10] == "PS10000B"
    console.packages.delete("PS10000B")
    assert console.packages.create(name="After delete", image_path="/x.wim").value["PackageID"] == "PS10000C"


def test_lazy_properties_are_only_loaded_on_request(console, x64_package):
    plain = console.packages.get("PS100001")
    assert "ImageProperty" not in plain and "ScratchSpace" not in plain and "Icon" not in plain
    assert not plain.lazy_loaded and plain["Name"] == "Boot image (x64)"
    full = console.packages.get("ps100001", lazy=True)
    assert full["ImageProperty"].startswith("<WIM>") and full["ScratchSpace"] == 512


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"ScratchSpace": 100}, ValidationError, r"ScratchSpace must be one of 32, 64, 128, 256, 512 \(MB\); got 100"),
        ({"SourceVersion": 3}, ReadOnlyPropertyError, "SourceVersion is read-only"),
        ({"PackageID": "PS1FFFFF"}, ReadOnlyPropertyError, "PackageID is the key"),
        ({"Architecture": "x86"}, ReadOnlyPropertyError, "Architecture is read-only"),
        ({"PackageType": 0}, ValidationError, r"PackageType must be one of 258 \(PKG_TYPE_BOOTIMAGE\); got 0"),
        ({"ScratchSpac": 64}, UnknownPropertyError, "did you mean ScratchSpace"),
        ({"Name": "x" * 51}, ValidationError, "Name is limited to 50 characters; got 51"),
        ({"Name": ""}, ValidationError, "Name is required"),
        ({"PreExecCommandLine": "c" * 4097}, ValidationError, "limited to 4096 characters"),
        ({"Priority": 7}, ValidationError, r"1 \(HIGH\), 2 \(NORMAL\), 3 \(LOW\)"),
        ({"PkgFlags": 0x4}, ValidationError, "undocumented bits 0x00000004"),
        ({"ShareType": 2}, ValidationError, "ShareName is required when ShareType is SHARE_SPECIFIC"),
        ({"ShareType": 2, "ShareName": "boot*images"}, ValidationError, r"ShareName cannot contain \*"),
        ({"OptionalComponents": [15]}, ValidationError, r"id 15 is not valid for an x64 boot image"),
        ({"OptionalComponents": [41]}, ValidationError, "WinPE-PowerShell needs WinPE-WMI, WinPE-NetFx, WinPE-Scripting"),
        ({"EnableLabShell": "maybe"}, ValidationError, "EnableLabShell must be true or false"),
        ({"ForcedDisconnectDelay": -1}, ValidationError, "must be between 0 and 4294967295"),
        ({"ImageIndex": 0}, ValidationError, "ImageIndex must be between 1 and 4294967295"),
        ({"RefreshSchedule": [{"__class": "SMS_ST_RecurWeekly", "Day": 9}]}, ValidationError, r"RefreshSchedule\[0\].Day must be one of 1 \(SUNDAY\)"),
        ({"RefreshSchedule": [{"__class": "SMS_ScheduleToken"}]}, ValidationError, "SMS_ScheduleToken is abstract"),
        ({"RefreshSchedule": [{"__class": "SMS_ST_NonRecurring"}] * 16}, ValidationError, "RefreshSchedule holds at most 15 items; got 16"),
        ({"RefreshSchedule": [{"__class": "SMS_ST_NonRecurring"}], "PkgSourceFlag": 1}, ValidationError, "refresh schedule needs PkgSourceFlag = 2"),
        ({"ReferencedDrivers": [{"ID": 5, "SourcePath": ""}]}, ValidationError, "driver 5 needs a SourcePath"),
        ({"IconSize": 12}, ValidationError, "IconSize can only be set to 0"),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_saved(console, x64_package, changes, error, message):
    with pytest.raises(error, match=message):
        console.packages.put("PS100001", changes)
    assert unchanged(console, x64_package)


def test_all_problems_are_reported_together_with_their_property(console, x64_package):
    with pytest.raises(ValidationError) as info:
        console.packages.put("PS100001", {"ScratchSpace": 1, "Priority": 9, "Version": "v" * 40})
    assert {p.property for p in info.value.problems} == {"ScratchSpace", "Priority", "Version"}
    assert info.value.for_property("priority")


def test_valid_changes_are_saved_and_bump_the_version(console, x64_package):
    result = console.packages.put(
        "PS100001",
        {
            "ScratchSpace": 256, "PkgFlags": 0x02000000 | 0x04000000, "Description": "WinPE 11 with PowerShell",
            "RefreshSchedule": [{"__class": "SMS_ST_RecurWeekly", "Day": 7, "ForNumberOfWeeks": 2}],
            "ReferencedDrivers": [{"ID": 16777229, "SourcePath": r"\\srv\drivers\netkvm"}],
            "Icon": b"\x00\x00\x01\x00icon", "DeployFromPxeDistributionPoint": True,
        },
    )
    pkg = result.value
    assert result.changes.updated == {"PS100001"}
    assert pkg["SedoObjectVersion"] != x64_package["SedoObjectVersion"]
    again = console.packages.get("PS100001", lazy=True)
    assert again["ScratchSpace"] == 256 and again["PkgFlags"] == 0x06000000
    assert again["IconSize"] == 8 and again["Icon"] == b"\x00\x00\x01\x00icon"
    token = again["RefreshSchedule"][0]
    assert token.class_name == "SMS_ST_RecurWeekly" and token["Day"] == 7 and token["ForNumberOfWeeks"] == 2
    assert again["ReferencedDrivers"][0]["SourcePath"] == r"\\srv\drivers\netkvm"
    assert again["DeployFromPxeDistributionPoint"] is True
    cleared = console.packages.put("PS100001", {"IconSize": 0}).value
    assert cleared["Icon"] is None and cleared["IconSize"] == 0


def test_stale_version_is_refused_naming_who_and_when(console, x64_package):
    first = x64_package["SedoObjectVersion"]
    console.packages.put("PS100001", {"Version": "2.0"}, expected_version=first)
    with pytest.raises(ConflictError) as info:
        console.packages.put("PS100001", {"Version": "3.0"}, expected_version=first)
    assert info.value.changed_by == "alice@console1"
    assert "PS100001 was changed by alice@console1 at 20" in str(info.value)
    assert console.packages.get("PS100001")["Version"] == "2.0"


def test_names_are_unique_in_the_site(console, x64_package):
    with pytest.raises(DuplicateNameError, match=r"'boot image \(X64\)' already exists \(PS100001\)"):
        console.packages.create(name="boot image (X64)", image_path="/y.wim")
    other = console.packages.create(name="Other", image_path="/y.wim").value
    with pytest.raises(DuplicateNameError):
        console.packages.put(other["PackageID"], {"Name": "Boot image (x64)"})


def test_update_optional_components_adds_and_reports_prerequisites(console, x64_package):
    result = console.packages.update_optional_components("PS100001", ["WinPE-PowerShell"])
    outcome = result.value
    assert set(outcome.component_ids) == {41, 52, 40, 44}
    assert set(outcome.added_names) == {"WinPE-WMI", "WinPE-NetFx", "WinPE-Scripting"}
    assert "added as prerequisite: WinPE-NetFx, required by WinPE-PowerShell" in result.changes.notes
    assert console.packages.get("PS100001", lazy=True)["OptionalComponents"] == outcome.component_ids


def test_removing_a_needed_prerequisite_is_refused(console, x64_package):
    console.packages.update_optional_components("PS100001", ["WinPE-PowerShell"])
    with pytest.raises(ValidationError, match=r"cannot remove WinPE-NetFx: WinPE-PowerShell needs it"):
        console.packages.plan_optional_components("PS100001", remove=["WinPE-NetFx"])
    plan = console.packages.plan_optional_components("PS100001", remove=["WinPE-PowerShell"])
    assert 41 not in plan.component_ids


def test_optional_components_need_a_known_architecture(console):
    pkg = console.packages.create(name="Unread", image_path="/x.wim").value
    with pytest.raises(ValidationError, match="architecture is not known yet"):
        console.packages.update_optional_components(pkg["PackageID"], ["WinPE-HTA"])


def test_ownership_set_source_site_and_unlock(console, x64_package):
    with pytest.raises(ValidationError, match="site CAS is not part of this hierarchy"):
        console.packages.set_source_site("PS100001", "CAS")
    console.sites.add("CAS", "Central administration site")
    assert console.packages.set_source_site("PS100001", "cas").value["SourceSite"] == "CAS"
    with pytest.raises(PackageLockedError, match=r"owned by site CAS.*Use Unlock"):
        console.packages.put("PS100001", {"Version": "x"})
    assert console.packages.unlock("PS100001").value["SourceSite"] == "PS1"
    console.packages.put("PS100001", {"Version": "x"})
    texts = [m.text for m in console.status.query(package_id="PS100001")]
    assert any("Unlocked: ownership moved from CAS to PS1" in t for t in texts)


def test_change_notification_is_recorded(console, x64_package):
    console.packages.add_change_notification("PS100001")
    [message] = console.status.query(kind="change_notification")
    assert message.package_id == "PS100001" and message.user == "alice@console1"


def test_jobs_status_and_delete_context_id(console, x64_package):
    from datetime import UTC, datetime

    from console.core.jobs import Job, JobState

    status = console.packages.query_osd_binary_injection_status("nope")
    assert status.status == 3
    with pytest.raises(NotFoundError, match="no job with ContextID 'nope'"):
        console.packages.delete_context_id("nope")
    now = datetime.now(UTC)
    with console.context.uow(write=True) as uow:
        uow.jobs.add(Job("CTX-1", "PS100001", "build", JobState.SUCCEEDED, progress=7, max_progress=7,
                         progress_text="done", queued_at=now, updated_at=now))
        uow.commit()
    assert console.packages.query_osd_binary_injection_status("CTX-1").progress == 7
    console.packages.delete_context_id("CTX-1")
    assert console.packages.query_osd_binary_injection_status("CTX-1").status == 3


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("add_distribution_points", ("PS100001", ["PS1"], ["dp1"])),
    ],
)
def test_later_methods_say_they_are_not_implemented_yet(console, x64_package, method, args):
    with pytest.raises(NotImplementedYetError, match="not implemented yet: it arrives with"):
        getattr(console.packages, method)(*args)


def test_query_filters_sorts_and_pages(console, x64_facts):
    for i, (name, version) in enumerate([("Zulu", "1"), ("alpha", "2"), ("Mike", "10"), ("Bravo", "2")]):
        console.packages.create(name=name, image_path=f"/{i}.wim", version=version, image=x64_facts)
    page = console.packages.query(PackageQuery(sort="Name"))
    assert [p["Name"] for p in page.items] == ["alpha", "Bravo", "Mike", "Zulu"]
    assert page.total == 4
    assert [p["Name"] for p in console.packages.query(PackageQuery(text="ALP")).items] == ["alpha"]
    assert console.packages.query(PackageQuery(text="ps10000")).total == 4
    paged = console.packages.query(PackageQuery(sort="PackageID", descending=True, offset=1, limit=2))
    assert [p["PackageID"] for p in paged.items] == ["PS100003", "PS100002"] and paged.total == 4
    assert console.packages.query(PackageQuery(where={"Version": "2"})).total == 2
    with pytest.raises(ValidationError, match="cannot sort by 'Colour'"):
        console.packages.query(PackageQuery(sort="Colour"))


def test_search_matches_os_version_and_language_columns(console, x64_facts):
    from dataclasses import replace

    console.packages.create(name="One", image_path="/1.wim", image=x64_facts)
    console.packages.create(name="Two", image_path="/2.wim", image=replace(x64_facts, os_version="10.0.22621.1", language="de-DE"))
    assert [p["Name"] for p in console.packages.query(PackageQuery(text="10.0.261")).items] == ["One"]
    assert [p["Name"] for p in console.packages.query(PackageQuery(text="DE-de")).items] == ["Two"]
    # a reload that changes the OS version moves the package in the search as well
    console.packages.put("PS100002", {"Description": "x"})
    assert console.packages.query(PackageQuery(text="22621")).total == 1


def test_an_over_long_search_text_is_refused_by_the_service(console, x64_package):
    # the GUI's search box reaches the service without the CLI's --filter check
    with pytest.raises(ValidationError, match="at most 1,000 are searched for"):
        console.packages.query(PackageQuery(text="x" * 60_000))
    with pytest.raises(ValidationError, match="at most 1,000"):
        console.packages.count(PackageQuery(text="x" * 60_000))


def test_folders_and_moving_packages(console, x64_package):
    parent = console.folders.create("Production").value
    child = console.folders.create("Windows 11", parent.id).value
    console.packages.move_to_folder(["PS100001"], child.id)
    assert console.packages.query(PackageQuery(folder_id=parent.id)).total == 0
    assert console.packages.query(PackageQuery(folder_id=parent.id, recursive=True)).total == 1
    assert console.packages.query(PackageQuery(folder_id=0)).total == 0
    with pytest.raises(ValidationError, match="is not empty"):
        console.folders.delete(child.id)
    with pytest.raises(ValidationError, match="into itself"):
        console.folders.move(parent.id, child.id)
    console.packages.move_to_folder(["PS100001"], None)
    console.folders.delete(child.id)
    assert [f.name for f in console.folders.all()] == ["Production"]


def test_unit_of_work_rolls_back_unless_committed(console):
    from console.core.ports import Site

    with console.context.uow(write=True) as uow:
        uow.sites.add(Site("XYZ", "Never committed", False), created_at=console.context.clock())
    assert console.sites.all() == [s for s in console.sites.all() if s.code != "XYZ"]
    assert all(s.code != "XYZ" for s in console.sites.all())


def test_second_console_sees_the_conflict(console, db_url, x64_package):
    from console.app import open_console
    from tests.postgres import login_url

    other = open_console(login_url(db_url, "bob@console2"), user="bob@console2")  # PostgreSQL: login bob@console2
    read_by_alice = console.packages.get("PS100001")
    read_by_bob = other.packages.get("PS100001")
    other.packages.put("PS100001", {"Description": "Bob's change"}, expected_version=read_by_bob["SedoObjectVersion"])
    with pytest.raises(ConflictError, match="changed by bob@console2"):
        console.packages.put("PS100001", {"Description": "Alice's change"}, expected_version=read_by_alice["SedoObjectVersion"])
    assert console.packages.get("PS100001")["Description"] == "Bob's change"
    other.close()


def test_deleting_a_folder_can_move_its_packages_and_folders_up(console, x64_package):
    parent = console.folders.create("Production").value
    child = console.folders.create("Windows 11", parent.id).value
    console.folders.create("Drafts", child.id)
    console.packages.move_to_folder(["PS100001"], child.id)
    assert console.folders.contents(child.id) == (1, 1)
    result = console.folders.delete(child.id, move_contents_up=True)
    assert "PS100001" in result.changes.updated
    assert console.packages.query(PackageQuery(folder_id=parent.id)).total == 1
    assert {f.name: f.parent_id for f in console.folders.all()} == {"Production": 0, "Drafts": parent.id}


def test_duplicate_folder_name_is_a_sentence_with_its_own_title(console):
    from console.core.errors import DuplicateNameError

    console.folders.create("Lab")
    with pytest.raises(DuplicateNameError) as info:
        console.folders.create("lab ")
    assert info.value.title == "Name already used"
    assert info.value.message == "A folder named 'Lab' already exists in the Boot Images node: choose another name."


@pytest.fixture
def db_url(site_db: str) -> str:
    """Every test here runs on SQLite and on PostgreSQL."""
    return site_db
