"""The boot script the console puts into every image it builds.

Where it lives, and why both files are written:

* ``Windows\\System32\\startnet.cmd`` holds the script. It is the documented Windows PE hook
  (the default shell runs it), so an administrator who mounts the image finds it where they
  expect, and it is plain text they can read.
* ``Windows\\System32\\winpeshl.ini`` ``[LaunchApps]`` starts that script explicitly. When
  a ``winpeshl.ini`` exists, Windows PE runs its ``[LaunchApps]`` *instead of* startnet.cmd;
  images exported from a ConfigMgr site or customized elsewhere often carry one (launching
  TsBootShell.exe or a vendor shell), which would silently skip our script. Writing our own
  ``winpeshl.ini`` makes the start order ours in every case.

What the script does, in order: ``wpeinit`` (network, Plug and Play); ``drvload`` for each
staged driver INF under ``X:\\Drivers\\<CI_ID>\\`` (load at boot, not DISM's offline driver
store: no open tool writes the DriverDatabase); ``wpeutil SetKeyboardLayout`` for the
package's InputLocale; a command prompt in its own window when EnableLabShell is set
(testing only); the prestart command, run from ``X:\\Prestart`` when it has a source folder;
then the site's deployment command. A failing prestart command stops the script (Windows PE
then restarts, as after a failed ConfigMgr prestart command).
"""

from __future__ import annotations

from collections.abc import Sequence

from console.core.servicing import DRIVERS_FOLDER, PRESTART_FOLDER, BuildSpec, DriverSource

CRLF = "\r\n"
WINPESHL_INI = (
    "; Written by Boot Image Console: start the boot script (startnet.cmd) in every case." + CRLF
    + "[LaunchApps]" + CRLF
    + "%SYSTEMROOT%\\System32\\cmd.exe, /c %SYSTEMROOT%\\System32\\startnet.cmd" + CRLF
)


def _image_path(path: str) -> str:
    return "%SYSTEMDRIVE%" + path.replace("/", "\\")


def driver_inf_path(driver: DriverSource) -> str:
    """Where a staged driver's INF is at boot (``%SYSTEMDRIVE%\\Drivers\\<CI_ID>\\x.inf``)."""
    return _image_path(f"{DRIVERS_FOLDER}/{driver.ci_id}/{driver.inf_file}")


def boot_script(spec: BuildSpec, keyboard_layout: str | None, drivers: Sequence[DriverSource] | None = None) -> str:
    """The text of ``startnet.cmd`` for ``spec`` (CRLF line ends, ASCII-safe)."""
    staged = spec.drivers if drivers is None else drivers
    lines = [
        "@echo off",
        f"rem Boot script of {spec.package_id}, written by Boot Image Console on every build.",
        "rem Do not edit: the next build replaces it from the package's properties.",
        "rem 1. Start Windows PE networking and Plug and Play.",
        "wpeinit",
    ]
    if staged:
        lines.append("rem 2. Load the boot image's drivers (staged in \\Drivers, loaded at boot).")
        lines += [f'drvload "{driver_inf_path(d)}"' for d in staged]
    if keyboard_layout:
        lines += ["rem 3. Keyboard layout (InputLocale).", f"wpeutil SetKeyboardLayout {keyboard_layout}"]
    if spec.enable_lab_shell:
        lines += ["rem 4. Command support (testing only): a command prompt in its own window.",
                  'start "Command support" %SYSTEMROOT%\\System32\\cmd.exe']
    if spec.pre_exec_command_line:
        lines.append("rem 5. Prestart command.")
        if spec.pre_exec_source_directory:
            lines.append(f'pushd "{_image_path(PRESTART_FOLDER)}"')
        lines += [
            spec.pre_exec_command_line,
            "if errorlevel 1 (",
            "  echo The prestart command failed with exit code %errorlevel%; the deployment does not start.",
            "  exit /b 1",
            ")",
        ]
        if spec.pre_exec_source_directory:
            lines.append("popd")
    if spec.deployment_command:
        lines += ["rem 6. The site's deployment command.", spec.deployment_command]
    return CRLF.join(lines) + CRLF
