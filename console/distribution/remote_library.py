"""The site's content library kept on a distribution point, through a ``DpConnection``.

Same layout as the site's library (``console.content.library``)::

    FileLib/<first 4 hash chars>/<sha256>   verified objects only (whole small files, FastCDC chunks)
    DataLib/<PkgID>.<version>.json          the manifest of the version the DP holds
    PkgLib/<PkgID>.json                     the package pointer, written last
    Packages/<PkgID>/<file>                 the current version's files, where clients read them
    Temp/                                   objects and files in flight (never read by clients)

An object travels to ``Temp/<sha>.<tag>.part`` (``tag``: the job, so a resumed job finds its
own bytes and continues from them with ``write_stream(offset=…)``), is hashed on the server
(``conn.sha256``) and only then renamed into ``FileLib``: FileLib never holds a partial or
unverified object. The chunks of a large file are verified together: the file is reassembled
on the server (``conn.concatenate``) into ``Temp`` from its chunks and hashed there once (a
match proves every chunk; a mismatch hashes each new chunk to find the damaged ones), then the
chunks go into FileLib and, after the pointer, the verified file is renamed under ``Packages``,
so a client never reads a partial file. Reassembly happens where the transport does it best:
a local copy for folder DPs, a remote command over SSH, a server-side copy or a local read over
SMB (``DpConnection.concatenate``); the bytes are never sent twice.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from console.core.content import SHA256, ContentCorruptError, ContentFile, Manifest, check_package_id
from console.core.distribution import PACKAGES_FOLDER, DpConnection, TransportError
from console.distribution.throttle import TokenBucket

TEMP_FOLDER = "Temp"
BLOCK = 256 * 1024
#: (sha256, size) of one FileLib object
Blob = tuple[str, int]


def batch(conn: DpConnection) -> contextlib.AbstractContextManager[object]:
    """Objects written inside are made durable together at the end where the transport can
    (the folder transport: one ``syncfs`` instead of an fsync per object), else each alone."""
    deferred = getattr(conn, "deferred_sync", None)
    return deferred() if callable(deferred) else contextlib.nullcontext()


class Stopped(Exception):
    """``stop()`` said so between two blocks: what was written stays for a resumed run."""


def object_path(sha: str) -> str:
    return f"FileLib/{sha[:4]}/{sha}"


def manifest_path(pid: str, version: int) -> str:
    return f"DataLib/{pid}.{int(version)}.json"


def pointer_path(pid: str) -> str:
    return f"PkgLib/{pid}.json"


def package_dir(pid: str) -> str:
    return f"{PACKAGES_FOLDER}/{pid}"


@dataclass
class Counters:
    """Progress of a send, shared by the stream threads (guarded by ``lock``)."""

    bytes_done: int = 0
    objects_done: int = 0
    bytes_sent: int = 0
    objects_sent: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    def add(self, *, done: int = 0, objects: int = 0, sent: int = 0, sent_objects: int = 0) -> None:
        with self.lock:
            self.bytes_done += done
            self.objects_done += objects
            self.bytes_sent += sent
            self.objects_sent += sent_objects


def job_tag(tag: str) -> str:
    """A job's tag as it appears in the names of its files in Temp."""
    return "".join(c for c in tag if c.isalnum() or c in "-_") or "job"


def temp_tag(name: str) -> str:
    """The tag in a Temp file's name (``<sha>.<tag>.part``, ``<PkgID>.<sha>.<tag>.file``); "" for
    a name of another form (left alone)."""
    parts = name.split(".")
    return parts[-2] if len(parts) >= 3 and parts[-1] in ("part", "file") else ""


class RemoteLibrary:
    """A DP's content library. ``open_stream`` opens another connection for each extra parallel
    object stream (``streams`` at once); ``rate_limit_kbps`` (0: unlimited) caps all of them."""

    def __init__(self, conn: DpConnection, *, tag: str = "job", streams: int = 1, rate_limit_kbps: int = 0,
                 open_stream: Callable[[], DpConnection] | None = None, block: int = BLOCK) -> None:
        self.conn = conn
        self.tag = job_tag(tag)
        self.streams = max(1, streams) if open_stream is not None else 1
        self.bucket = TokenBucket(rate_limit_kbps * 1024) if rate_limit_kbps > 0 else None
        self._open_stream = open_stream
        self.block = block
        self._dirs: set[str] = set()
        self._dirs_lock = threading.Lock()

    # -- what the DP holds -----------------------------------------------------------------------

    def inventory(self, prefixes: set[str] | None = None) -> set[str]:
        """The hashes of the verified objects in the DP's FileLib (only under ``prefixes``, the
        first four hex digits, when given: one listing per prefix a version uses, not 65,536)."""
        found: set[str] = set()
        for prefix in self.conn.listdir("FileLib"):
            if len(prefix) == 4 and (prefixes is None or prefix in prefixes):
                found.update(n for n in self.conn.listdir(f"FileLib/{prefix}") if SHA256.match(n) and n[:4] == prefix)
        return found

    def missing(self, manifest: Manifest, have: set[str] | None = None) -> list[Blob]:
        blobs = manifest.blobs()
        present = self.inventory({sha[:4] for sha, _ in blobs}) if have is None else have
        return sorted(b for b in blobs if b[0] not in present)

    def current_version(self, package_id: str) -> int | None:
        pid = check_package_id(package_id)
        if self.conn.size(pointer_path(pid)) is None:
            return None
        try:
            return int(json.loads(self.conn.read_bytes(pointer_path(pid)))["current_version"])
        except (ValueError, KeyError, TypeError) as exc:
            raise TransportError(f"the package pointer {pointer_path(pid)} cannot be read: {exc}", cause="io") from None

    def manifest(self, package_id: str, version: int) -> Manifest:
        path = manifest_path(check_package_id(package_id), version)
        try:
            return Manifest.from_json(json.loads(self.conn.read_bytes(path)))
        except (ValueError, KeyError, TypeError) as exc:
            raise TransportError(f"the manifest {path} cannot be read: {exc}", cause="io") from None

    def manifests(self) -> list[tuple[str, int]]:
        """(PackageID, version) of every manifest on the DP."""
        found = []
        for name in self.conn.listdir("DataLib"):
            pid, _, rest = name.partition(".")
            number = rest.removesuffix(".json")
            if rest.endswith(".json") and number.isdigit():
                found.append((pid, int(number)))
        return sorted(found)

    # -- sending objects ---------------------------------------------------------------------------

    def discard(self) -> None:
        """Delete this tag's temporary objects and files (a job that ends without finishing)."""
        for name in self.conn.listdir(TEMP_FOLDER):
            if f".{self.tag}." in name:
                self.conn.remove(f"{TEMP_FOLDER}/{name}")

    def sweep(self, live: Callable[[], set[str]]) -> int:
        """Delete what jobs that have ended left in Temp (a job that gave up while the DP was
        unreachable could not ``discard`` its bytes). ``live``: the tags of the jobs that may
        still write here (asked after the listing, so a job that starts meanwhile keeps its
        bytes); this one's stay too. Returns how many files went."""
        names = {name: temp_tag(name) for name in self.conn.listdir(TEMP_FOLDER)}
        keep = {job_tag(tag) for tag in live()} | {self.tag}
        stale = [name for name, tag in names.items() if tag and tag not in keep]
        for name in stale:
            self.conn.remove(f"{TEMP_FOLDER}/{name}")
        return len(stale)

    def _temp(self, sha: str) -> str:
        return f"{TEMP_FOLDER}/{sha}.{self.tag}.part"

    def _makedirs(self, conn: DpConnection, folder: str) -> None:
        with self._dirs_lock:
            if folder in self._dirs:
                return
        conn.makedirs(folder)
        with self._dirs_lock:
            self._dirs.add(folder)

    def send_object(self, conn: DpConnection, blob: Blob, source: Path, counters: Counters,
                    stop: Callable[[], bool] = lambda: False, *, verify: bool = True) -> None:
        """One object: into its temporary name (continuing the bytes already there), hashed on
        the server, renamed into FileLib. ``verify`` False (a chunk): it stays in Temp until
        ``assemble`` verifies the whole file it belongs to."""
        sha, size = blob
        temp = self._temp(sha)
        offset = conn.size(temp) or 0
        if offset > size:
            conn.remove(temp)
            offset = 0
        if offset:
            counters.add(done=offset)
        self._makedirs(conn, TEMP_FOLDER)
        written = conn.write_stream(temp, self._blocks(source, offset, counters, stop), offset=offset)
        if stop() and written < size:
            raise Stopped(sha)
        if not verify and written == size:
            counters.add(objects=1, sent_objects=1)
            return
        if written != size or conn.sha256(temp) != sha:
            conn.remove(temp)
            raise TransportError(f"hash mismatch after copy: object {sha} arrived damaged on the distribution point; "
                                 "it was deleted and will be sent again", cause="hash_mismatch")
        self._makedirs(conn, f"FileLib/{sha[:4]}")
        conn.rename(temp, object_path(sha))
        counters.add(objects=1, sent_objects=1)

    def _blocks(self, source: Path, offset: int, counters: Counters, stop: Callable[[], bool]) -> Iterator[bytes]:
        """The source object's bytes from ``offset``. A read failure is the site library's (a
        ContentError, not an OSError the transport would take for the DP's)."""
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed below, also when the reader stops early
        except OSError as exc:
            raise ContentCorruptError(f"the site's content library cannot read {source}: {exc.strerror or exc}") from None
        with handle:
            handle.seek(offset)
            while not stop():
                try:
                    data = handle.read(self.block)
                except OSError as exc:
                    raise ContentCorruptError(f"the site's content library cannot read {source}: "
                                              f"{exc.strerror or exc}") from None
                if not data:
                    break
                if self.bucket is not None:
                    self.bucket.take(len(data))
                yield data
                counters.add(done=len(data), sent=len(data))

    def send_objects(self, blobs: list[Blob], source: Callable[[str], Path], counters: Counters, *,
                     tick: Callable[[], None] = lambda: None, interval: float = 0.2, verify: bool = True) -> None:
        """Send ``blobs`` on up to ``streams`` parallel streams. ``tick`` runs on this thread at
        least every ``interval`` seconds and after each object (report progress, checkpoint); if
        it raises, the streams stop between two blocks and the exception goes on."""
        stop = threading.Event()
        if self.streams == 1 or len(blobs) < 2:
            with batch(self.conn):
                for blob in blobs:
                    self.send_object(self.conn, blob, source(blob[0]), counters, verify=verify)
                    tick()
            return
        local = threading.local()
        opened: list[DpConnection] = []
        syncs = contextlib.ExitStack()

        def run(blob: Blob) -> None:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = self._open_stream() if self._open_stream is not None else self.conn
                with self._dirs_lock:
                    opened.append(conn)
                    syncs.enter_context(batch(conn))
            self.send_object(conn, blob, source(blob[0]), counters, stop.is_set, verify=verify)

        pending: set[Future[None]] = set()
        queue = list(reversed(blobs))
        with ThreadPoolExecutor(self.streams, thread_name_prefix="dp-stream") as pool:
            try:
                while queue or pending:
                    while queue and len(pending) < self.streams * 2:
                        pending.add(pool.submit(run, queue.pop()))
                    done, pending = wait(pending, timeout=interval, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()
                    tick()
            finally:
                stop.set()
                queue.clear()
                wait(pending)
                try:
                    syncs.close()
                finally:
                    for conn in opened:
                        conn.close()

    def assembled_path(self, package_id: str, file: ContentFile) -> str:
        return f"{TEMP_FOLDER}/{package_id}.{file.sha256[:16]}.{self.tag}.file"

    def assemble(self, package_id: str, file: ContentFile, pending: set[str]) -> None:
        """Reassemble a chunked file on the DP from its chunks (those in ``pending`` still in
        Temp, the others from FileLib) into Temp and hash it there: a match verifies every chunk
        at once (one server-side hash instead of one per chunk), and the pending chunks are
        renamed into FileLib. The file stays in Temp for ``materialize``. A mismatch: each
        pending chunk is hashed, the damaged ones are deleted (sent again on the next try)."""
        temp = self.assembled_path(package_id, file)
        order = list(dict.fromkeys(sha for sha, _ in file.chunks))
        self.conn.concatenate([self._temp(sha) if sha in pending else object_path(sha) for sha, _ in file.chunks], temp)
        if self.conn.sha256(temp) != file.sha256:
            self.conn.remove(temp)
            bad = [sha for sha in order if sha in pending and self.conn.sha256(self._temp(sha)) != sha]
            for sha in bad:
                self.conn.remove(self._temp(sha))
            raise TransportError(f"hash mismatch after copy: {file.path} did not match its SHA-256 when reassembled on "
                                 f"the distribution point ({len(bad)} damaged chunk(s) deleted, sent again on the next "
                                 "try; none: a FileLib object there is damaged, redistribute)", cause="hash_mismatch")
        for sha in order:
            if sha in pending:
                self._makedirs(self.conn, f"FileLib/{sha[:4]}")
                self.conn.rename(self._temp(sha), object_path(sha))
                pending.discard(sha)

    # -- manifest, pointer, files ------------------------------------------------------------------

    def write_manifest(self, manifest: Manifest) -> None:
        text = json.dumps(manifest.to_json(), indent=1, ensure_ascii=False)
        self.conn.write_bytes(manifest_path(manifest.package_id, manifest.version), text.encode("utf-8"))

    def set_pointer(self, manifest: Manifest) -> None:
        data = {"package_id": manifest.package_id, "current_version": manifest.version,
                "content_id": manifest.content_id, "updated_at": datetime.now(UTC).replace(microsecond=0).isoformat()}
        self.conn.write_bytes(pointer_path(manifest.package_id), json.dumps(data, indent=1).encode("utf-8"))

    def materialize(self, manifest: Manifest, *, previous: Manifest | None = None, force: bool = False,
                    progress: Callable[[int, int], None] = lambda _d, _t: None) -> list[str]:
        """Write the version's files under ``Packages/<PkgID>/``: reassembled on the server into
        a temporary name, hashed there, renamed. A file ``previous`` (the version materialized
        before) had with the same hash and size stays unless ``force``. Files of other versions
        are removed. Returns the paths written."""
        pid = manifest.package_id
        folder = package_dir(pid)
        before = {f.path: f for f in previous.files} if previous is not None else {}
        written: list[str] = []
        done, total = 0, manifest.size
        self._makedirs(self.conn, TEMP_FOLDER)
        for file in manifest.files:
            dest = f"{folder}/{file.path}"
            old = before.get(file.path)
            keep = old is not None and old.sha256 == file.sha256 and self.conn.size(dest) == file.size
            temp = self.assembled_path(pid, file)
            ready = file.chunked and self.conn.size(temp) == file.size  # assembled and verified by the send
            if keep and not force:
                if ready:
                    self.conn.remove(temp)
            elif ready:
                self.conn.makedirs(dest.rpartition("/")[0])
                self.conn.rename(temp, dest)
                written.append(dest)
            else:
                self.conn.concatenate([object_path(sha) for sha, _ in file.blobs()], temp)
                if self.conn.sha256(temp) != file.sha256:
                    self.conn.remove(temp)
                    raise TransportError(f"hash mismatch after copy: {dest} does not match its SHA-256 after "
                                         "reassembly on the distribution point", cause="hash_mismatch")
                self.conn.makedirs(dest.rpartition("/")[0])
                self.conn.rename(temp, dest)
                written.append(dest)
            done += file.size
            progress(done, total)
        wanted = {f.path.split("/")[0] for f in manifest.files}
        for name in self.conn.listdir(folder):
            if name not in wanted:
                self.conn.remove_tree(f"{folder}/{name}") if self.conn.size(f"{folder}/{name}") is None \
                    else self.conn.remove(f"{folder}/{name}")
        return written
