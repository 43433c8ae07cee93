"""Typed property values: coercion, CIM datetimes, text and JSON forms.

One place decides how each CIM type looks in Python, in the CLI's ``Prop=Value``
syntax, in JSON output and on screen, so every front end agrees.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from console.core.blobs import blob_limit, check_blob, read_blob_file
from console.core.classdef import ClassDef, ClassRegistry, PropertyDef
from console.core.errors import Problem, ValidationError
from console.core.input_limits import MULTILINE_TEXT_PROPERTIES, PLAIN_TEXT_PROPERTIES, check_text, parse_json
from console.core.instance import Instance

_CIM_DATETIME = re.compile(
    r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.(\d{6})([+-])(\d{3}|\*{3})$"
)
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
CLASS_KEY = "__class"
NOT_LOADED_KEY = "__notLoaded"


def parse_cim_datetime(text: str) -> datetime:
    """Parse the DMTF datetime form ``yyyymmddHHMMSS.mmmmmmsUUU`` (``***`` = UTC)."""
    match = _CIM_DATETIME.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a CIM datetime (yyyymmddHHMMSS.mmmmmm+UUU)")
    year, month, day, hour, minute, second, micro, sign, offset = match.groups()
    minutes = 0 if offset == "***" else int(offset) * (1 if sign == "+" else -1)
    tz = timezone(timedelta(minutes=minutes))
    value = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), int(micro), tzinfo=tz
    )
    return value.astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_datetime(text: str) -> datetime:
    """Accept ISO 8601 (``2026-11-23T10:00:00Z``) or the CIM form."""
    text = text.strip()
    if _CIM_DATETIME.match(text):
        return parse_cim_datetime(text)
    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date and time; use ISO 8601 such as 2026-11-23T10:00:00Z"
        ) from None


def format_datetime(value: datetime | None) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix (the JSON and display form)."""
    if value is None:
        return ""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


class ValueCoercer:
    """Turns raw input (Python, JSON or text) into the canonical value of a property."""

    def __init__(self, registry: ClassRegistry) -> None:
        self.registry = registry

    # -- Python / JSON ---------------------------------------------------------------

    def coerce(self, prop: PropertyDef, value: Any) -> Any:
        """Canonical Python value, or ValidationError naming the property."""
        if value is None:
            return None
        if prop.is_array:
            if prop.cim_type == "uint8" and not prop.is_embedded:
                return self._bytes(prop, value)
            if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
                raise ValidationError.single(
                    prop.name, f"{prop.name} is an array ({prop.display_type}); give a list of values"
                )
            return tuple(self._scalar(prop, item, index) for index, item in enumerate(value))
        return self._scalar(prop, value, None)

    def _scalar(self, prop: PropertyDef, value: Any, index: int | None) -> Any:
        where = prop.name if index is None else f"{prop.name}[{index}]"
        if prop.embedded_class:
            return self.embedded(prop, value, where)
        kind = prop.cim_type
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            raise ValidationError.single(prop.name, f"{where} must be true or false, not {value!r}")
        if prop.integer_range is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, str):
                    return self._scalar(prop, self._int_text(prop, value, where), index)
                raise ValidationError.single(prop.name, f"{where} must be a whole number, not {value!r}")
            low, high = prop.integer_range
            if not low <= value <= high:
                raise ValidationError.single(
                    prop.name, f"{where} must be between {low} and {high} ({prop.type_name}); got {value}"
                )
            return value
        if kind == "datetime":
            try:
                if isinstance(value, datetime):
                    return as_utc(value)
                if isinstance(value, str):
                    return parse_datetime(value)
            except ValueError as exc:
                raise ValidationError.single(prop.name, f"{where}: {exc}") from None
            except OverflowError:
                raise ValidationError.single(
                    prop.name, f"{where}: {str(value)[:40]!r} is out of range: dates run from "
                               "0001-01-01 to 9999-12-31 (UTC)") from None
            raise ValidationError.single(prop.name, f"{where} must be a date and time, not {value!r}")
        if kind in ("real32", "real64"):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            raise ValidationError.single(prop.name, f"{where} must be a number, not {value!r}")
        if not isinstance(value, str):
            raise ValidationError.single(prop.name, f"{where} must be text, not {value!r}")
        key = prop.name.casefold()
        return check_text(prop.name, value, where, plain=key in PLAIN_TEXT_PROPERTIES,
                          multiline=key in MULTILINE_TEXT_PROPERTIES)

    def _int_text(self, prop: PropertyDef, text: str, where: str) -> int:
        text = text.strip()
        for choice in prop.choices:
            if choice.name.lower() == text.lower() or choice.name.split(" ")[0].lower() == text.lower():
                return int(choice.value)
        try:
            return int(text, 0)
        except ValueError:
            allowed = describe_choices(prop)
            hint = f"; allowed: {allowed}" if allowed else ""
            raise ValidationError.single(
                prop.name, f"{where} must be a whole number, not {text!r}{hint}"
            ) from None

    def _bytes(self, prop: PropertyDef, value: Any) -> bytes:
        """Bytes of a UInt8[] property within its limit (and an image for Icon)."""
        return check_blob(prop, self._raw_bytes(prop, value))

    def _raw_bytes(self, prop: PropertyDef, value: Any) -> bytes:
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if isinstance(value, str):
            if len(value) > blob_limit(prop) * 4 // 3 + 4:
                check_blob(prop, b"\0" * (len(value) * 3 // 4))  # refused before decoding
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise ValidationError.single(
                    prop.name, f"{prop.name} must be base64-encoded bytes"
                ) from None
        if isinstance(value, (list, tuple)) and all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value
        ):
            return bytes(value)
        raise ValidationError.single(prop.name, f"{prop.name} must be bytes (UInt8[])")

    def embedded(self, prop: PropertyDef, value: Any, where: str) -> Instance:
        base = prop.embedded_class or ""
        if isinstance(value, Instance):
            class_name, raw = value.class_name, dict(value.values)
        elif isinstance(value, Mapping):
            raw = dict(value)
            class_name = str(raw.pop(CLASS_KEY, base))
        else:
            raise ValidationError.single(
                prop.name, f"{where} must be an {base} object, not {value!r}"
            )
        if class_name not in self.registry or not self.registry.is_a(class_name, base):
            concrete = ", ".join(c.name for c in self.registry.subclasses(base)) or base
            raise ValidationError.single(
                prop.name, f"{where}: {class_name!r} is not a kind of {base} (use {concrete})"
            )
        cls = self.registry[class_name]
        if cls.is_abstract:
            concrete = ", ".join(c.name for c in self.registry.subclasses(base))
            raise ValidationError.single(
                prop.name, f"{where}: {class_name} is abstract; use one of {concrete}"
            )
        return self.instance(cls, raw, where=where, owner=prop.name)

    def instance(
        self, cls: ClassDef, raw: Mapping[str, Any], *, where: str = "", owner: str = ""
    ) -> Instance:
        """Build an embedded instance with defaults for missing properties."""
        values = cls.defaults()
        problems: list[Problem] = []
        for name, item in raw.items():
            sub = cls.property(name)
            if sub is None:
                problems.append(
                    Problem(owner or name, f"{where or cls.name}: {cls.name} has no property {name!r}")
                )
                continue
            try:
                values[sub.name] = self.coerce(sub, item)
            except ValidationError as exc:
                problems.extend(Problem(owner or p.property, f"{where}.{p.message}" if where else p.message) for p in exc.problems)
        if problems:
            raise ValidationError(problems)
        return Instance(cls.name, values)

    # -- text (CLI ``Prop=Value``) --------------------------------------------------------

    def parse_text(self, prop: PropertyDef, text: str) -> Any:
        """Parse the CLI form. Arrays are comma separated, bits may be ``A|B``,
        embedded objects are JSON, UInt8[] is base64 or ``@file``."""
        if prop.embedded_class:
            data = parse_json(prop, text) if text.strip() else []
            if prop.is_array and isinstance(data, dict):
                data = [data]
            return self.coerce(prop, data)
        if prop.is_array and prop.cim_type == "uint8":
            if text.startswith("@"):
                return read_blob_file(prop, text[1:])
            return self._bytes(prop, text)
        if prop.is_array:
            items = [part.strip() for part in text.split(",") if part.strip()]
            return self.coerce(prop, [self._text_scalar(prop, item) for item in items])
        return self.coerce(prop, self._text_scalar(prop, text))

    def _text_scalar(self, prop: PropertyDef, text: str) -> Any:
        if prop.is_bits and not _is_integer(text):
            mask = 0
            for part in (p.strip() for p in text.split("|")):
                flag = next((f for f in prop.bit_flags if f.name.lower() == part.lower()), None)
                if flag is None:
                    try:
                        mask |= int(part, 0)
                    except ValueError:
                        names = ", ".join(f.name for f in prop.bit_flags)
                        raise ValidationError.single(
                            prop.name, f"{prop.name}: unknown flag {part!r}; known flags: {names}"
                        ) from None
                else:
                    mask |= flag.mask
            return mask
        if prop.integer_range is not None:
            return self._int_text(prop, text, prop.name)
        return text

    # -- JSON output -----------------------------------------------------------------------

    def to_json(self, prop: PropertyDef, value: Any) -> Any:
        if value is None:
            return None
        if prop.is_array and prop.cim_type == "uint8" and not prop.is_embedded:
            return base64.b64encode(bytes(value)).decode("ascii")
        if prop.is_array:
            return [self._json_scalar(prop, item) for item in value]
        return self._json_scalar(prop, value)

    def _json_scalar(self, prop: PropertyDef, value: Any) -> Any:
        if isinstance(value, Instance):
            return self.instance_to_json(value)
        if isinstance(value, datetime):
            return format_datetime(value)
        return value

    def instance_to_json(self, instance: Instance, *, all_properties: bool = False) -> dict[str, Any]:
        """Stable JSON form, properties in class order. With ``all_properties`` every property
        of the class is there: lazy ones that were not fetched are ``null`` and listed under
        ``__notLoaded``."""
        cls = self.registry[instance.class_name]
        data: dict[str, Any] = {CLASS_KEY: instance.class_name}
        not_loaded = []
        for name, prop in cls.properties.items():
            if name in instance.values:
                data[name] = self.to_json(prop, instance.values[name])
            elif all_properties:
                data[name] = None
                not_loaded.append(name)
        if not_loaded:
            data[NOT_LOADED_KEY] = not_loaded
        return data


def _is_integer(text: str) -> bool:
    try:
        int(text.strip(), 0)
    except ValueError:
        return False
    return True


def describe_choices(prop: PropertyDef) -> str:
    """``32, 64, 128, 256, 512`` or ``1 (HIGH), 2 (NORMAL), 3 (LOW)``."""
    parts = []
    for choice in prop.choices:
        shown = choice.value if choice.value != "" else '""'
        if choice.name == choice.value or choice.name.startswith(choice.value + " "):
            parts.append(shown)
        else:
            parts.append(f"{shown} ({choice.name})")
    return ", ".join(parts)


def format_value(prop: PropertyDef, value: Any) -> str:
    """Human-readable form for tables and the property sheet's All Properties tab."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return as_utc(value).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, bytes):
        return f"{len(value)} bytes" if value else ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if prop.is_bits and isinstance(value, int):
        names = [f.name for f in prop.bit_flags if value & f.mask]
        rest = value & ~sum(f.mask for f in prop.bit_flags)
        if rest:
            names.append(f"0x{rest:08X}")
        return " | ".join(names) if names else "0"
    if isinstance(value, tuple):
        if prop.is_embedded:
            return f"{len(value)} item" + ("" if len(value) == 1 else "s")
        return ", ".join(prop.choice_name(v) or str(v) for v in value)
    name = prop.choice_name(value)
    if name is None or name == str(value) or (str(value) == "" and name):
        return str(value) if name is None or str(value) else ""
    if name.startswith(f"{value} "):
        return name
    return f"{value} ({name})"
