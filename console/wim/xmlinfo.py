"""The WIM XML metadata document → ``ImageInfo`` values (lxml, hardened parser).

Safety: a document that declares a DOCTYPE or an ENTITY is refused before parsing, and
the parser itself never resolves entities, loads DTDs or touches the network, and keeps
libxml2's size limits (``huge_tree=False``). Bad numbers inside an otherwise good
document do not fail the read: the field is left unknown and a warning says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from console.core.images import FileTime, ImageInfo
from console.core.wim_errors import EncryptedWimError, UnsafeWimXmlError, WimXmlError

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_UNSAFE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_HEX32 = re.compile(r"^0[xX][0-9A-Fa-f]{1,8}$")
_MAX_DIGITS = 20  # a u64 has at most 20 decimal digits


@dataclass(frozen=True)
class XmlDocument:
    images: list[ImageInfo]
    total_bytes: int | None
    warnings: list[str]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_blank_text=False,
    )


def parse_document(text: str, *, source: str, boot_index: int = 0) -> XmlDocument:
    """Parse a WIM XML document; ``source`` (a path) goes into every error message."""
    unsafe = _UNSAFE.search(text)
    if unsafe:
        raise UnsafeWimXmlError(
            source, f"the XML metadata contains a <!{unsafe.group(1).upper()}> declaration; refused "
            "(WIM metadata never has one; entities are never expanded and nothing is fetched)"
        )
    body = _DECLARATION.sub("", text, count=1)
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise WimXmlError(source, f"the XML metadata is not well-formed XML: {exc}") from None
    except ValueError as exc:  # e.g. characters XML does not allow at all
        raise WimXmlError(source, f"the XML metadata is not well-formed XML: {exc}") from None
    if root.tag != "WIM":
        raise WimXmlError(source, f"the XML metadata's root element is <{root.tag}>, not <WIM>")
    if root.find("ESD/ENCRYPTED") is not None:
        raise EncryptedWimError(
            source, "this is an encrypted ESD (its XML metadata has ESD/ENCRYPTED): its images cannot be read; "
            "use a decrypted copy or an unencrypted WIM"
        )
    warnings: list[str] = []
    elements = root.findall("IMAGE")
    indexed: dict[int, etree._Element] = {}
    for position, element in enumerate(elements, 1):
        raw = element.get("INDEX")
        index = _integer(raw) if raw is not None else None
        if index is None or not 1 <= index <= len(elements) or index in indexed:
            raise WimXmlError(
                source, f"IMAGE element {position} of {len(elements)} has INDEX {raw!r}; "
                f"the indexes must be 1 to {len(elements)}, each once"
            )
        indexed[index] = element
    images = [_image(index, indexed[index], boot_index, warnings) for index in sorted(indexed)]
    return XmlDocument(images, _number(root, "TOTALBYTES", "WIM", warnings), warnings)


def _image(index: int, el: etree._Element, boot_index: int, warnings: list[str]) -> ImageInfo:
    where = f"image {index}"
    windows = el.find("WINDOWS")
    version = ""
    sp_level = None
    if windows is not None and windows.find("VERSION/MAJOR") is not None:
        parts = [_number(windows, f"VERSION/{p}", where, warnings) for p in ("MAJOR", "MINOR", "BUILD", "SPBUILD")]
        if parts[0] is not None:
            version = ".".join(str(p or 0) for p in parts)
        sp_level = _number(windows, "VERSION/SPLEVEL", where, warnings)
    arch = _number(windows, "ARCH", where, warnings) if windows is not None else None
    languages = tuple(t for t in (_clean(e.text) for e in el.findall("WINDOWS/LANGUAGES/LANGUAGE")) if t)
    default = _text(el, "WINDOWS/LANGUAGES/DEFAULT") or (languages[0] if languages else "")
    return ImageInfo(
        index=index,
        name=_text(el, "NAME"),
        description=_text(el, "DESCRIPTION"),
        display_name=_text(el, "DISPLAYNAME"),
        display_description=_text(el, "DISPLAYDESCRIPTION"),
        flags=_text(el, "FLAGS"),
        arch_code=arch,
        os_version=version,
        sp_level=sp_level,
        languages=languages,
        default_language=default,
        edition_id=_text(el, "WINDOWS/EDITIONID"),
        installation_type=_text(el, "WINDOWS/INSTALLATIONTYPE"),
        product_name=_text(el, "WINDOWS/PRODUCTNAME"),
        product_type=_text(el, "WINDOWS/PRODUCTTYPE"),
        hal=_text(el, "WINDOWS/HAL"),
        system_root=_text(el, "WINDOWS/SYSTEMROOT"),
        total_bytes=_number(el, "TOTALBYTES", where, warnings),
        hard_link_bytes=_number(el, "HARDLINKBYTES", where, warnings),
        file_count=_number(el, "FILECOUNT", where, warnings),
        dir_count=_number(el, "DIRCOUNT", where, warnings),
        creation_filetime=_filetime(el, "CREATIONTIME", where, warnings),
        modification_filetime=_filetime(el, "LASTMODIFICATIONTIME", where, warnings),
        wimboot=_text(el, "WIMBOOT") == "1",
        is_boot_image=index == boot_index,
        has_windows_info=windows is not None,
    )


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _text(el: etree._Element, path: str) -> str:
    found = el.find(path)
    return _clean(found.text) if found is not None else ""


def _integer(text: str | None) -> int | None:
    text = _clean(text)
    if not text or len(text) > _MAX_DIGITS or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def _number(el: etree._Element | None, path: str, where: str, warnings: list[str]) -> int | None:
    if el is None:
        return None
    found = el.find(path)
    if found is None:
        return None
    value = _integer(found.text)
    if value is None:
        warnings.append(f"{where}: {path} is {_clean(found.text)[:40]!r}, not a number; shown as unknown")
    return value


def _filetime(el: etree._Element, name: str, where: str, warnings: list[str]) -> FileTime | None:
    found = el.find(name)
    if found is None:
        return None
    high, low = _text(found, "HIGHPART"), _text(found, "LOWPART")
    if _HEX32.match(high) and _HEX32.match(low):
        return FileTime(high, low)
    warnings.append(f"{where}: {name} is not two 32-bit hex halves ({high[:20]!r}, {low[:20]!r}); shown as unknown")
    return None
