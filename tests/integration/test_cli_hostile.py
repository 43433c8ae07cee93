"""Hostile input to the `bootimage` command (issue 8): named pipes, devices, huge or odd files,
unreadable folders, out-of-range numbers, bad text, terminal escapes. Each is refused with a
one-line message and an exit code of a refused input (1, or 2 for usage), never 3 or a hang."""

from __future__ import annotations

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
    env = {**os.environ, "BOOTIMAGE_DB": f"sqlite:///{nobody_folder / 'site.db'}", "BOOTIMAGE_USER": "nobody@host",
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
