"""The one way the metadata files are parsed: lxml without DTDs, entities or network access."""

from __future__ import annotations

from typing import Any

from lxml import etree

from console.core.errors import MetadataError


def parse_root(data: bytes, source: str) -> Any:
    """The root element of ``data``; XML that is not well-formed is a ``MetadataError`` naming
    ``source`` and the line."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise MetadataError(f"not well-formed XML: {exc.msg}", file=source, line=exc.lineno or None) from None
