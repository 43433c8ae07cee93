"""Boot image build benchmark (``make bench``): ``WimlibImageBuilder`` against raw
``wimlib-imagex export`` + ``update`` + ``verify`` (and ``hivexsh`` for the hive edit) of the
same changes, as processes, taking turns in the same run (``tests/bench/measure.py``: one
warm-up of each, then ``BOOTIMAGE_BENCH_RUNS`` runs each; the ratio of the medians counts).

The source is a ~400 MB LZX WinPE-like WIM with about 6,000 files (a quarter incompressible,
the rest text), built once and cached under ``measure.CACHE``/build keyed by ``LAYOUT``. The
changes: two drivers, a prestart folder (8 MB), one hive edit (scratch space) and the boot
script. Our build does more than the raw commands (the undo record, reading the result back,
listing and extracting to check each customization, the SHA-256 of the result); the budget
for all of that is 15 %. Each run builds into a fresh folder, removed afterwards (not timed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from console.servicing.bootscript import WINPESHL_INI, boot_script
from console.servicing.builder import WimlibImageBuilder
from console.wim.capture import ImageSpec, capture
from console.wim.reader import WimReader
from tests.bench.measure import CACHE, paired, ratio, record
from tests.servicing_fixtures import build_inputs, full_spec, winpe_tree

pytestmark = pytest.mark.bench

LAYOUT = {"random_files": 1600, "random_kib": 240, "text_files": 4400, "text_kib": 40, "compress": "LZX", "v": 1}
LIMIT = 1.15


def source_wim() -> Path:
    """The cached benchmark WIM (rebuilt when LAYOUT changes)."""
    key = "v{v}-{random_files}x{random_kib}-{text_files}x{text_kib}".format(**LAYOUT)
    folder = CACHE / "build"
    path, meta = folder / f"build-bench-{key}.wim", folder / f"build-bench-{key}.json"
    if path.exists() and meta.exists() and json.loads(meta.read_text()).get("size") == path.stat().st_size:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tree-", dir=folder) as tmp:
        tree = winpe_tree(Path(tmp) / "tree")
        root = tree / "Windows" / "System32" / "payload"
        text = ("Windows PE component manifest line; repeated text compresses well. " * 16).encode()
        for n in range(int(LAYOUT["random_files"])):
            folder = root / f"r{n // 100:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"blob{n:05d}.dll").write_bytes(os.urandom(int(LAYOUT["random_kib"]) * 1024))
        for n in range(int(LAYOUT["text_files"])):
            folder = root / f"t{n // 200:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            body = f"file {n}\n".encode() + text * (int(LAYOUT["text_kib"]) * 1024 // len(text))
            (folder / f"text{n:05d}.mui").write_bytes(body)
        capture(path, [ImageSpec()], trees=[tree], compress=str(LAYOUT["compress"]))
    seconds = round(time.perf_counter() - started, 1)
    meta.write_text(json.dumps({"layout": LAYOUT, "size": path.stat().st_size, "seconds": seconds}))
    print(f"\nbuilt the source WIM in {seconds} s: {path.stat().st_size / 2**20:,.0f} MiB at {path}")
    return path


def raw_build(source: Path, inputs, spec, folder: Path) -> float:  # type: ignore[no-untyped-def]
    """The same changes with wimlib-imagex and hivexsh directly, no checks."""
    started = time.perf_counter()
    out = folder / "raw.wim"
    env = {**os.environ, "WIMLIB_IMAGEX_IGNORE_CASE": "1"}
    subprocess.run(["wimlib-imagex", "export", str(source), "1", str(out), "--boot"], check=True,
                   capture_output=True, env=env)
    subprocess.run(["wimlib-imagex", "extract", str(out), "1", "/Windows/System32/config/SYSTEM",
                    f"--dest-dir={folder}", "--no-acls"], check=True, capture_output=True, env=env)
    subprocess.run(["hivexsh", "-w", str(folder / "SYSTEM")], check=True, capture_output=True, text=True,
                   input="cd ControlSet001\\Services\\FBWF\nsetval 1\nWinPECacheThreshold\ndword:0x80\ncommit\n")
    (folder / "startnet.cmd").write_text(boot_script(spec, "0407:00000407"), encoding="ascii", newline="")
    (folder / "winpeshl.ini").write_text(WINPESHL_INI, encoding="ascii", newline="")
    commands = [f'add "{folder / "SYSTEM"}" /Windows/System32/config/SYSTEM',
                f'add "{inputs.prestart}" /Prestart',
                f'add "{folder / "startnet.cmd"}" /Windows/System32/startnet.cmd',
                f'add "{folder / "winpeshl.ini"}" /Windows/System32/winpeshl.ini']
    for driver in spec.drivers:
        commands.append(f'add "{Path(driver.inf_path).parent}" /Drivers/{driver.ci_id}')
    subprocess.run(["wimlib-imagex", "update", str(out), "1"], input="\n".join(commands) + "\n", text=True,
                   check=True, capture_output=True, env=env)
    subprocess.run(["wimlib-imagex", "verify", str(out)], check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def our_build(spec, folder: Path) -> float:  # type: ignore[no-untyped-def]
    builder = WimlibImageBuilder(WimReader())
    started = time.perf_counter()
    for step in builder.STEPS:
        builder.run_step(step, spec, str(folder))
    builder.result(spec, str(folder))
    return time.perf_counter() - started


def in_fresh_folder(build: Callable[[Path], float], root: Path) -> Callable[[], float]:
    """One run of ``build`` in a new folder, removed afterwards (untimed)."""
    runs = iter(range(1_000))

    def run() -> float:
        folder = root / f"run{next(runs)}"
        folder.mkdir(parents=True)
        try:
            return build(folder)
        finally:
            shutil.rmtree(folder)

    return run


def test_build_within_15_percent_of_raw_wimlib(tmp_path):
    if shutil.which("wimlib-imagex") is None or shutil.which("hivexsh") is None:
        pytest.skip("needs wimlib-imagex (wimtools) and hivexsh (libhivex-bin)")
    source = source_wim()
    inputs = build_inputs(tmp_path, source)
    (inputs.prestart / "tools" / "payload.bin").write_bytes(os.urandom(8 * 1024 * 1024))
    spec = full_spec(inputs, background_bitmap_path="")
    preflight_started = time.perf_counter()
    checks = WimlibImageBuilder(WimReader()).preflight(spec)
    preflight = time.perf_counter() - preflight_started
    assert not [c for c in checks if c.failed]
    with open(source, "rb") as handle:  # warm the page cache for both contenders alike
        while handle.read(64 * 1024 * 1024):
            pass
    ours, raw = paired(in_fresh_folder(lambda f: our_build(spec, f), inputs.work_root / "ours"),
                       in_fresh_folder(lambda f: raw_build(source, inputs, spec, f), inputs.work_root / "raw"))
    size_mb = source.stat().st_size / 1024 / 1024
    found = ratio(ours, raw)
    record("build", {"build": {
        "subject": ours, "reference": raw, "goal": f"≤ {LIMIT}×", "met": found <= LIMIT,
        "label": "build (export + customize + verify + checks) vs wimlib-imagex export + update + verify",
    }}, notes=f"Source {size_mb:.0f} MB LZX, ~6,000 files; pre-flight {preflight:.2f} s (not in the ratio).")
    assert found <= LIMIT, f"the build took {found:.3f}x the raw commands (limit {LIMIT}): {ours} against {raw}"
