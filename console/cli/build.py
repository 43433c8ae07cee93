"""``bootimage preflight`` / ``export-default`` / ``settings``: checking a build before it runs,
exporting the Windows ADK's winpe.wim, and the site settings builds use (the Settings dialog's twin)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from console.cli.network_boot import add_settings_options as add_network_boot_options
from console.cli.network_boot import apply_settings as apply_network_boot
from console.cli.output import emit_json, property_list
from console.cli.runtime import open_site

LABELS = {"pass": "PASS", "warning": "WARNING", "failure": "FAILURE"}


def register(sub: Any) -> None:
    pre = sub.add_parser("preflight", help="check that a boot image can be built (exit 1 when a check fails)")
    pre.add_argument("package_id", metavar="ID", help="PackageID, e.g. PS100004")
    pre.add_argument("--json", action="store_true")
    pre.set_defaults(func=cmd_preflight)
    export = sub.add_parser("export-default", help="export the configured Windows ADK's winpe.wim to a new WIM "
                            "(ExportDefaultBootImage)")
    export.add_argument("--architecture", required=True, help="x86, x64 or arm64")
    export.add_argument("--index", type=int, default=1, help="image index in winpe.wim (default 1)")
    export.add_argument("--path", required=True, help="the new .wim file (must not exist)")
    export.add_argument("--json", action="store_true")
    export.set_defaults(func=cmd_export_default)
    upd = sub.add_parser("update-image", help="build the boot image (UpdateImage): a job run by the site worker; "
                         "prints its ContextID")
    upd.add_argument("package_id", metavar="ID", help="PackageID, e.g. PS100004")
    upd.add_argument("--reload-from-adk", action="store_true",
                     help="first reload the image with the current Windows PE of the configured Windows ADK")
    upd.add_argument("--wait", action="store_true", help="show the job's progress and exit with its result")
    upd.add_argument("--json", action="store_true")
    upd.set_defaults(func=cmd_update_image)
    settings = sub.add_parser("settings", help="show or change the site settings (Windows ADK, builds)")
    settings.add_argument("--windows-adk", metavar="FOLDER", help="the Windows ADK folder (\"\" forgets it)")
    settings.add_argument("--deployment-command", metavar="COMMAND",
                          help="what every built boot image runs after the prestart command (\"\" = none)")
    settings.add_argument("--content-library-root", metavar="FOLDER",
                          help="where the site's content library lives (\"\" = the default under the data folder)")
    settings.add_argument("--secrets-file", metavar="FILE",
                          help="the site secrets file with the distribution points' passwords, mode 0600 "
                               "(\"\" = the default beside the site database)")
    settings.add_argument("--content-validation-hours", metavar="HOURS", type=int,
                          help="validate every package on every distribution point this often (0 = on demand only; "
                               "default 168, weekly)")
    settings.add_argument("--max-concurrent-dps", metavar="N", type=int,
                          help="distribution points the site's workers serve at once (default 16)")
    add_network_boot_options(settings)
    settings.add_argument("--json", action="store_true")
    settings.set_defaults(func=cmd_settings)


def _fix_text(fix: str) -> str:
    kind, _sep, where = fix.partition(":")
    if kind == "properties":
        return f"Properties › {where}"
    if kind == "wizard":
        return f"the {where.replace('-', ' ')} wizard"
    return "Settings" if kind == "settings" else fix


def cmd_preflight(args: argparse.Namespace) -> int:
    console = open_site(args)
    checks = console.builds.preflight(args.package_id)
    failures = [c for c in checks if c.failed]
    if args.json:
        emit_json({
            "PackageID": args.package_id.strip().upper(), "Passed": not failures,
            "Checks": [{"Id": c.id, "Severity": c.severity, "Message": c.message, "Fix": c.fix} for c in checks],
        })
    else:
        for c in checks:
            fix = f" [fix: {_fix_text(c.fix)}]" if c.fix else ""
            print(f"{LABELS[c.severity]:<8} {c.id}: {c.message}{fix}")
    warnings = sum(1 for c in checks if c.severity == "warning")
    if failures:
        print(f"error: pre-flight found {len(failures)} failure(s) and {warnings} warning(s); a build would not "
              "start: fix the failures first", file=sys.stderr)
        return 1
    if not args.json:
        print(f"Pre-flight passed ({warnings} warning(s)).")
    return 0


def cmd_export_default(args: argparse.Namespace) -> None:
    console = open_site(args)
    result = console.packages.export_default_boot_image(args.architecture, args.index, args.path)
    if args.json:
        emit_json({"ReturnValue": 0, "ExportImagePath": result.value, "Architecture": args.architecture.strip().lower(),
                   "ImageIndex": args.index})
    else:
        print(result.changes.notes[0] if result.changes.notes else f"Exported to {result.value}")


def cmd_settings(args: argparse.Namespace) -> None:
    console = open_site(args)
    s = console.settings
    network_boot = apply_network_boot(console, args)
    if args.windows_adk is not None:
        s.set_windows_adk_path(args.windows_adk)
    if args.deployment_command is not None:
        s.set_deployment_command(args.deployment_command)
    if args.content_library_root is not None:
        s.set_content_library_root(args.content_library_root)
    if args.secrets_file is not None:
        s.set_secrets_file(args.secrets_file)
    if args.content_validation_hours is not None:
        s.set_content_validation_hours(args.content_validation_hours)
    if args.max_concurrent_dps is not None:
        s.set_max_concurrent_dps(args.max_concurrent_dps)
    values: dict[str, object] = {
        "WindowsAdkPath": s.windows_adk_path(), "DeploymentCommand": s.deployment_command(),
        "ContentLibraryRoot": s.content_library_root(), "SecretsFile": s.secrets_file(),
        "ContentValidationHours": s.content_validation_hours(),
        "MaxConcurrentDistributionPoints": s.max_concurrent_dps(), **network_boot}
    if args.json:
        emit_json(values)
    else:
        property_list((k, str(v) if v not in ("", None) else "(none)") for k, v in values.items())


#: How often ``update-image --wait`` looks at the job.
WAIT_POLL_SECONDS = 0.5


def cmd_update_image(args: argparse.Namespace) -> int:
    console = open_site(args)
    context_id = console.packages.update_image(args.package_id, reload_from_adk=args.reload_from_adk).value
    return queued_job(console, context_id, args, done_text="built")


def queued_job(console: Any, context_id: str, args: argparse.Namespace, *, done_text: str) -> int:
    """A command that queued a job: without ``--wait`` its ContextID (``--json``: the job);
    with it, the job followed to its end (``follow_job``)."""
    from console.cli.jobs import job_json

    if not args.wait:
        if args.json:
            emit_json(job_json(console.jobs.get(context_id)))
        else:
            print(context_id)
        return 0
    return follow_job(console, context_id, json_out=args.json, done_text=done_text)


def follow_job(console: Any, context_id: str, *, json_out: bool, done_text: str) -> int:
    """``--wait``: show a queued job's progress on stderr until it ends; its result (exit 1
    with ``error: …`` when it did not succeed)."""
    import time

    from console.cli.jobs import job_json

    print(f"{context_id}: queued", file=sys.stderr)
    shown = ""
    while True:  # ends when the job does (a worker was started for it if none runs)
        job = console.jobs.get(context_id)
        line = f"{job.step or job.state}: {job.progress_text}".rstrip(": ") if job.state == "running" else str(job.state)
        if line != shown:
            print(f"{context_id}: {line}", file=sys.stderr)
            shown = line
        if job.finished:
            break
        time.sleep(WAIT_POLL_SECONDS)
    if json_out:
        emit_json(job_json(job))
    elif job.state == "succeeded":
        print(f"{context_id}: {job.progress_text or done_text}")
    if job.state != "succeeded":
        print(f"error: {job.extended_error_info or job.state}", file=sys.stderr)
        return 1
    return 0
