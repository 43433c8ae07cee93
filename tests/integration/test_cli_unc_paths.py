"""A UNC path is a path on Windows only: on this (Linux) machine `bootimage` refuses it where a
file is recorded to be read later, with a message saying to mount the share (admin guide, "Paths")."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import Run

pytestmark = pytest.mark.skipif(__import__("os").name == "nt", reason="UNC paths are paths on Windows")

UNC = r"\\cm01\Sources$\OSD\boot.wim"


def test_new_without_reading_the_image_refuses_a_unc_source(site: Run) -> None:
    refused = site("new", "--path", UNC, "--index", "1", "--name", "Branch", "--no-image-read", check=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"error: ImagePath: {UNC} is a UNC path, which this machine cannot open")
    assert "mount the share" in refused.stderr and "/mnt/share/boot.wim" in refused.stderr
    assert json.loads(site("list", "--json").stdout) == []


def test_new_reading_the_image_and_image_info_say_the_same(site: Run) -> None:
    for args in (("new", "--path", UNC, "--index", "1"), ("image-info", UNC)):
        refused = site(*args, check=False)
        assert refused.returncode == 1
        assert f"{UNC} is a UNC path, which this machine cannot open" in refused.stderr, args
        assert "no such file" not in refused.stderr


def test_set_refuses_a_unc_image_path_and_prestart_folder(site: Run) -> None:
    site("new", "--path", "/mnt/cm01/boot.wim", "--index", "1", "--name", "Branch", "--no-image-read")
    for name, value in (("ImagePath", UNC), ("PreExecSourceDirectory", r"\\cm01\Sources$\OSD\Prestart")):
        refused = site("set", "PS100001", f"{name}={value}", check=False)
        assert refused.returncode == 1
        assert refused.stderr.startswith(f"error: {name}: {value} is a UNC path"), refused.stderr
    shown = json.loads(site("show", "PS100001", "--json").stdout)
    assert (shown["ImagePath"], shown["PreExecSourceDirectory"]) == ("/mnt/cm01/boot.wim", "")


def test_driver_import_refuses_a_unc_folder(site: Run) -> None:
    refused = site("driver", "import", r"\\cm01\Drivers\Latitude", check=False)
    assert refused.returncode == 1
    assert r"\\cm01\Drivers\Latitude is a UNC path, which this machine cannot open" in refused.stderr
    assert "/mnt/share/drivers" in refused.stderr
