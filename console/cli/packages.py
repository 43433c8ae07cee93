"""``bootimage list|show|new|set|remove``: boot image packages (Get/New/Set/Remove-CMBootImage)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from console.cli import argtypes
from console.cli.output import emit_json, emit_json_stream, instance_json, property_list, table
from console.cli.runtime import confirm_removal, open_site
from console.core.console_services import ConsoleServices
from console.core.errors import UnknownPropertyError, ValidationError
from console.core.instance import Instance

LIST_COLUMNS = ("PackageID", "Name", "Version", "Architecture", "ImageOSVersion", "Language", "PackageSize")


def register(sub: Any) -> None:
    lst = sub.add_parser("list", help="list boot image packages")
    lst.add_argument("--filter", default="", type=argtypes.search_text, help="text matched against name, ID, version and comment")
    lst.add_argument("--where", action="append", default=[], metavar="PROP=VALUE", help="exact property match (repeatable)")
    lst.add_argument("--sort", default="Name", metavar="PROP")
    lst.add_argument("--desc", action="store_true", help="sort descending")
    lst.add_argument("--limit", type=argtypes.count, default=None)
    lst.add_argument("--offset", type=argtypes.count, default=0)
    lst.add_argument("--folder", type=argtypes.folder_id, default=None, metavar="ID", help="only this console folder (0 = top level)")
    lst.add_argument("--json", action="store_true",
                     help="print a JSON array of packages, streamed: one compact record per line (--pretty: indented)")
    lst.set_defaults(func=cmd_list)

    show = sub.add_parser("show", help="show every property of a package")
    show.add_argument("package_id", metavar="ID")
    show.add_argument("--lazy", action=argparse.BooleanOptionalAction, default=True,
                      help="fetch lazy and large properties, as WMI GetObject does (default); "
                           "--no-lazy shows them as not loaded, as a WMI query does")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)

    new = sub.add_parser("new", help="add a boot image package (New-CMBootImage)")
    new.add_argument("--path", required=True, type=argtypes.path, help="path of the source WIM")
    new.add_argument("--index", type=argtypes.image_index, required=True, help="1-based image index inside the WIM")
    new.add_argument("--name", default="", help="package name (default: the image's name; required with --no-image-read)")
    new.add_argument("--version", default="")
    new.add_argument("--description", default="")
    new.add_argument("--folder", type=argtypes.folder_id, default=None, metavar="ID")
    new.add_argument("--no-image-read", action="store_true",
                     help="record the package without reading the WIM (read it later with `bootimage reload`)")
    new.add_argument("--allow-unsupported", action="store_true",
                     help="import an image that is not Windows PE (or of no boot image architecture) with a warning")
    new.add_argument("--json", action="store_true", help="print the new package as JSON")
    new.set_defaults(func=cmd_new)

    st = sub.add_parser("set", help="change properties (Set-CMBootImage)")
    st.add_argument("package_id", metavar="ID")
    st.add_argument("assignments", nargs="*", metavar="PROP=VALUE")
    st.add_argument("--add-optional-component", action="append", default=[], metavar="NAME|ID")
    st.add_argument("--remove-optional-component", action="append", default=[], metavar="NAME|ID")
    st.add_argument("--add-driver", action="append", default=[], type=argtypes.ci_id, metavar="CI_ID",
                    help="add a driver from the driver catalog to ReferencedDrivers (repeatable)")
    st.add_argument("--remove-driver", action="append", default=[], type=argtypes.ci_id, metavar="CI_ID",
                    help="remove a driver from ReferencedDrivers (repeatable)")
    st.add_argument("--expected-version", default=None, metavar="SEDO",
                    help="SedoObjectVersion you read; the save is refused if someone saved since")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_set)

    rm = sub.add_parser("remove", help="delete a boot image package (Remove-CMBootImage)")
    rm.add_argument("package_id", metavar="ID")
    rm.add_argument("--force", action="store_true", help="do not ask for confirmation")
    rm.set_defaults(func=cmd_remove)


def cmd_list(args: argparse.Namespace) -> None:
    from console.core.ports import PackageQuery

    console = open_site(args)
    where = dict(_split_assignment(a) for a in args.where)
    query = PackageQuery(args.filter, where, args.folder, False, args.sort, args.desc, args.offset, args.limit)
    if args.json:  # streamed: one record at a time, straight from the rows
        emit_json_stream(console.packages.stream_json(query))
        return
    page = console.packages.query(query)
    cls = console.packages.cls
    from console.core.values import format_value

    rows = [[format_value(cls.properties[c], item.values.get(c)) for c in LIST_COLUMNS] for item in page.items]
    table(LIST_COLUMNS, rows)
    shown = len(page.items)
    print(f"\n{shown} of {page.total} boot image package(s)")


def cmd_show(args: argparse.Namespace) -> None:
    console = open_site(args)
    item = console.packages.get(args.package_id, lazy=args.lazy)
    if args.json:
        data = instance_json(console, item)
        if "OptionalComponents" in item.values:
            data["__optionalComponents"] = components_json(console, item)
        emit_json(data)
        return
    print_instance(console, item)


def _groups(console: ConsoleServices, item: Instance) -> Any:
    from console.core.optional_components import component_groups

    return component_groups(console.context.catalog, item.values.get("OptionalComponents") or (),
                            item.values.get("Architecture") or "")


def components_json(console: ConsoleServices, item: Instance) -> dict[str, Any]:
    """``{chosen, prerequisites, siteRequired}``: each a list of ``{ID, Name}`` (prerequisites
    also ``NeededBy``), the same three groups as the console shows."""
    from console.core.optional_components import component_name

    catalog, groups = console.context.catalog, _groups(console, item)
    needed_by = dict(groups.needed_by)

    def entry(cid: int, *, prerequisite: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"ID": cid, "Name": component_name(catalog, cid)}
        if prerequisite:
            data["NeededBy"] = list(needed_by.get(cid, ()))
        return data

    return {"chosen": [entry(i) for i in groups.chosen],
            "prerequisites": [entry(i, prerequisite=True) for i in groups.prerequisites],
            "siteRequired": [entry(i) for i in groups.site_required]}


def components_text(console: ConsoleServices, item: Instance) -> str:
    from console.core.optional_components import CHOSEN, PREREQUISITE, SITE_REQUIRED, component_name

    catalog, groups = console.context.catalog, _groups(console, item)
    needed_by = dict(groups.needed_by)

    def names(ids: Any, *, prerequisite: bool = False) -> str:
        parts = [f"{component_name(catalog, i)} ({i}"
                 + (f", for {', '.join(needed_by.get(i, ()))})" if prerequisite else ")") for i in ids]
        return ", ".join(parts) or "(none)"

    stored = ", ".join(str(i) for i in item.values.get("OptionalComponents") or ()) or "(none)"
    return (f"{CHOSEN}: {names(groups.chosen)}\n{PREREQUISITE}s: {names(groups.prerequisites, prerequisite=True)}\n"
            f"{SITE_REQUIRED}: {names(groups.site_required)}\nStored ids: {stored}")


def print_instance(console: ConsoleServices, item: Instance) -> None:
    from console.core.values import format_value

    cls = console.registry[item.class_name]
    rows = []
    for name, prop in cls.properties.items():
        if name not in item.values:
            rows.append((name, "(lazy: not fetched, use --lazy)"))
            continue
        value = item.values[name]
        if prop.is_embedded and value:
            text = "\n".join(_embedded_line(console, v) for v in value)
        elif name == "OptionalComponents" and item.class_name == "SMS_BootImagePackage":
            text = components_text(console, item)
        else:
            text = format_value(prop, value)
        rows.append((name, text))
    property_list(rows)


def _embedded_line(console: ConsoleServices, value: Instance) -> str:
    from console.core.values import format_value

    cls = console.registry[value.class_name]
    parts = [f"{k}={format_value(cls.properties[k], v)}" for k, v in value.values.items()]
    return f"{value.class_name}: " + ", ".join(parts)


def cmd_new(args: argparse.Namespace) -> None:
    console = open_site(args)
    if args.no_image_read:
        if not args.name:
            raise ValidationError.single("Name", "--name is required with --no-image-read (the image's name is not read)")
        result = console.packages.create(
            name=args.name, image_path=args.path, image_index=args.index,
            version=args.version, description=args.description, folder_id=args.folder,
        )
    else:  # reads the WIM: a missing or unreadable file is an error and nothing is written
        from console.core.wim_errors import WimAccessError, WimNotFoundError

        try:
            result = console.packages.create_from_wim(
                args.path, args.index, args.name, args.version, args.description, args.folder,
                allow_unsupported=args.allow_unsupported,
            )
        except (WimNotFoundError, WimAccessError) as exc:
            raise type(exc)(
                exc.path, f"{exc.reason}. Nothing was recorded. Check the path, or add --no-image-read to record "
                "the package now and read the image later with `bootimage reload ID`"
            ) from None
    for note in result.changes.notes:
        print(note, file=sys.stderr)
    if args.json:
        emit_json(instance_json(console, result.value))
    else:
        print(result.value["PackageID"])


def _split_assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ValidationError.single(text, f"{text!r} is not PROP=VALUE (for example ScratchSpace=256)")
    return name.strip(), value


def parse_assignments(console: ConsoleServices, assignments: list[str]) -> dict[str, Any]:
    cls = console.packages.cls
    validator = console.context.validator
    changes: dict[str, Any] = {}
    for text in assignments:
        name, raw = _split_assignment(text)
        prop = validator.resolve(cls, name)
        validator.check_writable(cls, prop)
        changes[prop.name] = validator.coercer.parse_text(prop, raw)
    return changes


def cmd_set(args: argparse.Namespace) -> None:
    """One service call (``packages.apply``) composes the optional-component and driver
    deltas on what is stored, inside the save: concurrent `set --add-…` never lose each other."""
    console = open_site(args)
    if not (args.assignments or args.add_optional_component or args.remove_optional_component
            or args.add_driver or args.remove_driver):
        raise UnknownPropertyError.single(
            "", "nothing to change: give PROP=VALUE pairs, --add/--remove-optional-component or --add/--remove-driver"
        )
    changes = parse_assignments(console, args.assignments)
    from console.cli.drivers import print_referenced_drivers

    result = console.packages.apply(
        args.package_id, changes,
        add_components=args.add_optional_component, remove_components=args.remove_optional_component,
        add_drivers=args.add_driver, remove_drivers=args.remove_driver, expected_version=args.expected_version,
    )
    applied = result.value
    names = set(changes)
    if applied.components is not None:
        names.add("OptionalComponents")
    if applied.drivers is not None:
        names.add("ReferencedDrivers")
    if args.json:
        data = instance_json(console, applied.package)
        data["__notes"] = list(applied.notes)
        emit_json(data)
        return
    pid = applied.package["PackageID"]
    if result.changes.empty:
        print(f"{pid}: nothing changed")
    else:
        print(f"{pid}: saved ({', '.join(sorted(names))}); SedoObjectVersion {applied.package['SedoObjectVersion']}")
    for note in applied.notes:
        print(note)
    if "OptionalComponents" in names:
        catalog = console.context.catalog
        component_names = [catalog.by_id(i).name for i in applied.package["OptionalComponents"]]
        print("optional components: " + (", ".join(component_names) or "(none)"))
    if "ReferencedDrivers" in names:
        print_referenced_drivers(console, applied.package)


def cmd_remove(args: argparse.Namespace) -> None:
    console = open_site(args)
    item = console.packages.get(args.package_id)
    if not confirm_removal(args, item["PackageID"], f"Remove boot image {item['PackageID']} ({item['Name']})?"):
        return
    console.packages.delete(item["PackageID"])
    print(f"removed {item['PackageID']} ({item['Name']})")
