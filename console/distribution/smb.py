r"""The SMB transport: a DP whose library is on a Windows-style share (the usual ConfigMgr DP),
through ``smbprotocol``'s ``smbclient`` with a connection register of its own per connection.

Reassembling a chunked file uses SMB server-side copy (``FSCTL_SRV_COPYCHUNK_WRITE``, each part
copied to its offset in the target), so the parts' bytes do not cross the network again; a
server that refuses it gets the parts read back and written. SMB has no server-side hash, so
``sha256`` reads the file back.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import smbclient
import smbclient.path
import smbclient.shutil
from smbprotocol.connection import Connection
from smbprotocol.exceptions import SMBException
from smbprotocol.header import NtStatus
from smbprotocol.ioctl import (
    CtlCode,
    IOCTLFlags,
    SMB2IOCTLRequest,
    SMB2IOCTLResponse,
    SMB2SrvCopyChunk,
    SMB2SrvCopyChunkCopy,
    SMB2SrvCopyChunkResponse,
    SMB2SrvRequestResumeKey,
)

from console.core.distribution import CAUSES, DistributionPoint, SecretStore, TransportError
from console.distribution.paths import relative
from console.distribution.smb_status import DEFAULT_PORT, SmbAddress, parse_address, smb_failure, status_of

#: seconds to open the TCP connection
CONNECT_TIMEOUT = 15
#: seconds of silence before an echo is sent; a server silent for twice this is dropped
RECEIVE_TIMEOUT = 30
#: seconds to wait for one answer
REQUEST_TIMEOUT = 120
#: seconds for a polite log-off at close
CLOSE_TIMEOUT = 5
#: MS-SMB2 3.3.3 server defaults: 1 MiB per chunk, 16 chunks per request
COPY_CHUNK = 1 << 20
COPY_CHUNKS_PER_REQUEST = 16

#: what a server answers when it does not do server-side copy
_NO_SERVER_COPY = {NtStatus.STATUS_NOT_SUPPORTED, NtStatus.STATUS_INVALID_DEVICE_REQUEST, NtStatus.STATUS_INVALID_PARAMETER}

T = TypeVar("T")


class SmbConnection:
    """``console.core.distribution.DpConnection`` on an SMB share (``address`` plus ``library_root``)."""

    def __init__(self, name: str, address: SmbAddress, username: str, password: str, library_root: str = "",
                 *, server_copy: bool = True, timeout: float = CONNECT_TIMEOUT,
                 silence: int = RECEIVE_TIMEOUT) -> None:
        self.name = name
        self.address = address
        self._user = username
        self._password = password
        self._cache: dict[str, Any] = {}
        self._timeout = timeout
        self._silence = silence
        self._lock = threading.Lock()  # one (re)connection at a time; streams may share this object
        self._share = f"\\\\{address.host}\\{address.share}"
        self._root = self._share
        self._folders: set[str] = set()  # folders known to exist (fewer round trips)
        #: "server-side copy" or "read and write": how the last ``concatenate`` reassembled its parts
        self.copy_mode = "server-side copy" if server_copy else "read and write"
        self._connect()
        try:
            self._open_root(library_root)
        except BaseException:
            self.close()
            raise

    def _open_root(self, library_root: str) -> None:
        """Check the share is there and make the library root's folders."""
        address = self.address
        try:
            self._call(str(address), lambda: smbclient.stat(self._share, **self._kw()))
        except TransportError as error:
            if error.cause != "not_found":
                raise
            raise TransportError(f"{self.name}: {address}: {CAUSES['not_found'][1]} (the share {address.share!r} "
                                 f"does not exist on {address.host})", cause="not_found") from None
        under = [*address.path, *(relative(library_root).split("/") if library_root else [])]
        if under:
            self._make_folders(under)
            self._root = "\\".join([self._share, *under])

    # -- the connection ---------------------------------------------------------------------

    def _connect(self) -> None:
        """A connection of this object's own, with bounded waits, and a session on it."""
        key = f"{self.address.host.lower()}:{self.address.port}"
        with self._lock:
            conn = self._cache.get(key)
            if conn is None or conn.transport is None or not conn.transport.connected:
                self._reconnect(key)

    def _reconnect(self, key: str) -> None:
        self._cache.clear()
        where = f"{self.address} as {self._user}"
        try:
            conn = Connection(uuid.uuid4(), self.address.host, self.address.port, require_signing=True)
            conn._receive_timeout = self._silence  # smbprotocol's echo after silence (default 600 s)
            conn.connect(timeout=self._timeout)
            self._cache[key] = conn
            smbclient.register_session(self.address.host, username=self._user, password=self._password,
                                       port=self.address.port, connection_cache=self._cache,
                                       connection_timeout=self._timeout)
        except (SMBException, OSError, ValueError) as error:
            self.close()
            raise smb_failure(error, self.name, where, session=True) from None

    def _alive(self) -> bool:
        conns = list(self._cache.values())
        return bool(conns) and all(c.transport is not None and c.transport.connected for c in conns)

    def _display(self, unc: str) -> str:
        """A path in messages: with the port when it is not 445."""
        prefix = f"\\\\{self.address.host}\\"
        if self.address.port == DEFAULT_PORT or not unc.startswith(prefix):
            return unc
        return f"\\\\{self.address.host}:{self.address.port}\\" + unc[len(prefix):]

    def _kw(self) -> dict[str, Any]:
        return {"username": self._user, "password": self._password, "port": self.address.port,
                "connection_cache": self._cache, "connection_timeout": self._timeout}

    def _call(self, where: str, action: Callable[[], T]) -> T:
        self._connect()
        try:
            return action()
        except (SMBException, OSError, ValueError) as error:
            raise smb_failure(error, self.name, self._display(where), dropped=not self._alive()) from None

    def _unc(self, path: str) -> str:
        return self._root + "\\" + relative(path).replace("/", "\\")

    def _parent(self, path: str) -> None:
        folder = relative(path).rpartition("/")[0]
        if folder:
            self.makedirs(folder)

    def close(self) -> None:
        """Log off and disconnect; a server that does not answer within CLOSE_TIMEOUT loses the socket."""
        connections = list(self._cache.values())
        self._cache.clear()
        for conn in connections:
            worker = threading.Thread(target=_disconnect, args=(conn,), daemon=True, name="smb-close")
            worker.start()
            worker.join(CLOSE_TIMEOUT)
            if worker.is_alive() and conn.transport is not None:
                conn.transport.close()  # wakes every wait on this connection

    # -- DpConnection -----------------------------------------------------------------------

    def free_space(self) -> int:
        return int(self._call(self._root, lambda: smbclient.stat_volume(self._root, **self._kw()).caller_available_size))

    def exists(self, path: str) -> bool:
        return self.size(path) is not None or self._is_folder(path)

    def _is_folder(self, path: str) -> bool:
        return self._is_folder_unc(self._unc(path))

    def _is_folder_unc(self, unc: str) -> bool:
        return bool(self._call(unc, lambda: smbclient.path.isdir(unc, **self._kw())))

    def size(self, path: str) -> int | None:
        unc = self._unc(path)
        try:
            result = self._call(unc, lambda: smbclient.stat(unc, **self._kw()))
        except TransportError as error:
            if error.cause == "not_found":
                return None
            raise
        return None if result.st_mode & 0o040000 else int(result.st_size)

    def listdir(self, path: str) -> list[str]:
        unc = self._root if path in ("", ".") else self._unc(path)
        try:
            return sorted(self._call(unc, lambda: smbclient.listdir(unc, **self._kw())))
        except TransportError as error:
            if error.cause == "not_found":
                return []
            raise

    def makedirs(self, path: str) -> None:
        self._make_folders(relative(path).split("/"))

    def _make_folders(self, parts: list[str]) -> None:
        """Each folder under the root in turn (smbclient's makedirs loops forever on a missing share)."""
        folder = self._root
        for part in parts:
            folder = f"{folder}\\{part}"
            if folder in self._folders:
                continue
            try:
                self._call(folder, functools.partial(smbclient.mkdir, folder, **self._kw()))
            except TransportError:
                if not self._is_folder_unc(folder):
                    raise
            self._folders.add(folder)

    def read_bytes(self, path: str) -> bytes:
        unc = self._unc(path)

        def read() -> bytes:
            with smbclient.open_file(unc, mode="rb", share_access="r", **self._kw()) as handle:
                return bytes(handle.read())
        return self._call(unc, read)

    def write_bytes(self, path: str, data: bytes) -> None:
        rel = relative(path)
        folder, _, name = rel.rpartition("/")
        temp = f"{folder}/.{name}.tmp" if folder else f".{name}.tmp"
        self.write_stream(temp, [data])
        self.rename(temp, rel)

    def write_stream(self, path: str, chunks: Iterable[bytes], *, offset: int = 0) -> int:
        unc = self._unc(path)
        self._parent(path)
        resume = bool(offset) and self.size(path) is not None

        def write() -> int:
            with smbclient.open_file(unc, mode="r+b" if resume else "wb", **self._kw()) as handle:
                handle.truncate(offset)
                handle.seek(offset)
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                return int(handle.tell())
        return self._call(unc, write)

    def read_stream(self, path: str, *, block: int = 1 << 20) -> Iterator[bytes]:
        unc = self._unc(path)
        self._connect()
        try:
            with smbclient.open_file(unc, mode="rb", share_access="r", **self._kw()) as handle:
                while data := handle.read(block):
                    yield bytes(data)
        except (SMBException, OSError, ValueError) as error:
            raise smb_failure(error, self.name, self._display(unc), dropped=not self._alive()) from None

    def sha256(self, path: str) -> str:
        """Read back: SMB has no server-side hash."""
        digest = hashlib.sha256()
        for data in self.read_stream(path):
            digest.update(data)
        return digest.hexdigest()

    def concatenate(self, parts: list[str], dest: str) -> None:
        unc = self._unc(dest)
        sources = [self._unc(p) for p in parts]
        self._parent(dest)

        def join() -> None:
            with smbclient.open_file(unc, mode="wb", buffering=0, **self._kw()) as target:
                offset = 0
                for source in sources:
                    with smbclient.open_file(source, mode="rb", buffering=0, share_access="r", **self._kw()) as part:
                        length = int(part.fd.end_of_file)
                        if self.copy_mode == "server-side copy" and not self._server_copy(part.fd, target.fd, offset, length):
                            self.copy_mode = "read and write"
                        if self.copy_mode == "read and write":
                            _copy_through_client(part, target, offset)
                        offset += length
        self._call(unc, join)

    def _server_copy(self, source: Any, target: Any, offset: int, length: int) -> bool:
        """Copy ``source`` to ``offset`` in ``target`` on the server; False when it refuses."""
        try:
            key = SMB2SrvRequestResumeKey()
            key.unpack(_ioctl(source, CtlCode.FSCTL_SRV_REQUEST_RESUME_KEY, b"", 32))
            chunks = []
            for start in range(0, length, COPY_CHUNK):
                chunk = SMB2SrvCopyChunk()
                chunk["source_offset"] = start
                chunk["target_offset"] = offset + start
                chunk["length"] = min(COPY_CHUNK, length - start)
                chunks.append(chunk)
            for i in range(0, len(chunks), COPY_CHUNKS_PER_REQUEST):
                request = SMB2SrvCopyChunkCopy()
                request["source_key"] = key["resume_key"].get_value()
                request["chunks"] = chunks[i:i + COPY_CHUNKS_PER_REQUEST]
                answer = SMB2SrvCopyChunkResponse()
                answer.unpack(_ioctl(target, CtlCode.FSCTL_SRV_COPYCHUNK_WRITE, request, 12))
                if answer["chunks_written"].get_value() != len(request["chunks"].get_value()):
                    raise TransportError(f"{self.name}: the server copied only part of a file", cause="io")
        except SMBException as error:
            if status_of(error) in _NO_SERVER_COPY:
                return False
            raise
        return True

    def rename(self, src: str, dst: str) -> None:
        source, target = self._unc(src), self._unc(dst)
        self._parent(dst)
        self._call(target, lambda: smbclient.replace(source, target, **self._kw()))

    def remove(self, path: str) -> None:
        unc = self._unc(path)
        try:
            self._call(unc, lambda: smbclient.remove(unc, **self._kw()))
        except TransportError as error:
            if error.cause != "not_found":
                raise

    def remove_tree(self, path: str) -> None:
        unc = self._unc(path)
        self._folders.clear()
        try:
            self._call(unc, lambda: smbclient.shutil.rmtree(unc, **self._kw()))
        except TransportError as error:
            if error.cause != "not_found":
                raise


def _disconnect(conn: Any) -> None:
    with contextlib.suppress(Exception):
        conn.disconnect(True)


def _ioctl(handle: Any, code: int, buffer: Any, output_size: int) -> bytes:
    """An FSCTL on an open file (``smbprotocol.open.Open``), with a bounded wait."""
    request = SMB2IOCTLRequest()
    request["ctl_code"] = code
    request["file_id"] = handle.file_id
    request["max_output_response"] = output_size
    request["flags"] = IOCTLFlags.SMB2_0_IOCTL_IS_FSCTL
    request["buffer"] = buffer
    tree = handle.tree_connect
    sent = handle.connection.send(request, sid=tree.session.session_id, tid=tree.tree_connect_id)
    response = handle.connection.receive(sent, timeout=REQUEST_TIMEOUT)
    answer = SMB2IOCTLResponse()
    answer.unpack(response["data"].get_value())
    return bytes(answer["buffer"].get_value())


def _copy_through_client(source: Any, target: Any, offset: int) -> None:
    target.seek(offset)
    while data := source.read(COPY_CHUNK):
        view = memoryview(data)
        while view:
            view = view[target.write(view):]


def connect_smb(dp: DistributionPoint, secrets: SecretStore | None) -> SmbConnection:
    address = parse_address(dp.address)
    if not dp.username:
        raise TransportError(f"{dp.name}: {address}: {CAUSES['auth'][1]} (no user name is set for this "
                             "distribution point)", cause="auth")
    password = secrets.password(dp.credential) if secrets is not None and dp.credential else None
    if password is None:
        raise TransportError(f"{dp.name}: {address}: {CAUSES['auth'][1]} (no password is stored for "
                             f"{dp.credential or dp.username!r} in the site secrets file)", cause="auth")
    return SmbConnection(dp.name, address, dp.username, password, dp.library_root)
