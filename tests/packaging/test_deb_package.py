"""The Debian package, built and installed into a clean Debian 12 root (debootstrap minbase,
cached under /var/tmp by packaging/deb/debian_root.py with the dependencies' .debs downloaded:
these tests use no network). Commands run with ``chroot`` in a private mount namespace.

Order matters inside this module (one root for all): install, use, then remove and purge.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(CHECKOUT / "packaging" / "deb"))

import build_deb  # noqa: E402
import debian_root  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("debootstrap") is None or shutil.which("dpkg-deb") is None,
                       reason="needs root, debootstrap and dpkg-deb (packaging/debian-packages.txt)"),
]

VERSION = build_deb.project_version()
PRIVATE = "/usr/lib/bootimage-console"
#: What the snapshot leaves out: kernel and device trees, temporary files, apt's and dpkg's own
#: bookkeeping and logs (they record every installation by design).
IGNORED = ("/proc", "/dev", "/sys", "/run", "/tmp", "/var/tmp", "/var/cache/apt", "/var/lib/apt", "/var/lib/dpkg",
           "/var/log", "/var/cache/debconf", "/var/cache/ldconfig")
#: The user's data: what purging the package rightly leaves (root runs the console here).
USER_DATA = ("/root/.local/share/bootimage-console", "/root/.config/bootimage-console")
#: Documented leftovers (packaging/deb/README.md): the system user's lines (and the backups
#: adduser's tools keep of those files), the worker's non-empty state folder.
ACCOUNT_FILES = ("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow",
                 "/etc/passwd-", "/etc/group-", "/etc/shadow-", "/etc/gshadow-")
WORKER_STATE = "/var/lib/bootimage"


@pytest.fixture(scope="session")
def deb_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/'s package when it was built from exactly this checkout (make dist-deb), else a new one."""
    built = CHECKOUT / "dist" / build_deb.deb_name(VERSION)
    stamp = build_deb.stamp_file(built)
    if built.exists() and stamp.exists() and stamp.read_text(encoding="utf-8").strip() == build_deb.source_stamp():
        return built
    work = tmp_path_factory.mktemp("deb-build")
    return build_deb.build(work / "out", work / "work")


def in_root(root: Path, *command: str, timeout: float = 300, check: bool = True, user: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return debian_root.run_in(root, list(command), timeout=timeout, check=check, user=user, env=env)


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every path of the root (bar IGNORED) with its type, mode, owner and size+mtime (files)."""
    entries: dict[str, tuple[object, ...]] = {}
    for folder, dirs, files in os.walk(root):
        rel_folder = "/" + os.path.relpath(folder, root).removeprefix(".").lstrip("/")
        dirs[:] = [d for d in dirs if not _ignored(f"{rel_folder.rstrip('/')}/{d}")]
        for name in [*dirs, *files]:
            rel = f"{rel_folder.rstrip('/')}/{name}"
            if _ignored(rel):
                continue
            info = os.lstat(os.path.join(folder, name))
            kind = stat.S_IFMT(info.st_mode)
            extra: tuple[object, ...] = ()
            if stat.S_ISREG(info.st_mode):
                extra = (info.st_size, info.st_mtime_ns)
            elif stat.S_ISLNK(info.st_mode):
                extra = (os.readlink(os.path.join(folder, name)),)
            entries[rel] = (kind, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, *extra)
    return entries


def _ignored(rel: str) -> bool:
    return any(rel == prefix or rel.startswith(prefix + "/") for prefix in IGNORED)


def _under(rel: str, prefixes: tuple[str, ...]) -> bool:
    return any(rel == prefix or rel.startswith(prefix + "/") for prefix in prefixes)


class Installed:
    def __init__(self, root: Path, before: dict[str, tuple[object, ...]], install: subprocess.CompletedProcess[str],
                 seconds: float) -> None:
        self.root = root
        self.before = before
        self.install = install
        self.seconds = seconds


@pytest.fixture(scope="module")
def installed(deb_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """A fresh copy of the cached root; the package's Depends and Recommends installed from the
    downloaded .debs; a snapshot; then ``apt-get install ./bootimage-console_….deb`` (apt's
    ``--no-download`` refuses a local .deb: the commands run in a network namespace without network)."""
    root = debian_root.unpack(tmp_path_factory.mktemp("debian-root") / "root")
    try:
        in_root(root, "apt-get", "install", "-y", "-q", "--no-download", "--no-install-recommends",
                *debian_root.prerequisites(), timeout=1200)
        before = snapshot(root)
        shutil.copy(deb_file, root / "tmp" / deb_file.name)
        started = time.monotonic()
        # `apt-get install ./….deb` as a user types it; no network: the namespace has none
        install = in_root(root, "apt-get", "install", "-y", f"/tmp/{deb_file.name}", timeout=900, check=False)
        yield Installed(root, before, install, time.monotonic() - started)
    finally:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8")
        assert f" {root}/" not in mounts, "a mount of the test root leaked out of its namespace"
        shutil.rmtree(root, ignore_errors=True)


def test_apt_installs_the_package_with_no_network(installed: Installed) -> None:
    assert installed.install.returncode == 0, installed.install.stdout + installed.install.stderr
    status = in_root(installed.root, "dpkg-query", "-W", "-f=${Status} ${Version}", "bootimage-console").stdout
    assert status == f"install ok installed {VERSION}"
    # nothing else was needed: the Depends and Recommends were all there
    assert "0 newly installed" not in installed.install.stdout
    assert "1 newly installed" in installed.install.stdout


def test_the_package_creates_the_worker_user_and_protects_worker_env(installed: Installed) -> None:
    passwd = in_root(installed.root, "getent", "passwd", "bootimage").stdout.strip().split(":")
    assert passwd[5] == "/var/lib/bootimage" and passwd[6] == "/usr/sbin/nologin"
    assert int(passwd[2]) < 1000  # a system user
    env_file = installed.root / "etc/bootimage/worker.env"
    info = env_file.stat()
    group = in_root(installed.root, "getent", "group", "bootimage").stdout.split(":")
    assert stat.S_IMODE(info.st_mode) == 0o640 and info.st_uid == 0 and info.st_gid == int(group[2])
    state = (installed.root / "var/lib/bootimage").stat()
    assert state.st_uid == int(passwd[2]) and stat.S_IMODE(state.st_mode) == 0o750
    assert (installed.root / "lib/systemd/system/bootimage-worker.service").is_file()
    # not enabled: the worker needs a site database first
    assert not list((installed.root / "etc/systemd/system").glob("*/bootimage-worker.service"))


def test_bootimage_version(installed: Installed) -> None:
    result = in_root(installed.root, "bootimage", "--version")
    assert result.stdout.strip() == f"bootimage {VERSION}"


def test_about_names_the_package_and_its_installed_guide(installed: Installed) -> None:
    details = json.loads(in_root(installed.root, "bootimage", "about", "--json").stdout)
    assert details["Installation"] == "Debian package"
    assert details["Administrator's guide"] == "/usr/share/doc/bootimage-console/admin-guide.md"
    doc = installed.root / "usr/share/doc/bootimage-console"
    assert len(list((doc / "admin-guide").glob("*.md"))) >= 9
    # the guide's screenshots come along, where its links point
    assert (doc / "screenshots/main-window.png").read_bytes().startswith(b"\x89PNG")
    assert details["wimlib-imagex"] == "/usr/bin/wimlib-imagex" and details["xorriso"] == "/usr/bin/xorriso"


def test_site_init_and_the_boot_image_class(installed: Installed) -> None:
    init = in_root(installed.root, "bootimage", "site", "init", "--site-code", "PS1", "--name", "Packaged")
    assert "PS1" in init.stdout
    assert (installed.root / "root/.local/share/bootimage-console/site.db").is_file()
    shown = in_root(installed.root, "bootimage", "class", "SMS_BootImagePackage")
    assert "SMS_BootImagePackage" in shown.stdout
    assert "ImagePath" in shown.stdout and "UpdateImage" in shown.stdout


def test_the_console_opens_its_first_window_offscreen(installed: Installed) -> None:
    result = in_root(installed.root, "bootimage-console", "--screenshot", "/tmp/main-window.png",
                     "--quit-after-screenshot", env={"QT_QPA_PLATFORM": "offscreen"}, timeout=180)
    png = (installed.root / "tmp/main-window.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width >= 800 and height >= 500, (width, height, result.stderr)
    assert "Could not load the Qt platform plugin" not in result.stderr


def test_desktop_integration_man_pages_and_completion_are_installed(installed: Installed) -> None:
    share = installed.root / "usr/share"
    app = "org.bootimageconsole.BootImageConsole"
    desktop = (share / f"applications/{app}.desktop").read_text(encoding="utf-8")
    program = next(line for line in desktop.splitlines() if line.startswith("Exec=")).split("=", 1)[1].split()[0]
    assert in_root(installed.root, "sh", "-c", f"command -v {program}").stdout.strip().startswith("/usr/bin/")
    assert (share / f"metainfo/{app}.metainfo.xml").is_file()
    assert (share / f"icons/hicolor/scalable/apps/{app}.svg").is_file()
    assert (share / f"icons/hicolor/48x48/apps/{app}.png").is_file()
    for page in ("bootimage.1.gz", "bootimage-console.1.gz"):
        assert (share / "man/man1" / page).stat().st_size > 500
    completion = in_root(installed.root, "bash", "-c",
                         ". /usr/share/bash-completion/completions/bootimage && complete -p bootimage").stdout
    assert completion.strip().endswith(" bootimage")


def test_every_library_the_vendored_qt_needs_is_installed(installed: Installed) -> None:
    qt = f"{PRIVATE}/PySide6"
    needed = [f"{qt}/{name}.abi3.so" for name in ("QtCore", "QtGui", "QtWidgets", "QtSvg", "QtSvgWidgets")]
    plugins = installed.root / qt.lstrip("/") / "Qt/plugins"
    for group in ("platforms", "xcbglintegrations", "imageformats", "iconengines", "platforminputcontexts"):
        needed += [f"{qt}/Qt/plugins/{group}/{p.name}" for p in sorted((plugins / group).glob("*.so"))
                   if p.name not in {"libqwayland.so"}]  # Wayland: the libraries are Recommends
    missing = in_root(installed.root, "sh", "-c", 'for f in "$@"; do ldd "$f" | grep "not found" | sed "s|^|$f: |"; done',
                      "sh", *needed).stdout
    # plugins the Essentials wheel ships for Qt modules of the Addons wheel (PDF, virtual
    # keyboard) cannot load and are never used: only Debian libraries must all be there
    qt_lib = installed.root / qt.lstrip("/") / "Qt/lib"
    debian_missing = [line for line in missing.splitlines()
                      if not (line.split(":", 1)[1].strip().startswith("libQt6")
                              and not (qt_lib / line.split(":", 1)[1].split("=>")[0].strip()).exists())]
    assert debian_missing == [], missing


def test_a_queued_build_runs_in_the_worker_the_console_starts(installed: Installed) -> None:
    """``bootimage update-image`` queues a build and starts the detached worker the console uses
    (console.self_command: python3 -m console.cli, the private folder on PYTHONPATH); the worker
    runs the build on a real (generated) WIM with the packaged wimtools until its pre-flight
    rejects an image without a SYSTEM hive."""
    in_root(installed.root, "python3", "-c", f"import sys; sys.path.insert(0, '{PRIVATE}'); "
            "from console.wim.capture import ImageSpec, capture; capture('/tmp/boot.wim', [ImageSpec()])")
    package = json.loads(in_root(installed.root, "bootimage", "new", "--path", "/tmp/boot.wim", "--index", "1",
                                 "--json").stdout)
    # from a folder holding another `console` package (a checkout, say): the worker must still
    # run the installed code
    decoy = installed.root / "tmp/checkout/console"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise SystemExit('the checkout ran, not the package')\n", encoding="utf-8")
    queued = json.loads(in_root(installed.root, "sh", "-c", 'cd /tmp/checkout && exec bootimage update-image "$0" --json',
                                package["PackageID"]).stdout)
    context_id = queued["ContextID"]
    log_file = installed.root / "root/.local/share/bootimage-console/worker.log"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the worker says "stopped" once idle
        if log_file.exists() and "stopped" in log_file.read_text(encoding="utf-8"):
            break
        time.sleep(0.5)
    log = log_file.read_text(encoding="utf-8")
    assert f"running job {context_id} (build, attempt 1)" in log, log
    job = json.loads(in_root(installed.root, "bootimage", "job", "status", context_id, "--json").stdout)
    assert job["State"] == "failed" and "SYSTEM hive" in job["ExtendedErrorInfo"], job
    command = in_root(installed.root, "python3", "-c",
                      f"import sys; sys.path.insert(0, '{PRIVATE}'); "
                      "from console.self_command import self_command, self_environment; "
                      "print(self_command('bootimage', 'worker')); print(self_environment()['PYTHONPATH'])").stdout
    assert command.splitlines() == [str(["/usr/bin/python3", "-P", "-m", "console.cli", "worker"]), PRIVATE]


def test_the_worker_runs_as_its_user_with_the_units_environment(installed: Installed) -> None:
    # What bootimage-worker.service gives it (no systemd in the root: its sandboxing is not
    # exercised here, only the user, environment and state folder).
    env = {"HOME": "/var/lib/bootimage", "XDG_DATA_HOME": "/var/lib/bootimage", "USER": "bootimage"}
    in_root(installed.root, "bootimage", "site", "init", "--site-code", "WK1", user="bootimage", env=env)
    result = in_root(installed.root, "bootimage", "worker", "--until-idle", user="bootimage", env=env, timeout=120)
    assert result.returncode == 0
    assert (installed.root / "var/lib/bootimage/bootimage-console/site.db").is_file()


def test_running_the_programs_wrote_no_byte_code_dpkg_does_not_know(installed: Installed) -> None:
    listed = set(in_root(installed.root, "dpkg", "-L", "bootimage-console").stdout.splitlines())
    found = in_root(installed.root, "find", PRIVATE, "/usr/bin", "-name", "*.pyc").stdout.splitlines()
    assert found and set(found) <= listed, sorted(set(found) - listed)[:10]


def test_reinstalling_runs_the_upgrade_path_and_keeps_the_worker_state(installed: Installed, deb_file: Path) -> None:
    env_file = installed.root / "etc/bootimage/worker.env"
    env_file.write_text(env_file.read_text(encoding="utf-8") + "BOOTIMAGE_DB_TIMEOUT=45\n", encoding="utf-8")
    again = in_root(installed.root, "dpkg", "-i", f"/tmp/{deb_file.name}", timeout=600)
    assert f"Unpacking bootimage-console ({VERSION}) over ({VERSION})" in again.stdout
    assert "BOOTIMAGE_DB_TIMEOUT=45" in env_file.read_text(encoding="utf-8")  # the administrator's edit stays
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640
    assert (installed.root / "var/lib/bootimage/bootimage-console/site.db").is_file()
    assert in_root(installed.root, "bootimage", "--version").stdout.strip() == f"bootimage {VERSION}"


def test_remove_then_purge_leaves_only_the_users_data(installed: Installed) -> None:
    removed = in_root(installed.root, "apt-get", "remove", "-y", "bootimage-console", timeout=300)
    assert "Removing bootimage-console" in removed.stdout
    assert (installed.root / "etc/bootimage/worker.env").is_file()  # a conffile stays until purge
    purged = in_root(installed.root, "apt-get", "purge", "-y", "bootimage-console", timeout=300)
    assert "Purging configuration files for bootimage-console" in purged.stdout
    after = snapshot(installed.root)
    added = sorted(set(after) - set(installed.before))
    gone = sorted(set(installed.before) - set(after))
    changed = sorted(p for p in set(after) & set(installed.before) if after[p] != installed.before[p])
    user_parents = ("/root/.local", "/root/.local/share", "/root/.config")
    unexpected_added = [p for p in added
                        if not _under(p, (*USER_DATA, WORKER_STATE)) and p not in (*user_parents, *ACCOUNT_FILES)]
    unexpected_changed = [p for p in changed if p not in ACCOUNT_FILES and p != "/root"]
    print("left after purge:", *added, "changed:", *changed, sep="\n  ")
    assert (gone, unexpected_added, unexpected_changed) == ([], [], [])
    # the documented leftovers
    assert in_root(installed.root, "getent", "passwd", "bootimage", check=False).returncode == 0
    assert (installed.root / "var/lib/bootimage/bootimage-console/site.db").is_file()
    assert "kept /var/lib/bootimage" in purged.stderr + purged.stdout
    assert not (installed.root / PRIVATE.lstrip("/")).exists()
    assert not (installed.root / "usr/bin/bootimage").exists()
    assert not (installed.root / "etc/bootimage").exists()
