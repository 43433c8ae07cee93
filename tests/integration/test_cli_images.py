"""`bootimage image-info`, `bootimage new` reading the WIM, and `bootimage reload`, as
separate processes on real WIM files and a real SQLite site database."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys

import pytest

from tests.integration.test_wim_hostile import damaged

pytestmark = pytest.mark.both_databases

IMAGE_FIELDS = {
    "Index", "Name", "Description", "DisplayName", "DisplayDescription", "Architecture", "ArchitectureCode",
    "OSVersion", "ServicePackLevel", "Languages", "DefaultLanguage", "EditionID", "InstallationType", "ProductName",
    "ProductType", "HAL", "SystemRoot", "Flags", "TotalBytes", "HardLinkBytes", "FileCount", "DirectoryCount",
    "CreationTime", "LastModificationTime", "WIMBoot", "IsBootImage", "IsWindowsPE",
}


def test_image_info_json_lists_every_image_with_every_field(site, multi_image_wim):
    data = json.loads(site("image-info", str(multi_image_wim), "--json").stdout)
    assert (data["ImageCount"], data["BootIndex"], data["Compression"], data["Version"]) == (2, 2, "LZX", "0x10D00")
    assert data["BytesRead"] == 208 + data["XmlSize"]
    first, second = data["Images"]
    assert set(first) == IMAGE_FIELDS
    assert (first["Index"], first["Name"], first["Architecture"], first["OSVersion"]) == (
        1, "Microsoft Windows PE (x86)", "x86", "10.0.19041.1")
    assert first["Languages"] == ["en-US", "de-DE"] and first["DefaultLanguage"] == "en-US"
    assert first["EditionID"] == first["InstallationType"] == "WindowsPE" and first["IsWindowsPE"]
    assert first["CreationTime"]["HighPart"].startswith("0x") and first["CreationTime"]["Utc"].endswith("Z")
    assert (second["Architecture"], second["IsBootImage"], first["IsBootImage"]) == ("x64", True, False)


def test_image_info_xml_and_text(site, multi_image_wim):
    from tests.wim_fixtures import wimlib_xml

    assert site("image-info", str(multi_image_wim), "--xml").stdout == wimlib_xml(multi_image_wim) + "\n"
    text = site("image-info", str(multi_image_wim)).stdout
    assert "Images       : 2 (boot index 2)" in text
    assert "Image 2 (boot image, Windows PE)" in text
    assert "  OS version        : 10.0.26100.1" in text


def test_image_info_errors_are_one_line(site, winpe_x64_wim, tmp_path):
    path = damaged(winpe_x64_wim, tmp_path, "xxe")
    proc = site("image-info", str(path), check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == (f"error: {path}: the XML metadata contains a <!DOCTYPE> declaration; refused "
                           "(WIM metadata never has one; entities are never expanded and nothing is fetched)\n")


def test_image_info_imports_neither_qt_nor_sqlalchemy(winpe_x64_wim):
    code = (
        "import sys; from console.cli import main; rc = main(['image-info', sys.argv[1], '--json']); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'sqlalchemy', 'alembic')); "
        "print('LOADED', bad, file=sys.stderr); sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(winpe_x64_wim)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "LOADED []" in proc.stderr


def test_image_info_loads_only_the_reader_not_the_console_services(winpe_x64_wim):
    """`image-info` is compared as a whole process with `wimlib-imagex info` (docs/benchmarks/wim.md):
    it must not import the services layer (console.core.services, ~190 ms under load) nor the
    class definitions, only the WIM reader and what printing needs."""
    code = (
        "import sys; from console.cli import main; rc = main(['image-info', sys.argv[1], '--json']); "
        "print('LOADED', sorted(m for m in sys.modules if m.startswith('console')), file=sys.stderr); sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(winpe_x64_wim)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    loaded = ast.literal_eval(proc.stderr.split("LOADED ", 1)[1])
    heavy = [m for m in loaded if m.startswith(("console.core.services", "console.core.console_services",
                                                 "console.core.classdef", "console.storage", "console.metadata",
                                                 "console.ui", "console.app"))]
    assert heavy == []
    assert {"console.wim.reader", "console.cli.image"} <= set(loaded)


def test_new_reads_the_wim_and_index_2_records_the_second_image(site, multi_image_wim):
    assert site("new", "--path", str(multi_image_wim), "--index", "2").stdout.strip() == "PS100001"
    shown = json.loads(site("show", "PS100001", "--json").stdout)
    assert shown["Name"] == "Microsoft Windows PE (x64)"
    assert (shown["ImageIndex"], shown["Architecture"], shown["ImageOSVersion"], shown["Language"]) == (
        2, "x64", "10.0.26100.1", "en-US")
    assert shown["ImageProperty"].startswith("<WIM>") and shown["PackageSize"] > 0


def test_new_refuses_unreadable_files_and_writes_nothing(site, tmp_path, install_wim):
    missing = site("new", "--path", str(tmp_path / "gone.wim"), "--index", "1", "--name", "Gone", check=False)
    assert missing.returncode == 1
    assert missing.stderr.startswith(f"error: {tmp_path / 'gone.wim'}: no such file. Nothing was recorded.")
    assert "--no-image-read" in missing.stderr
    assert missing.stderr.count("\n") == 1
    bad_index = site("new", "--path", str(install_wim), "--index", "4", "--name", "Four", check=False)
    assert "holds 1 image(s) (1 Windows 11 Pro); there is no image 4" in bad_index.stderr
    not_pe = site("new", "--path", str(install_wim), "--index", "1", "--name", "Pro", check=False)
    assert not_pe.returncode == 1 and "is not a Windows PE image" in not_pe.stderr
    assert "--allow-unsupported" in not_pe.stderr
    assert json.loads(site("list", "--json").stdout) == []
    assert json.loads(site("status", "--json").stdout) == []
    forced = site("new", "--path", str(install_wim), "--index", "1", "--name", "Pro", "--allow-unsupported")
    assert forced.stdout.strip() == "PS100001"
    assert forced.stderr.startswith("warning: image 1 (Windows 11 Pro) is not a Windows PE image")


def test_no_image_read_still_records_without_reading(site):
    assert site("new", "--path", "/nowhere/boot.wim", "--index", "1", "--name", "Later", "--no-image-read").stdout.strip() == "PS100001"
    refused = site("new", "--path", "/nowhere/boot.wim", "--index", "1", "--no-image-read", check=False)
    assert "--name is required with --no-image-read" in refused.stderr


def test_reload_after_replacing_the_file_shows_what_changed(site, winpe_x86_wim, winpe_x64_wim, tmp_path):
    path = tmp_path / "boot.wim"
    shutil.copyfile(winpe_x86_wim, path)
    site("new", "--path", str(path), "--index", "1", "--name", "PE")
    shutil.copyfile(winpe_x64_wim, path)
    out = site("reload", "PS100001").stdout
    assert out.startswith(f"PS100001: image properties reloaded from {path} index 1\n")
    assert "  Architecture: x86 -> x64\n" in out
    assert "  ImageOSVersion: 10.0.19041.1 -> 10.0.26100.1\n" in out
    again = json.loads(site("reload", "PS100001", "--json").stdout)
    assert again["__notes"] == ["no changes"] and again["Architecture"] == "x64"
    status = json.loads(site("status", "--package", "PS100001", "--json").stdout)
    assert any("Architecture: x86 -> x64" in m["Text"] for m in status)
    path.unlink()
    gone = site("reload", "PS100001", check=False)
    assert gone.returncode == 1
    assert gone.stderr == f"error: {path}: no such file (source image of PS100001; nothing was changed)\n"
