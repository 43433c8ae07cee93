"""Is a package's source WIM still where the package says? (A file check: call it off the GUI
thread and outside transactions.)"""

from __future__ import annotations

import os


def source_image_problem(path: str | None) -> str | None:
    """A sentence saying what is wrong with ``ImagePath`` and what to do, or ``None``."""
    if not path:
        return None
    what_to_do = ("The image details below are what was recorded when the file was last read. Restore the file, "
                  "or set Image path on the Data Source tab to the WIM's new place, then press Reload.")
    if not os.path.exists(path):
        return f"The source image file {path} no longer exists. {what_to_do}"
    if not os.path.isfile(path):
        return f"The source image path {path} is not a file. {what_to_do}"
    if not os.access(path, os.R_OK):
        return f"The source image file {path} cannot be read by this account. {what_to_do}"
    return None
