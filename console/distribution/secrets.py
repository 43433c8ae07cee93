"""DP passwords outside the site database: the site secrets file (JSON, mode 0600, owned by the
user the console and the workers run as), and for the administrator's own session the desktop
keyring too when one is really there (workers have none; it is never required).

Where the file is: the site setting ``SecretsFile``; by default beside a SQLite site database
(``<folder>/<database stem>-secrets.json``, ``<data folder>/secrets.json`` for the default
site database) and in the user's configuration folder for a PostgreSQL site.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from console.core.distribution import DistributionError

#: the site setting naming the secrets file ("" = the default)
SECRETS_FILE_SETTING = "SecretsFile"
KEYRING_SERVICE = "bootimage-console"
#: refuse a secrets file bigger than this (it holds a few passwords)
MAX_SECRETS_BYTES = 1 << 20


class SecretsError(DistributionError):
    title = "Site secrets"


def default_secrets_path(database: Path | None, data_folder: Path, config_folder: Path) -> Path:
    """``database``: the site's SQLite file, None for a server database (PostgreSQL)."""
    if database is None:
        return config_folder / "secrets.json"
    if database.resolve() == (data_folder / "site.db").resolve():
        return data_folder / "secrets.json"
    return database.parent / f"{database.stem}-secrets.json"


class SiteSecretsFile:
    """``console.core.distribution.SecretStore`` in a JSON file ``{"passwords": {reference: password}}``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # -- SecretStore ---------------------------------------------------------------------------

    def password(self, reference: str) -> str | None:
        value = self._load().get(reference)
        return value if isinstance(value, str) else None

    def set_password(self, reference: str, password: str) -> None:
        if not reference.strip():
            raise SecretsError("a password needs a credential name to be stored under")
        with self._locked():
            passwords = self._load()
            passwords[reference] = password
            self._write(passwords)

    def forget(self, reference: str) -> None:
        with self._locked():
            passwords = self._load()
            if passwords.pop(reference, None) is not None:
                self._write(passwords)

    def references(self) -> list[str]:
        return sorted(self._load())

    # -- the file ------------------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise SecretsError(f"cannot read the site secrets file {self.path}: {error.strerror}") from None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise SecretsError(f"the site secrets file {self.path} is not a regular file")
            if info.st_mode & 0o077:
                raise SecretsError(f"the site secrets file {self.path} can be read by other users "
                                   f"(mode {stat.S_IMODE(info.st_mode):04o}); run chmod 600 {self.path}")
            data = handle.read(MAX_SECRETS_BYTES + 1)
        if len(data) > MAX_SECRETS_BYTES:
            raise SecretsError(f"the site secrets file {self.path} is larger than {MAX_SECRETS_BYTES} bytes")
        try:
            document = json.loads(data or b"{}")
        except ValueError as error:
            raise SecretsError(f"the site secrets file {self.path} is not valid JSON ({error}); "
                               "fix it or remove it and enter the passwords again") from None
        passwords = document.get("passwords", {}) if isinstance(document, dict) else None
        if not isinstance(passwords, dict):
            raise SecretsError(f"the site secrets file {self.path} has no \"passwords\" object")
        return passwords

    def _write(self, passwords: dict[str, Any]) -> None:
        """Write a new file beside the old one (mode 0600 from the start) and rename it over it."""
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        data = json.dumps({"passwords": passwords}, indent=1, sort_keys=True).encode()
        try:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)  # whatever the umask
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
            _fsync_folder(self.path.parent)
        except OSError as error:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise SecretsError(f"cannot write the site secrets file {self.path}: {error.strerror}") from None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time (two consoles storing passwords keep both)."""
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path.with_name(f".{self.path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise SecretsError(f"cannot write the site secrets file {self.path}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class KeyringSecrets:
    """The secrets file, and the desktop keyring as well: the keyring answers first in the
    administrator's session; the file stays the truth for workers."""

    def __init__(self, file: SiteSecretsFile, backend: Any) -> None:
        self.file = file
        self.backend = backend

    def password(self, reference: str) -> str | None:
        try:
            value = self.backend.get_password(KEYRING_SERVICE, reference)
        except Exception:
            value = None
        return value if isinstance(value, str) else self.file.password(reference)

    def set_password(self, reference: str, password: str) -> None:
        self.file.set_password(reference, password)
        with contextlib.suppress(Exception):
            self.backend.set_password(KEYRING_SERVICE, reference, password)

    def forget(self, reference: str) -> None:
        self.file.forget(reference)
        with contextlib.suppress(Exception):
            self.backend.delete_password(KEYRING_SERVICE, reference)


def desktop_keyring() -> Any | None:
    """The desktop keyring's backend when one is really available, else None (workers, CI)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    chained = getattr(backend, "backends", None)
    if chained is not None and not chained:
        return None
    return backend


def site_secrets(path: Path, *, use_keyring: bool = False) -> SiteSecretsFile | KeyringSecrets:
    """The site's secret store: the file, plus the desktop keyring when asked for and present."""
    file = SiteSecretsFile(path)
    backend = desktop_keyring() if use_keyring else None
    return KeyringSecrets(file, backend) if backend is not None else file
