"""WIM metadata benchmark (``make bench``): our reader against wimlib on a >= 1 GiB WIM
holding about 100,000 files, every contender measured in the same run, taking turns
(``tests/bench/measure.py``).

(a) ``console.packages.get_image_properties`` in-process against (b) wimlib in-process through
    libwim.so.15 via ctypes (``wimlib_open_wim`` + ``wimlib_get_xml_data``, which reads and
    parses the whole blob table): ours at most 0.1× (10× faster);
(c) whole processes: ``bootimage image-info --json`` against ``wimlib-imagex info`` (and
    ``--xml`` against ``--xml``) on the big WIM, wall time and CPU time (user + system; steadier
    on a busy machine): CPU at most 1.3×, wall at most 1.5×, and under 150 ms of CPU. The same
    on a WIM of one file (where wimlib has no blob table to read), ``python -c pass`` and
    ``python -c 'import argparse, dataclasses, datetime, json, lxml.etree'`` are recorded
    beside them: they show what Python's start costs (docs/benchmarks/wim.md).

The WIM is built once and cached under ``measure.CACHE``/wim (``BOOTIMAGE_BENCH_WIM_FILES``
makes a smaller one while developing); figures are in docs/benchmarks/wim.md.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from console.wim.capture import ImageSpec
from tests.bench.measure import CACHE, Figures, alternate, paired, process_usage, ratio, record

pytestmark = pytest.mark.bench

FILES = int(os.environ.get("BOOTIMAGE_BENCH_WIM_FILES", "100000"))  # smaller while developing
BIG_FILES = FILES // 100  # 1 MiB each: with the small ones the image holds just over 1 GiB
SMALL_SIZE = 1_500
BIG_SIZE = 1024 * 1024
IN_PROCESS_LIMIT = 0.1  # our read at least 10x faster than wimlib's open + XML
CPU_BUDGET = 0.150  # seconds of CPU for a whole `bootimage image-info` process
CPU_LIMIT = 1.3  # its CPU time against `wimlib-imagex info`'s on the big WIM
WALL_LIMIT = 1.5  # its wall time likewise (the machine's load weighs on wall time)
LAYOUT = {"files": FILES, "big": BIG_FILES, "small_size": SMALL_SIZE, "big_size": BIG_SIZE, "compress": "none", "v": 1}


def build_big_wim() -> tuple[Path, dict[str, object]]:
    """The benchmark WIM: ~100,000 files in 1,000 folders, >= 1 GiB, no compression
    (random data, so nothing would compress anyway); built once, then reused."""
    folder = CACHE / "wim"
    path, meta_path = folder / f"bench-{FILES}.wim", folder / f"bench-{FILES}.json"
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


def small_wim(folder: Path) -> Path:
    """A WIM of one small file: what the process comparison costs when the blob table is tiny."""
    tree = folder / "small-tree"
    (tree / "Windows").mkdir(parents=True)
    (tree / "Windows" / "win.ini").write_text("[fonts]\n")
    path = folder / "small.wim"
    subprocess.run(["wimlib-imagex", "capture", str(tree), str(path), "Microsoft Windows PE (x64)", "--boot"],
                   check=True, capture_output=True, timeout=60)
    return path


def per_call(fn: Callable[[], object], calls: int) -> Callable[[], float]:
    """One run of ``calls`` calls, measured as the time of one call (sub-millisecond work)."""

    def run() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - started) / calls

    return run


def test_wim_metadata_benchmark(console, tmp_path):
    path, meta = build_big_wim()
    size = path.stat().st_size
    wimlib = Wimlib()

    ours = console.packages.get_image_properties(str(path))
    [image] = ours.images
    assert (size >= 1024**3 or FILES < 100_000) and image.file_count is not None and image.file_count >= FILES
    assert ours.xml == wimlib.xml(path), "both read the same XML"

    before = bytes_read_by_process()
    console.packages.get_image_properties(str(path))
    our_syscall_bytes = bytes_read_by_process() - before
    before = bytes_read_by_process()
    wimlib.xml(path)
    wimlib_syscall_bytes = bytes_read_by_process() - before

    # (a) against (b): in this process, taking turns
    in_ours, in_wimlib = paired(per_call(lambda: console.packages.get_image_properties(str(path)), 50),
                                per_call(lambda: wimlib.xml(path), 3))
    # (c) whole processes, taking turns: ours, wimlib-imagex, and Python doing nothing (the floor)
    bootimage = str(Path(sys.executable).with_name("bootimage"))
    small = small_wim(tmp_path)
    commands = {
        "ours_json": [bootimage, "image-info", str(path), "--json"],
        "wimlib_info": ["wimlib-imagex", "info", str(path)],
        "ours_xml": [bootimage, "image-info", str(path), "--xml"],
        "wimlib_xml": ["wimlib-imagex", "info", "--xml", str(path)],
        "ours_small": [bootimage, "image-info", str(small), "--json"],
        "wimlib_small": ["wimlib-imagex", "info", str(small)],
        "python_pass": [sys.executable, "-c", "pass"],
        "python_imports": [sys.executable, "-c", "import argparse, dataclasses, datetime, json, lxml.etree"],
    }
    cpu = {name: Figures() for name in commands}

    def timed(name: str) -> float:
        usage = process_usage(commands[name])
        cpu[name].values.append(usage.cpu)
        return usage.wall

    procs = alternate({name: partial(timed, name) for name in commands})
    for figures in cpu.values():
        del figures.values[0]  # the warm-up run (it also writes the bytecode)

    in_process = ratio(in_ours, in_wimlib)
    wall_json, wall_xml = ratio(procs["ours_json"], procs["wimlib_info"]), ratio(procs["ours_xml"], procs["wimlib_xml"])
    cpu_json = ratio(cpu["ours_json"], cpu["wimlib_info"])
    gib = size / 1024**3
    big = f"{gib:.2f} GiB WIM"
    record("wim_metadata", {
        "in_process": {"subject": in_ours, "reference": in_wimlib, "goal": f"≤ {IN_PROCESS_LIMIT}× (10× faster)",
                       "met": in_process <= IN_PROCESS_LIMIT,
                       "label": "read header + XML in-process vs wimlib_open_wim + get_xml_data (ctypes)"},
        "process_json": {"subject": procs["ours_json"], "reference": procs["wimlib_info"],
                         "goal": f"≤ {WALL_LIMIT}×", "met": wall_json <= WALL_LIMIT,
                         "label": f"`bootimage image-info --json` vs `wimlib-imagex info`, {big}, wall time"},
        "process_json_cpu": {"subject": cpu["ours_json"], "reference": cpu["wimlib_info"],
                             "goal": f"≤ {CPU_LIMIT}×, < {CPU_BUDGET * 1e3:.0f} ms",
                             "met": cpu_json <= CPU_LIMIT and cpu["ours_json"].median < CPU_BUDGET,
                             "label": f"the same, CPU time (user + system) of each process, {big}"},
        "process_xml": {"subject": procs["ours_xml"], "reference": procs["wimlib_xml"], "goal": f"≤ {WALL_LIMIT}×",
                        "met": wall_xml <= WALL_LIMIT,
                        "label": f"`bootimage image-info --xml` vs `wimlib-imagex info --xml`, {big}, wall time"},
        "process_small": {"subject": procs["ours_small"], "reference": procs["wimlib_small"],
                          "goal": "— (recorded: Python's start-up)",
                          "label": "`bootimage image-info --json` vs `wimlib-imagex info`, WIM of one file, wall time"},
        "process_small_cpu": {"subject": cpu["ours_small"], "reference": cpu["wimlib_small"],
                              "goal": f"< {CPU_BUDGET * 1e3:.0f} ms", "met": cpu["ours_small"].median < CPU_BUDGET,
                              "label": "the same, CPU time, WIM of one file"},
        "python_pass": {"subject": procs["python_pass"], "reference": procs["ours_json"], "goal": "—",
                        "label": f"`python -c pass` (same venv) vs `bootimage image-info --json` ({big}), wall time"},
        "python_pass_cpu": {"subject": cpu["python_pass"], "reference": cpu["ours_json"], "goal": "—",
                            "label": "the same, CPU time"},
        "python_imports_cpu": {"subject": cpu["python_imports"], "reference": cpu["ours_json"], "goal": "—",
                               "label": "`python -c 'import argparse, dataclasses, datetime, json, lxml.etree'` "
                                        "vs `bootimage image-info --json`, CPU time"},
    }, notes=(f"WIM: {size:,} bytes, {image.file_count:,} files, XML {ours.xml_size:,} bytes; our reader read "
              f"{our_syscall_bytes:,} bytes by syscalls, wimlib {wimlib_syscall_bytes:,}. The processes took turns; "
              "child Pythons ran with their bytecode cached (measure.child_env)."))
    print(f"WIM built in {meta['total_seconds']} s (tree {meta['tree_seconds']} s), {size / 1024**2:,.0f} MiB "
          f"on disk, cached at {path}")

    assert ours.bytes_read == 208 + ours.xml_size < 1024 * 1024
    assert our_syscall_bytes < 1024 * 1024
    assert in_process <= IN_PROCESS_LIMIT, f"in-process read vs wimlib's open + XML: {in_ours} vs {in_wimlib}"
    assert cpu["ours_json"].median < CPU_BUDGET and cpu["ours_small"].median < CPU_BUDGET, (
        f"bootimage image-info must use < {CPU_BUDGET * 1e3:.0f} ms of CPU: {cpu['ours_json']}, small {cpu['ours_small']}")
    assert cpu_json <= CPU_LIMIT and wall_json <= WALL_LIMIT and wall_xml <= WALL_LIMIT, (
        f"bootimage image-info against wimlib-imagex info on the {big}: CPU {cpu_json:.2f}x "
        f"({cpu['ours_json']} vs {cpu['wimlib_info']}), wall --json {wall_json:.2f}x, --xml {wall_xml:.2f}x")
