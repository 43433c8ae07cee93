"""Load ``resources/optional-components.xml`` into the core optional-component catalog."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from console.core.errors import MetadataError
from console.core.optional_components import OptionalComponent, OptionalComponentCatalog


def load_optional_components(path: Path | str) -> OptionalComponentCatalog:
    path = Path(path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except OSError as exc:
        raise MetadataError(f"cannot read optional component list: {exc}", file=str(path)) from None
    except etree.XMLSyntaxError as exc:
        raise MetadataError(f"not well-formed XML: {exc.msg}", file=str(path), line=exc.lineno) from None
    components = []
    names: set[str] = set()
    for el in root.iter("Component"):
        try:
            base_id = int(el.get("Id", ""))
        except ValueError:
            raise MetadataError("Component without a numeric Id", file=str(path), line=_line(el)) from None
        name = el.get("Name") or ""
        if not name:
            raise MetadataError(f"Component {base_id} has no Name", file=str(path), line=_line(el))
        names.add(name.lower())
        components.append(
            OptionalComponent(
                base_id=base_id,
                name=name,
                purpose=(el.findtext("Purpose") or "").strip(),
                cab=el.get("Cab") or f"{name}.cab",
                requires=tuple((r.text or "").strip() for r in el.findall("Requires")),
                aliases=tuple(a for a in (el.get("Alias") or "").split(",") if a),
                config_mgr_required=el.get("ConfigMgrRequired") == "true",
                has_languages=el.get("Languages") == "true",
            )
        )
    for comp in components:
        for req in comp.requires:
            if req.lower() not in names:
                raise MetadataError(f"{comp.name} requires unknown component {req}", file=str(path))
    return OptionalComponentCatalog(components, int(root.get("x64Offset", "26")))


def _line(element: etree._Element) -> int | None:
    line = element.sourceline
    return line if isinstance(line, int) else None
