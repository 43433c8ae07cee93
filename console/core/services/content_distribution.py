"""Content on distribution points: assignment (``AddDistributionPoints``), the per-(package, DP)
state the distribution jobs report, Content Status, and the actions Validate, Redistribute,
Remove and Update.

Assigning a package creates its ``package_dp`` rows (INSTALL_PENDING) and queues one
``distribute`` job per (package, DP) in the same transaction; the job's payload is
``{"dp": NAME, "action": "install"|"update"|"redistribute"|"validate"|"remove", "version": N}``.
The handler (``console.distribution`` jobs) reports with ``set_state`` / ``set_states`` and
``removed``; each call updates the Content Status counters in its own write transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.core.changes import Changes, Result
from console.core.distribution import ContentSummary, DpState, PackageOnDp
from console.core.distribution_store import STATE_FIELDS, ContentQuery, StateChange
from console.core.errors import NotFoundError, ValidationError
from console.core.jobs import JobKind, JobState
from console.core.ports import UnitOfWork
from console.core.services.context import ServiceContext
from console.core.services.jobs import Jobs

ACTIONS = ("install", "update", "redistribute", "validate", "remove")
#: the state a (package, DP) row takes when an action is queued (validate keeps the state)
QUEUED_STATE = {"install": DpState.INSTALL_PENDING, "update": DpState.INSTALL_PENDING,
                "redistribute": DpState.INSTALL_PENDING, "remove": DpState.REMOVAL_PENDING}


#: Site setting: when the last content validation cycle was queued (ISO 8601).
VALIDATION_LAST_RUN = "ContentValidationLastRun"
#: a validation cycle in progress: the last (PackageID, DP id) queued ("" when none is)
VALIDATION_CURSOR = "ContentValidationCursor"
#: validations one check of the schedule queues at most (one transaction)
VALIDATION_BATCH = 5000


def _cursor_pair(cursor: str) -> tuple[str, int] | None:
    package_id, _, dp_id = cursor.partition("\t")
    return (package_id, int(dp_id)) if package_id and dp_id.isdigit() else None


@dataclass(frozen=True)
class Page:
    """One page of a package's DPs (or a DP's packages) and how many rows match in all."""

    items: list[PackageOnDp]
    total: int


@dataclass(frozen=True)
class SummaryPage:
    """One page of per-DP (or per-package) counters and how many match in all."""

    items: list[ContentSummary]
    total: int


#: ``dp_summary_page(show=...)`` values
SUMMARY_SHOWS = ("", "errors", "in_progress", "incomplete")


@dataclass(frozen=True)
class Queued:
    """What an action queued: the DPs it applies to and the jobs' ContextIDs."""

    package_id: str
    dps: tuple[str, ...]
    context_ids: tuple[str, ...]


def queue_actions(uow: UnitOfWork, jobs: Jobs, package_id: str, dp_names: Sequence[str], action: str,
                  version: int) -> list[str]:
    """Queue one distribute job per DP in ``uow`` (skipping a DP that already has the same
    action queued and not started); their ContextIDs."""
    pending = {(str(j.payload.get("dp", "")).lower(), j.payload.get("action"))
               for j in uow.jobs.list(package_id=package_id, states=[JobState.QUEUED])
               if j.kind == JobKind.DISTRIBUTE}
    new = [jobs.new_job(JobKind.DISTRIBUTE, package_id, {"dp": name, "action": action, "version": version})
           for name in dp_names if (name.lower(), action) not in pending]
    uow.jobs.add_many(new)
    return [job.context_id for job in new]


def assign(uow: UnitOfWork, jobs: Jobs, package_id: str, dp_names: Sequence[str], *, direct: bool,
           version: int, at: datetime) -> tuple[list[str], list[str]]:
    """Rows for DPs without the package, and an install job each: (new DPs, ContextIDs)."""
    new = uow.distribution.assign(package_id, dp_names, direct=direct, target_version=version, at=at)
    return new, queue_actions(uow, jobs, package_id, new, "install", version)


class ContentDistribution:
    def __init__(self, ctx: ServiceContext, jobs: Jobs, after_queue: Callable[[], object] | None = None) -> None:
        self._ctx = ctx
        self._jobs = jobs
        self.after_queue: Callable[[], object] = after_queue or (lambda: None)

    # -- assignment ----------------------------------------------------------------------------

    def add_distribution_points(self, package_id: str, dp_names: Sequence[str]) -> Result[Queued]:
        """AddDistributionPoints: the package goes to each DP that does not have it yet."""
        return self.distribute(package_id, dp_names=dp_names)

    def add_groups(self, package_id: str, group_names: Sequence[str]) -> Result[Queued]:
        """The package goes to every member of each group, and to DPs added to them later."""
        return self.distribute(package_id, group_names=group_names)

    def distribute(self, package_id: str, *, dp_names: Sequence[str] = (),
                   group_names: Sequence[str] = ()) -> Result[Queued]:
        if not dp_names and not group_names:
            raise ValidationError.single("DistributionPoints", "name at least one distribution point or group")
        with self._ctx.uow(write=True) as uow:
            version = self._package_version(uow, package_id)
            missing = uow.distribution.missing_dps(dp_names)
            if missing:
                raise NotFoundError(f"there is no distribution point named {missing[0]!r} in this site; "
                                    "nothing was distributed")
            members: list[str] = []
            for group in group_names:
                found = uow.distribution.get_group(group)
                if found is None:
                    raise NotFoundError(f"there is no distribution point group named {group!r} in this site; "
                                        "nothing was distributed")
                uow.distribution.add_group_package(found.name, package_id)
                members.extend(found.members)
            at = self._ctx.clock()
            new, ids = assign(uow, self._jobs, package_id, list(dp_names), direct=True,
                              version=version, at=at)
            more, more_ids = assign(uow, self._jobs, package_id, members, direct=False, version=version, at=at)
            new, ids = new + more, ids + more_ids
            given = list({n.lower(): n for n in reversed(dp_names)}.values())[::-1]
            given += [f"group {g}" for g in group_names]
            targets = ", ".join(given[:5]) + (f" and {len(given) - 5} more" if len(given) > 5 else "")
            self._message(uow, package_id, f"Package {package_id} assigned to {targets}: {len(new)} new "
                          f"distribution point{'s' if len(new) != 1 else ''}, {len(ids)} job{'s' if len(ids) != 1 else ''} queued")
            uow.commit()
        if ids:
            self.after_queue()
        return Result(Queued(package_id, tuple(new), tuple(ids)),
                      Changes(updated=frozenset({package_id}), status_messages=True, distribution=True))

    # -- actions -------------------------------------------------------------------------------

    def validate(self, package_id: str, dp_names: Sequence[str] = ()) -> Result[Queued]:
        """Re-hash every file of the package on the DPs (all of the package's DPs by default)."""
        return self._action(package_id, dp_names, "validate")

    def redistribute(self, package_id: str, dp_names: Sequence[str]) -> Result[Queued]:
        return self._action(package_id, dp_names, "redistribute")

    def remove(self, package_id: str, dp_names: Sequence[str]) -> Result[Queued]:
        """Delete the package from the DPs: REMOVAL_PENDING until the job reports ``removed``."""
        return self._action(package_id, dp_names, "remove")

    def queue_update(self, package_id: str) -> Result[Queued]:
        """After a build: every DP of the package gets the new version (only changed files travel)."""
        return self._action(package_id, (), "update", quiet_if_none=True)

    def _action(self, package_id: str, dp_names: Sequence[str], action: str, *,
                quiet_if_none: bool = False) -> Result[Queued]:
        with self._ctx.uow(write=True) as uow:
            version = self._package_version(uow, package_id)
            holding = uow.distribution.dps_of_package(package_id)
            by_key = {n.lower(): n for n in holding}
            if dp_names:
                missing = [n for n in dp_names if n.lower() not in by_key]
                if missing:
                    if uow.distribution.missing_dps(missing[:1]):
                        raise NotFoundError(f"there is no distribution point named {missing[0]!r} in this site; "
                                            "nothing was queued")
                    raise ValidationError.single("DistributionPoint", f"package {package_id} is not on distribution "
                                                 f"point {missing[0]}; distribute it there first")
                targets = [by_key[n.lower()] for n in dict.fromkeys(dp_names)]
            else:
                targets = holding
            if action == "update":
                rows, _ = uow.distribution.query_rows(ContentQuery(package_id=package_id, limit=None))
                removing = {r.dp_name for r in rows if r.state in (DpState.REMOVAL_PENDING, DpState.REMOVAL_RETRYING,
                                                                   DpState.REMOVAL_FAILED)}
                targets = [t for t in targets if t not in removing]
            if not targets and not quiet_if_none:
                raise ValidationError.single("DistributionPoint", f"package {package_id} is not on any distribution "
                                             "point; nothing was queued")
            state = QUEUED_STATE.get(action)
            if state is not None and targets:
                fields = {"target_version": version, "next_retry": None}
                uow.distribution.set_states([StateChange(package_id, t, state, fields) for t in targets],
                                            at=self._ctx.clock())
            ids = queue_actions(uow, self._jobs, package_id, targets, action, version)
            if targets:
                self._message(uow, package_id, f"{action.capitalize()} of package {package_id} queued for "
                              f"{len(targets)} distribution point{'s' if len(targets) != 1 else ''}")
            uow.commit()
        if ids:
            self.after_queue()
        return Result(Queued(package_id, tuple(targets), tuple(ids)),
                      Changes(updated=frozenset({package_id}), status_messages=bool(targets), distribution=True))

    def refresh(self, package_id: str) -> Result[Queued]:
        """RefreshPkgSource: a ``refresh`` job rebuilds the package when its source changed,
        then updates every DP of the package."""
        with self._ctx.uow(write=True) as uow:
            self._package_version(uow, package_id)
            job = self._jobs.new_job(JobKind.REFRESH, package_id, {})
            uow.jobs.add(job)
            self._message(uow, package_id, f"Refresh of package {package_id} queued (job {job.context_id})")
            uow.commit()
        self.after_queue()
        return Result(Queued(package_id, (), (job.context_id,)), Changes(status_messages=True))

    def queue_validation_cycle(self, hours: int, *, batch: int = VALIDATION_BATCH) -> int:
        """The content validation schedule (the worker asks): when ``hours`` have passed since the
        last cycle, queue a validation of every package on every DP it is installed on; the
        number queued (0: not due, or nothing installed). ``hours`` 0 turns the schedule off.

        A cycle queues at most ``batch`` validations per call (3 M installed rows are not one
        transaction): it keeps its place (``VALIDATION_CURSOR``, the last (PackageID, DP) queued,
        a keyset of the primary key) and goes on at the worker's next check until every row is
        queued; the schedule's clock starts when the cycle starts."""
        if hours <= 0:
            return 0
        now = self._ctx.clock()
        with self._ctx.uow(write=True) as uow:
            cursor = uow.settings.get(VALIDATION_CURSOR) or ""
            if not cursor:
                last = uow.settings.get(VALIDATION_LAST_RUN) or ""
                try:
                    due = bool(last) and (now - datetime.fromisoformat(last)).total_seconds() >= hours * 3600
                except (TypeError, ValueError):  # an unreadable time: run the cycle and write a good one
                    due = True
                if not last:  # the first look starts the clock: the first cycle comes ``hours`` later
                    uow.settings.set(VALIDATION_LAST_RUN, now.isoformat(), modified_by=self._ctx.user, modified_at=now)
                    uow.commit()
                    return 0
                if not due:
                    return 0
                uow.settings.set(VALIDATION_LAST_RUN, now.isoformat(), modified_by=self._ctx.user, modified_at=now)
            after = _cursor_pair(cursor)
            rows = uow.distribution.installed_batch(after, max(batch, 1))
            by_package: dict[str, list[str]] = {}
            for package_id, _dp_id, dp_name in rows:
                by_package.setdefault(package_id, []).append(dp_name)
            count = 0
            for package_id, dps in by_package.items():
                count += len(queue_actions(uow, self._jobs, package_id, dps, "validate",
                                           self._package_version(uow, package_id)))
            more = len(rows) >= max(batch, 1)
            next_cursor = f"{rows[-1][0]}\t{rows[-1][1]}" if more else ""
            uow.settings.set(VALIDATION_CURSOR, next_cursor, modified_by=self._ctx.user, modified_at=now)
            self._message(uow, None, f"Content validation cycle: {count} validation(s) queued on "
                          f"{len({d.lower() for dps in by_package.values() for d in dps})} distribution point(s) "
                          f"(every {hours} h)" + ("; the cycle goes on at the next check" if more else ""))
            uow.commit()
        if count:
            self.after_queue()
        return count

    # -- what the distribution job reports -----------------------------------------------------

    def set_state(self, package_id: str, dp_name: str, state: DpState, **fields: Any) -> PackageOnDp:
        """One (package, DP) row's state and fields (``STATE_FIELDS``); counters follow in the
        same transaction."""
        self.set_states([StateChange(package_id, dp_name, state, fields)])
        row = self.row(package_id, dp_name)
        assert row is not None
        return row

    def set_states(self, changes: Sequence[StateChange]) -> int:
        """A batch of state changes in one write transaction; how many rows changed. A change
        for a row that does not exist (removed meanwhile) is skipped."""
        for change in changes:
            unknown = set(change.fields) - set(STATE_FIELDS)
            if unknown:
                raise ValidationError.single(sorted(unknown)[0], f"{sorted(unknown)[0]!r} is not a (package, DP) field")
        with self._ctx.uow(write=True) as uow:
            done = uow.distribution.set_states(list(changes), at=self._ctx.clock())
            uow.commit()
        return done

    def removed(self, package_id: str, dp_name: str) -> bool:
        """The package is gone from the DP: its row goes (counters follow)."""
        with self._ctx.uow(write=True) as uow:
            gone = uow.distribution.delete_rows(package_id, [dp_name]) > 0
            if gone:
                self._message(uow, package_id, f"Package {package_id} removed from distribution point {dp_name}")
            uow.commit()
        return gone

    # -- Content Status ------------------------------------------------------------------------

    def row(self, package_id: str, dp_name: str) -> PackageOnDp | None:
        with self._ctx.uow() as uow:
            return uow.distribution.get_row(package_id, dp_name)

    def content_status(self, package_id: str, *, states: Sequence[DpState] = (), text: str = "", offset: int = 0,
                       limit: int | None = 100, after: str | None = None) -> Page:
        """A package's DPs by name, filtered and paged (the first page answers from an index).
        ``after``: the previous page's last DP name (keyset paging; the total is then -1)."""
        with self._ctx.uow() as uow:
            items, total = uow.distribution.query_rows(ContentQuery(package_id=package_id, states=tuple(states),
                                                                    text=text, offset=offset, limit=limit, after=after))
        return Page(items, total)

    def packages_on_dp(self, dp_name: str, *, states: Sequence[DpState] = (), text: str = "", offset: int = 0,
                       limit: int | None = 100, after: str | None = None) -> Page:
        """A DP's packages by PackageID; ``after``: the previous page's last PackageID (keyset)."""
        with self._ctx.uow() as uow:
            if uow.distribution.get_dp(dp_name) is None:
                raise NotFoundError(f"there is no distribution point named {dp_name!r} in this site")
            items, total = uow.distribution.query_rows(ContentQuery(dp_name=dp_name, states=tuple(states),
                                                                    text=text, offset=offset, limit=limit, after=after))
        return Page(items, total)

    def summary(self, package_id: str) -> ContentSummary:
        with self._ctx.uow() as uow:
            return uow.distribution.package_summary(package_id)

    def summaries(self, package_ids: Sequence[str] | None = None, *, offset: int = 0,
                  limit: int | None = None, show: str = "", after: str | None = None) -> list[ContentSummary]:
        """Per package counters (packages on at least one DP), by PackageID. ``show`` as
        ``dp_summary_page`` (a query, read from a partial index); ``after``: the previous page's
        last PackageID (keyset paging)."""
        if show not in SUMMARY_SHOWS:
            raise ValidationError.single("show", f"unknown filter {show!r} (errors, in_progress, incomplete)")
        with self._ctx.uow() as uow:
            return uow.distribution.package_summaries(package_ids, offset=offset, limit=limit, show=show, after=after)

    def dp_summary(self, dp_name: str) -> ContentSummary:
        with self._ctx.uow() as uow:
            if uow.distribution.get_dp(dp_name) is None:
                raise NotFoundError(f"there is no distribution point named {dp_name!r} in this site")
            return uow.distribution.dp_summary(dp_name)

    def dp_summaries(self) -> dict[str, ContentSummary]:
        with self._ctx.uow() as uow:
            return uow.distribution.dp_summaries()

    def dp_summary_page(self, *, text: str = "", show: str = "", offset: int = 0,
                        limit: int | None = 100, after: str | None = None) -> SummaryPage:
        """Per-DP counters by DP name, ``text`` in the name, ``show`` ``errors`` /
        ``in_progress`` / ``incomplete`` (not installed everywhere) or "" (all): one page (read
        in the name index's order, never every DP's counters) and the total."""
        if show not in SUMMARY_SHOWS:
            raise ValidationError.single("show", f"unknown filter {show!r} (errors, in_progress, incomplete)")
        if offset < 0 or (limit is not None and limit < 0):
            raise ValidationError.single("offset", "offset and limit must not be negative")
        with self._ctx.uow() as uow:
            items, total = uow.distribution.dp_summary_page(text=text, show=show, offset=offset, limit=limit,
                                                            after=after)
        return SummaryPage(items, total)

    def change_token(self) -> tuple[Any, ...]:
        """A cheap value that changes whenever a (package, DP) row, a counter or a DP changes
        (the live pages poll it and read again only when it changed)."""
        with self._ctx.uow() as uow:
            return uow.distribution.change_token()

    def groups_of_package(self, package_id: str) -> list[str]:
        with self._ctx.uow() as uow:
            return uow.distribution.groups_of_package(package_id)

    def recount(self) -> tuple[list[ContentSummary], list[ContentSummary]]:
        """Counters computed from the rows (per package, per DP), for a check."""
        with self._ctx.uow() as uow:
            return uow.distribution.recount()

    # -- helpers -------------------------------------------------------------------------------

    def _package_version(self, uow: UnitOfWork, package_id: str) -> int:
        record = uow.packages.get(package_id, lazy=False)
        if record is None:
            raise NotFoundError(f"there is no boot image package {package_id!r}; nothing was changed")
        return int(record.values.get("SourceVersion") or 0)

    def _message(self, uow: UnitOfWork, package_id: str | None, text: str) -> None:
        site = uow.sites.local()
        uow.status.add(time=self._ctx.clock(), severity="information", kind="distribution", package_id=package_id,
                       text=text, user=self._ctx.user, site_code=site.code if site else "")

