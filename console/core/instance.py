"""Instances of metadata-defined classes: a class name plus typed property values."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Instance:
    """An object as the provider returns it.

    ``values`` holds Python values normalized per the property's CIM type
    (``str``, ``int``, ``bool``, aware UTC ``datetime``, ``bytes`` for ``UInt8[]``,
    tuples for other arrays and ``Instance`` tuples for embedded objects).
    When ``lazy_loaded`` is false, lazy and large properties were not fetched
    (as in a WMI query) and are absent from ``values``.
    """

    class_name: str
    values: Mapping[str, Any] = field(default_factory=dict)
    lazy_loaded: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def __contains__(self, name: object) -> bool:
        return name in self.values

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def __hash__(self) -> int:
        return hash((self.class_name, tuple(sorted((k, repr(v)) for k, v in self.values.items()))))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Instance)
            and self.class_name == other.class_name
            and dict(self.values) == dict(other.values)
        )

    def replace(self, **changes: Any) -> Instance:
        return Instance(self.class_name, {**self.values, **changes}, self.lazy_loaded)
