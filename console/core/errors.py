"""Typed failures of the service layer. Every message tells the user what to do."""

from __future__ import annotations

from dataclasses import dataclass


class ConsoleError(Exception):
    """Base of every error the console reports to a user (never a bare traceback)."""

    #: Short category used by the CLI's one-line error and the GUI's message box title.
    title = "Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class FileLineError(ConsoleError):
    """A file that cannot be used, with where it goes wrong: "file, line N: message".

    ``file`` and ``line`` are optional (the message then stands alone or names only the file);
    ``reason`` is the bare message."""

    def __init__(self, message: str, *, file: str = "", line: int | None = None) -> None:
        where = file + (f", line {line}" if line else "") if file else ""
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.line = line
        self.reason = message


def error_text(exc: BaseException) -> str:
    """What a user is told about ``exc``: a ConsoleError's message, else its type and text."""
    return exc.message if isinstance(exc, ConsoleError) else f"{type(exc).__name__}: {exc}"


class MetadataError(FileLineError):
    """A class definition file is malformed."""

    title = "Invalid class definition"


class NotFoundError(ConsoleError):
    title = "Not found"


class SiteNotInitializedError(ConsoleError):
    title = "No site"


@dataclass(frozen=True)
class Problem:
    """One invalid property value: which property, and why."""

    property: str
    message: str


class ValidationError(ConsoleError):
    """One or more property values were refused. ``problems`` names each property."""

    title = "Invalid value"

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def single(cls, prop: str, message: str) -> ValidationError:
        return cls([Problem(prop, message)])

    def for_property(self, name: str) -> list[str]:
        return [p.message for p in self.problems if p.property.lower() == name.lower()]


class ReadOnlyPropertyError(ValidationError):
    title = "Read-only property"


class UnknownPropertyError(ValidationError):
    title = "Unknown property"


class DuplicateNameError(ValidationError):
    title = "Name already used"


class ConflictError(ConsoleError):
    """Someone else saved the object after it was read (stale SedoObjectVersion)."""

    title = "Save conflict"

    def __init__(
        self, *, object_id: str, changed_by: str, changed_at: str, expected: str, current: str
    ) -> None:
        self.object_id = object_id
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.expected_version = expected
        self.current_version = current
        super().__init__(
            f"{object_id} was changed by {changed_by} at {changed_at} after you read it "
            f"(your version {expected}, current version {current}). Nothing was saved: "
            "reload the object and apply your changes again."
        )


class PackageLockedError(ConsoleError):
    """The package is owned by another site (SEDO ownership)."""

    title = "Owned by another site"


class AccessDeniedError(ConsoleError):
    """The site database refused an action this administrator's security role or scopes do not
    allow (PostgreSQL grants and row-level security; see console/core/security.py)."""

    title = "Access denied"

    def __init__(self, message: str, *, login: str = "", role: str = "", site_code: str = "",
                 action: str = "", object_id: str = "") -> None:
        super().__init__(message)
        self.login = login
        self.role = role
        self.site_code = site_code
        self.action = action
        self.object_id = object_id


class NotImplementedYetError(ConsoleError):
    """A documented method whose implementation arrives with a capability not built yet."""

    title = "Not implemented yet"

    def __init__(self, method: str, arrives_with: str) -> None:
        super().__init__(
            f"{method} is not implemented yet: it arrives with {arrives_with}. Nothing was changed."
        )
        self.method = method
