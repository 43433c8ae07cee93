"""Help for the arguments that many commands share (``--json``, a package id, ``--limit`` …), given
where a command declares one without its own: ``--help``, the man page bootimage(1) and the shell
completion all describe every argument."""

from __future__ import annotations

import argparse

#: (command path prefix, destination) → help; the longest matching prefix wins, "" matches all.
SHARED_HELP: dict[tuple[str, str], str] = {
    ("", "json"): "print JSON (stable field names; compact unless --pretty)",
    ("", "package_id"): "the boot image's package id, e.g. PS100001",
    ("", "package_ids"): "package ids of the boot images",
    ("", "package"): "only what concerns this boot image (package id)",
    ("", "context_id"): "the job's context id (as `bootimage job list` shows it)",
    ("", "limit"): "at most N rows",
    ("", "offset"): "skip the first N rows",
    ("", "sort"): "the column to sort by",
    ("", "desc"): "sort in descending order",
    ("", "description"): "a description for administrators",
    ("", "dp"): "the distribution points (names)",
    ("content validate", "dp"): "only these distribution points (default: every DP that has the package)",
    ("", "dps"): "distribution point names",
    ("", "folder_id"): "the folder's id (as `bootimage folder list` shows it)",
    ("", "ci_id"): "the driver's CI_ID (as `bootimage driver list` shows it)",
    ("", "ci_ids"): "CI_IDs of the drivers",
    ("", "state"): "only rows in this state (repeatable)",
    ("", "object_id"): "a package id, a driver's CI_ID or a distribution point's name",
    ("", "login"): "the PostgreSQL login (role) of the administrator",
    ("", "transport"): "how the site reaches the DP: a folder, an SMB share or SSH/SFTP",
    ("", "username"): "the account the site connects as (SMB, SSH)",
    ("class", "name"): "the class name, e.g. SMS_BootImagePackage",
    ("dp", "name"): "the distribution point's name",
    ("dp edit", "new_name"): "rename the distribution point",
    ("dp edit", "address"): "the new address (folder path, \\\\server\\share, or user@host:/path)",
    ("dp edit", "pxe"): "turn network boot (PXE) off for this DP",
    ("dp edit", "maintenance"): "take the DP out of maintenance mode",
    ("dp-group", "name"): "the group's name",
    ("folder new", "name"): "the new folder's name",
    ("folder new", "parent"): "the parent folder's id (default 0: the top)",
    ("folder move", "parent"): "the new parent folder's id (0: the top)",
    ("folder rename", "name"): "the folder's new name",
    ("move", "folder"): "the target folder's id (0: the top)",
    ("new", "folder"): "the folder the boot image goes in (id; default: the top)",
    ("new", "version"): "the package's Version property (free text)",
    ("content-library verify", "version"): "verify this content version only (default: the newest)",
    ("scope", "name"): "the security scope's name",
    ("site add", "site_code"): "the other site's 3-character code",
    ("site add", "name"): "the other site's name",
    ("set", "assignments"): "property assignments, e.g. ScratchSpace=256 EnableLabShell=true",
    ("set", "add_optional_component"): "add an optional component (by id or name; prerequisites follow)",
    ("set", "remove_optional_component"): "remove an optional component (by id or name)",
    ("set-source-site", "site_code"): "the site that will own the package",
    ("driver list", "category"): "only drivers in this category",
    ("status", "severity"): "only messages of this severity",
    ("job queue", "kind"): "the job kind (build, distribute, refresh, media, …)",
    ("audit", "action"): "only records of this action",
}


def fill_shared_help(parser: argparse.ArgumentParser, path: str = "") -> None:
    """Give each argument without help the shared text for it, recursively."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                fill_shared_help(sub, f"{path} {name}".strip())
        elif action.help is None:
            action.help = _shared(path, action.dest)


def _shared(path: str, dest: str) -> str | None:
    matching = [(len(prefix), text) for (prefix, key), text in SHARED_HELP.items()
                if key == dest and (prefix == "" or path == prefix or path.startswith(prefix + " "))]
    return max(matching)[1] if matching else None
