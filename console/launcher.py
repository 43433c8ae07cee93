"""``bootimage-console``: start the GUI, or explain what to do when there is no screen.

Without a display on Linux (no DISPLAY/WAYLAND_DISPLAY and no QT_QPA_PLATFORM), Qt
would abort with a plugin trace. Instead the console is started on a virtual X
screen (Xvfb), a screenshot of the main window is saved, and the user is told
where it is and how to use a real display.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``bootimage-console`` (also the source of its man page and completion)."""
    parser = argparse.ArgumentParser(prog="bootimage-console", description="Boot Image Console (GUI)")
    parser.add_argument("--db", metavar="URL", default=None, help="SQLAlchemy URL of the site database")
    parser.add_argument("--screenshot", metavar="PNG", default=None, help="save a screenshot of the main window")
    parser.add_argument("--quit-after-screenshot", action="store_true", help="exit once the screenshot is saved")
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def has_display() -> bool:
    if sys.platform != "linux":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not has_display():
        return run_on_virtual_screen(args)
    from console.ui.application import run_gui

    return run_gui(args)


def _free_display() -> int:
    for number in range(99, 200):
        if not Path(f"/tmp/.X{number}-lock").exists() and not Path(f"/tmp/.X11-unix/X{number}").exists():
            return number
    raise RuntimeError("no free X display number between :99 and :199")


def run_on_virtual_screen(args: argparse.Namespace) -> int:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        print(
            "bootimage-console: there is no display (DISPLAY is not set) and Xvfb is not installed.\n"
            "  - run it from a desktop session, or with DISPLAY set (e.g. `ssh -X`), or\n"
            "  - install Xvfb (`apt-get install xvfb`) to get a screenshot on a virtual screen.",
            file=sys.stderr,
        )
        return 2
    from console.paths import data_dir

    shot = Path(args.screenshot) if args.screenshot else data_dir() / "screenshots" / "main-window.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    number = _free_display()
    server = subprocess.Popen(
        [xvfb, f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if server.poll() is not None or time.monotonic() > deadline:
                print("bootimage-console: the virtual screen (Xvfb) did not start", file=sys.stderr)
                return 2
            time.sleep(0.05)
        from console.self_command import self_command, self_environment

        env = {**self_environment(), "DISPLAY": f":{number}"}
        command = self_command("bootimage-console", "--screenshot", str(shot), "--quit-after-screenshot")
        if args.db:
            command += ["--db", args.db]
        print(f"No display found: starting the console on a virtual screen (Xvfb :{number}).")
        code = subprocess.call(command, env=env)
        if code == 0 and shot.exists():
            print(f"Screenshot of the main window: {shot}")
            print("To use the console interactively, run `make run` in a desktop session or with DISPLAY "
                  "set to a real X server (for example over `ssh -X`).")
        return code
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
