"""Network boot on a PXE-enabled distribution point: iPXE + wimboot (standard library only).

A PXE-enabled DP gets a *layout* next to its content library (``<library root>/PXE``, a
symbolic link to the generation folder ``PXE.<generation>`` where the transport can, so a
booting client never sees half a layout)::

    boot.ipxe                      the iPXE menu (this module: ``boot_script``)
    wimboot                        copied from the site setting PxeWimbootPath (checked)
    undionly.kpxe, ipxe.efi, snponly.efi   from Debian's ``ipxe`` package, for TFTP chain-loading
    images/<PackageID>/boot.wim    each flagged boot image's current version (hard link or copy)
    config/dnsmasq.conf            proxy-DHCP + TFTP + chain-load (``dnsmasq_config``)
    config/nginx.conf              the HTTP server block (``nginx_server_block``)
    config/layout.json             every file's SHA-256 and size (content validation reads it)

Everything here is a pure function of a ``PxePlan``.
"""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from console.core.errors import ConsoleError

#: The layout's name under the DP's library root (a link to the current generation folder).
LAYOUT_FOLDER = "PXE"
CONFIG_FOLDER = "config"
LAYOUT_MANIFEST = f"{CONFIG_FOLDER}/layout.json"
BOOT_SCRIPT = "boot.ipxe"
WIMBOOT = "wimboot"
#: Where the iPXE binaries come from (Debian's ``ipxe`` package) and the names they keep.
IPXE_FOLDER = "/usr/lib/ipxe"
IPXE_BINARIES = ("undionly.kpxe", "ipxe.efi", "snponly.efi")
WIMBOOT_URL = "https://github.com/ipxe/wimboot/releases/latest/download/wimboot"
#: wimboot is ~40-200 KiB; anything outside this range is not it.
WIMBOOT_MIN_BYTES = 8 * 1024
WIMBOOT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_TIMEOUT = 10
DEFAULT_HTTP_PORT = 80
#: Menus of the script: label -> (title, architectures shown, best first).
MENUS: dict[str, tuple[str, tuple[str, ...]]] = {
    "bios_x64": ("BIOS, 64-bit processor", ("x64", "x86")),
    "bios_x86": ("BIOS, 32-bit processor", ("x86",)),
    "uefi_x86_64": ("UEFI x64", ("x64",)),
    "uefi_i386": ("UEFI x86", ("x86",)),
    "uefi_arm64": ("UEFI ARM64", ("arm64",)),
}


class PxeError(ConsoleError):
    title = "Network boot"


def wimboot_missing_message() -> str:
    return (f"wimboot is not set: download it from {WIMBOOT_URL} (GPL, not packaged in Debian) and set its path "
            "in Settings (Network boot) or with `bootimage settings --wimboot PATH`")


@dataclass(frozen=True)
class PxeImage:
    """One boot image in the menu: the package's current version on the DP."""

    package_id: str
    name: str
    version: str = ""
    architecture: str = "x64"  # x86, x64, arm64 (SMS_BootImagePackage.Architecture terms)
    content_version: int = 0
    sha256: str = ""
    size: int = 0

    @property
    def label(self) -> str:
        text = f"{self.name} {self.version}".strip() or self.package_id
        return _clean(f"{text} ({self.package_id})")

    @property
    def path(self) -> str:
        """The image's place in the layout."""
        return f"images/{self.package_id}/boot.wim"


@dataclass(frozen=True)
class PxePlan:
    """What a DP's layout and server configuration are generated from."""

    dp_name: str
    layout_path: str  # where the layout is on the DP's server (TFTP root, HTTP root)
    http_host: str  # the DP's host name as clients reach it
    images: tuple[PxeImage, ...] = ()
    timeout: int = DEFAULT_TIMEOUT  # seconds; 0: wait for a choice
    default_item: str = ""  # a PackageID ("" or absent from a menu: its first item)
    http_port: int = DEFAULT_HTTP_PORT
    subnet: str = ""  # the network address for proxy-DHCP ("" = TFTP only until it is set)

    @property
    def script_url(self) -> str:
        port = "" if self.http_port == 80 else f":{self.http_port}"
        return f"http://{self.http_host}{port}/{BOOT_SCRIPT}"

    def menu(self, label: str) -> list[PxeImage]:
        order = MENUS[label][1]
        chosen = [i for i in self.images if i.architecture in order]
        return sorted(chosen, key=lambda i: (order.index(i.architecture), i.name.lower(), i.package_id))


def _clean(text: str) -> str:
    """One line iPXE shows as it is (no control characters; ``${`` would expand a setting)."""
    return re.sub(r"[\x00-\x1f\x7f]", " ", text).replace("${", "$ {").strip()


def check_timeout(seconds: int) -> int:
    if not 0 <= int(seconds) <= 3600:
        raise PxeError(f"the network boot menu timeout must be 0 to 3600 seconds (0: wait), not {seconds}")
    return int(seconds)


def check_port(port: int) -> int:
    if not 1 <= int(port) <= 65535:
        raise PxeError(f"the HTTP port must be 1 to 65535, not {port}")
    return int(port)


def check_subnet(text: str) -> str:
    """The network address dnsmasq's proxy-DHCP answers on (``192.168.1.0``; ``/24`` is dropped)."""
    value = text.strip()
    if not value:
        return ""
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise PxeError(f"{value!r} is not an IPv4 subnet (give its network address, e.g. 192.168.1.0)") from None
    return str(network.network_address)


def check_wimboot(head: bytes, size: int, where: str = "wimboot") -> str:
    """What ``head`` (the file's first 4 KiB) looks like: wimboot is a Linux bzImage that is
    also an EFI PE executable. Raises PxeError naming what is wrong."""
    if size < WIMBOOT_MIN_BYTES or size > WIMBOOT_MAX_BYTES:
        raise PxeError(f"{where} is {size:,} bytes; wimboot is between {WIMBOOT_MIN_BYTES // 1024} KiB and "
                       f"{WIMBOOT_MAX_BYTES // 1024 // 1024} MiB, so it is not wimboot (download it again from {WIMBOOT_URL})")
    kinds = []
    if head[:2] == b"MZ" and len(head) >= 0x40:
        pe = struct.unpack_from("<I", head, 0x3C)[0]
        if pe + 4 <= len(head) and head[pe:pe + 4] == b"PE\0\0":
            kinds.append("EFI PE")
    if head[0x202:0x206] == b"HdrS":
        kinds.append("Linux bzImage")
    if not kinds:
        raise PxeError(f"{where} is neither an EFI executable nor a Linux bzImage: it is not wimboot "
                       f"(download it from {WIMBOOT_URL})")
    return " + ".join(kinds)


@dataclass(frozen=True)
class PxeSources:
    """Files the layout takes from the machine that runs the job."""

    wimboot: str  # the site setting PxeWimbootPath ("" = not set)
    ipxe_folder: str = IPXE_FOLDER


def read_wimboot(path: str) -> bytes:
    """The checked wimboot (PxeError says what to fetch and where to set it)."""
    if not path:
        raise PxeError(wimboot_missing_message())
    try:
        size = Path(path).stat().st_size
        if size > WIMBOOT_MAX_BYTES:  # not read at all
            check_wimboot(b"", size, f"wimboot {path}")
        data = Path(path).read_bytes()
    except OSError as error:
        raise PxeError(f"wimboot {path} cannot be read ({error.strerror or error}): "
                       f"{wimboot_missing_message()}") from None
    check_wimboot(data[:4096], len(data), f"wimboot {path}")
    return data


def read_ipxe(folder: str) -> dict[str, bytes]:
    """The iPXE binaries of Debian's ``ipxe`` package (PxeError names the missing one)."""
    found: dict[str, bytes] = {}
    for name in IPXE_BINARIES:
        try:
            found[name] = (Path(folder) / name).read_bytes()
        except OSError:
            raise PxeError(f"{folder}/{name} is missing: install Debian's ipxe package on the machine that runs "
                           "the worker (apt-get install ipxe)") from None
    return found


def boot_script(plan: PxePlan) -> str:
    """The iPXE script: one menu per firmware and processor (``${platform}``, ``${buildarch}``,
    ``cpuid`` for a 64-bit processor on BIOS, where iPXE itself is 32-bit), each image an item
    that boots ``wimboot`` with the image. Paths are relative: iPXE resolves them against the
    script's own URL, so the script works under any host name."""
    timeout_ms = plan.timeout * 1000
    lines = ["#!ipxe", f"# Network boot menu of {_clean(plan.dp_name)}, written by Boot Image Console.",
             "# It is rewritten on every update of the distribution point: do not edit it here.", "",
             "iseq ${platform} efi && goto uefi_${buildarch} ||",
             "cpuid --ext 29 && goto bios_x64 || goto bios_x86", ""]
    for label, (title, _) in MENUS.items():
        images = plan.menu(label)
        lines.append(f":{label}")
        if not images:
            lines += [f"echo No boot image on {_clean(plan.dp_name)} is deployed from PXE for {title}.",
                      "sleep 10", "exit", ""]
            continue
        default = plan.default_item if plan.default_item in {i.package_id for i in images} else images[0].package_id
        lines.append(f"menu Boot images on {_clean(plan.dp_name)} ({title})")
        lines += [f"item {i.package_id} {i.label}" for i in images]
        lines += ["item --gap --", "item exit Continue booting from the next device"]
        timeout = f" --timeout {timeout_ms}" if timeout_ms else ""
        lines += [f"choose --default {default}{timeout} target && goto ${{target}} || exit", ""]
    lines += [":exit", "exit", ""]
    served = {a for _title, archs in MENUS.values() for a in archs}
    for image in plan.images:
        if image.architecture not in served:
            continue
        lines += [f":{image.package_id}", f"echo Starting {image.label}", f"kernel {WIMBOOT}",
                  f"initrd {image.path} boot.wim", "boot", ""]
    return "\n".join(lines)


def dnsmasq_config(plan: PxePlan) -> str:
    """A dnsmasq snippet: proxy-DHCP beside the network's own DHCP server (dnsmasq never hands
    out addresses), TFTP of the iPXE binaries, then the script over HTTP once iPXE asks."""
    subnet = (f"dhcp-range={plan.subnet},proxy" if plan.subnet else
              "# dhcp-range=SUBNET,proxy   <- set the subnet: bootimage settings --pxe-subnet 192.168.1.0")
    return "\n".join([
        f"# dnsmasq for network boot from {_clean(plan.dp_name)}, written by Boot Image Console.",
        "# Put it in /etc/dnsmasq.d/ (or conf-file=THIS) and restart dnsmasq. It answers PXE requests",
        "# only (proxy-DHCP: the network's DHCP server still hands out the addresses) and serves TFTP.",
        "port=0", subnet, "enable-tftp", f"tftp-root={plan.layout_path}", "",
        "# iPXE, once loaded, asks again with the user class iPXE: it gets the menu script over HTTP",
        "dhcp-userclass=set:ipxe,iPXE",
        f'pxe-service=tag:ipxe,x86PC,"Boot Image Console",{plan.script_url}',
        f'pxe-service=tag:ipxe,X86-64_EFI,"Boot Image Console",{plan.script_url}',
        f'pxe-service=tag:ipxe,BC_EFI,"Boot Image Console",{plan.script_url}',
        "# Firmware PXE first loads iPXE by TFTP (BIOS: undionly.kpxe; UEFI: ipxe.efi, or snponly.efi",
        "# where the firmware's own network driver works better)",
        'pxe-service=tag:!ipxe,x86PC,"Boot Image Console (BIOS)",undionly.kpxe',
        'pxe-service=tag:!ipxe,X86-64_EFI,"Boot Image Console (UEFI)",ipxe.efi',
        'pxe-service=tag:!ipxe,BC_EFI,"Boot Image Console (UEFI)",ipxe.efi',
        "",
    ])


def nginx_server_block(plan: PxePlan) -> str:
    """An nginx ``server`` block serving the layout over HTTP. Range requests are on by default
    in nginx (``max_ranges`` unset); wimboot and iPXE read the image in ranges where they can."""
    return "\n".join([
        f"# nginx for network boot from {_clean(plan.dp_name)}, written by Boot Image Console.",
        "# Put it in /etc/nginx/conf.d/ (inside the http block) and reload nginx.",
        "# Range requests are on by default (nginx answers 206 Partial Content).",
        "server {",
        f"    listen {plan.http_port};",
        "    server_name _;",
        f"    root {plan.layout_path};",
        "    sendfile on;",
        "    tcp_nopush on;",
        "    autoindex off;",
        "    default_type application/octet-stream;",
        f"    location /{CONFIG_FOLDER}/ {{ return 404; }}",
        "    location / { try_files $uri =404; }",
        "}",
        "",
    ])


def layout_manifest(plan: PxePlan, files: Mapping[str, tuple[str, int]], generation: str,
                    problems: Sequence[str] = ()) -> bytes:
    """``config/layout.json``: every file's SHA-256 and size, the menu, the generation."""
    return json.dumps({"dp": plan.dp_name, "generation": generation,
                       "images": [{"PackageID": i.package_id, "Name": i.name, "Version": i.version,
                                   "Architecture": i.architecture, "ContentVersion": i.content_version}
                                  for i in plan.images],
                       "files": {path: {"sha256": sha, "size": size} for path, (sha, size) in sorted(files.items())},
                       "problems": list(problems)}, indent=1).encode()


def layout_location(transport: str, address: str, library_root: str) -> tuple[str, str]:
    """(the layout's folder on the DP's server, the host clients reach) for a DP's address:
    folder ``/srv/dp01``; ssh ``[user@]host[:port]:/path``; smb ``\\\\host[:port]\\share[\\path]``
    (the folder the share exports is not known here: ``/srv/<share>`` stands for it)."""
    parts = [library_root.strip("/\\")] if library_root else []
    if transport == "ssh":
        match = re.match(r"^(?:[^@/]+@)?(\[[^\]]+\]|[^:/]+)(?::\d+)?:(.*)$", address)
        host, path = (match.group(1).strip("[]"), match.group(2) or "/") if match else ("", address)
        return posixpath.join(path, *parts, LAYOUT_FOLDER), host
    if transport == "smb":
        pieces = [p for p in address.replace("/", "\\").split("\\") if p]
        host = pieces[0].split(":")[0] if pieces else ""
        return posixpath.join("/srv", *pieces[1:], *parts, LAYOUT_FOLDER), host
    return posixpath.join(address, *parts, LAYOUT_FOLDER), ""


def read_layout_manifest(data: bytes) -> dict[str, object]:
    try:
        value = json.loads(data)
    except ValueError:
        raise PxeError("the network boot layout's config/layout.json is damaged") from None
    if not isinstance(value, dict) or not isinstance(value.get("files"), dict):
        raise PxeError("the network boot layout's config/layout.json is damaged")
    return value
