r"""The SMB transport: a DP whose library is on a Windows-style share (the usual ConfigMgr DP),
through ``smbprotocol``'s ``smbclient`` with a connection register of its own per connection.

Reassembling a chunked file uses SMB server-side copy (``FSCTL_SRV_COPYCHUNK_WRITE``, each part
copied to its offset in the target), so the parts' bytes do not cross the network again; a
server that refuses it gets the parts read back and written. SMB has no server-side hash, so
``sha256`` reads the file back.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import smbclient
import smbclient.path
import smbclient.shutil
from smbprotocol.connection import Connection
from smbprotocol.exceptions import SMBAuthenticationError, SMBConnectionClosed, SMBException
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

DEFAULT_PORT = 445
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

ADDRESS = re.compile(r"^(?:\\\\|//)(?P<host>[^\\/:]+)(?::(?P<port>\d{1,5}))?[\\/](?P<share>[^\\/]+)(?P<path>([\\/][^\\/]*)*)$")

#: NTSTATUS codes smbprotocol's NtStatus does not name
_MORE_STATUS = {"STATUS_ACCOUNT_DISABLED": 0xC0000072, "STATUS_ACCOUNT_LOCKED_OUT": 0xC0000234,
                "STATUS_ACCOUNT_RESTRICTION": 0xC000006E, "STATUS_MEDIA_WRITE_PROTECTED": 0xC00000A2,
                "STATUS_CANNOT_DELETE": 0xC0000121, "STATUS_QUOTA_EXCEEDED": 0xC0000044,
                "STATUS_CONNECTION_DISCONNECTED": 0xC000020C, "STATUS_CONNECTION_RESET": 0xC000020D}
_CAUSE_STATUSES = {
    "auth": ["STATUS_LOGON_FAILURE", "STATUS_WRONG_PASSWORD", "STATUS_PASSWORD_EXPIRED", "STATUS_ACCOUNT_DISABLED",
             "STATUS_ACCOUNT_LOCKED_OUT", "STATUS_ACCOUNT_RESTRICTION"],
    "permission": ["STATUS_ACCESS_DENIED", "STATUS_PRIVILEGE_NOT_HELD", "STATUS_MEDIA_WRITE_PROTECTED",
                   "STATUS_CANNOT_DELETE"],
    "disk_full": ["STATUS_DISK_FULL", "STATUS_QUOTA_EXCEEDED"],
    "not_found": ["STATUS_OBJECT_NAME_NOT_FOUND", "STATUS_OBJECT_PATH_NOT_FOUND", "STATUS_NO_SUCH_FILE",
                  "STATUS_BAD_NETWORK_NAME", "STATUS_NOT_FOUND"],
    "timeout": ["STATUS_IO_TIMEOUT"],
    "unreachable": ["STATUS_NETWORK_NAME_DELETED", "STATUS_USER_SESSION_DELETED", "STATUS_CONNECTION_DISCONNECTED",
                    "STATUS_CONNECTION_RESET"],
}
_STATUS_NAMES: dict[int, str] = {
    **{v: k for k, v in vars(NtStatus).items() if k.startswith("STATUS_") and isinstance(v, int)},
    **{v: k for k, v in _MORE_STATUS.items()},
}
_STATUS_CODES = {name: code for code, name in _STATUS_NAMES.items()}
_STATUS_CAUSES = {_STATUS_CODES[name]: cause for cause, names in _CAUSE_STATUSES.items() for name in names}
#: what a server answers when it does not do server-side copy
_NO_SERVER_COPY = {NtStatus.STATUS_NOT_SUPPORTED, NtStatus.STATUS_INVALID_DEVICE_REQUEST, NtStatus.STATUS_INVALID_PARAMETER}

T = TypeVar("T")


@dataclass(frozen=True)
class SmbAddress:
    host: str
    port: int
    share: str
    path: tuple[str, ...]  # folders under the share

    def unc(self, *parts: str) -> str:
        return "\\".join([f"\\\\{self.host}", self.share, *self.path, *(p for p in parts if p)])

    def __str__(self) -> str:
        port = f":{self.port}" if self.port != DEFAULT_PORT else ""
        return "\\".join([f"\\\\{self.host}{port}", self.share, *self.path])


def parse_address(text: str) -> SmbAddress:
    r"""``\\host[:port]\share[\path]`` or ``//host[:port]/share[/path]``."""
    match = ADDRESS.match(text.strip())
    port = int(match["port"]) if match and match["port"] else DEFAULT_PORT
    if match is None or not 0 < port < 65536:
        raise TransportError(f"{text!r} is not an SMB address: give \\\\host[:port]\\share[\\path]", cause="not_found")
    folders = tuple(p for p in re.split(r"[\\/]", match["path"] or "") if p)
    if any(p in (".", "..") for p in folders):
        raise TransportError(f"{text!r}: the path under the share may not contain '.' or '..'", cause="not_found")
    return SmbAddress(match["host"], port, match["share"], folders)


def status_of(error: BaseException) -> int | None:
    for name in ("ntstatus", "status"):
        value = getattr(error, name, None)
        if isinstance(value, int):
            return value
    return None


def smb_failure(error: BaseException, dp: str, where: str, *, session: bool = False) -> TransportError:
    """One line naming the DP, the path and what an administrator reads first."""
    if isinstance(error, TransportError):
        return error
    status = status_of(error)
    cause = _STATUS_CAUSES.get(status, "io") if status is not None else "io"
    if (session and status == NtStatus.STATUS_ACCESS_DENIED) or isinstance(error, SMBAuthenticationError):
        cause = "auth"
    reason = getattr(error, "__cause__", None) or error
    if isinstance(error, SMBConnectionClosed) or (isinstance(reason, OSError) and status is None):
        cause = "timeout" if isinstance(reason, TimeoutError) else "unreachable"
    if status is None and isinstance(error, SMBException) and re.search(r"time(d )?out", str(error), re.IGNORECASE):
        cause = "timeout"  # smbprotocol: "Connection timeout of N seconds exceeded", "Connection timed out"
    detail = _status_name(status) if status is not None else (str(reason).splitlines() or [""])[0]
    return TransportError(f"{dp}: {where}: {CAUSES[cause][1]} ({detail})", cause=cause)


def _status_name(status: int) -> str:
    return _STATUS_NAMES.get(status, f"NTSTATUS 0x{status:08X}")


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
        self._root = address.unc(*relative(library_root).split("/")) if library_root else address.unc()
        #: "server-side copy" or "read and write": how the last ``concatenate`` reassembled its parts
        self.copy_mode = "server-side copy" if server_copy else "read and write"
        self._connect()
        if not self._call(str(address), lambda: smbclient.path.isdir(self._root, **self._kw())):
            self._call(self._root, lambda: smbclient.makedirs(self._root, exist_ok=True, **self._kw()))

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

    def _kw(self) -> dict[str, Any]:
        return {"username": self._user, "password": self._password, "port": self.address.port,
                "connection_cache": self._cache, "connection_timeout": self._timeout}

    def _call(self, where: str, action: Callable[[], T]) -> T:
        self._connect()
        try:
            return action()
        except (SMBException, OSError, ValueError) as error:
            raise smb_failure(error, self.name, where) from None

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
        unc = self._unc(path)
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
        unc = self._unc(path)
        self._call(unc, lambda: smbclient.makedirs(unc, exist_ok=True, **self._kw()))

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
            raise smb_failure(error, self.name, unc) from None

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
