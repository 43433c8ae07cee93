"""The desktop integration a package installs (packaging/desktop/stage_share.py): the .desktop
file and AppStream metainfo pass the freedesktop validators, the icons have their sizes, the man
pages and the bash completion know every command of the real argument parsers.

The files are staged once per module with the script the Debian package build calls; every
check runs the real tool (desktop-file-validate, appstreamcli, man, groff, bash)."""

from __future__ import annotations

import argparse
import configparser
import gzip
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from console import APP_ID, __version__
from tests.conftest import REPO

DESKTOP = REPO / "packaging" / "desktop"
STAGE = DESKTOP / "stage_share.py"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: appstreamcli messages we accept: the reverse-DNS id has capitals (like org.gnome.TextEditor);
#: AppStream >= 1.0 (not Debian 12's 0.16) would prefer <developer> to <developer_name>.
ACCEPTED_APPSTREAM = {("P", "cid-contains-uppercase-letter"), ("I", "developer-name-tag-deprecated")}


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, **kwargs)


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: `make` installs it (packaging/debian-packages.txt)")
    return path


def stage(dest: Path) -> Path:
    result = run([sys.executable, str(STAGE), "--dest", str(dest), "--prefix", "/usr"])
    assert result.returncode == 0, result.stderr
    return dest / "usr" / "share"


@pytest.fixture(scope="module")
def share(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stage(tmp_path_factory.mktemp("root"))


@pytest.fixture(scope="module")
def scripts() -> dict[str, str]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]


def parsers() -> dict[str, argparse.ArgumentParser]:
    from console.cli import build_parser as cli_parser
    from console.launcher import build_parser as gui_parser

    return {"bootimage": cli_parser(), "bootimage-console": gui_parser()}


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every command path of ``parser`` (``("dp", "add")`` …) with its parser; ``()`` is the program."""
    found = {path: parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(commands(sub, (*path, name)))
    return found


def subcommand_names(parser: argparse.ArgumentParser) -> set[str]:
    return {name for a in parser._actions if isinstance(a, argparse._SubParsersAction) for name in a.choices}


def long_options(parser: argparse.ArgumentParser) -> set[str]:
    return {o for a in parser._actions if a.help != argparse.SUPPRESS for o in a.option_strings if o.startswith("--")}


# -- what is staged -------------------------------------------------------------------------------


def test_staging_writes_every_file_with_package_permissions(share: Path) -> None:
    expected = {
        f"applications/{APP_ID}.desktop",
        f"metainfo/{APP_ID}.metainfo.xml",
        f"icons/hicolor/scalable/apps/{APP_ID}.svg",
        *(f"icons/hicolor/{n}x{n}/apps/{APP_ID}.png" for n in ICON_SIZES),
        "man/man1/bootimage.1.gz",
        "man/man1/bootimage-console.1.gz",
        "bash-completion/completions/bootimage",
        "bash-completion/completions/bootimage-console",
    }
    staged = {str(p.relative_to(share)) for p in share.rglob("*") if p.is_file()}
    assert staged == expected
    assert {oct(p.stat().st_mode & 0o777) for p in share.rglob("*") if p.is_file()} == {"0o644"}
    assert {oct(p.stat().st_mode & 0o777) for p in share.rglob("*") if p.is_dir()} == {"0o755"}


def test_staging_twice_gives_the_same_bytes(share: Path, tmp_path: Path) -> None:
    again = stage(tmp_path)
    for path in share.rglob("*"):
        if path.is_file():
            assert (again / path.relative_to(share)).read_bytes() == path.read_bytes(), path.relative_to(share)


# -- the .desktop file ------------------------------------------------------------------------------


def desktop_entry(share: Path) -> configparser.SectionProxy:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(share / "applications" / f"{APP_ID}.desktop", encoding="utf-8")
    return entry["Desktop Entry"]


def test_desktop_file_validates_without_errors_warnings_or_hints(share: Path) -> None:
    for path in (DESKTOP / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop"):
        result = run([tool("desktop-file-validate"), str(path)])
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout + result.stderr == "", result.stdout + result.stderr


def test_desktop_file_starts_the_installed_console_with_its_icon(share: Path, scripts: dict[str, str]) -> None:
    entry = desktop_entry(share)
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Boot Image Console"
    program = shlex.split(entry["Exec"])[0]
    assert program == entry["TryExec"] == "bootimage-console"
    assert program in scripts
    assert entry["Icon"] == APP_ID
    assert entry["Terminal"] == "false"
    assert "System" in entry["Categories"].split(";")


def test_the_window_is_associated_with_the_desktop_file(share: Path, qapp: object) -> None:
    """Wayland's app id (and X11's _GTK_APPLICATION_ID) is Qt's desktopFileName; window managers
    that go by WM_CLASS match StartupWMClass against its class, Qt's application name."""
    from console.ui.application import create_application

    app = create_application()
    assert app.desktopFileName() == APP_ID
    assert desktop_entry(share)["StartupWMClass"] == app.applicationName()


# -- AppStream metainfo -----------------------------------------------------------------------------


def appstream_issues(output: str) -> set[tuple[str, str]]:
    """(severity letter, tag) of every issue in appstreamcli's text report."""
    return {(m[1], m[2].rsplit(": ", 1)[-1].strip()) for m in re.finditer(r"^\s*([EWIP]): (.*)$", output, re.M)}


def test_metainfo_validates(share: Path) -> None:
    result = run([tool("appstreamcli"), "validate", "--no-net", "--pedantic", str(DESKTOP / f"{APP_ID}.metainfo.xml")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert appstream_issues(result.stdout) <= ACCEPTED_APPSTREAM, result.stdout


def test_the_staged_tree_validates_as_appstream_sees_it_installed(share: Path) -> None:
    """validate-tree also finds the launchable .desktop file and the icon where they are installed."""
    result = run([tool("appstreamcli"), "validate-tree", "--no-net", "--pedantic", str(share.parent.parent)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert appstream_issues(result.stdout) <= ACCEPTED_APPSTREAM, result.stdout


def metainfo() -> ET.Element:
    return ET.parse(DESKTOP / f"{APP_ID}.metainfo.xml").getroot()


def test_metainfo_names_the_app_its_programs_and_this_version(scripts: dict[str, str]) -> None:
    root = metainfo()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable[@type='desktop-id']") == f"{APP_ID}.desktop"
    assert {b.text for b in root.findall("provides/binary")} == set(scripts)
    newest = root.findall("releases/release")[0]
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert newest.get("version") == __version__ == pyproject
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", newest.get("date") or "")
    assert root.findtext("url[@type='homepage']", "").startswith("https://")


def test_metainfo_screenshots_are_the_documented_ones_with_their_sizes() -> None:
    from PySide6.QtGui import QImageReader

    screenshots = metainfo().findall("screenshots/screenshot")
    assert screenshots
    assert [s.get("type") for s in screenshots].count("default") == 1
    for shot in screenshots:
        assert shot.findtext("caption")
        image = shot.find("image")
        assert image is not None and image.text is not None
        url = image.text.strip()
        assert url.startswith("https://") and "/docs/screenshots/" in url, url
        local = REPO / "docs" / "screenshots" / url.rsplit("/docs/screenshots/", 1)[1]
        assert local.is_file(), f"{url}: {local} is not in the repository"
        size = QImageReader(str(local)).size()
        assert (size.width(), size.height()) == (int(image.get("width", 0)), int(image.get("height", 0))), local.name


# -- icons ------------------------------------------------------------------------------------------


def test_png_icons_have_their_pixel_sizes_and_a_transparent_frame(share: Path) -> None:
    from PySide6.QtGui import QImage

    for n in ICON_SIZES:
        path = share / "icons" / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = QImage(str(path))
        assert (image.width(), image.height()) == (n, n), path
        assert image.hasAlphaChannel()
        assert image.pixelColor(0, 0).alpha() == 0  # the rounded corner
        assert image.pixelColor(n // 2, n // 2).alpha() == 255  # the artwork


def test_scalable_icon_is_a_square_svg(share: Path) -> None:
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"))
    assert renderer.isValid()
    box = renderer.viewBoxF()
    assert box.width() == box.height() > 0


# -- man pages --------------------------------------------------------------------------------------


def man_source(share: Path, prog: str) -> str:
    return gzip.decompress((share / "man" / "man1" / f"{prog}.1.gz").read_bytes()).decode("utf-8")


def rendered(share: Path, prog: str) -> str:
    env = {**os.environ, "MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat", "LC_ALL": "C.UTF-8"}
    result = run([tool("man"), "--warnings", "-l", str(share / "man" / "man1" / f"{prog}.1.gz")], env=env)
    assert result.returncode == 0
    assert result.stderr == "", result.stderr
    return result.stdout


@pytest.mark.parametrize("prog", ["bootimage", "bootimage-console"])
def test_man_page_renders_without_warnings(share: Path, prog: str) -> None:
    rendered(share, prog)
    result = run([tool("groff"), "-man", "-Tutf8", "-ww", "-z"], input=man_source(share, prog))
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("prog", ["bootimage", "bootimage-console"])
def test_man_page_has_the_sections_a_reader_expects(share: Path, prog: str) -> None:
    text = rendered(share, prog)
    headings = re.findall(r"^([A-Z][A-Z ]+)$", text, re.M)
    expected = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"] + (["COMMANDS", "EXIT STATUS"] if prog == "bootimage" else [])
    expected += ["ENVIRONMENT", "FILES", "SEE ALSO"]
    assert headings == expected
    assert "BOOTIMAGE_DB" in text
    assert f"bootimage-console {__version__}" in text  # the footer: package and version
    assert re.search(rf"^\s+{prog} - \S", text, re.M)  # NAME, as whatis and apropos read it
    for option in long_options(parsers()[prog]) - {"--help"}:
        assert option in text


def test_bootimage_man_page_documents_every_command(share: Path) -> None:
    text = rendered(share, "bootimage")
    missing = [" ".join(("bootimage", *path)) for path in commands(parsers()["bootimage"]) if path
               if not re.search(rf"^\s*{re.escape(' '.join(('bootimage', *path)))}$", text, re.M)]
    assert not missing, f"no section in bootimage(1) for: {missing}"


# -- bash completion --------------------------------------------------------------------------------


def complete(share: Path, prog: str, lines: list[str]) -> list[set[str]]:
    """What bash offers after each command line of ``lines`` (the last word is completed), with
    the staged completion file sourced as bash-completion would load it."""
    script = [f"source {shlex.quote(str(share / 'bash-completion' / 'completions' / prog))}",
              f"fn=$(complete -p {prog} | sed -E 's/.* -F ([^ ]+) .*/\\1/')"]
    for line in lines:
        words = shlex.split(line) + ([""] if line.endswith(" ") else [])
        script += [f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})",
                   "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))",
                   f"COMP_LINE={shlex.quote(line)}; COMP_POINT=${{#COMP_LINE}}; COMPREPLY=()",
                   '"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
                   "printf '%s\\n' \"${COMPREPLY[@]}\"; echo '@@'"]
    result = run([tool("bash"), "--norc", "--noprofile", "-c", "\n".join(script)], env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    blocks = result.stdout.split("@@\n")[:-1]
    assert len(blocks) == len(lines)
    return [set(filter(None, block.splitlines())) for block in blocks]


def test_bash_completes_the_commands_and_the_options_of_bootimage(share: Path) -> None:
    parser = parsers()["bootimage"]
    assert complete(share, "bootimage", ["bootimage ", "bootimage list --", "bootimage dp-group add-"]) == [
        subcommand_names(parser),
        long_options(commands(parser)[("list",)]),
        {"add-member"},
    ]


def test_bash_completion_knows_every_command_and_its_options(share: Path) -> None:
    """Each level of commands is offered in full (a command without help text would be hidden)."""
    tree = commands(parsers()["bootimage"])
    groups = [path for path, sub in tree.items() if subcommand_names(sub)]
    leaves = [path for path, sub in tree.items() if path and not subcommand_names(sub)]
    lines = [" ".join(("bootimage", *path, "")) for path in groups]
    lines += [" ".join(("bootimage", *path, "--")) for path in leaves]
    offered = complete(share, "bootimage", lines)
    expected = [subcommand_names(tree[path]) for path in groups] + [long_options(tree[path]) for path in leaves]
    wrong = {line: (got ^ want) for line, got, want in zip(lines, offered, expected, strict=True) if got != want}
    assert not wrong, wrong


def test_bash_completes_the_options_of_bootimage_console(share: Path) -> None:
    assert complete(share, "bootimage-console", ["bootimage-console --"]) == [long_options(parsers()["bootimage-console"])]
