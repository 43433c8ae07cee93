"""What a build hands to the revisions service, and one revision as a list shows it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from console.core.content import ImageListing, Manifest, RegistryValue
from console.core.image_facts import ImageFacts
from console.core.values import format_datetime


@dataclass(frozen=True)
class BuiltImage:
    """What a build job hands over after the pipeline verified the image.

    ``files``: relative path in the package content -> built file (in the job's work folder).
    ``facts``: the built image as the WIM reader sees it (ImageOSVersion, ImageProperty, ...).
    ``properties``: JSON forms of the property values the build used (None: the package's
    current values of ``SHAPING_PROPERTIES``). ``summary``: what was applied ("2 drivers,
    scratch 128 MB, prestart command"). ``context_id``: the job's ContextID (makes a retry
    resume instead of recording a second revision)."""

    files: Mapping[str, Path]
    facts: ImageFacts | None = None
    image_listing: ImageListing | None = None
    registry: Sequence[RegistryValue] = ()
    properties: Mapping[str, Any] | None = None
    summary: str = ""
    duration_seconds: float | None = None
    context_id: str = ""


@dataclass(frozen=True)
class Revision:
    """One row of ``bootimage revisions``."""

    package_id: str
    version: int
    created_at: datetime
    created_by: str
    size: int
    summary: str
    changes: tuple[str, ...]
    current: bool
    recorded: bool  # False: stored, but its build never reached the database (interrupted)
    origin: str
    rolled_back_from: int | None

    @classmethod
    def of(cls, m: Manifest, *, current: bool, recorded: bool = True) -> Revision:
        return cls(m.package_id, m.version, m.created_at, m.created_by, m.size, m.summary, m.changes, current,
                   recorded, m.origin, m.rolled_back_from)

    def to_json(self) -> dict[str, Any]:
        return {"package_id": self.package_id, "version": self.version, "content_id": f"{self.package_id}.{self.version}",
                "created_at": format_datetime(self.created_at), "created_by": self.created_by, "size": self.size,
                "summary": self.summary, "changes": list(self.changes), "current": self.current,
                "recorded": self.recorded, "origin": self.origin, "rolled_back_from": self.rolled_back_from}
