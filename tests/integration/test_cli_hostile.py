"""Hostile input to the `bootimage` command (issue 8): named pipes, devices, huge or odd files,
unreadable folders, out-of-range numbers, bad text, terminal escapes. Each is refused with a
one-line message and an exit code of a refused input (1, or 2 for usage), never 3 or a hang."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.driver_fixtures import LOCAL_INF

NET_INF = LOCAL_INF / "microsoft__Windows-driver-samples__network__ndis__netvmini__6x__netvmini.inf"


def _a_net_inf() -> Path:
    if NET_INF.exists():
        return NET_INF
    from console.drivers.inf import read_inf

    for inf in sorted(LOCAL_INF.glob("*.inf")):
        parsed = read_inf(inf)
        if parsed.driver_class.casefold() == "net" and parsed.models:
            return inf
    raise AssertionError("no network INF in tests/data/inf")


# -- item 2: a named pipe or device called *.inf ------------------------------------------------


def test_driver_import_skips_a_named_pipe_called_inf_instead_of_hanging(site, tmp_path):
    folder = tmp_path / "drivers"
    (folder / "net").mkdir(parents=True)
    shutil.copyfile(_a_net_inf(), folder / "net" / "net.inf")
    os.mkfifo(folder / "pipe.inf")
    os.mkfifo(folder / "net" / "content.sys")  # a pipe among a driver's files is not content
    result = site("driver", "import", str(folder), "--json")  # run() has a timeout: a hang fails
    report = json.loads(result.stdout)
    assert report["found"] == 2
    assert len(report["imported"]) == 1
    assert report["failed"] == [{
        "path": str(folder / "pipe.inf"),
        "message": f"{folder / 'pipe.inf'}: is a named pipe, not an INF file; only regular files are read",
    }]


def test_driver_import_of_a_pipe_or_device_named_directly(site, tmp_path):
    fifo = tmp_path / "one.inf"
    os.mkfifo(fifo)
    for target in (str(fifo), "/dev/zero"):
        result = site("driver", "import", target, check=False)
        assert result.returncode == 1
        kind = "a named pipe" if target == str(fifo) else "a device"
        assert f"failed    {target}: is {kind}, not an INF file; only regular files are read" in result.stdout


# -- item 9: unreadable folders are named, an unreadable part of a driver is reported -----------


def _as_nobody() -> list[str]:
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv is not available to drop privileges")
    as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
    probe = subprocess.run([*as_nobody, "-c", "import console.cli"], capture_output=True, text=True,
                           cwd="/", timeout=60, check=False)
    if probe.returncode != 0:
        pytest.skip("user nobody cannot reach this checkout or its .venv")
    return as_nobody


@pytest.fixture
def nobody_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="bootimage-hostile-"))
    try:
        folder.chmod(0o777)
        yield folder
    finally:
        shutil.rmtree(folder)


def test_unreadable_subfolders_are_named_and_fail_the_driver_that_contains_them(nobody_folder):
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to user nobody")
    as_nobody = _as_nobody()
    drivers = nobody_folder / "drivers"
    (drivers / "net" / "payload").mkdir(parents=True)
    shutil.copyfile(_a_net_inf(), drivers / "net" / "net.inf")
    (drivers / "net" / "payload" / "net.sys").write_bytes(b"MZ")
    (drivers / "locked").mkdir()
    for path in [drivers, *drivers.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (drivers / "net" / "payload").chmod(0)
    (drivers / "locked").chmod(0)
    env = {**os.environ, "BOOTIMAGE_DB": f"sqlite:///{nobody_folder / 'site.db'}",
           "HOME": str(nobody_folder)}

    def bootimage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*as_nobody, "-m", "console.cli", *args], capture_output=True, text=True,
                              cwd="/", timeout=120, check=False, env=env)

    assert bootimage("site", "init", "--site-code", "PS1").returncode == 0
    result = bootimage("driver", "import", str(drivers))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (f"{drivers}: 1 INF file(s): 0 imported, 0 duplicate(s), 1 failed; "
                        "2 folder(s) cannot be read")
    assert f"failed    {drivers / 'locked'}: cannot read this folder: Permission denied" in lines
    assert (f"failed    {drivers / 'net' / 'net.inf'}: the driver's content is incomplete: cannot read the "
            f"sub-folder {drivers / 'net' / 'payload'} (Permission denied); the driver is not imported "
            "(make it readable and import again)") in lines
    assert json.loads(bootimage("driver", "list", "--json").stdout) == []


# -- item 3: PROP=@file for byte properties ----------------------------------------------------


@pytest.fixture
def package(site, tmp_path) -> str:
    result = site("new", "--path", str(tmp_path / "boot.wim"), "--index", "1", "--name", "WinPE", "--no-image-read")
    return result.stdout.strip()


def _icon(site, package: str) -> object:
    return json.loads(site("show", package, "--json").stdout)["Icon"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 24


@pytest.mark.parametrize(("source", "message"), [
    ("/dev/zero", "Icon: /dev/zero: is a device, not an Icon file; only regular files are read"),
    ("fifo", "Icon: {tmp}/icon.fifo: is a named pipe, not an Icon file; only regular files are read"),
    ("sparse", "Icon: {tmp}/huge.ico: is 3,221,225,472 bytes, more than 1 MiB, the limit for an Icon file; it is not read"),
    ("text", "Icon must be an image (ICO, PNG, BMP, JPEG or GIF); these bytes start with 68 65 6c 6c 6f 0a, which is none of them"),
    ("missing", "Icon: {tmp}/missing.ico: no such file"),
])
def test_icon_from_a_file_refuses_devices_pipes_huge_files_and_non_images(site, package, tmp_path, source, message):
    path = {"fifo": tmp_path / "icon.fifo", "sparse": tmp_path / "huge.ico", "text": tmp_path / "icon.txt",
            "missing": tmp_path / "missing.ico"}.get(source, Path(source))
    if source == "fifo":
        os.mkfifo(path)
    elif source == "sparse":
        with open(path, "wb") as handle:
            handle.truncate(3 * 1024 ** 3)  # sparse: nothing is really allocated
    elif source == "text":
        path.write_bytes(b"hello\n")
    result = site("set", package, f"Icon=@{path}", check=False)
    assert (result.returncode, result.stderr) == (1, f"error: {message.format(tmp=tmp_path)}\n")
    assert _icon(site, package) is None


def test_icon_from_a_real_image_file_and_other_blobs_up_to_their_limit(site, package, tmp_path):
    (tmp_path / "icon.png").write_bytes(PNG)
    assert site("set", package, f"Icon=@{tmp_path / 'icon.png'}").returncode == 0
    assert json.loads(site("show", package, "--json").stdout)["IconSize"] == len(PNG)
    blob = tmp_path / "isv.bin"
    blob.write_bytes(b"\1" * 1000)
    assert site("set", package, f"ISVData=@{blob}").returncode == 0
    with open(blob, "wb") as handle:
        handle.truncate(16 * 1024 * 1024 + 1)
    result = site("set", package, f"ISVData=@{blob}", check=False)
    assert result.returncode == 1
    assert "more than 16 MiB, the limit for an ISVData file; it is not read" in result.stderr


# -- item 7: numbers, text, JSON, dates and paths the console cannot take ---------------------

BIG = str(2**63)
LONG_NAME = "a" * 300


@pytest.mark.parametrize(("args", "message"), [
    (["list", "--limit", BIG], f"argument --limit: {BIG} is out of range; give a whole number from 0 to {2**63 - 1}"),
    (["list", "--offset", "-1"], f"argument --offset: -1 is out of range; give a whole number from 0 to {2**63 - 1}"),
    (["list", "--folder", BIG], ("argument --folder: 9223372036854775808 is out of range; give a whole number "
                                "from 0 to 4294967295 (a folder ID; 0 = top level)")),
    (["driver", "list", "--limit", BIG], "argument --limit: 9223372036854775808 is out of range"),
    (["driver", "show", BIG], ("argument CI_ID: 9223372036854775808 is out of range; give a whole number from 1 "
                              "to 4294967295 (a driver CI_ID)")),
    (["driver", "remove", "0", "--force"], "argument CI_ID: 0 is out of range"),
    (["new", "--path", "/x.wim", "--index", BIG, "--name", "B", "--no-image-read"], "argument --index: "),
    (["set", "PS100001", "--add-driver", BIG], "argument --add-driver: 9223372036854775808 is out of range"),
    (["status", "--limit", BIG], "argument --limit: 9223372036854775808 is out of range"),
    (["folder", "remove", BIG], "argument ID: 9223372036854775808 is out of range"),
    (["list", "--filter", "a" * 60_000], ("argument --filter: the search text is 60,000 characters long; "
                                         "at most 1,000 are searched for")),
    (["driver", "list", "--filter", "a" * 60_000], "argument --filter: the search text is 60,000 characters long"),
    (["image-info", f"/tmp/{LONG_NAME}.wim"], ("argument WIM: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…: a name in "
                                              "the path is 304 characters long; file and folder names have at most 255")),
    (["driver", "import", f"/tmp/{LONG_NAME}"], "argument FOLDER: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…: a name in the path is 300"),
    (["new", "--path", f"/tmp/{LONG_NAME}.wim", "--index", "1", "--name", "X", "--no-image-read"],
     "argument --path: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…: a name in the path is 304"),
])
def test_out_of_range_numbers_long_text_and_long_names_are_usage_errors(run, args, message):
    result = run(*args, check=False)  # refused before the site database is opened
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert message in last and "internal error" not in result.stderr


def test_non_utf8_bytes_are_refused_naming_the_argument(site, package):
    """argv bytes that are not UTF-8 reach Python as lone surrogates (surrogateescape)."""
    cases = [
        ([b"set", package.encode(), b"Name=a\xffb"], "argument PROP=VALUE: 'Name=a\\xffb' is not UTF-8 text (byte 0xff)"),
        ([b"list", b"--where", b"Name=\xc3"], "argument --where: 'Name=\\xc3' is not UTF-8 text (byte 0xc3)"),
        ([b"list", b"--filter=\xfe"], "argument --filter: the search text is not valid text: it holds bytes that are not UTF-8"),
        ([b"folder", b"new", b"F\xff"], "argument name: 'F\\xff' is not UTF-8 text (byte 0xff)"),
    ]
    for args, message in cases:
        result = site(*[a.decode("utf-8", "surrogateescape") for a in args], check=False)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
    assert json.loads(site("show", package, "--json").stdout)["Name"] == "WinPE"


@pytest.mark.parametrize(("value", "message"), [
    ("[" * 5000 + "]" * 5000, "RefreshSchedule: the JSON is nested 5000 levels deep; at most 16 are accepted"),
    ('[{"__class": "SMS_ST_NonRecurring", "DayDuration": 1' + "0" * 5000 + "}]",
     "RefreshSchedule: the JSON cannot be read: Exceeds the limit (4300 digits) for integer string conversion"),
    ("[" + ",".join(['{"__class": "SMS_ST_NonRecurring"}'] * 2500) + "]",
     "RefreshSchedule: the JSON text is 87,501 characters long; at most 65,536 are accepted"),
    ('{"__class": "SMS_ST_NonRecurring", "StartTime": "9999-12-31T23:59:59-05:00"}',
     "RefreshSchedule[0].StartTime: '9999-12-31T23:59:59-05:00' is out of range: dates run from 0001-01-01 to 9999-12-31 (UTC)"),
    ('{"__class": "SMS_ST_NonRecurring", "StartTime": "00000101000000.000000+000"}', "RefreshSchedule[0].StartTime: "),
])
def test_hostile_json_and_dates_in_embedded_properties_are_refused(site, package, value, message):
    result = site("set", package, f"RefreshSchedule={value}", check=False)
    assert (result.returncode, result.stderr.startswith(f"error: {message}")) == (1, True), result.stderr
    assert json.loads(site("show", package, "--json").stdout)["RefreshSchedule"] == []


# -- property-based: hostile argv in-process never ends in an internal error -------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

pytestmark = pytest.mark.both_databases

_ANY_CHAR = st.characters(min_codepoint=1, max_codepoint=0x10FFFF, blacklist_categories=())
_TEXT = st.one_of(
    st.text(_ANY_CHAR, max_size=40),
    st.sampled_from(["\x1b[31mRED", "a\u202eb", "\udcff", "a" * 300, "a" * 1200, "-1", "", " ", "%", "_", "\\"]),
)
_INT = st.one_of(st.integers(-(2**70), 2**70).map(str), st.sampled_from([str(2**63), str(2**64), "0x10", "1e3"]), _TEXT)
_JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(_ANY_CHAR, max_size=10),
              st.sampled_from(["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "00000000000000.000000+999"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
        st.sampled_from(["__class", "StartTime", "DayDuration", "HourSpan", "IsGMT", "x"]), inner, max_size=3)),
    max_leaves=8,
)
_JSON = st.one_of(
    _JSON_VALUE.map(lambda v: json.dumps(v)),
    st.builds(lambda c, t: json.dumps([{"__class": c, "StartTime": t}]),
              st.sampled_from(["SMS_ST_NonRecurring", "SMS_ST_RecurInterval", "SMS_ScheduleToken", "Nope"]), _TEXT),
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
    _TEXT,
)


def _argv(draw_text: str, number: str, json_text: str, tmp: str) -> list[list[str]]:
    return [
        ["list", "--limit", number], ["list", "--offset", number], ["list", "--folder", number],
        ["list", "--filter", draw_text], ["list", "--where", f"Name={draw_text}"], ["list", "--sort", draw_text],
        ["show", draw_text], ["set", "PS100001", f"Name={draw_text}"], ["set", "PS100001", f"Description={draw_text}"],
        ["set", "PS100001", f"ScratchSpace={number}"], ["set", "PS100001", f"RefreshSchedule={json_text}"],
        ["set", "PS100001", "--add-driver", number], ["set", "PS100001", f"{draw_text}={draw_text}"],
        ["driver", "list", "--filter", draw_text], ["driver", "list", "--arch", draw_text], ["driver", "show", number],
        ["driver", "import", f"{tmp}/{draw_text}"], ["image-info", f"{tmp}/{draw_text}"], ["folder", "new", draw_text],
        ["new", "--path", f"{tmp}/{draw_text}", "--index", number, "--name", draw_text, "--no-image-read"],
        ["status", "--limit", number], ["class", draw_text], ["move", "PS100001", "--folder", number],
    ]


@settings(max_examples=int(os.environ.get("BOOTIMAGE_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_argv_never_ends_in_an_internal_error(cli_fuzz_site, data):
    from console.cli import EXIT_INTERNAL, main

    templates = _argv(data.draw(_TEXT, "text"), data.draw(_INT, "number"), data.draw(_JSON, "json"), str(cli_fuzz_site))
    argv = data.draw(st.sampled_from(templates), "argv")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    assert code != EXIT_INTERNAL, err.getvalue()[-2000:]


@pytest.fixture
def cli_fuzz_site(tmp_path, monkeypatch):
    from console.cli import main

    monkeypatch.setenv("BOOTIMAGE_DB", f"sqlite:///{tmp_path / 'fuzz.db'}")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["site", "init", "--site-code", "PS1"]) == 0
        assert main(["new", "--path", str(tmp_path / "boot.wim"), "--index", "1", "--name", "A", "--no-image-read"]) == 0
    return tmp_path


# -- item 8: terminal escapes in names and INF strings -----------------------------------------

HOSTILE_DESC = "Evil\x1b[31mRED\x07 \u202eteN\u2066 NIC"
SAFE_DESC = "Evil\\x1b[31mRED\\x07 \\u202eteN\\u2066 NIC"


def _hostile_inf(folder: Path) -> Path:
    folder.mkdir(parents=True)
    inf = folder / "evil.inf"
    inf.write_text(
        '[Version]\nSignature="$Windows NT$"\nClass=Net\nClassGuid={4d36e972-e325-11ce-bfc1-08002be10318}\n'
        f'Provider=%Mfg%\nDriverVer=01/02/2024,1.0.0.0\n[Manufacturer]\n%Mfg%=Models,NTamd64\n'
        '[Models.NTamd64]\n%Desc%=Install,PCI\\VEN_1234&DEV_5678\n[Install]\n'
        f'[Strings]\nMfg="Bad\x1b]0;title\x07 Corp"\nDesc="{HOSTILE_DESC}"\n', encoding="utf-8")
    return inf


def test_inf_strings_are_printed_escaped_and_json_stays_exact(site, tmp_path):
    _hostile_inf(tmp_path / "drivers" / "evil")
    imported = site("driver", "import", str(tmp_path / "drivers")).stdout
    assert "\x1b" not in imported and "\u202e" not in imported and "\x07" not in imported
    assert SAFE_DESC in imported
    listed = site("driver", "list").stdout
    assert SAFE_DESC in listed and "\x1b" not in listed
    ci_id = json.loads(site("driver", "list", "--json").stdout)[0]["CI_ID"]
    shown = site("driver", "show", str(ci_id)).stdout
    assert SAFE_DESC in shown and "Bad\\x1b]0;title\\x07 Corp" in shown and "\x1b" not in shown
    exact = json.loads(site("driver", "show", str(ci_id), "--json").stdout)
    assert exact["LocalizedDisplayName"] == HOSTILE_DESC and exact["DriverProvider"] == "Bad\x1b]0;title\x07 Corp"


def test_names_stored_before_the_rule_are_printed_escaped(site, package, cli_db_url):
    from sqlalchemy import create_engine, text

    engine = create_engine(cli_db_url)
    with engine.begin() as db:  # a name written before validation refused it
        db.execute(text("UPDATE boot_image_package SET name = :n"), {"n": "a\x1b[31mRED\u202e"})
    engine.dispose()
    for args in (["list"], ["show", package]):
        out = site(*args).stdout
        assert "a\\x1b[31mRED\\u202e" in out and "\x1b" not in out and "\u202e" not in out
    assert json.loads(site("show", package, "--json").stdout)["Name"] == "a\x1b[31mRED\u202e"
    assert site("remove", package, "--force").stdout == f"removed {package} (a\\x1b[31mRED\\u202e)\n"


@pytest.mark.parametrize(("assignment", "message"), [
    ("Name=a\x1b[31mRED", "Name cannot contain a control character (U+001B at character 2); use plain text"),
    ("Version=1\u202e0", "Version cannot contain a bidirectional override (U+202E at character 2); use plain text"),
    ("Description=bell\x07here", "Description cannot contain a control character (U+0007 at character 5); use plain text"),
    ("Name=line\nbreak", "Name cannot contain a control character (U+000A at character 5); use plain text"),
    ("Name=a\u2066b", "Name cannot contain a bidirectional override (U+2066 at character 2); use plain text"),
    ("Name=a\x85b", "Name cannot contain a control character (U+0085 at character 2); use plain text"),
])
def test_control_characters_and_bidi_overrides_are_refused_in_name_version_description(site, package, assignment, message):
    result = site("set", package, assignment, check=False)
    assert (result.returncode, result.stderr) == (1, f"error: {message}\n")


def test_the_comment_keeps_its_line_breaks_and_tabs(site, package):
    # Description is ConfigMgr's multi-line Comment box: line breaks and tabs are plain text there
    site("set", package, "Description=first line\n\tsecond line")
    assert json.loads(site("show", package, "--json").stdout)["Description"] == "first line\n\tsecond line"
