"""Network boot: the site's settings for it, each PXE-enabled DP's plan (which boot images its
menu offers) and what the DP's Properties (Network boot tab) and ``bootimage dp pxe`` show.

The layout itself is written by the distribution job (step ``pxe``); this service only reads
the DP's ``PXE/config/layout.json`` when asked for the DP's state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console.core.changes import Changes, Result
from console.core.content import check_package_id
from console.core.distribution import DistributionPoint, DpState, Transports
from console.core.errors import ConsoleError, ValidationError
from console.core.pxe import (
    DEFAULT_HTTP_PORT,
    DEFAULT_TIMEOUT,
    LAYOUT_FOLDER,
    LAYOUT_MANIFEST,
    MENUS,
    PxeError,
    PxeImage,
    PxePlan,
    PxeSources,
    boot_script,
    check_port,
    check_subnet,
    check_timeout,
    dnsmasq_config,
    layout_location,
    nginx_server_block,
    read_layout_manifest,
    read_wimboot,
)
from console.core.services.context import ServiceContext

WIMBOOT_PATH = "PxeWimbootPath"
MENU_TIMEOUT = "PxeMenuTimeout"
DEFAULT_ITEM = "PxeDefaultItem"
HTTP_PORT = "PxeHttpPort"
SUBNET = "PxeSubnet"
#: (package, DP) states whose package is leaving the DP: not in the menu.
LEAVING = (DpState.REMOVAL_PENDING, DpState.REMOVAL_RETRYING, DpState.REMOVAL_FAILED)


@dataclass(frozen=True)
class PxeSettings:
    wimboot_path: str = ""
    timeout: int = DEFAULT_TIMEOUT
    default_item: str = ""
    http_port: int = DEFAULT_HTTP_PORT
    subnet: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"WimbootPath": self.wimboot_path, "MenuTimeout": self.timeout, "DefaultItem": self.default_item,
                "HttpPort": self.http_port, "Subnet": self.subnet}


@dataclass(frozen=True)
class WimbootStatus:
    path: str
    ok: bool
    message: str  # "EFI PE + Linux bzImage, 1,234 bytes" or what is wrong and what to do


@dataclass(frozen=True)
class PxeStatus:
    """What the DP's Network boot tab and ``bootimage dp pxe`` show."""

    dp: DistributionPoint
    plan: PxePlan
    wimboot: WimbootStatus
    layout: dict[str, Any] | None  # the DP's PXE/config/layout.json (None: none there)
    layout_message: str  # "" when read; else why not (unreachable, not built yet)

    @property
    def notes(self) -> list[str]:
        """Flagged images no menu offers (an architecture the menus do not serve)."""
        served = {a for _title, archs in MENUS.values() for a in archs}
        return [f"{i.package_id} is in no menu: its architecture {i.architecture or '(unknown: read its image)'} "
                f"is not one network boot serves ({', '.join(sorted(served))})"
                for i in self.plan.images if i.architecture not in served]

    @property
    def dnsmasq(self) -> str:
        return dnsmasq_config(self.plan)

    @property
    def nginx(self) -> str:
        return nginx_server_block(self.plan)

    @property
    def script(self) -> str:
        return boot_script(self.plan)

    def as_json(self) -> dict[str, Any]:
        return {"DistributionPoint": self.dp.name, "PxeEnabled": self.dp.pxe, "LayoutPath": self.plan.layout_path,
                "ScriptUrl": self.plan.script_url,
                "MenuItems": [{"PackageID": i.package_id, "Name": i.name, "Version": i.version,
                               "Architecture": i.architecture} for i in self.plan.images],
                "Wimboot": {"Path": self.wimboot.path, "Ok": self.wimboot.ok, "Message": self.wimboot.message},
                "Notes": self.notes, "Layout": self.layout, "LayoutMessage": self.layout_message,
                "Dnsmasq": self.dnsmasq, "Nginx": self.nginx}


class NetworkBoot:
    def __init__(self, ctx: ServiceContext, *, find_dp: Callable[[str], DistributionPoint],
                 rows: Callable[[str], list[Any]], package: Callable[[str], Any],
                 transports: Callable[[], Transports] | None = None) -> None:
        """``rows(dp)``: the DP's (package, DP) rows; ``package(pid)``: the package's instance."""
        self._ctx = ctx
        self._find_dp = find_dp
        self._rows = rows
        self._package = package
        self._transports = transports

    # -- settings --------------------------------------------------------------------------------

    def settings(self) -> PxeSettings:
        with self._ctx.uow() as uow:
            get = uow.settings.get
            timeout, port = get(MENU_TIMEOUT) or "", get(HTTP_PORT) or ""
            return PxeSettings(get(WIMBOOT_PATH) or "", int(timeout) if timeout.isdigit() else DEFAULT_TIMEOUT,
                               get(DEFAULT_ITEM) or "", int(port) if port.isdigit() else DEFAULT_HTTP_PORT,
                               get(SUBNET) or "")

    def check_settings(self, values: PxeSettings) -> PxeSettings:
        """All the values checked (ValidationError names the first wrong one; nothing is written)."""
        wimboot = values.wimboot_path.strip()
        if wimboot:
            try:
                read_wimboot(wimboot)
            except PxeError as error:
                raise ValidationError.single(WIMBOOT_PATH, f"{error}; nothing was changed") from None
        timeout = self._checked(MENU_TIMEOUT, check_timeout, values.timeout)
        port = self._checked(HTTP_PORT, check_port, values.http_port)
        subnet = self._checked(SUBNET, check_subnet, values.subnet)
        return PxeSettings(wimboot, timeout, self._check_item(values.default_item), port, subnet)

    def _check_item(self, package_id: str) -> str:
        item = package_id.strip().upper()
        if item:
            try:
                item = check_package_id(item)
                self._package(item)
            except ConsoleError as error:
                raise ValidationError.single(DEFAULT_ITEM, f"default menu item: {error}; nothing was changed") from None
        return item

    def save_settings(self, values: PxeSettings) -> Result[PxeSettings]:
        """Every network boot setting at once (the Settings dialog), checked before any is written."""
        checked = self.check_settings(values)
        for key, value in ((WIMBOOT_PATH, checked.wimboot_path), (MENU_TIMEOUT, str(checked.timeout)),
                           (DEFAULT_ITEM, checked.default_item), (HTTP_PORT, str(checked.http_port)),
                           (SUBNET, checked.subnet)):
            self._set(key, value)
        return Result(checked, Changes())

    def set_wimboot_path(self, path: str) -> Result[WimbootStatus]:
        """Remember wimboot's path after checking the file is wimboot ("" forgets it)."""
        text = path.strip()
        if text:
            try:
                read_wimboot(text)
            except PxeError as error:
                raise ValidationError.single(WIMBOOT_PATH, f"{error}; nothing was changed") from None
        self._set(WIMBOOT_PATH, text)
        return Result(self.wimboot(), Changes())

    def set_menu_timeout(self, seconds: int) -> Result[int]:
        self._set(MENU_TIMEOUT, str(self._checked(MENU_TIMEOUT, check_timeout, seconds)))
        return Result(int(seconds), Changes())

    def set_default_item(self, package_id: str) -> Result[str]:
        text = self._check_item(package_id)
        self._set(DEFAULT_ITEM, text)
        return Result(text, Changes())

    def set_http_port(self, port: int) -> Result[int]:
        self._set(HTTP_PORT, str(self._checked(HTTP_PORT, check_port, port)))
        return Result(int(port), Changes())

    def set_subnet(self, subnet: str) -> Result[str]:
        value = self._checked(SUBNET, check_subnet, subnet)
        self._set(SUBNET, value)
        return Result(value, Changes())

    @staticmethod
    def _checked(key: str, check: Callable[[Any], Any], value: Any) -> Any:
        try:
            return check(value)
        except PxeError as error:
            raise ValidationError.single(key, f"{error}; nothing was changed") from None

    def _set(self, key: str, value: str) -> None:
        with self._ctx.uow(write=True) as uow:
            self._ctx.local_site(uow)
            uow.settings.set(key, value, modified_by=self._ctx.user, modified_at=self._ctx.clock())
            uow.commit()

    # -- plans -----------------------------------------------------------------------------------

    def wimboot(self, path: str | None = None) -> WimbootStatus:
        """The configured wimboot as it is on disk now."""
        path = self.settings().wimboot_path if path is None else path
        try:
            data = read_wimboot(path)
        except PxeError as error:
            return WimbootStatus(path, False, str(error))
        from console.core.pxe import check_wimboot

        return WimbootStatus(path, True, f"{check_wimboot(data[:4096], len(data))}, {len(data):,} bytes")

    def images(self, dp_name: str) -> list[PxeImage]:
        """The boot images on the DP (or on their way) with DeployFromPxeDistributionPoint set."""
        found = []
        for row in self._rows(dp_name):
            if row.state in LEAVING:
                continue
            try:
                package = self._package(row.package_id)
            except ConsoleError:  # deleted meanwhile
                continue
            if package["DeployFromPxeDistributionPoint"]:
                found.append(PxeImage(row.package_id, str(package["Name"] or ""), str(package["Version"] or ""),
                                      str(package["Architecture"] or "")))
        return found

    def plan_for(self, dp: DistributionPoint) -> tuple[PxePlan, PxeSources]:
        settings = self.settings()
        path, host = layout_location(dp.transport.value, dp.address, dp.library_root)
        plan = PxePlan(dp.name, path, host or dp.name, tuple(self.images(dp.name)), settings.timeout,
                       settings.default_item, settings.http_port, settings.subnet)
        return plan, PxeSources(settings.wimboot_path)

    def status(self, name: str, *, read_dp: bool = True) -> PxeStatus:
        """The DP's plan and generated configuration; with ``read_dp`` also its layout as it is
        on the DP now (reached through its transport: run it off the GUI thread)."""
        dp = self._find_dp(name)
        plan, sources = self.plan_for(dp)
        layout, message = None, "not read"
        if read_dp and self._transports is not None:
            layout, message = self._read_layout(dp)
        return PxeStatus(dp, plan, self.wimboot(sources.wimboot), layout, message)

    def _read_layout(self, dp: DistributionPoint) -> tuple[dict[str, Any] | None, str]:
        assert self._transports is not None
        path = f"{LAYOUT_FOLDER}/{LAYOUT_MANIFEST}"
        try:
            conn = self._transports().connect(dp)
            try:
                if conn.size(path) is None:
                    return None, (f"no network boot layout on {dp.name} yet (it is written when content is "
                                  "distributed or updated there)")
                return read_layout_manifest(conn.read_bytes(path)), ""
            finally:
                conn.close()
        except ConsoleError as error:
            return None, f"{dp.name} could not be read: {error}"
