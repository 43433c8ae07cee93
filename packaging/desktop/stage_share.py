#!/usr/bin/env python3
"""Stage Boot Image Console's desktop integration under ``DEST/PREFIX/share``.

    python packaging/desktop/stage_share.py --dest ROOT [--prefix /usr]

writes (directories 0755, files 0644)::

    share/applications/org.bootimageconsole.BootImageConsole.desktop
    share/metainfo/org.bootimageconsole.BootImageConsole.metainfo.xml
    share/icons/hicolor/scalable/apps/org.bootimageconsole.BootImageConsole.svg
    share/icons/hicolor/NxN/apps/org.bootimageconsole.BootImageConsole.png   (N = 16 … 256)
    share/man/man1/bootimage.1.gz, share/man/man1/bootimage-console.1.gz
    share/bash-completion/completions/bootimage, …/bootimage-console

The man pages (argparse-manpage) and the bash completion (shtab) are generated from the real
argument parsers, so every command and option is in them; the PNG icons are rendered from
resources/icons/app.svg with Qt's SVG renderer. The output is the same on every run: the man
pages carry the date of the newest release in the metainfo file, gzip stores no time or name.
Needs the ``dist`` extra (``pip install -e '.[dist]'``) besides the console's own dependencies.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))  # this checkout's console package, whether installed or not

from console import APP_ID, __version__  # noqa: E402

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICON_SVG = REPO / "resources" / "icons" / "app.svg"
DESKTOP_FILE = HERE / f"{APP_ID}.desktop"
METAINFO_FILE = HERE / f"{APP_ID}.metainfo.xml"
#: what the NAME line of each man page says after "prog -"
MAN_SUMMARIES = {
    "bootimage": "administer Windows PE boot image packages from the command line",
    "bootimage-console": "the Boot Image Console, a desktop console for Windows PE boot image packages",
}


def parsers() -> dict[str, argparse.ArgumentParser]:
    """The argument parsers of the two programs of pyproject's [project.scripts], freshly built."""
    from console.cli import build_parser as cli_parser
    from console.launcher import build_parser as gui_parser

    return {"bootimage": cli_parser(), "bootimage-console": gui_parser()}


def release_date() -> str:
    """The date of the newest release in the metainfo file, which must be this version's."""
    releases = ET.parse(METAINFO_FILE).getroot().findall("./releases/release")
    if not releases:
        raise SystemExit(f"{METAINFO_FILE}: no <release>")
    newest = releases[0]
    if newest.get("version") != __version__:
        raise SystemExit(f"{METAINFO_FILE}: the newest <release> is {newest.get('version')!r} but the console is "
                         f"{__version__}: add a <release version=\"{__version__}\" date=\"YYYY-MM-DD\"> first")
    return str(newest.get("date"))


def _roff_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("-", "\\-")


def man_page(prog: str, parser: argparse.ArgumentParser, date: str) -> str:
    """The man page of ``prog`` (section 1): argparse-manpage's rendering of ``parser`` with the
    extra sections of ``packaging/desktop/<prog>.1.include`` (DESCRIPTION, ENVIRONMENT, FILES, …)."""
    from argparse_manpage.manpage import Manpage

    # The parser is ours alone: adjust what only the man page reads. The one-line description
    # goes to NAME (the include file has the long one); the subcommands form a COMMANDS
    # section after OPTIONS; the epilog repeats ENVIRONMENT.
    parser.description = None
    parser.epilog = None
    for group in list(parser._action_groups):
        if any(isinstance(action, argparse._SubParsersAction) for action in group._group_actions):
            group.title = "commands"
            parser._action_groups.remove(group)
            parser._action_groups.append(group)
    page = Manpage(parser, format="single-commands-section", _data={
        "description": MAN_SUMMARIES[prog],
        "project_name": "bootimage-console",
        "version": __version__,
        "manual_title": "User Commands",
        "manual_section": "1",
        "date": date,
        "include": str(HERE / f"{prog}.1.include"),
    })
    page.synopsis[1:] = [_roff_escape(word) for word in page.synopsis[1:]]  # the library escapes the name only
    text = str(page)
    # Ragged right and no hyphenation (options stay whole); long choice lists, paths and URLs
    # may break after a comma or slash (\: is an invisible break point) instead of overflowing.
    # argparse's usage continuation lines (indented under "usage:") become one filled paragraph.
    header, _, body = text.partition("\n")
    body = re.sub(r"\n[ \t]+(?=\S)", " ", body)
    body = re.sub(r"(?<!\\)([,/])(?=[^\s,/\\])", r"\1\\:", body)
    return f"{header}\n.ad l\n.nh\n{body}"


def bash_completion(parser: argparse.ArgumentParser) -> str:
    import shtab

    return str(shtab.complete(parser, shell="bash"))


def render_png(svg: Path, size: int) -> bytes:
    """``svg`` rendered at ``size`` x ``size`` pixels, transparent around the artwork."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not an SVG image Qt can render")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise SystemExit(f"Qt could not write a PNG image ({size}x{size})")
    buffer.close()
    return bytes(data.data())


def gzipped(text: str) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as stream:
        stream.write(text.encode("utf-8"))
    return out.getvalue()


def contents() -> dict[str, bytes]:
    """Every staged file by its path under ``share/``."""
    date = release_date()
    files = {
        f"applications/{APP_ID}.desktop": DESKTOP_FILE.read_bytes(),
        f"metainfo/{APP_ID}.metainfo.xml": METAINFO_FILE.read_bytes(),
        f"icons/hicolor/scalable/apps/{APP_ID}.svg": ICON_SVG.read_bytes(),
    }
    for size in ICON_SIZES:
        files[f"icons/hicolor/{size}x{size}/apps/{APP_ID}.png"] = render_png(ICON_SVG, size)
    for prog, parser in parsers().items():
        files[f"bash-completion/completions/{prog}"] = bash_completion(parser).encode("utf-8")
    for prog, parser in parsers().items():  # fresh parsers: man_page adjusts the ones it gets
        files[f"man/man1/{prog}.1.gz"] = gzipped(man_page(prog, parser, date))
    return files


def stage(dest: Path, prefix: str = "/usr") -> list[Path]:
    """Write the files under ``dest/prefix/share``; the paths written, sorted."""
    share = dest / prefix.strip("/") / "share"
    written = []
    for relative, data in sorted(contents().items()):
        path = share / relative
        for parent in reversed(path.relative_to(dest).parents[:-1]):  # not dest itself
            folder = dest / parent
            folder.mkdir(exist_ok=True)
            folder.chmod(0o755)
        path.write_bytes(data)
        path.chmod(0o644)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Stage the .desktop file, AppStream metainfo, hicolor icons, "
                                                 "man pages and bash completion under DEST/PREFIX/share.")
    parser.add_argument("--dest", required=True, type=Path, metavar="ROOT",
                        help="staging root (a package's build tree; created if missing)")
    parser.add_argument("--prefix", default="/usr", help="installation prefix under ROOT (default: /usr)")
    args = parser.parse_args(argv)
    for module, package in (("argparse_manpage", "argparse-manpage"), ("shtab", "shtab"), ("PySide6.QtSvg", "PySide6")):
        try:
            __import__(module)
        except ImportError:
            raise SystemExit(f"stage_share.py needs {package}: pip install -e '.[dist]' (the dist extra)") from None
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    args.dest.mkdir(parents=True, exist_ok=True)
    for path in stage(args.dest, args.prefix):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
