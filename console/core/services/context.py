"""Shared dependencies of the services (built once by the composition root)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from console.core.classdef import ClassDef, ClassRegistry
from console.core.errors import SiteNotInitializedError, ValidationError
from console.core.images import ImageReader
from console.core.input_locales import InputLocaleCatalog
from console.core.object_locks import ConsoleId
from console.core.optional_components import OptionalComponentCatalog
from console.core.ports import Site, UnitOfWork, UnitOfWorkFactory
from console.core.security import Identity
from console.core.validation import Validator

SITE_CODE = re.compile(r"^[A-Z0-9]{3}$")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def check_site_code(code: str) -> str:
    code = code.strip().upper()
    if not SITE_CODE.match(code):
        raise ValidationError.single(
            "SiteCode", f"site code {code!r} must be exactly 3 letters or digits, such as PS1"
        )
    return code


@dataclass
class ServiceContext:
    registry: ClassRegistry
    catalog: OptionalComponentCatalog
    uow: UnitOfWorkFactory
    user: str
    clock: Callable[[], datetime] = field(default=utc_now)
    images: ImageReader | None = None  # reads WIM metadata (console.wim.reader.WimReader)
    input_locales: InputLocaleCatalog | None = None  # resources/input-locales.xml
    identity: Identity | None = None  # who is connected, with roles and scopes (None: the single administrator)
    console: ConsoleId = field(default_factory=ConsoleId)  # this process, as object locks name it
    honour_object_locks: bool = True  # False in the worker: site jobs are not held back by an open sheet

    @property
    def is_full_administrator(self) -> bool:
        return self.identity is None or self.identity.is_full_administrator

    @cached_property
    def validator(self) -> Validator:
        return Validator(self.registry)

    def cls(self, name: str) -> ClassDef:
        return self.registry[name]

    def local_site(self, uow: UnitOfWork) -> Site:
        site = uow.sites.local()
        if site is None:
            raise SiteNotInitializedError(
                "this site database has no site yet: run `bootimage site init --site-code PS1` "
                "(the console creates site PS1 on first start)"
            )
        return site
