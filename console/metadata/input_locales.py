"""Load ``resources/input-locales.xml`` into the core input-locale catalog."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from console.core.errors import MetadataError
from console.core.input_locales import InputLocale, InputLocaleCatalog


def load_input_locales(path: Path | str | None = None) -> InputLocaleCatalog:
    from console.paths import resources_dir

    path = Path(path) if path is not None else resources_dir() / "input-locales.xml"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except OSError as exc:
        raise MetadataError(f"cannot read the input locale list: {exc}", file=str(path)) from None
    except etree.XMLSyntaxError as exc:
        raise MetadataError(f"not well-formed XML: {exc.msg}", file=str(path), line=exc.lineno) from None
    locales = []
    for el in root.iter("Locale"):
        tag, name, profile = el.get("Tag") or "", el.get("Name") or "", el.get("Profile") or ""
        if not (tag and name and profile):
            line = el.sourceline if isinstance(el.sourceline, int) else None
            raise MetadataError("Locale needs Tag, Name and Profile", file=str(path), line=line)
        locales.append(InputLocale(tag, name, profile))
    return InputLocaleCatalog(locales)
