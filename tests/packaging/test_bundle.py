"""The PyInstaller one-folder bundle (``make dist-bundle``), unpacked into an empty folder and run
the way a user runs it: no Python environment, no checkout, HOME and the XDG folders of its own.

The bundle is built once per session, or the tarball in ``dist/`` is used when its
``BUILD-INFO.json`` carries the source key of the current tree (a hash of every file the bundle is
built from and of the build environment's installed packages; ``build.py --key``).

Two places to run it:
- this machine, with an environment that has nothing of the test's Python in it: the CLI, the
  console offscreen, and a real build job run by the detached worker the CLI starts from the bundle
  (``console.self_command`` starts ``<folder>/bootimage worker``) with real wimlib and hivex;
- a minimal Debian 12 root (debootstrap minbase + only the Qt runtime block of
  packaging/debian-packages.txt, no Python at all; cached by packaging/bundle/test-root.sh, which
  ``make test-slow`` runs first), entered with chroot: the CLI, the console offscreen, and a build
  whose worker reports that wimlib-imagex is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from console import __version__
from tests.servicing_fixtures import winpe_wim

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "packaging" / "bundle" / "build.py"
TEST_ROOT_SCRIPT = ROOT / "packaging" / "bundle" / "test-root.sh"
FOLDER = f"bootimage-console-{__version__}"
FAST_JOBS = {"BOOTIMAGE_JOB_LEASE_SECONDS": "5", "BOOTIMAGE_JOB_HEARTBEAT_SECONDS": "1",
             "BOOTIMAGE_WORKER_POLL_SECONDS": "0.2", "BOOTIMAGE_JOB_RETRY_SECONDS": "1"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _run(command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: int = 120,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check:
        assert result.returncode == 0, f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def _tarball_name() -> str:
    return _run([sys.executable, str(BUILD), "--name"]).stdout.strip()


def _source_key() -> str:
    return _run([sys.executable, str(BUILD), "--key"]).stdout.strip()


def _built_key(tarball: Path) -> str | None:
    with tarfile.open(tarball) as tar:
        try:
            member = tar.extractfile(f"{FOLDER}/BUILD-INFO.json")
        except KeyError:
            return None
        return json.loads(member.read())["source_key"] if member else None


@pytest.fixture(scope="session")
def bundle_tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/'s tarball when it was built from this very tree, else a fresh build (~1 min)."""
    existing = ROOT / "dist" / _tarball_name()
    if existing.is_file() and _built_key(existing) == _source_key():
        return existing
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        pytest.skip("PyInstaller is not installed: `make test-slow` installs the `dist` extra")
    out = tmp_path_factory.mktemp("bundle-dist")
    _run([sys.executable, str(BUILD), "--dist", str(out)], cwd=ROOT, timeout=1800)
    (tarball,) = out.glob("*.tar.gz")
    return tarball


@pytest.fixture(scope="session")
def bundle(bundle_tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tarball unpacked into an empty folder: the bundle's own folder."""
    empty = tmp_path_factory.mktemp("unpacked")
    assert not any(empty.iterdir())
    _run(["tar", "-C", str(empty), "-xzf", str(bundle_tarball)], timeout=600)
    assert [p.name for p in empty.iterdir()] == [FOLDER], "one folder at the top of the tarball"
    folder = empty / FOLDER
    assert {p.name for p in folder.iterdir()} == {"bootimage", "bootimage-console", "_internal", "BUILD-INFO.json"}
    return folder


def _clean_env(home: Path) -> dict[str, str]:
    """Nothing of the test's Python: no PYTHONPATH, no venv on PATH, a home of its own."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen",
            "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"), **FAST_JOBS}


@pytest.fixture
def user(bundle: Path, tmp_path: Path):
    """Runs one of the bundle's programs as a user would, from an empty working folder."""
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()

    def run(program: str, *args: str, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess[str]:
        return _run([str(bundle / program), *args], env=_clean_env(home), cwd=work, timeout=timeout, check=check)

    run.home = home  # type: ignore[attr-defined]
    return run


def assert_screenshot(path: Path) -> None:
    """A real PNG of the main window: window-sized, with text and icons (many colours)."""
    from PySide6.QtGui import QImage

    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = QImage(str(path))
    assert image.width() >= 800 and image.height() >= 500, (image.width(), image.height())
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 50, f"only {len(colours)} colours: an empty window?"


def test_version_is_the_console_version(user) -> None:
    assert user("bootimage", "--version").stdout.strip() == f"bootimage {__version__}"


def test_site_init_and_class_read_the_bundled_resources(user) -> None:
    init = user("bootimage", "site", "init", "--site-code", "PS1", "--name", "Bundle site")
    assert init.stdout.startswith("Site PS1 (Bundle site) is ready in sqlite:///")
    assert (user.home / "data" / "bootimage-console" / "site.db").is_file()
    shown = user("bootimage", "class", "SMS_BootImagePackage").stdout
    assert "Class       : SMS_BootImagePackage" in shown
    assert "ScratchSpace" in shown and "Superclass  : SMS_PackageBaseclass" in shown


def test_image_info_reads_a_real_wim(user, winpe_x64_wim: Path) -> None:
    info = json.loads(user("bootimage", "image-info", str(winpe_x64_wim), "--json").stdout)
    text = json.dumps(info)
    assert "Microsoft Windows PE (x64)" in text and "x64" in text


def test_console_offscreen_saves_a_screenshot_of_its_window(user, tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    result = user("bootimage-console", "--screenshot", str(shot), "--quit-after-screenshot", timeout=120)
    assert result.returncode == 0
    assert_screenshot(shot)


def test_without_a_display_the_console_restarts_itself_on_a_virtual_screen(bundle: Path, tmp_path: Path) -> None:
    """No DISPLAY and no QT_QPA_PLATFORM: the launcher starts Xvfb and the bundle's own
    bootimage-console on it (console.self_command), which draws through Qt's xcb plugin."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (packaging/debian-packages.txt)")
    env = {k: v for k, v in _clean_env(tmp_path / "home").items() if k != "QT_QPA_PLATFORM"}
    shot = tmp_path / "virtual.png"
    result = _run([str(bundle / "bootimage-console"), "--screenshot", str(shot)], env=env, cwd=tmp_path)
    assert f"Screenshot of the main window: {shot}" in result.stdout
    assert_screenshot(shot)


def test_a_build_runs_in_the_worker_the_bundle_starts(user, tmp_path: Path) -> None:
    """`update-image --wait`: the CLI queues the build, starts `<bundle>/bootimage worker --until-idle`
    detached (nothing else could run it: there is no Python on the path), and the worker builds
    with the machine's wimlib and hivex."""
    for tool in ("wimlib-imagex", "hivexsh"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (packaging/debian-packages.txt)")
    source = winpe_wim(tmp_path / "sources" / "boot.wim")
    user("bootimage", "site", "init", "--site-code", "PS1")
    pid = user("bootimage", "new", "--path", str(source), "--index", "1").stdout.strip()
    assert pid == "PS100001"
    user("bootimage", "settings", "--content-library-root", str(tmp_path / "ContentLib"))
    before = json.loads(user("bootimage", "show", pid, "--json").stdout)["SourceVersion"]
    result = user("bootimage", "update-image", pid, "--wait", "--json", timeout=300)
    job = json.loads(result.stdout)
    assert job["State"] == "succeeded", job
    assert job["CompletedSteps"] == ["preflight", "export", "customize", "verify", "record"]
    log = (user.home / "data" / "bootimage-console" / "worker.log").read_text()
    assert f"job {job['ContextID']} succeeded" in log
    shown = json.loads(user("bootimage", "show", pid, "--json").stdout)
    assert shown["SourceVersion"] == before + 1 and shown["PackageSize"] > 0, "the build's revision is current"


# -- A minimal Debian 12 root with only the Qt runtime libraries ------------------------------


def _cached_root() -> Path | None:
    out = _run(["bash", str(TEST_ROOT_SCRIPT), "--cached-only"], timeout=60).stdout.strip()
    return Path(out) if out else None


@pytest.fixture(scope="module")
def debian_root(bundle: Path, winpe_x64_wim: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The cached root unpacked (no network), the bundle in /opt, a WIM in /work, /proc mounted."""
    if os.geteuid() != 0:
        pytest.skip("chroot needs root")
    tarball = _cached_root()
    if tarball is None:
        pytest.skip(f"no cached Debian 12 test root: run `bash {TEST_ROOT_SCRIPT.relative_to(ROOT)}` "
                    "(make test-slow does; it needs debootstrap and deb.debian.org once)")
    root = tmp_path_factory.mktemp("debian12") / "root"
    root.mkdir()
    _run(["tar", "-C", str(root), "-xzf", str(tarball)], timeout=600)
    shutil.copytree(bundle, root / "opt" / FOLDER, symlinks=True)
    (root / "work").mkdir()
    shutil.copyfile(winpe_x64_wim, root / "work" / "boot.wim")
    _run(["mount", "-t", "proc", "proc", str(root / "proc")], timeout=30)
    try:
        yield root
    finally:
        if _run(["umount", str(root / "proc")], timeout=30, check=False).returncode != 0:
            _run(["umount", "-l", str(root / "proc")], timeout=30, check=False)
        shutil.rmtree(root.parent, ignore_errors=True)


def in_root(root: Path, program: str, *args: str, check: bool = True,
            timeout: int = 120) -> subprocess.CompletedProcess[str]:
    env = [f"{k}={v}" for k, v in {"PATH": "/usr/bin:/bin", "HOME": "/work/home", "LANG": "C.UTF-8",
                                     "QT_QPA_PLATFORM": "offscreen", **FAST_JOBS}.items()]
    return _run(["chroot", str(root), "/usr/bin/env", "-i", *env, f"/opt/{FOLDER}/{program}", *args],
                timeout=timeout, check=check)


def test_the_root_has_the_qt_libraries_and_no_python(debian_root: Path) -> None:
    usr = debian_root / "usr"
    assert not list((usr / "bin").glob("python*")) and not list((usr / "lib").glob("python3*"))
    assert not list(usr.glob("lib/*/libpython*")), "no Python library either"
    assert list(usr.glob("lib/*/libxkbcommon.so.0")) and list(usr.glob("share/fonts/truetype/dejavu/*.ttf"))
    for missing in ("wimlib-imagex", "hivexsh", "xorriso"):
        assert not (usr / "bin" / missing).exists()


def test_cli_in_a_debian12_root_with_only_qt(debian_root: Path) -> None:
    assert in_root(debian_root, "bootimage", "--version").stdout.strip() == f"bootimage {__version__}"
    init = in_root(debian_root, "bootimage", "site", "init", "--site-code", "PS1")
    assert init.stdout.startswith("Site PS1 (Site PS1) is ready in sqlite:////work/home/")
    assert "SMS_BootImagePackage" in in_root(debian_root, "bootimage", "class", "SMS_BootImagePackage").stdout
    info = in_root(debian_root, "bootimage", "image-info", "/work/boot.wim").stdout
    assert "Microsoft Windows PE (x64)" in info and "(boot index 1)" in info


def test_console_in_a_debian12_root_with_only_qt(debian_root: Path) -> None:
    in_root(debian_root, "bootimage-console", "--screenshot", "/work/window.png", "--quit-after-screenshot")
    assert_screenshot(debian_root / "work" / "window.png")


def test_worker_in_the_root_names_the_missing_wimlib(debian_root: Path) -> None:
    """The detached worker starts from the bundle in a root without any Python, and the build fails
    with what to install."""
    in_root(debian_root, "bootimage", "site", "init", "--site-code", "PS1", check=False)  # maybe done already
    pid = in_root(debian_root, "bootimage", "new", "--path", "/work/boot.wim", "--index", "1").stdout.strip()
    result = in_root(debian_root, "bootimage", "update-image", pid, "--wait", "--json", check=False, timeout=300)
    assert result.returncode == 1, result.stderr
    job = json.loads(result.stdout)
    assert job["State"] == "failed"
    assert "wimlib-imagex was not found: install wimlib (Debian/Ubuntu package wimtools)" in job["ExtendedErrorInfo"]
    log = (debian_root / "work" / "home" / ".local" / "share" / "bootimage-console" / "worker.log").read_text()
    assert f"job {job['ContextID']} failed" in log


def test_a_postgresql_site_from_the_bundle(user, postgres_server) -> None:
    """psycopg (binary) and the alembic migrations travel in the bundle: a new PostgreSQL
    database is migrated and used by the frozen CLI."""
    url = postgres_server.url(postgres_server.create_database())
    init = user("bootimage", "--db", url, "site", "init", "--site-code", "PS1", "--json")
    assert json.loads(init.stdout)["SiteCode"] == "PS1"
    created = user("bootimage", "--db", url, "new", "--path", "/images/boot.wim", "--index", "1",
                   "--name", "Frozen", "--no-image-read")
    assert created.stdout.strip() == "PS100001"
    listed = json.loads(user("bootimage", "--db", url, "list", "--json").stdout)
    assert [p["Name"] for p in listed] == ["Frozen"]
