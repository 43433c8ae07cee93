"""Sites of the hierarchy: the local site (created once) and the other sites it knows."""

from __future__ import annotations

from console.core.changes import Changes, Result
from console.core.errors import ValidationError
from console.core.ports import Site
from console.core.services.context import ServiceContext, check_site_code


class Sites:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def init(self, site_code: str, site_name: str = "") -> Result[Site]:
        """Create the local site. Idempotent for the same code; refuses a different one."""
        code = check_site_code(site_code)
        with self._ctx.uow(write=True) as uow:
            local = uow.sites.local()
            if local is not None:
                if local.code != code:
                    raise ValidationError.single(
                        "SiteCode",
                        f"this site database already belongs to site {local.code}; "
                        "a site database holds exactly one local site",
                    )
                return Result(local, Changes())
            if uow.sites.get(code) is not None:
                raise ValidationError.single("SiteCode", f"site {code} is already registered as a remote site")
            site = Site(code, site_name or f"Site {code}", True)
            uow.sites.add(site, created_at=self._ctx.clock())
            uow.commit()
        return Result(site, Changes())

    def add(self, site_code: str, site_name: str = "") -> Result[Site]:
        """Register another site of the hierarchy (a possible owner of packages)."""
        code = check_site_code(site_code)
        with self._ctx.uow(write=True) as uow:
            self._ctx.local_site(uow)
            if uow.sites.get(code) is not None:
                raise ValidationError.single("SiteCode", f"site {code} is already registered")
            site = Site(code, site_name or f"Site {code}", False)
            uow.sites.add(site, created_at=self._ctx.clock())
            uow.commit()
        return Result(site, Changes())

    def local(self) -> Site:
        with self._ctx.uow() as uow:
            return self._ctx.local_site(uow)

    def local_or_none(self) -> Site | None:
        with self._ctx.uow() as uow:
            return uow.sites.local()

    def all(self) -> list[Site]:
        with self._ctx.uow() as uow:
            return uow.sites.list()
