"""Checking the library's bytes: re-hash a version, and find what no manifest references."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from console.content.files import is_temp
from console.core.content import SHA256, ContentCorruptError, GarbageReport, Manifest

READ_BLOCK = 1024 * 1024


def verify_manifest(blob_path: Callable[[str], Path], manifest: Manifest) -> list[str]:
    """Every object of every file re-hashed (``blob_path``: where the library keeps an object);
    each problem as one line (empty: intact)."""
    problems: list[str] = []
    for file in manifest.files:
        whole = hashlib.sha256()
        intact = True
        for sha, size in file.blobs():
            digest = hashlib.sha256()
            length = 0
            try:
                with open(blob_path(sha), "rb") as handle:
                    while block := handle.read(READ_BLOCK):
                        digest.update(block)
                        whole.update(block)
                        length += len(block)
            except FileNotFoundError:
                problems.append(f"{file.path}: object {sha} is missing")
                intact = False
                continue
            if digest.hexdigest() != sha or length != size:
                problems.append(f"{file.path}: object {sha} is damaged (its bytes no longer match its hash)")
                intact = False
        if intact and whole.hexdigest() != file.sha256:
            problems.append(f"{file.path}: its bytes do not match its SHA-256 {file.sha256}")
    return problems


def referenced_objects(datalib: Path) -> set[str]:
    referenced: set[str] = set()
    for path in datalib.glob("*.json"):
        if is_temp(path):
            continue
        try:
            manifest = Manifest.from_json(json.loads(path.read_text("utf-8")))
        except FileNotFoundError:
            continue  # removed meanwhile (retention)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ContentCorruptError(f"garbage collection stopped: the manifest {path} cannot be read ({exc})") from None
        referenced.update(sha for sha, _ in manifest.blobs())
    return referenced


def collect_unreferenced(filelib: Path, datalib: Path, cutoff: float) -> GarbageReport:
    """Delete unreferenced objects and temporary files last changed before ``cutoff``.
    The caller holds the library lock exclusively."""
    referenced = referenced_objects(datalib)
    removed = freed = temps = 0
    for folder in filelib.iterdir():
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            try:
                stat = path.stat()
                if stat.st_mtime > cutoff:
                    continue
                if is_temp(path):
                    path.unlink()
                    temps += 1
                elif SHA256.match(path.name) and path.name not in referenced:
                    path.unlink()
                    removed += 1
                    freed += stat.st_size
            except FileNotFoundError:
                continue
    return GarbageReport(removed, freed, temps)
