"""Copy one content version from a library to another (e.g. a distribution point's) sending
only the FileLib objects the target lacks: whole small files, and the chunks of large ones.
The target's manifest is written after every object arrived, its pointer last."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from console.core.content import ContentLibrary, ContentVersionExistsError


@dataclass(frozen=True)
class SyncReport:
    content_id: str
    objects_sent: int
    bytes_sent: int
    objects_present: int
    complete: bool = True  # False: cancelled before the manifest was written


def send_version(
    source: ContentLibrary, target: ContentLibrary, package_id: str, version: int, *,
    make_current: bool = True, cancelled: Callable[[], bool] | None = None,
) -> SyncReport:
    manifest = source.manifest(package_id, version)
    sent = size = present = 0
    for sha, length in sorted(manifest.blobs()):
        if cancelled is not None and cancelled():
            return SyncReport(manifest.content_id, sent, size, present, complete=False)
        if target.has_blob(sha):
            present += 1
            continue
        target.put_blob(sha, source.blob_path(sha).read_bytes())
        sent += 1
        size += length
    try:
        target.add_manifest(manifest)
    except ContentVersionExistsError:
        target.remove_revision(package_id, version)  # a stale copy under this version: replace it
        target.add_manifest(manifest)
    if make_current:
        target.set_current(package_id, version)
    return SyncReport(manifest.content_id, sent, size, present)
