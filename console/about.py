"""What an administrator (or a support request) needs to know about this installation: the
version, how it was installed, the libraries and tools it runs with, and where it keeps its
data. Shown by Help › About and ``bootimage about``; imports neither Qt nor the database layer."""

from __future__ import annotations

import platform
import shutil
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from console import __version__
from console.self_command import is_frozen

#: Programs the console runs, and what for.
TOOLS = {
    "wimlib-imagex": "building boot images",
    "hivexsh": "offline registry edits",
    "xorriso": "boot media (ISO)",
}
LIBRARIES = ["PySide6-Essentials", "SQLAlchemy", "lxml", "psycopg"]
PROJECT_URL = "https://github.com/bootimageconsole/bootimage-console"


def guide_location() -> str:
    """The administrator's guide: the copy installed beside the program (a checkout's docs/, the
    Debian package's /usr/share/doc, a bundle's docs/), else the project's online copy."""
    package_dir = Path(__file__).resolve().parent
    candidates = [package_dir.parent / "docs", Path("/usr/share/doc/bootimage-console")]
    if is_frozen():
        candidates.insert(0, Path(sys.executable).parent / "docs")
    for folder in candidates:
        if (folder / "admin-guide.md").is_file():
            return str(folder / "admin-guide.md")
    return f"{PROJECT_URL}/blob/main/docs/admin-guide.md"


def installation_kind(package_dir: Path) -> str:
    """How the running code was installed, from where it lives."""
    if is_frozen():
        return "self-contained folder (PyInstaller)"
    if package_dir.is_relative_to("/usr/lib/bootimage-console"):
        return "Debian package"
    if (package_dir.parent / "pyproject.toml").is_file():
        return "source checkout"
    return "Python package (wheel)"


def hide_password(url: str) -> str:
    """The database URL as it may be shown or pasted into a support request."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _library_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def about_details(database_url: str) -> dict[str, str]:
    """Label → value, in the order they are shown."""
    from console.paths import config_dir, data_dir

    package_dir = Path(__file__).resolve().parent
    details = {
        "Version": __version__,
        "Installation": installation_kind(package_dir),
        "Program folder": str(Path(sys.executable).parent if is_frozen() else package_dir),
        "Python": f"{platform.python_version()} ({sys.executable})",
        "Platform": platform.platform(),
    }
    details.update({name: _library_version(name) for name in LIBRARIES})
    for tool, purpose in TOOLS.items():
        found = shutil.which(tool)
        details[tool] = found if found else f"not found: needed for {purpose}"
    details.update({
        "Site database": hide_password(database_url),
        "Data folder": str(data_dir()),
        "Settings folder": str(config_dir()),
        "Worker log": str(data_dir() / "worker.log"),
        "Administrator's guide": guide_location(),
        "Licence": "MIT",
        "Project": PROJECT_URL,
    })
    return details
