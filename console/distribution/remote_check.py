"""Validate and remove a package on a distribution point's content library."""

from __future__ import annotations

from dataclasses import dataclass

from console.core.content import Manifest, check_package_id
from console.core.distribution import TransportError
from console.distribution.remote_library import (
    RemoteLibrary,
    manifest_path,
    object_path,
    package_dir,
    pointer_path,
)


@dataclass(frozen=True)
class Removal:
    versions: tuple[int, ...]
    objects_removed: int
    bytes_freed: int
    objects_kept: int  # still used by another package's manifest on the DP


def validate(lib: RemoteLibrary, package_id: str, expected_version: int | None = None) -> list[str]:
    """Re-hash every object and materialized file of the package's current version on the DP,
    and check that every file that should be there is there. The problems, each naming its
    file (empty: the DP's copy is intact)."""
    pid = check_package_id(package_id)
    conn = lib.conn
    version = lib.current_version(pid)
    if version is None:
        return [f"{pointer_path(pid)} is missing: the distribution point does not hold {pid}"]
    problems: list[str] = []
    if expected_version is not None and version != expected_version:
        problems.append(f"{pointer_path(pid)} points at version {version}, not {expected_version}")
    if conn.size(manifest_path(pid, version)) is None:
        return [*problems, f"{manifest_path(pid, version)} is missing"]
    manifest = lib.manifest(pid, version)
    for file in manifest.files:
        for sha, size in file.blobs():
            path = object_path(sha)
            found = conn.size(path)
            if found is None:
                problems.append(f"{path} (part of {file.path}) is missing")
            elif found != size or conn.sha256(path) != sha:
                problems.append(f"{path} (part of {file.path}) is damaged: its SHA-256 no longer matches")
        dest = f"{package_dir(pid)}/{file.path}"
        found = conn.size(dest)
        if found is None:
            problems.append(f"{dest} is missing")
        elif found != file.size or conn.sha256(dest) != file.sha256:
            problems.append(f"{dest} is damaged: its SHA-256 does not match {file.sha256}")
    return problems


def referenced(lib: RemoteLibrary, *, skip: str = "") -> set[str]:
    """Hashes used by the manifests on the DP (of packages other than ``skip``)."""
    used: set[str] = set()
    for pid, version in lib.manifests():
        if pid == skip:
            continue
        try:
            used.update(sha for sha, _ in lib.manifest(pid, version).blobs())
        except TransportError as exc:
            if exc.cause != "not_found":  # removed meanwhile: nothing to keep for it
                raise
    return used


def free_objects(lib: RemoteLibrary, candidates: set[tuple[str, int]], keep: set[str]) -> tuple[int, int, int]:
    """Delete the candidate objects no manifest in ``keep`` uses: (removed, bytes, kept)."""
    removed = freed = kept = 0
    for sha, size in sorted(candidates):
        if sha in keep:
            kept += 1
            continue
        lib.conn.remove(object_path(sha))
        removed += 1
        freed += size
    return removed, freed, kept


def remove_package(lib: RemoteLibrary, package_id: str) -> Removal:
    """The pointer first (no client or job takes the package for present any more), then the
    materialized files and the manifests; FileLib objects stay while another package's manifest
    on the DP uses them."""
    pid = check_package_id(package_id)
    versions = [v for p, v in lib.manifests() if p == pid]
    mine: set[tuple[str, int]] = set()
    for version in versions:
        mine |= _blobs_or_empty(lib, pid, version)
    lib.conn.remove(pointer_path(pid))
    lib.conn.remove_tree(package_dir(pid))
    for version in versions:
        lib.conn.remove(manifest_path(pid, version))
    removed, freed, kept = free_objects(lib, mine, referenced(lib, skip=pid))
    return Removal(tuple(versions), removed, freed, kept)


def prune_old_versions(lib: RemoteLibrary, current: Manifest) -> int:
    """After an update: the package's older manifests go, and the objects only they used."""
    pid = current.package_id
    old = [v for p, v in lib.manifests() if p == pid and v != current.version]
    doomed: set[tuple[str, int]] = set()
    for version in old:
        doomed |= _blobs_or_empty(lib, pid, version)
    for version in old:
        lib.conn.remove(manifest_path(pid, version))
    keep = referenced(lib, skip=pid) | {sha for sha, _ in current.blobs()}
    return free_objects(lib, doomed, keep)[0]


def _blobs_or_empty(lib: RemoteLibrary, pid: str, version: int) -> set[tuple[str, int]]:
    try:
        return lib.manifest(pid, version).blobs()
    except TransportError:
        return set()  # an unreadable manifest: its objects stay (a later remove frees nothing wrong)
