"""Site-wide settings every console of the site shares (e.g. where the Windows ADK is)."""

from __future__ import annotations

from pathlib import Path

from console.core.adk import AdkInfo, WindowsAdk
from console.core.changes import Changes, Result
from console.core.distribution import DEFAULT_MAX_CONCURRENT_DPS
from console.core.errors import ValidationError
from console.core.services.context import ServiceContext

WINDOWS_ADK_PATH = "WindowsAdkPath"
#: The command the boot script runs after the prestart command ("" = none).
DEPLOYMENT_COMMAND = "DeploymentCommand"
#: Where the site's content library lives (its ``work`` folder holds builds in progress);
#: "" = ``<data dir>/ContentLib``. The content library uses the same setting.
CONTENT_LIBRARY_ROOT = "ContentLibraryPath"  # also read by the revisions service
#: The site secrets file (DP passwords, mode 0600, outside the database); "" = the default
#: (beside a SQLite site database, else in the user's configuration folder).
SECRETS_FILE = "SecretsFile"
MAX_SETTING_LENGTH = 4096
#: The site's limit of distribution points served at once by its workers.
MAX_CONCURRENT_DPS = "MaxConcurrentDistributionPoints"
#: Hours between two content validation cycles on every DP (0: only on demand); ConfigMgr validates weekly.
CONTENT_VALIDATION_HOURS = "ContentValidationHours"
DEFAULT_CONTENT_VALIDATION_HOURS = 168


class SiteSettings:
    def __init__(self, ctx: ServiceContext, adk: WindowsAdk, default_content_library_root: str = "",
                 default_secrets_file: str = "") -> None:
        self._ctx = ctx
        self._adk = adk
        self._default_library = default_content_library_root
        self._default_secrets = default_secrets_file

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

    # -- building boot images ----------------------------------------------------------------

    def deployment_command(self) -> str:
        return self._get(DEPLOYMENT_COMMAND)

    def set_deployment_command(self, command: str) -> Result[str]:
        """The command every built boot image runs after the prestart command ("" = none)."""
        text = self.check_deployment_command(command)
        self._set(DEPLOYMENT_COMMAND, text)
        return Result(text, Changes())

    @staticmethod
    def check_deployment_command(command: str) -> str:
        text = command.strip()
        if any(c in text for c in "\r\n\0"):
            raise ValidationError.single("DeploymentCommand", "the deployment command must be one line "
                                         "(no line breaks or NUL characters); nothing was changed")
        _check_length(DEPLOYMENT_COMMAND, text)
        return text

    def content_library_root(self) -> str:
        """The configured content library root, else the default (``<data dir>/ContentLib``)."""
        return self._get(CONTENT_LIBRARY_ROOT) or self._default_library

    def set_content_library_root(self, path: str) -> Result[str]:
        """Remember where the site's content library lives ("" = back to the default). It
        must be an absolute path; it need not exist yet (pre-flight checks it can be written)."""
        self._set(CONTENT_LIBRARY_ROOT, self.check_content_library_root(path))
        return Result(self.content_library_root(), Changes())

    @staticmethod
    def check_content_library_root(path: str) -> str:
        text = path.strip()
        if "\0" in text:
            raise ValidationError.single(CONTENT_LIBRARY_ROOT, "the content library root contains a NUL "
                                         "character; nothing was changed")
        if text and not Path(text).is_absolute():
            raise ValidationError.single(CONTENT_LIBRARY_ROOT, f"the content library root {text!r} must be an "
                                         "absolute path (every worker reaches it by that path); nothing was changed")
        _check_length(CONTENT_LIBRARY_ROOT, text)
        return text

    def max_concurrent_dps(self) -> int:
        """How many distribution points the site's workers serve at once (default 16)."""
        text = self._get(MAX_CONCURRENT_DPS)
        return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_MAX_CONCURRENT_DPS

    def set_max_concurrent_dps(self, count: int) -> Result[int]:
        if not 1 <= int(count) <= 1000:
            raise ValidationError.single(MAX_CONCURRENT_DPS, f"serve between 1 and 1000 distribution points at once, "
                                         f"not {count}; nothing was changed")
        self._set(MAX_CONCURRENT_DPS, str(int(count)))
        return Result(int(count), Changes())

    def content_validation_hours(self) -> int:
        """Hours between content validation cycles (every package on every DP it is installed
        on is validated); 0 = on demand only. Default: weekly (168)."""
        text = self._get(CONTENT_VALIDATION_HOURS)
        return int(text) if text.isdigit() else DEFAULT_CONTENT_VALIDATION_HOURS

    def set_content_validation_hours(self, hours: int) -> Result[int]:
        if not 0 <= int(hours) <= 8760:
            raise ValidationError.single(CONTENT_VALIDATION_HOURS, f"validate content every 1 to 8760 hours (0: on "
                                         f"demand only), not {hours}; nothing was changed")
        self._set(CONTENT_VALIDATION_HOURS, str(int(hours)))
        return Result(int(hours), Changes())

    # -- distribution points -----------------------------------------------------------------

    def secrets_file(self) -> str:
        """The site secrets file: the setting SecretsFile, else the default."""
        return self._get(SECRETS_FILE) or self._default_secrets

    def set_secrets_file(self, path: str) -> Result[str]:
        """Where the console and every worker read DP passwords ("" = back to the default). An
        absolute file path; the file is made (mode 0600) when the first password is stored."""
        text = path.strip()
        if "\0" in text or (text and not Path(text).is_absolute()):
            raise ValidationError.single(SECRETS_FILE, f"the secrets file {text!r} must be an absolute file path "
                                         "(every worker reads it by that path); nothing was changed")
        _check_length(SECRETS_FILE, text)
        self._set(SECRETS_FILE, text)
        return Result(self.secrets_file(), Changes())

    def _get(self, key: str) -> str:
        with self._ctx.uow() as uow:
            return uow.settings.get(key) or ""

    def _set(self, key: str, value: str) -> None:
        with self._ctx.uow(write=True) as uow:
            self._ctx.local_site(uow)
            uow.settings.set(key, value, modified_by=self._ctx.user, modified_at=self._ctx.clock())
            uow.commit()


def _check_length(key: str, value: str) -> None:
    if len(value) > MAX_SETTING_LENGTH:
        raise ValidationError.single(key, f"{key} is {len(value)} characters long; at most "
                                     f"{MAX_SETTING_LENGTH} are allowed; nothing was changed")
