"""Site-wide settings every console of the site shares (e.g. where the Windows ADK is)."""

from __future__ import annotations

from pathlib import Path

from console.core.adk import AdkInfo, WindowsAdk
from console.core.changes import Changes, Result
from console.core.services.context import ServiceContext

WINDOWS_ADK_PATH = "WindowsAdkPath"


class SiteSettings:
    def __init__(self, ctx: ServiceContext, adk: WindowsAdk) -> None:
        self._ctx = ctx
        self._adk = adk

    def windows_adk_path(self) -> str:
        with self._ctx.uow() as uow:
            return uow.settings.get(WINDOWS_ADK_PATH) or ""

    def set_windows_adk_path(self, path: str) -> Result[AdkInfo | None]:
        """Remember the Windows ADK folder after checking that it is one ("" forgets it)."""
        info = self._adk.inspect(Path(path)) if path.strip() else None
        with self._ctx.uow(write=True) as uow:
            self._ctx.local_site(uow)
            uow.settings.set(WINDOWS_ADK_PATH, str(info.root) if info else "",
                             modified_by=self._ctx.user, modified_at=self._ctx.clock())
            uow.commit()
        return Result(info, Changes())

    def windows_adk(self) -> AdkInfo | None:
        """The configured ADK as it is on disk now, or None when none is configured."""
        path = self.windows_adk_path()
        return self._adk.inspect(Path(path)) if path else None
