"""The site's content library on real files: single instance, chunks, crash safety, retention, GC."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from console.content.files import library_lock
from console.content.library import FileContentLibrary
from console.core.content import (
    ContentBusyError,
    ContentCorruptError,
    ContentError,
    ContentVersionExistsError,
    ManifestFields,
    RevisionNotFoundError,
)

PID = "PS100004"
MIB = 1024 * 1024
FIELDS = ManifestFields(created_by="alice@console1")


def random_bytes(size: int, seed: int) -> bytearray:
    return bytearray(random.Random(seed).randbytes(size))


def filelib_objects(lib: FileContentLibrary) -> dict[str, int]:
    """Final-named FileLib objects -> size (hidden temporary files left out)."""
    return {p.name: p.stat().st_size for p in lib.filelib.glob("*/*") if not p.name.startswith(".")}


def assert_filelib_intact(lib: FileContentLibrary) -> None:
    """Every object under a final name holds exactly the bytes its name promises."""
    for path in lib.filelib.glob("*/*"):
        if path.name.startswith("."):
            continue
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, f"partial or damaged {path}"
        assert path.parent.name == path.name[:4]


@pytest.fixture
def lib(tmp_path: Path) -> FileContentLibrary:
    return FileContentLibrary(tmp_path / "ContentLib")


def test_layout_and_single_instance_storage(lib: FileContentLibrary, tmp_path: Path) -> None:
    shared = tmp_path / "startnet.cmd"
    shared.write_bytes(b"wpeinit\r\n")
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_bytes(b"first build")
    two.write_bytes(b"second build")

    first = lib.store(PID, 1, {"boot.wim": one, "Scripts/startnet.cmd": shared}, FIELDS)
    assert len(filelib_objects(lib)) == 2
    second = lib.store(PID, 2, {"boot.wim": two, "Scripts/startnet.cmd": shared}, FIELDS)
    assert len(filelib_objects(lib)) == 3  # the shared file is stored once
    again = lib.store(PID, 2, {"boot.wim": two, "Scripts/startnet.cmd": shared}, FIELDS)
    assert again == second and len(filelib_objects(lib)) == 3  # idempotent

    digest = hashlib.sha256(b"wpeinit\r\n").hexdigest()
    assert (lib.root / "FileLib" / digest[:4] / digest).read_bytes() == b"wpeinit\r\n"
    assert json.loads((lib.root / "DataLib" / f"{PID}.1.json").read_text())["content_id"] == f"{PID}.1"
    assert first.content_id == f"{PID}.1" and [f.path for f in first.files] == ["Scripts/startnet.cmd", "boot.wim"]
    assert lib.versions(PID) == [1, 2] and lib.current_version(PID) is None

    lib.set_current(PID, 1)
    assert json.loads((lib.root / "PkgLib" / f"{PID}.json").read_text())["current_version"] == 1
    assert lib.current(PID) == first
    assert lib.work_dir("{0C3A-77}").parent == lib.root / "Work"


def test_a_stored_version_never_changes(lib: FileContentLibrary, tmp_path: Path) -> None:
    src = tmp_path / "boot.wim"
    src.write_bytes(b"one")
    lib.store(PID, 1, {"boot.wim": src}, FIELDS)
    src.write_bytes(b"two")
    with pytest.raises(ContentVersionExistsError, match="already stored with other files"):
        lib.store(PID, 1, {"boot.wim": src}, FIELDS)
    out = lib.materialize(PID, 1, tmp_path / "out")
    assert out[0].read_bytes() == b"one"


def test_large_file_is_chunked_and_a_one_percent_change_stores_only_a_few_chunks(lib: FileContentLibrary, tmp_path: Path) -> None:
    size = 24 * MIB
    data = random_bytes(size, 1)
    wim = tmp_path / "boot.wim"
    wim.write_bytes(data)
    first = lib.store(PID, 1, {"boot.wim": wim}, FIELDS)
    assert first.files[0].chunked and len(first.files[0].chunks) > 20
    assert sum(n for _, n in first.files[0].chunks) == size
    assert first.files[0].sha256 == hashlib.sha256(data).hexdigest()
    before = filelib_objects(lib)
    assert sum(before.values()) == size  # chunks only, no second whole copy

    start = size // 2
    data[start:start + size // 100] = random_bytes(size // 100, 2)  # 1 % of the file rewritten
    wim.write_bytes(data)
    second = lib.store(PID, 2, {"boot.wim": wim}, FIELDS)
    after = filelib_objects(lib)
    new = {h: n for h, n in after.items() if h not in before}
    assert 1 <= len(new) <= 6
    assert sum(new.values()) < size * 0.08  # a few chunks around the change, not the file
    shared = {h for h, _ in first.files[0].chunks} & {h for h, _ in second.files[0].chunks}
    assert len(shared) >= len(first.files[0].chunks) - 6

    lib.materialize(PID, 1, tmp_path / "v1")
    lib.materialize(PID, 2, tmp_path / "v2")
    assert (tmp_path / "v2" / "boot.wim").read_bytes() == bytes(data)
    assert hashlib.sha256((tmp_path / "v1" / "boot.wim").read_bytes()).hexdigest() == first.files[0].sha256
    assert lib.verify(PID, 1) == [] and lib.verify(PID, 2) == []


def test_a_damaged_chunk_is_found_and_never_materialized(lib: FileContentLibrary, tmp_path: Path) -> None:
    wim = tmp_path / "boot.wim"
    wim.write_bytes(random_bytes(10 * MIB, 3))
    manifest = lib.store(PID, 1, {"boot.wim": wim}, FIELDS)
    chunk = lib.blob_path(manifest.files[0].chunks[3][0])
    damaged = bytearray(chunk.read_bytes())
    damaged[100] ^= 0xFF
    chunk.write_bytes(damaged)

    problems = lib.verify(PID, 1)
    assert len(problems) == 1 and "damaged" in problems[0] and chunk.name in problems[0]
    with pytest.raises(ContentCorruptError, match="damaged"):
        lib.materialize(PID, 1, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []  # no partial file left behind
    chunk.unlink()
    with pytest.raises(ContentCorruptError, match="incomplete"):
        lib.set_current(PID, 1)
    assert lib.current_version(PID) is None


def test_bad_input_is_refused_and_nothing_is_written(lib: FileContentLibrary, tmp_path: Path) -> None:
    src = tmp_path / "boot.wim"
    src.write_bytes(b"x")
    with pytest.raises(ContentError, match="is not a PackageID"):
        lib.store("../etc", 1, {"boot.wim": src}, FIELDS)
    with pytest.raises(ContentError, match="not a relative path"):
        lib.store(PID, 1, {"../boot.wim": src}, FIELDS)
    with pytest.raises(ContentError, match="is not a file"):
        lib.store(PID, 1, {"boot.wim": tmp_path / "missing.wim"}, FIELDS)
    with pytest.raises(ContentError, match="is not a ContextID"):
        lib.work_dir("../x")
    with pytest.raises(RevisionNotFoundError, match="no revision 7"):
        lib.manifest(PID, 7)
    assert not lib.root.exists()


STORE_CHILD = """
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from console.content.library import FileContentLibrary
from console.core.content import ManifestFields
lib = FileContentLibrary(Path(sys.argv[1]))
print("ready", flush=True)
lib.store("PS100004", 2, {"boot.wim": Path(sys.argv[2])}, ManifestFields(created_by="worker"))
print("stored", flush=True)
"""


def wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:  # bounded
        if condition():
            return True
        time.sleep(0.002)
    return False


def test_kill_9_during_store_leaves_no_partial_file_and_a_rerun_completes(tmp_path: Path) -> None:
    small = tmp_path / "v1.wim"
    small.write_bytes(b"revision one")
    big = tmp_path / "v2.wim"
    big.write_bytes(random_bytes(48 * MIB, 4))  # about 190 chunks
    rng = random.Random(5)
    mid_way = 0
    for attempt in range(8):  # bounded: stop after four kills that landed inside the store
        lib = FileContentLibrary(tmp_path / f"lib{attempt}")
        lib.store(PID, 1, {"boot.wim": small}, FIELDS, make_current=True)
        first = lib.manifest(PID, 1).files[0].sha256
        child = subprocess.Popen([sys.executable, "-c", STORE_CHILD, str(lib.root), str(big)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        if attempt % 2 == 0:  # while chunks are being written: after a random number of them
            wanted = rng.randint(1, 150)
            wait_for(lambda lib=lib, n=wanted: len(list(lib.filelib.glob("*/.*.tmp"))) >= n)
        else:  # while chunks are being renamed to their final names
            wait_for(lambda lib=lib, first=first: any(p.name != first for p in lib.filelib.glob("*/[0-9a-f]*")))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()

        assert_filelib_intact(lib)  # no object under a final name is partial
        assert lib.current_version(PID) == 1 and lib.verify(PID, 1) == []
        if 2 not in lib.versions(PID):
            mid_way += 1
            assert [p for p in lib.filelib.glob("*/*") if p.name != first], "the kill came before any chunk was written"
            manifest = lib.store(PID, 2, {"boot.wim": big}, FIELDS, make_current=True)  # the re-run completes
            assert lib.current_version(PID) == 2
            assert lib.verify(PID, 2) == [] and manifest.files[0].size == big.stat().st_size
            lib.collect_garbage(grace_seconds=0)  # leftover temporary files go too
            assert not [p for p in lib.filelib.glob("*/.*")]
            assert lib.verify(PID, 2) == []
        if mid_way >= 4:
            break
    assert mid_way >= 4, f"only {mid_way} kill(s) landed during the store"


def test_retention_keeps_the_last_n_and_gc_frees_only_unreferenced_files(lib: FileContentLibrary, tmp_path: Path) -> None:
    shared = tmp_path / "shared.bin"
    shared.write_bytes(b"s" * 5000)
    unique = {}
    for version in range(1, 8):
        own = tmp_path / f"v{version}.bin"
        own.write_bytes(bytes([version]) * 1000)
        unique[version] = hashlib.sha256(own.read_bytes()).hexdigest()
        lib.store(PID, version, {"boot.wim": own, "shared.bin": shared}, FIELDS)
    lib.set_current(PID, 5)  # 6 and 7: stored, not (yet) current

    with pytest.raises(ContentError, match="current content"):
        lib.remove_revision(PID, 5)
    assert lib.apply_retention(PID, keep=3) == [1, 2]
    assert lib.versions(PID) == [3, 4, 5, 6, 7]  # never the current one, never newer ones
    assert lib.apply_retention(PID, keep=1) == [3, 4]

    report = lib.collect_garbage()  # default grace period: fresh files stay
    assert report.files_removed == 0 and len(filelib_objects(lib)) == 8
    report = lib.collect_garbage(grace_seconds=0)
    assert report.files_removed == 4 and report.bytes_freed == 4000
    objects = filelib_objects(lib)
    assert set(objects) == {unique[5], unique[6], unique[7], hashlib.sha256(shared.read_bytes()).hexdigest()}
    assert all(lib.verify(PID, v) == [] for v in (5, 6, 7))

    assert lib.remove_package(PID) == [5, 6, 7]  # the package was deleted
    assert lib.versions(PID) == [] and lib.current_version(PID) is None
    assert lib.collect_garbage(grace_seconds=0).files_removed == 4 and filelib_objects(lib) == {}


def test_gc_never_runs_while_a_store_holds_the_library(lib: FileContentLibrary, tmp_path: Path) -> None:
    src = tmp_path / "orphan.bin"
    src.write_bytes(b"orphan")
    lib.store(PID, 1, {"boot.wim": src}, FIELDS)
    (lib.datalib / f"{PID}.1.json").unlink()  # its object is now unreferenced
    lib.lock_timeout = 0.3
    # a store in progress (another process) holds the lock shared
    with library_lock(lib.root, exclusive=False), pytest.raises(ContentBusyError, match="a store is writing"):
        lib.collect_garbage(grace_seconds=0)
    assert len(filelib_objects(lib)) == 1
    assert lib.collect_garbage(grace_seconds=0).files_removed == 1


UNWRITABLE_CHILD = """
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from console.content.library import FileContentLibrary
from console.core.content import ContentError, ManifestFields
try:
    FileContentLibrary(Path(sys.argv[1])).store("PS100004", 1, {"boot.wim": Path(sys.argv[2])}, ManifestFields(created_by="x"))
except ContentError as exc:
    print(exc)
    sys.exit(1)
"""


def test_a_library_folder_the_user_cannot_write_gives_one_line() -> None:
    prefix: list[str] = []
    if os.geteuid() == 0:  # root writes anywhere: run the store as nobody
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv is not available to drop privileges")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    folder = Path(tempfile.mkdtemp(prefix="bootimage-contentlib-"))
    try:
        folder.chmod(0o755)
        root = folder / "ContentLib"
        root.mkdir(mode=0o755)
        src = folder / "boot.wim"
        src.write_bytes(b"x")
        src.chmod(0o644)
        proc = subprocess.run([*prefix, sys.executable, "-c", UNWRITABLE_CHILD, str(root), str(src)],
                              capture_output=True, text=True, timeout=60, cwd="/", check=False)
        if prefix and "No module named" in proc.stderr:
            pytest.skip("user nobody cannot reach this checkout or its .venv")
        assert proc.returncode == 1, proc.stderr
        line = proc.stdout.strip()
        assert "\n" not in line and f"cannot store PS100004 version 1 in the content library {root}" in line
        assert "write access" in line
        assert list(root.iterdir()) == []
    finally:
        shutil.rmtree(folder)


def test_sending_a_version_to_another_library_sends_only_missing_objects(lib: FileContentLibrary, tmp_path: Path) -> None:
    from console.content.sync import send_version

    dp = FileContentLibrary(tmp_path / "dp01" / "SCCMContentLib")
    size = 16 * MIB
    data = random_bytes(size, 6)
    wim = tmp_path / "boot.wim"
    wim.write_bytes(data)
    first = lib.store(PID, 1, {"boot.wim": wim}, FIELDS)
    data[size // 3:size // 3 + size // 100] = random_bytes(size // 100, 7)
    wim.write_bytes(data)
    lib.store(PID, 2, {"boot.wim": wim}, FIELDS)

    full = send_version(lib, dp, PID, 1)
    assert full.objects_sent == len(first.files[0].chunks) and full.bytes_sent == size
    delta = send_version(lib, dp, PID, 2)
    assert 1 <= delta.objects_sent <= 6 and delta.bytes_sent < size * 0.08
    assert dp.current_version(PID) == 2 and dp.verify(PID, 2) == []
    assert dp.materialize(PID, 2, tmp_path / "dp-out")[0].read_bytes() == bytes(data)

    # a rollback: a new version sharing revision 1's objects costs no bytes, but is new content
    lib.add_manifest(replace(first, version=3, origin="rollback", rolled_back_from=1))
    again = send_version(lib, dp, PID, 3)
    assert again.objects_sent == 0 and again.content_id == f"{PID}.3" and dp.current_version(PID) == 3


def test_the_image_listing_takes_files_and_their_unnamed_stream_only() -> None:
    from console.core.image_listing import parse_detailed

    text = "\n".join([
        "-" * 76, 'Full Path           = "/Windows"', "Attributes          = 0x00000010", "\tUnnamed data stream:",
        "Hash              = 0x" + "0" * 40, "Uncompressed size = 0 bytes",
        "-" * 76, 'Full Path           = "/Windows/System32/startnet.cmd"', "Attributes          = 0x00000020",
        "\tUnnamed data stream:", "Hash              = 0x" + "ab" * 20, "Uncompressed size = 9 bytes",
        '\tNamed data stream "Zone.Identifier":', "Hash              = 0x" + "cd" * 20, "Uncompressed size = 26 bytes",
        "-" * 76, 'Full Path           = "/empty.txt"', "Attributes          = 0x00000080",
        "-" * 76, 'Full Path           = "/ads-first.txt"', "Attributes          = 0x00000020",
        '\tNamed data stream "x":', "Hash              = 0x" + "ee" * 20, "Uncompressed size = 5 bytes",
        "\tUnnamed data stream:", "Hash              = 0x" + "ff" * 20, "Uncompressed size = 7 bytes",
    ])
    assert parse_detailed(text) == {"/Windows/System32/startnet.cmd": (9, "ab" * 20), "/empty.txt": (0, "0" * 40),
                                    "/ads-first.txt": (7, "ff" * 20)}
