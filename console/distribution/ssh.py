"""The SSH transport: a DP's library on a Linux server, over SFTP and exec channels (asyncssh).

asyncssh runs on one private event loop in a background thread (``LoopThread``); every method
here is synchronous and waits for its coroutine with a time limit. File streams are pipelined:
each write or read of ``WRITE_BLOCK`` bytes is split by asyncssh into parallel SFTP requests,
and ``IN_FLIGHT`` of them are outstanding at once. Hashes (``sha256sum``) and reassembly
(``cat``) run on the server over an exec channel, so their bytes never cross the network; a
server that allows SFTP only (``ForceCommand internal-sftp``) gets the read-back fallback.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import itertools
import os
import posixpath
import re
import shlex
from collections import deque
from collections.abc import Coroutine, Iterable, Iterator
from typing import Any, TypeVar, cast

import asyncssh

from console.core.distribution import CAUSES, DistributionPoint, SecretStore, TransportError
from console.distribution.paths import relative
from console.distribution.ssh_support import (
    LoopThread,
    SshAddress,
    SshTimeouts,
    blocks,
    credentials,
    failure,
    known_hosts_files,
    parse_address,
    stderr_cause,
    wait,
)

T = TypeVar("T")

#: AES-GCM first: OpenSSL's AES-NI code is several times faster than asyncssh's ChaCha20-Poly1305.
ENCRYPTION = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com",
              "aes128-ctr", "aes256-ctr")
WRITE_BLOCK = 4 << 20  # bytes per pipelined SFTP write (asyncssh splits it into parallel requests)
IN_FLIGHT = 4  # such writes (or reads) outstanding
DISK_FULL_BELOW = 1 << 20  # a bare SFTP "Failure" while writing, with less free than this: disk full
SHA256 = re.compile(r"^\\?([0-9a-f]{64})\b")
SERVER_CAUSES = ("not_found", "permission", "disk_full")  # what a failed remote command may name
_LINKS = itertools.count(1)  # temporary link names of this process


class SshConnection:
    """``DpConnection`` over one SSH connection (SFTP session plus exec channels)."""

    def __init__(self, dp: DistributionPoint, address: SshAddress, library: str, conn: asyncssh.SSHClientConnection,
                 sftp: asyncssh.SFTPClient, runner: LoopThread, timeouts: SshTimeouts) -> None:
        self.dp, self.address, self.library = dp, address, library
        self.conn, self.sftp, self.runner, self.timeouts = conn, sftp, runner, timeouts
        self._deferred = 0

    # -- plumbing ---------------------------------------------------------------------------
    def _remote(self, path: str) -> str:
        return posixpath.join(self.library, relative(path)) if self.library else relative(path)

    def _do(self, coro: Coroutine[Any, Any, T], what: str, timeout: float | None = None) -> T:
        try:
            return self.runner.run(coro, timeout or self.timeouts.operation)
        except Exception as error:
            raise failure(error, self.dp.name, what) from None

    def _write_failure(self, error: Exception, what: str) -> TransportError:
        """OpenSSH's SFTP server answers ENOSPC with a bare "Failure": ask for the free space."""
        result = failure(error, self.dp.name, what)
        if result.cause == "io" and isinstance(error, asyncssh.SFTPFailure):
            with contextlib.suppress(TransportError):
                if (free := self.free_space()) < DISK_FULL_BELOW:
                    return TransportError(f"{self.dp.name}: {what}: disk full: {free} bytes free", cause="disk_full")
        return result

    def _server_failure(self, what: str, stderr: str) -> TransportError:
        """A remote command's failure: the cause its error text names, and that text."""
        cause = stderr_cause(stderr)
        return TransportError(f"{self.dp.name}: {what}: {CAUSES[cause][1]} ({stderr})", cause=cause)

    async def _exec(self, command: str) -> asyncssh.SSHCompletedProcess:
        return await self.conn.run(command, check=False)

    def _command(self, command: str, what: str) -> tuple[int, str, str]:
        result = self._do(self._exec(command), what, self.timeouts.command)
        status = result.exit_status if result.exit_status is not None else 255
        return status, str(result.stdout or ""), " ".join(str(result.stderr or "").split())

    async def _makedirs(self, remote: str, depth: int = 0) -> None:
        """``mkdir -p`` from the leaf up: one round trip when only the last folder is new
        (asyncssh's makedirs costs two per path component, from the root down)."""
        if remote in ("", "/", "."):
            return
        try:
            await self.sftp.mkdir(remote)
            return
        except asyncssh.SFTPNoSuchFile:
            if depth > 64:
                raise
            await self._makedirs(posixpath.dirname(remote), depth + 1)
        except (asyncssh.SFTPFailure, asyncssh.SFTPFileAlreadyExists):
            if await self.sftp.isdir(remote):  # OpenSSH answers EEXIST with a bare "Failure"
                return
            raise
        try:
            await self.sftp.mkdir(remote)
        except (asyncssh.SFTPFailure, asyncssh.SFTPFileAlreadyExists):
            if not await self.sftp.isdir(remote):  # another stream made it meanwhile: fine
                raise

    async def _open_creating(self, remote: str, mode: str) -> asyncssh.SFTPClientFile:
        """Open, creating the parent folders only when they are missing (thousands of FileLib
        objects go through here)."""
        try:
            return await self.sftp.open(remote, mode)
        except asyncssh.SFTPNoSuchFile:
            await self._makedirs(posixpath.dirname(remote))
            return await self.sftp.open(remote, mode)

    @contextlib.contextmanager
    def deferred_sync(self) -> Iterator[None]:
        """Streams written inside skip their own fsync; the library's file system is synced once
        at the end (``sync -f`` on the server), before a manifest names the objects."""
        self._deferred += 1
        try:
            yield
        finally:  # after a failure no sync: the caller retries, unverified objects are sent again
            self._deferred -= 1
        if not self._deferred:
            library = shlex.quote(self.library or ".")
            self._command(f"sync -f -- {library} 2>/dev/null || sync", "sync")

    # -- DpConnection -----------------------------------------------------------------------
    def free_space(self) -> int:
        async def statvfs() -> int | None:
            try:
                attrs = await self.sftp.statvfs(self.library or ".")
            except asyncssh.SFTPOpUnsupported:
                return None
            return int(attrs.bavail * attrs.frsize)

        free = self._do(statvfs(), self.library or "home folder")
        if free is not None:
            return free
        status, out, err = self._command(f"df -B1 --output=avail -- {shlex.quote(self.library or '.')}", "free space")
        numbers = [int(word) for word in out.split() if word.isdigit()]
        if status or not numbers:
            raise TransportError(f"{self.dp.name}: free space: df failed: {err or out}", cause=stderr_cause(err))
        return numbers[-1]

    def exists(self, path: str) -> bool:
        return self._do(self.sftp.exists(self._remote(path)), path)

    def size(self, path: str) -> int | None:
        async def stat(remote: str) -> int | None:
            try:
                return (await self.sftp.stat(remote)).size
            except asyncssh.SFTPNoSuchFile:
                return None

        return self._do(stat(self._remote(path)), path)

    def listdir(self, path: str) -> list[str]:
        async def names(remote: str) -> list[str]:
            try:
                found = await self.sftp.listdir(remote)
            except asyncssh.SFTPNoSuchFile:
                return []
            return sorted(str(name) for name in found if name not in (".", ".."))

        return self._do(names((self.library or ".") if path in ("", ".") else self._remote(path)), path)

    def makedirs(self, path: str) -> None:
        self._do(self._makedirs(self._remote(path)), path)

    def read_bytes(self, path: str) -> bytes:
        async def read(remote: str) -> bytes:
            async with self.sftp.open(remote, "rb") as handle:
                return cast(bytes, await handle.read())

        return self._do(read(self._remote(path)), path)

    def write_bytes(self, path: str, data: bytes) -> None:
        remote = self._remote(path)
        temp = posixpath.join(posixpath.dirname(remote), f".{posixpath.basename(remote)}.tmp")

        async def write() -> None:
            async with await self._open_creating(temp, "wb") as handle:
                await handle.write(data, 0)
                with contextlib.suppress(asyncssh.SFTPOpUnsupported):
                    await handle.fsync()
            await self.sftp.posix_rename(temp, remote)

        try:
            self.runner.run(write(), self.timeouts.operation)
        except Exception as error:
            raise self._write_failure(error, path) from None

    def write_stream(self, path: str, chunks: Iterable[bytes], *, offset: int = 0) -> int:
        remote = self._remote(path)

        async def open_at() -> asyncssh.SFTPClientFile:
            resume = offset > 0 and await self.sftp.exists(remote)
            handle = await self._open_creating(remote, "r+b" if resume else "wb")
            if offset:
                await handle.truncate(offset)
            return handle

        async def finish(handle: asyncssh.SFTPClientFile) -> None:
            if not self._deferred:
                with contextlib.suppress(asyncssh.SFTPOpUnsupported):
                    await handle.fsync()

        parts = blocks(chunks, WRITE_BLOCK)
        first, second = next(parts, b""), next(parts, None)
        if second is None:  # a small file: open, write, sync and close in one call to the loop
            async def whole() -> None:
                handle = await open_at()
                try:
                    if first:
                        await handle.write(first, offset)
                    await finish(handle)
                finally:
                    await handle.close()

            try:
                self.runner.run(whole(), self.timeouts.operation)
            except Exception as error:
                raise self._write_failure(error, path) from None
            return offset + len(first)

        handle = self._do(open_at(), path)
        pending: deque[tuple[concurrent.futures.Future[Any], int]] = deque()  # (write, where it ends)
        acked = offset  # the file is written up to here, in order

        def settle(keep: int) -> None:
            nonlocal acked
            try:
                while len(pending) > keep:
                    future, end = pending.popleft()
                    wait(future, self.timeouts.operation)
                    acked = end
            except Exception as error:
                raise self._write_failure(error, path) from None

        try:
            position = offset
            for block in itertools.chain((first, second), parts):  # the caller's own errors pass unchanged
                position += len(block)
                pending.append((self.runner.submit(handle.write(block, position - len(block)),
                                                   self.timeouts.operation), position))
                settle(IN_FLIGHT - 1)
            settle(0)
            self._do(finish(handle), path)  # fsync after every write
            return position  # truncated at offset, then written up to here
        except BaseException:
            self._cut_back(handle, pending, acked)
            raise
        finally:
            self._close_file(handle)

    def _cut_back(self, handle: asyncssh.SFTPClientFile, pending: deque[tuple[concurrent.futures.Future[Any], int]],
                  acked: int) -> None:
        """After a failed or abandoned stream: let the writes already sent finish (bounded), then
        cut the file back to the bytes known written in order, so a resume from its size leaves
        no hole."""
        whole = True
        for future, end in pending:
            try:
                wait(future, self.timeouts.operation)
                acked = end if whole else acked
            except Exception:
                whole = False
        with contextlib.suppress(Exception):
            self.runner.run(handle.truncate(acked), min(10.0, self.timeouts.operation))

    def read_stream(self, path: str, *, block: int = 1 << 20) -> Iterator[bytes]:
        async def open_file(remote: str) -> asyncssh.SFTPClientFile:
            return await self.sftp.open(remote, "rb")

        handle = self._do(open_file(self._remote(path)), path)
        pending: deque[concurrent.futures.Future[bytes]] = deque()
        try:
            position = 0
            while True:
                while len(pending) < IN_FLIGHT:
                    pending.append(self.runner.submit(handle.read(block, position), self.timeouts.operation))
                    position += block
                try:
                    data = bytes(wait(pending.popleft(), self.timeouts.operation))
                except Exception as error:
                    raise failure(error, self.dp.name, path) from None
                if data:
                    yield data
                if len(data) < block:
                    return
        finally:
            for future in pending:
                future.cancel()
            self._close_file(handle)

    def _close_file(self, handle: asyncssh.SFTPClientFile) -> None:
        with contextlib.suppress(Exception):
            self.runner.run(handle.close(), min(10.0, self.timeouts.operation))

    def sha256(self, path: str) -> str:
        status, out, err = self._command(f"sha256sum -b -- {shlex.quote(self._remote(path))}", path)
        match = SHA256.match(out.strip())
        if status == 0 and match:
            return match.group(1)
        if stderr_cause(err) in SERVER_CAUSES:
            raise self._server_failure(path, err)
        digest = hashlib.sha256()  # no sha256sum (or no shell) on the server: read it back
        for data in self.read_stream(path):
            digest.update(data)
        return digest.hexdigest()

    def concatenate(self, parts: list[str], dest: str) -> None:
        target = self._remote(dest)
        sources = " ".join(shlex.quote(self._remote(part)) for part in parts)
        quoted, folder = shlex.quote(target), shlex.quote(posixpath.dirname(target) or ".")
        status, _, err = self._command(f"mkdir -p -- {folder} && {{ cat -- {sources} > {quoted} || "
                                       f"{{ s=$?; rm -f -- {quoted}; exit $s; }}; }}", dest)
        if status == 0:
            return
        if stderr_cause(err) in SERVER_CAUSES:
            raise self._server_failure(dest, err)
        # no shell on the server: the bytes travel back and forth
        self.write_stream(dest, itertools.chain.from_iterable(self.read_stream(part) for part in parts))

    def rename(self, src: str, dst: str) -> None:
        source, target = self._remote(src), self._remote(dst)

        async def posix_rename() -> None:
            try:
                await self.sftp.posix_rename(source, target)
            except asyncssh.SFTPNoSuchFile:
                if not await self.sftp.exists(source):
                    raise
                await self._makedirs(posixpath.dirname(target))  # the destination's folder is new
                await self.sftp.posix_rename(source, target)

        async def rename() -> None:
            try:
                await posix_rename()
            except asyncssh.SFTPOpUnsupported:  # not atomic, but the only way left
                with contextlib.suppress(asyncssh.SFTPNoSuchFile):
                    await self.sftp.remove(target)
                await self.sftp.rename(source, target)

        self._do(rename(), dst)

    # -- links (the network boot layout; OpenSSH's hardlink and posix-rename extensions) ----------

    def hard_link(self, src: str, dst: str) -> bool:
        source, target = self._remote(src), self._remote(dst)

        async def link() -> bool:
            with contextlib.suppress(asyncssh.SFTPNoSuchFile):
                await self.sftp.remove(target)
            try:
                await self.sftp.link(source, target)
            except (asyncssh.SFTPOpUnsupported, asyncssh.SFTPFailure):
                return False  # no hardlink extension, or another file system: the caller copies
            return True

        return self._do(link(), dst)

    def swap_link(self, link: str, target: str) -> None:
        path = self._remote(link)
        temp = posixpath.join(posixpath.dirname(path), f".{posixpath.basename(path)}.link-{os.getpid()}-{next(_LINKS)}")
        name = relative(target).rpartition("/")[2]

        async def swap() -> None:
            with contextlib.suppress(asyncssh.SFTPNoSuchFile):
                await self.sftp.remove(temp)
            await self.sftp.symlink(name, temp)
            await self.sftp.posix_rename(temp, path)

        self._do(swap(), link)

    def read_link(self, link: str) -> str | None:
        async def read(remote: str) -> str | None:
            try:
                return str(await self.sftp.readlink(remote))
            except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPFailure, asyncssh.SFTPInvalidParameter):
                return None  # absent, or not a link

        return self._do(read(self._remote(link)), link)

    def remove(self, path: str) -> None:
        async def remove(remote: str) -> None:
            with contextlib.suppress(asyncssh.SFTPNoSuchFile):
                await self.sftp.remove(remote)

        self._do(remove(self._remote(path)), path)

    def remove_tree(self, path: str) -> None:
        remote = self._remote(path)
        status, _, err = self._command(f"rm -rf -- {shlex.quote(remote)}", path)
        if status and stderr_cause(err) in SERVER_CAUSES:
            raise self._server_failure(path, err)
        if status:
            self._do(self.sftp.rmtree(remote, ignore_errors=True), path)

    def close(self) -> None:
        async def close() -> None:
            self.sftp.exit()
            self.conn.close()
            await self.conn.wait_closed()

        with contextlib.suppress(Exception):
            self.runner.run(close(), 10)


def connect_ssh(dp: DistributionPoint, secrets: SecretStore | None = None, *, known_hosts: str | None = None,
                timeouts: SshTimeouts | None = None) -> SshConnection:
    """Connect, authenticate, start SFTP and create the library folder."""
    limits = timeouts or SshTimeouts()
    try:
        address = parse_address(dp.address)
    except TransportError:
        raise
    except Exception as error:
        raise TransportError(f"{dp.name}: {error}", cause="not_found") from None
    trusted = known_hosts_files(known_hosts)
    try:
        known = asyncssh.read_known_hosts(trusted) if trusted else asyncssh.import_known_hosts("")
    except (ValueError, OSError) as error:
        raise TransportError(f"{dp.name}: known_hosts {', '.join(trusted)}: {error}", cause="auth") from None
    options: dict[str, Any] = {
        "host": address.host, "port": address.port, "known_hosts": known,
        "connect_timeout": limits.connect, "login_timeout": limits.connect,
        "keepalive_interval": limits.keepalive, "keepalive_count_max": 4,
        "encryption_algs": ENCRYPTION, "compression_algs": None,
        **credentials(dp, secrets),
    }
    if address.user or dp.username:
        options["username"] = address.user or dp.username
    library = posixpath.join(address.path, dp.library_root) if address.path else dp.library_root
    library = library.rstrip("/") or ("/" if library else "")

    async def open_connection() -> tuple[asyncssh.SSHClientConnection, asyncssh.SFTPClient]:
        conn = await asyncssh.connect(**options)
        try:
            sftp = await conn.start_sftp_client()
            if library:
                await sftp.makedirs(library, exist_ok=True)
        except BaseException:
            conn.close()
            raise
        return conn, sftp

    runner = LoopThread.shared()
    try:
        conn, sftp = runner.run(open_connection(), limits.connect + limits.operation)
    except asyncssh.HostKeyNotVerifiable:
        where = ", ".join(trusted) or "~/.ssh/known_hosts"
        raise TransportError(f"{dp.name}: {address}: authentication refused: the server's host key is not in "
                             f"{where}: add it (ssh-keyscan -p {address.port} {address.host}) after checking its "
                             "fingerprint", cause="auth") from None
    except Exception as error:
        raise failure(error, dp.name, f"{address} ({library or 'home folder'})") from None
    return SshConnection(dp, address, library, conn, sftp, runner, limits)
