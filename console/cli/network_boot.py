"""Network boot from the command line: the site settings (``bootimage settings --wimboot …``)
and ``bootimage dp pxe NAME`` (the DP's menu, generated dnsmasq/nginx configuration and the
layout as it is on the DP)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from console.cli.argtypes import bounded_int
from console.cli.output import emit_json, property_list
from console.cli.runtime import open_site

if TYPE_CHECKING:
    from console.core.console_services import ConsoleServices


def add_settings_options(settings: argparse.ArgumentParser) -> None:
    settings.add_argument("--wimboot", metavar="PATH",
                          help="wimboot for network boot (download it from https://github.com/ipxe/wimboot/releases/"
                               "latest/download/wimboot; checked, then copied to PXE-enabled DPs; \"\" forgets it)")
    settings.add_argument("--pxe-timeout", metavar="SECONDS", type=bounded_int(0, 3600, "--pxe-timeout"),
                          help="seconds the network boot menu waits before its default (0 = waits for a choice)")
    settings.add_argument("--pxe-default-item", metavar="ID",
                          help="the PackageID the network boot menu starts by default (\"\" = each menu's first)")
    settings.add_argument("--pxe-http-port", metavar="PORT", type=bounded_int(1, 65535, "--pxe-http-port"),
                          help="the HTTP port of the DPs' nginx for network boot (default 80)")
    settings.add_argument("--pxe-subnet", metavar="NETWORK",
                          help="the network dnsmasq's proxy-DHCP answers on, e.g. 192.168.1.0 (\"\" = TFTP only)")


def apply_settings(console: ConsoleServices, args: argparse.Namespace) -> dict[str, object]:
    """Apply the network boot options given; the settings as they are now (JSON names)."""
    boot = console.network_boot
    if args.wimboot is not None:
        boot.set_wimboot_path(args.wimboot)
    if args.pxe_timeout is not None:
        boot.set_menu_timeout(args.pxe_timeout)
    if args.pxe_default_item is not None:
        boot.set_default_item(args.pxe_default_item)
    if args.pxe_http_port is not None:
        boot.set_http_port(args.pxe_http_port)
    if args.pxe_subnet is not None:
        boot.set_subnet(args.pxe_subnet)
    return {f"Pxe{key}": value for key, value in boot.settings().as_json().items()}


def register_dp(cmds: Any) -> None:
    pxe = cmds.add_parser("pxe", help="network boot of a PXE-enabled distribution point: its menu, the generated "
                                      "dnsmasq and nginx configuration, the layout on the DP")
    pxe.add_argument("name", metavar="NAME")
    shown = pxe.add_mutually_exclusive_group()
    shown.add_argument("--dnsmasq", action="store_true", help="print the dnsmasq snippet only")
    shown.add_argument("--nginx", action="store_true", help="print the nginx server block only")
    shown.add_argument("--script", action="store_true", help="print the iPXE menu script only")
    pxe.add_argument("--json", action="store_true")
    pxe.set_defaults(func=cmd_dp_pxe)


def cmd_dp_pxe(args: argparse.Namespace) -> int:
    status = open_site(args).network_boot.status(args.name)
    if args.json:
        emit_json(status.as_json())
        return 0
    for flag, text in ((args.dnsmasq, status.dnsmasq), (args.nginx, status.nginx), (args.script, status.script)):
        if flag:
            print(text, end="")
            return 0
    layout = status.layout
    items = ", ".join(f"{i.package_id} ({i.architecture})" for i in status.plan.images) or "(none)"
    rows = [("Distribution point", status.dp.name), ("PXE enabled", "yes" if status.dp.pxe else "no"),
            ("Layout folder", status.plan.layout_path), ("Menu script", status.plan.script_url),
            ("Menu items", items), ("wimboot", f"{status.wimboot.path or '(not set)'}: {status.wimboot.message}")]
    rows += [("Note", note) for note in status.notes]
    if layout is not None:
        rows += [("Layout on the DP", f"generation {layout.get('generation')}, {len(layout['files'])} files"),  # type: ignore[arg-type]
                 ("Images on the DP", ", ".join(str(i["PackageID"]) for i in layout.get("images", [])) or "(none)")]  # type: ignore[union-attr]
    else:
        rows.append(("Layout on the DP", status.layout_message))
    property_list(rows)
    print("\n# --- dnsmasq ---")
    print(status.dnsmasq, end="")
    print("\n# --- nginx ---")
    print(status.nginx, end="")
    return 0
