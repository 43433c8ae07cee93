"""WIM metadata benchmark (``make bench``): our reader against wimlib on a >= 1 GiB WIM
holding about 100,000 files, all measured in the same run.

(a) ``console.packages.get_image_properties`` in-process;
(b) wimlib in-process through libwim.so.15 via ctypes (``wimlib_open_wim`` +
    ``wimlib_get_xml_data``), which reads and parses the whole blob table;
(c) whole processes: ``bootimage image-info --json`` and ``wimlib-imagex info --xml``.

The WIM is built once and cached (``$BOOTIMAGE_BENCH_CACHE`` or
``~/.cache/bootimage-console-bench``); figures are in docs/benchmarks/wim.md.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from console.wim.capture import ImageSpec

pytestmark = pytest.mark.bench

FILES = 100_000
BIG_FILES = 1_000  # 1 MiB each: with the small ones the image holds just over 1 GiB
SMALL_SIZE = 1_500
BIG_SIZE = 1024 * 1024
LAYOUT = {"files": FILES, "big": BIG_FILES, "small_size": SMALL_SIZE, "big_size": BIG_SIZE, "compress": "none", "v": 1}


def cache_dir() -> Path:
    return Path(os.environ.get("BOOTIMAGE_BENCH_CACHE", Path.home() / ".cache" / "bootimage-console-bench"))


def build_big_wim() -> tuple[Path, dict[str, object]]:
    """The benchmark WIM: ~100,000 files in 1,000 folders, >= 1 GiB, no compression
    (random data, so nothing would compress anyway); built once, then reused."""
    folder = cache_dir()
    path, meta_path = folder / "bench-1g-100k.wim", folder / "bench-1g-100k.json"
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("layout") == LAYOUT and meta.get("size") == path.stat().st_size:
            return path, meta
    if shutil.which("wimlib-imagex") is None:
        pytest.skip("wimlib-imagex is not installed (Debian package wimtools)")
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-tree-", dir=folder) as tmp:
        tree = Path(tmp)
        for n in range(FILES):
            sub = tree / "Windows" / "WinSxS" / f"d{n // 100:04d}"
            if n % 100 == 0:
                sub.mkdir(parents=True)
            size = BIG_SIZE if n % (FILES // BIG_FILES) == 0 else SMALL_SIZE
            (sub / f"f{n:06d}.dll").write_bytes(os.urandom(size))
        written = time.perf_counter() - started
        spec = ImageSpec("Microsoft Windows PE (x64)", "benchmark image", "x64", (10, 0, 26100, 1))
        args = ["wimlib-imagex", "capture", str(tree), str(path), spec.name, spec.description, "--compress=none", "--boot"]
        for key, value in spec.properties():
            args += ["--image-property", f"{key}={value}"]
        subprocess.run(args, check=True, capture_output=True, timeout=3600)
    meta = {"layout": LAYOUT, "size": path.stat().st_size, "tree_seconds": round(written, 1),
            "total_seconds": round(time.perf_counter() - started, 1)}
    meta_path.write_text(json.dumps(meta))
    return path, meta


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm up: page cache, imports
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def bytes_read_by_process() -> int:
    """``rchar`` of /proc/self/io: every byte this process got from read syscalls."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


class Wimlib:
    """libwim.so.15 through ctypes: the reference implementation's open + XML."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("wim") or "libwim.so.15"
        try:
            self.lib = ctypes.CDLL(name)
        except OSError:
            pytest.skip("libwim.so.15 (Debian package libwim15) is not installed")
        self.libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        self.lib.wimlib_open_wim.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]
        self.lib.wimlib_get_xml_data.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)]
        self.lib.wimlib_free.argtypes = [ctypes.c_void_p]
        self.lib.wimlib_get_error_string.restype = ctypes.c_char_p
        # wimlib 1.13 has no wimlib_free_memory; its buffers come from the C library's malloc
        self.free_memory = getattr(self.lib, "wimlib_free_memory", None) or self.libc.free
        self.free_memory.argtypes = [ctypes.c_void_p]
        assert self.lib.wimlib_global_init(0) == 0

    def xml(self, path: Path) -> str:
        wim = ctypes.c_void_p()
        rc = self.lib.wimlib_open_wim(os.fsencode(path), 0, ctypes.byref(wim))
        if rc:
            raise AssertionError(f"wimlib_open_wim: {self.lib.wimlib_get_error_string(rc).decode()}")
        try:
            buf, size = ctypes.c_void_p(), ctypes.c_size_t()
            rc = self.lib.wimlib_get_xml_data(wim, ctypes.byref(buf), ctypes.byref(size))
            assert rc == 0, self.lib.wimlib_get_error_string(rc).decode()
            try:
                return ctypes.string_at(buf, size.value).decode("utf-16-le").removeprefix("\ufeff")
            finally:
                self.free_memory(buf)
        finally:
            self.lib.wimlib_free(wim)


def test_wim_metadata_benchmark(console):
    path, meta = build_big_wim()
    size = path.stat().st_size
    wimlib = Wimlib()

    ours = console.packages.get_image_properties(str(path))
    [image] = ours.images
    assert size >= 1024**3 and image.file_count is not None and image.file_count >= FILES
    assert ours.xml == wimlib.xml(path), "both read the same XML"

    before = bytes_read_by_process()
    console.packages.get_image_properties(str(path))
    our_syscall_bytes = bytes_read_by_process() - before
    before = bytes_read_by_process()
    wimlib.xml(path)
    wimlib_syscall_bytes = bytes_read_by_process() - before

    a = median_seconds(lambda: console.packages.get_image_properties(str(path)), 200)
    b = median_seconds(lambda: wimlib.xml(path), 20)
    bootimage = Path(sys.executable).with_name("bootimage")
    cli = [str(bootimage), "image-info", str(path), "--json"]
    c_ours = median_seconds(lambda: subprocess.run(cli, check=True, capture_output=True), 15)
    c_wimlib = median_seconds(
        lambda: subprocess.run(["wimlib-imagex", "info", "--xml", str(path)], check=True, capture_output=True), 15
    )

    print(f"\nWIM: {size:,} bytes ({size / 1024**3:.2f} GiB), {image.file_count:,} files, "
          f"{image.dir_count:,} folders, XML {ours.xml_size:,} bytes; built in {meta['total_seconds']} s "
          f"(tree {meta['tree_seconds']} s), cached at {path}")
    print(f"(a) get_image_properties in-process      median {a * 1e3:8.3f} ms; reader counted {ours.bytes_read:,} "
          f"bytes, read syscalls {our_syscall_bytes:,} bytes")
    print(f"(b) wimlib_open_wim + get_xml_data (ctypes) median {b * 1e3:8.3f} ms; read syscalls {wimlib_syscall_bytes:,} bytes")
    print(f"    ratio b/a = {b / a:,.0f}x  (a/b = {a / b:.4f})")
    print(f"(c) bootimage image-info --json process    median {c_ours * 1e3:8.1f} ms")
    print(f"    wimlib-imagex info --xml process       median {c_wimlib * 1e3:8.1f} ms  (ratio {c_wimlib / c_ours:.2f}x)")

    assert ours.bytes_read == 208 + ours.xml_size < 1024 * 1024
    assert our_syscall_bytes < 1024 * 1024
    assert b >= 10 * a, f"in-process read must be >= 10x faster than wimlib's open + XML ({a=:.6f} s, {b=:.6f} s)"
    assert c_ours < 0.150, f"bootimage image-info must finish in < 150 ms (median {c_ours * 1e3:.1f} ms)"
