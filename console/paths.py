"""Where the console finds its resources and keeps its data (no Qt, no database)."""

from __future__ import annotations

import os
from pathlib import Path

#: The environment variable that names the site database (the global ``--db`` wins over it).
DATABASE_ENV_VAR = "BOOTIMAGE_DB"

PACKAGE_DIR = Path(__file__).resolve().parent


def resources_dir() -> Path:
    """The copy installed inside the package, or ``resources/`` of a source checkout."""
    for candidate in (PACKAGE_DIR / "resources", PACKAGE_DIR.parent / "resources"):
        if (candidate / "classes").is_dir():
            return candidate
    raise FileNotFoundError(
        f"the console's resources folder is missing (looked in {PACKAGE_DIR / 'resources'} "
        f"and {PACKAGE_DIR.parent / 'resources'}); reinstall the console"
    )


def classes_dir() -> Path:
    return resources_dir() / "classes"


def data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("bootimage-console", appauthor=False))


def config_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("bootimage-console", appauthor=False))


def default_database_url() -> str:
    """``BOOTIMAGE_DB``, else the embedded SQLite site in the user's data directory."""
    return os.environ.get(DATABASE_ENV_VAR) or f"sqlite:///{data_dir() / 'site.db'}"
