"""One distribution point's content as the distribution job sees it (``DpContent`` of
``console.core.services.distribution_job``): the site's library on one side, the DP's
``RemoteLibrary`` on the other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from console.core.content import ContentLibrary, Manifest
from console.core.distribution import DistributionPoint, DpConnection, Transports
from console.core.pxe import PxePlan, PxeSources
from console.distribution import pxe_layout, remote_check
from console.distribution.remote_library import Counters, RemoteLibrary, manifest_path

#: tick(bytes done, bytes in all, objects sent, bytes sent): progress and a checkpoint
Tick = Callable[[int, int, int, int], None]


class SiteToDp:
    """Moves one package's content from the site's library to one DP."""

    def __init__(self, site: ContentLibrary, dp: DistributionPoint, transports: Transports, tag: str) -> None:
        self.site = site
        self.dp = dp
        self.conn: DpConnection = transports.connect(dp)
        self.remote = RemoteLibrary(self.conn, tag=tag, streams=dp.concurrency, rate_limit_kbps=dp.rate_limit_kbps,
                                    open_stream=lambda: transports.connect(dp))

    def close(self) -> None:
        self.conn.close()

    def discard(self) -> None:
        self.remote.discard()

    def sweep(self, live: Callable[[], set[str]]) -> int:
        return self.remote.sweep(live)

    def _manifest(self, package_id: str, version: int) -> Manifest:
        return self.site.manifest(package_id, version)

    def free_bytes(self) -> int:
        return self.conn.free_space()

    def plan(self, package_id: str, version: int, *, everything: bool = False) -> dict[str, int]:
        manifest = self._manifest(package_id, version)
        missing = sorted(manifest.blobs()) if everything else self.remote.missing(manifest)
        return {"objects": len(missing), "bytes": sum(n for _, n in missing), "size": manifest.size,
                "all_objects": len(manifest.blobs())}

    def send(self, package_id: str, version: int, tick: Tick, *, everything: bool = False) -> dict[str, int]:
        """Send the objects the DP lacks (``everything``: all of them again). Whole files are
        hashed on the DP one by one; the chunks of a large file are verified together by
        reassembling the file on the DP and hashing it there (``RemoteLibrary.assemble``). A
        second pass sends what another job's removal took away meanwhile (bounded: two passes)."""
        manifest = self._manifest(package_id, version)
        counters = Counters()
        blobs = sorted(manifest.blobs()) if everything else self.remote.missing(manifest)
        whole = sum(n for _, n in manifest.blobs())
        # progress over the whole version: what the DP already holds counts as done
        base, total = whole - sum(n for _, n in blobs), [whole]

        def report() -> None:
            tick(base + counters.bytes_done, total[0], counters.objects_sent, counters.bytes_sent)

        for _ in range(2):
            self._send_pass(package_id, manifest, blobs, counters, report, everything)
            everything = False
            blobs = self.remote.missing(manifest)
            if not blobs:
                break
            total[0] += sum(n for _, n in blobs)
        report()
        return {"objects_sent": counters.objects_sent, "bytes_sent": counters.bytes_sent, "bytes_total": total[0]}

    def _send_pass(self, package_id: str, manifest: Manifest, blobs: list[tuple[str, int]], counters: Counters,
                   report: Callable[[], None], everything: bool) -> None:
        singles = {f.sha256 for f in manifest.files if not f.chunked}
        chunks = [b for b in blobs if b[0] not in singles]
        self.remote.send_objects([b for b in blobs if b[0] in singles], self.site.blob_path, counters, tick=report)
        self.remote.send_objects(chunks, self.site.blob_path, counters, tick=report, verify=False)
        pending = {sha for sha, _ in chunks}
        for file in manifest.files:
            if file.chunked and (everything or any(sha in pending for sha, _ in file.chunks)):
                self.remote.assemble(package_id, file, pending)
                report()

    def write_manifest(self, package_id: str, version: int) -> None:
        self.remote.write_manifest(self._manifest(package_id, version))

    def set_pointer(self, package_id: str, version: int) -> None:
        self.remote.set_pointer(self._manifest(package_id, version))

    def materialize(self, package_id: str, version: int, *, previous: int | None, force: bool,
                    progress: Callable[[int, int], None]) -> list[str]:
        manifest = self._manifest(package_id, version)
        before = None  # the version the DP's Packages folder holds: its unchanged files stay
        if previous == version:
            before = manifest
        elif previous is not None and self.conn.size(manifest_path(package_id, previous)) is not None:
            before = self.remote.manifest(package_id, previous)
        written = self.remote.materialize(manifest, previous=before, force=force, progress=progress)
        remote_check.prune_old_versions(self.remote, manifest)
        return written

    def current_version(self, package_id: str) -> int | None:
        return self.remote.current_version(package_id)

    def validate(self, package_id: str, version: int | None) -> list[str]:
        return remote_check.validate(self.remote, package_id, version)

    def remove(self, package_id: str) -> dict[str, Any]:
        removal = remote_check.remove_package(self.remote, package_id)
        return {"versions": list(removal.versions), "objects_removed": removal.objects_removed,
                "bytes_freed": removal.bytes_freed, "objects_kept": removal.objects_kept}

    # -- network boot (PXE-enabled DPs) ----------------------------------------------------------

    def update_pxe(self, plan: PxePlan, sources: PxeSources, tag: str) -> dict[str, Any]:
        return pxe_layout.update(self.conn, self.remote, plan, sources, tag)

    def remove_pxe(self) -> bool:
        return pxe_layout.remove(self.conn)

    def check_pxe(self, package_ids: list[str]) -> list[str]:
        return pxe_layout.check(self.conn, package_ids)
