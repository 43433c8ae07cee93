"""``bootimage image-info WIM`` (GetImageProperties) and ``bootimage reload ID``
(ReloadImageProperties).

``image-info`` reads only the file: it imports neither the database layer nor Qt, so it
starts fast. The WIM reader is imported inside the handler.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from console.cli import argtypes
from console.cli.output import emit_json, property_list, raw_stdout

if TYPE_CHECKING:
    from console.core.images import ImageInfo, WimInfo


def register(sub: Any) -> None:
    info = sub.add_parser(
        "image-info", help="show the images inside a WIM file (GetImageProperties)",
        description="Read a WIM's header and XML metadata (never the whole file) and show its images.",
    )
    info.add_argument("path", metavar="WIM", type=argtypes.path, help="a .wim, .esd or .swm file")
    fmt = info.add_mutually_exclusive_group()
    fmt.add_argument("--xml", action="store_true", help="print the XML metadata (the ImageProperty string)")
    fmt.add_argument("--json", action="store_true", help="print header facts and every image as JSON")
    info.set_defaults(func=cmd_image_info)

    reload = sub.add_parser(
        "reload", help="re-read a package's source WIM and update its image properties (ReloadImageProperties)"
    )
    reload.add_argument("package_id", metavar="ID")
    reload.add_argument("--expected-version", default=None, metavar="SEDO",
                        help="SedoObjectVersion you read; refused if someone saved since")
    reload.add_argument("--json", action="store_true", help="print the package and what changed as JSON")
    reload.set_defaults(func=cmd_reload)


def cmd_image_info(args: argparse.Namespace) -> None:
    from console.core.errors import ValidationError
    from console.core.local_paths import unc_problem
    from console.wim.reader import WimReader

    problem = unc_problem(args.path, example="boot.wim")
    if problem:
        raise ValidationError.single("path", problem)
    info = WimReader().read(args.path)
    if args.xml:  # exact, like JSON
        raw_stdout().write(info.xml + "\n")
    elif args.json:
        emit_json(info.as_json())
    else:
        print_wim(info)


def _num(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def print_wim(info: WimInfo) -> None:
    kinds = [k for k, on in (("pipable", info.pipable), ("solid", info.solid), ("split", info.is_split),
                             ("integrity table", info.has_integrity_table)) if on]
    property_list([
        ("Path", info.path),
        ("Size", f"{info.file_size:,} bytes"),
        ("Format", f"WIM version 0x{info.version:X}, compression {info.compression}, chunk size {info.chunk_size}"),
        ("Kind", ", ".join(kinds) or "standard"),
        ("GUID", info.guid),
        ("Part", f"{info.part_number} of {info.total_parts}"),
        ("Images", f"{info.image_count} (boot index {info.boot_index or 'none'})"),
        ("XML metadata", f"{info.xml_size:,} bytes at offset {info.xml_offset:,}; {info.bytes_read:,} bytes read in all"),
    ])
    for warning in info.warnings:
        print(f"warning: {warning}")
    for image in info.images:
        print()
        print_image(image)


def print_image(image: ImageInfo) -> None:
    tags = [t for t, on in (("boot image", image.is_boot_image), ("Windows PE", image.is_windows_pe)) if on]
    print(f"Image {image.index}" + (f" ({', '.join(tags)})" if tags else ""))
    created, modified = image.creation_time, image.modification_time
    property_list([
        ("  Name", image.name),
        ("  Description", image.description),
        ("  Display name", image.display_name),
        ("  Architecture", image.architecture or image.architecture_text),
        ("  OS version", image.os_version),
        ("  Languages", ", ".join(image.languages) + (f" (default {image.default_language})" if image.default_language else "")),
        ("  Edition ID", image.edition_id),
        ("  Installation type", image.installation_type),
        ("  Product type", image.product_type),
        ("  Flags", image.flags),
        ("  Total bytes", _num(image.total_bytes)),
        ("  Files", _num(image.file_count)),
        ("  Directories", _num(image.dir_count)),
        ("  Created", created.strftime("%Y-%m-%dT%H:%M:%SZ") if created else ""),
        ("  Modified", modified.strftime("%Y-%m-%dT%H:%M:%SZ") if modified else ""),
    ])
    for problem in image.problems():
        print(f"  note: {problem}")


def cmd_reload(args: argparse.Namespace) -> None:
    from console.cli.output import instance_json
    from console.cli.runtime import open_site

    console = open_site(args)
    result = console.packages.reload_image_properties(args.package_id, expected_version=args.expected_version)
    pkg = result.value
    if args.json:
        data = instance_json(console, pkg)
        data["__notes"] = list(result.changes.notes)
        emit_json(data)
        return
    verb = "reloaded" if result.changes.updated else "reloaded, nothing changed"
    print(f"{pkg['PackageID']}: image properties {verb} from {pkg['ImagePath']} index {pkg['ImageIndex']}")
    for note in result.changes.notes:
        if note != "no changes":
            print(f"  {note}")
