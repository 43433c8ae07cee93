"""The Debian package's source files, checked without building it: the control template, the
maintainer scripts, the worker's environment template, the launchers and the systemd unit
(``systemd-analyze verify`` in a temporary root; see test_unit_passes_systemd_analyze_verify)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
DEB = CHECKOUT / "packaging" / "deb"
UNIT = CHECKOUT / "packaging" / "bootimage-worker.service"
sys.path.insert(0, str(DEB))

import debian_root  # noqa: E402

CONTROL = (DEB / "control.in").read_text(encoding="utf-8")


def debian_packages_block(title: str) -> list[str]:
    """The packages under one ``# title…`` comment of packaging/debian-packages.txt."""
    names: list[str] = []
    inside = False
    for line in (CHECKOUT / "packaging" / "debian-packages.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            inside = line.startswith(f"# {title}")
        elif inside and line.strip():
            names.append(line.strip())
    return names


def test_control_template_has_the_fields_dpkg_and_apt_show() -> None:
    fields = dict(re.findall(r"^([A-Za-z-]+): ?(.*)$", CONTROL, re.MULTILINE))
    assert {"Package", "Version", "Architecture", "Maintainer", "Installed-Size", "Section", "Priority",
            "Depends", "Recommends", "Description"} <= fields.keys()
    assert fields["Package"] == "bootimage-console"
    assert fields["Architecture"] == "amd64"
    assert fields["Priority"] == "optional"
    assert re.fullmatch(r".+ <[^@\s]+@[^@\s]+>", fields["Maintainer"])
    summary = fields["Description"]
    assert 0 < len(summary) <= 80
    body = CONTROL.split("Description:", 1)[1].splitlines()[1:]
    assert body and all(line.startswith(" ") and len(line) <= 80 for line in body if line)


def test_depends_names_the_tools_python_and_the_qt_runtime() -> None:
    depends = debian_root.relations("Depends")
    assert {"wimtools", "libhivex-bin", "xorriso", "python3", "adduser", "fonts-dejavu-core"} <= set(depends)
    # every Qt runtime library the project installs for itself, the package asks for too
    assert set(debian_packages_block("Qt runtime")) <= set(depends)
    # Debian 12's python3 is 3.11: the vendored wheels and byte-code are for CPython 3.11
    assert "python3 (>= 3.11), python3 (<< 3.12)" in debian_root.control_field("Depends")
    recommends = debian_root.control_field("Recommends")
    for name in ("ipxe", "dnsmasq", "nginx", "postgresql-client"):
        assert re.search(rf"(^|[ ,|]){re.escape(name)}([ ,|]|$)", recommends), name


def test_the_test_root_installs_depends_and_recommends_first_choices() -> None:
    prerequisites = debian_root.prerequisites()
    assert "dnsmasq-base" in prerequisites and "dnsmasq" not in prerequisites
    assert "python3" in prerequisites and not any("(" in name for name in prerequisites)
    assert debian_root.tarball().name.startswith("bootimage-deb-root-bookworm-")


@pytest.mark.parametrize("script", ["postinst", "prerm", "postrm"])
def test_maintainer_scripts_are_posix_shell(script: str) -> None:
    path = DEB / script
    assert path.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    assert path.stat().st_mode & 0o111
    result = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_postinst_creates_the_system_user_but_does_not_start_the_worker() -> None:
    text = (DEB / "postinst").read_text(encoding="utf-8")
    assert "adduser --quiet --system --group --home /var/lib/bootimage --no-create-home" in text
    assert "chown root:bootimage /etc/bootimage/worker.env" in text
    assert "systemctl enable" not in text and "systemctl start" not in text
    assert "deb-systemd-helper enable" not in text


def test_worker_env_template_sets_nothing_and_names_what_the_console_reads() -> None:
    lines = (DEB / "worker.env").read_text(encoding="utf-8").splitlines()
    assert all(not line.strip() or line.startswith("#") for line in lines)  # a commented template
    names = {m.group(1) for line in lines if (m := re.match(r"#([A-Z_]+)=", line))}
    assert "BOOTIMAGE_DB" in names
    sources = "".join(p.read_text(encoding="utf-8") for p in (CHECKOUT / "console").rglob("*.py"))
    for name in names:
        assert f'"{name}"' in sources, f"{name} is not read by the console"


@pytest.mark.parametrize(("launcher", "call"), [("bootimage", "from console.cli.program import run"),
                                                ("bootimage-console", "from console.launcher import main")])
def test_launchers_run_debians_python_on_the_private_folder(launcher: str, call: str) -> None:
    text = (DEB / launcher).read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/python3 -s\n")
    assert 'sys.path.insert(0, "/usr/lib/bootimage-console")' in text and call in text
    compile(text, launcher, "exec")


def _verify_root(tmp_path: Path) -> Path:
    """A root holding the host's systemd units, the real launcher at /usr/bin/bootimage and our unit."""
    root = tmp_path / "root"
    (root / "usr/lib/systemd").mkdir(parents=True)
    (root / "usr/bin").mkdir(parents=True)
    shutil.copytree("/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "lib").symlink_to("usr/lib")
    (root / "bin").symlink_to("usr/bin")
    shutil.copy(DEB / "bootimage", root / "usr/bin/bootimage")
    shutil.copy(UNIT, root / "usr/lib/systemd/system/bootimage-worker.service")
    return root


@pytest.mark.skipif(shutil.which("systemd-analyze") is None or not Path("/lib/systemd/system/sysinit.target").exists(),
                    reason="needs systemd-analyze and the host's systemd units")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # No systemd runs here, and plain `verify` would look for /usr/bin/bootimage on this machine:
    # verify inside a root with the host's units and the package's real launcher instead.
    root = _verify_root(tmp_path)
    result = subprocess.run(["systemd-analyze", "verify", f"--root={root}", "bootimage-worker.service"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # unknown settings and bad values are only warnings: none allowed


@pytest.mark.skipif(shutil.which("systemd-analyze") is None or not Path("/lib/systemd/system/sysinit.target").exists(),
                    reason="needs systemd-analyze and the host's systemd units")
def test_systemd_analyze_verify_would_catch_a_broken_unit(tmp_path: Path) -> None:
    root = _verify_root(tmp_path)
    unit = root / "usr/lib/systemd/system/bootimage-worker.service"
    unit.write_text(unit.read_text(encoding="utf-8").replace("NoNewPrivileges=yes", "NoNewPrivileges=maybe"),
                    encoding="utf-8")
    (root / "usr/bin/bootimage").unlink()
    result = subprocess.run(["systemd-analyze", "verify", f"--root={root}", "bootimage-worker.service"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "/usr/bin/bootimage is not executable" in result.stderr
    assert "Failed to parse boolean value" in result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None or not Path("/lib/systemd/system/sysinit.target").exists(),
                    reason="needs systemd-analyze and the host's systemd units")
def test_systemd_rates_the_units_sandbox_ok(tmp_path: Path) -> None:
    # `systemd-analyze security --offline`: systemd's exposure score, 0 (locked down) to 10 (none);
    # --threshold counts in tenths: exit 1 above 4.0
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--root={_verify_root(tmp_path)}",
                             "--threshold=40", "bootimage-worker.service"], capture_output=True, text=True, timeout=120)
    level = re.search(r"Overall exposure level for bootimage-worker.service: ([0-9.]+) (\w+)", result.stdout)
    assert result.returncode == 0 and level, result.stdout + result.stderr
    assert float(level.group(1)) <= 4.0 and level.group(2) == "OK"


def test_unit_is_hardened_and_runs_as_its_own_user() -> None:
    text = UNIT.read_text(encoding="utf-8")
    settings = dict(re.findall(r"^([A-Za-z]+)=(.*)$", text, re.MULTILINE))
    assert settings["User"] == settings["Group"] == "bootimage"
    assert settings["ExecStart"] == "/usr/bin/bootimage worker"
    assert settings["ProtectSystem"] == "strict" and settings["NoNewPrivileges"] == "yes"
    assert settings["EnvironmentFile"] == "-/etc/bootimage/worker.env"
    assert settings["StateDirectory"] == "bootimage"
