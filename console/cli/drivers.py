"""``bootimage driver import|list|show|enable|disable|remove``: the driver catalog.

``driver import`` exits 0 when the scan ran, even if some INFs failed; it exits 1 when the
folder does not exist, or when at least one INF failed and no INF was usable (none imported,
none already in the catalog).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from console.cli import argtypes
from console.cli.output import emit_json, instance_json, property_list, raw_stderr, table
from console.cli.runtime import confirm_removal, open_site
from console.core.console_services import ConsoleServices

LIST_COLUMNS = ("CI_ID", "Name", "Class", "Provider", "Version", "Architectures", "Signed", "Enabled")


def register(sub: Any) -> None:
    parser = sub.add_parser("driver", help="the driver catalog: import INF drivers, list, enable, disable")
    commands = parser.add_subparsers(dest="driver_command", metavar="DRIVER_COMMAND")
    commands.required = True

    imp = commands.add_parser("import", help="scan a folder for INF files and add the drivers to the catalog")
    imp.add_argument("folder", metavar="FOLDER", type=argtypes.path, help="folder to scan recursively (or one INF file)")
    imp.add_argument("--category", action="append", default=[], metavar="NAME", help="file the drivers under this category (repeatable)")
    imp.add_argument("--disabled", action="store_true", help="import the drivers disabled")
    imp.add_argument("--json", action="store_true", help="print found/duplicate/failed as JSON")
    imp.set_defaults(func=cmd_import)

    lst = commands.add_parser("list", help="list catalog drivers")
    lst.add_argument("--filter", default="", type=argtypes.search_text, metavar="TEXT", help="text matched against name, provider, class, version, INF, folder and hardware ids")
    lst.add_argument("--arch", default="", metavar="ARCH", help="only drivers that install on this boot image architecture (x86, x64, arm64 or ia64)")
    lst.add_argument("--class", dest="driver_class", default="", metavar="CLASS", help="only this device class (Net, SCSIAdapter...)")
    lst.add_argument("--storage-network", action="store_true", help="only storage and network classes (what Windows PE needs)")
    lst.add_argument("--signed", action=argparse.BooleanOptionalAction, default=None, help="only signed (--signed) or unsigned (--no-signed) drivers")
    lst.add_argument("--enabled", action=argparse.BooleanOptionalAction, default=None, help="only enabled (--enabled) or disabled (--no-enabled) drivers")
    lst.add_argument("--category", default="", metavar="NAME")
    lst.add_argument("--boot-image", default=None, metavar="ID", help="list the drivers of this boot image instead (its ReferencedDrivers)")
    lst.add_argument("--sort", default="name", choices=("name", "ci_id", "driver_class", "provider", "version", "date", "size", "inf_file"))
    lst.add_argument("--desc", action="store_true")
    lst.add_argument("--limit", type=argtypes.count, default=None)
    lst.add_argument("--offset", type=argtypes.count, default=0)
    lst.add_argument("--json", action="store_true", help="print a JSON array of SMS_Driver objects")
    lst.set_defaults(func=cmd_list)

    show = commands.add_parser("show", help="show one driver with its hardware ids")
    show.add_argument("ci_id", type=argtypes.ci_id, metavar="CI_ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)

    for name, enabled in (("enable", True), ("disable", False)):
        cmd = commands.add_parser(name, help=f"{name} drivers (only enabled drivers can be added to a boot image)")
        cmd.add_argument("ci_ids", type=argtypes.ci_id, nargs="+", metavar="CI_ID")
        cmd.set_defaults(func=cmd_enable, enabled=enabled)

    rm = commands.add_parser("remove", help="delete a driver from the catalog (refused while a boot image uses it)")
    rm.add_argument("ci_id", type=argtypes.ci_id, metavar="CI_ID")
    rm.add_argument("--force", action="store_true", help="do not ask for confirmation")
    rm.set_defaults(func=cmd_remove)


def driver_json(console: ConsoleServices, driver: Any, *, lazy: bool = False) -> dict[str, Any]:
    """An SMS_Driver as JSON; with ``lazy`` also HardwareIDs, INFWarnings and ``__models``."""
    data = instance_json(console, console.drivers.to_instance(driver, lazy=lazy), all_properties=False)
    if lazy:
        data["__models"] = [
            {"Manufacturer": m.manufacturer, "Description": m.description, "InstallSection": m.install_section,
             "HardwareID": m.hardware_id, "CompatibleIDs": list(m.compatible_ids)}
            for m in driver.models
        ]
    return data


def cmd_import(args: argparse.Namespace) -> int:
    console = open_site(args)
    progress = _progress if sys.stderr.isatty() and not args.json else None
    result = console.drivers.import_drivers(
        args.folder, categories=args.category, enabled=not args.disabled, progress=progress
    ).value
    if progress:
        raw_stderr().write("\r\x1b[K")
    failed_infs = [f for f in result.failed if not f.folder]
    found = len(result.imported) + len(result.duplicates) + len(failed_infs)
    if args.json:
        emit_json({
            "folder": args.folder,
            "found": found,
            "imported": [
                {"CI_ID": d.ci_id, "LocalizedDisplayName": d.name, "DriverClass": d.driver_class,
                 "DriverINFFile": d.inf_file, "ContentSourcePath": d.folder}
                for d in result.imported
            ],
            "duplicates": [
                {"path": d.candidate.inf_path, "duplicateOf": d.existing_ci_id, "sameAs": d.existing_path}
                for d in result.duplicates
            ],
            "failed": [{"path": f.path, "message": f.message, **({"folder": True} if f.folder else {})}
                       for f in result.failed],
            "cancelled": result.cancelled,
        })
    else:
        print(f"{args.folder}: {found} INF file(s): {len(result.imported)} imported, "
              f"{len(result.duplicates)} duplicate(s), {len(failed_infs)} failed"
              + (f"; {len(result.failed) - len(failed_infs)} folder(s) cannot be read" if len(failed_infs) < len(result.failed) else ""))
        for d in result.imported:
            print(f"imported  {d.ci_id}  {d.name} [{d.driver_class}] ({d.inf_path})")
        for dup in result.duplicates:
            print(f"duplicate {dup.candidate.inf_path}: {dup.describe()}")
        for failure in result.failed:
            print(f"failed    {failure.message}")
    return 1 if result.failed and not (result.imported or result.duplicates) else 0


def _progress(done: int, total: int, path: str) -> None:
    err = raw_stderr()  # its own terminal control; no names are in it
    err.write(f"\r\x1b[KReading INF {done + 1 if done < total else done}/{total}")
    err.flush()


def cmd_list(args: argparse.Namespace) -> None:
    from console.core.drivers import DriverQuery, describe_architectures

    console = open_site(args)
    if args.boot_image:
        _list_boot_image(console, args)
        return
    page = console.drivers.query(DriverQuery(
        text=args.filter, driver_class=args.driver_class, architecture=args.arch, signed=args.signed,
        enabled=args.enabled, storage_or_network=True if args.storage_network else None, category=args.category,
        sort=args.sort, descending=args.desc, offset=args.offset, limit=args.limit,
    ))
    if args.json:
        emit_json([driver_json(console, d) for d in page.items])
        return
    rows = [
        (d.ci_id, d.name, d.driver_class, d.provider, d.version, describe_architectures(d.architectures),
         "yes" if d.signed else "no", "yes" if d.is_enabled else "no")
        for d in page.items
    ]
    table(LIST_COLUMNS, rows)
    print(f"\n{len(page.items)} of {page.total} driver(s)")


def _list_boot_image(console: ConsoleServices, args: argparse.Namespace) -> None:
    from console.core.drivers import describe_architectures

    listing = console.drivers.drivers_of(args.boot_image)
    if args.json:
        emit_json({
            "PackageID": listing.package_id,
            "Architecture": listing.architecture,
            "TotalSize": listing.total_size,
            "Drivers": [
                {"ID": e.ci_id, "SourcePath": e.source_path,
                 "Driver": driver_json(console, e.driver) if e.driver is not None else None}
                for e in listing.drivers
            ],
        })
        return
    rows = [
        (e.ci_id, e.driver.name, e.driver.driver_class, describe_architectures(e.driver.architectures), e.source_path)
        if e.driver is not None else (e.ci_id, "(not in the catalog)", "", "", e.source_path)
        for e in listing.drivers
    ]
    table(("CI_ID", "Name", "Class", "Architectures", "SourcePath"), rows)
    print(f"\n{len(rows)} driver(s) in {listing.package_id} ({listing.architecture or 'architecture unknown'}), "
          f"{listing.total_size} bytes")


def cmd_show(args: argparse.Namespace) -> None:
    from console.core.drivers import describe_architectures
    from console.core.values import format_value

    console = open_site(args)
    driver = console.drivers.get(args.ci_id)
    if args.json:
        emit_json(driver_json(console, driver, lazy=True))
        return
    instance = console.drivers.to_instance(driver)
    cls = console.registry[instance.class_name]
    shown = {"SupportedArchitectures": describe_architectures(driver.architectures)}  # the class's terms
    property_list([(name, shown.get(name) or format_value(cls.properties[name], value))
                   for name, value in instance.values.items() if name not in ("HardwareIDs", "INFWarnings")])
    print("\nDevices:")
    for model in driver.models:
        print(f"  {model.hardware_id or '(no hardware id)'}  {model.description}")
    for warning in driver.warnings:
        print(f"warning: {warning}")


def cmd_enable(args: argparse.Namespace) -> None:
    drivers = open_site(args).drivers.set_enabled(args.ci_ids, args.enabled).value
    word = "enabled" if args.enabled else "disabled"
    for driver in drivers:
        print(f"{driver.ci_id} ({driver.name}): {word}")


def cmd_remove(args: argparse.Namespace) -> None:
    console = open_site(args)
    driver = console.drivers.get(args.ci_id)
    if not confirm_removal(args, f"driver {driver.ci_id}", f"Remove driver {driver.ci_id} ({driver.name}) from the catalog?"):
        return
    console.drivers.delete(driver.ci_id)
    print(f"removed driver {driver.ci_id} ({driver.name})")


def print_referenced_drivers(console: ConsoleServices, package: Any) -> None:
    refs = package.get("ReferencedDrivers") or ()
    found = {d.ci_id: d.driver for d in console.drivers.drivers_of(package["PackageID"]).drivers if d.driver is not None}
    names = [f"{r['ID']} ({found[r['ID']].name})" if r["ID"] in found else str(r["ID"]) for r in refs]
    print("drivers: " + (", ".join(names) or "(none)"))
