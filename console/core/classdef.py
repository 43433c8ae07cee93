"""Class metadata: immutable definitions of CIM classes, properties and methods.

These objects are built by ``console.metadata`` from the CIM-XML files in
``resources/classes`` and drive everything else: validation, storage, property
sheets and the CLI. Qualifier names are matched case-insensitively, as in CIM.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

QualifierValue = bool | int | str | tuple[str, ...] | tuple[int, ...]

#: CIM intrinsic types (DSP0004) and the range of the integer ones.
INTEGER_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "uint8": (0, 2**8 - 1),
        "uint16": (0, 2**16 - 1),
        "uint32": (0, 2**32 - 1),
        "uint64": (0, 2**64 - 1),
        "sint8": (-(2**7), 2**7 - 1),
        "sint16": (-(2**15), 2**15 - 1),
        "sint32": (-(2**31), 2**31 - 1),
        "sint64": (-(2**63), 2**63 - 1),
    }
)
CIM_TYPES = frozenset({*INTEGER_RANGES, "string", "boolean", "datetime", "real32", "real64", "char16"})

#: How the MOF language spells each CIM type.
MOF_TYPE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "uint8": "UInt8",
        "uint16": "UInt16",
        "uint32": "UInt32",
        "uint64": "UInt64",
        "sint8": "SInt8",
        "sint16": "SInt16",
        "sint32": "SInt32",
        "sint64": "SInt64",
        "string": "String",
        "boolean": "Boolean",
        "datetime": "DateTime",
        "real32": "Real32",
        "real64": "Real64",
        "char16": "Char16",
    }
)


class Qualifiers(Mapping[str, QualifierValue]):
    """A read-only, case-insensitive mapping of qualifier name to value."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, QualifierValue] | None = None) -> None:
        self._items: dict[str, tuple[str, QualifierValue]] = {
            name.lower(): (name, value) for name, value in (items or {}).items()
        }

    def __getitem__(self, name: str) -> QualifierValue:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Qualifiers({dict(self.items())!r})"

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, repr(v)) for k, (_, v) in self._items.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Qualifiers) and dict(self.items()) == dict(other.items())

    def flag(self, name: str) -> bool:
        value = self.get(name, False)
        return bool(value) if isinstance(value, bool) else False

    def text(self, name: str, default: str = "") -> str:
        value = self.get(name)
        return value if isinstance(value, str) else default

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.get(name)
        if isinstance(value, tuple):
            return tuple(str(v) for v in value)
        if isinstance(value, str):
            return (value,)
        return ()

    def merged(self, override: Qualifiers) -> Qualifiers:
        """Qualifiers of an overriding declaration on top of the inherited ones."""
        combined: dict[str, QualifierValue] = dict(self.items())
        lowered = {k.lower(): k for k in combined}
        for name, value in override.items():
            combined.pop(lowered.get(name.lower(), name), None)
            combined[name] = value
        return Qualifiers(combined)


def _parse_limit(text: str) -> tuple[int, int] | None:
    """Parse a ``SizeLimit``/``Range`` qualifier: ``"8"`` or ``"1-50"``."""
    text = text.strip()
    if not text:
        return None
    low, sep, high = text.partition("-")
    try:
        if not sep:
            return int(low), int(low)
        return int(low), int(high)
    except ValueError:
        return None


@dataclass(frozen=True)
class EnumChoice:
    """One value of a ``ValueMap``/``Values`` enumeration."""

    value: str
    name: str


@dataclass(frozen=True)
class BitFlag:
    """One documented bit of a ``bits`` property (``BitMap``/``BitValues``)."""

    bit: int
    name: str

    @property
    def mask(self) -> int:
        return 1 << self.bit


@dataclass(frozen=True)
class PropertyDef:
    """A property of a class, with its inherited/overridden qualifiers resolved."""

    name: str
    cim_type: str
    is_array: bool = False
    qualifiers: Qualifiers = field(default_factory=Qualifiers)
    default: Any = None
    class_origin: str = ""
    embedded_class: str | None = None
    source: str = ""

    @cached_property
    def description(self) -> str:
        return self.qualifiers.text("Description")

    @cached_property
    def is_key(self) -> bool:
        return self.qualifiers.flag("key")

    @cached_property
    def is_read_only(self) -> bool:
        """Read-only unless the metadata grants write access (keys are never writable)."""
        return self.is_key or not self.qualifiers.flag("write")

    @cached_property
    def is_lazy(self) -> bool:
        return self.qualifiers.flag("lazy")

    @cached_property
    def is_large(self) -> bool:
        return self.qualifiers.flag("large")

    @cached_property
    def is_deferred(self) -> bool:
        """Loaded only on demand: lazy or large properties."""
        return self.is_lazy or self.is_large

    @cached_property
    def is_bits(self) -> bool:
        return self.qualifiers.flag("bits")

    @cached_property
    def is_embedded(self) -> bool:
        return self.embedded_class is not None

    @cached_property
    def is_real_world(self) -> bool:
        """Present on real sites but missing from the SDK's MOF listing."""
        return self.qualifiers.flag("RealWorld")

    @cached_property
    def not_null(self) -> bool:
        return self.qualifiers.flag("not_null")

    @cached_property
    def units(self) -> str:
        return self.qualifiers.text("Units")

    @cached_property
    def max_items(self) -> int | None:
        value = self.qualifiers.get("max")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @cached_property
    def size_limit(self) -> tuple[int, int] | None:
        return _parse_limit(self.qualifiers.text("SizeLimit"))

    @cached_property
    def value_range(self) -> tuple[int, int] | None:
        return _parse_limit(self.qualifiers.text("Range"))

    @cached_property
    def choices(self) -> tuple[EnumChoice, ...]:
        values = self.qualifiers.strings("ValueMap")
        names = self.qualifiers.strings("Values")
        return tuple(
            EnumChoice(value, names[i] if i < len(names) else value) for i, value in enumerate(values)
        )

    @cached_property
    def bit_flags(self) -> tuple[BitFlag, ...]:
        bits = self.qualifiers.strings("BitMap")
        names = self.qualifiers.strings("BitValues")
        return tuple(
            BitFlag(int(bit), names[i] if i < len(names) else f"BIT_{bit}") for i, bit in enumerate(bits)
        )

    @cached_property
    def integer_range(self) -> tuple[int, int] | None:
        return INTEGER_RANGES.get(self.cim_type)

    @cached_property
    def type_name(self) -> str:
        """Type as MOF spells it: ``UInt32``, ``String``, or the embedded class name."""
        if self.embedded_class:
            return self.embedded_class
        return MOF_TYPE_NAMES.get(self.cim_type, self.cim_type)

    @cached_property
    def display_type(self) -> str:
        return self.type_name + ("[]" if self.is_array else "")

    def choice_name(self, value: object) -> str | None:
        for choice in self.choices:
            if choice.value == str(value):
                return choice.name
        return None

    def access_text(self) -> str:
        if self.is_key:
            return "key"
        return "read-only" if self.is_read_only else "read/write"

    def qualifier_summary(self) -> str:
        """Short qualifier list as the SDK documentation prints it: ``lazy, max(15)``."""
        parts = []
        for name in ("key", "read", "write", "lazy", "large", "bits", "not_null"):
            if self.qualifiers.flag(name):
                parts.append(name)
        if self.max_items is not None:
            parts.append(f"max({self.max_items})")
        for name in ("SizeLimit", "Range", "Units"):
            text = self.qualifiers.text(name)
            if text:
                parts.append(f'{name}("{text}")')
        return ", ".join(parts)


@dataclass(frozen=True)
class ParameterDef:
    name: str
    cim_type: str
    is_array: bool = False
    qualifiers: Qualifiers = field(default_factory=Qualifiers)
    embedded_class: str | None = None

    @property
    def is_in(self) -> bool:
        return self.qualifiers.flag("In")

    @property
    def is_out(self) -> bool:
        return self.qualifiers.flag("Out")

    @property
    def description(self) -> str:
        return self.qualifiers.text("Description")

    @property
    def type_name(self) -> str:
        if self.embedded_class:
            return self.embedded_class
        return MOF_TYPE_NAMES.get(self.cim_type, self.cim_type)


@dataclass(frozen=True)
class MethodDef:
    name: str
    return_type: str = "sint32"
    parameters: tuple[ParameterDef, ...] = ()
    qualifiers: Qualifiers = field(default_factory=Qualifiers)
    class_origin: str = ""

    @property
    def description(self) -> str:
        return self.qualifiers.text("Description")

    @property
    def is_static(self) -> bool:
        return self.qualifiers.flag("Static")

    @property
    def in_parameters(self) -> tuple[ParameterDef, ...]:
        return tuple(p for p in self.parameters if p.is_in)

    @property
    def out_parameters(self) -> tuple[ParameterDef, ...]:
        return tuple(p for p in self.parameters if p.is_out)


@dataclass(frozen=True)
class ClassDef:
    """A class with inheritance resolved: ``properties`` include inherited ones."""

    name: str
    superclass: str | None
    qualifiers: Qualifiers
    properties: Mapping[str, PropertyDef]
    methods: Mapping[str, MethodDef]
    source: str = ""

    @property
    def description(self) -> str:
        return self.qualifiers.text("Description")

    @property
    def is_abstract(self) -> bool:
        return self.qualifiers.flag("Abstract")

    @property
    def is_embedded(self) -> bool:
        return self.qualifiers.flag("Embedded")

    def property(self, name: str) -> PropertyDef | None:
        """Look a property up by name, case-insensitively (as WMI does)."""
        found = self.properties.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        for prop in self.properties.values():
            if prop.name.lower() == lowered:
                return prop
        return None

    def defaults(self) -> dict[str, Any]:
        return {name: prop.default for name, prop in self.properties.items()}


class ClassRegistry(Mapping[str, ClassDef]):
    """All known classes by name (case-insensitive lookup)."""

    def __init__(self, classes: Mapping[str, ClassDef]) -> None:
        self._classes = dict(sorted(classes.items()))
        self._lower = {name.lower(): name for name in self._classes}

    def __getitem__(self, name: str) -> ClassDef:
        return self._classes[self._lower.get(name.lower(), name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lower

    def subclasses(self, name: str, *, include_abstract: bool = False) -> tuple[ClassDef, ...]:
        """Every class derived (directly or not) from ``name``."""
        result = []
        for cls in self._classes.values():
            parent = cls.superclass
            while parent:
                if parent.lower() == name.lower():
                    if include_abstract or not cls.is_abstract:
                        result.append(cls)
                    break
                parent = self._classes[self._lower[parent.lower()]].superclass if parent.lower() in self._lower else None
        return tuple(result)

    def is_a(self, name: str, ancestor: str) -> bool:
        current: str | None = name
        while current:
            if current.lower() == ancestor.lower():
                return True
            current = self[current].superclass if current in self else None
        return False
