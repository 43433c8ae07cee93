"""The content library on a distribution point through a real folder connection: a resumed
object continues from the bytes already written, a damaged copy never reaches FileLib, a full
disk is named, parallel streams and the rate limit hold."""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path

import pytest

from console.core.distribution import DistributionPoint, TransportError, TransportKind
from console.distribution.connect import SiteTransports
from console.distribution.remote_library import Counters, RemoteLibrary, object_path
from console.distribution.throttle import TokenBucket


def connect(root: Path):
    root.mkdir(parents=True, exist_ok=True)
    return SiteTransports().connect(DistributionPoint(name="DP01", transport=TransportKind.FOLDER, address=str(root)))


def blob(tmp_path: Path, name: str, size: int, seed: str = "x") -> tuple[tuple[str, int], Path]:
    data = hashlib.shake_256(seed.encode()).digest(size)
    path = tmp_path / name
    path.write_bytes(data)
    return (hashlib.sha256(data).hexdigest(), size), path


def test_a_half_written_object_is_continued_from_its_bytes_then_verified_and_renamed(tmp_path):
    conn = connect(tmp_path / "dp")
    lib = RemoteLibrary(conn, tag="{JOB-1}")
    (digest, size), source = blob(tmp_path, "object", 3 * 1024 * 1024 + 17)
    written = 2 * 1024 * 1024 + 5
    conn.write_stream(f"Temp/{digest}.JOB-1.part", [source.read_bytes()[:written]])  # what a killed worker left
    counters = Counters()
    lib.send_object(conn, (digest, size), source, counters)
    assert counters.bytes_sent == size - written  # only the rest travelled
    final = tmp_path / "dp" / "SCCMContentLib" / object_path(digest)
    assert final.read_bytes() == source.read_bytes()
    assert list((tmp_path / "dp" / "SCCMContentLib" / "Temp").iterdir()) == []
    assert lib.inventory() == {digest}


def test_sweep_deletes_what_ended_jobs_left_in_temp_and_keeps_live_jobs_bytes_and_other_names(tmp_path):
    conn = connect(tmp_path / "dp")
    lib = RemoteLibrary(conn, tag="{SELF}")
    names = ["a" * 64 + ".DEAD-1.part", "PS100001.0123456789abcdef.DEAD-2.file",  # ended jobs': they go
             "b" * 64 + ".LIVE-1.part", "PS100001.0123456789abcdef.LIVE-1.file",  # a job still running elsewhere
             "c" * 64 + ".SELF.part", "notes.txt", "d" * 64 + ".DEAD-1.tmp"]  # this job's; names of another form
    for name in names:
        conn.write_bytes(f"Temp/{name}", b"bytes in flight")
    asked = []

    def live() -> set[str]:
        asked.append(conn.listdir("Temp"))
        return {"{LIVE-1}"}

    assert lib.sweep(live) == 2
    assert sorted(conn.listdir("Temp")) == sorted(names[2:])
    assert asked and len(asked[0]) == len(names)  # the live jobs are asked after the listing
    assert RemoteLibrary(connect(tmp_path / "empty")).sweep(set) == 0  # no Temp yet: nothing to do


def test_a_copy_that_does_not_match_its_hash_never_reaches_filelib(tmp_path):
    conn = connect(tmp_path / "dp")
    lib = RemoteLibrary(conn)
    (digest, size), source = blob(tmp_path, "object", 100_000)
    source.write_bytes(b"\0" + source.read_bytes()[1:])  # the bytes changed under us
    with pytest.raises(TransportError) as caught:
        lib.send_object(conn, (digest, size), source, Counters())
    assert caught.value.cause == "hash_mismatch" and "hash mismatch after copy" in caught.value.message
    assert lib.inventory() == set()
    assert list((tmp_path / "dp" / "SCCMContentLib" / "Temp").iterdir()) == []


def test_parallel_streams_send_every_object_once_and_ticks_report_progress(tmp_path):
    streams_opened = []
    transports = SiteTransports()
    dp = DistributionPoint(name="DP01", transport=TransportKind.FOLDER, address=str(tmp_path / "dp"))
    (tmp_path / "dp").mkdir()

    def open_stream():
        streams_opened.append(1)
        return transports.connect(dp)

    lib = RemoteLibrary(transports.connect(dp), streams=3, open_stream=open_stream)
    blobs = dict(blob(tmp_path, f"b{n}", 50_000 + n, seed=str(n)) for n in range(12))
    ticks = []
    counters = Counters()
    lib.send_objects(sorted(blobs), lambda s: next(p for (h, _), p in blobs.items() if h == s), counters,
                     tick=lambda: ticks.append(counters.bytes_done))
    assert lib.inventory() == {h for h, _ in blobs}
    assert counters.objects_sent == 12 and counters.bytes_sent == sum(n for _, n in blobs)
    assert 1 <= len(streams_opened) <= 3 and ticks and ticks[-1] == counters.bytes_sent


def test_the_rate_limit_holds_the_stream_to_its_kilobytes_a_second(tmp_path):
    conn = connect(tmp_path / "dp")
    lib = RemoteLibrary(conn, rate_limit_kbps=2048, block=64 * 1024)
    (digest, size), source = blob(tmp_path, "object", 3 * 1024 * 1024)
    started = time.monotonic()
    lib.send_object(conn, (digest, size), source, Counters())
    elapsed = time.monotonic() - started
    # 3 MiB at 2 MiB/s, less the bucket's first burst (a quarter second)
    assert elapsed >= 1.2, f"3 MiB at 2048 KB/s took {elapsed:.2f} s"


def test_a_token_bucket_waits_for_its_debt():
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(1000.0, capacity=1000.0, clock=lambda: now[0], sleep=sleep)
    bucket.take(1000)
    assert slept == []
    bucket.take(500)
    assert slept == [0.5]


def test_a_full_disk_on_the_dp_is_named_disk_full(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        conn = connect(mount)
        lib = RemoteLibrary(conn)
        (digest, size), source = blob(tmp_path, "object", 2 * 1024 * 1024)
        with pytest.raises(TransportError) as caught:
            lib.send_object(conn, (digest, size), source, Counters())
        assert caught.value.cause == "disk_full" and caught.value.retryable
        assert lib.inventory() == set()
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_chunks_are_verified_by_reassembling_their_file_on_the_dp_and_a_damaged_one_is_found(tmp_path):
    from console.core.content import ContentFile

    conn = connect(tmp_path / "dp")
    lib = RemoteLibrary(conn, tag="JOB")
    parts = [hashlib.shake_256(f"chunk {n}".encode()).digest(200_000 + n) for n in range(3)]
    file = ContentFile("boot.PS100001.wim", sum(map(len, parts)), hashlib.sha256(b"".join(parts)).hexdigest(),
                       tuple((hashlib.sha256(p).hexdigest(), len(p)) for p in parts))
    sources = {}
    for n, part in enumerate(parts):
        sources[file.chunks[n][0]] = tmp_path / f"part{n}"
        sources[file.chunks[n][0]].write_bytes(part)
    counters = Counters()
    lib.send_objects(list(file.chunks), sources.__getitem__, counters, verify=False)
    assert lib.inventory() == set()  # unverified chunks wait in Temp
    damaged = tmp_path / "dp" / "SCCMContentLib" / "Temp" / f"{file.chunks[1][0]}.JOB.part"
    damaged.write_bytes(b"X" + damaged.read_bytes()[1:])
    pending = {sha for sha, _ in file.chunks}
    with pytest.raises(TransportError) as caught:
        lib.assemble("PS100001", file, pending)
    assert caught.value.cause == "hash_mismatch" and "1 damaged chunk(s) deleted" in caught.value.message
    assert not damaged.exists() and lib.inventory() == set()
    lib.send_objects([file.chunks[1]], sources.__getitem__, Counters(), verify=False)  # the next try
    lib.assemble("PS100001", file, pending)
    assert pending == set() and lib.inventory() == {sha for sha, _ in file.chunks}
    assembled = tmp_path / "dp" / "SCCMContentLib" / lib.assembled_path("PS100001", file)
    assert assembled.read_bytes() == b"".join(parts)
