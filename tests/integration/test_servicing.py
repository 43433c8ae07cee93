"""Building boot images with real wimlib-imagex and hivex: the whole pipeline, every pre-flight
check, kill -9 and cancel in each step."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest

from console.adk.layout import AdkFolder
from console.core.servicing import (
    BuildSpec,
    Cancelled,
    Check,
    ServicingError,
    SourceFingerprint,
    has_failures,
    resolve_input_locale,
)
from console.servicing.builder import WimlibImageBuilder, export_default_boot_image
from console.servicing.hives import HiveError, Hives
from console.servicing.wimlib import Wimlib, WimlibError
from console.wim.capture import ImageSpec, capture, split
from console.wim.reader import WimReader
from tests.servicing_fixtures import (
    ARM64_INF,
    BUS_INF,
    DISK_INF,
    TINY_JPEG,
    BuildInputs,
    build_inputs,
    driver_folder,
    driver_source,
    full_spec,
    minimal_hive,
    system_hive,
    winpe_tree,
    winpe_wim,
)
from tests.wim_fixtures import WINDOWS_PRO, require_tool

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def _tools() -> None:
    require_tool("wimlib-imagex")
    require_tool("hivexsh")


@pytest.fixture(scope="session")
def source_wim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return winpe_wim(tmp_path_factory.mktemp("servicing") / "boot.wim")


@pytest.fixture
def inputs(tmp_path: Path, source_wim: Path) -> BuildInputs:
    source = tmp_path / "source" / "boot.wim"
    source.parent.mkdir()
    shutil.copyfile(source_wim, source)
    return build_inputs(tmp_path, source)


@pytest.fixture
def builder() -> WimlibImageBuilder:
    return WimlibImageBuilder(WimReader())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(builder: WimlibImageBuilder, spec: BuildSpec, workdir: Path) -> None:
    for step in builder.STEPS:
        builder.run_step(step, spec, str(workdir), lambda done, total, text: None, lambda: False)


def apply_image(wim: Path, target: Path) -> Path:
    subprocess.run(["wimlib-imagex", "apply", str(wim), "1", str(target), "--no-acls"], check=True,
                   capture_output=True, timeout=120)
    return target


EXPECTED_SCRIPT = (
    "@echo off\r\n"
    "rem Boot script of PS100004, written by Boot Image Console on every build.\r\n"
    "rem Do not edit: the next build replaces it from the package's properties.\r\n"
    "rem 1. Start Windows PE networking and Plug and Play.\r\n"
    "wpeinit\r\n"
    "rem 2. Load the boot image's drivers (staged in \\Drivers, loaded at boot).\r\n"
    'drvload "%SYSTEMDRIVE%\\Drivers\\16777217\\microsoft__Windows-driver-samples__storage__class__disk__src__diskdev.inf"\r\n'
    'drvload "%SYSTEMDRIVE%\\Drivers\\16777218\\ViGEm__ViGEmBus__sys__ViGEmBus.inf"\r\n'
    "rem 3. Keyboard layout (InputLocale).\r\n"
    "wpeutil SetKeyboardLayout 0407:00000407\r\n"
    "rem 4. Command support (testing only): a command prompt in its own window.\r\n"
    'start "Command support" %SYSTEMROOT%\\System32\\cmd.exe\r\n'
    "rem 5. Prestart command.\r\n"
    'pushd "%SYSTEMDRIVE%\\Prestart"\r\n'
    "cmd /c setup.cmd\r\n"
    "if errorlevel 1 (\r\n"
    "  echo The prestart command failed with exit code %errorlevel%; the deployment does not start.\r\n"
    "  exit /b 1\r\n"
    ")\r\n"
    "popd\r\n"
    "rem 6. The site's deployment command.\r\n"
    "X:\\sms\\bin\\x64\\TsBootShell.exe\r\n"
)


# -- the whole pipeline ---------------------------------------------------------------------------


def test_build_applies_every_customization_and_leaves_the_source_alone(inputs, builder, tmp_path):
    spec = full_spec(inputs)
    before = sha256(inputs.source)
    checks = builder.preflight(spec)
    assert not has_failures(checks), [c for c in checks if c.failed]
    assert not [c for c in checks if c.severity == "warning"]
    workdir = inputs.work_root / "PS100004"
    build(builder, spec, workdir)

    built = builder.result(spec, str(workdir))
    assert Path(built.path) == workdir / "boot.PS100004.wim"
    assert sorted(os.listdir(workdir)) == [".lock", "boot.PS100004.wim", "verify.json"]
    assert built.sha256 == sha256(Path(built.path))
    assert built.size_kb == -(-Path(built.path).stat().st_size // 1024)
    assert (built.architecture, built.os_version, built.languages) == ("x64", "10.0.26100.1", ("en-US",))
    assert built.summary == "2 drivers, scratch 128 MB, prestart command, background, keyboard de-DE, command support"
    assert sha256(inputs.source) == before  # byte-identical

    info = WimReader().read(built.path)
    assert (info.image_count, info.boot_index, info.compression) == (1, 1, "LZX")
    tree = apply_image(Path(built.path), tmp_path / "applied")
    disk = tree / "Drivers" / "16777217"
    assert (disk / DISK_INF.name).read_bytes() == DISK_INF.read_bytes()
    assert (disk / "diskdev.cat").is_file() and (disk / "amd64" / "disk.sys").is_file()
    bus = tree / "Drivers" / "16777218"
    assert sorted(p.name for p in bus.iterdir()) == sorted(
        [BUS_INF.name, "ViGEmBus.cat", "ViGEmBus.sys", "WdfCoInstaller$KMDFCOINSTALLERVERSION$.dll"])
    assert (tree / "Prestart" / "setup.cmd").read_bytes() == b"@echo prestart\r\n"
    assert (tree / "Prestart" / "tools" / "helper.exe").is_file()
    system32 = tree / "Windows" / "System32"
    assert (system32 / "winpe.jpg").read_bytes() == inputs.background.read_bytes()
    assert (system32 / "startnet.cmd").read_bytes().decode("ascii") == EXPECTED_SCRIPT
    assert (system32 / "winpeshl.ini").read_bytes().decode("ascii") == (
        "; Written by Boot Image Console: start the boot script (startnet.cmd) in every case.\r\n"
        "[LaunchApps]\r\n%SYSTEMROOT%\\System32\\cmd.exe, /c %SYSTEMROOT%\\System32\\startnet.cmd\r\n")
    hive = system32 / "config" / "SYSTEM"
    read = subprocess.run(["hivexget", str(hive), r"\ControlSet001\Services\FBWF", "WinPECacheThreshold"],
                          capture_output=True, text=True, check=True)
    assert read.stdout == "128\n"
    values = subprocess.run(["hivexget", str(hive), r"\ControlSet001\Services\FBWF"], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    # the key's other values survive the edit
    assert values == ['"Start"=dword:00000000', '"Type"=dword:00000002', '"DisplayName"="FBWF"',
                      '"WinPECacheThreshold"=dword:00000080']
    # the rest of the image is the source's
    assert (system32 / "wpeutil.dll").is_file() and (tree / "Windows" / "Boot" / "PXE" / "readme.txt").is_file()


def test_a_second_run_of_every_step_is_skipped(inputs, builder):
    spec = full_spec(inputs)
    workdir = inputs.work_root / "again"
    build(builder, spec, workdir)
    first = builder.result(spec, str(workdir))
    stamp = Path(first.path).stat().st_mtime_ns
    build(builder, spec, workdir)
    assert Path(first.path).stat().st_mtime_ns == stamp
    assert builder.result(spec, str(workdir)) == first


def test_minimal_spec_builds_only_the_boot_script(inputs, builder, tmp_path):
    spec = BuildSpec(package_id="PS100009", image_path=str(inputs.source), image_index=1, architecture="x64",
                     work_root=str(inputs.work_root))
    assert not has_failures(builder.preflight(spec))
    build(builder, spec, inputs.work_root / "min")
    built = builder.result(spec, str(inputs.work_root / "min"))
    assert built.summary == "no customizations"
    tree = apply_image(Path(built.path), tmp_path / "applied")
    assert not (tree / "Drivers").exists() and not (tree / "Prestart").exists()
    assert (tree / "Windows" / "System32" / "startnet.cmd").read_text(encoding="ascii").splitlines()[-1] == "wpeinit"
    assert (tree / "Windows" / "System32" / "winpe.jpg").read_bytes() == TINY_JPEG  # untouched


def test_a_driver_without_its_catalog_is_a_warning_and_still_builds(inputs, builder, tmp_path):
    unsigned = driver_source(driver_folder(tmp_path / "unsigned", DISK_INF, catalog=False), 16777219)
    spec = full_spec(inputs, drivers=(unsigned,))
    checks = builder.preflight(spec)
    assert not has_failures(checks) and [c.id for c in checks if c.severity == "warning"] == ["drivers.catalog"]
    build(builder, spec, inputs.work_root / "unsigned")
    listed = Wimlib().dir(builder.result(spec, str(inputs.work_root / "unsigned")).path, 1, "/Drivers")
    assert listed == ["/Drivers", "/Drivers/16777219", "/Drivers/16777219/amd64", "/Drivers/16777219/amd64/disk.sys",
                      f"/Drivers/16777219/{DISK_INF.name}"]


def test_paths_with_spaces_and_quotes(inputs, builder, tmp_path):
    odd = tmp_path / "pre start" / "it's here"
    shutil.copytree(inputs.prestart, odd)
    spec = full_spec(inputs, pre_exec_source_directory=str(odd))
    build(builder, spec, inputs.work_root / "odd")
    listed = Wimlib().dir(builder.result(spec, str(inputs.work_root / "odd")).path, 1, "/Prestart")
    assert listed == ["/Prestart", "/Prestart/setup.cmd", "/Prestart/tools", "/Prestart/tools/helper.exe"]
    both = tmp_path / "a\"b'c"
    both.mkdir()
    bad = full_spec(inputs, pre_exec_source_directory=str(both))
    builder.run_step("export", bad, str(inputs.work_root / "odd2"))
    with pytest.raises(ServicingError, match="cannot be passed to wimlib-imagex update"):
        builder.run_step("customize", bad, str(inputs.work_root / "odd2"))
    assert sorted(os.listdir(inputs.work_root / "odd2")) == [".lock", "export.wim"]


def test_background_goes_to_winpe_bmp_on_images_that_use_it(tmp_path, builder):
    source = winpe_wim(tmp_path / "bmp.wim", background="winpe.bmp")
    inputs = build_inputs(tmp_path, source)
    spec = full_spec(inputs)
    build(builder, spec, inputs.work_root / "b")
    tree = apply_image(Path(builder.result(spec, str(inputs.work_root / "b")).path), tmp_path / "applied")
    assert (tree / "Windows" / "System32" / "winpe.bmp").read_bytes() == inputs.background.read_bytes()
    assert not (tree / "Windows" / "System32" / "winpe.jpg").exists()


def test_result_before_verify_is_refused(inputs, builder):
    spec = full_spec(inputs)
    builder.run_step("export", spec, str(inputs.work_root / "x"))
    with pytest.raises(ServicingError, match="has not completed its verify step"):
        builder.result(spec, str(inputs.work_root / "x"))
    with pytest.raises(ServicingError, match=r"customize step.s output .* is missing"):
        builder.run_step("verify", spec, str(inputs.work_root / "x"))
    with pytest.raises(ServicingError, match="unknown build step 'mount'"):
        builder.run_step("mount", spec, str(inputs.work_root / "x"))


# -- pre-flight: each check named with its cause -------------------------------------------------


def _split_source(inputs: BuildInputs, tmp: Path) -> dict[str, object]:
    (tmp / "split").mkdir()
    parts = split(inputs.source, tmp / "split" / "boot.swm", 0.03)
    assert len(parts) > 1
    return {"image_path": str(parts[0])}


def _install_image(inputs: BuildInputs, tmp: Path) -> dict[str, object]:
    tree = winpe_tree(tmp / "install-tree", spec=WINDOWS_PRO)
    return {"image_path": str(capture(tmp / "install.wim", [WINDOWS_PRO], trees=[tree], boot_index=None))}


def _image_without(tmp: Path, **options: object) -> dict[str, object]:
    return {"image_path": str(winpe_wim(tmp / "variant.wim", **options))}


def _broken_hive(inputs: BuildInputs, tmp: Path) -> dict[str, object]:
    tree = winpe_tree(tmp / "broken-tree")
    (tree / "Windows" / "System32" / "config" / "SYSTEM").write_bytes(b"regf" + b"\0" * 100)
    return {"image_path": str(capture(tmp / "broken.wim", [ImageSpec()], trees=[tree]))}


def _huge_source(inputs: BuildInputs, tmp: Path) -> dict[str, object]:
    huge = tmp / "huge.wim"
    shutil.copyfile(inputs.source, huge)
    free = shutil.disk_usage(inputs.work_root).free
    if free > 8 << 40:
        pytest.skip("over 8 TiB free: a sparse file twice that size may exceed the file system's limit")
    os.truncate(huge, free)  # sparse: the WIM's header and XML are still where they were
    return {"image_path": str(huge)}


def _drivers(*items: tuple[Path, int], **folder_options: object):
    def make(inputs: BuildInputs, tmp: Path) -> dict[str, object]:
        sources = [driver_source(driver_folder(tmp / f"drv{ci}", inf, **folder_options), ci) for inf, ci in items]
        return {"drivers": tuple(sources)}
    return make


def _sparse_prestart(size: int):
    def make(inputs: BuildInputs, tmp: Path) -> dict[str, object]:
        folder = tmp / "big-prestart"
        folder.mkdir()
        with open(folder / "payload.bin", "wb") as handle:
            handle.truncate(size)
        return {"pre_exec_source_directory": str(folder)}
    return make


MB = 1024 * 1024
PREFLIGHT_CASES = {
    "missing source": ("source.file", "failure", "no such file",
                       lambda i, t: {"image_path": str(t / "gone.wim")}),
    "not a WIM": ("source.file", "failure", "not a WIM file",
                  lambda i, t: {"image_path": str(i.background)}),
    "split WIM": ("source.split", "failure", "split WIM; join it first", _split_source),
    "image of another architecture": ("source.architecture", "failure", "image 1 is x64, but the package says x86",
                                      lambda i, t: {"architecture": "x86", "drivers": ()}),
    "no such index": ("source.index", "failure", "has no image 2 (it holds 1)", lambda i, t: {"image_index": 2}),
    "not Windows PE": ("source.winpe", "failure", "is not a Windows PE image", _install_image),
    "changed size and GUID": ("source.changed", "warning", "changed since it was imported: its size is",
                              lambda i, t: {"fingerprint": SourceFingerprint(size=1, guid="00" * 16)}),
    "driver for arm64": ("drivers.architecture", "failure", "is for arm64, not x64", _drivers((ARM64_INF, 7))),
    "driver without catalog": ("drivers.catalog", "warning", "catalog diskdev.cat is missing",
                               _drivers((DISK_INF, 7), catalog=False)),
    "two versions of a driver": ("drivers.duplicate", "warning", "Driver 8 (Disk drive) and driver 7 are two versions",
                                 _drivers((DISK_INF, 7), (DISK_INF, 8))),
    "referenced file missing": ("drivers.files", "failure", "the INF references amd64/disk.sys, missing from",
                                _drivers((DISK_INF, 7), skip=("amd64/disk.sys",))),
    "chosen component missing": ("components.missing", "failure",
                                 "WinPE-PowerShell (chosen) is not in the source image. Adding a component needs DISM",
                                 lambda i, t: {"chosen_components": ("WinPE-WMI", "WinPE-PowerShell")}),
    "prerequisite missing": ("components.missing", "failure", "WinPE-NetFx (a prerequisite) is not in",
                             lambda i, t: {"prerequisite_components": ("WinPE-NetFx",)}),
    "site component missing": ("components.site", "warning", "The image lacks WinPE-SecureStartup: it boots",
                               lambda i, t: _image_without(t, components=("WinPE-WMI", "WinPE-Scripting", "WinPE-WDS-Tools"))),
    "prestart without cmd /c": ("prestart.command", "failure", "does not start with 'cmd /c'",
                                lambda i, t: {"pre_exec_command_line": "setup.exe /quiet"}),
    "prestart folder missing": ("prestart.folder", "failure", "does not exist or is not a folder",
                                lambda i, t: {"pre_exec_source_directory": str(t / "nowhere")}),
    "prestart folder over 100 MB": ("prestart.size", "warning", "holds 101 MB (over 100 MB)", _sparse_prestart(101 * MB)),
    "prestart folder over 1 GB": ("prestart.size", "failure", "holds over 1 GB", _sparse_prestart(1025 * MB)),
    "background not a picture": ("background.format", "failure", "is not a BMP or JPEG picture",
                                 lambda i, t: {"background_bitmap_path": str(REPO / "README.md")}),
    "unknown input locale": ("locale", "failure", "The input locale 'xx-YY' is not known",
                             lambda i, t: {"input_locale": "xx-YY"}),
    "keyboard layout not in the image": ("locale.layout", "warning", "keyboard layout 0000040c of fr-FR is not in the image",
                                         lambda i, t: {"input_locale": "fr-FR"}),
    "work folder missing": ("workroot.writable", "failure", "work folder", lambda i, t: {"work_root": str(t / "no-work")}),
    "not enough free space": ("workroot.space", "failure", "the build needs", _huge_source),
    "hive damaged": ("hives.open", "failure", "SYSTEM hive cannot be opened", _broken_hive),
    "hive missing": ("hives.open", "failure", "SYSTEM hive cannot be read", lambda i, t: _image_without(t, hive=False)),
}


@pytest.mark.parametrize("case", list(PREFLIGHT_CASES), ids=list(PREFLIGHT_CASES))
def test_preflight_names_each_problem(case, inputs, builder, tmp_path):
    check_id, severity, text, change = PREFLIGHT_CASES[case]
    spec = replace(full_spec(inputs), **change(inputs, tmp_path))
    before = sorted(os.listdir(inputs.work_root))
    checks = builder.preflight(spec)
    found = [c for c in checks if c.id == check_id and c.severity == severity]
    assert found, f"no {severity} {check_id} in {checks}"
    assert any(text in c.message for c in found), found
    assert all(c.fix for c in found)
    assert has_failures(checks) == (severity == "failure" or any(c.failed for c in checks))
    assert sorted(os.listdir(inputs.work_root)) == before  # pre-flight writes nothing


def test_preflight_passes_name_what_was_checked(inputs, builder):
    checks = builder.preflight(full_spec(inputs))
    ids = {c.id for c in checks if c.severity == "pass"}
    assert {"source.file", "source.index", "source.winpe", "source.changed", "drivers", "prestart.command",
            "prestart.folder", "background.format", "locale", "workroot.space", "components.missing",
            "hives.open"} <= ids
    assert all(isinstance(c, Check) and c.fix == "" for c in checks if c.severity == "pass")


def test_preflight_unchanged_fingerprint_passes(inputs, builder):
    st = inputs.source.stat()
    guid = WimReader().read(inputs.source).guid
    spec = replace(full_spec(inputs), fingerprint=SourceFingerprint(st.st_size, st.st_mtime, guid))
    changed = [c for c in builder.preflight(spec) if c.id == "source.changed"]
    assert [c.severity for c in changed] == ["pass"]


def _as_nobody() -> list[str]:
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run the check as an unprivileged user")
    as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
    probe = subprocess.run([*as_nobody, "-c", "import console.servicing.preflight"], capture_output=True,
                           cwd=REPO, timeout=60, check=False)
    if probe.returncode != 0:
        pytest.skip("user nobody cannot reach this checkout or its .venv")
    return as_nobody


@pytest.mark.parametrize("what", ["source", "work folder"])
def test_preflight_as_a_user_who_may_not_read_or_write(what, source_wim):
    as_nobody = _as_nobody()
    folder = Path(tempfile.mkdtemp(prefix="bootimage-perm-"))  # /tmp: reachable by nobody
    try:
        folder.chmod(0o755)
        source = folder / "source" / "boot.wim"
        source.parent.mkdir(mode=0o755)
        shutil.copyfile(source_wim, source)
        inputs = build_inputs(folder, source)
        for path in folder.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        if what == "source":
            source.chmod(0o600)
        spec_file = folder / "spec.pickle"
        spec_file.write_bytes(pickle.dumps(full_spec(inputs)))
        spec_file.chmod(0o644)
        code = ("import pickle; from console.servicing.preflight import Preflight; from console.wim.reader import WimReader;"
                f"spec=pickle.load(open({str(spec_file)!r},'rb'));"
                "[print(c.id, c.severity, c.message, sep='|') for c in Preflight(WimReader()).run(spec)]")
        proc = subprocess.run([*as_nobody, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120,
                              check=False)
        assert proc.returncode == 0, proc.stderr
        rows = [line.split("|", 2) for line in proc.stdout.splitlines()]
        if what == "source":
            assert any(r[0] == "source.file" and r[1] == "failure" and "permission denied" in r[2] for r in rows), rows
        else:  # the work folder belongs to root, mode 755
            assert any(r[0] == "workroot.writable" and r[1] == "failure" and "cannot write to the work folder" in r[2]
                       for r in rows), rows
    finally:
        shutil.rmtree(folder)


# -- kill -9 in each step ---------------------------------------------------------------------------

STEP_TEMPS = {
    "export": {"export.wim.tmp"},
    "customize": {"customize.wim.tmp", "customize.undo", "customize.stage", "customize.undo.tmp"},
    "verify": {"verify.tmp", "verify.json.tmp"},
}
STEP_OUTPUTS = {"export": {"export.wim"}, "customize": {"customized.wim"},
                "verify": {"boot.PS100004.wim", "verify.json"}}
STEP_MARKER = {"export": "export.wim.tmp", "customize": "customize.wim.tmp", "verify": "verify.tmp"}


@pytest.fixture(scope="session")
def big_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WinPE-like WIM with 12 MB of incompressible data, so every step takes a while."""
    folder = tmp_path_factory.mktemp("big")
    tree = winpe_tree(folder / "tree")
    payload = tree / "Windows" / "System32" / "payload"
    payload.mkdir()
    for n in range(3):
        (payload / f"blob{n}.bin").write_bytes(os.urandom(4 * MB))
    return capture(folder / "big.wim", [ImageSpec()], trees=[tree])


def _run_child(spec_file: Path, step: str, workdir: Path) -> subprocess.Popen[bytes]:
    code = ("import pickle,sys; from console.servicing.builder import WimlibImageBuilder;"
            "from console.wim.reader import WimReader;"
            f"spec=pickle.load(open({str(spec_file)!r},'rb'));"
            f"WimlibImageBuilder(WimReader()).run_step({step!r}, spec, {str(workdir)!r})")
    with open(workdir.parent / f"{workdir.name}-{step}.log", "wb") as log:
        return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.DEVNULL, stderr=log)


def _kill(child: subprocess.Popen[bytes], workdir: Path, step: str) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    log = workdir.parent / f"{workdir.name}-{step}.log"
    assert child.returncode in (0, -signal.SIGKILL), log.read_text()
    _no_wimlib_writing(workdir)


def _no_wimlib_writing(workdir: Path) -> None:
    """No wimlib-imagex still runs on the work folder: it died with its parent (a child that
    outlived it would take seconds to finish its work)."""
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
        if str(workdir) not in ps:
            return
        time.sleep(0.05)
    raise AssertionError(f"a process still works in {workdir}")


@pytest.mark.parametrize("step", ["export", "customize", "verify"])
def test_kill_9_in_a_step_then_run_it_again(step, big_source, tmp_path, builder):
    inputs = build_inputs(tmp_path, big_source)
    big = inputs.prestart / "big.bin"
    big.write_bytes(os.urandom(16 * MB))  # the update has real work to do
    spec = full_spec(inputs)
    before = sha256(big_source)
    spec_file = tmp_path / "spec.pickle"
    spec_file.write_bytes(pickle.dumps(spec))
    index = builder.STEPS.index(step)
    killed = None
    for attempt in range(5):  # bounded: a step can finish between noticing it and the kill
        workdir = inputs.work_root / f"attempt{attempt}"
        workdir.mkdir()
        for previous in builder.STEPS[:index]:
            builder.run_step(previous, spec, str(workdir))
        done_before = set(os.listdir(workdir))
        child = _run_child(spec_file, step, workdir)
        marker = workdir / STEP_MARKER[step]
        deadline = time.monotonic() + 60
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        _kill(child, workdir, step)
        left = set(os.listdir(workdir))
        if not (STEP_OUTPUTS[step] <= left):
            killed = workdir
            break
    assert killed is not None, "the step always finished before the kill"
    # only the previous steps' outputs and this step's own temporary files are left
    assert left - done_before - {".lock"} <= STEP_TEMPS[step], left
    if step == "customize":
        assert "customize.wim.tmp" in left or "export.wim" in left
    for rest in builder.STEPS[index:]:
        builder.run_step(rest, spec, str(killed))
    built = builder.result(spec, str(killed))
    assert sorted(os.listdir(killed)) == [".lock", "boot.PS100004.wim", "verify.json"]
    subprocess.run(["wimlib-imagex", "verify", built.path], check=True, capture_output=True, timeout=120)
    assert built.sha256 == sha256(Path(built.path))
    assert sha256(big_source) == before


def test_interrupted_update_is_undone_to_the_exported_bytes(big_source, tmp_path, builder):
    inputs = build_inputs(tmp_path, big_source)
    (inputs.prestart / "big.bin").write_bytes(os.urandom(16 * MB))
    spec = full_spec(inputs)
    workdir = inputs.work_root / "w"
    builder.run_step("export", spec, str(workdir))
    exported = sha256(workdir / "export.wim")
    spec_file = tmp_path / "spec.pickle"
    spec_file.write_bytes(pickle.dumps(spec))
    for _attempt in range(5):
        child = _run_child(spec_file, "customize", workdir)
        deadline = time.monotonic() + 60
        while not (workdir / "customize.wim.tmp").exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(0.05)  # let wimlib write into the file
        _kill(child, workdir, "customize")
        if (workdir / "customize.wim.tmp").exists():
            break
        shutil.rmtree(workdir)
        builder.run_step("export", spec, str(workdir))
    from console.servicing.checkpoint import undo

    undo(workdir / "customize.wim.tmp", workdir / "customize.undo")
    assert sha256(workdir / "customize.wim.tmp") == exported


# -- cancel in each step ---------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["export", "customize", "verify"])
def test_cancel_in_each_step_changes_nothing(step, big_source, tmp_path, builder):
    inputs = build_inputs(tmp_path, big_source)
    spec = full_spec(inputs)
    before = sha256(big_source)
    index = builder.STEPS.index(step)
    for after_calls in (1, 3, 6):  # cancel at several checkpoints of the step
        workdir = inputs.work_root / f"cancel{after_calls}"
        workdir.mkdir()
        for previous in builder.STEPS[:index]:
            builder.run_step(previous, spec, str(workdir))
        listing = {p: sha256(workdir / p) for p in os.listdir(workdir) if (workdir / p).is_file() and p != ".lock"}
        calls = 0

        def cancelled() -> bool:
            nonlocal calls
            calls += 1
            return calls >= after_calls  # noqa: B023

        with pytest.raises(Cancelled, match="cancelled"):
            builder.run_step(step, spec, str(workdir), lambda d, t, x: None, cancelled)
        after = {p: sha256(workdir / p) for p in os.listdir(workdir) if (workdir / p).is_file() and p != ".lock"}
        assert after == listing, f"cancel after {after_calls} checks left {set(after) ^ set(listing)}"
        assert not [p for p in os.listdir(workdir) if (workdir / p).is_dir()]
        builder.run_step(step, spec, str(workdir))  # and the step still completes afterwards
    assert sha256(big_source) == before


def test_progress_is_reported(big_source, tmp_path, builder):
    inputs = build_inputs(tmp_path, big_source)
    spec = full_spec(inputs)
    seen: dict[str, list[tuple[int, int, str]]] = {}
    for step in builder.STEPS:
        builder.run_step(step, spec, str(inputs.work_root / "p"), lambda d, t, x, s=step: seen.setdefault(s, []).append((d, t, x)))
    assert seen["export"] and seen["export"][-1][0] == seen["export"][-1][1]
    assert seen["verify"][-1][2] == "Computing the image's SHA-256"
    assert all(0 <= d <= t for calls in seen.values() for d, t, _ in calls)


def test_two_processes_never_run_steps_in_one_work_folder(inputs, builder):
    from console.servicing.checkpoint import step_lock

    workdir = inputs.work_root / "locked"
    with step_lock(workdir), pytest.raises(ServicingError, match="another process is running a step"):
        builder.run_step("export", full_spec(inputs), str(workdir))


# -- the adapters on their own ---------------------------------------------------------------------


def test_minimal_hive_opens_and_takes_keys(tmp_path):
    hive = tmp_path / "SYSTEM"
    hive.write_bytes(minimal_hive())
    hives = Hives()
    hives.check_opens(str(hive))
    hives.set_dword(str(hive), r"\ControlSet001\Services\FBWF", "WinPECacheThreshold", 512)
    assert hives.get(str(hive), r"\ControlSet001\Services\FBWF", "WinPECacheThreshold") == "512"
    assert hives.subkeys(str(hive), r"\ControlSet001\Services") == ["FBWF"]


def test_hive_edit_keeps_every_other_value_byte_for_byte(tmp_path):
    hive = system_hive(tmp_path / "SYSTEM")
    hives = Hives()
    subprocess.run(["hivexsh", "-w", str(hive)], input="cd ControlSet001\\Services\\FBWF\nsetval 4\nStart\ndword:0x3\n"
                   "Multi\nhex:7:41,00,00,00,00,00\nQuote\nstring:a \"b\" \\ c\nRaw\nhex:3:00,ff\ncommit\n",
                   text=True, check=True, capture_output=True)
    before = hives.values(str(hive), r"\ControlSet001\Services\FBWF")
    hives.set_dword(str(hive), r"\ControlSet001\Services\FBWF", "WinPECacheThreshold", 64)
    after = hives.values(str(hive), r"\ControlSet001\Services\FBWF")
    assert before is not None and after is not None
    assert after[:-1] == before and after[-1].name == "WinPECacheThreshold" and after[-1].data == (64).to_bytes(4, "little")


def test_hive_errors_name_the_hive_and_the_cause(tmp_path):
    bad = tmp_path / "SYSTEM"
    bad.write_bytes(b"not a hive at all")
    with pytest.raises(HiveError, match=r"SYSTEM: the registry hive cannot be opened \(failed to open hive file"):
        Hives().check_opens(str(bad))
    good = tmp_path / "GOOD"
    good.write_bytes(minimal_hive())
    with pytest.raises(HiveError, match=r"GOOD: cannot read \\Nope\\X \(.*subkey 'Nope' not found\)"):
        Hives().get(str(good), r"\Nope", "X")


def test_wimlib_errors_carry_wimlib_s_own_cause(tmp_path, source_wim):
    not_wim = tmp_path / "x.wim"
    not_wim.write_bytes(b"hello" * 1000)
    with pytest.raises(WimlibError, match=r"exporting image 1 of .*x\.wim: .*Invalid magic characters in header "
                                          r"\(The file did not begin with the magic characters that identify a WIM file\)"):
        Wimlib().export(str(not_wim), 1, str(tmp_path / "out.wim"))
    with pytest.raises(WimlibError, match=r"Can't open \".*gone\.wim\" read-only: No such file or directory"):
        Wimlib().export(str(tmp_path / "gone.wim"), 1, str(tmp_path / "out.wim"))
    with pytest.raises(WimlibError, match=r"\"3\" is not a valid image in"):
        Wimlib().export(str(source_wim), 3, str(tmp_path / "out.wim"))
    with pytest.raises(WimlibError, match=r"Failed to open \".*/no-folder/out\.wim\" for writing: No such file"):
        Wimlib().export(str(source_wim), 1, str(tmp_path / "no-folder" / "out.wim"))
    with pytest.raises(WimlibError, match="does not exist in the WIM image"):
        Wimlib().extract(str(source_wim), 1, ["/Windows/nope.txt"], str(tmp_path))
    assert Wimlib().dir(str(source_wim), 1, "/Windows/Nowhere") == []
    assert "/Windows/System32/config/SYSTEM" in Wimlib().dir(str(source_wim), 1)


def test_wimlib_ignores_case_of_paths(source_wim, tmp_path):
    copy = tmp_path / "c.wim"
    shutil.copyfile(source_wim, copy)
    note = tmp_path / "note.txt"
    note.write_text("x")
    Wimlib().update(str(copy), 1, [f'add "{note}" "/windows/system32/note.txt"'])
    listed = Wimlib().dir(str(copy), 1)
    assert "/Windows/System32/note.txt" in listed and not any(p.startswith("/windows") for p in listed)


INF_WITH_FILES = """[Version]
Signature = "$Windows NT$"
Class = Net
ClassGuid = {4d36e972-e325-11ce-bfc1-08002be10318}
CatalogFile = demo.cat
[Manufacturer]
%Mfg% = Models, NTamd64, NTx86
[Models.NTamd64]
%Dev% = Install, PCI\\VEN_1234
[Install]
CopyFiles = Sys.Copy, @demo.dll
[Sys.Copy]
demo.sys
renamed.sys, original.sys
[SourceDisksNames.amd64]
1 = %Disk%,,,\\amd64
[SourceDisksNames.x86]
1 = %Disk%,,,\\x86
[SourceDisksFiles.amd64]
demo.sys = 1
original.sys = 1, sub
[SourceDisksFiles.x86]
demo32.sys = 1
[Strings]
Mfg = "Maker"
Dev = "Device"
Disk = "Disk 1"
"""


def test_referenced_files_follow_the_image_architecture(tmp_path):
    from console.drivers.inf_files import referenced_files

    inf = tmp_path / "demo.inf"
    inf.write_text(INF_WITH_FILES, encoding="utf-8")
    assert referenced_files(inf, "x64") == ("amd64/demo.sys", "amd64/sub/original.sys", "demo.dll")
    assert referenced_files(inf, "x86") == ("x86/demo32.sys", "demo.sys", "original.sys", "demo.dll")
    assert referenced_files(DISK_INF, "x64") == ("amd64/disk.sys",)


def test_driver_source_from_a_catalog_driver(tmp_path):
    from console.drivers.inf_files import driver_source as from_catalog
    from console.drivers.reader import FileDriverReader

    inf = driver_folder(tmp_path, DISK_INF)
    candidate = FileDriverReader().read(str(inf))
    from console.core.drivers import Driver

    driver = Driver(**{f: getattr(candidate, f) for f in candidate.__dataclass_fields__}, ci_id=16777300)
    source = from_catalog(driver, "x64")
    assert (source.ci_id, source.inf_path, source.catalog_file) == (16777300, str(inf), "diskdev.cat")
    assert source.referenced_files == ("amd64/disk.sys",) and source.architectures == ("amd64",)


def test_input_locales():
    assert resolve_input_locale("en-US") == "0409:00000409"
    assert resolve_input_locale("0407:00000407") == "0407:00000407"
    assert resolve_input_locale("0407:0000040") is None
    assert resolve_input_locale("klingon") is None


# -- ExportDefaultBootImage ------------------------------------------------------------------------


def test_export_default_boot_image_from_the_adk(tmp_path, source_wim):
    adk = tmp_path / "Assessment and Deployment Kit" / "Windows Preinstallation Environment"
    (adk / "amd64" / "en-us").mkdir(parents=True)
    shutil.copyfile(source_wim, adk / "amd64" / "en-us" / "winpe.wim")
    out = tmp_path / "out" / "winpe-x64.wim"
    out.parent.mkdir()
    export_default_boot_image(AdkFolder(), str(adk.parent), "x64", 1, str(out))
    info = WimReader().read(out)
    assert (info.image_count, info.boot_index, info.images[0].architecture) == (1, 1, "x64")
    assert sorted(os.listdir(out.parent)) == ["winpe-x64.wim"]
    with pytest.raises(ServicingError, match=r"has no winpe\.wim for arm64 \(it has: x64\)"):
        export_default_boot_image(AdkFolder(), str(adk.parent), "arm64", 1, str(tmp_path / "arm.wim"))
    with pytest.raises(WimlibError):
        export_default_boot_image(AdkFolder(), str(adk.parent), "x64", 3, str(tmp_path / "three.wim"))
    assert not (tmp_path / "three.wim.tmp").exists() and not (tmp_path / "three.wim").exists()
