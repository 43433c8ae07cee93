"""The resident command server: a later ``bootimage`` command is run by a server that imported the
console once, and the user sees exactly what the command's own process would have shown: the same
output, exit status, prompts, Ctrl+C and ``kill -9``; a changed installation runs its new code.

Real processes throughout: the command as the user types it (``python -m console.cli``), the server
it starts in the background, a real pseudo-terminal for the prompt. Each test has its own socket
folder (``BOOTIMAGE_RESIDENT_DIR``) and stops its servers at the end."""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from console.cli import resident

from .conftest import BOOTIMAGE

Bootimage = Callable[..., subprocess.CompletedProcess[str]]


def wait_until(condition: Callable[[], object], what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    environment = {**os.environ, "BOOTIMAGE_DB": f"sqlite:///{tmp_path / 'site.db'}",
                   resident.DIR_VARIABLE: str(tmp_path / "resident"), resident.ENABLE_VARIABLE: "1"}
    yield environment
    subprocess.run([*BOOTIMAGE, "resident", "stop"], env=environment, capture_output=True, timeout=60)


@pytest.fixture
def bootimage(env: dict[str, str]) -> Bootimage:
    def invoke(*args: str, own_process: bool = False, **kwargs: object) -> subprocess.CompletedProcess[str]:
        run_env = {**env, resident.ENABLE_VARIABLE: "0"} if own_process else env
        return subprocess.run([*BOOTIMAGE, *args], capture_output=True, text=True, env=run_env, timeout=120,
                              **kwargs)  # type: ignore[call-overload, no-any-return]

    return invoke


def servers(bootimage: Bootimage) -> list[dict[str, object]]:
    status = json.loads(bootimage("resident", "status", "--json").stdout)
    return list(status["servers"])


def serving(bootimage: Bootimage) -> dict[str, object]:
    """The server the first command started, once it is ready."""
    wait_until(lambda: servers(bootimage), "the resident server to start")
    (server,) = servers(bootimage)
    return server


@pytest.fixture
def served_site(bootimage: Bootimage) -> str:
    """A site with one package, made by a first command that started the server; the server is ready."""
    assert bootimage("site", "init", "--site-code", "PS1").returncode == 0
    serving(bootimage)
    made = bootimage("new", "--no-image-read", "--path", "/nowhere/boot.wim", "--index", "1", "--name", "Résident")
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def test_a_served_command_shows_exactly_what_its_own_process_shows(bootimage: Bootimage, served_site: str) -> None:
    before = int(serving(bootimage)["served"])  # type: ignore[call-overload]
    commands = [
        ("show", served_site, "--json"),
        ("show", served_site),
        ("list", "--json", "--pretty"),
        ("show", "PS199999", "--json"),  # an error: exit 1 and its message
        ("show",),  # a usage error: exit 2 and argparse's usage text
        ("--version",),
        ("nonsense-command",),
    ]
    for command in commands:
        served = bootimage(*command)
        own = bootimage(*command, own_process=True)
        assert (served.returncode, served.stdout, served.stderr) == (own.returncode, own.stdout, own.stderr), command
    assert json.loads(bootimage("show", served_site, "--json").stdout)["Name"] == "Résident"
    assert int(serving(bootimage)["served"]) >= before + len(commands) + 1  # type: ignore[call-overload]


def test_the_command_gets_its_own_folder_umask_and_environment(bootimage: Bootimage, env: dict[str, str],
                                                              served_site: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    relative = bootimage("--db", "sqlite:///relative.db", "site", "init", "--site-code", "PS2", cwd=work,
                         preexec_fn=lambda: os.umask(0o077))
    assert relative.returncode == 0, relative.stderr
    assert (work / "relative.db").exists()  # the client's working folder, not the server's
    assert (work / "relative.db").stat().st_mode & 0o077 == 0  # the client's umask
    env["BOOTIMAGE_DB"] = "sqlite:///elsewhere.db"
    other = bootimage("show", served_site, "--json", cwd=work)
    assert other.returncode == 1 and "elsewhere.db" in other.stderr  # the client's BOOTIMAGE_DB, not the first one's


def _file_size_limit(kib: int, hard: int | None = None) -> Callable[[], None]:
    """``ulimit -f KIB`` (and ``-H -f``) in the client before it starts."""
    def limit() -> None:
        import resource

        _soft, current = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (kib * 1024, current if hard is None else hard))

    return limit


def test_the_command_keeps_the_clients_ulimit(bootimage: Bootimage, served_site: str, tmp_path: Path) -> None:
    """`ulimit -f 64` before a command that creates a new site (larger than 64 KiB): it fails as
    in its own process, while the server (started without the limit) could have written it."""
    results = []
    for own_process in (False, True):
        work = tmp_path / f"limited-{own_process}"
        work.mkdir()
        before = int(serving(bootimage)["served"])  # type: ignore[call-overload]
        results.append(bootimage("--db", "sqlite:///limited.db", "site", "init", "--site-code", "PS3", cwd=work,
                                 own_process=own_process, preexec_fn=_file_size_limit(64)))
        if not own_process:
            assert int(serving(bootimage)["served"]) == before + 1  # type: ignore[call-overload]  # it was served
        assert (work / "limited.db").stat().st_size <= 64 * 1024
    served, own = results
    assert own.returncode != 0 and own.stderr, "the limit makes the site creation fail in its own process"
    served_stderr = served.stderr.replace("limited-False", "limited-True")  # the same message, for its own folder
    assert (served.returncode, served.stdout, served_stderr) == (own.returncode, own.stdout, own.stderr)
    assert bootimage("show", served_site, "--json").returncode == 0  # the server itself is unlimited


def test_a_server_started_under_a_lower_ulimit_leaves_higher_ones_to_their_own_process(
        bootimage: Bootimage, env: dict[str, str], tmp_path: Path) -> None:
    """A server inherits the hard limits of the command that started it and cannot raise them:
    a later command with higher ones runs in its own process (with its own limits) instead."""
    lowered = _file_size_limit(4096, hard=4096 * 1024)
    assert bootimage("site", "init", "--site-code", "PS1", preexec_fn=lowered).returncode == 0
    server = serving(bootimage)
    made = bootimage("new", "--no-image-read", "--path", "/nowhere/boot.wim", "--index", "1", "--name", "Unlimited")
    assert made.returncode == 0, made.stderr
    assert int(serving(bootimage)["served"]) == int(server["served"])  # type: ignore[call-overload]  # not served
    assert bootimage("show", made.stdout.strip(), "--json", preexec_fn=lowered).returncode == 0
    assert int(serving(bootimage)["served"]) == int(server["served"]) + 1  # type: ignore[call-overload]


Prompting = Callable[..., tuple[subprocess.Popen[bytes], int]]


@pytest.fixture
def prompting_remove(env: dict[str, str]) -> Iterator[Prompting]:
    """``prompting_remove(ID)``: ``bootimage remove ID`` on a terminal, in a process group of its own
    (as a shell's job is), once it asks before removing; the process and the terminal's master
    side. Both are ended at teardown."""
    started: list[tuple[subprocess.Popen[bytes], int]] = []

    def start(package_id: str, preexec: Callable[[], None] | None = None) -> tuple[subprocess.Popen[bytes], int]:
        master, slave = pty.openpty()
        process = subprocess.Popen([*BOOTIMAGE, "remove", package_id], stdin=slave, stdout=slave, stderr=slave,
                                   env=env, preexec_fn=preexec, process_group=0)
        os.close(slave)
        started.append((process, master))
        seen = b""
        deadline = time.monotonic() + 60
        while b"[y/N]" not in seen and time.monotonic() < deadline:
            seen += os.read(master, 1024)
        assert b"[y/N]" in seen, seen
        return process, master

    yield start
    for process, master in started:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.kill()
        process.wait(timeout=60)
        os.close(master)

def test_a_prompt_reads_the_users_terminal(bootimage: Bootimage, prompting_remove: Prompting, served_site: str) -> None:
    process, master = prompting_remove(served_site)
    os.write(master, b"y\n")
    assert process.wait(timeout=60) == 0
    assert bootimage("show", served_site).returncode == 1  # removed


def test_ctrl_c_interrupts_the_command_as_in_its_own_process(bootimage: Bootimage, prompting_remove: Prompting,
                                                             served_site: str) -> None:
    process, _master = prompting_remove(served_site)
    # as a user does, some time after the prompt: CPython's input() writes the prompt, then reads;
    # a SIGINT between the two is only seen at the next key press, in its own process as here
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 1  # "error: interrupted", as the command's own process ends
    assert bootimage("show", served_site).returncode == 0  # not removed


def _state_and_nice(pid: int) -> tuple[str, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return fields[0], int(fields[16])


def test_ctrl_z_stops_the_command_and_fg_continues_it(bootimage: Bootimage, prompting_remove: Prompting,
                                                     served_site: str) -> None:
    process, master = prompting_remove(served_site, preexec=lambda: os.nice(5))
    (child,) = serving(bootimage)["running"]  # type: ignore[misc]
    assert _state_and_nice(child)[1] == 5  # `nice bootimage …`: the command runs as nicely as asked
    process.send_signal(signal.SIGTSTP)
    wait_until(lambda: _state_and_nice(child)[0] == "T" and _state_and_nice(process.pid)[0] == "T",
               "the command and its client to stop", 30)
    process.send_signal(signal.SIGCONT)
    wait_until(lambda: _state_and_nice(child)[0] != "T", "the command to continue", 30)
    os.write(master, b"n\n")
    assert process.wait(timeout=60) == 0
    assert bootimage("show", served_site).returncode == 0  # answered no: not removed


def test_kill_9_of_the_command_ends_the_work_it_was_doing(bootimage: Bootimage, prompting_remove: Prompting,
                                                          served_site: str) -> None:
    server_pid = int(serving(bootimage)["pid"])  # type: ignore[call-overload]
    process, _master = prompting_remove(served_site)
    running = serving(bootimage)["running"]
    assert isinstance(running, list) and len(running) == 1
    (child,) = running
    assert child != process.pid and int(Path(f"/proc/{child}/stat").read_text().split()[3]) == server_pid
    process.kill()
    process.wait(timeout=60)
    wait_until(lambda: not serving(bootimage)["running"], "the killed command's work to end", 30)
    assert not Path(f"/proc/{child}").exists()
    assert bootimage("show", served_site).returncode == 0  # the prompt was never answered: nothing removed


def test_a_changed_installation_runs_its_new_code(tmp_path: Path, env: dict[str, str]) -> None:
    """An upgrade changes the console's files under a running server: the next command runs the new
    code in its own process, the old server stops, and a new one starts for the commands after it."""
    code = tmp_path / "installed"
    shutil.copytree(Path(__file__).resolve().parents[2] / "console", code / "console",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(Path(__file__).resolve().parents[2] / "resources", code / "resources")
    installed_env = {**env, "PYTHONPATH": str(code)}

    def installed(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-P", "-m", "console.cli", *args], capture_output=True, text=True,
                              env=installed_env, timeout=120)

    def running() -> list[dict[str, object]]:
        return list(json.loads(installed("resident", "status", "--json").stdout)["servers"])

    assert installed("site", "init", "--site-code", "PS1").returncode == 0
    wait_until(running, "the server")
    (old,) = running()
    version_file = code / "console" / "__init__.py"
    version_file.write_text(version_file.read_text().replace('__version__ = "', '__version__ = "9.9.9-upgraded-'))
    upgraded = installed("--version")
    assert upgraded.returncode == 0 and "9.9.9-upgraded" in upgraded.stdout
    wait_until(lambda: all(s["pid"] != old["pid"] for s in running()), "the stale server to stop")
    wait_until(lambda: installed("--version").returncode == 0 and running(), "a new server")
    served = installed("--version")
    assert "9.9.9-upgraded" in served.stdout
    assert int(running()[0]["served"]) >= 1  # type: ignore[call-overload]


def test_an_idle_server_stops_by_itself(bootimage: Bootimage, env: dict[str, str]) -> None:
    env[resident.IDLE_VARIABLE] = "5"
    assert bootimage("site", "init", "--site-code", "PS1").returncode == 0
    wait_until(lambda: servers(bootimage), "the server")
    wait_until(lambda: not servers(bootimage), "the idle server to stop", 30)
    assert not list(Path(env[resident.DIR_VARIABLE]).glob("*.sock"))


def test_no_server_when_turned_off_or_when_the_folder_is_not_private(bootimage: Bootimage, env: dict[str, str],
                                                                      tmp_path: Path) -> None:
    env[resident.ENABLE_VARIABLE] = "0"
    assert bootimage("site", "init", "--site-code", "PS1").returncode == 0
    assert bootimage("list").returncode == 0
    assert not Path(env[resident.DIR_VARIABLE]).exists()
    assert "off" in bootimage("resident", "status").stdout
    env[resident.ENABLE_VARIABLE] = "1"
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # another user could replace a socket here
    env[resident.DIR_VARIABLE] = str(shared)
    for _ in range(2):
        listed = bootimage("list", "--json")
        assert listed.returncode == 0 and json.loads(listed.stdout) == []
    time.sleep(1)
    assert list(shared.iterdir()) == []
    status = bootimage("resident", "status")
    assert f"{shared} is open to other users (mode 777; it must be 700)" in status.stdout, status.stdout
    assert json.loads(bootimage("resident", "status", "--json").stdout)["folder_problem"].endswith("must be 700)")


def test_resident_stop_stops_the_server(bootimage: Bootimage, served_site: str) -> None:
    pid = int(serving(bootimage)["pid"])  # type: ignore[call-overload]
    stopped = json.loads(bootimage("resident", "stop", "--json").stdout)
    assert stopped == {"stopped": [pid]}
    wait_until(lambda: not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2],
               "the server to exit", 30)
    assert bootimage("show", served_site, "--json").returncode == 0  # the next command runs in its own process
