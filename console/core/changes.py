"""The "what changed" value every service operation returns, so views refresh precisely."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Changes:
    added: frozenset[str] = frozenset()
    updated: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    folders: bool = False
    status_messages: bool = False
    notes: tuple[str, ...] = ()
    drivers: frozenset[int] = frozenset()  # CI_IDs of catalog drivers added, changed or removed
    distribution: bool = False  # distribution points, groups or content on them changed

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            self.added | other.added,
            self.updated | other.updated,
            self.removed | other.removed,
            self.folders or other.folders,
            self.status_messages or other.status_messages,
            self.notes + other.notes,
            self.drivers | other.drivers,
            self.distribution or other.distribution,
        )

    @property
    def packages(self) -> frozenset[str]:
        return self.added | self.updated | self.removed

    @property
    def empty(self) -> bool:
        return not (self.packages or self.folders or self.status_messages or self.drivers or self.distribution)


@dataclass(frozen=True)
class Result(Generic[T]):
    value: T
    changes: Changes = field(default_factory=Changes)
