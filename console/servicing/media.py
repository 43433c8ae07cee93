"""``MediaTools``: ``console.core.services.boot_media.MediaMaker`` with wimlib, xorriso, mtools.

* ISO (``xorriso -as mkisofs``): ISO 9660 level 3 with Joliet (long names) and Rock Ridge; an
  El Torito boot catalog with a BIOS entry (``boot/etfsboot.com``, no emulation, 8 sectors
  loaded, as Microsoft's oscdimg writes it) and a UEFI entry (``efi/microsoft/boot/efisys.bin``,
  no emulation; the FAT image that holds the UEFI boot manager). xorriso writes no UDF; Windows'
  boot manager reads ISO 9660/Joliet (wimlib's ``mkwinpeimg`` makes ISOs the same way).
* Disk image (``--disk``, for a USB stick: ``dd`` it to the stick): an MBR partition table
  (``sfdisk``) with one active FAT32 partition at 1 MiB (``mkfs.fat --offset``), the medium's
  files copied in with ``mcopy`` (mtools: no root, no mount). UEFI boots
  ``efi/boot/bootx64.efi`` from it. BIOS: Debian has no Microsoft MBR/boot-sector writer
  (``ms-sys`` is not packaged), so, as wimlib's ``mkwinpeimg`` does, SYSLINUX boots it:
  its MBR code (``syslinux-common``'s ``mbr.bin``), ``syslinux --install --offset`` (mtools
  based, no root) and ``chain.c32 ntldr=/bootmgr`` hands over to Windows' boot manager.

Every child runs through ``setpriv --pdeathsig KILL`` (dies with the worker), is polled for
cancel and killed on it; output goes to a temporary file next to the target, renamed when complete.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from console.core.boot_media import BIOS_BOOT_IMAGE, MEDIA_WIM, UEFI_BOOT_IMAGE, MediaFormat, disk_size
from console.core.servicing import CancelCheck, Cancelled, Progress, ServicingError
from console.servicing.wimlib import Wimlib, die_with_parent, remove

SYSLINUX_BIOS = ("/usr/lib/syslinux/modules/bios", "/usr/lib/syslinux/bios", "/usr/share/syslinux")
SYSLINUX_MBR = ("/usr/lib/syslinux/mbr/mbr.bin", "/usr/share/syslinux/mbr.bin")
#: The FAT partition starts here (bytes; 1 MiB, sector 2048).
PARTITION_OFFSET = 1024 * 1024
_PERCENT = re.compile(rb"([0-9]+(?:\.[0-9]+)?)% done")
SYSLINUX_CFG = "DEFAULT winpe\r\nLABEL winpe\r\n  COM32 chain.c32\r\n  APPEND ntldr=/bootmgr\r\n"


class MediaToolError(ServicingError):
    title = "Boot media"


def _never() -> bool:
    return False


def _quiet(done: int, total: int, text: str) -> None:
    return None


def _tool(name: str, package: str) -> str:
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.path.exists(p)), None)
    if path is None:
        raise MediaToolError(f"{name} was not found: install the Debian package {package}")
    return path


def temp_output(output: str) -> Path:
    """The temporary file next to ``output`` that becomes it when complete."""
    target = Path(output)
    return target.with_name(f".{target.name}.part")


class MediaTools:
    def __init__(self, wimlib: Wimlib | None = None) -> None:
        self.wimlib = wimlib or Wimlib()

    def list_image(self, wim: str) -> list[str]:
        return self.wimlib.dir(wim, 1)

    def lay_out(self, wim: str, boot_files: Mapping[str, str], folder: str, cancelled: CancelCheck = _never) -> None:
        target = Path(folder)
        remove(target)
        stage = target.with_name(target.name + ".extract")
        remove(stage)
        stage.mkdir(parents=True)
        try:
            self.wimlib.run(["extract", wim, "1", *sorted(set(boot_files.values())), f"--dest-dir={stage}",
                             "--preserve-dir-structure", "--no-acls", "--no-attributes"],
                            cancelled=cancelled, what=f"extracting the boot files from {wim}")
            building = target.with_name(target.name + ".tmp")
            remove(building)
            for media_path, image_path in boot_files.items():
                source = stage / image_path.strip("/")
                dest = building / media_path
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, dest)
            dest = building / MEDIA_WIM
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(wim, dest)  # same file system (the job's work folder): no copy
            except OSError:
                shutil.copyfile(wim, dest)
            os.replace(building, target)
        finally:
            remove(stage)

    def write(self, media_format: str, folder: str, output: str, *, label: str, architecture: str,
              progress: Progress = _quiet, cancelled: CancelCheck = _never) -> None:
        tmp = temp_output(output)
        remove(tmp)
        try:
            if media_format == MediaFormat.DISK:
                self._disk(Path(folder), tmp, label, progress, cancelled)
            else:
                self._iso(Path(folder), tmp, label, progress, cancelled)
            os.replace(tmp, output)
        except BaseException:
            remove(tmp)
            raise

    # -- ISO ---------------------------------------------------------------------------------------

    def _iso(self, folder: Path, tmp: Path, label: str, progress: Progress, cancelled: CancelCheck) -> None:
        argv = [_tool("xorriso", "xorriso"), "-as", "mkisofs", "-iso-level", "3", "-J", "-joliet-long", "-r",
                "-V", label[:32], "-o", str(tmp)]
        first = True
        if (folder / BIOS_BOOT_IMAGE).is_file():
            argv += ["-b", BIOS_BOOT_IMAGE, "-no-emul-boot", "-boot-load-size", "8"]
            first = False
        if (folder / UEFI_BOOT_IMAGE).is_file():
            argv += ([] if first else ["-eltorito-alt-boot"]) + ["-e", UEFI_BOOT_IMAGE, "-no-emul-boot"]
        argv += ["-c", "boot/boot.cat", str(folder)]
        progress(0, 100, "writing the ISO")
        _run(argv, progress, cancelled, "writing the ISO image", "writing the ISO")

    # -- disk image --------------------------------------------------------------------------------

    def _disk(self, folder: Path, tmp: Path, label: str, progress: Progress, cancelled: CancelCheck) -> None:
        mbr = next((p for p in SYSLINUX_MBR if os.path.isfile(p)), None)
        bios = next((d for d in SYSLINUX_BIOS if os.path.isfile(os.path.join(d, "chain.c32"))), None)
        if mbr is None or bios is None:
            raise MediaToolError("the SYSLINUX boot code was not found: install the Debian packages syslinux and "
                                 "syslinux-common")
        files = {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}
        size = disk_size(files) + PARTITION_OFFSET
        with open(tmp, "wb") as handle:
            handle.truncate(size)
        sectors = (size - PARTITION_OFFSET) // 512
        progress(0, 100, "partitioning the disk image")
        _run([_tool("sfdisk", "fdisk"), "--no-reread", "--no-tell-kernel", str(tmp)], _quiet, cancelled,
             "partitioning the disk image", stdin=f"label: dos\nstart=2048, size={sectors}, type=c, bootable\n")
        with open(mbr, "rb") as code, open(tmp, "r+b") as disk:
            disk.write(code.read()[:440])  # boot code only: the partition table and signature stay
        _run([_tool("mkfs.fat", "dosfstools"), "-F", "32", "-s", "1", "-n", label[:11].upper(),
              "--offset", "2048", str(tmp), str(sectors // 2)], _quiet, cancelled, "formatting the FAT32 partition")
        _run([_tool("syslinux", "syslinux"), "--install", "--offset", str(PARTITION_OFFSET), str(tmp)], _quiet,
             cancelled, "installing the SYSLINUX boot sector")
        config = folder / "syslinux.cfg"
        config.write_bytes(SYSLINUX_CFG.encode("ascii"))
        modules = [os.path.join(bios, m) for m in ("chain.c32", "libcom32.c32", "libutil.c32")
                   if os.path.isfile(os.path.join(bios, m))]
        image = f"{tmp}@@{PARTITION_OFFSET}"
        env = {"MTOOLS_SKIP_CHECK": "1"}
        progress(10, 100, "copying the medium's files into the disk image")
        entries = sorted(str(p) for p in folder.iterdir())
        _run([_tool("mcopy", "mtools"), "-s", "-Q", "-i", image, *entries, *modules, "::/"], _quiet, cancelled,
             "copying the files into the disk image", env=env)
        progress(100, 100, "disk image written")


def _run(argv: Sequence[str], progress: Progress, cancelled: CancelCheck, what: str, text: str = "",
         *, stdin: str | None = None, env: Mapping[str, str] | None = None) -> None:
    """Run one tool; progress from its ``NN.N% done`` lines; killed on cancel."""
    if cancelled():
        raise Cancelled()
    with tempfile.TemporaryFile() as errors, subprocess.Popen(
        [*die_with_parent(), *argv], stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "LC_ALL": "C", **(env or {})},
    ) as proc:
        assert proc.stderr is not None
        try:
            if stdin is not None and proc.stdin is not None:
                proc.stdin.write(stdin.encode("utf-8"))
                proc.stdin.close()
            os.set_blocking(proc.stderr.fileno(), False)
            while True:
                chunk = proc.stderr.read(65536)
                if chunk:
                    errors.write(chunk)
                    found = _PERCENT.findall(chunk)
                    if found and text:
                        percent = float(found[-1])
                        progress(int(percent * 10), 1000, f"{text} ({percent:.0f}%)")
                elif proc.poll() is not None:
                    break
                if cancelled():
                    proc.kill()
                    proc.wait()
                    raise Cancelled()
                if not chunk:
                    time.sleep(0.1)
        except BaseException:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            raise
        errors.seek(0)
        err = errors.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        lines = [ln.strip() for ln in err.splitlines() if ln.strip() and "% done" not in ln]
        cause = next((ln for ln in lines if "FAILURE" in ln or "SORRY" in ln), lines[-1] if lines else f"exit code {proc.returncode}")
        raise MediaToolError(f"{what}: {argv[0].rsplit('/', 1)[-1]} failed: {cause}")
