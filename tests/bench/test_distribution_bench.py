"""Distribution benchmarks (``make bench``), ratios measured in one run (``tests/bench/measure.py``).

1. A 256 MiB image to 20 folder DPs on one disk, as the product does it: the distribute jobs
   queued through the content service (``AddDistributionPoints``, then ``redistribute``) and run
   by ``bootimage worker`` processes (as many as the site's limit of DPs served at once, 16, so
   the product's own check of that limit decides how many run together), hash-verified on each DP (every object hashed there before it is renamed into
   FileLib, the reassembled ``Packages/<PID>/boot.<PID>.wim`` hashed before it is renamed into
   place), timed from the queuing to the last job's end, against ``cp FILE DP/ && sha256sum
   DP/FILE`` for the same 20 folders, one after the other, taking turns ``BOOTIMAGE_BENCH_RUNS``
   times each (no warm-up round: the image was just written, so it is in the page cache for
   both): ≥ 0.8× the reference's throughput, i.e. ≤ 1.25× its time (medians). Folders are
   emptied and ``sync`` run before every run (untimed); the workers are started (and idle)
   before the first run. ``BOOTIMAGE_BENCH_DIST_MIB`` and ``BOOTIMAGE_BENCH_DPS`` make it
   smaller, ``BOOTIMAGE_BENCH_WORKERS`` sets the number of workers and
   ``BOOTIMAGE_BENCH_WORKER_POLL`` their ``WorkerPollSeconds`` (0.5).
2. An update after a rebuild that changed 1 % of a non-solid WIM's files: bytes sent ≤ 10 %
   (a byte count, the same on every run: measured once).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from console.content.library import FileContentLibrary
from console.core.content import ManifestFields
from console.core.distribution import DEFAULT_MAX_CONCURRENT_DPS, DistributionPoint, TransportKind
from console.core.jobs import JobState
from console.distribution.connect import SiteTransports
from console.distribution.dp_content import SiteToDp
from tests.bench.measure import Figures, alternate, child_env, ratio, record
from tests.conftest import REPO
from tests.distribution_fixtures import capture_wim, most_at_once, payload_tree, quiet

pytestmark = pytest.mark.bench

PID = "PS100001"
IMAGE_MIB = int(os.environ.get("BOOTIMAGE_BENCH_DIST_MIB", "256"))
DPS = int(os.environ.get("BOOTIMAGE_BENCH_DPS", "20"))
WORKERS = int(os.environ.get("BOOTIMAGE_BENCH_WORKERS", str(DEFAULT_MAX_CONCURRENT_DPS)))
POLL = os.environ.get("BOOTIMAGE_BENCH_WORKER_POLL", "0.5")
LIMIT = 0.8  # of the reference's throughput
WORK = Path(os.environ.get("BOOTIMAGE_DIST_BENCH_DIR", "/var/tmp"))


def distribute(library: FileContentLibrary, dp: DistributionPoint, version: int, previous: int | None = None) -> int:
    """What the distribute job's steps do, for one DP; the bytes sent."""
    target = SiteToDp(library, dp, SiteTransports(), "bench")
    try:
        sent = target.send(PID, version, lambda *_: None)["bytes_sent"]
        target.write_manifest(PID, version)
        target.set_pointer(PID, version)
        target.materialize(PID, version, previous=previous, force=False, progress=lambda *_: None)
        return sent
    finally:
        target.close()


def test_distribute_256_mib_to_20_folder_dps_against_cp_and_sha256sum(console, x64_facts):
    quiet(console)  # the benchmark's own workers run the jobs
    console.packages.create(name="Bench", image_path="/images/bench.wim", image_index=1, image=x64_facts)
    workers: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="dist-bench-", dir=WORK) as tmp:
        base = Path(tmp)
        console.settings.set_content_library_root(str(base / "site"))
        image = base / "boot.wim"
        with open(image, "wb") as out:
            for n in range(IMAGE_MIB):
                out.write(hashlib.shake_256(f"block {n}".encode()).digest(1 << 20))
        digest = hashlib.sha256(image.read_bytes()).hexdigest()
        console.revisions.library().store(PID, 1, {f"boot.{PID}.wim": image}, ManifestFields("bench"),
                                          make_current=True)
        folders = [base / f"dp{n:02d}" for n in range(DPS)]
        names = [f.name for f in folders]
        for folder in folders:
            folder.mkdir()
            console.distribution_points.add(DistributionPoint(name=folder.name, transport=TransportKind.FOLDER,
                                                              address=str(folder)))
        env = child_env({**os.environ, "BOOTIMAGE_DB": console.url, "XDG_DATA_HOME": str(base / "data"),
                         "PYTHONPATH": str(REPO), "BOOTIMAGE_WORKER_POLL_SECONDS": POLL})
        for n in range(WORKERS):
            with open(base / f"worker-{n}.log", "wb") as log:
                workers.append(subprocess.Popen([sys.executable, "-m", "console.cli", "worker"], env=env, cwd=REPO,
                                                stdout=log, stderr=subprocess.STDOUT))
        try:
            deadline = time.monotonic() + 120
            while len(console.jobs.live_workers()) < WORKERS:
                assert time.monotonic() < deadline, "the workers did not start"
                time.sleep(0.2)

            def fresh() -> None:
                for folder in folders:
                    shutil.rmtree(folder, ignore_errors=True)
                    folder.mkdir()
                subprocess.run(["sync"], check=False)

            def reference() -> float:
                fresh()
                started = time.perf_counter()
                for folder in folders:
                    out = subprocess.run(f"cp {image} {folder}/ && sha256sum {folder}/boot.wim", shell=True,
                                         check=True, capture_output=True, text=True).stdout
                    assert out.split()[0] == digest
                return time.perf_counter() - started

            at_once: list[int] = []

            def ours() -> float:
                fresh()
                started = time.perf_counter()
                queued = (console.content.redistribute(PID, names) if at_once
                          else console.content.add_distribution_points(PID, names)).value.context_ids
                while True:
                    jobs = [console.jobs.get(c) for c in queued]
                    if all(j.finished for j in jobs):
                        break
                    time.sleep(0.05)
                elapsed = time.perf_counter() - started
                assert all(j.state == JobState.SUCCEEDED for j in jobs), [j.extended_error_info for j in jobs]
                for folder in folders:
                    assert (folder / "SCCMContentLib" / "Packages" / PID / f"boot.{PID}.wim").stat().st_size == size
                assert sorted(j.step_results["record"]["bytes_sent"] for j in jobs) == [size] * DPS
                at_once.append(most_at_once(jobs))
                return elapsed

            size = image.stat().st_size
            runs = alternate({"ours": ours, "reference": reference}, warm_up=False)
            fresh()
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)

    total = IMAGE_MIB * DPS
    found = ratio(runs["ours"], runs["reference"])
    record("distribution_folder", {"folder_dps": {
        "subject": runs["ours"], "reference": runs["reference"], "goal": f"≤ {1 / LIMIT:g}× (≥ {LIMIT:g}× throughput)",
        "met": found <= 1 / LIMIT,
        "label": f"{IMAGE_MIB} MiB to {DPS} folder DPs on one disk, hash-verified, vs `cp` + `sha256sum` per folder",
    }}, notes=(f"{total:,} MiB written per run: ours {total / runs['ours'].median:.0f} MiB/s, cp + sha256sum "
               f"{total / runs['reference'].median:.0f} MiB/s (medians). Distribute jobs run by {WORKERS} workers "
               f"(WorkerPollSeconds {POLL}): at most {max(at_once)} DPs served at once; "
               "the reference one folder after the other."))
    assert found <= 1 / LIMIT, (f"distribution reached {1 / found:.2f}x of cp + sha256sum's throughput (needs {LIMIT}x): "
                                f"{runs['ours']} against {runs['reference']}")


def test_an_update_after_changing_1_percent_of_a_wims_files_sends_at_most_10_percent(tmp_path):
    tree = payload_tree(tmp_path / "tree", files=400, kib=256)  # 100 MiB, non-solid, uncompressed
    v1 = capture_wim(tree, tmp_path / "v1.wim")
    library = FileContentLibrary(tmp_path / "site")
    library.store(PID, 1, {f"boot.{PID}.wim": v1}, ManifestFields("bench"), make_current=True)
    folder = tmp_path / "dp"
    folder.mkdir()
    dp = DistributionPoint(name="DP01", transport=TransportKind.FOLDER, address=str(folder))
    assert distribute(library, dp, 1) == v1.stat().st_size
    for path in sorted(tree.rglob("*.dll"))[::100]:  # 4 files of 400: 1 %
        path.write_bytes(hashlib.shake_256(path.read_bytes()).digest(path.stat().st_size))
    v2 = capture_wim(tree, tmp_path / "v2.wim")
    library.store(PID, 2, {f"boot.{PID}.wim": v2}, ManifestFields("bench"), make_current=True)
    sent = distribute(library, dp, 2, previous=1)
    share = sent / v2.stat().st_size
    record("distribution_update", {"update": {
        "subject": Figures([sent / 2**20], unit="MiB"), "reference": Figures([v2.stat().st_size / 2**20], unit="MiB"),
        "goal": "≤ 0.1×", "met": share <= 0.10,
        "label": "bytes sent to update a folder DP after 1 % of a non-solid WIM's files changed vs the WIM's size",
    }}, notes="A byte count, the same on every run: measured once.")
    assert (folder / "SCCMContentLib" / "Packages" / PID / f"boot.{PID}.wim").read_bytes() == v2.read_bytes()
    assert share <= 0.10
