"""Distribution points (``SMS_DistributionPointInfo``): add, edit, remove, list, test.

Names are unique in the site without regard to case. Changes carry the version the caller
read (``expected_version``, as SedoObjectVersion for packages): a stale one is refused with
who changed the DP and when. Passwords never reach the database: they go to the site secrets
store (``SecretStore``) under the reference kept in ``DistributionPoint.credential``
(``dp:<name>``); an SSH key file is kept as its absolute path. Test connection and the
secrets file do their I/O outside any database transaction.
"""

from __future__ import annotations

import builtins
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from typing import Any

from console.core.changes import Changes, Result
from console.core.distribution import (
    ALWAYS_OPEN,
    DistributionError,
    DistributionPoint,
    ProbeReport,
    SecretStore,
    TransportError,
    TransportKind,
    Transports,
    check_schedule,
)
from console.core.distribution_store import ContentQuery
from console.core.errors import ConflictError, NotFoundError, ValidationError
from console.core.jobs import ERROR_CANCELLED, JobKind, JobState
from console.core.key_files import key_file_problem
from console.core.ports import UnitOfWork
from console.core.services.context import ServiceContext
from console.core.sizes import human_bytes

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
SMB_ADDRESS = re.compile(r"^\\\\(?P<host>[^\\/:\s]+)(?::(?P<port>\d{1,5}))?\\(?P<share>[^\\/:*?\"<>|]+)(?P<path>(\\[^\\]+)*)\\?$")
SSH_ADDRESS = re.compile(r"^(?:(?P<user>[^@\s:/]+)@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^@\s:/\[\]]+)(?::(?P<port>\d{1,5}))?:(?P<path>/.*)$")
MAX_RATE_KBPS = 100_000_000
MAX_CONCURRENCY = 64
#: fields ``edit`` may change
EDITABLE = ("name", "transport", "address", "site_code", "description", "username", "pxe", "maintenance",
            "rate_limit_kbps", "schedule", "concurrency", "library_root", "credential")
CREDENTIAL_PREFIX = "dp:"


def secret_reference(name: str) -> str:
    """The secrets-store entry of a DP's password."""
    return CREDENTIAL_PREFIX + name.strip().lower()


def check_name(name: str, what: str = "distribution point") -> str:
    value = name.strip()
    if not NAME.match(value):
        raise ValidationError.single("Name", f"{what} name {name!r}: use letters, digits, dots, hyphens and "
                                     "underscores (a server name such as DP01.contoso.com), at most 255 characters")
    return value


def check_address(transport: TransportKind, address: str) -> str:
    r"""The address in its normal form, or a message that shows the expected form."""
    value = address.strip()
    if transport is TransportKind.FOLDER:
        if not value.startswith("/") or "\0" in value:
            raise ValidationError.single("Address", f"folder address {address!r}: give an absolute path such as /srv/dp01")
        return value.rstrip("/") or "/"
    if transport is TransportKind.SMB:
        value = value.replace("/", "\\")
        match = SMB_ADDRESS.match(value)
        if not match or (match["port"] and not 0 < int(match["port"]) < 65536):
            raise ValidationError.single("Address", f"SMB address {address!r}: give \\\\server[:port]\\share[\\folder], "
                                         "such as \\\\dp01.contoso.com\\SCCMContentLib$")
        return value.rstrip("\\")
    match = SSH_ADDRESS.match(value)
    if not match or (match["port"] and not 0 < int(match["port"]) < 65536):
        raise ValidationError.single("Address", f"SSH address {address!r}: give [user@]host[:port]:/absolute/path, "
                                     "such as deploy@dp02.contoso.com:/srv/dp")
    return value


def check_transport(value: str | TransportKind) -> TransportKind:
    try:
        return TransportKind(str(value).strip().lower())
    except ValueError:
        raise ValidationError.single("Transport", f"transport {value!r}: use folder, smb or ssh") from None


def checked(dp: DistributionPoint) -> DistributionPoint:
    """``dp`` with every field checked and put in its normal form."""
    transport = check_transport(dp.transport)
    if not 0 <= dp.rate_limit_kbps <= MAX_RATE_KBPS:
        raise ValidationError.single("RateLimit", f"rate limit {dp.rate_limit_kbps}: give KB/s from 1 to "
                                     f"{MAX_RATE_KBPS:,}, or 0 for unlimited")
    if not 1 <= dp.concurrency <= MAX_CONCURRENCY:
        raise ValidationError.single("Concurrency", f"concurrency {dp.concurrency}: give 1 to {MAX_CONCURRENCY} "
                                     "parallel file streams")
    try:
        schedule = check_schedule(dp.schedule)
    except DistributionError as exc:
        raise ValidationError.single("Schedule", exc.message) from None
    root = dp.library_root.strip().strip("/")
    if not root or ".." in root.split("/") or "\\" in root:
        raise ValidationError.single("LibraryRoot", f"content library folder {dp.library_root!r}: give a folder "
                                     "under the address, such as SCCMContentLib")
    if dp.credential.startswith("/") and transport is not TransportKind.SSH:
        raise ValidationError.single("KeyFile", "a key file is only used by the ssh transport")
    if dp.credential and not dp.credential.startswith(("/", CREDENTIAL_PREFIX)):
        raise ValidationError.single("KeyFile", f"key file {dp.credential!r}: give an absolute path")
    return replace(dp, name=check_name(dp.name), transport=transport, address=check_address(transport, dp.address),
                   schedule=schedule, library_root=root, site_code=dp.site_code.strip().upper(),
                   description=dp.description.strip(), username=dp.username.strip())


def check_key_file(dp: DistributionPoint) -> None:
    """A key file given to an SSH DP exists, can be read and holds a private key."""
    if dp.transport is TransportKind.SSH and dp.credential.startswith("/"):
        problem = key_file_problem(dp.credential)
        if problem:
            raise ValidationError.single("KeyFile", problem)


class DistributionPoints:
    def __init__(self, ctx: ServiceContext, transports: Transports | None = None,
                 secrets: Callable[[], SecretStore | None] | None = None,
                 transports_with: Callable[[SecretStore], Transports] | None = None) -> None:
        """``transports_with(store)``: transports reading passwords from ``store`` (Test
        connection with a password typed in a dialog, before it is saved)."""
        self._ctx = ctx
        self._transports = transports
        self._secrets = secrets or (lambda: None)
        self._transports_with = transports_with

    # -- reading ---------------------------------------------------------------------------

    def list(self) -> list[DistributionPoint]:
        with self._ctx.uow() as uow:
            return uow.distribution.list_dps()

    def get(self, name: str) -> DistributionPoint:
        with self._ctx.uow() as uow:
            return self._get(uow, name)

    def find(self, name: str) -> DistributionPoint | None:
        with self._ctx.uow() as uow:
            return uow.distribution.get_dp(name)

    def holdings(self, name: str) -> builtins.list[str]:
        """PackageIDs with a row on the DP (what Remove says it holds)."""
        with self._ctx.uow() as uow:
            self._get(uow, name)
            rows, _ = uow.distribution.query_rows(ContentQuery(dp_name=name, limit=None))
        return [r.package_id for r in rows]

    # -- changing --------------------------------------------------------------------------

    def add(self, dp: DistributionPoint, *, password: str | None = None) -> Result[DistributionPoint]:
        """Add a DP; ``password`` goes to the site secrets store, never the database."""
        dp = checked(replace(dp, credential=dp.credential or (secret_reference(dp.name) if password else "")))
        if password is not None:
            self._check_password_transport(dp)
        check_key_file(dp)
        with self._ctx.uow() as uow:
            site = self._ctx.local_site(uow)
            if uow.distribution.get_dp(dp.name) is not None:
                raise ValidationError.single("Name", f"there is already a distribution point named {dp.name!r} "
                                             "in this site (names are compared without case)")
        dp = replace(dp, site_code=dp.site_code or site.code)
        if password is not None:
            self._store_password(dp.credential, password)
        try:
            with self._ctx.uow(write=True) as uow:
                added = uow.distribution.add_dp(dp, at=self._ctx.clock(), user=self._ctx.user)
                self._message(uow, f"Distribution point {added.name} ({added.transport}, {added.address}) added")
                uow.commit()
        except BaseException:
            if password is not None:
                self._forget_password(dp.credential)
            raise
        return Result(added, Changes(status_messages=True, distribution=True))

    def edit(self, name: str, /, *, expected_version: int | None = None, password: str | None = None,
             **changes: Any) -> Result[DistributionPoint]:
        """Change fields of a DP (``EDITABLE``); ``expected_version`` is the version read."""
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise ValidationError.single(unknown[0], f"{unknown[0]!r} cannot be changed on a distribution point")
        current = self.get(name)
        expected = current.version if expected_version is None else expected_version
        wanted = replace(current, **changes)
        if password is not None:
            wanted = replace(wanted, credential=wanted.credential if wanted.credential.startswith(CREDENTIAL_PREFIX)
                             else secret_reference(wanted.name))
        new = checked(wanted)
        if password is not None:
            self._check_password_transport(new)
        if new.credential != current.credential:
            check_key_file(new)
        values = {f.name: getattr(new, f.name) for f in fields(new)
                  if f.name in EDITABLE and getattr(new, f.name) != getattr(current, f.name)}
        previous = self._store().password(new.credential) if password is not None else None
        if password is not None:
            self._store_password(new.credential, password)
        try:
            self._save(current, new, values, expected, password_changed=password is not None)
        except BaseException:  # the secrets file as it was
            if password is not None:
                if previous is None:
                    self._forget_password(new.credential)
                else:
                    self._store().set_password(new.credential, previous)
            raise
        return Result(self.get(new.name), Changes(status_messages=True, distribution=True))

    def _save(self, current: DistributionPoint, new: DistributionPoint, values: Mapping[str, Any], expected: int, *,
              password_changed: bool) -> None:
        with self._ctx.uow(write=True) as uow:
            held = uow.distribution.dp_summary(current.name).targeted
            if "name" in values and held and new.name.lower() != current.name.lower():
                raise ValidationError.single("Name", f"distribution point {current.name} holds {held} package"
                                             f"{'s' if held != 1 else ''}: its name is its identity (NAL path, "
                                             "distribution jobs), so it cannot be renamed while it holds content")
            if values:
                if not uow.distribution.update_dp(current.name, values, expected_version=expected,
                                                  at=self._ctx.clock(), user=self._ctx.user):
                    self._conflict(uow, current.name, expected)
            elif (uow.distribution.dp_modified(current.name) or ("", None, -1))[2] != expected:
                self._conflict(uow, current.name, expected)
            changed = sorted(values) + (["password"] if password_changed else [])
            if not changed:
                return
            # the values themselves are in the audit records of this transaction
            self._message(uow, f"Distribution point {new.name} changed ({', '.join(changed)})")
            uow.commit()

    def remove(self, name: str, *, expected_version: int | None = None, force: bool = False) -> Result[str]:
        """Remove a DP from the site. While it holds content (rows in any state) it is refused
        unless ``force``: then its content records go too (the files on the server stay)."""
        with self._ctx.uow(write=True) as uow:
            dp = self._get(uow, name)
            if expected_version is not None and dp.version != expected_version:
                self._conflict(uow, name, expected_version)
            held = uow.distribution.dp_summary(dp.name)
            if held.targeted and not force:
                rows, total = uow.distribution.query_rows(ContentQuery(dp_name=dp.name, limit=10))
                listed = ", ".join(r.package_id for r in rows) + (f" and {total - len(rows)} more" if total > len(rows) else "")
                raise ValidationError.single("Name", f"distribution point {dp.name} holds {total} package"
                                             f"{'s' if total != 1 else ''} ({listed}); remove the content first "
                                             "or remove the DP anyway (force: its files stay on the server)")
            cancelled = self._cancel_jobs(uow, dp.name)
            uow.distribution.delete_dp(dp.name)
            self._message(uow, f"Distribution point {dp.name} removed"
                          + (f"; {cancelled} distribution jobs for it cancelled" if cancelled else "")
                          + (f" (it held {held.targeted} packages; their files stay on the server)" if held.targeted else ""))
            uow.commit()
        if dp.credential.startswith(CREDENTIAL_PREFIX):
            self._forget_password(dp.credential)
        return Result(dp.name, Changes(status_messages=True, distribution=True))

    # -- Test connection ---------------------------------------------------------------------

    def test(self, dp: DistributionPoint | str, *, password: str | None = None) -> ProbeReport:
        """Write a probe file, read it back, delete it, and ask the free space (a stored DP's
        free space and last contact are recorded). Failures are reported, not raised.
        ``password``: one typed but not saved yet (it is stored nowhere)."""
        target = self.get(dp) if isinstance(dp, str) else checked(dp)
        transports = self._transports
        if password is not None and self._transports_with is not None:
            reference = target.credential if target.credential.startswith(CREDENTIAL_PREFIX) else \
                secret_reference(target.name)
            target = replace(target, credential=reference)
            transports = self._transports_with(TypedPassword(reference, password, self._secrets()))
        if transports is None:
            raise DistributionError("no transports are configured in this console")
        started = time.monotonic()
        probe = f".bootimage-probe-{uuid.uuid4().hex}"
        data = f"Boot Image Console probe {probe}\n".encode()
        step = "connect"
        free: int | None = None
        try:
            conn = transports.connect(target)
            try:
                step = "write a probe file"
                conn.write_bytes(probe, data)
                step = "read the probe file back"
                if conn.read_bytes(probe) != data:
                    raise TransportError("the probe file read back differs from what was written", cause="hash_mismatch")
                step = "delete the probe file"
                conn.remove(probe)
                step = "read the free space"
                free = conn.free_space()
            finally:
                conn.close()
        except TransportError as exc:
            return ProbeReport(False, f"{target.name}: could not {step}: {exc.message}", None,
                               time.monotonic() - started, {"cause": exc.cause, "step": step})
        seconds = time.monotonic() - started
        if target.id is not None:
            with self._ctx.uow(write=True) as uow:
                uow.distribution.record_contact(target.name, free, self._ctx.clock())
                uow.commit()
        return ProbeReport(True, f"{target.name}: wrote, read back and deleted a probe file in {seconds:.2f} s; "
                           f"{human_bytes(free, unknown='unknown space')} free", free, seconds, {"step": "done"})

    # -- helpers ---------------------------------------------------------------------------

    def _cancel_jobs(self, uow: UnitOfWork, dp_name: str) -> int:
        """Distribution jobs for a DP that goes: queued ones are cancelled, running ones asked to stop."""
        now, count = self._ctx.clock(), 0
        for job in uow.jobs.list(states=[JobState.QUEUED, JobState.RUNNING]):
            if job.kind != JobKind.DISTRIBUTE or str(job.payload.get("dp", "")).lower() != dp_name.lower():
                continue
            if job.state == JobState.QUEUED:
                uow.jobs.update(job.context_id, states=[JobState.QUEUED], state=JobState.CANCELLED, finished_at=now,
                                updated_at=now, error_code=ERROR_CANCELLED, cancel_requested=True,
                                extended_error_info=f"distribution point {dp_name} was removed from the site",
                                progress_text="cancelled")
            else:
                uow.jobs.update(job.context_id, states=[JobState.RUNNING], cancel_requested=True, updated_at=now)
            count += 1
        return count

    def _get(self, uow: UnitOfWork, name: str) -> DistributionPoint:
        dp = uow.distribution.get_dp(name)
        if dp is None:
            raise NotFoundError(f"there is no distribution point named {name!r} in this site")
        return dp

    def _conflict(self, uow: UnitOfWork, name: str, expected: int) -> None:
        modified = uow.distribution.dp_modified(name)
        if modified is None:
            raise NotFoundError(f"there is no distribution point named {name!r} in this site; nothing was saved")
        by, at, version = modified
        raise ConflictError(object_id=f"Distribution point {name}", changed_by=by,
                            changed_at=at.isoformat() if at else "?", expected=str(expected), current=str(version))

    @staticmethod
    def _check_password_transport(dp: DistributionPoint) -> None:
        if dp.transport is TransportKind.FOLDER:
            raise ValidationError.single("Password", "a folder distribution point takes no password")

    def _store(self) -> SecretStore:
        store = self._secrets()
        if store is None:
            raise DistributionError("no site secrets file is configured, so a password cannot be kept outside the "
                                    "site database; set the secrets file in Settings (or use an SSH key file)")
        return store

    def _store_password(self, reference: str, password: str) -> None:
        if not password:
            raise ValidationError.single("Password", "the password is empty")
        self._store().set_password(reference, password)

    def _forget_password(self, reference: str) -> None:
        store = self._secrets()
        if store is not None:
            store.forget(reference)

    def _message(self, uow: UnitOfWork, text: str, *, details: Mapping[str, Any] | None = None) -> None:
        site = uow.sites.local()
        uow.status.add(time=self._ctx.clock(), severity="information", kind="distribution", package_id=None,
                       text=text, user=self._ctx.user, site_code=site.code if site else "", details=details)


class TypedPassword:
    """A ``SecretStore`` that answers one reference with a password held in memory only."""

    def __init__(self, reference: str, password: str, fallback: SecretStore | None) -> None:
        self._reference, self._password, self._fallback = reference, password, fallback

    def password(self, reference: str) -> str | None:
        if reference == self._reference:
            return self._password
        return self._fallback.password(reference) if self._fallback is not None else None

    def set_password(self, reference: str, password: str) -> None:
        raise DistributionError("a typed password is not stored by Test connection")

    def forget(self, reference: str) -> None:
        return None



__all__ = ["ALWAYS_OPEN", "DistributionPoints", "check_address", "check_name", "checked", "secret_reference"]
