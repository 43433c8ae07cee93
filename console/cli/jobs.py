"""Jobs by ContextID (``bootimage job …``) and the worker that runs them (``bootimage worker``)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from console.cli.output import emit_json, table
from console.cli.runtime import open_site
from console.core.errors import ConsoleError
from console.core.values import format_datetime

if TYPE_CHECKING:  # the parser is built for every command: import the job types only when used
    from console.core.jobs import Job

STATUS_NAMES = {0: "complete", 1: "in progress", 2: "error", 3: "no status"}


def register(sub: Any) -> None:
    job = sub.add_parser("job", help="jobs (image builds and the like) by ContextID")
    jobs = job.add_subparsers(dest="job_command", metavar="JOB_COMMAND")
    jobs.required = True
    listing = jobs.add_parser("list", help="jobs, newest first")
    listing.add_argument("--package", default=None, metavar="ID")
    listing.add_argument("--state", action="append", default=[],
                         choices=["queued", "running", "succeeded", "failed", "cancelled"])
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)
    for name, func, text in (
        ("status", cmd_status, "QueryOSDBinaryInjectionStatus: state, step and progress of a job"),
        ("cancel", cmd_cancel, "cancel a job (a running one stops at its next checkpoint)"),
        ("retry", cmd_retry, "queue a failed or cancelled job again"),
        ("delete", cmd_delete, "DeleteContextID: drop a job's record (not while it runs)"),
    ):
        command = jobs.add_parser(name, help=text)
        command.add_argument("context_id", metavar="CONTEXT_ID")
        command.add_argument("--json", action="store_true")
        command.set_defaults(func=func)
        if name == "retry":
            command.add_argument("--no-worker", action="store_true",
                                 help="do not start a worker when none is running")
    queue = jobs.add_parser("queue", help="queue a job of a kind a handler is installed for")
    queue.add_argument("kind")
    queue.add_argument("package_id", nargs="?", default=None, metavar="ID")
    queue.add_argument("--payload", default="{}", metavar="JSON", help="the job's parameters as a JSON object")
    queue.add_argument("--no-worker", action="store_true",
                       help="do not start a worker when none is running (a permanent worker will take it)")
    queue.add_argument("--json", action="store_true")
    queue.set_defaults(func=cmd_queue)

    worker = sub.add_parser("worker", help="run the site's jobs until stopped (SIGTERM stops it cleanly)")
    worker.add_argument("--until-idle", action="store_true",
                        help="exit when no job is queued or running (status 1 after the site database has been "
                             "unreachable for BOOTIMAGE_WORKER_UNREACHABLE_SECONDS, default 600)")
    worker.add_argument("--nice", type=int, default=0, metavar="N",
                        help="lower the worker's CPU priority by N (0-19; the console starts its worker with 10 "
                             "so builds never make the desktop sluggish)")
    worker.set_defaults(func=cmd_worker)


def job_json(job: Job) -> dict[str, Any]:
    return {
        "ContextID": job.context_id, "PackageID": job.package_id, "Kind": job.kind, "State": str(job.state),
        "Status": job.wmi_status, "Step": job.step, "CompletedSteps": list(job.completed_steps),
        "Progress": job.progress, "MaxProgress": job.max_progress, "ProgressText": job.progress_text,
        "ErrorCode": job.error_code, "ExtendedErrorInfo": job.extended_error_info, "Attempts": job.attempts,
        "QueuedBy": job.queued_by, "QueuedAt": format_datetime(job.queued_at),
        "StartedAt": format_datetime(job.started_at), "FinishedAt": format_datetime(job.finished_at),
        "CancelRequested": job.cancel_requested, "WorkerID": job.worker_id,
        "LeaseExpiresAt": format_datetime(job.lease_expires_at), "NextAttemptAt": format_datetime(job.next_attempt_at),
        "Payload": dict(job.payload),
    }


def _line(job: Job) -> str:
    step = f" [{job.step}]" if job.step and job.state == "running" else ""
    progress = f" {job.progress}/{job.max_progress}" if job.max_progress else ""
    error = f" (error {job.error_code}: {job.extended_error_info})" if job.error_code else ""
    return f"{job.context_id} {job.kind} {job.state}{step}{progress} {job.progress_text}{error}".rstrip()


def cmd_list(args: argparse.Namespace) -> None:
    jobs = open_site(args).jobs.list(package_id=args.package, states=args.state)
    if args.json:
        emit_json([job_json(j) for j in jobs])
        return
    table(["ContextID", "Package", "Kind", "State", "Step", "Progress", "Queued by", "Queued (UTC)", "Text"],
          [(j.context_id, j.package_id or "", j.kind, j.state, j.step,
            f"{j.progress}/{j.max_progress}" if j.max_progress else "", j.queued_by, format_datetime(j.queued_at),
            j.extended_error_info or j.progress_text) for j in jobs])


def cmd_status(args: argparse.Namespace) -> None:
    site = open_site(args)
    status = site.packages.query_osd_binary_injection_status(args.context_id)
    job = site.jobs.get(args.context_id)  # an unknown ContextID is an error (exit 1)
    if args.json:
        emit_json({"Status": status.status, "Progress": status.progress, "MaxProgress": status.max_progress,
                   "ProgressText": status.progress_text, "ErrorCode": status.error_code,
                   "ExtendedErrorInfo": status.extended_error_info, **job_json(job)})
        return
    print(f"{STATUS_NAMES.get(status.status, status.status)}: {_line(job)}")


def cmd_cancel(args: argparse.Namespace) -> None:
    job = open_site(args).jobs.cancel(args.context_id).value
    if args.json:
        emit_json(job_json(job))
    elif job.state == "cancelled":
        print(f"cancelled job {job.context_id}")
    else:
        print(f"cancel requested: job {job.context_id} stops at its next checkpoint")


def cmd_retry(args: argparse.Namespace) -> None:
    site = open_site(args)
    job = site.jobs.retry(args.context_id).value
    if not args.no_worker:
        _start_worker(site)
    if args.json:
        emit_json(job_json(job))
    else:
        print(f"queued job {job.context_id} again")


def cmd_delete(args: argparse.Namespace) -> None:
    context_id = open_site(args).packages.delete_context_id(args.context_id).value
    if args.json:
        emit_json({"ContextID": context_id, "Deleted": True})
    else:
        print(f"deleted job {context_id}")


def cmd_queue(args: argparse.Namespace) -> None:
    try:
        payload = json.loads(args.payload)
    except ValueError as exc:
        raise ConsoleError(f"--payload is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ConsoleError("--payload must be a JSON object, such as {\"key\": \"value\"}")
    site = open_site(args)
    job = site.jobs.queue(args.kind, args.package_id, payload).value
    if not args.no_worker:
        _start_worker(site)
    if args.json:
        emit_json(job_json(job))
    else:
        print(job.context_id)


def _start_worker(site: Any) -> None:
    site.ensure_worker()


def cmd_worker(args: argparse.Namespace) -> int:
    from console.core.audit import set_client_program
    from console.worker import Worker
    from console.worker_launch import lower_cpu_priority

    set_client_program("bootimage worker")  # the audit's Client column: "host bootimage worker[pid]"
    if not 0 <= args.nice <= 19:
        raise ConsoleError(f"--nice {args.nice}: give 0 (normal priority) to 19 (lowest)")
    lower_cpu_priority(args.nice)
    return Worker(open_site(args), until_idle=args.until_idle).run()
