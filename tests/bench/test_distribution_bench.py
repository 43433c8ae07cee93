"""Distribution benchmarks (``make bench``), ratios measured in one run.

1. A 256 MiB image to 20 folder DPs, hash-verified on each DP (every object hashed there before
   it is renamed into FileLib, the reassembled ``Packages/<PID>/boot.<PID>.wim`` hashed before
   it is renamed into place), DPs served in parallel up to the site's limit (16), against
   ``cp FILE DP/ && sha256sum DP/FILE`` for the same 20 folders: ≥ 0.8× the reference's
   throughput. Folders are cleaned between runs.
2. An update after a rebuild that changed 1 % of a non-solid WIM's files: bytes sent ≤ 10 %.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from console.content.library import FileContentLibrary
from console.core.content import ManifestFields
from console.core.distribution import DEFAULT_MAX_CONCURRENT_DPS, DistributionPoint, TransportKind
from console.distribution.connect import SiteTransports
from console.distribution.dp_content import SiteToDp
from tests.distribution_fixtures import capture_wim, payload_tree

pytestmark = pytest.mark.bench

PID = "PS100001"
IMAGE_MIB = 256
DPS = 20
LIMIT = 0.8
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


def test_distribute_256_mib_to_20_folder_dps_against_cp_and_sha256sum():
    with tempfile.TemporaryDirectory(prefix="dist-bench-", dir=WORK) as tmp:
        base = Path(tmp)
        image = base / "boot.wim"
        with open(image, "wb") as out:
            for n in range(IMAGE_MIB):
                out.write(hashlib.shake_256(f"block {n}".encode()).digest(1 << 20))
        digest = hashlib.sha256(image.read_bytes()).hexdigest()
        library = FileContentLibrary(base / "site")
        library.store(PID, 1, {f"boot.{PID}.wim": image}, ManifestFields("bench"), make_current=True)
        folders = [base / f"dp{n:02d}" for n in range(DPS)]

        def fresh() -> None:
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
            subprocess.run(["sync"], check=False)

        fresh()
        started = time.perf_counter()
        for folder in folders:
            out = subprocess.run(f"cp {image} {folder}/ && sha256sum {folder}/boot.wim", shell=True, check=True,
                                 capture_output=True, text=True).stdout
            assert out.split()[0] == digest
        reference = time.perf_counter() - started

        fresh()
        dps = [DistributionPoint(name=f.name, transport=TransportKind.FOLDER, address=str(f)) for f in folders]
        started = time.perf_counter()
        with ThreadPoolExecutor(DEFAULT_MAX_CONCURRENT_DPS) as pool:
            sent = list(pool.map(lambda dp: distribute(library, dp, 1), dps))
        ours = time.perf_counter() - started
        for folder in folders:
            assert (folder / "SCCMContentLib" / "Packages" / PID / f"boot.{PID}.wim").stat().st_size == image.stat().st_size
        assert sent == [image.stat().st_size] * DPS
        fresh()

    total = IMAGE_MIB * DPS
    ratio = reference / ours
    print(f"\n256 MiB to {DPS} folder DPs: cp + sha256sum {reference:.1f} s ({total / reference:.0f} MiB/s), "
          f"distribute {ours:.1f} s ({total / ours:.0f} MiB/s): {ratio:.2f}x the reference's throughput")
    assert ratio >= LIMIT, f"distribution reached {ratio:.2f}x of cp + sha256sum (needs {LIMIT}x)"


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
    print(f"\nupdate after 1 % of the files changed: {sent / 2**20:.1f} MiB sent of {v2.stat().st_size / 2**20:.1f} MiB "
          f"({share:.1%})")
    assert (folder / "SCCMContentLib" / "Packages" / PID / f"boot.{PID}.wim").read_bytes() == v2.read_bytes()
    assert share <= 0.10
