"""One rule for names in the CLI and the GUI: trimmed, over-long ones refused (never cut)."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import Run

pytestmark = pytest.mark.both_databases


def test_names_are_trimmed_and_over_long_ones_refused(site: Run) -> None:
    site("new", "--path", "/x/boot.wim", "--index", "1", "--name", "  Lab  ", "--no-image-read")
    assert json.loads(site("show", "PS100001", "--json").stdout)["Name"] == "Lab"
    site("set", "PS100001", "Name= Lab x64 ", "Version= 1.0 ")
    shown = json.loads(site("show", "PS100001", "--json").stdout)
    assert (shown["Name"], shown["Version"]) == ("Lab x64", "1.0")
    refused = site("set", "PS100001", "Name=" + "n" * 51, check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: Name is limited to 50 characters; got 51"
    assert json.loads(site("show", "PS100001", "--json").stdout)["Name"] == "Lab x64"


def test_input_locale_must_be_a_known_windows_input_locale(site: Run) -> None:
    site("new", "--path", "/x/boot.wim", "--index", "1", "--name", "Lab", "--no-image-read")
    site("set", "PS100001", "InputLocale=de-DE")
    site("set", "PS100001", "InputLocale=0407:00000407")
    refused = site("set", "PS100001", "InputLocale=de-XX", check=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: InputLocale 'de-XX' is not a known Windows input locale; did you mean")
    nonsense = site("set", "PS100001", "InputLocale=klingon", check=False)
    assert nonsense.returncode == 1 and "such as de-DE" in nonsense.stderr
    assert json.loads(site("show", "PS100001", "--json").stdout)["InputLocale"] == "0407:00000407"


def test_background_is_a_unc_or_absolute_bmp_or_jpeg(site: Run, tmp_path) -> None:
    site("new", "--path", "/x/boot.wim", "--index", "1", "--name", "Lab", "--no-image-read")
    site("set", "PS100001", r"BackgroundBitmapPath=\\server\share\bg.jpg")
    relative = site("set", "PS100001", "BackgroundBitmapPath=bg.jpg", check=False)
    assert relative.returncode == 1 and "must be a UNC path" in relative.stderr
    not_image = site("set", "PS100001", r"BackgroundBitmapPath=\\server\share\bg.txt", check=False)
    assert not_image.returncode == 1 and "must name a .bmp, .jpg or .jpeg file" in not_image.stderr
    fake = tmp_path / "fake.jpg"
    fake.write_text("not a picture")
    wrong = site("set", "PS100001", f"BackgroundBitmapPath={fake}", check=False)
    assert wrong.returncode == 1 and "is not a BMP or JPEG image" in wrong.stderr
    real = tmp_path / "real.bmp"
    real.write_bytes(b"BM" + bytes(60))
    site("set", "PS100001", f"BackgroundBitmapPath={real}")
    assert json.loads(site("show", "PS100001", "--json").stdout)["BackgroundBitmapPath"] == str(real)
