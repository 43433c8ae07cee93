"""Distribution point groups (``SMS_DistributionPointGroup``).

A DP may be in several groups. A package assigned to a group goes to every member, and to a
DP added to the group later (``add_members`` assigns the group's packages to the new members
and queues their install jobs in the same transaction). Removing a member leaves the content
it holds (ConfigMgr does the same): remove it from the DP explicitly.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from console.core.changes import Changes, Result
from console.core.distribution import DpGroup
from console.core.errors import ConflictError, NotFoundError, ValidationError
from console.core.ports import UnitOfWork
from console.core.services.content_distribution import assign
from console.core.services.context import ServiceContext
from console.core.services.distribution_points import check_name
from console.core.services.jobs import Jobs

MAX_DESCRIPTION = 512


@dataclass(frozen=True)
class MembersChanged:
    group: DpGroup
    changed: tuple[str, ...]  # the DPs added (or removed)
    context_ids: tuple[str, ...] = ()  # install jobs queued for the group's packages


class DpGroups:
    def __init__(self, ctx: ServiceContext, jobs: Jobs, after_queue: Callable[[], object] | None = None) -> None:
        self._ctx = ctx
        self._jobs = jobs
        self.after_queue: Callable[[], object] = after_queue or (lambda: None)

    def list(self) -> list[DpGroup]:
        with self._ctx.uow() as uow:
            return uow.distribution.list_groups()

    def get(self, name: str) -> DpGroup:
        with self._ctx.uow() as uow:
            return self._get(uow, name)

    def packages(self, name: str) -> builtins.list[str]:
        """PackageIDs assigned to the group."""
        with self._ctx.uow() as uow:
            self._get(uow, name)
            return uow.distribution.group_packages(name)

    def add(self, name: str, description: str = "", members: Sequence[str] = ()) -> Result[DpGroup]:
        group = DpGroup(check_name(name, "group"), self._description(description), tuple(members))
        with self._ctx.uow(write=True) as uow:
            self._ctx.local_site(uow)
            self._check_members(uow, members)
            if uow.distribution.get_group(group.name) is not None:
                raise ValidationError.single("Name", f"there is already a distribution point group named "
                                             f"{group.name!r} in this site (names are compared without case)")
            added = uow.distribution.add_group(group, at=self._ctx.clock(), user=self._ctx.user)
            self._message(uow, f"Distribution point group {added.name} added with {len(added.members)} members")
            uow.commit()
        return Result(added, Changes(status_messages=True, distribution=True))

    def edit(self, name: str, *, expected_version: int | None = None, new_name: str | None = None,
             description: str | None = None) -> Result[DpGroup]:
        values: dict[str, str] = {}
        with self._ctx.uow(write=True) as uow:
            current = self._get(uow, name)
            if new_name is not None and check_name(new_name, "group") != current.name:
                values["name"] = check_name(new_name, "group")
            if description is not None and self._description(description) != current.description:
                values["description"] = self._description(description)
            if not values:
                return Result(current)
            expected = current.version if expected_version is None else expected_version
            if not uow.distribution.update_group(current.name, values, expected_version=expected,
                                                 at=self._ctx.clock(), user=self._ctx.user):
                self._conflict(uow, current.name, expected)
            self._message(uow, f"Distribution point group {current.name} changed ({', '.join(sorted(values))})")
            uow.commit()
        return Result(self.get(values.get("name", current.name)), Changes(status_messages=True, distribution=True))

    def remove(self, name: str, *, expected_version: int | None = None) -> Result[str]:
        """The group goes; its members keep the content they hold (and their direct assignments)."""
        with self._ctx.uow(write=True) as uow:
            group = self._get(uow, name)
            if expected_version is not None and group.version != expected_version:
                self._conflict(uow, group.name, expected_version)
            uow.distribution.delete_group(group.name)
            self._message(uow, f"Distribution point group {group.name} removed (its members keep their content)")
            uow.commit()
        return Result(group.name, Changes(status_messages=True, distribution=True))

    def add_members(self, name: str, dp_names: Sequence[str]) -> Result[MembersChanged]:
        """New members get the group's packages (one install job per package and DP)."""
        ids: list[str] = []
        with self._ctx.uow(write=True) as uow:
            group = self._get(uow, name)
            self._check_members(uow, dp_names)
            added = uow.distribution.add_members(group.name, dp_names)
            at = self._ctx.clock()
            for package_id in uow.distribution.group_packages(group.name):
                record = uow.packages.get(package_id, lazy=False)
                if record is None:
                    continue
                version = int(record.values.get("SourceVersion") or 0)
                ids += assign(uow, self._jobs, package_id, added, direct=False, version=version, at=at)[1]
            if added:
                self._message(uow, f"Distribution point group {group.name}: {', '.join(added)} added"
                              + (f"; {len(ids)} install jobs queued for the group's packages" if ids else ""))
            uow.commit()
        if ids:
            self.after_queue()
        return Result(MembersChanged(self.get(group.name), tuple(added), tuple(ids)),
                      Changes(status_messages=bool(added), distribution=True))

    def remove_members(self, name: str, dp_names: Sequence[str]) -> Result[MembersChanged]:
        with self._ctx.uow(write=True) as uow:
            group = self._get(uow, name)
            self._check_members(uow, dp_names)
            removed = uow.distribution.remove_members(group.name, dp_names)
            if removed:
                self._message(uow, f"Distribution point group {group.name}: {', '.join(removed)} removed "
                              "(they keep the content they hold)")
            uow.commit()
        return Result(MembersChanged(self.get(group.name), tuple(removed)),
                      Changes(status_messages=bool(removed), distribution=True))

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _description(text: str) -> str:
        value = text.strip()
        if len(value) > MAX_DESCRIPTION:
            raise ValidationError.single("Description", f"the description has {len(value)} characters; "
                                         f"at most {MAX_DESCRIPTION}")
        return value

    @staticmethod
    def _check_members(uow: UnitOfWork, dp_names: Sequence[str]) -> None:
        missing = uow.distribution.missing_dps(dp_names)
        if missing:
            raise NotFoundError(f"there is no distribution point named {missing[0]!r} in this site; nothing was changed")

    @staticmethod
    def _get(uow: UnitOfWork, name: str) -> DpGroup:
        group = uow.distribution.get_group(name)
        if group is None:
            raise NotFoundError(f"there is no distribution point group named {name!r} in this site")
        return group

    @staticmethod
    def _conflict(uow: UnitOfWork, name: str, expected: int) -> None:
        modified = uow.distribution.group_modified(name)
        if modified is None:
            raise NotFoundError(f"there is no distribution point group named {name!r}; nothing was saved")
        by, at, version = modified
        raise ConflictError(object_id=f"Distribution point group {name}", changed_by=by,
                            changed_at=at.isoformat() if at else "?", expected=str(expected), current=str(version))

    def _message(self, uow: UnitOfWork, text: str) -> None:
        site = uow.sites.local()
        uow.status.add(time=self._ctx.clock(), severity="information", kind="distribution", package_id=None,
                       text=text, user=self._ctx.user, site_code=site.code if site else "")
