"""What the Distribution Point dialog checks before it asks the service: one message per field,
in the words an administrator reads next to the field (the service checks again and has the
last word; its ``ValidationError`` problems are shown the same way)."""

from __future__ import annotations

import re

from console.core.distribution import TransportKind

SERVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
_HOST = r"(?:[A-Za-z0-9][A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+\])"
SMB_ADDRESS = re.compile(rf"^\\\\{_HOST}(?::\d{{1,5}})?\\[^\\/:*?\"<>|]+(?:\\[^\\/:*?\"<>|]+)*\\?$")
SSH_ADDRESS = re.compile(rf"^(?:[^@\s:/]+@)?{_HOST}(?::\d{{1,5}})?:/\S*$")
WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")

TRANSPORT_LABELS: dict[TransportKind, str] = {
    TransportKind.FOLDER: "Folder (local or mounted)",
    TransportKind.SMB: "Windows share (SMB)",
    TransportKind.SSH: "Linux server (SSH/SFTP)",
}
KIND_NAMES = {TransportKind.FOLDER: "a folder", TransportKind.SMB: "an SMB", TransportKind.SSH: "an SSH"}
PLACEHOLDERS: dict[TransportKind, str] = {
    TransportKind.FOLDER: "/srv/dp01  (a local or mounted folder)",
    TransportKind.SMB: r"\\dp01.contoso.com\SCCMContent  (\\server[:port]\share[\folder])",
    TransportKind.SSH: "dp01.contoso.com:/srv/content  ([user@]server[:port]:/path)",
}
ADDRESS_HELP: dict[TransportKind, str] = {
    TransportKind.FOLDER: "An absolute path, e.g. /srv/dp01 or /mnt/dp01 for a mounted share.",
    TransportKind.SMB: r"\\server\share, optionally \\server:port\share\folder.",
    TransportKind.SSH: "server:/absolute/path, optionally user@server:port:/path.",
}


def check_name(name: str) -> str:
    if not name.strip():
        return "Enter the server name (e.g. DP01.contoso.com)."
    if not SERVER_NAME.match(name.strip()):
        return "Use letters, digits, dots, hyphens and underscores only (a host name such as DP01.contoso.com)."
    return ""


def check_address(transport: TransportKind, address: str) -> str:
    text = address.strip()
    if not text:
        return "Enter the address."
    if transport is TransportKind.FOLDER:
        ok = text.startswith("/") or bool(WINDOWS_PATH.match(text))
    elif transport is TransportKind.SMB:
        ok = bool(SMB_ADDRESS.match(text))
    else:
        ok = bool(SSH_ADDRESS.match(text))
    if ok:
        port = _port(transport, text)
        if port is not None and not 0 < port < 65536:
            return f"Port {port} is out of range (1–65535)."
        return ""
    return f"Not {KIND_NAMES[transport]} address: {ADDRESS_HELP[transport][0].lower()}{ADDRESS_HELP[transport][1:]}"


def _port(transport: TransportKind, text: str) -> int | None:
    if transport is TransportKind.SMB:
        host = text[2:].split("\\", 1)[0]
    elif transport is TransportKind.SSH:
        host = text.split("@", 1)[-1].split(":/", 1)[0]
    else:
        return None
    if host.startswith("["):
        host = host.rpartition("]")[2]
    _sep, colon, port = host.rpartition(":")
    return int(port) if colon and port.isdigit() else None


def check_library_root(root: str) -> str:
    text = root.strip()
    if not text:
        return "Enter the content library folder under the address (e.g. SCCMContentLib)."
    parts = text.replace("\\", "/").strip("/").split("/")
    if any(p in ("", ".", "..") for p in parts) or ":" in text:
        return "Give a folder under the address, without .. or a drive (e.g. SCCMContentLib)."
    return ""


def check_key_file(transport: TransportKind, key_file: str) -> str:
    if transport is TransportKind.SSH and key_file.strip() and not key_file.strip().startswith("/"):
        return "Give the key file's absolute path (the worker reads it from there)."
    return ""
