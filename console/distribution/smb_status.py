r"""SMB addresses (``\\host[:port]\share[\path]``) and what an NTSTATUS means to an administrator
(``TransportError`` causes), for ``console.distribution.smb``."""

from __future__ import annotations

import errno
import re
import socket
from dataclasses import dataclass

from smbprotocol.exceptions import SMBAuthenticationError, SMBConnectionClosed, SMBException
from smbprotocol.header import NtStatus

from console.core.distribution import CAUSES, TransportError

DEFAULT_PORT = 445
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


def smb_failure(error: BaseException, dp: str, where: str, *, session: bool = False,
                dropped: bool = False) -> TransportError:
    """One line naming the DP, the path and what an administrator reads first."""
    if isinstance(error, TransportError):
        return error
    status = status_of(error)
    cause = _STATUS_CAUSES.get(status, "io") if status is not None else "io"
    if (session and status == NtStatus.STATUS_ACCESS_DENIED) or isinstance(error, SMBAuthenticationError):
        cause = "auth"
    reason = getattr(error, "__cause__", None) or error
    if isinstance(error, SMBConnectionClosed) or (status is None and _network_failure(reason)):
        cause = "timeout" if isinstance(reason, TimeoutError) else "unreachable"
    if status is None and isinstance(error, SMBException) and re.search(r"time(d )?out", str(error), re.IGNORECASE):
        cause = "timeout"  # smbprotocol: "Connection timeout of N seconds exceeded", "Connection timed out"
    if dropped and cause == "io":
        cause = "unreachable"  # whatever the library said, the connection is gone
    detail = _status_name(status) if status is not None else (str(reason).splitlines() or [""])[0]
    return TransportError(f"{dp}: {where}: {CAUSES[cause][1]} ({detail})", cause=cause)


def _network_failure(error: BaseException) -> bool:
    """Refused, reset, no route, name not resolved: the server cannot be reached."""
    return isinstance(error, ConnectionError | TimeoutError | socket.gaierror | socket.herror) or (
        isinstance(error, OSError) and error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN))


def _status_name(status: int) -> str:
    return _STATUS_NAMES.get(status, f"NTSTATUS 0x{status:08X}")
