"""The network boot layout on a PXE-enabled DP, derived from the DP's own content library.

``update`` builds a new generation ``PXE.<generation>/`` beside the library's ``Packages``
folder (boot images hard-linked from ``Packages/<PackageID>/boot.<PackageID>.wim`` where the
transport can, else copied on the server and verified by SHA-256; wimboot and the iPXE binaries
written and verified), then switches ``PXE`` to it in one step (a symbolic link replaced by a
rename; transports without links rename the folders, with a moment in between where ``PXE`` is
absent) and deletes the generation it replaced. A booting client sees the old layout or the new
one, never half of one. ``check`` is content validation's part.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from console.core.content import boot_image_name
from console.core.distribution import DpConnection, LinkingDpConnection, TransportError
from console.core.pxe import (
    BOOT_SCRIPT,
    CONFIG_FOLDER,
    LAYOUT_FOLDER,
    LAYOUT_MANIFEST,
    WIMBOOT,
    PxeError,
    PxePlan,
    PxeSources,
    boot_script,
    dnsmasq_config,
    layout_manifest,
    nginx_server_block,
    read_ipxe,
    read_layout_manifest,
    read_wimboot,
)
from console.distribution.remote_library import RemoteLibrary, package_dir

#: Generations older than this that no link points at are left-overs of stopped jobs.
STALE_SECONDS = 3600


def with_content(plan: PxePlan, remote: RemoteLibrary) -> tuple[PxePlan, list[str]]:
    """The plan's images that the DP holds (their current version on the DP, its hash and size);
    the others are left out of the menu and named."""
    images, skipped = [], []
    for image in plan.images:
        version = remote.current_version(image.package_id)
        if version is None:
            skipped.append(f"{image.package_id} is not on {plan.dp_name} yet")
            continue
        manifest = remote.manifest(image.package_id, version)
        wim = next((f for f in manifest.files if f.path == boot_image_name(image.package_id)), None)
        if wim is None:
            skipped.append(f"{image.package_id} version {version} has no {boot_image_name(image.package_id)}")
            continue
        images.append(replace(image, content_version=version, sha256=wim.sha256, size=wim.size))
    return replace(plan, images=tuple(images)), skipped


def generation_name(tag: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%f")
    return f"{stamp}-{''.join(c for c in tag if c.isalnum())[:12]}"


#: Builds of one update at most: a build starts again when another job changed what the DP holds
#: while it was building (the last job to switch then holds every package's current version).
BUILDS = 3


def update(conn: DpConnection, remote: RemoteLibrary, plan: PxePlan, sources: PxeSources,
           tag: str) -> dict[str, Any]:
    """Build and switch to a new layout generation; returns what it holds."""
    result: dict[str, Any] = {}
    for _ in range(BUILDS):
        held, skipped = with_content(plan, remote)
        result = _build(conn, held, skipped, sources, tag)
        if with_content(plan, remote)[0].images == held.images:
            break
    return result


def _build(conn: DpConnection, plan: PxePlan, skipped: list[str], sources: PxeSources, tag: str) -> dict[str, Any]:
    wimboot = read_wimboot(sources.wimboot) if plan.images else b""
    ipxe = read_ipxe(sources.ipxe_folder)
    generation = generation_name(tag)
    staging = f"{LAYOUT_FOLDER}.{generation}"
    files: dict[str, tuple[str, int]] = {}
    linked = 0
    try:
        conn.makedirs(f"{staging}/{CONFIG_FOLDER}")
        for image in plan.images:
            source = f"{package_dir(image.package_id)}/{boot_image_name(image.package_id)}"
            dest = f"{staging}/{image.path}"
            conn.makedirs(posixpath.dirname(dest))
            if conn.size(source) != image.size:
                raise TransportError(f"{source} is missing or damaged on the distribution point: redistribute "
                                     f"{image.package_id}", cause="hash_mismatch")
            if isinstance(conn, LinkingDpConnection) and conn.hard_link(source, dest):  # the file materialize verified
                linked += 1
            else:
                conn.concatenate([source], dest)
                _verify(conn, dest, image.sha256)
            files[image.path] = (image.sha256, image.size)
        small = {BOOT_SCRIPT: boot_script(plan).encode(), f"{CONFIG_FOLDER}/dnsmasq.conf": dnsmasq_config(plan).encode(),
                 f"{CONFIG_FOLDER}/nginx.conf": nginx_server_block(plan).encode(), **ipxe}
        if wimboot:
            small[WIMBOOT] = wimboot
        for name, data in small.items():
            sha = hashlib.sha256(data).hexdigest()
            conn.write_bytes(f"{staging}/{name}", data)
            _verify(conn, f"{staging}/{name}", sha)
            files[name] = (sha, len(data))
        conn.write_bytes(f"{staging}/{LAYOUT_MANIFEST}", layout_manifest(plan, files, generation, skipped))
        previous = switch(conn, staging)
    except BaseException:
        conn.remove_tree(staging)
        raise
    removed = prune(conn, keep=staging, previous=previous)
    return {"generation": generation, "images": [i.package_id for i in plan.images], "skipped": skipped,
            "linked": linked, "files": len(files), "removed_generations": removed}


def _verify(conn: DpConnection, path: str, sha: str) -> None:
    if conn.sha256(path) != sha:
        raise TransportError(f"hash mismatch after copy: {path} on the distribution point does not match its "
                             "SHA-256", cause="hash_mismatch")


def switch(conn: DpConnection, staging: str) -> str | None:
    """Point ``PXE`` at ``staging``; returns the generation folder it pointed at before."""
    if isinstance(conn, LinkingDpConnection):
        previous = conn.read_link(LAYOUT_FOLDER)
        if previous is None and conn.exists(LAYOUT_FOLDER):  # a folder left by a transport without links
            conn.rename(LAYOUT_FOLDER, f"{LAYOUT_FOLDER}.replaced")
            previous = f"{LAYOUT_FOLDER}.replaced"
        conn.swap_link(LAYOUT_FOLDER, staging)
        return previous
    old = None
    if conn.exists(LAYOUT_FOLDER):
        old = f"{staging}.old"
        conn.rename(LAYOUT_FOLDER, old)
    conn.rename(staging, LAYOUT_FOLDER)
    return old


def prune(conn: DpConnection, *, keep: str, previous: str | None) -> list[str]:
    """Delete the generation replaced and left-overs of stopped jobs (an hour old); a
    generation another job is building right now is younger and stays."""
    removed = []
    cutoff = datetime.now(UTC).timestamp() - STALE_SECONDS
    for name in conn.listdir(""):
        if not name.startswith(f"{LAYOUT_FOLDER}.") or name == keep:
            continue
        if name == previous or _stamp(name) < cutoff:
            conn.remove_tree(name)
            removed.append(name)
    return removed


def _stamp(name: str) -> float:
    try:
        return datetime.strptime(name.split(".", 1)[1][:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return float("inf")  # not a generation of ours: left alone


def remove(conn: DpConnection) -> bool:
    """The DP is no longer PXE-enabled: its layout goes."""
    found = False
    if isinstance(conn, LinkingDpConnection) and conn.read_link(LAYOUT_FOLDER) is not None:
        target = conn.read_link(LAYOUT_FOLDER) or ""
        conn.remove(LAYOUT_FOLDER)
        conn.remove_tree(target)
        found = True
    elif conn.exists(LAYOUT_FOLDER):
        conn.remove_tree(LAYOUT_FOLDER)
        found = True
    return found


def state(conn: DpConnection) -> dict[str, Any] | None:
    """The layout's ``config/layout.json`` (None: no layout on the DP)."""
    path = f"{LAYOUT_FOLDER}/{LAYOUT_MANIFEST}"
    if conn.size(path) is None:
        return None
    return read_layout_manifest(conn.read_bytes(path))


def check(conn: DpConnection, package_ids: Sequence[str] = ()) -> list[str]:
    """Content validation of the layout: every file it lists is there with its size; the small
    files and the images of ``package_ids`` are hashed too (others' images by size: hashing
    every image on each package's validation would read them all again)."""
    try:
        layout = state(conn)
    except PxeError as error:
        return [str(error)]
    if layout is None:
        return [f"{LAYOUT_FOLDER}: the network boot layout is missing (update the distribution point)"]
    problems = []
    files: dict[str, Any] = layout["files"]  # type: ignore[assignment]
    for name, facts in sorted(files.items()):
        path = f"{LAYOUT_FOLDER}/{name}"
        size = conn.size(path)
        if size is None:
            problems.append(f"{path}: missing")
        elif size != facts.get("size"):
            problems.append(f"{path}: damaged ({size:,} bytes, {facts.get('size'):,} expected)")
        elif (not name.startswith("images/") or name.split("/")[1] in package_ids) and \
                conn.sha256(path) != facts.get("sha256"):
            problems.append(f"{path}: damaged (its SHA-256 differs)")
    return problems
