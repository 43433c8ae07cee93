"""A clean Debian 12 root for testing the package: made once with ``debootstrap`` (minbase) and
cached as a tarball under /var/tmp, with the .debs of the package's Depends and Recommends
already downloaded into it, so a test installs with ``apt-get install --no-download`` and uses
no network. Commands run in it with ``chroot`` inside private mount and network namespaces
(``unshare --mount --net``): /proc, /dev/pts and /dev/shm mounted there vanish with the
namespace whatever happens to the test, and only the set-up reaches the network.

Usage: python packaging/deb/debian_root.py prepare   (prints the tarball's path)
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
CACHE_DIR = Path(os.environ.get("BOOTIMAGE_DEB_ROOT_CACHE", "/var/tmp"))
#: Raise when the way the root is made changes (a new cache key).
RECIPE = 1
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SETUP_TIMEOUT = 1800


def control_field(name: str, control: str | None = None) -> str:
    text = control if control is not None else (HERE / "control.in").read_text(encoding="utf-8")
    match = re.search(rf"^{name}:(.*(?:\n[ \t].*)*)", text, re.MULTILINE)
    return " ".join(match.group(1).split()) if match else ""


def relations(name: str, control: str | None = None) -> list[str]:
    """The packages of a relation field, each alternative group by its first choice."""
    names = []
    for group in control_field(name, control).split(","):
        first = group.split("|")[0].strip()
        if first:
            names.append(first.split("(")[0].strip())
    return list(dict.fromkeys(names))


def prerequisites() -> list[str]:
    """What the test installs before the package: its Depends and (first-choice) Recommends."""
    return sorted({*relations("Depends"), *relations("Recommends")})


def cache_key() -> str:
    text = "\n".join([str(RECIPE), SUITE, MIRROR, SECURITY_MIRROR, "minbase", *prerequisites()])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tarball() -> Path:
    return CACHE_DIR / f"bootimage-deb-root-{SUITE}-{cache_key()}.tar"


def chroot_command(root: Path, command: list[str], user: str | None = None,
                   env: dict[str, str] | None = None, network: bool = False) -> list[str]:
    """``command`` run in ``root`` with /proc, /dev/pts and /dev/shm of its own, in a clean
    environment; without ``network`` in a network namespace of its own (loopback only, down)."""
    environment = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
                   **(env or {})}
    inner = ["env", "-i", *[f"{k}={v}" for k, v in environment.items()], *command]
    if user is not None:
        inner = ["runuser", "-u", user, "--", *inner]
    script = ('mount -t proc proc "$0/proc" && mount -t tmpfs -o mode=1777 tmpfs "$0/dev/shm" '
              '&& mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$0/dev/pts" '
              '&& exec chroot "$0" "$@"')
    isolation = [] if network else ["--net"]
    return ["unshare", "--mount", "--propagation", "private", *isolation, "sh", "-c", script, str(root), *inner]


def run_in(root: Path, command: list[str], *, timeout: float, check: bool = True, user: str | None = None,
           env: dict[str, str] | None = None, network: bool = False) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(chroot_command(root, command, user, env, network), capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{command} exited {result.returncode} in {root}:\n{result.stdout}\n{result.stderr}")
    return result


def _configure(root: Path) -> None:
    (root / "etc/apt/sources.list").write_text(
        f"deb {MIRROR} {SUITE} main\ndeb {MIRROR} {SUITE}-updates main\n"
        f"deb {SECURITY_MIRROR} {SUITE}-security main\n", encoding="utf-8")
    # Like a container: maintainer scripts must not start services (nginx, dnsmasq, ...).
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n", encoding="utf-8")
    policy.chmod(0o755)
    (root / "dev/shm").mkdir(exist_ok=True)
    (root / "dev/pts").mkdir(exist_ok=True)


def prepare() -> Path:
    """The cached root tarball, made now when missing (network: debootstrap and apt)."""
    target = tarball()
    if target.exists():
        return target
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bootimage-deb-root-", dir=CACHE_DIR))
    try:
        root = work / "root"
        subprocess.run(["debootstrap", "--variant=minbase", SUITE, str(root), MIRROR], check=True,
                       timeout=SETUP_TIMEOUT, stdout=subprocess.DEVNULL)
        _configure(root)
        run_in(root, ["apt-get", "update", "-q"], timeout=SETUP_TIMEOUT, network=True)
        run_in(root, ["apt-get", "install", "-y", "-q", "--download-only", "--no-install-recommends",
                      *prerequisites()], timeout=SETUP_TIMEOUT, network=True)
        partial = target.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."], check=True,
                       timeout=SETUP_TIMEOUT)
        partial.replace(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def unpack(dest: Path) -> Path:
    """A fresh copy of the cached root in ``dest`` (an empty or missing folder)."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-C", str(dest), "--numeric-owner", "-xf", str(prepare())], check=True, timeout=600)
    return dest


if __name__ == "__main__":
    if sys.argv[1:] != ["prepare"]:
        sys.exit(__doc__)
    print(prepare())
